import { describe, expect, it } from 'vitest';
import { JobResultSchemas, type ValidationReport } from '../../../core/api/contract.ts';
import { datesLine, droppedTotal, gateOfError, gateOfResult } from '../../../renderer/src/promote/promoteResult.ts';

const report: ValidationReport = {
  target: 'raw/MES',
  schema: 'ohlcv',
  schemaVersion: '1.0.0',
  mode: 'strict',
  valid: false,
  rowCount: 100,
  errors: [{ rule: 'ohlc_consistency', code: 'OHLC_INCONSISTENT', count: 5, rows: [1, 2, 3, 4, 5], message: '5 bars with high below low', severity: 'error' }],
  warnings: [],
  metrics: { nullCounts: {}, completenessPercentage: 100, duplicateTimestamps: 0, gapCount: 0, missingBars: 0, barIntervalSeconds: 60 },
  coercions: {},
};

describe('promote gate', () => {
  it('reads the gate of a promote result (the CLI promote JSON)', () => {
    const result = JobResultSchemas.promote.parse({
      version: 'v1',
      path: 'cleaned/v1/MES',
      rows: 95,
      inputs: [{ path: 'raw/MES/2024-01-03/bars.parquet', sha256: 'ab' }],
      report,
      dropped: { ohlc_consistency: 5, unique_timestamp: 2 },
      status: 'created',
      dates: { shared: 11, written: 1, removed: 0 },
    });
    expect(gateOfResult(result)).toEqual({ report, dropped: { ohlc_consistency: 5, unique_timestamp: 2 }, dates: { shared: 11, written: 1, removed: 0 } });
    expect(droppedTotal(result.dropped)).toBe(7);
    expect(droppedTotal({})).toBe(0);
  });

  it('reads the gate a VALIDATION_GATE error carries, and nothing from any other error', () => {
    expect(gateOfError({ code: 'VALIDATION_GATE', message: 'stopped at the gate', details: { asset: 'MES', report } })).toEqual({ report, dropped: {}, dates: null });
    expect(gateOfError({ code: 'VALIDATION_GATE', message: 'every row was dropped', details: { asset: 'MES', report, dropped: { ohlc_consistency: 100 } } })).toEqual({ report, dropped: { ohlc_consistency: 100 }, dates: null });
    // details that are not a report are no gate (the error panel shows the error instead)
    expect(gateOfError({ code: 'VALIDATION_GATE', message: 'm', details: { report: { valid: false } } })).toBeNull();
    expect(gateOfError({ code: 'NOT_FOUND', message: 'no raw snapshots', details: { report } })).toBeNull();
  });

  it('says what an incremental promote shares, writes and leaves out', () => {
    expect(datesLine({ shared: 2, written: 1, removed: 0 })).toBe('2 dates shared · 1 written · 0 removed');
    expect(datesLine({ shared: 1, written: 1250, removed: 3 })).toBe('1 date shared · 1,250 written · 3 removed');
    expect(datesLine({ shared: 24, written: 1, removed: 0, by: 'year' })).toBe('24 years shared · 1 written · 0 removed');
    expect(datesLine({ shared: 1, written: 0, removed: 2, by: 'year' })).toBe('1 year shared · 0 written · 2 removed');
    expect(datesLine(null)).toBe('');
  });
});
