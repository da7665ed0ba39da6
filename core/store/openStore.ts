import fs from 'node:fs/promises';
import path from 'node:path';
import { AlreadyExistsError, CorruptedFileError, LockedError, MesDataError, NotFoundError, UnsupportedFileError } from '../errors.js';
import { VERSION } from '../version.js';
import { errnoOf, mkdirDurable, removeTree, writeFileDurable } from './durableFs.js';
import { findLeftoverStaging, recoverStaging, type RecoveryResult } from './stagingArea.js';
import { registerStoreRoot } from './storePaths.js';
import { acquireStoreLock, inspectStoreLock, removeLeftoverLockFolders } from './storeLock.js';
import { CATALOG_DIR, LAYERS, STORE_FORMAT_VERSION, STORE_MARKER, featureKey, parseVersionFolder, tablePath, versionPath, type Store, type VersionedLayer } from './storeLayout.js';
import { recoverVersions } from './versionCommit.js';

/** The marker file that makes a folder a store. */
export interface StoreMarker {
  format: 'mes-data-store';
  formatVersion: number;
  createdAt: string;
  createdBy: string;
}

async function readMarker(root: string): Promise<StoreMarker | null> {
  const markerPath = path.join(root, STORE_MARKER);
  let text: string;
  try {
    text = await fs.readFile(markerPath, 'utf8');
  } catch (error) {
    if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return null;
    throw error;
  }
  let marker: Partial<StoreMarker>;
  try {
    marker = JSON.parse(text) as Partial<StoreMarker>;
  } catch {
    throw new CorruptedFileError(`${markerPath} is not valid JSON`, { path: markerPath });
  }
  if (marker?.format !== 'mes-data-store' || !Number.isSafeInteger(marker.formatVersion)) {
    throw new CorruptedFileError(`${markerPath} is not a MES Data store marker`, { path: markerPath });
  }
  if ((marker.formatVersion ?? 0) > STORE_FORMAT_VERSION) {
    throw new UnsupportedFileError(`the store ${root} has format ${marker.formatVersion}; this mes-data (${VERSION}) reads format ${STORE_FORMAT_VERSION}`, {
      path: markerPath,
      reason: 'newer store format',
      formatVersion: marker.formatVersion,
    });
  }
  return marker as StoreMarker;
}

/** The first store format whose data folders hold Parquet files only (sidecars in `catalog/`). */
const FIRST_CATALOG_FORMAT = 2;

/** STORE_NEEDS_MIGRATION for a store of an older format, naming it and the command that converts it. */
function needsMigration(root: string, formatVersion: number): MesDataError {
  return new MesDataError(
    'STORE_NEEDS_MIGRATION',
    `the store ${root} has format ${formatVersion}; this mes-data (${VERSION}) reads format ${STORE_FORMAT_VERSION}: run \`mes-data migrate --store ${root}\` once to convert it in place`,
    { path: root, formatVersion, expected: STORE_FORMAT_VERSION },
  );
}

/**
 * Makes `dir` a store of format 2 (creating it if needed): the layer folders and `catalog/`,
 * then the marker file `mes-data-store.json`, last. An existing store is left as it is
 * (`created: false`). Throws ALREADY_EXISTS when `dir` holds other (non-hidden) things and
 * is not a store, CORRUPTED_FILE when its marker is damaged, and STORE_NEEDS_MIGRATION
 * when it is a store of format 1.
 */
