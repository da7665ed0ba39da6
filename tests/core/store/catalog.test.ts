import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listTree, type CatalogNode } from '../../../core/store/catalog.js';
import { commitRawSnapshots } from '../../../core/store/rawSnapshot.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { commitVersion } from '../../../core/store/versionCommit.js';
import { ohlcvTable } from '../../helpers/ohlcvTable.js';
import { errorOf, expectSidecarsValid, newStore } from './storeTestKit.js';

/** The node without the values that change from run to run (time of writing, hashes, bytes). */
function shape(node: CatalogNode): unknown {
  const { createdAt: _c, sha256: _s, bytes: _b, children, ...rest } = node;
  return children ? { ...rest, children: children.map(shape) } : rest;
}

describe('listTree', () => {
  let store: Store;
  let cleanup: () => void;

  beforeAll(async () => {
    ({ store, cleanup } = await newStore());
    await commitRawSnapshots(store, [
      { asset: 'MES', date: '2024-01-15', name: 'ohlcv', table: ohlcvTable(10) },
      { asset: 'MES', date: '2024-01-16', name: 'ohlcv', table: ohlcvTable(20) },
      { asset: 'MES', date: '2024-01-16', name: 'ticks', table: ohlcvTable(5) },
    ]);
    await commitVersion(store, {
      layer: 'cleaned',
      key: 'MES',
      sidecar: { validation: { valid: true } },
      write: async (ctx) => {
        await ctx.writeParquet('date=2024-01-15/part-0.parquet', ohlcvTable(10));
        await ctx.writeParquet('date=2024-01-16/part-0.parquet', ohlcvTable(25));
      },
    });
    await commitVersion(store, { layer: 'cleaned', key: 'MES', sidecar: { validation: { valid: false } }, write: async (ctx) => void (await ctx.writeParquet('part-0.parquet', ohlcvTable(3))) });
    await commitVersion(store, { layer: 'features', key: 'momentum_indicators', write: async (ctx) => void (await ctx.writeParquet('asset=MES/year=2024/part-0.parquet', ohlcvTable(4))) });
    // not committed: no sidecar, so not shown
    fs.mkdirSync(path.join(store.root, 'cleaned', 'v3', 'MES'), { recursive: true });
    fs.mkdirSync(path.join(store.root, 'raw', 'MES', '2024-01-17'));
  });
  afterAll(() => {
    expectSidecarsValid(store.root);
    cleanup();
  });

  it('shows layers, assets, dates, versions, feature sets and files from the sidecars', async () => {
    const tree = await listTree(store);
    expect(shape(tree)).toEqual({
      kind: 'store',
      name: 'store',
      path: '',
      children: [
        {
          kind: 'layer',
          name: 'raw',
          path: 'raw',
          children: [
            {
              kind: 'asset',
              name: 'MES',
              path: 'raw/MES',
              rows: 35,
              from: '2024-01-15',
              to: '2024-01-16',
              children: [
                {
                  kind: 'date',
                  name: '2024-01-15',
                  path: 'raw/MES/2024-01-15',
                  rows: 10,
                  from: '2024-01-15',
                  to: '2024-01-15',
                  children: [{ kind: 'file', name: 'ohlcv.parquet', path: 'raw/MES/2024-01-15/ohlcv.parquet', rows: 10, compression: 'snappy' }],
                },
                {
                  kind: 'date',
                  name: '2024-01-16',
                  path: 'raw/MES/2024-01-16',
                  rows: 25,
                  from: '2024-01-16',
                  to: '2024-01-16',
                  children: [
                    { kind: 'file', name: 'ohlcv.parquet', path: 'raw/MES/2024-01-16/ohlcv.parquet', rows: 20, compression: 'snappy' },
                    { kind: 'file', name: 'ticks.parquet', path: 'raw/MES/2024-01-16/ticks.parquet', rows: 5, compression: 'snappy' },
                  ],
                },
              ],
            },
          ],
        },
        {
          kind: 'layer',
          name: 'cleaned',
          path: 'cleaned',
          children: [
            {
              kind: 'asset',
              name: 'MES',
              path: 'cleaned/MES',
              children: [
                {
                  kind: 'version',
                  name: 'v1',
                  path: 'cleaned/v1/MES',
                  version: 1,
                  valid: true,
                  rows: 35,
                  from: '2024-01-15',
                  to: '2024-01-16',
                  children: [
                    {
                      kind: 'date',
                      name: 'date=2024-01-15',
                      path: 'cleaned/v1/MES/date=2024-01-15',
                      rows: 10,
                      from: '2024-01-15',
                      to: '2024-01-15',
                      children: [{ kind: 'file', name: 'part-0.parquet', path: 'cleaned/v1/MES/date=2024-01-15/part-0.parquet', rows: 10, compression: 'zstd' }],
                    },
                    {
                      kind: 'date',
                      name: 'date=2024-01-16',
                      path: 'cleaned/v1/MES/date=2024-01-16',
                      rows: 25,
                      from: '2024-01-16',
                      to: '2024-01-16',
                      children: [{ kind: 'file', name: 'part-0.parquet', path: 'cleaned/v1/MES/date=2024-01-16/part-0.parquet', rows: 25, compression: 'zstd' }],
                    },
                  ],
                },
                {
                  kind: 'version',
                  name: 'v2',
                  path: 'cleaned/v2/MES',
                  version: 2,
                  valid: false,
                  rows: 3,
                  from: null,
                  to: null,
                  children: [{ kind: 'file', name: 'part-0.parquet', path: 'cleaned/v2/MES/part-0.parquet', rows: 3, compression: 'zstd' }],
                },
              ],
            },
          ],
        },
        {
          kind: 'layer',
          name: 'features',
          path: 'features',
          children: [
            {
              kind: 'featureSet',
              name: 'momentum_indicators',
              path: 'features/momentum_indicators',
              children: [
                {
                  kind: 'version',
                  name: 'v1',
                  path: 'features/v1/momentum_indicators',
                  version: 1,
                  valid: null,
                  rows: 4,
                  from: null,
                  to: null,
                  children: [
                    {
                      kind: 'asset',
                      name: 'asset=MES',
                      path: 'features/v1/momentum_indicators/asset=MES',
                      rows: 4,
                      children: [
                        {
                          kind: 'partition',
                          name: 'year=2024',
                          path: 'features/v1/momentum_indicators/asset=MES/year=2024',
                          rows: 4,
                          children: [{ kind: 'file', name: 'part-0.parquet', path: 'features/v1/momentum_indicators/asset=MES/year=2024/part-0.parquet', rows: 4, compression: 'zstd' }],
                        },
                      ],
                    },
                  ],
                },
              ],
            },
          ],
        },
      ],
    });
    const file = tree.children?.[0].children?.[0].children?.[0].children?.[0];
    expect(file?.bytes).toBe(fs.statSync(path.join(store.root, 'raw/MES/2024-01-15/ohlcv.parquet')).size);
  });

  it('answers for any path, with a depth limit, and names what is missing', async () => {
    expect(shape(await listTree(store, 'raw/MES/2024-01-16/ticks.parquet'))).toEqual({ kind: 'file', name: 'ticks.parquet', path: 'raw/MES/2024-01-16/ticks.parquet', rows: 5, compression: 'snappy' });
    expect(shape(await listTree(store, 'cleaned/v1/MES', { depth: 1 }))).toMatchObject({ kind: 'version', version: 1, valid: true, children: [{ name: 'date=2024-01-15' }, { name: 'date=2024-01-16' }] });
    expect((await listTree(store, 'cleaned/v1/MES', { depth: 1 })).children?.[0].children).toBeUndefined();
    expect(shape(await listTree(store, 'cleaned/v1/MES/date=2024-01-16'))).toMatchObject({ kind: 'date', rows: 25, children: [{ kind: 'file', rows: 25 }] });
    expect(shape(await listTree(store, '', { depth: 1 }))).toEqual({
      kind: 'store',
      name: 'store',
      path: '',
      children: [
        { kind: 'layer', name: 'raw', path: 'raw' },
        { kind: 'layer', name: 'cleaned', path: 'cleaned' },
        { kind: 'layer', name: 'features', path: 'features' },
      ],
    });
    expect((await listTree(store, path.join(store.root, 'raw', 'MES'), { depth: 0 })).path).toBe('raw/MES');
    expect((await listTree(store, './features/momentum_indicators/')).kind).toBe('featureSet');
    const missing = await errorOf(listTree(store, 'raw/MES/2024-01-17'));
    expect({ code: missing.code, message: missing.message }).toEqual({ code: 'NOT_FOUND', message: `nothing at raw/MES/2024-01-17 in the store ${store.root}` });
    expect((await errorOf(listTree(store, 'cleaned/v3/MES'))).code).toBe('NOT_FOUND');
    expect((await errorOf(listTree(store, 'cleaned/v1'))).message).toBe(`nothing at cleaned/v1 in the store ${store.root}; cleaned/v1 holds one version per asset: cleaned/v1/MES`);
    expect((await errorOf(listTree(store, 'gold'))).code).toBe('NOT_FOUND');
    expect((await errorOf(listTree(store, 'raw/../..'))).code).toBe('BAD_REQUEST');
  });

  it('a sidecar replaced (a new revision of a date) is read again; one left alone keeps its values', async () => {
    const before = await listTree(store, 'raw/MES', { depth: 1 });
    expect(before.children?.map((c) => [c.name, c.rows])).toEqual([
      ['2024-01-15', 10],
      ['2024-01-16', 25],
    ]);
    const file = path.join(store.root, 'raw', 'MES', '2024-01-15', 'metadata.json');
    const original = fs.readFileSync(file, 'utf8');
    try {
      // as the store writes it: beside, then renamed over the old one
      const sidecar = JSON.parse(original) as { recordCount: number };
      fs.writeFileSync(`${file}.tmp`, JSON.stringify({ ...sidecar, recordCount: 11 }));
      fs.renameSync(`${file}.tmp`, file);
      const after = await listTree(store, 'raw/MES', { depth: 1 });
      expect(after.children?.map((c) => [c.name, c.rows])).toEqual([
        ['2024-01-15', 11],
        ['2024-01-16', 25],
      ]);
    } finally {
      fs.writeFileSync(`${file}.tmp`, original);
      fs.renameSync(`${file}.tmp`, file);
    }
    expect((await listTree(store, 'raw/MES/2024-01-15', { depth: 0 })).rows).toBe(10);
  });

  it('stays fast with 5 years of daily snapshots for 10 assets (13,000 date folders)', async () => {
    const big = await newStore('mes-data-catalog-', { inMemory: true });
    try {
      const assets = ['MES', 'ES', 'NQ', 'MNQ', 'RTY', 'M2K', 'YM', 'MYM', 'CL', 'GC'];
      const dates: string[] = [];
      for (let day = Date.UTC(2019, 0, 1); dates.length < 1300; day += 86_400_000) {
        const weekday = new Date(day).getUTCDay();
        if (weekday !== 0 && weekday !== 6) dates.push(new Date(day).toISOString().slice(0, 10));
      }
      const written = performance.now();
      for (const asset of assets) {
        for (const date of dates) {
          const folder = path.join(big.store.root, 'raw', asset, date);
          fs.mkdirSync(folder, { recursive: true });
          const sidecar = {
            formatVersion: 1,
            layer: 'raw',
            asset,
            version: null,
            date,
            createdAt: '2024-06-01T00:00:00.000Z',
            recordCount: 1380,
            fileSizeBytes: 40_000,
            dateRange: { from: date, to: date },
            files: [{ path: 'ohlcv.parquet', bytes: 40_000, rows: 1380, sha256: '0'.repeat(64), compression: 'zstd', rowGroups: 1 }],
            writer: { name: 'mes-data', version: '0.1.0' },
          };
          fs.writeFileSync(path.join(folder, 'metadata.json'), JSON.stringify(sidecar));
        }
      }
      const setupMs = performance.now() - written;
      const timings: Record<string, number> = {};
      let started = performance.now();
      const tree = await listTree(big.store);
      timings.wholeStore = performance.now() - started;
      started = performance.now();
      const second = await listTree(big.store);
      timings.wholeStoreAgain = performance.now() - started;
      started = performance.now();
      const layers = await listTree(big.store, '', { depth: 2 });
      timings.depth2 = performance.now() - started;
      started = performance.now();
      const oneAsset = await listTree(big.store, 'raw/MES');
      timings.oneAsset = performance.now() - started;
      const raw = tree.children?.[0];
      expect(raw?.children?.length).toBe(10);
      expect(raw?.children?.reduce((sum, asset) => sum + (asset.children?.length ?? 0), 0)).toBe(13_000);
      expect(raw?.children?.[0]).toMatchObject({ name: 'CL', rows: 1380 * 1300, from: '2019-01-01', to: dates[1299] });
      expect(second.children?.[0].children?.[5].children?.[1299].children?.[0]).toMatchObject({ kind: 'file', rows: 1380, bytes: 40_000 });
      expect(layers.children?.[0].children?.map((a) => a.children)).toEqual(Array(10).fill(undefined));
      expect(oneAsset.children?.length).toBe(1300);
      // reported, not asserted: timing depends on the machine
      process.stdout.write(`listTree over 13,000 raw date folders (setup ${Math.round(setupMs)} ms): ${JSON.stringify(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, `${Math.round(v)} ms`])))}\n`);
    } finally {
      big.cleanup();
    }
  });
});
