import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { closeEngine, withConnection } from '../../../core/engine/duckdbEngine.js';
import { writeDataFile } from '../../../core/iceberg/dataFileWrite.js';
import type { IcebergSchema } from '../../../core/iceberg/icebergSchema.js';
import { addColumn, commitSchema } from '../../../core/iceberg/schemaEvolution.js';
import { loadTable } from '../../../core/iceberg/tableCommit.js';
import { currentSchema } from '../../../core/iceberg/tableMetadata.js';
import { appendFiles, createTable, newDataFilePath, replacePartitions, type CommitResult } from '../../../core/iceberg/tableWrite.js';

/**
 * A small table with the history every Iceberg test reads: bars of 2024-01-02 and
 * 2024-01-03 (version 1, append), 2024-01-03 corrected (version 2, overwrite of that date),
 * a column `open_interest` added, then 2024-01-04 with it (version 3, append). Data files
 * are written by DuckDB with the table's field ids. Commit times are fixed (T0 + 1 s per
 * commit) so that time travel can be asserted exactly.
 */

export const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);

export const BASE_SCHEMA: IcebergSchema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'date', required: true, type: 'date' },
    { id: 2, name: 'timestamp', required: true, type: 'timestamptz' },
    { id: 3, name: 'close', required: false, type: 'double' },
    { id: 4, name: 'volume', required: false, type: 'long' },
  ],
};

/** One bar a row: [timestamp (UTC, ISO without zone), close, volume, open_interest?]. */
export type Bar = [string, number, number, number?];

export const V1_BARS: Record<string, Bar[]> = {
  '2024-01-02': [
    ['2024-01-02 14:30:00', 4750.25, 120],
    ['2024-01-02 14:31:00', 4751.5, 80],
  ],
  '2024-01-03': [
    ['2024-01-03 14:30:00', 4760, 95],
    ['2024-01-03 14:31:00', 4761.75, 60],
  ],
};

/** the vendor's re-issue of 2024-01-03: one more bar, one close corrected */
export const V2_BARS_0103: Bar[] = [
  ['2024-01-03 14:30:00', 4760.5, 95],
  ['2024-01-03 14:31:00', 4761.75, 60],
  ['2024-01-03 14:32:00', 4762, 41],
];

export const V3_BARS_0104: Bar[] = [
  ['2024-01-04 14:30:00', 4770, 70, 2_100_000],
  ['2024-01-04 14:31:00', 4771.25, 30, 2_100_050],
];

function selectOf(date: string, bars: Bar[], withOpenInterest: boolean): string {
  const rows = bars.map(([ts, close, volume, oi]) => `(DATE '${date}', TIMESTAMPTZ '${ts}+00', ${close}::DOUBLE, ${volume}::BIGINT${withOpenInterest ? `, ${oi ?? 'NULL'}::BIGINT` : ''})`);
  return `SELECT * FROM (VALUES ${rows.join(', ')}) AS t(date, timestamp, close, volume${withOpenInterest ? ', open_interest' : ''})`;
}

/** Writes the bars of one date as a data file of `schema` in the table at `dir`; returns its path. */
export async function writeBars(dir: string, schema: IcebergSchema, date: string, bars: Bar[]): Promise<string> {
  const file = newDataFilePath(dir, date);
  const withOpenInterest = schema.fields.some((f) => f.name === 'open_interest');
  await withConnection((connection) => writeDataFile(connection, selectOf(date, bars, withOpenInterest), file, schema, 'snappy'));
  return file;
}

export interface SampleTable {
  dir: string;
  v1: CommitResult;
  v2: CommitResult;
  v3: CommitResult;
  files: { v1_0102: string; v1_0103: string; v2_0103: string; v3_0104: string };
  cleanup: () => void;
}

