/**
 * syncStores against a real moto_server: a store copied folder → bucket → second folder is
 * the same store byte for byte and passes verify, the bucket holding no version folders and
 * the second folder getting them back as hard links; a rerun copies nothing; a sync stopped
 * after a few objects is finished by the rerun; a damaged object in TO is found and copied
 * again; the order keeps a reader of TO from a half store; a bucket written with version
 * folders (before they were left out) is still read; the refusals are typed.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiSession } from '../../../core/api/handlers.js';
import { MesDataError } from '../../../core/errors.js';
import { LocalObjectStore } from '../../../core/objectStore/localObjectStore.js';
import { RemoteStoreView } from '../../../core/objectStore/remoteStore.js';
import type { ObjectStore } from '../../../core/objectStore/objectStore.js';
import { S3ObjectStore } from '../../../core/objectStore/s3ObjectStore.js';
import { parseStoreUrl } from '../../../core/objectStore/storeUrl.js';
import { listTree } from '../../../core/store/catalog.js';
import { initStore, openStore } from '../../../core/store/openStore.js';
import { commitRawSnapshots } from '../../../core/store/rawSnapshot.js';
import { acquireStoreLock } from '../../../core/store/storeLock.js';
import { verifyStore } from '../../../core/store/verifyStore.js';
import { syncStores, type SyncProgress } from '../../../core/sync/syncStores.js';
import { writeCleanedData } from '../../helpers/cleanedVersion.js';
import { MOTO_CREDENTIALS, skipWithoutMoto, startMoto, type MotoServer } from '../../helpers/motoServer.js';
import { ohlcvTable } from '../../helpers/ohlcvTable.js';
import { requirePython, runPythonJson } from '../../helpers/python.js';

const BUCKET = 'mes-sync';
let moto: MotoServer | null = null;
let tmp = '';
let source = '';

/** Every file of a folder (hidden entries left out, as sync leaves them), store-relative, with its SHA-256. */
function filesOf(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, prefix: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const key = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) walk(path.join(dir, entry.name), key);
      else out[key] = createHash('sha256').update(fs.readFileSync(path.join(dir, entry.name))).digest('hex');
    }
  };
  walk(root, '');
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The keys of `filesOf` a bucket holds: every one but the version folders' files (`cleaned/v1/MES/…`). */
function objectKeys(root: string): string[] {
  return Object.keys(filesOf(root)).filter((key) => !/^(cleaned|features)\/v\d+\//.test(key));
}

/** The data file of the table a version folder's file is a hard link to (the same inode), store-relative. */
function linkedDataFile(root: string, link: string): string {
  const inode = fs.statSync(path.join(root, ...link.split('/'))).ino;
  const found = Object.keys(filesOf(root)).filter((key) => key.startsWith('cleaned/MES/data/') && fs.statSync(path.join(root, ...key.split('/'))).ino === inode);
  if (found.length !== 1) throw new Error(`${link} is a link to ${found.length} data files`);
  return found[0];
}

function bucket(prefix: string, options: { attempts?: number } = {}): S3ObjectStore {
  if (!moto) throw new Error('moto_server is not running');
  const location = parseStoreUrl(`s3://${BUCKET}/${prefix}`, { AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: 'us-east-1' });
  if (location.kind !== 's3') throw new Error('expected an s3 location');
  return new S3ObjectStore(location, { credentials: MOTO_CREDENTIALS, timeoutMs: 10_000, attempts: options.attempts ?? 3, backoffMs: 20 });
}

async function failure(work: Promise<unknown>): Promise<MesDataError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof MesDataError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-sync-'));
  source = path.join(tmp, 'source');
  const { store } = await initStore(source);
  await commitRawSnapshots(store, [
    { asset: 'MES', date: '2024-01-02', name: 'ohlcv', table: ohlcvTable(1440) },
    { asset: 'MES', date: '2024-01-03', name: 'ohlcv', table: ohlcvTable(30) },
  ]);
  await writeCleanedData(store, { asset: 'MES', data: [{ table: ohlcvTable(1440), partition: { date: '2024-01-02' } }, { table: ohlcvTable(30), partition: { date: '2024-01-03' } }], sidecar: { validation: { valid: true } } });
  await writeCleanedData(store, { asset: 'MES', data: [{ table: ohlcvTable(100), partition: { date: '2024-01-03' } }], sidecar: { validation: { valid: true } } });
  moto = await startMoto();
  if (moto) await moto.createBucket(BUCKET);
}, 120_000);

