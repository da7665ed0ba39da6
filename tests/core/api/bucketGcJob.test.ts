/**
 * A gc job of the app or the browser mode on a store in a bucket (runOnBucket in
 * core/api/bucketStore.ts), against a real moto_server: as the command line's gc, it removes
 * what it expires at once and keeps in the bucket what nothing committed names while that is
 * younger than the grace period (a writer on another machine may be publishing it); a dry run
 * removes nothing.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOnBucket } from '../../../core/api/bucketStore.js';
import type { JobParams, JobResult } from '../../../core/api/contract.js';
import { parseRequest } from '../../../core/api/handlers.js';
import { runJob } from '../../../core/api/runJob.js';
import { LocalObjectStore } from '../../../core/objectStore/localObjectStore.js';
import { S3ObjectStore } from '../../../core/objectStore/s3ObjectStore.js';
import { parseStoreUrl } from '../../../core/objectStore/storeUrl.js';
import { syncStores } from '../../../core/sync/syncStores.js';
import { MOTO_CREDENTIALS, skipWithoutMoto, startMoto, type MotoServer } from '../../helpers/motoServer.js';
import { tempDir } from '../../helpers/ohlcvTable.js';
import { buildRawStore } from '../../e2e/support/storeFixtures.js';

const BUCKET = 'mes-host-gc';
const URL_ = `s3://${BUCKET}/lake`;
let moto: MotoServer | null = null;
const { dir, cleanup } = tempDir('mes-bucket-gc-');
const savedEnv = { ...process.env };

beforeAll(async () => {
  moto = await startMoto();
  if (!moto) return;
  await moto.createBucket(BUCKET);
  Object.assign(process.env, { AWS_ENDPOINT_URL: moto.endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1', MES_DATA_CACHE: path.join(dir, 'host-cache') });
  const local = path.join(dir, 'seed');
  await buildRawStore(local);
  await syncStores(new LocalObjectStore(local), remote());
}, 120_000);

afterAll(async () => {
  await moto?.stop();
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
  cleanup();
});

function remote(): S3ObjectStore {
  if (!moto) throw new Error('moto_server is not running');
  const location = parseStoreUrl(URL_, { AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: 'us-east-1' });
  if (location.kind !== 's3') throw new Error('expected an s3 location');
  return new S3ObjectStore(location, { credentials: MOTO_CREDENTIALS });
}

const ctx = { signal: new AbortController().signal, progress: () => undefined };

/** A job as the host runs a writer on a bucket: pulled, run on the working copy, published. */
function job(fields: Record<string, unknown>): Promise<JobResult> {
  const params: JobParams = parseRequest('jobs.start', fields);
  return runOnBucket(URL_, params.kind, ctx, (root) => runJob(params, { ...ctx, storeRoot: root }));
}

describe('a gc job on a bucket', () => {
  it('expires at once, keeps what nothing committed names while it is younger than the grace period; a dry run removes nothing', async (context) => {
    skipWithoutMoto(context);
    await job({ kind: 'promote', asset: 'MES', from: '2024-01-02', to: '2024-01-02', onInvalid: 'drop' });
    await job({ kind: 'promote', asset: 'MES', onInvalid: 'drop' });
    // what a writer on another machine has written before its commit point: a data file nothing names yet
    const orphan = 'cleaned/MES/data/2024-01-03/00000-not-committed-yet.parquet';
    await remote().put(orphan, new Uint8Array(1234).fill(7), { ifNoneMatch: '*' });
    const keys = async () => (await remote().list('')).map((entry) => entry.key);

    const dry = (await job({ kind: 'gc', keep: 1, dryRun: true })) as JobResult<'gc'> & { grace: string; kept: { path: string; bytes: number; ageSeconds: number }[] };
    expect(dry.versions.map((v) => v.path)).toEqual(['cleaned/v1/MES']);
    expect(dry.kept.map((k) => [k.path, k.bytes])).toEqual([[orphan, 1234]]);
    expect(dry.files.map((f) => f.path)).not.toContain(orphan);
    const before = await keys();
    expect(before).toContain('catalog/cleaned/MES/v1.json');

    const gc = (await job({ kind: 'gc', keep: 1 })) as JobResult<'gc'> & { grace: string; kept: { path: string; bytes: number; ageSeconds: number }[] };
    expect({ versions: gc.versions.map((v) => v.path), grace: gc.grace, kept: gc.kept.map((k) => k.path) }).toEqual({ versions: ['cleaned/v1/MES'], grace: '1h', kept: [orphan] });
    expect(gc.kept[0].ageSeconds).toBeGreaterThanOrEqual(0);
    expect(gc.kept[0].ageSeconds).toBeLessThan(600);
    const after = await keys();
    // v1's sidecar and the files only it needed are gone; the young orphan stays
    expect(after).not.toContain('catalog/cleaned/MES/v1.json');
    expect(after).toContain(orphan);
    for (const file of gc.files) expect({ file: file.path, there: after.includes(file.path) }).toEqual({ file: file.path, there: false });
    expect(gc.files.length).toBeGreaterThan(0);
  }, 300_000);
});
