/**
 * Low-frequency data as a handful of files (issues 11 and 15): an asset whose raw folders are
 * years of daily bars is promoted to a cleaned table partitioned by `year(date)`, one data
 * file and one link (`cleaned/vN/NVDA/2024.parquet`) a calendar year, every row keeping its
 * date; a new bar rewrites only its year's file. Read back by DuckDB, icebird, pyarrow,
 * polars and pandas; diffed by date; verified; collected. A table created by date keeps its
 * partitioning.
 */
import fs from 'node:fs';
import path from 'node:path';
import { icebergRead } from 'icebird';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffTargets } from '../../../core/diff/diffTargets.js';
import { loadTable } from '../../../core/iceberg/tableCommit.js';
import { fileLocation } from '../../../core/iceberg/tableLocation.js';
import { currentSchema, defaultSpec } from '../../../core/iceberg/tableMetadata.js';
import { currentSnapshotInfo, snapshotDataFiles } from '../../../core/iceberg/tableRead.js';
import { promoteRaw } from '../../../core/promote/promoteRaw.js';
import { OHLCV_SCHEMA } from '../../../core/schema/predefinedSchemas.js';
import { garbageCollect } from '../../../core/store/garbageCollect.js';
import { ingestIntoStore } from '../../../core/store/ingestIntoStore.js';
import { initStore } from '../../../core/store/openStore.js';
import { commitRawSnapshots } from '../../../core/store/rawSnapshot.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { verifyStore } from '../../../core/store/verifyStore.js';
import { barsTable, type Bar } from '../../helpers/barsTable.js';
import { tempDir } from '../../helpers/ohlcvTable.js';
import { serveFileUrls } from '../../helpers/fileFetch.js';
import { READ_BARS_FOLDER, requirePython, runPythonJson } from '../../helpers/python.js';
import { DuckSession, sqlString } from '../../interop/duckdbSession.js';

/** The weekdays from `from` to `to`, both included. */
function weekdays(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) {
    const d = new Date(t);
    if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6) out.push(d.toISOString().slice(0, 10));
  }
  return out;
}

/** The k-th bar's close and volume: exact in binary, different every day. */
const closeOf = (k: number) => 100 + k * 0.25;
const volumeOf = (k: number) => 1000 + k;

/** A Yahoo-style daily CSV of `days`. */
function dailyCsv(days: string[]): string {
  const lines = ['Date,Open,High,Low,Close,Adj Close,Volume'];
  days.forEach((d, k) => lines.push(`${d},${closeOf(k) - 0.5},${closeOf(k) + 1},${closeOf(k) - 1},${closeOf(k)},${closeOf(k)},${volumeOf(k)}`));
  return `${lines.join('\n')}\n`;
}


