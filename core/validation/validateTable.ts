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
import { currentRowLimit, RowCollector, type EnforcementMode, type QualityMetrics, type ValidationIssue, type ValidationReport } from './validationReport.js';

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

/** Rows of each instrument, when an `asset` column tells several apart. */
function instrumentOrders(table: Table): RowOrder[] {
  const asset = table.getChild('asset');
  if (!asset || asset.nullCount === table.numRows) return [null];
  const groups = new Map<unknown, number[]>();
  for (let i = 0; i < table.numRows; i++) {
    const key: unknown = asset.get(i);
    let rows = groups.get(key);
    if (!rows) {
      rows = [];
      groups.set(key, rows);
    }
    rows.push(i);
  }
  if (groups.size === 1) return [null];
  return [...groups.values()].map((rows) => Int32Array.from(rows));
}

/** The asset a store path names: `raw/{ASSET}/…` or `cleaned/vN/{ASSET}/…`, also inside an absolute path. */
function assetFromTarget(target: string | undefined): string | null {
  const match = target ? /(?:^|[\\/])(?:raw|cleaned[\\/]v\d+)[\\/]([^\\/]+)(?:[\\/]|$)/.exec(target) : null;
  return match ? match[1] : null;
}

/** The asset a group of rows belongs to: its first row's `asset`, else the one its target path names, else null. */
function assetOfOrder(table: Table, order: RowOrder, target: string | undefined): string | null {
  const asset = table.getChild('asset');
  const value: unknown = asset && table.numRows > 0 ? asset.get(order ? order[0] : 0) : null;
  return typeof value === 'string' && value !== '' ? value : assetFromTarget(target);
}

