import { zonedParts, zonedToUtcMs } from './zonedTime.js';

/**
 * CME Globex trading hours for equity-index futures: a session opens at 17:00 Chicago time
 * on the calendar day before its trading date and closes at 16:00 on the trading date, with
 * the 16:00–17:00 maintenance break between sessions and no sessions on Saturday or Sunday
 * trading dates (the Sunday 17:00 open starts Monday's session). Holidays and early closes
 * come from the caller; daylight saving follows the zone.
 */

export const CME_TIMEZONE = 'America/Chicago';
const DAY_MS = 86_400_000;

export interface SessionCalendarEntry {
  /** Trading date, YYYY-MM-DD. */
  date: string;
  /** Early close in exchange time, HH:MM; absent: closed all day. */
  close?: string;
}

export interface TradingSession {
  date: string;
  openMs: number;
  closeMs: number;
}

function isoDate(utcMidnightMs: number): string {
  return new Date(utcMidnightMs).toISOString().slice(0, 10);
}

/** The CME trading date of an instant: the Chicago calendar date, moved to the next day from 17:00 on. */
export function cmeTradingDate(utcMs: number, timeZone = CME_TIMEZONE): string {
  const p = zonedParts(utcMs, timeZone);
  const midnight = Date.UTC(p.year, p.month - 1, p.day);
  return isoDate(p.hour >= 17 ? midnight + DAY_MS : midnight);
}

function sessionFor(dateMs: number, calendar: Map<string, SessionCalendarEntry>, timeZone: string): TradingSession | null {
  const date = isoDate(dateMs);
  const weekday = new Date(dateMs).getUTCDay();
  if (weekday === 0 || weekday === 6) return null;
  const special = calendar.get(date);
  if (special && special.close === undefined) return null;
  const previous = new Date(dateMs - DAY_MS);
  const open = zonedToUtcMs(previous.getUTCFullYear(), previous.getUTCMonth() + 1, previous.getUTCDate(), 17, 0, 0, 0, timeZone).utcMs;
  const current = new Date(dateMs);
  const [closeHour, closeMinute] = special?.close ? special.close.split(':').map(Number) : [16, 0];
  const close = zonedToUtcMs(current.getUTCFullYear(), current.getUTCMonth() + 1, current.getUTCDate(), closeHour, closeMinute, 0, 0, timeZone).utcMs;
  return { date, openMs: open, closeMs: close };
}

/** Sessions whose trading hours overlap [startMs, endMs], in order. */
export function cmeSessions(startMs: number, endMs: number, entries: SessionCalendarEntry[] = [], timeZone = CME_TIMEZONE): TradingSession[] {
  const calendar = new Map(entries.map((e) => [e.date, e]));
  const first = Date.parse(`${cmeTradingDate(startMs, timeZone)}T00:00:00Z`);
  const last = Date.parse(`${cmeTradingDate(endMs, timeZone)}T00:00:00Z`) + DAY_MS;
  const sessions: TradingSession[] = [];
  for (let day = first; day <= last; day += DAY_MS) {
    const session = sessionFor(day, calendar, timeZone);
    if (session && session.closeMs > startMs && session.openMs <= endMs) sessions.push(session);
  }
  return sessions;
}

/** Whether `date` (YYYY-MM-DD) has a session at all. */
export function isCmeTradingDate(date: string, entries: SessionCalendarEntry[] = []): boolean {
  const day = Date.parse(`${date}T00:00:00Z`);
  const weekday = new Date(day).getUTCDay();
  if (weekday === 0 || weekday === 6) return false;
  return !entries.some((e) => e.date === date && e.close === undefined);
}
