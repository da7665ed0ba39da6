/**
 * Tables partitioned by `year(date)` (the spec's year transform: an `int` of years since
 * 1970): the spec MES Data writes, partition values from a file's statistics or given,
 * the manifest list's summaries, the commit that opens only the manifests of the years it
 * touches, replace and remove by year, the files refused, and icebird reading each version.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { icebergRead } from 'icebird';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeEngine } from '../../../core/engine/duckdbEngine.js';
import { loadTable } from '../../../core/iceberg/tableCommit.js';
import { fileLocation } from '../../../core/iceberg/tableLocation.js';
import { defaultSpec } from '../../../core/iceberg/tableMetadata.js';
import { snapshotDataFiles, snapshotForVersion, snapshotManifests } from '../../../core/iceberg/tableRead.js';
import { readSnapshotRows } from '../../../core/iceberg/tableRows.js';
import { appendFiles, newDataFilePath, replacePartitions } from '../../../core/iceberg/tableWrite.js';
import { serveFileUrls } from '../../helpers/fileFetch.js';
import { buildYearTable, T0, writeDailyBars, YEAR_2023, YEAR_2024, YEAR_2024_AGAIN, type DailyBar } from './icebergTestKit.js';

/** An int partition bound in the spec's single-value encoding (4 bytes, little-endian). */
const le32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b.toString('hex');
};

describe('a table partitioned by year', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-data-iceberg-year-'));
  const dir = path.join(root, 'NVDA');
  let built: Awaited<ReturnType<typeof buildYearTable>>;
  let restoreFetch: () => void;
  beforeAll(async () => {
    restoreFetch = serveFileUrls();
    built = await buildYearTable(dir);
  });
  afterAll(async () => {
    restoreFetch();
    fs.rmSync(root, { recursive: true, force: true });
    await closeEngine();
  });

  it('has the spec year(date) as field date_year, id 1000, and its files in year folders', async () => {
    const table = await loadTable(dir);
    expect(table.metadata['partition-specs']).toEqual([{ 'spec-id': 0, fields: [{ name: 'date_year', transform: 'year', 'source-id': 1, 'field-id': 1000 }] }]);
    expect(defaultSpec(table.metadata).fields[0].transform).toBe('year');
    expect(table.metadata['last-partition-id']).toBe(1000);
    expect(fs.readdirSync(path.join(dir, 'data')).sort()).toEqual(['2023', '2024']);
    expect(path.relative(dir, newDataFilePath(dir, '2025')).split(path.sep).slice(0, 2)).toEqual(['data', '2025']);
  });

  it('holds each year as years since 1970, from the statistics or given, and shows it as the year', async () => {
    const table = await loadTable(dir);
    const at = async (version: number) => (await snapshotDataFiles(table, snapshotForVersion(table, version))).map((f) => [f.path, f.partition, f.partitionById.get(1000), f.record.partition, f.recordCount]);
    expect(await at(1)).toEqual([[built.files.y2023, { date_year: '2023' }, 53, { date_year: 53 }, 2]]);
    expect(await at(3)).toEqual([
      [built.files.y2024again, { date_year: '2024' }, 54, { date_year: 54 }, 3],
      [built.files.y2023, { date_year: '2023' }, 53, { date_year: 53 }, 2],
    ]);
  });

  it('summarizes each manifest by its lowest and highest year, and a replace opens only the manifests that may hold its year', async () => {
    const table = await loadTable(dir);
    const summaries = async (version: number) => (await snapshotManifests(table, snapshotForVersion(table, version))).manifests.map((m) => m.record.partitions?.map((p) => [p.contains_null, p.lower_bound?.toString('hex'), p.upper_bound?.toString('hex')]));
    expect(await summaries(2)).toEqual([[[false, le32(54), le32(54)]], [[false, le32(53), le32(53)]]]);
    // version 3 replaced 2024: the manifest of 2024 rewritten (its entry deleted), 2023's kept unread
    expect(built.v3.snapshot.summary).toMatchObject({ operation: 'overwrite', 'manifests-kept': '1', 'manifests-replaced': '1', 'manifests-created': '2', 'deleted-data-files': '1', 'added-data-files': '1', 'changed-partition-count': '1', 'total-records': '5' });
  });

  it('reads every version with exact values, through our reader and icebird', async () => {
    const table = await loadTable(dir);
    const row = ([date, close, volume]: DailyBar) => ({ date, timestamp: BigInt(Date.parse(`${date}T00:00:00Z`)) * 1000n, close, volume: BigInt(volume) });
    const byDate = (rows: Record<string, unknown>[]) => [...rows].sort((a, b) => (String(a.date) < String(b.date) ? -1 : 1));
    expect(byDate(await readSnapshotRows(table, snapshotForVersion(table, 2)))).toEqual([...YEAR_2023, ...YEAR_2024].map(row));
    expect(byDate(await readSnapshotRows(table, snapshotForVersion(table, 3)))).toEqual([...YEAR_2023, ...YEAR_2024_AGAIN].map(row));
    const metadata = fs.readdirSync(path.join(dir, 'metadata')).filter((n) => /^v\d+\.metadata\.json$/.test(n)).sort((a, b) => Number(/\d+/.exec(a)) - Number(/\d+/.exec(b))).pop() as string;
    const iceberg = await icebergRead({ tableUrl: fileLocation(dir), metadataFileName: metadata });
    expect(iceberg.map((r): unknown[] => [r.close, r.volume]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([...YEAR_2023, ...YEAR_2024_AGAIN].map(([, close, volume]) => [close, BigInt(volume)]));
  });

  it('refuses a file of two years, a year not the file\'s, a held year appended to, and a date to remove', async () => {
    const across = await writeDailyBars(dir, '2025', [['2025-12-31', 1, 1], ['2026-01-02', 2, 2]]);
    await expect(appendFiles(dir, [{ path: across }])).rejects.toMatchObject({ code: 'BAD_REQUEST', message: `${across} holds date values from 2025-12-31 to 2026-01-02; a data file holds one partition (one year)` });
    const y2025 = await writeDailyBars(dir, '2025', [['2025-03-03', 1, 1]]);
    await expect(appendFiles(dir, [{ path: y2025, partition: { date_year: '2026' } }])).rejects.toMatchObject({ code: 'BAD_REQUEST', message: `${y2025} holds date of 2025, not the partition given (2026)` });
    await expect(appendFiles(dir, [{ path: y2025, partition: { date_year: '25' } }])).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'partition value "25" of "date_year" is not a year (YYYY)' });
    const again = await writeDailyBars(dir, '2023', [['2023-05-01', 1, 1]]);
    await expect(appendFiles(dir, [{ path: again }])).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'the table already holds partition [["date_year",53]]; replace it instead of appending to it' });
    await expect(replacePartitions(dir, [], { removeDates: ['2023-05-01'] })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: '"2023-05-01" is not a partition of a table partitioned by year (YYYY)' });
  });

  it('removes a year without a replacement', async () => {
    const removed = await replacePartitions(dir, [], { removeDates: ['2023'], nowMs: T0 + 4000 });
    expect(removed.snapshot.summary).toMatchObject({ operation: 'overwrite', 'deleted-data-files': '1', 'deleted-records': '2', 'total-data-files': '1', 'total-records': '3' });
    const table = await loadTable(dir);
    expect((await snapshotDataFiles(table, snapshotForVersion(table, 4))).map((f) => f.partition)).toEqual([{ date_year: '2024' }]);
  });
});
