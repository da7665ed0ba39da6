/**
 * A revision of a raw snapshot moves the file it supersedes out of its date folder, into
 * `catalog/raw/{ASSET}/superseded/{DATE}/`, in the same journaled commit: the date folder
 * holds each snapshot's newest revision only, the sidecar keeps the superseded file's path
 * and hashes, and verify checks it there. A date folder of the earlier layout (the original
 * and its revisions side by side) is still read, and its older files move out at its next
 * revision. Journal moves of the new kind are refused unless they have exactly that shape.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../../core/objectStore/localObjectStore.js';
import { datasetFiles } from '../../../core/parquet/parquetDataset.js';
import { readParquet } from '../../../core/parquet/parquetFile.js';
import { MetadataManager } from '../../../core/store/metadataManager.js';
import { openStore } from '../../../core/store/openStore.js';
import { commitRawSnapshots, supersededFiles, writeRawSnapshot } from '../../../core/store/rawSnapshot.js';
import { applyJournal, checkJournalMoves } from '../../../core/store/stagingArea.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { verifyStore } from '../../../core/store/verifyStore.js';
import { syncStores } from '../../../core/sync/syncStores.js';
import { ohlcvTable } from '../../helpers/ohlcvTable.js';
import { errorOf, expectSidecarsValid, newStore } from './storeTestKit.js';

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('raw revisions', () => {
  let store: Store;
  let cleanup: () => void;
  const file = (relative: string) => path.join(store.root, ...relative.split('/'));
  const sidecarOf = (date: string) => MetadataManager.readMetadataFile(file(`catalog/raw/MES/${date}.json`));

  beforeAll(async () => {
    ({ store, cleanup } = await newStore());
  });
  afterAll(() => {
    expectSidecarsValid(store.root);
    cleanup();
  });

  it('moves the superseded file out of the date folder, keeping its path and hashes in the sidecar', async () => {
    const [a, b] = await commitRawSnapshots(store, [
      { asset: 'MES', date: '2024-01-15', name: 'a', table: ohlcvTable(5) },
      { asset: 'MES', date: '2024-01-15', name: 'b', table: ohlcvTable(3) },
    ]);
    const original = { sha256: a.sha256, bytes: a.bytes };
    expect(sha256(file(a.path))).toBe(a.sha256);

    const revised = await writeRawSnapshot(store, { asset: 'MES', date: '2024-01-15', name: 'a', table: ohlcvTable(7) }, { revise: true });
    expect({ path: revised.path, status: revised.status, supersedes: revised.supersedes, rows: revised.rows }).toEqual({ path: 'raw/MES/2024-01-15/a.rev1.parquet', status: 'created', supersedes: 'a.parquet', rows: 7 });
    expect(fs.readdirSync(file('raw/MES/2024-01-15')).sort()).toEqual(['a.rev1.parquet', 'b.parquet']);
    expect(fs.readdirSync(file('catalog/raw/MES')).sort()).toEqual(['2024-01-15.json', 'superseded']);
    expect(fs.readdirSync(file('catalog/raw/MES/superseded/2024-01-15'))).toEqual(['a.parquet']);
    expect(sha256(file('catalog/raw/MES/superseded/2024-01-15/a.parquet'))).toBe(original.sha256);

    const sidecar = await sidecarOf('2024-01-15');
    expect(sidecar.files.map((f) => [f.path, f.rows, f.extra ?? null])).toEqual([
      ['a.rev1.parquet', 7, { supersedes: 'a.parquet', revision: 1 }],
      ['b.parquet', 3, null],
    ]);
    expect(sidecar.recordCount).toBe(10);
    expect(sidecar.fileSizeBytes).toBe(revised.bytes + b.bytes);
    expect(supersededFiles(sidecar).map((f) => ({ path: f.path, rows: f.rows, sha256: f.sha256, bytes: f.bytes }))).toEqual([
      { path: 'catalog/raw/MES/superseded/2024-01-15/a.parquet', rows: 5, ...original },
    ]);
    expect(await verifyStore(store)).toMatchObject({ ok: true, problems: [], checked: { datasets: 1, files: 3 } });
  });

  it('a second revision supersedes the first, numbered after every revision the date has had', async () => {
    const first = (await sidecarOf('2024-01-15')).files[0];
    const again = await writeRawSnapshot(store, { asset: 'MES', date: '2024-01-15', name: 'a', table: ohlcvTable(9) }, { revise: true });
    expect({ path: again.path, supersedes: again.supersedes }).toEqual({ path: 'raw/MES/2024-01-15/a.rev2.parquet', supersedes: 'a.rev1.parquet' });
    expect(fs.readdirSync(file('raw/MES/2024-01-15')).sort()).toEqual(['a.rev2.parquet', 'b.parquet']);
    expect(fs.readdirSync(file('catalog/raw/MES/superseded/2024-01-15')).sort()).toEqual(['a.parquet', 'a.rev1.parquet']);
    const sidecar = await sidecarOf('2024-01-15');
    expect(supersededFiles(sidecar).map((f) => [f.path, f.rows, f.sha256])).toEqual([
      ['catalog/raw/MES/superseded/2024-01-15/a.parquet', 5, expect.stringMatching(/^[0-9a-f]{64}$/)],
      ['catalog/raw/MES/superseded/2024-01-15/a.rev1.parquet', 7, first.sha256],
    ]);
    // the newest revision's rows again: nothing changes
    const same = await writeRawSnapshot(store, { asset: 'MES', date: '2024-01-15', name: 'a', table: ohlcvTable(9) }, { revise: true });
    expect({ path: same.path, status: same.status }).toEqual({ path: 'raw/MES/2024-01-15/a.rev2.parquet', status: 'unchanged' });
    expect(await verifyStore(store)).toMatchObject({ ok: true, problems: [], checked: { files: 4 } });
  });

  it('an older revision still shows by its old path: the reader follows it to the superseded folder', async () => {
    const old = datasetFiles(store.root, 'raw/MES/2024-01-15/a.rev1.parquet');
    expect(old.files).toEqual([file('catalog/raw/MES/superseded/2024-01-15/a.rev1.parquet')]);
    expect(old.display(old.files[0])).toBe('catalog/raw/MES/superseded/2024-01-15/a.rev1.parquet');
    expect((await readParquet(old.files[0])).numRows).toBe(7);
    expect(datasetFiles(store.root, 'raw/MES/2024-01-15/a.rev2.parquet').files).toEqual([file('raw/MES/2024-01-15/a.rev2.parquet')]);
    const missing = await errorOf(Promise.resolve().then(() => datasetFiles(store.root, 'raw/MES/2024-01-15/c.parquet')));
    expect([missing.code, missing.message]).toEqual(['NOT_FOUND', 'no dataset at raw/MES/2024-01-15/c.parquet']);
  });

  it('verify checks the superseded files: a changed one, a missing one and one no sidecar lists', async () => {
    const moved = file('catalog/raw/MES/superseded/2024-01-15/a.parquet');
    const bytes = fs.readFileSync(moved);
    const rev1 = file('catalog/raw/MES/superseded/2024-01-15/a.rev1.parquet');
    const rev1Bytes = fs.readFileSync(rev1);
    try {
      const changed = Buffer.from(bytes);
      changed[10] ^= 0xff;
      fs.writeFileSync(moved, changed);
      fs.rmSync(rev1);
      fs.writeFileSync(file('catalog/raw/MES/superseded/2024-01-15/stray.parquet'), 'x');
      const result = await verifyStore(store);
      expect(result.problems.map((p) => [p.path, p.code])).toEqual([
        ['catalog/raw/MES/superseded/2024-01-15/a.parquet', 'HASH_MISMATCH'],
        ['catalog/raw/MES/superseded/2024-01-15/a.rev1.parquet', 'MISSING_FILE'],
        ['catalog/raw/MES/superseded/2024-01-15/stray.parquet', 'UNEXPECTED_FILE'],
      ]);
      expect(result.problems[2].message).toBe('catalog/raw/MES/superseded/2024-01-15/stray.parquet is not listed as superseded in catalog/raw/MES/2024-01-15.json');
    } finally {
      fs.writeFileSync(moved, bytes);
      fs.writeFileSync(rev1, rev1Bytes);
      fs.rmSync(file('catalog/raw/MES/superseded/2024-01-15/stray.parquet'));
    }
    expect((await verifyStore(store)).problems).toEqual([]);
  });

  it('a date folder of the earlier layout (original and revision side by side) moves both out at its next revision', async () => {
    // the earlier layout, as a store written before this change holds it: x.parquet and x.rev1.parquet both in the folder
    await writeRawSnapshot(store, { asset: 'MES', date: '2024-01-16', name: 'x', table: ohlcvTable(4) });
    await writeRawSnapshot(store, { asset: 'MES', date: '2024-01-16', name: 'x.rev1', table: ohlcvTable(6) });
    expect(fs.readdirSync(file('raw/MES/2024-01-16')).sort()).toEqual(['x.parquet', 'x.rev1.parquet']);
    expect((await verifyStore(store)).problems).toEqual([]);
    // its newest revision is what a repeat of its rows matches
    const same = await writeRawSnapshot(store, { asset: 'MES', date: '2024-01-16', name: 'x', table: ohlcvTable(6) }, { revise: true });
    expect({ path: same.path, status: same.status }).toEqual({ path: 'raw/MES/2024-01-16/x.rev1.parquet', status: 'unchanged' });

    const next = await writeRawSnapshot(store, { asset: 'MES', date: '2024-01-16', name: 'x', table: ohlcvTable(8) }, { revise: true });
    expect({ path: next.path, supersedes: next.supersedes }).toEqual({ path: 'raw/MES/2024-01-16/x.rev2.parquet', supersedes: 'x.rev1.parquet' });
    expect(fs.readdirSync(file('raw/MES/2024-01-16'))).toEqual(['x.rev2.parquet']);
    expect(fs.readdirSync(file('catalog/raw/MES/superseded/2024-01-16')).sort()).toEqual(['x.parquet', 'x.rev1.parquet']);
    const sidecar = await sidecarOf('2024-01-16');
    expect(sidecar.files.map((f) => f.path)).toEqual(['x.rev2.parquet']);
    expect(sidecar.recordCount).toBe(8);
    expect(supersededFiles(sidecar).map((f) => [f.path, f.rows])).toEqual([
      ['catalog/raw/MES/superseded/2024-01-16/x.parquet', 4],
      ['catalog/raw/MES/superseded/2024-01-16/x.rev1.parquet', 6],
    ]);
    expect((await verifyStore(store)).problems).toEqual([]);
  });

  it('sync copies the superseded files, checked against the hashes the sidecar keeps: the copy verifies, a damaged one is not spread', async () => {
    const copy = path.join(path.dirname(store.root), 'copy');
    await syncStores(new LocalObjectStore(store.root), new LocalObjectStore(copy));
    const superseded = ['a.parquet', 'a.rev1.parquet'].map((name) => `catalog/raw/MES/superseded/2024-01-15/${name}`);
    for (const key of superseded) expect(sha256(path.join(copy, ...key.split('/')))).toBe(sha256(file(key)));
    expect((await verifyStore(await openStore(copy))).problems).toEqual([]);

    const damaged = path.join(path.dirname(store.root), 'damaged');
    fs.cpSync(store.root, damaged, { recursive: true });
    const target = path.join(damaged, ...superseded[0].split('/'));
    const bytes = fs.readFileSync(target);
    bytes[10] ^= 0xff;
    fs.rmSync(target);
    fs.writeFileSync(target, bytes);
    const error = await errorOf(syncStores(new LocalObjectStore(damaged), new LocalObjectStore(path.join(path.dirname(store.root), 'copy-of-damaged'))));
    expect(error.code).toBe('CORRUPTED_FILE');
    expect(error.details).toMatchObject({ key: superseded[0], sha256: createHash('sha256').update(bytes).digest('hex') });
  });

  it('a supersede move of a file its sidecar does not list as superseded is refused, and the file stays', async () => {
    const error = await errorOf(applyJournal(store, [{ from: 'raw/MES/2024-01-15/b.parquet', to: 'catalog/raw/MES/superseded/2024-01-15/b.parquet', kind: 'supersede' }]));
    expect([error.code, error.message]).toEqual([
      'CORRUPTED_STORE',
      'journal.json moves raw/MES/2024-01-15/b.parquet out of its date folder, but catalog/raw/MES/2024-01-15.json does not list it as superseded; nothing more of it was applied',
    ]);
    expect(fs.readdirSync(file('raw/MES/2024-01-15')).sort()).toEqual(['a.rev2.parquet', 'b.parquet']);
    expect(fs.readdirSync(file('catalog/raw/MES/superseded/2024-01-15')).sort()).toEqual(['a.parquet', 'a.rev1.parquet']);
  });

  it('a supersede move a crash left between its link and its unlink (both names on one file) is finished by the unlink', async () => {
    const moved = file('catalog/raw/MES/superseded/2024-01-15/a.parquet');
    const before = sha256(moved);
    fs.linkSync(moved, file('raw/MES/2024-01-15/a.parquet'));
    await applyJournal(store, [{ from: 'raw/MES/2024-01-15/a.parquet', to: 'catalog/raw/MES/superseded/2024-01-15/a.parquet', kind: 'supersede' }]);
    expect(fs.readdirSync(file('raw/MES/2024-01-15')).sort()).toEqual(['a.rev2.parquet', 'b.parquet']);
    expect({ sha256: sha256(moved), links: fs.statSync(moved).nlink }).toEqual({ sha256: before, links: 1 });
    expect((await verifyStore(store)).problems).toEqual([]);
  });

  it('a journal may supersede only raw/{ASSET}/{DATE}/{name}.parquet into the superseded folder of the same asset, date and name', async () => {
    const ok = { from: 'raw/MES/2024-01-15/a.parquet', to: 'catalog/raw/MES/superseded/2024-01-15/a.parquet', kind: 'supersede' };
    expect(checkJournalMoves([ok], '.staging/j/journal.json', '.staging/j')).toEqual([ok]);
    const refused = async (move: Record<string, unknown>) => {
      const error = await errorOf(Promise.resolve().then(() => checkJournalMoves([move], '.staging/j/journal.json', '.staging/j')));
      return [error.code, error.details.reason];
    };
    const shape = 'a superseded file moves from raw/{ASSET}/{DATE}/{name}.parquet to catalog/raw/{ASSET}/superseded/{DATE}/{name}.parquet';
    expect(await refused({ ...ok, to: 'catalog/raw/MES/superseded/2024-01-16/a.parquet' })).toEqual(['CORRUPTED_STORE', shape]);
    expect(await refused({ ...ok, to: 'catalog/raw/MES/superseded/2024-01-15/b.parquet' })).toEqual(['CORRUPTED_STORE', shape]);
    expect(await refused({ ...ok, to: 'catalog/raw/ES/superseded/2024-01-15/a.parquet' })).toEqual(['CORRUPTED_STORE', shape]);
    expect(await refused({ ...ok, from: 'cleaned/v1/MES/a.parquet', to: 'catalog/raw/MES/superseded/2024-01-15/a.parquet' })).toEqual(['CORRUPTED_STORE', shape]);
    expect(await refused({ ...ok, from: 'raw/MES/2024-01-15/a.json', to: 'catalog/raw/MES/superseded/2024-01-15/a.json' })).toEqual(['CORRUPTED_STORE', shape]);
    expect(await refused({ ...ok, from: 'raw/MES/2024-01-15/.a.parquet', to: 'catalog/raw/MES/superseded/2024-01-15/.a.parquet' })).toEqual(['CORRUPTED_STORE', shape]);
    expect(await refused({ ...ok, from: 'raw/MES/2024-13-15/a.parquet', to: 'catalog/raw/MES/superseded/2024-13-15/a.parquet' })).toEqual(['CORRUPTED_STORE', shape]);
    expect(await refused({ ...ok, from: '../raw/MES/2024-01-15/a.parquet' })).toEqual(['CORRUPTED_STORE', expect.any(String)]);
    expect(await refused({ ...ok, replace: true })).toEqual(['CORRUPTED_STORE', 'a superseded file never replaces anything']);
    expect(await refused({ ...ok, kind: 'move' })).toEqual(['CORRUPTED_STORE', '"kind" must be "file", "dir" or "supersede"']);
  });
});
