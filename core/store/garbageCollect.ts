import fs from 'node:fs/promises';
import path from 'node:path';
import { BadRequestError, CancelledError } from '../errors.js';
import { expirableSnapshots, expireSnapshots, unreferencedFiles } from '../iceberg/tableExpiry.js';
import { loadTable, METADATA_DIR, VERSION_HINT } from '../iceberg/tableCommit.js';
import { listSnapshots } from '../iceberg/tableRead.js';
import { errnoOf, fsyncDir, ioError, listDir, removeTree } from './durableFs.js';
import { versionsOnDisk } from './datasetNames.js';
import { LISTS_DIR, piecesNamed } from './sidecarLists.js';
import { acquireStoreLock } from './storeLock.js';
import { absolute, featureKey, parseVersionFolder, tablePath, versionPath, versionSidecarPath, type Store, type VersionedLayer } from './storeLayout.js';
import { isValidName, checkAssetName, checkFeatureSetName } from './storeNames.js';

/**
 * `mes-data gc` (store format 2): expires old versions of the Iceberg tables of the store
 * and removes what no kept version needs, under the store lock. For each table:
 *
 * 1. the expiry commit (core/iceberg/tableExpiry.ts): the versions beyond the newest
 *    `keep`, or committed before `olderThan`, leave the table's snapshots; never the
 *    current one nor one a tag or branch names. This is the point of no return;
 * 2. the sidecar (`catalog/…/vN.json`) and the version folder (`{layer}/vN/{key}`) of every
 *    version the table no longer keeps: expired now, or by a gc that was interrupted after
 *    its commit (a rerun finishes it);
 * 3. the table's files no kept snapshot needs: data files, manifests, manifest lists, and
 *    metadata files but the current one (`unreferencedFiles`), which also covers what a
 *    crashed commit left. The list comes from the kept snapshots' manifests, never from a
 *    scan of version folders, so a file a kept version links is never removed;
 * 4. the pieces of sidecar lists no kept version's sidecar names (`removeUnnamedPieces`).
 *
 * A version folder holds hard links only: removing it frees no data; the bytes said are
 * those of the table files removed. A dry run computes the same lists and removes nothing.
 */

/** Metadata files kept per table: the current one names every kept snapshot and its log. */
const KEEP_METADATA_FILES = 1;

interface GcOptions {
  /** keep this many newest versions of each table (at least 1) */
  keep?: number;
  /** expire versions committed before this: a duration (`30d`, `12h`, `2w`) before now, or a date or moment (ISO 8601, UTC) */
  olderThan?: string;
  /** only the tables of this asset (its cleaned table and its feature sets) */
  asset?: string;
  dryRun?: boolean;
  nowMs?: number;
  signal?: AbortSignal;
  progress?: (update: { fraction: number; stage: string }) => void;
}

interface GcVersion {
  /** the version folder, store-relative (`cleaned/v1/MES`) */
  path: string;
  table: string;
  version: number;
  /** when its snapshot was committed, or null for a version the table had dropped before */
  committedAt: string | null;
}

interface GcResult {
  dryRun: boolean;
  tables: number;
  versions: GcVersion[];
  /** the table files removed (or, in a dry run, that would be), store-relative, sorted */
  files: { path: string; bytes: number }[];
  bytes: number;
}

const DURATION = /^(\d{1,6})([smhdw])$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * The moment `--older-than` names, ms since the epoch: `30d` (s, m, h, d, w) before `nowMs`,
 * or a date (`2026-11-01`, midnight UTC) or moment (`2026-11-01T12:00:00Z`). BAD_REQUEST
 * naming the value otherwise.
 */
export function olderThanMs(value: string, nowMs: number): number {
  const duration = DURATION.exec(value);
  if (duration) return nowMs - Number(duration[1]) * UNIT_MS[duration[2]];
  if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value)) {
    const ms = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
    if (Number.isFinite(ms)) return ms;
  }
  throw new BadRequestError(`--older-than takes a duration (30d, 12h, 2w: s, m, h, d, w) or a date or moment (2026-11-01, 2026-11-01T12:00:00Z), not "${value}"`, { olderThan: value });
}

