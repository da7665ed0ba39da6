/**
 * Large objects go to a bucket in parts (multipart upload), against a real moto_server with
 * a small threshold (6 MiB, parts of 5 MiB): the object read back is the bytes written, its
 * SHA-256 is kept, `If-None-Match: *` holds on the whole object (a second writer of the key is
 * LOCKED commit-conflict), a file is sent part by part from the disk, and a failed or
 * cancelled upload is aborted: no upload is left in the bucket and no object appears.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ListMultipartUploadsCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MesDataError } from '../../../core/errors.js';
import { S3ObjectStore, type S3Sender } from '../../../core/objectStore/s3ObjectStore.js';
import { parseStoreUrl } from '../../../core/objectStore/storeUrl.js';
import { MOTO_CREDENTIALS, skipWithoutMoto, startMoto, type MotoServer } from '../../helpers/motoServer.js';

const BUCKET = 'mes-multipart';
const MIB = 1024 * 1024;
let moto: MotoServer | null = null;
let tmp = '';

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-multipart-'));
  moto = await startMoto();
  if (moto) await moto.createBucket(BUCKET);
}, 60_000);

afterAll(async () => {
  await moto?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Bytes whose every 4 bytes differ (a part sent twice or out of order would show). */
function pattern(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  for (let at = 0; at + 4 <= size; at += 4) view.setUint32(at, (at / 4) * 2654435761 + seed);
  return bytes;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The store on moto with a 6 MiB threshold and 5 MiB parts; `wrap` sees (and may refuse) every command the store sends. */
function store(prefix: string, wrap?: (command: unknown, send: () => Promise<unknown>) => Promise<unknown>): S3ObjectStore {
  if (!moto) throw new Error('moto_server is not running');
  const location = parseStoreUrl(`s3://${BUCKET}/${prefix}`, { AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: 'us-east-1' });
  if (location.kind !== 's3') throw new Error('expected an s3 location');
  const real = new S3Client({ endpoint: moto.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: MOTO_CREDENTIALS, maxAttempts: 1 });
  const client: S3Sender = {
    send: (command, options) => (wrap ? wrap(command, () => real.send(command as never, options)) : real.send(command as never, options)),
  };
  return new S3ObjectStore(location, { client, timeoutMs: 20_000, attempts: 2, backoffMs: 20, multipartThreshold: 6 * MIB, partSize: 5 * MIB });
}

async function uploadsLeft(): Promise<string[]> {
  if (!moto) throw new Error('moto_server is not running');
  const answer = await moto.client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }));
  return (answer.Uploads ?? []).map((upload) => String(upload.Key));
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

