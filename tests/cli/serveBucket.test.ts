/**
 * `mes-data serve` on an s3:// store, as it ships (the built bundle) against a real
 * moto_server: `--store s3://…` serves the store from its working copy on 127.0.0.1 with its
 * token (app.info names the URL; the tree is the bucket's); a promote job started over HTTP
 * runs in its own process on a fresh pull and publishes to the bucket, and so does the
 * ingest of an uploaded file (the upload itself is never published); MES_DATA_STORE naming
 * a bucket that does not exist starts the host all the same, with the typed error kept for
 * the start screen.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../core/objectStore/localObjectStore.js';
import { openObjectStore } from '../../core/objectStore/s3ObjectStore.js';
import { parseStoreUrl } from '../../core/objectStore/storeUrl.js';
import { syncStores } from '../../core/sync/syncStores.js';
import { MOTO_CREDENTIALS, skipWithoutMoto, startMoto, type MotoServer } from '../helpers/motoServer.js';
import { tempDir } from '../helpers/ohlcvTable.js';
import { CLI_BIN } from '../helpers/runCli.js';
import { buildRawStore } from '../e2e/support/storeFixtures.js';

const BUCKET = 'mes-serve-lake';
const STORE_URL = `s3://${BUCKET}/serve/mes`;
let moto: MotoServer | null = null;
const { dir, cleanup } = tempDir('mes-data-serve-bucket-');

function awsEnv(): Record<string, string> {
  if (!moto) throw new Error('moto_server is not running');
  return { AWS_ENDPOINT_URL: moto.endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1', MES_DATA_CACHE: path.join(dir, 'cache') };
}

/** The bucket's store, with moto's credentials given (this process's environment has none). */
const bucket = () => openObjectStore(parseStoreUrl(STORE_URL, awsEnv()), { credentials: MOTO_CREDENTIALS });

beforeAll(async () => {
  moto = await startMoto();
  if (!moto) return;
  await moto.createBucket(BUCKET);
  const seed = path.join(dir, 'seed');
  await buildRawStore(seed);
  await syncStores(new LocalObjectStore(seed), bucket());
}, 120_000);

afterAll(async () => {
  await moto?.stop();
  cleanup();
});

interface Served {
  child: ChildProcess;
  url: URL;
  token: string;
  stderr: () => string;
  invoke: (name: string, request: Record<string, unknown>) => Promise<{ status: number; body: Record<string, unknown> }>;
  stop: () => Promise<number | null>;
}

