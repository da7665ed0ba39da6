import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { JobResult } from '../api/contract.js';
import { AlreadyExistsError, BadRequestError, CancelledError, CorruptedFileError, MesDataError, NotFoundError, UnsupportedFileError } from '../errors.js';
import { LocalObjectStore } from '../objectStore/localObjectStore.js';
import type { ObjectEntry, ObjectStore } from '../objectStore/objectStore.js';
import { S3ObjectStore } from '../objectStore/s3ObjectStore.js';
import { checkedKey } from '../objectStore/storeUrl.js';
import { VERSION_HINT } from '../iceberg/tableCommit.js';
import { LISTS_DIR } from '../store/sidecarLists.js';
import { RAW_SUPERSEDED_DIR, STORE_FORMAT_VERSION, STORE_MARKER } from '../store/storeLayout.js';
import { openStore } from '../store/openStore.js';
import { acquireStoreLock, type StoreLock } from '../store/storeLock.js';
import { recoverVersions } from '../store/versionCommit.js';
import { assertNoSymlinkBelow } from '../store/storePaths.js';

/**
 * `mes-data sync FROM TO`: copies a whole store between a folder and a bucket (either way,
 * or bucket to bucket), object by object, so that a rerun copies only what is missing or
 * differs, and in an order that never shows a reader of TO a half store:
 *
 *   1. data files (raw snapshots, the tables' data files, the ledger, …),
 *   2. the sidecars in `catalog/`,
 *   3. the Iceberg tables' metadata (manifests, manifest lists, older metadata files),
 *   4. each table's pointer: its newest `vN.metadata.json`, then `version-hint.text`,
 *   5. the store marker, `mes-data-store.json`, last of all.
 *
 * An object of TO is taken as it is when its size matches and its SHA-256 is that of FROM's
 * object. FROM's hash is the one its sidecar records (raw files and version files), else the
 * one sync recorded with a bucket's object, else computed on read; TO's is the one sync
 * recorded with a bucket's object, else computed on read (a folder's files are always read).
 * Before that, a bucket's ETag that is a plain MD5 (what a listing gives for every object)
 * is compared with the other side's ETag or bytes, which settles most objects of a rerun
 * without a request each.
 * Every object copied is checked against the hash it should have before it is written
 * (a FROM object that does not match its sidecar is CORRUPTED_FILE: nothing damaged is
 * spread), and after: a folder's file is read back, a bucket's object's ETag is compared with
 * the MD5 of the bytes when the service gives a plain one. Each write replaces the object
 * whole (a renamed temporary file, one PutObject), so a sync killed at any point leaves TO
 * with whole objects only, and the rerun finishes it. Objects of TO that FROM lacks are left
 * alone (and counted as `extra`). Hidden entries (`.staging/`, `.lock/`, `.uploads/`,
 * temporary files) are never copied. A folder TO is written under its store lock (LOCKED
 * while another writer holds it); a bucket has no lock yet.
 *
 * Version folders (`cleaned/v3/MES/…`, `features/v2/MES/rsi/…`) are never copied: in a
 * folder they are hard links to the tables' data files, which a bucket cannot hold (each
 * would be an object of its own, a copy of the data), and a version is its table's snapshot
 * with its sidecar. A folder TO gets them made last, as links, by the store's own recovery
 * (`rebuildVersionFolders`); a bucket TO holds none. A bucket written before this (a folder
 * of objects per version) is still read: its folder objects are left out of the copy.
 */

type SyncResult = JobResult<'sync'>;

export interface SyncProgress {
  fraction: number | null;
  bytes: number;
  stage: string;
}

interface SyncOptions {
  /** Look and compare, write nothing: `files` says what would be copied. */
  dryRun?: boolean;
  signal?: AbortSignal;
  progress?: (update: SyncProgress) => void;
  /** Objects copied at once within a step (default 4). */
  concurrency?: number;
  /** Called after each object written (tests stop a sync midway with it). */
  onCopied?: (key: string) => void;
  /** A folder TO is written under its store lock: how long to wait for it when busy before LOCKED (default 10,000 ms). */
  lockWaitMs?: number;
  /** FROM's listing, as compared (a working copy remembers each object's etag from it). */
  onListed?: (entries: readonly ObjectEntry[]) => void;
  /** True when the caller knows TO's object to be FROM's, from an earlier comparison (a working copy's recorded etags): taken as it is, unread. */
  knownSame?: (from: ObjectEntry, to: ObjectEntry) => boolean;
  /** `'leave'`: a folder TO's version folders are not made (a working copy makes its own after its pull); by default they are. */
  versionFolders?: 'make' | 'leave';
}

