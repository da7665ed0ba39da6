import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LockedError, MesDataError } from '../errors.js';
import { unreferencedFiles } from '../iceberg/tableExpiry.js';
import { VERSION_HINT } from '../iceberg/tableCommit.js';
import { crashPoint } from '../store/crashPoints.js';
import { errnoOf, removeTree, writeFileDurable } from '../store/durableFs.js';
import { LISTS_DIR, piecesNamed } from '../store/sidecarLists.js';
import { STORE_FORMAT_VERSION, STORE_MARKER, VERSION_LEDGER, featureKey, parseVersionFolder, tablePath, versionPath, versionSidecarPath, type VersionedLayer } from '../store/storeLayout.js';
import { acquireStoreLock } from '../store/storeLock.js';
import { rawSupersededPath } from '../store/storeLayout.js';
import { eachLimit, isStoreObject, isVersionFolderKey, rebuildVersionFolders, syncStores, tableOfDataFile, tableOfMetadata } from '../sync/syncStores.js';
import { bucketAges, BucketGc, DEFAULT_GRACE, formatAge } from './bucketGc.js';
import { LocalObjectStore } from './localObjectStore.js';
import type { ObjectEntry, ObjectStore, PutCondition } from './objectStore.js';
import type { StoreLocation } from './storeUrl.js';

/**
 * Writing a store in place in a bucket, as git pulls, commits and pushes: every command runs
 * unchanged on a local **working copy** of the bucket's store (a folder of the cache, one a
 * store URL), and what it changed is then **published** with conditional writes, so that
 * two writers on two machines (two working copies) settle who came first at the bucket, not
 * by a lock file.
 *
 * 1. `openWorkingCopy` takes the cache folder's lock (one command at a time per working copy
 *    on this machine), pulls the bucket into the copy with `syncStores` (a rerun is one
 *    listing: an object whose etag and local file are those recorded after the last pull or
 *    publish is taken as it is), removes from the copy what the bucket does not hold (what a
 *    failed command left), makes the version folders the copy lacks (below) and remembers
 *    each object's etag: the **base state**.
 * 2. The command runs on the copy as on any folder (its store lock, its recovery).
 * 3. `publishWorkingCopy` sends the difference between the copy and the base state, in an
 *    order that never lets the bucket name what is not there yet:
 *      0. `version-ledger.json` (the version numbers handed out), `If-Match` its base etag:
 *         the numbers are reserved before anything is written, so a writer that loses this
 *         race has written nothing, and a writer killed later leaves its numbers used up;
 *      1. new immutable objects, `If-None-Match: *`: raw snapshots, the tables' data files,
 *         manifests, manifest lists, pieces of sidecar lists;
 *      2. sidecars in `catalog/` (a new date's or version's `If-None-Match: *`, a raw date's
 *         rewritten one `If-Match`), which name those objects;
 *      3. each table's new `vN.metadata.json`, `If-None-Match: *`: the commit point. A 412
 *         means another writer committed that metadata version first: LOCKED, reason
 *         commit-conflict, naming the bucket and key;
 *      4. the pointers rewritten in place (`version-hint.text`, the store marker),
 *         `If-Match` their base etag (`If-None-Match: *` when new);
 *      5. removals, last: every object the command removed for `gc`, and for other commands
 *         the metadata files a commit of this publish replaced (what a table drops after a
 *         commit). Anything else the copy lost (a crashed writer's leftovers the local
 *         recovery removed) is not removed from the bucket: it may be a live writer's.
 *    A data file a new key already holds with the same bytes (its MD5) counts as written; a
 *    ledger, sidecar or metadata file never does (the same text written by another writer
 *    is its claim, not ours).
 *
 * **Version folders are not published.** In a folder a version folder (`cleaned/v3/MES/`)
 * is hard links to its table's data files; a bucket has no links, so each would be an object
 * of its own, a copy of the data (a daily version of ten years: about 2,600 objects). In a
 * bucket a version is its table's snapshot and its sidecar, and `cleaned/v3/MES` is a name
 * every reader resolves through them (`RemoteStoreView`; the pull below). The pull makes the
 * copy's folders as links from its tables, by the store's own recovery, only for the
 * versions it lacks: a folder the copy keeps is one the last pull or publish left there
 * whose sidecar is the same file since and whose table had no data file replaced. A bucket
 * written before this holds a folder of objects per version: they are never pulled (the
 * copy makes its own), and `gc` removes those of the versions it expires.
 *
 * A writer killed mid-publish leaves only objects nothing committed names (steps 1–2 before
 * step 3), or a committed version whose pointers are behind (after step 3), which readers
 * look past. `unreferencedObjects` lists the former for `verify`; `gc` removes them.
 */

