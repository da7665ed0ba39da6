import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiSession } from '../../../core/api/handlers.js';
import { searchCatalog, type TreeSearchResult } from '../../../core/api/treeSearch.js';
import type { CatalogNode } from '../../../core/store/catalog.js';
import { initStore } from '../../../core/store/openStore.js';
import { commitRawSnapshots } from '../../../core/store/rawSnapshot.js';
import { barsFromCloses, barsTable } from '../../helpers/barsTable.js';
import { writeCleanedData } from '../../helpers/cleanedVersion.js';
import { tempDir } from '../../helpers/ohlcvTable.js';

const date = (asset: string, day: string): CatalogNode => ({
  kind: 'date',
  name: day,
  path: `raw/${asset}/${day}`,
  rows: 10,
  children: [{ kind: 'file', name: 'bars.parquet', path: `raw/${asset}/${day}/bars.parquet`, rows: 10 }],
});

/** A full catalog: two raw assets, a cleaned version of MES partitioned by date. */
function catalog(): CatalogNode {
  return {
    kind: 'store',
    name: 'store',
    path: '',
    children: [
      {
        kind: 'layer',
        name: 'raw',
        path: 'raw',
        children: [
          { kind: 'asset', name: 'ES', path: 'raw/ES', children: [date('ES', '2024-03-01'), date('ES', '2024-04-01')] },
          { kind: 'asset', name: 'MES', path: 'raw/MES', children: [date('MES', '2024-02-29'), date('MES', '2024-03-01'), date('MES', '2024-03-04')] },
        ],
      },
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
              {
                kind: 'version',
                name: 'v1',
                path: 'cleaned/v1/MES',
                version: 1,
                children: [{ kind: 'date', name: 'date=2024-03-01', path: 'cleaned/v1/MES/date=2024-03-01', children: [] }],
              },
            ],
          },
        ],
      },
      { kind: 'layer', name: 'features', path: 'features', children: [] },
    ],
  };
}

const shape = (node: CatalogNode): unknown => (node.children ? { [node.path]: node.children.map(shape) } : node.path);

