import { describe, expect, it } from 'vitest';
import { COMPRESSIONS, PARQUET_CODECS, duckdbCodec, isCompression } from '../../../core/parquet/compression.js';
import { wasm } from '../../../core/parquet/wasmRuntime.js';
import { compressionOf } from '../../../core/store/parquetFileFacts.js';

describe('compression', () => {
  it('is one list of six codecs', () => {
    expect(COMPRESSIONS).toEqual(['snappy', 'gzip', 'zstd', 'brotli', 'lz4', 'none']);
    for (const name of COMPRESSIONS) expect(isCompression(name)).toBe(true);
    for (const other of ['lzo', 'LZ4', 'lz4_raw', '', 3, null]) expect(isCompression(other)).toBe(false);
  });

  it('names each codec as parquet-wasm and DuckDB do', () => {
    for (const name of COMPRESSIONS) expect(typeof wasm.Compression[PARQUET_CODECS[name]]).toBe('number');
    expect(Object.fromEntries(COMPRESSIONS.map((name) => [name, duckdbCodec(name)]))).toEqual({
      snappy: 'snappy',
      gzip: 'gzip',
      zstd: 'zstd',
      brotli: 'brotli',
      lz4: 'lz4_raw',
      none: 'uncompressed',
    });
  });

  it('reads a footer codec back in the same words, the older LZ4 framing as lz4', () => {
    expect(compressionOf(['LZ4_RAW', 'LZ4_RAW'])).toBe('lz4');
    expect(compressionOf(['LZ4'])).toBe('lz4');
    expect(compressionOf(['UNCOMPRESSED'])).toBe('none');
    expect(compressionOf(['brotli'])).toBe('brotli');
    expect(compressionOf(['ZSTD', 'SNAPPY'])).toBe('mixed');
    expect(compressionOf(['LZO'])).toBe('unknown');
    expect(compressionOf([])).toBe('unknown');
  });
});
