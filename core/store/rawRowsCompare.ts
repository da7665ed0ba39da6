import type { Data, Table, Vector } from 'apache-arrow';
import { readParquet } from '../parquet/parquetFile.js';

/**
 * Whether two Parquet files hold the same rows: the same column names in the same order,
 * the same types (a timestamp's unit aside: `…T10:00:00Z` in microseconds is the same
 * instant in nanoseconds) and the same values in the same order (NaN equals NaN, null
 * equals null). Read through our own reader, so nanosecond timestamps compare exactly.
 *
 * The store asks this only when neither the bytes nor the content digest of a raw snapshot
 * written again match the recorded ones, i.e. when the file was written by another writer
 * (an older MES Data that stored nanoseconds, or DuckDB against our own encoder): a few
 * milliseconds per file, on that path only. Throws as `readParquet` (CORRUPTED_FILE, …).
 */
export async function sameRows(a: string, b: string): Promise<boolean> {
  const [left, right] = await Promise.all([readParquet(a), readParquet(b)]);
  return sameTables(left, right);
}

/** See `sameRows`. */
function sameTables(left: Table, right: Table): boolean {
  if (left.numRows !== right.numRows) return false;
  const lf = left.schema.fields;
  const rf = right.schema.fields;
  if (lf.length !== rf.length) return false;
  for (let k = 0; k < lf.length; k++) {
    if (lf[k].name !== rf[k].name) return false;
    const lt = lf[k].type as { typeId: number; unit?: number };
    const rt = rf[k].type as { typeId: number; unit?: number };
    if (lt.typeId !== rt.typeId) return false;
    const a = left.getChildAt(k);
    const b = right.getChildAt(k);
    if (!a || !b) return false;
    if (isTimestamp(lf[k].type)) {
      if (!sameTimestamps(a, lt.unit ?? 0, b, rt.unit ?? 0)) return false;
    } else if (String(lf[k].type) !== String(rf[k].type) || !sameValues(a, b)) return false;
  }
  return true;
}

function isTimestamp(type: unknown): boolean {
  return String(type).startsWith('Timestamp<');
}

const NANOS_PER_UNIT = [1_000_000_000n, 1_000_000n, 1_000n, 1n];

/** Row i's raw int64 (scaled to nanoseconds) or null, chunk by chunk. */
function* instants(vector: Vector, unit: number): Generator<bigint | null> {
  const scale = NANOS_PER_UNIT[unit] ?? 1n;
  for (const chunk of vector.data as Data[]) {
    const values = chunk.values as BigInt64Array;
    for (let j = 0; j < chunk.length; j++) {
      if (chunk.nullCount > 0 && !chunk.getValid(j)) yield null;
      else yield values[j] * scale;
    }
  }
}

function sameTimestamps(a: Vector, unitA: number, b: Vector, unitB: number): boolean {
  const right = instants(b, unitB);
  for (const value of instants(a, unitA)) {
    const other = right.next();
    if (other.done || other.value !== value) return false;
  }
  return right.next().done === true;
}

function sameValues(a: Vector, b: Vector): boolean {
  for (let i = 0; i < a.length; i++) {
    const x: unknown = a.get(i);
    const y: unknown = b.get(i);
    if (x === y || (typeof x === 'number' && typeof y === 'number' && Number.isNaN(x) && Number.isNaN(y))) continue;
    if (x === undefined || y === undefined || x === null || y === null) {
      if ((x ?? null) !== (y ?? null)) return false;
      continue;
    }
    return false;
  }
  return true;
}
