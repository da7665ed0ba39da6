import fs from 'node:fs';
import path from 'node:path';
import { Type, type DataType, type Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChartBar } from '../../../core/api/contract.js';
import { chartSeries, type ChartSeries } from '../../../core/api/chartSeries.js';
import { DatasetCache } from '../../../core/api/datasetCache.js';
import { closeEngine, sqlString, withConnection } from '../../../core/engine/duckdbEngine.js';
import { DecoderPool } from '../../../core/parquet/decoderPool.js';
import { Dataset } from '../../../core/parquet/parquetDataset.js';
import { floatColumn, timestampColumn } from '../../../core/validation/columnData.js';
import { tempDir } from '../../helpers/ohlcvTable.js';

const NICE_BUCKETS = [1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 21_600, 43_200, 86_400, 172_800, 604_800, 2_592_000];

/**
 * The chart as MES Data computed it before DuckDB did (every row read through our own
 * decoder, then one pass in row order): the oracle the new one must agree with, value for
 * value.
 */
async function reference(dataset: Dataset, options: { fromMs?: number; toMs?: number; maxBars: number }): Promise<ChartSeries> {
  const names = dataset.files[0].handle.schema.fields.map((f) => f.name);
  const columns = ['timestamp', 'open', 'high', 'low', 'close', ...(names.includes('volume') ? ['volume'] : [])];
  const table: Table = await dataset.readAll(columns);
  const tsVector = table.getChild('timestamp');
  if (!tsVector || (tsVector.type as DataType).typeId !== Type.Timestamp) throw new Error('no timestamp');
  const ts = timestampColumn(tsVector);
  const [o, h, l, c] = ['open', 'high', 'low', 'close'].map((n) => floatColumn(table.getChild(n) as NonNullable<ReturnType<Table['getChild']>>).values);
  const volumeVector = table.getChild('volume');
  const v = volumeVector ? floatColumn(volumeVector).values : null;
  const n = table.numRows;
  const ms = (i: number) => (ts.words[2 * i + 1] * 4_294_967_296 + (ts.words[2 * i] >>> 0)) / 1e6;
  let lo = 0;
  let hi = n;
  const from = options.fromMs ?? -Infinity;
  const to = options.toMs ?? Infinity;
  while (lo < hi && ms(lo) < from) lo++;
  while (hi > lo && ms(hi - 1) > to) hi--;
  const count = hi - lo;
  if (count === 0) return { totalRows: n, bucketSeconds: 0, downsampled: false, bars: [] };
  const spanSeconds = (ms(hi - 1) - ms(lo)) / 1000;
  const step = count > 1 ? Math.max(1, Math.round((ms(lo + 1) - ms(lo)) / 1000)) : 60;
  let bucketSeconds = step;
  if (count > options.maxBars) bucketSeconds = NICE_BUCKETS.find((b) => b >= step && spanSeconds / b <= options.maxBars - 1) ?? Math.ceil(spanSeconds / (options.maxBars - 1));
  const bucketMs = bucketSeconds * 1000;
  const bars: ChartBar[] = [];
  let current: ChartBar | null = null;
  for (let i = lo; i < hi; i++) {
    const t = ms(i);
    const start = count > options.maxBars ? Math.floor(t / bucketMs) * bucketMs : t;
    if (!current || current.t !== start) {
      current = { t: start, o: o[i], h: h[i], l: l[i], c: c[i], v: v ? v[i] : 0, row: i };
      bars.push(current);
    } else {
      if (h[i] > current.h) current.h = h[i];
      if (l[i] < current.l) current.l = l[i];
      current.c = c[i];
      if (v) current.v += v[i];
    }
  }
  return { totalRows: n, bucketSeconds, downsampled: count > options.maxBars, bars };
}

