import { isTradingDate, SESSION_TEMPLATES, sessionsOverlapping, tradingDateOfMs, type SessionTemplate } from '../instruments/sessionTemplates.js';
import type { SessionCalendarEntry } from '../time/cmeCalendar.js';
import { holidayCalendar } from '../time/holidayCalendar.js';
import { daysFromIso, isoFromDays } from '../time/holidayRules.js';
import { deltaNs, msAt, type FloatColumn, type TimestampColumn } from './columnData.js';
import { RowCollector } from './issueRows.js';

/**
 * The trading rules, vectorized over typed arrays (no per-row objects). Each returns the
 * offending rows of one check. `order` lists the rows of one instrument in file order
 * (null: every row, 0…n−1); rows reported are positions in the target as read.
 */

export type RowOrder = Int32Array | null;

function rowAt(order: RowOrder, j: number): number {
  return order ? order[j] : j;
}

function lengthOf(order: RowOrder, n: number): number {
  return order ? order.length : n;
}

/** NaN and ±Infinity among present values. */
export function nonFiniteRows(column: FloatColumn): RowCollector {
  const out = new RowCollector();
  const { values, valid } = column;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0 && (valid === null || valid[i] === 1)) out.add(i);
  }
  return out;
}

/** Prices ≤ 0 (NaN is finite_values' business). */
export function nonPositiveRows(column: FloatColumn): RowCollector {
  const out = new RowCollector();
  const { values, valid } = column;
  for (let i = 0; i < values.length; i++) {
    if (values[i] <= 0 && (valid === null || valid[i] === 1)) out.add(i);
  }
  return out;
}

/** Values < 0. */
export function negativeRows(column: FloatColumn): RowCollector {
  const out = new RowCollector();
  const { values, valid } = column;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < 0 && (valid === null || valid[i] === 1)) out.add(i);
  }
  return out;
}

interface OhlcScan {
  /** per column open, high, low, close */
  nonFinite: RowCollector[];
  nonPositive: RowCollector[];
  inconsistent: RowCollector;
}

/**
 * finite_values, positive_price and ohlc_consistency for the four price columns in one pass.
 * A bar that is finite, positive and consistent passes one comparison chain (NaN fails every
 * comparison, so it drops to the exact checks); only failing bars pay for per-rule work.
 */
export function scanOhlc(open: FloatColumn, high: FloatColumn, low: FloatColumn, close: FloatColumn): OhlcScan {
  const columns = [open, high, low, close];
  const scan: OhlcScan = {
    nonFinite: columns.map(() => new RowCollector()),
    nonPositive: columns.map(() => new RowCollector()),
    inconsistent: new RowCollector(),
  };
  const o = open.values;
  const h = high.values;
  const l = low.values;
  const c = close.values;
  const n = o.length;
  for (let i = 0; i < n; i++) {
    const hi = h[i];
    const li = l[i];
    const oi = o[i];
    const ci = c[i];
    if (li > 0 && hi < Infinity && hi >= oi && hi >= ci && li <= oi && li <= ci) continue;
    let allPresent = true;
    for (let k = 0; k < 4; k++) {
      const column = columns[k];
      if (column.valid !== null && column.valid[i] === 0) {
        allPresent = false;
        continue;
      }
      const v = column.values[i];
      if (v - v !== 0) scan.nonFinite[k].add(i);
      else if (v <= 0) scan.nonPositive[k].add(i);
    }
    if (allPresent && (hi < oi || hi < ci || li > oi || li > ci || hi < li)) scan.inconsistent.add(i);
  }
  return scan;
}

/** Negative values of a signed 64-bit column given as 32-bit words (see int64Words). */
export function negativeInt64Rows(words: Int32Array, valid: Uint8Array | null): RowCollector {
  const out = new RowCollector();
  const n = words.length >> 1;
  for (let i = 0; i < n; i++) {
    if (words[2 * i + 1] < 0 && (valid === null || valid[i] === 1)) out.add(i);
  }
  return out;
}

/**
 * sorted_timestamp and unique_timestamp in one pass over consecutive rows: a row earlier
 * than the one before it is unsorted, a row equal to it repeats it. When the rows turn out
 * unsorted, repeats are found again with a set, since they need not be neighbours.
 */