type Reason = 'missing' | 'size' | 'hash';

const PHASES = ['data files', 'catalog sidecars', 'Iceberg metadata', 'table pointers', 'store marker'] as const;

/**
 * Whether a key is part of a store: no hidden segment (staging, lock, uploads, temporary
 * files) but the pieces of sidecar lists (`catalog/…/.lists/{sha256}.json`), and a key a
 * store can hold (`checkedKey`: a bucket takes `a/../b` or `a//b`, which no store writes and
 * no folder could take): anything else is left where it is.
 */
export function isStoreObject(key: string): boolean {
  try {
    checkedKey(key);
  } catch {
    return false;
  }
  const segments = key.split('/');
  return segments.every((segment, k) => !segment.startsWith('.') || isListPiece(segments, k));
}

/** `.lists` as the folder of a piece: `catalog/{layer}/…/.lists/{name}.json`. */
function isListPiece(segments: string[], at: number): boolean {
  return segments[0] === 'catalog' && segments[at] === LISTS_DIR && at === segments.length - 2 && at >= 3 && segments[segments.length - 1].endsWith('.json') && !segments[segments.length - 1].startsWith('.');
}

/** A file of a version folder: `cleaned/v3/MES/2024-01-15.parquet`, `features/v2/MES/rsi/part-0.parquet`. */
export function isVersionFolderKey(key: string): boolean {
  return /^(cleaned|features)\/v\d+\//.test(key);
}

/**
 * Makes the version folders a store folder lacks, as hard links to its tables' data files,
 * for every version its table and sidecar hold (the store's own recovery, `recoverVersions`,
 * which never replaces a folder that is there); a sidecar whose version the table lacks is
 * left for verify to name. The caller holds the store's lock (or its working copy's). A
 * table that cannot be read is verify's to report: its folders are not made. Answers the
 * folders made.
 */
export async function rebuildVersionFolders(root: string): Promise<string[]> {
  const store = await openStore(root, { recover: false });
  try {
    return (await recoverVersions(store, undefined, { removeUncommitted: false })).rebuilt;
  } catch (error) {
    if (error instanceof MesDataError && (error.code === 'CORRUPTED_FILE' || error.code === 'UNSUPPORTED_FILE' || error.code === 'NOT_FOUND')) return [];
    throw error;
  }
}

/** The table a data file belongs to (`cleaned/MES/data/2024-01-15/….parquet` → `cleaned/MES`, `features/MES/rsi/data/…` → `features/MES/rsi`), or null for another key. */
export function tableOfDataFile(key: string): string | null {
  const parts = key.split('/');
  const version = /^v\d+$/;
  if (parts[0] === 'cleaned' && parts.length >= 4 && !version.test(parts[1]) && parts[2] === 'data') return parts.slice(0, 2).join('/');
  if (parts[0] === 'features' && parts.length >= 5 && !version.test(parts[1]) && parts[3] === 'data') return parts.slice(0, 3).join('/');
  return null;
}

/**
 * The sidecars record the hash of each version folder's file, which is a table's data file
 * under another name: in a folder a hard link to it (the same inode, so the same etag), in a
 * bucket written before version folders were left out an object of the same bytes (the same
 * ETag). A data file whose size and etag are those of such a file is checked against that
 * hash too, so a damaged data file is not copied although its version folder is not.
 */
function recordDataFileHashes(listed: readonly ObjectEntry[], hashes: Map<string, { sha256: string; bytes: number; sidecar: string }>): void {
  const byIdentity = new Map<string, { sha256: string; bytes: number; sidecar: string }>();
  for (const entry of listed) {
    const recorded = isVersionFolderKey(entry.key) ? hashes.get(entry.key) : undefined;
    if (recorded !== undefined && recorded.bytes === entry.size) byIdentity.set(`${entry.size} ${entry.etag}`, recorded);
  }
  if (byIdentity.size === 0) return;
  for (const entry of listed) {
    if (hashes.has(entry.key) || tableOfDataFile(entry.key) === null) continue;
    const recorded = byIdentity.get(`${entry.size} ${entry.etag}`);
    if (recorded !== undefined) hashes.set(entry.key, recorded);
  }
}

