/**
 * Incremental promotion onto format-2 versions (issue 15): unchanged dates are shared with
 * the newest version by hard link and by the Iceberg snapshot, only new or changed dates
 * are written; --append and --replace; every snapshot reads as its version folder; the
 * Python readers read a version folder as a directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { icebergRead } from 'icebird';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promoteRaw } from '../../../core/promote/promoteRaw.js';
import { fileLocation } from '../../../core/iceberg/tableLocation.js';
import { loadTable } from '../../../core/iceberg/tableCommit.js';
import { listSnapshots, snapshotDataFiles, snapshotForVersion } from '../../../core/iceberg/tableRead.js';
import { OHLCV_SCHEMA } from '../../../core/schema/predefinedSchemas.js';
import { initStore } from '../../../core/store/openStore.js';
import { commitRawSnapshots, writeRawSnapshot } from '../../../core/store/rawSnapshot.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { barsFromCloses, barsTable, type Bar } from '../../helpers/barsTable.js';
import { serveFileUrls } from '../../helpers/fileFetch.js';
import { tempDir } from '../../helpers/ohlcvTable.js';
import { READ_BARS_FOLDER, requirePython, runPythonJson } from '../../helpers/python.js';

/** Five one-minute bars from 10:00 CT (16:00Z) on a trading date. */
function day(date: string, base: number): Bar[] {
  return barsFromCloses(`${date}T16:00:00Z`, 60, [base, base + 0.25, base + 0.5, base + 0.75, base + 1]);
}

/** The weekdays from 2024-01-02 on. */
function weekdays(count: number, from = '2024-01-02'): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); out.length < count; t += 86_400_000) {
    const d = new Date(t);
    if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6) out.push(d.toISOString().slice(0, 10));
  }
  return out;
}