describe('searchCatalog', () => {
  it('finds the nodes holding every word, with the nodes on the way, and not what lies below a match', () => {
    const found = searchCatalog(catalog(), 'MES 2024-03', 100);
    expect(found.paths).toEqual(['raw/MES/2024-03-01', 'raw/MES/2024-03-04', 'cleaned/v1/MES/date=2024-03-01']);
    expect(found.matches).toBe(3);
    expect(shape(found.tree)).toEqual({
      '': [{ raw: [{ 'raw/MES': ['raw/MES/2024-03-01', 'raw/MES/2024-03-04'] }] }, { cleaned: [{ 'cleaned/MES': [{ 'cleaned/v1/MES': ['cleaned/v1/MES/date=2024-03-01'] }] }] }],
    });
    // a match keeps its facts, not its children
    expect(searchCatalog(catalog(), 'mes 2024-03-01', 100).tree.children?.[0].children?.[0].children?.[0]).toEqual({ kind: 'date', name: '2024-03-01', path: 'raw/MES/2024-03-01', rows: 10 });
  });

  it('matches words in any order and case; an asset name alone finds the assets', () => {
    expect(searchCatalog(catalog(), '2024-03-04   mes', 100).paths).toEqual(['raw/MES/2024-03-04']);
    // the versions of cleaned/MES lie below it (a grouping whose path they do not start with)
    expect(searchCatalog(catalog(), 'MES', 100).paths).toEqual(['raw/MES', 'cleaned/MES']);
    expect(searchCatalog(catalog(), 'es', 100).paths).toEqual(['raw/ES', 'raw/MES', 'cleaned/MES', 'features']);
    expect(searchCatalog(catalog(), 'v1', 100).paths).toEqual(['cleaned/v1/MES']);
    expect(searchCatalog(catalog(), 'bars.parquet 2024-04', 100).paths).toEqual(['raw/ES/2024-04-01/bars.parquet']);
  });

  it('counts every match but shows only the first `limit`', () => {
    const found = searchCatalog(catalog(), '2024-03', 2);
    expect(found.paths).toEqual(['raw/ES/2024-03-01', 'raw/MES/2024-03-01']);
    expect(found.matches).toBe(4);
    expect(shape(found.tree)).toEqual({ '': [{ raw: [{ 'raw/ES': ['raw/ES/2024-03-01'] }, { 'raw/MES': ['raw/MES/2024-03-01'] }] }] });
  });

  it('answers an empty tree when nothing matches, and refuses a query without words', () => {
    expect(searchCatalog(catalog(), 'NQ', 100)).toEqual({ tree: { kind: 'store', name: 'store', path: '', children: [] }, paths: [], matches: 0 });
    expect(() => searchCatalog(catalog(), '  \t ', 100)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST', message: 'a tree search needs at least one word, not "  \t "' }));
  });
});

describe('tree.search on a store', () => {
  const { dir, cleanup } = tempDir();
  const session = new ApiSession('test');

  beforeAll(async () => {
    const root = path.join(dir, 'store');
    const { store } = await initStore(root);
    const bars = (day: string) => barsTable(barsFromCloses(`${day}T14:30:00Z`, 60, [5000, 5001, 5002]));
    const written = await commitRawSnapshots(store, [
      { asset: 'MES', date: '2024-02-29', name: 'bars', table: bars('2024-02-29') },
      { asset: 'MES', date: '2024-03-01', name: 'bars', table: bars('2024-03-01') },
      { asset: 'ES', date: '2024-03-01', name: 'bars', table: bars('2024-03-01') },
    ]);
    await writeCleanedData(store, {
      asset: 'MES',
      data: [{ table: bars('2024-03-01'), partition: { date: '2024-03-01' } }],
      sidecar: {
        schema: { name: 'ohlcv', version: '1.0.0' },
        recipe: { name: 'promote', version: '1', parameters: { onInvalid: 'fail' } },
        dependencies: [{ path: written[1].path, sha256: written[1].sha256, layer: 'raw', rows: written[1].rows }],
        validation: { valid: true },
        changelog: 'one day',
      },
    });
    await session.invoke('store.open', { path: root });
  });
  afterAll(async () => {
    await session.close();
    cleanup();
  });

  it('finds the March dates of MES in the raw snapshots and in the cleaned version (files below them not listed again)', async () => {
    const found = (await session.invoke('tree.search', { query: 'MES 2024-03' })) as TreeSearchResult;
    expect(found.paths).toEqual(['raw/MES/2024-03-01', 'cleaned/v1/MES/2024-03-01.parquet']);
    expect(found.matches).toBe(2);
    expect(shape(found.tree)).toEqual({ '': [{ raw: [{ 'raw/MES': ['raw/MES/2024-03-01'] }] }, { cleaned: [{ 'cleaned/MES': [{ 'cleaned/v1/MES': ['cleaned/v1/MES/2024-03-01.parquet'] }] }] }] });
    expect(found.tree.children?.[0].children?.[0].children?.[0]).toMatchObject({ kind: 'date', rows: 3, from: '2024-03-01', to: '2024-03-01' });
  });

  it('refuses an empty query and a limit out of range as BAD_REQUEST', async () => {
    await expect(session.invoke('tree.search', { query: '' })).rejects.toMatchObject({ code: 'BAD_REQUEST', details: { operation: 'tree.search' } });
    await expect(session.invoke('tree.search', { query: '   ' })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'a tree search needs at least one word, not "   "' });
    await expect(session.invoke('tree.search', { query: 'MES', limit: 0 })).rejects.toMatchObject({ code: 'BAD_REQUEST', details: { operation: 'tree.search', issues: [{ path: 'limit' }] } });
  });
});