export function timestampOrderRows(ts: TimestampColumn, order: RowOrder): { unsorted: RowCollector; duplicates: RowCollector } {
  const unsorted = new RowCollector();
  let duplicates = new RowCollector();
  const n = lengthOf(order, ts.ns.length);
  const w = ts.words;
  for (let j = 1; j < n; j++) {
    const a = order ? order[j - 1] : j - 1;
    const b = order ? order[j] : j;
    const dh = w[2 * a + 1] - w[2 * b + 1];
    const cmp = dh !== 0 ? dh : (w[2 * a] >>> 0) - (w[2 * b] >>> 0);
    if (cmp > 0) unsorted.add(b);
    else if (cmp === 0) duplicates.add(b);
  }
  if (unsorted.count > 0) {
    // out of order, equal values need not be neighbours: find the values that repeat with a
    // native sort of a copy (a Set of every value costs ~1 µs a row), then their later rows
    duplicates = new RowCollector();
    const sorted = new BigInt64Array(n);
    for (let j = 0; j < n; j++) sorted[j] = ts.ns[rowAt(order, j)];
    sorted.sort();
    const repeated = new Set<bigint>();
    for (let j = 1; j < n; j++) if (sorted[j] === sorted[j - 1]) repeated.add(sorted[j]);
    if (repeated.size > 0) {
      const seen = new Set<bigint>();
      const repeats: number[] = [];
      for (let j = 0; j < n; j++) {
        const row = rowAt(order, j);
        const value = ts.ns[row];
        if (!repeated.has(value)) continue;
        if (seen.has(value)) repeats.push(row);
        else seen.add(value);
      }
      repeats.sort((x, y) => x - y);
      for (const row of repeats) duplicates.add(row);
    }
  }
  return { unsorted, duplicates };
}

/** The most common positive step between consecutive bars, in whole seconds (null: under 2 bars). */
export function inferIntervalSeconds(ts: TimestampColumn, order: RowOrder): number | null {
  const n = Math.min(lengthOf(order, ts.ns.length), 20_001);
  return mostCommonStep(n - 1, (j) => Math.round(deltaNs(ts, rowAt(order, j), rowAt(order, j + 1)) / 1e9));
}

/**
 * The most common positive value of `count` steps (`stepAt(0)` … `stepAt(count - 1)`, whole
 * seconds), the smaller on a tie; null when none is positive.
 */
export function mostCommonStep(count: number, stepAt: (j: number) => number): number | null {
  const counts = new Map<number, number>();
  for (let j = 0; j < count; j++) {
    const step = stepAt(j);
    if (step > 0) counts.set(step, (counts.get(step) ?? 0) + 1);
  }
  let best: number | null = null;
  let bestCount = 0;
  for (const [step, seen] of counts) {
    if (seen > bestCount || (seen === bestCount && best !== null && step < best)) {
      best = step;
      bestCount = seen;
    }
  }
  return best;
}

interface GapFinding {
  row: number;
  from: string;
  to: string;
  missingBars: number;
}

interface GapResult {
  rows: RowCollector;
  missingBars: number;
  gaps: GapFinding[];
}

const DAY_MS = 86_400_000;

interface SessionGapOptions {
  intervalSeconds: number;
  calendar: 'cme_globex' | 'continuous';
  /** Holidays and early closes layered over the template's built-in calendar. */
  sessionCalendar: SessionCalendarEntry[];
  /** Zone of the hours when no `session` is given (the schema's exchange zone). */
  timeZone: string;
  /**
   * The instrument's session template (hours, zone, built-in calendar). Absent: CME Globex
   * equity-index hours in `timeZone` with only `sessionCalendar` as holidays, as before
   * instruments existed.
   */
  session?: SessionTemplate;
}

/** The date a daily bar stands for: date-only bars sit at 00:00 UTC of their date; others follow the session rule. */
function dailyBarDay(template: SessionTemplate, ms: number): number {
  if (ms % DAY_MS === 0) return ms / DAY_MS;
  return daysFromIso(tradingDateOfMs(template, ms));
}

/**
 * Missing bars inside trading hours. For intraday bars, every bar slot on the grid of the
 * previous bar that falls inside a session of the template (its hours, holidays and early
 * closes) and before the next bar is missing; the maintenance break, weekends, holidays and
 * the time after an early close are not. For daily (or longer) bars, every trading date
 * strictly between two bars is missing: a weekday the template trades that is not a
 * holiday (early closes still count). With calendar `continuous` every slot counts. The row
 * reported is the first bar after the gap. Times in UTC milliseconds, intervals in seconds.
 */
