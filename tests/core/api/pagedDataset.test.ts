import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PagedDataset } from '../../../core/api/pagedDataset.js';
import { tableRowsToJson } from '../../../core/api/pageRows.js';
import { closeEngine } from '../../../core/engine/duckdbEngine.js';
import { DecoderPool } from '../../../core/parquet/decoderPool.js';
import { Dataset } from '../../../core/parquet/parquetDataset.js';
import { writeParquet } from '../../../core/parquet/writeParquet.js';
import { barsFromCloses, barsTable } from '../../helpers/barsTable.js';
import { errorOf } from '../store/storeTestKit.js';

/** A decoder pool that counts the requests it is sent, by operation. */
class CountingPool extends DecoderPool {
  readonly sent: { op: string; offset?: number; limit?: number }[] = [];
  override request: DecoderPool['request'] = (op, args, options) => {
    const read = args as { offset?: number; limit?: number };
    this.sent.push({ op, offset: read.offset, limit: read.limit });
    return super.request(op, args, options);
  };
}

describe('PagedDataset', () => {
  let dir: string;
  let files: string[];
  const pool = new CountingPool({ threads: 1 });
  // three small files (decoded whole and kept from their second page on) and one of 9,000 rows (read a page at a time)
  const sizes = [300, 1380, 7, 9000];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-data-paged-'));
    files = [];
    let start = Date.UTC(2024, 0, 2, 15);
    for (const [k, rows] of sizes.entries()) {
      const file = path.join(dir, `part-${k}.parquet`);
      await writeParquet(barsTable(barsFromCloses(new Date(start).toISOString(), 60, Array.from({ length: rows }, (_, i) => 5000 + k + i * 0.25))), file, { rowGroupSize: rows > 5000 ? 4000 : undefined });
      files.push(file);
      start += rows * 60_000;
    }
  }, 60_000);
  afterAll(async () => {
    await pool.close();
    await closeEngine();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const listing = () => ({ absolute: dir, files, display: files.map((f) => path.basename(f)), signature: files.join('|') });

  it('gives the rows Dataset.readRows gives, within a file, across files, at the end and with chosen columns', async () => {
    const paged = await PagedDataset.open(listing(), pool);
    const dataset = await Dataset.openFiles(files, pool);
    expect(paged.numRows).toBe(10_687);
    for (const [offset, limit, columns] of [
      [0, 100, undefined],
      [250, 100, undefined],
      [1650, 40, undefined],
      [1675, 20, ['close', 'timestamp']],
      [1687, 100, undefined],
      [5000, 3000, ['volume']],
      [10_650, 100, undefined],
      [20_000, 5, undefined],
    ] as [number, number, string[] | undefined][]) {
      const ours = await paged.readRows(offset, limit, columns);
      const theirs = await dataset.readRows(offset, limit, columns);
      expect(ours.schema.fields.map((f) => f.name)).toEqual(theirs.schema.fields.map((f) => f.name));
      expect(ours.numRows).toBe(theirs.numRows);
      expect(tableRowsToJson(ours)).toEqual(tableRowsToJson(theirs));
    }
  });

  it('reads the first page of a small file alone, decodes it whole at the second and slices every later page; a large one a page at a time', async () => {
    const paged = await PagedDataset.open(listing(), pool);
    pool.sent.length = 0;
    // thirteen pages of the 1,380-row file (rows 300 … 1,599): the first page, then one whole-file read
    for (let k = 0; k < 13; k++) await paged.readRows(300 + k * 100, 100);
    expect(pool.sent).toEqual([
      { op: 'read', offset: 0, limit: 100 },
      { op: 'read', offset: 0, limit: 1380 },
    ]);
    pool.sent.length = 0;
    expect(tableRowsToJson(await paged.readRows(300, 2))).toEqual([
      ['2024-01-02T20:00:00.000000000Z', 5001, 5001.25, 5000.75, 5001, 10],
      ['2024-01-02T20:01:00.000000000Z', 5001, 5001.5, 5000.75, 5001.25, 11],
    ]);
    expect(pool.sent).toEqual([]);
    // a page over the end of it: the rest of it (kept), the whole 7-row file, the first 13 rows of the large one
    expect((await paged.readRows(1600, 100)).numRows).toBe(100);
    expect(pool.sent).toEqual([
      { op: 'read', offset: 0, limit: 7 },
      { op: 'read', offset: 0, limit: 13 },
    ]);
    pool.sent.length = 0;
    // the 9,000-row file: each page its own read, however often
    await paged.readRows(2000, 100);
    await paged.readRows(2100, 100);
    await paged.readRows(2000, 100);
    expect(pool.sent).toEqual([
      { op: 'read', offset: 313, limit: 100 },
      { op: 'read', offset: 413, limit: 100 },
      { op: 'read', offset: 313, limit: 100 },
    ]);
    // a listing made again (after a change) has its own decodes, and its own first pages
    const again = await PagedDataset.open(listing(), pool);
    pool.sent.length = 0;
    await again.readRows(300, 100);
    await again.readRows(400, 100);
    await again.readRows(500, 100);
    expect(pool.sent).toEqual([
      { op: 'read', offset: 0, limit: 100 },
      { op: 'read', offset: 0, limit: 1380 },
    ]);
  });

  it('answers a page the same from its first read, the whole-file decode and the kept decode, with and without chosen columns', async () => {
    const paged = await PagedDataset.open(listing(), pool);
    const dataset = await Dataset.openFiles(files, pool);
    // the reads each case sends to the decoder over its three rounds (the files start at rows 0, 300, 1,680 and 1,687)
    const page = (offset: number, limit: number) => ({ op: 'read', offset, limit });
    for (const [offset, limit, columns, sent] of [
      [0, 100, undefined, [page(0, 100), page(0, 300)]],
      // the first file is kept by now
      [150, 120, ['close', 'timestamp'], []],
      [320, 100, undefined, [page(20, 100), page(0, 1380)]],
      // the second file kept; the third's first page, then its whole decode; the large one each time
      [1670, 30, ['volume', 'open'], [page(0, 7), page(0, 13), page(0, 7), page(0, 13), page(0, 13)]],
    ] as [number, number, string[] | undefined, unknown[]][]) {
      const theirs = tableRowsToJson(await dataset.readRows(offset, limit, columns));
      pool.sent.length = 0;
      // first read alone, second from the whole-file decode, third from what is kept
      for (let k = 0; k < 3; k++) expect(tableRowsToJson(await paged.readRows(offset, limit, columns))).toEqual(theirs);
      expect(pool.sent).toEqual(sent);
    }
  });

  it('a column a kept file does not have is NOT_FOUND from the decoder, as without the cache', async () => {
    const paged = await PagedDataset.open(listing(), pool);
    await paged.readRows(0, 10);
    const ours = await errorOf(paged.readRows(0, 10, ['close', 'vwap']));
    const theirs = await errorOf((await Dataset.openFiles(files, pool)).readRows(0, 10, ['close', 'vwap']));
    expect(ours.code).toBe('NOT_FOUND');
    expect({ code: ours.code, message: ours.message }).toEqual({ code: theirs.code, message: theirs.message });
  });
});
