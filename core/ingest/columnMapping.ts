import { BadRequestError, MissingRequiredColumnError } from '../errors.js';
import type { ColumnOverrides, EpochUnit, TargetColumn } from './ingestTypes.js';
import { TARGET_COLUMNS } from './ingestTypes.js';
import { NUMBER_INVALID, NUMBER_OK, NumberReader } from './numberParser.js';
import { DateTimeReader, epochUnitForDigits } from './timestampParser.js';

/**
 * Which source column feeds which output column. Names are matched by synonyms, ignoring
 * case and everything but letters and digits (`Adj Close`, `adj_close` and `<ADJCLOSE>` are
 * one name); the caller's overrides win. A file with open, high or low columns is a bar
 * file: its `last` or `price` column is the close. Without them it is a tick or quote
 * file: `price`/`last` is the trade price and `size`/`qty` the trade size. Columns that map
 * to nothing are kept under their own names (unless the caller says not to).
 */

/** Synonyms per target, already normalized (lower case, letters and digits only), best first. */
const SYNONYMS: Record<Exclude<TargetColumn, 'timestamp'>, string[]> = {
  open: ['open', 'o', 'openprice', 'opn'],
  high: ['high', 'h', 'highprice', 'hi'],
  low: ['low', 'l', 'lowprice', 'lo'],
  close: ['close', 'c', 'closeprice', 'last', 'lastprice', 'price'],
  volume: ['volume', 'vol', 'v', 'totalvolume'],
  adj_close: ['adjclose', 'adjustedclose', 'adjcloseprice'],
  open_interest: ['openinterest', 'oi', 'openint'],
  bid: ['bid', 'bidprice', 'bidpx', 'bestbid', 'bidpx00'],
  ask: ['ask', 'askprice', 'askpx', 'bestask', 'offer', 'offerprice', 'askpx00'],
  bid_size: ['bidsize', 'bidsz', 'bidqty', 'bidquantity', 'bidvolume', 'bidvol', 'bidsz00'],
  ask_size: ['asksize', 'asksz', 'askqty', 'askquantity', 'askvolume', 'askvol', 'offersize', 'offerqty', 'asksz00'],
  price: ['price', 'tradeprice', 'tradepx', 'last', 'lastprice', 'px'],
  size: ['size', 'tradesize', 'tradesz', 'tradeqty', 'qty', 'quantity', 'lastsize', 'sz'],
};
/** Close synonyms in a tick file, where `price` and `last` mean the trade price. */
const TICK_CLOSE = ['close', 'c', 'closeprice'];
/** Whole-timestamp names, best first; `date` and `time` are handled apart (they may be split). */
const TIMESTAMP_NAMES = ['timestamp', 'datetime', 'tsevent', 'timestamputc', 'datetimeutc', 'ts', 'gmttime', 'localtime', 'opentime', 'bartime', 'dt'];
const DATE_NAMES = ['date', 'tradedate', 'day'];
const TIME_NAMES = ['time', 'timeofday'];
/** Targets whose values are counts: Int64 when every value is integral, else Float64. */
const COUNT_TARGETS = new Set(['volume', 'open_interest', 'bid_size', 'ask_size', 'size']);

const KNOWN = new Set([...Object.values(SYNONYMS).flat(), ...TIMESTAMP_NAMES, ...DATE_NAMES, ...TIME_NAMES]);

function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** True for a name the mapper recognises (used to tell a header from data). */
export function isKnownColumnName(name: string): boolean {
  return KNOWN.has(normalizeName(name));
}

/** What the mapper knows about one source column. */
export interface SourceColumnInfo {
  name: string;
  /** `text` for CSV/JSON text; otherwise the Arrow type family of a typed column. */
  kind: 'text' | 'float' | 'int' | 'timestamp' | 'date' | 'other';
  /** The first values as text (numbers in their decimal form), for format detection. */
  values: string[];
}

/** How the timestamp is read. */
type TimestampPlan =
  | { kind: 'text'; source: number }
  | { kind: 'epoch'; source: number; unit: EpochUnit; unitDetected: boolean }
  | { kind: 'split'; date: number; time: number }
  | { kind: 'typed'; source: number };

