import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DecoderPool } from '../../../core/parquet/decoderPool.js';
import { openParquetFile, readParquet } from '../../../core/parquet/parquetFile.js';
import { writeParquet } from '../../../core/parquet/writeParquet.js';
import { corpusFile, skipWithoutCorpus } from '../../helpers/corpus.js';
import { ohlcvTable, tempDir } from '../../helpers/ohlcvTable.js';


describe('DecoderPool', () => {
  const { dir, cleanup } = tempDir();
  afterAll(cleanup);

  it('a thread that dies fails its request with a typed error naming the file, and the pool goes on', async () => {
    const pool = new DecoderPool();
    await expect(pool.request('crash', { path: 'victim.parquet' })).rejects.toMatchObject({
      code: 'CORRUPTED_FILE',
      message: 'the decoder crashed on victim.parquet: decoder thread exited with code 3',
      details: { path: 'victim.parquet' },
    });
    const file = path.join(dir, 'after-crash.parquet');
    await writeParquet(ohlcvTable(10), file, { decoder: pool });
    expect((await readParquet(file, { decoder: pool })).numRows).toBe(10);
    await pool.close();
  });

  it('stops a request that hangs with TIMEOUT and serves the next one', async () => {
    const pool = new DecoderPool();
    await expect(pool.request('hang', { path: 'stuck.parquet' }, { timeoutMs: 300 })).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: 'decoding stuck.parquet took longer than 300 ms and was stopped',
    });
    const file = path.join(dir, 'after-hang.parquet');
    await writeParquet(ohlcvTable(3), file, { decoder: pool });
    expect((await openParquetFile(file, { decoder: pool })).numRows).toBe(3);
    await pool.close();
  });

  it('refuses a chunk too large to decode with UNSUPPORTED_FILE, and the next file reads', async (context) => {
    skipWithoutCorpus(context);
    const pool = new DecoderPool();
    const panicking = corpusFile('data/large_string_map.brotli.parquet');
    const handle = await openParquetFile(panicking, { decoder: pool });
    await expect(handle.readAll()).rejects.toMatchObject({ code: 'UNSUPPORTED_FILE', details: { path: panicking, reason: 'column chunk too large', column: 'arr.key_value.key' } });
    const plain = await readParquet(corpusFile('data/alltypes_plain.parquet'), { decoder: pool });
    expect(plain.numRows).toBe(8);
    await pool.close();
  });

  it('retires a thread whose WebAssembly memory passed the limit', async () => {
    const pool = new DecoderPool({ maxWasmBytes: 1 });
    const file = path.join(dir, 'retire.parquet');
    await writeParquet(ohlcvTable(1000), file, { decoder: pool });
    // the thread that wrote is gone: no WebAssembly memory is held any more
    expect(pool.wasmBytes).toBe(0);
    expect((await readParquet(file, { decoder: pool })).numRows).toBe(1000);
    expect(pool.wasmBytes).toBe(0);
    await pool.close();
  });

  it('keeps a thread and its memory under the limit', async () => {
    const pool = new DecoderPool();
    const file = path.join(dir, 'keep.parquet');
    await writeParquet(ohlcvTable(1000), file, { decoder: pool });
    expect(pool.wasmBytes).toBeGreaterThan(0);
    await pool.close();
    expect(pool.wasmBytes).toBe(0);
  });

  it('fails queued requests when closed', async () => {
    const pool = new DecoderPool();
    const first = pool.request('hang', { path: 'a' });
    const second = pool.request('open', { path: 'b' });
    await pool.close();
    await expect(second).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect(first).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});

describe('DecoderPool.warm', () => {
  it('starts a thread before the first request and reuses it', async () => {
    const pool = new DecoderPool();
    expect(pool.liveThreads).toBe(0);
    pool.warm();
    pool.warm();
    expect(pool.liveThreads).toBe(1);
    const { dir, cleanup } = tempDir();
    const file = path.join(dir, 'warm.parquet');
    await writeParquet(ohlcvTable(5), file, { decoder: pool });
    expect((await readParquet(file, { decoder: pool })).numRows).toBe(5);
    expect(pool.liveThreads).toBe(1);
    await pool.close();
    cleanup();
  });
});
