import { civilFromDays, daysFromCivil } from './civilDays.js';

/**
 * The date rules US exchange holidays are stated in: Easter, the n-th or last weekday of a
 * month, and the "observed" shifts of a fixed-date holiday that falls on a weekend. Dates
 * are calendar dates without a zone, as `YYYY-MM-DD`; arithmetic is on day counts, so it is
 * exact for any year.
 */

/** 0 Sunday … 6 Saturday. */
type Weekday = 0 | 1 | 2 | 3 | 4 | 5 | 6;

/** `YYYY-MM-DD` of a day count (days since 1970-01-01). */
export function isoFromDays(days: number): string {
  const [y, m, d] = civilFromDays(days);
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** Day count of `YYYY-MM-DD` (the text is not validated). */
export function daysFromIso(date: string): number {
  return daysFromCivil(Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10)));
}

/** Weekday of a day count: 1970-01-01 was a Thursday. */
export function weekdayOfDays(days: number): Weekday {
  return (((days % 7) + 7 + 4) % 7) as Weekday;
}

/** Weekday of `YYYY-MM-DD`. */
export function weekdayOf(date: string): Weekday {
  return weekdayOfDays(daysFromIso(date));
}

/** Easter Sunday (Gregorian, anonymous algorithm) as a day count. */
export function easterSunday(year: number): number {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return daysFromCivil(year, month, day);
}

/** The n-th (1-based) `weekday` of a month, as a day count. */
export function nthWeekday(year: number, month: number, weekday: Weekday, n: number): number {
  const first = daysFromCivil(year, month, 1);
  return first + ((weekday - weekdayOfDays(first) + 7) % 7) + (n - 1) * 7;
}

/** The last `weekday` of a month, as a day count. */
export function lastWeekday(year: number, month: number, weekday: Weekday): number {
  const last = daysFromCivil(month === 12 ? year + 1 : year, month === 12 ? 1 : month + 1, 1) - 1;
  return last - ((weekdayOfDays(last) - weekday + 7) % 7);
}

/**
 * The observed day of a fixed-date holiday: Saturday moves to the Friday before, Sunday to
 * the Monday after (the federal rule the exchanges follow for July 4, Christmas and
 * Juneteenth). New Year's Day uses `sundayToMonday` instead: on a Saturday it is not
 * observed at all, since the Friday before belongs to the previous year.
 */
export function observedDay(days: number): number {
  const weekday = weekdayOfDays(days);
  return weekday === 6 ? days - 1 : weekday === 0 ? days + 1 : days;
}

/** The observed New Year's Day: Sunday moves to Monday; on a Saturday, null (not observed). */
export function observedNewYear(year: number): number | null {
  const day = daysFromCivil(year, 1, 1);
  const weekday = weekdayOfDays(day);
  if (weekday === 6) return null;
  return weekday === 0 ? day + 1 : day;
}

/** The US holidays as day counts for one year (observed days; Juneteenth only from 2022). */
export function usHolidays(year: number): {
  newYear: number | null;
  mlk: number;
  presidents: number;
  goodFriday: number;
  memorial: number;
  juneteenth: number | null;
  independence: number;
  labor: number;
  thanksgiving: number;
  christmas: number;
} {
  return {
    newYear: observedNewYear(year),
    mlk: nthWeekday(year, 1, 1, 3),
    presidents: nthWeekday(year, 2, 1, 3),
    goodFriday: easterSunday(year) - 2,
    memorial: lastWeekday(year, 5, 1),
    // a federal holiday from 2021; the exchanges first closed for it in 2022
    juneteenth: year >= 2022 ? observedDay(daysFromCivil(year, 6, 19)) : null,
    independence: observedDay(daysFromCivil(year, 7, 4)),
    labor: nthWeekday(year, 9, 1, 1),
    thanksgiving: nthWeekday(year, 11, 4, 4),
    christmas: observedDay(daysFromCivil(year, 12, 25)),
  };
}