/** `cleaned/MES/metadata/…` or `features/MES/rsi/metadata/…`: the metadata folder of an Iceberg table (never of a version folder). */
export function tableOfMetadata(key: string): string | null {
  const parts = key.split('/');
  const version = /^v\d+$/;
  if (parts[0] === 'cleaned' && parts.length >= 4 && !version.test(parts[1]) && parts[2] === 'metadata') return parts.slice(0, 2).join('/');
  if (parts[0] === 'features' && parts.length >= 5 && !version.test(parts[1]) && parts[3] === 'metadata') return parts.slice(0, 3).join('/');
  return null;
}

/** The step of each key (index into PHASES) and, inside the pointer step, the order: the newest metadata before the hint. */
function planOrder(keys: string[]): Map<string, number> {
  const newest = new Map<string, { key: string; version: number }>();
  for (const key of keys) {
    const table = tableOfMetadata(key);
    const match = table === null ? null : /^v(\d+)\.metadata\.json$/.exec(path.posix.basename(key));
    if (table === null || match === null || path.posix.dirname(key) !== `${table}/metadata`) continue;
    const version = Number(match[1]);
    if ((newest.get(table)?.version ?? -1) < version) newest.set(table, { key, version });
  }
  const pointers = new Set([...newest.values()].map((n) => n.key));
  const phase = new Map<string, number>();
  for (const key of keys) {
    const table = tableOfMetadata(key);
    if (key === STORE_MARKER) phase.set(key, 4);
    else if (table !== null && (pointers.has(key) || key === `${table}/metadata/${VERSION_HINT}`)) phase.set(key, 3);
    else if (table !== null) phase.set(key, 2);
    // a piece of a sidecar's list, and a raw file a revision superseded, are data a sidecar names: before it
    else if (key.startsWith('catalog/') && !key.includes(`/${LISTS_DIR}/`) && !isSupersededKey(key)) phase.set(key, 1);
    else phase.set(key, 0);
  }
  return phase;
}

/** `catalog/raw/{ASSET}/superseded/{DATE}/{name}`: a raw file a revision moved out of its date folder (`rawSupersededPath`). */
function isSupersededKey(key: string): boolean {
  const parts = key.split('/');
  return parts.length === 6 && parts[0] === 'catalog' && parts[1] === 'raw' && parts[3] === RAW_SUPERSEDED_DIR;
}

