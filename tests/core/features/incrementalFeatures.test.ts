import fs from 'node:fs';
import path from 'node:path';
import { DateDay, Float64, Int64, makeData, makeVector, Table, TimestampNanosecond, Type, type DataType, type Vector } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureParameters } from '../../../core/api/contract.js';
import { closeEngine } from '../../../core/engine/duckdbEngine.js';
import { buildFeatures } from '../../../core/features/buildFeatures.js';
import { type FeatureSet } from '../../../core/features/buildFeatureTable.js';
import { TradingDayClock } from '../../../core/features/sessionBars.js';
import { Dataset } from '../../../core/parquet/parquetDataset.js';
import { writeFeatures } from '../../../core/store/layerIO.js';
import { MetadataManager, type DatasetMetadata } from '../../../core/store/metadataManager.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { commitVersion } from '../../../core/store/versionCommit.js';
import { timestampColumn } from '../../../core/validation/columnData.js';
import { newStore } from '../store/storeTestKit.js';

const MINUTE_NS = 60_000_000_000n;
const DAY_NS = 86_400_000_000_000n;

/** Bars at `ns`: a random walk of closes in 0.25 ticks, whole volumes. */
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

/** One source partition: its value (a date, or a year) and its rows. */
interface Part {
  value: string;
  table: Table;
}

/** Minute bars cut by CME trading date, as promotion writes an intraday version. */
function byTradingDate(table: Table): Part[] {
  const ns = timestampColumn(table.getChild('timestamp') as Vector).ns;
  const clock = new TradingDayClock(false);
  const day = (k: number) => clock.day(Number(ns[k] / 1_000_000n));
  const parts: Part[] = [];
  let start = 0;
  for (let i = 1; i <= ns.length; i++) {
    if (i < ns.length && day(i) === day(start)) continue;
    parts.push({ value: new Date(day(start) * 86_400_000).toISOString().slice(0, 10), table: table.slice(start, i) });
    start = i;
  }
  return parts;
}

/** Daily bars cut by calendar year, each row with its own date, as promotion writes a table of daily bars. */
function byYear(table: Table): Part[] {
  const ns = timestampColumn(table.getChild('timestamp') as Vector).ns;
  const days = Int32Array.from(ns, (t) => Number(t / DAY_NS));
  const withDate = table.assign(new Table({ date: makeVector(makeData({ type: new DateDay(), length: days.length, data: days })) }));
  const year = (k: number) => new Date(days[k] * 86_400_000).toISOString().slice(0, 4);
  const parts: Part[] = [];
  let start = 0;
  for (let i = 1; i <= days.length; i++) {
    if (i < days.length && year(i) === year(start)) continue;
    parts.push({ value: year(start), table: withDate.slice(start, i) });
    start = i;
  }
  return parts;
}

/** The same rows with the closes (and highs) of rows [from, to) moved by `by`: a vendor's correction of a date. */
function corrected(part: Part, from: number, to: number, by: number): Part {
  const column = (name: string) => Float64Array.from(part.table.getChild(name)?.toArray() as Float64Array);
  const close = column('close');
  const high = column('high');
  for (let i = from; i < to; i++) {
    close[i] += by;
    high[i] = Math.max(high[i], close[i]);
  }
  const f = (data: Float64Array) => makeVector(makeData({ type: new Float64(), length: data.length, data }));
  return { value: part.value, table: part.table.assign(new Table({ close: f(close), high: f(high) })) };
}

/**
 * A new cleaned version of `asset` holding `parts`: the partitions of the newest version whose
 * rows are the same object are kept by reference (their files shared, as an incremental promote
 * shares them), the others written.
 */
