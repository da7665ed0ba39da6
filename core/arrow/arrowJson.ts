import { makeVector, Type, type Data, type DataType, type Table, type Vector } from 'apache-arrow';
import { civilFromDays } from '../time/civilDays.js';

/**
 * Arrow values as JSON, exactly as the CLI contract states: 64-bit integers outside
 * ±2^53 as strings, NaN/±Infinity as strings, timestamps as ISO 8601 UTC with `Z` and the
 * fraction digits of their unit (s 0, ms 3, us 6, ns 9), dates as `YYYY-MM-DD`, decimals as
 * exact strings, binary as base64, lists as arrays, structs as objects, maps as arrays of
 * `{key, value}`, null as null. Values are read from the Arrow buffers, never through
 * JavaScript `Date` or `number` where that would round.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const UNIT_DIGITS = [0, 3, 6, 9];
const UNIT_PER_SECOND = [1n, 1_000n, 1_000_000n, 1_000_000_000n];
/** Seconds a JavaScript Date can represent (±100,000,000 days). */
const MAX_DATE_SECONDS = 8_640_000_000_000n;

export function bigintToJson(value: bigint): number | string {
  return value <= MAX_SAFE && value >= MIN_SAFE ? Number(value) : value.toString();
}

export function numberToJson(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
}

/**
 * An instant as ISO 8601 UTC. `value` counts units since the epoch; `unit` is Arrow's
 * TimeUnit (0 s, 1 ms, 2 us, 3 ns), which sets the number of fraction digits.
 */
