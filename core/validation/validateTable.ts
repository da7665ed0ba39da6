import { Type, type DataType, type Table } from 'apache-arrow';
import { columnTypes, timestampColumnOf, type DataSchema, type RuleName, type RuleSettings, type Severity } from '../schema/dataSchema.js';
import { floatColumn, int64Words, nullRows, timestampColumn, validityOf, type FloatColumn, type TimestampColumn } from './columnData.js';
import { genericInstrument, InstrumentRegistry } from '../instruments/instrumentRegistry.js';
import type { Instrument } from '../instruments/instrumentSchema.js';
import type { SessionCalendarEntry } from '../time/cmeCalendar.js';
import { enforceSchema, isNumberColumn } from './schemaEnforcement.js';
import {
  inferIntervalSeconds,
  negativeInt64Rows,
  negativeRows,
  nonFiniteRows,
  nonPositiveRows,
  scanOhlc,
  priceSpikeRows,
  sessionGapRows,
  stalePriceRows,
  timestampOrderRows,
  type RowOrder,
} from './tradingRules.js';
import { collectingEveryRow, currentRowLimit, RowCollector, type EnforcementMode, type QualityMetrics, type ValidationIssue, type ValidationReport } from './issueRows.js';

const DEFAULT_SEVERITY: Record<RuleName, Severity> = {
  required_column: 'error',
  type: 'error',
  null_required: 'error',
  finite_values: 'error',
  positive_price: 'error',
  ohlc_consistency: 'error',
  non_negative_volume: 'error',
  unique_timestamp: 'error',
  sorted_timestamp: 'error',
  session_gap: 'warning',
  price_spike: 'warning',
  stale_price: 'warning',
  constraints: 'error',
};

const PRICE_COLUMNS = ['open', 'high', 'low', 'close'];

export interface ValidateOptions {
  mode?: EnforcementMode;
  /** Zone for naive timestamps and zone-less text in coerce mode (default: the schema's exchange zone). */
  timezone?: string;
  /** What the report names as its target (a path or dataset name). */
  target?: string;
  /**
   * The instrument whose session template and holidays `session_gap` uses for every row
   * (default: resolved per asset with `instrumentOf`).
   */
  instrument?: Instrument;
  /**
   * Resolves an asset — the `asset` column's value, the rule's `instrument` setting, or null
   * when neither exists — to its instrument. Default: the built-in instruments, else the
   * generic CME Globex fallback. Hosts with a store pass `(a) => instrumentFor(store, a)`.
   */
  instrumentOf?: (asset: string | null) => Instrument;
}

export interface ValidationResult {
  report: ValidationReport;
  /** The table after enforcement (normalised or coerced columns), as the rules saw it. */
  table: Table;
}

/** The instrument session_gap uses for one asset's rows: explicit, named by the rule, or by the asset. */
function gapInstrument(schema: DataSchema, settings: RuleSettings, options: ValidateOptions, asset: string | null, builtIns: InstrumentRegistry): Instrument {
  if (options.instrument) return options.instrument;
  const name = settings.instrument ?? asset;
  const found = options.instrumentOf ? options.instrumentOf(name) : ((name === null ? null : builtIns.find(name)) ?? genericInstrument(name, schema.exchangeTimezone));
  // the generic fallback keeps the schema's exchange zone, as session_gap always did
  return found.source === 'fallback' && found.session.timeZone !== schema.exchangeTimezone ? genericInstrument(name, schema.exchangeTimezone) : found;
}

/** The asset a store path names: `raw/{ASSET}/…` or `cleaned/vN/{ASSET}/…`, also inside an absolute path. */
function assetFromTarget(target: string | undefined): string | null {
  const match = target ? /(?:^|[\\/])(?:raw|cleaned[\\/]v\d+)[\\/]([^\\/]+)(?:[\\/]|$)/.exec(target) : null;
  return match ? match[1] : null;
}

/** Merges several collectors of one rule (one per instrument) into one, rows in order. */
function merge(collectors: RowCollector[]): RowCollector {
  if (collectors.length === 1) return collectors[0];
  const out = new RowCollector();
  const rows = collectors.flatMap((c) => c.rows).sort((a, b) => a - b).slice(0, currentRowLimit());
  out.count = collectors.reduce((sum, c) => sum + c.count, 0);
  out.rows.push(...rows);
  return out;
}

