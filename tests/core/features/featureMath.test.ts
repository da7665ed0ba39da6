import path from 'node:path';
import { Float64, Int32, makeData, makeVector, Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ema, EmaState, macd, momentum, MomentumState, realizedVolatility, trueRange, valueArea, wilderAverage, wilderRsi, WilderRsiState, type MomentumOutputs } from '../../../core/features/featureMath.js';
import { writeParquet } from '../../../core/parquet/writeParquet.js';
import { tempDir } from '../../helpers/ohlcvTable.js';
import { DuckSession, sqlString } from '../../interop/duckdbSession.js';

const f = (values: number[]) => Float64Array.from(values);
const rounded = (values: Float64Array, digits = 10) => Array.from(values, (v) => (Number.isNaN(v) ? null : Number(v.toFixed(digits))));

describe('by hand', () => {
  it('ema is seeded with the simple mean of the first period', () => {
    // period 3: seed mean(1, 2, 3) = 2 at index 2, then alpha 0.5
    expect(rounded(ema(f([1, 2, 3, 4, 5, 6]), 3))).toEqual([null, null, 2, 3, 4, 5]);
    expect(rounded(ema(f([Number.NaN, 2, 4, 6, 8]), 2))).toEqual([null, null, 3, 5, 7]);
  });

  it("Wilder's RSI", () => {
    // changes +1, -1, +2: first averages 0.5 / 0.5 → 50; then gain 1.25, loss 0.25 → 100 − 100/6
    expect(rounded(wilderRsi(f([1, 2, 1, 3]), 2), 8)).toEqual([null, null, 50, 83.33333333]);
    expect(rounded(wilderRsi(f([1, 2, 3, 4]), 2))).toEqual([null, null, 100, 100]);
  });

  it('MACD with small periods', () => {
    // fast 2 (alpha 2/3), slow 3 (alpha 1/2), signal 2
    const { line, signal, histogram } = macd(f([10, 11, 12, 13, 14]), 2, 3, 2);
    // fast: [-, 10.5, 11.5, 12.5, 13.5]; slow: [-, -, 11, 12, 13] → line [-, -, 0.5, 0.5, 0.5]
    expect(rounded(line)).toEqual([null, null, 0.5, 0.5, 0.5]);
    expect(rounded(signal)).toEqual([null, null, null, 0.5, 0.5]);
    expect(rounded(histogram)).toEqual([null, null, null, 0, 0]);
  });

  it('momentum and rate of change', () => {
    const { momentum: m, roc } = momentum(f([100, 102, 99, 110]), 2);
    expect(rounded(m)).toEqual([null, null, -1, 8]);
    expect(rounded(roc)).toEqual([null, null, -1, 7.8431372549]);
  });

  it('true range and its Wilder average', () => {
    const tr = trueRange(f([10, 12, 11]), f([8, 9, 7]), f([9, 11, 10]));
    expect(Array.from(tr)).toEqual([2, 3, 4]);
    expect(rounded(wilderAverage(tr, 2))).toEqual([null, 2.5, 3.25]);
  });

  it('value area: 70 % around the point of control, one level at a time', () => {
    const levels = [
      { price: 100, volume: 10 },
      { price: 101, volume: 30 },
      { price: 102, volume: 50 },
      { price: 103, volume: 20 },
      { price: 104, volume: 40 },
    ];
    // 50 at 102; below 30 > above 20 → 101 (80); above 20 > below 10 → 103 (100); above 40 → 104 (140 ≥ 105)
    expect(valueArea(levels, 0.7)).toEqual({ poc: 102, high: 104, low: 101 });
    expect(valueArea([{ price: 5, volume: 1 }], 0.7)).toEqual({ poc: 5, high: 5, low: 5 });
  });
});