/**
 * Objects of a bucket as pulled: each key's etag there and the identity of the file in the
 * copy then (`fileIdentity`: its size, modification time and inode, not its change time,
 * which a hard link to it changes).
 */
interface BaseEntry {
  etag: string;
  size: number;
  localEtag: string;
}

export interface WorkingCopy {
  /** The bucket's store. */
  readonly remote: ObjectStore;
  /** The cache folder: the working copy (`store/`), its lock and its recorded state. */
  readonly cacheDir: string;
  /** The working copy, a store folder. */
  readonly storeDir: string;
  readonly base: ReadonlyMap<string, BaseEntry>;
  /** The bucket's objects of version folders (a bucket written before version folders were left out of buckets): never pulled; `gc` removes those of the versions it expires. */
  readonly bucketFolders: readonly string[];
  /** What the pull copied: objects and bytes; `linked`, the version folders it made in the copy. */
  readonly pulled: { objects: number; copied: number; bytes: number; linked: number };
  release(): Promise<void>;
}

/** What a publish wrote. */
interface PublishResult {
  written: number;
  bytes: number;
  removed: number;
  /** the tables' metadata files written (the commit points), bucket keys relative to the store */
  commits: string[];
}

const STATE_FILE = 'state.json';
const STORE_FOLDER = 'store';

/** The OS's folder for caches: `$XDG_CACHE_HOME` or `~/.cache` (Linux), `~/Library/Caches` (macOS), `%LOCALAPPDATA%` (Windows). */
function osCacheDir(env: NodeJS.ProcessEnv): string {
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Caches');
  if (process.platform === 'win32') return env.LOCALAPPDATA ?? path.join(os.homedir(), 'AppData', 'Local');
  return env.XDG_CACHE_HOME !== undefined && env.XDG_CACHE_HOME.trim() !== '' ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
}

/**
 * The cache folder of an s3:// store: `$MES_DATA_CACHE/s3/<bucket>/<hash>`, else under the
 * OS's cache folder (`~/.cache/mes-data/s3/<bucket>/<hash>`); the hash (16 hex digits of a
 * SHA-256) is of the endpoint and the prefix, so one bucket name on two services, or two
 * prefixes of one bucket, are two working copies.
 */
export function cacheFolderFor(location: Extract<StoreLocation, { kind: 's3' }>, env: NodeJS.ProcessEnv = process.env): string {
  const root = env.MES_DATA_CACHE !== undefined && env.MES_DATA_CACHE.trim() !== '' ? path.resolve(env.MES_DATA_CACHE) : path.join(osCacheDir(env), 'mes-data');
  const hash = createHash('sha256').update(`${location.endpoint ?? 'aws'}\n${location.prefix}`).digest('hex').slice(0, 16);
  return path.join(root, 's3', location.bucket, hash);
}

/** What the last pull or publish left: each object's etag in the bucket and its file's identity in the copy; each version folder of the copy with its sidecar's identity then. */
interface CopyState {
  objects: Map<string, { etag: string; localEtag: string }>;
  folders: Map<string, string>;
}

/** The version of `state.json`'s content: a file of another version (or none) is not read, and every object is compared by its bytes once. */
const STATE_VERSION = 2;