/** What a rule found: the count, and the first rows (positions in the whole target). */
interface Found {
  count: number;
  rows: number[];
}

/** A rule's findings over many chunks: counts summed, rows shifted to the whole target's positions. */
class FoundAcross implements Found {
  count = 0;
  readonly rows: number[] = [];
  constructor(private readonly limit: number) {}

  addChunk(found: Found, offset: number): void {
    this.count += found.count;
    for (const row of found.rows) {
      if (this.rows.length >= this.limit) break;
      this.rows.push(row + offset);
    }
  }
}

/** A typed array that grows as chunks arrive (the columns the order rules need whole). */
class Growing<T extends BigInt64Array | Float64Array | Uint8Array | Int32Array> {
  length = 0;
  constructor(
    public data: T,
    private readonly make: (n: number) => T,
  ) {}

  append(values: T, count: number): void {
    this.reserve(this.length + count);
    (this.data as unknown as { set(a: ArrayLike<unknown>, at: number): void }).set(values.subarray(0, count), this.length);
    this.length += count;
  }

  reserve(n: number): void {
    if (n <= this.data.length) return;
    const next = this.make(Math.max(n, Math.ceil(this.data.length * 1.5), 1024));
    (next as unknown as { set(a: ArrayLike<unknown>): void }).set(this.data.subarray(0, this.length));
    this.data = next;
  }

  view(): T {
    return this.data.subarray(0, this.length) as T;
  }
}

/** A column's validity over the chunks: null until a value is missing, then one byte a row. */
class GrowingValidity {
  private valid: Growing<Uint8Array> | null = null;
  private rows = 0;
  nullCount = 0;
  constructor(private readonly expected: number) {}

  append(valid: Uint8Array | null, count: number, nullCount: number): void {
    if (valid && !this.valid) {
      this.valid = new Growing(new Uint8Array(Math.max(this.expected, this.rows + count)), (n) => new Uint8Array(n));
      this.valid.reserve(this.rows);
      this.valid.data.fill(1, 0, this.rows);
      this.valid.length = this.rows;
    }
    if (this.valid) {
      if (valid) this.valid.append(valid, count);
      else {
        this.valid.reserve(this.valid.length + count);
        this.valid.data.fill(1, this.valid.length, this.valid.length + count);
        this.valid.length += count;
      }
    }
    this.rows += count;
    this.nullCount += nullCount;
  }

  view(): Uint8Array | null {
    return this.valid ? this.valid.view() : null;
  }
}

/** The rows of one instrument (a value of the `asset` column) across chunks. */
interface Group {
  /** the asset of its first row */
  first: unknown;
  rows: Growing<Int32Array> | null;
}

/** What a report is made of: every row pushed (`finish`), or those without some (`finishWithout`). */
interface ReportInput {
  rows: number;
  target: string | undefined;
  enforcementErrors: ValidationIssue[];
  enforcementWarnings: ValidationIssue[];
  /** a row-local rule's findings, by key (`ohlc_consistency`, `finite_values:open`, …) */
  found: (key: string) => Found;
  ts: TimestampColumn | null;
  close: FloatColumn | null;
  nullCounts: Record<string, number>;
  present: Record<string, number>;
}

type IssueAdder = (rule: RuleName, code: string, found: Found, message: string, column?: string, details?: Record<string, unknown>) => void;

interface TableValidatorOptions extends ValidateOptions {
  /** keep every offending row in the issues, not only the first 100 (cleaning needs them) */
  everyRow?: boolean;
  /** rows expected in all (sizes the columns kept whole at once; a hint, not a limit) */
  expectedRows?: number;
}