export async function initStore(dir: string): Promise<{ store: Store; created: boolean }> {
  const root = path.resolve(dir);
  const existing = await readMarker(root);
  if (existing) {
    if (existing.formatVersion < FIRST_CATALOG_FORMAT) throw needsMigration(root, existing.formatVersion);
    registerStoreRoot(root);
    return { store: { root, formatVersion: existing.formatVersion }, created: false };
  }
  const entries = await fs.readdir(root).catch((error: unknown) => {
    if (errnoOf(error) === 'ENOENT') return [] as string[];
    if (errnoOf(error) === 'ENOTDIR') throw new AlreadyExistsError(`${root} is a file, not a folder`, { path: root });
    throw error;
  });
  const foreign = entries.filter((name) => !name.startsWith('.') && !(LAYERS as readonly string[]).includes(name) && name !== CATALOG_DIR);
  if (foreign.length > 0) {
    throw new AlreadyExistsError(`${root} is not empty and is not a MES Data store (it holds ${foreign.slice(0, 3).map((n) => JSON.stringify(n)).join(', ')}${foreign.length > 3 ? ', …' : ''}); choose an empty or new folder`, {
      path: root,
      entries: foreign.slice(0, 20),
    });
  }
  await mkdirDurable(root);
  registerStoreRoot(root);
  for (const layer of LAYERS) await mkdirDurable(path.join(root, layer));
  await mkdirDurable(path.join(root, CATALOG_DIR));
  const marker: StoreMarker = { format: 'mes-data-store', formatVersion: STORE_FORMAT_VERSION, createdAt: new Date().toISOString(), createdBy: `mes-data ${VERSION}` };
  await writeFileDurable(path.join(root, STORE_MARKER), `${JSON.stringify(marker, null, 2)}\n`);
  return { store: { root, formatVersion: STORE_FORMAT_VERSION }, created: true };
}

/**
 * Opens an existing store. Unless `recover` is false, it also finishes or removes what
 * crashed writers left behind (staging folders, half-taken locks, empty version folders),
 * but only when no live writer holds the lock; reading never waits for the lock.
 * Throws NOT_FOUND when `dir` is not a store, UNSUPPORTED_FILE for a newer store format and
 * STORE_NEEDS_MIGRATION for a store of format 1, unless `allowFormat1` (for `mes-data
 * migrate`, which converts it; nothing is recovered then, since recovery knows format 2 only).
 */
export async function openStore(dir: string, options: { recover?: boolean; allowFormat1?: boolean } = {}): Promise<Store> {
  const root = path.resolve(dir);
  const marker = await readMarker(root);
  if (!marker) {
    throw new NotFoundError(`${root} is not a MES Data store (it has no ${STORE_MARKER}); create one with \`mes-data init --store ${root}\``, { path: root });
  }
  if (marker.formatVersion < FIRST_CATALOG_FORMAT) {
    if (options.allowFormat1 !== true) throw needsMigration(root, marker.formatVersion);
    registerStoreRoot(root);
    return { root, formatVersion: marker.formatVersion };
  }
  const store: Store = { root, formatVersion: marker.formatVersion };
  // from here on, every durable write and Parquet open under this root refuses symbolic links
  registerStoreRoot(root);
  if (options.recover !== false) await tryRecover(store);
  return store;
}

/** True when crashed writers left something behind (cheap: a few folder listings). */
async function needsRecovery(store: Store): Promise<boolean> {
  if ((await findLeftoverStaging(store)).length > 0) return true;
  // a lock whose holder is gone (by pid and start time, boot id or heartbeat)
  if ((await inspectStoreLock(store)).state === 'stale') return true;
  const rootEntries = await fs.readdir(store.root);
  if (rootEntries.some((name) => name.startsWith('.lock-') || LEFTOVER_TEMP.test(name))) return true;
  if ((await unplacedVersions(store)).length > 0) return true;
  return (await emptyVersionFolders(store)).length > 0;
}

/**
 * The keys with a version sidecar in `catalog/` but no version folder: a version commit that
 * stopped between writing its sidecar and renaming its folder into place (before or after
 * its Iceberg commit). A listing of `catalog/cleaned` and `catalog/features` and one stat per
 * version.
 */
