import { describe, expect, it } from 'vitest';
import { daysFromIso, easterSunday, isoFromDays, lastWeekday, nthWeekday, observedDay, observedNewYear, usHolidays, weekdayOf } from '../../../core/time/holidayRules.js';

describe('holiday date rules', () => {
  it('Easter Sunday, against published dates', () => {
    const easter = [2005, 2008, 2011, 2019, 2024, 2025, 2030].map((y) => isoFromDays(easterSunday(y)));
    expect(easter).toEqual(['2005-03-27', '2008-03-23', '2011-04-24', '2019-04-21', '2024-03-31', '2025-04-20', '2030-04-21']);
  });

  it('n-th and last weekdays of a month', () => {
    expect(isoFromDays(nthWeekday(2024, 1, 1, 3))).toBe('2024-01-15'); // MLK: 3rd Monday of January
    expect(isoFromDays(nthWeekday(2024, 11, 4, 4))).toBe('2024-11-28'); // Thanksgiving: 4th Thursday
    expect(isoFromDays(nthWeekday(2013, 11, 4, 4))).toBe('2013-11-28'); // November 1 is a Friday
    expect(isoFromDays(lastWeekday(2024, 5, 1))).toBe('2024-05-27'); // Memorial Day
    expect(isoFromDays(lastWeekday(2021, 5, 1))).toBe('2021-05-31');
  });

  it('observed days: Saturday to Friday, Sunday to Monday; a Saturday New Year is not observed', () => {
    expect(isoFromDays(observedDay(daysFromIso('2026-07-04')))).toBe('2026-07-03');
    expect(isoFromDays(observedDay(daysFromIso('2021-07-04')))).toBe('2021-07-05');
    expect(isoFromDays(observedDay(daysFromIso('2024-07-04')))).toBe('2024-07-04');
    expect(observedNewYear(2022)).toBeNull();
    expect(isoFromDays(observedNewYear(2023) as number)).toBe('2023-01-02');
  });

  it('weekdays', () => {
    expect([weekdayOf('1970-01-01'), weekdayOf('2024-01-15'), weekdayOf('1969-12-31'), weekdayOf('2024-06-22')]).toEqual([4, 1, 3, 6]);
  });

  it('Juneteenth only from 2022, observed: Friday 2027-06-18, Monday 2022-06-20', () => {
    expect(usHolidays(2021).juneteenth).toBeNull();
    expect(isoFromDays(usHolidays(2022).juneteenth as number)).toBe('2022-06-20');
    expect(isoFromDays(usHolidays(2027).juneteenth as number)).toBe('2027-06-18');
  });
});
