import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Table } from 'apache-arrow';
import { readParquet } from '../parquet/parquetFile.js';
import { ingestFile } from './ingestFile.js';
import type { IngestOptions } from './ingestTypes.js';

/**
 * A text file (CSV, TSV, JSON Lines) read into one Arrow table through the ingest reader:
 * the same dialect sniffing, column mapping and time zone handling as `mes-data ingest`,
 * rows grouped by CME trading date in date order (within a date, in file order). For `convert`
 * and `validate`, which want a table, not snapshots; the whole file is held in memory.
 * Throws as `ingestFile` (PARSE_ERROR with line numbers, BAD_REQUEST, …).
 */
export async function readTabularFile(file: string, options: Pick<IngestOptions, 'timezone' | 'onBadRows' | 'columns' | 'signal'> = {}): Promise<Table> {
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-data-read-'));
  try {
    const report = await ingestFile(file, { ...options, asset: 'FILE', stagingDir: staging });
    const parts = await Promise.all(report.partitions.map((p) => readParquet(p.path)));
    if (parts.length === 0) throw new Error(`${file} has no rows`);
    return parts.slice(1).reduce((table, part) => table.concat(part), parts[0]);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
