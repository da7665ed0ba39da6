import { describe, expect, it } from 'vitest';
import { daysFromCivil } from '../../../core/time/civilDays.js';
import { DateTimeReader, EpochReader, epochUnitForDigits } from '../../../core/ingest/timestampParser.js';

const DAY_2024_01_02 = daysFromCivil(2024, 1, 2);

function parse(text: string) {
  const reader = new DateTimeReader();
  const bytes = Buffer.from(text);
  if (!reader.parse(bytes, 0, bytes.length)) return null;
  return { days: reader.days, seconds: reader.seconds, nanos: reader.nanos, offset: reader.hasOffset ? reader.offset : null, dateOnly: reader.dateOnly };
}

describe('DateTimeReader', () => {
  it('reads ISO 8601 with and without offsets, to the nanosecond', () => {
    expect(parse('2024-01-02T17:00:00')).toEqual({ days: DAY_2024_01_02, seconds: 61_200, nanos: 0, offset: null, dateOnly: false });
    expect(parse('2024-01-02T17:00:00.123456789Z')).toEqual({ days: DAY_2024_01_02, seconds: 61_200, nanos: 123_456_789, offset: 0, dateOnly: false });
    expect(parse('2024-01-02T17:00:00.5+05:30')).toEqual({ days: DAY_2024_01_02, seconds: 61_200, nanos: 500_000_000, offset: 19_800, dateOnly: false });
    expect(parse('2024-01-02T17:00:00-0600')?.offset).toBe(-21_600);
    expect(parse('2024-01-02T17:00:00-06')?.offset).toBe(-21_600);
    expect(parse('2024-01-02 17:00:00 UTC')?.offset).toBe(0);
  });

  it('reads YYYY-MM-DD HH:MM[:SS[.fff…]], YYYYMMDD, MM/DD/YYYY and DD.MM.YYYY', () => {
    expect(parse('2024-01-02 17:00')).toMatchObject({ days: DAY_2024_01_02, seconds: 61_200, dateOnly: false });
    expect(parse('2024-01-02 17:00:01.000001')).toMatchObject({ seconds: 61_201, nanos: 1000 });
    expect(parse('2024/01/02 09:05:07,25')).toMatchObject({ seconds: 32_707, nanos: 250_000_000 });
    expect(parse('20240102')).toEqual({ days: DAY_2024_01_02, seconds: 0, nanos: 0, offset: null, dateOnly: true });
    expect(parse('20240102 170000')).toMatchObject({ days: DAY_2024_01_02, seconds: 61_200 });
    expect(parse('01/02/2024')).toMatchObject({ days: DAY_2024_01_02, dateOnly: true });
    expect(parse('1/2/2024 5:00 PM')).toMatchObject({ days: DAY_2024_01_02, seconds: 61_200 });
    expect(parse('01/02/2024 12:30 AM')).toMatchObject({ seconds: 1800 });
    expect(parse('02.01.2024 17:00')).toMatchObject({ days: DAY_2024_01_02, seconds: 61_200 });
    expect(parse('2024-01-02')).toMatchObject({ dateOnly: true });
  });

  it('refuses what is not a real date or time', () => {
    for (const text of ['2024-13-01', '2024-02-30', '2023-02-29', '2024-01-02 24:00', '2024-01-02 12:60', '2024-01-02T12:00:00.1234567891', '13/01/2024', '2024-01-02 17:00 CET', 'yesterday', '', '2024-01-02T', '1704153600']) {
      expect(parse(text), text).toBeNull();
    }
    expect(parse('2024-02-29')).toMatchObject({ dateOnly: true });
  });

  it('reads dates and times alone (split columns)', () => {
    const reader = new DateTimeReader();
    const time = (text: string) => {
      const bytes = Buffer.from(text);
      return reader.parseTime(bytes, 0, bytes.length) ? [reader.seconds, reader.nanos] : null;
    };
    expect(time('17:00')).toEqual([61_200, 0]);
    expect(time('17:00:05.25')).toEqual([61_205, 250_000_000]);
    expect(time('170005')).toEqual([61_205, 0]);
    expect(time('930')).toEqual([34_200, 0]);
    expect(time('5:30 pm')).toEqual([63_000, 0]);
    expect(time('25:00')).toBeNull();
    const date = Buffer.from('2024-01-02');
    expect(reader.parseDate(date, 0, date.length)).toBe(true);
    expect(reader.days).toBe(DAY_2024_01_02);
    const dateTime = Buffer.from('2024-01-02 17:00');
    expect(reader.parseDate(dateTime, 0, dateTime.length)).toBe(false);
  });
});

describe('EpochReader', () => {
  const epoch = (text: string, unit: 's' | 'ms' | 'us' | 'ns') => {
    const reader = new EpochReader();
    const bytes = Buffer.from(text);
    return reader.parse(bytes, 0, bytes.length, unit) ? [reader.seconds, reader.nanos] : null;
  };

  it('reads every unit exactly, including 19-digit nanoseconds', () => {
    expect(epoch('1704153600', 's')).toEqual([1_704_153_600, 0]);
    expect(epoch('1704153600.123456789', 's')).toEqual([1_704_153_600, 123_456_789]);
    expect(epoch('1704153600123', 'ms')).toEqual([1_704_153_600, 123_000_000]);
    expect(epoch('1704153600123.456', 'ms')).toEqual([1_704_153_600, 123_456_000]);
    expect(epoch('1704153600123456', 'us')).toEqual([1_704_153_600, 123_456_000]);
    expect(epoch('1704153600123456789', 'ns')).toEqual([1_704_153_600, 123_456_789]);
    expect(epoch('-1.5', 's')).toEqual([-2, 500_000_000]);
    expect(epoch('0', 'ns')).toEqual([0, 0]);
  });

  it('refuses text that is not a plain number or is finer than a nanosecond', () => {
    expect(epoch('1.7e9', 's')).toBeNull();
    expect(epoch('1704153600123456789.5', 'ns')).toBeNull();
    expect(epoch('12:00', 's')).toBeNull();
  });

  it('tells the unit from the magnitude', () => {
    expect(['1704153600', '1704153600123', '1704153600123456', '1704153600123456789'].map((t) => epochUnitForDigits(t.length))).toEqual(['s', 'ms', 'us', 'ns']);
  });
});
