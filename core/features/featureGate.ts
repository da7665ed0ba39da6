import { columnTypes, timestampColumnOf, type DataSchema, type RuleName, type Severity } from '../schema/dataSchema.js';
import { RowCollector, type ValidationIssue, type ValidationReport } from '../validation/issueRows.js';

/**
 * The schema gate of a feature build, checked while the rows stream by instead of on a whole
 * table: the same findings, counts, first rows and messages as `validateTable` gives for the
 * same rows in strict mode. It covers the rules that can fire on computed feature columns
 * (`null_required`, `finite_values`, `unique_timestamp`, `constraints` min/max); `supports`
 * says when a schema asks for more, and the build then validates the whole table the
 * old way. Rows are 0-based positions in the output.
 */

/** The type a build writes for a column. */
type GateKind = 'timestamp' | 'utf8' | 'float64' | 'int64' | 'date32' | 'volume';

export interface GateColumn {
  name: string;
  /** `volume` is int64 when every value is whole, float64 otherwise (decided at the end). */
  kind: GateKind;
  /** NaN is null (the column is nullable); otherwise NaN is a value, as in a plain float column. */
  nanIsNull?: boolean;
}

const GATED_RULES = new Set<RuleName>(['required_column', 'type', 'null_required', 'finite_values', 'unique_timestamp', 'sorted_timestamp', 'constraints']);
const DEFAULT_SEVERITY: Partial<Record<RuleName, Severity>> = { finite_values: 'error', unique_timestamp: 'error', sorted_timestamp: 'error', constraints: 'error' };

function isUtc(zone: string): boolean {
  return zone === 'UTC' || zone === 'Etc/UTC' || zone === '+00:00' || zone === 'Z';
}

/** Whether the schema's type for `column` is exactly what the build writes (no enforcement finding). */
function typeMatches(schemaTypes: string[], kind: GateKind, unit: string | undefined, timezone: string | null | undefined): boolean {
  if (kind === 'volume') return schemaTypes.includes('int64') && schemaTypes.includes('float64');
  if (!schemaTypes.includes(kind)) return false;
  if (kind !== 'timestamp') return true;
  return (unit ?? 'ns') === 'ns' && timezone !== null && isUtc(timezone ?? 'UTC');
}

export class FeatureGate {
  private rows = 0;
  private readonly nulls: number[];
  private readonly nonFinite: RowCollector[];
  private readonly outOfRange: (RowCollector | null)[];
  private readonly duplicates = new RowCollector();
  private unsortedRows = 0;
  private lastTs: number | bigint = Number.NaN;
  private volumeWhole = true;

  private constructor(
    private readonly schema: DataSchema,
    private readonly columns: readonly GateColumn[],
  ) {
    this.nulls = columns.map(() => 0);
    this.nonFinite = columns.map(() => new RowCollector());
    this.outOfRange = columns.map((c) => {
      const constraints = schema.columns.find((s) => s.name === c.name)?.constraints;
      return constraints && (constraints.min !== undefined || constraints.max !== undefined) ? new RowCollector() : null;
    });
  }

  /**
   * The gate for these output columns, or the reason the schema needs the whole-table
   * validation (a rule or constraint beyond the gated ones, a required column the build does
   * not write, a type that would need enforcement).
   */
  static open(schema: DataSchema, columns: readonly GateColumn[]): FeatureGate | string {
    for (const [rule, settings] of Object.entries(schema.rules)) {
      if (settings && settings.enabled !== false && !GATED_RULES.has(rule as RuleName)) return `rule ${rule}`;
    }
    for (const column of schema.columns) {
      const produced = columns.find((c) => c.name === column.name);
      if (!produced) {
        if (column.required) return `required column ${column.name}`;
        continue;
      }
      if (!typeMatches(columnTypes(column), produced.kind, column.unit, column.timezone)) return `type of ${column.name}`;
      if (column.constraints?.enum || column.constraints?.unique) return `constraints of ${column.name}`;
      // the gate counts nulls but does not list them: a non-nullable column that can be null needs the full check
      if (!column.nullable && produced.nanIsNull === true) return `non-nullable ${column.name}`;
    }
    const ts = timestampColumnOf(schema);
    if (ts !== null && columns.some((c) => c.name === ts) && ts !== columns[0].name) return `timestamp column ${ts}`;
    return new FeatureGate(schema, columns);
  }

