import { describe, expect, it } from 'vitest';
import { barAtTime, barTimesForRows, bucketLabel, drawnBars, spliceDetail, type SeriesBar } from '../../../renderer/src/chart/chartBars.ts';

const bar = (t: number, row: number, c = 10): SeriesBar => ({ t, o: c, h: c + 1, l: c - 1, c, v: 5, row });

describe('chartBars', () => {
  it('orders bars by time and merges bars that share a second', () => {
    const drawn = drawnBars([bar(120_000, 0, 10), bar(60_000, 1, 11), bar(120_500, 2, 12)]);
    expect(drawn).toEqual([
      { time: 60, open: 11, high: 12, low: 10, close: 11, volume: 5, row: 1, values: [] },
      { time: 120, open: 10, high: 13, low: 9, close: 12, volume: 10, row: 0, values: [] },
    ]);
  });

  it('drops bars with non-finite prices', () => {
    expect(drawnBars([{ ...bar(0, 0), h: Number.NaN }, bar(60_000, 1)])).toHaveLength(1);
  });

  it('finds the bar that holds each offending row', () => {
    const bars = [bar(0, 0), bar(900_000, 15), bar(1_800_000, 30)];
    expect(barTimesForRows(bars, [0, 14, 15, 29, 31, 1000])).toEqual([0, 900, 1800]);
    expect(barTimesForRows(bars, [20])).toEqual([900]);
    expect(barTimesForRows([], [1])).toEqual([]);
  });

  it('finds the bar at a clicked time', () => {
    const drawn = drawnBars([bar(0, 0), bar(60_000, 1), bar(120_000, 2)]);
    expect(barAtTime(drawn, 60)?.row).toBe(1);
    expect(barAtTime(drawn, 90)?.row).toBe(1);
    expect(barAtTime(drawn, -5)?.row).toBe(0);
    expect(barAtTime([], 5)).toBeNull();
  });

  it('splices a detailed window into the overview', () => {
    const overview = [bar(0, 0), bar(3_600_000, 60), bar(7_200_000, 120)];
    const detail = [bar(3_600_000, 60), bar(3_660_000, 61), bar(3_720_000, 62)];
    expect(spliceDetail(overview, detail, 3_600_000, 3_720_000).map((b) => b.row)).toEqual([0, 60, 61, 62, 120]);
    expect(spliceDetail(overview, [], 0, 1).map((b) => b.row)).toEqual([0, 60, 120]);
  });

  it('names bucket sizes', () => {
    expect(bucketLabel(60)).toBe('1 min');
    expect(bucketLabel(900)).toBe('15 min');
    expect(bucketLabel(7200)).toBe('2 h');
    expect(bucketLabel(86_400)).toBe('1 d');
    expect(bucketLabel(5)).toBe('5 s');
  });
});
