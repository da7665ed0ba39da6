import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DatasetCache } from '../../../core/api/datasetCache.js';
import { DecoderPool } from '../../../core/parquet/decoderPool.js';
import { Dataset } from '../../../core/parquet/parquetDataset.js';
import { writeParquet } from '../../../core/parquet/writeParquet.js';
import { ohlcvTable, tempDir } from '../../helpers/ohlcvTable.js';

/** Polls `check` until it returns true (a background walk finishing), for at most 5 s. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('DatasetCache', () => {
  const { dir, cleanup } = tempDir();
  const decoder = new DecoderPool();
  const store = path.join(dir, 'store');
  const version = path.join(store, 'cleaned', 'v1', 'MES');

  beforeAll(async () => {
    for (const [date, rows] of [['2024-01-02', 30], ['2024-01-03', 40], ['2024-01-04', 50]] as const) {
      fs.mkdirSync(path.join(version, `date=${date}`), { recursive: true });
      await writeParquet(ohlcvTable(rows), path.join(version, `date=${date}`, 'part-0.parquet'));
    }
    // a file beside the partitions, hidden entries, and a sidecar: Dataset.open's order and rules
    await writeParquet(ohlcvTable(5), path.join(version, 'date=2024-01-02', 'part-1.parquet'));
    fs.mkdirSync(path.join(version, '.staging'));
    await writeParquet(ohlcvTable(7), path.join(version, '.staging', 'x.parquet'));
    fs.writeFileSync(path.join(version, 'metadata.json'), '{}');
  });
  afterAll(async () => {
    await decoder.close();
    cleanup();
  });

  it('lists a folder in the order Dataset.open reads it, and opens it once', async () => {
    const cache = new DatasetCache(decoder);
    const { listing } = await cache.listing(store, 'cleaned/v1/MES');
    const opened = await Dataset.open(store, 'cleaned/v1/MES', decoder);
    expect(listing.display).toEqual(opened.files.map((f) => f.path));
    expect(listing.display).toEqual([
      'cleaned/v1/MES/date=2024-01-02/part-0.parquet',
      'cleaned/v1/MES/date=2024-01-02/part-1.parquet',
      'cleaned/v1/MES/date=2024-01-03/part-0.parquet',
      'cleaned/v1/MES/date=2024-01-04/part-0.parquet',
    ]);
    const first = await cache.dataset(store, 'cleaned/v1/MES');
    expect(first.numRows).toBe(125);
    expect(await cache.dataset(store, 'cleaned/v1/MES')).toBe(first);
  });

  it('requests arriving together share one open and one computation', async () => {
    const cache = new DatasetCache(decoder);
    const [a, b] = await Promise.all([cache.dataset(store, 'cleaned/v1/MES'), cache.dataset(store, 'cleaned/v1/MES')]);
    expect(a).toBe(b);
    let runs = 0;
    const compute = async (dataset: Dataset) => {
      runs++;
      return (await dataset.readRows(10, 3, ['volume'])).getChild('volume')?.toArray() as BigInt64Array;
    };
    const pages = await Promise.all(Array.from({ length: 20 }, () => cache.shared(store, 'cleaned/v1/MES', 'page 10 3', compute)));
    expect(runs).toBe(1);
    expect(pages.every((page) => page === pages[0])).toBe(true);
    expect([...pages[0]]).toEqual([110n, 111n, 112n]);
    // settled: the next request computes again
    await cache.shared(store, 'cleaned/v1/MES', 'page 10 3', compute);
    expect(runs).toBe(2);
    // kept: the next request gets the same result without computing; other keys compute
    const kept = await cache.shared(store, 'cleaned/v1/MES', 'kept 10 3', compute, { keep: true });
    expect(await cache.shared(store, 'cleaned/v1/MES', 'kept 10 3', compute, { keep: true })).toBe(kept);
    expect(runs).toBe(3);
    for (let k = 0; k < 40; k++) await cache.shared(store, 'cleaned/v1/MES', `other ${k}`, compute, { keep: true });
    expect(runs).toBe(43);
    // only the last 32 are kept: the first one is computed again
    await cache.shared(store, 'cleaned/v1/MES', 'kept 10 3', compute, { keep: true });
    expect(runs).toBe(44);
  });

  it('pages: row counts of every file from DuckDB, no footer opened, one read of each file a page touches, the rows Dataset.readRows gives', async () => {
    const cache = new DatasetCache(decoder);
    const opened = vi.spyOn(decoder, 'request');
    try {
      const pages = await cache.paged(store, 'cleaned/v1/MES');
      expect(pages.numRows).toBe(125);
      expect(opened.mock.calls.filter(([op]) => op === 'open')).toHaveLength(0);
      // rows 28..36 cross from date=2024-01-02/part-0 (30 rows) into part-1 (5 rows) and date=2024-01-03
      const page = await pages.readRows(28, 9, ['volume']);
      expect(opened.mock.calls.map(([op, args]) => [op, path.relative(store, args.path)])).toEqual([
        ['read', path.join('cleaned', 'v1', 'MES', 'date=2024-01-02', 'part-0.parquet')],
        ['read', path.join('cleaned', 'v1', 'MES', 'date=2024-01-02', 'part-1.parquet')],
        ['read', path.join('cleaned', 'v1', 'MES', 'date=2024-01-03', 'part-0.parquet')],
      ]);
      opened.mockClear();
      const want = await (await Dataset.open(store, 'cleaned/v1/MES', decoder)).readRows(28, 9, ['volume']);
      expect([...(page.getChild('volume')?.toArray() as BigInt64Array)]).toEqual([...(want.getChild('volume')?.toArray() as BigInt64Array)]);
      expect([...(page.getChild('volume')?.toArray() as BigInt64Array)]).toEqual([128n, 129n, 100n, 101n, 102n, 103n, 104n, 100n, 101n]);
      opened.mockClear();
      await pages.readRows(80, 5);
      expect(opened.mock.calls.map(([op, args]) => [op, path.relative(store, args.path)])).toEqual([['read', path.join('cleaned', 'v1', 'MES', 'date=2024-01-04', 'part-0.parquet')]]);
      expect(await cache.paged(store, 'cleaned/v1/MES')).toBe(pages);
      expect((await pages.readRows(120, 100)).numRows).toBe(5);
    } finally {
      opened.mockRestore();
    }
  });

  it('pages of a folder with a damaged file: CORRUPTED_FILE naming it', async () => {
    const root = path.join(dir, 'damaged');
    fs.mkdirSync(path.join(root, '2024-01-02'), { recursive: true });
    fs.mkdirSync(path.join(root, '2024-01-03'), { recursive: true });
    await writeParquet(ohlcvTable(3), path.join(root, '2024-01-02', 'a.parquet'));
    fs.writeFileSync(path.join(root, '2024-01-03', 'a.parquet'), 'not a parquet file');
    await expect(new DatasetCache(decoder).paged(null, root)).rejects.toMatchObject({ code: 'CORRUPTED_FILE', details: { file: path.join(root, '2024-01-03', 'a.parquet') } });
  });

  it('a single file is checked at every use: rewritten, it is opened again', async () => {
    const file = path.join(dir, 'single.parquet');
    await writeParquet(ohlcvTable(10), file);
    const cache = new DatasetCache(decoder);
    const before = await cache.dataset(null, file);
    expect(before.numRows).toBe(10);
    await writeParquet(ohlcvTable(12), file);
    const after = await cache.dataset(null, file);
    expect(after).not.toBe(before);
    expect(after.numRows).toBe(12);
  });

  it('a folder: a new entry at its top is seen at once, a file deep inside after the background walk', async () => {
    const root = path.join(dir, 'asset');
    fs.mkdirSync(path.join(root, '2024-01-02'), { recursive: true });
    await writeParquet(ohlcvTable(3), path.join(root, '2024-01-02', 'a.parquet'));
    const cache = new DatasetCache(decoder, { recheckMs: 0 });
    expect((await cache.dataset(null, root)).numRows).toBe(3);
    fs.mkdirSync(path.join(root, '2024-01-03'));
    await writeParquet(ohlcvTable(4), path.join(root, '2024-01-03', 'a.parquet'));
    expect((await cache.dataset(null, root)).numRows).toBe(7);
    await writeParquet(ohlcvTable(6), path.join(root, '2024-01-02', 'b.parquet'));
    await eventually(async () => (await cache.dataset(null, root)).numRows === 13);
  });

  it('after recheckAll (a job ended), the next use walks the folder: unchanged is kept, changed is reopened', async () => {
    const root = path.join(dir, 'rechecked');
    fs.mkdirSync(path.join(root, '2024-01-02'), { recursive: true });
    await writeParquet(ohlcvTable(3), path.join(root, '2024-01-02', 'a.parquet'));
    const cache = new DatasetCache(decoder);
    const first = await cache.dataset(null, root);
    cache.recheckAll();
    expect(await cache.dataset(null, root)).toBe(first);
    await writeParquet(ohlcvTable(6), path.join(root, '2024-01-02', 'b.parquet'));
    // without a recheck the entry serves on (a walk is due only after recheckMs)
    expect(await cache.dataset(null, root)).toBe(first);
    cache.recheckAll();
    const second = await cache.dataset(null, root);
    expect(second).not.toBe(first);
    expect(second.numRows).toBe(9);
  });

  it('clear forgets every dataset; the oldest is dropped past maxEntries', async () => {
    const cache = new DatasetCache(decoder, { maxEntries: 1 });
    const a = await cache.dataset(store, 'cleaned/v1/MES');
    cache.clear();
    const b = await cache.dataset(store, 'cleaned/v1/MES');
    expect(b).not.toBe(a);
    await cache.dataset(store, 'cleaned/v1/MES/date=2024-01-03');
    expect(await cache.dataset(store, 'cleaned/v1/MES')).not.toBe(b);
  });

  it('errors are Dataset.open’s: escaping the store, nothing there, a link inside', async () => {
    const cache = new DatasetCache(decoder);
    await expect(cache.dataset(store, '../outside')).rejects.toMatchObject({ code: 'BAD_REQUEST', message: '"../outside" leaves the store' });
    await expect(cache.dataset(store, 'cleaned/v9/MES')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no dataset at cleaned/v9/MES' });
    await expect(cache.listing(store, 'cleaned/v9/MES')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no dataset at cleaned/v9/MES' });
    fs.mkdirSync(path.join(store, 'raw', 'EMPTY'), { recursive: true });
    await expect(cache.listing(store, 'raw/EMPTY')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no Parquet files under raw/EMPTY' });
    const linked = path.join(dir, 'linked');
    fs.mkdirSync(linked);
    fs.symlinkSync(path.join(version, 'date=2024-01-03'), path.join(linked, 'date=2024-01-03'));
    await expect(cache.dataset(null, linked)).rejects.toMatchObject({ code: 'SYMLINK' });
    await expect(cache.listing(null, linked)).rejects.toMatchObject({ code: 'SYMLINK' });
  });
});