export function sessionGapRows(ts: TimestampColumn, order: RowOrder, options: SessionGapOptions): GapResult {
  const result: GapResult = { rows: new RowCollector(), missingBars: 0, gaps: [] };
  const n = lengthOf(order, ts.ns.length);
  if (n < 2) return result;
  const intervalMs = options.intervalSeconds * 1000;
  // consecutive bars one interval (or less) apart are the common case: compare in nanoseconds first
  const intervalNs = options.intervalSeconds * 1e9 * 1.000001;
  const daily = options.intervalSeconds >= 86_400;
  const template: SessionTemplate = options.session ?? { ...SESSION_TEMPLATES.cme_globex_equity, timeZone: options.timeZone, calendar: 'none' };
  const holidays = holidayCalendar(template.calendar, options.sessionCalendar);
  const sessions =
    options.calendar === 'cme_globex' && !daily ? sessionsOverlapping(template, holidays, msAt(ts, rowAt(order, 0)), msAt(ts, rowAt(order, n - 1))) : [];
  let sessionIndex = 0;
  for (let j = 1; j < n; j++) {
    const a = rowAt(order, j - 1);
    const b = rowAt(order, j);
    const step = deltaNs(ts, a, b);
    if (step <= intervalNs || (ts.valid && (ts.valid[a] === 0 || ts.valid[b] === 0))) continue;
    const t0 = msAt(ts, a);
    const t1 = msAt(ts, b);
    let missing = 0;
    if (options.calendar === 'continuous') {
      missing = Math.ceil((t1 - t0) / intervalMs - 1e-9) - 1;
    } else if (daily) {
      const last = dailyBarDay(template, t1);
      for (let day = dailyBarDay(template, t0) + 1; day < last; day++) {
        if (isTradingDate(template, holidays, isoFromDays(day))) missing++;
      }
    } else {
      while (sessionIndex < sessions.length && sessions[sessionIndex].closeMs <= t0) sessionIndex++;
      for (let s = sessionIndex; s < sessions.length && sessions[s].openMs < t1; s++) {
        const from = Math.max(sessions[s].openMs, t0 + intervalMs);
        const to = Math.min(sessions[s].closeMs, t1);
        if (to <= from) continue;
        const firstSlot = Math.ceil((from - t0) / intervalMs - 1e-9);
        const lastSlot = Math.ceil((to - t0) / intervalMs - 1e-9) - 1;
        if (lastSlot >= firstSlot) missing += lastSlot - firstSlot + 1;
      }
    }
    if (missing > 0) {
      result.rows.add(b);
      result.missingBars += missing;
      if (result.gaps.length < 20) {
        result.gaps.push({ row: b, from: new Date(t0).toISOString(), to: new Date(t1).toISOString(), missingBars: missing });
      }
    }
  }
  return result;
}

/** The k-th smallest of values[0..length) (reorders the array in place). */
function select(values: Float64Array, length: number, k: number): number {
  let left = 0;
  let right = length - 1;
  while (left < right) {
    const pivot = values[(left + right) >> 1];
    let i = left;
    let j = right;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const t = values[i];
        values[i] = values[j];
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return values[k];
  }
  return values[k];
}

function median(values: Float64Array, length: number): number {
  return select(values, length, length >> 1);
}

/**
 * Bars whose return (close / previous close − 1) lies far outside a robust band: per block of `window` returns, the
 * median ± `threshold` × 1.4826 × MAD (the MAD scaled to a standard deviation; the mean
 * absolute deviation stands in when the MAD is 0). A single spike cannot widen its own band.
 */
export function priceSpikeRows(close: FloatColumn, order: RowOrder, window: number, threshold: number): RowCollector {
  const out = new RowCollector();
  const n = lengthOf(order, close.values.length);
  const returns = new Float64Array(n);
  const rows = new Int32Array(n);
  let count = 0;
  let previous = Number.NaN;
  for (let j = 0; j < n; j++) {
    const row = rowAt(order, j);
    const value = close.valid && close.valid[row] === 0 ? Number.NaN : close.values[row];
    if (value > 0 && previous > 0 && Number.isFinite(value) && Number.isFinite(previous)) {
      returns[count] = value / previous - 1;
      rows[count] = row;
      count++;
    }
    if (value > 0 && Number.isFinite(value)) previous = value;
  }
  const scratch = new Float64Array(window);
  const flagged: number[] = [];
  for (let start = 0; start < count; start += window) {
    // the last block borrows from the one before so it never has too few returns
    const blockStart = Math.max(0, Math.min(start, count - window));
    const length = Math.min(window, count - blockStart);
    if (length < 5) continue;
    scratch.set(returns.subarray(blockStart, blockStart + length));
    const center = median(scratch, length);
    let absSum = 0;
    for (let k = 0; k < length; k++) {
      scratch[k] = Math.abs(returns[blockStart + k] - center);
      absSum += scratch[k];
    }
    const mad = median(scratch, length);
    const scale = mad > 0 ? 1.4826 * mad : (absSum / length) * 1.2533;
    if (!(scale > 0)) continue;
    const limit = threshold * scale;
    for (let k = start; k < Math.min(start + window, count); k++) {
      if (Math.abs(returns[k] - center) > limit) flagged.push(rows[k]);
    }
  }
  flagged.sort((a, b) => a - b);
  for (const row of flagged) out.add(row);
  return out;
}

/** Rows that extend a run of identical closes beyond `maxRun` bars; also counts the runs. */
export function stalePriceRows(close: FloatColumn, order: RowOrder, maxRun: number): { rows: RowCollector; runs: number } {
  const out = new RowCollector();
  const n = lengthOf(order, close.values.length);
  let runs = 0;
  let runLength = 1;
  const flagged: number[] = [];
  for (let j = 1; j < n; j++) {
    const a = rowAt(order, j - 1);
    const b = rowAt(order, j);
    const present = !close.valid || (close.valid[a] === 1 && close.valid[b] === 1);
    if (present && close.values[a] === close.values[b]) {
      runLength++;
      if (runLength === maxRun + 1) runs++;
      if (runLength > maxRun) flagged.push(b);
    } else {
      runLength = 1;
    }
  }
  flagged.sort((a, b) => a - b);
  for (const row of flagged) out.add(row);
  return { rows: out, runs };
}
