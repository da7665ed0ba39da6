import {
  Bool,
  DateDay,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  makeData,
  makeVector,
  Table,
  TimestampMicrosecond,
  TimestampMillisecond,
  TimestampNanosecond,
  TimestampSecond,
  Type,
  Uint16,
  Uint32,
  Uint64,
  Uint8,
  Utf8,
  vectorFromArray,
  type Data,
  type DataType,
  type Vector,
} from 'apache-arrow';
import { columnTypes, type ColumnSchema, type ColumnTypeName, type DataSchema, type TimeUnitName } from '../schema/dataSchema.js';
import { describeArrowType, isUtcZone, schemaTypeLabel, UNIT_NAMES, type SchemaTypeOf } from '../schema/arrowTypeNames.js';
import { parseTimestampText } from '../time/parseTimestampText.js';
import { zonedToUtcMs } from '../time/zonedTime.js';
import { RowCollector, type EnforcementMode, type ValidationIssue } from './issueRows.js';

/**
 * Schema enforcement, by mode (see docs/schemas.md):
 * - strict: required columns present, types as declared; numeric widening (int32 → int64,
 *   float32 → float64, integers → float64), timestamp unit (s/ms/us → ns) and zone-label
 *   normalisation (any zone-aware instant → UTC) are allowed and applied; anything else is
 *   a `type` error; extra columns are warnings.
 * - coerce: missing required columns still fail; everything convertible is converted —
 *   text to numbers and timestamps, floats holding whole numbers to integers, naive
 *   timestamps read in a zone — and counted; values that cannot be converted fail with
 *   their rows.
 * - ignore: findings become warnings; nothing is converted.
 */

interface EnforcementResult {
  table: Table;
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
  coercions: Record<string, { from: string; to: string; count: number }>;
}

interface EnforcementOptions {
  mode: EnforcementMode;
  /** Zone for naive timestamps and zone-less text (coerce); default the schema's exchange zone. */
  timezone?: string;
}

type Conversion = { vector: Vector; converted: number; failed: RowCollector };

const UNIT_SCALE_TO_NS: Record<TimeUnitName, bigint> = { s: 1_000_000_000n, ms: 1_000_000n, us: 1_000n, ns: 1n };
const NUMERIC: ColumnTypeName[] = ['float64', 'float32', 'int64', 'int32', 'int16', 'int8', 'uint64', 'uint32', 'uint16', 'uint8'];
const INTEGER_RANK: Partial<Record<ColumnTypeName, number>> = { int8: 1, int16: 2, int32: 3, int64: 4, uint8: 1, uint16: 2, uint32: 3, uint64: 4 };

function validityBitmap(vector: Vector): { bitmap: Uint8Array | undefined; nullCount: number } {
  if (vector.nullCount === 0) return { bitmap: undefined, nullCount: 0 };
  const bitmap = new Uint8Array((vector.length + 7) >> 3);
  for (let i = 0; i < vector.length; i++) if (vector.isValid(i)) bitmap[i >> 3] |= 1 << (i & 7);
  return { bitmap, nullCount: vector.nullCount };
}

function arrowTypeFor(name: ColumnTypeName, unit: TimeUnitName = 'ns', timezone: string | null = 'UTC'): DataType {
  const tz = timezone ?? undefined;
  switch (name) {
    case 'float64':
      return new Float64();
    case 'float32':
      return new Float32();
    case 'int64':
      return new Int64();
    case 'int32':
      return new Int32();
    case 'int16':
      return new Int16();
    case 'int8':
      return new Int8();
    case 'uint64':
      return new Uint64();
    case 'uint32':
      return new Uint32();
    case 'uint16':
      return new Uint16();
    case 'uint8':
      return new Uint8();
    case 'bool':
      return new Bool();
    case 'utf8':
      return new Utf8();
    case 'date32':
      return new DateDay();
    case 'timestamp':
      return unit === 's' ? new TimestampSecond(tz) : unit === 'ms' ? new TimestampMillisecond(tz) : unit === 'us' ? new TimestampMicrosecond(tz) : new TimestampNanosecond(tz);
  }
}

