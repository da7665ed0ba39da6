import { describe, expect, it } from 'vitest';
import { PageCache, pagesForRows, type LoadedPage } from '../../../renderer/src/table/pageCache.ts';

/** A loader whose requests the test answers by hand, in any order. */
function manualLoader(numRows: number) {
  const calls: { offset: number; limit: number; resolve: () => void; reject: (error: Error) => void }[] = [];
  const load = (offset: number, limit: number) =>
    new Promise<LoadedPage>((resolve, reject) => {
      calls.push({
        offset,
        limit,
        resolve: () => resolve({ numRows, rows: Array.from({ length: limit }, (_, i) => [offset + i]) }),
        reject,
      });
    });
  return { calls, load };
}

const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe('pagesForRows', () => {
  it('covers the rows asked for, clamped to the dataset', () => {
    expect(pagesForRows(0, 0, 100, 1000)).toEqual([0]);
    expect(pagesForRows(99, 100, 100, 1000)).toEqual([0, 1]);
    expect(pagesForRows(950, 2000, 100, 1000)).toEqual([9]);
    expect(pagesForRows(-5, 10, 100, 1000)).toEqual([0]);
    expect(pagesForRows(1_000_000, 1_000_030, 200, 1_200_000)).toEqual([5000]);
    expect(pagesForRows(0, 10, 100, 0)).toEqual([]);
    expect(pagesForRows(10, 5, 100, 1000)).toEqual([]);
  });
});

describe('PageCache', () => {
  it('fetches the visible pages first, then one page either side, a few at a time', () => {
    const { calls, load } = manualLoader(10_000);
    const cache = new PageCache(load, 10_000, { pageSize: 100, maxConcurrent: 2, prefetchPages: 1 });
    cache.want(250, 290);
    expect(calls.map((c) => [c.offset, c.limit])).toEqual([
      [200, 100],
      [300, 100],
    ]);
    expect(cache.status(250)).toBe('loading');
    expect(cache.status(150)).toBe('queued');
    expect(cache.row(250)).toBeUndefined();
  });

  it('asks only for the rows that exist on the last page', () => {
    const { calls, load } = manualLoader(1050);
    const cache = new PageCache(load, 1050, { pageSize: 100, prefetchPages: 0 });
    cache.want(1040, 1049);
    expect(calls.map((c) => [c.offset, c.limit])).toEqual([[1000, 50]]);
  });

  it('serves rows once their page arrives and tells subscribers', async () => {
    const { calls, load } = manualLoader(10_000);
    const cache = new PageCache(load, 10_000, { pageSize: 100, prefetchPages: 0 });
    let notified = 0;
    cache.subscribe(() => notified++);
    cache.want(0, 30);
    const before = cache.version;
    calls[0].resolve();
    await settle();
    expect(notified).toBe(1);
    expect(cache.version).toBe(before + 1);
    expect(cache.row(0)).toEqual([0]);
    expect(cache.row(99)).toEqual([99]);
    expect(cache.status(42)).toBe('loaded');
    // asking again for loaded rows sends nothing
    cache.want(0, 30);
    expect(calls).toHaveLength(1);
  });

  it('forgets queued pages the user scrolled past before they were asked for', async () => {
    const { calls, load } = manualLoader(1_000_000);
    const cache = new PageCache(load, 1_000_000, { pageSize: 100, maxConcurrent: 1, prefetchPages: 1 });
    cache.want(0, 30); // page 0 in flight, page 1 queued
    cache.want(500_000, 500_030); // jump: page 1 is no longer wanted
    calls[0].resolve();
    await settle();
    expect(calls.map((c) => c.offset)).toEqual([0, 500_000]);
    calls[1].resolve();
    await settle();
    expect(calls.map((c) => c.offset)).toEqual([0, 500_000, 500_100]);
    expect(cache.row(500_010)).toEqual([500_010]);
  });

  it('jumping to row 1,000,000 of 1.2M reads one page there, not the pages between', async () => {
    const { calls, load } = manualLoader(1_200_000);
    const cache = new PageCache(load, 1_200_000, { pageSize: 200, prefetchPages: 0 });
    cache.want(1_000_000, 1_000_025);
    expect(calls.map((c) => [c.offset, c.limit])).toEqual([[1_000_000, 200]]);
    calls[0].resolve();
    await settle();
    expect(cache.row(1_000_000)).toEqual([1_000_000]);
  });

  it('keeps at most maxPages, dropping the least recently used but never a page on screen', async () => {
    const { calls, load } = manualLoader(100_000);
    const cache = new PageCache(load, 100_000, { pageSize: 10, maxPages: 4, maxConcurrent: 10, prefetchPages: 0 });
    for (const first of [0, 10, 20, 30, 40, 50]) {
      cache.want(first, first + 5);
      calls[calls.length - 1].resolve();
      await settle();
    }
    expect(cache.cachedPages().sort((a, b) => a - b)).toEqual([2, 3, 4, 5]);
    // page 2 used again becomes the most recent: the next eviction takes page 3
    cache.want(20, 25);
    cache.want(60, 65);
    calls[calls.length - 1].resolve();
    await settle();
    expect(cache.cachedPages().sort((a, b) => a - b)).toEqual([2, 4, 5, 6]);
  });

  it('records a failed page, does not ask again until retry, and then does', async () => {
    const { calls, load } = manualLoader(1000);
    const cache = new PageCache(load, 1000, { pageSize: 100, prefetchPages: 0 });
    cache.want(0, 10);
    calls[0].reject(Object.assign(new Error('no dataset at raw/ES'), { code: 'NOT_FOUND' }));
    await settle();
    expect(cache.status(5)).toBe('error');
    expect(cache.error(5)?.message).toBe('no dataset at raw/ES');
    cache.want(0, 10);
    expect(calls).toHaveLength(1);
    cache.retry();
    cache.want(0, 10);
    expect(calls).toHaveLength(2);
  });

  it('takes the row count the host reports while reading', async () => {
    const load = (offset: number, limit: number) => Promise.resolve({ numRows: 120, rows: Array.from({ length: Math.min(limit, 120 - offset) }, (_, i) => [offset + i]) });
    const cache = new PageCache(load, 100, { pageSize: 50, prefetchPages: 0 });
    cache.want(0, 10);
    await settle();
    expect(cache.numRows).toBe(120);
  });

  it('ignores answers that arrive after it was disposed', async () => {
    const { calls, load } = manualLoader(1000);
    const cache = new PageCache(load, 1000, { pageSize: 100, prefetchPages: 0 });
    let notified = 0;
    cache.subscribe(() => notified++);
    cache.want(0, 10);
    cache.dispose();
    calls[0].resolve();
    await settle();
    expect(notified).toBe(0);
    expect(cache.row(0)).toBeUndefined();
  });
});
