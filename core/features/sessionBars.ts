import { CME_TIMEZONE } from '../time/cmeCalendar.js';
import { zoneOffsetMs } from '../time/zonedTime.js';
import { valueArea } from './featureMath.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * The trading date of a bar as days since 1970-01-01: the CME session (17:00 Chicago on the
 * day before) for intraday bars, the UTC date for daily or longer bars. Times are UTC
 * milliseconds. Chicago changes its offset only on whole UTC hours (07:00 and 08:00 UTC), so
 * the offset is looked up once per UTC hour: Intl is about 1 µs a call, which 4M bars felt.
 */
export class TradingDayClock {
  private hour = Number.NaN;
  private offset = 0;

  constructor(private readonly daily: boolean) {}

  day(ms: number): number {
    if (this.daily) return Math.floor(ms / DAY_MS);
    const hour = Math.floor(ms / HOUR_MS);
    if (hour !== this.hour) {
      this.hour = hour;
      this.offset = zoneOffsetMs(ms, CME_TIMEZONE);
    }
    const local = ms + this.offset;
    const localDay = Math.floor(local / DAY_MS);
    const localHour = Math.floor((local - localDay * DAY_MS) / HOUR_MS);
    return localHour >= 17 ? localDay + 1 : localDay;
  }
}

/** Daily bars by trading date, grown one bar at a time. */
interface DailySeries {
  day: number[];
  open: number[];
  high: number[];
  low: number[];
  close: number[];
  volume: number[];
}

/**
 * Folds bars (in time order) into daily bars: first open, highest high, lowest low, last
 * close, summed volume — the same comparisons and additions in the same order as a pass
 * over the whole history, so the values are identical. A day ends when the next bar's
 * trading date differs.
 */
export class DailyBarFolder {
  readonly series: DailySeries = { day: [], open: [], high: [], low: [], close: [], volume: [] };
  private current = Number.NaN;

  push(day: number, open: number, high: number, low: number, close: number, volume: number): void {
    const s = this.series;
    if (day !== this.current) {
      this.current = day;
      s.day.push(day);
      s.open.push(open);
      s.high.push(-Infinity);
      s.low.push(Infinity);
      s.close.push(close);
      s.volume.push(0);
    }
    const k = s.day.length - 1;
    if (high > s.high[k]) s.high[k] = high;
    if (low < s.low[k]) s.low[k] = low;
    s.close[k] = close;
    s.volume[k] += volume;
  }
}

/** One session's profile rows, levels in ascending price. */
export interface ProfileRows {
  day: number;
  price: number[];
  volume: number[];
  poc: number;
  high: number;
  low: number;
}

/**
 * The volume profile of sessions read bar by bar (in time order): each bar's volume goes to
 * the level of its close rounded to `tick`; when a session ends, `onSession` gets its levels
 * with the point of control and value area (see `valueArea`).
 */
export class VolumeProfileFolder {
  private current = Number.NaN;
  private levels = new Map<number, number>();

  constructor(
    private readonly tick: number,
    private readonly onSession: (rows: ProfileRows) => void,
    /** the share of a session's volume its value area holds */
    private readonly share = 0.7,
  ) {}

  push(day: number, close: number, volume: number): void {
    if (day !== this.current) {
      this.finish();
      this.current = day;
    }
    const level = Math.round(close / this.tick) * this.tick;
    this.levels.set(level, (this.levels.get(level) ?? 0) + volume);
  }

  /** Ends the open session (call once after the last bar). */
  finish(): void {
    if (this.levels.size === 0) return;
    const list = [...this.levels.entries()].map(([price, volume]) => ({ price, volume })).sort((a, b) => a.price - b.price);
    const area = valueArea(list, this.share);
    this.onSession({ day: this.current, price: list.map((l) => l.price), volume: list.map((l) => l.volume), poc: area.poc, high: area.high, low: area.low });
    this.levels = new Map();
  }
}
