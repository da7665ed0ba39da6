import { COMPRESSIONS, PARQUET_CODECS } from '../parquet/compression.js';
import { getParquetMetadata } from '../parquet/parquetMetadata.js';
import type { CompressionName } from './metadataManager.js';

/** What the store records about a Parquet file, from its footer only. */
interface ParquetFileFacts {
  rows: number;
  rowGroups: number;
  compression: CompressionName;
  keyValue: Record<string, string>;
  /** Rows in the largest row group (used to keep the layout when a file is rewritten). */
  largestRowGroup: number;
}

/** Footer codec names in the words of `writeParquet`; Parquet's older LZ4 framing is `lz4` too. */
const CODECS: Record<string, CompressionName> = { ...Object.fromEntries(COMPRESSIONS.map((name) => [PARQUET_CODECS[name], name])), LZ4: 'lz4' };

/** The codec of a file in the words of `writeParquet`: one name, `mixed` when columns differ, `unknown` for none. */
export function compressionOf(codecs: string[]): CompressionName {
  const names = new Set(codecs.map((codec) => CODECS[codec.toUpperCase()] ?? 'unknown'));
  if (names.size === 0) return 'unknown';
  if (names.size > 1) return 'mixed';
  return [...names][0];
}

/** Reads the footer of a Parquet file. Throws as `getParquetMetadata` (CORRUPTED_FILE, NOT_FOUND, …). */
export async function parquetFileFacts(filePath: string): Promise<ParquetFileFacts> {
  const meta = await getParquetMetadata(filePath);
  return {
    rows: meta.numRows,
    rowGroups: meta.numRowGroups,
    compression: compressionOf(meta.rowGroups.flatMap((group) => group.columns.map((column) => column.compression))),
    keyValue: meta.keyValue,
    largestRowGroup: meta.rowGroups.reduce((max, group) => Math.max(max, group.numRows), 0),
  };
}