/** The folder a sidecar of `catalog/` describes: `catalog/raw/MES/2024-01-15.json` → `raw/MES/2024-01-15`. */
function folderOfSidecar(key: string): string | null {
  const parts = key.split('/');
  if (parts[0] !== 'catalog' || !key.endsWith('.json')) return null;
  const last = parts[parts.length - 1].slice(0, -'.json'.length);
  if (parts[1] === 'raw' && parts.length === 4) return `raw/${parts[2]}/${last}`;
  const version = /^v\d+$/.test(last) ? last : null;
  if (version === null) return null;
  if (parts[1] === 'cleaned' && parts.length === 4) return `cleaned/${version}/${parts[2]}`;
  if (parts[1] === 'features' && parts.length === 5) return `features/${version}/${parts[2]}/${parts[3]}`;
  return null;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function md5Hex(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** The MD5 an ETag is (`"…32 hex…"`, a plain upload's), or undefined (a multipart or encrypted object's, a folder's). */
function plainMd5(etag: string): string | undefined {
  return /^"?([0-9a-f]{32})"?$/.exec(etag)?.[1];
}

/** The largest object copied: each is held in memory whole (Node reads at most 2 GiB into one buffer). */
const MAX_OBJECT_BYTES = 2 ** 31 - 1;
/** Bytes of objects being copied at once; a larger object is copied alone. */
const IN_FLIGHT_BYTES = 512 * 1024 * 1024;

/** Lets work of `bytes` start while the bytes already started stay under the budget (one piece of work always may). */
class ByteBudget {
  private used = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly budget: number) {}

  async run<T>(bytes: number, work: () => Promise<T>): Promise<T> {
    while (this.used > 0 && this.used + bytes > this.budget) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.used += bytes;
    try {
      return await work();
    } finally {
      this.used -= bytes;
      for (const wake of this.waiting.splice(0)) wake();
    }
  }
}

/** A FROM file up to this size is read to compare its MD5 with a bucket's ETag instead of asking the bucket for the object's recorded hash. */
const SMALL_OBJECT = 16 * 1024 * 1024;

/** Runs `fn` over `items`, `limit` at a time, stopping at the first failure. */
export async function eachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}

/** The two stores must not be one, nor one inside the other (a listing of FROM would then take TO's objects). */
function assertApart(from: ObjectStore, to: ObjectStore): void {
  const spot = (store: ObjectStore): string | null => {
    if (store instanceof LocalObjectStore) return `file:${path.resolve(store.root)}${path.sep}`;
    if (store instanceof S3ObjectStore) return `s3:${store.bucket}/${store.prefix}`;
    return null;
  };
  const a = spot(from);
  const b = spot(to);
  if (a === null || b === null) return;
  if (a.startsWith(b) || b.startsWith(a)) {
    throw new BadRequestError(`sync from ${from.location} to ${to.location}: ${a === b ? 'they are the same store' : 'one lies inside the other'}; choose another place to copy to`, { from: from.location, to: to.location });
  }
}

interface Marker {
  format?: unknown;
  formatVersion?: unknown;
}

async function readMarker(store: ObjectStore, role: 'FROM' | 'TO'): Promise<Marker> {
  const bytes = await store.get(STORE_MARKER);
  let marker: Marker;
  try {
    marker = JSON.parse(Buffer.from(bytes).toString('utf8')) as Marker;
  } catch {
    throw new CorruptedFileError(`${STORE_MARKER} of ${store.location} (${role}) is not JSON`, { store: store.location, key: STORE_MARKER });
  }
  if (marker === null || typeof marker !== 'object' || marker.format !== 'mes-data-store') {
    throw new CorruptedFileError(`${STORE_MARKER} of ${store.location} (${role}) is not a MES Data store marker`, { store: store.location, key: STORE_MARKER });
  }
  if (marker.formatVersion === 1) {
    throw new MesDataError('STORE_NEEDS_MIGRATION', `${store.location} (${role}) is a store of format 1; run mes-data migrate on it first`, { store: store.location, formatVersion: 1 });
  }
  if (marker.formatVersion !== STORE_FORMAT_VERSION) {
    throw new UnsupportedFileError(`${store.location} (${role}) is a store of format ${String(marker.formatVersion)}; this version syncs format ${STORE_FORMAT_VERSION}`, { store: store.location, formatVersion: marker.formatVersion ?? null });
  }
  return marker;
}

/** What the sidecars of `catalog/` record of each file they list: its size and SHA-256 (and the sidecars' own bytes, read once). */
async function recordedHashes(
  from: ObjectStore,
  entries: ObjectEntry[],
  signal: AbortSignal | undefined,
  /** TO's copy of a sidecar the caller knows to be FROM's (`knownSame`): read there, not from FROM */
  knownCopy: (entry: ObjectEntry) => ObjectStore | null = () => null,
): Promise<{ hashes: Map<string, { sha256: string; bytes: number; sidecar: string }>; sidecars: Map<string, Uint8Array> }> {
  const hashes = new Map<string, { sha256: string; bytes: number; sidecar: string }>();
  const sidecars = new Map<string, Uint8Array>();
  const listed = entries.filter((entry) => folderOfSidecar(entry.key) !== null);
  await eachLimit(listed, 16, async (entry) => {
    signal?.throwIfAborted();
    const bytes = await (knownCopy(entry) ?? from).get(entry.key);
    sidecars.set(entry.key, bytes);
    let files: unknown;
    let superseded: unknown;
    try {
      const parsed = JSON.parse(Buffer.from(bytes).toString('utf8')) as { files?: unknown; extra?: { superseded?: unknown } };
      files = parsed.files;
      superseded = parsed.extra?.superseded;
    } catch {
      // a sidecar that is not JSON records nothing: its folder's files are hashed on read (verify reports it)
      return;
    }
    if (!Array.isArray(files)) return;
    const folder = folderOfSidecar(entry.key) as string;
    for (const file of files as { path?: unknown; sha256?: unknown; bytes?: unknown }[]) {
      if (typeof file?.path !== 'string' || typeof file.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(file.sha256) || typeof file.bytes !== 'number') continue;
      let key: string;
      try {
        key = checkedKey(`${folder}/${file.path}`);
      } catch {
        continue;
      }
      hashes.set(key, { sha256: file.sha256, bytes: file.bytes, sidecar: entry.key });
    }
    // a raw date's superseded files are listed by their store path
    for (const file of Array.isArray(superseded) ? (superseded as { path?: unknown; sha256?: unknown; bytes?: unknown }[]) : []) {
      if (typeof file?.path !== 'string' || !isSupersededKey(file.path) || typeof file.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(file.sha256) || typeof file.bytes !== 'number') continue;
      try {
        hashes.set(checkedKey(file.path), { sha256: file.sha256, bytes: file.bytes, sidecar: entry.key });
      } catch {
        continue;
      }
    }
  });
  return { hashes, sidecars };
}

/** Copies the store FROM into TO; see the module's comment. CANCELLED when the signal aborts (what was written is whole; a rerun finishes). */
export async function syncStores(from: ObjectStore, to: ObjectStore, options: SyncOptions = {}): Promise<SyncResult> {
  try {
    return await syncInOrder(from, to, options);
  } catch (error) {
    if (options.signal?.aborted && !(error instanceof CancelledError)) throw new CancelledError(`sync from ${from.location} to ${to.location} cancelled; run it again to finish`, {});
    throw error;
  }
}

async function syncInOrder(from: ObjectStore, to: ObjectStore, options: SyncOptions): Promise<SyncResult> {
  const dryRun = options.dryRun ?? false;
  const progress = options.progress ?? (() => undefined);
  assertApart(from, to);

  progress({ fraction: null, bytes: 0, stage: `listing ${from.location}` });
  const listed = (await from.list('')).filter((entry) => isStoreObject(entry.key));
  options.onListed?.(listed);
  // version folders are made in a folder TO from its tables, never copied (see the module comment)
  const fromEntries = listed.filter((entry) => !isVersionFolderKey(entry.key));
  if (!fromEntries.some((entry) => entry.key === STORE_MARKER)) {
    throw new NotFoundError(`${from.location} is not a MES Data store: it has no ${STORE_MARKER}`, { store: from.location, key: STORE_MARKER });
  }
  await readMarker(from, 'FROM');
  progress({ fraction: null, bytes: 0, stage: `listing ${to.location}` });
  const toEntries = new Map((await to.list('')).filter((entry) => isStoreObject(entry.key) && !isVersionFolderKey(entry.key)).map((entry) => [entry.key, entry]));
  const fromKeys = new Set(fromEntries.map((entry) => entry.key));
  const extra = [...toEntries.keys()].filter((key) => !fromKeys.has(key));
  if (toEntries.has(STORE_MARKER)) await readMarker(to, 'TO');
  // a TO that is not a store may only hold what an unfinished sync of this store left
  else if (extra.length > 0) {
    throw new AlreadyExistsError(`${to.location} is not empty and is not a MES Data store (it holds "${extra[0]}"); choose an empty or new place, or a copy of this store`, {
      store: to.location,
      key: extra[0],
    });
  }

  // a folder is written under its store lock, as every writer of a folder store does (a bucket has no lock yet)
  const lock = !dryRun && to instanceof LocalObjectStore ? await lockFolder(to, options.lockWaitMs ?? 10_000) : null;
  try {
    const result = await copyInOrder(from, to, listed, fromEntries, toEntries, extra.length, options);
    if (!dryRun && to instanceof LocalObjectStore && options.versionFolders !== 'leave') {
      progress({ fraction: 1, bytes: result.bytes + result.skippedBytes, stage: 'linking the version folders' });
      await rebuildVersionFolders(to.root);
    }
    progress({ fraction: 1, bytes: result.bytes + result.skippedBytes, stage: 'done' });
    return result;
  } finally {
    await lock?.release();
  }
}

async function lockFolder(to: LocalObjectStore, waitMs: number): Promise<StoreLock> {
  await fs.mkdir(to.root, { recursive: true });
  return acquireStoreLock({ root: to.root, formatVersion: STORE_FORMAT_VERSION }, { waitMs, purpose: 'sync' });
}

async function copyInOrder(from: ObjectStore, to: ObjectStore, listed: readonly ObjectEntry[], fromEntries: ObjectEntry[], toEntries: Map<string, ObjectEntry>, extraCount: number, options: SyncOptions): Promise<SyncResult> {
  const { signal, dryRun = false } = options;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const progress = options.progress ?? (() => undefined);
  progress({ fraction: null, bytes: 0, stage: 'reading the sidecars' });
  const known = options.knownSame;
  const { hashes, sidecars } = await recordedHashes(from, fromEntries, signal, (entry) => {
    const present = toEntries.get(entry.key);
    return known !== undefined && present !== undefined && present.size === entry.size && known(entry, present) ? to : null;
  });
  recordDataFileHashes(listed, hashes);
  const phase = planOrder(fromEntries.map((entry) => entry.key));
  const byPhase = PHASES.map((_, k) => fromEntries.filter((entry) => phase.get(entry.key) === k));
  // the newest metadata file of a table before its hint
  byPhase[3].sort((a, b) => Number(path.posix.basename(a.key) === VERSION_HINT) - Number(path.posix.basename(b.key) === VERSION_HINT) || (a.key < b.key ? -1 : 1));

  const totalBytes = fromEntries.reduce((sum, entry) => sum + entry.size, 0);
  let doneBytes = 0;
  const files: SyncResult['files'] = [];
  let skipped = 0;
  let skippedBytes = 0;
  let copiedBytes = 0;

  const memory = new ByteBudget(IN_FLIGHT_BYTES);
  const copyOne = async (entry: ObjectEntry, stage: string): Promise<void> => {
    signal?.throwIfAborted();
    if (entry.size > MAX_OBJECT_BYTES) {
      throw new UnsupportedFileError(`${entry.key} in ${from.location} has ${entry.size} bytes; sync copies objects of up to ${MAX_OBJECT_BYTES} bytes (2 GiB) for now: copy that one another way, then run the sync again`, {
        store: from.location,
        key: entry.key,
        bytes: entry.size,
        max: MAX_OBJECT_BYTES,
      });
    }
    const recorded = hashes.get(entry.key);
    if (recorded && recorded.bytes !== entry.size) {
      throw new CorruptedFileError(`${entry.key} in ${from.location} has ${entry.size} bytes, its sidecar ${recorded.sidecar} records ${recorded.bytes}; run mes-data verify on it, nothing damaged is copied`, {
        store: from.location,
        key: entry.key,
        bytes: entry.size,
        recordedBytes: recorded.bytes,
      });
    }
    let fromBytes: Uint8Array | undefined = sidecars.get(entry.key);
    const fromHash = async (): Promise<{ sha256: string; checked: boolean }> => {
      if (recorded) return { sha256: recorded.sha256, checked: true };
      if (from.kind === 's3') {
        const head = await from.head(entry.key);
        if (head.sha256 !== undefined && head.size === entry.size) return { sha256: head.sha256, checked: true };
      }
      fromBytes ??= await from.get(entry.key);
      return { sha256: sha256Hex(fromBytes), checked: false };
    };
    let toBytes: Uint8Array | undefined;
    /**
     * A bucket's listing gives each object's ETag, the MD5 of its bytes for a plain upload: two
     * such ETags alike, or one alike the MD5 of the other side's bytes where those are read at
     * no request's cost (TO's file, always read; FROM's file when small), are the same object
     * without a request per object. Anything else (an ETag that is no MD5: multipart,
     * SSE-KMS) goes to the SHA-256 comparison.
     */
    const sameByEtag = async (source: ObjectEntry, target: ObjectEntry): Promise<boolean> => {
      const fromMd5 = from.kind === 's3' ? plainMd5(source.etag) : undefined;
      const toMd5 = to.kind === 's3' ? plainMd5(target.etag) : undefined;
      if (fromMd5 !== undefined && toMd5 !== undefined) return fromMd5 === toMd5;
      if (fromMd5 !== undefined && to.kind === 'local') {
        toBytes ??= await to.get(source.key);
        return md5Hex(toBytes) === fromMd5;
      }
      if (toMd5 !== undefined && from.kind === 'local' && source.size <= SMALL_OBJECT) {
        fromBytes ??= await from.get(source.key);
        return md5Hex(fromBytes) === toMd5;
      }
      return false;
    };
    const present = toEntries.get(entry.key);
    let reason: Reason | null;
    if (!present) reason = 'missing';
    else if (present.size !== entry.size) reason = 'size';
    else if (options.knownSame?.(entry, present) === true) reason = null;
    else if (await sameByEtag(entry, present)) reason = null;
    else {
      const wanted = (await fromHash()).sha256;
      let found: string | undefined;
      if (to.kind === 's3') {
        const head = await to.head(entry.key);
        found = head.size === entry.size ? head.sha256 : undefined;
      }
      toBytes ??= await to.get(entry.key);
      found ??= sha256Hex(toBytes);
      reason = found === wanted ? null : 'hash';
    }
    if (reason === null) {
      skipped++;
      skippedBytes += entry.size;
    } else {
      const expected = await fromHash();
      fromBytes ??= await from.get(entry.key);
      const actual = sha256Hex(fromBytes);
      if (fromBytes.length !== entry.size || (expected.checked && actual !== expected.sha256)) {
        throw new CorruptedFileError(`${entry.key} in ${from.location} does not match its recorded SHA-256 (${expected.sha256}, read ${actual}, ${fromBytes.length} bytes); run mes-data verify on it, nothing damaged is copied`, {
          store: from.location,
          key: entry.key,
          sha256: actual,
          recordedSha256: expected.sha256,
        });
      }
      if (!dryRun) {
        signal?.throwIfAborted();
        if (to instanceof LocalObjectStore) assertNoSymlinkBelow(to.root, path.dirname(path.join(to.root, ...entry.key.split('/'))));
        const { etag } = await to.put(entry.key, fromBytes, undefined, { sha256: actual });
        await checkWritten(to, entry.key, fromBytes, actual, etag);
        options.onCopied?.(entry.key);
      }
      files.push({ key: entry.key, bytes: entry.size, reason });
      copiedBytes += entry.size;
    }
    doneBytes += entry.size;
    progress({ fraction: totalBytes === 0 ? null : Math.min(1, doneBytes / totalBytes), bytes: doneBytes, stage });
  };

  for (const [k, entries] of byPhase.entries()) {
    const stage = `${dryRun ? 'comparing' : 'copying'} ${PHASES[k]} (${k + 1}/${PHASES.length})`;
    progress({ fraction: totalBytes === 0 ? null : doneBytes / totalBytes, bytes: doneBytes, stage });
    try {
      // the pointers one at a time, in their order; the rest side by side
      await eachLimit(entries, k >= 3 ? 1 : concurrency, (entry) => memory.run(entry.size, () => copyOne(entry, stage)));
    } catch (error) {
      if (signal?.aborted) throw new CancelledError(`sync from ${from.location} to ${to.location} cancelled after ${files.length} object(s) copied; run it again to finish`, { copied: files.length });
      throw error;
    }
  }
  return {
    from: from.location,
    to: to.location,
    dryRun,
    objects: fromEntries.length,
    copied: files.length,
    skipped,
    bytes: copiedBytes,
    skippedBytes,
    extra: extraCount,
    files,
  };
}

/** What was written is what was meant: a folder's file read back and hashed, a bucket's ETag against the MD5 where it is a plain MD5. */
async function checkWritten(to: ObjectStore, key: string, bytes: Uint8Array, sha256: string, etag: string): Promise<void> {
  let found: string | null = null;
  if (to.kind === 'local') {
    const back = sha256Hex(await to.get(key));
    if (back !== sha256) found = `SHA-256 ${back}`;
  } else {
    const plain = plainMd5(etag);
    if (plain !== undefined && plain !== md5Hex(bytes)) found = `ETag ${plain}, MD5 ${md5Hex(bytes)}`;
  }
  if (found !== null) {
    throw new MesDataError('WRITE_FAILED', `${key} written to ${to.location} does not match what was sent (${found}, expected SHA-256 ${sha256}); run the sync again`, { store: to.location, key, sha256 });
  }
}
