import { describe, expect, it } from 'vitest';
import { nanosToMicros, wholeNumbersToInt64 } from '../../../core/ingest/columnBuffers.js';

describe('nanosToMicros', () => {
  it('divides whole-microsecond nanoseconds by 1,000 exactly, across the word boundary, before 1970 and at the int64 edges', () => {
    const micros = [
      0n,
      1n,
      999n,
      1_000n,
      4_294_967_295n, // 2^32 - 1 µs: the nanoseconds span both words
      4_294_967_296n,
      1_262_559_600_000_000n, // 2010-01-03T23:00:00Z
      1_613_043_540_123_456n,
      9_223_372_036_854_775n, // the largest whole microsecond that fits in int64 nanoseconds
      -1n,
      -1_262_559_600_000_001n,
      -9_223_372_036_854_775n,
    ];
    const nanos = BigInt64Array.from(micros.map((us) => us * 1000n));
    expect([...nanosToMicros(nanos)]).toEqual(micros);
  });

  it('converts only the first rows of a longer buffer', () => {
    const nanos = BigInt64Array.from([5_000n, 7_000n, 9_000n]);
    expect([...nanosToMicros(nanos, 2)]).toEqual([5n, 7n]);
    expect(nanosToMicros(nanos.subarray(1), 2)).toEqual(BigInt64Array.from([7n, 9n]));
  });
});

describe('wholeNumbersToInt64', () => {
  it('keeps whole numbers below 2^53 exact, negative ones too, and NaN as 0', () => {
    expect([...wholeNumbersToInt64(Float64Array.from([0, 5, 4_294_967_296, 9_007_199_254_740_991, -5, -4_294_967_297, NaN]))]).toEqual([
      0n,
      5n,
      4_294_967_296n,
      9_007_199_254_740_991n,
      -5n,
      -4_294_967_297n,
      0n,
    ]);
  });
});
