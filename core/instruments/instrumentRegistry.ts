import fs from 'node:fs';
import path from 'node:path';
import { type z } from 'zod';
import { AlreadyExistsError, BadRequestError, NotFoundError } from '../errors.js';
import { assertNoSymlinkBelow } from '../store/storePaths.js';
import { holidayCalendar, type HolidayCalendar } from '../time/holidayCalendar.js';
import { BUILTIN_INSTRUMENTS } from './builtinInstruments.js';
import { InstrumentFileSchema, InstrumentInputSchema, type Instrument } from './instrumentSchema.js';
import { describeHours, SESSION_TEMPLATES, type SessionTemplate } from './sessionTemplates.js';

/** Folder inside a store where registered instruments live, one `{SYMBOL}.json` each. */
export const STORE_INSTRUMENT_FOLDER = 'instruments';

type ParsedInput = z.output<typeof InstrumentInputSchema>;

/** The largest instrument file read (1000 instruments with their holidays fit well inside). */
export const MAX_INSTRUMENT_FILE_CHARS = 8 * 1024 * 1024;

/** An instrument as written in the store: the user's input, normalised by the schema. */
function resolve(input: ParsedInput, source: Instrument['source']): Instrument {
  const base: SessionTemplate = typeof input.session === 'string' ? SESSION_TEMPLATES[input.session] : input.session;
  const session = input.calendar ? { ...base, calendar: input.calendar } : base;
  return {
    symbol: input.symbol,
    name: input.name,
    exchange: input.exchange,
    assetClass: input.assetClass,
    session,
    timeZone: input.timeZone ?? session.timeZone,
    tickSize: input.tickSize,
    pointValue: input.pointValue,
    currency: input.currency,
    holidays: input.holidays,
    source,
    hours: describeHours(session),
  };
}

function problemsOf(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

/**
 * Parses an instrument file (JSON text or a value): one instrument, or `{instruments: [...]}`.
 * Throws BAD_REQUEST naming the source and every problem (path and message), the same way
 * schema files are checked.
 */
function parseInstrumentFile(input: unknown, source = 'instrument file'): ParsedInput[] {
  let value = input;
  if (typeof input === 'string' && input.length > MAX_INSTRUMENT_FILE_CHARS) {
    throw new BadRequestError(`${source} is ${input.length} characters; an instrument file holds at most ${MAX_INSTRUMENT_FILE_CHARS}`, { source, length: input.length });
  }
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input) as unknown;
    } catch (error) {
      throw new BadRequestError(`${source} is not valid JSON: ${(error as Error).message}`, { source });
    }
  }
  // a file with `instruments` is a list: report its items' problems, not the union's
  const isList = typeof value === 'object' && value !== null && !Array.isArray(value) && 'instruments' in value;
  const parsed = isList ? InstrumentFileSchema.options[1].safeParse(value) : InstrumentInputSchema.safeParse(value);
  if (!parsed.success) {
    const problems = problemsOf(parsed.error);
    const summary = problems
      .slice(0, 5)
      .map((p) => (p.path ? `${p.path}: ${p.message}` : p.message))
      .join('; ');
    throw new BadRequestError(`${source} is not a valid instrument file: ${summary}`, { source, issues: problems });
  }
  const list = 'instruments' in parsed.data ? parsed.data.instruments : [parsed.data];
  const seen = new Set<string>();
  for (const item of list) {
    if (seen.has(item.symbol)) throw new BadRequestError(`${source} lists instrument "${item.symbol}" twice`, { source, symbol: item.symbol });
    seen.add(item.symbol);
  }
  return list;
}

let builtins: readonly Instrument[] | null = null;

/** The built-in instruments, parsed on first use (not at start-up: see SESSION_TEMPLATES). */
function builtinInstruments(): readonly Instrument[] {
  builtins ??= BUILTIN_INSTRUMENTS.map((input) => resolve(InstrumentInputSchema.parse(input), 'built-in'));
  return builtins;
}