async function commitCleaned(store: Store, asset: string, parts: Part[], previous: Part[]): Promise<void> {
  await commitVersion(store, {
    layer: 'cleaned',
    key: asset,
    write: async (ctx) => {
      const keep: string[] = [];
      for (const part of parts) {
        if (previous.some((p) => p.value === part.value && p.table === part.table)) keep.push(part.value);
        else await ctx.writeParquet(`${part.value.length === 4 ? 'date_year' : 'date'}=${part.value}/part-0.parquet`, part.table);
      }
      ctx.keepPartitions(keep);
    },
  });
}

/** Every column of a table as plain values (timestamps as nanosecond strings, dates as days, bigints as numbers). */
function plain(table: Table): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  table.schema.fields.forEach((field, k) => {
    const vector = table.getChildAt(k) as Vector;
    if ((field.type as DataType).typeId === Type.Timestamp) out[field.name] = Array.from(timestampColumn(vector).ns, String);
    else if ((field.type as DataType).typeId === Type.Date) out[field.name] = Array.from({ length: vector.length }, (_, i) => (vector.get(i) as number) / 86_400_000);
    else
      out[field.name] = Array.from({ length: vector.length }, (_, i) => {
        const v: unknown = vector.get(i);
        return typeof v === 'bigint' ? Number(v) : v;
      });
  });
  return out;
}

/** Each file of a version folder by its name, with its rows as plain values. */
async function filesOf(store: Store, versionPath: string): Promise<Record<string, Record<string, unknown[]>>> {
  const out: Record<string, Record<string, unknown[]>> = {};
  for (const name of fs.readdirSync(path.join(store.root, versionPath)).sort()) out[name] = plain(await (await Dataset.open(store.root, `${versionPath}/${name}`)).readAll());
  return out;
}

function sidecarOf(store: Store, key: string, version: string): Promise<DatasetMetadata> {
  return MetadataManager.readMetadataFile(path.join(store.root, 'catalog/features', key, `${version}.json`));
}

const inode = (store: Store, file: string) => fs.statSync(path.join(store.root, file)).ino;

const SETS: { set: FeatureSet; intraday: FeatureParameters; daily: FeatureParameters }[] = [
  // momentum periods over more bars than a partition holds: the closes an incremental build takes up span files
  { set: 'momentum_indicators', intraday: { rsiPeriod: 5, macdFast: 4, macdSlow: 9, macdSignal: 3, momentumPeriod: 2000 }, daily: { rsiPeriod: 5, macdFast: 4, macdSlow: 9, macdSignal: 3, momentumPeriod: 400 } },
  { set: 'price_volatility', intraday: { volShortWindow: 3, volLongWindow: 5, atrPeriod: 4 }, daily: { volShortWindow: 20, volLongWindow: 400, atrPeriod: 30 } },
  { set: 'volume_profile', intraday: { tickSize: 0.5, valueAreaShare: 0.6 }, daily: { tickSize: 0.5, valueAreaShare: 0.6 } },
];

