import { z } from 'zod';
import { entryKind, type SessionCalendarEntry, type TradingSession } from '../time/cmeCalendar.js';
import { CALENDAR_IDS, isHoliday, type HolidayCalendar } from '../time/holidayCalendar.js';
import { daysFromIso, isoFromDays, weekdayOfDays } from '../time/holidayRules.js';
import { checkTimeZone, zonedToUtcMs, zoneOffsetMs } from '../time/zonedTime.js';

/**
 * Session templates: when an instrument trades, in its exchange's zone. A session belongs
 * to a trading date; it opens at `open` on that date (or, with `opensPreviousDay`, on the
 * calendar day before, as CME Globex's 17:00 CT open does) and closes at `close` on the
 * date, or earlier on an early close of the calendar. Dates whose weekday is not among
 * `tradingDays`, and the calendar's closed days, have no session. The hours between one
 * session's close and the next one's open (Globex's 16:00–17:00 maintenance break, the
 * weekend, the night for stocks) are not trading hours. Wall-clock times follow the zone's
 * daylight-saving rules, never a fixed offset.
 */

const WEEKDAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;

const WallTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a wall-clock time HH:MM (00:00–23:59)');
/** A close may be 24:00: the end of the trading date (a session running to midnight). */
const CloseTime = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'a wall-clock time HH:MM (00:00–24:00)');

export const SessionTemplateSchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'lower-case letters, digits and _, starting with a letter'),
    description: z.string().max(500).default(''),
    timeZone: z.string().min(1).describe('IANA zone the hours and early closes are stated in'),
    open: WallTime.describe('session open, exchange time'),
    close: CloseTime.describe('regular session close on the trading date, exchange time (24:00: midnight at its end)'),
    opensPreviousDay: z.boolean().describe('the session opens on the calendar day before its trading date'),
    tradingDays: z.array(z.enum(WEEKDAY_NAMES)).min(1).max(7).default(['monday', 'tuesday', 'wednesday', 'thursday', 'friday']).describe('weekdays of trading dates'),
    calendar: z.enum(CALENDAR_IDS).describe('built-in holiday and early-close calendar'),
  })
  .strict()
  .superRefine((t, ctx) => {
    try {
      checkTimeZone(t.timeZone);
    } catch {
      ctx.addIssue({ code: 'custom', path: ['timeZone'], message: `unknown time zone "${t.timeZone}"` });
    }
    if (!t.opensPreviousDay && t.open >= t.close) ctx.addIssue({ code: 'custom', path: ['close'], message: `close ${t.close} is not after open ${t.open} on the same day` });
    if (t.opensPreviousDay && t.close === '24:00') ctx.addIssue({ code: 'custom', path: ['close'], message: 'a session opening the day before cannot close at 24:00' });
    else if (t.opensPreviousDay && t.open <= t.close) ctx.addIssue({ code: 'custom', path: ['open'], message: `a session opening the day before must open (${t.open}) after the previous session closes (${t.close})` });
  });
export type SessionTemplate = z.output<typeof SessionTemplateSchema>;
type SessionTemplateInput = z.input<typeof SessionTemplateSchema>;

const globex = (id: string, calendar: SessionTemplateInput['calendar'], what: string): SessionTemplate =>
  SessionTemplateSchema.parse({
    id,
    description: `CME Globex ${what}: Sunday–Friday 17:00–16:00 America/Chicago, daily maintenance break 16:00–17:00`,
    timeZone: 'America/Chicago',
    open: '17:00',
    close: '16:00',
    opensPreviousDay: true,
    tradingDays: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
    calendar,
  });

/**
 * A frozen record whose values are made on first read, each once. Parsing a template checks
 * its zone, and the first check of a zone loads its rules (about 15 ms at start-up, paid by
 * every command that never reads a template, such as `mes-data show`).
 */
function lazyRecord<T>(makers: Record<string, () => T>): Readonly<Record<string, T>> {
  const record: Record<string, T> = {};
  for (const [key, make] of Object.entries(makers)) {
    let value: T | undefined;
    Object.defineProperty(record, key, { enumerable: true, get: () => (value ??= make()) });
  }
  return Object.freeze(record);
}

/** The built-in templates, by id (each parsed on first read). */
export const SESSION_TEMPLATES: Readonly<Record<string, SessionTemplate>> = lazyRecord({
  cme_globex_equity: () => globex('cme_globex_equity', 'cme_equity', 'equity index futures'),
  cme_globex_rates: () => globex('cme_globex_rates', 'cme_rates', 'interest rate futures'),
  cme_globex_energy: () => globex('cme_globex_energy', 'cme_energy', 'energy futures'),
  cme_globex_metals: () => globex('cme_globex_metals', 'cme_metals', 'metals futures'),
  cme_globex_fx: () => globex('cme_globex_fx', 'cme_fx', 'FX futures'),
  utc_24x7: () => SessionTemplateSchema.parse({
    id: 'utc_24x7',
    description: 'around the clock, every day (crypto, spot FX feeds): UTC dates, no holidays',
    timeZone: 'UTC',
    open: '00:00',
    close: '24:00',
    opensPreviousDay: false,
    tradingDays: ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'],
    calendar: 'none',
  }),
  us_equity: () => SessionTemplateSchema.parse({
    id: 'us_equity',
    description: 'US stocks and ETFs (NYSE, Nasdaq): regular hours Monday–Friday 09:30–16:00 America/New_York, NYSE holidays and 13:00 early closes',
    timeZone: 'America/New_York',
    open: '09:30',
    close: '16:00',
    opensPreviousDay: false,
    calendar: 'nyse',
  }),
});

