/**
 * The arithmetic of the feature sets, on plain arrays, and the same recurrences one value at
 * a time (`EmaState`, `WilderRsiState`, `MomentumState`) for builds that stream. NaN marks
 * "not defined yet" (warm-up) and becomes null in the written columns. Formulas are written
 * down in docs/features.md.
 */

/**
 * Exponential moving average with smoothing 2 / (period + 1), seeded with the simple mean of
 * the first `period` values (the TA-Lib convention): NaN before that point. NaN inputs before
 * the first value are skipped (the seed starts at the first defined value).
 */
export function ema(values: Float64Array, period: number): Float64Array {
  const out = new Float64Array(values.length);
  const state = new EmaState(period);
  for (let i = 0; i < values.length; i++) out[i] = state.push(values[i]);
  return out;
}

/**
 * `ema` one value at a time, for inputs read in chunks: the same operations in the same
 * order, so the values are bit for bit those of the array form.
 */
export class EmaState {
  private readonly alpha: number;
  private started = false;
  private count = 0;
  private sum = 0;
  private previous = Number.NaN;

  constructor(private readonly period: number) {
    this.alpha = 2 / (period + 1);
  }

  /** What the state holds, to go on from later (`restore`): started, count, sum, previous. */
  save(): number[] {
    return [this.started ? 1 : 0, this.count, this.sum, this.previous];
  }

  /** Takes up what `save` gave: the next `push` computes what it would have computed then. */
  restore(saved: readonly number[]): void {
    [this.started, this.count, this.sum, this.previous] = [saved[0] === 1, saved[1], saved[2], saved[3]];
  }

  /** The EMA at this value (NaN while warming up). */
  push(value: number): number {
    if (!this.started) {
      // leading NaNs (another indicator's warm-up) are skipped, later ones propagate
      if (Number.isNaN(value)) return Number.NaN;
      this.started = true;
    }
    if (this.count < this.period) {
      this.sum += value;
      this.count++;
      if (this.count < this.period) return Number.NaN;
      this.previous = this.sum / this.period;
      return this.previous;
    }
    this.previous = this.alpha * value + (1 - this.alpha) * this.previous;
    return this.previous;
  }
}

/**
 * Wilder's RSI: the first average gain and loss are the simple means of the first `period`
 * changes, then each average is (previous × (period − 1) + current) / period;
 * RSI = 100 − 100 / (1 + average gain / average loss), 100 when there was no loss.
 * The first value is at index `period`.
 */
export function wilderRsi(closes: Float64Array, period: number): Float64Array {
  const out = new Float64Array(closes.length);
  const state = new WilderRsiState(period);
  for (let i = 0; i < closes.length; i++) out[i] = state.push(closes[i]);
  return out;
}

/** `wilderRsi` one close at a time (bit for bit the array form's values). */
export class WilderRsiState {
  private index = 0;
  private last = Number.NaN;
  private gain = 0;
  private loss = 0;

  constructor(private readonly period: number) {}

  /** What the state holds (`restore`): index, last close, average gain, average loss. */
  save(): number[] {
    return [this.index, this.last, this.gain, this.loss];
  }

  restore(saved: readonly number[]): void {
    [this.index, this.last, this.gain, this.loss] = saved;
  }

  private rsi(): number {
    return this.loss === 0 ? 100 : 100 - 100 / (1 + this.gain / this.loss);
  }

  /** The RSI at this close (NaN for the first `period` closes). */
  push(close: number): number {
    const i = this.index++;
    const change = close - this.last;
    this.last = close;
    if (i === 0) return Number.NaN;
    const period = this.period;
    if (i <= period) {
      if (change > 0) this.gain += change;
      else this.loss -= change;
      if (i < period) return Number.NaN;
      this.gain /= period;
      this.loss /= period;
      return this.rsi();
    }
    this.gain = (this.gain * (period - 1) + Math.max(change, 0)) / period;
    this.loss = (this.loss * (period - 1) + Math.max(-change, 0)) / period;
    return this.rsi();
  }
}