describe.each([
  {
    kind: 'intraday',
    // 8,640 one-minute bars from 2023-12-29 23:00Z: six CME trading dates from 2023-12-30 to 2024-01-04, over a new year
    parts: byTradingDate(barsAt(Array.from({ length: 8640 }, (_, i) => 1_703_890_800_000_000_000n + BigInt(i) * MINUTE_NS), 7)),
    middle: 3,
  },
  {
    kind: 'daily',
    // 1,400 daily bars at 00:00Z from 2021-01-01: four calendar years, the last one partial
    parts: byYear(barsAt(Array.from({ length: 1400 }, (_, i) => 1_609_459_200_000_000_000n + BigInt(i) * DAY_NS), 11)),
    middle: 1,
  },
])('an incremental build of $kind bars equals a full build, file for file', ({ kind, parts, middle }) => {
  let store: Store;
  let reference: Store;
  const cleanups: (() => void)[] = [];
  // v1: all but the last bar; v2: the last bar appended; v3: a middle partition corrected
  const last = parts[parts.length - 1];
  const withoutLast: Part = { value: last.value, table: last.table.slice(0, last.table.numRows - 1) };
  const v1 = [...parts.slice(0, -1), withoutLast];
  const v2 = parts;
  it('has the partitions it is made for', () => {
    expect(parts.map((p) => [p.value, p.table.numRows])).toEqual(
      kind === 'intraday'
        ? ['2023-12-30', '2023-12-31', '2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04'].map((d) => [d, 1440])
        : [['2021', 365], ['2022', 365], ['2023', 365], ['2024', 305]],
    );
  });
  const v3 = parts.map((p, k) => (k === middle ? corrected(p, 100, 160, 1.25) : p));

  beforeAll(async () => {
    const a = await newStore('mes-data-features-incr-');
    const b = await newStore('mes-data-features-full-');
    cleanups.push(a.cleanup, b.cleanup);
    store = a.store;
    reference = b.store;
    await commitCleaned(store, 'MES', v1, []);
    await commitCleaned(store, 'MES', v2, v1);
    await commitCleaned(store, 'MES', v3, v2);
    // the reference store holds v2 and v3 as versions sharing nothing: a build from each is a full one
    await commitCleaned(reference, 'MES', v2, []);
    await commitCleaned(reference, 'MES', v3.map((p) => ({ value: p.value, table: p.table.slice(0) })), []);
  }, 120_000);
  afterAll(async () => {
    await closeEngine();
    for (const cleanup of cleanups) cleanup();
  });

  it.each(SETS)('$set: an appended bar and a corrected middle partition write only the partitions from the change on, their files equal to a full build', async ({ set, intraday, daily }) => {
    const parameters = kind === 'intraday' ? intraday : daily;
    const key = `MES/${set}`;
    const built = [];
    for (const from of ['v1', 'v2', 'v3']) built.push(await buildFeatures(store, { set, asset: 'MES', from, parameters }));
    expect(built.map((b) => [b.version, b.status])).toEqual([['v1', 'created'], ['v2', 'created'], ['v3', 'created']]);
    const full2 = await buildFeatures(reference, { set, asset: 'MES', from: 'v1', parameters });
    const full3 = await buildFeatures(reference, { set, asset: 'MES', from: 'v2', parameters });
    // (a full build goes on from no version)
    expect((await sidecarOf(reference, key, 'v2')).extra?.incremental).toEqual({ previous: null, shared: 0, written: (await sidecarOf(reference, key, 'v2')).files.length });

    // every file of the incremental versions holds exactly the rows of the full build's file of that partition
    const [incremental2, incremental3] = [await filesOf(store, built[1].path), await filesOf(store, built[2].path)];
    expect(incremental2).toEqual(await filesOf(reference, full2.path));
    expect(incremental3).toEqual(await filesOf(reference, full3.path));
    expect([built[1].rows, built[2].rows]).toEqual([full2.rows, full3.rows]);

    // what each build wrote: the feature partitions from the first changed source partition on
    const featureOf = (value: string) => (set === 'price_volatility' ? value.slice(0, 4) : value);
    const partitionsOf = (files: Record<string, unknown>) => Object.keys(files).map((name) => name.replace(/\.parquet$/, ''));
    const expectWritten = (files: Record<string, unknown>, changed: string) => partitionsOf(files).filter((p) => p >= featureOf(changed));
    const [s2, s3] = [await sidecarOf(store, key, 'v2'), await sidecarOf(store, key, 'v3')];
    const written2 = expectWritten(incremental2, last.value);
    const written3 = expectWritten(incremental3, parts[middle].value);
    expect(s2.extra?.incremental).toEqual({ previous: 1, shared: partitionsOf(incremental2).length - written2.length, written: written2.length });
    expect(s3.extra?.incremental).toEqual({ previous: 2, shared: partitionsOf(incremental3).length - written3.length, written: written3.length });
    expect(written2.length).toBeLessThan(partitionsOf(incremental2).length);
    expect(written3.length).toBeLessThan(partitionsOf(incremental3).length);
    // the kept partitions are the very files of the version before (one inode), the written ones new
    for (const p of partitionsOf(incremental3)) {
      const same = inode(store, `${built[2].path}/${p}.parquet`) === inode(store, `${built[1].path}/${p}.parquet`);
      expect([p, same]).toEqual([p, !written3.includes(p)]);
    }
    // the source the build names is the one it read
    expect(s3.recipe?.parameters).toMatchObject({ from: 'cleaned/v3/MES', ...parameters });
  });

  it('a changed parameter builds in full; so does a table made as one file a version, which stays so and keeps reading', async () => {
    const again = await buildFeatures(store, { set: 'momentum_indicators', asset: 'MES', from: 'v3', parameters: { rsiPeriod: 6 } });
    const sidecar = await sidecarOf(store, 'MES/momentum_indicators', again.version);
    expect(sidecar.extra?.incremental).toEqual({ previous: null, shared: 0, written: v3.length });

    // a feature table of the layout before (one unpartitioned part-0 a version)
    const old = await buildFeatures(store, { set: 'momentum_indicators', asset: 'MES', from: 'v1' });
    const oldRows = plain(await (await Dataset.open(store.root, old.path)).readAll());
    const made = await writeFeatures(store, { asset: 'ES', featureSet: 'momentum_indicators', data: await (await Dataset.open(store.root, old.path)).readAll() });
    expect(fs.readdirSync(path.join(store.root, made.path))).toEqual(['part-0.parquet']);
    await commitCleaned(store, 'ES', v2, []);
    const next = await buildFeatures(store, { set: 'momentum_indicators', asset: 'ES' });
    expect([next.version, next.status, fs.readdirSync(path.join(store.root, next.path))]).toEqual(['v2', 'created', ['part-0.parquet']]);
    expect(plain(await (await Dataset.open(store.root, made.path)).readAll())).toEqual(oldRows);
  });
});

