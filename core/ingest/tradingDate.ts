import { daysToDate } from '../arrow/arrowJson.js';
import { TimeZoneRules } from './timeZoneRules.js';

/**
 * Trading dates of ingested rows, by the rule of the instrument's session template
 * (core/instruments/sessionTemplates.ts). Where sessions open the evening before (CME
 * Globex: 17:00 Chicago time, running to 16:00 the next day) the whole session belongs to
 * the calendar date on which it ends: a bar at 17:00 CT on Sunday belongs to Monday, one
 * at 16:59 CT on Monday to Monday, and the hour 16:00–17:00 (the daily maintenance break)
 * still to the day it ends. Where sessions open and close on one day (NYSE 09:30–16:00
 * New York time, a UTC around-the-clock feed), the trading date is the calendar date in
 * the session's zone. The rule is applied in the session zone's wall-clock time, DST
 * included; no weekend or holiday calendar is applied here (a Saturday bar gets a
 * Saturday date; ingest counts such rows and warns).
 */

const CME_SESSION_ZONE = 'America/Chicago';
/** Hour (Chicago time) at which a CME session for the next calendar date opens. */
const CME_SESSION_OPEN_HOUR = 17;

const DAY = 86_400;

/** What the trading-date rule needs of a session template. */
export interface TradingDateRule {
  /** IANA zone the session hours are stated in. */
  timeZone: string;
  /** Session open, `HH:MM` in that zone. */
  open: string;
  /** The session opens on the calendar day before its trading date. */
  opensPreviousDay: boolean;
}

/** The CME Globex rule: what every file was read with before instruments existed. */
export const CME_TRADING_DATE_RULE: TradingDateRule = { timeZone: CME_SESSION_ZONE, open: `${CME_SESSION_OPEN_HOUR}:00`, opensPreviousDay: true };

/**
 * Seconds added to a wall-clock time before taking its calendar date: from the open on,
 * a session that opens the day before counts to the next date (17:00 → 7 h).
 */
export function tradingDateShiftSeconds(rule: TradingDateRule): number {
  if (!rule.opensPreviousDay) return 0;
  const openSeconds = Number(rule.open.slice(0, 2)) * 3600 + Number(rule.open.slice(3, 5)) * 60;
  return DAY - openSeconds;
}

export class TradingCalendar {
  readonly rules: TimeZoneRules;
  readonly rule: TradingDateRule;
  private readonly shift: number;

  /**
   * `rules`: the session zone's offsets, when the caller already has them (it must be the
   * rule's zone); otherwise they are made here.
   */
  constructor(rule: TradingDateRule = CME_TRADING_DATE_RULE, rules?: TimeZoneRules) {
    this.rule = rule;
    this.rules = rules ?? new TimeZoneRules(rule.timeZone);
    this.shift = tradingDateShiftSeconds(rule);
  }

  /** The trading date (days since 1970-01-01) of an instant in UTC seconds. */
  tradingDay(utcSeconds: number): number {
    return Math.floor((utcSeconds + this.rules.offsetAt(utcSeconds) + this.shift) / DAY);
  }

  /** The trading date of an instant as `YYYY-MM-DD`. */
  tradingDate(utcSeconds: number): string {
    return daysToDate(this.tradingDay(utcSeconds));
  }
}
