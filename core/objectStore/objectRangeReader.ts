import { parquetMetadataAsync, parquetReadObjects, type AsyncBuffer, type FileMetaData, type ParquetReadOptions } from 'hyparquet';
import type { ObjectStore } from './objectStore.js';

/** hyparquet's codecs, loaded on first use: the module builds its Huffman tables as it loads, which every command paid at start (core/parquet/decoder/fallbackReader.ts likewise). */
const codecs = () => import('hyparquet-compressors').then((module) => module.compressors);

/**
 * Byte ranges of objects kept in memory, least recently used first out, up to `capBytes` in
 * all. A read inside a range already held is answered from it; a range larger than the cap
 * is fetched but not kept. Concurrent reads of the same range share one request.
 */
export class RangeCache {
  private readonly entries = new Map<string, { objectId: string; start: number; bytes: Uint8Array }>();
  private readonly pending = new Map<string, Promise<Uint8Array>>();
  private held = 0;
  /** Requests sent and bytes fetched, for tests and measurements. */
  readonly stats = { requests: 0, bytesFetched: 0, hits: 0 };

  constructor(readonly capBytes: number = 64 * 1024 * 1024) {}

  get heldBytes(): number {
    return this.held;
  }

  async read(objectId: string, start: number, end: number, fetch: () => Promise<Uint8Array>): Promise<Uint8Array> {
    for (const [id, entry] of this.entries) {
      if (entry.objectId === objectId && entry.start <= start && entry.start + entry.bytes.length >= end) {
        this.entries.delete(id);
        this.entries.set(id, entry);
        this.stats.hits++;
        return entry.bytes.subarray(start - entry.start, end - entry.start);
      }
    }
    const id = `${objectId}\u0000${start}\u0000${end}`;
    const waiting = this.pending.get(id);
    if (waiting) return waiting;
    const promise = fetch().then((bytes) => {
      this.stats.requests++;
      this.stats.bytesFetched += bytes.length;
      if (bytes.length <= this.capBytes) {
        this.entries.set(id, { objectId, start, bytes });
        this.held += bytes.length;
        for (const [oldest, entry] of this.entries) {
          if (this.held <= this.capBytes) break;
          this.entries.delete(oldest);
          this.held -= entry.bytes.length;
        }
      }
      return bytes;
    });
    this.pending.set(id, promise);
    try {
      return await promise;
    } finally {
      this.pending.delete(id);
    }
  }
}

/**
 * An object seen as hyparquet's `AsyncBuffer` (`{byteLength, slice(start, end)}`), each
 * slice a range request through the cache. `etag` ties cached ranges to the object's
 * version: a rewritten object is never answered from the old one's bytes.
 */
async function objectAsyncBuffer(store: ObjectStore, key: string, cache: RangeCache, tailBytes = 64 * 1024): Promise<AsyncBuffer> {
  // one request gives the size, the etag and the end of the object, where a Parquet footer is
  const tail = await store.tail(key, tailBytes);
  const { size, etag } = tail;
  const objectId = `${store.location}\u0000${key}\u0000${etag}`;
  await cache.read(objectId, size - tail.bytes.length, size, () => Promise.resolve(tail.bytes));
  return {
    byteLength: size,
    slice: async (start: number, end?: number): Promise<ArrayBuffer> => {
      const stop = Math.min(end ?? size, size);
      const bytes = await cache.read(objectId, start, stop, () => store.getRange(key, start, stop - start));
      return bytes.slice().buffer;
    },
  };
}

/** A Parquet object opened over ranges: its footer read once, then only the row groups a page needs. */
export class ObjectParquetReader {
  private constructor(
    readonly key: string,
    private readonly buffer: AsyncBuffer,
    readonly metadata: FileMetaData,
    private readonly cache: RangeCache,
  ) {}

  static async open(store: ObjectStore, key: string, cache: RangeCache): Promise<ObjectParquetReader> {
    const buffer = await objectAsyncBuffer(store, key, cache);
    // the last 64 kB hold the footer of most files; hyparquet asks for more when it is larger
    const metadata = await parquetMetadataAsync(buffer, { initialFetchSize: Math.min(buffer.byteLength, 64 * 1024) });
    return new ObjectParquetReader(key, buffer, metadata, cache);
  }

  get numRows(): number {
    return Number(this.metadata.num_rows);
  }

  /**
   * Fetches the column chunks of the row groups that hold the rows as one range request (they
   * lie side by side in the file), so that hyparquet's reads of each chunk are answered from
   * the cache instead of a request per column.
   */
  private async prefetchGroups(rowStart: number, rowEnd: number, columns: string[] | undefined): Promise<void> {
    let groupStart = 0;
    let first = Number.POSITIVE_INFINITY;
    let last = 0;
    for (const group of this.metadata.row_groups) {
      const groupEnd = groupStart + Number(group.num_rows);
      if (groupEnd > rowStart && groupStart < rowEnd) {
        for (const chunk of group.columns) {
          const meta = chunk.meta_data;
          if (!meta || (columns && !columns.includes(meta.path_in_schema[0] ?? ''))) continue;
          const dictionary = meta.dictionary_page_offset;
          const start = Number(dictionary !== undefined && dictionary > 0n && dictionary < meta.data_page_offset ? dictionary : meta.data_page_offset);
          first = Math.min(first, start);
          last = Math.max(last, start + Number(meta.total_compressed_size));
        }
      }
      groupStart = groupEnd;
    }
    // a span the cache could not keep would be fetched twice: leave it to hyparquet's own reads
    if (last > first && last - first <= this.cache.capBytes / 2) await this.buffer.slice(first, Math.min(last, this.buffer.byteLength));
  }

  /**
   * Rows `offset` to `offset + limit` (fewer at the end) as objects; only the row groups that
   * hold them are fetched. `parsers` replaces hyparquet's conversions (timestamps as `Date` by
   * default; core/parquet/decoder/footer.ts `rawParsers` keeps them as counts of their unit).
   */
  async readRows(offset: number, limit: number, columns?: string[], parsers?: ParquetReadOptions['parsers']): Promise<Record<string, unknown>[]> {
    const rowStart = Math.max(0, Math.min(offset, this.numRows));
    const rowEnd = Math.min(this.numRows, rowStart + Math.max(0, limit));
    if (rowEnd <= rowStart) return [];
    await this.prefetchGroups(rowStart, rowEnd, columns);
    return (await parquetReadObjects({ file: this.buffer, metadata: this.metadata, rowStart, rowEnd, compressors: await codecs(), ...(columns ? { columns } : {}), ...(parsers ? { parsers } : {}) })) as Record<string, unknown>[];
  }
}