/** The instrument session_gap uses for one asset's rows: explicit, named by the rule, or by the asset. */
function gapInstrument(schema: DataSchema, settings: RuleSettings, options: ValidateOptions, asset: string | null, builtIns: InstrumentRegistry): Instrument {
  if (options.instrument) return options.instrument;
  const name = settings.instrument ?? asset;
  const found = options.instrumentOf ? options.instrumentOf(name) : ((name === null ? null : builtIns.find(name)) ?? genericInstrument(name, schema.exchangeTimezone));
  // the generic fallback keeps the schema's exchange zone, as session_gap always did
  return found.source === 'fallback' && found.session.timeZone !== schema.exchangeTimezone ? genericInstrument(name, schema.exchangeTimezone) : found;
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

/**
 * Validates a table against a schema: enforcement by mode, then every rule the schema
 * lists, vectorized over typed arrays. Row numbers are 0-based positions in `table`.
 * Timestamps are compared exactly (nanoseconds); bar intervals are in seconds.
 */
export function validateTable(table: Table, schema: DataSchema, options: ValidateOptions = {}): ValidationResult {
  const mode = options.mode ?? 'strict';
  const enforced = enforceSchema(table, schema, { mode, timezone: options.timezone });
  const data = enforced.table;
  const errors = [...enforced.errors];
  const warnings = [...enforced.warnings];
  const n = data.numRows;
  const settings = (rule: RuleName): RuleSettings | null => {
    const s = schema.rules[rule];
    return s && s.enabled !== false ? s : null;
  };
  const add = (rule: RuleName, code: string, found: RowCollector, message: string, column?: string, details?: Record<string, unknown>) => {
    if (found.count === 0) return;
    const severity = settings(rule)?.severity ?? DEFAULT_SEVERITY[rule];
    const entry: ValidationIssue = { rule, code, ...(column === undefined ? {} : { column }), count: found.count, rows: found.rows, message, severity, ...(details ? { details } : {}) };
    (severity === 'error' ? errors : warnings).push(entry);
  };
  const numeric = new Map<string, FloatColumn>();
  const numericColumn = (name: string): FloatColumn | null => {
    if (numeric.has(name)) return numeric.get(name) ?? null;
    const vector = data.getChild(name);
    const column = vector && isNumberColumn(vector) ? floatColumn(vector) : null;
    if (column) numeric.set(name, column);
    return column;
  };

  const nullCounts: Record<string, number> = {};
  for (const column of schema.columns) {
    const vector = data.getChild(column.name);
    if (vector) nullCounts[column.name] = vector.nullCount;
  }

  if (settings('null_required')) {
    for (const column of schema.columns) {
      const vector = data.getChild(column.name);
      if (column.nullable || !vector || vector.nullCount === 0) continue;
      const valid = new Uint8Array(n);
      for (let i = 0; i < n; i++) valid[i] = vector.isValid(i) ? 1 : 0;
      const { count, rows } = nullRows(valid, currentRowLimit());
      const found = new RowCollector();
      found.count = count;
      found.rows.push(...rows);
      add('null_required', 'NULL_IN_REQUIRED', found, `${count} null value(s) in non-nullable column "${column.name}"; first at row ${rows[0]}`, column.name);
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
      const found = scan && priceIndex >= 0 ? scan.nonFinite[priceIndex] : nonFiniteRows(values);
      add('finite_values', 'NON_FINITE', found, `${found.count} NaN or infinite value(s) in "${column.name}"; first at row ${found.rows[0]}`, column.name);
    }
  }

  if (settings('positive_price')) {
    PRICE_COLUMNS.forEach((name, k) => {
      const values = prices[k];
      if (!values) return;
      const found = scan ? scan.nonPositive[k] : nonPositiveRows(values);
      add('positive_price', 'NON_POSITIVE_PRICE', found, `${found.count} price(s) ≤ 0 in "${name}"; first at row ${found.rows[0]}`, name);
    });
  }

  if (settings('ohlc_consistency') && scan) {
    const found = scan.inconsistent;
    add('ohlc_consistency', 'OHLC_INCONSISTENT', found, `${found.count} bar(s) where high < max(open, close), low > min(open, close) or high < low; first at row ${found.rows[0]}`);
  }

  if (settings('non_negative_volume')) {
    const vector = data.getChild('volume');
    const words = vector && (vector.type as DataType).typeId === Type.Int ? int64Words(vector) : null;
    const volume = words ? null : numericColumn('volume');
    if (words || volume) {
      const found = words && vector ? negativeInt64Rows(words, validityOf(vector)) : negativeRows(volume as FloatColumn);
      add('non_negative_volume', 'NEGATIVE_VOLUME', found, `${found.count} negative volume(s); first at row ${found.rows[0]}`, 'volume');
    }
  }

  let duplicateTimestamps = 0;
  let gapCount = 0;
  let missingBars = 0;
  let barIntervalSeconds: number | null = null;
  const tsName = timestampColumnOf(schema);
  const tsVector = tsName ? data.getChild(tsName) : null;
  const orders = instrumentOrders(data);
  let ts: TimestampColumn | null = null;
  if (tsName && tsVector && (tsVector.type as DataType).typeId === Type.Timestamp) {
    ts = timestampColumn(tsVector);
    const ordering = orders.map((order) => timestampOrderRows(ts as TimestampColumn, order));
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
        const interval = gapSettings.intervalSeconds ?? inferIntervalSeconds(ts as TimestampColumn, order);
        if (interval === null) return;
        barIntervalSeconds ??= interval;
        const asset = assetOfOrder(data, order, options.target);
        const instrument = gapInstrument(schema, gapSettings, options, asset, builtIns);
        sessionsUsed.push({ asset, instrument: instrument.symbol, session: instrument.session.id, calendar: instrument.session.calendar, source: instrument.source });
        const result = sessionGapRows(ts as TimestampColumn, order, {
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

  if (settings('constraints')) checkConstraints(data, schema, add);

  if (mode === 'ignore') {
    // ignore mode reports, it never fails: every finding is a warning
    warnings.push(...errors.splice(0).map((e) => ({ ...e, severity: 'warning' as const })));
  }

  const required = schema.columns.filter((c) => c.required);
  const requiredCells = required.length * n;
  const presentCells = required.reduce((sum, c) => {
    const vector = data.getChild(c.name);
    return sum + (vector ? n - vector.nullCount : 0);
  }, 0);
  const metrics: QualityMetrics = {
    nullCounts,
    completenessPercentage: requiredCells === 0 ? 100 : Math.round((presentCells / requiredCells) * 1e6) / 1e4,
    duplicateTimestamps,
    gapCount,
    missingBars,
    barIntervalSeconds,
  };
  const report: ValidationReport = {
    target: options.target ?? '(table)',
    schema: schema.name,
    schemaVersion: schema.version,
    mode,
    valid: errors.length === 0,
    rowCount: n,
    errors,
    warnings,
    metrics,
    coercions: enforced.coercions,
  };
  return { report, table: data };
}

function checkConstraints(
  data: Table,
  schema: DataSchema,
  add: (rule: RuleName, code: string, found: RowCollector, message: string, column?: string, details?: Record<string, unknown>) => void,
): void {
  for (const column of schema.columns) {
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
        add('constraints', 'OUT_OF_RANGE', found, `${found.count} value(s) of "${column.name}" outside [${c.min ?? '-∞'}, ${c.max ?? '∞'}]; first at row ${found.rows[0]}`, column.name, { min: c.min, max: c.max });
      }
    }
    if (c.enum) {
      const allowed = new Set<unknown>(c.enum);
      const found = new RowCollector();
      for (let i = 0; i < vector.length; i++) if (vector.isValid(i) && !allowed.has(vector.get(i))) found.add(i);
      add('constraints', 'NOT_IN_ENUM', found, `${found.count} value(s) of "${column.name}" not among ${c.enum.join(', ')}; first at row ${found.rows[0]}`, column.name);
    }
    if (c.unique) {
      const seen = new Set<unknown>();
      const found = new RowCollector();
      for (let i = 0; i < vector.length; i++) {
        if (!vector.isValid(i)) continue;
        const value: unknown = vector.get(i);
        if (seen.has(value)) found.add(i);
        else seen.add(value);
      }
      add('constraints', 'NOT_UNIQUE', found, `${found.count} repeated value(s) in "${column.name}"; first at row ${found.rows[0]}`, column.name);
    }
  }
}
