import { civilFromDays, daysFromCivil } from './civilDays.js';
import { isoFromDays, usHolidays, weekdayOfDays } from './holidayRules.js';
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

/**
 * What a calendar entry does to its trading date: `closed` (no session), `early_close` (a
 * normal trading date that ends early, such as Black Friday) or `holiday_session` (a
 * holiday on which the market trades a short session but settles nothing, such as CME's
 * 12:00 CT halt on Martin Luther King Day: no daily bar is expected for it).
 */
type CalendarEntryKind = 'closed' | 'early_close' | 'holiday_session';

export interface SessionCalendarEntry {
  /** Trading date, YYYY-MM-DD. */
  date: string;
  /** Early close in exchange time, HH:MM; absent: closed all day. */
  close?: string;
  /** What the day is, for people: "Good Friday", "Hurricane Sandy". */
  name?: string;
  /** Absent: `early_close` when `close` is given, else `closed`. */
  kind?: CalendarEntryKind;
}

/** The kind of an entry, filling in the default from `close`. */
export function entryKind(entry: SessionCalendarEntry): CalendarEntryKind {
  if (entry.close === undefined) return 'closed';
  return entry.kind === 'holiday_session' ? 'holiday_session' : 'early_close';
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

/** The CME product groups whose Globex holiday schedules differ. */
export type CmeProductGroup = 'equity' | 'rates' | 'energy' | 'metals' | 'fx';

/**
 * One-off CME events by product group, from CME's notices as public exchange-calendar
 * projects record them. Equity index: Ford's day of mourning closed the market; Hurricane
 * Sandy and the days of mourning for G. H. W. Bush and Carter stopped the overnight session
 * at the hour the stock market would have opened. Other groups traded those days (rates
 * on shortened SIFMA hours that are not encoded here: add them per instrument).
 */
const CME_SPECIAL: Record<CmeProductGroup, SessionCalendarEntry[]> = {
  equity: [
    { date: '2007-01-02', name: 'National Day of Mourning (Gerald R. Ford)', kind: 'closed' },
    { date: '2012-10-29', close: '08:15', name: 'Hurricane Sandy', kind: 'holiday_session' },
    { date: '2012-10-30', close: '08:15', name: 'Hurricane Sandy', kind: 'holiday_session' },
    { date: '2018-12-05', close: '08:30', name: 'National Day of Mourning (George H. W. Bush)', kind: 'holiday_session' },
    { date: '2025-01-09', close: '08:30', name: 'National Day of Mourning (Jimmy Carter)', kind: 'holiday_session' },
  ],
  rates: [
    { date: '2007-01-02', name: 'National Day of Mourning (Gerald R. Ford)', kind: 'closed' },
    { date: '2009-04-09', close: '15:15', name: 'Day before Good Friday', kind: 'early_close' },
    { date: '2010-07-02', close: '15:15', name: 'Friday before Independence Day', kind: 'early_close' },
    { date: '2010-12-31', close: '12:15', name: "New Year's Eve", kind: 'early_close' },
    { date: '2011-07-01', close: '15:15', name: 'Friday before Independence Day', kind: 'early_close' },
  ],
  energy: [],
  metals: [],
  fx: [],
};

/**
 * Energy and metals hours CME published for 2026 that differ from the rule (Juneteenth and
 * the observed Independence Day to 12:00 CT, Labor Day to 13:30 CT, Black Friday to 13:45 CT).
 */
const ENERGY_METALS_2026: Record<string, string> = { '2026-06-19': '12:00', '2026-07-03': '12:00', '2026-09-07': '13:30', '2026-11-27': '13:45' };

/** The hour Globex halts on a US holiday that trades a short session, in Chicago time. */
function holidayHalt(group: CmeProductGroup, days: number, holiday: string): string {
  const [year, month] = civilFromDays(days);
  if (group === 'equity') return year > 2014 || (year === 2014 && month >= 5) ? '12:00' : '10:30';
  if (group === 'energy' || group === 'metals') {
    const published = ENERGY_METALS_2026[isoFromDays(days)];
    if (published) return published;
    // Labor Day kept the 12:00 CT halt when the others moved to 13:30 CT in 2022
    return year >= 2022 && holiday !== 'Labor Day' ? '13:30' : '12:00';
  }
  return '12:00';
}

/**
 * Whether the March jobs report came out on Good Friday, so that CME's financial futures
 * traded a short session: it does when Good Friday is the first Friday of April (2007,
 * 2010, 2012, 2015, 2021, 2023, 2026 in 2005–2030).
 */
export function isJobsReportGoodFriday(year: number): boolean {
  const goodFriday = usHolidays(year).goodFriday;
  return goodFriday >= daysFromCivil(year, 4, 1) && goodFriday <= daysFromCivil(year, 4, 7);
}

/** Good Friday for one product group: closed, or a short session ending at the given hour. */
function goodFridayEntry(group: CmeProductGroup, year: number, date: string): SessionCalendarEntry {
  const jobs = isJobsReportGoodFriday(year);
  // equity and rates traded from 2010 on (not in 2007); FX from 2021; energy and metals never
  const close =
    jobs && year >= 2010 && group === 'equity' ? '08:15' : jobs && year >= 2010 && group === 'rates' ? '10:15' : jobs && year >= 2021 && group === 'fx' ? '10:15' : undefined;
  return close
    ? { date, close, name: 'Good Friday (jobs report: short session)', kind: 'holiday_session' }
    : { date, name: 'Good Friday', kind: 'closed' };
}

/**
 * The CME Globex holidays and early closes of one product group in one year, computed by
 * rule: New Year's Day, Good Friday and Christmas closed (observed days; a Saturday New
 * Year is not observed); Martin Luther King, Presidents', Memorial, Juneteenth (from 2022),
 * Independence, Labor and Thanksgiving Days trade a short session that halts at 10:30 CT
 * (equity index, until May 2014) or 12:00 CT (energy and metals: 13:30 CT from 2022 except
 * Labor Day, and the hours CME published for 2026); Black Friday and Christmas Eve
 * (Monday–Thursday) close at 12:15 CT (12:45 CT for energy and metals); rates closed at
 * 15:15 CT on the Friday before Martin Luther King, Presidents' and Memorial Days until 2015
 * and Labor Day until 2014; the day before Independence Day closes at 12:15 CT for equity
 * index when July 4 falls Tuesday–Friday; Good Friday opens when the jobs report falls on it (see
 * `isJobsReportGoodFriday`); plus the one-off events. Times are America/Chicago. Dates in
 * order; never throws.
 */
export function cmeHolidayEntries(group: CmeProductGroup, year: number): SessionCalendarEntry[] {
  const h = usHolidays(year);
  const entries: SessionCalendarEntry[] = [];
  const at = (days: number) => isoFromDays(days);
  const halt = (days: number | null, name: string) => {
    if (days !== null) entries.push({ date: at(days), close: holidayHalt(group, days, name), name, kind: 'holiday_session' });
  };
  const shortDayClose = group === 'energy' || group === 'metals' ? '12:45' : '12:15';
  if (h.newYear !== null) entries.push({ date: at(h.newYear), name: "New Year's Day", kind: 'closed' });
  // until 2015 (Labor Day: 2014) Treasury futures closed at 15:15 CT on the Friday before a Monday holiday
  const fridayBefore = (days: number, lastYear: number, name: string) => {
    if (group === 'rates' && year <= lastYear) entries.push({ date: at(days - 3), close: '15:15', name: `Friday before ${name}`, kind: 'early_close' });
  };
  fridayBefore(h.mlk, 2015, 'Martin Luther King Jr. Day');
  fridayBefore(h.presidents, 2015, "Presidents' Day");
  fridayBefore(h.memorial, 2015, 'Memorial Day');
  fridayBefore(h.labor, 2014, 'Labor Day');
  halt(h.mlk, 'Martin Luther King Jr. Day');
  halt(h.presidents, "Presidents' Day");
  entries.push(goodFridayEntry(group, year, at(h.goodFriday)));
  halt(h.memorial, 'Memorial Day');
  halt(h.juneteenth, 'Juneteenth');
  const july4 = daysFromCivil(year, 7, 4);
  const july4Weekday = weekdayOfDays(july4);
  if (group === 'equity' && july4Weekday >= 2 && july4Weekday <= 5) {
    entries.push({ date: at(july4 - 1), close: '12:15', name: 'Day before Independence Day', kind: 'early_close' });
  }
  halt(h.independence, 'Independence Day');
  halt(h.labor, 'Labor Day');
  halt(h.thanksgiving, 'Thanksgiving Day');
  const dayAfterThanksgiving = at(h.thanksgiving + 1);
  const blackFridayClose = (group === 'energy' || group === 'metals') && ENERGY_METALS_2026[dayAfterThanksgiving] ? ENERGY_METALS_2026[dayAfterThanksgiving] : shortDayClose;
  entries.push({ date: dayAfterThanksgiving, close: blackFridayClose, name: 'Day after Thanksgiving', kind: 'early_close' });
  const christmasEve = daysFromCivil(year, 12, 24);
  const eveWeekday = weekdayOfDays(christmasEve);
  if (eveWeekday >= 1 && eveWeekday <= 4) entries.push({ date: at(christmasEve), close: shortDayClose, name: 'Christmas Eve', kind: 'early_close' });
  entries.push({ date: at(h.christmas), name: 'Christmas Day', kind: 'closed' });
  const prefix = `${String(year).padStart(4, '0')}-`;
  for (const special of CME_SPECIAL[group]) if (special.date.startsWith(prefix)) entries.push(special);
  return entries.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}