describe('partitions that cut a session', () => {
  let store: Store;
  let reference: Store;
  const cleanups: (() => void)[] = [];
  // 4,320 one-minute bars from 2024-01-02 00:00Z cut by UTC date: each CME session (23:00Z to 23:00Z) spans two partitions
  const bars = barsAt(Array.from({ length: 4320 }, (_, i) => 1_704_153_600_000_000_000n + BigInt(i) * MINUTE_NS), 13);
  const parts: Part[] = [0, 1, 2].map((d) => ({ value: `2024-01-0${2 + d}`, table: bars.slice(d * 1440, (d + 1) * 1440) }));

  beforeAll(async () => {
    const a = await newStore('mes-data-features-cut-');
    const b = await newStore('mes-data-features-cut-full-');
    cleanups.push(a.cleanup, b.cleanup);
    store = a.store;
    reference = b.store;
    await commitCleaned(store, 'MES', parts.slice(0, 2), []);
    await commitCleaned(store, 'MES', parts, parts.slice(0, 2));
    await commitCleaned(reference, 'MES', parts, []);
  }, 120_000);
  afterAll(async () => {
    await closeEngine();
    for (const cleanup of cleanups) cleanup();
  });

  it.each(['volume_profile', 'price_volatility', 'momentum_indicators'] as const)('%s: an appended date whose first bars go on with the session before', async (set) => {
    await buildFeatures(store, { set, asset: 'MES', from: 'v1' });
    const next = await buildFeatures(store, { set, asset: 'MES', from: 'v2' });
    const full = await buildFeatures(reference, { set, asset: 'MES' });
    expect(await filesOf(store, next.path)).toEqual(await filesOf(reference, full.path));
    const incremental = (await sidecarOf(store, `MES/${set}`, 'v2')).extra?.incremental;
    // a session or a day over the cut cannot go on from a saved state: those sets build in full; the momentum state does not care
    expect(incremental).toEqual(set === 'momentum_indicators' ? { previous: 1, shared: 2, written: 1 } : { previous: null, shared: 0, written: set === 'price_volatility' ? 1 : 3 });
  });
});
