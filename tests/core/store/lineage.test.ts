import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetLineage, datasetSidecar } from '../../../core/store/lineage.js';
import { writeFeatures } from '../../../core/store/layerIO.js';
import { commitRawSnapshots } from '../../../core/store/rawSnapshot.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { writeCleanedData } from '../../helpers/cleanedVersion.js';
import { bars, errorOf, newStore } from './storeTestKit.js';

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);
const SHA_C = 'c'.repeat(64);

describe('lineage from the sidecars', () => {
  let store: Store;
  let cleanup: () => void;

  beforeAll(async () => {
    ({ store, cleanup } = await newStore('mes-data-lineage-'));
    await commitRawSnapshots(store, [
      { asset: 'MES', date: '2024-01-15', name: 'ohlcv', table: bars(3, 0) },
      { asset: 'MES', date: '2024-01-16', name: 'ohlcv', table: bars(3, 3) },
      { asset: 'ES', date: '2024-01-15', name: 'ohlcv', table: bars(3, 6) },
    ]);
    await writeCleanedData(store, {
      asset: 'MES',
      data: [{ partition: { date: '2024-01-15' }, table: bars(3, 0) }],
      sidecar: { dependencies: [{ path: 'raw/MES/2024-01-15/ohlcv.parquet', sha256: SHA_A }] },
    });
    await writeFeatures(store, {
      featureSet: 'momentum',
      data: bars(3, 0),
      sidecar: { asset: 'MES', dependencies: [{ path: 'cleaned/v1/MES', sha256: SHA_B }] },
    });
    await writeFeatures(store, {
      featureSet: 'wide',
      data: bars(3, 0),
      sidecar: { asset: null, dependencies: [{ path: 'raw', sha256: SHA_C }] },
    });
  });
  afterAll(() => cleanup());

  it('finds the sidecar of a version folder, of a file inside it, and of a raw date', async () => {
    expect((await datasetSidecar(store.root, 'cleaned/v1/MES'))?.dependencies?.map((d) => d.path)).toEqual(['raw/MES/2024-01-15/ohlcv.parquet']);
    const fromFile = await datasetSidecar(store.root, 'cleaned/v1/MES/date=2024-01-15/part-0.parquet');
    expect(fromFile?.dependencies?.map((d) => [d.path, d.sha256])).toEqual([['raw/MES/2024-01-15/ohlcv.parquet', SHA_A]]);
    expect((await datasetSidecar(store.root, 'raw/MES/2024-01-16/ohlcv.parquet'))?.files.map((f) => f.path)).toEqual(['ohlcv.parquet']);
    // a raw asset folder has no sidecar of its own, nor does anything without a store or outside it
    expect(await datasetSidecar(store.root, 'raw/MES')).toBeNull();
    expect(await datasetSidecar(null, 'cleaned/v1/MES')).toBeNull();
    expect(await datasetSidecar(store.root, path.join(store.root, 'cleaned/v1/MES'))).toBeNull();
  });

  it('inputs come from the sidecar; outputs are the versions whose dependencies name the path, a part of it, or a folder holding it', async () => {
    const cleaned = await datasetLineage(store.root, 'cleaned/v1/MES', await datasetSidecar(store.root, 'cleaned/v1/MES'));
    expect(cleaned).toEqual({ inputs: [{ path: 'raw/MES/2024-01-15/ohlcv.parquet', sha256: SHA_A }], outputs: [{ path: 'features/v1/momentum', kind: 'features' }] });
    // raw/MES holds the file cleaned/v1/MES names, and lies inside the raw folder features/v1/wide names
    expect((await datasetLineage(store.root, 'raw/MES/', null)).outputs).toEqual([
      { path: 'cleaned/v1/MES', kind: 'cleaned' },
      { path: 'features/v1/wide', kind: 'features' },
    ]);
    expect((await datasetLineage(store.root, 'raw/MES/2024-01-16', null)).outputs).toEqual([{ path: 'features/v1/wide', kind: 'features' }]);
    expect((await datasetLineage(store.root, 'raw/ES/2024-01-15/ohlcv.parquet', null)).outputs).toEqual([{ path: 'features/v1/wide', kind: 'features' }]);
    expect(await datasetLineage(null, 'raw/MES', null)).toEqual({ inputs: [], outputs: [] });
  });

  it('skips an unreadable version sidecar, and refuses a linked one', async () => {
    fs.mkdirSync(path.join(store.root, 'features/v9/broken'), { recursive: true });
    fs.writeFileSync(path.join(store.root, 'features/v9/broken/metadata.json'), '{not json');
    expect((await datasetLineage(store.root, 'cleaned/v1/MES', null)).outputs).toEqual([{ path: 'features/v1/momentum', kind: 'features' }]);
    const broken = await errorOf(datasetSidecar(store.root, 'features/v9/broken'));
    expect(broken.code).toBe('CORRUPTED_FILE');

    const linked = path.join(store.root, 'features/v9/linked');
    fs.mkdirSync(linked, { recursive: true });
    fs.symlinkSync(path.join(store.root, 'cleaned/v1/MES/metadata.json'), path.join(linked, 'metadata.json'));
    const error = await errorOf(datasetSidecar(store.root, 'features/v9/linked'));
    expect({ code: error.code, path: error.details.path }).toEqual({ code: 'SYMLINK', path: 'features/v9/linked/metadata.json' });
  });
});
