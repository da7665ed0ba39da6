import { DateDay, Float64, Int64, Table, TimestampMicrosecond, TimestampMillisecond, TimestampNanosecond, TimestampSecond, Utf8, makeData, makeVector, vectorFromArray, type DataType, type Vector } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { vectorValueToJson } from '../../../core/arrow/arrowJson.js';
import { tableRowsToJson } from '../../../core/api/pageRows.js';

/** A nullable 64-bit column of `type` (a timestamp) from raw values; null where the value is null. */
function int64Column(type: DataType, values: (bigint | null)[]): Vector {
  const bits = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((v, i) => {
    if (v !== null) bits[i >> 3] |= 1 << (i & 7);
  });
  const nullCount = values.filter((v) => v === null).length;
  return makeVector(makeData({ type, length: values.length, nullCount, nullBitmap: nullCount > 0 ? bits : undefined, data: BigInt64Array.from(values, (v) => v ?? 0n) } as never));
}

function dayColumn(values: (number | null)[]): Vector {
  const bits = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((v, i) => {
    if (v !== null) bits[i >> 3] |= 1 << (i & 7);
  });
  const nullCount = values.filter((v) => v === null).length;
  return makeVector(makeData({ type: new DateDay(), length: values.length, nullCount, nullBitmap: nullCount > 0 ? bits : undefined, data: Int32Array.from(values, (v) => v ?? 0) }));
}

/** What rows.page gave before: vectorValueToJson of every cell. */
function cellByCell(table: Table): unknown[][] {
  const vectors = table.schema.fields.map((_, k) => table.getChildAt(k));
  return Array.from({ length: table.numRows }, (_, i) => vectors.map((v) => (v ? vectorValueToJson(v, i) : null)));
}

describe('tableRowsToJson', () => {
  // edges: the epoch, before it with a fraction, 2^53 ± 1 (the plain-number path ends there), Date's limits and beyond
  const raw = [0n, -1n, 1n, -999_999n, 1_262_586_000_123_456n, 9_007_199_254_740_991n, 9_007_199_254_740_992n, -9_007_199_254_740_993n, 8_640_000_000_000_999_999n, 8_640_000_000_001_000_000n, -8_640_000_000_001_000_000n, null, 1_999_999_999n];

  it('gives timestamps of every unit exactly as vectorValueToJson, nulls included', () => {
    for (const type of [new TimestampSecond('UTC'), new TimestampMillisecond('UTC'), new TimestampMicrosecond('UTC'), new TimestampNanosecond('UTC')]) {
      const table = new Table({ ts: int64Column(type, raw) });
      expect(tableRowsToJson(table)).toEqual(cellByCell(table));
    }
    const micro = tableRowsToJson(new Table({ ts: int64Column(new TimestampMicrosecond('UTC'), raw) })).map((r) => r[0]);
    expect(micro).toEqual([
      '1970-01-01T00:00:00.000000Z',
      '1969-12-31T23:59:59.999999Z',
      '1970-01-01T00:00:00.000001Z',
      '1969-12-31T23:59:59.000001Z',
      '2010-01-04T06:20:00.123456Z',
      '2255-06-05T23:47:34.740991Z',
      '2255-06-05T23:47:34.740992Z',
      '1684-07-28T00:12:25.259007Z',
      '+275760-09-13T00:00:00.999999Z',
      '8640000000001000000',
      '-8640000000001000000',
      null,
      '1970-01-01T00:33:19.999999Z',
    ]);
    const nano = tableRowsToJson(new Table({ ts: int64Column(new TimestampNanosecond('UTC'), [-1n, 1_999_999_999n]) })).map((r) => r[0]);
    expect(nano).toEqual(['1969-12-31T23:59:59.999999999Z', '1970-01-01T00:00:01.999999999Z']);
    const seconds = tableRowsToJson(new Table({ ts: int64Column(new TimestampSecond('UTC'), [-1n, 86_400n]) })).map((r) => r[0]);
    expect(seconds).toEqual(['1969-12-31T23:59:59Z', '1970-01-02T00:00:00Z']);
  });

  it('gives dates as vectorValueToJson, one text per distinct day, nulls included', () => {
    const table = new Table({ date: dayColumn([14_613, 14_613, null, 14_614, 14_613, -1, 0, 2_932_897, -719_529]) });
    expect(tableRowsToJson(table)).toEqual(cellByCell(table));
    expect(tableRowsToJson(table).map((r) => r[0])).toEqual(['2010-01-04', '2010-01-04', null, '2010-01-05', '2010-01-04', '1969-12-31', '1970-01-01', '+010000-01-01', '-000001-12-31']);
  });

  it('keeps the columns in order, other types as vectorValueToJson, across chunks and slices', () => {
    const ts = int64Column(new TimestampMicrosecond('UTC'), [1_262_586_000_000_000n, 1_262_586_060_000_000n, null, 1_262_586_180_000_000n]);
    const table = new Table({
      timestamp: ts,
      close: vectorFromArray([4990.5, Number.NaN, null, Infinity], new Float64()),
      volume: vectorFromArray([642n, 9_007_199_254_740_993n, null, -5n], new Int64()),
      date: dayColumn([14_613, 14_613, null, 14_613]),
      note: vectorFromArray(['a', null, 'c', 'd'], new Utf8()),
    });
    const two = table.concat(table);
    expect(tableRowsToJson(two)).toEqual(cellByCell(two));
    const sliced = two.slice(3, 6);
    expect(tableRowsToJson(sliced)).toEqual(cellByCell(sliced));
    expect(tableRowsToJson(sliced)).toEqual([
      ['2010-01-04T06:23:00.000000Z', 'Infinity', -5, '2010-01-04', 'd'],
      ['2010-01-04T06:20:00.000000Z', 4990.5, 642, '2010-01-04', 'a'],
      ['2010-01-04T06:21:00.000000Z', 'NaN', '9007199254740993', '2010-01-04', null],
    ]);
    expect(tableRowsToJson(table.slice(0, 0))).toEqual([]);
  });
});
