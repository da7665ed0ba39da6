import { describe, expect, it } from 'vitest';
import { DataSchema } from '../../../core/schema/dataSchema.js';
import { OHLCV_SCHEMA } from '../../../core/schema/predefinedSchemas.js';
import { validateTable } from '../../../core/validation/validateTable.js';
import { barsAt, barsFromCloses, barsTable, type Bar } from '../../helpers/barsTable.js';

function issues(bars: Bar[], schema = OHLCV_SCHEMA, assets?: string[]) {
  const { report } = validateTable(barsTable(bars, assets), schema, { target: 'test' });
  const byRule = (rule: string) => [...report.errors, ...report.warnings].filter((i) => i.rule === rule);
  return { report, byRule };
}

/** Minute bars from `start` (UTC) for `count` minutes. */
function minutes(start: string, count: number): string[] {
  const t0 = Date.parse(start);
  return Array.from({ length: count }, (_, i) => new Date(t0 + i * 60_000).toISOString());
}

describe('price and volume rules', () => {
  const good = barsFromCloses('2024-01-03T15:00:00Z', 60, [5000, 5001, 5002, 5001.5, 5003, 5002, 5004, 5003.5]);

  it('a clean series has no findings', () => {
    const { report } = issues(good);
    expect(report.valid).toBe(true);
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(report.rowCount).toBe(8);
  });

  it('positive_price names each column with its rows', () => {
    const bars = good.map((b) => [...b] as Bar);
    bars[2][4] = 0; // close
    bars[2][3] = -1; // low
    bars[5][1] = -5000; // open
    const { byRule, report } = issues(bars);
    expect(report.valid).toBe(false);
    expect(byRule('positive_price').map((i) => [i.column, i.count, i.rows, i.code, i.severity])).toEqual([
      ['open', 1, [5], 'NON_POSITIVE_PRICE', 'error'],
      ['low', 1, [2], 'NON_POSITIVE_PRICE', 'error'],
      ['close', 1, [2], 'NON_POSITIVE_PRICE', 'error'],
    ]);
  });

  it('ohlc_consistency finds high below open/close, low above them, high below low', () => {
    const bars = good.map((b) => [...b] as Bar);
    bars[1][2] = bars[1][4] - 1; // high under close
    bars[4][3] = bars[4][1] + 1; // low over open
    bars[6] = [bars[6][0], 5000, 4990, 4995, 5000, 1]; // high < low (and both off)
    const found = issues(bars).byRule('ohlc_consistency');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ code: 'OHLC_INCONSISTENT', count: 3, rows: [1, 4, 6], severity: 'error' });
  });

  it('finite_values and non_negative_volume', () => {
    const bars = good.map((b) => [...b] as Bar);
    bars[3][4] = Number.NaN;
    bars[7][2] = Infinity;
    bars[2][5] = -3;
    const { byRule } = issues(bars);
    expect(byRule('finite_values').map((i) => [i.column, i.rows])).toEqual([
      ['high', [7]],
      ['close', [3]],
    ]);
    expect(byRule('non_negative_volume')[0]).toMatchObject({ column: 'volume', count: 1, rows: [2], code: 'NEGATIVE_VOLUME' });
  });

  it('a schema can lower a rule to a warning', () => {
    const schema = DataSchema.parse({ ...OHLCV_SCHEMA, rules: { ...OHLCV_SCHEMA.rules, ohlc_consistency: { severity: 'warning' } } });
    const bars = good.map((b) => [...b] as Bar);
    bars[1][2] = 1;
    const { report } = issues(bars, schema);
    expect(report.valid).toBe(true);
    expect(report.warnings.map((w) => [w.rule, w.rows])).toEqual([['ohlc_consistency', [1]]]);
  });

  it('lists at most 100 rows but counts them all', () => {
    const bars = barsFromCloses('2024-01-03T15:00:00Z', 60, Array.from({ length: 250 }, () => 5000));
    for (const bar of bars) bar[5] = -1;
    const found = issues(bars).byRule('non_negative_volume')[0];
    expect(found.count).toBe(250);
    expect(found.rows).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});

