import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DecoderPool } from '../../../../core/parquet/decoderPool.js';
import { openParquetFile } from '../../../../core/parquet/parquetFile.js';
import { writeParquet } from '../../../../core/parquet/writeParquet.js';
import { ohlcvTable, tempDir } from '../../../helpers/ohlcvTable.js';

describe('encodeFile (the decoder thread write)', () => {
  const { dir, cleanup } = tempDir();
  const pool = new DecoderPool();
  afterAll(async () => {
    await pool.close();
    cleanup();
  });

  it('keeps the footer bytes of earlier versions: key-value pairs in the order parquet-wasm gave them before', async () => {
    // parquet-wasm's hash maps take their seeds in turn, so this order follows the order of
    // the calls that encode a file: it pins them (the same file written again is the same bytes)
    const file = path.join(dir, 'order.parquet');
    await writeParquet(ohlcvTable(100), file, { compression: 'zstd', metadata: { a: '1', b: '2', c: '3', 'mes_data.x': 'y' }, decoder: pool });
    const { info } = await openParquetFile(file, { decoder: pool });
    expect(Object.keys(info.keyValue)).toEqual(['c', 'b', 'mes_data.x', 'a', 'ARROW:schema']);
  });

  it('replaces a file atomically and leaves no temporary file; a missing folder is NOT_FOUND naming the file', async () => {
    const file = path.join(dir, 'replace.parquet');
    await writeParquet(ohlcvTable(3), file, { decoder: pool });
    const result = await writeParquet(ohlcvTable(5), file, { decoder: pool });
    expect(result).toMatchObject({ path: file, numRows: 5, bytes: fs.statSync(file).size });
    expect((await openParquetFile(file, { decoder: pool })).numRows).toBe(5);
    expect(fs.readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    const missing = path.join(dir, 'no-such-folder', 'x.parquet');
    await expect(writeParquet(ohlcvTable(1), missing, { decoder: pool })).rejects.toMatchObject({ code: 'NOT_FOUND', details: { path: missing, errno: 'ENOENT' } });
  });
});
