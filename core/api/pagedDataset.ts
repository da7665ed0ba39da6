import type { Data, Table } from 'apache-arrow';
import { sqlFileList, withConnection } from '../engine/duckdbEngine.js';
import { CorruptedFileError } from '../errors.js';
import type { DecoderPool } from '../parquet/decoderPool.js';
import { openParquetFile, readParquetRows } from '../parquet/parquetFile.js';
import type { DatasetListing } from './datasetCache.js';

/**
 * A dataset for pages: every file's row count, but an open footer only for the files a page
 * has touched. Dataset.open reads every footer through the decoder, one after another
 * (2,899 files of one-minute bars: 4 s before the first page); here DuckDB reads the row
 * counts of all the files in one call on its own threads (the event loop runs meanwhile),
 * and a page asks the decoder for the rows of the one or two files that hold it, without
 * opening a handle first (one request per file instead of two: 200 pages at once waited
 * for 400 requests on two decoder threads). Pages are the rows Dataset.readRows gives, in
 * the same order (the listing is Dataset.open's order).
 */

interface PagedFile {
  /** absolute */
  file: string;
  /** as Dataset.open shows it: store-relative, or absolute outside a store */
  path: string;
  rowStart: number;
  rows: number;
}

/**
 * Files of at most this many rows are decoded whole on their second page and kept (a trading
 * date of one-minute bars is 1,380 rows, a year of daily bars about 252): every later page
 * of such a file (a user scrolling through a date: 14 pages) is a slice of what is kept,
 * without a trip to the decoder thread. The first page of a file is read alone: pages at
 * random places of a long history touch a file once, and a whole-file decode for one page
 * cost the decoder about 0.5 ms of CPU and this thread another 0.25 ms for the Arrow table
 * of 1,380 rows, against about 0.33 and 0.08 ms for the page alone (CPU per page, 200 pages
 * of 2,899 dates of bars, load 12). Larger files are read a page at a time.
 */
const WHOLE_FILE_MAX_ROWS = 8192;
/** What the decoded files kept for pages may hold, for every dataset of the process together. */
const DECODED_FILES_MAX_BYTES = 64 * 1024 * 1024;
/** Files whose first page was read, remembered so that their second page decodes them whole. */
const TOUCHED_FILES_KEPT = 8192;

/** Bytes of the buffers behind `data` and its children. */
function dataBytes(data: Data): number {
  const buffers = [data.values, data.valueOffsets, data.nullBitmap, data.typeIds] as (ArrayBufferView | undefined)[];
  let bytes = buffers.reduce((sum, buffer) => sum + (buffer?.byteLength ?? 0), 0);
  for (const child of data.children) bytes += dataBytes(child);
  return bytes;
}

/**
 * The decoded files, least recently used first, bounded by DECODED_FILES_MAX_BYTES. Keyed by
 * the PagedDataset (one per listing) and the file's place in it, so a dataset listed again
 * after a change (a new PagedDataset) never reads what was kept of its old files; those age
 * out. A read that fails is not kept.
 */
class DecodedFiles {
  private readonly entries = new Map<string, { table: Promise<Table>; bytes: number }>();
  private total = 0;

  constructor(private readonly maxBytes: number) {}

  /** Whether a decode of `key` is kept or under way. */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  get(key: string, load: () => Promise<Table>): Promise<Table> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.table;
    }
    const entry = { table: load(), bytes: 0 };
    this.entries.set(key, entry);
    entry.table.then(
      (table) => {
        if (this.entries.get(key) !== entry) return;
        entry.bytes = table.batches.reduce((sum, batch) => sum + dataBytes(batch.data), 0);
        this.total += entry.bytes;
        this.evict();
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return entry.table;
  }

  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.total <= this.maxBytes) return;
      this.entries.delete(key);
      this.total -= entry.bytes;
    }
  }
}

const decodedFiles = new DecodedFiles(DECODED_FILES_MAX_BYTES);
let nextListing = 1;

/** Keys of decodedFiles (a listing's file) whose first page was read alone, oldest first. */
const touchedFiles = new Set<string>();