describe('timestamp rules', () => {
  it('unique_timestamp flags each repeat; sorted_timestamp flags each step back', () => {
    const times = minutes('2024-01-03T15:00:00Z', 6);
    times[3] = times[2]; // repeat of row 2
    const bars = barsAt([...times, '2024-01-03T15:01:30Z']);
    const { byRule, report } = issues(bars);
    expect(byRule('unique_timestamp')[0]).toMatchObject({ code: 'DUPLICATE_TIMESTAMP', column: 'timestamp', count: 1, rows: [3] });
    expect(byRule('sorted_timestamp')[0]).toMatchObject({ code: 'UNSORTED_TIMESTAMP', count: 1, rows: [6] });
    expect(report.metrics.duplicateTimestamps).toBe(1);
  });

  it('finds repeats in unsorted data too', () => {
    const bars = barsAt(['2024-01-03T15:05:00Z', '2024-01-03T15:01:00Z', '2024-01-03T15:05:00Z', '2024-01-03T15:01:00Z']);
    expect(issues(bars).byRule('unique_timestamp')[0]).toMatchObject({ count: 2, rows: [2, 3] });
  });

  it('checks each asset on its own', () => {
    const t = minutes('2024-01-03T15:00:00Z', 3);
    const bars = barsAt([t[0], t[0], t[1], t[1], t[2], t[2]]);
    const { byRule } = issues(bars, OHLCV_SCHEMA, ['MES', 'ES', 'MES', 'ES', 'MES', 'ES']);
    expect(byRule('unique_timestamp')).toEqual([]);
    expect(byRule('sorted_timestamp')).toEqual([]);
  });
});

describe('session_gap (CME Globex, America/Chicago)', () => {
  const gaps = (times: string[], schema = OHLCV_SCHEMA) => {
    const { report, byRule } = issues(barsAt(times), schema);
    return { found: byRule('session_gap')[0], metrics: report.metrics };
  };

  it('a missing bar mid-session is a gap, reported at the bar after it', () => {
    // 2024-01-03 is a Wednesday; 16:00Z is 10:00 CST
    const { found, metrics } = gaps(['2024-01-03T16:00:00Z', '2024-01-03T16:01:00Z', '2024-01-03T16:04:00Z', '2024-01-03T16:05:00Z']);
    expect(found).toMatchObject({ code: 'SESSION_GAP', severity: 'warning', count: 1, rows: [2] });
    expect(found.details).toMatchObject({ missingBars: 2, barIntervalSeconds: 60 });
    expect(metrics).toMatchObject({ gapCount: 1, missingBars: 2, barIntervalSeconds: 60 });
  });

  it('the daily break is not a gap; a bar missing on either side of it is', () => {
    // 15:58, 15:59 CST then 17:00 CST (21:58Z, 21:59Z, 23:00Z)
    expect(gaps(['2024-01-03T21:58:00Z', '2024-01-03T21:59:00Z', '2024-01-03T23:00:00Z', '2024-01-03T23:01:00Z']).found).toBeUndefined();
    // 15:58 then 17:01: 15:59 and 17:00 are missing
    const { found, metrics } = gaps(['2024-01-03T21:57:00Z', '2024-01-03T21:58:00Z', '2024-01-03T23:01:00Z', '2024-01-03T23:02:00Z']);
    expect(found).toMatchObject({ rows: [2] });
    expect(metrics.missingBars).toBe(2);
  });

  it('a bar exactly at 17:00 CT opens the session; a first bar at 17:01 leaves one missing', () => {
    expect(gaps(['2024-01-03T21:58:00Z', '2024-01-03T21:59:00Z', '2024-01-03T23:00:00Z']).found).toBeUndefined();
    const { found, metrics } = gaps(['2024-01-03T21:58:00Z', '2024-01-03T21:59:00Z', '2024-01-03T23:01:00Z']);
    expect(found).toMatchObject({ rows: [2] });
    expect(metrics.missingBars).toBe(1);
  });

  it('the weekend is not a gap: Friday 15:59 CT to the Sunday 17:00 CT open', () => {
    expect(gaps(['2024-01-05T21:58:00Z', '2024-01-05T21:59:00Z', '2024-01-07T23:00:00Z', '2024-01-07T23:01:00Z']).found).toBeUndefined();
  });

  it('DST weekends follow the zone: spring forward and fall back', () => {
    // Fri 2024-03-08 15:59 CST = 21:59Z; Sun 2024-03-10 17:00 CDT = 22:00Z
    expect(gaps(['2024-03-08T21:58:00Z', '2024-03-08T21:59:00Z', '2024-03-10T22:00:00Z', '2024-03-10T22:01:00Z']).found).toBeUndefined();
    // Fri 2024-11-01 15:59 CDT = 20:59Z; Sun 2024-11-03 17:00 CST = 23:00Z
    expect(gaps(['2024-11-01T20:58:00Z', '2024-11-01T20:59:00Z', '2024-11-03T23:00:00Z', '2024-11-03T23:01:00Z']).found).toBeUndefined();
    // the session opened at 22:00Z (17:00 CDT): a first bar at 23:00Z leaves 60 missing
    const { metrics } = gaps(['2024-03-08T21:58:00Z', '2024-03-08T21:59:00Z', '2024-03-10T23:00:00Z']);
    expect(metrics.missingBars).toBe(60);
  });

  it('a configured holiday is closed; built in, MLK Day trades until its 12:00 CT halt', () => {
    // Fri 2024-01-12 15:59 CST, then the session of Tue 2024-01-16 opening Mon 17:00 CST
    const times = ['2024-01-12T21:58:00Z', '2024-01-12T21:59:00Z', '2024-01-15T23:00:00Z'];
    const holiday = DataSchema.parse({ ...OHLCV_SCHEMA, rules: { ...OHLCV_SCHEMA.rules, session_gap: { sessionCalendar: [{ date: '2024-01-15' }] } } });
    expect(gaps(times, holiday).found).toBeUndefined();
    // the built-in CME calendar: Sunday 17:00 CST to the Monday 12:00 CST halt, 19 hours of minute bars
    const { found, metrics } = gaps(times);
    expect(metrics).toMatchObject({ gapCount: 1, missingBars: 19 * 60 });
    expect((found.details as { instruments: unknown[] }).instruments).toEqual([
      { asset: null, instrument: 'GENERIC', session: 'cme_globex_equity', calendar: 'cme_equity', source: 'fallback' },
    ]);
  });

  it('an early close ends the session early: built in for Black Friday, and configurable', () => {
    // Fri 2024-11-29 closes 12:15 CST (18:15Z) in the built-in calendar; next bar Sunday 17:00 CST
    const times = ['2024-11-29T18:13:00Z', '2024-11-29T18:14:00Z', '2024-12-01T23:00:00Z'];
    expect(gaps(times).found).toBeUndefined();
    // a schema entry replaces the built-in one: closing at 13:15 leaves 12:15–13:14 missing
    const later = DataSchema.parse({ ...OHLCV_SCHEMA, rules: { ...OHLCV_SCHEMA.rules, session_gap: { sessionCalendar: [{ date: '2024-11-29', close: '13:15' }] } } });
    expect(gaps(times, later).metrics.missingBars).toBe(60);
  });

  it('daily bars count missing trading dates, skipping weekends', () => {
    // Wed 3rd, Thu 4th, (Fri 5th missing), Mon 8th, Tue 9th
    const { found, metrics } = gaps(['2024-01-03T00:00:00Z', '2024-01-04T00:00:00Z', '2024-01-08T00:00:00Z', '2024-01-09T00:00:00Z']);
    expect(found).toMatchObject({ rows: [2] });
    expect(metrics).toMatchObject({ missingBars: 1, barIntervalSeconds: 86_400 });
  });
});

