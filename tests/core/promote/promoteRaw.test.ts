import fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableToJsonRows } from '../../../core/arrow/arrowJson.js';
import { promoteRaw } from '../../../core/promote/promoteRaw.js';
import { validateTarget } from '../../../core/validation/validateDataset.js';
import { OHLCV_SCHEMA } from '../../../core/schema/predefinedSchemas.js';
import { initStore } from '../../../core/store/openStore.js';
import { commitRawSnapshots, writeRawSnapshot } from '../../../core/store/rawSnapshot.js';
import { ingestIntoStore } from '../../../core/store/ingestIntoStore.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { barsFromCloses, barsTable, type Bar } from '../../helpers/barsTable.js';
import { tempDir } from '../../helpers/ohlcvTable.js';
import { DuckSession, sqlString } from '../../interop/duckdbSession.js';
import { NANOSECONDS_DOC } from '../../../core/iceberg/icebergSchema.js';
import { loadTable } from '../../../core/iceberg/tableCommit.js';
import { currentSchema } from '../../../core/iceberg/tableMetadata.js';

/** Five one-minute bars from 10:00 CT (16:00Z) on a trading date. */
function day(date: string, base: number): Bar[] {
  return barsFromCloses(`${date}T16:00:00Z`, 60, [base, base + 0.25, base + 0.5, base + 0.75, base + 1]);
}

