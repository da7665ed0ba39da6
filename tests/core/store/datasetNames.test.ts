import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeEngine } from '../../../core/engine/duckdbEngine.js';
import { MesDataError } from '../../../core/errors.js';
import { datasetFiles } from '../../../core/parquet/parquetDataset.js';
import { resolveDatasetAsOf, resolveDatasetName } from '../../../core/store/datasetNames.js';
import { buildFormat2Store, T0, type Format2Store } from './format2Kit.js';

function thrown(run: () => unknown): MesDataError {
  try {
    run();
  } catch (error) {
    if (error instanceof MesDataError) return error;
    throw error;
  }
  throw new Error('expected a MesDataError');
}

async function rejected(promise: Promise<unknown>): Promise<MesDataError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MesDataError) return error;
    throw error;
  }
  throw new Error('expected a MesDataError');
}

describe('dataset names (format 2)', () => {
  let store: Format2Store;
  beforeAll(async () => {
    store = await buildFormat2Store({ features: true, featuresOf: ['ES'] });
  });
  afterAll(async () => {
    store.cleanup();
    await closeEngine();
  });

  it('resolves a version folder, @vN, the newest version and a feature set of one asset', () => {
    expect(resolveDatasetName(store.root, 'cleaned/v2/MES')).toEqual({ path: 'cleaned/v2/MES', version: { layer: 'cleaned', key: 'MES', number: 2 } });
    expect(resolveDatasetName(store.root, 'cleaned/MES@v2')).toEqual({ path: 'cleaned/v2/MES', version: { layer: 'cleaned', key: 'MES', number: 2 } });
    expect(resolveDatasetName(store.root, 'cleaned/MES')).toEqual({ path: 'cleaned/v3/MES', version: { layer: 'cleaned', key: 'MES', number: 3 } });
    expect(resolveDatasetName(store.root, 'features/MES/momentum_indicators@v1').path).toBe('features/v1/MES/momentum_indicators');
    expect(resolveDatasetName(store.root, 'features/MES/momentum_indicators')).toEqual({
      path: 'features/v2/MES/momentum_indicators',
      version: { layer: 'features', key: 'MES/momentum_indicators', number: 2 },
    });
    expect(resolveDatasetName(store.root, 'features/v1/MES/momentum_indicators').path).toBe('features/v1/MES/momentum_indicators');
    // a format-1 name that one asset holds
    expect(resolveDatasetName(store.root, 'features/v1/momentum_indicators').path).toBe('features/v1/MES/momentum_indicators');
    // other paths stay as they are
    expect(resolveDatasetName(store.root, 'raw/MES/2024-01-02')).toEqual({ path: 'raw/MES/2024-01-02', version: null });
    expect(resolveDatasetName(store.root, 'cleaned/v3/MES/2024-01-04.parquet')).toEqual({ path: 'cleaned/v3/MES/2024-01-04.parquet', version: null });
  });

  it('says which versions there are for an unknown one, and which assets fit a format-1 name', () => {
    const unknown = thrown(() => resolveDatasetName(store.root, 'cleaned/MES@v7'));
    expect(unknown.code).toBe('NOT_FOUND');
    expect(unknown.message).toBe('cleaned/MES has no version v7 (asked for by "cleaned/MES@v7"); its versions: v1, v2, v3');
    expect(unknown.details.versions).toEqual([1, 2, 3]);
    const none = thrown(() => resolveDatasetName(store.root, 'cleaned/ES'));
    expect(none.code).toBe('NOT_FOUND');
    expect(none.message).toBe('cleaned/ES has no version yet (asked for by "cleaned/ES")');
    const several = thrown(() => resolveDatasetName(store.root, 'features/v2/momentum_indicators'));
    expect(several.code).toBe('BAD_REQUEST');
    expect(several.message).toBe('"features/v2/momentum_indicators" is v2 of momentum_indicators for several assets; name one: features/v2/ES/momentum_indicators, features/v2/MES/momentum_indicators');
    expect(several.details.candidates).toEqual(['features/v2/ES/momentum_indicators', 'features/v2/MES/momentum_indicators']);
  });

  it('gives every reader the version folder: datasetFiles lists the links of the version named', () => {
    const newest = datasetFiles(store.root, 'cleaned/MES');
    expect(newest.files.map(newest.display)).toEqual(['cleaned/v3/MES/2024-01-02.parquet', 'cleaned/v3/MES/2024-01-03.parquet', 'cleaned/v3/MES/2024-01-04.parquet']);
    const first = datasetFiles(store.root, 'cleaned/MES@v1');
    expect(first.files.map(first.display)).toEqual(['cleaned/v1/MES/2024-01-02.parquet', 'cleaned/v1/MES/2024-01-03.parquet']);
    // the link of an unchanged date is the table's own data file (one inode, no copy)
    expect(fs.statSync(first.files[0]).ino).toBe(fs.statSync(path.join(store.root, store.files.v1_0102)).ino);
    expect(fs.statSync(newest.files[1]).ino).toBe(fs.statSync(path.join(store.root, store.files.v2_0103)).ino);
    expect(thrown(() => datasetFiles(store.root, 'cleaned/..@v1')).code).toBe('BAD_REQUEST');
  });

  it('finds the version current at a moment by the snapshot log', async () => {
    expect(await resolveDatasetAsOf(store.root, 'cleaned/MES', T0 + 1000)).toEqual({ path: 'cleaned/v1/MES', version: { layer: 'cleaned', key: 'MES', number: 1 } });
    expect((await resolveDatasetAsOf(store.root, 'cleaned/MES', T0 + 2999)).path).toBe('cleaned/v2/MES');
    expect((await resolveDatasetAsOf(store.root, 'cleaned/MES', T0 + 86_400_000)).path).toBe('cleaned/v3/MES');
    expect((await resolveDatasetAsOf(store.root, 'features/MES/momentum_indicators', T0 + 5500)).path).toBe('features/v1/MES/momentum_indicators');
    const before = await rejected(resolveDatasetAsOf(store.root, 'cleaned/MES', T0 + 999));
    expect(before.code).toBe('NOT_FOUND');
    expect(before.message).toBe('cleaned/MES had no version at 2026-11-01T12:00:00.999Z; its first was committed at 2026-11-01T12:00:01.000Z');
    expect(before.details.firstCommit).toBe('2026-11-01T12:00:01.000Z');
    const version = await rejected(resolveDatasetAsOf(store.root, 'cleaned/MES@v2', T0 + 5000));
    expect(version.code).toBe('BAD_REQUEST');
    expect(version.message).toBe('--as-of takes the name of a table (cleaned/MES, features/MES/momentum_indicators), not "cleaned/MES@v2"');
    const noTable = await rejected(resolveDatasetAsOf(store.root, 'cleaned/NQ', T0 + 5000));
    expect(noTable.code).toBe('NOT_FOUND');
    expect(noTable.message).toBe('cleaned/NQ is not a table of this store (no Iceberg metadata)');
  });
});
