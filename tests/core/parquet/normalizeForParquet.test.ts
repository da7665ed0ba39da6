import { DateMillisecond, Float64, makeData, makeVector, Table, TimestampSecond, vectorFromArray, type DataType } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { normalizeForParquet } from '../../../core/parquet/normalizeForParquet.js';

/** A column of 64-bit values of `type`, null where `values` has null. */
function column64(type: DataType, values: (bigint | null)[]) {
  const bitmap = new Uint8Array((values.length + 7) >> 3);
  values.forEach((value, i) => void (value !== null && (bitmap[i >> 3] |= 1 << (i & 7))));
  const nulls = values.filter((value) => value === null).length;
  return makeVector(makeData({ type, length: values.length, nullCount: nulls, nullBitmap: nulls > 0 ? bitmap : undefined, data: new BigInt64Array(values.map((v) => v ?? 0n)) } as never));
}

describe('normalizeForParquet', () => {
  it('writes second timestamps as milliseconds in the same zone, and Date64 as Date32 days, nulls kept', () => {
    const seconds = column64(new TimestampSecond('America/Chicago'), [0n, null, 1_704_153_600n, -1n]);
    const dates = column64(new DateMillisecond(), [BigInt(Date.UTC(2024, 0, 2)), -1n, null, 0n]);
    const price = vectorFromArray([1.5, 2.5, null, 4.5], new Float64());
    const out = normalizeForParquet(new Table({ ts: seconds, day: dates, price }));
    expect(out.schema.fields.map((f) => `${f.name}: ${String(f.type)}`)).toEqual(['ts: Timestamp<MILLISECOND, America/Chicago>', 'day: Date32<DAY>', 'price: Float64']);
    const ts = out.getChild('ts');
    expect(Array.from({ length: 4 }, (_, i) => (ts?.isValid(i) ? (ts.data[0].values as BigInt64Array)[i] : null))).toEqual([0n, null, 1_704_153_600_000n, -1000n]);
    const day = out.getChild('day');
    // days since the epoch, rounded down: one millisecond before 1970 is day -1
    expect(Array.from({ length: 4 }, (_, i) => (day?.isValid(i) ? (day.data[0].values as Int32Array)[i] : null))).toEqual([19_724, -1, null, 0]);
    expect(out.getChild('price')?.toArray()).toEqual(price.toArray());
  });

  it('re-bases the validity of a sliced column, and leaves a table without such columns as it is', () => {
    const seconds = column64(new TimestampSecond(), [null, 10n, null, 20n, 30n]).slice(1, 4);
    const out = normalizeForParquet(new Table({ ts: seconds }));
    const ts = out.getChild('ts');
    expect({ nulls: ts?.nullCount, values: Array.from({ length: 3 }, (_, i) => (ts?.isValid(i) ? (ts.data[0].values as BigInt64Array)[i] : null)) }).toEqual({ nulls: 1, values: [10_000n, null, 20_000n] });
    const plain = new Table({ price: vectorFromArray([1, 2], new Float64()) });
    expect(normalizeForParquet(plain)).toBe(plain);
  });
});
