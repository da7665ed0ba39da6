import { describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA } from '../../../core/schema/predefinedSchemas.js';
import { TableValidator, validateTable } from '../../../core/validation/validateTable.js';
import { barsFromCloses, barsTable, type Bar } from '../../helpers/barsTable.js';

/** One defect per row after the first: high below low, a repeated minute with negative volume, a zero open out of order. */
const DEFECTS: Bar[] = [
  ['2024-01-03T15:00:00Z', 5000, 5001, 4999, 5000.5, 10],
  ['2024-01-03T15:01:00Z', 5000.5, 4999, 5001, 5000, 11],
  ['2024-01-03T15:01:00Z', 5000, 5001, 4999, 5000, -3],
  ['2024-01-03T15:00:30Z', 0, 5001, 4999, 5000, 12],
  ['2024-01-03T15:03:00Z', 5000, 5001, 4999, 5000, 13],
];

describe('validateTable', () => {
  it('passes consistent minute bars, with complete metrics and the interval it inferred', () => {
    const { report } = validateTable(barsTable(barsFromCloses('2024-01-03T15:00:00Z', 60, [5000, 5000.25, 5000.5, 5000.75])), OHLCV_SCHEMA, { target: 'raw/MES/2024-01-03' });
    expect({ ...report, warnings: report.warnings.map((w) => w.rule) }).toEqual({
      target: 'raw/MES/2024-01-03',
      schema: 'ohlcv',
      schemaVersion: '1.0.0',
      mode: 'strict',
      valid: true,
      rowCount: 4,
      errors: [],
      warnings: [],
      metrics: { nullCounts: { timestamp: 0, open: 0, high: 0, low: 0, close: 0, volume: 0 }, completenessPercentage: 100, duplicateTimestamps: 0, gapCount: 0, missingBars: 0, barIntervalSeconds: 60 },
      coercions: {},
    });
  });

  it('reports each rule once, with its count and its rows (0-based), in rule order', () => {
    const { report } = validateTable(barsTable(DEFECTS), OHLCV_SCHEMA);
    expect(report.valid).toBe(false);
    expect(report.errors.map((e) => [e.rule, e.code, e.column ?? null, e.count, e.rows, e.severity])).toEqual([
      ['positive_price', 'NON_POSITIVE_PRICE', 'open', 1, [3], 'error'],
      ['ohlc_consistency', 'OHLC_INCONSISTENT', null, 2, [1, 3], 'error'],
      ['non_negative_volume', 'NEGATIVE_VOLUME', 'volume', 1, [2], 'error'],
      ['sorted_timestamp', 'UNSORTED_TIMESTAMP', 'timestamp', 1, [3], 'error'],
      ['unique_timestamp', 'DUPLICATE_TIMESTAMP', 'timestamp', 1, [2], 'error'],
    ]);
    expect(report.errors[1].message).toBe('2 bar(s) where high < max(open, close), low > min(open, close) or high < low; first at row 1');
    expect(report.metrics.duplicateTimestamps).toBe(1);
  });

  it('a rule the schema disables is not run, and one set to warning does not make the report invalid', () => {
    const schema = {
      ...OHLCV_SCHEMA,
      rules: { ...OHLCV_SCHEMA.rules, ohlc_consistency: { enabled: false }, positive_price: { enabled: true, severity: 'warning' as const } },
    };
    const { report } = validateTable(barsTable(DEFECTS), schema);
    expect(report.errors.map((e) => e.rule)).toEqual(['non_negative_volume', 'sorted_timestamp', 'unique_timestamp']);
    expect(report.warnings.map((w) => [w.rule, w.severity, w.rows])).toEqual([['positive_price', 'warning', [3]]]);
    const fixed = validateTable(barsTable(DEFECTS.slice(0, 2).map((b, i) => (i === 1 ? [b[0], 5000.5, 5001, 4999, 5000, 11] : b))), schema);
    expect({ valid: fixed.report.valid, errors: fixed.report.errors.length }).toEqual({ valid: true, errors: 0 });
  });

  it('gives the same report when the rows come in pieces through the TableValidator', () => {
    const table = barsTable(DEFECTS);
    const whole = validateTable(table, OHLCV_SCHEMA).report;
    const validator = new TableValidator(OHLCV_SCHEMA, { expectedRows: table.numRows });
    for (const [from, to] of [
      [0, 2],
      [2, 3],
      [3, 5],
    ]) {
      validator.push(table.slice(from, to));
    }
    expect(validator.finish()).toEqual(whole);
  });
});
