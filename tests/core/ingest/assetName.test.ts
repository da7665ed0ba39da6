import { describe, expect, it } from 'vitest';
import { assetFromFileName, resolveAsset, stagedName } from '../../../core/ingest/assetName.js';

describe('asset from the file name', () => {
  it('finds one CME root named as a word, alone or as a contract', () => {
    expect(assetFromFileName('MES_2024-01.csv')).toBe('MES');
    expect(assetFromFileName('/data/es-1min.csv')).toBe('ES');
    expect(assetFromFileName('nq.parquet')).toBe('NQ');
    expect(assetFromFileName('ESH4 trades.csv')).toBe('ES');
    expect(assetFromFileName('MESZ2024_ticks.jsonl')).toBe('MES');
    expect(assetFromFileName('CL2024.csv')).toBe('CL');
    expect(assetFromFileName('6E-daily.csv')).toBe('6E');
    expect(assetFromFileName('M2K.tsv')).toBe('M2K');
  });

  it('gives nothing when no root or two different roots are named', () => {
    expect(assetFromFileName('bars.csv')).toBeNull();
    expect(assetFromFileName('yes-data.csv')).toBeNull();
    expect(assetFromFileName('ES_vs_NQ.csv')).toBeNull();
    expect(assetFromFileName('messy.csv')).toBeNull();
  });

  it('prefers the caller, upper-cases it and refuses names that cannot be folders', () => {
    expect(resolveAsset('mes', 'whatever.csv')).toBe('MES');
    expect(resolveAsset(undefined, 'MES_2024-01.csv')).toBe('MES');
    expect(() => resolveAsset(undefined, 'bars.csv')).toThrow(expect.objectContaining({ code: 'BAD_REQUEST', message: expect.stringContaining('pass the asset') as unknown }));
    expect(() => resolveAsset('../etc', 'x.csv')).toThrow(expect.objectContaining({ code: 'INVALID_NAME' }));
    expect(() => resolveAsset('.hidden', 'x.csv')).toThrow(expect.objectContaining({ code: 'INVALID_NAME' }));
    expect(resolveAsset('es.fut', 'x.csv')).toBe('ES.FUT');
    expect(() => resolveAsset('', 'x.csv')).toThrow(expect.objectContaining({ code: 'INVALID_NAME' }));
  });
});

describe('stagedName', () => {
  it('keeps the base name without extension, reduced to safe characters', () => {
    expect(stagedName('/x/MES_2024-01.csv')).toBe('MES_2024-01');
    // a reduced name carries 8 hex digits of the original's SHA-256, so reduced names never collide
    expect(stagedName('my bars (1).csv')).toBe('my_bars_1-45451fd1');
    expect(stagedName('.hidden.csv')).toBe('hidden-16924190');
    expect(stagedName('Zürich.csv')).toBe('Zurich-4251685e');
    expect(stagedName('....csv')).toBe('source-ab5df625');
    expect(stagedName('a..b.csv')).toBe('a.b-f62b4241');
    expect(stagedName(`${'x'.repeat(200)}.csv`)).toBe(`${'x'.repeat(90)}-aa20c23e`);
  });
});
