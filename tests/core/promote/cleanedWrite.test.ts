import fs from 'node:fs';
import path from 'node:path';
import { Float64, Int64, makeData, makeVector, Table, TimestampNanosecond } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instrumentFor } from '../../../core/instruments/instrumentRegistry.js';
import { promoteRaw } from '../../../core/promote/promoteRaw.js';
import { OHLCV_SCHEMA } from '../../../core/schema/predefinedSchemas.js';
import { initStore } from '../../../core/store/openStore.js';
import { writeRawSnapshot } from '../../../core/store/rawSnapshot.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { validateFiles } from '../../../core/validation/validateDataset.js';
import { barsFromCloses, barsTable, type Bar } from '../../helpers/barsTable.js';
import { tempDir } from '../../helpers/ohlcvTable.js';
import { DuckSession, sqlString } from '../../interop/duckdbSession.js';

/**
 * What promotion writes as the cleaned version (our own writer streaming a long date, the
 * engine's batches) and the report its sidecar keeps of the rows written, which is the
 * gate's own when cleaning changed no row: checked against reading the written files back.
 */

/** Five one-minute bars from 10:00 CT (16:00Z) on a trading date. */
function day(date: string, base: number): Bar[] {
  return barsFromCloses(`${date}T16:00:00Z`, 60, [base, base + 0.25, base + 0.5, base + 0.75, base + 1]);
}

const T0 = BigInt(Date.parse('2024-03-04T14:30:00Z')) * 1_000_000n;

/** `n` one-second bars of one trading date from 2024-03-04 14:30Z, each a nanosecond past its second (our own writer's data); volume = row number. */
function longDate(n: number, at?: (i: number) => bigint, volumeBase = 0): { table: Table; ts: BigInt64Array; high: Float64Array } {
  const ts = new BigInt64Array(n);
  const open = new Float64Array(n);
  const high = new Float64Array(n);
  const low = new Float64Array(n);
  const close = new Float64Array(n);
  const volume = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    ts[i] = at ? at(i) : T0 + BigInt(i) * 1_000_000_000n + 1n;
    open[i] = 5000 + (i % 7) * 0.25;
    close[i] = open[i];
    high[i] = open[i] + 0.5;
    low[i] = open[i] - 0.5;
    volume[i] = BigInt(volumeBase + i);
  }
  const column = (data: Float64Array) => makeVector(makeData({ type: new Float64(), length: n, data }));
  const table = new Table({
    timestamp: makeVector(makeData({ type: new TimestampNanosecond('UTC'), length: n, data: ts })),
    open: column(open),
    high: column(high),
    low: column(low),
    close: column(close),
    volume: makeVector(makeData({ type: new Int64(), length: n, data: volume })),
  });
  return { table, ts, high };
}

