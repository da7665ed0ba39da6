import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DecoderPool } from '../../../core/parquet/decoderPool.js';
import { openParquetFile, readParquet, readParquetRows } from '../../../core/parquet/parquetFile.js';
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

describe('DecoderPool: reads waiting together', () => {
  const { dir, cleanup } = tempDir();
  afterAll(cleanup);

  it('go to the thread in one readMany message, each with its own rows or its own error', async () => {
    const pool = new DecoderPool();
    const files = await Promise.all(
      [10, 20, 30, 40].map(async (rows) => {
        const file = path.join(dir, `batch-${rows}.parquet`);
        await writeParquet(ohlcvTable(rows), file, { decoder: pool });
        return file;
      }),
    );
    const damaged = path.join(dir, 'batch-damaged.parquet');
    fs.writeFileSync(damaged, 'PAR1 not a footer PAR1');
    const posted = vi.spyOn(Worker.prototype, 'postMessage');
    try {
      // the first read goes alone; the five that arrive while it runs wait and go together
      const reads = [
        readParquetRows(files[0], 2, 3, { decoder: pool }),
        readParquetRows(files[1], 15, 100, { decoder: pool, columns: ['close', 'timestamp'] }),
        readParquetRows(path.join(dir, 'missing.parquet'), 0, 1, { decoder: pool }),
        readParquetRows(files[2], 0, 2, { decoder: pool }),
        readParquetRows(damaged, 0, 1, { decoder: pool }),
        readParquetRows(files[3], 39, 1, { decoder: pool, columns: ['volume'] }),
      ];
      const settled = await Promise.allSettled(reads);
      const ops = posted.mock.calls.map(([message]) => message as { op: string; args: { reads?: { path: string }[] } });
      expect(ops.map((m) => m.op)).toEqual(['read', 'readMany']);
      expect(ops[1].args.reads?.map((r) => path.basename(r.path))).toEqual(['batch-20.parquet', 'missing.parquet', 'batch-30.parquet', 'batch-damaged.parquet', 'batch-40.parquet']);
      const value = (k: number) => (settled[k] as PromiseFulfilledResult<Awaited<(typeof reads)[number]>>).value;
      expect([...(value(0).getChild('open')?.toArray() as Float64Array)]).toEqual([5000.5, 5000.75, 5001]);
      expect(value(1).schema.fields.map((f) => f.name)).toEqual(['close', 'timestamp']);
      expect(value(1).numRows).toBe(5);
      expect([...(value(1).getChild('close')?.toArray() as Float64Array)]).toEqual([...(ohlcvTable(20).getChild('close')?.toArray() as Float64Array)].slice(15));
      expect(settled[2]).toMatchObject({ status: 'rejected', reason: { code: 'NOT_FOUND', message: `file not found: ${path.join(dir, 'missing.parquet')}` } });
      expect(value(3).numRows).toBe(2);
      expect(settled[4]).toMatchObject({ status: 'rejected', reason: { code: 'CORRUPTED_FILE', details: { path: damaged } } });
      expect([...(value(5).getChild('volume')?.toArray() as BigInt64Array)]).toEqual([(ohlcvTable(40).getChild('volume')?.toArray() as BigInt64Array)[39]]);
    } finally {
      posted.mockRestore();
      await pool.close();
    }
  });

  it('a batch that outlives its time goes back to the queue read by read: each read fails with TIMEOUT naming its own file', async () => {
    const pool = new DecoderPool();
    const files = await Promise.all(
      [0, 1, 2].map(async (k) => {
        const file = path.join(dir, `slow-${k}.parquet`);
        await writeParquet(ohlcvTable(200_000), file, { decoder: pool, rowGroupSize: 200_000 });
        return file;
      }),
    );
    const posted = vi.spyOn(Worker.prototype, 'postMessage');
    try {
      const settled = await Promise.allSettled(files.map((file) => pool.request('read', { path: file }, { timeoutMs: 1 })));
      expect(settled.map((s) => (s.status === 'rejected' ? (s.reason as { code: string; message: string }) : null))).toEqual(
        files.map((file): unknown => expect.objectContaining({ code: 'TIMEOUT', message: `decoding ${file} took longer than 1 ms and was stopped` })),
      );
      // the first alone, the other two together, then those two again one by one
      expect(posted.mock.calls.map(([message]) => (message as { op: string }).op)).toEqual(['read', 'readMany', 'read', 'read']);
      // the pool goes on
      expect((await readParquetRows(files[0], 5, 2, { decoder: pool })).numRows).toBe(2);
    } finally {
      posted.mockRestore();
      await pool.close();
    }
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
