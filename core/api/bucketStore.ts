import { createHash } from 'node:crypto';
import { LockedError, MesDataError } from '../errors.js';
import { initStore } from '../store/openStore.js';
import { openObjectStore } from '../objectStore/s3ObjectStore.js';
import { parseStoreUrl } from '../objectStore/storeUrl.js';
import { cacheFolderFor, openWorkingCopy, planBucketGc, publishWorkingCopy, type WorkingCopy } from '../objectStore/workingCopy.js';
import { isStoreObject } from '../sync/syncStores.js';
import type { JobKind, JobProgress, JobResult } from './contract.js';

/**
 * A window's store in a bucket (`s3://bucket/prefix`), for the app and the browser mode:
 * the host reads the store's working copy (core/objectStore/workingCopy.ts, the folder the
 * command line works on too), pulled when the store is opened and again when the tree is
 * refreshed and after each writer job; each writer job pulls, runs on the copy and
 * publishes in its own thread or process (`runOnBucket`), with the command line's one retry.
 * The endpoint and credentials are this machine's AWS environment: nothing of them reaches
 * a page (`app.info` gives the URL only).
 */

/** True for a store URL of a bucket (`s3://…`): what the window hosts open through a working copy. */
export function isBucketUrl(value: string): boolean {
  return /^s3:\/\//i.test(value.trim());
}

/** Where a bucket's store is worked on: its bucket and the cache folder of its working copy. */
function bucketPlace(url: string): { remote: WorkingCopy['remote']; cacheDir: string } {
  const location = parseStoreUrl(url);
  if (location.kind !== 's3') throw new MesDataError('BAD_REQUEST', `${url} is not an s3:// store`, { store: url });
  return { remote: openObjectStore(location), cacheDir: cacheFolderFor(location) };
}

/** One hash of keys and their etags, in key order. */
function signatureOf(entries: Iterable<[string, string]>): string {
  const hash = createHash('sha256');
  for (const [key, etag] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) hash.update(`${key}\0${etag}\n`);
  return hash.digest('hex');
}

/** What the bucket held at a pull, as one hash of every key and etag: two pulls that give the same changed nothing. */
function baseSignature(copy: WorkingCopy): string {
  return signatureOf([...copy.base].map(([key, entry]) => [key, entry.etag]));
}

/**
 * What the bucket holds now, as `BucketPull.signature` would give it after a pull: one
 * listing, nothing read or written (the check a refresh makes before it pulls).
 */
export async function bucketSignature(url: string): Promise<string> {
  const { remote } = bucketPlace(url);
  return signatureOf((await remote.list('')).filter((entry) => isStoreObject(entry.key)).map((entry) => [entry.key, entry.etag]));
}

/** A pull of a bucket's store into its working copy. */
interface BucketPull {
  /** the store URL as given (trimmed) */
  url: string;
  /** the working copy: the store folder the host opens */
  storeDir: string;
  /** what the bucket held (see baseSignature) */
  signature: string;
  /** objects copied into the working copy by this pull */
  copied: number;
}

/**
 * Pulls the bucket's store into its working copy and lets go of the copy's lock at once
 * (the host reads the folder; writers take the lock again). `create`: a prefix that holds
 * no store gets a new one, made in the copy and published (`store.init`). LOCKED when
 * another command of this machine holds the copy longer than `lockWaitMs`; the bucket's own
 * errors (no bucket, no credentials, access denied, unavailable) as the object store gives them.
 */
export async function pullBucket(url: string, options: { lockWaitMs?: number; create?: boolean } = {}): Promise<BucketPull & { created: boolean }> {
  const { remote, cacheDir } = bucketPlace(url);
  const copy = await openWorkingCopy(remote, cacheDir, { lockWaitMs: options.lockWaitMs, emptyIsNew: options.create === true });
  try {
    let created = false;
    if (options.create === true) {
      created = (await initStore(copy.storeDir)).created;
      if (created) await publishWorkingCopy(copy, { removals: 'replaced-metadata' });
    }
    return { url: url.trim(), storeDir: copy.storeDir, signature: created ? '' : baseSignature(copy), copied: copy.pulled.copied, created };
  } finally {
    await copy.release();
  }
}

/** Job kinds that write a store: on a bucket they run on a fresh pull and publish what they changed. */
const BUCKET_WRITERS: ReadonlySet<JobKind> = new Set(['ingest', 'promote', 'features', 'gc']);

/** Whether a job of `kind` on a bucket's store pulls, runs on the copy and publishes (`runOnBucket`). */
export function publishesOnBucket(kind: JobKind): boolean {
  return BUCKET_WRITERS.has(kind);
}

const isCommitConflict = (error: unknown): boolean => error instanceof LockedError && error.details.reason === 'commit-conflict';

/**
 * A writer job on a bucket's store, as the command line runs a writing command on one: the
 * working copy is pulled (under its lock, held to the end), `run` works on it, and what it
 * changed is published with conditional writes. When another writer published first (LOCKED,
 * reason commit-conflict) the copy is pulled again and `run` runs once more on the new state
 * from scratch; a second conflict is the job's error. The result is returned only once the
 * publish has succeeded. What a failed or cancelled run left in the copy is taken away by the
 * next pull (the host pulls after every writer job).
 */
export async function runOnBucket(
  url: string,
  kind: JobKind,
  ctx: { signal: AbortSignal; progress: (update: JobProgress) => void },
  run: (storeRoot: string) => Promise<JobResult>,
): Promise<JobResult> {
  const { remote, cacheDir } = bucketPlace(url);
  for (let attempt = 1; ; attempt++) {
    ctx.progress({ fraction: null, rows: null, bytes: null, stage: attempt === 1 ? `pulling ${remote.location}` : `another writer published first: pulling ${remote.location} again` });
    const copy = await openWorkingCopy(remote, cacheDir, { repair: true, signal: ctx.signal });
    try {
      // gc: what nothing committed names stays in the bucket until older than the grace period, since a writer may be publishing it (core/objectStore/bucketGc.ts)
      const gc = kind === 'gc' ? await planBucketGc(copy) : null;
      const ran = await run(copy.storeDir);
      const result = gc !== null ? gc.onBucket(ran as JobResult<'gc'>) : ran;
      ctx.progress({ fraction: null, rows: null, bytes: null, stage: `publishing to ${remote.location}` });
      await publishWorkingCopy(copy, { removals: kind === 'gc' ? 'all' : 'replaced-metadata', ...(gc !== null ? { removable: (keys: readonly string[]) => gc.removable(keys).remove } : {}) });
      return result;
    } catch (error) {
      if (attempt === 1 && isCommitConflict(error) && !ctx.signal.aborted) continue;
      throw error;
    } finally {
      await copy.release();
    }
  }
}
