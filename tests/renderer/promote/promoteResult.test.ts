import { describe, expect, it } from 'vitest';
import { droppedTotal, parsePromoteResult, versionPathOf } from '../../../renderer/src/promote/promoteResult.ts';

describe('parsePromoteResult', () => {
  it('reads the CLI promote JSON', () => {
    const view = parsePromoteResult({
      version: 'v1',
      path: 'cleaned/v1/MES',
      rows: 95,
      inputs: [{ path: 'raw/MES/2024-01-03/bars.parquet', sha256: 'ab' }],
      report: { valid: false, rowCount: 100, errors: [{ rule: 'ohlc_consistency', count: 5, rows: [1], message: 'm', code: 'X' }], warnings: [], metrics: {} },
      dropped: { ohlc_consistency: 5 },
      status: 'created',
    });
    expect(view.version).toBe('v1');
    expect(view.inputs).toEqual([{ path: 'raw/MES/2024-01-03/bars.parquet', sha256: 'ab' }]);
    expect(view.report?.errors[0].count).toBe(5);
    expect(droppedTotal(view)).toBe(5);
    expect(versionPathOf(view, 'MES')).toBe('cleaned/v1/MES');
  });

  it('finds the store path of the version from an absolute path or the version number', () => {
    expect(versionPathOf(parsePromoteResult({ path: '/data/store/cleaned/v3/ES' }), 'ES')).toBe('cleaned/v3/ES');
    expect(versionPathOf(parsePromoteResult({ version: 2 }), 'ES')).toBe('cleaned/v2/ES');
    expect(versionPathOf(parsePromoteResult({}), 'ES')).toBeNull();
  });
});
