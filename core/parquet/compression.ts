/**
 * The Parquet codecs MES Data writes, one list for every writer (parquet-wasm in the decoder
 * and ingest threads, DuckDB's COPY) and for the contract's choices. `lz4` is LZ4_RAW, the
 * codec current readers expect (Parquet's older LZ4 framing is read, never written).
 */
export const COMPRESSIONS = ['snappy', 'gzip', 'zstd', 'brotli', 'lz4', 'none'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

/** Each codec by its name in the Parquet format (the footer's, parquet-wasm's `Compression`). */
export const PARQUET_CODECS = {
  snappy: 'SNAPPY',
  gzip: 'GZIP',
  zstd: 'ZSTD',
  brotli: 'BROTLI',
  lz4: 'LZ4_RAW',
  none: 'UNCOMPRESSED',
} as const satisfies Record<Compression, string>;

export function isCompression(value: unknown): value is Compression {
  return typeof value === 'string' && (COMPRESSIONS as readonly string[]).includes(value);
}

/** A codec in the words of DuckDB's `COPY … (COMPRESSION …)`: the Parquet name in lower case. */
export function duckdbCodec(compression: Compression): string {
  return PARQUET_CODECS[compression].toLowerCase();
}