/** Whether `dir` holds an Iceberg table: a metadata file or the version hint in its `metadata/`. */
async function isTable(dir: string): Promise<boolean> {
  return (await listDir(path.join(dir, METADATA_DIR))).some((name) => name === VERSION_HINT || /^v\d+\.metadata\.json$/.test(name));
}

/** The tables of the store (cleaned first, then features), as layer and key, of one asset when given. */
export async function storeTables(store: Store, asset?: string): Promise<{ layer: VersionedLayer; key: string }[]> {
  const tables: { layer: VersionedLayer; key: string }[] = [];
  const assets = async (layer: VersionedLayer) =>
    (await listDir(absolute(store, layer))).filter((name) => parseVersionFolder(name) === null && isValidName(checkAssetName, name) && (asset === undefined || name === asset));
  for (const name of await assets('cleaned')) {
    if (await isTable(absolute(store, tablePath('cleaned', name)))) tables.push({ layer: 'cleaned', key: name });
  }
  for (const name of await assets('features')) {
    for (const set of await listDir(absolute(store, `features/${name}`))) {
      const key = featureKey(name, set);
      if (isValidName(checkFeatureSetName, set) && (await isTable(absolute(store, tablePath('features', key))))) tables.push({ layer: 'features', key });
    }
  }
  return tables;
}

/** Removes a folder and then its parents up to (not including) `stop` while they are empty. */
async function removeFolder(folder: string, stop: string): Promise<void> {
  await removeTree(folder);
  let parent = path.dirname(folder);
  while (parent.startsWith(stop + path.sep) && parent !== stop) {
    try {
      await fs.rmdir(parent);
    } catch {
      break;
    }
    parent = path.dirname(parent);
  }
  await fsyncDir(parent);
}

async function removeFile(file: string): Promise<void> {
  try {
    await fs.unlink(file);
  } catch (error) {
    if (errnoOf(error) !== 'ENOENT') throw ioError('remove', file, error);
  }
}

/**
 * Step 4: the pieces of long sidecar lists (core/store/sidecarLists.ts) that no remaining
 * sidecar of the key names (directly, or through a year piece it names), and temporary files
 * a crashed write left beside them. When a remaining sidecar or a year piece it names cannot
 * be read, every piece is kept (verify reports the sidecar).
 */
async function removeUnnamedPieces(store: Store, layer: VersionedLayer, key: string, remaining: number[], result: GcResult, dryRun: boolean): Promise<void> {
  const listsDir = path.join(path.dirname(absolute(store, versionSidecarPath(layer, key, 1))), LISTS_DIR);
  const present = await listDir(listsDir);
  if (present.length === 0) return;
  const named = new Set<string>();
  for (const version of remaining) {
    try {
      const sidecarFile = absolute(store, versionSidecarPath(layer, key, version));
      for (const digest of piecesNamed(await fs.readFile(sidecarFile, 'utf8'), sidecarFile)) named.add(`${digest}.json`);
    } catch {
      return;
    }
  }
  const unnamed = present.filter((name) => !named.has(name));
  for (const name of unnamed) {
    const file = path.join(listsDir, name);
    const bytes = (await fs.lstat(file)).size;
    result.files.push({ path: path.relative(store.root, file).split(path.sep).join('/'), bytes });
    result.bytes += bytes;
    if (!dryRun) await removeFile(file);
  }
  if (!dryRun && unnamed.length > 0) await fsyncDir(listsDir);
}

