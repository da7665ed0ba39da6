import fs from 'node:fs';
import path from 'node:path';
import { Float64, Int64, makeData, makeVector, Table, TimestampNanosecond, type Vector } from 'apache-arrow';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApiRequest, ApiResponse } from '../../../core/api/contract.js';
import { ApiSession } from '../../../core/api/handlers.js';
import { epochToIso } from '../../../core/arrow/arrowJson.js';
import { SortedOrders, sortedOrders } from '../../../core/engine/datasetQuery.js';
import { writeParquet } from '../../../core/parquet/writeParquet.js';
import { MINUTE_NS, START_NS, tempDir } from '../../helpers/ohlcvTable.js';

/** Row i: closes repeating out of order over 211 levels, volumes over 50, nanosecond digits in every timestamp. */
const row = (i: number, shift = 0) => ({ ns: START_NS + BigInt(i) * MINUTE_NS + BigInt((i * 7) % 1000), close: 5000 + ((i * 37) % 211) * 0.25 + shift, volume: (i * 13) % 50 });

function table(from: number, to: number, shift = 0): Table {
  const n = to - from;
  const ts = new BigInt64Array(n);
  const close = new Float64Array(n);
  const volume = new BigInt64Array(n);
  for (let k = 0; k < n; k++) {
    const r = row(from + k, shift);
    ts[k] = r.ns;
    close[k] = r.close;
    volume[k] = BigInt(r.volume);
  }
  const vector = <T extends Float64 | Int64 | TimestampNanosecond>(type: T, data: T['TArray']): Vector<T> => makeVector(makeData({ type, length: n, data } as never)) as unknown as Vector<T>;
  return new Table({ timestamp: vector(new TimestampNanosecond('UTC'), ts), close: vector(new Float64(), close), volume: vector(new Int64(), volume) });
}

/** 24,000 rows in three date folders: a page at 12,000 is past the top-N pages (10,000 rows). */
const PARTS = [
  ['2024-01-02', 0, 8000],
  ['2024-01-03', 8000, 16000],
  ['2024-01-04', 16000, 24000],
] as const;
const ROWS = 24_000;
const json = (i: number, shift = 0) => {
  const r = row(i, shift);
  return [epochToIso(r.ns, 3), r.close, r.volume];
};
/** The dataset's rows sorted here: close descending, volume ascending, ties in row order. */
const sortedHere = (rows: number[], shift: (i: number) => number = () => 0) =>
  [...rows].sort((a, b) => row(b, shift(b)).close - row(a, shift(a)).close || row(a).volume - row(b).volume || a - b);

type Page = ApiResponse<'rows.query'>;

