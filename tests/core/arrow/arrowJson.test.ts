import {
  Binary,
  Bool,
  DateDay,
  Decimal,
  Dictionary,
  Field,
  Float64,
  Int32,
  Int64,
  List,
  Struct,
  Table,
  TimeMicrosecond,
  TimestampMicrosecond,
  TimestampMillisecond,
  TimestampNanosecond,
  TimestampSecond,
  Utf8,
  makeData,
  makeVector,
  vectorFromArray,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { bigintToJson, daysToDate, epochToIso, numberToJson, tableToJsonRows } from '../../../core/arrow/arrowJson.js';

describe('epochToIso', () => {
  it('prints the digits of the unit', () => {
    expect(epochToIso(1_704_153_600n, 0)).toBe('2024-01-02T00:00:00Z');
    expect(epochToIso(1_704_153_600_123n, 1)).toBe('2024-01-02T00:00:00.123Z');
    expect(epochToIso(1_704_153_600_000_007n, 2)).toBe('2024-01-02T00:00:00.000007Z');
    expect(epochToIso(1_704_153_600_123_456_789n, 3)).toBe('2024-01-02T00:00:00.123456789Z');
  });
  it('handles instants before 1970 without rounding', () => {
    expect(epochToIso(-1n, 3)).toBe('1969-12-31T23:59:59.999999999Z');
    expect(epochToIso(-1_500n, 1)).toBe('1969-12-31T23:59:58.500Z');
  });
});

describe('numbers', () => {
  it('keeps 64-bit integers beyond 2^53 exact as strings', () => {
    expect(bigintToJson(9_007_199_254_740_991n)).toBe(9_007_199_254_740_991);
    expect(bigintToJson(9_007_199_254_740_993n)).toBe('9007199254740993');
    expect(bigintToJson(-9_223_372_036_854_775_808n)).toBe('-9223372036854775808');
  });
  it('names non-finite floats', () => {
    expect(numberToJson(Number.NaN)).toBe('NaN');
    expect(numberToJson(Infinity)).toBe('Infinity');
    expect(numberToJson(-Infinity)).toBe('-Infinity');
    expect(numberToJson(-0.5)).toBe(-0.5);
  });
});

describe('tableToJsonRows', () => {
  it('converts every supported type exactly', () => {
    const ts = (type: TimestampNanosecond | TimestampMicrosecond | TimestampMillisecond | TimestampSecond, values: bigint[]) =>
      makeVector(makeData({ type, length: values.length, data: BigInt64Array.from(values) }));
    // decimal(10, 2): 12345.67 and -0.05, as 128-bit little-endian words
    const decimalWords = new Uint32Array([1_234_567, 0, 0, 0, 0xffff_fffb, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff]);
    const decimal = makeVector(makeData({ type: new Decimal(2, 10, 128), length: 2, data: decimalWords }));
    const list = vectorFromArray([[1, 2], []], new List(new Field('item', new Int32(), true)));
    const struct = vectorFromArray(
      [
        { a: 1, b: 'x' },
        { a: null, b: 'y' },
      ],
      new Struct([new Field('a', new Int32(), true), new Field('b', new Utf8(), true)]),
    );
    const dictionary = vectorFromArray(['MES', 'ES'], new Dictionary(new Utf8(), new Int32()));
    const table = new Table({
      big: vectorFromArray([9_007_199_254_740_993n, null], new Int64()),
      float: vectorFromArray([Number.NaN, 1.5], new Float64()),
      ns: ts(new TimestampNanosecond('UTC'), [1_704_153_600_000_000_001n, 0n]),
      us: ts(new TimestampMicrosecond(), [1_704_153_600_000_001n, 0n]),
      ms: ts(new TimestampMillisecond('America/Chicago'), [1_704_153_600_001n, 0n]),
      s: ts(new TimestampSecond(), [1_704_153_600n, 0n]),
      date: makeVector(makeData({ type: new DateDay(), length: 2, data: new Int32Array([19_724, -1]) })),
      time: makeVector(makeData({ type: new TimeMicrosecond(), length: 2, data: new BigInt64Array([34_200_000_001n, 0n]) })),
      decimal,
      list,
      struct,
      dictionary,
      bool: vectorFromArray([true, null], new Bool()),
      binary: vectorFromArray([new Uint8Array([1, 2, 255]), null], new Binary()),
      text: vectorFromArray(['héllo', null], new Utf8()),
    });
    expect(tableToJsonRows(table)).toEqual([
      {
        big: '9007199254740993',
        float: 'NaN',
        ns: '2024-01-02T00:00:00.000000001Z',
        us: '2024-01-02T00:00:00.000001Z',
        ms: '2024-01-02T00:00:00.001Z',
        s: '2024-01-02T00:00:00Z',
        date: '2024-01-02',
        time: '09:30:00.000001',
        decimal: '12345.67',
        list: [1, 2],
        struct: { a: 1, b: 'x' },
        dictionary: 'MES',
        bool: true,
        binary: 'AQL/',
        text: 'héllo',
      },
      {
        big: null,
        float: 1.5,
        ns: '1970-01-01T00:00:00.000000000Z',
        us: '1970-01-01T00:00:00.000000Z',
        ms: '1970-01-01T00:00:00.000Z',
        s: '1970-01-01T00:00:00Z',
        date: '1969-12-31',
        time: '00:00:00.000000',
        decimal: '-0.05',
        list: [],
        struct: { a: null, b: 'y' },
        dictionary: 'ES',
        bool: null,
        binary: null,
        text: null,
      },
    ]);
  });

  it('reads across chunks of a chunked table', () => {
    const a = new Table({ x: vectorFromArray([1, 2], new Int32()) });
    const b = new Table({ x: vectorFromArray([3], new Int32()) });
    expect(tableToJsonRows(a.concat(b))).toEqual([{ x: 1 }, { x: 2 }, { x: 3 }]);
  });
});

describe('sliced data', () => {
  it('reads values of sliced chunks from the slice start', () => {
    const table = new Table({
      n: vectorFromArray([1n, 2n, null, 4n], new Int64()),
      ts: makeVector(makeData({ type: new TimestampMillisecond('UTC'), length: 4, data: new BigInt64Array([0n, 1n, 2n, 3n]) })),
      list: vectorFromArray([[1], [2, 3], [], [4]], new List(new Field('item', new Int32(), true))),
      struct: vectorFromArray([{ a: 1 }, { a: 2 }, { a: 3 }, { a: 4 }], new Struct([new Field('a', new Int32(), true)])),
      text: vectorFromArray(['a', 'b', 'c', 'd'], new Utf8()),
    });
    expect(tableToJsonRows(table.slice(2))).toEqual([
      { n: null, ts: '1970-01-01T00:00:00.002Z', list: [], struct: { a: 3 }, text: 'c' },
      { n: 4, ts: '1970-01-01T00:00:00.003Z', list: [4], struct: { a: 4 }, text: 'd' },
    ]);
  });
});

describe('daysToDate', () => {
  it('is exact across the calendar, including leap days and far years', () => {
    expect(daysToDate(0)).toBe('1970-01-01');
    expect(daysToDate(-1)).toBe('1969-12-31');
    expect(daysToDate(11_016)).toBe('2000-02-29');
    expect(daysToDate(19_782)).toBe('2024-02-29');
    expect(daysToDate(-719_528)).toBe('0000-01-01');
    expect(daysToDate(-719_529)).toBe('-000001-12-31');
    expect(daysToDate(2_932_897)).toBe('+010000-01-01');
    expect(daysToDate(2_147_483_646)).toBe('+5881580-07-10');
  });
});