/**
 * Validates a table that arrives in chunks (consecutive rows, in order), with the same report
 * as the whole table at once: `validateTable` is this with one chunk. Row-local rules (nulls,
 * finite and positive prices, OHLC, volume, value constraints) run on each chunk and keep
 * only their counts and first rows; the rules that follow the rows in time (order and repeats
 * of timestamps, session gaps, price spikes, stale prices) need the rows before the chunk, so
 * the timestamp and close columns are kept whole as flat arrays (8 bytes a row each, and 4 a
 * row for the rows of each instrument when an `asset` column names several), and those rules
 * run over them at the end, exactly as over the whole table. Every other column is let go
 * with its chunk. The `unique` constraint carries its set of values seen.
 *
 * Coerce mode converts whole columns (a value that cannot be converted keeps the whole
 * column unconverted), so it is only exact over one chunk: callers give it the whole table.
 */
export class TableValidator {
  private readonly mode: EnforcementMode;
  private readonly limit: number;
  private readonly tsName: string | null;
  private rows = 0;
  private chunks = 0;
  private enforcementErrors: (ValidationIssue & { across: FoundAcross })[] = [];
  private enforcementWarnings: (ValidationIssue & { across: FoundAcross })[] = [];
  private readonly coercions: ValidationReport['coercions'] = {};
  private readonly nullCounts: Record<string, number> = {};
  private readonly present: Record<string, number> = {};
  private readonly found = new Map<string, FoundAcross>();
  private readonly uniqueSeen = new Map<string, Set<unknown>>();
  private ts: { ns: Growing<BigInt64Array>; valid: GrowingValidity } | null = null;
  private tsIsTimestamp = false;
  private close: { values: Growing<Float64Array>; valid: GrowingValidity } | null = null;
  private groups: Map<unknown, Group> | null = null;

  constructor(
    private readonly schema: DataSchema,
    private readonly options: TableValidatorOptions = {},
  ) {
    this.mode = options.mode ?? 'strict';
    this.limit = options.everyRow ? Number.MAX_SAFE_INTEGER : currentRowLimit();
    this.tsName = timestampColumnOf(schema);
  }

  private settings(rule: RuleName): RuleSettings | null {
    const s = this.schema.rules[rule];
    return s && s.enabled !== false ? s : null;
  }

  private across(key: string): FoundAcross {
    let found = this.found.get(key);
    if (!found) {
      found = new FoundAcross(this.limit);
      this.found.set(key, found);
    }
    return found;
  }

  /** Validates the next rows; answers them as the rules saw them (normalised or coerced columns). */
  push(table: Table): Table {
    return this.options.everyRow ? collectingEveryRow(() => this.pushChunk(table)) : this.pushChunk(table);
  }

