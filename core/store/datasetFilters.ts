import { Type, makeVector, type Data, type DataType, type Vector } from 'apache-arrow';
import { BadRequestError } from '../errors.js';
import { civilDays, type PartitionType, type PartitionValue } from './hivePartitions.js';

/**
 * Row filters of `readPartitionedDataset`, with SQL meaning: a row passes when every filter
 * is true; a null value is never equal, unequal, less or greater than anything, so it
 * fails every filter (as in DuckDB's WHERE). Values are compared in the column's own
 * units: timestamps as exact integers of the column's unit, dates as days.
 *
 * Filter values: numbers or bigints for number columns; strings for text; booleans; for
 * dates `YYYY-MM-DD` or a Date; for timestamps an ISO 8601 string (`2024-01-15`,
 * `2024-01-15T14:30:00.000000001Z`, with `Z`, an offset or none meaning UTC), a Date, a
 * bigint count of the column's unit, or a number of milliseconds.
 */

export type FilterOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'in';
export type FilterScalar = string | number | bigint | boolean | Date | null;

export interface DatasetFilter {
  column: string;
  op: FilterOp;
  /** A list for `in`, one value otherwise. */
  value: FilterScalar | FilterScalar[];
}

export const FILTER_OPS: readonly FilterOp[] = ['=', '!=', '<', '<=', '>', '>=', 'in'];

type Comparable = number | bigint | string | boolean;

/** How values of a column compare: numbers, exact instants in a unit, days, text or booleans. */
export type Domain = { kind: 'number' } | { kind: 'timestamp'; unit: number } | { kind: 'date' } | { kind: 'string' } | { kind: 'boolean' };

const PER_SECOND = [1n, 1_000n, 1_000_000n, 1_000_000_000n];
const ISO = /^(-?\d{4,})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

function typeName(type: DataType): string {
  return (type as unknown as { toString(): string }).toString();
}

/** The domain of an Arrow type; throws BAD_REQUEST for types filters cannot compare. */
export function domainOf(type: DataType, column: string): Domain {
  switch (type.typeId) {
    case Type.Int:
    case Type.Float:
      return { kind: 'number' };
    case Type.Timestamp:
      return { kind: 'timestamp', unit: (type as unknown as { unit: number }).unit };
    case Type.Date:
      return { kind: 'date' };
    case Type.Utf8:
    case Type.LargeUtf8:
      return { kind: 'string' };
    case Type.Bool:
      return { kind: 'boolean' };
    case Type.Dictionary:
      return domainOf((type as unknown as { dictionary: DataType }).dictionary, column);
    default:
      throw new BadRequestError(`column "${column}" has type ${typeName(type)}, which filters cannot compare`, { column, type: typeName(type) });
  }
}

export function domainOfPartition(type: PartitionType): Domain {
  if (type === 'date') return { kind: 'date' };
  if (type === 'timestamp') return { kind: 'timestamp', unit: 2 };
  if (type === 'bigint') return { kind: 'number' };
  return { kind: 'string' };
}

/** An ISO 8601 instant as an exact count of `unit` (Arrow TimeUnit) since the epoch; null when not one. */
export function isoToEpoch(text: string, unit: number): bigint | null {
  const match = ISO.exec(text.trim());
  if (!match) return null;
  const days = civilDays(Number(match[1]), Number(match[2]), Number(match[3]));
  if (days === null) return null;
  const [hour, minute, second] = [Number(match[4] ?? 0), Number(match[5] ?? 0), Number(match[6] ?? 0)];
  if (hour > 23 || minute > 59 || second > 60) return null;
  let offsetSeconds = 0;
  const zone = match[8];
  if (zone && zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    offsetSeconds = (Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2, 4) || '0') * 60) * (zone.startsWith('-') ? -1 : 1);
  }
  const seconds = BigInt(days) * 86_400n + BigInt(hour * 3600 + minute * 60 + second - offsetSeconds);
  const fractionDigits = match[7] ?? '';
  const perSecond = PER_SECOND[unit];
  const width = [0, 3, 6, 9][unit];
  const fraction = fractionDigits.length > width ? null : BigInt(fractionDigits.padEnd(width, '0') || '0');
  if (fraction === null) {
    // more digits than the unit holds: keep it exact by scaling up, then floor
    const nanos = BigInt(fractionDigits.padEnd(9, '0'));
    return (seconds * 1_000_000_000n + nanos) / (1_000_000_000n / perSecond);
  }
  return seconds * perSecond + fraction;
}