/** MACD: line = EMA(fast) − EMA(slow) of closes; signal = EMA(signal) of the line; histogram = line − signal. */
export function macd(closes: Float64Array, fast = 12, slow = 26, signalPeriod = 9): { line: Float64Array; signal: Float64Array; histogram: Float64Array } {
  const fastEma = ema(closes, fast);
  const slowEma = ema(closes, slow);
  const line = fastEma.map((value, i) => value - slowEma[i]);
  const signal = ema(line, signalPeriod);
  const histogram = line.map((value, i) => value - signal[i]);
  return { line, signal, histogram };
}

/** close − close `period` bars earlier, and the rate of change in percent. */
export function momentum(closes: Float64Array, period: number): { momentum: Float64Array; roc: Float64Array } {
  const m = new Float64Array(closes.length).fill(Number.NaN);
  const roc = new Float64Array(closes.length).fill(Number.NaN);
  for (let i = period; i < closes.length; i++) {
    m[i] = closes[i] - closes[i - period];
    roc[i] = (closes[i] / closes[i - period] - 1) * 100;
  }
  return { momentum: m, roc };
}

/** The periods of the momentum indicators, in bars (defaults: RSI 14, MACD 12 / 26 / 9, momentum and rate of change 10). */
export interface MomentumPeriods {
  rsi: number;
  macdFast: number;
  macdSlow: number;
  macdSignal: number;
  momentum: number;
}

export const DEFAULT_MOMENTUM_PERIODS: MomentumPeriods = { rsi: 14, macdFast: 12, macdSlow: 26, macdSignal: 9, momentum: 10 };

/**
 * MACD(12, 26, 9), RSI(14), momentum and rate of change over 10 bars (or the periods given),
 * one close at a time, for closes read in chunks: `push` writes row `at` of each output (NaN
 * while warming up), bit for bit what `wilderRsi`, `macd` and `momentum` give over the whole
 * array.
 */
export class MomentumState {
  private readonly rsi: WilderRsiState;
  private readonly fast: EmaState;
  private readonly slow: EmaState;
  private readonly signal: EmaState;
  /** the last `period` closes, a ring */
  private readonly ring: Float64Array;
  private readonly period: number;
  private seen = 0;

  constructor(periods: MomentumPeriods = DEFAULT_MOMENTUM_PERIODS) {
    this.rsi = new WilderRsiState(periods.rsi);
    this.fast = new EmaState(periods.macdFast);
    this.slow = new EmaState(periods.macdSlow);
    this.signal = new EmaState(periods.macdSignal);
    this.period = periods.momentum;
    this.ring = new Float64Array(periods.momentum);
  }

  /**
   * What the recurrences hold after the closes taken so far, without the ring of the last
   * `momentum` closes (those are in the source, and `restore` takes them from there): the
   * count, RSI, fast, slow and signal EMA states.
   */
  save(): MomentumSaved {
    return { seen: this.seen, rsi: this.rsi.save(), fast: this.fast.save(), slow: this.slow.save(), signal: this.signal.save() };
  }

  /**
   * Takes up a saved state and the closes before it (at least the last `momentum` of them,
   * fewer only when fewer were taken): the next `push` gives bit for bit what the state that
   * was saved would have given.
   */
  restore(saved: MomentumSaved, closesBefore: Float64Array): void {
    this.seen = saved.seen;
    this.rsi.restore(saved.rsi);
    this.fast.restore(saved.fast);
    this.slow.restore(saved.slow);
    this.signal.restore(saved.signal);
    const m = Math.min(this.period, saved.seen, closesBefore.length);
    for (let k = 0; k < m; k++) {
      const at = saved.seen - m + k;
      this.ring[at % this.period] = closesBefore[closesBefore.length - m + k];
    }
  }

  push(close: number, at: number, out: MomentumOutputs): void {
    out.rsi14[at] = this.rsi.push(close);
    const line = this.fast.push(close) - this.slow.push(close);
    const signal = this.signal.push(line);
    out.macdLine[at] = line;
    out.macdSignal[at] = signal;
    out.macdHistogram[at] = line - signal;
    const slot = this.seen % this.period;
    if (this.seen >= this.period) {
      const before = this.ring[slot];
      out.momentum10[at] = close - before;
      out.roc10[at] = (close / before - 1) * 100;
    } else {
      out.momentum10[at] = Number.NaN;
      out.roc10[at] = Number.NaN;
    }
    this.ring[slot] = close;
    this.seen++;
  }
}

