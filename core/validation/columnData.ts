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

function validityOf(vector: Vector): Uint8Array | null {
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

export function isNumericType(type: DataType): boolean {
  return type.typeId === Type.Int || type.typeId === Type.Float || type.typeId === Type.Decimal;
}

/** A numeric column as float64 (64-bit integers beyond 2^53 lose their last digits). */
export function floatColumn(vector: Vector): FloatColumn {
  const values = new Float64Array(vector.length);
  const type = vector.type as DataType;
  let row = 0;
  for (const chunk of vector.data as Data[]) {
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
  /** the same values viewed as (low, high) 32-bit halves, for fast exact comparisons */
  lo: Uint32Array;
  hi: Int32Array;
  valid: Uint8Array | null;
  nullCount: number;
}

/** A timestamp column in nanoseconds (any unit), with fast 32-bit views of the values. */
export function timestampColumn(vector: Vector): TimestampColumn {
  const type = vector.type as DataType;
  const ns = new BigInt64Array(vector.length);
  const unit = type.typeId === Type.Timestamp ? (type as unknown as { unit: number }).unit : 3;
  const scale = UNIT_TO_NS[unit];
  let row = 0;
  for (const chunk of vector.data as Data[]) {
    const source = chunk.values as BigInt64Array;
    if (scale === 1n && source instanceof BigInt64Array) ns.set(source.subarray(0, chunk.length), row);
    else for (let i = 0; i < chunk.length; i++) ns[row + i] = BigInt(source[i]) * scale;
    row += chunk.length;
  }
  const words = new Uint32Array(ns.buffer);
  const lo = new Uint32Array(vector.length);
  const hi = new Int32Array(vector.length);
  const signed = new Int32Array(ns.buffer);
  for (let i = 0; i < vector.length; i++) {
    lo[i] = words[2 * i];
    hi[i] = signed[2 * i + 1];
  }
  return { ns, lo, hi, valid: validityOf(vector), nullCount: vector.nullCount };
}

/** Compares rows a and b of a timestamp column: negative, zero or positive. */
export function compareAt(column: TimestampColumn, a: number, b: number): number {
  const dh = column.hi[a] - column.hi[b];
  if (dh !== 0) return dh;
  return column.lo[a] - column.lo[b];
}

/** Nanoseconds from row a to row b, exact while under 2^53 (about 104 days). */
export function deltaNs(column: TimestampColumn, a: number, b: number): number {
  return (column.hi[b] - column.hi[a]) * 4_294_967_296 + (column.lo[b] - column.lo[a]);
}

/** Row i as milliseconds since the epoch (rounded to the nearest few hundred ns). */
export function msAt(column: TimestampColumn, i: number): number {
  return (column.hi[i] * 4_294_967_296 + column.lo[i]) / 1_000_000;
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
