/**
 * The working copy of an s3:// store (core/objectStore/workingCopy.ts) against a real
 * moto_server: the publish order (the ledger, data, sidecars, the table's metadata as the
 * commit point, the pointer) with the condition of each write, and no version folder in the
 * bucket; a pull makes the copy's version folders as hard links to the table's data files,
 * only those it lacks; a pull that finds everything in place copies nothing and reads
 * nothing; what a failed command left in the copy is gone at the next pull, its version
 * folder too, and another writer's version of that number is linked instead; two working
 * copies that both wrote the same raw date: the second publish is LOCKED commit-conflict
 * naming the bucket and key, and the bucket keeps the first one's object.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MesDataError } from '../../../core/errors.js';
import type { ObjectStore, PutCondition } from '../../../core/objectStore/objectStore.js';
import { S3ObjectStore } from '../../../core/objectStore/s3ObjectStore.js';
import { parseStoreUrl } from '../../../core/objectStore/storeUrl.js';
import { cacheFolderFor, openWorkingCopy, publishWorkingCopy } from '../../../core/objectStore/workingCopy.js';
import { initStore, openStore } from '../../../core/store/openStore.js';
import { commitRawSnapshots } from '../../../core/store/rawSnapshot.js';
import { verifyStore } from '../../../core/store/verifyStore.js';
import { syncStores } from '../../../core/sync/syncStores.js';
import { LocalObjectStore } from '../../../core/objectStore/localObjectStore.js';
import { writeCleanedData } from '../../helpers/cleanedVersion.js';
import { MOTO_CREDENTIALS, skipWithoutMoto, startMoto, type MotoServer } from '../../helpers/motoServer.js';
import { ohlcvTable, tempDir } from '../../helpers/ohlcvTable.js';

const BUCKET = 'mes-working-copy';
let moto: MotoServer | null = null;
const { dir, cleanup } = tempDir('mes-working-copy-');

beforeAll(async () => {
  moto = await startMoto();
  if (moto) await moto.createBucket(BUCKET);
}, 60_000);

afterAll(async () => {
  await moto?.stop();
  cleanup();
});

function bucket(prefix: string): S3ObjectStore {
  if (!moto) throw new Error('moto_server is not running');
  const location = parseStoreUrl(`s3://${BUCKET}/${prefix}`, { AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: 'us-east-1' });
  if (location.kind !== 's3') throw new Error('expected an s3 location');
  return new S3ObjectStore(location, { credentials: MOTO_CREDENTIALS });
}

/** The bucket's store, recording each write: its key and condition. */
function recording(store: ObjectStore): { store: ObjectStore; puts: { key: string; condition: string }[] } {
  const puts: { key: string; condition: string }[] = [];
  const wrapped: ObjectStore = Object.assign(Object.create(store) as ObjectStore, {
    put: async (key: string, bytes: Uint8Array, condition?: PutCondition, options?: { sha256?: string }) => {
      const answer = await store.put(key, bytes, condition, options);
      puts.push({ key, condition: condition === undefined ? 'none' : 'ifNoneMatch' in condition ? 'if-none-match' : 'if-match' });
      return answer;
    },
  });
  return { store: wrapped, puts };
}

/** The data file of the table a version folder's file is a hard link to (the same inode), store-relative. */
function linkTarget(root: string, link: string): string {
  const inode = fs.statSync(path.join(root, ...link.split('/'))).ino;
  const found: string[] = [];
  const walk = (relative: string): void => {
    for (const entry of fs.readdirSync(path.join(root, ...relative.split('/')), { withFileTypes: true })) {
      const key = `${relative}/${entry.name}`;
      if (entry.isDirectory()) walk(key);
      else if (fs.statSync(path.join(root, ...key.split('/'))).ino === inode) found.push(key);
    }
  };
  walk('cleaned/MES/data');
  if (found.length !== 1) throw new Error(`${link} is a link to ${found.length} data files`);
  return found[0];
}

/** A bucket holding a store with raw MES 2024-01-02 and cleaned v1, copied up from a folder. */
async function seeded(prefix: string): Promise<S3ObjectStore> {
  const folder = path.join(dir, `${prefix}-seed`);
  const { store } = await initStore(folder);
  await commitRawSnapshots(store, [{ asset: 'MES', date: '2024-01-02', name: 'ohlcv', table: ohlcvTable(60) }]);
  await writeCleanedData(store, { asset: 'MES', data: [{ table: ohlcvTable(60), partition: { date: '2024-01-02' } }] });
  const remote = bucket(prefix);
  await syncStores(new LocalObjectStore(folder), remote);
  return remote;
}