describe('promoteRaw', () => {
  const { dir, cleanup } = tempDir();
  let store: Store;
  let duck: DuckSession;

  beforeAll(async () => {
    store = (await initStore(path.join(dir, 'store'))).store;
    for (const [date, base] of [
      ['2024-01-03', 5000],
      ['2024-01-04', 5010],
      ['2024-01-05', 5020],
    ] as const) {
      await writeRawSnapshot(store, { asset: 'MES', date, name: 'bars', table: barsTable(day(date, base)) });
    }
    // ES: defects on the second date: a duplicate timestamp (later row wins), an inconsistent bar, unsorted rows
    await writeRawSnapshot(store, { asset: 'ES', date: '2024-01-03', name: 'bars', table: barsTable(day('2024-01-03', 4000)) });
    const bad = day('2024-01-04', 4010);
    bad[2][2] = 1; // high below open/close: row 7 of the selection (5 + 2)
    const duplicate: Bar = [bad[1][0], 4011, 4012, 4010, 4011.5, 99]; // same time as row 1, comes later
    await writeRawSnapshot(store, { asset: 'ES', date: '2024-01-04', name: 'bars', table: barsTable([bad[0], bad[1], bad[2], bad[4], bad[3], duplicate]) });
    duck = await DuckSession.open();
  });
  afterAll(() => {
    duck.close();
    cleanup();
  });

  it('writes a version partitioned by trading date, with lineage, readable by DuckDB as one table', async () => {
    const result = await promoteRaw(store, { asset: 'MES', schema: OHLCV_SCHEMA, message: 'first clean' });
    expect(result).toMatchObject({ version: 'v1', path: 'cleaned/v1/MES', rows: 15, status: 'created', dropped: {} });
    expect(result.inputs.map((i) => i.path)).toEqual(['raw/MES/2024-01-03/bars.parquet', 'raw/MES/2024-01-04/bars.parquet', 'raw/MES/2024-01-05/bars.parquet']);
    expect(result.report).toMatchObject({ valid: true, rowCount: 15, errors: [] });
    const root = path.join(store.root, 'cleaned/v1/MES');
    // the version folder holds Parquet files only, one a trading date; the sidecar is in the catalog
    expect(fs.readdirSync(root).sort()).toEqual(['2024-01-03.parquet', '2024-01-04.parquet', '2024-01-05.parquet']);
    expect(result.dates).toEqual({ shared: 0, written: 3, removed: 0 });
    const sidecar = JSON.parse(fs.readFileSync(path.join(store.root, 'catalog/cleaned/MES/v1.json'), 'utf8')) as Record<string, unknown>;
    expect(sidecar).toMatchObject({ layer: 'cleaned', asset: 'MES', version: 1, recordCount: 15, changelog: 'first clean', schema: { name: 'ohlcv', version: '1.0.0' }, recipe: { name: 'promote' } });
    expect((sidecar.dependencies as { path: string }[]).map((d) => d.path)).toEqual(result.inputs.map((i) => i.path));
    const ajv = new Ajv2020.default({ strict: false });
    const validate = ajv.compile(JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../../schema/metadata_schema.json'), 'utf8')) as object);
    expect(validate(sidecar), JSON.stringify(validate.errors)).toBe(true);
    const rows = await duck.rows(`SELECT CAST(date AS VARCHAR) AS d, epoch_ns(timestamp) AS ns, close FROM read_parquet(${sqlString(`${root}/**/*.parquet`)}, hive_partitioning = true) ORDER BY timestamp`);
    expect(rows.length).toBe(15);
    expect(rows[5]).toEqual({ d: '2024-01-04', ns: 1_704_384_000_000_000_000n, close: 5010 });
  });

  it('the same inputs and recipe again are unchanged and name the version', async () => {
    const again = await promoteRaw(store, { asset: 'MES', schema: OHLCV_SCHEMA });
    expect(again).toMatchObject({ version: 'v1', status: 'unchanged' });
    expect(fs.readdirSync(path.join(store.root, 'cleaned')).sort()).toEqual(['MES', 'v1']);
  });

  it('stops at the gate with the report and writes nothing', async () => {
    const error = await promoteRaw(store, { asset: 'ES', schema: OHLCV_SCHEMA }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'VALIDATION_GATE' });
    const { message, details } = error as { message: string; details: { report: { errors: { rule: string; rows: number[] }[] } } };
    expect(message).toBe('promotion of ES stopped at the validation gate: ohlc_consistency (1); use --on-invalid drop to remove the offending rows; nothing was written');
    expect(details.report.errors.map((e) => [e.rule, e.rows])).toEqual([
      ['ohlc_consistency', [7]],
      ['sorted_timestamp', [9, 10]],
      ['unique_timestamp', [10]],
    ]);
    expect(fs.existsSync(path.join(store.root, 'cleaned', 'v1', 'ES'))).toBe(false);
  });

  it('a dry run reports the gate and writes nothing', async () => {
    const result = await promoteRaw(store, { asset: 'ES', schema: OHLCV_SCHEMA, onInvalid: 'drop', dryRun: true });
    expect(result).toMatchObject({ version: null, status: 'dry-run', rows: 9, dropped: { ohlc_consistency: 1, unique_timestamp: 1 }, dates: { shared: 0, written: 2, removed: 0 } });
    expect(fs.readdirSync(path.join(store.root, 'cleaned')).sort()).toEqual(['MES', 'v1']);
    expect(fs.readdirSync(path.join(store.root, 'cleaned/v1'))).toEqual(['MES']);
  });

  it('with drop: removes bad rows, keeps the last of duplicates, sorts, and counts it all', async () => {
    const result = await promoteRaw(store, { asset: 'ES', schema: OHLCV_SCHEMA, onInvalid: 'drop', compression: 'snappy' });
    expect(result).toMatchObject({ version: 'v1', path: 'cleaned/v1/ES', rows: 9, status: 'created', dropped: { ohlc_consistency: 1, unique_timestamp: 1 } });
    // the version records the validation of the rows it holds (valid), the gate's report beside it
    const sidecar = JSON.parse(fs.readFileSync(path.join(store.root, 'catalog/cleaned/ES/v1.json'), 'utf8')) as { validation: { valid: boolean; rowCount: number }; extra: { gate: { valid: boolean; rowCount: number } } };
    expect(sidecar.validation).toMatchObject({ valid: true, rowCount: 9 });
    expect(sidecar.extra.gate).toMatchObject({ valid: false, rowCount: 11 });
    const rows = await duck.rows(`SELECT strftime(timestamp, '%H:%M') AS t, close, volume FROM read_parquet(${sqlString(path.join(store.root, 'cleaned/v1/ES/2024-01-04.parquet'))})`);
    // 16:02 dropped (inconsistent), 16:01 keeps the later row (volume 99), 16:03/16:04 sorted
    expect(rows).toEqual([
      { t: '16:00', close: 4010, volume: 10n },
      { t: '16:01', close: 4011.5, volume: 99n },
      { t: '16:03', close: 4010.75, volume: 13n },
      { t: '16:04', close: 4011, volume: 14n },
    ]);
  });

  it('with drop and no duplicates: DuckDB reads the raw rows as they are, leaves the bad ones out and writes each date sorted', async () => {
    // YM: an inconsistent bar and a negative volume on the first date, the second date's rows out of order
    const first = day('2024-01-03', 15000);
    first[1][2] = 1; // high below open/close: row 1
    first[3][5] = -4; // negative volume: row 3
    const second = day('2024-01-04', 15010);
    await writeRawSnapshot(store, { asset: 'YM', date: '2024-01-03', name: 'bars', table: barsTable(first) });
    await writeRawSnapshot(store, { asset: 'YM', date: '2024-01-04', name: 'bars', table: barsTable([second[3], second[0], second[4], second[1], second[2]]) });
    const result = await promoteRaw(store, { asset: 'YM', schema: OHLCV_SCHEMA, onInvalid: 'drop', compression: 'zstd' });
    expect(result).toMatchObject({ version: 'v1', rows: 8, status: 'created', dropped: { ohlc_consistency: 1, non_negative_volume: 1 } });
    expect(result.report.errors.map((e) => [e.rule, e.count, e.rows])).toEqual([
      ['ohlc_consistency', 1, [1]],
      ['non_negative_volume', 1, [3]],
      ['sorted_timestamp', 2, [6, 8]],
    ]);
    const rows = await duck.rows(`SELECT strftime(timestamp, '%m-%d %H:%M') AS t, volume FROM read_parquet(${sqlString(path.join(store.root, 'cleaned/v1/YM/*.parquet'))}) ORDER BY filename, file_row_number`);
    expect(rows).toEqual([
      { t: '01-03 16:00', volume: 10n },
      { t: '01-03 16:02', volume: 12n },
      { t: '01-03 16:04', volume: 14n },
      { t: '01-04 16:00', volume: 10n },
      { t: '01-04 16:01', volume: 11n },
      { t: '01-04 16:02', volume: 12n },
      { t: '01-04 16:03', volume: 13n },
      { t: '01-04 16:04', volume: 14n },
    ]);
    const sidecar = JSON.parse(fs.readFileSync(path.join(store.root, 'catalog/cleaned/YM/v1.json'), 'utf8')) as { validation: { valid: boolean; rowCount: number } };
    expect(sidecar.validation).toMatchObject({ valid: true, rowCount: 8 });
  });

  it('a cancelled promotion writes nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(promoteRaw(store, { asset: 'MES', from: '2024-01-04', schema: OHLCV_SCHEMA, signal: controller.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(fs.readdirSync(path.join(store.root, 'cleaned')).sort()).toEqual(['ES', 'MES', 'YM', 'v1']);
    expect(fs.existsSync(path.join(store.root, 'cleaned/v2'))).toBe(false);
  });

  it('nothing to promote is NOT_FOUND', async () => {
    await expect(promoteRaw(store, { asset: 'NQ', schema: OHLCV_SCHEMA })).rejects.toMatchObject({ code: 'NOT_FOUND', message: `no raw data for NQ in ${store.root}` });
    await expect(promoteRaw(store, { asset: 'MES', from: '2025-01-01', schema: OHLCV_SCHEMA })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a date range makes a new version of just those dates, sharing the unchanged one', async () => {
    const result = await promoteRaw(store, { asset: 'MES', from: '2024-01-04', to: '2024-01-04', schema: OHLCV_SCHEMA });
    expect(result).toMatchObject({ version: 'v2', rows: 5, status: 'created', dates: { shared: 1, written: 0, removed: 2 } });
    expect(fs.statSync(path.join(store.root, 'cleaned/v2/MES/2024-01-04.parquet')).ino).toBe(fs.statSync(path.join(store.root, 'cleaned/v1/MES/2024-01-04.parquet')).ino);
    const table = tableToJsonRows((await import('../../../core/parquet/parquetFile.js').then((m) => m.readParquet(path.join(store.root, 'cleaned/v2/MES/2024-01-04.parquet')))).slice(0, 1));
    expect(table).toEqual([{ timestamp: '2024-01-04T16:00:00.000000Z', open: 5010, high: 5010.25, low: 5009.75, close: 5010, volume: 10, date: '2024-01-04' }]);
  });

  it('a date range that selects the same inputs is unchanged, whatever the host sent', async () => {
    const first = await promoteRaw(store, { asset: 'MES', schema: OHLCV_SCHEMA });
    const again = await promoteRaw(store, { asset: 'MES', from: '2024-01-01', to: '2024-01-31', schema: OHLCV_SCHEMA });
    expect(first.status).toBe('unchanged');
    expect(again).toMatchObject({ status: 'unchanged', version: first.version });
  });

  it('the gate is the same validation as validate raw/{ASSET}: same report, rows and messages', async () => {
    const gate = await promoteRaw(store, { asset: 'ES', schema: OHLCV_SCHEMA, dryRun: true, onInvalid: 'drop' });
    const { report } = await validateTarget(store.root, 'raw/ES', OHLCV_SCHEMA);
    expect({ ...gate.report, target: '' }).toEqual({ ...report, target: '' });
    expect(gate.report.errors.map((e) => [e.rule, e.count, e.rows])).toEqual(report.errors.map((e) => [e.rule, e.count, e.rows]));
    expect(gate.report.errors.find((e) => e.rule === 'ohlc_consistency')?.rows).toEqual([7]);
  });

  it('keeps nanoseconds exact: sub-microsecond raw times are written by our own writer', async () => {
    const ns = barsTable(day('2024-02-01', 5100));
    const values = ns.getChild('timestamp')?.data[0].values as BigInt64Array;
    values[1] += 123n;
    await writeRawSnapshot(store, { asset: 'NQ', date: '2024-02-01', name: 'ticks', table: ns });
    const result = await promoteRaw(store, { asset: 'NQ', schema: OHLCV_SCHEMA });
    expect(result).toMatchObject({ version: 'v1', rows: 5, status: 'created' });
    const rows = tableToJsonRows((await import('../../../core/parquet/parquetFile.js').then((m) => m.readParquet(path.join(store.root, 'cleaned/v1/NQ/2024-02-01.parquet')))).slice(0, 2));
    expect(rows.map((r) => r.timestamp)).toEqual(['2024-02-01T16:00:00.000000000Z', '2024-02-01T16:01:00.000000123Z']);
  });

  it('writes nanosecond raw files with our own writer, Timestamp<NANOSECOND, UTC> in the file and a long of nanoseconds in the table', async () => {
    // SI: the first date in order, the second with two rows swapped (cleaned)
    const first = barsTable(day('2024-02-01', 5100));
    (first.getChild('timestamp')?.data[0].values as BigInt64Array)[1] += 123n;
    const swapped = day('2024-02-02', 5110);
    const second = barsTable([swapped[0], swapped[2], swapped[1], swapped[3], swapped[4]]);
    (second.getChild('timestamp')?.data[0].values as BigInt64Array)[4] += 7n;
    await writeRawSnapshot(store, { asset: 'SI', date: '2024-02-01', name: 'ticks', table: first });
    await writeRawSnapshot(store, { asset: 'SI', date: '2024-02-02', name: 'ticks', table: second });
    const result = await promoteRaw(store, { asset: 'SI', schema: OHLCV_SCHEMA, compression: 'snappy' });
    expect(result).toMatchObject({ version: 'v1', rows: 10, status: 'created' });
    const { openParquetFile, readParquet } = await import('../../../core/parquet/parquetFile.js');
    const out = await openParquetFile(path.join(store.root, 'cleaned/v1/SI/2024-02-01.parquet'));
    expect(out.info.keyValue).toMatchObject({ 'mes_data.layer': 'cleaned', 'mes_data.asset': 'SI', 'mes_data.version': 'v1' });
    const sorted = tableToJsonRows(await readParquet(path.join(store.root, 'cleaned/v1/SI/2024-02-02.parquet')));
    expect(sorted.map((r) => r.timestamp)).toEqual(['2024-02-02T16:00:00.000000000Z', '2024-02-02T16:01:00.000000000Z', '2024-02-02T16:02:00.000000000Z', '2024-02-02T16:03:00.000000000Z', '2024-02-02T16:04:00.000000007Z']);
    const table = await loadTable(path.join(store.root, 'cleaned/SI'));
    expect(currentSchema(table.metadata).fields.find((f) => f.name === 'timestamp')).toEqual({ id: 1, name: 'timestamp', required: false, type: 'long', doc: NANOSECONDS_DOC });
    const sidecar = JSON.parse(fs.readFileSync(path.join(store.root, 'catalog/cleaned/SI/v1.json'), 'utf8')) as { validation: { valid: boolean; rowCount: number } };
    expect(sidecar.validation).toMatchObject({ valid: true, rowCount: 10 });
  });

  it('year folders of daily bars are promoted to one file per calendar year; a range takes the years it touches', async () => {
    const csv = ['Date,Open,High,Low,Close,Adj Close,Volume'];
    const days: string[] = [];
    for (let t = Date.UTC(2022, 0, 3); days.length < 600; t += 86_400_000) {
      const day = new Date(t);
      if (day.getUTCDay() === 0 || day.getUTCDay() === 6) continue;
      days.push(day.toISOString().slice(0, 10));
      csv.push(`${days[days.length - 1]},${100 + days.length},${101 + days.length},${99 + days.length},${100.5 + days.length},${100.4 + days.length},${1000 + days.length}`);
    }
    const file = path.join(dir, 'daily.csv');
    fs.writeFileSync(file, `${csv.join('\n')}\n`);
    await ingestIntoStore(store, [file], { asset: 'NVDA' });
    expect(fs.readdirSync(path.join(store.root, 'raw/NVDA')).sort()).toEqual(['2022-01-01', '2023-01-01', '2024-01-01']);
    const all = await promoteRaw(store, { asset: 'NVDA', schema: OHLCV_SCHEMA });
    expect(all).toMatchObject({ version: 'v1', rows: 600, status: 'created' });
    expect(all.dates).toEqual({ shared: 0, written: 3, removed: 0, by: 'year' });
    expect(fs.readdirSync(path.join(store.root, 'cleaned/v1/NVDA')).sort()).toEqual(['2022.parquet', '2023.parquet', '2024.parquet']);
    const dates = await duck.rows(`SELECT min(date)::VARCHAR AS lo, max(date)::VARCHAR AS hi, count(DISTINCT date) AS n FROM read_parquet(${sqlString(path.join(store.root, 'cleaned/v1/NVDA/*.parquet'))})`);
    expect(dates).toEqual([{ lo: days[0], hi: days[599], n: 600n }]);
    const june = await promoteRaw(store, { asset: 'NVDA', from: '2023-06-01', to: '2023-06-30', schema: OHLCV_SCHEMA });
    // the 2023 folder's inputs are unchanged: its year is shared, the other two left out
    expect(june).toMatchObject({ version: 'v2', rows: days.filter((d) => d.startsWith('2023')).length, dates: { shared: 1, written: 0, removed: 2 } });
    expect(june.inputs.map((i) => i.path.split('/')[2])).toEqual(['2023-01-01']);
  });

  it('promotes the latest revision of a snapshot: a correction replaces the rows and drops the ones it removed', async () => {
    const bars = barsTable(day('2024-03-05', 5200));
    await writeRawSnapshot(store, { asset: 'RTY', date: '2024-03-05', name: 'bars', table: bars });
    const corrected = day('2024-03-05', 5200).slice(0, 4);
    corrected[1][4] = 5300; // close of the second bar
    corrected[1][2] = 5301; // and its high
    await commitRawSnapshots(store, [{ asset: 'RTY', date: '2024-03-05', name: 'bars', table: barsTable(corrected) }], { revise: true });
    const result = await promoteRaw(store, { asset: 'RTY', schema: OHLCV_SCHEMA });
    expect(result).toMatchObject({ rows: 4, status: 'created' });
    expect(result.inputs.map((i) => i.path)).toEqual(['raw/RTY/2024-03-05/bars.rev1.parquet']);
    const rows = await duck.rows(`SELECT close FROM read_parquet(${sqlString(path.join(store.root, result.path ?? '', '**/*.parquet'))}) ORDER BY timestamp`);
    expect(rows.map((r) => r.close)).toEqual([5200, 5300, 5200.5, 5200.75]);
  });
});