describe('chartSeries', () => {
  const { dir, cleanup } = tempDir();
  const decoder = new DecoderPool();
  const cache = new DatasetCache(decoder);
  const minutes = path.join(dir, 'minutes');
  const daily = path.join(dir, 'daily');
  const seconds = path.join(dir, 'seconds');

  beforeAll(async () => {
    await withConnection(async (db) => {
      // 40 days of one-minute bars around the clock, one file a UTC date (57,600 rows);
      // prices wander so that buckets have distinct highs and lows
      for (let d = 0; d < 40; d++) {
        const folder = path.join(minutes, `date=2024-03-${String(d + 1).padStart(2, '0')}`);
        fs.mkdirSync(folder, { recursive: true });
        await db.run(
          `COPY (SELECT TIMESTAMPTZ '2024-03-01 00:00:00+00' + to_minutes(i) AS "timestamp",
                   5000 + 40 * sin(i / 700.0) + (i % 17) * 0.25 AS "open", 5000 + 40 * sin(i / 700.0) + (i % 17) * 0.25 + 1 + (i % 5) AS high,
                   5000 + 40 * sin(i / 700.0) + (i % 17) * 0.25 - 1 - (i % 3) AS low, 5000 + 40 * sin(i / 700.0) + (i % 13) * 0.25 AS "close",
                   (100 + (i * 7919) % 500)::BIGINT AS volume
                 FROM range(${d * 1440}, ${(d + 1) * 1440}) t(i) ORDER BY i) TO ${sqlString(path.join(folder, 'part-0.parquet'))} (FORMAT parquet)`,
          'writing minute bars',
        );
      }
      // 300 daily bars, one file each, in raw-snapshot folders
      for (let d = 0; d < 300; d++) {
        const day = new Date(Date.UTC(2000, 0, 3) + d * 86_400_000).toISOString().slice(0, 10);
        fs.mkdirSync(path.join(daily, day), { recursive: true });
        await db.run(
          `COPY (SELECT TIMESTAMPTZ '${day} 00:00:00+00' AS "timestamp", ${100 + d} AS "open", ${102 + d} AS high, ${99 + d} AS low, ${101 + d} AS "close", ${1000 + d}::BIGINT AS volume)
           TO ${sqlString(path.join(daily, day, 'bars.parquet'))} (FORMAT parquet)`,
          'writing a daily bar',
        );
      }
      // one day of bars every 250 ms (345,600 rows, one file): a level of one-second buckets
      fs.mkdirSync(seconds);
      await db.run(
        `COPY (SELECT TIMESTAMPTZ '2024-05-06 00:00:00+00' + to_milliseconds(i * 250) AS "timestamp", (20 + (i % 101) * 0.01)::DOUBLE AS "open",
                 (20.5 + (i % 89) * 0.01)::DOUBLE AS high, (19.5 - (i % 7) * 0.01)::DOUBLE AS low, (20 + (i % 97) * 0.01)::DOUBLE AS "close", 1::DOUBLE AS volume
               FROM range(345600) t(i) ORDER BY i) TO ${sqlString(path.join(seconds, 'ticks.parquet'))} (FORMAT parquet)`,
        'writing sub-second bars',
      );
    });
  });
  afterAll(async () => {
    await decoder.close();
    await closeEngine();
    cleanup();
  });

  async function both(folder: string, options: { fromMs?: number; toMs?: number; maxBars: number; rowsInMemory?: number }) {
    const { listing, derive } = await cache.listing(null, folder);
    const got = await chartSeries({ path: folder, listing, derive }, options);
    const want = await reference(await Dataset.open(null, folder, decoder), options);
    // the old code made a bar's time from nanoseconds in floating point (…862249.9998 for
    // …862250 ms): compare times to the microsecond, everything else exactly
    const toMicros = (series: ChartSeries) => ({ ...series, bars: series.bars.map((bar) => ({ ...bar, t: Math.round(bar.t * 1000) / 1000 })) });
    return { got: toMicros(got), want: toMicros(want), raw: got };
  }

  const march = (day: number, hour = 0, minute = 0, second = 0) => Date.UTC(2024, 2, day, hour, minute, second);
  const windows: [string, { fromMs?: number; toMs?: number; maxBars: number }][] = [
    ['the whole range', { maxBars: 2000 }],
    ['the whole range in 100 bars', { maxBars: 100 }],
    ['a window on hour boundaries', { fromMs: march(5), toMs: march(12), maxBars: 500 }],
    ['a window off hour boundaries', { fromMs: march(5, 7, 13, 30), toMs: march(19, 22, 41), maxBars: 300 }],
    ['a window finer than an hour a bucket', { fromMs: march(8, 3, 7), toMs: march(9, 19, 2), maxBars: 200 }],
    ['a window inside one hour, not downsampled', { fromMs: march(10, 4, 5), toMs: march(10, 4, 50), maxBars: 2000 }],
    ['a window of a few days, not downsampled', { fromMs: march(10, 4, 5), toMs: march(11, 9, 59), maxBars: 2000 }],
    ['a window before the data', { fromMs: Date.UTC(2023, 0, 1), toMs: Date.UTC(2023, 1, 1), maxBars: 2000 }],
  ];

  for (const [label, options] of windows) {
    it(`minute bars, kept as buckets of an hour: ${label}`, async () => {
      const { got, want } = await both(minutes, { ...options, rowsInMemory: 1000 });
      expect(got).toEqual(want);
    });
    it(`minute bars, kept in memory: ${label}`, async () => {
      const { got, want } = await both(minutes, options);
      expect(got).toEqual(want);
    });
  }

  it('the whole minute range has the shape the chart expects', async () => {
    const { got } = await both(minutes, { maxBars: 100, rowsInMemory: 1000 });
    // 40 days in at most 99 buckets: the first round size that fits is 12 hours
    expect(got).toMatchObject({ totalRows: 57_600, bucketSeconds: 43_200, downsampled: true });
    expect(got.bars.length).toBe(80);
    expect(got.bars[1].row).toBe(720);
    expect(got.bars[1].t).toBe(Date.UTC(2024, 2, 1, 12));
  });

  it('daily bars in one-row files: each file one row, in folder order', async () => {
    for (const options of [{ maxBars: 2000 }, { maxBars: 50 }, { fromMs: Date.UTC(2000, 2, 1), toMs: Date.UTC(2000, 5, 1), maxBars: 20 }]) {
      const { got, want } = await both(daily, options);
      expect(got).toEqual(want);
    }
    const { got } = await both(daily, { maxBars: 2000 });
    expect(got.bars[299]).toEqual({ t: Date.UTC(2000, 0, 3) + 299 * 86_400_000, o: 399, h: 401, l: 398, c: 400, v: 1299, row: 299 });
  });

  it('bars every 250 ms: a level of one-minute buckets, windows of seconds', async () => {
    const day = (h: number, m = 0, s = 0, ms = 0) => Date.UTC(2024, 4, 6, h, m, s, ms);
    for (const options of [{ maxBars: 2000 }, { fromMs: day(3, 0, 0, 125), toMs: day(5, 30, 0, 900), maxBars: 1000 }, { fromMs: day(7, 1, 2, 100), toMs: day(7, 1, 9, 600), maxBars: 2000 }, { fromMs: day(9), toMs: day(9, 20), maxBars: 300 }]) {
      const { got, want } = await both(seconds, { ...options, rowsInMemory: 1000 });
      expect(got).toEqual(want);
    }
  });

  it('ticks (price and size): candles of the first, highest, lowest and last price, volume from the sizes, as bars of the same prices chart', async () => {
    const ticks = path.join(dir, 'ticks');
    const asBars = path.join(dir, 'ticks-as-bars');
    await withConnection(async (db) => {
      for (const [folder, select] of [
        [ticks, 'price, size'],
        [asBars, 'price AS "open", price AS high, price AS low, price AS "close", size AS volume'],
      ] as const) {
        for (let part = 0; part < 2; part++) {
          fs.mkdirSync(path.join(folder, `date=2024-05-0${part + 6}`), { recursive: true });
          // 120,000 trades a part, 0 to 3 ms apart, prices wandering by quarter points
          await db.run(
            `COPY (SELECT "timestamp", ${select} FROM (SELECT TIMESTAMPTZ '2024-05-0${part + 6} 00:00:00+00' + to_microseconds(i * 1500 + (i * 7919) % 1500) AS "timestamp",
                     (5000 + ((i * 31) % 41) * 0.25)::DOUBLE AS price, (1 + (i * 13) % 9)::BIGINT AS size FROM range(120000) t(i) ORDER BY i))
             TO ${sqlString(path.join(folder, `date=2024-05-0${part + 6}`, 'part-0.parquet'))} (FORMAT parquet)`,
            'writing ticks',
          );
        }
      }
    });
    const chart = async (folder: string, options: { fromMs?: number; toMs?: number; maxBars: number; rowsInMemory?: number }) => {
      const { listing, derive } = await cache.listing(null, folder);
      return chartSeries({ path: folder, listing, derive }, options);
    };
    const day = (d: number, h: number, m = 0) => Date.UTC(2024, 4, d, h, m);
    for (const options of [{ maxBars: 2000 }, { maxBars: 2000, rowsInMemory: 1000 }, { fromMs: day(6, 0, 1), toMs: day(6, 0, 2), maxBars: 2000, rowsInMemory: 1000 }, { fromMs: day(6, 0, 1), toMs: day(6, 0, 3), maxBars: 30 }]) {
      expect(await chart(ticks, options)).toEqual(await chart(asBars, options));
    }
    const whole = await chart(ticks, { maxBars: 2000, rowsInMemory: 1000 });
    expect(whole).toMatchObject({ totalRows: 240_000, bucketSeconds: 60, downsampled: true });
    expect(whole.bars[0]).toEqual({ t: Date.UTC(2024, 4, 6), o: 5000, h: 5010, l: 5000, c: 5001.5, v: 199_999, row: 0 });
  });

  it('buckets of an hour split between files, and a row without a time: the same bars as rows kept in memory', async () => {
    // minutes 0–89, 90–179 and a row without a time, 180–239 of 2024-03-01 (UTC): hours 1 and 2 start in one file and end in the next
    const split = path.join(dir, 'split');
    const parts: [number, number, boolean][] = [[0, 90, false], [90, 180, true], [180, 240, false]];
    await withConnection(async (db) => {
      for (const [k, [from, to, timeless]] of parts.entries()) {
        fs.mkdirSync(path.join(split, `part-${k}`), { recursive: true });
        const rows = `SELECT TIMESTAMPTZ '2024-03-01 00:00:00+00' + to_minutes(i) AS "timestamp", i FROM range(${from}, ${to}) t(i)${timeless ? ` UNION ALL SELECT NULL, ${to}` : ''}`;
        await db.run(
          `COPY (SELECT "timestamp", (100 + i)::DOUBLE AS "open", (101 + i)::DOUBLE AS high, (99 + i)::DOUBLE AS low, (100.5 + i)::DOUBLE AS "close", i::BIGINT AS volume FROM (${rows}) ORDER BY i)
           TO ${sqlString(path.join(split, `part-${k}`, 'bars.parquet'))} (FORMAT parquet)`,
          'writing minute bars in three files',
        );
      }
    });
    const { listing, derive } = await cache.listing(null, split);
    const chart = (options: { fromMs?: number; toMs?: number; maxBars: number; rowsInMemory?: number }) => chartSeries({ path: 'split', listing, derive }, options);
    const at = (hour: number, minute = 0) => Date.UTC(2024, 2, 1, hour, minute);
    const hours = { fromMs: at(1), toMs: at(2, 59), maxBars: 2 };
    const aggregated = await chart({ ...hours, rowsInMemory: 1 });
    expect(aggregated).toEqual({
      totalRows: 241,
      bucketSeconds: 7200,
      downsampled: true,
      bars: [
        { t: at(0), o: 160, h: 220, l: 159, c: 219.5, v: 5370, row: 60 },
        { t: at(2), o: 220, h: 280, l: 219, c: 279.5, v: 8970, row: 120 },
      ],
    });
    expect(await chart(hours)).toEqual(aggregated);
    // the rows after the one without a time are numbered after it
    const third = { fromMs: at(3), toMs: at(3, 1), maxBars: 2000 };
    expect((await chart({ ...third, rowsInMemory: 1 })).bars).toEqual([
      { t: at(3), o: 280, h: 281, l: 279, c: 280.5, v: 180, row: 181 },
      { t: at(3, 1), o: 281, h: 282, l: 280, c: 281.5, v: 181, row: 182 },
    ]);
    expect(await chart({ maxBars: 3, rowsInMemory: 1 })).toEqual(await chart({ maxBars: 3 }));
  });

  it('a dataset without the columns a chart needs is BAD_REQUEST naming them', async () => {
    const odd = path.join(dir, 'odd');
    fs.mkdirSync(odd);
    await withConnection((db) => db.run(`COPY (SELECT 1 AS value, 2 AS "open", TIMESTAMP '2024-01-01' AS "timestamp") TO ${sqlString(path.join(odd, 'x.parquet'))} (FORMAT parquet)`, 'writing'));
    const { listing, derive } = await cache.listing(null, odd);
    await expect(chartSeries({ path: 'odd', listing, derive }, { maxBars: 100 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'a chart needs a "high" column (or a "price" column for ticks); odd has value, open, timestamp',
      details: { path: 'odd', missing: 'high' },
    });
    const text = path.join(dir, 'text');
    fs.mkdirSync(text);
    await withConnection((db) =>
      db.run(`COPY (SELECT 'x' AS "timestamp", 1.0 AS "open", 1.0 AS high, 1.0 AS low, 1.0 AS "close") TO ${sqlString(path.join(text, 'x.parquet'))} (FORMAT parquet)`, 'writing'),
    );
    const texts = await cache.listing(null, text);
    await expect(chartSeries({ path: 'text', ...texts }, { maxBars: 100 })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: '"timestamp" in text is not a timestamp column' });
  });
});