  private pushChunk(table: Table): Table {
    const schema = this.schema;
    const offset = this.rows;
    const enforced = enforceSchema(table, schema, { mode: this.mode, timezone: this.options.timezone });
    const data = enforced.table;
    const n = data.numRows;
    this.mergeEnforcement(enforced.errors, this.enforcementErrors, offset, this.chunks === 0);
    this.mergeEnforcement(enforced.warnings, this.enforcementWarnings, offset, this.chunks === 0);
    for (const [column, c] of Object.entries(enforced.coercions)) {
      const seen = this.coercions[column];
      this.coercions[column] = seen ? { ...seen, count: seen.count + c.count } : { ...c };
    }
    const settings = (rule: RuleName) => this.settings(rule);
    const numeric = new Map<string, FloatColumn>();
    const numericColumn = (name: string): FloatColumn | null => {
      if (numeric.has(name)) return numeric.get(name) ?? null;
      const vector = data.getChild(name);
      const column = vector && isNumberColumn(vector) ? floatColumn(vector) : null;
      if (column) numeric.set(name, column);
      return column;
    };

    for (const column of schema.columns) {
      const vector = data.getChild(column.name);
      if (!vector) continue;
      this.nullCounts[column.name] = (this.nullCounts[column.name] ?? 0) + vector.nullCount;
      this.present[column.name] = (this.present[column.name] ?? 0) + (n - vector.nullCount);
    }

    if (settings('null_required')) {
      for (const column of schema.columns) {
        const vector = data.getChild(column.name);
        if (column.nullable || !vector || vector.nullCount === 0) continue;
        const valid = new Uint8Array(n);
        for (let i = 0; i < n; i++) valid[i] = vector.isValid(i) ? 1 : 0;
        this.across(`null_required:${column.name}`).addChunk(nullRows(valid, this.limit), offset);
      }
    }

    const prices = PRICE_COLUMNS.map(numericColumn);
    const [open, high, low, close] = prices;
    const scan = open && high && low && close ? scanOhlc(open, high, low, close) : null;

    if (settings('finite_values')) {
      for (const column of schema.columns) {
        if (!columnTypes(column).some((t) => t === 'float64' || t === 'float32')) continue;
        const priceIndex = PRICE_COLUMNS.indexOf(column.name);
        const vector = data.getChild(column.name);
        // integers are always finite: only columns stored as floats can hold NaN or ±Infinity
        if (!vector || (vector.type as DataType).typeId !== Type.Float) continue;
        const values = numericColumn(column.name);
        if (!values) continue;
        this.across(`finite_values:${column.name}`).addChunk(scan && priceIndex >= 0 ? scan.nonFinite[priceIndex] : nonFiniteRows(values), offset);
      }
    }

    if (settings('positive_price')) {
      PRICE_COLUMNS.forEach((name, k) => {
        const values = prices[k];
        if (!values) return;
        this.across(`positive_price:${name}`).addChunk(scan ? scan.nonPositive[k] : nonPositiveRows(values), offset);
      });
    }

    if (settings('ohlc_consistency') && scan) this.across('ohlc_consistency').addChunk(scan.inconsistent, offset);

    if (settings('non_negative_volume')) {
      const vector = data.getChild('volume');
      const words = vector && (vector.type as DataType).typeId === Type.Int ? int64Words(vector) : null;
      const volume = words ? null : numericColumn('volume');
      if (words || volume) this.across('non_negative_volume').addChunk(words && vector ? negativeInt64Rows(words, validityOf(vector)) : negativeRows(volume as FloatColumn), offset);
    }

    // the columns the order rules need, kept whole
    const tsVector = this.tsName ? data.getChild(this.tsName) : null;
    if (this.chunks === 0) this.tsIsTimestamp = tsVector !== null && (tsVector.type as DataType).typeId === Type.Timestamp;
    if (this.tsIsTimestamp && tsVector) {
      const column = timestampColumn(tsVector);
      const expected = Math.max(this.options.expectedRows ?? 0, n);
      this.ts ??= { ns: new Growing(new BigInt64Array(expected), (k) => new BigInt64Array(k)), valid: new GrowingValidity(expected) };
      this.ts.ns.append(column.ns, n);
      this.ts.valid.append(column.valid, n, column.nullCount);
    }
    if (close && (settings('price_spike') || settings('stale_price'))) {
      const expected = Math.max(this.options.expectedRows ?? 0, n);
      this.close ??= { values: new Growing(new Float64Array(expected), (k) => new Float64Array(k)), valid: new GrowingValidity(expected) };
      this.close.values.append(close.values, n);
      this.close.valid.append(close.valid, n, close.nullCount);
    }
    this.groupRows(data, offset);

    if (settings('constraints')) this.checkConstraintsChunk(data, offset);
    this.rows += n;
    this.chunks++;
    return data;
  }

  /** Same findings of every chunk (the same columns and types) become one, counts summed. */
  private mergeEnforcement(issues: ValidationIssue[], into: (ValidationIssue & { across: FoundAcross })[], offset: number, first: boolean): void {
    issues.forEach((issue) => {
      const seen = first ? undefined : into.find((e) => e.rule === issue.rule && e.code === issue.code && e.column === issue.column);
      if (seen) {
        seen.across.addChunk(issue, offset);
        return;
      }
      const across = new FoundAcross(this.limit);
      across.addChunk(issue, offset);
      into.push({ ...issue, across });
    });
  }

  /** Rows of each instrument, when an `asset` column tells several apart (the rows are only kept once a second one appears). */
  private groupRows(data: Table, offset: number): void {
    const asset = data.getChild('asset');
    if (!asset) return;
    this.groups ??= new Map();
    const groups = this.groups;
    for (let i = 0; i < data.numRows; i++) {
      const key: unknown = asset.get(i);
      let group = groups.get(key);
      if (!group) {
        group = { first: key, rows: null };
        if (groups.size === 1) {
          // a second instrument: the rows so far were all the first one's
          const [only] = groups.values();
          only.rows = new Growing(new Int32Array(Math.max(1024, offset + i)), (k) => new Int32Array(k));
          for (let r = 0; r < offset + i; r++) only.rows.data[r] = r;
          only.rows.length = offset + i;
        }
        if (groups.size >= 1) group.rows = new Growing(new Int32Array(1024), (k) => new Int32Array(k));
        groups.set(key, group);
      }
      if (group.rows) {
        group.rows.reserve(group.rows.length + 1);
        group.rows.data[group.rows.length++] = offset + i;
      }
    }
  }