describe('price_spike and stale_price', () => {
  function walk(n: number): number[] {
    let seed = 42;
    let price = 5000;
    return Array.from({ length: n }, () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      price += ((seed % 9) - 4) * 0.25;
      return price;
    });
  }

  it('flags a jump far outside the robust band, and the jump back', () => {
    const closes = walk(300);
    closes[150] = closes[149] * 1.05;
    const found = issues(barsFromCloses('2024-01-03T15:00:00Z', 60, closes)).byRule('price_spike')[0];
    expect(found).toMatchObject({ code: 'PRICE_SPIKE', severity: 'warning', column: 'close', count: 2, rows: [150, 151] });
  });

  it('ordinary moves are not spikes', () => {
    expect(issues(barsFromCloses('2024-01-03T15:00:00Z', 60, walk(300))).byRule('price_spike')).toEqual([]);
  });

  it('flags the bars of a run of identical closes beyond maxRun', () => {
    const closes = walk(60);
    for (let i = 10; i <= 45; i++) closes[i] = 5100;
    const found = issues(barsFromCloses('2024-01-03T15:00:00Z', 60, closes)).byRule('stale_price')[0];
    expect(found).toMatchObject({ code: 'STALE_PRICE', count: 6, rows: [40, 41, 42, 43, 44, 45], details: { maxRun: 30, runs: 1 } });
  });
});
