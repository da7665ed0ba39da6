/**
 * `mes-data migrate` on a store of format 2 written before revisions moved the files they
 * superseded out of their date folders: each date folder's older revisions move to
 * `catalog/raw/{ASSET}/superseded/{DATE}/` as a revision moves them now (the sidecar keeps
 * their paths and hashes), so a reader of the folder reads each snapshot's newest revision
 * only; a dry run changes nothing, a second run has nothing to do, and a kill at any durable
 * step leaves the old layout or the new one.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetFiles } from '../../../core/parquet/parquetDataset.js';
import { MetadataManager } from '../../../core/store/metadataManager.js';
import { migrateStore } from '../../../core/store/migrateStore.js';
import { openStore } from '../../../core/store/openStore.js';
import { supersededFiles, writeRawSnapshot } from '../../../core/store/rawSnapshot.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { verifyStore } from '../../../core/store/verifyStore.js';
import { ohlcvTable } from '../../helpers/ohlcvTable.js';
import { filesBelow } from './format2Kit.js';
import { crashAtSteps, expectSidecarsValid, newStore, runMigrateChild, traceSteps } from './storeTestKit.js';

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('migrate moves older raw revisions out of their date folders', () => {
  let store: Store;
  let cleanup: () => void;
  const file = (relative: string) => path.join(store.root, ...relative.split('/'));
  const hashes: Record<string, string> = {};

  beforeAll(async () => {
    ({ store, cleanup } = await newStore('mes-data-raw-layout-'));
    // the earlier layout, as a store written before revisions moved their predecessors out holds it
    const writes: [string, string, number][] = [
      ['2024-01-16', 'x', 4],
      ['2024-01-16', 'x.rev1', 6],
      ['2024-01-16', 'x.rev2', 5],
      ['2024-01-16', 'y', 3],
      ['2024-01-17', 'z', 2],
      ['2024-01-18', 'z', 7],
      ['2024-01-18', 'z.rev1', 9],
    ];
    for (const [date, name, rows] of writes) {
      const written = await writeRawSnapshot(store, { asset: 'MES', date, name, table: ohlcvTable(rows) });
      hashes[`${date}/${name}.parquet`] = written.sha256;
    }
  });
  afterAll(() => cleanup());

  it('a kill at any of its durable steps leaves the old layout or the new one; a rerun finishes it', { timeout: 300_000 }, async () => {
    const base = path.join(path.dirname(store.root), 'base');
    fs.cpSync(store.root, base, { recursive: true });
    const oldLayout = filesBelow(file('raw/MES'));
    const copy = (name: string) => {
      const root = path.join(path.dirname(store.root), name);
      fs.cpSync(base, root, { recursive: true });
      return root;
    };
    const steps = (await traceSteps((env) => runMigrateChild(copy('trace'), env))).map((_, i) => i + 1);
    const newLayout = filesBelow(path.join(path.dirname(store.root), 'trace', 'raw/MES'));
    expect(newLayout).toEqual(['2024-01-16/x.rev2.parquet', '2024-01-16/y.parquet', '2024-01-17/z.parquet', '2024-01-18/z.rev1.parquet']);
    const outcomes = await crashAtSteps(
      steps,
      (n, env) => runMigrateChild(copy(`crash-${n}`), env),
      async (n) => {
        const root = path.join(path.dirname(store.root), `crash-${n}`);
        const opened = await openStore(root);
        const layout = filesBelow(path.join(root, 'raw/MES'));
        expect([oldLayout, newLayout]).toContainEqual(layout);
        expect({ n, problems: (await verifyStore(opened)).problems }).toEqual({ n, problems: [] });
        await migrateStore(root);
        expect(filesBelow(path.join(root, 'raw/MES'))).toEqual(newLayout);
        fs.rmSync(root, { recursive: true, force: true });
        return JSON.stringify(layout) === JSON.stringify(oldLayout) ? 'old' : 'new';
      },
    );
    // the old layout up to the journal, the new one from it on
    const from = outcomes.indexOf('new');
    expect({ before: outcomes.slice(0, from).every((o) => o === 'old'), after: outcomes.slice(from).every((o) => o === 'new'), from: from > 0 }).toEqual({ before: true, after: true, from: true });
    fs.rmSync(base, { recursive: true, force: true });
    fs.rmSync(path.join(path.dirname(store.root), 'trace'), { recursive: true, force: true });
  });

  it('a dry run counts them and changes nothing', async () => {
    const before = filesBelow(store.root);
    expect(await migrateStore(store.root, { dryRun: true })).toEqual({ dryRun: true, status: 'dry-run', store: store.root, rawSidecars: 0, rawRevisions: 3, tables: [] });
    expect(filesBelow(store.root)).toEqual(before);
  });

  it('moves each to the superseded tree, the sidecar keeping its path and hashes; readers see the newest revisions only', async () => {
    expect(await migrateStore(store.root)).toEqual({ dryRun: false, status: 'migrated', store: store.root, rawSidecars: 0, rawRevisions: 3, tables: [] });
    expect(filesBelow(file('raw/MES'))).toEqual(['2024-01-16/x.rev2.parquet', '2024-01-16/y.parquet', '2024-01-17/z.parquet', '2024-01-18/z.rev1.parquet']);
    expect(filesBelow(file('catalog/raw/MES/superseded'))).toEqual(['2024-01-16/x.parquet', '2024-01-16/x.rev1.parquet', '2024-01-18/z.parquet']);
    for (const moved of ['2024-01-16/x.parquet', '2024-01-16/x.rev1.parquet', '2024-01-18/z.parquet']) {
      expect(sha256(file(`catalog/raw/MES/superseded/${moved}`))).toBe(hashes[moved]);
    }
    const sidecar = await MetadataManager.readMetadataFile(file('catalog/raw/MES/2024-01-16.json'));
    expect(sidecar.files.map((f) => [f.path, f.rows])).toEqual([
      ['x.rev2.parquet', 5],
      ['y.parquet', 3],
    ]);
    expect(sidecar.recordCount).toBe(8);
    expect(supersededFiles(sidecar).map((f) => [f.path, f.rows, f.sha256])).toEqual([
      ['catalog/raw/MES/superseded/2024-01-16/x.parquet', 4, hashes['2024-01-16/x.parquet']],
      ['catalog/raw/MES/superseded/2024-01-16/x.rev1.parquet', 6, hashes['2024-01-16/x.rev1.parquet']],
    ]);
    const untouched = await MetadataManager.readMetadataFile(file('catalog/raw/MES/2024-01-17.json'));
    expect({ files: untouched.files.map((f) => f.path), superseded: supersededFiles(untouched) }).toEqual({ files: ['z.parquet'], superseded: [] });
    // the asset folder as a dataset: 5 + 3 + 2 + 9 rows, the newest revision of each snapshot
    const { files } = datasetFiles(store.root, 'raw/MES');
    expect(files.map((f) => path.relative(file('raw/MES'), f).split(path.sep).join('/'))).toEqual(['2024-01-16/x.rev2.parquet', '2024-01-16/y.parquet', '2024-01-17/z.parquet', '2024-01-18/z.rev1.parquet']);
    expect((await verifyStore(await openStore(store.root))).problems).toEqual([]);
    expectSidecarsValid(store.root);
  });

  it('a second run has nothing to do, and the next revision goes on from the highest number', async () => {
    expect(await migrateStore(store.root)).toEqual({ dryRun: false, status: 'current', store: store.root, rawSidecars: 0, rawRevisions: 0, tables: [] });
    const next = await writeRawSnapshot(store, { asset: 'MES', date: '2024-01-16', name: 'x', table: ohlcvTable(11) }, { revise: true });
    expect({ path: next.path, supersedes: next.supersedes }).toEqual({ path: 'raw/MES/2024-01-16/x.rev3.parquet', supersedes: 'x.rev2.parquet' });
    expect(filesBelow(file('catalog/raw/MES/superseded/2024-01-16'))).toEqual(['x.parquet', 'x.rev1.parquet', 'x.rev2.parquet']);
  });
});
