import { describe, expect, it } from 'vitest';
import { copyText, formatCell, formatTimestamp, isNumericType, isTimestampType, isZonedTimestampType, rowsAsTsv, shortTypeName, trimFraction } from '../../../renderer/src/table/cellFormat.ts';
import { numberStyleFor } from '../../../renderer/src/table/numberFormat.ts';

describe('cellFormat', () => {
  it('names column types briefly', () => {
    expect(shortTypeName('Timestamp<NANOSECOND, UTC>')).toBe('timestamp[ns, UTC]');
    expect(shortTypeName('Timestamp<MILLISECOND>')).toBe('timestamp[ms]');
    expect(shortTypeName('Float64')).toBe('float64');
    expect(shortTypeName('Date32<DAY>')).toBe('date32');
    expect(isTimestampType('Timestamp<NANOSECOND, UTC>')).toBe(true);
    expect(isZonedTimestampType('Timestamp<NANOSECOND, UTC>')).toBe(true);
    expect(isZonedTimestampType('Timestamp<NANOSECOND>')).toBe(false);
    expect(isNumericType('Int64')).toBe(true);
    expect(isNumericType('Float64')).toBe(true);
    expect(isNumericType('Utf8')).toBe(false);
  });

  it('shows UTC timestamps at the precision the value has (seconds, ms, µs, ns)', () => {
    expect(formatTimestamp('2024-01-02T00:00:00.000000000Z', 'utc')).toBe('2024-01-02 00:00:00 UTC');
    expect(formatTimestamp('2024-01-02T00:00:01.5Z', 'utc')).toBe('2024-01-02 00:00:01.500 UTC');
    expect(formatTimestamp('2024-01-02T00:00:01.123000000Z', 'utc')).toBe('2024-01-02 00:00:01.123 UTC');
    expect(formatTimestamp('2024-01-02T00:00:01.000001000Z', 'utc')).toBe('2024-01-02 00:00:01.000001 UTC');
    expect(formatTimestamp('2024-01-02T00:00:01.000000001Z', 'utc')).toBe('2024-01-02 00:00:01.000000001 UTC');
    expect(['', '.0', '.000', '.1', '.1234', '.000000120'].map(trimFraction)).toEqual(['', '', '', '.100', '.123400', '.000000120']);
  });

  it('shows exchange time in Chicago, standard and daylight time', () => {
    expect(formatTimestamp('2024-01-02T00:00:00.000000123Z', 'exchange')).toBe('2024-01-01 18:00:00.000000123 CST');
    expect(formatTimestamp('2024-07-01T14:30:00.000Z', 'exchange')).toBe('2024-07-01 09:30:00 CDT');
    // the spring-forward night: 08:00Z is 03:00 CDT, 07:59Z is 01:59 CST
    expect(formatTimestamp('2024-03-10T07:59:00Z', 'exchange')).toBe('2024-03-10 01:59:00 CST');
    expect(formatTimestamp('2024-03-10T08:00:00Z', 'exchange')).toBe('2024-03-10 03:00:00 CDT');
  });

  it('leaves other text alone and writes values exactly', () => {
    expect(formatTimestamp('not a time', 'exchange')).toBe('not a time');
    expect(formatCell(5000.25, 'Float64', 'utc')).toBe('5000.25');
    expect(formatCell('9007199254740993', 'Int64', 'utc')).toBe('9007199254740993');
    expect(formatCell(null, 'Float64', 'utc')).toBe('null');
    expect(formatCell('NaN', 'Float64', 'utc')).toBe('NaN');
    expect(formatCell('2024-01-02T00:00:00Z', 'Timestamp<SECOND>', 'exchange')).toBe('2024-01-02T00:00:00Z');
    expect(formatCell({ a: 1 }, 'Struct', 'utc')).toBe('{"a":1}');
  });

  it('writes numbers in their column style when given one; copies stay exact', () => {
    expect(formatCell(66.66666666666667, 'Float64', 'utc', undefined, numberStyleFor('rsi_14', 'Float64'))).toBe('66.6667');
    expect(formatCell(5000, 'Float64', 'utc', undefined, numberStyleFor('open', 'Float64'))).toBe('5,000.00');
    expect(formatCell('9007199254740993', 'Int64', 'utc', undefined, numberStyleFor('volume', 'Int64'))).toBe('9,007,199,254,740,993');
    expect(formatCell('NaN', 'Float64', 'utc', undefined, numberStyleFor('rsi_14', 'Float64'))).toBe('NaN');
    expect(formatCell(null, 'Float64', 'utc', undefined, numberStyleFor('rsi_14', 'Float64'))).toBe('null');
    expect(copyText(66.66666666666667)).toBe('66.66666666666667');
  });

  it('copies values as the host sent them, rows as TSV', () => {
    expect(copyText('2024-01-02T00:00:00.000000000Z')).toBe('2024-01-02T00:00:00.000000000Z');
    expect(copyText(null)).toBe('');
    expect(rowsAsTsv(['a', 'b'], [[1, 'x\ty'], [null, 2]])).toBe('a\tb\n1\tx y\n\t2');
  });
});