async function readState(cacheDir: string, location: string): Promise<CopyState> {
  const state: CopyState = { objects: new Map(), folders: new Map() };
  try {
    const parsed = JSON.parse(await fs.readFile(path.join(cacheDir, STATE_FILE), 'utf8')) as { store?: unknown; version?: unknown; objects?: Record<string, { etag?: unknown; localEtag?: unknown }>; folders?: Record<string, unknown> };
    if (parsed.store !== location || parsed.version !== STATE_VERSION || parsed.objects === null || typeof parsed.objects !== 'object') return state;
    for (const [key, value] of Object.entries(parsed.objects)) {
      if (typeof value?.etag === 'string' && typeof value.localEtag === 'string') state.objects.set(key, { etag: value.etag, localEtag: value.localEtag });
    }
    for (const [folder, sidecar] of Object.entries(parsed.folders ?? {})) if (typeof sidecar === 'string') state.folders.set(folder, sidecar);
    return state;
  } catch {
    // none yet, or unreadable: every object is compared by its bytes, every version folder made again
    return state;
  }
}

async function writeState(cacheDir: string, location: string, state: CopyState): Promise<void> {
  await writeFileDurable(path.join(cacheDir, STATE_FILE), JSON.stringify({ store: location, version: STATE_VERSION, objects: Object.fromEntries(state.objects), folders: Object.fromEntries(state.folders) }));
}

/**
 * A file's identity in the copy: its size, modification time and inode. A store replaces a
 * file by a new one (written beside, then renamed) and never writes one in place, so the
 * same identity is the same bytes; its change time is left out, since a hard link to the
 * file (a new version folder, or one the pull makes) changes it.
 */
function fileIdentity(stat: { size: bigint; mtimeNs: bigint; ino: bigint }): string {
  return `${stat.size.toString(16)}-${stat.mtimeNs.toString(16)}-${stat.ino.toString(16)}`;
}

/** A file of the working copy: its key, size and identity. */
interface CopyFile {
  key: string;
  size: number;
  identity: string;
}

/**
 * Every object of the working copy (store objects only, `isStoreObject`) but the files of
 * its version folders, which are not walked (a copy keeping many versions of ten years
 * holds millions of links). Keys ascending.
 */
async function listCopy(storeDir: string): Promise<Map<string, CopyFile>> {
  const found: CopyFile[] = [];
  const walk = async (relative: string): Promise<void> => {
    const dir = relative === '' ? storeDir : path.join(storeDir, ...relative.split('/'));
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return;
      throw error;
    }
    for (const entry of entries) {
      const key = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        // hidden folders (staging, the lock) but the pieces of sidecar lists; never a version folder
        if (entry.name.startsWith('.') && entry.name !== LISTS_DIR) continue;
        if ((relative === 'cleaned' || relative === 'features') && parseVersionFolder(entry.name) !== null) continue;
        await walk(key);
      } else if (entry.isFile() && isStoreObject(key)) {
        const stat = await fs.lstat(path.join(dir, entry.name), { bigint: true });
        found.push({ key, size: Number(stat.size), identity: fileIdentity(stat) });
      }
    }
  };
  await walk('');
  found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return new Map(found.map((file) => [file.key, file]));
}

async function identityOf(storeDir: string, key: string): Promise<string | null> {
  const stat = await fs.lstat(path.join(storeDir, ...key.split('/')), { bigint: true }).catch(() => null);
  return stat?.isFile() === true ? fileIdentity(stat) : null;
}

/** The version folders of the copy (`cleaned/v3/MES`, `features/v2/MES/rsi`) with their layer, key and number. */
async function copyVersionFolders(storeDir: string): Promise<{ folder: string; layer: VersionedLayer; key: string; version: number }[]> {
  const dirs = async (relative: string): Promise<string[]> =>
    (await fs.readdir(path.join(storeDir, ...relative.split('/')), { withFileTypes: true }).catch(() => [] as Dirent[])).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
  const found: { folder: string; layer: VersionedLayer; key: string; version: number }[] = [];
  for (const layer of ['cleaned', 'features'] as const) {
    for (const name of await dirs(layer)) {
      const version = parseVersionFolder(name);
      if (version === null) continue;
      for (const first of await dirs(`${layer}/${name}`)) {
        if (layer === 'cleaned') found.push({ folder: versionPath(layer, version, first), layer, key: first, version });
        else for (const set of await dirs(`${layer}/${name}/${first}`)) found.push({ folder: versionPath(layer, version, featureKey(first, set)), layer, key: featureKey(first, set), version });
      }
    }
  }
  return found;
}