describe('the cleaned version promotion writes', () => {
  const { dir, cleanup } = tempDir();
  let store: Store;
  let duck: DuckSession;

  beforeAll(async () => {
    store = (await initStore(path.join(dir, 'store'))).store;
    duck = await DuckSession.open();
  });
  afterAll(() => {
    duck.close();
    cleanup();
  });

  /** The report validating the version's files gives (what the sidecar kept before it was taken from the gate). */
  async function writtenFilesReport(asset: string, version: string) {
    const folder = path.join(store.root, 'cleaned', version, asset);
    const files = fs.readdirSync(folder).sort().map((name) => path.join(folder, name));
    return (await validateFiles(files, OHLCV_SCHEMA, { label: `cleaned ${asset}`, instrumentOf: (name) => instrumentFor(store.root, name ?? asset) })).report;
  }

  function sidecarOf(asset: string, version: string): { validation: unknown; qualityMetrics: unknown } {
    return JSON.parse(fs.readFileSync(path.join(store.root, 'catalog/cleaned', asset, `${version}.json`), 'utf8')) as { validation: unknown; qualityMetrics: unknown };
  }

  it('the sidecar validation of rows cleaning left as they were is the written files’ own (engine and own writer, a price spike among them)', async () => {
    // MES: ten minutes of one date (no session gap), a close jumping away and back in the middle
    const spike = barsFromCloses('2024-01-03T16:00:00Z', 60, [5000, 5000.25, 5000.5, 5000.25, 5600, 5000.5, 5000.75, 5000.5, 5000.25, 5000.5]);
    await writeRawSnapshot(store, { asset: 'MES', date: '2024-01-03', name: 'bars', table: barsTable(spike) });
    const engine = await promoteRaw(store, { asset: 'MES', schema: OHLCV_SCHEMA });
    expect(engine).toMatchObject({ version: 'v1', rows: 10, status: 'created', dropped: {} });
    const expected = await writtenFilesReport('MES', 'v1');
    expect(expected.warnings.map((w) => [w.rule, w.code, w.count])).toEqual([
      ['type', 'EXTRA_COLUMN', 10],
      ['price_spike', 'PRICE_SPIKE', 2],
    ]);
    expect(sidecarOf('MES', 'v1').validation).toEqual(expected);
    // NQ: the same bars a nanosecond past their minute (our own writer)
    const table = barsTable(spike);
    const values = table.getChild('timestamp')?.data[0].values as BigInt64Array;
    for (let i = 0; i < values.length; i++) values[i] += 1n;
    await writeRawSnapshot(store, { asset: 'NQ', date: '2024-01-03', name: 'bars', table });
    const own = await promoteRaw(store, { asset: 'NQ', schema: OHLCV_SCHEMA });
    expect(own).toMatchObject({ version: 'v1', rows: 10, status: 'created' });
    const ownExpected = await writtenFilesReport('NQ', 'v1');
    expect(ownExpected.warnings.map((w) => [w.rule, w.count])).toEqual([
      ['type', 10],
      ['price_spike', 2],
    ]);
    expect(sidecarOf('NQ', 'v1').validation).toEqual(ownExpected);
  });

  it('rows dropped, repeated or out of order: the written files are validated again, and the sidecar says what they hold', async () => {
    const bad = day('2024-01-04', 4010);
    bad[2][2] = 1; // high below open and close: dropped
    const duplicate: Bar = [bad[1][0], 4011, 4012, 4010, 4011.5, 99];
    await writeRawSnapshot(store, { asset: 'ES', date: '2024-01-03', name: 'bars', table: barsTable(day('2024-01-03', 4000)) });
    await writeRawSnapshot(store, { asset: 'ES', date: '2024-01-04', name: 'bars', table: barsTable([bad[0], bad[1], bad[2], bad[4], bad[3], duplicate]) });
    const result = await promoteRaw(store, { asset: 'ES', schema: OHLCV_SCHEMA, onInvalid: 'drop' });
    expect(result).toMatchObject({ version: 'v1', rows: 9, dropped: { ohlc_consistency: 1, unique_timestamp: 1 } });
    const expected = await writtenFilesReport('ES', 'v1');
    expect(expected).toMatchObject({ valid: true, rowCount: 9, errors: [] });
    expect(sidecarOf('ES', 'v1').validation).toEqual(expected);
  });

  it('rows only left out of sorted raw dates: the sidecar’s report is the gate’s without them, and says what the written files hold (the gaps the drops leave, a spike beside one)', async () => {
    const closes = Array.from({ length: 20 }, (_, i) => 5000 + Math.round(Math.sin(i) * 8) / 4);
    const first = barsFromCloses('2024-01-08T16:00:00Z', 60, closes);
    const second = barsFromCloses('2024-01-09T16:00:00Z', 60, closes);
    second[5][2] = 1; // high below open and close: dropped, a one-bar gap
    second[11] = [second[10][0], 5001, 5002, 5000, 5001.5, 77]; // repeats bar 10's time: the later row stays
    second[14][5] = -1; // negative volume: dropped, beside the spike
    second[15] = [second[15][0], 5000, 5600.5, 5000, 5600, 15]; // a close far from its neighbours
    const third = barsFromCloses('2024-01-10T16:00:00Z', 60, closes);
    await writeRawSnapshot(store, { asset: 'MNQ', date: '2024-01-08', name: 'bars', table: barsTable(first) });
    await writeRawSnapshot(store, { asset: 'MNQ', date: '2024-01-09', name: 'bars', table: barsTable(second) });
    await writeRawSnapshot(store, { asset: 'MNQ', date: '2024-01-10', name: 'bars', table: barsTable(third) });
    const result = await promoteRaw(store, { asset: 'MNQ', schema: OHLCV_SCHEMA, onInvalid: 'drop' });
    expect(result).toMatchObject({ version: 'v1', rows: 57, status: 'created', dropped: { ohlc_consistency: 1, non_negative_volume: 1, unique_timestamp: 1 } });
    const expected = await writtenFilesReport('MNQ', 'v1');
    // gaps: the nights between the dates (rows 20, 37), the dropped bar 5 (row 25), bar 10's time repeated by bar 11 (30), the dropped bar 14 (32)
    expect(expected).toMatchObject({ valid: true, rowCount: 57, errors: [], metrics: { duplicateTimestamps: 0, gapCount: 5, missingBars: 2723 } });
    expect(expected.warnings.map((w) => [w.rule, w.count, w.rows])).toEqual([
      ['type', 57, []],
      ['session_gap', 5, [20, 25, 30, 32, 37]],
      ['price_spike', 2, [32, 33]],
    ]);
    expect(sidecarOf('MNQ', 'v1').validation).toEqual(expected);
    // our own writer (a nanosecond past each minute), the same rows
    const plusNs = (bars: Bar[]) => {
      const table = barsTable(bars);
      const values = table.getChild('timestamp')?.data[0].values as BigInt64Array;
      for (let i = 0; i < values.length; i++) values[i] += 1n;
      return table;
    };
    await writeRawSnapshot(store, { asset: 'M2K', date: '2024-01-08', name: 'bars', table: plusNs(first) });
    await writeRawSnapshot(store, { asset: 'M2K', date: '2024-01-09', name: 'bars', table: plusNs(second) });
    await writeRawSnapshot(store, { asset: 'M2K', date: '2024-01-10', name: 'bars', table: plusNs(third) });
    expect(await promoteRaw(store, { asset: 'M2K', schema: OHLCV_SCHEMA, onInvalid: 'drop' })).toMatchObject({ rows: 57, dropped: { ohlc_consistency: 1, non_negative_volume: 1, unique_timestamp: 1 } });
    const own = await writtenFilesReport('M2K', 'v1');
    expect(own.warnings.map((w) => [w.rule, w.count, w.rows])).toEqual([
      ['type', 57, []],
      ['session_gap', 5, [20, 25, 30, 32, 37]],
      ['price_spike', 2, [32, 33]],
    ]);
    expect(sidecarOf('M2K', 'v1').validation).toEqual(own);
  });

  it('a time repeated across two trading dates stays in both (each date is cleaned alone): the written files are read back, and the sidecar says so', async () => {
    const first = barsFromCloses('2024-01-08T16:00:00Z', 60, [5000, 5000.25, 5000.5]);
    const second = barsFromCloses('2024-01-08T16:02:00Z', 60, [5000.5, 5000.75, 5001]);
    first[1][2] = 1; // dropped
    await writeRawSnapshot(store, { asset: 'MYM', date: '2024-01-08', name: 'bars', table: barsTable(first) });
    await writeRawSnapshot(store, { asset: 'MYM', date: '2024-01-09', name: 'bars', table: barsTable(second) });
    const result = await promoteRaw(store, { asset: 'MYM', schema: OHLCV_SCHEMA, onInvalid: 'drop' });
    expect(result).toMatchObject({ version: 'v1', rows: 5, dropped: { ohlc_consistency: 1 } });
    const expected = await writtenFilesReport('MYM', 'v1');
    expect(expected.errors.map((e) => [e.rule, e.count, e.rows])).toEqual([['unique_timestamp', 1, [2]]]);
    expect(sidecarOf('MYM', 'v1').validation).toEqual(expected);
  });

  it('our own writer streams a long sorted date a million rows at a time: drops and a run of repeats across the chunk edge go as cleaning takes them out', async () => {
    const n = 1_000_004;
    const { table, ts, high } = longDate(n);
    // a run of three equal times across the edge of the first million rows: the last one stays
    ts[1_000_000] = ts[999_999];
    ts[1_000_001] = ts[999_999];
    // an inconsistent bar (high below open and close): dropped
    high[500_000] = 1;
    await writeRawSnapshot(store, { asset: 'YM', date: '2024-03-04', name: 'ticks', table });
    const result = await promoteRaw(store, { asset: 'YM', schema: OHLCV_SCHEMA, onInvalid: 'drop' });
    expect(result).toMatchObject({ version: 'v1', rows: n - 3, status: 'created', dropped: { ohlc_consistency: 1, unique_timestamp: 2 } });
    expect(fs.readdirSync(path.join(store.root, 'cleaned/v1/YM'))).toEqual(['2024-03-04.parquet']);
    const file = sqlString(path.join(store.root, 'cleaned/v1/YM/2024-03-04.parquet'));
    const [facts] = await duck.rows(
      `SELECT count(*) AS n, count(DISTINCT timestamp) AS times, min(volume) AS first, max(volume) AS last, count(*) FILTER (WHERE volume IN (500000, 999999, 1000000)) AS gone, bool_and(date = DATE '2024-03-04') AS dated FROM read_parquet(${file})`,
    );
    expect(facts).toEqual({ n: BigInt(n - 3), times: BigInt(n - 3), first: 0n, last: BigInt(n - 1), gone: 0n, dated: true });
    // in time order, the run's last row where the three were
    const around = await duck.rows(`SELECT volume FROM (SELECT volume, row_number() OVER () - 1 AS k FROM read_parquet(${file})) WHERE k BETWEEN 999997 AND 999999 ORDER BY k`);
    expect(around.map((r) => r.volume)).toEqual([999_998n, 1_000_001n, 1_000_002n]);
    const [unsorted] = await duck.rows(`SELECT count(*) FILTER (WHERE d <= 0) AS back FROM (SELECT epoch_ns(timestamp) - lag(epoch_ns(timestamp)) OVER () AS d FROM read_parquet(${file}))`);
    expect(unsorted).toEqual({ back: 0n });
    // nanoseconds kept: our own writer's file
    const [nanos] = await duck.rows(`SELECT count(*) AS n FROM parquet_schema(${file}) WHERE name = 'timestamp' AND logical_type LIKE '%NANOS%'`);
    expect(nanos).toEqual({ n: 1n });
    expect(sidecarOf('YM', 'v1').validation).toEqual(await writtenFilesReport('YM', 'v1'));
  }, 120_000);

  it('a date of two raw files each in time order is merged as they are read: a later file’s row wins a repeated time, dropped rows of either file go', async () => {
    const n = 1_000_004;
    const second = (i: number) => T0 + BigInt(i) * 1_000_000_000n + 1n;
    const a = longDate(n);
    // a repeat inside the first file across the edge of its first million rows, and a dropped bar
    a.ts[1_000_000] = a.ts[999_999];
    a.high[10] = 1;
    // the correction file: the times of rows 5 and 20 of the first file (row 20's bar dropped), one between rows 7 and 8, the repeated time at the edge, the last time and one after it
    const times = [second(5), second(7) + 500_000_000n, second(20), second(999_999), second(n - 1), second(n + 10)];
    const b = longDate(times.length, (i) => times[i], 9_000_000);
    b.high[2] = 1;
    await writeRawSnapshot(store, { asset: 'RTY', date: '2024-03-04', name: 'a', table: a.table });
    await writeRawSnapshot(store, { asset: 'RTY', date: '2024-03-04', name: 'b', table: b.table });
    const result = await promoteRaw(store, { asset: 'RTY', schema: OHLCV_SCHEMA, onInvalid: 'drop' });
    // 1,000,010 rows: 2 dropped, and of the repeats the first file's rows 5, 999,999, 1,000,000 and its last row go
    expect(result).toMatchObject({ version: 'v1', rows: n + times.length - 2 - 4, status: 'created', dropped: { ohlc_consistency: 2, unique_timestamp: 4 } });
    // what cleaning keeps, in DuckDB's words: the last row of each time in raw order (file a, then b), bad bars left out
    const folder = path.join(store.root, 'raw/RTY/2024-03-04');
    const expected = await duck.rows(
      `SELECT count(*) AS n, sum(volume) AS volumes, sum(epoch_ns(timestamp) % 1000003) AS times FROM (SELECT * FROM read_parquet(${sqlString(`${folder}/*.parquet`)}, filename = true, file_row_number = true) WHERE high >= greatest(open, close) QUALIFY row_number() OVER (PARTITION BY timestamp ORDER BY filename DESC, file_row_number DESC) = 1)`,
    );
    const file = sqlString(path.join(store.root, 'cleaned/v1/RTY/2024-03-04.parquet'));
    const written = await duck.rows(`SELECT count(*) AS n, sum(volume) AS volumes, sum(epoch_ns(timestamp) % 1000003) AS times FROM read_parquet(${file})`);
    expect(written).toEqual(expected);
    expect(written[0].n).toBe(BigInt(n + times.length - 6));
    const [order] = await duck.rows(`SELECT count(*) FILTER (WHERE d <= 0) AS back FROM (SELECT epoch_ns(timestamp) - lag(epoch_ns(timestamp)) OVER () AS d FROM read_parquet(${file}))`);
    expect(order).toEqual({ back: 0n });
    const picks = await duck.rows(`SELECT volume FROM read_parquet(${file}) WHERE epoch_us(timestamp) IN (${[5, 20, 999_999, n - 1].map((i) => String(second(i) / 1000n)).join(', ')}) ORDER BY timestamp`);
    expect(picks.map((r) => r.volume)).toEqual([9_000_000n, 20n, 9_000_003n, 9_000_004n]);
  }, 120_000);
});
