import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listTree, type CatalogNode } from '../../../core/store/catalog.js';
import { commitRawSnapshots } from '../../../core/store/rawSnapshot.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { ohlcvTable } from '../../helpers/ohlcvTable.js';
import { errorOf, expectSidecarsValid, newStore, writeFormat2Version } from './storeTestKit.js';

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
    // cleaned/MES: v1 of two dates, v2 keeps 2024-01-15 by reference and replaces 2024-01-16
    const [v1First] = await writeFormat2Version(store, 'cleaned', 'MES', 1, [
      { date: '2024-01-15', table: ohlcvTable(10) },
      { date: '2024-01-16', table: ohlcvTable(25) },
    ], { sidecar: { validation: { valid: true } } });
    await writeFormat2Version(store, 'cleaned', 'MES', 2, [{ date: '2024-01-16', table: ohlcvTable(3) }], { shared: [{ path: v1First, date: '2024-01-15' }], sidecar: { validation: { valid: false }, changelog: 'the 16th cleaned again' } });
    // one feature set for two assets: each has its own v1
    await writeFormat2Version(store, 'features', 'MES/momentum_indicators', 1, [{ date: null, table: ohlcvTable(4) }]);
    await writeFormat2Version(store, 'features', 'ES/momentum_indicators', 1, [{ date: null, table: ohlcvTable(2) }]);
    // not committed: a version folder without its sidecar, a sidecar without its folder, a date folder without its sidecar
    fs.mkdirSync(path.join(store.root, 'cleaned', 'v3', 'MES'), { recursive: true });
    fs.copyFileSync(path.join(store.root, 'catalog/cleaned/MES/v2.json'), path.join(store.root, 'catalog/cleaned/MES/v4.json'));
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
                    { kind: 'file', name: '2024-01-15.parquet', path: 'cleaned/v1/MES/2024-01-15.parquet', rows: 10, compression: 'zstd' },
                    { kind: 'file', name: '2024-01-16.parquet', path: 'cleaned/v1/MES/2024-01-16.parquet', rows: 25, compression: 'zstd' },
                  ],
                },
                {
                  kind: 'version',
                  name: 'v2',
                  path: 'cleaned/v2/MES',
                  version: 2,
                  valid: false,
                  rows: 13,
                  from: '2024-01-15',
                  to: '2024-01-16',
                  // the message given at its commit; v1's sidecar has none, so its node carries none
                  changelog: 'the 16th cleaned again',
                  children: [
                    { kind: 'file', name: '2024-01-15.parquet', path: 'cleaned/v2/MES/2024-01-15.parquet', rows: 10, compression: 'zstd' },
                    { kind: 'file', name: '2024-01-16.parquet', path: 'cleaned/v2/MES/2024-01-16.parquet', rows: 3, compression: 'zstd' },
                  ],
                },
              ],
            },
          ],
        },
        {
          kind: 'layer',
          name: 'features',
          path: 'features',
          children: ['ES', 'MES'].map((asset) => ({
            kind: 'asset',
            name: asset,
            path: `features/${asset}`,
            children: [
              {
                kind: 'featureSet',
                name: 'momentum_indicators',
                path: `features/${asset}/momentum_indicators`,
                children: [
                  {
                    kind: 'version',
                    name: 'v1',
                    path: `features/v1/${asset}/momentum_indicators`,
                    version: 1,
                    valid: null,
                    rows: asset === 'ES' ? 2 : 4,
                    from: null,
                    to: null,
                    children: [{ kind: 'file', name: 'part-0.parquet', path: `features/v1/${asset}/momentum_indicators/part-0.parquet`, rows: asset === 'ES' ? 2 : 4, compression: 'zstd' }],
                  },
                ],
              },
            ],
          })),
        },
      ],
    });
    const file = tree.children?.[0].children?.[0].children?.[0].children?.[0];
    expect(file?.bytes).toBe(fs.statSync(path.join(store.root, 'raw/MES/2024-01-15/ohlcv.parquet')).size);
  });

  it('answers for any path, with a depth limit, and names what is missing', async () => {
    expect(shape(await listTree(store, 'raw/MES/2024-01-16/ticks.parquet'))).toEqual({ kind: 'file', name: 'ticks.parquet', path: 'raw/MES/2024-01-16/ticks.parquet', rows: 5, compression: 'snappy' });
    expect(shape(await listTree(store, 'cleaned/v1/MES', { depth: 1 }))).toMatchObject({ kind: 'version', version: 1, valid: true, children: [{ name: '2024-01-15.parquet' }, { name: '2024-01-16.parquet' }] });
    expect(shape(await listTree(store, 'cleaned/v2/MES/2024-01-15.parquet'))).toEqual({ kind: 'file', name: '2024-01-15.parquet', path: 'cleaned/v2/MES/2024-01-15.parquet', rows: 10, compression: 'zstd' });
    expect(shape(await listTree(store, 'cleaned/MES', { depth: 1 }))).toMatchObject({ kind: 'asset', path: 'cleaned/MES', children: [{ kind: 'version', path: 'cleaned/v1/MES' }, { kind: 'version', path: 'cleaned/v2/MES' }] });
    expect(shape(await listTree(store, 'features/MES', { depth: 1 }))).toEqual({ kind: 'asset', name: 'MES', path: 'features/MES', children: [{ kind: 'featureSet', name: 'momentum_indicators', path: 'features/MES/momentum_indicators' }] });
    expect(shape(await listTree(store, 'features/v1/ES/momentum_indicators/part-0.parquet'))).toEqual({ kind: 'file', name: 'part-0.parquet', path: 'features/v1/ES/momentum_indicators/part-0.parquet', rows: 2, compression: 'zstd' });
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
    expect((await listTree(store, './features/MES/momentum_indicators/')).kind).toBe('featureSet');
    const missing = await errorOf(listTree(store, 'raw/MES/2024-01-17'));
    expect({ code: missing.code, message: missing.message }).toEqual({ code: 'NOT_FOUND', message: `nothing at raw/MES/2024-01-17 in the store ${store.root}` });
    // a version folder without its sidecar, a sidecar without its folder: neither is a version
    for (const uncommitted of ['cleaned/v3/MES', 'cleaned/v4/MES']) {
      const error = await errorOf(listTree(store, uncommitted));
      expect({ code: error.code, message: error.message }).toEqual({ code: 'NOT_FOUND', message: `nothing at ${uncommitted} in the store ${store.root}` });
    }
    expect((await errorOf(listTree(store, 'cleaned/v1'))).message).toBe(`nothing at cleaned/v1 in the store ${store.root}; cleaned/v1 holds one version per asset: cleaned/v1/MES`);
    expect((await errorOf(listTree(store, 'features/v1'))).message).toBe(`nothing at features/v1 in the store ${store.root}; features/v1 holds one version per asset and feature set: features/v1/ES/momentum_indicators, features/v1/MES/momentum_indicators`);
    expect((await errorOf(listTree(store, 'features/v1/MES'))).message).toBe(`nothing at features/v1/MES in the store ${store.root}; features/v1/MES holds one version per asset and feature set: features/v1/MES/momentum_indicators`);
    // the Iceberg table's own folders are never nodes
    expect((await errorOf(listTree(store, 'cleaned/MES/data'))).message).toBe(`nothing at cleaned/MES/data in the store ${store.root}; a version's path is cleaned/vN/MES`);
    expect((await errorOf(listTree(store, 'features/MES/momentum_indicators/metadata'))).message).toBe(`nothing at features/MES/momentum_indicators/metadata in the store ${store.root}; a version's path is features/vN/MES/momentum_indicators`);
    expect((await errorOf(listTree(store, 'features/GC'))).code).toBe('NOT_FOUND');
    expect((await errorOf(listTree(store, 'gold'))).code).toBe('NOT_FOUND');
    expect((await errorOf(listTree(store, 'raw/../..'))).code).toBe('BAD_REQUEST');
  });

  it('a sidecar replaced (a new revision of a date) is read again; one left alone keeps its values', async () => {
    const before = await listTree(store, 'raw/MES', { depth: 1 });
    expect(before.children?.map((c) => [c.name, c.rows])).toEqual([
      ['2024-01-15', 10],
      ['2024-01-16', 25],
    ]);
    const file = path.join(store.root, 'catalog', 'raw', 'MES', '2024-01-15.json');
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
          fs.mkdirSync(path.join(big.store.root, 'raw', asset, date), { recursive: true });
          const sidecars = path.join(big.store.root, 'catalog', 'raw', asset);
          fs.mkdirSync(sidecars, { recursive: true });
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
          fs.writeFileSync(path.join(sidecars, `${date}.json`), JSON.stringify(sidecar));
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
