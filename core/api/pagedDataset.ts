import type { Table } from 'apache-arrow';
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

export class PagedDataset {
  private constructor(
    readonly files: PagedFile[],
    readonly numRows: number,
    private readonly decoder: DecoderPool,
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
    for (const f of this.files) {
      const fileEnd = f.rowStart + f.rows;
      if (fileEnd <= offset || f.rowStart >= end) continue;
      const from = Math.max(offset, f.rowStart) - f.rowStart;
      const to = Math.min(end, fileEnd) - f.rowStart;
      parts.push(await readParquetRows(f.file, from, to - from, { columns, decoder: this.decoder }));
    }
    if (parts.length === 0) return readParquetRows(this.files[0].file, 0, 0, { columns, decoder: this.decoder });
    return parts.slice(1).reduce((table, part) => table.concat(part), parts[0]);
  }
}