async function unplacedVersions(store: Store): Promise<{ layer: VersionedLayer; key: string }[]> {
  const folders = async (relative: string): Promise<string[]> =>
    (await fs.readdir(path.join(store.root, ...relative.split('/')), { withFileTypes: true }).catch(() => [])).filter((entry) => entry.isDirectory() && !entry.name.startsWith('.')).map((entry) => entry.name);
  const keys: { layer: VersionedLayer; key: string }[] = [];
  for (const asset of await folders(`${CATALOG_DIR}/cleaned`)) keys.push({ layer: 'cleaned', key: asset });
  for (const asset of await folders(`${CATALOG_DIR}/features`)) for (const set of await folders(`${CATALOG_DIR}/features/${asset}`)) keys.push({ layer: 'features', key: featureKey(asset, set) });
  const unplaced: { layer: VersionedLayer; key: string }[] = [];
  for (const { layer, key } of keys) {
    // without its table there is no snapshot to rebuild a folder from or to tell a finished commit by:
    // nothing is removed, and verify reports the sidecar (MISSING_FOLDER)
    const metadata = await fs.readdir(path.join(store.root, ...tablePath(layer, key).split('/'), 'metadata')).catch(() => [] as string[]);
    if (metadata.length === 0) continue;
    const names = await fs.readdir(path.join(store.root, CATALOG_DIR, layer, ...key.split('/'))).catch(() => [] as string[]);
    for (const name of names) {
      const version = name.endsWith('.json') ? parseVersionFolder(name.slice(0, -'.json'.length)) : null;
      if (version === null) continue;
      const folder = await fs.lstat(path.join(store.root, ...versionPath(layer, version, key).split('/'))).catch(() => null);
      if (folder === null) {
        unplaced.push({ layer, key });
        break;
      }
    }
  }
  return unplaced;
}

/** Cleans up after crashed writers if the lock is free; silently does nothing otherwise. */
async function tryRecover(store: Store): Promise<void> {
  if (!(await needsRecovery(store))) return;
  let lock;
  try {
    lock = await acquireStoreLock(store, { waitMs: 0, purpose: 'recovery on open' });
  } catch (error) {
    // a live writer is at work, or the store is read-only for us: reading goes on
    if (error instanceof LockedError) return;
    const code = errnoOf(error);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return;
    throw error;
  }
  try {
    await recoverStore(store);
  } catch {
    // reading goes on; what could not be cleaned up stays visible to verifyStore
  } finally {
    await lock.release();
  }
}

/**
 * Finishes committed work of crashed writers and removes the rest: journals of staging
 * folders, and version commits that stopped between their sidecar and their folder
 * (`recoverVersions` of versionCommit.ts). The caller holds the store lock.
 */
export async function recoverStore(store: Store): Promise<RecoveryResult> {
  const result = await recoverStaging(store);
  await removeLeftoverLockFolders(store);
  // version commits that stopped between their sidecar and their folder: rebuilt from the snapshot, or their sidecar removed
  for (const only of await unplacedVersions(store)) {
    const versions = await recoverVersions(store, only);
    result.rolledForward.push(...versions.rebuilt);
    result.removed.push(...versions.removed);
  }
  const rootEntries = await fs.readdir(store.root);
  for (const name of rootEntries) {
    if (LEFTOVER_TEMP.test(name)) {
      await removeTree(path.join(store.root, name));
      result.removed.push(name);
    }
  }
  for (const folder of await emptyVersionFolders(store)) {
    await fs.rmdir(path.join(store.root, ...folder.split('/'))).catch(() => undefined);
    result.removed.push(folder);
  }
  return result;
}

/** Temporary files of atomic writes at the top of the store (the ledger, the marker). */
const LEFTOVER_TEMP = /^\..+\.\d+\.[0-9a-f]+\.tmp$/;

/** Empty `cleaned/vN` and `features/vN` folders: a crash between creating one and moving a version in. */
export async function emptyVersionFolders(store: Store): Promise<string[]> {
  const found: string[] = [];
  for (const layer of ['cleaned', 'features']) {
    // through a linked layer or version folder this would remove folders outside the store
    const layerStat = await fs.lstat(path.join(store.root, layer)).catch(() => null);
    if (!layerStat?.isDirectory()) continue;
    const entries = await fs.readdir(path.join(store.root, layer), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const name = entry.name;
      if (!entry.isDirectory() || parseVersionFolder(name) === null) continue;
      const inside = await fs.readdir(path.join(store.root, layer, name)).catch(() => null);
      if (inside !== null && inside.length === 0) found.push(`${layer}/${name}`);
    }
  }
  return found;
}
