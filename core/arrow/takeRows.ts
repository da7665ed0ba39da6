import { makeData, makeVector, Table, Type, vectorFromArray, type Data, type DataType, type Vector } from 'apache-arrow';

const FIXED_WIDTH = new Set<number>([Type.Int, Type.Float, Type.Timestamp, Type.Date, Type.Time, Type.Duration, Type.Decimal]);

/** The chunk and position inside it of each row of a chunked vector. */
function locate(vector: Vector): { chunk: Int32Array; local: Int32Array } {
  const chunk = new Int32Array(vector.length);
  const local = new Int32Array(vector.length);
  let row = 0;
  (vector.data as Data[]).forEach((data, c) => {
    for (let i = 0; i < data.length; i++) {
      chunk[row] = c;
      local[row] = i;
      row++;
    }
  });
  return { chunk, local };
}

/**
 * The rows of a vector at `indices`, in that order. Fixed-width values (numbers, timestamps,
 * dates, decimals) are copied from the buffers, so they stay exact; other types go through
 * their JavaScript values.
 */
function takeVector(vector: Vector, indices: ArrayLike<number>): Vector {
  const type = vector.type as DataType;
  const n = indices.length;
  let nullCount = 0;
  const nullBitmap = new Uint8Array((n + 7) >> 3);
  for (let k = 0; k < n; k++) {
    if (vector.isValid(indices[k])) nullBitmap[k >> 3] |= 1 << (k & 7);
    else nullCount++;
  }
  if (FIXED_WIDTH.has(type.typeId)) {
    const chunks = vector.data as Data[];
    const stride = chunks[0]?.stride ?? 1;
    const ArrayType = (type as unknown as { ArrayType: new (length: number) => { [i: number]: number | bigint } }).ArrayType;
    const out = new ArrayType(n * stride);
    const single = chunks.length === 1;
    const where = single ? null : locate(vector);
    for (let k = 0; k < n; k++) {
      const row = indices[k];
      const source = (single ? chunks[0] : chunks[(where as { chunk: Int32Array }).chunk[row]]).values as { [i: number]: number | bigint };
      const at = single ? row : (where as { local: Int32Array }).local[row];
      for (let s = 0; s < stride; s++) out[k * stride + s] = source[at * stride + s];
    }
    return makeVector(makeData({ type, length: n, nullCount, nullBitmap: nullCount > 0 ? nullBitmap : undefined, data: out } as never));
  }
  const values: unknown[] = [];
  for (let k = 0; k < n; k++) values.push(vector.isValid(indices[k]) ? vector.get(indices[k]) : null);
  const target = type.typeId === Type.Dictionary ? (type as unknown as { dictionary: DataType }).dictionary : type;
  return vectorFromArray(values, target) as Vector;
}

/** The rows of a table at `indices`, in that order, same columns and types (dictionaries decoded). */
export function takeRows(table: Table, indices: ArrayLike<number>): Table {
  const columns: Record<string, Vector> = {};
  table.schema.fields.forEach((field, k) => {
    columns[field.name] = takeVector(table.getChildAt(k) as Vector, indices);
  });
  return new Table(columns);
}