/** Starts the built `mes-data serve --no-open` with `args` and `env`; resolves once it prints its address. */
function serve(args: string[], env: Record<string, string>): Promise<Served> {
  const child = spawn(process.execPath, [CLI_BIN, 'serve', '--no-open', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no address in 60 s: ${stdout} ${stderr}`)), 60_000);
    child.once('exit', (code) => reject(new Error(`serve ended with ${code}: ${stderr}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /MES Data at (\S+)/.exec(stdout);
      if (!match) return;
      clearTimeout(timer);
      const url = new URL(match[1]);
      const token = url.searchParams.get('token') ?? '';
      resolve({
        child,
        url,
        token,
        stderr: () => stderr,
        invoke: async (name, request) => {
          const response = await fetch(new URL(`/api/invoke/${name}`, url), { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(request) });
          return { status: response.status, body: (await response.json()) as Record<string, unknown> };
        },
        stop: () =>
          new Promise((done) => {
            child.removeAllListeners('exit');
            child.once('exit', (code) => done(code));
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

describe('mes-data serve on an s3:// store', () => {
  it('--store s3://… serves the bucket from its working copy on 127.0.0.1 with a token; a promote job publishes to the bucket', async (context) => {
    skipWithoutMoto(context);
    const host = await serve(['--store', STORE_URL], awsEnv());
    try {
      expect(host.url.hostname).toBe('127.0.0.1');
      expect(host.token.length).toBeGreaterThanOrEqual(32);
      expect(host.stderr()).toContain(`serving ${STORE_URL} from its working copy `);
      // without the token: refused
      const anonymous = await fetch(new URL('/api/invoke/app.info', host.url), { method: 'POST', body: '{}' });
      expect(anonymous.status).toBe(401);
      const info = await host.invoke('app.info', {});
      expect(info.status).toBe(200);
      expect(info.body.result).toMatchObject({ host: 'browser', store: STORE_URL, storeError: null });
      expect(JSON.stringify(info.body)).not.toContain('testing');
      const tree = (await host.invoke('tree', { path: 'raw/MES', depth: 1 })).body.result as { children: { path: string; rows: number }[] };
      expect(tree.children.map((c) => [c.path, c.rows])).toEqual([
        ['raw/MES/2024-01-02', 390],
        ['raw/MES/2024-01-03', 120],
      ]);
      const started = (await host.invoke('jobs.start', { kind: 'promote', asset: 'MES', onInvalid: 'drop', message: 'served' })).body.result as { id: string };
      const ended = (await host.invoke('jobs.wait', { id: started.id, timeoutMs: 120_000 })).body.result as { state: string; result?: { version: string; rows: number }; error?: unknown };
      expect({ state: ended.state, error: ended.error, version: ended.result?.version, rows: ended.result?.rows }).toEqual({ state: 'succeeded', error: undefined, version: 'v1', rows: 506 });
      const keys = (await bucket().list('catalog/cleaned/')).map((entry) => entry.key);
      expect(keys).toEqual(['catalog/cleaned/MES/v1.json']);
      const root = (await host.invoke('tree', { path: '', depth: 2 })).body.result as { children: { path: string; children?: { path: string }[] }[] };
      expect(root.children.find((c) => c.path === 'cleaned')?.children?.map((c) => c.path)).toEqual(['cleaned/MES']);

      // a dropped file: uploaded into the copy's .uploads (never published), ingested by a job that publishes the date
      const csv = ['timestamp,open,high,low,close,volume', ...Array.from({ length: 30 }, (_, i) => `2024-01-05T15:${String(i).padStart(2, '0')}:00Z,${4790 + i * 0.25},${4791 + i * 0.25},${4789.5 + i * 0.25},${4790.25 + i * 0.25},${100 + i}`)].join('\n');
      const upload = await fetch(new URL('/api/upload?name=day5.csv', host.url), { method: 'POST', headers: { Authorization: `Bearer ${host.token}` }, body: `${csv}\n` });
      expect(upload.status).toBe(200);
      const uploaded = ((await upload.json()) as { result: { path: string } }).result.path;
      expect(uploaded.split(path.sep).slice(-3, -2)).toEqual(['.uploads']);
      const ingest = (await host.invoke('jobs.start', { kind: 'ingest', files: [uploaded], asset: 'MES' })).body.result as { id: string };
      const ingested = (await host.invoke('jobs.wait', { id: ingest.id, timeoutMs: 120_000 })).body.result as { state: string; result?: { rowsWritten: number }; error?: unknown };
      expect({ state: ingested.state, error: ingested.error, rows: ingested.result?.rowsWritten }).toEqual({ state: 'succeeded', error: undefined, rows: 30 });
      const raw = (await bucket().list('raw/MES/2024-01-05/')).map((entry) => entry.key);
      expect(raw).toEqual(['raw/MES/2024-01-05/day5.parquet']);
      expect((await bucket().list('')).some((entry) => entry.key.includes('.uploads'))).toBe(false);
    } finally {
      expect(await host.stop()).toBe(0);
    }
  }, 240_000);

  it('MES_DATA_STORE naming a bucket that does not exist: the host starts, and app.info gives the typed error', async (context) => {
    skipWithoutMoto(context);
    const host = await serve([], { ...awsEnv(), MES_DATA_STORE: 's3://no-such-serve-lake/mes' });
    try {
      expect(host.stderr()).toContain('note: s3://no-such-serve-lake/mes could not be opened (NOT_FOUND: ');
      const info = (await host.invoke('app.info', {})).body.result as { store: string | null; storeError: { code: string; path: string; details: { reason: string } } | null };
      expect({ store: info.store, code: info.storeError?.code, reason: info.storeError?.details.reason, path: info.storeError?.path }).toEqual({
        store: null,
        code: 'NOT_FOUND',
        reason: 'no-such-bucket',
        path: 's3://no-such-serve-lake/mes',
      });
    } finally {
      expect(await host.stop()).toBe(0);
    }
  }, 120_000);
});