export async function buildSampleTable(prefix = 'mes-data-iceberg-'): Promise<SampleTable> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const dir = path.join(root, 'MES');
  await createTable(dir, BASE_SCHEMA, { nowMs: T0 });
  const v1_0102 = await writeBars(dir, BASE_SCHEMA, '2024-01-02', V1_BARS['2024-01-02']);
  const v1_0103 = await writeBars(dir, BASE_SCHEMA, '2024-01-03', V1_BARS['2024-01-03']);
  const v1 = await appendFiles(dir, [{ path: v1_0102 }, { path: v1_0103, partition: { date: '2024-01-03' } }], { nowMs: T0 + 1000, summary: { 'mes-data.recipe-fingerprint': 'sha256:aaaa' } });
  const v2_0103 = await writeBars(dir, BASE_SCHEMA, '2024-01-03', V2_BARS_0103);
  const v2 = await replacePartitions(dir, [{ path: v2_0103 }], { nowMs: T0 + 2000, summary: { 'mes-data.recipe-fingerprint': 'sha256:bbbb' } });
  const table = await loadTable(dir);
  const evolved = addColumn(currentSchema(table.metadata), table.metadata['last-column-id'], 'open_interest', 'long');
  await commitSchema(dir, evolved, { nowMs: T0 + 3000 });
  const v3_0104 = await writeBars(dir, evolved, '2024-01-04', V3_BARS_0104);
  const v3 = await appendFiles(dir, [{ path: v3_0104 }], { nowMs: T0 + 4000 });
  return { dir, v1, v2, v3, files: { v1_0102, v1_0103, v2_0103, v3_0104 }, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

/**
 * A sample table for the tests of the calling suite: built before them (the returned object
 * is filled in then), removed after them, with DuckDB closed.
 */
export function sampleTableForSuite(prefix?: string): SampleTable {
  const sample = {} as SampleTable;
  beforeAll(async () => {
    Object.assign(sample, await buildSampleTable(prefix));
  });
  afterAll(async () => {
    sample.cleanup?.();
    await closeEngine();
  });
  return sample;
}

/** Daily bars of a table partitioned by year: [date, close, volume]. */
export type DailyBar = [string, number, number];

/** Writes daily bars (of one year, or of several to see them refused) as a data file of the table at `dir`, below `data/{folder}/`. */
export async function writeDailyBars(dir: string, folder: string, bars: DailyBar[]): Promise<string> {
  const file = newDataFilePath(dir, folder);
  const rows = bars.map(([date, close, volume]) => `(DATE '${date}', TIMESTAMPTZ '${date} 00:00:00+00', ${close}::DOUBLE, ${volume}::BIGINT)`);
  await withConnection((connection) => writeDataFile(connection, `SELECT * FROM (VALUES ${rows.join(', ')}) AS t(date, timestamp, close, volume)`, file, BASE_SCHEMA, 'snappy'));
  return file;
}

export const YEAR_2023: DailyBar[] = [
  ['2023-03-01', 101.5, 10],
  ['2023-12-29', 102.25, 11],
];
export const YEAR_2024: DailyBar[] = [
  ['2024-01-02', 103, 12],
  ['2024-06-03', 104.75, 13],
];
/** 2024 again, with one more bar */
export const YEAR_2024_AGAIN: DailyBar[] = [...YEAR_2024, ['2024-12-31', 105.5, 14]];

/**
 * A table partitioned by `year(date)`: 2023 (version 1, append, the partition read from the
 * file's statistics), 2024 (version 2, append, the partition given), 2024 again with a bar
 * more (version 3, overwrite of that year). Commit times T0 + 1 s per commit.
 */
export async function buildYearTable(dir: string): Promise<{ v1: CommitResult; v2: CommitResult; v3: CommitResult; files: { y2023: string; y2024: string; y2024again: string } }> {
  await createTable(dir, BASE_SCHEMA, { nowMs: T0, partitionTransform: 'year' });
  const y2023 = await writeDailyBars(dir, '2023', YEAR_2023);
  const v1 = await appendFiles(dir, [{ path: y2023 }], { nowMs: T0 + 1000 });
  const y2024 = await writeDailyBars(dir, '2024', YEAR_2024);
  const v2 = await appendFiles(dir, [{ path: y2024, partition: { date_year: '2024' } }], { nowMs: T0 + 2000 });
  const y2024again = await writeDailyBars(dir, '2024', YEAR_2024_AGAIN);
  const v3 = await replacePartitions(dir, [{ path: y2024again }], { nowMs: T0 + 3000 });
  return { v1, v2, v3, files: { y2023, y2024, y2024again } };
}
