import { daysToDate, epochToIso } from '../arrow/arrowJson.js';
import { formatLocalSeconds } from '../time/civilDays.js';
import type { ColumnPlan, NumberNotation } from './columnMapping.js';
import { MAX_EPOCH_SECONDS, MIN_EPOCH_SECONDS, writeEpochNanos } from './epochNanos.js';
import type { BadRow, DstGapPolicy, DstRepeatPolicy, EpochUnit } from './ingestTypes.js';
import { NUMBER_INVALID, NUMBER_NULL, NUMBER_OK, NumberReader } from './numberParser.js';
import { LOCAL_GAP, LOCAL_REPEAT, type TimeZoneRules } from './timeZoneRules.js';
import { DateTimeReader, EpochReader } from './timestampParser.js';
import type { TradingCalendar } from './tradingDate.js';

/**
 * Turns source rows (text fields or typed Arrow values) into output rows: the timestamp as
 * exact UTC nanoseconds with its CME trading date, value columns as numbers or text. A
 * row that cannot be read (wrong field count, a number or time that does not parse, a
 * time outside int64 nanoseconds, a DST gap or repeat the policy rejects) is left out and
 * reported with its line and the reason; the rest of the batch goes on.
 */

const DAY = 86_400;

/** One source column of a batch. */
export type SourceColumnData =
  /** Text fields: row r is `buf[starts[r*stride+offset], ends[…])`; a negative start is a missing field (null). */
  | { kind: 'text'; buf: Buffer; starts: Int32Array; ends: Int32Array; stride: number; offset: number }
  | { kind: 'float'; values: Float64Array; valid: Uint8Array | null }
  | { kind: 'bigint'; values: BigInt64Array; valid: Uint8Array | null }
  /** Arrow timestamps: `unit` 0 s, 1 ms, 2 us, 3 ns; `utc` false for a zone-less (local) timestamp. */
  | { kind: 'timestamp'; values: BigInt64Array; unit: number; utc: boolean; valid: Uint8Array | null }
  | { kind: 'date'; days: Int32Array; valid: Uint8Array | null }
  | { kind: 'strings'; values: (string | null)[] };

export interface SourceBatch {
  rows: number;
  /** 1-based line (or row number) of each row, for reports. */
  lines: Float64Array;
  /** One entry per source column (by index). */
  columns: SourceColumnData[];
  /** CSV only: fields each row had, and the count expected. */
  fieldCounts?: Int32Array;
  expectedFields?: number;
  /** CSV only: rows whose quoted field never closed. */
  unterminated?: Uint8Array;
  /** Rows the source could not read at all (a malformed JSON line): the reason, else null. */
  errors?: (string | null)[];
}

/** Output rows of one batch; value column k is `values[k]` with `valid[k]` (1 = value, 0 = null; null array = all values). */
export interface ConvertedBatch {
  rows: number;
  /** UTC nanoseconds. */
  timestamps: BigInt64Array;
  /** The same instants as whole UTC seconds and nanoseconds, for cheap comparisons. */
  seconds: Float64Array;
  nanos: Int32Array;
  /** Trading date of each row (the instrument's rule), in days since 1970-01-01. */
  tradingDays: Int32Array;
  values: (Float64Array | (string | null)[])[];
  valid: (Uint8Array | null)[];
}

interface ConverterOptions {
  plan: ColumnPlan;
  notation: NumberNotation;
  /** Zone of naive local times. */
  zone: TimeZoneRules;
  calendar: TradingCalendar;
  gapPolicy: DstGapPolicy;
  repeatPolicy: DstRepeatPolicy;
  /** Source column names, for messages. */
  sourceNames: string[];
  maxBadRowsListed: number;
}

const UNIT_PER_SECOND = [1n, 1_000n, 1_000_000n, 1_000_000_000n];
const NANOS_PER_UNIT = [1_000_000_000n, 1_000_000n, 1_000n, 1n];

