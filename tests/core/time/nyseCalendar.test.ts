import { describe, expect, it } from 'vitest';
import { holidayCalendar, isHoliday } from '../../../core/time/holidayCalendar.js';
import { nyseHolidayEntries } from '../../../core/time/nyseCalendar.js';

function tradingDays(year: number): number {
  const calendar = holidayCalendar('nyse');
  let n = 0;
  for (let t = Date.UTC(year, 0, 1); t < Date.UTC(year + 1, 0, 1); t += 86_400_000) {
    const day = new Date(t);
    if (day.getUTCDay() !== 0 && day.getUTCDay() !== 6 && !isHoliday(calendar, day.toISOString().slice(0, 10))) n++;
  }
  return n;
}

describe('NYSE calendar', () => {
  it('2025 as the NYSE published it, with the day of mourning for President Carter', () => {
    expect(nyseHolidayEntries(2025).map((e) => [e.date, e.close ?? 'closed'])).toEqual([
      ['2025-01-01', 'closed'],
      ['2025-01-09', 'closed'],
      ['2025-01-20', 'closed'],
      ['2025-02-17', 'closed'],
      ['2025-04-18', 'closed'],
      ['2025-05-26', 'closed'],
      ['2025-06-19', 'closed'],
      ['2025-07-03', '13:00'],
      ['2025-07-04', 'closed'],
      ['2025-09-01', 'closed'],
      ['2025-11-27', 'closed'],
      ['2025-11-28', '13:00'],
      ['2025-12-24', '13:00'],
      ['2025-12-25', 'closed'],
    ]);
  });

  it('special closures: Ford 2007, Hurricane Sandy 2012, G. H. W. Bush 2018', () => {
    const names = (year: number) => nyseHolidayEntries(year).filter((e) => /Mourning|Sandy/.test(e.name ?? '')).map((e) => `${e.date} ${e.name}`);
    expect(names(2007)).toEqual(['2007-01-02 National Day of Mourning (Gerald R. Ford)']);
    expect(names(2012)).toEqual(['2012-10-29 Hurricane Sandy', '2012-10-30 Hurricane Sandy']);
    expect(names(2018)).toEqual(['2018-12-05 National Day of Mourning (George H. W. Bush)']);
  });

  it('observed rules: Christmas 2021 on Friday the 24th, New Year 2022 (a Saturday) not observed, 2023 on Monday the 2nd', () => {
    const calendar = holidayCalendar('nyse');
    expect(calendar.entry('2021-12-24')).toMatchObject({ name: 'Christmas Day', kind: 'closed' });
    expect(calendar.entry('2021-12-31')).toBeUndefined();
    expect(calendar.entry('2023-01-02')).toMatchObject({ name: "New Year's Day", kind: 'closed' });
    // no Christmas Eve early close when the 24th is a Friday (2021) or a weekend (2022)
    expect(nyseHolidayEntries(2022).some((e) => e.name === 'Christmas Eve')).toBe(false);
    expect(calendar.entry('2026-07-03')).toMatchObject({ name: 'Independence Day', kind: 'closed' });
  });

  it('trading days per year match the published counts', () => {
    expect([2012, 2018, 2020, 2022, 2023, 2024, 2025].map(tradingDays)).toEqual([250, 251, 253, 251, 250, 252, 250]);
  });

  it('holidays are computed for every year users keep, 2005–2030: nine or ten closures a year', () => {
    for (let year = 2005; year <= 2030; year++) {
      const closed = nyseHolidayEntries(year).filter((e) => e.kind === 'closed').length;
      const specials = { 2007: 1, 2012: 2, 2018: 1, 2025: 1 }[year] ?? 0;
      // New Year on a Saturday (2005, 2011, 2022, 2028) is not observed; Juneteenth from 2022
      const expected = 9 + (year >= 2022 ? 1 : 0) - ([2005, 2011, 2022, 2028].includes(year) ? 1 : 0) + specials;
      expect([year, closed]).toEqual([year, expected]);
    }
  });
});