/** Each value of a vector, by row, as JavaScript sees it (bigint for 64-bit integers). */
function rawValue(vector: Vector, row: number): unknown {
  return vector.get(row) as unknown;
}

function timestampNs(vector: Vector): BigInt64Array {
  const unit = (vector.type as unknown as { unit: number }).unit;
  const scale = UNIT_SCALE_TO_NS[UNIT_NAMES[unit]];
  const out = new BigInt64Array(vector.length);
  let row = 0;
  for (const chunk of vector.data as Data[]) {
    const values = chunk.values as BigInt64Array;
    for (let i = 0; i < chunk.length; i++) out[row + i] = BigInt(values[i]) * scale;
    row += chunk.length;
  }
  return out;
}

/** A timestamp column as the schema wants it: unit from `ns` down, zone label as declared. */
function timestampVector(ns: BigInt64Array, unit: TimeUnitName, timezone: string | null, bitmap: Uint8Array | undefined, nullCount: number): Vector {
  const scale = UNIT_SCALE_TO_NS[unit];
  const values = scale === 1n ? ns : ns.map((v) => v / scale);
  return makeVector(makeData({ type: arrowTypeFor('timestamp', unit, timezone) as TimestampNanosecond, length: ns.length, nullCount, nullBitmap: bitmap, data: values }));
}

function numberFromText(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(Infinity|inf)$|^NaN$/i.test(trimmed)) return null;
  if (/^nan$/i.test(trimmed)) return Number.NaN;
  if (/inf/i.test(trimmed)) return trimmed.startsWith('-') ? -Infinity : Infinity;
  return Number(trimmed);
}

/** Converts a column to `target`; values that cannot be converted are counted as failed. */
function convertColumn(vector: Vector, actual: SchemaTypeOf, column: ColumnSchema, target: ColumnTypeName, timezone: string): Conversion {
  const failed = new RowCollector();
  const { bitmap, nullCount } = validityBitmap(vector);
  const n = vector.length;
  const present = n - nullCount;
  if (target === 'timestamp') {
    const unit = column.unit ?? 'ns';
    const zone = column.timezone === undefined ? 'UTC' : column.timezone;
    let ns: BigInt64Array;
    if (actual.name === 'timestamp') {
      ns = timestampNs(vector);
      if (actual.timezone === null && zone !== null) {
        // naive wall-clock times: read them in the given zone
        for (let i = 0; i < n; i++) {
          if (!vector.isValid(i)) continue;
          const wallMs = Number(ns[i] / 1_000_000n);
          const sub = ns[i] - BigInt(wallMs) * 1_000_000n;
          const d = new Date(wallMs);
          const utc = zonedToUtcMs(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds(), timezone);
          ns[i] = BigInt(utc.utcMs) * 1_000_000n + sub;
        }
      }
    } else if (actual.name === 'utf8') {
      ns = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        if (!vector.isValid(i)) continue;
        const parsed = parseTimestampText(String(rawValue(vector, i)), timezone);
        if (parsed) ns[i] = parsed.ns;
        else failed.add(i);
      }
    } else if (actual.name === 'date32') {
      ns = new BigInt64Array(n);
      for (let i = 0; i < n; i++) if (vector.isValid(i)) ns[i] = BigInt((vector.get(i) as Date | number).valueOf()) * 1_000_000n;
    } else {
      for (let i = 0; i < n; i++) if (vector.isValid(i)) failed.add(i);
      ns = new BigInt64Array(n);
    }
    return { vector: timestampVector(ns, unit, zone, bitmap, nullCount), converted: present - failed.count, failed };
  }
  if (NUMERIC.includes(target)) {
    const type = arrowTypeFor(target);
    const wide = target === 'int64' || target === 'uint64';
    const integral = target in INTEGER_RANK;
    const ArrayType = (type as unknown as { ArrayType: new (n: number) => Float64Array | BigInt64Array }).ArrayType;
    const data = new ArrayType(n);
    for (let i = 0; i < n; i++) {
      if (!vector.isValid(i)) continue;
      const value = rawValue(vector, i);
      let number: number | bigint | null;
      if (typeof value === 'bigint') number = value;
      else if (typeof value === 'number') number = value;
      else if (typeof value === 'boolean') number = value ? 1 : 0;
      else if (typeof value === 'string') number = integral && /^\s*[+-]?\d+\s*$/.test(value) ? BigInt(value.trim()) : numberFromText(value);
      else number = null;
      if (number === null || (integral && typeof number === 'number' && !Number.isInteger(number))) {
        failed.add(i);
        continue;
      }
      if (wide) (data as BigInt64Array)[i] = typeof number === 'bigint' ? number : BigInt(number);
      else (data as Float64Array)[i] = Number(number);
    }
    return { vector: makeVector(makeData({ type: type as Float64, length: n, nullCount, nullBitmap: bitmap, data: data as Float64Array })), converted: present - failed.count, failed };
  }
  if (target === 'utf8') {
    const values: (string | null)[] = [];
    for (let i = 0; i < n; i++) values.push(vector.isValid(i) ? String(rawValue(vector, i)) : null);
    return { vector: vectorFromArray(values, new Utf8()), converted: present, failed };
  }
  if (target === 'date32' && actual.date64) {
    const days = new Int32Array(n);
    for (let i = 0; i < n; i++) if (vector.isValid(i)) days[i] = Math.floor(Number((vector.data[0].values as BigInt64Array)[i]) / 86_400_000);
    return { vector: makeVector(makeData({ type: new DateDay(), length: n, nullCount, nullBitmap: bitmap, data: days })), converted: present, failed };
  }
  for (let i = 0; i < n; i++) if (vector.isValid(i)) failed.add(i);
  return { vector, converted: 0, failed };
}

