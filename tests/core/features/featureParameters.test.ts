import path from 'node:path';
import type { Table, Vector } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRequest } from '../../../core/api/handlers.js';
import { closeEngine } from '../../../core/engine/duckdbEngine.js';
import { buildFeatures } from '../../../core/features/buildFeatures.js';
import { buildFeatureTable } from '../../../core/features/buildFeatureTable.js';
import { macd, momentum, realizedVolatility, trueRange, wilderAverage, wilderRsi } from '../../../core/features/featureMath.js';
import { Dataset } from '../../../core/parquet/parquetDataset.js';
import { MetadataManager } from '../../../core/store/metadataManager.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { barsFromCloses, barsTable } from '../../helpers/barsTable.js';
import { writeCleanedData } from '../../helpers/cleanedVersion.js';
import { errorOf, newStore } from '../store/storeTestKit.js';

/** A float column as numbers, null where the table holds null. */
function column(table: Table, name: string): (number | null)[] {
  const vector = table.getChild(name) as Vector;
  return Array.from({ length: vector.length }, (_, i) => (vector.get(i) as number | null) ?? null);
}

/** NaN (warm-up) as null, as the written columns hold it. */
const nulls = (values: Float64Array): (number | null)[] => Array.from(values, (v) => (Number.isNaN(v) ? null : v));

const readVersion = async (store: Store, versionPath: string) => (await Dataset.open(store.root, versionPath)).readAll();

