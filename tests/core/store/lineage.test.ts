import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetLineage, datasetSidecar } from '../../../core/store/lineage.js';
import { commitRawSnapshots } from '../../../core/store/rawSnapshot.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { bars, errorOf, newStore, writeFormat2Version } from './storeTestKit.js';

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);
const SHA_C = 'c'.repeat(64);

describe('lineage from the sidecars in catalog/', () => {
  let store: Store;
  let cleanup: () => void;

  beforeAll(async () => {
    ({ store, cleanup } = await newStore('mes-data-lineage-'));
    await commitRawSnapshots(store, [
      { asset: 'MES', date: '2024-01-15', name: 'ohlcv', table: bars(3, 0) },
      { asset: 'MES', date: '2024-01-16', name: 'ohlcv', table: bars(3, 3) },
      { asset: 'ES', date: '2024-01-15', name: 'ohlcv', table: bars(3, 6) },
    ]);
    await writeFormat2Version(store, 'cleaned', 'MES', 1, [{ date: '2024-01-15', table: bars(3, 0) }], { sidecar: { dependencies: [{ path: 'raw/MES/2024-01-15/ohlcv.parquet', sha256: SHA_A }] } });
    await writeFormat2Version(store, 'features', 'MES/momentum', 1, [{ date: null, table: bars(3, 0) }], { sidecar: { dependencies: [{ path: 'cleaned/v1/MES', sha256: SHA_B }] } });
    await writeFormat2Version(store, 'features', 'ES/wide', 1, [{ date: null, table: bars(3, 0) }], { sidecar: { dependencies: [{ path: 'raw', sha256: SHA_C }] } });
  });
  afterAll(() => cleanup());

  it('finds the sidecar of a version folder, of a file inside it, and of a raw date', async () => {
    expect((await datasetSidecar(store.root, 'cleaned/v1/MES'))?.dependencies?.map((d) => d.path)).toEqual(['raw/MES/2024-01-15/ohlcv.parquet']);
    const fromFile = await datasetSidecar(store.root, 'cleaned/v1/MES/2024-01-15.parquet');
    expect(fromFile?.dependencies?.map((d) => [d.path, d.sha256])).toEqual([['raw/MES/2024-01-15/ohlcv.parquet', SHA_A]]);
    expect((await datasetSidecar(store.root, 'features/v1/MES/momentum/part-0.parquet'))?.dependencies?.map((d) => d.path)).toEqual(['cleaned/v1/MES']);
    expect((await datasetSidecar(store.root, 'raw/MES/2024-01-16/ohlcv.parquet'))?.files.map((f) => f.path)).toEqual(['ohlcv.parquet']);
    // a raw asset folder or a table has no sidecar of its own, nor does anything without a store or outside it
    for (const none of ['raw/MES', 'cleaned/MES', 'features/v1/MES', 'features/v2/MES/momentum', 'cleaned/v1/mes']) expect({ none, sidecar: await datasetSidecar(store.root, none) }).toEqual({ none, sidecar: null });
    expect(await datasetSidecar(null, 'cleaned/v1/MES')).toBeNull();
    expect(await datasetSidecar(store.root, path.join(store.root, 'cleaned/v1/MES'))).toBeNull();
  });

  it('inputs come from the sidecar; outputs are the versions whose dependencies name the path, a part of it, or a folder holding it', async () => {
    const cleaned = await datasetLineage(store.root, 'cleaned/v1/MES', await datasetSidecar(store.root, 'cleaned/v1/MES'));
    expect(cleaned).toEqual({ inputs: [{ path: 'raw/MES/2024-01-15/ohlcv.parquet', sha256: SHA_A }], outputs: [{ path: 'features/v1/MES/momentum', kind: 'features' }] });
    // raw/MES holds the file cleaned/v1/MES names, and lies inside the raw folder features/v1/ES/wide names
    expect((await datasetLineage(store.root, 'raw/MES/', null)).outputs).toEqual([
      { path: 'cleaned/v1/MES', kind: 'cleaned' },
      { path: 'features/v1/ES/wide', kind: 'features' },
    ]);
    expect((await datasetLineage(store.root, 'raw/MES/2024-01-16', null)).outputs).toEqual([{ path: 'features/v1/ES/wide', kind: 'features' }]);
    expect((await datasetLineage(store.root, 'raw/ES/2024-01-15/ohlcv.parquet', null)).outputs).toEqual([{ path: 'features/v1/ES/wide', kind: 'features' }]);
    expect(await datasetLineage(null, 'raw/MES', null)).toEqual({ inputs: [], outputs: [] });
  });

  it('skips an unreadable version sidecar and one without its folder, and refuses a linked one', async () => {
    fs.mkdirSync(path.join(store.root, 'features/v9/MES/broken'), { recursive: true });
    fs.mkdirSync(path.join(store.root, 'catalog/features/MES/broken'), { recursive: true });
    fs.writeFileSync(path.join(store.root, 'catalog/features/MES/broken/v9.json'), '{not json');
    // a sidecar whose version folder is missing is not a committed version: not an output
    fs.copyFileSync(path.join(store.root, 'catalog/features/MES/momentum/v1.json'), path.join(store.root, 'catalog/features/MES/momentum/v2.json'));
    expect((await datasetLineage(store.root, 'cleaned/v1/MES', null)).outputs).toEqual([{ path: 'features/v1/MES/momentum', kind: 'features' }]);
    const broken = await errorOf(datasetSidecar(store.root, 'features/v9/MES/broken'));
    expect(broken.code).toBe('CORRUPTED_FILE');

    fs.mkdirSync(path.join(store.root, 'features/v9/MES/linked'), { recursive: true });
    fs.mkdirSync(path.join(store.root, 'catalog/features/MES/linked'), { recursive: true });
    fs.symlinkSync(path.join(store.root, 'catalog/cleaned/MES/v1.json'), path.join(store.root, 'catalog/features/MES/linked/v9.json'));
    const error = await errorOf(datasetSidecar(store.root, 'features/v9/MES/linked'));
    expect({ code: error.code, path: error.details.path }).toEqual({ code: 'SYMLINK', path: 'catalog/features/MES/linked/v9.json' });
  });
});