describe('the working copy of an s3:// store', () => {
  it('the cache folder: one per endpoint and prefix, under MES_DATA_CACHE or the OS cache folder', () => {
    const location = parseStoreUrl('s3://team-lake/mes/prod', { AWS_ENDPOINT_URL: 'http://127.0.0.1:9000' });
    if (location.kind !== 's3') throw new Error('expected an s3 location');
    const folder = cacheFolderFor(location, { MES_DATA_CACHE: '/var/cache/x' });
    expect(folder).toMatch(/^\/var\/cache\/x\/s3\/team-lake\/[0-9a-f]{16}$/);
    const other = parseStoreUrl('s3://team-lake/mes/test', { AWS_ENDPOINT_URL: 'http://127.0.0.1:9000' });
    if (other.kind !== 's3') throw new Error('expected an s3 location');
    expect(cacheFolderFor(other, { MES_DATA_CACHE: '/var/cache/x' })).not.toBe(folder);
    expect(cacheFolderFor(location, { XDG_CACHE_HOME: '/home/u/.cache' })).toBe(process.platform === 'linux' ? `/home/u/.cache/mes-data/s3/team-lake/${path.basename(folder)}` : cacheFolderFor(location, {}));
  });

  it('publishes a new version in commit order: ledger, data, sidecar, metadata (the commit point), hint; no version folder', async (context) => {
    skipWithoutMoto(context);
    const remote = await seeded('order');
    expect((await remote.list('cleaned/v')).map((entry) => entry.key)).toEqual([]);
    const copy = await openWorkingCopy(remote, path.join(dir, 'order-cache'));
    try {
      expect(copy.pulled.copied).toBe(copy.pulled.objects);
      // the pull made v1's folder as a link to the table's data file
      expect({ linked: copy.pulled.linked, link: linkTarget(copy.storeDir, 'cleaned/v1/MES/2024-01-02.parquet') }).toEqual({ linked: 1, link: expect.stringMatching(/^cleaned\/MES\/data\/2024-01-02\/00000-[0-9a-f-]+\.parquet$/) as string });
      const { store } = { store: await openStore(copy.storeDir) };
      await writeCleanedData(store, { asset: 'MES', data: [{ table: ohlcvTable(30), partition: { date: '2024-01-03' } }] });
      const { store: watched, puts } = recording(remote);
      const result = await publishWorkingCopy({ ...copy, remote: watched }, { removals: 'replaced-metadata' });
      const step = (key: string): string =>
        key === 'version-ledger.json'
          ? 'ledger'
          : /^cleaned\/MES\/metadata\/v\d+\.metadata\.json$/.test(key)
            ? 'commit'
            : key.endsWith('version-hint.text')
              ? 'hint'
              : key.startsWith('catalog/')
                ? 'sidecar'
                : key.startsWith('cleaned/v2/')
                  ? 'folder'
                  : 'data';
      const order = puts.map((put) => `${step(put.key)} ${put.condition}`).filter((entry, k, all) => entry !== all[k - 1]);
      expect(order).toEqual(['ledger if-match', 'data if-none-match', 'sidecar if-none-match', 'commit if-none-match', 'hint if-match']);
      expect(puts.filter((put) => step(put.key) === 'folder').map((put) => put.key)).toEqual([]);
      // the ledger, one data file, two manifests (the file added; the replaced partition's) and the manifest list, the sidecar, the metadata file, the hint
      const kind = (key: string): string => (key.endsWith('.parquet') ? 'data' : /\/snap-[^/]+\.avro$/.test(key) ? 'manifest list' : key.endsWith('.avro') ? 'manifest' : step(key));
      expect(puts.map((put) => kind(put.key)).sort()).toEqual(['commit', 'data', 'hint', 'ledger', 'manifest', 'manifest', 'manifest list', 'sidecar']);
      expect(result.commits).toEqual(['cleaned/MES/metadata/v3.metadata.json']);
      expect(result.written).toBe(puts.length);
    } finally {
      await copy.release();
    }
    // a second pull finds everything in place: nothing copied
    const again = await openWorkingCopy(remote, path.join(dir, 'order-cache'));
    try {
      // the folders the copy holds are kept: none made again
      expect({ copied: again.pulled.copied, bytes: again.pulled.bytes, linked: again.pulled.linked }).toEqual({ copied: 0, bytes: 0, linked: 0 });
      expect(fs.readdirSync(path.join(again.storeDir, 'cleaned', 'v2', 'MES'))).toEqual(['2024-01-03.parquet']);
      // nothing changed since: nothing to publish
      expect(await publishWorkingCopy(again, { removals: 'replaced-metadata' })).toEqual({ written: 0, bytes: 0, removed: 0, commits: [] });
    } finally {
      await again.release();
    }
    // another machine's first pull links both versions' folders; its verify is clean
    const other = await openWorkingCopy(remote, path.join(dir, 'order-other'));
    try {
      expect(other.pulled.linked).toBe(2);
      // v2 holds 2024-01-03 alone (the seed's v1, 2024-01-02, is not kept by it)
      expect(['cleaned/v1/MES/2024-01-02.parquet', 'cleaned/v2/MES/2024-01-03.parquet'].map((link) => linkTarget(other.storeDir, link))).toEqual(
        ['cleaned/v1/MES/2024-01-02.parquet', 'cleaned/v2/MES/2024-01-03.parquet'].map((link) => linkTarget(copy.storeDir, link)),
      );
      const report = await verifyStore(await openStore(other.storeDir, { recover: false }));
      expect({ ok: report.ok, problems: report.problems, files: report.checked.files }).toEqual({ ok: true, problems: [], files: 3 });
    } finally {
      await other.release();
    }
  });

  it('a version folder a command left unpublished is taken away at the next pull; another writer’s version of that number is linked in its place', async (context) => {
    skipWithoutMoto(context);
    const remote = await seeded('stale');
    const a = await openWorkingCopy(remote, path.join(dir, 'stale-a'));
    await writeCleanedData(await openStore(a.storeDir), { asset: 'MES', data: [{ table: ohlcvTable(10), partition: { date: '2024-01-04' } }] });
    await a.release();
    expect(fs.readdirSync(path.join(a.storeDir, 'cleaned', 'v2', 'MES'))).toEqual(['2024-01-04.parquet']);
    // B publishes its own v2 (another date), A's never was
    const b = await openWorkingCopy(remote, path.join(dir, 'stale-b'));
    try {
      await writeCleanedData(await openStore(b.storeDir), { asset: 'MES', data: [{ table: ohlcvTable(20), partition: { date: '2024-01-05' } }] });
      await publishWorkingCopy(b, { removals: 'replaced-metadata' });
    } finally {
      await b.release();
    }
    const again = await openWorkingCopy(remote, path.join(dir, 'stale-a'));
    try {
      expect(again.pulled.linked).toBe(1);
      expect(fs.readdirSync(path.join(again.storeDir, 'cleaned', 'v2', 'MES'))).toEqual(['2024-01-05.parquet']);
      expect(linkTarget(again.storeDir, 'cleaned/v2/MES/2024-01-05.parquet')).toBe(linkTarget(b.storeDir, 'cleaned/v2/MES/2024-01-05.parquet'));
      expect((await verifyStore(await openStore(again.storeDir, { recover: false }))).problems).toEqual([]);
    } finally {
      await again.release();
    }
  });

  it('what a command left unpublished in the copy is gone at the next pull', async (context) => {
    skipWithoutMoto(context);
    const remote = await seeded('leftover');
    const cache = path.join(dir, 'leftover-cache');
    const first = await openWorkingCopy(remote, cache);
    await commitRawSnapshots(await openStore(first.storeDir), [{ asset: 'MES', date: '2024-01-05', name: 'ohlcv', table: ohlcvTable(10) }]);
    await first.release();
    expect(fs.existsSync(path.join(first.storeDir, 'raw', 'MES', '2024-01-05', 'ohlcv.parquet'))).toBe(true);
    const second = await openWorkingCopy(remote, cache);
    try {
      expect(fs.existsSync(path.join(second.storeDir, 'raw', 'MES', '2024-01-05'))).toBe(false);
      expect(fs.existsSync(path.join(second.storeDir, 'catalog', 'raw', 'MES', '2024-01-05.json'))).toBe(false);
      expect(fs.existsSync(path.join(second.storeDir, 'raw', 'MES', '2024-01-02', 'ohlcv.parquet'))).toBe(true);
    } finally {
      await second.release();
    }
  });

  it('two working copies write the same raw date: the second publish is LOCKED commit-conflict naming the bucket and key; the first one stays', async (context) => {
    skipWithoutMoto(context);
    const remote = await seeded('conflict');
    const a = await openWorkingCopy(remote, path.join(dir, 'conflict-a'));
    const b = await openWorkingCopy(remote, path.join(dir, 'conflict-b'));
    try {
      await commitRawSnapshots(await openStore(a.storeDir), [{ asset: 'MES', date: '2024-01-04', name: 'ohlcv', table: ohlcvTable(10) }]);
      await commitRawSnapshots(await openStore(b.storeDir), [{ asset: 'MES', date: '2024-01-04', name: 'ohlcv', table: ohlcvTable(20) }]);
      const published = await publishWorkingCopy(a, { removals: 'replaced-metadata' });
      expect(published.written).toBe(2);
      const error = await publishWorkingCopy(b, { removals: 'replaced-metadata' }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(MesDataError);
      const typed = error as MesDataError;
      expect({ code: typed.code, reason: typed.details.reason, bucket: typed.details.bucket, key: typed.details.key, message: typed.message }).toEqual({
        code: 'LOCKED',
        reason: 'commit-conflict',
        bucket: BUCKET,
        key: 'raw/MES/2024-01-04/ohlcv.parquet',
        message: `publishing to s3://${BUCKET}/conflict/: another writer wrote raw/MES/2024-01-04/ohlcv.parquet first; run the command again on the new state`,
      });
      const kept = await remote.get('raw/MES/2024-01-04/ohlcv.parquet');
      expect(Buffer.from(kept).equals(fs.readFileSync(path.join(a.storeDir, 'raw', 'MES', '2024-01-04', 'ohlcv.parquet')))).toBe(true);
    } finally {
      await a.release();
      await b.release();
    }
  });
});
