import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiResponse, JobState } from '../../../core/api/contract.js';
import { ApiSession } from '../../../core/api/handlers.js';
import { forgetCatalogListings } from '../../../core/store/catalog.js';
import { commitRawSnapshots } from '../../../core/store/rawSnapshot.js';
import { openStore } from '../../../core/store/openStore.js';
import { ohlcvTable, tempDir } from '../../helpers/ohlcvTable.js';

/** A host's tree answers from the kept raw listings until a job of the session ends. */
describe('tree in a host session', () => {
  const { dir, cleanup } = tempDir('mes-data-tree-cache-');
  const root = path.join(dir, 'store');
  const session = new ApiSession('test');
  const sidecar = path.join(root, 'catalog', 'raw', 'MES', '2024-01-15.json');

  beforeAll(async () => {
    forgetCatalogListings();
    await session.invoke('store.init', { path: root });
    await commitRawSnapshots(await openStore(root), [{ asset: 'MES', date: '2024-01-15', name: 'ohlcv', table: ohlcvTable(10) }]);
    // the asset's folders as if last changed an hour ago
    const hourAgo = new Date(Date.now() - 3_600_000);
    for (const folder of [path.join(root, 'raw', 'MES'), path.dirname(sidecar)]) fs.utimesSync(folder, hourAgo, hourAgo);
  });
  afterAll(async () => {
    await session.close();
    forgetCatalogListings();
    cleanup();
  });

  const rows = async () => {
    const tree = (await session.invoke('tree', { path: 'raw/MES', depth: 1 })) as ApiResponse<'tree'>;
    return tree.children?.map((child) => [child.name, child.rows]);
  };

  it('keeps the listing while the folders are unchanged and lists again once a job has ended', async () => {
    expect(await rows()).toEqual([['2024-01-15', 10]]);
    // changed where it is (its folder keeps its time): the kept listing still answers
    fs.writeFileSync(sidecar, JSON.stringify({ ...(JSON.parse(fs.readFileSync(sidecar, 'utf8')) as object), recordCount: 12 }));
    expect(await rows()).toEqual([['2024-01-15', 10]]);
    const started = (await session.invoke('jobs.start', { kind: 'verify' })) as JobState;
    const ended = (await session.invoke('jobs.wait', { id: started.id, timeoutMs: 60_000 })) as JobState;
    expect(ended.state).toBe('succeeded');
    expect(await rows()).toEqual([['2024-01-15', 12]]);
  });
});