export class RowConverter {
  rowsRead = 0;
  rowsConverted = 0;
  badRowCount = 0;
  readonly badRows: BadRow[] = [];
  dstGaps = 0;
  dstRepeats = 0;
  /** Rows whose timestamp had no offset and was read in the zone (naive local times). */
  localTimes = 0;
  /** False once a row had a time of day (true while every timestamp was a date alone). */
  dateOnly = true;
  /** Per value column: false once an `auto` column saw a non-integral value. */
  readonly integral: boolean[];

  private readonly plan: ColumnPlan;
  private readonly numbers: NumberReader;
  private readonly dateTime = new DateTimeReader();
  private readonly epoch = new EpochReader();
  private readonly zone: TimeZoneRules;
  private readonly calendar: TradingCalendar;
  private readonly gapPolicy: DstGapPolicy;
  private readonly repeatPolicy: DstRepeatPolicy;
  private readonly names: string[];
  private readonly maxListed: number;
  private previousSecond = -Infinity;
  private readonly epochUnit: EpochUnit;
  // per-row results of the timestamp
  private second = 0;
  private nano = 0;
  private day = 0;
  private reason: string | null = null;

  constructor(options: ConverterOptions) {
    this.plan = options.plan;
    this.numbers = new NumberReader(options.notation.decimal, options.notation.thousands);
    this.zone = options.zone;
    this.calendar = options.calendar;
    this.gapPolicy = options.gapPolicy;
    this.repeatPolicy = options.repeatPolicy;
    this.names = options.sourceNames;
    this.maxListed = options.maxBadRowsListed;
    this.integral = options.plan.values.map((v) => v.kind === 'auto');
    this.epochUnit = options.plan.timestamp.kind === 'epoch' ? options.plan.timestamp.unit : 's';
  }