  private checkConstraintsChunk(data: Table, offset: number): void {
    for (const column of this.schema.columns) {
      const c = column.constraints;
      const vector = data.getChild(column.name);
      if (!c || !vector) continue;
      if (c.min !== undefined || c.max !== undefined) {
        const values = isNumberColumn(vector) ? floatColumn(vector) : null;
        if (values) {
          const found = new RowCollector();
          const min = c.min ?? -Infinity;
          const max = c.max ?? Infinity;
          for (let i = 0; i < values.values.length; i++) {
            const v = values.values[i];
            if ((v < min || v > max) && (values.valid === null || values.valid[i] === 1)) found.add(i);
          }
          this.across(`constraints:range:${column.name}`).addChunk(found, offset);
        }
      }
      if (c.enum) {
        const allowed = new Set<unknown>(c.enum);
        const found = new RowCollector();
        for (let i = 0; i < vector.length; i++) if (vector.isValid(i) && !allowed.has(vector.get(i))) found.add(i);
        this.across(`constraints:enum:${column.name}`).addChunk(found, offset);
      }
      if (c.unique) {
        let seen = this.uniqueSeen.get(column.name);
        if (!seen) {
          seen = new Set<unknown>();
          this.uniqueSeen.set(column.name, seen);
        }
        const found = new RowCollector();
        for (let i = 0; i < vector.length; i++) {
          if (!vector.isValid(i)) continue;
          const value: unknown = vector.get(i);
          if (seen.has(value)) found.add(i);
          else seen.add(value);
        }
        this.across(`constraints:unique:${column.name}`).addChunk(found, offset);
      }
    }
  }

  /** The report over every row pushed. */
  finish(): ValidationReport {
    return this.options.everyRow ? collectingEveryRow(() => this.report(this.wholeInput())) : this.report(this.wholeInput());
  }

  /** Every row pushed, as `report` takes them. */
  private wholeInput(): ReportInput {
    const finalIssue = (issue: ValidationIssue & { across: FoundAcross }): ValidationIssue => {
      const { across, ...rest } = issue;
      const merged = { ...rest, count: across.count, rows: across.rows };
      // the one enforcement message that counts its rows
      if (merged.code === 'DATA_TYPE_VALIDATION' && this.chunks > 1) {
        const details = merged.details as { expected?: string; found?: string } | undefined;
        merged.message = `${merged.count} value(s) of column "${merged.column ?? ''}" (${details?.found ?? '?'}) cannot be converted to ${details?.expected ?? '?'}; first at row ${merged.rows[0]}`;
      }
      return merged;
    };
    let ts: TimestampColumn | null = null;
    if (this.ts) {
      const ns = this.ts.ns.view();
      ts = { ns, words: new Int32Array(ns.buffer, ns.byteOffset, ns.length * 2), valid: this.ts.valid.view(), nullCount: this.ts.valid.nullCount };
    }
    return {
      rows: this.rows,
      target: this.options.target,
      enforcementErrors: this.enforcementErrors.map(finalIssue),
      enforcementWarnings: this.enforcementWarnings.map(finalIssue),
      found: (key) => this.found.get(key) ?? { count: 0, rows: [] },
      ts,
      close: this.close ? { values: this.close.values.view(), valid: this.close.valid.view(), nullCount: this.close.valid.nullCount } : null,
      nullCounts: { ...this.nullCounts },
      present: this.present,
    };
  }

