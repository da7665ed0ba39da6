import { describe, expect, it } from 'vitest';
import { InvalidNameError } from '../../../core/errors.js';
import { checkAssetName, checkDate, checkFeatureSetName, checkFileName, isIsoDate, parquetFileName } from '../../../core/store/storeNames.js';

function codeOf(fn: () => unknown): { code: string; value: unknown; message: string } | null {
  try {
    fn();
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidNameError);
    const e = error as InvalidNameError;
    return { code: e.code, value: e.details.value, message: e.message };
  }
}

describe('store names', () => {
  it('accepts asset symbols in upper case with digits, dot, underscore and dash', () => {
    expect(['MES', 'ES', 'NQ', 'MES.FUT', 'ES_H24', 'CL-2', 'A'.repeat(100)].map(checkAssetName)).toEqual(['MES', 'ES', 'NQ', 'MES.FUT', 'ES_H24', 'CL-2', 'A'.repeat(100)]);
  });

  it('refuses bad assets with INVALID_NAME naming the value', () => {
    const cases: [string, string][] = [
      ['', 'invalid asset "": it is empty'],
      ['mes', 'invalid asset "mes": use upper-case letters A–Z, digits, ".", "_" and "-" only'],
      ['../ES', 'invalid asset "../ES": it contains ".."'],
      ['ES/NQ', 'invalid asset "ES/NQ": it contains a path separator'],
      ['ES\\NQ', 'invalid asset "ES\\\\NQ": it contains a path separator'],
      ['ES\u0007', 'invalid asset "ES\\u0007": it contains a control character'],
      ['.ES', 'invalid asset ".ES": it starts with "." (a hidden name)'],
      ['A'.repeat(101), `invalid asset "${'A'.repeat(101)}": it is 101 characters long; the limit is 100`],
    ];
    for (const [value, message] of cases) expect(codeOf(() => checkAssetName(value))).toEqual({ code: 'INVALID_NAME', value, message });
  });

  it('checks feature-set names: no "=", no version-like names, no separators', () => {
    expect(checkFeatureSetName('price_volatility')).toBe('price_volatility');
    expect(codeOf(() => checkFeatureSetName('a=b'))?.message).toBe('invalid feature set "a=b": it contains "=" (it would read as a Hive partition)');
    expect(codeOf(() => checkFeatureSetName('v2'))?.message).toBe('invalid feature set "v2": it looks like a version folder');
    expect(codeOf(() => checkFeatureSetName('x/../y'))?.code).toBe('INVALID_NAME');
    expect(codeOf(() => checkFeatureSetName('tab\there'))?.message).toBe('invalid feature set "tab\\there": it contains a control character');
  });

  it('checks file names and adds .parquet once', () => {
    expect(parquetFileName('ohlcv')).toBe('ohlcv.parquet');
    expect(parquetFileName('ohlcv.parquet')).toBe('ohlcv.parquet');
    expect(parquetFileName('MES export (1)')).toBe('MES export (1).parquet');
    expect(codeOf(() => checkFileName('metadata.json'))?.message).toBe('invalid file name "metadata.json": it is the name of the sidecar');
    expect(codeOf(() => parquetFileName('a/b'))?.code).toBe('INVALID_NAME');
    expect(codeOf(() => parquetFileName('..'))?.code).toBe('INVALID_NAME');
  });

  it('takes real calendar dates only', () => {
    expect(['2024-01-15', '2024-02-29', '2000-02-29'].map(checkDate)).toEqual(['2024-01-15', '2024-02-29', '2000-02-29']);
    for (const value of ['2023-02-29', '1900-02-29', '2024-13-01', '2024-1-5', '20240115', '2024-01-15T00:00:00Z']) {
      expect(isIsoDate(value)).toBe(false);
      expect(codeOf(() => checkDate(value))).toEqual({ code: 'INVALID_NAME', value, message: `invalid date ${JSON.stringify(value)}: expected a calendar date written YYYY-MM-DD` });
    }
  });
});
