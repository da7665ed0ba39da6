import fs from 'node:fs/promises';
import type * as AwsS3 from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { CancelledError, MesDataError } from '../errors.js';
import { ioError } from '../store/durableFs.js';
import { assertRange, LocalObjectStore } from './localObjectStore.js';
import { conditionFailed, type ObjectEntry, type ObjectHead, type ObjectStore, type PutCondition, type PutOptions } from './objectStore.js';
import { assertBucketName, checkedKey, checkedListPrefix, type StoreLocation } from './storeUrl.js';

type S3Sdk = typeof AwsS3;

/**
 * The SDK's warning that its releases after January 2027 need Node 22 is about versions we do
 * not run (package.json pins one); on every command's stderr it would only be noise. Set when
 * a store is made (as before the SDK loaded lazily: other clients of this process, a test's,
 * are quiet too) and before the SDK loads.
 */
function quietSdk(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}
let sdkLoad: Promise<S3Sdk> | null = null;
/**
 * The AWS SDK, loaded when a store first talks to a bucket: at the top of every command it was
 * 25–60 ms of each process's start (the command line's, its job thread's), which only the
 * commands on an s3:// store have any use for. Bundled all the same (a dynamic import).
 */
function s3Sdk(): Promise<S3Sdk> {
  quietSdk();
  sdkLoad ??= import('@aws-sdk/client-s3');
  return sdkLoad;
}

/** What the store needs of an S3 client: `send` with an abort signal (a fake in tests). */
export interface S3Sender {
  send(command: unknown, options: { abortSignal: AbortSignal }): Promise<unknown>;
}

interface S3StoreOptions {
  /** Each request's time limit, in milliseconds (default 30,000). */
  timeoutMs?: number;
  /** Attempts per request, the first included (default 4). */
  attempts?: number;
  /** The first pause before a retry, doubled each time, with jitter (default 200 ms). */
  backoffMs?: number;
  /** Credentials to use instead of the SDK's default chain (environment, profiles, SSO, instance roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** A client to use instead of one made from the location (tests). */
  client?: S3Sender;
  /**
   * Objects larger than this many bytes are written in parts (multipart upload); default
   * `MES_DATA_S3_MULTIPART_MIB` MiB when set, else 64 MiB. A write with `ifMatch` is always
   * one PUT (see `put`).
   */
  multipartThreshold?: number;
  /** The size of each part but the last, in bytes: at least 5 MiB (S3's smallest part), default 16 MiB. */
  partSize?: number;
}

const MIB = 1024 * 1024;
/** S3's smallest part (all but the last) and its most parts per upload. */
const MIN_PART = 5 * MIB;
const MAX_PARTS = 10_000;
/** Parts in flight at once: for a file, at most this many parts are in memory. */
const PART_CONCURRENCY = 4;

/** The multipart threshold `MES_DATA_S3_MULTIPART_MIB` names (whole MiB, at least 5), else 64 MiB. */
function thresholdFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.MES_DATA_S3_MULTIPART_MIB;
  if (value === undefined || value.trim() === '') return 64 * MIB;
  if (!/^\d{1,7}$/.test(value.trim()) || Number(value) < 5) {
    throw new MesDataError('BAD_REQUEST', `MES_DATA_S3_MULTIPART_MIB takes a whole number of MiB, at least 5 (S3's smallest part), not "${value}"`, { MES_DATA_S3_MULTIPART_MIB: value });
  }
  return Number(value) * MIB;
}

type S3Location = Extract<StoreLocation, { kind: 's3' }>;