/** Contract month code and year (`Z4`, `H25`, `M2024`) after a root. */
const CONTRACT_CODE = /^[FGHJKMNQUVXZ]\d{1,4}$/;
/** Vendor continuous-contract marks: Yahoo `ES=F`, TradingView `ES1!`. */
const CONTINUOUS_MARK = /(?:=F|\d!)$/;

interface RegisteredInstrument {
  instrument: Instrument;
  status: 'created' | 'replaced' | 'unchanged';
}

/**
 * The built-in instruments plus, with a store, those registered in it
 * (`<store>/instruments/{SYMBOL}.json`), which survive restarts and take precedence over a
 * built-in of the same symbol. Reading a stored file that is not a valid instrument throws
 * BAD_REQUEST naming the file.
 */
export class InstrumentRegistry {
  private readonly instruments = new Map<string, Instrument>();
  private readonly stored = new Map<string, string>();

  constructor(private readonly storeDir: string | null = null) {
    for (const instrument of builtinInstruments()) this.instruments.set(instrument.symbol, instrument);
    if (storeDir) this.loadStored(storeDir);
  }

  list(): Instrument[] {
    return [...this.instruments.values()].sort((a, b) => a.symbol.localeCompare(b.symbol));
  }

  /** Symbols registered in the store (not the built-ins), sorted: file names may name them. */
  storedSymbols(): string[] {
    return [...this.stored.keys()].sort();
  }

  /**
   * The instrument an asset name means: the symbol itself, or a root followed by a contract
   * month and year (`ESZ4`, `6EH25`) or a continuous mark (`ES=F`, `NQ1!`); null when none.
   */
  find(asset: string): Instrument | null {
    const key = asset.trim().toUpperCase();
    const exact = this.instruments.get(key);
    if (exact) return exact;
    const unmarked = key.replace(CONTINUOUS_MARK, '');
    if (unmarked !== key && this.instruments.has(unmarked)) return this.instruments.get(unmarked) ?? null;
    for (let cut = key.length - 2; cut >= 1; cut--) {
      const root = this.instruments.get(key.slice(0, cut));
      if (root && CONTRACT_CODE.test(key.slice(cut))) return root;
    }
    return null;
  }

  /** The instrument of that symbol (or contract). Throws NOT_FOUND listing the known symbols. */
  get(symbol: string): Instrument {
    const found = this.find(symbol);
    if (!found) {
      const known = [...this.instruments.keys()].sort();
      throw new NotFoundError(`no instrument "${symbol}"; known instruments: ${known.join(', ')}; register one with mes-data instruments register FILE.json`, { symbol, known });
    }
    return found;
  }

  /**
   * Validates and registers the instruments of a file (see `parseInstrumentFile`); with a
   * store, writes each to `<store>/instruments/{SYMBOL}.json` atomically. An identical
   * registration is `unchanged`; a different one for a symbol already registered in the
   * store throws ALREADY_EXISTS (both versions in `details`) unless `replace` is set, and
   * then nothing is written. A built-in may be overridden freely.
   */
  register(input: unknown, options: { source?: string; replace?: boolean } = {}): RegisteredInstrument[] {
    const source = options.source ?? 'instrument file';
    const items = parseInstrumentFile(input, source);
    const plans = items.map((item) => {
      const text = `${JSON.stringify(item, null, 2)}\n`;
      const before = this.stored.get(item.symbol);
      const status: RegisteredInstrument['status'] = before === undefined ? 'created' : before === text ? 'unchanged' : 'replaced';
      return { item, text, status, before };
    });
    const conflicts = plans.filter((p) => p.status === 'replaced' && !options.replace);
    if (conflicts.length > 0) {
      const symbols = conflicts.map((c) => c.item.symbol);
      throw new AlreadyExistsError(
        `instrument${symbols.length === 1 ? '' : 's'} ${symbols.map((s) => `"${s}"`).join(', ')} already registered with different settings in ${source === 'instrument file' ? 'the store' : `the store (from ${source})`}; pass --replace to replace`,
        { symbols, registered: conflicts.map((c) => JSON.parse(c.before ?? '{}') as unknown), given: conflicts.map((c) => c.item) },
      );
    }
    const out: RegisteredInstrument[] = [];
    for (const plan of plans) {
      if (this.storeDir && plan.status !== 'unchanged') {
        const folder = path.join(this.storeDir, STORE_INSTRUMENT_FOLDER);
        fs.mkdirSync(folder, { recursive: true });
        const file = path.join(folder, `${plan.item.symbol}.json`);
        assertNoSymlinkBelow(this.storeDir, file);
        const temp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(temp, plan.text);
        const fd = fs.openSync(temp, 'r');
        fs.fsyncSync(fd);
        fs.closeSync(fd);
        fs.renameSync(temp, file);
      }
      const instrument = resolve(plan.item, 'store');
      this.instruments.set(instrument.symbol, instrument);
      this.stored.set(instrument.symbol, plan.text);
      out.push({ instrument, status: plan.status });
    }
    return out;
  }