describe('feature parameters: periods and profile settings reach the computation', () => {
  let store: Store;
  let cleanup: () => void;
  // 200 one-minute bars inside one CME session, closes on the quarter tick
  const minuteCloses = Array.from({ length: 200 }, (_, i) => Math.round((4800 + Math.sin(i / 7) * 6 + i * 0.05) * 4) / 4);
  // 40 daily bars at 00:00Z
  const dailyCloses = Array.from({ length: 40 }, (_, i) => 4700 + ((i * 37) % 23) - i * 0.5);

  beforeAll(async () => {
    ({ store, cleanup } = await newStore('mes-data-feature-params-'));
    await writeCleanedData(store, { asset: 'MES', data: [{ table: barsTable(barsFromCloses('2024-01-02T15:00:00Z', 60, minuteCloses)), partition: { date: '2024-01-02' } }] });
    await writeCleanedData(store, { asset: 'ES', data: [{ table: barsTable(barsFromCloses('2024-01-01T00:00:00Z', 86_400, dailyCloses)) }] });
  });
  afterAll(async () => {
    await closeEngine();
    cleanup();
  });

  it('momentum_indicators with RSI 5, MACD 3/8/4 and momentum 4: the streamed columns are those periods, recorded in the recipe', async () => {
    const parameters = { rsiPeriod: 5, macdFast: 3, macdSlow: 8, macdSignal: 4, momentumPeriod: 4 };
    const result = await buildFeatures(store, { set: 'momentum_indicators', asset: 'MES', parameters });
    expect(result).toMatchObject({ version: 'v1', path: 'features/v1/MES/momentum_indicators', rows: 200, status: 'created' });
    const written = await readVersion(store, result.path);
    const closes = Float64Array.from(minuteCloses);
    const { line, signal, histogram } = macd(closes, 3, 8, 4);
    const { momentum: m4, roc } = momentum(closes, 4);
    expect(column(written, 'rsi_14')).toEqual(nulls(wilderRsi(closes, 5)));
    expect(column(written, 'macd_line')).toEqual(nulls(line));
    expect(column(written, 'macd_signal')).toEqual(nulls(signal));
    expect(column(written, 'macd_histogram')).toEqual(nulls(histogram));
    expect(column(written, 'momentum_10')).toEqual(nulls(m4));
    expect(column(written, 'roc_10')).toEqual(nulls(roc));
    // the warm-up follows the periods: the first RSI at bar 5, the first momentum at bar 4, the first signal at bar 10
    expect(column(written, 'rsi_14').findIndex((v) => v !== null)).toBe(5);
    expect(column(written, 'momentum_10').findIndex((v) => v !== null)).toBe(4);
    expect(column(written, 'macd_signal').findIndex((v) => v !== null)).toBe(10);
    expect(column(written, 'momentum_10')[4]).toBe(minuteCloses[4] - minuteCloses[0]);
    const sidecar = await MetadataManager.readMetadataFile(path.join(store.root, 'catalog/features/MES/momentum_indicators/v1.json'));
    expect(sidecar.recipe?.parameters).toEqual({ set: 'momentum_indicators', asset: 'MES', from: 'cleaned/v1/MES', ...parameters });
  });

  it('the defaults, given or left out, are one build: a second version, then unchanged; its recipe names no parameter', async () => {
    const byDefault = await buildFeatures(store, { set: 'momentum_indicators', asset: 'MES' });
    expect(byDefault).toMatchObject({ version: 'v2', path: 'features/v2/MES/momentum_indicators', rows: 200, status: 'created' });
    const written = await readVersion(store, byDefault.path);
    expect(column(written, 'rsi_14')).toEqual(nulls(wilderRsi(Float64Array.from(minuteCloses), 14)));
    expect(column(written, 'rsi_14').findIndex((v) => v !== null)).toBe(14);
    const sidecar = await MetadataManager.readMetadataFile(path.join(store.root, 'catalog/features/MES/momentum_indicators/v2.json'));
    expect(sidecar.recipe?.parameters).toEqual({ set: 'momentum_indicators', asset: 'MES', from: 'cleaned/v1/MES' });
    const spelledOut = await buildFeatures(store, { set: 'momentum_indicators', asset: 'MES', parameters: { rsiPeriod: 14, macdFast: 12, macdSlow: 26, macdSignal: 9, momentumPeriod: 10 } });
    expect(spelledOut).toMatchObject({ version: 'v2', status: 'unchanged', rows: 200 });
    // and the custom periods again find their own version
    const custom = await buildFeatures(store, { set: 'momentum_indicators', asset: 'MES', parameters: { rsiPeriod: 5, macdFast: 3, macdSlow: 8, macdSignal: 4, momentumPeriod: 4 } });
    expect(custom).toMatchObject({ version: 'v1', status: 'unchanged' });
  });

  it('ticks off whole milliseconds (our own reader, then DuckDB) take the periods too, as the whole-table build does', async () => {
    // 80 ticks 0.25 s + 123 ns apart
    const closes = Array.from({ length: 80 }, (_, i) => 16_800 + ((i * 7) % 13) * 0.25);
    const bars = closes.map((close, i): [string, number, number, number, number, number] => {
      const ns = 1_704_207_600_000_000_000n + BigInt(i) * 250_000_123n;
      const time = `${new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19)}.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`;
      return [time, close, close + 0.25, close - 0.25, close, 1 + i];
    });
    await writeCleanedData(store, { asset: 'NQ', data: [{ table: barsTable(bars), partition: { date: '2024-01-02' } }] });
    const parameters = { rsiPeriod: 6, macdFast: 4, macdSlow: 9, macdSignal: 3, momentumPeriod: 2 };
    const result = await buildFeatures(store, { set: 'momentum_indicators', asset: 'NQ', parameters });
    const written = await readVersion(store, result.path);
    expect(String(written.getChild('timestamp')?.type)).toBe('Timestamp<NANOSECOND, UTC>');
    const expected = buildFeatureTable('momentum_indicators', await readVersion(store, 'cleaned/v1/NQ'), { asset: 'NQ', momentum: { rsi: 6, macdFast: 4, macdSlow: 9, macdSignal: 3, momentum: 2 } });
    for (const name of ['rsi_14', 'macd_line', 'macd_signal', 'macd_histogram', 'momentum_10', 'roc_10']) expect(column(written, name), name).toEqual(column(expected, name));
    expect(column(written, 'rsi_14')).toEqual(nulls(wilderRsi(Float64Array.from(closes), 6)));
    expect(column(written, 'momentum_10')[2]).toBe(closes[2] - closes[0]);
  });

  it('price_volatility with windows 5 and 10 and ATR 3 over daily bars', async () => {
    const result = await buildFeatures(store, { set: 'price_volatility', asset: 'ES', parameters: { volShortWindow: 5, volLongWindow: 10, atrPeriod: 3 } });
    expect(result).toMatchObject({ version: 'v1', path: 'features/v1/ES/price_volatility', rows: 40, status: 'created' });
    const written = await readVersion(store, result.path);
    const bars = barsFromCloses('2024-01-01T00:00:00Z', 86_400, dailyCloses);
    const close = Float64Array.from(dailyCloses);
    const vol5 = realizedVolatility(close, 5);
    const vol10 = realizedVolatility(close, 10);
    const tr = trueRange(Float64Array.from(bars, (b) => b[2]), Float64Array.from(bars, (b) => b[3]), close);
    expect(column(written, 'realized_vol_30d')).toEqual(nulls(vol5));
    expect(column(written, 'realized_vol_60d')).toEqual(nulls(vol10));
    expect(column(written, 'vol_ratio')).toEqual(nulls(vol5.map((v, i) => v / vol10[i])));
    expect(column(written, 'atr_14')).toEqual(nulls(wilderAverage(tr, 3)));
    expect(column(written, 'realized_vol_30d').findIndex((v) => v !== null)).toBe(5);
    expect(column(written, 'atr_14').findIndex((v) => v !== null)).toBe(2);
  });

  it('volume_profile with a 1-point bucket and a 50 % value area: the whole-table build with those settings', async () => {
    const result = await buildFeatures(store, { set: 'volume_profile', asset: 'MES', parameters: { tickSize: 1, valueAreaShare: 0.5 } });
    expect(result.status).toBe('created');
    const written = await readVersion(store, result.path);
    const source = await readVersion(store, 'cleaned/v1/MES');
    const expected = buildFeatureTable('volume_profile', source, { asset: 'MES', tickSize: 1, valueAreaShare: 0.5 });
    const byDefault = buildFeatureTable('volume_profile', source, { asset: 'MES' });
    expect(written.numRows).toBe(expected.numRows);
    for (const name of ['price_level', 'poc_price', 'value_area_high', 'value_area_low']) expect(column(written, name), name).toEqual(column(expected, name));
    // every level is a whole point, and there are fewer of them than on the quarter tick
    expect(column(written, 'price_level').every((p) => Number.isInteger(p))).toBe(true);
    expect(written.numRows).toBeLessThan(byDefault.numRows);
  });

  it("a parameter of another set is BAD_REQUEST naming it and the set's own; MACD fast must be shorter than slow", async () => {
    const other = await errorOf(buildFeatures(store, { set: 'volume_profile', asset: 'MES', parameters: { rsiPeriod: 5 } }));
    expect(other.code).toBe('BAD_REQUEST');
    expect(other.message).toBe('volume_profile takes no parameter "rsiPeriod"; its parameters: tickSize, valueAreaShare');
    expect(other.details).toEqual({ set: 'volume_profile', parameter: 'rsiPeriod', parameters: ['tickSize', 'valueAreaShare'] });
    const crossed = await errorOf(buildFeatures(store, { set: 'momentum_indicators', asset: 'MES', parameters: { macdFast: 30 } }));
    expect(crossed.code).toBe('BAD_REQUEST');
    expect(crossed.message).toBe('macdFast (30) must be shorter than macdSlow (26)');
  });

  it('the contract refuses unknown, fractional and out-of-range parameters before a job starts', () => {
    const bad = (parameters: unknown) => {
      try {
        parseRequest('jobs.start', { kind: 'features', set: 'momentum_indicators', asset: 'MES', parameters });
      } catch (error) {
        return (error as { code: string; details: { issues: { path: string }[] } }).details.issues.map((i) => i.path);
      }
      return null;
    };
    expect(bad({ rsiPeriod: 2.5 })).toEqual(['parameters.rsiPeriod']);
    expect(bad({ rsiPeriod: 0 })).toEqual(['parameters.rsiPeriod']);
    expect(bad({ volShortWindow: 1 })).toEqual(['parameters.volShortWindow']);
    expect(bad({ valueAreaShare: 1.5 })).toEqual(['parameters.valueAreaShare']);
    expect(bad({ tickSize: 0 })).toEqual(['parameters.tickSize']);
    expect(bad({ period: 3 })).toEqual(['parameters']);
    expect(bad({ macdFast: 26 })).toEqual(['parameters.macdFast']);
    expect(bad({ rsiPeriod: 21 })).toBeNull();
  });
});