/** A `MomentumState` as `save` gives it (numbers, NaN included). */
export interface MomentumSaved {
  seen: number;
  rsi: number[];
  fast: number[];
  slow: number[];
  signal: number[];
}

export interface MomentumOutputs {
  rsi14: Float64Array;
  macdLine: Float64Array;
  macdSignal: Float64Array;
  macdHistogram: Float64Array;
  momentum10: Float64Array;
  roc10: Float64Array;
}

/**
 * Annualized realized volatility: the sample standard deviation (n − 1) of the last `window`
 * log returns of daily closes × √252. Index i uses the returns ending at close i; NaN until
 * `window` returns exist.
 */
export function realizedVolatility(dailyCloses: Float64Array, window: number, periodsPerYear = 252): Float64Array {
  const out = new Float64Array(dailyCloses.length).fill(Number.NaN);
  const returns = new Float64Array(dailyCloses.length).fill(Number.NaN);
  for (let i = 1; i < dailyCloses.length; i++) returns[i] = Math.log(dailyCloses[i] / dailyCloses[i - 1]);
  for (let i = window; i < dailyCloses.length; i++) {
    let mean = 0;
    for (let k = i - window + 1; k <= i; k++) mean += returns[k];
    mean /= window;
    let squares = 0;
    for (let k = i - window + 1; k <= i; k++) squares += (returns[k] - mean) ** 2;
    out[i] = Math.sqrt(squares / (window - 1)) * Math.sqrt(periodsPerYear);
  }
  return out;
}

/** True range: max(high, previous close) − min(low, previous close); the first day high − low. */
export function trueRange(high: Float64Array, low: Float64Array, close: Float64Array): Float64Array {
  return high.map((h, i) => (i === 0 ? h - low[i] : Math.max(h, close[i - 1]) - Math.min(low[i], close[i - 1])));
}

/** Wilder's average of a series: the mean of the first `period`, then (previous × (period − 1) + current) / period. */
export function wilderAverage(values: Float64Array, period: number): Float64Array {
  const out = new Float64Array(values.length).fill(Number.NaN);
  if (values.length < period) return out;
  let average = 0;
  for (let i = 0; i < period; i++) average += values[i];
  average /= period;
  out[period - 1] = average;
  for (let i = period; i < values.length; i++) {
    average = (average * (period - 1) + values[i]) / period;
    out[i] = average;
  }
  return out;
}

interface ProfileLevel {
  price: number;
  volume: number;
}

/**
 * A session's point of control and value area. The POC is the level with the most volume
 * (the lower price on a tie). The value area grows from the POC one level at a time, taking
 * the neighbouring level (above or below) with more volume (above on a tie), until it holds
 * `share` (70 %) of the session's volume.
 */
export function valueArea(levels: ProfileLevel[], share = 0.7): { poc: number; high: number; low: number } {
  const sorted = [...levels].sort((a, b) => a.price - b.price);
  let pocIndex = 0;
  for (let i = 1; i < sorted.length; i++) if (sorted[i].volume > sorted[pocIndex].volume) pocIndex = i;
  const total = sorted.reduce((sum, l) => sum + l.volume, 0);
  let lowIndex = pocIndex;
  let highIndex = pocIndex;
  let inside = sorted[pocIndex].volume;
  while (inside < share * total && (lowIndex > 0 || highIndex < sorted.length - 1)) {
    const above = highIndex < sorted.length - 1 ? sorted[highIndex + 1].volume : -1;
    const below = lowIndex > 0 ? sorted[lowIndex - 1].volume : -1;
    if (above >= below) {
      highIndex++;
      inside += above;
    } else {
      lowIndex--;
      inside += below;
    }
  }
  return { poc: sorted[pocIndex].price, high: sorted[highIndex].price, low: sorted[lowIndex].price };
}