export function epochToIso(value: bigint, unit: number): string {
  const perSecond = UNIT_PER_SECOND[unit];
  let seconds = value / perSecond;
  let fraction = value % perSecond;
  if (fraction < 0n) {
    fraction += perSecond;
    seconds -= 1n;
  }
  if (seconds > MAX_DATE_SECONDS || seconds < -MAX_DATE_SECONDS) return value.toString();
  const base = new Date(Number(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, '');
  const digits = UNIT_DIGITS[unit];
  return digits === 0 ? `${base}Z` : `${base}.${fraction.toString().padStart(digits, '0')}Z`;
}

/**
 * A day count since 1970-01-01 as an ISO 8601 date: `YYYY-MM-DD` for years 0000–9999, the
 * expanded form (`+010000-01-01`, `-000001-12-31`) outside them. Exact for any day count
 * (proleptic Gregorian calendar, civil-from-days arithmetic), not limited to Date's range.
 */
export function daysToDate(days: number): string {
  const [year, month, day] = civilFromDays(days);
  const yearText = year >= 0 && year <= 9999 ? String(year).padStart(4, '0') : `${year < 0 ? '-' : '+'}${String(Math.abs(year)).padStart(6, '0')}`;
  return `${yearText}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function timeOfDay(value: bigint, unit: number): string {
  const perSecond = UNIT_PER_SECOND[unit];
  const seconds = Number(value / perSecond);
  const fraction = value % perSecond;
  const hh = String(Math.floor(seconds / 3600)).padStart(2, '0');
  const mm = String(Math.floor((seconds % 3600) / 60)).padStart(2, '0');
  const ss = String(seconds % 60).padStart(2, '0');
  const digits = UNIT_DIGITS[unit];
  return digits === 0 ? `${hh}:${mm}:${ss}` : `${hh}:${mm}:${ss}.${fraction.toString().padStart(digits, '0')}`;
}

/** A two's-complement little-endian integer of `words` 32-bit words, scaled by 10^-scale. */
function decimalToString(words: Uint32Array, start: number, count: number, scale: number): string {
  let value = 0n;
  for (let k = count - 1; k >= 0; k--) value = (value << 32n) | BigInt(words[start + k]);
  const bits = BigInt(count * 32);
  if (value >> (bits - 1n)) value -= 1n << bits;
  const negative = value < 0n;
  let digits = (negative ? -value : value).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  } else if (scale < 0) {
    digits = digits + '0'.repeat(-scale);
  }
  return negative ? `-${digits}` : digits;
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function raw64(values: ArrayLike<bigint | number>, position: number): bigint {
  const value = values[position];
  return typeof value === 'bigint' ? value : BigInt(Math.trunc(value));
}

/** The JSON value at logical position `index` of one Arrow `Data` chunk. */
export function dataValueToJson(data: Data, index: number): JsonValue {
  // Arrow JS slices value and offset buffers along with the Data, so they are indexed from
  // the chunk's start; only the validity bitmap keeps `data.offset` (getValid handles it).
  if (data.nullCount > 0 && !data.getValid(index)) return null;
  const type: DataType = data.type;
  switch (type.typeId) {
    case Type.Null:
      return null;
    case Type.Int: {
      const value: unknown = (data.values as ArrayLike<unknown>)[index];
      return typeof value === 'bigint' ? bigintToJson(value) : (value as number);
    }
    case Type.Float: {
      if ((type as unknown as { precision: number }).precision === 0) {
        return numberToJson(vectorOf(data).get(index) as number);
      }
      return numberToJson((data.values as Float32Array | Float64Array)[index]);
    }
    case Type.Bool:
      return vectorOf(data).get(index) as boolean;
    case Type.Utf8:
    case Type.LargeUtf8:
      return vectorOf(data).get(index) as string;
    case Type.Binary:
    case Type.LargeBinary:
    case Type.FixedSizeBinary:
      return toBase64(vectorOf(data).get(index) as Uint8Array);
    case Type.Decimal: {
      const { scale, bitWidth } = type as unknown as { scale: number; bitWidth: number };
      const words = bitWidth / 32;
      return decimalToString(data.values as Uint32Array, index * words, words, scale);
    }
    case Type.Date: {
      // DateUnit.DAY (0) counts days; DateUnit.MILLISECOND (1) counts milliseconds
      const unit = (type as unknown as { unit: number }).unit;
      const value = Number(raw64(data.values as ArrayLike<bigint | number>, index));
      return daysToDate(unit === 0 ? value : Math.floor(value / 86_400_000));
    }
    case Type.Time: {
      const unit = (type as unknown as { unit: number }).unit;
      return timeOfDay(raw64(data.values as ArrayLike<bigint | number>, index), unit);
    }
    case Type.Timestamp: {
      const unit = (type as unknown as { unit: number }).unit;
      return epochToIso(raw64(data.values as ArrayLike<bigint | number>, index), unit);
    }
    case Type.Duration:
      return bigintToJson(raw64(data.values as ArrayLike<bigint | number>, index));
    case Type.List:
    case Type.LargeList: {
      const offsets = data.valueOffsets as ArrayLike<number | bigint>;
      const start = Number(offsets[index]);
      const end = Number(offsets[index + 1]);
      const child = data.children[0];
      const out: JsonValue[] = [];
      for (let j = start; j < end; j++) out.push(dataValueToJson(child, j));
      return out;
    }
    case Type.FixedSizeList: {
      const size = (type as unknown as { listSize: number }).listSize;
      const child = data.children[0];
      const out: JsonValue[] = [];
      for (let j = index * size; j < (index + 1) * size; j++) out.push(dataValueToJson(child, j));
      return out;
    }
    case Type.Struct: {
      const out: { [key: string]: JsonValue } = {};
      const fields = (type as unknown as { children: { name: string }[] }).children;
      fields.forEach((field, k) => {
        out[field.name] = dataValueToJson(data.children[k], index);
      });
      return out;
    }
    case Type.Map: {
      const offsets = data.valueOffsets as ArrayLike<number>;
      const entries = data.children[0];
      const out: JsonValue[] = [];
      for (let j = offsets[index]; j < offsets[index + 1]; j++) {
        out.push({ key: dataValueToJson(entries.children[0], j), value: dataValueToJson(entries.children[1], j) });
      }
      return out;
    }
    case Type.Dictionary: {
      const key = Number((data.values as ArrayLike<number | bigint>)[index]);
      const dictionary = data.dictionary;
      return dictionary ? vectorValueToJson(dictionary, key) : null;
    }
    default:
      return genericToJson(vectorOf(data).get(index));
  }
}

function genericToJson(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return bigintToJson(value);
  if (typeof value === 'number') return numberToJson(value);
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (value instanceof Uint8Array) return toBase64(value);
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number | bigint>, genericToJson);
  if (Array.isArray(value)) return value.map(genericToJson);
  if (typeof value === 'object') {
    const out: { [key: string]: JsonValue } = {};
    for (const [key, inner] of Object.entries(value)) out[key] = genericToJson(inner);
    return out;
  }
  return typeof value === "symbol" ? value.toString() : "[function]";
}

const vectorCache = new WeakMap<Data, Vector>();

/** A one-chunk vector over `data`, for types whose decoding Arrow's own getters do best. */
function vectorOf(data: Data): Vector {
  let vector = vectorCache.get(data);
  if (!vector) {
    vector = makeVector(data);
    vectorCache.set(data, vector);
  }
  return vector;
}

/** The JSON value at row `index` of a (possibly chunked) vector. */
export function vectorValueToJson(vector: Vector, index: number): JsonValue {
  let remaining = index;
  for (const chunk of vector.data as Data[]) {
    if (remaining < chunk.length) return dataValueToJson(chunk, remaining);
    remaining -= chunk.length;
  }
  return null;
}

/** Rows of a table as JSON objects keyed by column name. */
export function tableToJsonRows(table: Table): { [column: string]: JsonValue }[] {
  const names = table.schema.fields.map((field) => field.name);
  const columns = names.map((_, k) => table.getChildAt(k));
  const rows: { [column: string]: JsonValue }[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const row: { [column: string]: JsonValue } = {};
    names.forEach((name, k) => {
      const column = columns[k];
      row[name] = column ? vectorValueToJson(column, i) : null;
    });
    rows.push(row);
  }
  return rows;
}
