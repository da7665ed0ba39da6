import fs from 'node:fs';
import path from 'node:path';
import { Float64, Int64, makeData, makeVector, Table, TimestampNanosecond, Type, type DataType, type Vector } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeEngine } from '../../../core/engine/duckdbEngine.js';
import { buildFeatures } from '../../../core/features/buildFeatures.js';
import { buildFeatureTable, type FeatureSet } from '../../../core/features/buildFeatureTable.js';
import { TradingDayClock } from '../../../core/features/sessionBars.js';
import { Dataset } from '../../../core/parquet/parquetDataset.js';
import { getParquetMetadata, getParquetSchema } from '../../../core/parquet/parquetMetadata.js';
import { SchemaRegistry } from '../../../core/schema/schemaRegistry.js';
import { writeCleanedData } from '../../helpers/cleanedVersion.js';
import { MetadataManager } from '../../../core/store/metadataManager.js';
import { loadTable } from '../../../core/iceberg/tableCommit.js';
import { snapshotDataFiles, snapshotForVersion } from '../../../core/iceberg/tableRead.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { timestampColumn } from '../../../core/validation/columnData.js';
import { validateTable } from '../../../core/validation/validateTable.js';
import { errorOf, newStore } from '../store/storeTestKit.js';

const MINUTE_NS = 60_000_000_000n;

/** Bars at `ns` with a random walk of closes in 0.25 ticks (a few repeats) and whole volumes. */
function barsAt(ns: bigint[], seed: number): Table {
  const n = ns.length;
  const open = new Float64Array(n);
  const high = new Float64Array(n);
  const low = new Float64Array(n);
  const close = new Float64Array(n);
  const volume = new BigInt64Array(n);
  let s = seed;
  let price = 5000;
  for (let i = 0; i < n; i++) {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    open[i] = price;
    price += ((s % 9) - 4) * 0.25;
    close[i] = price;
    high[i] = Math.max(open[i], close[i]) + 0.25;
    low[i] = Math.min(open[i], close[i]) - 0.25;
    volume[i] = BigInt(1 + (s % 500));
  }
  const f = (data: Float64Array) => makeVector(makeData({ type: new Float64(), length: n, data }));
  return new Table({
    timestamp: makeVector(makeData({ type: new TimestampNanosecond('UTC'), length: n, data: BigInt64Array.from(ns) })),
    open: f(open),
    high: f(high),
    low: f(low),
    close: f(close),
    volume: makeVector(makeData({ type: new Int64(), length: n, data: volume })),
  });
}

/** The table cut into one part per trading date (as promotion writes a cleaned version). */
function byTradingDate(table: Table, daily: boolean): { table: Table; partition: Record<string, string> }[] {
  const ns = timestampColumn(table.getChild('timestamp') as Vector).ns;
  const clock = new TradingDayClock(daily);
  const parts: { table: Table; partition: Record<string, string> }[] = [];
  let start = 0;
  for (let i = 1; i <= ns.length; i++) {
    const day = (k: number) => clock.day(Number(ns[k] / 1_000_000n));
    if (i < ns.length && day(i) === day(start)) continue;
    parts.push({ table: table.slice(start, i), partition: { date: new Date(day(start) * 86_400_000).toISOString().slice(0, 10) } });
    start = i;
  }
  return parts;
}

/** Every column as plain values: timestamps as nanosecond strings (whatever the unit), dates as days, bigints as numbers. */
function plain(table: Table): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  table.schema.fields.forEach((field, k) => {
    const vector = table.getChildAt(k) as Vector;
    if ((field.type as DataType).typeId === Type.Timestamp) {
      const ts = timestampColumn(vector);
      out[field.name] = Array.from(ts.ns, String);
    } else if ((field.type as DataType).typeId === Type.Date) {
      out[field.name] = Array.from({ length: vector.length }, (_, i) => (vector.get(i) as number) / 86_400_000);
    } else {
      out[field.name] = Array.from({ length: vector.length }, (_, i) => {
        const v: unknown = vector.get(i);
        return typeof v === 'bigint' ? Number(v) : v;
      });
    }
  });
  return out;
}

