import { describe, expect, it } from 'vitest';
import { makeData, makeVector, TimestampNanosecond } from 'apache-arrow';
import { describeHours, SESSION_TEMPLATES, SessionTemplateSchema, sessionOfDate, sessionsOverlapping, tradingDateOfMs } from '../../../core/instruments/sessionTemplates.js';
import { holidayCalendar } from '../../../core/time/holidayCalendar.js';
import { timestampColumn } from '../../../core/validation/columnData.js';
import { sessionGapRows } from '../../../core/validation/tradingRules.js';

const iso = (ms: number) => new Date(ms).toISOString();

describe('session templates', () => {
  it('the built-in templates are parsed on first read, each once, and cannot be replaced', () => {
    expect(Object.keys(SESSION_TEMPLATES)).toEqual(['cme_globex_equity', 'cme_globex_rates', 'cme_globex_energy', 'cme_globex_metals', 'cme_globex_fx', 'utc_24x7', 'us_equity']);
    expect(typeof Object.getOwnPropertyDescriptor(SESSION_TEMPLATES, 'us_equity')?.get).toBe('function');
    expect(SESSION_TEMPLATES.us_equity).toBe(SESSION_TEMPLATES.us_equity);
    expect(SESSION_TEMPLATES.us_equity).toMatchObject({ id: 'us_equity', timeZone: 'America/New_York', open: '09:30', close: '16:00', calendar: 'nyse' });
    expect(Object.isFrozen(SESSION_TEMPLATES)).toBe(true);
    expect(() => Object.defineProperty(SESSION_TEMPLATES, 'us_equity', { value: null })).toThrow(TypeError);
  });

  it('Globex: 17:00 CT the day before to 16:00 CT, an early close ends it, a closed day has none', () => {
    const t = SESSION_TEMPLATES.cme_globex_equity;
    const cal = holidayCalendar('cme_equity');
    const s = sessionOfDate(t, cal, '2024-11-29');
    expect([iso(s!.openMs), iso(s!.closeMs)]).toEqual(['2024-11-28T23:00:00.000Z', '2024-11-29T18:15:00.000Z']);
    expect(sessionOfDate(t, cal, '2024-12-25')).toBeNull();
    expect(sessionOfDate(t, cal, '2024-12-28')).toBeNull(); // Saturday
    // summer time: 17:00 CDT is 22:00Z
    const july = sessionOfDate(t, cal, '2024-07-09');
    expect([iso(july!.openMs), iso(july!.closeMs)]).toEqual(['2024-07-08T22:00:00.000Z', '2024-07-09T21:00:00.000Z']);
  });

  it('US equity: 09:30–16:00 New York time, 13:00 on early closes', () => {
    const t = SESSION_TEMPLATES.us_equity;
    const cal = holidayCalendar('nyse');
    const days = sessionsOverlapping(t, cal, Date.parse('2024-11-27T00:00:00Z'), Date.parse('2024-12-02T23:59:00Z'));
    expect(days.map((s) => [s.date, iso(s.openMs), iso(s.closeMs)])).toEqual([
      ['2024-11-27', '2024-11-27T14:30:00.000Z', '2024-11-27T21:00:00.000Z'],
      ['2024-11-29', '2024-11-29T14:30:00.000Z', '2024-11-29T18:00:00.000Z'],
      ['2024-12-02', '2024-12-02T14:30:00.000Z', '2024-12-02T21:00:00.000Z'],
    ]);
    expect(tradingDateOfMs(t, Date.parse('2024-11-28T03:00:00Z'))).toBe('2024-11-27'); // 22:00 EST
    expect(describeHours(t)).toEqual({ weeklyOpen: 'Monday 09:30', weeklyClose: 'Friday 16:00', dailyBreak: null });
  });

  it('utc_24x7: every day, sessions meet at midnight; a missing minute at midnight is one missing bar', () => {
    const t = SESSION_TEMPLATES.utc_24x7;
    const s = sessionOfDate(t, holidayCalendar('none'), '2024-12-25');
    expect([iso(s!.openMs), iso(s!.closeMs)]).toEqual(['2024-12-25T00:00:00.000Z', '2024-12-26T00:00:00.000Z']);
    const times = ['2024-12-28T23:58:00Z', '2024-12-28T23:59:00Z', '2024-12-29T00:01:00Z'].map((x) => BigInt(Date.parse(x)) * 1_000_000n);
    const ts = timestampColumn(makeVector(makeData({ type: new TimestampNanosecond('UTC'), length: 3, data: BigInt64Array.from(times) })));
    const found = sessionGapRows(ts, null, { intervalSeconds: 60, calendar: 'cme_globex', sessionCalendar: [], timeZone: 'UTC', session: t });
    expect([found.rows.rows, found.missingBars]).toEqual([[2], 1]);
  });

  it('a template of your own is checked: zone, order of open and close', () => {
    const issues = (input: unknown) => {
      const parsed = SessionTemplateSchema.safeParse(input);
      return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    const base = { id: 'x', timeZone: 'Europe/London', open: '08:00', close: '16:30', opensPreviousDay: false, calendar: 'none' };
    expect(issues(base)).toEqual([]);
    expect(issues({ ...base, timeZone: 'Nowhere/City' })).toEqual(['timeZone: unknown time zone "Nowhere/City"']);
    expect(issues({ ...base, open: '17:00' })).toEqual(['close: close 16:30 is not after open 17:00 on the same day']);
    expect(issues({ ...base, opensPreviousDay: true, open: '07:00' })).toEqual(['open: a session opening the day before must open (07:00) after the previous session closes (16:30)']);
    expect(issues({ ...base, close: '24:00', opensPreviousDay: true, open: '18:00' })).toEqual(['close: a session opening the day before cannot close at 24:00']);
    expect(issues({ ...base, open: '24:00' })).toEqual(['open: a wall-clock time HH:MM (00:00–23:59)', 'close: close 16:30 is not after open 24:00 on the same day']);
  });
});