type Verdict = { kind: 'exact' } | { kind: 'normalize'; target: ColumnTypeName } | { kind: 'coerce'; target: ColumnTypeName };

/** How the actual type relates to what the column allows. */
function judge(actual: SchemaTypeOf, column: ColumnSchema): Verdict {
  const allowed = columnTypes(column);
  const preferred = allowed[0];
  if (actual.name !== null && allowed.includes(actual.name)) {
    if (actual.name !== 'timestamp') return actual.dictionary || actual.date64 ? { kind: 'normalize', target: actual.name } : { kind: 'exact' };
    const unit = column.unit ?? 'ns';
    const zone = column.timezone === undefined ? 'UTC' : column.timezone;
    const sameZone = zone === null ? actual.timezone === null : actual.timezone !== null && (actual.timezone === zone || (isUtcZone(zone) && isUtcZone(actual.timezone)));
    if (actual.unit === unit && sameZone) return { kind: 'exact' };
    // a coarser unit of the same zone holds only values the schema's unit holds exactly
    // (whole microseconds are whole nanoseconds): nothing to convert, nothing to report
    if (sameZone && actual.timezone !== null && actual.unit !== undefined && UNIT_NAMES.indexOf(actual.unit) < UNIT_NAMES.indexOf(unit)) return { kind: 'exact' };
    // a zone-aware instant may be relabelled; a naive wall time needs a zone to mean an instant
    if (actual.timezone !== null || zone === null) return { kind: 'normalize', target: 'timestamp' };
    return { kind: 'coerce', target: 'timestamp' };
  }
  const actualRank = actual.name ? INTEGER_RANK[actual.name] : undefined;
  if (actualRank !== undefined) {
    const widerInt = allowed.find((t) => (INTEGER_RANK[t] ?? 0) > actualRank && t.startsWith('int'));
    if (widerInt && !(actual.name === 'uint64')) return { kind: 'normalize', target: widerInt };
    if (allowed.includes('float64')) return { kind: 'normalize', target: 'float64' };
  }
  if (actual.name === 'float32' && allowed.includes('float64')) return { kind: 'normalize', target: 'float64' };
  return { kind: 'coerce', target: preferred };
}

