import { describe, expect, it } from 'vitest';
import { ValidationReportSchema } from '../../../core/api/contract.ts';
import { filledText, offendingRows, ruleTitle, rulesByRow } from '../../../renderer/src/validate/validationReport.ts';

// parsed by the contract's schema, as the job thread checks every validate result
const report = ValidationReportSchema.parse({
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
});

describe('validationReport', () => {
  it('the schema refuses what the report panel could not show: a rule it has no name for, a missing metric', () => {
    const wrongRule = ValidationReportSchema.safeParse({ ...report, errors: [{ ...report.errors[0], rule: 'made_up_rule' }] });
    expect(wrongRule.success ? [] : wrongRule.error.issues.map((i) => i.path)).toEqual([['errors', 0, 'rule']]);
    const { gapCount: _gapCount, ...metrics } = report.metrics;
    const noGaps = ValidationReportSchema.safeParse({ ...report, metrics });
    expect(noGaps.success ? [] : noGaps.error.issues.map((i) => [i.path, i.message])).toEqual([[['metrics', 'gapCount'], 'Invalid input: expected number, received undefined']]);
  });

  it('lists offending rows and the rules per row', () => {
    expect(offendingRows(report)).toEqual([7, 12, 40]);
    expect(offendingRows(report, 'errors')).toEqual([7, 12, 40]);
    expect(offendingRows({ ...report, errors: [] }, 'errors')).toEqual([]);
    expect(offendingRows(null)).toEqual([]);
    expect(rulesByRow(report).get(40)).toEqual({ rules: ['ohlc_consistency', 'session_gap'], error: true });
    expect(rulesByRow({ ...report, errors: [] }).get(40)).toEqual({ rules: ['session_gap'], error: false });
    expect(ruleTitle('ohlc_consistency')).toBe('OHLC inconsistent');
    expect(ruleTitle('made_up_rule')).toBe('made up rule');
  });

  it('writes the share of filled cells without rounding up to 100%', () => {
    expect([100, 99.9996, 99.5, 0].map(filledText)).toEqual(['100%', '99.99%', '99.50%', '0.00%']);
  });
});
