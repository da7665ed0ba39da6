import { daysToDate } from '../arrow/arrowJson.js';
import { instrumentCalendar } from '../instruments/instrumentRegistry.js';
import type { Instrument } from '../instruments/instrumentSchema.js';
import { sessionOfDate } from '../instruments/sessionTemplates.js';
import type { HolidayCalendar } from '../time/holidayCalendar.js';
import { weekdayOfDays } from '../time/holidayRules.js';
import type { TradingSession } from '../time/cmeCalendar.js';
import type { TimeZoneRules } from './timeZoneRules.js';

/**
 * Rows that ingest put where the instrument does not trade: on a weekend (a trading date
 * whose weekday has no session, as a file in another zone's local time read as Chicago
 * gives Saturday dates), on a closed holiday, or between sessions (the daily maintenance
 * break, the night for stocks, after an early close). Counted per kind with the first
 * timestamps; never for daily bars, where sessions do not apply. A bar stamped exactly at
 * a session's close (bars labelled by their end) is inside it.
 */

type SessionWarningKind = 'weekend' | 'holiday' | 'outside_session';

interface SessionWarningExample {
  /** The instant, ISO 8601 UTC. */
  timestamp: string;
  /** Its wall-clock time in the zone naive times were read in (as a naive file writes it). */
  local: string;
  tradingDate: string;
}

export interface SessionWarning {
  kind: SessionWarningKind;
  /** Rows of this kind. */
  count: number;
  /** Distinct trading dates they fall on. */
  dates: number;
  /** The first rows of this kind, in file order. */
  examples: SessionWarningExample[];
  /** The warning in words, naming the count, the first timestamps and what to check. */
  message: string;
}

/** Examples kept per kind. */
const SESSION_WARNING_EXAMPLES = 3;
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

interface Tally {
  count: number;
  days: Set<number>;
  examples: SessionWarningExample[];
}

export class SessionChecker {
  private readonly calendar: HolidayCalendar;
  private readonly tallies = new Map<SessionWarningKind, Tally>();
  private readonly sessions = new Map<number, TradingSession | null>();
  private lastDay = Number.NaN;
  private lastSession: TradingSession | null = null;

  /** `readZone`: the zone naive times were read in, for the examples' wall-clock times. */
  constructor(
    private readonly instrument: Instrument,
    private readonly readZone: TimeZoneRules,
  ) {
    this.calendar = instrumentCalendar(instrument);
  }

  /** Checks one batch: UTC seconds and nanoseconds, and the trading day (days since 1970) the rule gave each row. */
  add(seconds: Float64Array, nanos: Int32Array, tradingDays: Int32Array, rows: number): void {
    for (let i = 0; i < rows; i++) {
      const day = tradingDays[i];
      if (day !== this.lastDay) {
        let session = this.sessions.get(day);
        if (session === undefined) {
          session = sessionOfDate(this.instrument.session, this.calendar, daysToDate(day));
          if (this.sessions.size > 100_000) this.sessions.clear();
          this.sessions.set(day, session);
        }
        this.lastDay = day;
        this.lastSession = session;
      }
      const ms = seconds[i] * 1000 + Math.floor(nanos[i] / 1e6);
      const session = this.lastSession;
      if (session && ms >= session.openMs && ms <= session.closeMs) continue;
      const kind: SessionWarningKind = session ? 'outside_session' : this.instrument.session.tradingDays.includes(weekdayName(day)) ? 'holiday' : 'weekend';
      this.note(kind, day, seconds[i], nanos[i]);
    }
  }

  /**
   * The warnings, weekend first. `naiveTimes`: some timestamps had no offset and were read
   * in the zone, so another zone is worth suggesting.
   */
  warnings(naiveTimes: boolean): SessionWarning[] {
    const order: SessionWarningKind[] = ['weekend', 'holiday', 'outside_session'];
    return order.flatMap((kind) => {
      const tally = this.tallies.get(kind);
      return tally ? [{ kind, count: tally.count, dates: tally.days.size, examples: tally.examples, message: this.message(kind, tally, naiveTimes) }] : [];
    });
  }

