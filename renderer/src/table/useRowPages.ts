import { useMemo, useSyncExternalStore } from 'react';
import { invoke } from '../api/transport';
import { PageCache } from './pageCache';
import { isPlain, requestFilters, type TableQueryState } from './tableQuery';

/** Rows are fetched in pages of this size: 200 rows of a dozen columns is a few tens of KB. */
const PAGE_SIZE = 200;

/**
 * The page cache of one dataset, fetching through `rows.page`, or through `rows.query` when
 * the table is sorted or filtered (the host sorts and filters the whole dataset; the cache's
 * row count becomes the count of matching rows). A new cache is made when the dataset, the
 * query or the store's data changes (`version`); the component re-renders whenever a page
 * arrives.
 */
export function useRowPages(path: string, numRows: number, version: number, columns: readonly { name: string; type: string }[], query: TableQueryState): PageCache {
  const plain = isPlain(columns, query);
  const key = plain ? '' : JSON.stringify([query.sort, requestFilters(columns, query.filters)]);
  const cache = useMemo(
    () =>
      new PageCache(
        async (offset, limit) => {
          if (key === '') {
            const page = await invoke('rows.page', { path, offset, limit });
            return { numRows: page.numRows, rows: page.rows };
          }
          const page = await invoke('rows.query', { path, sort: query.sort, filters: requestFilters(columns, query.filters), offset, limit });
          return { numRows: page.totalRows, rows: page.rows };
        },
        // a sorted or filtered table counts its rows with its first page
        plain ? numRows : Math.min(numRows, PAGE_SIZE),
        { pageSize: PAGE_SIZE, maxPages: 200, maxConcurrent: 3, prefetchPages: 1 },
      ),
    // version: a refreshed store gets fresh pages; key: the sort and the filters
    [path, numRows, version, key],
  );
  useSyncExternalStore(
    (listener) => cache.subscribe(listener),
    () => cache.version,
  );
  return cache;
}
