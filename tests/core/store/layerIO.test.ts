import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableToJsonRows } from '../../../core/arrow/arrowJson.js';
import { Dataset } from '../../../core/parquet/parquetDataset.js';
import { partitionFolder, writeFeatures } from '../../../core/store/layerIO.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { writeCleanedData } from '../../helpers/cleanedVersion.js';
import { ohlcvTable } from '../../helpers/ohlcvTable.js';
import { bars, errorOf, expectSidecarsValid, newStore } from './storeTestKit.js';

const volumes = (table: Parameters<typeof tableToJsonRows>[0]) => tableToJsonRows(table).map((row) => row.volume);

describe('layer wrappers', () => {
  let store: Store;
  let cleanup: () => void;

  beforeAll(async () => {
    ({ store, cleanup } = await newStore());
  });
  afterAll(() => {
    expectSidecarsValid(store.root);
    cleanup();
  });

  it('writeCleanedData commits a new version (zstd, partitioned by date), read back file by file in path order', async () => {
    const v1 = await writeCleanedData(store, {
      asset: 'MES',
      data: [
        { partition: { date: '2024-01-15' }, table: bars(3, 0) },
        { partition: { date: '2024-01-16' }, table: bars(5, 3) },
      ],
      sidecar: { changelog: 'first', dependencies: [{ path: 'raw/MES/2024-01-15/ohlcv.parquet', sha256: '1'.repeat(64) }] },
    });
    expect({ path: v1.path, rows: v1.rows, files: v1.files.map((f) => [f.path, f.compression]) }).toEqual({
      path: 'cleaned/v1/MES',
      rows: 8,
      files: [
        ['2024-01-15.parquet', 'zstd'],
        ['2024-01-16.parquet', 'zstd'],
      ],
    });
    // a table keeps its partitioning: MES is partitioned by date, an asset written without dates is not
    const unpartitioned = await errorOf(writeCleanedData(store, { asset: 'MES', data: ohlcvTable(4), compression: 'snappy' }));
    expect({ code: unpartitioned.code, message: unpartitioned.message }).toEqual({ code: 'BAD_REQUEST', message: 'the commit of a new cleaned version of MES: the table cleaned/MES is partitioned by date, the new files are not' });
    const v2 = await writeCleanedData(store, { asset: 'ES', data: ohlcvTable(4), compression: 'snappy' });
    expect({ path: v2.path, files: v2.files.map((f) => [f.path, f.compression]) }).toEqual({ path: 'cleaned/v1/ES', files: [['part-0.parquet', 'snappy']] });
    expect((await Dataset.open(store.root, 'cleaned/v1/ES')).numRows).toBe(4);
    const first = await Dataset.open(store.root, 'cleaned/v1/MES');
    expect(first.files.map((f) => [f.path, f.rowStart])).toEqual([
      ['cleaned/v1/MES/2024-01-15.parquet', 0],
      ['cleaned/v1/MES/2024-01-16.parquet', 3],
    ]);
    expect(volumes(await first.readAll(['volume']))).toEqual([100, 101, 102, 103, 104, 105, 106, 107]);
    const missing = await errorOf(Dataset.open(store.root, 'cleaned/v7/MES'));
    expect({ code: missing.code, message: missing.message }).toEqual({ code: 'NOT_FOUND', message: 'no dataset at cleaned/v7/MES' });
  });

  it('writeFeatures versions a feature set of one asset, its parts as part-0, part-1, … in the order of their names', async () => {
    const made = await writeFeatures(store, {
      asset: 'MES',
      featureSet: 'momentum_indicators',
      data: [{ table: bars(2, 0) }, { table: bars(2, 2) }, { table: bars(1, 9), fileName: 'a-first' }],
      sidecar: { recipe: { name: 'features', parameters: { rsiPeriod: 14 } } },
    });
    expect({ path: made.path, files: made.files.map((f) => f.path), asset: made.metadata.asset, featureSet: made.metadata.featureSet }).toEqual({
      path: 'features/v1/MES/momentum_indicators',
      files: ['part-0.parquet', 'part-1.parquet', 'part-2.parquet'],
      asset: 'MES',
      featureSet: 'momentum_indicators',
    });
    const table = await (await Dataset.open(store.root, 'features/v1/MES/momentum_indicators')).readAll(['volume', 'venue']);
    expect(tableToJsonRows(table)).toEqual([
      { volume: 109, venue: 'XCME' },
      { volume: 100, venue: null },
      { volume: 101, venue: 'XCME' },
      { volume: 102, venue: 'GLBX' },
      { volume: 103, venue: 'XCME' },
    ]);
    expect(path.basename(made.path)).toBe('momentum_indicators');
    expect(fs.readdirSync(path.join(store.root, 'features/MES/momentum_indicators/data')).length).toBe(3);
  });

  it('refuses partitions that would escape or collide', async () => {
    expect(partitionFolder({ date: '2024-01-15', asset: 'MES' })).toBe('date=2024-01-15/asset=MES');
    expect((await errorOf(writeCleanedData(store, { asset: 'MES', data: [{ partition: { date: '../x' }, table: ohlcvTable(1) }] }))).code).toBe('BAD_REQUEST');
    expect((await errorOf(writeCleanedData(store, { asset: 'MES', data: [{ partition: { 'a/b': 'x' }, table: ohlcvTable(1) }] }))).code).toBe('BAD_REQUEST');
    const twice = await errorOf(writeCleanedData(store, { asset: 'MES', data: [{ table: ohlcvTable(1), fileName: 'a' }, { table: ohlcvTable(1), fileName: 'a.parquet' }] }));
    expect(twice.message).toBe('two parts would both be written to a.parquet');
    expect((await errorOf(writeCleanedData(store, { asset: 'MES', data: [] }))).code).toBe('BAD_REQUEST');
  });
});