  private note(kind: SessionWarningKind, day: number, second: number, nano: number): void {
    let tally = this.tallies.get(kind);
    if (!tally) {
      tally = { count: 0, days: new Set(), examples: [] };
      this.tallies.set(kind, tally);
    }
    tally.count++;
    if (tally.days.size < 100_000) tally.days.add(day);
    if (tally.examples.length < SESSION_WARNING_EXAMPLES) {
      tally.examples.push({ timestamp: isoUtc(second, nano), local: wallClock(second + this.readZone.offsetAt(second)), tradingDate: daysToDate(day) });
    }
  }

  private message(kind: SessionWarningKind, tally: Tally, naiveTimes: boolean): string {
    const i = this.instrument;
    const rows = `${tally.count.toLocaleString('en-US')} ${tally.count === 1 ? 'bar' : 'bars'}`;
    const dates = [...tally.days].sort((a, b) => a - b);
    const dateList = `${dates
      .slice(0, 3)
      .map((d) => `${WEEKDAYS[weekdayOfDays(d)]} ${daysToDate(d)}`)
      .join(', ')}${dates.length > 3 ? ', …' : ''}`;
    const where =
      kind === 'weekend'
        ? `on a weekend (${dates.length === 1 ? 'trading date' : `${dates.length.toLocaleString('en-US')} trading dates`} ${dateList})`
        : kind === 'holiday'
          ? `on a closed holiday of the ${i.session.calendar} calendar (${dateList})`
          : `outside the trading session (${dates.length === 1 ? 'trading date' : `${dates.length.toLocaleString('en-US')} trading dates`} ${dateList})`;
    const who = `${i.symbol} (${i.exchange === 'unknown' ? 'unknown instrument' : i.exchange})`;
    // overnight sessions as the week's open and close with the daily break; day sessions as their hours and weekdays
    const hours = i.session.opensPreviousDay
      ? `${who} trades ${i.hours.weeklyOpen} to ${i.hours.weeklyClose}${i.hours.dailyBreak ? `, break ${i.hours.dailyBreak}` : ''} ${i.session.timeZone}`
      : `${who} trades ${i.session.open}–${i.session.close} ${i.session.timeZone}, ${i.hours.weeklyOpen.split(' ')[0]} to ${i.hours.weeklyClose.split(' ')[0]}`;
    const examples = `first at ${tally.examples.map((e) => e.local).join(', ')}${tally.count > tally.examples.length ? ', …' : ''} (${this.readZone.zone})`;
    const hint = naiveTimes ? `; if the file is in another zone's local time, ingest it with that zone (--tz ZONE)` : '';
    const generic = i.source === 'fallback' ? `; no instrument is registered for ${i.symbol}, so these are the generic CME hours: register one for other hours (mes-data instruments register)` : '';
    return `${rows} ${where}: ${hours}; ${examples}${hint}${generic}`;
  }
}

function weekdayName(day: number): Instrument['session']['tradingDays'][number] {
  return WEEKDAYS[weekdayOfDays(day)].toLowerCase() as Instrument['session']['tradingDays'][number];
}

function isoUtc(second: number, nano: number): string {
  const ms = second * 1000;
  const text = new Date(ms).toISOString();
  return `${text.slice(0, 19)}.${String(nano).padStart(9, '0')}Z`;
}

function wallClock(localSecond: number): string {
  const days = Math.floor(localSecond / 86_400);
  const rest = localSecond - days * 86_400;
  const hh = String(Math.floor(rest / 3600)).padStart(2, '0');
  const mm = String(Math.floor((rest % 3600) / 60)).padStart(2, '0');
  const ss = String(rest % 60).padStart(2, '0');
  return `${daysToDate(days)} ${hh}:${mm}:${ss}`;
}