describe('a cleaned table of daily bars by year', () => {
  const { dir, cleanup } = tempDir();
  let store: Store;
  let duck: DuckSession;
  let restoreFetch: () => void;
  const at = (relative: string) => path.join(store.root, relative);
  // 25 years of weekdays; the last one (2024-12-31) arrives later
  const days = weekdays('2000-01-03', '2024-12-31');
  const first = days.slice(0, -1);
  const years = Array.from({ length: 25 }, (_, k) => String(2000 + k));
  const daysOf = (year: string) => days.filter((d) => d.startsWith(year));
  const inodes = (version: number) => Object.fromEntries(fs.readdirSync(at(`cleaned/v${version}/NVDA`)).map((name) => [name, fs.statSync(at(`cleaned/v${version}/NVDA/${name}`)).ino]));

  beforeAll(async () => {
    restoreFetch = serveFileUrls();
    store = (await initStore(path.join(dir, 'store'))).store;
    fs.writeFileSync(path.join(dir, 'NVDA.csv'), dailyCsv(first));
    await ingestIntoStore(store, [path.join(dir, 'NVDA.csv')], { asset: 'NVDA' });
    duck = await DuckSession.open();
  }, 120_000);
  afterAll(() => {
    restoreFetch();
    duck.close();
    cleanup();
  });

  it('25 years of daily bars become 25 data files and 25 links, one a calendar year', async () => {
    expect(fs.readdirSync(at('raw/NVDA')).sort()).toEqual(years.map((y) => `${y}-01-01`));
    const result = await promoteRaw(store, { asset: 'NVDA', schema: OHLCV_SCHEMA });
    expect(result).toMatchObject({ version: 'v1', path: 'cleaned/v1/NVDA', rows: first.length, status: 'created' });
    expect(result.dates).toEqual({ shared: 0, written: 25, removed: 0, by: 'year' });
    expect(first.length).toBe(6521);
    expect(fs.readdirSync(at('cleaned/v1/NVDA')).sort()).toEqual(years.map((y) => `${y}.parquet`));
    expect(fs.readdirSync(at('cleaned/NVDA/data')).sort()).toEqual(years);
    expect(years.map((y) => fs.readdirSync(at(`cleaned/NVDA/data/${y}`)).length)).toEqual(years.map(() => 1));
    const table = await loadTable(at('cleaned/NVDA'));
    const dateId = currentSchema(table.metadata).fields.find((f) => f.name === 'date')?.id;
    expect(defaultSpec(table.metadata)).toEqual({ 'spec-id': 0, fields: [{ name: 'date_year', transform: 'year', 'source-id': dateId, 'field-id': 1000 }] });
    expect(table.metadata['last-partition-id']).toBe(1000);
    const live = await snapshotDataFiles(table, currentSnapshotInfo(table) as NonNullable<ReturnType<typeof currentSnapshotInfo>>);
    // the spec's year transform: years since 1970, 30 for 2000
    expect(live.map((f) => [f.partition.date_year, f.partitionById.get(1000), f.recordCount]).sort()).toEqual(years.map((y) => [y, Number(y) - 1970, daysOf(y).filter((d) => d !== '2024-12-31').length]));
    const sidecar = JSON.parse(fs.readFileSync(at('catalog/cleaned/NVDA/v1.json'), 'utf8')) as { dateRange: unknown; partitioning: unknown; files: { path: string; rows: number }[] };
    expect(sidecar.dateRange).toEqual({ from: '2000-01-03', to: '2024-12-30' });
    expect(sidecar.partitioning).toEqual(['date_year']);
    expect(sidecar.files.find((f) => f.path === '2000.parquet')?.rows).toBe(260);
  });

  it('a year file holds its rows in time order, each with its own date; DuckDB reads the version folder as one table', async () => {
    const rows = await duck.rows(`SELECT strftime(date, '%Y-%m-%d') AS d, strftime(timezone('UTC', timestamp), '%Y-%m-%d %H:%M:%S') AS t, close, volume FROM read_parquet(${sqlString(at('cleaned/v1/NVDA/2003.parquet'))}) ORDER BY file_row_number`);
    const k0 = first.indexOf('2003-01-01');
    expect(rows).toEqual(daysOf('2003').map((d, i) => ({ d, t: `${d} 00:00:00`, close: closeOf(k0 + i), volume: BigInt(volumeOf(k0 + i)) })));
    const all = await duck.rows(`SELECT count(*) AS n, count(DISTINCT date) AS dates, min(date)::VARCHAR AS lo, max(date)::VARCHAR AS hi, sum(volume) AS v FROM read_parquet(${sqlString(at('cleaned/v1/NVDA/*.parquet'))}, hive_partitioning = true)`);
    expect(all).toEqual([{ n: 6521n, dates: 6521n, lo: '2000-01-03', hi: '2024-12-30', v: BigInt(first.reduce((s, _d, k) => s + volumeOf(k), 0)) }]);
    // the table's data folder read as Hive partitions: plain year folders add no column
    const data = await duck.rows(`SELECT count(*) AS n FROM read_parquet(${sqlString(at('cleaned/NVDA/data/*/*.parquet'))}, hive_partitioning = true)`);
    expect(data).toEqual([{ n: 6521n }]);
  });

  it('icebird reads the snapshot as the rows of the version folder', async () => {
    const metadata = fs.readdirSync(at('cleaned/NVDA/metadata')).filter((n) => /^v\d+\.metadata\.json$/.test(n)).sort().pop() as string;
    const rows = await icebergRead({ tableUrl: fileLocation(at('cleaned/NVDA')), metadataFileName: metadata });
    expect(rows.length).toBe(6521);
    const closes = rows.map((r) => r.close as number).sort((a, b) => a - b);
    expect([closes[0], closes[6520]]).toEqual([closeOf(0), closeOf(6520)]);
  });

  it('pyarrow, polars and pandas read the version folder, exactly', (context) => {
    const python = requirePython(context);
    const got = runPythonJson<Record<string, unknown[]>>(python, READ_BARS_FOLDER, at('cleaned/v1/NVDA'));
    const expected = first.map((d, k) => ({ date: d, timestamp: `${d}T00:00:00.000000Z`, close: closeOf(k), volume: volumeOf(k) }));
    expect(got.pyarrow_types).toEqual(['timestamp[us, tz=UTC]', 'double', 'double', 'double', 'double', 'int64', 'double', 'date32[day]']);
    expect(got.pyarrow).toEqual(expected);
    expect(got.polars).toEqual(expected);
    expect(got.pandas).toEqual(expected);
  });

  it('a new daily bar rewrites only its year: one file written, 24 shared by hard link and by the snapshot', async () => {
    fs.writeFileSync(path.join(dir, 'NVDA.csv'), dailyCsv(days));
    const ingest = await ingestIntoStore(store, [path.join(dir, 'NVDA.csv')], { asset: 'NVDA', revise: true });
    expect(ingest.snapshots.filter((s) => s.status !== 'unchanged').map((s) => s.path)).toEqual(['raw/NVDA/2024-01-01/NVDA.rev1.parquet']);
    const before = inodes(1);
    const result = await promoteRaw(store, { asset: 'NVDA', schema: OHLCV_SCHEMA });
    expect(result).toMatchObject({ version: 'v2', rows: 6522, status: 'created', dates: { shared: 24, written: 1, removed: 0 } });
    expect(result.report.rowCount).toBe(262);
    const after = inodes(2);
    expect(Object.keys(after).sort()).toEqual(years.map((y) => `${y}.parquet`));
    expect(Object.keys(after).filter((name) => after[name] === before[name]).length).toBe(24);
    expect(after['2024.parquet']).not.toBe(before['2024.parquet']);
    const table = await loadTable(at('cleaned/NVDA'));
    expect((currentSnapshotInfo(table) as { summary: Record<string, string> }).summary).toMatchObject({ operation: 'overwrite', 'added-data-files': '1', 'deleted-data-files': '1', 'added-records': '262', 'deleted-records': '261', 'total-data-files': '25', 'total-records': '6522', 'changed-partition-count': '1' });
    const sidecar = JSON.parse(fs.readFileSync(at('catalog/cleaned/NVDA/v2.json'), 'utf8')) as { dateRange: unknown };
    expect(sidecar.dateRange).toEqual({ from: '2000-01-03', to: '2024-12-31' });
    // the same inputs again: unchanged
    expect(await promoteRaw(store, { asset: 'NVDA', schema: OHLCV_SCHEMA })).toMatchObject({ version: 'v2', status: 'unchanged' });
  });

  it('the diff of the two versions still counts by trading date', async () => {
    const diff = await diffTargets(store.root, 'cleaned/v1/NVDA', 'cleaned/v2/NVDA');
    expect(diff.byDate.dates).toEqual([{ date: '2024-12-31', added: 1, removed: 0, changed: 0 }]);
  });

  it('a date range promotes the years it touches; replace writes them again and keeps the others', async () => {
    const range = await promoteRaw(store, { asset: 'NVDA', schema: OHLCV_SCHEMA, from: '2023-06-01', to: '2024-02-01' });
    expect(range).toMatchObject({ version: 'v3', rows: daysOf('2023').length + daysOf('2024').length, dates: { shared: 2, written: 0, removed: 23 } });
    expect(fs.readdirSync(at('cleaned/v3/NVDA')).sort()).toEqual(['2023.parquet', '2024.parquet']);
    const replaced = await promoteRaw(store, { asset: 'NVDA', schema: OHLCV_SCHEMA, replace: true, from: '2010-03-01', to: '2010-03-31' });
    expect(replaced).toMatchObject({ version: 'v4', rows: daysOf('2010').length + daysOf('2023').length + daysOf('2024').length, dates: { shared: 2, written: 1, removed: 0 } });
    expect(fs.readdirSync(at('cleaned/v4/NVDA')).sort()).toEqual(['2010.parquet', '2023.parquet', '2024.parquet']);
    const sidecar = JSON.parse(fs.readFileSync(at('catalog/cleaned/NVDA/v4.json'), 'utf8')) as { dateRange: unknown };
    expect(sidecar.dateRange).toEqual({ from: '2010-01-01', to: '2024-12-31' });
    const appended = await promoteRaw(store, { asset: 'NVDA', schema: OHLCV_SCHEMA, append: true, from: '2011-01-01', to: '2011-12-31' });
    expect(appended).toMatchObject({ version: 'v5', dates: { shared: 3, written: 1, removed: 0 } });
    expect(fs.readdirSync(at('cleaned/v5/NVDA')).sort()).toEqual(['2010.parquet', '2011.parquet', '2023.parquet', '2024.parquet']);
  });

  it('verify finds nothing wrong; gc removes the replaced files and the kept versions still verify', async () => {
    expect(await verifyStore(store)).toMatchObject({ ok: true, problems: [] });
    const gc = await garbageCollect(store, { keep: 1 });
    expect(gc.versions.map((v) => v.path)).toEqual(['cleaned/v1/NVDA', 'cleaned/v2/NVDA', 'cleaned/v3/NVDA', 'cleaned/v4/NVDA']);
    // v5 holds 2010 and 2011 (written by v4 and v5), 2023 (v1) and 2024 (v2): v1's 24 other files go
    expect(gc.files.filter((f) => f.path.endsWith('.parquet')).length).toBe(24);
    expect(fs.readdirSync(at('cleaned/NVDA/data')).sort()).toEqual(['2010', '2011', '2023', '2024']);
    expect(await verifyStore(store)).toMatchObject({ ok: true, problems: [] });
    const rows = await duck.rows(`SELECT count(*) AS n FROM read_parquet(${sqlString(at('cleaned/v5/NVDA/*.parquet'))})`);
    expect(rows).toEqual([{ n: BigInt(['2010', '2011', '2023', '2024'].reduce((s, y) => s + daysOf(y).length, 0)) }]);
  });
});

