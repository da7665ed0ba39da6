import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableToJsonRows } from '../../../core/arrow/arrowJson.js';
import { partitionFolder, readCleanedData, readFeatures, readRawData, writeCleanedData, writeFeatures } from '../../../core/store/layerIO.js';
import { commitRawSnapshots } from '../../../core/store/rawSnapshot.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { ohlcvTable } from '../../helpers/ohlcvTable.js';
import { bars, errorOf, expectSidecarsValid, newStore } from './storeTestKit.js';

const volumes = (table: Parameters<typeof tableToJsonRows>[0]) => tableToJsonRows(table).map((row) => row.volume);

describe('layer wrappers', () => {
  let store: Store;
  let cleanup: () => void;

  beforeAll(async () => {
    ({ store, cleanup } = await newStore());
    await commitRawSnapshots(store, [
      { asset: 'MES', date: '2024-01-15', name: 'ohlcv', table: bars(3, 0) },
      { asset: 'MES', date: '2024-01-16', name: 'ohlcv', table: bars(3, 3) },
      { asset: 'MES', date: '2024-01-16', name: 'extra', table: bars(2, 6) },
      { asset: 'MES', date: '2024-01-17', name: 'ohlcv', table: bars(1, 8) },
    ]);
  });
  afterAll(() => {
    expectSidecarsValid(store.root);
    cleanup();
  });

  it('readRawData reads a file, a date or an asset by path, or a date range, in date and name order', async () => {
    expect(volumes(await readRawData(store, 'raw/MES/2024-01-15/ohlcv.parquet'))).toEqual([100, 101, 102]);
    expect(volumes(await readRawData(store, 'raw/MES/2024-01-16'))).toEqual([106, 107, 103, 104, 105]);
    expect(volumes(await readRawData(store, 'raw/MES'))).toEqual([100, 101, 102, 106, 107, 103, 104, 105, 108]);
    const range = await readRawData(store, { asset: 'MES', from: '2024-01-16', to: '2024-01-17', names: ['ohlcv'] }, { columns: ['volume', 'venue'] });
    expect(tableToJsonRows(range)).toEqual([
      { volume: 103, venue: 'XCME' },
      { volume: 104, venue: 'GLBX' },
      { volume: 105, venue: 'XCME' },
      { volume: 108, venue: 'GLBX' },
    ]);
    const none = await errorOf(readRawData(store, { asset: 'MES', from: '2024-02-01' }));
    expect({ code: none.code, message: none.message }).toEqual({ code: 'NOT_FOUND', message: `no raw snapshots at raw MES from 2024-02-01 to the end in ${store.root}` });
    expect((await errorOf(readRawData(store, 'cleaned/v1/MES'))).code).toBe('BAD_REQUEST');
    expect((await errorOf(readRawData(store, 'raw/mes'))).code).toBe('INVALID_NAME');
  });

  it('writeCleanedData commits a new version (zstd, partitioned by date); readCleanedData reads the newest or a chosen one', async () => {
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
        ['date=2024-01-15/part-0.parquet', 'zstd'],
        ['date=2024-01-16/part-0.parquet', 'zstd'],
      ],
    });
    const v2 = await writeCleanedData(store, { asset: 'MES', data: ohlcvTable(4), compression: 'snappy' });
    expect({ path: v2.path, files: v2.files.map((f) => [f.path, f.compression]) }).toEqual({ path: 'cleaned/v2/MES', files: [['part-0.parquet', 'snappy']] });
    expect((await readCleanedData(store, { asset: 'MES' })).numRows).toBe(4);
    const first = await readCleanedData(store, { asset: 'MES', version: 1, columns: ['date', 'volume'], filters: [{ column: 'date', op: '=', value: '2024-01-16' }] });
    expect(tableToJsonRows(first)).toEqual([103, 104, 105, 106, 107].map((volume) => ({ date: '2024-01-16', volume })));
    const missing = await errorOf(readCleanedData(store, { asset: 'MES', version: 7 }));
    expect({ code: missing.code, message: missing.message }).toEqual({ code: 'NOT_FOUND', message: `cleaned/v7/MES is not a committed version in ${store.root}` });
    expect((await errorOf(readCleanedData(store, { asset: 'ES' }))).message).toBe(`there is no cleaned version of ES in ${store.root}`);
  });

  it('writeFeatures and readFeatures version feature sets independently', async () => {
    const made = await writeFeatures(store, {
      featureSet: 'momentum_indicators',
      data: [
        { partition: { asset: 'MES' }, table: bars(2, 0) },
        { partition: { asset: 'MES' }, table: bars(2, 2) },
        { partition: { asset: 'ES' }, table: bars(1, 9), fileName: 'es-bars' },
      ],
      sidecar: { asset: null, recipe: { name: 'features', parameters: { rsiPeriod: 14 } } },
    });
    expect({ path: made.path, files: made.files.map((f) => f.path) }).toEqual({
      path: 'features/v1/momentum_indicators',
      files: ['asset=ES/es-bars.parquet', 'asset=MES/part-0.parquet', 'asset=MES/part-1.parquet'],
    });
    const table = await readFeatures(store, { featureSet: 'momentum_indicators', columns: ['asset', 'volume'] });
    expect(tableToJsonRows(table)).toEqual([
      { asset: 'ES', volume: 109 },
      { asset: 'MES', volume: 100 },
      { asset: 'MES', volume: 101 },
      { asset: 'MES', volume: 102 },
      { asset: 'MES', volume: 103 },
    ]);
    expect(path.basename(made.path)).toBe('momentum_indicators');
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