describe('rows.query: the sorted order kept for pages anywhere in it', () => {
  const { dir, cleanup } = tempDir();
  const store = path.join(dir, 'store');
  const session = new ApiSession('test');
  const query = (request: Partial<ApiRequest<'rows.query'>>) => session.invoke('rows.query', { path: 'raw/MES', ...request }) as Promise<Page>;
  const sort = [
    { column: 'close', descending: true },
    { column: 'volume', descending: false },
  ];

  beforeAll(async () => {
    await session.invoke('store.init', { path: store });
    for (const [date, from, to] of PARTS) {
      const folder = path.join(store, 'raw', 'MES', date);
      fs.mkdirSync(folder, { recursive: true });
      await writeParquet(table(from, to), path.join(folder, 'bars.parquet'), { rowGroupSize: 3000 });
    }
  });
  beforeEach(async () => {
    await sortedOrders.settled();
    sortedOrders.clear();
  });
  afterAll(async () => {
    await sortedOrders.settled();
    sortedOrders.clear();
    await session.close();
    cleanup();
  });

  it('a first page starts the whole order; a page in the middle then comes from it, equal to the top-N page and to a sort done here', async () => {
    const order = sortedHere(Array.from({ length: ROWS }, (_, i) => i));
    const first = await query({ sort, limit: 5 });
    expect(first.totalRows).toBe(ROWS);
    expect(first.rows).toEqual(order.slice(0, 5).map((i) => json(i)));
    await sortedOrders.settled();
    // one order of 24,000 positions, 8 bytes each
    expect(sortedOrders.size).toEqual({ orders: 1, bytes: 192_000 });
    const middle = await query({ sort, offset: 12_000, limit: 7 });
    expect(middle.totalRows).toBe(ROWS);
    expect(middle.rows).toEqual(order.slice(12_000, 12_007).map((i) => json(i)));
    expect(middle.rows[0]).toEqual(json(order[12_000]));
    // the last page, shorter than its limit
    const last = await query({ sort, offset: ROWS - 3, limit: 10 });
    expect(last.rows).toEqual(order.slice(ROWS - 3).map((i) => json(i)));
    // the same pages with nothing kept: a top-N page (offset + limit within 10,000) and a deep one that waits for the order
    sortedOrders.clear();
    expect((await query({ sort, offset: 9_990, limit: 10 })).rows).toEqual(order.slice(9_990, 10_000).map((i) => json(i)));
    sortedOrders.clear();
    expect((await query({ sort, offset: 12_000, limit: 7 })).rows).toEqual(middle.rows);
    expect(sortedOrders.size.orders).toBe(1);
    // asked again, it is the kept order's: still one
    expect((await query({ sort, offset: 12_000, limit: 7 })).rows).toEqual(middle.rows);
    expect(sortedOrders.size.orders).toBe(1);
  });

  it('a filter and a sort: count and deep page exact from the kept order; a filter alone keeps the dataset order', async () => {
    const filters = [{ column: 'volume', kind: 'range' as const, min: 10, max: 39 }];
    const matching = Array.from({ length: ROWS }, (_, i) => i).filter((i) => row(i).volume >= 10 && row(i).volume <= 39);
    const order = sortedHere(matching);
    // 2,400 rows match: every page of them is a top-N, no order is made
    const few = await query({ sort, filters: [{ column: 'volume', kind: 'range', max: 4 }], limit: 3 });
    expect(few.totalRows).toBe(2400);
    await sortedOrders.settled();
    expect(sortedOrders.size.orders).toBe(0);
    const first = await query({ sort, filters, limit: 3 });
    expect(first.totalRows).toBe(matching.length);
    expect(first.totalRows).toBe(14_400);
    expect(first.rows).toEqual(order.slice(0, 3).map((i) => json(i)));
    await sortedOrders.settled();
    const deep = await query({ sort, filters, offset: 14_000, limit: 4 });
    expect(deep.totalRows).toBe(14_400);
    expect(deep.rows).toEqual(order.slice(14_000, 14_004).map((i) => json(i)));
    // a filter alone keeps the dataset's order: the first rows that match
    const plain = await query({ filters, limit: 4 });
    expect(plain.rows).toEqual(matching.slice(0, 4).map((i) => json(i)));
    expect(plain.totalRows).toBe(14_400);
    // a page past 10,000 rows of a filter alone comes from its order too
    expect((await query({ filters, offset: 14_396, limit: 10 })).rows).toEqual(matching.slice(14_396).map((i) => json(i)));
  });

  it('a changed dataset is another order: a date added and a file rewritten give the new rows, not the kept ones', async () => {
    await query({ sort, limit: 1 });
    await sortedOrders.settled();
    expect(sortedOrders.size.orders).toBe(1);
    // a fourth date whose closes are 100 points above every other
    const added = path.join(store, 'raw', 'MES', '2024-01-05');
    fs.mkdirSync(added, { recursive: true });
    await writeParquet(table(24_000, 26_000, 100), path.join(added, 'bars.parquet'), { rowGroupSize: 3000 });
    const shiftAdded = (i: number) => (i >= 24_000 ? 100 : 0);
    const withAdded = sortedHere(Array.from({ length: 26_000 }, (_, i) => i), shiftAdded);
    const top = await query({ sort, limit: 2 });
    expect(top.totalRows).toBe(26_000);
    expect(top.rows).toEqual(withAdded.slice(0, 2).map((i) => json(i, shiftAdded(i))));
    expect(top.rows[0][1]).toBeGreaterThan(5100);
    const deep = await query({ sort, offset: 20_000, limit: 3 });
    expect(deep.rows).toEqual(withAdded.slice(20_000, 20_003).map((i) => json(i, shiftAdded(i))));
    // the first date's file rewritten in place, its closes 50 lower; a job's end makes the session look again
    await writeParquet(table(0, 8000, -50), path.join(store, 'raw', 'MES', '2024-01-02', 'bars.parquet'), { rowGroupSize: 3000 });
    session.datasets.recheckAll();
    const shiftBoth = (i: number) => (i >= 24_000 ? 100 : i < 8000 ? -50 : 0);
    const rewritten = sortedHere(Array.from({ length: 26_000 }, (_, i) => i), shiftBoth);
    const tail = await query({ sort, offset: 25_990, limit: 10 });
    expect(tail.rows).toEqual(rewritten.slice(25_990).map((i) => json(i, shiftBoth(i))));
    expect(tail.rows[9][1]).toBeLessThan(4960);
    fs.rmSync(added, { recursive: true });
    await writeParquet(table(0, 8000), path.join(store, 'raw', 'MES', '2024-01-02', 'bars.parquet'), { rowGroupSize: 3000 });
    session.datasets.recheckAll();
  });

  it('a new version under a table name is another order: cleaned/GC answers from the version that landed', async () => {
    const csv = (name: string, closes: number[]) => {
      const file = path.join(dir, name);
      const lines = closes.map((close, k) => `2024-01-03T15:${String(k).padStart(2, '0')}:00Z,${close},${close + 1},${close - 1},${close},${k + 1}`);
      fs.writeFileSync(file, `timestamp,open,high,low,close,volume\n${lines.join('\n')}\n`);
      return file;
    };
    const run = async (params: ApiRequest<'jobs.start'>) => {
      let job = (await session.invoke('jobs.start', params)) as ApiResponse<'jobs.start'>;
      while (job.state === 'queued' || job.state === 'running') job = (await session.invoke('jobs.wait', { id: job.id, timeoutMs: 60_000 })) as ApiResponse<'jobs.wait'>;
      expect(job.state).toBe('succeeded');
    };
    await run({ kind: 'ingest', files: [csv('GC_a.csv', [2000, 2003, 2001, 2002])], asset: 'GC' });
    await run({ kind: 'promote', asset: 'GC' });
    const v1 = (await session.invoke('rows.query', { path: 'cleaned/GC', sort: [{ column: 'close', descending: true }], limit: 10 })) as Page;
    expect(v1.rows.map((r) => r[v1.columns.findIndex((c) => c.name === 'close')])).toEqual([2003, 2002, 2001, 2000]);
    await sortedOrders.settled();
    // the same minutes revised: a second version lands
    await run({ kind: 'ingest', files: [csv('GC_b.csv', [2010, 2005, 2011, 2004, 2012])], asset: 'GC' });
    await run({ kind: 'promote', asset: 'GC' });
    const v2 = (await session.invoke('rows.query', { path: 'cleaned/GC', sort: [{ column: 'close', descending: true }], limit: 10 })) as Page;
    expect(v2.totalRows).toBe(5);
    expect(v2.rows.map((r) => r[v2.columns.findIndex((c) => c.name === 'close')])).toEqual([2012, 2011, 2010, 2005, 2004]);
  });
});

