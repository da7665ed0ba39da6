import { describe, expect, it } from 'vitest';
import { filledText, offendingRows, parseReport, ruleTitle, rulesByRow } from '../../../renderer/src/validate/validationReport.ts';

const report = {
  target: 'raw/MES/2024-01-03',
  schema: 'ohlcv',
  schemaVersion: '1.0.0',
  mode: 'strict',
  valid: false,
  rowCount: 100,
  errors: [
    { rule: 'ohlc_consistency', code: 'OHLC_INCONSISTENT', count: 2, rows: [7, 40], message: 'high below low in 2 rows', severity: 'error' },
    { rule: 'unique_timestamp', code: 'DUPLICATE_TIMESTAMP', column: 'timestamp', count: 1, rows: [12], message: '1 duplicate', severity: 'error' },
  ],
  warnings: [{ rule: 'session_gap', code: 'SESSION_GAP', count: 1, rows: [40], message: 'gap', severity: 'warning' }],
  metrics: { nullCounts: { open: 0 }, completenessPercentage: 98.5, duplicateTimestamps: 1, gapCount: 1, missingBars: 3 },
  coercions: {},
};

describe('validationReport', () => {
  it('reads a report exactly', () => {
    const parsed = parseReport(report);
    expect(parsed?.valid).toBe(false);
    expect(parsed?.errors.map((i) => [i.rule, i.count, i.rows])).toEqual([
      ['ohlc_consistency', 2, [7, 40]],
      ['unique_timestamp', 1, [12]],
    ]);
    expect(parsed?.errors[1].column).toBe('timestamp');
    expect(parsed?.warnings[0].severity).toBe('warning');
    expect(parsed?.metrics).toEqual({ nullCounts: { open: 0 }, completenessPercentage: 98.5, duplicateTimestamps: 1, gapCount: 1, missingBars: 3, barIntervalSeconds: null });
  });

  it('finds the report inside a promote result or a gate error', () => {
    expect(parseReport({ version: 'v1', report })?.rowCount).toBe(100);
    expect(parseReport({ report: { ...report, valid: true, errors: [] } })?.valid).toBe(true);
    expect(parseReport({ something: 'else' })).toBeNull();
    expect(parseReport(null)).toBeNull();
  });

  it('lists offending rows and the rules per row', () => {
    const parsed = parseReport(report);
    expect(offendingRows(parsed)).toEqual([7, 12, 40]);
    expect(offendingRows(parsed, 'errors')).toEqual([7, 12, 40]);
    expect(rulesByRow(parsed).get(40)).toEqual({ rules: ['ohlc_consistency', 'session_gap'], error: true });
    expect(rulesByRow({ ...parsed!, errors: [] }).get(40)).toEqual({ rules: ['session_gap'], error: false });
    expect(ruleTitle('ohlc_consistency')).toBe('OHLC inconsistent');
    expect(ruleTitle('made_up_rule')).toBe('made up rule');
  });

  it('writes the share of filled cells without rounding up to 100%', () => {
    expect([100, 99.9996, 99.5, 0].map(filledText)).toEqual(['100%', '99.99%', '99.50%', '0.00%']);
  });
});