describe('multipart upload of large objects to a bucket (moto_server)', () => {
  it('an object over the threshold goes in parts, If-None-Match: * on the whole object; a second writer is LOCKED; no upload stays', async (context) => {
    skipWithoutMoto(context);
    const sent: string[] = [];
    const s3 = store('whole', (command, send) => {
      sent.push(`${(command as object).constructor.name}${command instanceof UploadPartCommand ? ` ${command.input.PartNumber} ${String(command.input.ContentLength)}` : ''}`);
      return send();
    });
    const bytes = pattern(12 * MIB + 3, 1);
    const written = await s3.put('cleaned/MES/data/big.parquet', bytes, { ifNoneMatch: '*' }, { sha256: sha256(bytes) });
    // three parts of 5, 5 and 2 MiB + 3 bytes, sent at once, in any order
    expect(sent[0]).toBe('CreateMultipartUploadCommand');
    expect(sent.slice(1, 4).sort()).toEqual([`UploadPartCommand 1 ${5 * MIB}`, `UploadPartCommand 2 ${5 * MIB}`, `UploadPartCommand 3 ${2 * MIB + 3}`]);
    expect(sent.slice(4)).toEqual(['CompleteMultipartUploadCommand']);
    // a multipart etag: the MD5 of the parts' MD5s, then the number of parts
    expect(written.etag).toMatch(/^"[0-9a-f]{32}-3"$/);
    const back = await s3.get('cleaned/MES/data/big.parquet');
    expect(back.length).toBe(bytes.length);
    expect(sha256(back)).toBe(sha256(bytes));
    expect(await s3.head('cleaned/MES/data/big.parquet')).toEqual({ size: 12 * MIB + 3, etag: written.etag, sha256: sha256(bytes) });

    // another writer of the same key loses at CompleteMultipartUpload (moto 5.2.1 answers 412), its upload aborted
    const other = pattern(7 * MIB, 2);
    const lost = await failure(store('whole').put('cleaned/MES/data/big.parquet', other, { ifNoneMatch: '*' }));
    expect([lost.code, lost.details.reason, lost.details.status, lost.details.fullKey]).toEqual(['LOCKED', 'commit-conflict', 412, 'whole/cleaned/MES/data/big.parquet']);
    expect(lost.message).toBe(
      `conditional write of cleaned/MES/data/big.parquet in s3://${BUCKET}/whole/ refused: expected no object with that key (If-None-Match: *), another writer changed it first; read it again and retry`,
    );
    expect(sha256(await s3.get('cleaned/MES/data/big.parquet'))).toBe(sha256(bytes));
    expect(await uploadsLeft()).toEqual([]);
  }, 120_000);

  it('If-Match is one PUT whatever the size (moto ignores it on CompleteMultipartUpload); under the threshold one PUT too', async (context) => {
    skipWithoutMoto(context);
    const sent: string[] = [];
    const s3 = store('match', (command, send) => {
      sent.push((command as object).constructor.name);
      return send();
    });
    const first = await s3.put('version-hint.text', pattern(7 * MIB, 3));
    expect(first.etag).toMatch(/-2"$/);
    const replaced = await s3.put('version-hint.text', pattern(7 * MIB, 4), { ifMatch: first.etag });
    // a plain MD5: one PutObject
    expect(replaced.etag).toMatch(/^"[0-9a-f]{32}"$/);
    const refused = await failure(s3.put('version-hint.text', pattern(7 * MIB, 5), { ifMatch: first.etag }));
    expect([refused.code, refused.details.reason, refused.details.status]).toEqual(['LOCKED', 'commit-conflict', 412]);
    await s3.put('small.json', pattern(6 * MIB, 6), { ifNoneMatch: '*' });
    expect(sent).toEqual([
      'CreateMultipartUploadCommand',
      'UploadPartCommand',
      'UploadPartCommand',
      'CompleteMultipartUploadCommand',
      'PutObjectCommand',
      'PutObjectCommand',
      'PutObjectCommand',
    ]);
    expect(sha256(await s3.get('version-hint.text'))).toBe(sha256(pattern(7 * MIB, 4)));
  }, 120_000);

  it('putFile sends a large file part by part from the disk, each part read when it is sent', async (context) => {
    skipWithoutMoto(context);
    const bytes = pattern(11 * MIB + 17, 7);
    const file = path.join(tmp, 'big.bin');
    fs.writeFileSync(file, bytes);
    const bodies: number[] = [];
    const s3 = store('file', (command, send) => {
      if (command instanceof UploadPartCommand) bodies.push((command.input.Body as Uint8Array).length);
      return send();
    });
    const written = await s3.putFile('raw/MES/2024-01-02/big.parquet', file, { ifNoneMatch: '*' }, { sha256: sha256(bytes) });
    expect(written.etag).toMatch(/-3"$/);
    expect(bodies.sort((a, b) => a - b)).toEqual([MIB + 17, 5 * MIB, 5 * MIB]);
    expect(sha256(await s3.get('raw/MES/2024-01-02/big.parquet'))).toBe(sha256(bytes));
    expect((await s3.head('raw/MES/2024-01-02/big.parquet')).sha256).toBe(sha256(bytes));
    // a small file: one PUT of its bytes
    const small = path.join(tmp, 'small.bin');
    fs.writeFileSync(small, pattern(1000, 8));
    expect((await s3.putFile('small.bin', small)).etag).toBe(`"${createHash('md5').update(pattern(1000, 8)).digest('hex')}"`);
    const missing = await failure(s3.putFile('none.bin', path.join(tmp, 'none.bin')));
    expect([missing.code, missing.message.includes(path.join(tmp, 'none.bin'))]).toEqual(['IO_ERROR', true]);
  }, 120_000);

  it('a part refused, or a cancel midway, aborts the upload: no upload stays and no object appears', async (context) => {
    skipWithoutMoto(context);
    const refusing = store('abort', async (command, send) => {
      if (command instanceof UploadPartCommand && command.input.PartNumber === 2) throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
      return send();
    });
    const refused = await failure(refusing.put('cleaned/MES/data/a.parquet', pattern(12 * MIB, 9), { ifNoneMatch: '*' }));
    expect([refused.code, refused.details.reason, refused.details.key]).toEqual(['FORBIDDEN', 'access-denied', 'abort/cleaned/MES/data/a.parquet']);
    expect(refused.message).toBe(`cannot write part 2 of 3 of s3://${BUCKET}/abort/cleaned/MES/data/a.parquet: access denied (403)`);
    expect(await uploadsLeft()).toEqual([]);
    expect((await store('abort').list('')).map((entry) => entry.key)).toEqual([]);

    // cancelled once the first part is sent
    const controller = new AbortController();
    let aborted = 0;
    const cancelling = store('abort', async (command, send) => {
      const answer = await send();
      if (command instanceof UploadPartCommand) controller.abort();
      if ((command as object).constructor.name === 'AbortMultipartUploadCommand') aborted++;
      return answer;
    });
    const file = path.join(tmp, 'cancel.bin');
    fs.writeFileSync(file, pattern(16 * MIB, 10));
    const cancelled = await failure(cancelling.putFile('cleaned/MES/data/b.parquet', file, { ifNoneMatch: '*' }, { signal: controller.signal }));
    expect([cancelled.code, cancelled.message]).toEqual(['CANCELLED', `writing cleaned/MES/data/b.parquet to s3://${BUCKET}/abort/ was cancelled; nothing of it was kept`]);
    expect(aborted).toBe(1);
    expect(await uploadsLeft()).toEqual([]);
    expect((await store('abort').list('')).map((entry) => entry.key)).toEqual([]);
  }, 120_000);

  it('the listing gives each object the moment it was written, by the server clock', async (context) => {
    skipWithoutMoto(context);
    const s3 = store('when');
    const before = Date.now();
    await s3.put('a.json', new TextEncoder().encode('{}'));
    const [entry] = await s3.list('');
    // S3 gives whole seconds
    expect(entry.key).toBe('a.json');
    expect(entry.modifiedMs ?? 0).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 2000);
    expect(entry.modifiedMs ?? Infinity).toBeLessThanOrEqual(Date.now() + 2000);
    expect((entry.modifiedMs ?? 1) % 1000).toBe(0);
  }, 60_000);
});
