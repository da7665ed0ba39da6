import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { MesDataError } from '../errors.js';
import { assertRange, LocalObjectStore } from './localObjectStore.js';
import { conditionFailed, type ObjectEntry, type ObjectHead, type ObjectStore, type PutCondition } from './objectStore.js';
import { assertBucketName, checkedKey, checkedListPrefix, type StoreLocation } from './storeUrl.js';

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
}

type S3Location = Extract<StoreLocation, { kind: 's3' }>;

/** Builds the SDK's client for a location: its endpoint with path-style addressing, the region, no retries of its own (the store retries). */
function s3ClientFor(location: S3Location, options: S3StoreOptions = {}): S3Client {
  const timeoutMs = options.timeoutMs ?? 30_000;
  // the SDK's warning that its releases after January 2027 need Node 22 is about versions we
  // do not run (package.json pins one); on every command's stderr it would only be noise
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return new S3Client({
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

  constructor(location: S3Location, options: S3StoreOptions = {}) {
    assertBucketName(location.bucket);
    if (location.prefix !== '') checkedKey(location.prefix.replace(/\/$/, ''), 'the store prefix');
    this.bucket = location.bucket;
    this.prefix = location.prefix;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.attempts = Math.max(1, options.attempts ?? 4);
    this.backoffMs = options.backoffMs ?? 200;
    this.client = options.client ?? s3ClientFor(location, options);
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
      const answer = (await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }), { abortSignal })) as { Body?: { transformToByteArray(): Promise<Uint8Array> } };
      return answer.Body ? await answer.Body.transformToByteArray() : new Uint8Array(0);
    });
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    assertRange(offset, length, key);
    if (length === 0) return new Uint8Array(0);
    const Key = this.fullKey(key);
    return this.request('read a range of', Key, async (abortSignal) => {
      try {
        const answer = (await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key, Range: `bytes=${offset}-${offset + length - 1}` }), { abortSignal })) as {
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
      const answer = (await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }), { abortSignal })) as { ContentLength?: number; ETag?: string; Metadata?: Record<string, string> };
      const sha256 = answer.Metadata?.sha256;
      return { size: answer.ContentLength ?? 0, etag: answer.ETag ?? '', ...(sha256 !== undefined && /^[0-9a-f]{64}$/.test(sha256) ? { sha256 } : {}) };
    });
  }

  async tail(key: string, length: number): Promise<ObjectHead & { bytes: Uint8Array }> {
    assertRange(0, length, key);
    if (length === 0) return { ...(await this.head(key)), bytes: new Uint8Array(0) };
    const Key = this.fullKey(key);
    return this.request('read the end of', Key, async (abortSignal) => {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key, Range: `bytes=-${length}` }), { abortSignal }).catch(async (error: unknown) => {
        // an empty object has no last bytes (416): its size and etag alone
        if (statusOf(error) !== 416) throw error;
        const head = (await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }), { abortSignal })) as { ETag?: string };
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
        return (await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix, ContinuationToken: token }), { abortSignal })) as {
          Contents?: { Key?: string; Size?: number; ETag?: string }[];
          IsTruncated?: boolean;
          NextContinuationToken?: string;
        };
      });
      for (const item of page.Contents ?? []) {
        if (item.Key === undefined || !item.Key.startsWith(this.prefix)) continue;
        entries.push({ key: item.Key.slice(this.prefix.length), size: item.Size ?? 0, etag: item.ETag ?? '' });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return entries;
  }

  async put(key: string, bytes: Uint8Array, condition?: PutCondition, options: { sha256?: string } = {}): Promise<{ etag: string }> {
    const Key = this.fullKey(key);
    const input = {
      Bucket: this.bucket,
      Key,
      Body: bytes,
      ContentLength: bytes.length,
      ...(options.sha256 !== undefined ? { Metadata: { sha256: options.sha256 } } : {}),
      ...(condition && 'ifNoneMatch' in condition ? { IfNoneMatch: '*' } : {}),
      ...(condition && 'ifMatch' in condition ? { IfMatch: condition.ifMatch } : {}),
    };
    try {
      return await this.request('write', Key, async (abortSignal) => {
        const answer = (await this.client.send(new PutObjectCommand(input), { abortSignal })) as { ETag?: string };
        return { etag: answer.ETag ?? '' };
      });
    } catch (error) {
      // 412 Precondition Failed (and 409 ConditionalRequestConflict, a concurrent conditional write)
      if (condition && error instanceof MesDataError && error.details.status !== undefined && (error.details.status === 412 || error.details.status === 409)) {
        throw conditionFailed(this.location, key, condition, { bucket: this.bucket, fullKey: Key, status: error.details.status });
      }
      // If-Match on a key that is gone (S3 answers 404): the object it expected was removed, a conflict as well
      if (condition && 'ifMatch' in condition && error instanceof MesDataError && error.code === 'NOT_FOUND' && error.details.reason === 'no-such-key') {
        throw conditionFailed(this.location, key, condition, { bucket: this.bucket, fullKey: Key, status: 404, found: null });
      }
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    const Key = this.fullKey(key);
    await this.request('remove', Key, async (abortSignal) => {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }), { abortSignal });
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
