/**
 * The table's rows, fetched page by page as the view moves: a fixed page size, a bounded
 * least-recently-used cache, a few requests in flight at once, and a queue that always
 * serves the pages on screen first and forgets pages the user has scrolled past before
 * they were asked for. No DOM and no React: the view calls `want(first, last)` with the rows
 * it shows and re-renders when `subscribe` says a page arrived.
 */

export interface LoadedPage {
  /** Total rows of the dataset, as the host counted them while reading this page. */
  numRows: number;
  rows: unknown[][];
}

type PageLoader = (offset: number, limit: number) => Promise<LoadedPage>;

interface PageCacheOptions {
  /** Rows per request (the contract allows up to 5000). */
  pageSize?: number;
  /** Pages kept in memory; the least recently used go first, never one on screen. */
  maxPages?: number;
  /** Requests in flight at once. */
  maxConcurrent?: number;
  /** Pages fetched beyond each end of what is on screen. */
  prefetchPages?: number;
}

type PageStatus = 'loaded' | 'loading' | 'queued' | 'error' | 'absent';

/** Page indices that hold rows [first, last] (inclusive), clamped to the dataset. */
export function pagesForRows(first: number, last: number, pageSize: number, numRows: number): number[] {
  if (numRows <= 0 || last < first) return [];
  const lo = Math.max(0, Math.floor(Math.max(0, first) / pageSize));
  const hi = Math.min(Math.floor((numRows - 1) / pageSize), Math.floor(Math.max(0, last) / pageSize));
  const pages: number[] = [];
  for (let page = lo; page <= hi; page++) pages.push(page);
  return pages;
}

export class PageCache {
  readonly pageSize: number;
  private readonly maxPages: number;
  private readonly maxConcurrent: number;
  private readonly prefetchPages: number;
  private readonly pages = new Map<number, unknown[][]>();
  private readonly errors = new Map<number, Error>();
  private readonly inFlight = new Set<number>();
  private queue: number[] = [];
  private wanted = new Set<number>();
  private readonly listeners = new Set<() => void>();
  private disposed = false;
  private changeCount = 0;
  numRows: number;

  constructor(
    private readonly load: PageLoader,
    numRows: number,
    options: PageCacheOptions = {},
  ) {
    this.numRows = numRows;
    this.pageSize = options.pageSize ?? 200;
    this.maxPages = Math.max(4, options.maxPages ?? 150);
    this.maxConcurrent = Math.max(1, options.maxConcurrent ?? 3);
    this.prefetchPages = options.prefetchPages ?? 1;
  }

  /** A number that changes whenever a page arrives or fails (for useSyncExternalStore). */
  get version(): number {
    return this.changeCount;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The view shows rows [first, last]: their pages are queued first, then a page or two
   * either side; anything queued earlier that is no longer near the view is dropped.
   */
  want(first: number, last: number): void {
    if (this.disposed) return;
    const visible = pagesForRows(first, last, this.pageSize, this.numRows);
    if (visible.length === 0) {
      this.wanted = new Set();
      this.queue = [];
      return;
    }
    const lastPage = Math.floor((this.numRows - 1) / this.pageSize);
    const around: number[] = [];
    for (let k = 1; k <= this.prefetchPages; k++) {
      const after = visible[visible.length - 1] + k;
      const before = visible[0] - k;
      if (after <= lastPage) around.push(after);
      if (before >= 0) around.push(before);
    }
    this.wanted = new Set([...visible, ...around]);
    for (const page of this.wanted) this.touch(page);
    this.queue = [...visible, ...around].filter((page) => !this.pages.has(page) && !this.inFlight.has(page) && !this.errors.has(page));
    this.pump();
  }

  /** The row's values, or undefined while its page is not here. */
  row(index: number): unknown[] | undefined {
    const page = this.pages.get(Math.floor(index / this.pageSize));
    return page?.[index % this.pageSize];
  }

  status(index: number): PageStatus {
    const page = Math.floor(index / this.pageSize);
    if (this.pages.has(page)) return 'loaded';
    if (this.inFlight.has(page)) return 'loading';
    if (this.errors.has(page)) return 'error';
    if (this.queue.includes(page)) return 'queued';
    return 'absent';
  }

  /** The error that stopped the page of this row, if any. */
  error(index: number): Error | undefined {
    return this.errors.get(Math.floor(index / this.pageSize));
  }

  /** Forgets failed pages so that the next `want` asks for them again. */
  retry(): void {
    this.errors.clear();
    this.emit();
  }

  /** Pages held now (for tests and diagnostics). */
  cachedPages(): number[] {
    return [...this.pages.keys()];
  }

  inFlightPages(): number[] {
    return [...this.inFlight];
  }

  dispose(): void {
    this.disposed = true;
    this.listeners.clear();
    this.queue = [];
    this.pages.clear();
  }

  private touch(page: number): void {
    const rows = this.pages.get(page);
    if (rows) {
      // Map keeps insertion order: re-inserting makes this page the most recently used
      this.pages.delete(page);
      this.pages.set(page, rows);
    }
  }

  private pump(): void {
    while (!this.disposed && this.inFlight.size < this.maxConcurrent && this.queue.length > 0) {
      const page = this.queue.shift() as number;
      if (this.pages.has(page) || this.inFlight.has(page)) continue;
      this.fetch(page);
    }
  }

  private fetch(page: number): void {
    this.inFlight.add(page);
    const offset = page * this.pageSize;
    const limit = Math.min(this.pageSize, Math.max(0, this.numRows - offset));
    this.load(offset, limit).then(
      (loaded) => {
        this.inFlight.delete(page);
        if (this.disposed) return;
        this.errors.delete(page);
        this.pages.set(page, loaded.rows);
        if (loaded.numRows !== this.numRows) this.numRows = loaded.numRows;
        this.evict();
        this.emit();
        this.pump();
      },
      (error: unknown) => {
        this.inFlight.delete(page);
        if (this.disposed) return;
        this.errors.set(page, error instanceof Error ? error : new Error(String(error)));
        this.emit();
        this.pump();
      },
    );
  }

  private evict(): void {
    if (this.pages.size <= this.maxPages) return;
    for (const page of this.pages.keys()) {
      if (this.pages.size <= this.maxPages) break;
      if (!this.wanted.has(page)) this.pages.delete(page);
    }
  }

  private emit(): void {
    this.changeCount++;
    for (const listener of this.listeners) listener();
  }
}
