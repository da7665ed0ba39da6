import { describe, expect, it } from 'vitest';
import {
  countOf,
  containsPath,
  expandedPathsToReload,
  findNode,
  flattenTree,
  formatBytes,
  formatCountShort,
  formatSpan,
  isOpenable,
  mergeSubtree,
  needsLoad,
  pathToNode,
  rawAssetOf,
  sidecarFileOf,
  versionOfPath,
} from '../../../renderer/src/tree/treeModel.ts';
import type { CatalogNode } from '../../../renderer/src/tree/treeModel.ts';
import { catalog } from './treeFixture.ts';

const names = (rows: ReturnType<typeof flattenTree>) => rows.map((r) => `${'  '.repeat(r.depth)}${r.node.name}${r.expandable ? (r.expanded ? ' -' : ' +') : ''}`);

describe('treeModel', () => {
  it('shows the layers, and the children of expanded nodes only', () => {
    const root = catalog();
    expect(names(flattenTree(root, new Set()))).toEqual(['raw +', 'cleaned +', 'features']);
    expect(names(flattenTree(root, new Set(['raw', 'raw/MES'])))).toEqual(['raw -', '  ES +', '  MES -', '    2024-01-02 +', '    2024-01-03 +', 'cleaned +', 'features']);
  });

  it('gives aria set sizes and positions among siblings', () => {
    const rows = flattenTree(catalog(), new Set(['raw']));
    expect(rows.map((r) => [r.node.name, r.setSize, r.posInSet, r.parentPath])).toEqual([
      ['raw', 3, 1, null],
      ['ES', 2, 1, 'raw'],
      ['MES', 2, 2, 'raw'],
      ['cleaned', 3, 2, null],
      ['features', 3, 3, null],
    ]);
  });

  it('marks nodes whose children are not loaded yet', () => {
    const rows = flattenTree(catalog(), new Set(['raw', 'raw/MES']));
    const date = rows.find((r) => r.node.path === 'raw/MES/2024-01-02');
    expect(date?.unloaded).toBe(true);
    expect(needsLoad(date!.node)).toBe(true);
    expect(rows.find((r) => r.node.path === 'raw')?.unloaded).toBe(false);
  });

  it('finds version nodes under their group though their paths differ', () => {
    const root = catalog();
    const group = findNode(root, 'cleaned/MES')!;
    expect(containsPath(group, 'cleaned/v1/MES/2024-01-02.parquet')).toBe(true);
    expect(containsPath(group, 'cleaned/v1/MESX')).toBe(false);
    expect(pathToNode(root, 'cleaned/v1/MES').map((n) => n.path)).toEqual(['cleaned', 'cleaned/MES', 'cleaned/v1/MES']);
    expect(pathToNode(root, 'raw/MES/2024-01-03/bars.parquet').map((n) => n.path)).toEqual(['raw', 'raw/MES', 'raw/MES/2024-01-03']);
    expect(findNode(root, 'raw/MES/2024-01-03/bars.parquet')).toBeNull();
  });

  it('finds format-2 feature versions under their asset and set, and opens neither group', () => {
    const features: CatalogNode = {
      kind: 'layer',
      name: 'features',
      path: 'features',
      children: [
        {
          kind: 'asset',
          name: 'MES',
          path: 'features/MES',
          children: [
            {
              kind: 'featureSet',
              name: 'momentum',
              path: 'features/MES/momentum',
              children: [
                { kind: 'version', name: 'v1', path: 'features/v1/MES/momentum', version: 1 },
                { kind: 'version', name: 'v2', path: 'features/v2/MES/momentum', version: 2 },
              ],
            },
          ],
        },
      ],
    };
    const root: CatalogNode = { kind: 'store', name: 'store', path: '', children: [features] };
    expect(pathToNode(root, 'features/v2/MES/momentum/part-0.parquet').map((n) => n.path)).toEqual(['features', 'features/MES', 'features/MES/momentum', 'features/v2/MES/momentum']);
    expect(findNode(root, 'features/v1/MES/momentum')?.name).toBe('v1');
    expect(findNode(root, 'features/v1/ES/momentum')).toBeNull();
    expect(isOpenable(findNode(root, 'features/MES')!)).toBe(false);
    expect(isOpenable(findNode(root, 'features/MES/momentum')!)).toBe(false);
    expect(isOpenable(findNode(root, 'features/v2/MES/momentum')!)).toBe(true);
  });

  it('reads the layer, number and key of a version folder path', () => {
    expect(versionOfPath('cleaned/v3/MES')).toEqual({ layer: 'cleaned', number: 3, key: 'MES', folder: 'cleaned/v3/MES' });
    expect(versionOfPath('cleaned/v12/MES/2024-01-15.1.parquet')).toEqual({ layer: 'cleaned', number: 12, key: 'MES', folder: 'cleaned/v12/MES' });
    expect(versionOfPath('features/v2/MES/momentum/part-0.parquet')).toEqual({ layer: 'features', number: 2, key: 'MES/momentum', folder: 'features/v2/MES/momentum' });
    expect(versionOfPath('cleaned/MES')).toBeNull();
    expect(versionOfPath('raw/MES/2024-01-02')).toBeNull();
    expect(versionOfPath('features/v2/MES')).toBeNull();
  });

  it('names the catalog file of the sidecar of a version, a raw date or a file in them', () => {
    expect(sidecarFileOf('cleaned/v3/MES')).toBe('catalog/cleaned/MES/v3.json');
    expect(sidecarFileOf('cleaned/v3/MES/2024-01-15.parquet')).toBe('catalog/cleaned/MES/v3.json');
    expect(sidecarFileOf('features/v2/MES/momentum/part-0.parquet')).toBe('catalog/features/MES/momentum/v2.json');
    expect(sidecarFileOf('raw/MES/2024-01-15/bars.parquet')).toBe('catalog/raw/MES/2024-01-15.json');
    expect(sidecarFileOf('raw/MES')).toBeNull();
    expect(sidecarFileOf('cleaned/MES')).toBeNull();
  });

  it('merges a lazily loaded subtree, sharing what did not change', () => {
    const root = catalog();
    const merged = mergeSubtree(root, {
      kind: 'date',
      name: '2024-01-03',
      path: 'raw/MES/2024-01-03',
      rows: 20,
      children: [{ kind: 'file', name: 'bars.parquet', path: 'raw/MES/2024-01-03/bars.parquet', rows: 20, bytes: 3000 }],
    });
    expect(findNode(merged, 'raw/MES/2024-01-03/bars.parquet')?.rows).toBe(20);
    expect(merged.children?.[1]).toBe(root.children?.[1]);
    expect(findNode(root, 'raw/MES/2024-01-03/bars.parquet')).toBeNull();
  });

  it('lists expanded nodes deeper than the first load for a refresh', () => {
    const root = mergeSubtree(catalog(), { kind: 'date', name: '2024-01-03', path: 'raw/MES/2024-01-03', children: [] });
    expect(expandedPathsToReload(root, new Set(['raw', 'raw/MES', 'raw/MES/2024-01-03']), 3)).toEqual(['raw/MES/2024-01-03']);
  });

  it('knows what opens as a dataset', () => {
    const root = catalog();
    expect(isOpenable(findNode(root, 'raw')!)).toBe(false);
    expect(isOpenable(findNode(root, 'raw/MES')!)).toBe(true);
    expect(isOpenable(findNode(root, 'cleaned/MES')!)).toBe(false);
    expect(isOpenable(findNode(root, 'cleaned/v1/MES')!)).toBe(true);
    expect(rawAssetOf('raw/MES/2024-01-03/x.parquet')).toBe('MES');
    expect(rawAssetOf('cleaned/v1/MES')).toBeNull();
  });

  it('writes sizes, counts and spans briefly', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(30 * 1024 * 1024)).toBe('30 MB');
    expect(formatCountShort(1_200_000)).toBe('1.2M');
    expect(formatCountShort(45_000)).toBe('45k');
    expect(formatCountShort(999)).toBe('999');
    expect(formatSpan('2024-01-02', '2024-01-02')).toBe('2024-01-02');
    expect(formatSpan('2024-01-02', '2024-03-28')).toBe('2024-01-02 → 2024-03-28');
    expect(formatSpan(null, null)).toBe('');
  });

  it('counts with the noun in the right number', () => {
    expect([countOf(1, 'row'), countOf(0, 'row'), countOf(4012, 'file'), countOf(1_200_000, 'row'), countOf(2, 'match', 'matches')]).toEqual(['1 row', '0 rows', '4,012 files', '1,200,000 rows', '2 matches']);
  });
});
