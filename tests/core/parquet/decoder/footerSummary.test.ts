import { describe, expect, it } from 'vitest';
import { jsonSafe } from '../../../../core/parquet/decoder/footerSummary.js';

describe('footerSummary.jsonSafe', () => {
  it('keeps footer values exact in plain data', () => {
    expect(jsonSafe(42n)).toBe(42);
    expect(jsonSafe(2n ** 60n)).toBe('1152921504606846976');
    expect(jsonSafe(-(2n ** 60n))).toBe('-1152921504606846976');
    expect(jsonSafe(new Uint8Array([1, 2, 255]))).toBe('AQL/');
    expect(jsonSafe(new Date(Date.UTC(2024, 0, 2, 3, 4, 5)))).toBe('2024-01-02T03:04:05.000Z');
    expect(jsonSafe(Number.NaN)).toBe('NaN');
    expect(jsonSafe(-Infinity)).toBe('-Infinity');
    expect(jsonSafe(undefined)).toBe(null);
    expect(jsonSafe('x')).toBe('x');
  });
});
