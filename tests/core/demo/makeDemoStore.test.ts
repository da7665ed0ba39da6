import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDemoStore } from '../../../core/demo/makeDemoStore.js';
import { listTree } from '../../../core/store/catalog.js';
import { verifyStore } from '../../../core/store/verifyStore.js';
import { tempDir } from '../../helpers/ohlcvTable.js';

describe('makeDemoStore', () => {
  const { dir, cleanup } = tempDir();
  afterAll(cleanup);

  it('builds raw snapshots, a cleaned version and feature sets that verify, once', async () => {
    const lines: string[] = [];
    const store = await makeDemoStore(path.join(dir, 'demo'), (line) => lines.push(line));
    expect(lines).toEqual([`creating the demo store in ${path.join(dir, 'demo')}…`, 'promoting raw → cleaned v1 (dropping the bad bars)…', 'building features…']);
    const raw = await listTree(store, 'raw/MES', { depth: 1 });
    expect(raw.children?.length).toBe(15);
    expect(raw.children?.[0]).toMatchObject({ kind: 'date', name: '2024-01-08', rows: 1380 });
    expect(raw.children?.[6]).toMatchObject({ name: '2024-01-16', rows: 1381 });
    const cleaned = await listTree(store, 'cleaned/MES', { depth: 1 });
    expect(cleaned.children).toEqual([expect.objectContaining({ kind: 'version', path: 'cleaned/v1/MES', version: 1, rows: 15 * 1380 - 1 })]);
    expect((await listTree(store, 'features', { depth: 1 })).children?.map((c) => c.path)).toEqual(['features/MES']);
    const features = await listTree(store, 'features/MES', { depth: 1 });
    expect(features.children?.map((c) => [c.kind, c.path])).toEqual([
      ['featureSet', 'features/MES/momentum_indicators'],
      ['featureSet', 'features/MES/volume_profile'],
    ]);
    // files: 15 raw snapshots, 15 dates of cleaned v1, and a file a date of each of the two feature sets (partitioned like their source)
    expect(await verifyStore(store)).toMatchObject({ ok: true, problems: [], checked: { datasets: 18, files: 60 } });
    lines.length = 0;
    await makeDemoStore(path.join(dir, 'demo'), (line) => lines.push(line));
    expect(lines).toEqual([]);
  });
});
