import { DateDay, Int64, TimestampMicrosecond, Utf8, makeData, type Data, type DataType } from 'apache-arrow';
import { daysFromCivil, isValidDate } from '../time/civilDays.js';

/**
 * Hive partitions as DuckDB reads them with `hive_partitioning = true`: every folder of a
 * file's path written `key=value` (exactly one `=`) adds a column `key`; the first such
 * folder for a key wins; keys and values are URL-decoded. The column's type is detected
 * from the undecoded values of all files: DATE when every value is a calendar date
 * (`2024-01-15`, also `2024-1-5`), TIMESTAMP (microseconds, no zone) when every value is a
 * date and time (`2024-01-15 10:00:00`, `T` or space, optional fraction), BIGINT when every
 * value is a plain integer (no leading zeros or `+`), VARCHAR otherwise. `NULL` (any case)
 * is a null value. Partition columns come after the file's columns, sorted by name; a
 * partition key that is also a file column replaces that column's values in place.
 * (DuckDB also accepts rarer spellings such as `epoch` or time-zone offsets; those are
 * read here as VARCHAR or without the offset.)
 */

export type PartitionType = 'date' | 'timestamp' | 'bigint' | 'varchar';

/** A partition value in comparable form: days (date), microseconds (timestamp), bigint, string or null. */
export type PartitionValue = number | bigint | string | null;

const DATE = /^(-?\d{1,})-(\d{1,2})-(\d{1,2})$/;
const TIMESTAMP = /^(-?\d{1,})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/;
const BIGINT = /^\s*-?(0|[1-9]\d*)\s*$/;
const INT64_MAX = 9_223_372_036_854_775_807n;
const INT64_MIN = -9_223_372_036_854_775_808n;

/** Days since 1970-01-01 of a proleptic Gregorian date, or null when the date does not exist. */
export function civilDays(year: number, month: number, day: number): number | null {
  return isValidDate(year, month, day) ? daysFromCivil(year, month, day) : null;
}

function parseDate(text: string): number | null {
  const match = DATE.exec(text);
  return match ? civilDays(Number(match[1]), Number(match[2]), Number(match[3])) : null;
}

function parseTimestampMicros(text: string): bigint | null {
  const match = TIMESTAMP.exec(text);
  if (!match) return null;
  const days = civilDays(Number(match[1]), Number(match[2]), Number(match[3]));
  const [hour, minute, second] = [Number(match[4]), Number(match[5]), Number(match[6] ?? 0)];
  if (days === null || hour > 23 || minute > 59 || second > 59) return null;
  const fraction = BigInt((match[7] ?? '').padEnd(6, '0').slice(0, 6) || '0');
  return (BigInt(days) * 86_400n + BigInt(hour * 3600 + minute * 60 + second)) * 1_000_000n + fraction;
}

function parseBigint(text: string): bigint | null {
  if (!BIGINT.test(text)) return null;
  const value = BigInt(text.trim());
  return value > INT64_MAX || value < INT64_MIN ? null : value;
}

/** The type DuckDB detects for one undecoded partition value. */
export function detectPartitionType(raw: string): PartitionType {
  if (parseDate(raw) !== null) return 'date';
  if (parseTimestampMicros(raw) !== null) return 'timestamp';
  if (parseBigint(raw) !== null) return 'bigint';
  return 'varchar';
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The `key=value` folders of a path (the file name itself excluded), first occurrence per key; raw (undecoded) values. */
export function hiveSegments(filePath: string): Map<string, string> {
  const found = new Map<string, string>();
  const parts = filePath.split(/[\\/]/).slice(0, -1);
  for (const part of parts) {
    const pieces = part.split('=');
    if (pieces.length !== 2 || pieces[0] === '') continue;
    const key = decode(pieces[0]);
    if (!found.has(key)) found.set(key, pieces[1]);
  }
  return found;
}

/** A raw partition value in comparable form for `type`. */
export function partitionValue(raw: string, type: PartitionType): PartitionValue {
  if (raw.toUpperCase() === 'NULL') return null;
  switch (type) {
    case 'date':
      return parseDate(raw);
    case 'timestamp':
      return parseTimestampMicros(raw);
    case 'bigint':
      return parseBigint(raw);
    default:
      return decode(raw);
  }
}

/** The Arrow type a partition column gets (DuckDB's DATE, TIMESTAMP, BIGINT, VARCHAR). */
export function partitionArrowType(type: PartitionType): DataType {
  switch (type) {
    case 'date':
      return new DateDay();
    case 'timestamp':
      return new TimestampMicrosecond();
    case 'bigint':
      return new Int64();
    default:
      return new Utf8();
  }
}

/** A column of `length` copies of one partition value. */
export function constantPartitionData(type: PartitionType, value: PartitionValue, length: number): Data {
  const arrowType = partitionArrowType(type);
  const isNull = value === null;
  const nullBitmap = isNull ? new Uint8Array((length + 7) >> 3) : undefined;
  const nullCount = isNull ? length : 0;
  switch (type) {
    case 'date':
      return makeData({ type: arrowType as DateDay, length, nullCount, nullBitmap, data: new Int32Array(length).fill(isNull ? 0 : (value as number)) });
    case 'timestamp':
    case 'bigint':
      return makeData({ type: arrowType as Int64, length, nullCount, nullBitmap, data: new BigInt64Array(length).fill(isNull ? 0n : (value as bigint)) });
    default: {
      const bytes = Buffer.from(isNull ? '' : (value as string), 'utf8');
      const valueOffsets = new Int32Array(length + 1);
      for (let i = 0; i <= length; i++) valueOffsets[i] = i * bytes.length;
      const data = new Uint8Array(bytes.length * length);
      for (let i = 0; i < length; i++) data.set(bytes, i * bytes.length);
      return makeData({ type: arrowType as Utf8, length, nullCount, nullBitmap, valueOffsets, data });
    }
  }
}