/** One output value column. `auto` is Int64 when every value is integral, else Float64. */
interface ValueColumnPlan {
  name: string;
  source: number;
  kind: 'float' | 'auto' | 'utf8';
}

export interface ColumnPlan {
  timestamp: TimestampPlan;
  values: ValueColumnPlan[];
  /** Output column ← source column name. */
  mapping: Record<string, string>;
}

export interface NumberNotation {
  decimal: '.' | ',';
  thousands: string | null;
}

const OUTPUT_ORDER: string[] = TARGET_COLUMNS.filter((t) => t !== 'timestamp');

/**
 * Maps source columns to output columns. Throws BAD_REQUEST for an override naming an
 * unknown target or source column (or one source used twice), MISSING_REQUIRED_COLUMN when
 * no timestamp column can be found.
 */
export function planColumns(
  sources: SourceColumnInfo[],
  options: { overrides?: ColumnOverrides; keepUnmapped?: boolean; epochUnit?: EpochUnit; notation?: NumberNotation } = {},
): ColumnPlan {
  const overrides = options.overrides ?? {};
  const names = sources.map((s) => s.name);
  const normalized = names.map(normalizeName);
  const used = new Set<number>();
  const assigned = new Map<string, number>();

  const findSource = (wanted: string, target: string): number => {
    let index = names.indexOf(wanted);
    if (index < 0) index = names.findIndex((n) => n.toLowerCase() === wanted.toLowerCase());
    if (index < 0) index = normalized.indexOf(normalizeName(wanted));
    if (index < 0) {
      throw new BadRequestError(`column "${wanted}" (asked for ${target}) is not in the source; its columns are ${names.map((n) => JSON.stringify(n)).join(', ')}`, {
        column: wanted,
        target,
        available: names,
      });
    }
    return index;
  };
  const claim = (target: string, index: number): void => {
    if (used.has(index)) {
      throw new BadRequestError(`column "${names[index]}" cannot feed two outputs (${target} and another)`, { column: names[index], target });
    }
    used.add(index);
    assigned.set(target, index);
  };

  for (const key of Object.keys(overrides)) {
    if (!(TARGET_COLUMNS as readonly string[]).includes(key) && key !== 'date' && key !== 'time') {
      throw new BadRequestError(`unknown output column "${key}" in the column overrides; use one of ${[...TARGET_COLUMNS, 'date', 'time'].join(', ')}`, { target: key });
    }
  }
  // explicit choices first
  const excluded = new Set<string>();
  for (const [target, wanted] of Object.entries(overrides)) {
    if (wanted === null) excluded.add(target);
    else if (wanted !== undefined) claim(target, findSource(wanted, target));
  }
  if (assigned.has('date') !== assigned.has('time')) {
    throw new BadRequestError('split date and time columns need both `date` and `time`', { overrides });
  }

  // the timestamp
  let timestamp: TimestampPlan | null = null;
  const dateTime = new DateTimeReader();
  if (assigned.has('date') && assigned.has('time')) {
    timestamp = { kind: 'split', date: assigned.get('date') ?? 0, time: assigned.get('time') ?? 0 };
  } else if (assigned.has('timestamp')) {
    timestamp = timestampPlanFor(sources, assigned.get('timestamp') ?? 0, options.epochUnit);
  } else if (!excluded.has('timestamp')) {
    const free = (k: number) => !used.has(k);
    const byName = (list: string[]) => {
      for (const wanted of list) {
        const k = normalized.findIndex((n, i) => n === wanted && free(i));
        if (k >= 0) return k;
      }
      return -1;
    };
    const whole = byName(TIMESTAMP_NAMES);
    const dateColumn = byName(DATE_NAMES);
    const timeColumn = byName(TIME_NAMES);
    if (whole >= 0) {
      claim('timestamp', whole);
      timestamp = timestampPlanFor(sources, whole, options.epochUnit);
    } else if (dateColumn >= 0 && timeColumn >= 0 && allDates(sources[dateColumn], dateTime) && allTimes(sources[timeColumn], dateTime)) {
      claim('date', dateColumn);
      claim('time', timeColumn);
      timestamp = { kind: 'split', date: dateColumn, time: timeColumn };
    } else if (timeColumn >= 0 || dateColumn >= 0) {
      // one of them holds whole timestamps (prefer the one that parses)
      const pick = timeColumn >= 0 && readsAsTimestamps(sources[timeColumn], dateTime) ? timeColumn : dateColumn >= 0 ? dateColumn : timeColumn;
      claim('timestamp', pick);
      timestamp = timestampPlanFor(sources, pick, options.epochUnit);
    } else {
      // no name to go by (a file without a header): the first column of timestamps
      for (let k = 0; k < sources.length && !timestamp; k++) {
        if (used.has(k)) continue;
        if (allDates(sources[k], dateTime) && k + 1 < sources.length && !used.has(k + 1) && allTimes(sources[k + 1], dateTime) && !allDates(sources[k + 1], dateTime)) {
          claim('date', k);
          claim('time', k + 1);
          timestamp = { kind: 'split', date: k, time: k + 1 };
        } else if (readsAsTimestamps(sources[k], dateTime)) {
          claim('timestamp', k);
          timestamp = timestampPlanFor(sources, k, options.epochUnit);
        }
      }
    }
  }
  if (!timestamp) {
    throw new MissingRequiredColumnError(
      `no timestamp column: none of ${names.map((n) => JSON.stringify(n)).join(', ')} is named timestamp, datetime, time or date or holds timestamps; name one with the column overrides (timestamp, or date + time)`,
      { column: 'timestamp', available: names },
    );
  }

  // value columns by name
  const isBars = ['open', 'high', 'low'].some((t) => assigned.has(t)) || normalized.some((n, k) => !used.has(k) && [...SYNONYMS.open, ...SYNONYMS.high, ...SYNONYMS.low].includes(n));
  for (const target of OUTPUT_ORDER) {
    if (assigned.has(target) || excluded.has(target)) continue;
    if (isBars && (target === 'price' || target === 'size')) continue;
    const synonyms = !isBars && target === 'close' ? TICK_CLOSE : SYNONYMS[target as Exclude<TargetColumn, 'timestamp'>];
    for (const wanted of synonyms) {
      const k = normalized.findIndex((n, i) => n === wanted && !used.has(i));
      if (k >= 0) {
        claim(target, k);
        break;
      }
    }
  }
  // no names at all (no header): numeric columns after the timestamp in the usual order
  const headerless = names.every((n, k) => n === `column${k + 1}`);
  if (headerless) {
    const numeric = sources.map((s, k) => k).filter((k) => !used.has(k) && isNumericColumn(sources[k], options.notation));
    const order = numeric.length >= 4 ? ['open', 'high', 'low', 'close', 'volume', 'open_interest'] : numeric.length === 2 ? ['price', 'size'] : numeric.length === 1 ? ['close'] : [];
    order.forEach((target, k) => {
      if (k < numeric.length && !assigned.has(target) && !excluded.has(target)) claim(target, numeric[k]);
    });
  }

  const values: ValueColumnPlan[] = [];
  const mapping: Record<string, string> = {};
  if (timestamp.kind === 'split') {
    mapping.date = names[timestamp.date];
    mapping.time = names[timestamp.time];
  } else {
    mapping.timestamp = names[timestamp.source];
  }
  const taken = new Set<string>(['timestamp']);
  for (const target of OUTPUT_ORDER) {
    const k = assigned.get(target);
    if (k === undefined) continue;
    values.push({ name: target, source: k, kind: valueKind(sources[k], COUNT_TARGETS.has(target), options.notation, true) });
    mapping[target] = names[k];
    taken.add(target);
  }
  if (options.keepUnmapped ?? true) {
    for (let k = 0; k < sources.length; k++) {
      if (used.has(k)) continue;
      let name = names[k];
      for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${names[k]}_${n}`;
      taken.add(name.toLowerCase());
      values.push({ name, source: k, kind: valueKind(sources[k], true, options.notation, false) });
      mapping[name] = names[k];
    }
  }
  return { timestamp, values, mapping };
}

function timestampPlanFor(sources: SourceColumnInfo[], k: number, epochUnit: EpochUnit | undefined): TimestampPlan {
  const source = sources[k];
  if (source.kind === 'timestamp' || source.kind === 'date') return { kind: 'typed', source: k };
  const values = source.values.map((v) => v.trim()).filter((v) => v !== '');
  const epochLike = /^[+-]?\d+(\.\d+)?$/;
  const reader = new DateTimeReader();
  const numeric = source.kind === 'int' || source.kind === 'float' || (values.length > 0 && values.every((v) => epochLike.test(v)));
  // 8-digit YYYYMMDD dates look like numbers: they are dates when every one is a real date
  const yyyymmdd = values.length > 0 && values.every((v) => /^\d{8}$/.test(v) && parses(reader, v));
  if (numeric && !yyyymmdd) {
    if (epochUnit) return { kind: 'epoch', source: k, unit: epochUnit, unitDetected: false };
    // the magnitude of the first value: digits before the point, leading zeros aside
    const first = values.find((v) => epochLike.test(v)) ?? '0';
    const digits = first.replace(/^[+-]/, '').replace(/\..*$/, '').replace(/^0+(?=\d)/, '').length;
    return { kind: 'epoch', source: k, unit: epochUnitForDigits(digits), unitDetected: true };
  }
  return { kind: 'text', source: k };
}

function parses(reader: DateTimeReader, text: string): boolean {
  const bytes = Buffer.from(text);
  return reader.parse(bytes, 0, bytes.length);
}

function nonEmpty(source: SourceColumnInfo): string[] {
  return source.values.map((v) => v.trim()).filter((v) => v !== '');
}

function allDates(source: SourceColumnInfo, reader: DateTimeReader): boolean {
  if (source.kind === 'date') return true;
  if (source.kind !== 'text') return false;
  const values = nonEmpty(source);
  return (
    values.length > 0 &&
    values.every((v) => {
      const bytes = Buffer.from(v);
      return reader.parseDate(bytes, 0, bytes.length);
    })
  );
}

function allTimes(source: SourceColumnInfo, reader: DateTimeReader): boolean {
  if (source.kind !== 'text' && source.kind !== 'int') return false;
  const values = nonEmpty(source);
  return (
    values.length > 0 &&
    values.every((v) => {
      const bytes = Buffer.from(v);
      return reader.parseTime(bytes, 0, bytes.length);
    })
  );
}

/** Whole timestamps: date-times or dates as text, typed timestamps, or epoch numbers of 9+ digits. */
function readsAsTimestamps(source: SourceColumnInfo, reader: DateTimeReader): boolean {
  if (source.kind === 'timestamp' || source.kind === 'date') return true;
  const values = nonEmpty(source);
  if (values.length === 0) return false;
  if (values.every((v) => /^\d{9,19}(\.\d+)?$/.test(v))) return source.kind !== 'float' || values.every((v) => /^\d{9,}/.test(v));
  if (source.kind !== 'text') return false;
  return values.every((v) => parses(reader, v));
}

function isNumericColumn(source: SourceColumnInfo, notation: NumberNotation | undefined): boolean {
  if (source.kind === 'float' || source.kind === 'int') return true;
  if (source.kind !== 'text') return false;
  const reader = new NumberReader(notation?.decimal ?? '.', notation?.thousands ?? null);
  let seen = 0;
  for (const v of source.values) {
    const bytes = Buffer.from(v);
    reader.read(bytes, 0, bytes.length);
    if (reader.status === NUMBER_INVALID) return false;
    if (reader.status === NUMBER_OK) seen++;
  }
  return seen > 0;
}

/**
 * The output type family of a value column. Mapped targets are numbers; a count target
 * (volume, sizes, open interest) is `auto`. A kept column is `auto` when its sampled
 * values are all numbers, else text.
 */
function valueKind(source: SourceColumnInfo, count: boolean, notation: NumberNotation | undefined, mapped: boolean): ValueColumnPlan['kind'] {
  if (mapped) return count ? 'auto' : 'float';
  if (source.kind === 'float') return 'float';
  if (source.kind === 'int') return 'auto';
  if (source.kind !== 'text') return 'utf8';
  return isNumericColumn(source, notation) ? 'auto' : 'utf8';
}
