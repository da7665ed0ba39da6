import { describe, expect, it } from 'vitest';
import { instantText, isPlain, nextSort, requestFilters } from '../../../renderer/src/table/tableQuery.ts';

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
      { column: 'timestamp', kind: 'range', min: '2024-01-02T00:00:00Z', max: '2024-01-02T10:30Z' },
      { column: 'close', kind: 'range', min: '4780' },
      { column: 'symbol', kind: 'text', match: 'contains', value: 'MES' },
    ]);
    expect(requestFilters(columns, { close: { min: ' ', max: '', text: '' }, gone: { min: '1', max: '', text: '' } })).toEqual([]);
    expect(instantText('2024-01-02T10:30:00+01:00')).toBe('2024-01-02T10:30:00+01:00');
  });

  it('is plain (paged with rows.page) only without a sort and without a filter that holds something', () => {
    expect(isPlain(columns, { sort: [], filters: { close: { min: '', max: '', text: '' } } })).toBe(true);
    expect(isPlain(columns, { sort: [{ column: 'close', descending: true }], filters: {} })).toBe(false);
    expect(isPlain(columns, { sort: [], filters: { symbol: { min: '', max: '', text: 'x' } } })).toBe(false);
  });
});
