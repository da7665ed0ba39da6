import { DateDay, makeData, makeVector, Table, TimestampMillisecond, Type, type Data, type DataType, type Vector } from 'apache-arrow';

/**
 * Parquet has no logical type for second-resolution timestamps nor for millisecond dates
 * (Arrow's Timestamp<SECOND> and Date64). Written as they are, they become bare INT64 that
 * DuckDB, Spark and pandas read as plain integers. Convert them first, as pyarrow does:
 * seconds to milliseconds (same zone), Date64 to Date32 days. Values are unchanged in meaning.
 */
export function normalizeForParquet(table: Table): Table {
  const needsWork = table.schema.fields.some((field) => isSecondTimestamp(field.type as DataType) || isMillisecondDate(field.type as DataType));
  if (!needsWork) return table;
  const columns: Record<string, Vector> = {};
  table.schema.fields.forEach((field, index) => {
    const column = table.getChildAt(index);
    if (!column) return;
    columns[field.name] = makeVector((column.data as Data[]).map((chunk) => convertChunk(chunk)));
  });
  return new Table(columns);
}

function isMillisecondDate(type: DataType): boolean {
  return type.typeId === Type.Date && (type as unknown as { unit: number }).unit === 1;
}

function isSecondTimestamp(type: DataType): boolean {
  return type.typeId === Type.Timestamp && (type as unknown as { unit: number }).unit === 0;
}

function convertChunk(chunk: Data): Data {
  const type = chunk.type;
  const values = chunk.values as BigInt64Array | Int32Array;
  if (isSecondTimestamp(type)) {
    const out = new BigInt64Array(chunk.length);
    for (let i = 0; i < chunk.length; i++) out[i] = BigInt(values[i]) * 1000n;
    const timezone = (type as unknown as { timezone: string | null }).timezone ?? undefined;
    return makeData({ type: new TimestampMillisecond(timezone), length: chunk.length, nullCount: chunk.nullCount, nullBitmap: validity(chunk), data: out });
  }
  if (isMillisecondDate(type)) {
    const out = new Int32Array(chunk.length);
    for (let i = 0; i < chunk.length; i++) out[i] = Math.floor(Number(values[i]) / 86_400_000);
    return makeData({ type: new DateDay(), length: chunk.length, nullCount: chunk.nullCount, nullBitmap: validity(chunk), data: out });
  }
  return chunk;
}

/** The chunk's validity bitmap re-based to start at bit 0 (Arrow JS keeps the slice offset). */
function validity(chunk: Data): Uint8Array | undefined {
  if (chunk.nullCount === 0) return undefined;
  const bitmap = new Uint8Array((chunk.length + 7) >> 3);
  for (let i = 0; i < chunk.length; i++) if (chunk.getValid(i)) bitmap[i >> 3] |= 1 << (i & 7);
  return bitmap;
}