afterAll(async () => {
  await moto?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('syncStores', () => {
  it('folder → bucket → folder gives the same store byte for byte, in an order that ends with the pointers and the marker; verify passes', async (context) => {
    skipWithoutMoto(context);
    const want = filesOf(source);
    const keys = Object.keys(want);
    // two raw dates, two versions of one Iceberg table (v2 holds 2024-01-03 only), their sidecars, the ledger, the marker
    expect(keys.filter((k) => !k.startsWith('cleaned/MES/'))).toEqual([
      'catalog/cleaned/MES/v1.json',
      'catalog/cleaned/MES/v2.json',
      'catalog/raw/MES/2024-01-02.json',
      'catalog/raw/MES/2024-01-03.json',
      'cleaned/v1/MES/2024-01-02.parquet',
      'cleaned/v1/MES/2024-01-03.parquet',
      'cleaned/v2/MES/2024-01-03.parquet',
      'mes-data-store.json',
      'raw/MES/2024-01-02/ohlcv.parquet',
      'raw/MES/2024-01-03/ohlcv.parquet',
      'version-ledger.json',
    ]);
    const order: string[] = [];
    const stages: string[] = [];
    const up = await syncStores(new LocalObjectStore(source), bucket('lake'), { onCopied: (key) => order.push(key), progress: (p: SyncProgress) => stages.push(p.stage) });
    // the version folders are not copied: a bucket has no hard links, each would be a copy of the data
    const objects = objectKeys(source);
    expect(keys.length - objects.length).toBe(3);
    const totalBytes = objects.reduce((sum, k) => sum + fs.statSync(path.join(source, ...k.split('/'))).size, 0);
    expect({ ...up, files: undefined }).toEqual({ from: source, to: `s3://${BUCKET}/lake/`, dryRun: false, objects: objects.length, copied: objects.length, skipped: 0, bytes: totalBytes, skippedBytes: 0, extra: 0, files: undefined });
    expect(up.files.every((f) => f.reason === 'missing')).toBe(true);
    expect(new Set(order)).toEqual(new Set(objects));
    expect((await bucket('lake').list('')).map((entry) => entry.key)).toEqual(objects);
    // the table's newest metadata file: one per commit (its creation and two versions)
    const metadataFiles = keys.filter((k) => /^cleaned\/MES\/metadata\/v\d+\.metadata\.json$/.test(k));
    expect(metadataFiles).toEqual(['cleaned/MES/metadata/v1.metadata.json', 'cleaned/MES/metadata/v2.metadata.json', 'cleaned/MES/metadata/v3.metadata.json']);
    const newest = 'cleaned/MES/metadata/v3.metadata.json';
    const step = (key: string): number => {
      if (key === 'mes-data-store.json') return 4;
      if (key === 'cleaned/MES/metadata/version-hint.text' || key === newest) return 3;
      if (key.startsWith('cleaned/MES/metadata/')) return 2;
      return key.startsWith('catalog/') ? 1 : 0;
    };
    expect(order.map(step)).toEqual([...order.map(step)].sort((a, b) => a - b));
    expect(order.slice(-3)).toEqual([newest, 'cleaned/MES/metadata/version-hint.text', 'mes-data-store.json']);
    expect([...new Set(stages)]).toEqual([
      `listing ${source}`,
      `listing s3://${BUCKET}/lake/`,
      'reading the sidecars',
      'copying data files (1/5)',
      'copying catalog sidecars (2/5)',
      'copying Iceberg metadata (3/5)',
      'copying table pointers (4/5)',
      'copying store marker (5/5)',
      'done',
    ]);

    const copy = path.join(tmp, 'copy');
    const downStages: string[] = [];
    const down = await syncStores(bucket('lake'), new LocalObjectStore(copy), { progress: (p: SyncProgress) => downStages.push(p.stage) });
    expect({ copied: down.copied, skipped: down.skipped, bytes: down.bytes }).toEqual({ copied: objects.length, skipped: 0, bytes: totalBytes });
    expect([...new Set(downStages)].slice(-2)).toEqual(['linking the version folders', 'done']);
    // the folder gets its version folders back, as the store makes them: hard links to the table's data files
    expect(filesOf(copy)).toEqual(want);
    for (const link of ['cleaned/v1/MES/2024-01-02.parquet', 'cleaned/v1/MES/2024-01-03.parquet', 'cleaned/v2/MES/2024-01-03.parquet']) {
      expect({ link, data: linkedDataFile(copy, link), links: fs.statSync(path.join(copy, ...link.split('/'))).nlink }).toEqual({ link, data: linkedDataFile(source, link), links: 2 });
    }
    // verify hashes the five data files its sidecars list (raw 2, v1 2, v2 1)
    const verified = await verifyStore(await openStore(copy, { recover: false }));
    expect({ ok: verified.ok, problems: verified.problems, files: verified.checked.files }).toEqual({ ok: true, problems: [], files: 5 });

    // a rerun either way copies nothing and compares every object
    const again = await syncStores(new LocalObjectStore(source), bucket('lake'));
    expect({ copied: again.copied, skipped: again.skipped, skippedBytes: again.skippedBytes, files: again.files }).toEqual({ copied: 0, skipped: objects.length, skippedBytes: totalBytes, files: [] });
    const againDown = await syncStores(bucket('lake'), new LocalObjectStore(copy));
    expect({ copied: againDown.copied, skipped: againDown.skipped }).toEqual({ copied: 0, skipped: objects.length });
    expect(filesOf(copy)).toEqual(want);
  });

  it('a sync stopped after 3 objects leaves whole objects and no marker; the rerun copies only the rest', async (context) => {
    skipWithoutMoto(context);
    const keys = objectKeys(source);
    const controller = new AbortController();
    let written = 0;
    const stopped = await failure(
      syncStores(new LocalObjectStore(source), bucket('killed'), {
        signal: controller.signal,
        concurrency: 1,
        onCopied: () => {
          if (++written === 3) controller.abort();
        },
      }),
    );
    expect(stopped.code).toBe('CANCELLED');
    expect(stopped.message).toBe(`sync from ${source} to s3://${BUCKET}/killed/ cancelled after 3 object(s) copied; run it again to finish`);
    const left = await bucket('killed').list('');
    expect(left.length).toBe(3);
    expect(left.some((entry) => entry.key === 'mes-data-store.json' || entry.key.startsWith('catalog/'))).toBe(false);
    // what is there is whole: each object's bytes are the source file's
    for (const entry of left) expect(Buffer.from(await bucket('killed').get(entry.key)).equals(fs.readFileSync(path.join(source, ...entry.key.split('/'))))).toBe(true);

    const rerun = await syncStores(new LocalObjectStore(source), bucket('killed'));
    expect({ copied: rerun.copied, skipped: rerun.skipped }).toEqual({ copied: keys.length - 3, skipped: 3 });
    expect(rerun.files.map((f) => f.key).sort()).toEqual(keys.filter((k) => !left.some((entry) => entry.key === k)));
    const copy = path.join(tmp, 'after-kill');
    await syncStores(bucket('killed'), new LocalObjectStore(copy));
    expect(filesOf(copy)).toEqual(filesOf(source));
  });

  it('a damaged object in TO (same size, other bytes) is found by its hash and copied again, in a bucket and in a folder', async (context) => {
    skipWithoutMoto(context);
    if (!moto) throw new Error('moto_server is not running');
    await syncStores(new LocalObjectStore(source), bucket('damaged'));
    const key = 'raw/MES/2024-01-03/ohlcv.parquet';
    const good = fs.readFileSync(path.join(source, ...key.split('/')));
    const bad = Buffer.from(good);
    bad[100] ^= 0xff;
    await moto.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `damaged/${key}`, Body: bad }));
    const fixed = await syncStores(new LocalObjectStore(source), bucket('damaged'));
    expect({ copied: fixed.copied, files: fixed.files }).toEqual({ copied: 1, files: [{ key, bytes: good.length, reason: 'hash' }] });
    const body = await moto.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `damaged/${key}` }));
    expect(Buffer.from(await body.Body!.transformToByteArray()).equals(good)).toBe(true);

    const copy = path.join(tmp, 'damaged-copy');
    await syncStores(bucket('damaged'), new LocalObjectStore(copy));
    const sidecar = 'catalog/cleaned/MES/v2.json';
    fs.writeFileSync(path.join(copy, ...sidecar.split('/')), `${fs.readFileSync(path.join(copy, ...sidecar.split('/')), 'utf8')} `);
    fs.writeFileSync(path.join(copy, ...key.split('/')), bad);
    const again = await syncStores(bucket('damaged'), new LocalObjectStore(copy));
    expect(again.files).toEqual([
      { key, bytes: good.length, reason: 'hash' },
      { key: sidecar, bytes: fs.statSync(path.join(source, ...sidecar.split('/'))).size, reason: 'size' },
    ]);
    expect(filesOf(copy)).toEqual(filesOf(source));
  });

  it('bucket → bucket: a second prefix gets the same objects; a rerun reads only their metadata', async (context) => {
    skipWithoutMoto(context);
    await syncStores(new LocalObjectStore(source), bucket('lake'));
    const across = await syncStores(bucket('lake'), bucket('mirror'));
    const keys = objectKeys(source);
    expect({ copied: across.copied, from: across.from, to: across.to }).toEqual({ copied: keys.length, from: `s3://${BUCKET}/lake/`, to: `s3://${BUCKET}/mirror/` });
    const copy = path.join(tmp, 'from-mirror');
    await syncStores(bucket('mirror'), new LocalObjectStore(copy));
    expect(filesOf(copy)).toEqual(filesOf(source));
    // every object of the mirror carries the SHA-256 sync recorded, so a rerun compares without reading bytes
    const mirror = bucket('mirror');
    const heads = await Promise.all(keys.map(async (key) => [key, (await mirror.head(key)).sha256] as const));
    expect(Object.fromEntries(heads)).toEqual(Object.fromEntries(Object.entries(filesOf(source)).filter(([key]) => keys.includes(key))));
    expect((await syncStores(bucket('lake'), bucket('mirror'))).copied).toBe(0);
  });

  it('credentials the service refuses are FORBIDDEN (bad-credentials) naming the bucket', async (context) => {
    skipWithoutMoto(context);
    const strict = await startMoto({ checkCredentials: true });
    if (!strict) throw new Error('moto_server is not running');
    try {
      const location = parseStoreUrl('s3://mes-strict/lake', { AWS_ENDPOINT_URL: strict.endpoint });
      if (location.kind !== 's3') throw new Error('expected s3');
      const refused = await failure(syncStores(new LocalObjectStore(source), new S3ObjectStore(location, { credentials: MOTO_CREDENTIALS, attempts: 1 })));
      expect([refused.code, refused.details.reason, refused.details.bucket, refused.details.key]).toEqual(['FORBIDDEN', 'bad-credentials', 'mes-strict', 'lake/']);
      expect(refused.message).toBe('cannot list s3://mes-strict/lake/: the credentials were refused (InvalidAccessKeyId)');
    } finally {
      await strict.stop();
    }
  });

  it('a folder TO is written under its store lock: a writer holding it makes sync LOCKED, and the lock is given back after', async (context) => {
    skipWithoutMoto(context);
    const target = path.join(tmp, 'locked');
    fs.mkdirSync(target);
    const held = await acquireStoreLock({ root: target, formatVersion: 2 }, { purpose: 'promote' });
    try {
      const busy = await failure(syncStores(new LocalObjectStore(source), new LocalObjectStore(target), { lockWaitMs: 0 }));
      expect([busy.code, busy.details.purpose, busy.details.pid]).toEqual(['LOCKED', 'promote', process.pid]);
      expect(fs.readdirSync(target)).toEqual(['.lock']);
    } finally {
      await held.release();
    }
    const done = await syncStores(new LocalObjectStore(source), new LocalObjectStore(target));
    expect(done.copied).toBe(objectKeys(source).length);
    // folder to folder too: the version folders are made as links, not copied
    expect(filesOf(target)).toEqual(filesOf(source));
    expect(linkedDataFile(target, 'cleaned/v2/MES/2024-01-03.parquet')).toBe(linkedDataFile(source, 'cleaned/v2/MES/2024-01-03.parquet'));
    expect(fs.existsSync(path.join(target, '.lock'))).toBe(false);
  });

  it('keys a bucket takes but no store holds (an empty or ".." segment) are left out, never made into paths', async (context) => {
    skipWithoutMoto(context);
    if (!moto) throw new Error('moto_server is not running');
    await syncStores(new LocalObjectStore(source), bucket('odd'));
    for (const key of ['odd/raw//double.parquet', 'odd/raw/MES/../../../../escape.txt']) await moto.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x' }));
    const listed = (await bucket('odd').list('')).map((entry) => entry.key);
    expect(listed.filter((key) => key.includes('//') || key.includes('..'))).toEqual(['raw//double.parquet', 'raw/MES/../../../../escape.txt']);
    const copy = path.join(tmp, 'odd-copy');
    const down = await syncStores(bucket('odd'), new LocalObjectStore(copy));
    expect(down.objects).toBe(objectKeys(source).length);
    expect(filesOf(copy)).toEqual(filesOf(source));
    expect(fs.existsSync(path.join(tmp, 'escape.txt'))).toBe(false);
    expect(fs.existsSync(path.join(copy, 'escape.txt'))).toBe(false);
    // the read-only view leaves them out of the tree as well, and refuses them as keys
    const view = new RemoteStoreView(bucket('odd'));
    expect(await view.tree('', undefined)).toEqual({ ...(await listTree(await openStore(source, { recover: false }))), name: 'odd' });
    const refused = await failure(view.schema('raw/MES/../../../../escape.txt'));
    expect([refused.code, refused.message]).toEqual(['INVALID_NAME', 'the object key "raw/MES/../../../../escape.txt" is not allowed: it has a ".." segment']);
  });

  it('a version whose lists are in pieces (catalog/…/.lists/, over 256 files) is copied with its pieces, before its sidecar: verify passes on the copy', async (context) => {
    skipWithoutMoto(context);
    const long = path.join(tmp, 'long');
    const { store } = await initStore(long);
    const day = (k: number): string => new Date(Date.UTC(2023, 0, 1 + k)).toISOString().slice(0, 10);
    await writeCleanedData(store, { asset: 'MES', data: Array.from({ length: 257 }, (_, k) => ({ table: ohlcvTable(1), partition: { date: day(k) } })) });
    const pieces = fs.readdirSync(path.join(long, 'catalog', 'cleaned', 'MES', '.lists')).map((name) => `catalog/cleaned/MES/.lists/${name}`).sort();
    expect(pieces.length).toBeGreaterThan(0);
    const order: string[] = [];
    await syncStores(new LocalObjectStore(long), bucket('long'), { onCopied: (key) => order.push(key) });
    const copied = (await bucket('long').list('catalog/cleaned/MES/.lists/')).map((entry) => entry.key);
    expect(copied).toEqual(pieces);
    expect(Math.max(...pieces.map((key) => order.indexOf(key)))).toBeLessThan(order.indexOf('catalog/cleaned/MES/v1.json'));
    const back = path.join(tmp, 'long-back');
    await syncStores(bucket('long'), new LocalObjectStore(back));
    expect(fs.readdirSync(path.join(back, 'catalog', 'cleaned', 'MES', '.lists')).sort()).toEqual(pieces.map((key) => path.posix.basename(key)));
    const report = await verifyStore(await openStore(back));
    expect({ ok: report.ok, problems: report.problems, datasets: report.checked.datasets }).toEqual({ ok: true, problems: [], datasets: 1 });
  });

  it('a bucket written with version folders (before they were left out) reads the same: the view shows and reads its versions, a copy links its own folders', async (context) => {
    skipWithoutMoto(context);
    await syncStores(new LocalObjectStore(source), bucket('old'));
    // the objects an older mes-data published for each version folder: copies of the data files
    const folderKeys = Object.keys(filesOf(source)).filter((key) => key.startsWith('cleaned/v'));
    for (const key of folderKeys) await bucket('old').put(key, fs.readFileSync(path.join(source, ...key.split('/'))));
    const view = new RemoteStoreView(bucket('old'));
    expect(await view.tree('', undefined)).toEqual({ ...(await listTree(await openStore(source, { recover: false }))), name: 'old' });
    const rows = await view.rows('cleaned/v1/MES', 1439, 2, ['timestamp', 'volume', 'date']);
    expect(rows).toEqual({
      path: `s3://${BUCKET}/old/cleaned/v1/MES`,
      numRows: 1470,
      offset: 1439,
      columns: [
        { name: 'timestamp', type: 'Timestamp<NANOSECOND, UTC>' },
        { name: 'volume', type: 'Int64' },
        { name: 'date', type: 'Date32<DAY>' },
      ],
      rows: [
        { timestamp: '2024-01-02T23:59:00.000000000Z', volume: 1539, date: '2024-01-02' },
        { timestamp: '2024-01-02T00:00:00.000000000Z', volume: 100, date: '2024-01-03' },
      ],
    });
    // read through the table, not the folder's objects: a folder an older publish left part of reads whole
    await bucket('old').delete('cleaned/v1/MES/2024-01-03.parquet');
    expect((await view.schema('cleaned/MES@v1')).numRows).toBe(1470);
    const copy = path.join(tmp, 'from-old');
    const down = await syncStores(bucket('old'), new LocalObjectStore(copy));
    // the folder objects are left out, the folder links its own
    expect(down.objects).toBe(objectKeys(source).length);
    expect(filesOf(copy)).toEqual(filesOf(source));
    expect(linkedDataFile(copy, 'cleaned/v1/MES/2024-01-02.parquet')).toBe(linkedDataFile(source, 'cleaned/v1/MES/2024-01-02.parquet'));
    expect((await verifyStore(await openStore(copy, { recover: false }))).problems).toEqual([]);
  });

  it('a dry run says what it would copy and writes nothing', async (context) => {
    skipWithoutMoto(context);
    const keys = objectKeys(source);
    const dry = await syncStores(new LocalObjectStore(source), bucket('dry'), { dryRun: true });
    expect({ dryRun: dry.dryRun, copied: dry.copied, keys: dry.files.map((f) => f.key).sort() }).toEqual({ dryRun: true, copied: keys.length, keys });
    expect(await bucket('dry').list('')).toEqual([]);
  });

  it('pyarrow S3FileSystem reads a synced cleaned version’s data file with exact values', async (context) => {
    skipWithoutMoto(context);
    const python = requirePython(context);
    await syncStores(new LocalObjectStore(source), bucket('lake'));
    const script = `
import json, sys
import pyarrow.fs as pafs, pyarrow.parquet as pq
a = json.load(sys.stdin)
s3 = pafs.S3FileSystem(endpoint_override=a['endpoint'], scheme='http', access_key='testing', secret_key='testing', region='us-east-1')
t = pq.read_table(a['path'], filesystem=s3)
d = t.to_pydict()
print(json.dumps({'rows': t.num_rows, 'columns': t.column_names, 'first': [d['timestamp'][0].isoformat(), d['open'][0], d['close'][0], d['volume'][0], str(d['date'][0])],
  'last': [d['timestamp'][-1].isoformat(), d['open'][-1], d['volume'][-1]], 'volume': sum(d['volume'])}))
`;
    // the bucket holds the table's data file that v2's folder links as 2024-01-03.parquet
    const dataFile = linkedDataFile(source, 'cleaned/v2/MES/2024-01-03.parquet');
    const read = runPythonJson<Record<string, unknown>>(python, script, { endpoint: moto?.endpoint.replace('http://', ''), path: `${BUCKET}/lake/${dataFile}` });
    // v2 replaced 2024-01-03 with 100 bars: row i at 2024-01-02T00:00Z + i minutes, open 5000 + i/4, volume 100 + i
    expect(read).toEqual({
      rows: 100,
      columns: ['timestamp', 'open', 'high', 'low', 'close', 'volume', 'date'],
      first: ['2024-01-02T00:00:00+00:00', 5000, 5000.5, 100, '2024-01-03'],
      last: ['2024-01-02T01:39:00+00:00', 5024.75, 199],
      volume: 14950,
    });
  });

  it('refuses: FROM not a store, TO holding other things, one inside the other, a FROM file unlike its sidecar, a missing bucket, a server that is down', async (context) => {
    skipWithoutMoto(context);
    const empty = path.join(tmp, 'not-a-store');
    fs.mkdirSync(empty);
    const notStore = await failure(syncStores(new LocalObjectStore(empty), bucket('x')));
    expect([notStore.code, notStore.message]).toEqual(['NOT_FOUND', `${empty} is not a MES Data store: it has no mes-data-store.json`]);

    fs.writeFileSync(path.join(empty, 'taxes.xlsx'), 'x');
    const busy = await failure(syncStores(new LocalObjectStore(source), new LocalObjectStore(empty)));
    expect([busy.code, busy.message]).toEqual(['ALREADY_EXISTS', `${empty} is not empty and is not a MES Data store (it holds "taxes.xlsx"); choose an empty or new place, or a copy of this store`]);

    const inside = await failure(syncStores(new LocalObjectStore(source), new LocalObjectStore(path.join(source, 'backup'))));
    expect([inside.code, inside.message]).toEqual(['BAD_REQUEST', `sync from ${source} to ${path.join(source, 'backup')}: one lies inside the other; choose another place to copy to`]);
    const same = await failure(syncStores(bucket('lake'), bucket('lake')));
    expect(same.message).toBe(`sync from s3://${BUCKET}/lake/ to s3://${BUCKET}/lake/: they are the same store; choose another place to copy to`);

    // a damaged FROM is not spread: the data file unlike the sidecar of the version folder that links it is CORRUPTED_FILE, and nothing of it reaches TO
    const damaged = path.join(tmp, 'damaged-source');
    await syncStores(new LocalObjectStore(source), new LocalObjectStore(damaged));
    const key = linkedDataFile(damaged, 'cleaned/v1/MES/2024-01-02.parquet');
    const file = path.join(damaged, ...key.split('/'));
    const bytes = fs.readFileSync(file);
    bytes[200] ^= 0xff;
    // written in place: the version folder's link holds the damaged bytes too
    fs.writeFileSync(file, bytes);
    const corrupt = await failure(syncStores(new LocalObjectStore(damaged), bucket('from-damaged')));
    expect(corrupt.code).toBe('CORRUPTED_FILE');
    expect(corrupt.details).toMatchObject({ store: damaged, key, sha256: createHash('sha256').update(bytes).digest('hex') });
    expect((await bucket('from-damaged').list('')).some((entry) => entry.key === key || entry.key === 'mes-data-store.json')).toBe(false);

    if (!moto) throw new Error('moto_server is not running');
    const location = parseStoreUrl('s3://no-such-bucket-here/lake', { AWS_ENDPOINT_URL: moto.endpoint });
    if (location.kind !== 's3') throw new Error('expected s3');
    const noBucket = await failure(syncStores(new LocalObjectStore(source), new S3ObjectStore(location, { credentials: MOTO_CREDENTIALS, attempts: 1 })));
    expect([noBucket.code, noBucket.details.reason, noBucket.details.bucket]).toEqual(['NOT_FOUND', 'no-such-bucket', 'no-such-bucket-here']);

    // a port nobody listens on: every attempt refused, then UNAVAILABLE naming the bucket and the key
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const down = parseStoreUrl(`s3://${BUCKET}/lake`, { AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` });
    if (down.kind !== 's3') throw new Error('expected s3');
    const unavailable = await failure(syncStores(new LocalObjectStore(source), new S3ObjectStore(down, { credentials: MOTO_CREDENTIALS, attempts: 2, backoffMs: 10, timeoutMs: 5000 })));
    expect([unavailable.code, unavailable.details.reason, unavailable.details.bucket, unavailable.details.key, unavailable.details.attempts]).toEqual(['UNAVAILABLE', 'unavailable', BUCKET, 'lake/', 2]);
  });
});

describe('objects sync does not copy yet', () => {
  it('an object over 2 GiB is UNSUPPORTED_FILE naming it, before anything of it is read', async () => {
    const marker = new TextEncoder().encode(JSON.stringify({ format: 'mes-data-store', formatVersion: 2 }));
    const reads: string[] = [];
    const huge: ObjectStore = {
      kind: 's3',
      location: 's3://fake-lake/',
      list: () => Promise.resolve([
        { key: 'mes-data-store.json', size: marker.length, etag: '"m"' },
        { key: 'raw/MES/2024-01-02/huge.parquet', size: 3 * 2 ** 30, etag: '"h"' },
      ]),
      get: (key) => {
        reads.push(key);
        return key === 'mes-data-store.json' ? Promise.resolve(marker) : Promise.reject(new Error(`no read of ${key} expected`));
      },
      getRange: () => Promise.reject(new Error('no range read expected')),
      head: () => Promise.reject(new Error('no head expected')),
      tail: () => Promise.reject(new Error('no tail expected')),
      put: () => Promise.reject(new Error('no write expected')),
      delete: () => Promise.reject(new Error('no delete expected')),
    };
    const target = path.join(tmp, 'huge-target');
    const refused = await failure(syncStores(huge, new LocalObjectStore(target)));
    expect([refused.code, refused.message, refused.details.key]).toEqual([
      'UNSUPPORTED_FILE',
      `raw/MES/2024-01-02/huge.parquet in s3://fake-lake/ has ${3 * 2 ** 30} bytes; sync copies objects of up to ${2 ** 31 - 1} bytes (2 GiB) for now: copy that one another way, then run the sync again`,
      'raw/MES/2024-01-02/huge.parquet',
    ]);
    expect(reads).toEqual(['mes-data-store.json']);
  });
});

describe('sync and the s3:// views on other hosts', () => {
  it('are FORBIDDEN on the browser and desktop hosts: they would reach any bucket or folder with the machine credentials', async () => {
    for (const host of ['browser', 'electron'] as const) {
      const session = new ApiSession(host);
      try {
        const sync = await failure(session.invoke('jobs.start', { kind: 'sync', from: source, to: 's3://mes-sync/elsewhere' }));
        expect([sync.code, sync.message]).toEqual(['FORBIDDEN', `a sync job copies between places the request names: it is for the command line only, not the ${host} host`]);
        const tree = await failure(session.invoke('remote.tree', { store: 's3://mes-sync/lake' }));
        expect([tree.code, tree.message]).toEqual(['FORBIDDEN', `remote.tree reaches any bucket with this machine's credentials: it is for the command line only, not the ${host} host`]);
      } finally {
        await session.close();
      }
    }
  });
});
