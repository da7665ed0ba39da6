import { Type, type Data, type DataType, type Vector } from 'apache-arrow';

/**
 * Columns as flat typed arrays for the vectorized rules: values copied (or viewed) into one
 * contiguous array, plus a validity mask (1 = value present) when the column has nulls.
 */

export interface FloatColumn {
  values: Float64Array;
  /** null when no value is missing */
  valid: Uint8Array | null;
  nullCount: number;
}

/** One byte per row, 1 where a value is present; null when none is missing. */
export function validityOf(vector: Vector): Uint8Array | null {
  if (vector.nullCount === 0) return null;
  const valid = new Uint8Array(vector.length);
  let row = 0;
  for (const chunk of vector.data as Data[]) {
    if (chunk.nullCount === 0) {
      valid.fill(1, row, row + chunk.length);
    } else {
      for (let i = 0; i < chunk.length; i++) valid[row + i] = chunk.getValid(i) ? 1 : 0;
    }
    row += chunk.length;
  }
  return valid;
}

/**
 * A numeric column as float64 (64-bit integers beyond 2^53 lose their last digits). A
 * single-chunk float64 column is viewed, not copied: treat `values` as read-only.
 */
export function floatColumn(vector: Vector): FloatColumn {
  const type = vector.type as DataType;
  const chunks = vector.data as Data[];
  if (chunks.length === 1 && chunks[0].values instanceof Float64Array) {
    return { values: (chunks[0].values).subarray(0, vector.length), valid: validityOf(vector), nullCount: vector.nullCount };
  }
  const values = new Float64Array(vector.length);
  let row = 0;
  for (const chunk of chunks) {
    const source = chunk.values as ArrayLike<number | bigint>;
    if (type.typeId === Type.Float && (type as unknown as { precision: number }).precision === 2) {
      values.set(chunk.values as Float64Array, row);
    } else if (source instanceof BigInt64Array || source instanceof BigUint64Array) {
      for (let i = 0; i < chunk.length; i++) values[row + i] = Number(source[i]);
    } else if (type.typeId === Type.Float || type.typeId === Type.Int) {
      for (let i = 0; i < chunk.length; i++) values[row + i] = Number(source[i]);
    } else {
      for (let i = 0; i < chunk.length; i++) values[row + i] = Number(vector.get(row + i));
    }
    row += chunk.length;
  }
  return { values, valid: validityOf(vector), nullCount: vector.nullCount };
}

const UNIT_TO_NS = [1_000_000_000n, 1_000_000n, 1_000n, 1n];

export interface TimestampColumn {
  /** nanoseconds since the epoch, UTC */
  ns: BigInt64Array;
  /**
   * The same values as 32-bit words, for fast exact comparisons without BigInt:
   * value i is `words[2i + 1]` (high, signed) · 2^32 + `words[2i] >>> 0` (low). Little-endian.
   */
  words: Int32Array;
  valid: Uint8Array | null;
  nullCount: number;
}

/**
 * A timestamp column in nanoseconds (any unit). A single-chunk nanosecond column is viewed,
 * not copied.
 */
export function timestampColumn(vector: Vector): TimestampColumn {
  const type = vector.type as DataType;
  const chunks = vector.data as Data[];
  const unit = type.typeId === Type.Timestamp ? (type as unknown as { unit: number }).unit : 3;
  const scale = UNIT_TO_NS[unit];
  let ns: BigInt64Array;
  if (chunks.length === 1 && scale === 1n && chunks[0].values instanceof BigInt64Array) {
    ns = (chunks[0].values).subarray(0, vector.length);
  } else {
    ns = new BigInt64Array(vector.length);
    let row = 0;
    for (const chunk of chunks) {
      const source = chunk.values as BigInt64Array;
      if (scale === 1n && source instanceof BigInt64Array) ns.set(source.subarray(0, chunk.length), row);
      else for (let i = 0; i < chunk.length; i++) ns[row + i] = BigInt(source[i]) * scale;
      row += chunk.length;
    }
  }
  const words = new Int32Array(ns.buffer, ns.byteOffset, ns.length * 2);
  return { ns, words, valid: validityOf(vector), nullCount: vector.nullCount };
}

/** Nanoseconds from row a to row b, exact while under 2^53 (about 104 days). */
export function deltaNs(column: TimestampColumn, a: number, b: number): number {
  const w = column.words;
  return (w[2 * b + 1] - w[2 * a + 1]) * 4_294_967_296 + ((w[2 * b] >>> 0) - (w[2 * a] >>> 0));
}

/** Row i as milliseconds since the epoch (rounded to the nearest few hundred ns). */
export function msAt(column: TimestampColumn, i: number): number {
  const w = column.words;
  return (w[2 * i + 1] * 4_294_967_296 + (w[2 * i] >>> 0)) / 1_000_000;
}

/** Signed 64-bit integer columns as 32-bit words (value i's sign is the sign of `words[2i + 1]`), or null. */
export function int64Words(vector: Vector): Int32Array | null {
  const chunks = vector.data as Data[];
  if (chunks.length !== 1 || !(chunks[0].values instanceof BigInt64Array)) return null;
  const values = (chunks[0].values).subarray(0, vector.length);
  return new Int32Array(values.buffer, values.byteOffset, values.length * 2);
}

/** Positions of missing values (first `limit`) and how many there are. */
export function nullRows(valid: Uint8Array | null, limit: number): { count: number; rows: number[] } {
  if (!valid) return { count: 0, rows: [] };
  let count = 0;
  const rows: number[] = [];
  for (let i = 0; i < valid.length; i++) {
    if (valid[i] === 0) {
      count++;
      if (rows.length < limit) rows.push(i);
    }
  }
  return { count, rows };
}
