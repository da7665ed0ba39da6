import { describe, expect, it } from 'vitest';
import { MesDataError } from '../../../core/errors.js';
import { filterValueIn, isoToEpoch, passes, prepareFilter, rangeMayPass, statisticIn, type Domain } from '../../../core/store/datasetFilters.js';

const NUMBER: Domain = { kind: 'number' };
const NS: Domain = { kind: 'timestamp', unit: 3 };

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof MesDataError) return error.code;
    throw error;
  }
  return 'none';
}

describe('dataset filters', () => {
  it('parses instants exactly in the column unit', () => {
    expect(isoToEpoch('2024-01-02T00:03:00.000000001Z', 3)).toBe(1_704_153_780_000_000_001n);
    expect(isoToEpoch('2024-01-02T00:03:00Z', 1)).toBe(1_704_153_780_000n);
    expect(isoToEpoch('2024-01-02', 2)).toBe(1_704_153_600_000_000n);
    expect(isoToEpoch('2024-01-01T18:00:00-06:00', 0)).toBe(1_704_153_600n);
    expect(isoToEpoch('2024-01-02T00:00:00.123456789Z', 1)).toBe(1_704_153_600_123n);
    expect(isoToEpoch('1969-12-31T23:59:59.999Z', 1)).toBe(-1n);
    expect(isoToEpoch('2024-02-30T00:00:00Z', 1)).toBeNull();
    expect(isoToEpoch('yesterday', 1)).toBeNull();
  });

  it('converts filter values to the column domain or says what it expected', () => {
    expect(filterValueIn(NS, new Date('2024-01-02T00:00:00.001Z'), 'timestamp')).toBe(1_704_153_600_001_000_000n);
    expect(filterValueIn(NS, 5n, 'timestamp')).toBe(5n);
    expect(filterValueIn({ kind: 'date' }, '2024-01-15', 'date')).toBe(19_737);
    expect(filterValueIn(NUMBER, '12', 'volume')).toBe(12n);
    expect(codeOf(() => filterValueIn(NUMBER, 'lots', 'volume'))).toBe('BAD_REQUEST');
    expect(codeOf(() => filterValueIn({ kind: 'date' }, '15/01/2024', 'date'))).toBe('BAD_REQUEST');
    expect(codeOf(() => prepareFilter({ column: 'a', op: 'in', value: 1 }, NUMBER))).toBe('BAD_REQUEST');
    expect(codeOf(() => prepareFilter({ column: 'a', op: '~' as never, value: 1 }, NUMBER))).toBe('BAD_REQUEST');
  });

  it('has SQL semantics: null never passes, NaN only passes !=', () => {
    const ops = ['=', '!=', '<', '<=', '>', '>='] as const;
    const at = (value: number | bigint | null) => ops.map((op) => passes(prepareFilter({ column: 'x', op, value: 5 }, NUMBER), value));
    expect(at(5)).toEqual([true, false, false, true, false, true]);
    expect(at(4n)).toEqual([false, true, true, true, false, false]);
    expect(at(5.5)).toEqual([false, true, false, false, true, true]);
    expect(at(null)).toEqual([false, false, false, false, false, false]);
    expect(passes(prepareFilter({ column: 'x', op: '=', value: null }, NUMBER), 5)).toBe(false);
    expect(passes(prepareFilter({ column: 'x', op: 'in', value: [1, 5, null] }, NUMBER), 5n)).toBe(true);
    expect(passes(prepareFilter({ column: 'x', op: '!=', value: 1 }, NUMBER), NaN)).toBe(true);
  });

  it('keeps a row group unless its [min, max] rules every row out', () => {
    const may = (op: '=' | '!=' | '<' | '<=' | '>' | '>=', value: number, min: number, max: number) => rangeMayPass(prepareFilter({ column: 'x', op, value }, NUMBER), min, max);
    expect([may('=', 5, 1, 4), may('=', 5, 1, 5), may('=', 5, 6, 9)]).toEqual([false, true, false]);
    expect([may('!=', 5, 5, 5), may('!=', 5, 5, 6)]).toEqual([false, true]);
    expect([may('<', 5, 5, 9), may('<', 5, 4, 9), may('<=', 5, 5, 9)]).toEqual([false, true, true]);
    expect([may('>', 5, 1, 5), may('>', 5, 1, 6), may('>=', 5, 1, 5)]).toEqual([false, true, true]);
    expect(rangeMayPass(prepareFilter({ column: 'x', op: 'in', value: [1, 10] }, NUMBER), 2, 9)).toBe(false);
    expect(rangeMayPass(prepareFilter({ column: 'x', op: '=', value: 1 }, NUMBER), null, 9)).toBe(true);
    expect(statisticIn(NS, '2024-01-02T00:00:00.000000000Z')).toBe(1_704_153_600_000_000_000n);
    expect(statisticIn(NUMBER, '9223372036854775807')).toBe(9_223_372_036_854_775_807n);
    expect(statisticIn({ kind: 'date' }, '2024-01-15')).toBe(19_737);
    expect(statisticIn(NS, 1704153600)).toBeNull();
  });
});