  private loadStored(storeDir: string): void {
    const folder = path.join(storeDir, STORE_INSTRUMENT_FOLDER);
    // the store never follows symbolic links (SYMLINK names the link)
    assertNoSymlinkBelow(storeDir, folder);
    if (!fs.existsSync(folder)) return;
    for (const entry of fs.readdirSync(folder).sort()) {
      if (!entry.endsWith('.json')) continue;
      const file = path.join(folder, entry);
      assertNoSymlinkBelow(storeDir, file);
      const text = fs.readFileSync(file, 'utf8');
      const items = parseInstrumentFile(text, file);
      for (const item of items) {
        this.instruments.set(item.symbol, resolve(item, 'store'));
        this.stored.set(item.symbol, `${JSON.stringify(item, null, 2)}\n`);
      }
    }
  }
}

/**
 * The instrument for an asset name no registry knows: CME Globex equity-index hours and
 * the CME equity calendar in `timeZone` (default America/Chicago), no tick size or point
 * value, `source: "fallback"` — what every file was read as before instruments existed.
 */
export function genericInstrument(asset: string | null, timeZone = 'America/Chicago'): Instrument {
  const base = SESSION_TEMPLATES.cme_globex_equity;
  const session = timeZone === base.timeZone ? base : { ...base, timeZone };
  const symbol = asset?.trim().toUpperCase() ?? '';
  return {
    symbol: symbol === '' ? 'GENERIC' : symbol,
    name: 'unknown instrument (CME Globex equity-index hours)',
    exchange: 'unknown',
    assetClass: 'other',
    session,
    timeZone,
    tickSize: null,
    pointValue: null,
    currency: 'USD',
    holidays: [],
    source: 'fallback',
    hours: describeHours(session),
  };
}

/**
 * The instrument of an asset in a store (`storeRoot` null: built-ins only): a registered or
 * built-in symbol, or its contract (`ESZ4` → ES), else `genericInstrument(asset)`. Gives the
 * default zone (`timeZone`), the trading-date rule (`session`), the tick size. Throws
 * BAD_REQUEST when a stored instrument file is invalid (the file is named).
 */
export function instrumentFor(storeRoot: string | null, asset: string | null): Instrument {
  if (asset === null || asset.trim() === '') return genericInstrument(null);
  return new InstrumentRegistry(storeRoot).find(asset) ?? genericInstrument(asset);
}

const calendars = new WeakMap<Instrument, HolidayCalendar>();

/** The holiday calendar of an instrument: its template's built-in calendar plus its own entries. */
export function instrumentCalendar(instrument: Instrument): HolidayCalendar {
  let calendar = calendars.get(instrument);
  if (!calendar) {
    calendar = holidayCalendar(instrument.session.calendar, instrument.holidays);
    calendars.set(instrument, calendar);
  }
  return calendar;
}