const DAY_MS = 86_400_000;

function wallMs(days: number, hhmm: string, timeZone: string): number {
  const d = new Date(days * DAY_MS);
  return zonedToUtcMs(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), Number(hhmm.slice(0, 2)), Number(hhmm.slice(3, 5)), 0, 0, timeZone).utcMs;
}

function tradesOnWeekday(template: SessionTemplate, days: number): boolean {
  return template.tradingDays.includes(WEEKDAY_NAMES[weekdayOfDays(days)]);
}

/**
 * The session of one trading date (`YYYY-MM-DD`) as UTC milliseconds [openMs, closeMs), or
 * null when the date does not trade (weekday not in the template, closed in the calendar).
 */
export function sessionOfDate(template: SessionTemplate, calendar: HolidayCalendar, date: string): TradingSession | null {
  const days = daysFromIso(date);
  if (!tradesOnWeekday(template, days)) return null;
  const special: SessionCalendarEntry | undefined = calendar.entry(date);
  if (special && entryKind(special) === 'closed') return null;
  const openMs = wallMs(template.opensPreviousDay ? days - 1 : days, template.open, template.timeZone);
  const closeMs = wallMs(days, special?.close ?? template.close, template.timeZone);
  return closeMs > openMs ? { date, openMs, closeMs } : null;
}

/**
 * The trading date of an instant (UTC milliseconds) under a template: the exchange's
 * calendar date, moved to the next day from the open on when sessions open the day before
 * (17:00 CT Sunday → Monday). Weekends and holidays are not skipped: a Saturday instant
 * gets a Saturday date, which `isTradingDate` then rejects.
 */
export function tradingDateOfMs(template: SessionTemplate, utcMs: number): string {
  return isoFromDays(tradingDayOfMs(template, utcMs));
}

function minutesOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/** `tradingDateOfMs` as a day count (days since 1970-01-01); the zone offset is cached per quarter hour. */
function tradingDayOfMs(template: SessionTemplate, utcMs: number): number {
  const local = utcMs + zoneOffsetMs(utcMs, template.timeZone);
  const days = Math.floor(local / DAY_MS);
  const minute = Math.floor((local - days * DAY_MS) / 60_000);
  return template.opensPreviousDay && minute >= minutesOf(template.open) ? days + 1 : days;
}

/**
 * Whether a trading date is expected to have a daily bar: its weekday trades and the
 * calendar has no holiday on it (an early close still trades; a holiday short session,
 * which settles nothing, does not count).
 */
export function isTradingDate(template: SessionTemplate, calendar: HolidayCalendar, date: string): boolean {
  return tradesOnWeekday(template, daysFromIso(date)) && !isHoliday(calendar, date);
}

/** Sessions whose hours overlap [startMs, endMs] (UTC milliseconds), in order. */
export function sessionsOverlapping(template: SessionTemplate, calendar: HolidayCalendar, startMs: number, endMs: number): TradingSession[] {
  const first = daysFromIso(tradingDateOfMs(template, startMs));
  const last = daysFromIso(tradingDateOfMs(template, endMs)) + 1;
  const sessions: TradingSession[] = [];
  for (let day = first; day <= last; day++) {
    const session = sessionOfDate(template, calendar, isoFromDays(day));
    if (session && session.closeMs > startMs && session.openMs <= endMs) sessions.push(session);
  }
  return sessions;
}

/** The hours of a template in words: weekly open and close, the daily break. */
export function describeHours(template: SessionTemplate): { weeklyOpen: string; weeklyClose: string; dailyBreak: string | null } {
  const days = WEEKDAY_NAMES.map((name, i) => ({ name, i })).filter((d) => template.tradingDays.includes(d.name));
  const title = (name: string) => name[0].toUpperCase() + name.slice(1);
  const firstDay = days[0].i;
  const openDay = template.opensPreviousDay ? WEEKDAY_NAMES[(firstDay + 6) % 7] : WEEKDAY_NAMES[firstDay];
  return {
    weeklyOpen: `${title(openDay)} ${template.open}`,
    weeklyClose: `${title(days[days.length - 1].name)} ${template.close}`,
    dailyBreak: template.opensPreviousDay ? `${template.close}–${template.open}` : null,
  };
}