  /**
   * The report `finish` gives for the rows pushed without those marked in `skip` (1 a row, in
   * push order), the others in their order, under the target `target`: what validating the
   * rows a promotion writes gives when cleaning only left rows out, computed from what the
   * validator kept instead of reading them back. The rules that follow rows in time (order,
   * repeats, session gaps, spikes, stale prices) run again over the kept timestamp and close
   * columns without those rows; the row-local findings lose those rows and are renumbered.
   * Null when that is not exact from what was kept: findings not kept whole (a validator
   * without `everyRow`), an enforcement finding of some rows only, conversions, nulls, several
   * instruments (an `asset` column), or a `unique` constraint (which value comes first would
   * change). Call it after `finish`: it compacts the kept columns in place, and the validator
   * takes no more rows.
   */
  finishWithout(skip: Uint8Array, target: string): ValidationReport | null {
    const n = this.rows;
    if (skip.length !== n || this.groups !== null || Object.keys(this.coercions).length > 0) return null;
    if (this.schema.columns.some((c) => c.constraints?.unique)) return null;
    if (Object.values(this.nullCounts).some((count) => count > 0) || Object.values(this.present).some((count) => count !== n)) return null;
    const enforcement = [...this.enforcementErrors, ...this.enforcementWarnings];
    if (enforcement.some((issue) => issue.across.rows.length > 0 || issue.across.count !== n)) return null;
    if ([...this.found.values()].some((found) => found.rows.length !== found.count)) return null;
    let skipped = 0;
    for (let i = 0; i < n; i++) skipped += skip[i];
    const kept = n - skipped;
    const limit = currentRowLimit();
    const found = new Map<string, Found>();
    for (const [key, all] of this.found) {
      const out: Found = { count: 0, rows: [] };
      // rows ascending: the skipped rows before each one counted as the walk goes
      let before = 0;
      let at = 0;
      for (const row of all.rows) {
        for (; at < row; at++) before += skip[at];
        if (skip[row] === 1) continue;
        out.count++;
        if (out.rows.length < limit) out.rows.push(row - before);
      }
      found.set(key, out);
    }
    const compact = <T extends BigInt64Array | Float64Array | Uint8Array>(values: T): T => {
      let k = 0;
      for (let i = 0; i < n; i++) if (skip[i] === 0) values[k++] = values[i];
      return values.subarray(0, kept) as T;
    };
    let ts: TimestampColumn | null = null;
    if (this.ts) {
      const ns = compact(this.ts.ns.view());
      const valid = this.ts.valid.view();
      ts = { ns, words: new Int32Array(ns.buffer, ns.byteOffset, ns.length * 2), valid: valid ? compact(valid) : null, nullCount: 0 };
    }
    let close: FloatColumn | null = null;
    if (this.close) {
      const valid = this.close.valid.view();
      close = { values: compact(this.close.values.view()), valid: valid ? compact(valid) : null, nullCount: 0 };
    }
    this.ts = null;
    this.close = null;
    const columnIssue = (issue: ValidationIssue & { across: FoundAcross }): ValidationIssue => {
      const { across: _across, ...rest } = issue;
      return { ...rest, count: kept, rows: [] };
    };
    const present = Object.fromEntries(Object.keys(this.present).map((name) => [name, kept]));
    return this.report({
      rows: kept,
      target,
      enforcementErrors: this.enforcementErrors.map(columnIssue),
      enforcementWarnings: this.enforcementWarnings.map(columnIssue),
      found: (key) => found.get(key) ?? { count: 0, rows: [] },
      ts,
      close,
      nullCounts: { ...this.nullCounts },
      present,
    });
  }

