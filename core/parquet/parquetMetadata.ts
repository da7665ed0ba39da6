import { openParquetFile, type ColumnChunkInfo } from './parquetFile.js';
import type { DecoderPool } from './decoderPool.js';

interface ParquetMetadata {
  path: string;
  bytes: number;
  numRows: number;
  numRowGroups: number;
  version: number;
  createdBy: string | null;
  keyValue: Record<string, string>;
  rowGroups: { numRows: number; rowStart: number; totalByteSize: number; columns: ColumnChunkInfo[] }[];
}

interface ParquetColumnSchema {
  name: string;
  /** Arrow's name for the type: `Float64`, `Int64`, `Timestamp<NANOSECOND, UTC>`, `Utf8`, … */
  type: string;
  nullable: boolean;
}

interface ParquetSchema {
  path: string;
  numRows: number;
  columns: ParquetColumnSchema[];
  /** Arrow schema-level metadata (for example pandas' or our own keys), as stored. */
  metadata: Record<string, string>;
}

/**
 * The footer of a Parquet file as plain data: row count, writer, key-value metadata and,
 * per row group and column, codec, sizes in bytes, min, max and null count. Reads the
 * footer only. Throws as `openParquetFile`.
 */
export async function getParquetMetadata(path: string, options: { decoder?: DecoderPool } = {}): Promise<ParquetMetadata> {
  const { info } = await openParquetFile(path, options);
  return {
    path,
    bytes: info.bytes,
    numRows: info.numRows,
    numRowGroups: info.rowGroups.length,
    version: info.version,
    createdBy: info.createdBy,
    keyValue: info.keyValue,
    rowGroups: info.rowGroups.map(({ numRows, rowStart, totalByteSize, columns }) => ({ numRows, rowStart, totalByteSize, columns })),
  };
}

/** Column names, Arrow types and nullability of a Parquet file. Reads the footer only. */
export async function getParquetSchema(path: string, options: { decoder?: DecoderPool } = {}): Promise<ParquetSchema> {
  const { info, schema } = await openParquetFile(path, options);
  return {
    path,
    numRows: info.numRows,
    columns: schema.fields.map((field) => ({ name: field.name, type: String(field.type), nullable: field.nullable })),
    metadata: Object.fromEntries(schema.metadata),
  };
}
