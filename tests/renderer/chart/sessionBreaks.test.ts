import { describe, expect, it } from 'vitest';
import { drawnBars, sessionBreaks, type SeriesBar } from '../../../renderer/src/chart/chartBars.ts';

const at = (iso: string, row: number): SeriesBar => ({ t: Date.parse(iso), o: 10, h: 11, l: 9, c: 10, v: 1, row });
/** CME sessions (17:00 CT the evening before to 16:00 CT) of trading dates in January 2024 (CST, UTC−6). */
const cme = (date: string) => {
  const close = Date.parse(`${date}T22:00:00Z`);
  return { openMs: close - 23 * 3_600_000, closeMs: close };
};

describe('sessionBreaks', () => {
  it('puts a break after each close that has bars on both sides: the daily maintenance break, and the weekend as closed', () => {
    const bars = drawnBars([
      at('2024-01-04T21:58:00Z', 0), // Thursday 15:58 CT
      at('2024-01-04T21:59:00Z', 1),
      at('2024-01-04T23:00:00Z', 2), // 17:00 CT: Friday's session
      at('2024-01-05T21:59:00Z', 3), // Friday 15:59 CT
      at('2024-01-07T23:00:00Z', 4), // Sunday 17:00 CT: Monday's session
      at('2024-01-07T23:01:00Z', 5),
    ]);
    expect(sessionBreaks(bars, [cme('2024-01-04'), cme('2024-01-05'), cme('2024-01-08')])).toEqual([
      { index: 2, kind: 'daily' },
      { index: 4, kind: 'closed' },
    ]);
  });

  it('a bar stamped at the close belongs to its session; closes before the first or after the last bar draw nothing', () => {
    const bars = drawnBars([at('2024-01-04T21:59:00Z', 0), at('2024-01-04T22:00:00Z', 1), at('2024-01-04T23:00:00Z', 2)]);
    expect(sessionBreaks(bars, [cme('2024-01-03'), cme('2024-01-04'), cme('2024-01-05'), cme('2024-01-08')])).toEqual([{ index: 2, kind: 'daily' }]);
    expect(sessionBreaks(bars.slice(0, 1), [cme('2024-01-04')])).toEqual([]);
  });

  it('two closes between the same two bars (a session without bars) make one closed break', () => {
    const bars = drawnBars([at('2024-01-03T21:00:00Z', 0), at('2024-01-05T15:00:00Z', 1)]);
    expect(sessionBreaks(bars, [cme('2024-01-03'), cme('2024-01-04'), cme('2024-01-05')])).toEqual([{ index: 1, kind: 'closed' }]);
  });
});