  private report(input: ReportInput): ValidationReport {
    const schema = this.schema;
    const options = this.options;
    const n = input.rows;
    const settings = (rule: RuleName) => this.settings(rule);
    const errors: ValidationIssue[] = [...input.enforcementErrors];
    const warnings: ValidationIssue[] = [...input.enforcementWarnings];
    const add: IssueAdder = (rule, code, found, message, column, details) => {
      if (found.count === 0) return;
      const severity = settings(rule)?.severity ?? DEFAULT_SEVERITY[rule];
      const entry: ValidationIssue = { rule, code, ...(column === undefined ? {} : { column }), count: found.count, rows: found.rows, message, severity, ...(details ? { details } : {}) };
      (severity === 'error' ? errors : warnings).push(entry);
    };
    const get = input.found;

    if (settings('null_required')) {
      for (const column of schema.columns) {
        const found = get(`null_required:${column.name}`);
        add('null_required', 'NULL_IN_REQUIRED', found, `${found.count} null value(s) in non-nullable column "${column.name}"; first at row ${found.rows[0]}`, column.name);
      }
    }
    if (settings('finite_values')) {
      for (const column of schema.columns) {
        const found = get(`finite_values:${column.name}`);
        add('finite_values', 'NON_FINITE', found, `${found.count} NaN or infinite value(s) in "${column.name}"; first at row ${found.rows[0]}`, column.name);
      }
    }
    if (settings('positive_price')) {
      for (const name of PRICE_COLUMNS) {
        const found = get(`positive_price:${name}`);
        add('positive_price', 'NON_POSITIVE_PRICE', found, `${found.count} price(s) ≤ 0 in "${name}"; first at row ${found.rows[0]}`, name);
      }
    }
    if (settings('ohlc_consistency')) {
      const found = get('ohlc_consistency');
      add('ohlc_consistency', 'OHLC_INCONSISTENT', found, `${found.count} bar(s) where high < max(open, close), low > min(open, close) or high < low; first at row ${found.rows[0]}`);
    }
    if (settings('non_negative_volume')) {
      const found = get('non_negative_volume');
      add('non_negative_volume', 'NEGATIVE_VOLUME', found, `${found.count} negative volume(s); first at row ${found.rows[0]}`, 'volume');
    }

    const groups = this.groups ? [...this.groups.values()] : [];
    const orders: RowOrder[] = groups.length <= 1 ? [null] : groups.map((g) => (g.rows as Growing<Int32Array>).view());
    const assetOf = (k: number): string | null => {
      const value = groups.length === 0 ? null : groups[k].first;
      return typeof value === 'string' && value !== '' ? value : assetFromTarget(input.target);
    };

    let duplicateTimestamps = 0;
    let gapCount = 0;
    let missingBars = 0;
    let barIntervalSeconds: number | null = null;
    const tsName = this.tsName;
    const ts = input.ts;
    if (tsName && ts) {
      const ordering = orders.map((order) => timestampOrderRows(ts, order));
      const unsorted = ordering.map((o) => o.unsorted);
      const sortedOrders = unsorted.map((u) => u.count === 0);
      if (settings('sorted_timestamp')) {
        const found = merge(unsorted);
        add('sorted_timestamp', 'UNSORTED_TIMESTAMP', found, `${found.count} row(s) earlier than the row before them; first at row ${found.rows[0]}`, tsName);
      }
      const duplicates = merge(ordering.map((o) => o.duplicates));
      duplicateTimestamps = duplicates.count;
      if (settings('unique_timestamp')) {
        add('unique_timestamp', 'DUPLICATE_TIMESTAMP', duplicates, `${duplicates.count} row(s) repeat an earlier timestamp; first at row ${duplicates.rows[0]}`, tsName);
      }
      const gapSettings = settings('session_gap');
      if (gapSettings) {
        const gapRows: RowCollector[] = [];
        const gaps: unknown[] = [];
        const sessionsUsed: { asset: string | null; instrument: string; session: string; calendar: string; source: string }[] = [];
        const builtIns = new InstrumentRegistry(null);
        orders.forEach((order, k) => {
          if (!sortedOrders[k]) return;
          const interval = gapSettings.intervalSeconds ?? inferIntervalSeconds(ts, order);
          if (interval === null) return;
          barIntervalSeconds ??= interval;
          const asset = assetOf(k);
          const instrument = gapInstrument(schema, gapSettings, options, asset, builtIns);
          sessionsUsed.push({ asset, instrument: instrument.symbol, session: instrument.session.id, calendar: instrument.session.calendar, source: instrument.source });
          const result = sessionGapRows(ts, order, {
            intervalSeconds: interval,
            calendar: gapSettings.calendar ?? 'cme_globex',
            // the instrument's own entries first, so the schema's entries win on the same date
            sessionCalendar: [...(instrument.holidays as SessionCalendarEntry[]), ...(gapSettings.sessionCalendar ?? [])],
            timeZone: instrument.session.timeZone,
            session: instrument.session,
          });
          gapRows.push(result.rows);
          missingBars += result.missingBars;
          gaps.push(...result.gaps);
        });
        if (gapRows.length > 0) {
          const found = merge(gapRows);
          gapCount = found.count;
          add('session_gap', 'SESSION_GAP', found, `${found.count} gap(s) inside trading hours, ${missingBars} missing bar(s); first before row ${found.rows[0]}`, tsName, {
            missingBars,
            barIntervalSeconds,
            gaps: gaps.slice(0, 20),
            instruments: sessionsUsed,
          });
        }
      }
    }

    const close = input.close;
    const spikeSettings = settings('price_spike');
    if (spikeSettings && close) {
      const window = spikeSettings.window ?? 100;
      const threshold = spikeSettings.threshold ?? 10;
      const found = merge(orders.map((order) => priceSpikeRows(close, order, window, threshold)));
      add('price_spike', 'PRICE_SPIKE', found, `${found.count} close(s) jump more than ${threshold} robust standard deviations from their neighbours; first at row ${found.rows[0]}`, 'close', {
        window,
        threshold,
      });
    }
    const staleSettings = settings('stale_price');
    if (staleSettings && close) {
      const maxRun = staleSettings.maxRun ?? 30;
      const results = orders.map((order) => stalePriceRows(close, order, maxRun));
      const found = merge(results.map((r) => r.rows));
      const runs = results.reduce((sum, r) => sum + r.runs, 0);
      add('stale_price', 'STALE_PRICE', found, `${runs} run(s) of more than ${maxRun} identical closes (${found.count} bar(s) beyond the limit); first at row ${found.rows[0]}`, 'close', {
        maxRun,
        runs,
      });
    }

    if (settings('constraints')) {
      for (const column of schema.columns) {
        const c = column.constraints;
        if (!c) continue;
        const range = get(`constraints:range:${column.name}`);
        add('constraints', 'OUT_OF_RANGE', range, `${range.count} value(s) of "${column.name}" outside [${c.min ?? '-∞'}, ${c.max ?? '∞'}]; first at row ${range.rows[0]}`, column.name, { min: c.min, max: c.max });
        const notIn = get(`constraints:enum:${column.name}`);
        add('constraints', 'NOT_IN_ENUM', notIn, `${notIn.count} value(s) of "${column.name}" not among ${(c.enum ?? []).join(', ')}; first at row ${notIn.rows[0]}`, column.name);
        const repeated = get(`constraints:unique:${column.name}`);
        add('constraints', 'NOT_UNIQUE', repeated, `${repeated.count} repeated value(s) in "${column.name}"; first at row ${repeated.rows[0]}`, column.name);
      }
    }

    if (this.mode === 'ignore') {
      // ignore mode reports, it never fails: every finding is a warning
      warnings.push(...errors.splice(0).map((e) => ({ ...e, severity: 'warning' as const })));
    }

    const required = schema.columns.filter((c) => c.required);
    const requiredCells = required.length * n;
    const presentCells = required.reduce((sum, c) => sum + (input.present[c.name] ?? 0), 0);
    const metrics: QualityMetrics = {
      nullCounts: input.nullCounts,
      completenessPercentage: requiredCells === 0 ? 100 : Math.round((presentCells / requiredCells) * 1e6) / 1e4,
      duplicateTimestamps,
      gapCount,
      missingBars,
      barIntervalSeconds,
    };
    return {
      target: input.target ?? '(table)',
      schema: schema.name,
      schemaVersion: schema.version,
      mode: this.mode,
      valid: errors.length === 0,
      rowCount: n,
      errors,
      warnings,
      metrics,
      coercions: this.coercions,
    };
  }
}

/**
 * Validates a table against a schema: enforcement by mode, then every rule the schema
 * lists, vectorized over typed arrays. Row numbers are 0-based positions in `table`.
 * Timestamps are compared exactly (nanoseconds); bar intervals are in seconds.
 */
export function validateTable(table: Table, schema: DataSchema, options: ValidateOptions = {}): ValidationResult {
  const validator = new TableValidator(schema, { ...options, expectedRows: table.numRows });
  const data = validator.push(table);
  return { report: validator.finish(), table: data };
}
