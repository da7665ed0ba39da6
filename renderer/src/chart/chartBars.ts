/**
 * Bars from `chart.series` made ready for lightweight-charts, which wants one bar per
 * second at most, strictly ascending: bars are ordered by time and bars that share a
 * second are merged (raw data may be unsorted or carry duplicate timestamps — exactly the
 * data one validates). Each drawn bar remembers the dataset rows it stands for, so a click
 * selects a row and validation issues mark the bars that hold their rows.
 */

import type { ChartBar } from '../../../core/api/contract.js';

/** A candle as `chart.series` sends it (the contract's ChartBar), with the values of the feature columns drawn with it (`f[k]` of the k-th asked for). */
export type SeriesBar = ChartBar & { f?: readonly (number | null)[] };

export interface DrawnBar {
  /** Seconds since the epoch (lightweight-charts' UTCTimestamp). */
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  /** The first dataset row of this bar. */
  row: number;
  /** The feature columns' values at this bar (null: none), in the order they were asked for. */
  values: (number | null)[];
}

/** Sorted by time, at most one bar per second. */
export function drawnBars(bars: readonly SeriesBar[]): DrawnBar[] {
  const sorted = bars
    .filter((b) => Number.isFinite(b.t) && Number.isFinite(b.o) && Number.isFinite(b.h) && Number.isFinite(b.l) && Number.isFinite(b.c))
    .map((b, i) => ({ b, i }))
    .sort((x, y) => x.b.t - y.b.t || x.i - y.i);
  const out: DrawnBar[] = [];
  for (const { b } of sorted) {
    const time = Math.floor(b.t / 1000);
    const last = out[out.length - 1];
    if (last && last.time === time) {
      last.high = Math.max(last.high, b.h);
      last.low = Math.min(last.low, b.l);
      last.close = b.c;
      last.volume += Number.isFinite(b.v) ? b.v : 0;
      last.row = Math.min(last.row, b.row);
      // the later bar's value, as its close: an indicator's value at the end of the second
      last.values = (b.f ?? []).map((value, k) => value ?? last.values[k] ?? null);
      continue;
    }
    out.push({ time, open: b.o, high: b.h, low: b.l, close: b.c, volume: Number.isFinite(b.v) ? b.v : 0, row: b.row, values: [...(b.f ?? [])] });
  }
  return out;
}

/**
 * For each offending row, the time of the bar that holds it: the bar (in the host's row
 * order) with the greatest first row not above it. Times come back unique and ascending.
 */
export function barTimesForRows(bars: readonly SeriesBar[], rows: Iterable<number>): number[] {
  const byRow = [...bars].sort((a, b) => a.row - b.row);
  const times = new Set<number>();
  if (byRow.length === 0) return [];
  for (const row of rows) {
    let lo = 0;
    let hi = byRow.length - 1;
    if (row < byRow[0].row) continue;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (byRow[mid].row <= row) lo = mid;
      else hi = mid - 1;
    }
    times.add(Math.floor(byRow[lo].t / 1000));
  }
  return [...times].sort((a, b) => a - b);
}

/** The drawn bar at a chart time (seconds), or the nearest one before it. */
export function barAtTime(bars: readonly DrawnBar[], time: number): DrawnBar | null {
  let lo = 0;
  let hi = bars.length - 1;
  if (hi < 0 || time < bars[0].time) return bars[0] ?? null;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (bars[mid].time <= time) lo = mid;
    else hi = mid - 1;
  }
  return bars[lo];
}

/**
 * The overview with a detailed window spliced in: overview bars before `fromMs` and after
 * `toMs`, the detail in between. Used when the user zooms into a downsampled series.
 */
export function spliceDetail(overview: readonly SeriesBar[], detail: readonly SeriesBar[], fromMs: number, toMs: number): SeriesBar[] {
  if (detail.length === 0) return [...overview];
  const start = Math.min(fromMs, detail[0].t);
  const end = Math.max(toMs, detail[detail.length - 1].t);
  return [...overview.filter((b) => b.t < start), ...detail, ...overview.filter((b) => b.t > end)];
}

/** "15 min", "1 h", "1 d" for a bucket size. */
export function bucketLabel(seconds: number): string {
  if (seconds <= 0) return '';
  if (seconds % 86_400 === 0) return `${seconds / 86_400} d`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** A trading session, UTC milliseconds [openMs, closeMs] (`instruments.sessions`). */
export interface SessionSpan {
  openMs: number;
  closeMs: number;
}

/** A session break among the drawn bars: `index` is the first bar after it; `daily` a break of less than a day (CME's 16:00–17:00 maintenance, a stock's night), `closed` a weekend or holiday. */
interface SessionBreak {
  index: number;
  kind: 'daily' | 'closed';
}

/**
 * Where the drawn bars cross from one session into the next: the first bar after each
 * session's close (the daily maintenance break, a weekend, a holiday) that has a bar
 * before it. A bar stamped exactly at a close (bars labelled by their end) still belongs
 * to the session it closes. Several closes between the same two bars (a holiday without
 * bars) make one break, `closed`. Ascending by index.
 */
export function sessionBreaks(bars: readonly DrawnBar[], sessions: readonly SessionSpan[]): SessionBreak[] {
  const found = new Map<number, SessionBreak>();
  if (bars.length < 2) return [];
  const sorted = [...sessions].sort((a, b) => a.openMs - b.openMs);
  for (const [k, s] of sorted.entries()) {
    const close = s.closeMs / 1000;
    // the first bar after the close
    let lo = 0;
    let hi = bars.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (bars[mid].time <= close) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0 || lo === bars.length) continue;
    const next = sorted[k + 1];
    const kind: SessionBreak['kind'] = next && next.openMs - s.closeMs < 86_400_000 && !found.has(lo) ? 'daily' : 'closed';
    found.set(lo, { index: lo, kind });
  }
  return [...found.values()].sort((a, b) => a.index - b.index);
}

/** A feature column's answer of `chart.series`: one value per bar. */
interface FeatureValues {
  path: string;
  column: string;
  values: readonly (number | null)[];
}

/**
 * The bars of one `chart.series` answer with the values of the features asked for attached
 * to each (`f[k]` from `features[k]`), index for index, as the host aligned them. An answer
 * whose features do not match what was asked (another column, another count of values) is
 * refused: drawn, it would put an indicator under the wrong candles.
 */
export function attachFeatures(bars: readonly ChartBar[], features: readonly FeatureValues[], asked: readonly { path: string; column: string }[]): SeriesBar[] {
  if (features.length !== asked.length) throw new Error(`the chart asked for ${asked.length} feature columns and got ${features.length}`);
  for (const [k, feature] of features.entries()) {
    if (feature.path !== asked[k].path || feature.column !== asked[k].column) throw new Error(`feature ${k + 1} of the chart is ${feature.path} ${feature.column}, not ${asked[k].path} ${asked[k].column}`);
    if (feature.values.length !== bars.length) throw new Error(`${feature.column} of ${feature.path} has ${feature.values.length} values for ${bars.length} bars`);
  }
  return bars.map((bar, i) => ({ ...bar, f: features.map((feature) => feature.values[i]) }));
}
