import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiSession } from '../../../core/api/handlers.js';
import { catalogStamp, searchCatalog, TreeSearchIndex, type TreeSearchResult } from '../../../core/api/treeSearch.js';
import { listTree, type CatalogNode } from '../../../core/store/catalog.js';
import { initStore } from '../../../core/store/openStore.js';
import { commitRawSnapshots } from '../../../core/store/rawSnapshot.js';
import type { Store } from '../../../core/store/storeLayout.js';
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

describe('TreeSearchIndex: the catalog listed once, listed again when the store changes', () => {
  const { dir, cleanup } = tempDir();
  const root = path.join(dir, 'store');
  let store: Store;
  const bars = (day: string) => barsTable(barsFromCloses(`${day}T14:30:00Z`, 60, [5000, 5001, 5002]));
  /** Sets every folder of the store back a minute, as if the last commit were that old (its stamp settled). */
  const settle = () => {
    const back = (Date.now() - 60_000) / 1000;
    for (const folder of [root, ...fs.readdirSync(root, { recursive: true, encoding: 'utf8' }).map((f) => path.join(root, f))]) {
      if (fs.lstatSync(folder).isDirectory()) fs.utimesSync(folder, back, back);
    }
  };

  beforeAll(async () => {
    ({ store } = await initStore(root));
    await commitRawSnapshots(store, [
      { asset: 'MES', date: '2024-02-29', name: 'bars', table: bars('2024-02-29') },
      { asset: 'MES', date: '2024-03-01', name: 'bars', table: bars('2024-03-01') },
      { asset: 'ES', date: '2024-03-01', name: 'bars', table: bars('2024-03-01') },
    ]);
    settle();
  });
  afterAll(() => cleanup());

  it('answers every search from one listing while nothing changes, as a search of a fresh listing would', async () => {
    const index = new TreeSearchIndex();
    const first = await index.search(store, 'MES 2024-03', 100);
    expect(first.paths).toEqual(['raw/MES/2024-03-01']);
    expect((await index.search(store, '2024-03-01', 100)).paths).toEqual(['raw/ES/2024-03-01', 'raw/MES/2024-03-01']);
    expect((await index.search(store, 'bars', 1)).paths).toEqual(['raw/ES/2024-03-01/bars.parquet']);
    expect((await index.search(store, 'bars', 1)).matches).toBe(3);
    expect(await index.search(store, 'NQ', 100)).toEqual({ tree: { kind: 'store', name: 'store', path: '', children: [] }, paths: [], matches: 0 });
    expect(index.listings).toBe(1);
    // the answer is the one the catalog gives now
    expect(first).toEqual(searchCatalog(await listTree(store, ''), 'MES 2024-03', 100));
    await expect(index.search(store, ' ', 100)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'a tree search needs at least one word, not " "' });
    expect(index.listings).toBe(1);
  });

  it('lists again after a snapshot committed by another process, and after invalidate()', async () => {
    const index = new TreeSearchIndex();
    expect((await index.search(store, 'ES 2024', 100)).paths).toEqual(['raw/ES/2024-03-01', 'raw/MES/2024-02-29', 'raw/MES/2024-03-01']);
    const before = catalogStamp(root).stamp;
    await commitRawSnapshots(store, [{ asset: 'ES', date: '2024-03-04', name: 'bars', table: bars('2024-03-04') }]);
    // the commit renamed a date into raw/ES and a sidecar into catalog/raw/ES
    const after = catalogStamp(root).stamp;
    expect(after).not.toBe(before);
    expect(after.split('\n').filter((line, i) => line !== before.split('\n')[i]).map((line) => line.split('=')[0])).toEqual(['raw/ES', 'catalog/raw/ES']);
    expect((await index.search(store, 'ES 2024', 100)).paths).toEqual(['raw/ES/2024-03-01', 'raw/ES/2024-03-04', 'raw/MES/2024-02-29', 'raw/MES/2024-03-01']);
    expect(index.listings).toBe(2);
    // folders changed under SETTLE_MS ago are not trusted: the next search lists again
    await index.search(store, 'ES', 100);
    expect(index.listings).toBe(3);
    settle();
    await index.search(store, 'ES', 100);
    await index.search(store, 'ES', 100);
    expect(index.listings).toBe(4);
    // what the folders cannot show (a writer of this host that ended): invalidate
    index.invalidate();
    expect((await index.search(store, '2024-03-04', 100)).paths).toEqual(['raw/ES/2024-03-04']);
    expect(index.listings).toBe(5);
  });

  it('shares one listing among searches that arrive together; a failed listing is not kept', async () => {
    let calls = 0;
    let fail = true;
    const index = new TreeSearchIndex({
      list: async (s) => {
        calls++;
        if (fail) throw Object.assign(new Error('the disk went away'), { code: 'IO_ERROR' });
        return listTree(s, '');
      },
    });
    await expect(index.search(store, 'MES', 10)).rejects.toMatchObject({ message: 'the disk went away' });
    fail = false;
    const answers = await Promise.all([index.search(store, 'MES', 10), index.search(store, 'raw/ES', 10), index.search(store, '02-29', 10)]);
    expect(answers.map((a) => a.paths)).toEqual([['raw/MES'], ['raw/ES'], ['raw/MES/2024-02-29']]);
    expect(calls).toBe(2);
  });

  it('relists in the background when a job that writes ends, so the next search finds the new date at once', async () => {
    const session = new ApiSession('test');
    try {
      await session.invoke('store.open', { path: root });
      const listed = (await session.invoke('tree.search', { query: 'MES' })) as TreeSearchResult;
      expect(listed.paths).toEqual(['raw/MES']);
      const csv = path.join(dir, 'MES_1min.csv');
      // ten bars of the day session of 2024-01-02 in Chicago time: that trading date
      fs.writeFileSync(csv, ['timestamp,open,high,low,close,volume', ...Array.from({ length: 10 }, (_, m) => `2024-01-02 09:3${m}:00,4800,4810,4790,4805,${100 + m}`), ''].join('\n'));
      const started = (await session.invoke('jobs.start', { kind: 'ingest', files: [csv], asset: 'MES' })) as { id: string };
      const job = (await session.invoke('jobs.wait', { id: started.id, timeoutMs: 120_000 })) as { state: string };
      expect(job.state).toBe('succeeded');
      const found = (await session.invoke('tree.search', { query: 'MES 2024-01' })) as TreeSearchResult;
      expect(found.paths).toEqual(['raw/MES/2024-01-02']);
      // on a store whose folders have settled: the end of a job that may write lists once more,
      // in the background (a failed ingest here, which leaves the store as it was), and the end
      // of a reader (validate) lists nothing again
      settle();
      await session.invoke('tree.search', { query: 'MES' });
      const settled = session.treeIndex.listings;
      const broken = path.join(dir, 'broken.csv');
      fs.writeFileSync(broken, 'this is not,a bar file\n1,2\n');
      const failing = (await session.invoke('jobs.start', { kind: 'ingest', files: [broken], asset: 'MES' })) as { id: string };
      expect(((await session.invoke('jobs.wait', { id: failing.id, timeoutMs: 120_000 })) as { state: string }).state).toBe('failed');
      expect((await session.invoke('tree.search', { query: 'MES 2024-01' })) as TreeSearchResult).toEqual(found);
      expect(session.treeIndex.listings).toBe(settled + 1);
      const validate = (await session.invoke('jobs.start', { kind: 'validate', target: 'raw/MES/2024-01-02', schema: 'ohlcv' })) as { id: string };
      expect(((await session.invoke('jobs.wait', { id: validate.id, timeoutMs: 120_000 })) as { state: string }).state).toBe('succeeded');
      await session.invoke('tree.search', { query: 'MES' });
      expect(session.treeIndex.listings).toBe(settled + 1);
    } finally {
      await session.close();
    }
  });
});
