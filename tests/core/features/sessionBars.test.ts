import { describe, expect, it } from 'vitest';
import { DailyBarFolder, TradingDayClock, VolumeProfileFolder, type ProfileRows } from '../../../core/features/sessionBars.js';
import { CME_TIMEZONE } from '../../../core/time/cmeCalendar.js';
import { zoneOffsetMs } from '../../../core/time/zonedTime.js';

const DAY = 86_400_000;
const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / DAY;

/** The trading date with the zone looked up for every bar (what the clock caches per hour). */
function direct(ms: number): number {
  const local = ms + zoneOffsetMs(ms, CME_TIMEZONE);
  const localDay = Math.floor(local / DAY);
  const hour = Math.floor((local - localDay * DAY) / 3_600_000);
  return hour >= 17 ? localDay + 1 : localDay;
}

describe('TradingDayClock', () => {
  it('gives every minute of both 2024 daylight-saving weekends the session date of a per-bar zone lookup', () => {
    const clock = new TradingDayClock(false);
    for (const start of ['2024-03-08T00:00:00Z', '2024-11-01T00:00:00Z']) {
      const from = Date.parse(start);
      for (let ms = from; ms < from + 5 * DAY; ms += 60_000) expect(clock.day(ms), new Date(ms).toISOString()).toBe(direct(ms));
    }
  });

  it('opens the session at 17:00 Chicago (22:00Z in summer, 23:00Z in winter); daily bars keep their UTC date', () => {
    const clock = new TradingDayClock(false);
    expect(clock.day(Date.parse('2024-07-01T21:59:00Z'))).toBe(day('2024-07-01'));
    expect(clock.day(Date.parse('2024-07-01T22:00:00Z'))).toBe(day('2024-07-02'));
    expect(clock.day(Date.parse('2024-01-02T22:59:00Z'))).toBe(day('2024-01-02'));
    expect(clock.day(Date.parse('2024-01-02T23:00:00Z'))).toBe(day('2024-01-03'));
    expect(new TradingDayClock(true).day(Date.parse('2024-01-02T23:00:00Z'))).toBe(day('2024-01-02'));
  });
});

describe('DailyBarFolder', () => {
  it('takes the first open, highest high, lowest low, last close and summed volume of each day', () => {
    const folder = new DailyBarFolder();
    folder.push(10, 100, 101, 99, 100.5, 5);
    folder.push(10, 100.5, 103, 100, 102, 7);
    folder.push(10, 102, 102.5, 98, 99, 1);
    folder.push(11, 99, 99.5, 98.5, 99.25, 4);
    expect(folder.series).toEqual({ day: [10, 11], open: [100, 99], high: [103, 99.5], low: [98, 98.5], close: [99, 99.25], volume: [13, 4] });
  });
});

describe('VolumeProfileFolder', () => {
  it('puts each bar volume at its close rounded to the tick and reports each session with POC and value area', () => {
    const sessions: ProfileRows[] = [];
    const folder = new VolumeProfileFolder(0.25, (rows) => sessions.push(rows));
    // 5000.1 rounds to 5000, 5000.2 to 5000.25
    folder.push(1, 5000.1, 10);
    folder.push(1, 5000.2, 30);
    folder.push(1, 5000, 5);
    folder.push(2, 5010, 7);
    expect(sessions).toEqual([{ day: 1, price: [5000, 5000.25], volume: [15, 30], poc: 5000.25, high: 5000.25, low: 5000 }]);
    folder.finish();
    expect(sessions[1]).toEqual({ day: 2, price: [5010], volume: [7], poc: 5010, high: 5010, low: 5010 });
    folder.finish();
    expect(sessions.length).toBe(2);
  });
});