describe('incremental promote', () => {
  const { dir, cleanup } = tempDir();
  let store: Store;
  const at = (relative: string) => path.join(store.root, ...relative.split('/'));
  const ino = (relative: string) => fs.statSync(at(relative)).ino;
  const dates = weekdays(12);
  let restoreFetch: () => void;

  beforeAll(async () => {
    restoreFetch = serveFileUrls();
    store = (await initStore(path.join(dir, 'store'))).store;
    for (const [k, date] of dates.entries()) await writeRawSnapshot(store, { asset: 'MES', date, name: 'bars', table: barsTable(day(date, 5000 + 10 * k)) });
  });
  afterAll(() => {
    restoreFetch();
    cleanup();
  });

  it('one new day onto many writes one data file and links the rest; the snapshot adds one file', async () => {
    const first = await promoteRaw(store, { asset: 'MES', schema: OHLCV_SCHEMA });
    expect({ version: first.version, rows: first.rows, dates: first.dates }).toEqual({ version: 'v1', rows: 60, dates: { shared: 0, written: 12, removed: 0 } });
    const next = weekdays(1, '2024-01-18')[0];
    expect(next).toBe('2024-01-18');
    await writeRawSnapshot(store, { asset: 'MES', date: next, name: 'bars', table: barsTable(day(next, 6000)) });
    const second = await promoteRaw(store, { asset: 'MES', schema: OHLCV_SCHEMA });
    expect({ version: second.version, rows: second.rows, dates: second.dates, status: second.status }).toEqual({ version: 'v2', rows: 65, dates: { shared: 12, written: 1, removed: 0 }, status: 'created' });
    // the gate read the new day only
    expect(second.report.rowCount).toBe(5);
    expect(second.inputs.length).toBe(13);
    for (const date of dates) expect(ino(`cleaned/v2/MES/${date}.parquet`)).toBe(ino(`cleaned/v1/MES/${date}.parquet`));
    expect(fs.statSync(at(`cleaned/v2/MES/${next}.parquet`)).nlink).toBe(2);
    const table = await loadTable(at('cleaned/MES'));
    const snapshot = snapshotForVersion(table, 2);
    expect({ operation: snapshot.operation, added: snapshot.summary['added-data-files'], total: snapshot.summary['total-data-files'], records: snapshot.summary['total-records'] }).toEqual({ operation: 'append', added: '1', total: '13', records: '65' });
    // the table's data folder holds each file once: 13 data files for two versions of 12 and 13 dates
    expect(fs.readdirSync(at('cleaned/MES/data'), { recursive: true }).filter((f) => String(f).endsWith('.parquet')).length).toBe(13);
  });

  it('a corrected raw date (a .rev file) replaces that date only', async () => {
    const fixed = day(dates[4], 5040);
    fixed[2][4] = 5099; // close of the third bar
    fixed[2][2] = 5100; // and its high
    await commitRawSnapshots(store, [{ asset: 'MES', date: dates[4], name: 'bars', table: barsTable(fixed) }], { revise: true });
    const third = await promoteRaw(store, { asset: 'MES', schema: OHLCV_SCHEMA });
    expect({ version: third.version, dates: third.dates, gateRows: third.report.rowCount }).toEqual({ version: 'v3', dates: { shared: 12, written: 1, removed: 0 }, gateRows: 5 });
    expect(third.inputs.filter((i) => i.path.includes(dates[4])).map((i) => i.path)).toEqual([`raw/MES/${dates[4]}/bars.rev1.parquet`]);
    expect(ino(`cleaned/v3/MES/${dates[4]}.parquet`)).not.toBe(ino(`cleaned/v2/MES/${dates[4]}.parquet`));
    for (const date of dates.filter((d) => d !== dates[4])) expect(ino(`cleaned/v3/MES/${date}.parquet`)).toBe(ino(`cleaned/v1/MES/${date}.parquet`));
    const snapshot = snapshotForVersion(await loadTable(at('cleaned/MES')), 3);
    expect({ operation: snapshot.operation, added: snapshot.summary['added-data-files'], deleted: snapshot.summary['deleted-data-files'], total: snapshot.summary['total-data-files'] }).toEqual({ operation: 'overwrite', added: '1', deleted: '1', total: '13' });
    const rows = await parquetReadObjects({ file: await fileBuffer(at(`cleaned/v3/MES/${dates[4]}.parquet`)), columns: ['close'], compressors });
    expect(rows.map((r) => r.close as number)).toEqual([5040, 5040.25, 5099, 5040.75, 5041]);
    // the same again: nothing changed
    expect((await promoteRaw(store, { asset: 'MES', schema: OHLCV_SCHEMA })).status).toBe('unchanged');
  });

  it('--append adds only the dates the newest version lacks, even when an older date changed', async () => {
    const [d1, d2] = weekdays(2, '2024-01-19');
    await writeRawSnapshot(store, { asset: 'MES', date: d1, name: 'bars', table: barsTable(day(d1, 6100)) });
    await writeRawSnapshot(store, { asset: 'MES', date: d2, name: 'bars', table: barsTable(day(d2, 6200)) });
    await commitRawSnapshots(store, [{ asset: 'MES', date: dates[0], name: 'bars', table: barsTable(day(dates[0], 4000)) }], { revise: true });
    const appended = await promoteRaw(store, { asset: 'MES', schema: OHLCV_SCHEMA, append: true });
    expect({ version: appended.version, rows: appended.rows, dates: appended.dates, gateRows: appended.report.rowCount }).toEqual({ version: 'v4', rows: 75, dates: { shared: 13, written: 2, removed: 0 }, gateRows: 10 });
    // the changed first date stays as v3 had it, with v3's input
    expect(ino(`cleaned/v4/MES/${dates[0]}.parquet`)).toBe(ino(`cleaned/v3/MES/${dates[0]}.parquet`));
    expect(appended.inputs.filter((i) => i.path.includes(dates[0])).map((i) => i.path)).toEqual([`raw/MES/${dates[0]}/bars.parquet`]);
    expect(fs.readdirSync(at('cleaned/v4/MES')).length).toBe(15);
    expect(snapshotForVersion(await loadTable(at('cleaned/MES')), 4).operation).toBe('append');
  });

  it('--replace --from --to promotes exactly that range again and leaves out the dates raw no longer has there', async () => {
    // dates[2] leaves raw (as if deleted by hand): its data folder and its sidecar
    fs.rmSync(at(`raw/MES/${dates[2]}`), { recursive: true });
    fs.rmSync(at(`catalog/raw/MES/${dates[2]}.json`));
    const replaced = await promoteRaw(store, { asset: 'MES', schema: OHLCV_SCHEMA, replace: true, from: dates[0], to: dates[3] });
    // dates[0] (now the revised raw), dates[1] and dates[3] written; dates[2] left out; the other 11 kept
    expect({ version: replaced.version, dates: replaced.dates, gateRows: replaced.report.rowCount, rows: replaced.rows }).toEqual({ version: 'v5', dates: { shared: 11, written: 3, removed: 1 }, gateRows: 15, rows: 70 });
    const names = fs.readdirSync(at('cleaned/v5/MES')).sort();
    expect(names.length).toBe(14);
    expect(names.includes(`${dates[2]}.parquet`)).toBe(false);
    expect(ino(`cleaned/v5/MES/${dates[1]}.parquet`)).not.toBe(ino(`cleaned/v4/MES/${dates[1]}.parquet`));
    expect(ino(`cleaned/v5/MES/${dates[5]}.parquet`)).toBe(ino(`cleaned/v1/MES/${dates[5]}.parquet`));
    const closes = await parquetReadObjects({ file: await fileBuffer(at(`cleaned/v5/MES/${dates[0]}.parquet`)), columns: ['close'], compressors });
    expect(closes.map((r) => r.close as number)).toEqual([4000, 4000.25, 4000.5, 4000.75, 4001]);
    const snapshot = snapshotForVersion(await loadTable(at('cleaned/MES')), 5);
    expect({ operation: snapshot.operation, added: snapshot.summary['added-data-files'], deleted: snapshot.summary['deleted-data-files'], total: snapshot.summary['total-data-files'] }).toEqual({ operation: 'overwrite', added: '3', deleted: '4', total: '14' });
    const refused = await promoteRaw(store, { asset: 'MES', schema: OHLCV_SCHEMA, replace: true, from: dates[0] }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'BAD_REQUEST', message: 'promote --replace needs --from and --to: the dates to promote again' });
    const both = await promoteRaw(store, { asset: 'MES', schema: OHLCV_SCHEMA, replace: true, append: true, from: dates[0], to: dates[1] }).catch((e: unknown) => e);
    expect(both).toMatchObject({ code: 'BAD_REQUEST', message: 'promote takes --append or --replace, not both' });
    const otherRecipe = await promoteRaw(store, { asset: 'MES', schema: OHLCV_SCHEMA, append: true, compression: 'snappy' }).catch((e: unknown) => e);
    expect(otherRecipe).toMatchObject({ code: 'BAD_REQUEST', message: 'promotion of MES: --append keeps dates of v5, which was promoted with another recipe; promote without it to promote every date again' });
  });

  it('every snapshot reads, through icebird, as the rows of its version folder', async () => {
    const table = await loadTable(at('cleaned/MES'));
    const versions = listSnapshots(table).map((s) => s.version);
    expect(versions).toEqual([1, 2, 3, 4, 5]);
    const byTime = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).sort();
    for (const version of versions) {
      const snapshotFiles = await snapshotDataFiles(table, snapshotForVersion(table, version));
      // icebird reads the current snapshot of a metadata file: the one whose commit made it
      const metadataFile = fs.readdirSync(at('cleaned/MES/metadata')).filter((n) => /^v\d+\.metadata\.json$/.test(n)).find((n) => {
        const json = JSON.parse(fs.readFileSync(at(`cleaned/MES/metadata/${n}`), 'utf8')) as { 'current-snapshot-id': number; snapshots: { 'snapshot-id': number; summary: Record<string, string> }[] };
        return json.snapshots.find((s) => s['snapshot-id'] === json['current-snapshot-id'])?.summary['mes-data.version'] === String(version);
      }) as string;
      const iceberg = await icebergRead({ tableUrl: fileLocation(at('cleaned/MES')), metadataFileName: metadataFile });
      const folder = fs.readdirSync(at(`cleaned/v${version}/MES`)).sort();
      expect(folder.length).toBe(snapshotFiles.length);
      const plain: Record<string, unknown>[] = [];
      for (const name of folder) plain.push(...(await parquetReadObjects({ file: await fileBuffer(at(`cleaned/v${version}/MES/${name}`)), compressors })));
      expect(iceberg.length).toBe(plain.length);
      expect(byTime(iceberg)).toEqual(byTime(plain));
    }
  });

  it('pyarrow, polars and pandas read a version folder as a directory, exactly', (context) => {
    const python = requirePython(context);
    const got = runPythonJson<Record<string, unknown[]>>(python, READ_BARS_FOLDER, at('cleaned/v5/MES'));
    expect(got.pyarrow.length).toBe(70);
    expect(got.pyarrow_types).toEqual(['timestamp[us, tz=UTC]', 'double', 'double', 'double', 'double', 'int64', 'date32[day]']);
    expect(got.pyarrow.slice(0, 2)).toEqual([
      { date: dates[0], timestamp: `${dates[0]}T16:00:00.000000Z`, close: 4000, volume: 10 },
      { date: dates[0], timestamp: `${dates[0]}T16:01:00.000000Z`, close: 4000.25, volume: 11 },
    ]);
    expect(got.polars).toEqual(got.pyarrow);
    expect(got.pandas).toEqual(got.pyarrow);
  });

  it('two promotes at once give distinct versions or LOCKED, never one version twice', async () => {
    const [d1, d2] = weekdays(2, '2024-01-23');
    await writeRawSnapshot(store, { asset: 'MES', date: d1, name: 'bars', table: barsTable(day(d1, 6300)) });
    await writeRawSnapshot(store, { asset: 'MES', date: d2, name: 'bars', table: barsTable(day(d2, 6400)) });
    const outcomes = await Promise.all([
      promoteRaw(store, { asset: 'MES', schema: OHLCV_SCHEMA, append: true, to: d1 }).then((r) => r.version, (e: { code: string; details: { reason?: string } }) => `${e.code}:${e.details.reason ?? ''}`),
      promoteRaw(store, { asset: 'MES', schema: OHLCV_SCHEMA, append: true }).then((r) => r.version, (e: { code: string; details: { reason?: string } }) => `${e.code}:${e.details.reason ?? ''}`),
    ]);
    const versions = outcomes.filter((o) => o?.startsWith('v'));
    expect(new Set(versions).size).toBe(versions.length);
    expect(versions.length).toBeGreaterThanOrEqual(1);
    for (const outcome of outcomes) expect(['v6', 'v7', 'LOCKED:commit-conflict']).toContain(outcome);
    expect(listSnapshots(await loadTable(at('cleaned/MES'))).map((s) => s.version)).toEqual([1, 2, 3, 4, 5, ...versions.map((v) => Number(v?.slice(1))).sort()]);
  });
});

async function fileBuffer(file: string): Promise<ArrayBuffer> {
  const bytes = await fs.promises.readFile(file);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}
