/**
 * A Parquet object read over ranges: the footer, then only the row groups a page needs,
 * through a bounded cache; on a local folder and on a bucket of a real moto_server.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../../core/objectStore/localObjectStore.js';
import { ObjectParquetReader, RangeCache } from '../../../core/objectStore/objectRangeReader.js';
import type { ObjectStore } from '../../../core/objectStore/objectStore.js';
import { S3ObjectStore } from '../../../core/objectStore/s3ObjectStore.js';
import { writeParquet } from '../../../core/parquet/writeParquet.js';
import { MOTO_CREDENTIALS, skipWithoutMoto, startMoto, type MotoServer } from '../../helpers/motoServer.js';
import { ohlcvTable } from '../../helpers/ohlcvTable.js';

const ROWS = 300_000;
let moto: MotoServer | null = null;
let tmp = '';
let fileBytes = new Uint8Array(0);

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-rangereader-'));
  const file = path.join(tmp, 'source.parquet');
  // three row groups of 100,000 rows
  await writeParquet(ohlcvTable(ROWS), file, { rowGroupSize: 100_000 });
  fileBytes = new Uint8Array(fs.readFileSync(file));
  moto = await startMoto();
  if (moto) await moto.createBucket('range-lake');
}, 120_000);

afterAll(async () => {
  await moto?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function checkPage(store: ObjectStore): Promise<void> {
  await store.put('cleaned/MES/v1/data.parquet', fileBytes);
  const cache = new RangeCache(8 * 1024 * 1024);
  const reader = await ObjectParquetReader.open(store, 'cleaned/MES/v1/data.parquet', cache);
  expect([reader.numRows, reader.metadata.row_groups.length]).toEqual([ROWS, 3]);
  // one request: the object's last 64 kB with its size and etag, which hold the footer
  expect([cache.stats.requests, cache.stats.bytesFetched]).toEqual([1, 64 * 1024]);
  const footerBytes = cache.stats.bytesFetched;
  const rows = await reader.readRows(150_000, 100);
  expect(rows.length).toBe(100);
  // hyparquet gives nanosecond timestamps as Dates (milliseconds); these are whole minutes
  expect(rows[0]).toEqual({ timestamp: new Date(Date.UTC(2024, 0, 2) + 150_000 * 60_000), open: 5000 + 150_000 * 0.25, high: 5000 + 150_000 * 0.25 + 1, low: 5000 + 150_000 * 0.25 - 1, close: 5000 + 150_000 * 0.25 + 0.5, volume: 150_100n });
  expect(rows[99]?.volume).toBe(150_199n);
  // and one more: the page's row group, its column chunks side by side
  expect(cache.stats.requests).toBe(2);
  expect(rows.map((row) => row.open)).toEqual(Array.from({ length: 100 }, (_, i) => 5000 + (150_000 + i) * 0.25));
  // only the middle row group was fetched: less than half of the object beyond the footer
  const group = reader.metadata.row_groups[1];
  const groupBytes = Number(group?.columns.reduce((sum, c) => sum + (c.meta_data?.total_compressed_size ?? 0n), 0n));
  expect(cache.stats.bytesFetched - footerBytes).toBeLessThanOrEqual(groupBytes);
  expect(cache.stats.bytesFetched).toBeLessThan(fileBytes.length / 2);
  // the same page again comes from the cache: no request
  const requests = cache.stats.requests;
  expect((await reader.readRows(150_050, 10)).map((row) => row.volume)).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(150_150 + i)));
  expect(cache.stats.requests).toBe(requests);
  expect(await reader.readRows(ROWS - 3, 10)).toHaveLength(3);
  expect(cache.heldBytes).toBeLessThanOrEqual(8 * 1024 * 1024);
}

describe('range reads of a Parquet object', () => {
  it('on a local folder, reads the footer and the page\u2019s row group only', async () => {
    await checkPage(new LocalObjectStore(path.join(tmp, 'store')));
  }, 60_000);

  it('on a bucket, the same with range requests', async (context) => {
    skipWithoutMoto(context);
    await checkPage(new S3ObjectStore({ kind: 's3', bucket: 'range-lake', prefix: 'team/', endpoint: moto?.endpoint, region: 'us-east-1', forcePathStyle: true }, { credentials: MOTO_CREDENTIALS }));
  }, 60_000);

  it('the cache keeps at most its cap, least recently used out first, and shares a pending fetch', async () => {
    const cache = new RangeCache(10);
    let fetches = 0;
    const fetch = (n: number) => () => {
      fetches++;
      return Promise.resolve(new Uint8Array(n).fill(n));
    };
    const [a, b] = await Promise.all([cache.read('o', 0, 4, fetch(4)), cache.read('o', 0, 4, fetch(4))]);
    expect([a.length, b.length, fetches]).toEqual([4, 4, 1]);
    await cache.read('o', 10, 14, fetch(4));
    expect(Array.from(await cache.read('o', 1, 3, fetch(99)))).toEqual([4, 4]);
    expect([fetches, cache.stats.hits, cache.heldBytes]).toEqual([2, 1, 8]);
    // a third range of 4 bytes goes over the cap of 10: the least recently used (10-14) leaves
    await cache.read('o', 20, 24, fetch(4));
    expect(cache.heldBytes).toBe(8);
    await cache.read('o', 0, 4, fetch(4));
    expect(fetches).toBe(3);
    await cache.read('o', 10, 14, fetch(4));
    expect(fetches).toBe(4);
    // a range larger than the cap is not kept; another object's bytes are never served
    await cache.read('o', 100, 120, fetch(20));
    await cache.read('p', 0, 4, fetch(4));
    expect([fetches, cache.heldBytes <= 10]).toEqual([6, true]);
  });
});