/** True when `key` had a page read before (it is forgotten then); remembers it otherwise. */
function touchedBefore(key: string): boolean {
  if (touchedFiles.delete(key)) return true;
  touchedFiles.add(key);
  if (touchedFiles.size > TOUCHED_FILES_KEPT) touchedFiles.delete(touchedFiles.values().next().value as string);
  return false;
}

export class PagedDataset {
  private constructor(
    readonly files: PagedFile[],
    readonly numRows: number,
    private readonly decoder: DecoderPool,
    /** this listing's part of the keys of decodedFiles */
    private readonly listingId = nextListing++,
  ) {}

  /**
   * The files of `listing` with their row counts: a single file from its own footer, many
   * from DuckDB's `parquet_file_metadata`. Throws CORRUPTED_FILE naming a file whose footer
   * cannot be read.
   */
  static async open(listing: DatasetListing, decoder: DecoderPool, signal?: AbortSignal): Promise<PagedDataset> {
    const paged = (counts: number[]): PagedDataset => {
      let rowStart = 0;
      const files = listing.files.map((file, k) => {
        const entry = { file, path: listing.display[k], rowStart, rows: counts[k] };
        rowStart += counts[k];
        return entry;
      });
      return new PagedDataset(files, rowStart, decoder);
    };
    if (listing.files.length === 1) {
      const handle = await openParquetFile(listing.files[0], { decoder });
      return paged([handle.numRows]);
    }
    const counts = await withConnection(async (db) => {
      const rows = await db.rows(`SELECT file_name, num_rows FROM parquet_file_metadata(${sqlFileList(listing.files)})`, `reading the footers of ${listing.files.length} Parquet files`);
      const byFile = new Map(rows.map((r) => [String(r.file_name), Number(r.num_rows)]));
      return listing.files.map((file) => {
        const n = byFile.get(file);
        if (n === undefined) throw new CorruptedFileError(`no footer could be read from ${file}`, { file });
        return n;
      });
    }, signal);
    return paged(counts);
  }

  /** Rows [offset, offset + limit) across the files, as one table (fewer at the end), as Dataset.readRows reads them. */
  async readRows(offset: number, limit: number, columns?: string[]): Promise<Table> {
    const end = Math.min(offset + limit, this.numRows);
    const parts: Table[] = [];
    // the first file holding the page, by bisection (a version of 2,899 dates: the scan of every file was 0.2 ms a page)
    let low = 0;
    let high = this.files.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.files[middle].rowStart + this.files[middle].rows <= offset) low = middle + 1;
      else high = middle;
    }
    for (let k = low; k < this.files.length && this.files[k].rowStart < end; k++) {
      const f = this.files[k];
      if (f.rows === 0) continue;
      const from = Math.max(offset, f.rowStart) - f.rowStart;
      const to = Math.min(end, f.rowStart + f.rows) - f.rowStart;
      parts.push(await this.fileRows(f, k, from, to - from, columns));
    }
    if (parts.length === 0) return readParquetRows(this.files[0].file, 0, 0, { columns, decoder: this.decoder });
    return parts.slice(1).reduce((table, part) => table.concat(part), parts[0]);
  }

  /**
   * Rows of one file: a slice of the whole file, decoded once and kept, when it is small and
   * had a page read before; else the page from the decoder.
   */
  private async fileRows(f: PagedFile, index: number, from: number, count: number, columns: string[] | undefined): Promise<Table> {
    const key = `${this.listingId}:${index}`;
    if (f.rows > WHOLE_FILE_MAX_ROWS || (!decodedFiles.has(key) && !touchedBefore(key))) return readParquetRows(f.file, from, count, { columns, decoder: this.decoder });
    const whole = await decodedFiles.get(key, () => readParquetRows(f.file, 0, f.rows, { decoder: this.decoder }));
    const names = whole.schema.fields.map((field) => field.name);
    // a column the file does not have: the decoder names it (NOT_FOUND)
    if (columns && !columns.every((name) => names.includes(name))) return readParquetRows(f.file, from, count, { columns, decoder: this.decoder });
    const rows = whole.slice(from, from + count);
    return columns && !(columns.length === names.length && columns.every((name, k) => name === names[k])) ? rows.select(columns) : rows;
  }
}