/** Runs gc on the store (see the module comment). BAD_REQUEST without `keep` or `olderThan`, or for a bad value; LOCKED when a writer holds the store. */
export async function garbageCollect(store: Store, options: GcOptions): Promise<GcResult> {
  const nowMs = options.nowMs ?? Date.now();
  if (options.keep === undefined && options.olderThan === undefined) throw new BadRequestError('say which versions go: --keep N (the newest N stay) or --older-than 30d (a duration or a date)');
  if (options.keep !== undefined && (!Number.isSafeInteger(options.keep) || options.keep < 1)) throw new BadRequestError(`--keep takes a whole number of versions, at least 1, not ${options.keep}`, { keep: options.keep });
  const expiry = { keepLast: options.keep, olderThanMs: options.olderThan === undefined ? undefined : olderThanMs(options.olderThan, nowMs), nowMs };
  const asset = options.asset === undefined ? undefined : checkAssetName(options.asset);
  const lock = await acquireStoreLock(store, { purpose: options.dryRun ? 'gc (dry run)' : 'gc' });
  try {
    const tables = await storeTables(store, asset);
    const result: GcResult = { dryRun: options.dryRun === true, tables: tables.length, versions: [], files: [], bytes: 0 };
    for (const [index, { layer, key }] of tables.entries()) {
      if (options.signal?.aborted) throw new CancelledError(`gc: cancelled before ${tablePath(layer, key)}`);
      options.progress?.({ fraction: index / tables.length, stage: tablePath(layer, key) });
      const dir = absolute(store, tablePath(layer, key));
      const before = await loadTable(dir);
      const expired = expirableSnapshots(before, expiry);
      let kept: Set<number>;
      if (options.dryRun) {
        kept = new Set(listSnapshots(before).filter((s) => !expired.some((e) => e.id === s.id)).map((s) => s.version));
      } else {
        await lock.assertHeld();
        const { table } = await expireSnapshots(dir, expiry);
        kept = new Set(listSnapshots(table).map((s) => s.version));
      }
      const committed = new Map(listSnapshots(before).map((s) => [s.version, new Date(s.timestampMs).toISOString()]));
      const sidecars = (await listDir(path.dirname(absolute(store, versionSidecarPath(layer, key, 1))))).flatMap((name) => {
        const match = /^v([1-9]\d{0,8})\.json$/.exec(name);
        return match ? [Number(match[1])] : [];
      });
      const gone = [...new Set([...versionsOnDisk(store.root, layer, key), ...sidecars])].filter((v) => !kept.has(v)).sort((a, b) => a - b);
      for (const version of gone) {
        result.versions.push({ path: versionPath(layer, version, key), table: tablePath(layer, key), version, committedAt: committed.get(version) ?? null });
        if (options.dryRun) continue;
        await removeFile(absolute(store, versionSidecarPath(layer, key, version)));
        await removeFolder(absolute(store, versionPath(layer, version, key)), store.root);
      }
      const free = await unreferencedFiles(dir, { keepMetadataFiles: KEEP_METADATA_FILES, ...(options.dryRun ? { expiring: new Set(expired.map((s) => s.id)) } : {}) });
      for (const relative of free.files) {
        const file = path.join(dir, ...relative.split('/'));
        const bytes = (await fs.stat(file)).size;
        result.files.push({ path: `${tablePath(layer, key)}/${relative}`, bytes });
        result.bytes += bytes;
        if (!options.dryRun) await removeFile(file);
      }
      if (!options.dryRun && free.files.length > 0) {
        for (const folder of new Set(free.files.map((relative) => path.dirname(path.join(dir, ...relative.split('/')))))) {
          const empty = folder !== path.join(dir, METADATA_DIR) && (await listDir(folder)).length === 0;
          if (empty) await fs.rmdir(folder);
          await fsyncDir(empty ? path.dirname(folder) : folder);
        }
      }
      await removeUnnamedPieces(store, layer, key, sidecars.filter((version) => !gone.includes(version)), result, options.dryRun === true);
    }
    result.files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    options.progress?.({ fraction: 1, stage: 'done' });
    return result;
  } finally {
    await lock.release();
  }
}
