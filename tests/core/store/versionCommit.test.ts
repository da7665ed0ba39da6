import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MesDataError } from '../../../core/errors.js';
import { getParquetMetadata } from '../../../core/parquet/parquetMetadata.js';
import { schemaOfDataFile } from '../../../core/iceberg/dataFiles.js';
import { loadTable } from '../../../core/iceberg/tableCommit.js';
import { currentSchema, defaultSpec } from '../../../core/iceberg/tableMetadata.js';
import { listSnapshots, snapshotDataFiles, snapshotForVersion } from '../../../core/iceberg/tableRead.js';
import { MetadataManager } from '../../../core/store/metadataManager.js';
import { inputsDigest } from '../../../core/store/parquetKeyValue.js';
import { acquireStoreLock } from '../../../core/store/storeLock.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { commitVersion, recoverVersions } from '../../../core/store/versionCommit.js';
import { listVersions, nextVersionNumber, readLedger } from '../../../core/store/versionLedger.js';
import { ohlcvTable } from '../../helpers/ohlcvTable.js';
import { errorOf, newStore } from './storeTestKit.js';

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const DEP = { path: 'raw/MES/2024-01-15/ohlcv.parquet', sha256: 'e'.repeat(64), layer: 'raw' as const };

describe('commitVersion', () => {
  let store: Store;
  let cleanup: () => void;
  const file = (relative: string) => path.join(store.root, ...relative.split('/'));
  const twoDays = (rows = 4) => async (ctx: { writeParquet: (p: string, t: ReturnType<typeof ohlcvTable>) => Promise<unknown> }) => {
    await ctx.writeParquet('date=2024-01-15/part-0.parquet', ohlcvTable(rows));
    await ctx.writeParquet('date=2024-01-16/part-0.parquet', ohlcvTable(rows + 1));
  };
  const stagingEntries = () => fs.readdirSync(path.join(store.root, '.staging'));

  beforeAll(async () => {
    ({ store, cleanup } = await newStore());
  });
  afterAll(() => {
    cleanup();
  });

  it('commits cleaned/v1/MES with every file hashed, the sidecar last and key facts in each file', async () => {
    const result = await commitVersion(store, {
      layer: 'cleaned',
      key: 'MES',
      write: twoDays(),
      fingerprint: 'fp-1',
      sidecar: {
        schema: { name: 'ohlcv', version: '1.0.0' },
        recipe: { name: 'promote', version: '0.1.0', parameters: { onInvalid: 'fail' } },
        dependencies: [DEP],
        validation: { valid: true, rowCount: 9, errors: [], warnings: [] },
        qualityMetrics: { dropped: { ohlc_consistency: 0 } },
        changelog: 'first clean',
      },
    });
    expect({ status: result.status, version: result.version, path: result.path, rows: result.rows, key: result.key, layer: result.layer }).toEqual({
      status: 'created',
      version: 1,
      path: 'cleaned/v1/MES',
      rows: 9,
      key: 'MES',
      layer: 'cleaned',
    });
    const part0 = file('cleaned/v1/MES/2024-01-15.parquet');
    expect(result.files.map((f) => ({ path: f.path, rows: f.rows, compression: f.compression, sha256: f.sha256 }))).toEqual([
      { path: '2024-01-15.parquet', rows: 4, compression: 'zstd', sha256: sha256(part0) },
      { path: '2024-01-16.parquet', rows: 5, compression: 'zstd', sha256: sha256(file('cleaned/v1/MES/2024-01-16.parquet')) },
    ]);
    // the version folder holds its Parquet files only, each a hard link to the table's data file
    expect(fs.readdirSync(file('cleaned/v1/MES')).sort()).toEqual(['2024-01-15.parquet', '2024-01-16.parquet']);
    const dataFiles = (date: string) => fs.readdirSync(file(`cleaned/MES/data/${date}`)).map((name) => file(`cleaned/MES/data/${date}/${name}`));
    expect(dataFiles('2024-01-15').map((f) => fs.statSync(f).ino)).toEqual([fs.statSync(part0).ino]);
    expect(fs.statSync(part0).nlink).toBe(2);
    // every column carries its Iceberg field id, and the date is a column of the file
    expect((await schemaOfDataFile(part0)).fields.map((f) => [f.id, f.name])).toEqual([[1, 'timestamp'], [2, 'open'], [3, 'high'], [4, 'low'], [5, 'close'], [6, 'volume'], [7, 'date']]);
    const table = await loadTable(file('cleaned/MES'));
    const snapshot = snapshotForVersion(table, 1);
    expect({ operation: snapshot.operation, added: snapshot.summary['added-data-files'], total: snapshot.summary['total-records'], fingerprint: snapshot.summary['mes-data.fingerprint'], schema: snapshot.summary['mes-data.schema'] }).toEqual({
      operation: 'append',
      added: '2',
      total: '9',
      fingerprint: 'fp-1',
      schema: 'ohlcv@1.0.0',
    });
    expect(currentSchema(table.metadata).fields.map((f) => [f.id, f.name, f.type])).toEqual([
      [1, 'timestamp', 'long'],
      [2, 'open', 'double'],
      [3, 'high', 'double'],
      [4, 'low', 'double'],
      [5, 'close', 'double'],
      [6, 'volume', 'long'],
      [7, 'date', 'date'],
    ]);
    expect(fs.existsSync(file('cleaned/v1/MES/metadata.json'))).toBe(false);
    const sidecar = await MetadataManager.readMetadataFile(file('catalog/cleaned/MES/v1.json'));
    expect(sidecar).toEqual(result.metadata);
    expect({ version: sidecar.version, asset: sidecar.asset, dateRange: sidecar.dateRange, partitioning: sidecar.partitioning, fingerprint: sidecar.fingerprint, changelog: sidecar.changelog, valid: sidecar.validation?.valid }).toEqual({
      version: 1,
      asset: 'MES',
      dateRange: { from: '2024-01-15', to: '2024-01-16' },
      partitioning: ['date'],
      fingerprint: 'fp-1',
      changelog: 'first clean',
      valid: true,
    });
    const kv = (await getParquetMetadata(part0)).keyValue;
    expect(Object.fromEntries(Object.entries(kv).filter(([k]) => k.startsWith('mes_data.')))).toEqual({
      'mes_data.layer': 'cleaned',
      'mes_data.version': 'v1',
      'mes_data.asset': 'MES',
      'mes_data.schema': 'ohlcv@1.0.0',
      'mes_data.recipe': 'promote@0.1.0',
      'mes_data.fingerprint': 'fp-1',
      'mes_data.inputs_sha256': inputsDigest([DEP]),
      'mes_data.input_count': '1',
    });
    expect(stagingEntries()).toEqual([]);
  });

  it('numbers versions per asset and per feature set, monotonically', async () => {
    expect((await commitVersion(store, { layer: 'cleaned', key: 'MES', write: twoDays(2) })).version).toBe(2);
    expect((await commitVersion(store, { layer: 'cleaned', key: 'ES', write: twoDays(2) })).version).toBe(1);
    const features = await commitVersion(store, {
      layer: 'features',
      key: 'MES/price_volatility',
      sidecar: { dependencies: [{ path: 'cleaned/v2/MES', sha256: 'f'.repeat(64), layer: 'cleaned', version: 2 }] },
      write: async (ctx) => {
        await ctx.writeParquet('part-0.parquet', ohlcvTable(3));
      },
    });
    expect({ version: features.version, path: features.path, partitioning: features.metadata.partitioning, featureSet: features.metadata.featureSet, asset: features.metadata.asset, dateRange: features.metadata.dateRange, files: features.files.map((f) => f.path) }).toEqual({
      version: 1,
      path: 'features/v1/MES/price_volatility',
      partitioning: undefined,
      featureSet: 'price_volatility',
      asset: 'MES',
      dateRange: null,
      files: ['part-0.parquet'],
    });
    // an unpartitioned table: the next build's one file replaces the previous file
    const again = await commitVersion(store, { layer: 'features', key: 'MES/price_volatility', write: async (ctx) => void (await ctx.writeParquet('part-0.parquet', ohlcvTable(5))) });
    const features2 = await loadTable(file('features/MES/price_volatility'));
    expect(defaultSpec(features2.metadata).fields).toEqual([]);
    const live = await snapshotDataFiles(features2, snapshotForVersion(features2, 2));
    expect({ version: again.version, rows: again.rows, live: live.map((f) => f.recordCount), operation: snapshotForVersion(features2, 2).operation, deleted: snapshotForVersion(features2, 2).summary['deleted-data-files'] }).toEqual({ version: 2, rows: 5, live: [5], operation: 'overwrite', deleted: '1' });
    expect(fs.statSync(file('features/v2/MES/price_volatility/part-0.parquet')).ino).toBe(fs.statSync(live[0].path).ino);
    // the same set of another asset is numbered on its own
    expect((await commitVersion(store, { layer: 'features', key: 'ES/price_volatility', write: async (ctx) => void (await ctx.writeParquet('part-0.parquet', ohlcvTable(2))) })).version).toBe(1);
    expect(await listVersions(store, 'cleaned', 'MES')).toEqual([1, 2]);
    expect(await listVersions(store, 'cleaned', 'ES')).toEqual([1]);
    expect(await listVersions(store, 'features', 'MES/price_volatility')).toEqual([1, 2]);
    expect(await readLedger(store)).toEqual({ cleaned: { MES: 2, ES: 1 }, features: { 'MES/price_volatility': 2, 'ES/price_volatility': 1 } });
  });

  it('the same fingerprint again is unchanged and names the existing version without writing', async () => {
    let called = false;
    const result = await commitVersion(store, {
      layer: 'cleaned',
      key: 'MES',
      fingerprint: 'fp-1',
      write: () => {
        called = true;
        return Promise.resolve();
      },
    });
    expect({ status: result.status, version: result.version, path: result.path, rows: result.rows, called }).toEqual({ status: 'unchanged', version: 1, path: 'cleaned/v1/MES', rows: 9, called: false });
    expect(await listVersions(store, 'cleaned', 'MES')).toEqual([1, 2]);
  });

  it('a reader never sees a version before its one rename', async () => {
    const seen: unknown[] = [];
    const result = await commitVersion(store, {
      layer: 'cleaned',
      key: 'MES',
      write: async (ctx) => {
        await twoDays()(ctx);
        seen.push(ctx.version, await listVersions(store, 'cleaned', 'MES'), fs.existsSync(file(`cleaned/v${ctx.version}`)), listSnapshots(await loadTable(file('cleaned/MES'))).map((s) => s.version));
      },
    });
    expect(seen).toEqual([3, [1, 2], false, [1, 2]]);
    expect(result.version).toBe(3);
    expect(await listVersions(store, 'cleaned', 'MES')).toEqual([1, 2, 3]);
    expect(listSnapshots(await loadTable(file('cleaned/MES'))).map((s) => s.version)).toEqual([1, 2, 3]);
  });

  it('a failed write leaves nothing and its number is never reused', async () => {
    const error = await errorOf(
      commitVersion(store, {
        layer: 'cleaned',
        key: 'MES',
        write: async (ctx) => {
          await ctx.writeParquet('date=2024-01-15/part-0.parquet', ohlcvTable(2));
          throw new MesDataError('VALIDATION_GATE', 'the data has errors');
        },
      }),
    );
    expect(error.code).toBe('VALIDATION_GATE');
    expect(fs.existsSync(file('cleaned/v4'))).toBe(false);
    expect(stagingEntries()).toEqual([]);
    expect((await readLedger(store)).cleaned.MES).toBe(4);
    expect((await commitVersion(store, { layer: 'cleaned', key: 'MES', write: twoDays() })).version).toBe(5);
  });

  it('a cancelled commit leaves nothing', async () => {
    const controller = new AbortController();
    const error = await errorOf(
      commitVersion(store, {
        layer: 'cleaned',
        key: 'ES',
        signal: controller.signal,
        write: async (ctx) => {
          await ctx.writeParquet('date=2024-01-15/part-0.parquet', ohlcvTable(2));
          controller.abort('stop');
        },
      }),
    );
    expect({ code: error.code, reason: error.details.reason }).toEqual({ code: 'CANCELLED', reason: 'stop' });
    expect(await listVersions(store, 'cleaned', 'ES')).toEqual([1]);
    expect(fs.existsSync(file('cleaned/v2/ES'))).toBe(false);
    expect(stagingEntries()).toEqual([]);
  });

  it('a version folder without its sidecar is not a version, and its number is skipped', async () => {
    fs.mkdirSync(file('cleaned/v9/NQ'), { recursive: true });
    expect(await listVersions(store, 'cleaned', 'NQ')).toEqual([]);
    expect(await nextVersionNumber(store, 'cleaned', 'NQ')).toBe(10);
    const result = await commitVersion(store, { layer: 'cleaned', key: 'NQ', write: twoDays() });
    expect(result.version).toBe(10);
    fs.rmSync(file('cleaned/v9'), { recursive: true });
  });

  it('refuses anything but Parquet files, paths leaving the version, bad keys and bad sidecars', async () => {
    const notParquet = await errorOf(
      commitVersion(store, {
        layer: 'cleaned',
        key: 'MES',
        write: (ctx) => {
          fs.writeFileSync(path.join(ctx.dir, 'notes.txt'), 'x');
          return Promise.resolve();
        },
      }),
    );
    expect({ code: notParquet.code, message: notParquet.message }).toEqual({ code: 'BAD_REQUEST', message: 'a version holds Parquet files only; "notes.txt" does not end in .parquet' });
    const escape = await errorOf(commitVersion(store, { layer: 'cleaned', key: 'MES', write: async (ctx) => void (await ctx.writeParquet('../x.parquet', ohlcvTable(1))) }));
    expect(escape.message).toBe('"../x.parquet" is not a plain relative path inside the version');
    const empty = await errorOf(commitVersion(store, { layer: 'cleaned', key: 'MES', write: () => Promise.resolve() }));
    expect(empty.message).toMatch(/wrote no Parquet files$/);
    expect((await errorOf(commitVersion(store, { layer: 'cleaned', key: 'mes', write: twoDays() }))).code).toBe('INVALID_NAME');
    expect((await errorOf(commitVersion(store, { layer: 'features', key: 'a=b', write: twoDays() }))).code).toBe('INVALID_NAME');
    const badSidecar = await errorOf(commitVersion(store, { layer: 'cleaned', key: 'MES', write: twoDays(), sidecar: { dependencies: [{ path: '/etc/passwd', sha256: 'x' }] } }));
    expect(badSidecar.code).toBe('BAD_REQUEST');
    expect(badSidecar.details.errors).toEqual(['/dependencies/0/path must NOT be valid', '/dependencies/0/sha256 must match pattern "^[0-9a-f]{64}$"']);
    expect(await listVersions(store, 'cleaned', 'MES')).toEqual([1, 2, 3, 5]);
    expect(stagingEntries()).toEqual([]);
    expect(fs.readdirSync(file('cleaned')).sort()).toEqual(['ES', 'MES', 'NQ', 'v1', 'v10', 'v2', 'v3', 'v5']);
    expect(fs.readdirSync(file('catalog/cleaned/MES')).sort()).toEqual(['v1.json', 'v2.json', 'v3.json', 'v5.json']);
    // the files of the refused commits are gone from the table's data folder: v1, v2, v3 and v5 wrote two each, none are shared
    expect(fs.readdirSync(file('cleaned/MES/data'), { recursive: true }).filter((f) => String(f).endsWith('.parquet')).length).toBe(8);
  });

  it('gives LOCKED while another writer holds the lock, and commits under a lock the caller holds', async () => {
    const lock = await acquireStoreLock(store);
    try {
      const error = await errorOf(commitVersion(store, { layer: 'cleaned', key: 'ES', lockWaitMs: 0, write: twoDays() }));
      expect({ code: error.code, pid: error.details.pid }).toEqual({ code: 'LOCKED', pid: process.pid });
      const result = await commitVersion(store, { layer: 'cleaned', key: 'ES', lock, write: twoDays() });
      expect(result.version).toBe(3);
    } finally {
      await lock.release();
    }
  });

  it('keeps partitions of the previous version by reference: one new day writes one file and links the rest', async () => {
    const { store: own, cleanup: done } = await newStore();
    try {
      const at = (relative: string) => path.join(own.root, ...relative.split('/'));
      const days = ['2024-01-15', '2024-01-16', '2024-01-17'];
      await commitVersion(own, { layer: 'cleaned', key: 'MES', write: async (ctx) => { for (const [k, day] of days.entries()) await ctx.writeParquet(`date=${day}/part-0.parquet`, ohlcvTable(3 + k)); } });
      const seen: unknown[] = [];
      const next = await commitVersion(own, {
        layer: 'cleaned',
        key: 'MES',
        write: async (ctx) => {
          seen.push(ctx.previous?.version, ctx.previous?.partitions);
          ctx.keepPartitions(['2024-01-15', '2024-01-17']);
          await ctx.writeParquet('date=2024-01-18/part-0.parquet', ohlcvTable(7));
        },
      });
      expect(seen).toEqual([1, days]);
      // 2024-01-16 was neither kept nor written: it is not in v2
      expect({ version: next.version, shared: next.shared, written: next.written, rows: next.rows, files: next.files.map((f) => f.path) }).toEqual({
        version: 2,
        shared: 2,
        written: 1,
        rows: 3 + 5 + 7,
        files: ['2024-01-15.parquet', '2024-01-17.parquet', '2024-01-18.parquet'],
      });
      for (const name of ['2024-01-15.parquet', '2024-01-17.parquet']) expect(fs.statSync(at(`cleaned/v2/MES/${name}`)).ino).toBe(fs.statSync(at(`cleaned/v1/MES/${name}`)).ino);
      expect(fs.statSync(at('cleaned/v1/MES/2024-01-15.parquet')).nlink).toBe(3);
      const table = await loadTable(at('cleaned/MES'));
      const v2 = snapshotForVersion(table, 2);
      expect({ operation: v2.operation, added: v2.summary['added-data-files'], deleted: v2.summary['deleted-data-files'], total: v2.summary['total-data-files'] }).toEqual({ operation: 'overwrite', added: '1', deleted: '1', total: '3' });
      const live = await snapshotDataFiles(table, v2);
      expect(live.map((f) => [f.partition.date, fs.statSync(f.path).ino]).sort()).toEqual(
        ['2024-01-15', '2024-01-17', '2024-01-18'].map((day) => [day, fs.statSync(at(`cleaned/v2/MES/${day}.parquet`)).ino]),
      );
      // only new days: an append, nothing rewritten
      const v3 = await commitVersion(own, { layer: 'cleaned', key: 'MES', write: async (ctx) => { ctx.keepPartitions(ctx.previous?.partitions ?? []); await ctx.writeParquet('date=2024-01-19/part-0.parquet', ohlcvTable(2)); } });
      expect({ shared: v3.shared, written: v3.written, operation: snapshotForVersion(await loadTable(at('cleaned/MES')), 3).operation }).toEqual({ shared: 3, written: 1, operation: 'append' });
      const unknown = await errorOf(commitVersion(own, { layer: 'cleaned', key: 'MES', write: (ctx) => Promise.resolve(ctx.keepPartitions(['2023-12-29'])) }));
      expect({ code: unknown.code, message: unknown.message }).toEqual({ code: 'BAD_REQUEST', message: 'the commit of a new cleaned version of MES: cannot keep partition 2023-12-29, which v3 does not hold' });
    } finally {
      done();
    }
  });

  it('recovery rebuilds the folder of a committed snapshot and removes the sidecar of a version without one', async () => {
    const { store: own, cleanup: done } = await newStore();
    try {
      const at = (relative: string) => path.join(own.root, ...relative.split('/'));
      await commitVersion(own, { layer: 'cleaned', key: 'MES', write: twoDays() });
      const v2 = await commitVersion(own, { layer: 'cleaned', key: 'MES', write: async (ctx) => { ctx.keepPartitions(['2024-01-15']); await ctx.writeParquet('date=2024-01-17/part-0.parquet', ohlcvTable(6)); } });
      const inodes = v2.files.map((f) => fs.statSync(at(`cleaned/v2/MES/${f.path}`)).ino);
      // as a crash after the commit point and before the rename leaves it
      fs.rmSync(at('cleaned/v2'), { recursive: true });
      // as a crash after the sidecar and before the commit point leaves it
      fs.copyFileSync(at('catalog/cleaned/MES/v2.json'), at('catalog/cleaned/MES/v3.json'));
      expect(await listVersions(own, 'cleaned', 'MES')).toEqual([1]);
      const lock = await acquireStoreLock(own);
      try {
        expect(await recoverVersions(own)).toEqual({ rebuilt: ['cleaned/v2/MES'], removed: ['catalog/cleaned/MES/v3.json'] });
      } finally {
        await lock.release();
      }
      expect(await listVersions(own, 'cleaned', 'MES')).toEqual([1, 2]);
      expect(fs.readdirSync(at('cleaned/v2/MES')).sort()).toEqual(['2024-01-15.parquet', '2024-01-17.parquet']);
      expect(v2.files.map((f) => fs.statSync(at(`cleaned/v2/MES/${f.path}`)).ino)).toEqual(inodes);
      expect(v2.files.map((f) => sha256(at(`cleaned/v2/MES/${f.path}`)))).toEqual(v2.files.map((f) => f.sha256));
      expect(fs.existsSync(at('catalog/cleaned/MES/v3.json'))).toBe(false);
    } finally {
      done();
    }
  });

  it('recovery keeps the sidecars of version folders that exist when the table has lost its metadata', async () => {
    const { store: own, cleanup: done } = await newStore();
    try {
      const at = (relative: string) => path.join(own.root, ...relative.split('/'));
      await commitVersion(own, { layer: 'cleaned', key: 'MES', write: twoDays() });
      fs.rmSync(at('cleaned/MES/metadata'), { recursive: true });
      // a sidecar of a version that never got its folder (a commit that stopped before its table existed)
      fs.copyFileSync(at('catalog/cleaned/MES/v1.json'), at('catalog/cleaned/MES/v2.json'));
      const lock = await acquireStoreLock(own);
      try {
        expect(await recoverVersions(own, { layer: 'cleaned', key: 'MES' })).toEqual({ rebuilt: [], removed: ['catalog/cleaned/MES/v2.json'] });
      } finally {
        await lock.release();
      }
      expect(fs.readdirSync(at('catalog/cleaned/MES'))).toEqual(['v1.json']);
      expect(fs.readdirSync(at('cleaned/v1/MES')).sort()).toEqual(['2024-01-15.parquet', '2024-01-16.parquet']);
    } finally {
      done();
    }
  });
});
