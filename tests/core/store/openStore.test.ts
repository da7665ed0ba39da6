import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initStore, openStore } from '../../../core/store/openStore.js';
import { createStagingDir, JOURNAL } from '../../../core/store/stagingArea.js';
import { commitVersion } from '../../../core/store/versionCommit.js';
import { HOST_TAG } from '../../../core/store/storeLock.js';
import { ohlcvTable, tempDir } from '../../helpers/ohlcvTable.js';
import { errorOf } from './storeTestKit.js';

describe('initStore and openStore', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));
  const temp = () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    return t.dir;
  };

  it('creates the layers and a marker, and leaves an existing store alone', async () => {
    const dir = path.join(temp(), 'new', 'store');
    const first = await initStore(dir);
    expect(first).toEqual({ store: { root: dir, formatVersion: 2 }, created: true });
    expect(fs.readdirSync(dir).sort()).toEqual(['catalog', 'cleaned', 'features', 'mes-data-store.json', 'raw']);
    const marker = JSON.parse(fs.readFileSync(path.join(dir, 'mes-data-store.json'), 'utf8')) as Record<string, unknown>;
    expect({ format: marker.format, formatVersion: marker.formatVersion, createdBy: marker.createdBy }).toEqual({ format: 'mes-data-store', formatVersion: 2, createdBy: 'mes-data 0.1.0' });
    fs.writeFileSync(path.join(dir, 'raw', 'keep.txt'), 'x');
    const markerBefore = fs.readFileSync(path.join(dir, 'mes-data-store.json'), 'utf8');
    expect(await initStore(dir)).toEqual({ store: { root: dir, formatVersion: 2 }, created: false });
    expect(fs.readFileSync(path.join(dir, 'mes-data-store.json'), 'utf8')).toBe(markerBefore);
    expect(fs.readFileSync(path.join(dir, 'raw', 'keep.txt'), 'utf8')).toBe('x');
    expect(await openStore(dir)).toEqual({ root: dir, formatVersion: 2 });
  });

  it('a store of format 1 is STORE_NEEDS_MIGRATION naming it and the command, except for migrate', async () => {
    const dir = path.join(temp(), 'old');
    fs.mkdirSync(path.join(dir, 'raw', 'MES', '2024-01-15'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'raw', 'MES', '2024-01-15', 'metadata.json'), '{}');
    const marker = JSON.stringify({ format: 'mes-data-store', formatVersion: 1, createdAt: '2026-01-02T03:04:05.000Z', createdBy: 'mes-data 0.1.0' });
    fs.writeFileSync(path.join(dir, 'mes-data-store.json'), marker);
    // a crashed writer's staging folder: opened for migrate, nothing is recovered
    fs.mkdirSync(path.join(dir, '.staging', `999999999-${HOST_TAG}-aaaaaaaaaaaa`), { recursive: true });
    const message = `the store ${dir} has format 1; this mes-data (0.1.0) reads format 2: run \`mes-data migrate --store ${dir}\` once to convert it in place`;
    for (const attempt of [() => openStore(dir), () => openStore(dir, { recover: false }), () => initStore(dir)]) {
      const error = await errorOf(attempt());
      expect({ code: error.code, message: error.message, details: error.details }).toEqual({ code: 'STORE_NEEDS_MIGRATION', message, details: { path: dir, formatVersion: 1, expected: 2 } });
    }
    expect(await openStore(dir, { allowFormat1: true })).toEqual({ root: dir, formatVersion: 1 });
    expect(fs.readdirSync(path.join(dir, '.staging'))).toEqual([`999999999-${HOST_TAG}-aaaaaaaaaaaa`]);
    expect(fs.readFileSync(path.join(dir, 'mes-data-store.json'), 'utf8')).toBe(marker);
    expect(fs.readdirSync(dir).sort()).toEqual(['.staging', 'mes-data-store.json', 'raw']);
  });

  it('refuses to turn a folder with other things in it into a store', async () => {
    const dir = temp();
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    const error = await errorOf(initStore(dir));
    expect(error.code).toBe('ALREADY_EXISTS');
    expect(error.message).toBe(`${dir} is not empty and is not a MES Data store (it holds "notes.txt"); choose an empty or new folder`);
    expect(fs.readdirSync(dir)).toEqual(['notes.txt']);
  });

  it('opening a folder that is not a store is NOT_FOUND; a damaged or newer marker is refused', async () => {
    const dir = temp();
    const error = await errorOf(openStore(dir));
    expect({ code: error.code, details: error.details }).toEqual({ code: 'NOT_FOUND', details: { path: dir } });
    expect(error.message).toBe(`${dir} is not a MES Data store (it has no mes-data-store.json); create one with \`mes-data init --store ${dir}\``);
    fs.writeFileSync(path.join(dir, 'mes-data-store.json'), '{oops');
    expect((await errorOf(openStore(dir))).code).toBe('CORRUPTED_FILE');
    fs.writeFileSync(path.join(dir, 'mes-data-store.json'), JSON.stringify({ format: 'mes-data-store', formatVersion: 9 }));
    const newer = await errorOf(openStore(dir));
    expect({ code: newer.code, reason: newer.details.reason }).toEqual({ code: 'UNSUPPORTED_FILE', reason: 'newer store format' });
  });

  it('on open removes staging of dead writers, finishes journaled commits, keeps live staging', async () => {
    const dir = path.join(temp(), 'store');
    const { store } = await initStore(dir);
    const staging = path.join(dir, '.staging');
    // a writer on this host that died before its commit point (pid 999999999 does not exist)
    fs.mkdirSync(path.join(staging, `999999999-${HOST_TAG}-aaaaaaaaaaaa`, 'x'), { recursive: true });
    fs.writeFileSync(path.join(staging, `999999999-${HOST_TAG}-aaaaaaaaaaaa`, 'x', 'half.parquet'), 'half');
    // a recent writer on another computer (a shared drive) is left alone
    fs.mkdirSync(path.join(staging, '4242-00000000-cccccccccccc'));
    // a writer that died after writing its journal: the move must still happen
    const committed = path.join(staging, `999999998-${HOST_TAG}-bbbbbbbbbbbb`);
    fs.mkdirSync(path.join(committed, 'folders', '0'), { recursive: true });
    fs.writeFileSync(path.join(committed, 'folders', '0', 'a.txt'), 'moved');
    fs.writeFileSync(path.join(committed, JOURNAL), JSON.stringify({ moves: [{ from: `.staging/999999998-${HOST_TAG}-bbbbbbbbbbbb/folders/0`, to: 'raw/MES/2024-01-15', kind: 'dir' }] }));
    // this process's own live staging folder is kept
    const live = await createStagingDir(store);
    // leftovers of a crashed lock and of an atomic write at the top
    fs.mkdirSync(path.join(dir, '.lock-stale-0123456789ab'));
    fs.writeFileSync(path.join(dir, '.version-ledger.json.999999999.abcdef.tmp'), '{}');
    fs.mkdirSync(path.join(dir, 'cleaned', 'v7'));

    await openStore(dir);
    expect(fs.readdirSync(staging).sort()).toEqual([path.basename(live.path), '4242-00000000-cccccccccccc'].sort());
    expect(fs.readFileSync(path.join(dir, 'raw', 'MES', '2024-01-15', 'a.txt'), 'utf8')).toBe('moved');
    expect(fs.readdirSync(dir).sort()).toEqual(['.staging', 'catalog', 'cleaned', 'features', 'mes-data-store.json', 'raw']);
    expect(fs.readdirSync(path.join(dir, 'cleaned'))).toEqual([]);
    await live.dispose();
    expect(fs.readdirSync(staging)).toEqual(['4242-00000000-cccccccccccc']);
  });

  it('on open finishes a version commit that stopped between its sidecar and its folder, and leaves a sidecar without a table alone', async () => {
    const dir = path.join(temp(), 'store');
    const { store } = await initStore(dir);
    const write = (rows: number) => commitVersion(store, { layer: 'cleaned', key: 'MES', write: async (ctx) => void (await ctx.writeParquet('date=2024-01-15/part-0.parquet', ohlcvTable(rows))) });
    await write(4);
    await write(6);
    const folder = path.join(dir, 'cleaned', 'v2', 'MES');
    const names = fs.readdirSync(folder).sort();
    const inodes = names.map((name) => fs.statSync(path.join(folder, name)).ino);
    // committed (v2's snapshot is in the table) but its folder never placed; a sidecar whose commit never happened; one with no table at all
    fs.rmSync(folder, { recursive: true });
    fs.copyFileSync(path.join(dir, 'catalog/cleaned/MES/v2.json'), path.join(dir, 'catalog/cleaned/MES/v3.json'));
    fs.mkdirSync(path.join(dir, 'catalog/cleaned/ES'), { recursive: true });
    fs.copyFileSync(path.join(dir, 'catalog/cleaned/MES/v1.json'), path.join(dir, 'catalog/cleaned/ES/v1.json'));
    await openStore(dir);
    expect(fs.readdirSync(folder).sort()).toEqual(names);
    expect(names.map((name) => fs.statSync(path.join(folder, name)).ino)).toEqual(inodes);
    expect(fs.readdirSync(path.join(dir, 'catalog/cleaned/MES')).sort()).toEqual(['v1.json', 'v2.json']);
    expect(fs.readdirSync(path.join(dir, 'catalog/cleaned/ES'))).toEqual(['v1.json']);
  });

  it('open with recover: false touches nothing', async () => {
    const dir = path.join(temp(), 'store');
    await initStore(dir);
    fs.mkdirSync(path.join(dir, '.staging', '999999999-00000000-aaaaaaaaaaaa'), { recursive: true });
    await openStore(dir, { recover: false });
    expect(fs.readdirSync(path.join(dir, '.staging'))).toEqual(['999999999-00000000-aaaaaaaaaaaa']);
  });

  it('recovery on open removes nothing through a linked layer folder', async () => {
    const dir = temp();
    const { store } = await initStore(path.join(dir, 'store'));
    const outside = path.join(dir, 'outside-cleaned');
    fs.mkdirSync(path.join(outside, 'v7'), { recursive: true });
    fs.rmSync(path.join(store.root, 'cleaned'), { recursive: true });
    fs.symlinkSync(outside, path.join(store.root, 'cleaned'));
    // something for recovery to do, so that it runs
    fs.mkdirSync(path.join(store.root, '.lock-stale-0123456789ab'));
    await openStore(store.root);
    expect(fs.existsSync(path.join(store.root, '.lock-stale-0123456789ab'))).toBe(false);
    expect(fs.readdirSync(outside)).toEqual(['v7']);
  });
});