describe('against DuckDB window functions', () => {
  const { dir, cleanup } = tempDir();
  const file = path.join(dir, 'closes.parquet');
  let duck: DuckSession;
  const closes = new Float64Array(120);

  beforeAll(async () => {
    let seed = 11;
    let price = 5000;
    for (let i = 0; i < closes.length; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      price *= 1 + ((seed % 2001) - 1000) / 100_000;
      closes[i] = price;
    }
    const day = makeVector(makeData({ type: new Int32(), length: closes.length, data: Int32Array.from(closes, (_, i) => i) }));
    await writeParquet(new Table({ day, close: makeVector(makeData({ type: new Float64(), length: closes.length, data: closes })) }), file);
    duck = await DuckSession.open();
  });
  afterAll(() => {
    duck.close();
    cleanup();
  });

  it('realized volatility equals stddev_samp of log returns × √252 over the window', async () => {
    for (const window of [30, 60]) {
      const rows = await duck.rows(`
        WITH r AS (SELECT day, ln(close / lag(close) OVER (ORDER BY day)) AS ret FROM read_parquet(${sqlString(file)}))
        SELECT day, CASE WHEN count(ret) OVER w = ${window} THEN stddev_samp(ret) OVER w * sqrt(252) END AS vol
        FROM r WINDOW w AS (ORDER BY day ROWS BETWEEN ${window - 1} PRECEDING AND CURRENT ROW) ORDER BY day`);
      const ours = realizedVolatility(closes, window);
      rows.forEach((row, i) => {
        const theirs = row.vol as number | null;
        if (theirs === null) expect(Number.isNaN(ours[i]), `day ${i}`).toBe(true);
        else expect(Math.abs(ours[i] - theirs) / theirs, `day ${i}`).toBeLessThan(1e-12);
      });
      expect(rows.filter((r) => r.vol !== null).length).toBe(closes.length - window);
    }
  });

  it('momentum and rate of change equal lag arithmetic', async () => {
    const rows = await duck.rows(`SELECT close - lag(close, 10) OVER (ORDER BY day) AS m, (close / lag(close, 10) OVER (ORDER BY day) - 1) * 100 AS roc FROM read_parquet(${sqlString(file)}) ORDER BY day`);
    const ours = momentum(closes, 10);
    rows.forEach((row, i) => {
      if (row.m === null) {
        expect(Number.isNaN(ours.momentum[i])).toBe(true);
      } else {
        expect(ours.momentum[i]).toBeCloseTo(row.m as number, 9);
        expect(ours.roc[i]).toBeCloseTo(row.roc as number, 9);
      }
    });
  });
});

describe('one value at a time', () => {
  // a random walk with a few repeated closes, so gains, losses and zero changes all occur
  const closes = new Float64Array(700);
  let seed = 3;
  let price = 4000;
  for (let i = 0; i < closes.length; i++) {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    const step = (seed % 9) - 4;
    price += step === 0 ? 0 : step * 0.25;
    closes[i] = price;
  }

  it('EmaState and WilderRsiState give the array forms bit for bit', () => {
    for (const period of [1, 2, 9, 26]) {
      const state = new EmaState(period);
      expect(Float64Array.from(closes, (c) => state.push(c))).toEqual(ema(closes, period));
    }
    const rsi = new WilderRsiState(14);
    const streamed = Float64Array.from(closes, (c) => rsi.push(c));
    expect(streamed).toEqual(wilderRsi(closes, 14));
    expect(Number.isNaN(streamed[13])).toBe(true);
    expect(Number.isNaN(streamed[14])).toBe(false);
  });

  it('MomentumState gives RSI, MACD and momentum of the whole array, however the closes are split', () => {
    const expected = { rsi: wilderRsi(closes, 14), ...macd(closes, 12, 26, 9), ...momentum(closes, 10) };
    for (const chunk of [1, 7, 64, 700]) {
      const state = new MomentumState();
      const whole: MomentumOutputs = {
        rsi14: new Float64Array(closes.length),
        macdLine: new Float64Array(closes.length),
        macdSignal: new Float64Array(closes.length),
        macdHistogram: new Float64Array(closes.length),
        momentum10: new Float64Array(closes.length),
        roc10: new Float64Array(closes.length),
      };
      for (let start = 0; start < closes.length; start += chunk) {
        const out: MomentumOutputs = {
          rsi14: new Float64Array(chunk),
          macdLine: new Float64Array(chunk),
          macdSignal: new Float64Array(chunk),
          macdHistogram: new Float64Array(chunk),
          momentum10: new Float64Array(chunk),
          roc10: new Float64Array(chunk),
        };
        const n = Math.min(chunk, closes.length - start);
        for (let i = 0; i < n; i++) state.push(closes[start + i], i, out);
        for (const key of Object.keys(out) as (keyof MomentumOutputs)[]) whole[key].set(out[key].subarray(0, n), start);
      }
      expect(whole.rsi14).toEqual(expected.rsi);
      expect(whole.macdLine).toEqual(expected.line);
      expect(whole.macdSignal).toEqual(expected.signal);
      expect(whole.macdHistogram).toEqual(expected.histogram);
      expect(whole.momentum10).toEqual(expected.momentum);
      expect(whole.roc10).toEqual(expected.roc);
    }
  });
});