/** Builds the SDK's client for a location: its endpoint with path-style addressing, the region, no retries of its own (the store retries). */
function s3ClientFor(sdk: S3Sdk, location: S3Location, options: S3StoreOptions = {}): S3Client {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new sdk.S3Client({
    ...(location.endpoint !== undefined ? { endpoint: location.endpoint } : {}),
    ...(location.region !== undefined ? { region: location.region } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    forcePathStyle: location.forcePathStyle,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
  });
}

/**
 * A store in `s3://bucket/prefix` on S3 or a compatible service. Every request has a time
 * limit (an AbortSignal); network errors, time-outs, 5xx answers and throttling are retried
 * with exponential backoff, then UNAVAILABLE. Keys are checked and put under the prefix, so
 * no key reaches outside it.
 */
export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3' as const;
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: S3Sender;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly multipartThreshold: number;
  private readonly partSize: number;

  constructor(location: S3Location, options: S3StoreOptions = {}) {
    assertBucketName(location.bucket);
    if (location.prefix !== '') checkedKey(location.prefix.replace(/\/$/, ''), 'the store prefix');
    this.bucket = location.bucket;
    this.prefix = location.prefix;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.attempts = Math.max(1, options.attempts ?? 4);
    this.backoffMs = options.backoffMs ?? 200;
    this.multipartThreshold = options.multipartThreshold ?? thresholdFromEnv();
    this.partSize = Math.max(MIN_PART, options.partSize ?? 16 * MIB);
    quietSdk();
    if (options.client) this.client = options.client;
    else {
      // made on the first request, once the SDK is loaded
      let made: Promise<S3Client> | null = null;
      this.client = { send: async (command, sendOptions) => (await (made ??= s3Sdk().then((sdk) => s3ClientFor(sdk, location, options)))).send(command as never, sendOptions) };
    }
  }

  get location(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }

  private fullKey(key: string): string {
    return this.prefix + checkedKey(key);
  }

  async get(key: string): Promise<Uint8Array> {
    const Key = this.fullKey(key);
    return this.request('get', Key, async (abortSignal) => {
      const answer = (await this.client.send(new (await s3Sdk()).GetObjectCommand({ Bucket: this.bucket, Key }), { abortSignal })) as { Body?: { transformToByteArray(): Promise<Uint8Array> } };
      return answer.Body ? await answer.Body.transformToByteArray() : new Uint8Array(0);
    });
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    assertRange(offset, length, key);
    if (length === 0) return new Uint8Array(0);
    const Key = this.fullKey(key);
    return this.request('read a range of', Key, async (abortSignal) => {
      try {
        const answer = (await this.client.send(new (await s3Sdk()).GetObjectCommand({ Bucket: this.bucket, Key, Range: `bytes=${offset}-${offset + length - 1}` }), { abortSignal })) as {
          Body?: { transformToByteArray(): Promise<Uint8Array> };
        };
        const bytes = answer.Body ? await answer.Body.transformToByteArray() : new Uint8Array(0);
        // a server that ignores Range answers the whole object: cut it here
        return bytes.length > length ? bytes.subarray(offset, offset + length) : bytes;
      } catch (error) {
        // a range starting at or past the end: nothing, as a file read there gives
        if (statusOf(error) === 416) return new Uint8Array(0);
        throw error;
      }
    });
  }

  async head(key: string): Promise<ObjectHead> {
    const Key = this.fullKey(key);
    return this.request('look at', Key, async (abortSignal) => {
      const answer = (await this.client.send(new (await s3Sdk()).HeadObjectCommand({ Bucket: this.bucket, Key }), { abortSignal })) as { ContentLength?: number; ETag?: string; Metadata?: Record<string, string> };
      const sha256 = answer.Metadata?.sha256;
      return { size: answer.ContentLength ?? 0, etag: answer.ETag ?? '', ...(sha256 !== undefined && /^[0-9a-f]{64}$/.test(sha256) ? { sha256 } : {}) };
    });
  }

  async tail(key: string, length: number): Promise<ObjectHead & { bytes: Uint8Array }> {
    assertRange(0, length, key);
    if (length === 0) return { ...(await this.head(key)), bytes: new Uint8Array(0) };
    const Key = this.fullKey(key);
    return this.request('read the end of', Key, async (abortSignal) => {
      const answer = await this.client.send(new (await s3Sdk()).GetObjectCommand({ Bucket: this.bucket, Key, Range: `bytes=-${length}` }), { abortSignal }).catch(async (error: unknown) => {
        // an empty object has no last bytes (416): its size and etag alone
        if (statusOf(error) !== 416) throw error;
        const head = (await this.client.send(new (await s3Sdk()).HeadObjectCommand({ Bucket: this.bucket, Key }), { abortSignal })) as { ETag?: string };
        return { ContentRange: 'bytes */0', ETag: head.ETag };
      });
      const typed = answer as {
        Body?: { transformToByteArray(): Promise<Uint8Array> };
        ContentRange?: string;
        ContentLength?: number;
        ETag?: string;
      };
      const bytes = typed.Body ? await typed.Body.transformToByteArray() : new Uint8Array(0);
      // "bytes 100-199/200"; a server that ignores Range answers the whole object
      const total = /\/(\d+)$/.exec(typed.ContentRange ?? '')?.[1];
      const size = total !== undefined ? Number(total) : bytes.length;
      return { size, etag: typed.ETag ?? '', bytes: bytes.length > length ? bytes.subarray(bytes.length - length) : bytes };
    });
  }

  async list(prefix: string): Promise<ObjectEntry[]> {
    const Prefix = this.prefix + checkedListPrefix(prefix);
    const entries: ObjectEntry[] = [];
    let token: string | undefined;
    do {
      const page = await this.request('list', Prefix, async (abortSignal) => {
        return (await this.client.send(new (await s3Sdk()).ListObjectsV2Command({ Bucket: this.bucket, Prefix, ContinuationToken: token }), { abortSignal })) as {
          Contents?: { Key?: string; Size?: number; ETag?: string; LastModified?: Date }[];
          IsTruncated?: boolean;
          NextContinuationToken?: string;
        };
      });
      for (const item of page.Contents ?? []) {
        if (item.Key === undefined || !item.Key.startsWith(this.prefix)) continue;
        const modifiedMs = item.LastModified instanceof Date ? item.LastModified.getTime() : undefined;
        entries.push({ key: item.Key.slice(this.prefix.length), size: item.Size ?? 0, etag: item.ETag ?? '', ...(modifiedMs !== undefined && Number.isFinite(modifiedMs) ? { modifiedMs } : {}) });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return entries;
  }

  /**
   * Writes the object. One PUT up to the multipart threshold; above it a multipart upload of
   * slices of `bytes`, completed with `If-None-Match: *` when the condition is that, and
   * aborted on any error or on `signal` (no upload is left behind). A write with `ifMatch` is
   * one PUT whatever its size: the pointers it is used for are small, and not every service
   * honours `If-Match` on CompleteMultipartUpload (moto 5.2.1 ignores it).
   */
  async put(key: string, bytes: Uint8Array, condition?: PutCondition, options: PutOptions = {}): Promise<{ etag: string }> {
    const Key = this.fullKey(key);
    if (this.multiparts(bytes.length, condition)) {
      return this.multipart(key, Key, bytes.length, (offset, length) => Promise.resolve(bytes.subarray(offset, offset + length)), condition, options);
    }
    return this.putOnce(key, Key, bytes, condition, options);
  }

  /**
   * Writes the object from `file`: above the multipart threshold in parts read from the file
   * as they are sent (at most four parts in memory), else read and sent in one PUT. IO_ERROR
   * naming the file when it cannot be read; a file that changes size while it is sent is
   * IO_ERROR too, and its upload is aborted.
   */
  async putFile(key: string, file: string, condition?: PutCondition, options: PutOptions = {}): Promise<{ etag: string }> {
    const Key = this.fullKey(key);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'r');
    } catch (error) {
      throw ioError('read', file, error);
    }
    try {
      const size = (await handle.stat()).size;
      if (!this.multiparts(size, condition)) {
        const bytes = await handle.readFile().catch((error: unknown) => {
          throw ioError('read', file, error);
        });
        return await this.putOnce(key, Key, bytes, condition, options);
      }
      const read = async (offset: number, length: number): Promise<Uint8Array> => {
        const buffer = Buffer.allocUnsafe(length);
        let done = 0;
        while (done < length) {
          const { bytesRead } = await handle.read(buffer, done, length - done, offset + done).catch((error: unknown) => {
            throw ioError('read', file, error);
          });
          if (bytesRead === 0) throw new MesDataError('IO_ERROR', `${file} became shorter while it was uploaded to s3://${this.bucket}/${Key} (${offset + done} of ${size} bytes)`, { file, bucket: this.bucket, key: Key, size });
          done += bytesRead;
        }
        return buffer;
      };
      return await this.multipart(key, Key, size, read, condition, options);
    } finally {
      await handle.close();
    }
  }

  private multiparts(size: number, condition?: PutCondition): boolean {
    return size > this.multipartThreshold && !(condition !== undefined && 'ifMatch' in condition);
  }

  private async putOnce(key: string, Key: string, bytes: Uint8Array, condition: PutCondition | undefined, options: PutOptions): Promise<{ etag: string }> {
    const input = {
      Bucket: this.bucket,
      Key,
      Body: bytes,
      ContentLength: bytes.length,
      ...(options.sha256 !== undefined ? { Metadata: { sha256: options.sha256 } } : {}),
      ...(condition && 'ifNoneMatch' in condition ? { IfNoneMatch: '*' } : {}),
      ...(condition && 'ifMatch' in condition ? { IfMatch: condition.ifMatch } : {}),
    };
    if (options.signal?.aborted) throw cancelled(this.location, key);
    try {
      return await this.request('write', Key, async (abortSignal) => {
        const answer = (await this.client.send(new (await s3Sdk()).PutObjectCommand(input), { abortSignal })) as { ETag?: string };
        return { etag: answer.ETag ?? '' };
      });
    } catch (error) {
      throw this.conditionError(error, key, Key, condition);
    }
  }

  /**
   * A multipart upload of `size` bytes, part `i` read by `partAt(offset, length)`: created,
   * parts sent four at a time (each with the time limit and retries of any request), then
   * completed (`If-None-Match: *` when asked). Any failure or a cancel aborts the upload
   * (AbortMultipartUpload) once every part in flight has settled, then throws.
   */
  private async multipart(
    key: string,
    Key: string,
    size: number,
    partAt: (offset: number, length: number) => Promise<Uint8Array>,
    condition: PutCondition | undefined,
    options: PutOptions,
  ): Promise<{ etag: string }> {
    const partSize = Math.max(this.partSize, Math.ceil(size / MAX_PARTS));
    const count = Math.ceil(size / partSize);
    if (options.signal?.aborted) throw cancelled(this.location, key);
    const created = await this.request('start an upload of', Key, async (abortSignal) => {
      return (await this.client.send(new (await s3Sdk()).CreateMultipartUploadCommand({ Bucket: this.bucket, Key, ...(options.sha256 !== undefined ? { Metadata: { sha256: options.sha256 } } : {}) }), { abortSignal })) as {
        UploadId?: string;
      };
    });
    const UploadId = created.UploadId;
    if (UploadId === undefined || UploadId === '') throw new MesDataError('IO_ERROR', `cannot write s3://${this.bucket}/${Key}: the service started an upload without an UploadId`, { bucket: this.bucket, key: Key });
    try {
      const parts: { PartNumber: number; ETag?: string; ChecksumCRC32?: string }[] = [];
      let next = 0;
      let failed = false;
      const worker = async (): Promise<void> => {
        while (!failed) {
          const index = next++;
          if (index >= count) return;
          if (options.signal?.aborted) throw cancelled(this.location, key);
          const body = await partAt(index * partSize, Math.min(partSize, size - index * partSize));
          const PartNumber = index + 1;
          const answer = await this.request(`write part ${PartNumber} of ${count} of`, Key, async (abortSignal) => {
            return (await this.client.send(new (await s3Sdk()).UploadPartCommand({ Bucket: this.bucket, Key, UploadId, PartNumber, Body: body, ContentLength: body.length }), { abortSignal })) as {
              ETag?: string;
              ChecksumCRC32?: string;
            };
          });
          parts[index] = { PartNumber, ETag: answer.ETag, ...(answer.ChecksumCRC32 !== undefined ? { ChecksumCRC32: answer.ChecksumCRC32 } : {}) };
        }
      };
      const settled = await Promise.allSettled(
        Array.from({ length: Math.min(PART_CONCURRENCY, count) }, () =>
          worker().catch((error: unknown) => {
            failed = true;
            throw error;
          }),
        ),
      );
      const rejected = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      if (rejected !== undefined) throw rejected.reason;
      if (options.signal?.aborted) throw cancelled(this.location, key);
      const done = await this.request('complete the upload of', Key, async (abortSignal) => {
        return (await this.client.send(
          new (await s3Sdk()).CompleteMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId, MultipartUpload: { Parts: parts }, ...(condition && 'ifNoneMatch' in condition ? { IfNoneMatch: '*' } : {}) }),
          { abortSignal },
        )) as { ETag?: string };
      });
      return { etag: done.ETag ?? '' };
    } catch (error) {
      // nothing of a failed or cancelled upload stays: its parts are dropped (best effort; a service keeps an unaborted one until its lifecycle rule)
      await this.request('abort the upload of', Key, async (abortSignal) => {
        await this.client.send(new (await s3Sdk()).AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId }), { abortSignal });
      }).catch(() => undefined);
      throw this.conditionError(error, key, Key, condition);
    }
  }

  /** A failed conditional write as the conflict it is (LOCKED, commit-conflict); any other error as it is. */
  private conditionError(error: unknown, key: string, Key: string, condition: PutCondition | undefined): unknown {
    // 412 Precondition Failed (and 409 ConditionalRequestConflict, a concurrent conditional write)
    if (condition && error instanceof MesDataError && error.details.status !== undefined && (error.details.status === 412 || error.details.status === 409)) {
      return conditionFailed(this.location, key, condition, { bucket: this.bucket, fullKey: Key, status: error.details.status });
    }
    // If-Match on a key that is gone (S3 answers 404): the object it expected was removed, a conflict as well
    if (condition && 'ifMatch' in condition && error instanceof MesDataError && error.code === 'NOT_FOUND' && error.details.reason === 'no-such-key') {
      return conditionFailed(this.location, key, condition, { bucket: this.bucket, fullKey: Key, status: 404, found: null });
    }
    return error;
  }

  async delete(key: string): Promise<void> {
    const Key = this.fullKey(key);
    await this.request('remove', Key, async (abortSignal) => {
      await this.client.send(new (await s3Sdk()).DeleteObjectCommand({ Bucket: this.bucket, Key }), { abortSignal });
    });
  }

  /** Runs one request with a time limit per attempt and retries; every failure becomes a typed error naming the bucket and key. */
  private async request<T>(action: string, fullKey: string, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
    let last: unknown;
    for (let tried = 1; ; tried++) {
      const signal = AbortSignal.timeout(this.timeoutMs);
      try {
        return await raceAbort(attempt(signal), signal);
      } catch (error) {
        last = error;
        if (!isRetryable(error) || tried >= this.attempts) break;
        const pause = this.backoffMs * 2 ** (tried - 1) * (0.5 + Math.random() / 2);
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
    throw s3Error(last, { action, bucket: this.bucket, key: fullKey, attempts: this.attempts, timeoutMs: this.timeoutMs });
  }
}

function cancelled(location: string, key: string): CancelledError {
  return new CancelledError(`writing ${key} to ${location} was cancelled; nothing of it was kept`, { key });
}

/** Ends with the signal's reason when the attempt ignores it (a client that does not honour aborts must not hang us). */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

function statusOf(error: unknown): number | undefined {
  return (error as SdkErrorShape | undefined)?.$metadata?.httpStatusCode;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'UND_ERR_SOCKET']);