function issue(partial: Omit<ValidationIssue, 'severity'>, severity: 'error' | 'warning'): ValidationIssue {
  return { ...partial, severity };
}

/**
 * Checks (and in strict/coerce mode normalises or converts) a table against a schema.
 * Returns the table to use and the `required_column` / `type` findings; throws nothing.
 */
export function enforceSchema(table: Table, schema: DataSchema, options: EnforcementOptions): EnforcementResult {
  const { mode } = options;
  const timezone = options.timezone ?? schema.exchangeTimezone;
  const errors: ValidationIssue[] = [];
  const warnings: ValidationIssue[] = [];
  const coercions: EnforcementResult['coercions'] = {};
  const failSeverity = mode === 'ignore' ? 'warning' : 'error';
  const file = new Set(table.schema.fields.map((f) => f.name));
  const columns: Record<string, Vector> = {};
  for (const field of table.schema.fields) columns[field.name] = table.getChild(field.name) as Vector;
  let changed = false;

  for (const column of schema.columns) {
    if (!file.has(column.name)) {
      if (column.required) {
        (failSeverity === 'error' ? errors : warnings).push(
          issue(
            { rule: 'required_column', code: 'MISSING_REQUIRED_COLUMN', column: column.name, count: table.numRows, rows: [], message: `missing required column "${column.name}"` },
            failSeverity,
          ),
        );
      }
      continue;
    }
    const vector = columns[column.name];
    const actual = describeArrowType(vector.type as DataType);
    const verdict = judge(actual, column);
    const expected = schemaTypeLabel(columnTypes(column), column.unit, column.timezone);
    if (verdict.kind === 'exact') continue;
    const wantsConversion = verdict.kind === 'normalize' ? mode !== 'ignore' : mode === 'coerce';
    if (!wantsConversion) {
      const normalizable = verdict.kind === 'normalize';
      const severity = normalizable || mode === 'ignore' ? 'warning' : 'error';
      (severity === 'error' ? errors : warnings).push(
        issue(
          {
            rule: 'type',
            code: 'SCHEMA_MISMATCH',
            column: column.name,
            count: table.numRows,
            rows: [],
            message: `column "${column.name}" is ${actual.label}, expected ${expected}`,
            details: { expected, found: actual.label },
          },
          severity,
        ),
      );
      continue;
    }
    const conversion = convertColumn(vector, actual, column, verdict.target, timezone);
    if (conversion.failed.count > 0) {
      errors.push(
        issue(
          {
            rule: 'type',
            code: 'DATA_TYPE_VALIDATION',
            column: column.name,
            count: conversion.failed.count,
            rows: conversion.failed.rows,
            message: `${conversion.failed.count} value(s) of column "${column.name}" (${actual.label}) cannot be converted to ${expected}; first at row ${conversion.failed.rows[0]}`,
            details: { expected, found: actual.label },
          },
          'error',
        ),
      );
      continue;
    }
    columns[column.name] = conversion.vector;
    changed = true;
    coercions[column.name] = { from: actual.label, to: String(conversion.vector.type), count: conversion.converted };
  }

  const declared = new Set(schema.columns.map((c) => c.name));
  for (const name of file) {
    if (!declared.has(name)) {
      warnings.push(issue({ rule: 'type', code: 'EXTRA_COLUMN', column: name, count: table.numRows, rows: [], message: `column "${name}" is not in schema "${schema.name}"` }, 'warning'));
    }
  }
  return { table: changed ? new Table(columns) : table, errors, warnings, coercions };
}

/** Whether a type is a number type our float conversion can read. */
export function isNumberColumn(vector: Vector): boolean {
  const id = (vector.type as DataType).typeId;
  return id === Type.Int || id === Type.Float;
}
