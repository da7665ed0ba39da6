import { daysFromCivil } from './civilDays.js';
import type { SessionCalendarEntry } from './cmeCalendar.js';
import { isoFromDays, usHolidays, weekdayOfDays } from './holidayRules.js';

/** Unscheduled NYSE closures (September 11, days of mourning, Hurricane Sandy). */
const NYSE_SPECIAL_CLOSURES: SessionCalendarEntry[] = [
  { date: '2001-09-11', name: 'September 11 attacks', kind: 'closed' },
  { date: '2001-09-12', name: 'September 11 attacks', kind: 'closed' },
  { date: '2001-09-13', name: 'September 11 attacks', kind: 'closed' },
  { date: '2001-09-14', name: 'September 11 attacks', kind: 'closed' },
  { date: '2004-06-11', name: 'National Day of Mourning (Ronald Reagan)', kind: 'closed' },
  { date: '2007-01-02', name: 'National Day of Mourning (Gerald R. Ford)', kind: 'closed' },
  { date: '2012-10-29', name: 'Hurricane Sandy', kind: 'closed' },
  { date: '2012-10-30', name: 'Hurricane Sandy', kind: 'closed' },
  { date: '2018-12-05', name: 'National Day of Mourning (George H. W. Bush)', kind: 'closed' },
  { date: '2025-01-09', name: 'National Day of Mourning (Jimmy Carter)', kind: 'closed' },
];

/**
 * The NYSE holidays and early closes of one year, computed by rule: closed on New Year's
 * Day (Sunday → Monday; a Saturday New Year is not observed), Martin Luther King, Presidents',
 * Good Friday, Memorial, Juneteenth (from 2022), Independence, Labor, Thanksgiving and
 * Christmas Days (Saturday → Friday, Sunday → Monday), plus the unscheduled closures; early
 * close at 13:00 New York time on July 3 (Monday–Thursday), the day after Thanksgiving and
 * Christmas Eve (Monday–Thursday). Dates in order; never throws.
 */
export function nyseHolidayEntries(year: number): SessionCalendarEntry[] {
  const h = usHolidays(year);
  const entries: SessionCalendarEntry[] = [];
  const closed = (days: number | null, name: string) => {
    if (days !== null) entries.push({ date: isoFromDays(days), name, kind: 'closed' });
  };
  const early = (days: number, name: string) => entries.push({ date: isoFromDays(days), close: '13:00', name, kind: 'early_close' });
  closed(h.newYear, "New Year's Day");
  closed(h.mlk, 'Martin Luther King Jr. Day');
  closed(h.presidents, "Presidents' Day");
  closed(h.goodFriday, 'Good Friday');
  closed(h.memorial, 'Memorial Day');
  closed(h.juneteenth, 'Juneteenth');
  const july3 = daysFromCivil(year, 7, 3);
  const july3Weekday = weekdayOfDays(july3);
  if (july3Weekday >= 1 && july3Weekday <= 4) early(july3, 'Day before Independence Day');
  closed(h.independence, 'Independence Day');
  closed(h.labor, 'Labor Day');
  closed(h.thanksgiving, 'Thanksgiving Day');
  early(h.thanksgiving + 1, 'Day after Thanksgiving');
  const christmasEve = daysFromCivil(year, 12, 24);
  const eveWeekday = weekdayOfDays(christmasEve);
  if (eveWeekday >= 1 && eveWeekday <= 4) early(christmasEve, 'Christmas Eve');
  closed(h.christmas, 'Christmas Day');
  const prefix = `${String(year).padStart(4, '0')}-`;
  for (const special of NYSE_SPECIAL_CLOSURES) if (special.date.startsWith(prefix)) entries.push(special);
  return entries.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}
