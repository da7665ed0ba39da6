import fs from 'node:fs';
import { NotFoundError } from '../errors.js';
import type { SourceColumnInfo } from './columnMapping.js';
import { CsvSplitter, type FieldBatch } from './csvSplitter.js';
import { HashingFileRead, type IngestSource } from './ingestSource.js';
import type { CsvDialect } from './ingestTypes.js';
import type { SourceBatch, SourceColumnData } from './rowConverter.js';
import { sniffDialect, type SniffOverrides } from './sniffDialect.js';

/**
 * CSV/TSV as an ingest source: the first MiB is sniffed for the dialect, then the file is
 * streamed in chunks through the splitter (never whole in memory) and hashed on the way.
 */

/** Bytes read for sniffing. */
const SNIFF_BYTES = 1024 * 1024;
/** Bytes per read while streaming (each chunk becomes one batch of rows). */
const CSV_CHUNK_BYTES = 2 * 1024 * 1024;

export function openCsvSource(filePath: string, overrides: SniffOverrides = {}): IngestSource {
  let size: number;
  let head: Buffer;
  try {
    size = fs.statSync(filePath).size;
    const fd = fs.openSync(filePath, 'r');
    try {
      head = Buffer.alloc(Math.min(SNIFF_BYTES, size));
      let done = 0;
      while (done < head.length) {
        const n = fs.readSync(fd, head, done, head.length - done, done);
        if (n === 0) break;
        done += n;
      }
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    throw new NotFoundError(`cannot read ${filePath}: ${(error as Error).message}`, { path: filePath });
  }
  const sniffed = sniffDialect(head, size <= SNIFF_BYTES, filePath, overrides);
  return new CsvSource(filePath, size, head.subarray(0, sniffed.skipBytes), sniffed.dialect, sniffed.sampleRows);
}

class CsvSource implements IngestSource {
  readonly format = 'csv' as const;
  readonly columns: SourceColumnInfo[];
  readonly notation: { decimal: '.' | ','; thousands: string | null };
  readonly hashesWhileReading = true;
  private readonly reading: HashingFileRead;

  constructor(
    filePath: string,
    readonly totalBytes: number,
    private readonly bom: Uint8Array,
    readonly dialect: CsvDialect,
    sampleRows: string[][],
  ) {
    this.reading = new HashingFileRead(filePath, CSV_CHUNK_BYTES);
    this.notation = { decimal: dialect.decimal, thousands: dialect.thousands };
    this.columns = dialect.columns.map((name, k) => ({
      name,
      kind: 'text' as const,
      values: sampleRows.filter((row) => row.length === dialect.columns.length).map((row) => row[k]),
    }));
  }

  async *batches(): AsyncGenerator<SourceBatch> {
    const width = this.dialect.columns.length;
    const splitter = new CsvSplitter(this.dialect, width);
    let skipHeader = this.dialect.header;
    for await (const bytes of this.reading.chunks(this.bom)) {
      const batch = splitter.push(bytes);
      const skip = skipHeader && batch.rows > 0 ? 1 : 0;
      if (skip) skipHeader = false;
      if (batch.rows - skip > 0) yield toSourceBatch(batch, skip, width);
    }
    const last = splitter.end();
    const skip = skipHeader && last.rows > 0 ? 1 : 0;
    if (last.rows - skip > 0) yield toSourceBatch(last, skip, width);
  }

  get bytesRead(): number {
    return this.reading.bytesRead;
  }

  sha256(): Promise<string> {
    return this.reading.sha256();
  }

  close(): Promise<void> {
    return this.reading.close();
  }
}

/** The splitter's batch as source columns, without its first `skip` rows (the header). */
function toSourceBatch(batch: FieldBatch, skip: number, width: number): SourceBatch {
  const buf = Buffer.from(batch.buf.buffer, batch.buf.byteOffset, batch.buf.byteLength);
  const starts = skip ? batch.starts.subarray(skip * width) : batch.starts;
  const ends = skip ? batch.ends.subarray(skip * width) : batch.ends;
  const columns: SourceColumnData[] = [];
  for (let c = 0; c < width; c++) columns.push({ kind: 'text', buf, starts, ends, stride: width, offset: c });
  return {
    rows: batch.rows - skip,
    lines: batch.lines.subarray(skip),
    columns,
    fieldCounts: batch.fieldCounts.subarray(skip),
    expectedFields: width,
    unterminated: batch.unterminated.subarray(skip),
  };
}
