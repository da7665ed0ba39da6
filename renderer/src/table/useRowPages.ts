import { useMemo, useSyncExternalStore } from 'react';
import { invoke } from '../api/transport';
import { PageCache } from './pageCache';

/** Rows are fetched in pages of this size: 200 rows of a dozen columns is a few tens of KB. */
const PAGE_SIZE = 200;

/**
 * The page cache of one dataset, fetching through `rows.page`. A new cache is made when the
 * dataset or the store's data changes (`version`); the component re-renders whenever a
 * page arrives.
 */
export function useRowPages(path: string, numRows: number, version: number): PageCache {
  const cache = useMemo(
    () =>
      new PageCache(
        async (offset, limit) => {
          const page = await invoke('rows.page', { path, offset, limit });
          return { numRows: page.numRows, rows: page.rows };
        },
        numRows,
        { pageSize: PAGE_SIZE, maxPages: 200, maxConcurrent: 3, prefetchPages: 1 },
      ),
    // version: a refreshed store gets fresh pages
    [path, numRows, version],
  );
  useSyncExternalStore(
    (listener) => cache.subscribe(listener),
    () => cache.version,
  );
  return cache;
}