/**
 * The copy's version folders after a pull: a folder is kept when the last pull or publish
 * recorded it with the identity its sidecar has now (the same version, committed then) and
 * the pull replaced no data file of its table; every other one is removed (an unpublished
 * command's, a version another writer expired or numbered first). Then the folders of the
 * versions the copy's tables and sidecars hold are made as links by the store's recovery,
 * which leaves those that are there. Answers the folders made and the record of them all.
 */
async function refreshVersionFolders(storeDir: string, recorded: ReadonlyMap<string, string>, replacedTables: ReadonlySet<string>): Promise<{ linked: number; folders: Map<string, string> }> {
  for (const { folder, layer, key, version } of await copyVersionFolders(storeDir)) {
    const sidecar = await identityOf(storeDir, versionSidecarPath(layer, key, version));
    if (sidecar !== null && recorded.get(folder) === sidecar && !replacedTables.has(tablePath(layer, key))) continue;
    await removeTree(path.join(storeDir, ...folder.split('/')));
    await removeEmptyFolders(storeDir, path.posix.dirname(folder));
  }
  const linked = (await rebuildVersionFolders(storeDir)).length;
  return { linked, folders: await recordFolders(storeDir) };
}

/** Every version folder of the copy with its sidecar's identity: what the next pull keeps. */
async function recordFolders(storeDir: string): Promise<Map<string, string>> {
  const folders = new Map<string, string>();
  for (const { folder, layer, key, version } of await copyVersionFolders(storeDir)) {
    const sidecar = await identityOf(storeDir, versionSidecarPath(layer, key, version));
    if (sidecar !== null) folders.set(folder, sidecar);
  }
  return folders;
}

/**
 * Brings the working copy of `remote` up to date (see the module comment) and holds its
 * cache folder's lock until `release`. LOCKED when another command of this machine holds it
 * longer than `lockWaitMs` (default 5 minutes); NOT_FOUND when the bucket holds no store
 * (with `emptyIsNew`, a prefix holding nothing gives an empty working copy, for `init`);
 * the bucket's errors (no bucket, access denied, no credentials) as the ObjectStore gives them.
 * `repair` (a writer's pull) changes nothing any more: every pull makes the copy's version
 * folders whole from its tables.
 */
