import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MesDataError } from '../../../core/errors.js';
import { getParquetMetadata } from '../../../core/parquet/parquetMetadata.js';
import { listTree } from '../../../core/store/catalog.js';
import { MetadataManager } from '../../../core/store/metadataManager.js';
import { inputsDigest } from '../../../core/store/parquetKeyValue.js';
import { acquireStoreLock } from '../../../core/store/storeLock.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { commitVersion } from '../../../core/store/versionCommit.js';
import { listVersions, nextVersionNumber, readLedger } from '../../../core/store/versionLedger.js';
import { ohlcvTable } from '../../helpers/ohlcvTable.js';
import { errorOf, expectSidecarsValid, newStore } from './storeTestKit.js';

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
    expectSidecarsValid(store.root);
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
    const part0 = file('cleaned/v1/MES/date=2024-01-15/part-0.parquet');
    expect(result.files.map((f) => ({ path: f.path, rows: f.rows, compression: f.compression, sha256: f.sha256 }))).toEqual([
      { path: 'date=2024-01-15/part-0.parquet', rows: 4, compression: 'zstd', sha256: sha256(part0) },
      { path: 'date=2024-01-16/part-0.parquet', rows: 5, compression: 'zstd', sha256: sha256(file('cleaned/v1/MES/date=2024-01-16/part-0.parquet')) },
    ]);
    const sidecar = await MetadataManager.readMetadataFile(file('cleaned/v1/MES/metadata.json'));
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
      key: 'price_volatility',
      sidecar: { asset: 'MES', dependencies: [{ path: 'cleaned/v2/MES', sha256: 'f'.repeat(64), layer: 'cleaned', version: 2 }] },
      write: async (ctx) => {
        await ctx.writeParquet('asset=MES/part-0.parquet', ohlcvTable(3));
      },
    });
    expect({ version: features.version, path: features.path, partitioning: features.metadata.partitioning, featureSet: features.metadata.featureSet, asset: features.metadata.asset, dateRange: features.metadata.dateRange }).toEqual({
      version: 1,
      path: 'features/v1/price_volatility',
      partitioning: ['asset'],
      featureSet: 'price_volatility',
      asset: 'MES',
      dateRange: null,
    });
    expect(await listVersions(store, 'cleaned', 'MES')).toEqual([1, 2]);
    expect(await listVersions(store, 'cleaned', 'ES')).toEqual([1]);
    expect(await readLedger(store)).toEqual({ cleaned: { MES: 2, ES: 1 }, features: { price_volatility: 1 } });
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
        seen.push(ctx.version, await listVersions(store, 'cleaned', 'MES'), fs.existsSync(file(`cleaned/v${ctx.version}`)));
        const tree = await listTree(store, 'cleaned/MES');
        seen.push(tree.children?.map((c) => c.name));
      },
    });
    expect(seen).toEqual([3, [1, 2], false, ['v1', 'v2']]);
    expect(result.version).toBe(3);
    expect((await listTree(store, 'cleaned/MES')).children?.map((c) => c.name)).toEqual(['v1', 'v2', 'v3']);
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

  it('a version folder without its metadata.json is not a version, and its number is skipped', async () => {
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
    expect(fs.readdirSync(file('cleaned')).sort()).toEqual(['v1', 'v10', 'v2', 'v3', 'v5']);
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
});