describe('SortedOrders', () => {
  const positions = (n: number) => BigInt64Array.from({ length: n }, (_, i) => BigInt(i));

  it('keeps at most its bytes, dropping the least recently used order', async () => {
    const orders = new SortedOrders(8 * 100);
    await orders.order('a', 60, () => Promise.resolve(positions(60)));
    expect(orders.size).toEqual({ orders: 1, bytes: 480 });
    await orders.order('b', 30, () => Promise.resolve(positions(30)));
    expect(orders.ready('a')?.length).toBe(60);
    // a is the most recently used now: c drops b
    await orders.order('c', 35, () => Promise.resolve(positions(35)));
    expect([orders.ready('a')?.length, orders.ready('b'), orders.ready('c')?.length]).toEqual([60, null, 35]);
    expect(orders.size).toEqual({ orders: 2, bytes: 760 });
    expect(orders.fits(100)).toBe(true);
    expect(orders.fits(101)).toBe(false);
  });

  it('one order made ahead at a time: a newer one, or another question, stops it; a request joins one being made', async () => {
    const orders = new SortedOrders(8 * 1000);
    const stopped: string[] = [];
    const never = (key: string) => (signal: AbortSignal) =>
      new Promise<BigInt64Array>((_, reject) => {
        signal.addEventListener('abort', () => {
          stopped.push(key);
          reject(new Error('stopped'));
        });
      });
    void orders.order('x', 10, never('x'), true).catch(() => undefined);
    void orders.order('y', 10, never('y'), true).catch(() => undefined);
    expect(stopped).toEqual(['x']);
    orders.stopAhead('y');
    expect(stopped).toEqual(['x']);
    orders.stopAhead('z');
    expect(stopped).toEqual(['x', 'y']);
    // waited for by a request, an order is no longer stopped by another question
    let finish: (value: BigInt64Array) => void = () => undefined;
    const made = orders.order('w', 5, () => new Promise<BigInt64Array>((resolve) => (finish = resolve)), true);
    const joined = orders.order('w', 5, () => Promise.reject(new Error('not made twice')));
    orders.stopAhead('v');
    finish(positions(5));
    expect((await joined).length).toBe(5);
    expect(await made).toBe(await joined);
    await orders.settled();
    expect(orders.size).toEqual({ orders: 1, bytes: 40 });
  });
});