describe('partitioning of a cleaned table', () => {
  const { dir, cleanup } = tempDir();
  let store: Store;
  const at = (relative: string) => path.join(store.root, relative);
  beforeAll(async () => {
    store = (await initStore(path.join(dir, 'store'))).store;
  });
  afterAll(() => cleanup());

  /** A year folder of daily bars at midnight UTC, its timestamps `ns` nanoseconds past (our own writer keeps them). */
  const yearFolder = (asset: string, year: string, closes: number[], ns = 0) => {
    const dates = weekdays(`${year}-01-01`, `${year}-12-31`).slice(0, closes.length);
    const bars: Bar[] = dates.map((d, k) => [`${d}T00:00:00.00000000${ns}Z`, closes[k], closes[k] + 1, closes[k] - 1, closes[k] + 0.5, 100 + k]);
    return { asset, date: `${year}-01-01`, name: 'daily', table: barsTable(bars), sidecarExtras: { extra: { period: 'year', dateSpan: { first: dates[0], last: dates[dates.length - 1] } } } };
  };

  it('our own writer (sub-microsecond times) also writes a file a year, rows in order, each with its date', async () => {
    await commitRawSnapshots(store, [yearFolder('NS', '2021', [10, 11, 12], 7), yearFolder('NS', '2022', [20, 21], 7)]);
    const dry = await promoteRaw(store, { asset: 'NS', schema: OHLCV_SCHEMA, dryRun: true });
    expect(dry).toMatchObject({ status: 'dry-run', rows: 5, dates: { shared: 0, written: 2, removed: 0 } });
    const result = await promoteRaw(store, { asset: 'NS', schema: OHLCV_SCHEMA });
    expect(result).toMatchObject({ version: 'v1', rows: 5, dates: { shared: 0, written: 2, removed: 0 } });
    expect(fs.readdirSync(at('cleaned/v1/NS')).sort()).toEqual(['2021.parquet', '2022.parquet']);
    const { readParquet } = await import('../../../core/parquet/parquetFile.js');
    const { tableToJsonRows } = await import('../../../core/arrow/arrowJson.js');
    const rows = tableToJsonRows(await readParquet(at('cleaned/v1/NS/2021.parquet')));
    expect(rows.map((r) => [r.date, r.timestamp, r.close])).toEqual([
      ['2021-01-01', '2021-01-01T00:00:00.000000007Z', 10.5],
      ['2021-01-04', '2021-01-04T00:00:00.000000007Z', 11.5],
      ['2021-01-05', '2021-01-05T00:00:00.000000007Z', 12.5],
    ]);
    // a date folder of the year (a bar ingested on its own) is written into the year's file, with the year folder's rows
    await commitRawSnapshots(store, [{ asset: 'NS', date: '2022-06-01', name: 'bar', table: barsTable([['2022-06-01T00:00:00.000000007Z', 30, 31, 29, 30.5, 9]]) }]);
    const next = await promoteRaw(store, { asset: 'NS', schema: OHLCV_SCHEMA });
    expect(next).toMatchObject({ version: 'v2', rows: 6 });
    expect(next.dates).toEqual({ shared: 1, written: 1, removed: 0, by: 'year' });
    expect(next.inputs.map((i) => i.path)).toEqual(['raw/NS/2021-01-01/daily.parquet', 'raw/NS/2022-01-01/daily.parquet', 'raw/NS/2022-06-01/bar.parquet']);
    const year = tableToJsonRows(await readParquet(at('cleaned/v2/NS/2022.parquet')));
    expect(year.map((r) => [r.date, r.close])).toEqual([
      ['2022-01-03', 20.5],
      ['2022-01-04', 21.5],
      ['2022-06-01', 30.5],
    ]);
    expect(fs.statSync(at('cleaned/v2/NS/2021.parquet')).ino).toBe(fs.statSync(at('cleaned/v1/NS/2021.parquet')).ino);
  });

  it('DuckDB writes a date folder of a year into that year\'s one file too', async () => {
    await commitRawSnapshots(store, [yearFolder('ENG', '2021', [10, 11]), yearFolder('ENG', '2022', [20, 21])]);
    expect((await promoteRaw(store, { asset: 'ENG', schema: OHLCV_SCHEMA })).dates).toEqual({ shared: 0, written: 2, removed: 0, by: 'year' });
    await commitRawSnapshots(store, ['2022-06-01', '2022-06-02'].map((date, k) => ({ asset: 'ENG', date, name: 'bar', table: barsTable([[`${date}T00:00:00Z`, 30 + k, 31 + k, 29 + k, 30.5 + k, 9]]) })));
    const next = await promoteRaw(store, { asset: 'ENG', schema: OHLCV_SCHEMA });
    expect(next).toMatchObject({ version: 'v2', rows: 6, dates: { shared: 1, written: 1, removed: 0, by: 'year' } });
    expect(fs.readdirSync(at('cleaned/v2/ENG')).sort()).toEqual(['2021.parquet', '2022.parquet']);
    const { readParquet } = await import('../../../core/parquet/parquetFile.js');
    const { tableToJsonRows } = await import('../../../core/arrow/arrowJson.js');
    expect(tableToJsonRows(await readParquet(at('cleaned/v2/ENG/2022.parquet'))).map((r) => [r.date, r.timestamp, r.close])).toEqual([
      ['2022-01-03', '2022-01-03T00:00:00.000000Z', 20.5],
      ['2022-01-04', '2022-01-04T00:00:00.000000Z', 21.5],
      ['2022-06-01', '2022-06-01T00:00:00.000000Z', 30.5],
      ['2022-06-02', '2022-06-02T00:00:00.000000Z', 31.5],
    ]);
  });

  it('a table created by trading date keeps one partition a date when years of daily bars arrive', async () => {
    // the store of before: daily bars in date folders made a table by date
    await commitRawSnapshots(store, ['2020-01-02', '2020-01-03'].map((date, k) => ({ asset: 'OLD', date, name: 'daily', table: barsTable([[`${date}T00:00:00Z`, 50 + k, 51 + k, 49 + k, 50.5 + k, 10]]) })));
    expect(await promoteRaw(store, { asset: 'OLD', schema: OHLCV_SCHEMA })).toMatchObject({ version: 'v1', dates: { shared: 0, written: 2, removed: 0 } });
    await commitRawSnapshots(store, [yearFolder('OLD', '2021', [60, 61, 62])]);
    const next = await promoteRaw(store, { asset: 'OLD', schema: OHLCV_SCHEMA });
    expect(next).toMatchObject({ version: 'v2', rows: 5, dates: { shared: 2, written: 3, removed: 0 } });
    expect(fs.readdirSync(at('cleaned/v2/OLD')).sort()).toEqual(['2020-01-02.parquet', '2020-01-03.parquet', '2021-01-01.parquet', '2021-01-04.parquet', '2021-01-05.parquet']);
    const table = await loadTable(at('cleaned/OLD'));
    expect(defaultSpec(table.metadata).fields.map((f) => [f.name, f.transform])).toEqual([['date', 'identity']]);
  });

  it('intraday folders make a table by trading date, as before', async () => {
    await commitRawSnapshots(store, [{ asset: 'MES', date: '2024-01-03', name: 'bars', table: barsTable([['2024-01-03T16:00:00Z', 5000, 5001, 4999, 5000.5, 10]]) }]);
    expect(await promoteRaw(store, { asset: 'MES', schema: OHLCV_SCHEMA })).toMatchObject({ version: 'v1', dates: { shared: 0, written: 1, removed: 0 } });
    expect(fs.readdirSync(at('cleaned/v1/MES'))).toEqual(['2024-01-03.parquet']);
  });
});
