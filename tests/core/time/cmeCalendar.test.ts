import { describe, expect, it } from 'vitest';
import { cmeHolidayEntries, cmeSessions, cmeTradingDate, isJobsReportGoodFriday } from '../../../core/time/cmeCalendar.js';
import { holidayCalendar, isHoliday } from '../../../core/time/holidayCalendar.js';

const row = (e: { date: string; close?: string; kind?: string }) => [e.date, e.close ?? 'closed', e.kind];

describe('CME Globex holiday calendar', () => {
  it('equity index 2024, entry by entry', () => {
    expect(cmeHolidayEntries('equity', 2024).map(row)).toEqual([
      ['2024-01-01', 'closed', 'closed'],
      ['2024-01-15', '12:00', 'holiday_session'],
      ['2024-02-19', '12:00', 'holiday_session'],
      ['2024-03-29', 'closed', 'closed'],
      ['2024-05-27', '12:00', 'holiday_session'],
      ['2024-06-19', '12:00', 'holiday_session'],
      ['2024-07-03', '12:15', 'early_close'],
      ['2024-07-04', '12:00', 'holiday_session'],
      ['2024-09-02', '12:00', 'holiday_session'],
      ['2024-11-28', '12:00', 'holiday_session'],
      ['2024-11-29', '12:15', 'early_close'],
      ['2024-12-24', '12:15', 'early_close'],
      ['2024-12-25', 'closed', 'closed'],
    ]);
  });

  it('halts moved from 10:30 to 12:00 CT in May 2014 for equity index', () => {
    const close = (date: string) => holidayCalendar('cme_equity').entry(date)?.close;
    expect([close('2013-01-21'), close('2014-02-17'), close('2014-05-26'), close('2015-01-19')]).toEqual(['10:30', '10:30', '12:00', '12:00']);
  });

  it('Good Friday: a short session when the jobs report falls on it', () => {
    const years = [];
    for (let y = 2005; y <= 2030; y++) if (isJobsReportGoodFriday(y)) years.push(y);
    expect(years).toEqual([2007, 2010, 2012, 2015, 2021, 2023, 2026]);
    const goodFriday = (group: 'equity' | 'rates' | 'energy' | 'fx', date: string) => row(cmeHolidayEntries(group, Number(date.slice(0, 4))).find((e) => e.date === date) ?? { date });
    expect(goodFriday('equity', '2007-04-06')).toEqual(['2007-04-06', 'closed', 'closed']);
    expect(goodFriday('equity', '2010-04-02')).toEqual(['2010-04-02', '08:15', 'holiday_session']);
    expect(goodFriday('equity', '2024-03-29')).toEqual(['2024-03-29', 'closed', 'closed']);
    expect(goodFriday('equity', '2026-04-03')).toEqual(['2026-04-03', '08:15', 'holiday_session']);
    expect(goodFriday('rates', '2023-04-07')).toEqual(['2023-04-07', '10:15', 'holiday_session']);
    expect(goodFriday('fx', '2015-04-03')).toEqual(['2015-04-03', 'closed', 'closed']);
    expect(goodFriday('fx', '2021-04-02')).toEqual(['2021-04-02', '10:15', 'holiday_session']);
    expect(goodFriday('energy', '2021-04-02')).toEqual(['2021-04-02', 'closed', 'closed']);
  });

  it('rates: 15:15 CT on the Friday before a Monday holiday until 2015 (Labor Day: 2014)', () => {
    const rates = holidayCalendar('cme_rates');
    expect(['2015-01-16', '2015-05-22', '2014-08-29', '2015-09-04', '2016-01-15', '2010-12-31'].map((d) => rates.entry(d)?.close ?? 'regular')).toEqual([
      '15:15',
      '15:15',
      '15:15',
      'regular',
      'regular',
      '12:15',
    ]);
    expect(holidayCalendar('cme_equity').entry('2015-01-16')).toBeUndefined();
  });

  it('Juneteenth from 2022 only', () => {
    expect(holidayCalendar('cme_equity').entry('2021-06-18')).toBeUndefined();
    expect(holidayCalendar('cme_equity').entry('2022-06-20')).toMatchObject({ close: '12:00', name: 'Juneteenth' });
    expect(holidayCalendar('cme_equity').entry('2027-06-18')).toMatchObject({ close: '12:00', name: 'Juneteenth' });
  });

  it('energy and metals: 13:30 CT halts from 2022, 12:45 CT on Black Friday and Christmas Eve', () => {
    const energy = holidayCalendar('cme_energy');
    expect([energy.entry('2021-01-18')?.close, energy.entry('2022-01-17')?.close, energy.entry('2024-11-29')?.close, energy.entry('2024-12-24')?.close]).toEqual(['12:00', '13:30', '12:45', '12:45']);
    expect(holidayCalendar('cme_metals').entry('2024-07-04')?.close).toBe('13:30');
    // Labor Day kept 12:00 CT; CME's published 2026 hours differ from the rule on four days
    expect(['2022-09-05', '2025-09-01'].map((d) => energy.entry(d)?.close)).toEqual(['12:00', '12:00']);
    expect(['2026-06-19', '2026-07-03', '2026-09-07', '2026-11-27', '2026-12-24'].map((d) => energy.entry(d)?.close)).toEqual(['12:00', '12:00', '13:30', '13:45', '12:45']);
    expect(['2025-06-19', '2027-06-18', '2027-07-05'].map((d) => energy.entry(d)?.close)).toEqual(['13:30', '13:30', '13:30']);
    // the 12:15 close the day before July 4 is equity index only
    expect(energy.entry('2024-07-03')).toBeUndefined();
  });

  it('one-off events for equity index: Ford 2007, Hurricane Sandy 2012, Bush 2018, Carter 2025', () => {
    const specials = [2007, 2012, 2018, 2025].flatMap((y) => cmeHolidayEntries('equity', y).filter((e) => /Mourning|Sandy/.test(e.name ?? '')).map(row));
    expect(specials).toEqual([
      ['2007-01-02', 'closed', 'closed'],
      ['2012-10-29', '08:15', 'holiday_session'],
      ['2012-10-30', '08:15', 'holiday_session'],
      ['2018-12-05', '08:30', 'holiday_session'],
      ['2025-01-09', '08:30', 'holiday_session'],
    ]);
    expect(holidayCalendar('cme_energy').entry('2018-12-05')).toBeUndefined();
  });

  it('isHoliday: closed days and holiday sessions, not early closes', () => {
    const equity = holidayCalendar('cme_equity');
    expect(['2024-12-25', '2024-01-15', '2024-11-29', '2024-11-27'].map((d) => isHoliday(equity, d))).toEqual([true, true, false, false]);
    expect(isHoliday(holidayCalendar('cme_equity', [{ date: '2024-11-27' }]), '2024-11-27')).toBe(true);
    expect(isHoliday(holidayCalendar('none'), '2024-12-25')).toBe(false);
  });

  it('the existing exports keep working: CME trading dates and sessions from caller entries', () => {
    expect(cmeTradingDate(Date.parse('2024-01-07T23:00:00Z'))).toBe('2024-01-08');
    expect(cmeTradingDate(Date.parse('2024-01-08T21:59:00Z'))).toBe('2024-01-08');
    const sessions = cmeSessions(Date.parse('2024-01-12T12:00:00Z'), Date.parse('2024-01-16T12:00:00Z'));
    expect(sessions.map((s) => [s.date, new Date(s.openMs).toISOString(), new Date(s.closeMs).toISOString()])).toEqual([
      ['2024-01-12', '2024-01-11T23:00:00.000Z', '2024-01-12T22:00:00.000Z'],
      ['2024-01-15', '2024-01-14T23:00:00.000Z', '2024-01-15T22:00:00.000Z'],
      ['2024-01-16', '2024-01-15T23:00:00.000Z', '2024-01-16T22:00:00.000Z'],
    ]);
  });
});
