/**
 * The two ObjectStores, a local folder and a bucket on a real moto_server, answer the same
 * operations with the same bytes and the same typed errors; then what only S3 has: a
 * missing bucket, a server that never answers (UNAVAILABLE within the time limit), the SDK's
 * error names mapped to codes, and pyarrow reading an object we wrote.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { MesDataError } from '../../../core/errors.js';
import { LocalObjectStore } from '../../../core/objectStore/localObjectStore.js';
import type { ObjectStore } from '../../../core/objectStore/objectStore.js';
import { S3ObjectStore, type S3Sender } from '../../../core/objectStore/s3ObjectStore.js';
import { parseStoreUrl } from '../../../core/objectStore/storeUrl.js';
import { writeParquet } from '../../../core/parquet/writeParquet.js';
import { MOTO_CREDENTIALS, skipWithoutMoto, startMoto, type MotoServer } from '../../helpers/motoServer.js';
import { ohlcvTable } from '../../helpers/ohlcvTable.js';
import { requirePython, runPythonJson } from '../../helpers/python.js';

const BUCKET = 'mes-lake';
let moto: MotoServer | null = null;
let tmp = '';

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-objectstore-'));
  moto = await startMoto();
  if (moto) await moto.createBucket(BUCKET);
}, 60_000);

afterAll(async () => {
  await moto?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function s3Store(prefix: string, options: { timeoutMs?: number; attempts?: number } = {}): S3ObjectStore {
  if (!moto) throw new Error('moto_server is not running');
  const location = parseStoreUrl(`s3://${BUCKET}/${prefix}`, { AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: 'us-east-1' });
  if (location.kind !== 's3') throw new Error('expected an s3 location');
  return new S3ObjectStore(location, { credentials: MOTO_CREDENTIALS, timeoutMs: options.timeoutMs ?? 10_000, attempts: options.attempts ?? 3, backoffMs: 50 });
}

async function codeOf(work: Promise<unknown>): Promise<[string, unknown]> {
  try {
    await work;
  } catch (error) {
    if (error instanceof MesDataError) return [error.code, error.details.reason ?? null];
    throw error;
  }
  throw new Error('expected a refusal');
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

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);

const KINDS: { name: string; make: (context: TestContext, prefix: string) => ObjectStore }[] = [
  { name: 'a local folder', make: (_context, prefix) => new LocalObjectStore(path.join(tmp, prefix)) },
  {
    name: 'a bucket on moto_server',
    make: (context, prefix) => {
      skipWithoutMoto(context);
      return s3Store(prefix);
    },
  },
];

describe.each(KINDS)('an object store in $name', ({ make }) => {
  it('puts, gets, reads ranges, lists and deletes with exact bytes', async (context) => {
    const store = make(context, 'basic');
    await store.put('raw/MES/2024-01-02/data.csv', bytes('timestamp,price\n1,5000.25\n'));
    await store.put('raw/MES/2024-01-03/data.csv', bytes('x'));
    await store.put('raw/MNQ/a', new Uint8Array([0, 255, 1, 254]));
    expect(text(await store.get('raw/MES/2024-01-02/data.csv'))).toBe('timestamp,price\n1,5000.25\n');
    expect(Array.from(await store.get('raw/MNQ/a'))).toEqual([0, 255, 1, 254]);
    expect(text(await store.getRange('raw/MES/2024-01-02/data.csv', 16, 9))).toBe('1,5000.25');
    expect(text(await store.getRange('raw/MES/2024-01-02/data.csv', 20, 100))).toBe('00.25\n');
    expect((await store.getRange('raw/MES/2024-01-03/data.csv', 5, 3)).length).toBe(0);
    expect((await store.head('raw/MNQ/a')).size).toBe(4);
    const tail = await store.tail('raw/MES/2024-01-02/data.csv', 6);
    expect([text(tail.bytes), tail.size, tail.etag]).toEqual(['00.25\n', 26, (await store.head('raw/MES/2024-01-02/data.csv')).etag]);
    expect([Array.from((await store.tail('raw/MNQ/a', 100)).bytes), (await store.tail('raw/MNQ/a', 100)).size]).toEqual([[0, 255, 1, 254], 4]);
    await store.put('raw/empty', new Uint8Array(0));
    expect([(await store.tail('raw/empty', 10)).bytes.length, (await store.tail('raw/empty', 10)).size]).toEqual([0, 0]);
    await store.delete('raw/empty');
    expect((await store.list('raw/MES/')).map((e) => [e.key, e.size])).toEqual([
      ['raw/MES/2024-01-02/data.csv', 26],
      ['raw/MES/2024-01-03/data.csv', 1],
    ]);
    expect((await store.list('raw/M')).map((e) => e.key)).toEqual(['raw/MES/2024-01-02/data.csv', 'raw/MES/2024-01-03/data.csv', 'raw/MNQ/a']);
    await store.delete('raw/MES/2024-01-03/data.csv');
    await store.delete('raw/MES/never-there');
    expect((await store.list('')).map((e) => e.key)).toEqual(['raw/MES/2024-01-02/data.csv', 'raw/MNQ/a']);
    expect(await codeOf(store.get('raw/MES/2024-01-03/data.csv'))).toEqual(['NOT_FOUND', store.kind === 's3' ? 'no-such-key' : null]);
    expect(await codeOf(store.head('nope'))).toEqual(['NOT_FOUND', store.kind === 's3' ? 'no-such-key' : null]);
    expect(await codeOf(store.get('../outside'))).toEqual(['INVALID_NAME', 'it has a ".." segment']);
    expect(await codeOf(store.put('/abs', bytes('x')))).toEqual(['INVALID_NAME', 'it starts with "/"']);
  });

  it('conditional writes: a second If-None-Match * and an If-Match with a stale etag are commit conflicts', async (context) => {
    const store = make(context, 'conditional');
    const first = await store.put('metadata/version-hint.text', bytes('1'), { ifNoneMatch: '*' });
    expect(first.etag).toBe((await store.head('metadata/version-hint.text')).etag);
    const second = store.put('metadata/version-hint.text', bytes('2'), { ifNoneMatch: '*' });
    expect(await codeOf(second)).toEqual(['LOCKED', 'commit-conflict']);
    expect(text(await store.get('metadata/version-hint.text'))).toBe('1');
    const moved = await store.put('metadata/version-hint.text', bytes('22'), { ifMatch: first.etag });
    expect(moved.etag).not.toBe(first.etag);
    try {
      await store.put('metadata/version-hint.text', bytes('3'), { ifMatch: first.etag });
      throw new Error('expected a conflict');
    } catch (error) {
      expect(error).toBeInstanceOf(MesDataError);
      const e = error as MesDataError;
      expect([e.code, e.details.reason, e.details.key, e.details.condition]).toEqual(['LOCKED', 'commit-conflict', 'metadata/version-hint.text', 'if-match']);
      expect(e.message).toContain(store.kind === 's3' ? `s3://${BUCKET}/conditional/` : tmp);
    }
    expect(text(await store.get('metadata/version-hint.text'))).toBe('22');
    expect(await codeOf(store.put('metadata/none-yet', bytes('x'), { ifMatch: first.etag }))).toEqual(['LOCKED', 'commit-conflict']);
  });
});

describe('an object store in a bucket', () => {
  it('lists every page of more than 1,000 keys, and only those under its prefix', async (context) => {
    skipWithoutMoto(context);
    const store = s3Store('many');
    const keys = Array.from({ length: 1105 }, (_, i) => `k/${String(i).padStart(5, '0')}`);
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((key) => store.put(key, bytes(key))));
    await s3Store('many-other').put('k/00000', bytes('elsewhere'));
    const listed = await store.list('k/');
    expect(listed.length).toBe(1105);
    expect(listed.map((e) => e.key)).toEqual(keys);
    expect(listed[1104]?.size).toBe(7);
  }, 120_000);

  it('names a missing bucket', async (context) => {
    skipWithoutMoto(context);
    const location = parseStoreUrl('s3://no-such-lake/x', { AWS_ENDPOINT_URL: moto?.endpoint ?? '' });
    if (location.kind !== 's3') throw new Error('expected s3');
    const store = new S3ObjectStore(location, { credentials: MOTO_CREDENTIALS, attempts: 1 });
    const failed = await failure(store.get('a'));
    expect([failed.code, failed.details.reason, failed.details.bucket, failed.details.key]).toEqual(['NOT_FOUND', 'no-such-bucket', 'no-such-lake', 'x/a']);
    expect(failed.message).toBe('cannot get s3://no-such-lake/x/a: no bucket no-such-lake');
  });

  it('a server that accepts and never answers is UNAVAILABLE within its time limit, not a hang', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const location = parseStoreUrl('s3://silent-lake/p', { AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` });
      if (location.kind !== 's3') throw new Error('expected s3');
      const store = new S3ObjectStore(location, { credentials: MOTO_CREDENTIALS, timeoutMs: 300, attempts: 3, backoffMs: 20 });
      const started = Date.now();
      const failed = await failure(store.head('data.parquet'));
      const took = Date.now() - started;
      expect([failed.code, failed.details.reason, failed.details.bucket, failed.details.key, failed.details.attempts]).toEqual(['UNAVAILABLE', 'unavailable', 'silent-lake', 'p/data.parquet', 3]);
      expect(failed.message).toBe('cannot look at s3://silent-lake/p/data.parquet: no answer within 300 ms, after 3 attempts');
      // three attempts of 300 ms and two short pauses; well under what a hang would take
      expect(took).toBeGreaterThanOrEqual(900);
      expect(took).toBeLessThan(3000);
      expect(sockets.length).toBeGreaterThanOrEqual(1);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('credentials a checking server does not know are FORBIDDEN (bad-credentials), naming bucket and key', async (context) => {
    skipWithoutMoto(context);
    const checking = await startMoto({ checkCredentials: true });
    try {
      const location = parseStoreUrl('s3://guarded-lake/team', { AWS_ENDPOINT_URL: checking?.endpoint ?? '' });
      if (location.kind !== 's3') throw new Error('expected s3');
      const store = new S3ObjectStore(location, { credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'wrong' }, attempts: 3, backoffMs: 10 });
      const failed = await failure(store.get('cleaned/MES/v1/data.parquet'));
      expect([failed.code, failed.details.reason, failed.details.status, failed.details.bucket, failed.details.key]).toEqual(['FORBIDDEN', 'bad-credentials', 403, 'guarded-lake', 'team/cleaned/MES/v1/data.parquet']);
      expect(failed.message).toBe('cannot get s3://guarded-lake/team/cleaned/MES/v1/data.parquet: the credentials were refused (InvalidAccessKeyId)');
    } finally {
      await checking?.stop();
    }
  }, 60_000);

  it('maps the SDK errors to codes naming bucket and key: no credentials, refused credentials, access denied, throttling retried then UNAVAILABLE', async () => {
    const location = parseStoreUrl('s3://fake-lake/pre', {});
    if (location.kind !== 's3') throw new Error('expected s3');
    const failing = (make: () => Error): { client: S3Sender; calls: () => number } => {
      let calls = 0;
      return {
        client: {
          send: () => {
            calls++;
            return Promise.reject(make());
          },
        },
        calls: () => calls,
      };
    };
    const sdkError = (name: string, status?: number): Error => Object.assign(new Error(`${name} from the service`), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}) });
    const cases: [string, () => Error, string, string, number][] = [
      ['no credentials', () => sdkError('CredentialsProviderError'), 'FORBIDDEN', 'no-credentials', 1],
      ['refused key id', () => sdkError('InvalidAccessKeyId', 403), 'FORBIDDEN', 'bad-credentials', 1],
      ['bad signature', () => sdkError('SignatureDoesNotMatch', 403), 'FORBIDDEN', 'bad-credentials', 1],
      ['access denied', () => sdkError('AccessDenied', 403), 'FORBIDDEN', 'access-denied', 1],
      ['throttled', () => sdkError('SlowDown', 503), 'UNAVAILABLE', 'unavailable', 3],
      ['server error', () => sdkError('InternalError', 500), 'UNAVAILABLE', 'unavailable', 3],
      ['connection refused', () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'UNAVAILABLE', 'unavailable', 3],
    ];
    const seen = [];
    for (const [label, make, , , ] of cases) {
      const fake = failing(make);
      const store = new S3ObjectStore(location, { client: fake.client, attempts: 3, backoffMs: 1 });
      const failed = await failure(store.get('a/b'));
      seen.push([label, failed.code, failed.details.reason, failed.details.bucket, failed.details.key, fake.calls()]);
    }
    expect(seen).toEqual(cases.map(([label, , code, reason, calls]) => [label, code, reason, 'fake-lake', 'pre/a/b', calls]));
  });

  it('pyarrow S3FileSystem reads a Parquet object we wrote, with exact values', async (context) => {
    skipWithoutMoto(context);
    const python = requirePython(context);
    const file = path.join(tmp, 'bars.parquet');
    await writeParquet(ohlcvTable(1000), file, { rowGroupSize: 300 });
    const store = s3Store('cleaned/MES/v1');
    await store.put('data.parquet', new Uint8Array(fs.readFileSync(file)), { ifNoneMatch: '*' });
    const script = `
import json, sys
import pyarrow.fs as pafs, pyarrow.parquet as pq
a = json.load(sys.stdin)
s3 = pafs.S3FileSystem(endpoint_override=a['endpoint'], scheme='http', access_key='testing', secret_key='testing', region='us-east-1')
t = pq.read_table(a['path'], filesystem=s3)
d = t.to_pydict()
print(json.dumps({'rows': t.num_rows, 'groups': pq.ParquetFile(a['path'], filesystem=s3).metadata.num_row_groups, 'columns': t.column_names,
  'first': [str(d['timestamp'][0]), d['open'][0], d['volume'][0]], 'last': [str(d['timestamp'][999]), d['close'][999], d['volume'][999]], 'volume': sum(d['volume'])}))
`;
    const read = runPythonJson<Record<string, unknown>>(python, script, { endpoint: moto?.endpoint.replace('http://', ''), path: `${BUCKET}/cleaned/MES/v1/data.parquet` });
    expect(read).toEqual({
      rows: 1000,
      groups: 4,
      columns: ['timestamp', 'open', 'high', 'low', 'close', 'volume'],
      first: ['2024-01-02 00:00:00+00:00', 5000, 100],
      last: ['2024-01-02 16:39:00+00:00', 5250.25, 1099],
      volume: 599500,
    });
  }, 60_000);
});
