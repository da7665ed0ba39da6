/**
 * A window's host on a store in a bucket (core/api/bucketStore.ts and ApiSession), against a
 * real moto_server: store.open of s3://bucket/prefix pulls the working copy and serves from
 * it (app.info names the URL, never the copy); a tree refresh pulls again and, when another
 * machine published, the tree and the dataset caches show the new state (one listing and
 * nothing more when nothing changed); a promote job runs on a fresh pull and publishes, the
 * bucket then holds the table's metadata; a job that loses the race to another writer runs
 * once more and gets the next version, and one that loses it twice is LOCKED commit-conflict,
 * its unpublished version gone from the copy; migrate is refused; a missing bucket or a
 * network that does not answer is a typed error kept for the start screen.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiSession, parseRequest } from '../../../core/api/handlers.js';
import type { JobParams, JobState } from '../../../core/api/contract.js';
import { runJob } from '../../../core/api/runJob.js';
import { LocalObjectStore } from '../../../core/objectStore/localObjectStore.js';
import { S3ObjectStore } from '../../../core/objectStore/s3ObjectStore.js';
import { parseStoreUrl } from '../../../core/objectStore/storeUrl.js';
import { cacheFolderFor, openWorkingCopy, publishWorkingCopy } from '../../../core/objectStore/workingCopy.js';
import { openStore } from '../../../core/store/openStore.js';
import { commitRawSnapshots } from '../../../core/store/rawSnapshot.js';
import { syncStores } from '../../../core/sync/syncStores.js';
import { barsTable, type Bar } from '../../helpers/barsTable.js';
import { MOTO_CREDENTIALS, skipWithoutMoto, startMoto, type MotoServer } from '../../helpers/motoServer.js';
import { tempDir } from '../../helpers/ohlcvTable.js';
import { buildRawStore } from '../../e2e/support/storeFixtures.js';

const BUCKET = 'mes-host-bucket';
const URL_ = `s3://${BUCKET}/team/lake`;
let moto: MotoServer | null = null;
const { dir, cleanup } = tempDir('mes-bucket-session-');
const savedEnv = { ...process.env };

beforeAll(async () => {
  moto = await startMoto();
  if (!moto) return;
  await moto.createBucket(BUCKET);
  Object.assign(process.env, { AWS_ENDPOINT_URL: moto.endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1', MES_DATA_CACHE: path.join(dir, 'host-cache') });
  // raw MES: 2024-01-02 (390 clean bars) and 2024-01-03 (120 bars, one OHLC-inconsistent), copied up from a folder
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

/** Bars of one session from 15:00 UTC, one a minute: open base + i/4, high +1, low −0.5, close +0.25. */
function bars(date: string, count: number, base: number): Bar[] {
  return Array.from({ length: count }, (_, i) => {
    const open = base + i * 0.25;
    return [new Date(Date.parse(`${date}T15:00:00Z`) + i * 60_000).toISOString(), open, open + 1, open - 0.5, open + 0.25, 100 + i];
  });
}

/** Another machine (a working copy of its own): `work` runs on its copy, which is then published. */
async function otherMachine(name: string, work: (storeDir: string) => Promise<unknown>): Promise<void> {
  const copy = await openWorkingCopy(remote(), path.join(dir, name));
  try {
    await work(copy.storeDir);
    await publishWorkingCopy(copy, { removals: 'replaced-metadata' });
  } finally {
    await copy.release();
  }
}

const promoteParams = (fields: Record<string, unknown>): JobParams => parseRequest('jobs.start', { kind: 'promote', asset: 'MES', onInvalid: 'drop', ...fields });

async function keysUnder(prefix: string): Promise<string[]> {
  return (await remote().list(prefix)).map((entry) => entry.key);
}

type Node = { path: string; children?: Node[] };
const paths = (node: Node): string[] => [node.path, ...(node.children ?? []).flatMap(paths)];

async function runToEnd(session: ApiSession, params: Record<string, unknown>, stages: string[] = []): Promise<JobState> {
  const off = session.jobs.onEvent(({ job }) => stages.push(job.progress.stage));
  try {
    const started = (await session.invoke('jobs.start', params)) as JobState;
    return (await session.invoke('jobs.wait', { id: started.id, timeoutMs: 120_000 })) as JobState;
  } finally {
    off();
  }
}