export async function openWorkingCopy(remote: ObjectStore, cacheDir: string, options: { lockWaitMs?: number; signal?: AbortSignal; emptyIsNew?: boolean; repair?: boolean } = {}): Promise<WorkingCopy> {
  const storeDir = path.join(cacheDir, STORE_FOLDER);
  await fs.mkdir(storeDir, { recursive: true });
  const lock = await acquireStoreLock({ root: cacheDir, formatVersion: STORE_FORMAT_VERSION }, { waitMs: options.lockWaitMs ?? 300_000, purpose: `working copy of ${remote.location}` });
  try {
    // what a command killed here left in progress is not the bucket's: the copy starts from the bucket alone
    await removeTree(path.join(storeDir, '.staging'));
    const state = await readState(cacheDir, remote.location);
    await fs.rm(path.join(cacheDir, STATE_FILE), { force: true });
    const local = new LocalObjectStore(storeDir);
    // `init` on a prefix that holds nothing yet: an empty working copy, the store made there and published
    if (options.emptyIsNew === true && !(await remote.list('')).some((entry) => isStoreObject(entry.key))) {
      await removeTree(storeDir);
      await fs.mkdir(storeDir, { recursive: true });
      return { remote, cacheDir, storeDir, base: new Map(), bucketFolders: [], pulled: { objects: 0, copied: 0, bytes: 0, linked: 0 }, release: () => lock.release() };
    }
    const before = await listCopy(storeDir);
    let listed: readonly ObjectEntry[] = [];
    const result = await syncStores(remote, local, {
      signal: options.signal,
      onListed: (entries) => (listed = entries),
      knownSame: (from, to) => {
        const known = state.objects.get(from.key);
        return known !== undefined && known.etag === from.etag && known.localEtag === before.get(to.key)?.identity;
      },
      // made below, once the copy is the bucket's store
      versionFolders: 'leave',
    });
    const inBucket = new Map(listed.filter((entry) => !isVersionFolderKey(entry.key)).map((entry) => [entry.key, entry]));
    const pulledFiles = await listCopy(storeDir);
    // what an earlier command wrote here and never published
    for (const file of pulledFiles.values()) {
      if (inBucket.has(file.key)) continue;
      await local.delete(file.key);
      pulledFiles.delete(file.key);
      await removeEmptyFolders(storeDir, path.posix.dirname(file.key));
    }
    // a data file the pull wrote over (its copy here was not the bucket's): the folders of its table are made again
    const replacedTables = new Set(result.files.filter((file) => file.reason !== 'missing').map((file) => tableOfDataFile(file.key)).filter((table): table is string => table !== null));
    const { linked, folders } = await refreshVersionFolders(storeDir, state.folders, replacedTables);
    const base = new Map<string, BaseEntry>();
    const objects = new Map<string, { etag: string; localEtag: string }>();
    for (const entry of inBucket.values()) {
      const file = pulledFiles.get(entry.key);
      if (file === undefined) continue;
      base.set(entry.key, { etag: entry.etag, size: entry.size, localEtag: file.identity });
      objects.set(entry.key, { etag: entry.etag, localEtag: file.identity });
    }
    await writeState(cacheDir, remote.location, { objects, folders });
    const bucketFolders = listed.filter((entry) => isVersionFolderKey(entry.key)).map((entry) => entry.key);
    return { remote, cacheDir, storeDir, base, bucketFolders, pulled: { objects: result.objects, copied: result.copied, bytes: result.bytes, linked }, release: () => lock.release() };
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/** Removes `relative` and its parents while they are empty, up to the store folder. */
async function removeEmptyFolders(root: string, relative: string): Promise<void> {
  for (let at = relative; at !== '.' && at !== ''; at = path.posix.dirname(at)) {
    try {
      await fs.rmdir(path.join(root, ...at.split('/')));
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') continue;
      return;
    }
  }
}

/** The sidecar of a version folder's file: `cleaned/v3/MES/2024-01-15.parquet` → `catalog/cleaned/MES/v3.json`; null for another key. */
function sidecarOfFolderKey(key: string): string | null {
  const parts = key.split('/');
  const version = parseVersionFolder(parts[1] ?? '');
  if (version === null) return null;
  if (parts[0] === 'cleaned' && parts.length === 4) return versionSidecarPath('cleaned', parts[2], version);
  if (parts[0] === 'features' && parts.length === 5) return versionSidecarPath('features', featureKey(parts[2], parts[3]), version);
  return null;
}

/** Where a revision moves a raw file: `raw/MES/2024-01-03/bars.parquet` → `catalog/raw/MES/superseded/2024-01-03/bars.parquet`; null for another key. */
function supersededKeyOf(key: string): string | null {
  const match = /^raw\/([^/]+)\/(\d{4}-\d{2}-\d{2})\/([^/]+)$/.exec(key);
  return match === null ? null : rawSupersededPath(match[1], match[2], match[3]);
}

/** Where a key goes in the publish order (see the module comment). */
function stepOf(key: string): number {
  if (key === VERSION_LEDGER) return 0;
  const table = tableOfMetadata(key);
  const name = path.posix.basename(key);
  if (table !== null && path.posix.dirname(key) === `${table}/metadata`) {
    if (/^v\d+\.metadata\.json$/.test(name)) return 3;
    if (name === VERSION_HINT) return 4;
  }
  if (key === STORE_MARKER) return 4;
  if (key.startsWith('catalog/') && key.endsWith('.json') && !key.includes(`/${LISTS_DIR}/`)) return 2;
  return 1;
}

function metadataVersion(key: string): number {
  return Number(/^v(\d+)\.metadata\.json$/.exec(path.posix.basename(key))?.[1] ?? 0);
}

const md5Hex = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');
const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const plainMd5 = (etag: string): string | undefined => /^"?([0-9a-f]{32})"?$/.exec(etag)?.[1];

/** Whether the bucket's object (etag `etag`) holds `bytes`: its MD5 when the etag is one, else the SHA-256 recorded with it, else its bytes. */
async function holds(remote: ObjectStore, key: string, etag: string, bytes: Uint8Array): Promise<boolean> {
  const md5 = plainMd5(etag);
  if (md5 !== undefined) return md5 === md5Hex(bytes);
  const head = await remote.head(key);
  if (head.sha256 !== undefined) return head.sha256 === sha256Hex(bytes);
  return Buffer.from(await remote.get(key)).equals(Buffer.from(bytes));
}

/**
 * For the crash tests, SIGKILL (no clean-up, as a power cut): `MES_DATA_PUBLISH_CRASH_AFTER=N`
 * once the N-th object is written to (or removed from) the bucket;
 * `MES_DATA_PUBLISH_CRASH_BEFORE=PREFIX` before the first object whose key starts with PREFIX
 * is written. Nothing else reads them.
 */
let published = 0;
function publishCrashPoint(key: string): void {
  crashPoint(`published ${key}`);
  published++;
  const after = Number(process.env.MES_DATA_PUBLISH_CRASH_AFTER);
  if (Number.isSafeInteger(after) && after > 0 && published === after) process.kill(process.pid, 'SIGKILL');
}

function crashBefore(key: string): void {
  const prefix = process.env.MES_DATA_PUBLISH_CRASH_BEFORE;
  if (prefix !== undefined && prefix !== '' && key.startsWith(prefix)) process.kill(process.pid, 'SIGKILL');
}

/**
 * `MES_DATA_PUBLISH_GATE=<file>`: a publish first writes `<file>.waiting`, then waits until
 * `<file>` exists, so that a test can let another writer publish in between (the race of two
 * machines, made certain). Nothing else reads it.
 */
async function publishGate(): Promise<void> {
  const gate = process.env.MES_DATA_PUBLISH_GATE;
  if (gate === undefined || gate === '') return;
  await fs.writeFile(`${gate}.waiting`, '');
  while (!(await fs.stat(gate).then(() => true, () => false))) await new Promise((resolve) => setTimeout(resolve, 50));
}

/**
 * Publishes what the command changed in the working copy (see the module comment). LOCKED
 * (reason commit-conflict, naming the bucket and key) when another writer got there first:
 * the copy is then behind the bucket, and the next `openWorkingCopy` pulls the new state.
 * `removals`: `'all'` for gc, `'replaced-metadata'` for every other writer; `removable`
 * picks, of the objects the copy lost, those removed from the bucket (gc's grace period,
 * core/objectStore/bucketGc.ts), all of them when absent.
 */
export async function publishWorkingCopy(copy: WorkingCopy, options: { removals: 'all' | 'replaced-metadata'; removable?: (keys: readonly string[]) => readonly string[] }): Promise<PublishResult> {
  const { remote } = copy;
  await publishGate();
  const local = new LocalObjectStore(copy.storeDir);
  // the copy's version folders are not published (see the module comment)
  const entries = [...(await listCopy(copy.storeDir)).values()];
  const changes: { key: string; condition: PutCondition; size: number }[] = [];
  const state = new Map<string, { etag: string; localEtag: string }>();
  for (const entry of entries) {
    const base = copy.base.get(entry.key);
    if (base !== undefined && base.localEtag === entry.identity) {
      state.set(entry.key, { etag: base.etag, localEtag: entry.identity });
      continue;
    }
    if (base !== undefined && base.size === entry.size && (await holds(remote, entry.key, base.etag, await local.get(entry.key)))) {
      // written again with the same bytes
      state.set(entry.key, { etag: base.etag, localEtag: entry.identity });
      continue;
    }
    changes.push({ key: entry.key, condition: base === undefined ? { ifNoneMatch: '*' } : { ifMatch: base.etag }, size: entry.size });
  }
  const present = new Set(entries.map((entry) => entry.key));
  const committedTables = new Map<string, number>();
  for (const change of changes) {
    if (stepOf(change.key) !== 3) continue;
    const table = tableOfMetadata(change.key) as string;
    committedTables.set(table, Math.max(committedTables.get(table) ?? 0, metadataVersion(change.key)));
  }
  const removals = [...copy.base.keys()].filter((key) => {
    if (present.has(key)) return false;
    if (options.removals === 'all') return true;
    // a raw file a revision moved out of its date folder (a move: its new key is published at step 1, the sidecar naming it at step 2)
    if (present.has(supersededKeyOf(key) ?? '')) return true;
    const table = tableOfMetadata(key);
    return table !== null && stepOf(key) === 3 && metadataVersion(key) < (committedTables.get(table) ?? 0);
  });
  // an older bucket's folder objects of the versions gc expired (their sidecar is gone from the copy)
  if (options.removals === 'all') removals.push(...copy.bucketFolders.filter((key) => !present.has(sidecarOfFolderKey(key) ?? '')));

  const result: PublishResult = { written: 0, bytes: 0, removed: 0, commits: [] };
  const putOne = async (change: { key: string; condition: PutCondition }): Promise<void> => {
    crashBefore(change.key);
    const bytes = await local.get(change.key);
    const sha256 = sha256Hex(bytes);
    let etag: string;
    try {
      ({ etag } = await remote.put(change.key, bytes, change.condition, { sha256 }));
    } catch (error) {
      if (!(error instanceof LockedError && error.details.reason === 'commit-conflict')) throw error;
      // a data file another writer gave the same bytes is written; never a ledger, sidecar or
      // metadata file: the same text is another writer's claim
      const same = 'ifNoneMatch' in change.condition && stepOf(change.key) === 1 && (await remote.head(change.key).then((head) => holds(remote, change.key, head.etag, bytes)).catch(() => false));
      if (!same) throw conflictError(remote, change.key, change.condition, error);
      etag = (await remote.head(change.key)).etag;
    }
    publishCrashPoint(change.key);
    result.written++;
    result.bytes += bytes.length;
    if (stepOf(change.key) === 3) result.commits.push(change.key);
    state.set(change.key, { etag, localEtag: (await identityOf(copy.storeDir, change.key)) ?? '' });
  };
  for (let step = 0; step <= 4; step++) {
    const now = changes.filter((change) => stepOf(change.key) === step);
    // the commit points one at a time, each table's in ascending order; the other steps side by side
    if (step === 3) now.sort((a, b) => (tableOfMetadata(a.key) as string).localeCompare(tableOfMetadata(b.key) as string) || metadataVersion(a.key) - metadataVersion(b.key));
    else now.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    await eachLimit(now, step === 1 ? 4 : 1, putOne);
  }
  for (const key of options.removable !== undefined ? options.removable(removals) : removals) {
    await remote.delete(key);
    publishCrashPoint(key);
    result.removed++;
  }
  // the copy's folders now name versions the bucket holds: the next pull keeps them
  await writeState(copy.cacheDir, remote.location, { objects: state, folders: await recordFolders(copy.storeDir) });
  return result;
}

function conflictError(remote: ObjectStore, key: string, condition: PutCondition, cause: LockedError): LockedError {
  const step = stepOf(key);
  const what =
    step === 3
      ? `another writer committed ${key} (that metadata version of the table) first`
      : step === 0
        ? `another writer handed out version numbers (${key}) first`
        : 'ifNoneMatch' in condition
          ? `another writer wrote ${key} first`
          : `another writer changed ${key} since this command read it`;
  return new LockedError(`publishing to ${remote.location}: ${what}; run the command again on the new state`, { ...cause.details, store: remote.location, key, reason: 'commit-conflict' });
}

/**
 * Objects of the working copy nothing committed names, for `verify` on an s3:// store: a
 * table's data files, manifests and manifest lists no snapshot needs, and pieces of sidecar
 * lists no sidecar names. A writer killed mid-publish leaves them (sidecars without their
 * version are verify's own MISSING_FOLDER); `gc` removes them.
 */
export async function unreferencedObjects(copy: WorkingCopy, options: { modified?: ReadonlyMap<string, number>; nowMs?: number } = {}): Promise<{ path: string; code: string; message: string }[]> {
  const entries = [...(await listCopy(copy.storeDir)).values()];
  const tables = new Set<string>();
  for (const entry of entries) {
    const table = tableOfMetadata(entry.key);
    if (table !== null) tables.add(table);
  }
  const found: string[] = [];
  for (const table of tables) {
    try {
      const { files } = await unreferencedFiles(path.join(copy.storeDir, ...table.split('/')));
      found.push(...files.map((file) => `${table}/${file.split(path.sep).join('/')}`));
    } catch (error) {
      // a damaged table is verify's to report (CORRUPTED_TABLE); nothing of it is called unreferenced
      if (!(error instanceof MesDataError)) throw error;
    }
  }
  const named = new Set<string>();
  const pieces = entries.filter((entry) => entry.key.includes(`/${LISTS_DIR}/`));
  if (pieces.length > 0) {
    for (const entry of entries) {
      if (stepOf(entry.key) !== 2) continue;
      const file = path.join(copy.storeDir, ...entry.key.split('/'));
      try {
        for (const sha of piecesNamed(await fs.readFile(file, 'utf8'), file)) named.add(`${path.posix.dirname(entry.key)}/${LISTS_DIR}/${sha}.json`);
      } catch {
        // a sidecar that cannot be read names nothing: verify reports it
      }
    }
    for (const entry of pieces) if (!named.has(entry.key)) found.push(entry.key);
  }
  // when each was written (the bucket's LastModified): gc removes one only once it is older than its grace period
  const modified = found.length === 0 ? new Map<string, number>() : (options.modified ?? (await bucketAges(copy.remote)));
  const nowMs = options.nowMs ?? Date.now();
  return found.sort().map((key) => {
    const at = modified.get(key);
    const age = at === undefined ? '' : `, written ${formatAge(nowMs - at)} ago`;
    return {
      path: key,
      code: 'UNREFERENCED_OBJECT',
      message: `${remoteKey(copy, key)} is named by no committed version (a writer stopped while publishing left it, or one is publishing it now)${age}; mes-data gc removes it once it is older than the grace period (gc --grace, ${DEFAULT_GRACE} by default)`,
    };
  });
}

/**
 * `gc` on a bucket, before its job runs on the copy: when each object was written and what
 * nothing committed names at the pull, for the grace period (core/objectStore/bucketGc.ts).
 * Give the job's result to `onBucket`, then `removable` to `publishWorkingCopy`.
 */
export async function planBucketGc(copy: WorkingCopy, options: { grace?: string; dryRun?: boolean } = {}): Promise<BucketGc> {
  const nowMs = Date.now();
  const modified = await bucketAges(copy.remote);
  const orphans = (await unreferencedObjects(copy, { modified, nowMs })).map((problem) => problem.path);
  const sizes = new Map([...copy.base].map(([key, entry]) => [key, entry.size]));
  return new BucketGc({ grace: options.grace, dryRun: options.dryRun === true, nowMs, modified, orphans, sizes });
}

function remoteKey(copy: WorkingCopy, key: string): string {
  return `${copy.remote.location.replace(/\/$/, '')}/${key}`;
}
