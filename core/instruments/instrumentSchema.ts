import { z } from 'zod';
import { CALENDAR_IDS } from '../time/holidayCalendar.js';
import { checkTimeZone } from '../time/zonedTime.js';
import { SESSION_TEMPLATES, SessionTemplateSchema } from './sessionTemplates.js';

/**
 * The instrument file format (what a user registers) and the resolved instrument every
 * caller gets. Defined once with zod; types come from it.
 */

const ASSET_CLASSES = ['equity_index', 'rates', 'energy', 'metals', 'fx', 'equity', 'other'] as const;

/** Upper-case letters, digits, `.`, `_`, `-`: the same alphabet as store asset names. */
const SYMBOL_PATTERN = /^[A-Z0-9][A-Z0-9._-]{0,31}$/;

const CalendarEntrySchema = z
  .object({
    date: z.iso.date().describe('the trading date (YYYY-MM-DD)'),
    close: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a wall-clock time HH:MM')
      .optional()
      .describe('early close in the session zone; absent: closed all day'),
    name: z.string().max(200).optional(),
    kind: z.enum(['closed', 'early_close', 'holiday_session']).optional().describe('holiday_session: a short session that settles nothing (no daily bar expected)'),
  })
  .strict()
  .superRefine((e, ctx) => {
    if (e.kind === 'closed' && e.close !== undefined) ctx.addIssue({ code: 'custom', path: ['close'], message: `a closed day has no close time (${e.date})` });
    if (e.kind !== undefined && e.kind !== 'closed' && e.close === undefined) ctx.addIssue({ code: 'custom', path: ['close'], message: `${e.kind} needs a close time (${e.date})` });
  });

const knownTemplates = Object.keys(SESSION_TEMPLATES);

/** One instrument as a user writes it (`instruments register FILE.json`). */
export const InstrumentInputSchema = z
  .object({
    symbol: z
      .string()
      .transform((s) => s.trim().toUpperCase())
      .pipe(z.string().regex(SYMBOL_PATTERN, 'upper-case letters, digits, ".", "_" or "-", at most 32'))
      .describe('the asset name files of this instrument are stored under (MES, NVDA)'),
    name: z.string().max(200).default(''),
    exchange: z.string().min(1).max(40).describe('CME, CBOT, NYMEX, COMEX, NYSE, NASDAQ…'),
    assetClass: z.enum(ASSET_CLASSES).default('other'),
    session: z
      .union([z.string(), SessionTemplateSchema])
      .describe(`a built-in session template (${knownTemplates.join(', ')}) or a template of your own`),
    calendar: z.enum(CALENDAR_IDS).optional().describe("replaces the template's holiday calendar"),
    timeZone: z.string().optional().describe("zone of timestamps written without an offset in this instrument's files (default: the session zone)"),
    tickSize: z.number().positive().finite().nullable().default(null).describe('smallest price step'),
    pointValue: z.number().positive().finite().nullable().default(null).describe('currency per 1.0 of price, per contract or share'),
    currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as USD').default('USD'),
    holidays: z.array(CalendarEntrySchema).max(5000).default([]).describe('holidays and early closes added to the calendar (they replace a built-in entry of the same date)'),
  })
  .strict()
  .superRefine((input, ctx) => {
    if (typeof input.session === 'string' && !knownTemplates.includes(input.session)) {
      ctx.addIssue({ code: 'custom', path: ['session'], message: `unknown session template "${input.session}"; known: ${knownTemplates.join(', ')}` });
    }
    if (input.timeZone !== undefined) {
      try {
        checkTimeZone(input.timeZone);
      } catch {
        ctx.addIssue({ code: 'custom', path: ['timeZone'], message: `unknown time zone "${input.timeZone}"` });
      }
    }
  });
export type InstrumentInput = z.input<typeof InstrumentInputSchema>;

/** A file holds one instrument or `{instruments: [...]}`. */
export const InstrumentFileSchema = z.union([InstrumentInputSchema, z.object({ instruments: z.array(InstrumentInputSchema).min(1).max(1000) }).strict()]);

const InstrumentSource = z.enum(['built-in', 'store', 'fallback']);

/** A resolved instrument: its template expanded (with the calendar applied), zone filled in. */
export const InstrumentSchema = z.object({
  symbol: z.string(),
  name: z.string(),
  exchange: z.string(),
  assetClass: z.enum(ASSET_CLASSES),
  session: SessionTemplateSchema,
  timeZone: z.string(),
  tickSize: z.number().nullable(),
  pointValue: z.number().nullable(),
  currency: z.string(),
  holidays: z.array(CalendarEntrySchema),
  /** where it came from: a built-in, the store's `instruments/` folder, or the generic fallback */
  source: InstrumentSource,
  hours: z.object({ weeklyOpen: z.string(), weeklyClose: z.string(), dailyBreak: z.string().nullable() }),
});
export type Instrument = z.output<typeof InstrumentSchema>;
