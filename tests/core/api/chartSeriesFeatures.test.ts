import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartSeries, type ChartSeries } from '../../../core/api/chartSeries.js';
import { DatasetCache } from '../../../core/api/datasetCache.js';
import { ApiSession } from '../../../core/api/handlers.js';
import { closeEngine, sqlString, withConnection } from '../../../core/engine/duckdbEngine.js';
import { DecoderPool } from '../../../core/parquet/decoderPool.js';
import { tempDir } from '../../helpers/ohlcvTable.js';

/**
 * Feature columns drawn with the bars (`chart.series` with `features`): each value belongs to
 * the bar at the same index, whatever the zoom, checked against an oracle that works from
 * the feature rows as the test wrote them.
 */

const MINUTE_MS = 60_000;
const START_MS = Date.UTC(2024, 2, 1);
/** 12 days of one-minute bars around the clock. */
const MINUTES = 12 * 1440;
/** The momentum-like column: null for its first 30 rows (a warm-up), then a value known from the row's minute. */
const rsiOf = (i: number): number | null => (i < 30 ? null : 50 + ((i * 37) % 41) - 20 + (i % 7) * 0.125);
/** Minutes that have no feature row (the feature set was built from a version without them). */
const missing = (i: number) => i % 97 === 5;

interface FeatureRow {
  ms: number;
  value: number | null;
}

/**
 * The oracle: for each downsampled bar, the last feature row of the window in its bucket,
 * else the value of the bar before (for the first bars: the last row before the window);
 * for each bar that is a row, the last feature row at or before its time, also from before
 * the window.
 */
function expected(rows: readonly FeatureRow[], series: ChartSeries, window: { fromMs?: number; toMs?: number }): (number | null)[] {
  const fromMs = window.fromMs ?? -Infinity;
  const inWindow = rows.filter((r) => r.ms >= fromMs && r.ms <= (window.toMs ?? Infinity));
  const bucketMs = series.bucketSeconds * 1000;
  let previous: number | null = rows.filter((r) => r.ms < fromMs).pop()?.value ?? null;
  return series.bars.map((bar) => {
    if (!series.downsampled) return rows.filter((r) => r.ms <= bar.t).pop()?.value ?? null;
    const mine = inWindow.filter((r) => Math.floor(r.ms / bucketMs) * bucketMs === bar.t);
    if (mine.length > 0) previous = mine[mine.length - 1].value;
    return previous;
  });
}