describe('a window host on an s3:// store', () => {
  const session = new ApiSession('test');
  afterAll(() => session.close());

  it('store.open pulls the working copy and serves from it; app.info names the URL, not the copy', async (context) => {
    skipWithoutMoto(context);
    expect(await session.invoke('store.open', { path: URL_ })).toEqual({ store: URL_, formatVersion: 2 });
    const location = parseStoreUrl(URL_);
    if (location.kind !== 's3') throw new Error('expected an s3 location');
    expect(session.storeRoot).toBe(path.join(cacheFolderFor(location), 'store'));
    expect(session.bucketUrl).toBe(URL_);
    const info = (await session.invoke('app.info', {})) as { store: string; recentStores: string[] };
    expect(info.store).toBe(URL_);
    expect(info.recentStores[0]).toBe(URL_);
    expect(JSON.stringify(info)).not.toContain('testing');
    const tree = (await session.invoke('tree', { path: '', depth: 3 })) as Node;
    expect(paths(tree).filter((p) => p.startsWith('raw/MES/'))).toEqual(['raw/MES/2024-01-02', 'raw/MES/2024-01-03']);
    expect(((await session.invoke('dataset.info', { path: 'raw/MES' })) as { numRows: number }).numRows).toBe(510);
  });

  it('a tree refresh pulls what another machine published and the caches show it; with nothing new, nothing changes', async (context) => {
    skipWithoutMoto(context);
    await otherMachine('machine-b', async (storeDir) => {
      await commitRawSnapshots(await openStore(storeDir), [{ asset: 'MES', date: '2024-01-04', name: 'bars', table: barsTable(bars('2024-01-04', 60, 4790)) }]);
    });
    // before the refresh the host answers from its copy as pulled
    expect(((await session.invoke('dataset.info', { path: 'raw/MES' })) as { numRows: number }).numRows).toBe(510);
    const tree = (await session.invoke('tree', { path: '', depth: 3 })) as Node;
    expect(paths(tree).filter((p) => p.startsWith('raw/MES/'))).toEqual(['raw/MES/2024-01-02', 'raw/MES/2024-01-03', 'raw/MES/2024-01-04']);
    expect(((await session.invoke('dataset.info', { path: 'raw/MES' })) as { numRows: number }).numRows).toBe(570);
    const page = (await session.invoke('rows.page', { path: 'raw/MES/2024-01-04', offset: 59, limit: 1, columns: ['open', 'volume'] })) as { numRows: number; rows: Record<string, unknown>[] };
    expect(page.numRows).toBe(60);
    expect(page.rows).toEqual([[4804.75, 159]]);
    // nothing new: one listing, and the copy is not pulled again (its recorded state stays as written)
    const state = path.join(path.dirname(session.storeRoot ?? ''), 'state.json');
    const written = fs.statSync(state).mtimeMs;
    expect(await session.refreshBucket()).toBe(false);
    await session.invoke('tree', { path: '', depth: 3 });
    expect(fs.statSync(state).mtimeMs).toBe(written);
  });

  it('a promote job pulls, promotes on the copy and publishes: the bucket holds the table metadata and the version', async (context) => {
    skipWithoutMoto(context);
    const stages: string[] = [];
    const job = await runToEnd(session, { kind: 'promote', asset: 'MES', onInvalid: 'drop', message: 'from the window' }, stages);
    expect({ state: job.state, error: job.error }).toEqual({ state: 'succeeded', error: undefined });
    expect(job.result).toMatchObject({ version: 'v1', status: 'created', rows: 566 });
    expect(stages).toContain(`pulling ${URL_}/`);
    expect(stages).toContain(`publishing to ${URL_}/`);
    expect(await keysUnder('cleaned/MES/metadata/')).toContain('cleaned/MES/metadata/v1.metadata.json');
    expect(await keysUnder('catalog/cleaned/MES/')).toEqual(['catalog/cleaned/MES/v1.json']);
    // another machine pulls the version the window made
    await otherMachine('machine-c', (storeDir) => {
      expect(fs.existsSync(path.join(storeDir, 'catalog', 'cleaned', 'MES', 'v1.json'))).toBe(true);
      return Promise.resolve();
    });
    await session.invoke('tree', { path: '', depth: 3 });
    expect(((await session.invoke('dataset.info', { path: 'cleaned/MES' })) as { numRows: number }).numRows).toBe(566);

    // a feature build on that version (price_volatility: one row a trading date), published the same way
    const features = await runToEnd(session, { kind: 'features', set: 'price_volatility', asset: 'MES' });
    expect({ state: features.state, error: features.error }).toEqual({ state: 'succeeded', error: undefined });
    expect(features.result).toMatchObject({ version: 'v1', status: 'created', rows: 3 });
    expect((await keysUnder('catalog/features/')).filter((key) => key.endsWith('/v1.json'))).toEqual(['catalog/features/MES/price_volatility/v1.json']);
  });

  it('a job that loses the race runs once more on the new state and gets the next version; losing it twice is LOCKED commit-conflict', async (context) => {
    skipWithoutMoto(context);
    const gate = path.join(dir, 'gate');
    // the job's thread takes the environment as it starts: its publish waits for the gate file, the other machine's does not
    process.env.MES_DATA_PUBLISH_GATE = gate;
    const stages: string[] = [];
    // a writer waits its turn: its thread starts (with the environment as it is then) when it runs
    const untilRunning = async (id: string) => {
      while (session.jobs.get(id).state === 'queued') await new Promise((resolve) => setTimeout(resolve, 20));
    };
    const off = session.jobs.onEvent(({ job }) => stages.push(job.progress.stage));
    const started = (await session.invoke('jobs.start', { kind: 'promote', asset: 'MES', from: '2024-01-02', to: '2024-01-02', onInvalid: 'drop' })) as JobState;
    await untilRunning(started.id);
    delete process.env.MES_DATA_PUBLISH_GATE;
    // until the file is there; a job that ended meanwhile fails the test with its state
    const waitFor = async (file: string, id: string) => {
      while (!fs.existsSync(file)) {
        const state = session.jobs.get(id);
        if (state.state !== 'running' && state.state !== 'queued') throw new Error(`the job ended before ${path.basename(file)}: ${JSON.stringify(state.error ?? state.result)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    await waitFor(`${gate}.waiting`, started.id);
    await otherMachine('machine-b', (storeDir) => runJob(promoteParams({ from: '2024-01-03', to: '2024-01-03' }), { storeRoot: storeDir, signal: new AbortController().signal, progress: () => undefined }));
    fs.rmSync(`${gate}.waiting`);
    fs.writeFileSync(gate, '');
    const job = (await session.invoke('jobs.wait', { id: started.id, timeoutMs: 120_000 })) as JobState;
    off();
    expect({ state: job.state, error: job.error }).toEqual({ state: 'succeeded', error: undefined });
    expect(job.result).toMatchObject({ version: 'v3', status: 'created', rows: 390 });
    expect(stages).toContain(`another writer published first: pulling ${URL_}/ again`);
    expect(await keysUnder('catalog/cleaned/MES/')).toEqual(['catalog/cleaned/MES/v1.json', 'catalog/cleaned/MES/v2.json', 'catalog/cleaned/MES/v3.json']);

    // twice: the other machine publishes before each of the job's two publishes
    fs.rmSync(gate);
    fs.rmSync(`${gate}.waiting`, { force: true });
    process.env.MES_DATA_PUBLISH_GATE = gate;
    const seen: string[] = [];
    const offAgain = session.jobs.onEvent(({ job: state }) => seen.push(state.progress.stage));
    const second = (await session.invoke('jobs.start', { kind: 'promote', asset: 'MES', from: '2024-01-04', to: '2024-01-04', onInvalid: 'drop' })) as JobState;
    await untilRunning(second.id);
    delete process.env.MES_DATA_PUBLISH_GATE;
    // the other machine ingests a new date and promotes it alone: a version no earlier one equals
    const other = (date: string) =>
      otherMachine('machine-b', async (storeDir) => {
        await commitRawSnapshots(await openStore(storeDir), [{ asset: 'MES', date, name: 'bars', table: barsTable(bars(date, 30, 4795)) }]);
        await runJob(promoteParams({ from: date, to: date }), { storeRoot: storeDir, signal: new AbortController().signal, progress: () => undefined });
      });
    await waitFor(`${gate}.waiting`, second.id);
    await other('2024-01-05');
    fs.rmSync(`${gate}.waiting`);
    fs.writeFileSync(gate, '');
    while (!seen.some((stage) => stage.startsWith('another writer published first'))) {
      if (session.jobs.get(second.id).state !== 'running') throw new Error(`the job did not lose the first race: ${JSON.stringify(session.jobs.get(second.id))}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    fs.rmSync(gate);
    await waitFor(`${gate}.waiting`, second.id);
    await other('2024-01-08');
    fs.writeFileSync(gate, '');
    const lost = (await session.invoke('jobs.wait', { id: second.id, timeoutMs: 120_000 })) as JobState;
    offAgain();
    expect(lost.state).toBe('failed');
    expect(lost.error?.code).toBe('LOCKED');
    expect(lost.error?.details.reason).toBe('commit-conflict');
    expect(lost.error?.message).toMatch(new RegExp(`^publishing to ${URL_}/: another writer handed out version numbers \\(version-ledger\\.json\\) first; run the command again on the new state$`));
    // the other machine's v4 and v5 are there; the job's own version is not, in the bucket or the refreshed tree
    expect(await keysUnder('catalog/cleaned/MES/')).toEqual(['catalog/cleaned/MES/v1.json', 'catalog/cleaned/MES/v2.json', 'catalog/cleaned/MES/v3.json', 'catalog/cleaned/MES/v4.json', 'catalog/cleaned/MES/v5.json']);
    const tree = (await session.invoke('tree', { path: '', depth: 3 })) as Node;
    expect(paths(tree).filter((p) => /^cleaned\/v\d+\/MES$/.test(p))).toEqual(['cleaned/v1/MES', 'cleaned/v2/MES', 'cleaned/v3/MES', 'cleaned/v4/MES', 'cleaned/v5/MES']);
    expect(fs.existsSync(path.join(session.storeRoot ?? '', 'catalog', 'cleaned', 'MES', 'v6.json'))).toBe(false);
    fs.rmSync(gate, { force: true });
    fs.rmSync(`${gate}.waiting`, { force: true });
  }, 120_000);

  it('migrate on a bucket is BAD_REQUEST naming it, the open one or one a request names; no folder named s3: appears', async (context) => {
    skipWithoutMoto(context);
    await expect(session.invoke('jobs.start', { kind: 'migrate' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: `migrate is not available on an s3:// store yet: migrate a format-1 store in its folder before it goes to a bucket (${URL_})`,
    });
    const fresh = new ApiSession('browser');
    try {
      await expect(fresh.invoke('jobs.start', { kind: 'migrate', store: 's3://old-lake/mes' })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        message: 'migrate is not available on an s3:// store yet: migrate a format-1 store in its folder before it goes to a bucket (s3://old-lake/mes)',
      });
    } finally {
      await fresh.close();
    }
    expect(fs.existsSync(path.resolve('s3:'))).toBe(false);
  });
});

describe('a bucket that cannot be opened', () => {
  it('no such bucket: store.open is NOT_FOUND naming it, and a host started on it keeps the error for its start screen', async (context) => {
    skipWithoutMoto(context);
    const session = new ApiSession('test');
    try {
      const error = (await session.invoke('store.open', { path: 's3://no-such-lake/mes' }).catch((e: unknown) => e)) as { code: string; message: string; details: Record<string, unknown> };
      expect({ code: error.code, reason: error.details.reason }).toEqual({ code: 'NOT_FOUND', reason: 'no-such-bucket' });
      expect(error.message).toContain('no-such-lake');
      await session.openAtStartup('s3://no-such-lake/mes');
      const info = (await session.invoke('app.info', {})) as { store: string | null; storeError: { code: string; path: string } | null };
      expect({ store: info.store, code: info.storeError?.code, path: info.storeError?.path }).toEqual({ store: null, code: 'NOT_FOUND', path: 's3://no-such-lake/mes' });
    } finally {
      await session.close();
    }
  });

  it('a network that does not answer: UNAVAILABLE after the retries, naming the bucket', async (context) => {
    skipWithoutMoto(context);
    const endpoint = process.env.AWS_ENDPOINT_URL;
    // a port nothing listens on
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9';
    const session = new ApiSession('test');
    try {
      const error = (await session.invoke('store.open', { path: URL_ }).catch((e: unknown) => e)) as { code: string; message: string; details: Record<string, unknown> };
      expect({ code: error.code, reason: error.details.reason }).toEqual({ code: 'UNAVAILABLE', reason: 'unavailable' });
      expect(error.message).toContain(BUCKET);
    } finally {
      process.env.AWS_ENDPOINT_URL = endpoint;
      await session.close();
    }
  }, 60_000);
});