function bad(column: string, value: unknown, expected: string): BadRequestError {
  const shown = typeof value === 'bigint' ? `${value}n` : value instanceof Date ? value.toISOString() : JSON.stringify(value);
  return new BadRequestError(`filter on "${column}": ${shown} is not ${expected}`, { column, value: String(value), expected });
}

/** A filter value in the column's domain; null stays null (and matches nothing). */
export function filterValueIn(domain: Domain, value: FilterScalar, column: string): Comparable | null {
  if (value === null) return null;
  switch (domain.kind) {
    case 'number':
      if (typeof value === 'number' || typeof value === 'bigint') return value;
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return /^-?\d+$/.test(value.trim()) ? BigInt(value.trim()) : Number(value);
      throw bad(column, value, 'a number');
    case 'timestamp': {
      const perMs = PER_SECOND[domain.unit];
      if (value instanceof Date) return domain.unit === 0 ? BigInt(Math.floor(value.getTime() / 1000)) : BigInt(value.getTime()) * (perMs / 1000n);
      if (typeof value === 'bigint') return value;
      if (typeof value === 'number' && Number.isFinite(value)) return domain.unit === 0 ? BigInt(Math.floor(value / 1000)) : BigInt(Math.trunc(value)) * (perMs / 1000n);
      if (typeof value === 'string') {
        const epoch = isoToEpoch(value, domain.unit);
        if (epoch !== null) return epoch;
      }
      throw bad(column, value, 'an ISO 8601 timestamp, a Date, a bigint of the column unit or a number of milliseconds');
    }
    case 'date': {
      if (value instanceof Date) return Math.floor(value.getTime() / 86_400_000);
      if (typeof value === 'string') {
        const match = /^(-?\d{4,})-(\d{2})-(\d{2})$/.exec(value);
        const days = match ? civilDays(Number(match[1]), Number(match[2]), Number(match[3])) : null;
        if (days !== null) return days;
      }
      throw bad(column, value, 'a date YYYY-MM-DD or a Date');
    }
    case 'string':
      if (typeof value === 'string') return value;
      throw bad(column, value, 'a string');
    case 'boolean':
      if (typeof value === 'boolean') return value;
      throw bad(column, value, 'a boolean');
  }
}

function compare(a: Comparable, b: Comparable): number {
  if (typeof a === 'boolean' || typeof b === 'boolean') return Number(a) - Number(b);
  // number and bigint compare exactly with < and > in JavaScript, also mixed
  return a < b ? -1 : a > b ? 1 : 0;
}

function isNaNValue(value: Comparable): boolean {
  return typeof value === 'number' && Number.isNaN(value);
}

/** A filter with its value(s) already in the column's domain. */
export interface PreparedFilter {
  column: string;
  op: FilterOp;
  values: (Comparable | null)[];
  domain: Domain;
}

export function prepareFilter(filter: DatasetFilter, domain: Domain): PreparedFilter {
  if (!FILTER_OPS.includes(filter.op)) throw new BadRequestError(`unknown filter operator "${String(filter.op)}"; use one of ${FILTER_OPS.join(' ')}`, { op: filter.op });
  if (filter.op === 'in' && !Array.isArray(filter.value)) throw new BadRequestError(`filter "in" on "${filter.column}" needs a list of values`, { column: filter.column });
  if (filter.op !== 'in' && Array.isArray(filter.value)) throw new BadRequestError(`filter "${filter.op}" on "${filter.column}" takes one value, not a list`, { column: filter.column });
  const list = Array.isArray(filter.value) ? filter.value : [filter.value];
  return { column: filter.column, op: filter.op, values: list.map((value) => filterValueIn(domain, value, filter.column)), domain };
}