describe('chartSeries with feature columns', () => {
  const { dir, cleanup } = tempDir();
  const decoder = new DecoderPool();
  const cache = new DatasetCache(decoder);
  const bars = path.join(dir, 'bars');
  const momentum = path.join(dir, 'momentum');
  const daily = path.join(dir, 'daily');
  const momentumRows: FeatureRow[] = [];
  const dailyRows: FeatureRow[] = [];

  beforeAll(async () => {
    for (let i = 0; i < MINUTES; i++) if (!missing(i)) momentumRows.push({ ms: START_MS + i * MINUTE_MS, value: rsiOf(i) });
    for (let d = 0; d < 12; d++) dailyRows.push({ ms: START_MS + d * 86_400_000, value: 10 + d * 0.5 });
    await withConnection(async (db) => {
      // bars: one file a UTC date, as a cleaned version partitions them
      for (let d = 0; d < 12; d++) {
        const folder = path.join(bars, `date=2024-03-${String(d + 1).padStart(2, '0')}`);
        fs.mkdirSync(folder, { recursive: true });
        await db.run(
          `COPY (SELECT TIMESTAMPTZ '2024-03-01 00:00:00+00' + to_minutes(i) AS "timestamp", 5000 + (i % 17) * 0.25 AS "open", 5002 + (i % 17) * 0.25 AS high,
                   4998 + (i % 17) * 0.25 AS low, 5001 + (i % 13) * 0.25 AS "close", (100 + i % 50)::BIGINT AS volume
                 FROM range(${d * 1440}, ${(d + 1) * 1440}) t(i) ORDER BY i) TO ${sqlString(path.join(folder, 'part-0.parquet'))} (FORMAT parquet)`,
          'writing minute bars',
        );
      }
      // the momentum set: one file, a row per bar (but the missing ones), with an asset column
      fs.mkdirSync(momentum);
      await db.run(
        `COPY (SELECT TIMESTAMPTZ '2024-03-01 00:00:00+00' + to_minutes(i) AS "timestamp", 'MES' AS asset,
                 CASE WHEN i < 30 THEN NULL ELSE 50 + ((i * 37) % 41) - 20 + (i % 7) * 0.125 END::DOUBLE AS rsi_14
               FROM range(${MINUTES}) t(i) WHERE i % 97 <> 5 ORDER BY i) TO ${sqlString(path.join(momentum, 'part-0.parquet'))} (FORMAT parquet, ROW_GROUP_SIZE 2048)`,
        'writing the momentum set',
      );
      // a set with a row per trading date, at 00:00 UTC
      fs.mkdirSync(daily);
      await db.run(
        `COPY (SELECT TIMESTAMPTZ '2024-03-01 00:00:00+00' + to_days(d::INTEGER) AS "timestamp", (10 + d * 0.5)::DOUBLE AS atr_14 FROM range(12) t(d))
         TO ${sqlString(path.join(daily, 'part-0.parquet'))} (FORMAT parquet)`,
        'writing the daily set',
      );
    });
  });
  afterAll(async () => {
    await decoder.close();
    await closeEngine();
    cleanup();
  });

  async function source(folder: string) {
    const { listing, derive } = await cache.listing(null, folder);
    return { path: folder, listing, derive };
  }

  const march = (day: number, hour = 0, minute = 0) => Date.UTC(2024, 2, day, hour, minute);
  const windows: [string, { fromMs?: number; toMs?: number; maxBars: number }][] = [
    ['the whole range', { maxBars: 2000 }],
    ['the whole range in 50 bars', { maxBars: 50 }],
    ['a window off hour boundaries', { fromMs: march(3, 7, 13), toMs: march(9, 22, 41), maxBars: 300 }],
    ['a window finer than an hour a bucket', { fromMs: march(4, 3, 7), toMs: march(5, 19, 2), maxBars: 200 }],
    ['the warm-up, not downsampled', { fromMs: march(1), toMs: march(1, 2), maxBars: 2000 }],
    ['a few hours, not downsampled', { fromMs: march(6, 4, 5), toMs: march(6, 9, 59), maxBars: 2000 }],
    ['across midnight, not downsampled', { fromMs: march(7, 23, 1), toMs: march(8, 0, 40), maxBars: 2000 }],
  ];

  for (const rowsInMemory of [1000, undefined]) {
    for (const [label, options] of windows) {
      it(`${rowsInMemory ? 'a level of buckets' : 'rows in memory'}: ${label}: a value per bar, from that bar's bucket`, async () => {
        const got = await chartSeries(await source(bars), {
          ...options,
          rowsInMemory,
          features: [
            { source: await source(momentum), column: 'rsi_14' },
            { source: await source(daily), column: 'atr_14' },
          ],
        });
        expect(got.bars.length).toBeGreaterThan(0);
        // the bars are those of a chart without features
        expect(got.bars).toEqual((await chartSeries(await source(bars), { ...options, rowsInMemory })).bars);
        expect(got.features?.map((f) => [f.path, f.column, f.values.length])).toEqual([
          [momentum, 'rsi_14', got.bars.length],
          [daily, 'atr_14', got.bars.length],
        ]);
        expect(got.features?.[0].values).toEqual(expected(momentumRows, got, options));
        expect(got.features?.[1].values).toEqual(expected(dailyRows, got, options));
      });
    }
  }

  it('exact values: the warm-up is null, a missing minute carries the minute before, a bucket takes its last row, a daily set draws as steps', async () => {
    const features = [
      { source: await source(momentum), column: 'rsi_14' },
      { source: await source(daily), column: 'atr_14' },
    ];
    // minutes 0–119 of the first day: rows, not buckets
    const rows = await chartSeries(await source(bars), { fromMs: march(1), toMs: march(1, 1, 59), maxBars: 2000, features });
    expect(rows.downsampled).toBe(false);
    const rsi = rows.features?.[0].values ?? [];
    expect(rsi.slice(28, 32)).toEqual([null, null, rsiOf(30), rsiOf(31)]);
    // minute 102 (97 + 5) has no row: it shows minute 101's value
    expect([rsi[101], rsi[102], rsi[103]]).toEqual([rsiOf(101), rsiOf(101), rsiOf(103)]);
    expect(rows.features?.[1].values.slice(0, 3)).toEqual([10, 10, 10]);
    // across midnight: the daily value of March 7 (from before the window) until 00:00, then March 8's
    const midnight = await chartSeries(await source(bars), { fromMs: march(7, 23, 1), toMs: march(8, 0, 40), maxBars: 2000, features });
    expect(midnight.bars.length).toBe(100);
    expect(midnight.features?.[1].values).toEqual([...Array<number>(59).fill(13), ...Array<number>(41).fill(13.5)]);
    // a few hours inside one UTC day hold no row of the daily set: every bar carries that day's value
    const session = await chartSeries(await source(bars), { fromMs: march(6, 14, 30), toMs: march(6, 21, 0), maxBars: 2000, features });
    expect(session.bars.length).toBe(391);
    expect(new Set(session.features?.[1].values)).toEqual(new Set([12.5]));
    // zoomed out over the same hours (buckets of 5 minutes, read from the index and the rows around it): the same value
    const sessionBuckets = await chartSeries(await source(bars), { fromMs: march(6, 14, 30), toMs: march(6, 21, 0), maxBars: 80, rowsInMemory: 1000, features });
    expect(sessionBuckets.downsampled).toBe(true);
    expect(new Set(sessionBuckets.features?.[1].values)).toEqual(new Set([12.5]));
    // the whole range in 50 bars: buckets of 6 hours; each takes its last minute's value
    const buckets = await chartSeries(await source(bars), { maxBars: 50, rowsInMemory: 1000, features });
    expect({ bucketSeconds: buckets.bucketSeconds, bars: buckets.bars.length }).toEqual({ bucketSeconds: 21_600, bars: 48 });
    expect(buckets.features?.[0].values.slice(0, 3)).toEqual([rsiOf(359), rsiOf(719), rsiOf(1079)]);
    expect(buckets.features?.[1].values.slice(0, 6)).toEqual([10, 10, 10, 10, 10.5, 10.5]);
  });

  it("in the browser host, a feature set's path outside the open store is FORBIDDEN, as the bars' path is", async () => {
    const session = new ApiSession('browser');
    try {
      await session.invoke('store.init', { path: path.join(dir, 'store') });
      const outside = path.join(dir, 'momentum');
      await expect(session.invoke('chart.series', { path: 'cleaned/v1/MES', features: [{ path: outside, column: 'rsi_14' }] })).rejects.toMatchObject({
        code: 'FORBIDDEN',
        message: `${outside} is neither in the open store nor a file uploaded or picked in this session`,
      });
    } finally {
      await session.close();
    }
  });

  it('a column the set does not have, or one that is not a number, is BAD_REQUEST naming the set and its columns', async () => {
    await expect(chartSeries(await source(bars), { maxBars: 100, features: [{ source: await source(momentum), column: 'rsi_9' }] })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: `${momentum} has no column "rsi_9"; it has timestamp, asset, rsi_14`,
      details: { path: momentum, missing: 'rsi_9' },
    });
    await expect(chartSeries(await source(bars), { maxBars: 100, features: [{ source: await source(momentum), column: 'asset' }] })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: `"asset" in ${momentum} is VARCHAR, not a number a chart can draw`,
    });
  });
});
