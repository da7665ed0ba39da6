import { describe, expect, it } from 'vitest';
import { assetOfPath, changedParameters, cleanedAssets, cleanedVersionOfPath, defaultTexts, parameterFields, parseParameters, sourceVersions } from '../../../renderer/src/features/featureParams.ts';
import type { CatalogNode } from '../../../renderer/src/tree/treeModel.ts';

const tree: CatalogNode = {
  kind: 'store',
  name: 'store',
  path: '',
  children: [
    { kind: 'layer', name: 'raw', path: 'raw', children: [{ kind: 'asset', name: 'NQ', path: 'raw/NQ', children: [] }] },
    {
      kind: 'layer',
      name: 'cleaned',
      path: 'cleaned',
      children: [
        {
          kind: 'asset',
          name: 'MES',
          path: 'cleaned/MES',
          children: [
            { kind: 'version', name: 'v1', path: 'cleaned/v1/MES', version: 1, rows: 510, createdAt: '2024-05-01T10:00:00Z' },
            { kind: 'version', name: 'v3', path: 'cleaned/v3/MES', version: 3, rows: 390 },
            { kind: 'version', name: 'v2', path: 'cleaned/v2/MES', version: 2, rows: 400 },
          ],
        },
        // an asset whose versions are not listed yet (or that has none)
        { kind: 'asset', name: 'ES', path: 'cleaned/ES', children: [] },
        { kind: 'asset', name: 'ZN', path: 'cleaned/ZN', children: [{ kind: 'version', name: 'v1', path: 'cleaned/v1/ZN', version: 1, rows: null }] },
      ],
    },
    { kind: 'layer', name: 'features', path: 'features', children: [] },
  ],
};

describe('the feature build dialog model', () => {
  it("each set's parameters with the defaults of docs/features.md", () => {
    expect(parameterFields('momentum_indicators').map((f) => [f.name, f.defaultValue])).toEqual([
      ['rsiPeriod', 14],
      ['macdFast', 12],
      ['macdSlow', 26],
      ['macdSignal', 9],
      ['momentumPeriod', 10],
    ]);
    expect(defaultTexts('price_volatility')).toEqual({ volShortWindow: '30', volLongWindow: '60', atrPeriod: '14' });
    expect(defaultTexts('volume_profile')).toEqual({ tickSize: '0.25', valueAreaShare: '0.7' });
  });

  it('reads the fields into the request; an empty field is its default', () => {
    expect(parseParameters('momentum_indicators', { rsiPeriod: ' 21 ', macdFast: '', macdSlow: '26', macdSignal: '9', momentumPeriod: '5' })).toEqual({
      parameters: { rsiPeriod: 21, macdFast: 12, macdSlow: 26, macdSignal: 9, momentumPeriod: 5 },
      errors: {},
    });
    // another set's fields are not read
    expect(parseParameters('volume_profile', { tickSize: '0.5', rsiPeriod: 'x' })).toEqual({ parameters: { tickSize: 0.5, valueAreaShare: 0.7 }, errors: {} });
  });

  it('says what is wrong with each field, in words', () => {
    const { errors } = parseParameters('momentum_indicators', { rsiPeriod: '2.5', macdFast: 'fast', macdSlow: '0', macdSignal: '20000', momentumPeriod: '10' });
    expect(errors).toEqual({
      rsiPeriod: 'RSI period must be a whole number of bars',
      macdFast: 'MACD fast must be a number',
      macdSlow: 'MACD slow must be at least 1',
      macdSignal: 'MACD signal must be at most 10,000',
    });
    expect(parseParameters('momentum_indicators', { macdFast: '26', macdSlow: '26' }).errors).toEqual({ macdFast: 'MACD fast must be shorter than MACD slow (26)' });
    expect(parseParameters('price_volatility', { volShortWindow: '1' }).errors).toEqual({ volShortWindow: 'Short volatility window must be at least 2' });
    expect(parseParameters('volume_profile', { tickSize: '0', valueAreaShare: '1.2' }).errors).toEqual({ tickSize: 'Price bucket must be above 0', valueAreaShare: 'Value area share must be at most 1' });
  });

  it('names the parameters that differ from the defaults', () => {
    expect(changedParameters({ rsiPeriod: 21, macdFast: 12, momentumPeriod: 5 })).toBe('rsiPeriod 21, momentumPeriod 5');
    expect(changedParameters({ tickSize: 0.25, valueAreaShare: 0.7 })).toBe('');
  });

  it('lists the assets with a cleaned version and their versions newest first, from the tree', () => {
    expect(cleanedAssets(tree)).toEqual(['MES', 'ZN']);
    expect(cleanedAssets(null)).toEqual([]);
    expect(sourceVersions(tree, 'MES')).toEqual([
      { version: 'v3', path: 'cleaned/v3/MES', rows: 390, createdAt: null },
      { version: 'v2', path: 'cleaned/v2/MES', rows: 400, createdAt: null },
      { version: 'v1', path: 'cleaned/v1/MES', rows: 510, createdAt: '2024-05-01T10:00:00Z' },
    ]);
    expect(sourceVersions(tree, 'ES')).toEqual([]);
    expect(sourceVersions(tree, 'CL')).toEqual([]);
  });

  it('takes the asset and version from the open dataset', () => {
    expect(assetOfPath('raw/MES/2024-01-02/bars.parquet')).toBe('MES');
    expect(assetOfPath('cleaned/v2/MES/date=2024-01-02')).toBe('MES');
    expect(assetOfPath('cleaned/MES')).toBe('MES');
    expect(assetOfPath('features/v1/price_volatility')).toBeNull();
    expect(assetOfPath(null)).toBeNull();
    expect(cleanedVersionOfPath('cleaned/v2/MES')).toBe('v2');
    expect(cleanedVersionOfPath('cleaned/v12/MES/date=2024-01-02/part-0.parquet')).toBe('v12');
    expect(cleanedVersionOfPath('cleaned/MES')).toBeUndefined();
    expect(cleanedVersionOfPath('raw/MES')).toBeUndefined();
  });
});