  /**
   * Converts one batch; bad rows are recorded and left out. The result's arrays are reused
   * by the next call: consume (copy) them first.
   */
  convert(batch: SourceBatch): ConvertedBatch {
    const n = batch.rows;
    const plan = this.plan;
    const valuePlans = plan.values;
    this.reserve(n);
    const timestamps = this.out.timestamps;
    const words = this.out.words;
    const seconds = this.out.seconds;
    const nanos = this.out.nanos;
    const tradingDays = this.out.tradingDays;
    const values: (Float64Array | (string | null)[])[] = valuePlans.map((v, k) => (v.kind === 'utf8' ? new Array<string | null>(n) : this.out.numbers[k]));
    const valid: Uint8Array[] = this.out.valid;
    const nullSeen: boolean[] = valuePlans.map(() => false);
    const columns = batch.columns;
    const expected = batch.expectedFields;
    const fieldCounts = batch.fieldCounts;
    const numbers = this.numbers;
    let out = 0;
    this.rowsRead += n;

    const errors = batch.errors;
    rows: for (let r = 0; r < n; r++) {
      if (errors && errors[r] !== null) {
        this.bad(batch.lines[r], errors[r] ?? 'unreadable row');
        continue;
      }
      if (batch.unterminated?.[r]) {
        this.bad(batch.lines[r], 'a quoted field is never closed');
        continue;
      }
      if (fieldCounts && expected !== undefined && fieldCounts[r] !== expected) {
        this.bad(batch.lines[r], `expected ${expected} fields, found ${fieldCounts[r]}`);
        continue;
      }
      if (!this.readTimestamp(columns, r)) {
        this.bad(batch.lines[r], this.reason ?? 'unreadable timestamp');
        continue;
      }
      for (let k = 0; k < valuePlans.length; k++) {
        const column = columns[valuePlans[k].source];
        const kind = valuePlans[k].kind;
        if (kind === 'utf8') {
          const text = textOf(column, r);
          (values[k] as (string | null)[])[out] = text;
          valid[k][out] = text === null ? 0 : 1;
          if (text === null) nullSeen[k] = true;
          continue;
        }
        let value = NaN;
        let status = NUMBER_OK;
        let integral = true;
        switch (column.kind) {
          case 'text': {
            const at = r * column.stride + column.offset;
            const start = column.starts[at];
            if (start < 0) {
              status = NUMBER_NULL;
              break;
            }
            value = numbers.read(column.buf, start, column.ends[at]);
            status = numbers.status;
            integral = numbers.integral;
            break;
          }
          case 'float':
            if (column.valid && !column.valid[r]) status = NUMBER_NULL;
            else {
              value = column.values[r];
              integral = Number.isInteger(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER;
            }
            break;
          case 'bigint':
            if (column.valid && !column.valid[r]) status = NUMBER_NULL;
            else {
              value = Number(column.values[r]);
              integral = Math.abs(value) <= Number.MAX_SAFE_INTEGER;
            }
            break;
          case 'strings': {
            const text = column.values[r];
            if (text === null) status = NUMBER_NULL;
            else {
              const bytes = Buffer.from(text);
              value = numbers.read(bytes, 0, bytes.length);
              status = numbers.status;
              integral = numbers.integral;
            }
            break;
          }
          default:
            status = NUMBER_INVALID;
        }
        if (status === NUMBER_INVALID) {
          this.bad(batch.lines[r], `unparseable number ${quoteField(column, r)} in column "${this.names[valuePlans[k].source]}"`);
          continue rows;
        }
        if (status === NUMBER_NULL) {
          nullSeen[k] = true;
          valid[k][out] = 0;
          continue;
        }
        (values[k] as Float64Array)[out] = value;
        valid[k][out] = 1;
        if (!integral && this.integral[k]) this.integral[k] = false;
      }
      writeEpochNanos(words, out, this.second, this.nano);
      seconds[out] = this.second;
      nanos[out] = this.nano;
      tradingDays[out] = this.day;
      this.previousSecond = this.second;
      out++;
    }
    this.rowsConverted += out;
    const trim = <T extends Float64Array | Int32Array | BigInt64Array | Uint8Array>(a: T): T => a.subarray(0, out) as T;
    return {
      rows: out,
      timestamps: trim(timestamps),
      seconds: trim(seconds),
      nanos: trim(nanos),
      tradingDays: trim(tradingDays),
      values: values.map((v) => (Array.isArray(v) ? (out === n ? v : v.slice(0, out)) : trim(v))),
      // values written for a row later found bad are overwritten by the next good row
      valid: valid.map((v, k) => (nullSeen[k] ? trim(v) : null)),
    };
  }

  /** Output arrays, reused from batch to batch (a batch is consumed before the next is converted). */
  private out = {
    capacity: 0,
    timestamps: new BigInt64Array(0),
    words: new Uint32Array(0),
    seconds: new Float64Array(0),
    nanos: new Int32Array(0),
    tradingDays: new Int32Array(0),
    numbers: [] as Float64Array[],
    valid: [] as Uint8Array[],
  };

  private reserve(rows: number): void {
    if (rows <= this.out.capacity) return;
    const capacity = Math.max(rows, 1024);
    const timestamps = new BigInt64Array(capacity);
    this.out = {
      capacity,
      timestamps,
      words: new Uint32Array(timestamps.buffer),
      seconds: new Float64Array(capacity),
      nanos: new Int32Array(capacity),
      tradingDays: new Int32Array(capacity),
      numbers: this.plan.values.map(() => new Float64Array(capacity)),
      valid: this.plan.values.map(() => new Uint8Array(capacity)),
    };
  }

  private bad(line: number, reason: string): void {
    this.badRowCount++;
    if (this.badRows.length < this.maxListed) this.badRows.push({ line, reason });
  }

  /** Reads row r's timestamp into second/nano/day; false (with `reason`) when it cannot. */
  private readTimestamp(columns: SourceColumnData[], r: number): boolean {
    const plan = this.plan.timestamp;
    const dt = this.dateTime;
    this.reason = null;
    switch (plan.kind) {
      case 'text': {
        const column = columns[plan.source];
        if (column.kind === 'text') {
          const at = r * column.stride + column.offset;
          const start = column.starts[at];
          if (start < 0 || !dt.parse(column.buf, start, column.ends[at])) return this.noTimestamp(column, r, plan.source);
        } else {
          // typed columns read as text: strings, or whole numbers such as 20240102
          const text = fieldBytes(column, r);
          if (!text || !dt.parse(text.buf, text.start, text.end)) return this.noTimestamp(column, r, plan.source);
        }
        return this.fromDateTime();
      }
      case 'epoch': {
        const column = columns[plan.source];
        let ok = false;
        if (column.kind === 'text') {
          const at = r * column.stride + column.offset;
          const start = column.starts[at];
          ok = start >= 0 && this.epoch.parse(column.buf, start, column.ends[at], plan.unit);
        } else if (column.kind === 'bigint') {
          if (!column.valid || column.valid[r]) return this.fromBigInt(column.values[r], unitIndex(plan.unit), true);
        } else if (column.kind === 'float') {
          if (!column.valid || column.valid[r]) {
            const text = String(column.values[r]);
            const bytes = Buffer.from(text);
            ok = !/e/i.test(text) && this.epoch.parse(bytes, 0, bytes.length, plan.unit);
          }
        } else if (column.kind === 'strings' && column.values[r] !== null) {
          const bytes = Buffer.from(column.values[r] ?? '');
          ok = this.epoch.parse(bytes, 0, bytes.length, plan.unit);
        }
        if (!ok) return this.noTimestamp(column, r, plan.source, ` (epoch ${this.epochUnit})`);
        return this.fromUtc(this.epoch.seconds, this.epoch.nanos);
      }
      case 'split': {
        const dateColumn = columns[plan.date];
        const timeColumn = columns[plan.time];
        let days: number;
        if (dateColumn.kind === 'date') {
          if (dateColumn.valid && !dateColumn.valid[r]) return this.noTimestamp(dateColumn, r, plan.date);
          days = dateColumn.days[r];
        } else {
          const dateText = fieldBytes(dateColumn, r);
          if (!dateText || !dt.parseDate(dateText.buf, dateText.start, dateText.end)) return this.noTimestamp(dateColumn, r, plan.date);
          days = dt.days;
        }
        const timeText = fieldBytes(timeColumn, r);
        if (!timeText || isBlank(timeText.buf, timeText.start, timeText.end)) {
          dt.dateOnly = true;
          dt.days = days;
          dt.seconds = 0;
          dt.nanos = 0;
          dt.hasOffset = false;
          return this.fromDateTime();
        }
        if (!dt.parseTime(timeText.buf, timeText.start, timeText.end)) return this.noTimestamp(timeColumn, r, plan.time);
        dt.days = days;
        dt.dateOnly = false;
        dt.hasOffset = false;
        return this.fromDateTime();
      }
      case 'typed': {
        const column = columns[plan.source];
        if (column.kind === 'timestamp') {
          if (column.valid && !column.valid[r]) return this.noTimestamp(column, r, plan.source);
          return this.fromBigInt(column.values[r], column.unit, column.utc);
        }
        if (column.kind === 'date') {
          if (column.valid && !column.valid[r]) return this.noTimestamp(column, r, plan.source);
          dt.days = column.days[r];
          dt.seconds = 0;
          dt.nanos = 0;
          dt.dateOnly = true;
          dt.hasOffset = false;
          return this.fromDateTime();
        }
        return this.noTimestamp(column, r, plan.source);
      }
    }
  }

  private noTimestamp(column: SourceColumnData, r: number, source: number, suffix = ''): boolean {
    const text = quoteField(column, r);
    this.reason = text === 'null' || text === '""' ? `missing timestamp in column "${this.names[source]}"` : `unparseable timestamp ${text}${suffix} in column "${this.names[source]}"`;
    return false;
  }

  /** Finishes a parsed date-time: a date alone is a daily bar; an offset gives UTC; otherwise the zone does. */
  private fromDateTime(): boolean {
    const dt = this.dateTime;
    if (dt.dateOnly) {
      const second = dt.days * DAY;
      if (second > MAX_EPOCH_SECONDS || second < MIN_EPOCH_SECONDS) return this.outOfRange();
      this.second = second;
      this.nano = 0;
      this.day = dt.days;
      return true;
    }
    if (this.dateOnly) this.dateOnly = false;
    const local = dt.days * DAY + dt.seconds;
    if (dt.hasOffset) return this.fromUtc(local - dt.offset, dt.nanos);
    return this.fromLocal(local, dt.nanos);
  }

  private fromLocal(local: number, nano: number): boolean {
    this.localTimes++;
    const zone = this.zone;
    zone.resolveLocal(local);
    let second = zone.utc;
    if (zone.kind === LOCAL_GAP) {
      this.dstGaps++;
      if (this.gapPolicy === 'reject') {
        this.reason = `local time ${formatLocalSeconds(local)} does not exist in ${zone.zone} (clocks jumped forward)`;
        return false;
      }
    } else if (zone.kind === LOCAL_REPEAT) {
      this.dstRepeats++;
      switch (this.repeatPolicy) {
        case 'reject':
          this.reason = `local time ${formatLocalSeconds(local)} happened twice in ${zone.zone} (clocks went back)`;
          return false;
        case 'later':
          second = zone.later;
          break;
        case 'infer':
          // the second pass over the repeated hour: the earlier instant would step back
          if (zone.utc < this.previousSecond && zone.later >= this.previousSecond) second = zone.later;
          break;
        default:
          break;
      }
    }
    if (this.dateOnly) this.dateOnly = false;
    return this.fromUtc(second, nano);
  }

  private fromUtc(second: number, nano: number): boolean {
    if (second > MAX_EPOCH_SECONDS || second < MIN_EPOCH_SECONDS) return this.outOfRange();
    if (this.dateOnly) this.dateOnly = false;
    this.second = second;
    this.nano = nano;
    this.day = this.calendar.tradingDay(second);
    return true;
  }

  private fromBigInt(value: bigint, unit: number, utc: boolean): boolean {
    const perSecond = UNIT_PER_SECOND[unit];
    let second = value / perSecond;
    let rest = value % perSecond;
    if (rest < 0n) {
      rest += perSecond;
      second -= 1n;
    }
    const seconds = Number(second);
    const nano = Number(rest * NANOS_PER_UNIT[unit]);
    if (!utc) return this.fromLocal(seconds, nano);
    return this.fromUtc(seconds, nano);
  }

  private outOfRange(): boolean {
    this.reason = 'timestamp outside the range of int64 nanoseconds (1677-09-21 to 2262-04-11)';
    return false;
  }
}

function unitIndex(unit: EpochUnit): number {
  return unit === 's' ? 0 : unit === 'ms' ? 1 : unit === 'us' ? 2 : 3;
}

function isBlank(buf: Uint8Array, start: number, end: number): boolean {
  for (let k = start; k < end; k++) if (buf[k] !== 32 && buf[k] !== 9) return false;
  return true;
}

function fieldBytes(column: SourceColumnData, r: number): { buf: Uint8Array; start: number; end: number } | null {
  if (column.kind === 'text') {
    const at = r * column.stride + column.offset;
    const start = column.starts[at];
    return start < 0 ? null : { buf: column.buf, start, end: column.ends[at] };
  }
  if (column.kind === 'strings') {
    const text = column.values[r];
    if (text === null) return null;
    const buf = Buffer.from(text);
    return { buf, start: 0, end: buf.length };
  }
  if (column.kind === 'bigint' || column.kind === 'float') {
    if (column.valid && !column.valid[r]) return null;
    const buf = Buffer.from(String(column.values[r]));
    return { buf, start: 0, end: buf.length };
  }
  return null;
}

/** Row r of a column as text (null for a missing value). */
function textOf(column: SourceColumnData, r: number): string | null {
  switch (column.kind) {
    case 'text': {
      const at = r * column.stride + column.offset;
      const start = column.starts[at];
      return start < 0 ? null : column.buf.toString('utf8', start, column.ends[at]);
    }
    case 'strings':
      return column.values[r];
    case 'float':
    case 'bigint':
      return column.valid && !column.valid[r] ? null : String(column.values[r]);
    case 'timestamp':
      return column.valid && !column.valid[r] ? null : epochToIso(column.values[r], column.unit);
    case 'date':
      return column.valid && !column.valid[r] ? null : daysToDate(column.days[r]);
  }
}

/** A field as a short quoted string for messages. */
function quoteField(column: SourceColumnData, r: number): string {
  const text = textOf(column, r);
  if (text === null) return 'null';
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}
