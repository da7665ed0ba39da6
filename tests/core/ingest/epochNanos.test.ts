import { describe, expect, it } from 'vitest';
import { MAX_EPOCH_SECONDS, MIN_EPOCH_SECONDS, writeEpochNanos } from '../../../core/ingest/epochNanos.js';

describe('writeEpochNanos', () => {
  it('writes seconds·1e9 + nanos exactly, at the edges and in between', () => {
    const column = new BigInt64Array(1);
    const words = new Uint32Array(column.buffer);
    const cases: [number, number][] = [
      [0, 0],
      [0, 999_999_999],
      [1, 0],
      [65_535, 999_999_999],
      [65_536, 1],
      [4_294_967_295, 999_999_999],
      [4_294_967_296, 0],
      [1_704_153_600, 123_456_789],
      [MAX_EPOCH_SECONDS, 999_999_999],
      [-1, 5],
      [MIN_EPOCH_SECONDS, 0],
    ];
    for (let i = 0; i < 5000; i++) cases.push([Math.floor(Math.random() * MAX_EPOCH_SECONDS), Math.floor(Math.random() * 1e9)]);
    for (const [seconds, nanos] of cases) {
      writeEpochNanos(words, 0, seconds, nanos);
      expect(column[0], `${seconds}s ${nanos}ns`).toBe(BigInt(seconds) * 1_000_000_000n + BigInt(nanos));
    }
  });
});