/** True when `value` passes the filter (SQL semantics: null and NaN never equal anything). */
export function passes(filter: PreparedFilter, value: Comparable | null): boolean {
  if (value === null) return false;
  if (filter.op === 'in') return filter.values.some((candidate) => candidate !== null && !isNaNValue(value) && compare(value, candidate) === 0);
  const target = filter.values[0];
  if (target === null) return false;
  const order = compare(value, target);
  switch (filter.op) {
    case '=':
      return order === 0 && !isNaNValue(value);
    case '!=':
      return order !== 0 || isNaNValue(value);
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    default:
      return order >= 0;
  }
}

/**
 * False only when no value in [min, max] can pass the filter (row-group pruning by
 * statistics). Unknown bounds keep the group.
 */
export function rangeMayPass(filter: PreparedFilter, min: Comparable | null, max: Comparable | null): boolean {
  if (min === null || max === null || isNaNValue(min) || isNaNValue(max)) return true;
  const inRange = (v: Comparable | null) => v !== null && compare(v, min) >= 0 && compare(v, max) <= 0;
  const target = filter.values[0];
  switch (filter.op) {
    case 'in':
      return filter.values.some(inRange);
    case '=':
      return inRange(target);
    case '!=':
      return target === null ? false : !(compare(min, target) === 0 && compare(max, target) === 0);
    case '<':
      return target !== null && compare(min, target) < 0;
    case '<=':
      return target !== null && compare(min, target) <= 0;
    case '>':
      return target !== null && compare(max, target) > 0;
    default:
      return target !== null && compare(max, target) >= 0;
  }
}

/** A footer statistic (as `getParquetMetadata` renders it) in the column's domain, or null when unusable. */
export function statisticIn(domain: Domain, value: unknown): Comparable | null {
  if (value === null || value === undefined) return null;
  switch (domain.kind) {
    case 'number':
      if (typeof value === 'number' || typeof value === 'bigint') return value;
      if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
      return null;
    case 'timestamp':
      return typeof value === 'string' ? isoToEpoch(value, domain.unit) : null;
    case 'date': {
      const match = typeof value === 'string' ? /^(-?\d{4,})-(\d{2})-(\d{2})$/.exec(value) : null;
      return match ? civilDays(Number(match[1]), Number(match[2]), Number(match[3])) : null;
    }
    case 'string':
      return typeof value === 'string' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
  }
}

/** A partition value in the filter's domain (partition domains already match). */
export function partitionComparable(value: PartitionValue): Comparable | null {
  return value;
}

const vectors = new WeakMap<Data, Vector>();

/** Reads row `index` of one Arrow chunk in its comparable form. */
export function comparableAt(data: Data, index: number, domain: Domain): Comparable | null {
  if (data.nullCount > 0 && !data.getValid(index)) return null;
  const values = data.values as ArrayLike<number | bigint>;
  switch (domain.kind) {
    case 'timestamp': {
      const raw = values[index];
      return typeof raw === 'bigint' ? raw : BigInt(Math.trunc(raw));
    }
    case 'date': {
      const raw = Number(values[index]);
      // Date64 counts milliseconds
      return (data.type as unknown as { unit: number }).unit === 0 ? raw : Math.floor(raw / 86_400_000);
    }
    case 'number':
      if (data.type.typeId === Type.Int || (data.type.typeId === Type.Float && (data.type as unknown as { precision: number }).precision > 0)) return values[index];
      break;
    default:
      break;
  }
  let vector = vectors.get(data);
  if (!vector) {
    vector = makeVector(data);
    vectors.set(data, vector);
  }
  const value: unknown = vector.get(index);
  if (value === null || value === undefined) return null;
  return value as Comparable;
}
