import { describe, expect, it } from 'vitest';
import { isPlain, nextSort, requestFilters, timeBound, timeRangeLabel } from '../../../renderer/src/table/tableQuery.ts';

const columns = [
  { name: 'timestamp', type: 'Timestamp<NANOSECOND, UTC>' },
  { name: 'close', type: 'Float64' },
  { name: 'symbol', type: 'Utf8' },
];

describe('the table query model', () => {
  it('a header click sorts ascending, then descending, then not; another column starts over', () => {
    expect(nextSort([], 'close')).toEqual([{ column: 'close', descending: false }]);
    expect(nextSort([{ column: 'close', descending: false }], 'close')).toEqual([{ column: 'close', descending: true }]);
    expect(nextSort([{ column: 'close', descending: true }], 'close')).toEqual([]);
    expect(nextSort([{ column: 'close', descending: true }], 'symbol')).toEqual([{ column: 'symbol', descending: false }]);
  });

  it('typed filters become range filters for numbers and times (UTC when no zone is typed) and text matches otherwise', () => {
    expect(
      requestFilters(columns, {
        timestamp: { min: '2024-01-02', max: '2024-01-02 10:30', text: '' },
        close: { min: ' 4780 ', max: '', text: '' },
        symbol: { min: '', max: '', text: 'MES' },
      }),
    ).toEqual([
      { column: 'timestamp', kind: 'range', min: '2024-01-02T00:00:00Z', max: '2024-01-02T10:30:00Z' },
      { column: 'close', kind: 'range', min: '4780' },
      { column: 'symbol', kind: 'text', match: 'contains', value: 'MES' },
    ]);
    expect(requestFilters(columns, { close: { min: ' ', max: '', text: '' }, gone: { min: '1', max: '', text: '' } })).toEqual([]);
  });

  it('a time range typed in exchange time goes to the host as instants in UTC; what is not a time goes as typed', () => {
    expect(requestFilters(columns, { timestamp: { min: '2024-01-01 18:00', max: '2024-01-01 18:04:00', text: '', zone: 'America/Chicago' } })).toEqual([
      { column: 'timestamp', kind: 'range', min: '2024-01-02T00:00:00Z', max: '2024-01-02T00:04:00Z' },
    ]);
    // from and to the same date: the whole day, in the zone's clock
    expect(requestFilters(columns, { timestamp: { min: '2024-01-02', max: '2024-01-02', text: '', zone: 'America/Chicago' } })).toEqual([
      { column: 'timestamp', kind: 'range', min: '2024-01-02T06:00:00Z', max: '2024-01-03T05:59:59.999999999Z' },
    ]);
    expect(requestFilters(columns, { timestamp: { min: 'yesterday', max: '', text: '', zone: 'America/Chicago' } })).toEqual([{ column: 'timestamp', kind: 'range', min: 'yesterday' }]);
  });
  it('is plain (paged with rows.page) only without a sort and without a filter that holds something', () => {
    expect(isPlain(columns, { sort: [], filters: { close: { min: '', max: '', text: '' } } })).toBe(true);
    expect(isPlain(columns, { sort: [{ column: 'close', descending: true }], filters: {} })).toBe(false);
    expect(isPlain(columns, { sort: [], filters: { symbol: { min: '', max: '', text: 'x' } } })).toBe(false);
  });
});

describe('a typed time bound', () => {
  it('reads the wall time in the zone chosen, with its offset of the day (CST in winter, CDT in summer)', () => {
    expect(timeBound('2024-01-01 18:00', 'from', 'America/Chicago')).toEqual({ instant: '2024-01-02T00:00:00Z' });
    expect(timeBound('2024-07-01 08:30', 'from', 'America/Chicago')).toEqual({ instant: '2024-07-01T13:30:00Z' });
    expect(timeBound('2024-01-02T09:30', 'to', 'America/New_York')).toEqual({ instant: '2024-01-02T14:30:00Z' });
    expect(timeBound('2024-01-02 09:30:15.250', 'from', 'UTC')).toEqual({ instant: '2024-01-02T09:30:15.250Z' });
    expect(timeBound('2024-01-02 09:30:15.000000123', 'from', 'America/Chicago')).toEqual({ instant: '2024-01-02T15:30:15.000000123Z' });
    expect(timeBound('2024-01-02 09:30', 'from')).toEqual({ instant: '2024-01-02T09:30:00Z' });
    expect(timeBound('   ', 'from', 'America/Chicago')).toBeNull();
  });

  it('keeps a zone typed with the time, whatever the choice', () => {
    expect(timeBound('2024-01-02T10:30:00+01:00', 'from', 'America/Chicago')).toEqual({ instant: '2024-01-02T09:30:00Z' });
    expect(timeBound('2024-01-02 10:30 -0530', 'from', 'UTC')).toEqual({ instant: '2024-01-02T16:00:00Z' });
    expect(timeBound('2024-01-02 10:30Z', 'from', 'America/Chicago')).toEqual({ instant: '2024-01-02T10:30:00Z' });
    expect(timeBound('2024-01-02 10:30 UTC', 'to', 'America/Chicago')).toEqual({ instant: '2024-01-02T10:30:00Z' });
  });

  it('takes a date alone as its first instant (from) or its last (to)', () => {
    expect(timeBound('2024-03-10', 'from', 'America/Chicago')).toEqual({ instant: '2024-03-10T06:00:00Z' });
    expect(timeBound('2024-03-10', 'to', 'America/Chicago')).toEqual({ instant: '2024-03-11T04:59:59.999999999Z' });
    expect(timeBound('2024-03-10', 'to', 'UTC')).toEqual({ instant: '2024-03-10T23:59:59.999999999Z' });
  });

  it('refuses the hour clocks skip and takes both passes of the hour they repeat', () => {
    expect(timeBound('2024-03-10 02:30', 'from', 'America/Chicago')).toEqual({ error: '2024-03-10 02:30 does not exist in America/Chicago: the clocks skip that hour' });
    // 01:30 on 2024-11-03 is 06:30Z in CDT, then 07:30Z in CST
    expect(timeBound('2024-11-03 01:30', 'from', 'America/Chicago')).toEqual({ instant: '2024-11-03T06:30:00Z' });
    expect(timeBound('2024-11-03 01:30', 'to', 'America/Chicago')).toEqual({ instant: '2024-11-03T07:30:00Z' });
  });

  it('labels the filter cell with the range as typed and its zone', () => {
    expect(timeRangeLabel(undefined)).toBe('any time: pick a range…');
    expect(timeRangeLabel({ min: ' ', max: '', text: '' })).toBe('any time: pick a range…');
    expect(timeRangeLabel({ min: '2024-01-01 18:00', max: '', text: '', zone: 'America/Chicago' })).toBe('2024-01-01 18:00 → … America/Chicago');
    expect(timeRangeLabel({ min: '', max: '2024-01-02', text: '' })).toBe('… → 2024-01-02 UTC');
  });

  it('refuses what is not a date or a time of day', () => {
    const words = (text: string) => `“${text}” is not a date or time: write 2024-01-02, 2024-01-02 09:30 or 2024-01-02 09:30:15.250`;
    for (const text of ['2024-02-30', '2023-02-29 10:00', '24-01-02', '2024-01-02 24:00', '2024-01-02 10:60', 'next week']) expect(timeBound(text, 'from', 'UTC')).toEqual({ error: words(text) });
    expect(timeBound('2024-02-29', 'from', 'UTC')).toEqual({ instant: '2024-02-29T00:00:00Z' });
  });

});