/** `plain` without the `date` column a partitioned feature table adds (the whole-table build has none). */
function plainFeatures(table: Table): Record<string, unknown[]> {
  const { date: _date, ...rest } = plain(table);
  return rest;
}

async function readVersion(store: Store, versionPath: string): Promise<Table> {
  return (await Dataset.open(store.root, versionPath)).readAll();
}

/** What the whole-table build makes of a cleaned version: the table and its report. */
async function expectedOf(store: Store, set: FeatureSet, source: string, asset: string) {
  const cleaned = await readVersion(store, source);
  const table = buildFeatureTable(set, cleaned, { asset });
  const { report } = validateTable(table, new SchemaRegistry(store.root).getSchema(set), { target: `${set} for ${asset}` });
  return { table, report };
}

describe('buildFeatures at scale, streamed through DuckDB', () => {
  let store: Store;
  let cleanup: () => void;
  // 3,000 one-minute bars from Saturday 2024-03-09 12:00Z: several CME sessions and the DST change of 2024-03-10
  const minuteNs = Array.from({ length: 3000 }, (_, i) => 1_709_985_600_000_000_000n + BigInt(i) * MINUTE_NS);
  // 100 daily bars at 00:00Z
  const dailyNs = Array.from({ length: 100 }, (_, i) => 1_704_067_200_000_000_000n + BigInt(i) * 86_400_000_000_000n);

  beforeAll(async () => {
    ({ store, cleanup } = await newStore('mes-data-features-'));
    await writeCleanedData(store, { asset: 'MES', data: byTradingDate(barsAt(minuteNs, 5), false) });
    await writeCleanedData(store, { asset: 'ES', data: byTradingDate(barsAt(dailyNs, 9), true) });
  });
  afterAll(async () => {
    await closeEngine();
    cleanup();
  });

  it('momentum_indicators: the same values and report as the whole-table build, a zstd file a trading date as the source has, progress to 1', async () => {
    const expected = await expectedOf(store, 'momentum_indicators', 'cleaned/v1/MES', 'MES');
    const progress: { fraction: number; stage: string }[] = [];
    const result = await buildFeatures(store, { set: 'momentum_indicators', asset: 'MES', progress: (p) => progress.push(p) });
    expect(result).toMatchObject({ version: 'v1', path: 'features/v1/MES/momentum_indicators', rows: 3000, status: 'created' });
    const written = await readVersion(store, result.path);
    expect(written.schema.fields.map((f) => f.name)).toEqual(['timestamp', 'asset', 'rsi_14', 'macd_line', 'macd_signal', 'macd_histogram', 'momentum_10', 'roc_10', 'date']);
    // each row's date is its bar's partition in the cleaned version
    const cleaned = await readVersion(store, 'cleaned/v1/MES');
    expect(plain(written).date).toEqual(plain(cleaned).date);
    expect(plainFeatures(written)).toEqual(plain(expected.table));
    const sidecar = await MetadataManager.readMetadataFile(path.join(store.root, 'catalog/features/MES/momentum_indicators/v1.json'));
    expect(sidecar.validation).toEqual(JSON.parse(JSON.stringify(expected.report)));
    const sourceFiles = fs.readdirSync(path.join(store.root, 'cleaned/v1/MES')).sort();
    expect(sourceFiles).toEqual(['2024-03-09.parquet', '2024-03-10.parquet', '2024-03-11.parquet']);
    const cleanedSidecar = await MetadataManager.readMetadataFile(path.join(store.root, 'catalog/cleaned/MES/v1.json'));
    expect(sidecar.files.map((f) => [f.path, f.rows, f.compression, f.rowGroups])).toEqual(cleanedSidecar.files.map((f) => [f.path, f.rows, 'zstd', 1]));
    expect(sidecar.dependencies?.length).toBe(sourceFiles.length);
    expect(sidecar.partitioning).toEqual(['date']);
    expect(sidecar.extra).toMatchObject({ featureBuild: { layout: 1, source: 'date', daily: null }, incremental: { previous: null, shared: 0, written: 3 } });
    // the table of the set of this asset: partitioned by date, one snapshot naming the version's three files
    const table = await loadTable(path.join(store.root, 'features/MES/momentum_indicators'));
    const live = await snapshotDataFiles(table, snapshotForVersion(table, 1));
    expect(live.map((f) => [f.partition.date, f.recordCount, fs.statSync(f.path).ino])).toEqual(
      cleanedSidecar.files.map((f) => [f.path.slice(0, 10), f.rows, fs.statSync(path.join(store.root, result.path, f.path)).ino]),
    );
    // DuckDB writes zone-aware timestamps in microseconds (the minute bars are whole microseconds)
    const schema = await getParquetSchema(path.join(store.root, result.path, '2024-03-09.parquet'));
    expect(schema.columns[0]).toMatchObject({ name: 'timestamp', type: 'Timestamp<MICROSECOND, UTC>' });
    expect(schema.metadata['mes_data.feature_set']).toBe('momentum_indicators');
    // and validation takes them as they are: no conversion, no warning
    const revalidated = validateTable(written, new SchemaRegistry(store.root).getSchema('momentum_indicators')).report;
    expect(revalidated).toMatchObject({ valid: true, errors: [], warnings: [], coercions: {} });
    const fractions = progress.map((p) => p.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(progress.at(-1)).toMatchObject({ fraction: 1, stage: 'committed' });
    expect(progress.some((p) => p.stage === 'writing')).toBe(true);
    expect(fs.readdirSync(path.join(store.root, '.staging'))).toEqual([]);
    const stages: string[] = [];
    const again = await buildFeatures(store, { set: 'momentum_indicators', asset: 'MES', progress: (p) => stages.push(p.stage) });
    expect(again).toMatchObject({ version: 'v1', path: 'features/v1/MES/momentum_indicators', rows: 3000, status: 'unchanged' });
    expect(stages).toEqual(['unchanged']);
  });

  it('volume_profile: the same levels, POC and value areas per session; whole volumes stay int64', async () => {
    const expected = await expectedOf(store, 'volume_profile', 'cleaned/v1/MES', 'MES');
    const result = await buildFeatures(store, { set: 'volume_profile', asset: 'MES' });
    const written = await readVersion(store, result.path);
    expect(result.rows).toBe(expected.table.numRows);
    expect(plainFeatures(written)).toEqual(plain(expected.table));
    expect(String(written.getChild('volume')?.type)).toBe('Int64');
    expect(String(written.getChild('session_date')?.type)).toBe('Date32<DAY>');
    const sidecar = await MetadataManager.readMetadataFile(path.join(store.root, 'catalog/features/MES/volume_profile/v1.json'));
    expect(sidecar.validation).toEqual(JSON.parse(JSON.stringify(expected.report)));
  });

  it('price_volatility of daily bars: the same volatility, true range and ATR per date', async () => {
    const expected = await expectedOf(store, 'price_volatility', 'cleaned/v1/ES', 'ES');
    const result = await buildFeatures(store, { set: 'price_volatility', asset: 'ES' });
    expect(result.rows).toBe(100);
    const written = await readVersion(store, result.path);
    expect(plainFeatures(written)).toEqual(plain(expected.table));
    expect(written.getChild('realized_vol_60d')?.nullCount).toBe(60);
    const sidecar = await MetadataManager.readMetadataFile(path.join(store.root, 'catalog/features/ES/price_volatility/v1.json'));
    expect(sidecar.validation).toEqual(JSON.parse(JSON.stringify(expected.report)));
  });

  it('price_volatility of minute bars groups them by CME session', async () => {
    const expected = await expectedOf(store, 'price_volatility', 'cleaned/v1/MES', 'MES');
    const result = await buildFeatures(store, { set: 'price_volatility', asset: 'MES' });
    expect(plainFeatures(await readVersion(store, result.path))).toEqual(plain(expected.table));
    expect(result.rows).toBe(expected.table.numRows);
  });

  it('ticks off whole milliseconds are read by our own reader and written by DuckDB marked UTC: every nanosecond survives', async () => {
    // 4,000 ticks 0.25 s + 123 ns apart
    const ns = Array.from({ length: 4000 }, (_, i) => 1_704_186_000_000_000_000n + BigInt(i) * 250_000_123n);
    await writeCleanedData(store, { asset: 'NQ', data: byTradingDate(barsAt(ns, 13), false) });
    const expected = await expectedOf(store, 'momentum_indicators', 'cleaned/v1/NQ', 'NQ');
    const fractions: number[] = [];
    const result = await buildFeatures(store, { set: 'momentum_indicators', asset: 'NQ', progress: (p) => fractions.push(p.fraction) });
    // the microsecond build gives up at the first tick and the nanosecond one starts again; the bar never goes back
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(fractions.at(-1)).toBe(1);
    const written = await readVersion(store, result.path);
    expect(plainFeatures(written)).toEqual(plain(expected.table));
    expect(plain(written).timestamp[1]).toBe('1704186000250000123');
    expect(String(written.getChild('timestamp')?.type)).toBe('Timestamp<NANOSECOND, UTC>');
    const meta = await getParquetMetadata(path.join(store.root, result.path, 'part-0.parquet'));
    expect(meta.createdBy).toMatch(/^DuckDB/);
    expect(meta.keyValue['mes_data.asset']).toBe('NQ');
  });

  it('ticks go by CME session, not by UTC date: a session opens at 23:00Z in January', async () => {
    // 100 ticks 0.2 s + 1 ns apart from 2024-01-02T22:59:50Z: the last 50 belong to the session of January 3
    const ns = Array.from({ length: 100 }, (_, i) => 1_704_236_390_000_000_000n + BigInt(i) * 200_000_001n);
    await writeCleanedData(store, { asset: 'SI', data: byTradingDate(barsAt(ns, 29), false) });
    const expected = await expectedOf(store, 'price_volatility', 'cleaned/v1/SI', 'SI');
    const result = await buildFeatures(store, { set: 'price_volatility', asset: 'SI' });
    const written = plainFeatures(await readVersion(store, result.path));
    expect(written).toEqual(plain(expected.table));
    expect(written.timestamp).toEqual(['1704153600000000000', '1704240000000000000']);
    const profile = await buildFeatures(store, { set: 'volume_profile', asset: 'SI' });
    const sessions = plain(await readVersion(store, profile.path)).session_date;
    expect([...new Set(sessions)]).toEqual([19_724, 19_725]);
  });

  it('a cancelled build stops with CANCELLED and leaves no version and no staging folder', async () => {
    await writeCleanedData(store, { asset: 'CL', data: byTradingDate(barsAt(minuteNs, 17), false) });
    const versions = (set: string) => fs.readdirSync(path.join(store.root, 'features')).filter((v) => fs.existsSync(path.join(store.root, 'features', v, set)));
    const before = { momentum: versions('momentum_indicators'), profile: versions('volume_profile') };
    const controller = new AbortController();
    const error = await errorOf(
      buildFeatures(store, {
        set: 'momentum_indicators',
        asset: 'CL',
        signal: controller.signal,
        progress: (p) => {
          if (p.stage.startsWith('computing')) controller.abort();
        },
      }),
    );
    expect(error.code).toBe('CANCELLED');
    const profile = new AbortController();
    const second = await errorOf(
      buildFeatures(store, {
        set: 'volume_profile',
        asset: 'ES',
        signal: profile.signal,
        progress: (p) => {
          if (p.stage === 'writing') profile.abort();
        },
      }),
    );
    expect(second.code).toBe('CANCELLED');
    expect({ momentum: versions('momentum_indicators'), profile: versions('volume_profile') }).toEqual(before);
    expect(fs.readdirSync(path.join(store.root, '.staging'))).toEqual([]);
  });

  it('rows out of order fail the gate as the whole-table build reports them; nothing is written', async () => {
    const ns = Array.from({ length: 300 }, (_, i) => 1_704_186_000_000_000_000n + BigInt(i) * MINUTE_NS);
    const table = barsAt(ns, 21);
    // the second file's rows come before the first's
    await writeCleanedData(store, { asset: 'RTY', data: [{ table: table.slice(150), partition: { date: '2024-01-02' } }, { table: table.slice(0, 150), partition: { date: '2024-01-03' } }] });
    const expected = await expectedOf(store, 'momentum_indicators', 'cleaned/v1/RTY', 'RTY');
    expect(expected.report.valid).toBe(false);
    const error = await errorOf(buildFeatures(store, { set: 'momentum_indicators', asset: 'RTY' }));
    expect(error.code).toBe('VALIDATION_GATE');
    expect(error.message).toBe(`the momentum_indicators built for RTY breaks its schema: ${expected.report.errors.map((e) => e.message).join('; ')}`);
    expect(error.message).toBe('the momentum_indicators built for RTY breaks its schema: 1 row(s) earlier than the row before them; first at row 150');
  });

  it('infers the bar interval from the first 20,001 bars as the whole-table build does, from the first files; a sidecar whose counts are wrong is CORRUPTED_FILE', async () => {
    // three bars a day apart in the first file, then 20,000 minute bars (13 CME sessions from 2024-01-04 20:00Z):
    // the first 20,001 bars step by a minute, the first file alone by a day
    const days = [0, 1, 2].map((d) => 1_704_110_400_000_000_000n + BigInt(d) * 86_400_000_000_000n);
    const minutes = Array.from({ length: 20_000 }, (_, i) => 1_704_398_400_000_000_000n + BigInt(i) * MINUTE_NS);
    const table = barsAt([...days, ...minutes], 31);
    const parts = [{ table: table.slice(0, 3), partition: { date: '2024-01-03' } }, ...byTradingDate(table.slice(3), false)];
    for (const asset of ['ZB', 'ZN']) await writeCleanedData(store, { asset, data: parts });
    // ZN's sidecar says its first file holds 50,000 rows: only that file would be read for the interval (daily, UTC dates)
    const sidecarFile = path.join(store.root, 'catalog/cleaned/ZN/v1.json');
    const sidecar = JSON.parse(fs.readFileSync(sidecarFile, 'utf8')) as { files: { path: string; rows: number }[] };
    expect(sidecar.files[0]).toMatchObject({ path: '2024-01-03.parquet', rows: 3 });
    sidecar.files[0].rows = 50_000;
    fs.writeFileSync(sidecarFile, JSON.stringify(sidecar));
    // each file's count says where its partition ends: a wrong one is refused, nothing written
    const error = await errorOf(buildFeatures(store, { set: 'price_volatility', asset: 'ZN' }));
    expect([error.code, error.message, error.details]).toEqual([
      'CORRUPTED_FILE',
      'building price_volatility for ZN from cleaned/v1/ZN: catalog/cleaned/ZN/v1.json counts 70000 rows in the files read, which hold 20003; nothing was written',
      { path: 'catalog/cleaned/ZN/v1.json', counted: 70_000, read: 20_003 },
    ]);
    expect(fs.existsSync(path.join(store.root, 'features/v1/ZN'))).toBe(false);
    for (const asset of ['ZB']) {
      const expected = await expectedOf(store, 'price_volatility', `cleaned/v1/${asset}`, asset);
      const built = await buildFeatures(store, { set: 'price_volatility', asset });
      const written = plainFeatures(await readVersion(store, built.path));
      expect(written, asset).toEqual(plain(expected.table));
      // by CME session: the three lone bars, then a session a day (the bars run through weekends) from
      // January 4 (20:00Z) to January 18; by UTC date the bars from 23:00Z would stay on their own day
      const dates = written.timestamp.map((ns) => new Date(Number(BigInt(ns as string) / 1_000_000n)).toISOString().slice(0, 10));
      expect(dates, asset).toEqual(Array.from({ length: 18 }, (_, d) => new Date(Date.UTC(2024, 0, 1 + d)).toISOString().slice(0, 10)));
    }
  });

  it('numbers a set per asset: momentum_indicators of ES never takes the next number of MES', async () => {
    const mes = await buildFeatures(store, { set: 'momentum_indicators', asset: 'MES' });
    const es = await buildFeatures(store, { set: 'momentum_indicators', asset: 'ES' });
    expect({ mes: [mes.version, mes.path, mes.status], es: [es.version, es.path, es.status] }).toEqual({
      mes: ['v1', 'features/v1/MES/momentum_indicators', 'unchanged'],
      es: ['v1', 'features/v1/ES/momentum_indicators', 'created'],
    });
    const ledger = JSON.parse(fs.readFileSync(path.join(store.root, 'version-ledger.json'), 'utf8')) as { features: Record<string, number> };
    expect({ mes: ledger.features['MES/momentum_indicators'], es: ledger.features['ES/momentum_indicators'] }).toEqual({ mes: 1, es: 1 });
    expect(fs.readdirSync(path.join(store.root, 'features/v1/ES/momentum_indicators')).sort()).toEqual(fs.readdirSync(path.join(store.root, 'cleaned/v1/ES')).sort());
  });

  it('a source without the columns a set needs is BAD_REQUEST naming the file', async () => {
    const ns = Array.from({ length: 20 }, (_, i) => 1_704_186_000_000_000_000n + BigInt(i) * MINUTE_NS);
    const full = barsAt(ns, 3);
    const noClose = new Table({ timestamp: full.getChild('timestamp') as Vector, open: full.getChild('open') as Vector, volume: full.getChild('volume') as Vector });
    await writeCleanedData(store, { asset: 'YM', data: [{ table: noClose, partition: { date: '2024-01-02' } }] });
    const error = await errorOf(buildFeatures(store, { set: 'volume_profile', asset: 'YM' }));
    const file = path.join(store.root, 'cleaned', 'v1', 'YM', '2024-01-02.parquet');
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toBe(`features need an OHLCV table; column "close" is missing in ${file}`);
  });

  it('a sidecar path leaving the version is CORRUPTED_FILE, a linked source file SYMLINK: DuckDB is never pointed outside the store', async () => {
    const ns = Array.from({ length: 30 }, (_, i) => 1_704_186_000_000_000_000n + BigInt(i) * MINUTE_NS);
    await writeCleanedData(store, { asset: 'GC', data: [{ table: barsAt(ns.slice(0, 15), 1), partition: { date: '2024-01-02' } }, { table: barsAt(ns.slice(15), 2), partition: { date: '2024-01-03' } }] });
    const version = path.join(store.root, 'cleaned', 'v1', 'GC');
    const sidecarFile = path.join(store.root, 'catalog', 'cleaned', 'GC', 'v1.json');
    const original = fs.readFileSync(sidecarFile, 'utf8');
    const crafted = JSON.parse(original) as { files: { path: string }[] };
    crafted.files[0].path = '../../../../outside.parquet';
    fs.writeFileSync(sidecarFile, JSON.stringify(crafted));
    const leaving = await errorOf(buildFeatures(store, { set: 'momentum_indicators', asset: 'GC' }));
    expect(leaving.code).toBe('CORRUPTED_FILE');
    expect(leaving.message).toBe(`${sidecarFile} lists a file outside its folder: "../../../../outside.parquet"`);
    fs.writeFileSync(sidecarFile, original);
    const second = path.join(version, '2024-01-03.parquet');
    fs.renameSync(second, path.join(store.root, '..', 'elsewhere.parquet'));
    fs.symlinkSync(path.join(store.root, '..', 'elsewhere.parquet'), second);
    const linked = await errorOf(buildFeatures(store, { set: 'momentum_indicators', asset: 'GC' }));
    expect(linked.code).toBe('SYMLINK');
    expect(linked.details.path).toBe('cleaned/v1/GC/2024-01-03.parquet');
  });

  it('a damaged source file is CORRUPTED_FILE naming it, and nothing is written', async () => {
    const ns = Array.from({ length: 40 }, (_, i) => 1_704_186_000_000_000_000n + BigInt(i) * MINUTE_NS);
    await writeCleanedData(store, { asset: 'HG', data: [{ table: barsAt(ns.slice(0, 20), 4), partition: { date: '2024-01-02' } }, { table: barsAt(ns.slice(20), 6), partition: { date: '2024-01-03' } }] });
    const file = path.join(store.root, 'cleaned', 'v1', 'HG', '2024-01-03.parquet');
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 30));
    for (const set of ['momentum_indicators', 'volume_profile', 'price_volatility'] as const) {
      const error = await errorOf(buildFeatures(store, { set, asset: 'HG' }));
      expect(error.code, set).toBe('CORRUPTED_FILE');
      expect(error.message, set).toContain(file);
    }
    expect(fs.readdirSync(path.join(store.root, '.staging'))).toEqual([]);
  });
});
