import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiResponse, JobState } from '../../../core/api/contract.js';
import { ApiSession } from '../../../core/api/handlers.js';
import { TreeSearchIndex } from '../../../core/api/treeSearch.js';
import { listTree, type CatalogNode } from '../../../core/store/catalog.js';
import { initStore } from '../../../core/store/openStore.js';
import { commitRawSnapshots } from '../../../core/store/rawSnapshot.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { barsFromCloses, barsTable } from '../../helpers/barsTable.js';
import { tempDir } from '../../helpers/ohlcvTable.js';

/** A window's host answers the same tree from the one it listed while the catalog's stamp holds. */
describe('TreeSearchIndex.tree: trees kept while the catalog is unchanged', () => {
  const { dir, cleanup } = tempDir('mes-data-tree-kept-');
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
  const dates = (node: CatalogNode, asset: string) => node.children?.find((layer) => layer.name === 'raw')?.children?.find((a) => a.name === asset)?.children?.map((d) => d.name);

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

  it('answers what listTree gives, the same frozen object for the same path and depth, listed once', async () => {
    const index = new TreeSearchIndex();
    for (const [treePath, depth] of [
      ['', 3],
      ['', undefined],
      ['raw/MES', 1],
      ['raw/MES/2024-03-01', 1],
    ] as [string, number | undefined][]) {
      const first = await index.tree(store, treePath, depth);
      expect(first).toEqual(await listTree(store, treePath, { depth }));
      expect(await index.tree(store, treePath, depth)).toBe(first);
    }
    expect(index.treeListings).toBe(4);
    const whole = await index.tree(store, '', undefined);
    const file = whole.children?.[0].children?.[0].children?.[0].children?.[0] as CatalogNode;
    expect(file.path).toBe('raw/ES/2024-03-01/bars.parquet');
    expect([Object.isFrozen(whole), Object.isFrozen(whole.children), Object.isFrozen(file)]).toEqual([true, true, true]);
    expect(() => {
      (file as { rows?: number | null }).rows = 1;
    }).toThrow(TypeError);
  });

  it('lists again after a snapshot committed by another process, while its folders have not settled, and after forgetTrees() or invalidate()', async () => {
    const index = new TreeSearchIndex();
    expect(dates(await index.tree(store, '', 3), 'ES')).toEqual(['2024-03-01']);
    await commitRawSnapshots(store, [{ asset: 'ES', date: '2024-03-04', name: 'bars', table: bars('2024-03-04') }]);
    const changed = await index.tree(store, '', 3);
    expect(dates(changed, 'ES')).toEqual(['2024-03-01', '2024-03-04']);
    expect(changed).toEqual(await listTree(store, '', { depth: 3 }));
    expect(index.treeListings).toBe(2);
    // folders changed under SETTLE_MS ago are not trusted: listed again at each request until they settle
    await index.tree(store, '', 3);
    expect(index.treeListings).toBe(3);
    settle();
    const settled = await index.tree(store, '', 3);
    expect(await index.tree(store, '', 3)).toBe(settled);
    expect(index.treeListings).toBe(4);
    index.forgetTrees();
    expect(await index.tree(store, '', 3)).toEqual(settled);
    expect(index.treeListings).toBe(5);
    index.invalidate();
    await index.tree(store, '', 3);
    expect(index.treeListings).toBe(6);
  });

  it('keeps no listing that failed', async () => {
    let fail = true;
    const index = new TreeSearchIndex({
      listAt: (s, treePath, depth) => (fail ? Promise.reject(Object.assign(new Error('the disk went away'), { code: 'IO_ERROR' })) : listTree(s, treePath, { depth })),
    });
    await expect(index.tree(store, '', 2)).rejects.toMatchObject({ message: 'the disk went away' });
    fail = false;
    expect(await index.tree(store, '', 2)).toEqual(await listTree(store, '', { depth: 2 }));
    expect(index.treeListings).toBe(2);
  });

  it("a host session's tree is kept until a job ends; a command's is listed at each request", async () => {
    const session = new ApiSession('test');
    const cli = new ApiSession('cli');
    try {
      await session.invoke('store.open', { path: root });
      await cli.invoke('store.open', { path: root });
      const first = (await session.invoke('tree', { path: '', depth: 3 })) as ApiResponse<'tree'>;
      expect(await session.invoke('tree', { path: '', depth: 3 })).toBe(first);
      const byCli = await cli.invoke('tree', { path: '', depth: 3 });
      expect(byCli).toEqual(first);
      expect(await cli.invoke('tree', { path: '', depth: 3 })).not.toBe(byCli);
      // a reader's end too: the catalog's own kept listings are dropped then, and so are the trees
      const started = (await session.invoke('jobs.start', { kind: 'verify' })) as JobState;
      expect(((await session.invoke('jobs.wait', { id: started.id, timeoutMs: 60_000 })) as JobState).state).toBe('succeeded');
      const after = await session.invoke('tree', { path: '', depth: 3 });
      expect(after).not.toBe(first);
      expect(after).toEqual(first);
    } finally {
      await session.close();
      await cli.close();
    }
  });
});
