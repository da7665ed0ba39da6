import { describe, expect, it } from 'vitest';
import { InvalidNameError } from '../../../core/errors.js';
import { checkAssetName, checkDate, checkFeatureSetName, checkFileName, isIsoDate, isValidName, isWindowsReserved, normalizeAssetName, parquetFileName, storeFileStem } from '../../../core/store/storeNames.js';

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
    expect(['MES', 'ES', 'NQ', 'MES.FUT', 'ES_H24', 'CL-2', 'V', 'V3X', 'A'.repeat(100)].map(checkAssetName)).toEqual(['MES', 'ES', 'NQ', 'MES.FUT', 'ES_H24', 'CL-2', 'V', 'V3X', 'A'.repeat(100)]);
  });

  it('refuses bad assets with INVALID_NAME naming the value', () => {
    const cases: [string, string][] = [
      ['', 'invalid asset "": it is empty'],
      ['mes', 'invalid asset "mes": use upper-case letters A–Z, digits, ".", "_" and "-" only'],
      [' MES', 'invalid asset " MES": use upper-case letters A–Z, digits, ".", "_" and "-" only'],
      ['MES ', 'invalid asset "MES ": it ends with "." or a space (Windows drops them)'],
      ['CON', 'invalid asset "CON": "CON" is a device name reserved on Windows'],
      ['Nul', 'invalid asset "Nul": "Nul" is a device name reserved on Windows'],
      ['COM1.X', 'invalid asset "COM1.X": "COM1" is a device name reserved on Windows'],
      ['ES.', 'invalid asset "ES.": it ends with "." or a space (Windows drops them)'],
      ['../ES', 'invalid asset "../ES": it contains ".."'],
      ['ES/NQ', 'invalid asset "ES/NQ": it contains a path separator'],
      ['ES\\NQ', 'invalid asset "ES\\\\NQ": it contains a path separator'],
      ['ES\u0007', 'invalid asset "ES\\u0007": it contains a control character'],
      ['.ES', 'invalid asset ".ES": it starts with "." (a hidden name)'],
      ['V3', 'invalid asset "V3": it looks like a version folder'],
      ['V12', 'invalid asset "V12": it looks like a version folder'],
      ['A'.repeat(101), `invalid asset "${'A'.repeat(101)}": it is 101 characters long; the limit is 100`],
    ];
    for (const [value, message] of cases) expect(codeOf(() => checkAssetName(value))).toEqual({ code: 'INVALID_NAME', value, message });
  });

  it('upper-cases an asset as typed (ASCII letters only), repairs nothing else, and takes only the stored form from disk', () => {
    expect(['mes', 'Es.fut', 'mEs_h24', 'MES'].map(normalizeAssetName)).toEqual(['MES', 'ES.FUT', 'MES_H24', 'MES']);
    // "ß" would become "SS" with toUpperCase
    expect(codeOf(() => normalizeAssetName('meß'))?.message).toBe('invalid asset "MEß": use upper-case letters A–Z, digits, ".", "_" and "-" only');
    expect(codeOf(() => normalizeAssetName(' mes'))?.message).toBe('invalid asset " MES": use upper-case letters A–Z, digits, ".", "_" and "-" only');
    expect(codeOf(() => normalizeAssetName('nul'))?.message).toBe('invalid asset "NUL": "NUL" is a device name reserved on Windows');
    expect(isValidName(checkAssetName, 'MES')).toBe(true);
    expect(isValidName(checkAssetName, 'mes')).toBe(false);
  });

  it('refuses names Windows reserves or cannot hold, in every kind', () => {
    expect(['CON', 'con', 'PRN', 'AUX', 'NUL', 'COM1', 'lpt9', 'COM\u00b9', 'nul.parquet', 'Con.txt'].map(isWindowsReserved)).toEqual(Array(10).fill(true));
    expect(['CONSOLE', 'NULL', 'COM10', 'ACON', 'MES'].map(isWindowsReserved)).toEqual(Array(5).fill(false));
    expect(codeOf(() => checkFileName('nul.parquet'))?.message).toBe('invalid file name "nul.parquet": "nul" is a device name reserved on Windows');
    expect(codeOf(() => checkFeatureSetName('aux'))?.message).toBe('invalid feature set "aux": "aux" is a device name reserved on Windows');
    expect(codeOf(() => checkFileName('a:b'))?.message).toBe('invalid file name "a:b": it contains a character Windows does not allow in names (< > : " | ? *)');
    expect(codeOf(() => checkFileName('bars '))?.message).toBe('invalid file name "bars ": it ends with "." or a space (Windows drops them)');
  });

  it('gives source files store names that never collide once reduced, and are stable', () => {
    expect(storeFileStem('/data/a_b.csv')).toBe('a_b');
    expect(storeFileStem('/data/a b.csv')).toBe('a_b-c8687a08');
    expect(storeFileStem('/data/a=b.csv')).toBe('a_b-42144f39');
    expect(storeFileStem('other/a b.csv.gz')).toBe('a_b-c8687a08');
    expect(storeFileStem('CON.csv')).toBe('CON-a3dbc4b6');
    expect(storeFileStem('nul.parquet')).toBe('nul-99e62427');
    for (const name of ['a b.csv', 'CON.csv', '....csv', `${'é'.repeat(300)}.csv`, 'x:y?.csv']) expect(checkFileName(storeFileStem(name))).toBe(storeFileStem(name));
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
