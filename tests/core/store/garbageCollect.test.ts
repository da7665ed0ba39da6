import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeEngine } from '../../../core/engine/duckdbEngine.js';
import { MesDataError } from '../../../core/errors.js';
import { loadTable } from '../../../core/iceberg/tableCommit.js';
import { snapshotForVersion } from '../../../core/iceberg/tableRead.js';
import { readSnapshotRows } from '../../../core/iceberg/tableRows.js';
import { datasetFiles } from '../../../core/parquet/parquetDataset.js';
import { garbageCollect, olderThanMs } from '../../../core/store/garbageCollect.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { buildFormat2Store, filesBelow, keptVersions, T0, type Format2Store } from './format2Kit.js';

async function rejected(promise: Promise<unknown>): Promise<MesDataError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MesDataError) return error;
    throw error;
  }
  throw new Error('expected a MesDataError');
}

/** The rows of a version as the table reads them, by its snapshot. */
async function versionRows(root: string, version: number) {
  const table = await loadTable(path.join(root, 'cleaned/MES'));
  return readSnapshotRows(table, snapshotForVersion(table, version));
}

describe('gc of a format-2 store', () => {
  let fixture: Format2Store;
  let store: Store;
  beforeEach(async () => {
    fixture = await buildFormat2Store({ features: true });
    store = { root: fixture.root, formatVersion: 2 };
  });
  afterEach(() => fixture.cleanup());
  afterAll(async () => {
    await closeEngine();
  });

  it('a dry run lists what --keep 1 removes and removes nothing; the real run removes exactly that', async () => {
    const before = filesBelow(fixture.root);
    const metadataBefore = filesBelow(path.join(fixture.root, 'cleaned/MES/metadata'));
    const v3Rows = await versionRows(fixture.root, 3);
    const dry = await garbageCollect(store, { keep: 1, dryRun: true, nowMs: T0 + 10_000 });
    expect(filesBelow(fixture.root)).toEqual(before);
    expect(dry.dryRun).toBe(true);
    expect(dry.tables).toBe(2);
    expect(dry.versions).toEqual([
      { path: 'cleaned/v1/MES', table: 'cleaned/MES', version: 1, committedAt: '2026-11-01T12:00:01.000Z' },
      { path: 'cleaned/v2/MES', table: 'cleaned/MES', version: 2, committedAt: '2026-11-01T12:00:02.000Z' },
      { path: 'features/v1/MES/momentum_indicators', table: 'features/MES/momentum_indicators', version: 1, committedAt: '2026-11-01T12:00:05.000Z' },
    ]);
    // v3 keeps 2024-01-02 (v1's file) and 2024-01-03 (v2's): only v1's 2024-01-03 goes among the data files
    const dryData = dry.files.filter((f) => f.path.includes('/data/')).map((f) => f.path);
    expect(dryData.filter((p) => p.startsWith('cleaned/'))).toEqual([fixture.files.v1_0103]);
    expect(dryData.filter((p) => p.startsWith('features/'))).toHaveLength(1);
    // every metadata file but the current one goes, and the expired snapshots' manifest lists
    const dryMetadata = dry.files.filter((f) => f.path.startsWith('cleaned/MES/metadata/')).map((f) => f.path.slice('cleaned/MES/metadata/'.length));
    expect(dryMetadata.filter((name) => name.endsWith('.metadata.json'))).toEqual(['v1.metadata.json', 'v2.metadata.json', 'v3.metadata.json', 'v4.metadata.json']);
    expect(dryMetadata.filter((name) => name.startsWith('snap-'))).toHaveLength(2);
    expect(dry.bytes).toBe(dry.files.reduce((sum, f) => sum + f.bytes, 0));
    expect(dry.bytes).toBe(dry.files.reduce((sum, f) => sum + fs.statSync(path.join(fixture.root, f.path)).size, 0));

    const real = await garbageCollect(store, { keep: 1, nowMs: T0 + 10_000 });
    expect(real.dryRun).toBe(false);
    expect(real.versions).toEqual(dry.versions);
    expect(real.files.map((f) => f.path)).toEqual(dry.files.map((f) => f.path));
    expect(real.bytes).toBe(dry.bytes);
    for (const f of real.files) expect(fs.existsSync(path.join(fixture.root, f.path))).toBe(false);
    expect(await keptVersions(fixture.root, 'cleaned', 'MES')).toEqual([3]);
    expect(fs.existsSync(path.join(fixture.root, 'cleaned/v1'))).toBe(false);
    expect(fs.existsSync(path.join(fixture.root, 'cleaned/v2'))).toBe(false);
    expect(fs.readdirSync(path.join(fixture.root, 'catalog/cleaned/MES'))).toEqual(['v3.json']);
    expect(fs.readdirSync(path.join(fixture.root, 'catalog/features/MES/momentum_indicators'))).toEqual(['v2.json']);
    // the metadata folder: the expiry's new metadata file and the hint, v3's manifest list and manifests
    expect(filesBelow(path.join(fixture.root, 'cleaned/MES/metadata')).filter((name) => name.endsWith('.json') || name.endsWith('.text'))).toEqual(['v5.metadata.json', 'version-hint.text']);
    expect(metadataBefore).toContain('v4.metadata.json');
    // the kept version still reads the same, by the table and by its folder of links
    expect(await versionRows(fixture.root, 3)).toEqual(v3Rows);
    const kept = datasetFiles(fixture.root, 'cleaned/MES');
    expect(kept.files.map(kept.display)).toEqual(['cleaned/v3/MES/2024-01-02.parquet', 'cleaned/v3/MES/2024-01-03.parquet', 'cleaned/v3/MES/2024-01-04.parquet']);
    for (const file of kept.files) expect(fs.statSync(file).nlink).toBe(2);
    // nothing left to do
    const again = await garbageCollect(store, { keep: 1, nowMs: T0 + 10_000 });
    expect(again).toEqual({ dryRun: false, tables: 2, versions: [], files: [], bytes: 0 });
  });

  it('--older-than expires only what was committed before the moment, --asset only that asset, and never the newest', async () => {
    const byDate = await garbageCollect(store, { olderThan: '2026-11-01T12:00:01.500Z', asset: 'MES', nowMs: T0 + 10_000 });
    // features/MES/momentum_indicators v1 was committed at T0 + 5 s: it stays
    expect(byDate.versions.map((v) => v.path)).toEqual(['cleaned/v1/MES']);
    expect(await keptVersions(fixture.root, 'cleaned', 'MES')).toEqual([2, 3]);
    const byAge = await garbageCollect(store, { olderThan: '1d', nowMs: T0 + 86_400_000 + 2_500 });
    expect(byAge.versions.map((v) => v.path)).toEqual(['cleaned/v2/MES']);
    const all = await garbageCollect(store, { olderThan: '1s', nowMs: T0 + 86_400_000 * 30 });
    expect(all.versions.map((v) => v.path)).toEqual(['features/v1/MES/momentum_indicators']);
    // the newest version of each table stays, however old
    expect(await keptVersions(fixture.root, 'cleaned', 'MES')).toEqual([3]);
    expect(await keptVersions(fixture.root, 'features', 'MES/momentum_indicators')).toEqual([2]);
    expect((await garbageCollect(store, { keep: 1, asset: 'ES', nowMs: T0 })).tables).toBe(0);
  });

  it('a rerun finishes a gc interrupted after its expiry commit', async () => {
    // the expiry committed, then the process died before the folders went
    const { expireSnapshots } = await import('../../../core/iceberg/tableExpiry.js');
    await expireSnapshots(path.join(fixture.root, 'cleaned/MES'), { keepLast: 2 });
    const rerun = await garbageCollect(store, { keep: 2, nowMs: T0 + 10_000 });
    expect(rerun.versions).toEqual([{ path: 'cleaned/v1/MES', table: 'cleaned/MES', version: 1, committedAt: null }]);
    expect(rerun.files.filter((f) => f.path.includes('/data/')).map((f) => f.path)).toEqual([fixture.files.v1_0103]);
    expect(fs.existsSync(path.join(fixture.root, 'cleaned/v1'))).toBe(false);
  });

  it('refuses what it cannot read: no rule, a bad duration, keep 0, a held lock', async () => {
    expect((await rejected(garbageCollect(store, {}))).message).toBe('say which versions go: --keep N (the newest N stay) or --older-than 30d (a duration or a date)');
    const bad = await rejected(garbageCollect(store, { olderThan: 'last week' }));
    expect(bad.code).toBe('BAD_REQUEST');
    expect(bad.message).toBe('--older-than takes a duration (30d, 12h, 2w: s, m, h, d, w) or a date or moment (2026-11-01, 2026-11-01T12:00:00Z), not "last week"');
    expect((await rejected(garbageCollect(store, { keep: 0 }))).code).toBe('BAD_REQUEST');
    expect(olderThanMs('2w', T0)).toBe(T0 - 14 * 86_400_000);
    expect(olderThanMs('2026-11-01', T0)).toBe(Date.UTC(2026, 10, 1));
    const { acquireStoreLock } = await import('../../../core/store/storeLock.js');
    const lock = await acquireStoreLock(store, { purpose: 'test' });
    try {
      expect((await rejected(garbageCollect(store, { keep: 1 }))).code).toBe('LOCKED');
    } finally {
      await lock.release();
    }
    expect(await keptVersions(fixture.root, 'cleaned', 'MES')).toEqual([1, 2, 3]);
  });
});