  /**
   * Checks rows `[0, count)` of the next output chunk: one array per column in `open`'s
   * order (`null` for columns that cannot hold a finding, such as the asset), the first
   * being the timestamp when the output has one: µs as doubles, or exact ns as bigints. Answers false when the
   * timestamps go backwards: the caller then builds the whole table the old way, whose
   * report lists unsorted rows and repeats across the whole history.
   */
  check(values: readonly (Float64Array | BigInt64Array | null)[], count: number): boolean {
    const base = this.rows;
    this.columns.forEach((column, k) => {
      const data = values[k];
      if (!data) return;
      if (column.kind === 'timestamp') {
        let last: number | bigint = this.lastTs;
        for (let i = 0; i < count; i++) {
          const t = data[i];
          // a null timestamp (NaN) counts as out of order: the whole-table check reports it
          if (t < last || t !== t) this.unsortedRows++;
          else if (t === last) this.duplicates.add(base + i);
          last = t;
        }
        this.lastTs = last;
        return;
      }
      if (column.kind === 'date32' || column.kind === 'utf8' || data instanceof BigInt64Array) return;
      const nanIsNull = column.nanIsNull === true;
      const finite = this.nonFinite[k];
      const range = this.outOfRange[k];
      const constraints = range ? this.schema.columns.find((s) => s.name === column.name)?.constraints : undefined;
      const min = constraints?.min ?? -Infinity;
      const max = constraints?.max ?? Infinity;
      for (let i = 0; i < count; i++) {
        const v = data[i];
        if (v !== v && nanIsNull) {
          this.nulls[k]++;
          continue;
        }
        if (v - v !== 0) finite.add(base + i);
        if (range && (v < min || v > max)) range.add(base + i);
        if (column.kind === 'volume' && this.volumeWhole && !Number.isInteger(v)) this.volumeWhole = false;
      }
    });
    this.rows += count;
    return this.unsortedRows === 0;
  }

  /** Whether every `volume` value was whole (the column is then written as int64). */
  get volumeIsIntegral(): boolean {
    return this.volumeWhole;
  }

  /** The report `validateTable` gives for the rows checked, in strict mode. */
  report(target: string): ValidationReport {
    const schema = this.schema;
    const n = this.rows;
    const errors: ValidationIssue[] = [];
    const warnings: ValidationIssue[] = [];
    const add = (rule: RuleName, code: string, found: RowCollector, message: string, column: string, details?: Record<string, unknown>) => {
      if (found.count === 0) return;
      const severity = schema.rules[rule]?.severity ?? DEFAULT_SEVERITY[rule] ?? 'error';
      const entry: ValidationIssue = { rule, code, column, count: found.count, rows: found.rows, message, severity, ...(details ? { details } : {}) };
      (severity === 'error' ? errors : warnings).push(entry);
    };
    const enabled = (rule: RuleName) => schema.rules[rule] !== undefined && schema.rules[rule]?.enabled !== false;
    const indexOf = (name: string) => this.columns.findIndex((c) => c.name === name);
    const isFloat = (k: number) => {
      const kind = this.columns[k].kind;
      return kind === 'float64' || (kind === 'volume' && !this.volumeWhole);
    };
    if (enabled('finite_values')) {
      for (const column of schema.columns) {
        if (!columnTypes(column).some((t) => t === 'float64' || t === 'float32')) continue;
        const k = indexOf(column.name);
        if (k < 0 || !isFloat(k)) continue;
        const found = this.nonFinite[k];
        add('finite_values', 'NON_FINITE', found, `${found.count} NaN or infinite value(s) in "${column.name}"; first at row ${found.rows[0]}`, column.name);
      }
    }
    const ts = timestampColumnOf(schema);
    const hasTs = ts !== null && indexOf(ts) >= 0;
    if (hasTs && enabled('unique_timestamp')) {
      add('unique_timestamp', 'DUPLICATE_TIMESTAMP', this.duplicates, `${this.duplicates.count} row(s) repeat an earlier timestamp; first at row ${this.duplicates.rows[0]}`, ts);
    }
    if (enabled('constraints')) {
      for (const column of schema.columns) {
        const k = indexOf(column.name);
        const found = k < 0 ? null : this.outOfRange[k];
        const c = column.constraints;
        if (!found || !c) continue;
        add('constraints', 'OUT_OF_RANGE', found, `${found.count} value(s) of "${column.name}" outside [${c.min ?? '-∞'}, ${c.max ?? '∞'}]; first at row ${found.rows[0]}`, column.name, { min: c.min, max: c.max });
      }
    }
    const nullCounts: Record<string, number> = {};
    for (const column of schema.columns) {
      const k = indexOf(column.name);
      if (k >= 0) nullCounts[column.name] = this.nulls[k];
    }
    const required = schema.columns.filter((c) => c.required);
    const requiredCells = required.length * n;
    const presentCells = required.reduce((sum, c) => {
      const k = indexOf(c.name);
      return sum + (k >= 0 ? n - this.nulls[k] : 0);
    }, 0);
    return {
      target,
      schema: schema.name,
      schemaVersion: schema.version,
      mode: 'strict',
      valid: errors.length === 0,
      rowCount: n,
      errors,
      warnings,
      metrics: {
        nullCounts,
        completenessPercentage: requiredCells === 0 ? 100 : Math.round((presentCells / requiredCells) * 1e6) / 1e4,
        duplicateTimestamps: hasTs ? this.duplicates.count : 0,
        gapCount: 0,
        missingBars: 0,
        barIntervalSeconds: null,
      },
      coercions: {},
    };
  }
}
