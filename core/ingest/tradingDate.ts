import { daysToDate } from '../arrow/arrowJson.js';
import { TimeZoneRules } from './timeZoneRules.js';

/**
 * CME trading dates. A CME Globex session opens at 17:00 Chicago time and runs to 16:00
 * the next day; the whole session belongs to the calendar date on which it ends. So a bar
 * at 17:00 CT on Sunday belongs to Monday, one at 16:59 CT on Monday to Monday, and the
 * hour 16:00–17:00 (the daily maintenance break) still to the day it ends. The rule is
 * applied in Chicago wall-clock time, DST included; no weekend or holiday calendar is
 * applied (a Saturday bar, which CME does not produce, would get Saturday or Sunday).
 */

export const CME_SESSION_ZONE = 'America/Chicago';
/** Hour (Chicago time) at which a session for the next calendar date opens. */
export const CME_SESSION_OPEN_HOUR = 17;

const DAY = 86_400;
const SHIFT = (24 - CME_SESSION_OPEN_HOUR) * 3600;

export class TradingCalendar {
  readonly rules: TimeZoneRules;

  constructor(rules: TimeZoneRules = new TimeZoneRules(CME_SESSION_ZONE)) {
    this.rules = rules;
  }

  /** The trading date (days since 1970-01-01) of an instant in UTC seconds. */
  tradingDay(utcSeconds: number): number {
    return Math.floor((utcSeconds + this.rules.offsetAt(utcSeconds) + SHIFT) / DAY);
  }

  /** The trading date of an instant as `YYYY-MM-DD`. */
  tradingDate(utcSeconds: number): string {
    return daysToDate(this.tradingDay(utcSeconds));
  }
}
