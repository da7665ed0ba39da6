import { createRequire } from 'node:module';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import type * as ParquetWasm from 'parquet-wasm/node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DecoderPool } from '../../../../core/parquet/decoderPool.js';
import { readParquetRows } from '../../../../core/parquet/parquetFile.js';
import { readRows } from '../../../../core/parquet/decoder/readRows.js';
import { readBatch } from '../../../../core/parquet/decoder/sharedReads.js';
import { writeParquet } from '../../../../core/parquet/writeParquet.js';
import { ohlcvTable, tempDir } from '../../../helpers/ohlcvTable.js';

/** parquet-wasm's module itself: core/parquet/wasmRuntime.ts loads it on first use behind a proxy, which a spy cannot wrap; the proxy reads this same module object. */
const parquetWasm = createRequire(import.meta.url)('parquet-wasm/node') as typeof ParquetWasm;

/** A read's rows as plain values per column, from its IPC stream. */
function valuesOf(ipc: Uint8Array): Record<string, unknown[]> {
  const table = tableFromIPC(ipc);
  return Object.fromEntries(table.schema.fields.map((field, k) => [field.name, Array.from(table.getChildAt(k)?.toArray() as ArrayLike<unknown>)]));
}

describe('readBatch', () => {
  const { dir, cleanup } = tempDir('mes-data-shared-reads-');
  // 3,000 rows in three row groups of 1,000
  const file = path.join(dir, 'three-groups.parquet');
  beforeAll(async () => {
    const pool = new DecoderPool();
    await writeParquet(ohlcvTable(3000), file, { decoder: pool, rowGroupSize: 1000 });
    await pool.close();
  });
  afterAll(cleanup);

  it('decodes a row group once for the many pages in it, each page the rows a read of its own gives', async () => {
    // six pages in group 0 (6 × 600 ≥ 1,000 + 2 × 500), one across groups 0 and 1, two in group 2 (not worth a decode of it)
    const reads = [0, 100, 200, 300, 400, 500].map((offset) => ({ path: file, offset, limit: 100 }));
    reads.push({ path: file, offset: 950, limit: 100 }, { path: file, offset: 2100, limit: 100 }, { path: file, offset: 2500, limit: 100 });
    const alone = await Promise.all(reads.map((read) => readRows(read.path, read)));
    const decodes = vi.spyOn(parquetWasm, 'readParquet');
    try {
      const results = await readBatch(reads);
      expect(results.map((r) => r.ok)).toEqual(reads.map(() => true));
      results.forEach((result, k) => {
        expect(result.ok && valuesOf(result.ipc)).toEqual(valuesOf(alone[k].ipc));
      });
      expect(results[6].ok && valuesOf(results[6].ipc).open.length).toBe(100);
      // group 0 whole once (its six pages), and the read across 0 and 1 and the two of group 2 on their own
      expect(decodes.mock.calls.map(([, options]) => options)).toEqual([
        { rowGroups: [0] },
        { rowGroups: [0, 1], offset: 950, limit: 100 },
        { rowGroups: [2], offset: 100, limit: 100 },
        { rowGroups: [2], offset: 500, limit: 100 },
      ]);
    } finally {
      decodes.mockRestore();
    }
  });

  it('reads of other columns are another group; a column the file lacks fails each of its reads with NOT_FOUND', async () => {
    const reads = [
      ...[0, 100, 200, 300].map((offset) => ({ path: file, offset, limit: 100, columns: ['close'] })),
      ...[0, 100].map((offset) => ({ path: file, offset, limit: 100, columns: ['nope'] })),
    ];
    const alone = await Promise.all(reads.slice(0, 4).map((read) => readRows(read.path, read)));
    const decodes = vi.spyOn(parquetWasm, 'readParquet');
    try {
      const results = await readBatch(reads);
      // as a read of its own gives them (the caller keeps the columns it asked for)
      results.slice(0, 4).forEach((result, k) => {
        expect(result.ok && valuesOf(result.ipc)).toEqual(valuesOf(alone[k].ipc));
      });
      expect(results.slice(0, 4).map((r) => r.ok && (valuesOf(r.ipc).close[0] as number))).toEqual([0, 100, 200, 300].map((k) => ohlcvTable(3000).getChild('close')?.get(k) as number));
      expect(results.slice(4)).toEqual([0, 1].map(() => ({ ok: false, error: expect.objectContaining({ code: 'NOT_FOUND' }) as unknown })));
      expect(decodes.mock.calls.map(([, options]) => options)).toEqual([{ rowGroups: [0], columns: ['close'] }]);
    } finally {
      decodes.mockRestore();
    }
  });

  it('through the pool: 30 pages of one file at once, each the rows of the table written', async () => {
    const pool = new DecoderPool();
    try {
      const offsets = Array.from({ length: 30 }, (_, k) => k * 97);
      const pages = await Promise.all(offsets.map((offset) => readParquetRows(file, offset, 100, { decoder: pool, columns: ['close', 'volume'] })));
      const written = ohlcvTable(3000);
      pages.forEach((page, k) => {
        expect(page.schema.fields.map((f) => f.name)).toEqual(['close', 'volume']);
        expect([...(page.getChild('close')?.toArray() as Float64Array)]).toEqual([...(written.getChild('close')?.toArray() as Float64Array)].slice(offsets[k], offsets[k] + 100));
        expect([...(page.getChild('volume')?.toArray() as BigInt64Array)]).toEqual([...(written.getChild('volume')?.toArray() as BigInt64Array)].slice(offsets[k], offsets[k] + 100));
      });
    } finally {
      await pool.close();
    }
  });
});