const THROTTLING = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestTimeout', 'RequestTimeTooSkewed', 'InternalError', 'ServiceUnavailable']);

function isNetworkError(error: unknown): boolean {
  const shape = error as SdkErrorShape | undefined;
  const name = shape?.name ?? '';
  return name === 'TimeoutError' || name === 'AbortError' || NETWORK_CODES.has(shape?.code ?? '') || NETWORK_CODES.has(name) || (statusOf(error) === undefined && /socket hang up|ECONNRESET|ECONNREFUSED|timed? ?out/i.test(shape?.message ?? ''));
}

function isRetryable(error: unknown): boolean {
  if (error instanceof MesDataError) return false;
  const status = statusOf(error);
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  if (THROTTLING.has((error as SdkErrorShape | undefined)?.name ?? '')) return true;
  return isNetworkError(error);
}

/** An SDK error (or a time-out) as a `MesDataError` naming the bucket and key. */
function s3Error(error: unknown, where: { action: string; bucket: string; key: string; attempts: number; timeoutMs: number }): MesDataError {
  if (error instanceof MesDataError) return error;
  const shape = (error ?? {}) as SdkErrorShape;
  const name = shape.name ?? 'Error';
  const status = statusOf(error);
  const object = `s3://${where.bucket}/${where.key}`;
  const details = { bucket: where.bucket, key: where.key, status: status ?? null, sdkError: name };
  if (name === 'CredentialsProviderError' || /could not load credentials|credential is missing/i.test(shape.message ?? '')) {
    return new MesDataError('FORBIDDEN', `cannot ${where.action} ${object}: no credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE): ${shape.message ?? name}`, { ...details, reason: 'no-credentials' });
  }
  if (name === 'NoSuchBucket') return new MesDataError('NOT_FOUND', `cannot ${where.action} ${object}: no bucket ${where.bucket}`, { ...details, reason: 'no-such-bucket' });
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) return new MesDataError('NOT_FOUND', `cannot ${where.action} ${object}: no such key ${where.key} in bucket ${where.bucket}`, { ...details, reason: 'no-such-key' });
  if (name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch' || name === 'ExpiredToken' || name === 'InvalidToken') {
    return new MesDataError('FORBIDDEN', `cannot ${where.action} ${object}: the credentials were refused (${name})`, { ...details, reason: 'bad-credentials' });
  }
  if (name === 'AccessDenied' || status === 403) return new MesDataError('FORBIDDEN', `cannot ${where.action} ${object}: access denied (403)`, { ...details, reason: 'access-denied' });
  if (isRetryable(error)) {
    const what = name === 'TimeoutError' || name === 'AbortError' ? `no answer within ${where.timeoutMs} ms` : status !== undefined ? `HTTP ${status} ${name}` : `${name}: ${shape.message ?? ''}`;
    return new MesDataError('UNAVAILABLE', `cannot ${where.action} ${object}: ${what}, after ${where.attempts} attempts`, { ...details, attempts: where.attempts, timeoutMs: where.timeoutMs, reason: 'unavailable' });
  }
  return new MesDataError('IO_ERROR', `cannot ${where.action} ${object}: ${status !== undefined ? `HTTP ${status} ` : ''}${name}: ${shape.message ?? ''}`, details);
}

/** The store a location names: a local folder or a bucket. */
export function openObjectStore(location: StoreLocation, options: S3StoreOptions = {}): ObjectStore {
  if (location.kind === 'local') return new LocalObjectStore(location.root);
  return new S3ObjectStore(location, options);
}
