import { Decimal, Dictionary, Int32, Int64, makeData, makeVector, Table, TimestampNanosecond, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { tableToJsonRows } from '../../../core/arrow/arrowJson.js';
import { takeRows } from '../../../core/arrow/takeRows.js';

describe('takeRows', () => {
  it('picks rows in the given order, exactly, with nulls, across chunks', () => {
    const first = new Table({
      big: vectorFromArray([9_007_199_254_740_993n, null], new Int64()),
      ts: makeVector(makeData({ type: new TimestampNanosecond('UTC'), length: 2, data: new BigInt64Array([1n, 2n]) })),
      dec: makeVector(makeData({ type: new Decimal(2, 10, 128), length: 2, data: new Uint32Array([5, 0, 0, 0, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff]) })),
      text: vectorFromArray(['a', null], new Utf8()),
      code: vectorFromArray(['MES', 'ES'], new Dictionary(new Utf8(), new Int32())),
    });
    const second = new Table({
      big: vectorFromArray([7n, 8n], new Int64()),
      ts: makeVector(makeData({ type: new TimestampNanosecond('UTC'), length: 2, data: new BigInt64Array([3n, 4n]) })),
      dec: makeVector(makeData({ type: new Decimal(2, 10, 128), length: 2, data: new Uint32Array([1, 0, 0, 0, 2, 0, 0, 0]) })),
      text: vectorFromArray(['c', 'd'], new Utf8()),
      code: vectorFromArray(['NQ', 'MES'], new Dictionary(new Utf8(), new Int32())),
    });
    const picked = takeRows(first.concat(second), [3, 0, 1]);
    expect(tableToJsonRows(picked)).toEqual([
      { big: 8, ts: '1970-01-01T00:00:00.000000004Z', dec: '0.02', text: 'd', code: 'MES' },
      { big: '9007199254740993', ts: '1970-01-01T00:00:00.000000001Z', dec: '0.05', text: 'a', code: 'MES' },
      { big: null, ts: '1970-01-01T00:00:00.000000002Z', dec: '-0.01', text: null, code: 'ES' },
    ]);
    expect(picked.schema.fields.map((f) => String(f.type))).toEqual(['Int64', 'Timestamp<NANOSECOND, UTC>', 'Decimal[10e+2]', 'Utf8', 'Utf8']);
  });
});
