import fs from 'node:fs/promises';
import path from 'node:path';
import { BadRequestError, NotFoundError } from '../errors.js';
import { SymlinkInStoreError, assertNoSymlinkBelow } from './storePaths.js';
import { MetadataManager, type DatasetMetadata, type FileInfo } from './metadataManager.js';
import { checkAssetName, checkFeatureSetName, isIsoDate, isValidName } from './storeNames.js';
import { LAYERS, featureKey, isLayer, parseVersionFolder, rawSidecarPath, tablePath, versionPath, versionSidecarPath, type Layer, type Store, type VersionedLayer } from './storeLayout.js';

/**
 * The catalog: the store as a tree of nodes, built from folder listings and sidecars only
 * (no Parquet file is opened), for the app's browser and `mes-data ls`.
 *
 *   store
 *   ├─ raw → asset (raw/MES) → date (raw/MES/2024-01-15) → file
 *   ├─ cleaned → asset (cleaned/MES) → version (cleaned/v2/MES) → file (…/2024-01-15.parquet)
 *   └─ features → asset (features/MES) → featureSet (features/MES/price_volatility)
 *                 → version (features/v1/MES/price_volatility) → file (…/part-0.parquet)
 *
 * Sidecars live in `catalog/` (store format 2): a raw date's at `catalog/raw/{ASSET}/{DATE}.json`,
 * a version's at `catalog/{layer}/{key}/v{N}.json`. Asset and feature-set nodes under
 * cleaned and features group the versions of one key; their paths (`cleaned/MES`, the
 * Iceberg table's folder) are accepted by `listTree`, but the table's own `data/` and
 * `metadata/` never appear. A sidecar that lists files in folders (`date=…`) gives `date`,
 * `asset` or `partition` nodes. Only committed data appears: a date or version folder
 * without its sidecar is not a snapshot or version yet.
 */

type CatalogKind = 'store' | 'layer' | 'asset' | 'date' | 'version' | 'featureSet' | 'file' | 'partition';

export interface CatalogNode {
  kind: CatalogKind;
  name: string;
  /** Store-relative path with forward slashes; '' for the store itself. */
  path: string;
  /** Absent when the node was not expanded (see `depth`) or cannot have children. */
  children?: CatalogNode[];
  /** Rows (files, dates, versions; assets of the raw layer when expanded). */
  rows?: number | null;
  bytes?: number;
  /** First and last trading date covered, `YYYY-MM-DD`, where known. */
  from?: string | null;
  to?: string | null;
  /** Version nodes: the number N of `v{N}`. */
  version?: number;
  /** Version nodes: the validation result recorded in the sidecar, null when none was recorded. */
  valid?: boolean | null;
  createdAt?: string;
  /** Version nodes: the message given when it was committed (promote, features build), when there was one. */
  changelog?: string;
  /** File nodes. */
  sha256?: string;
  compression?: string;
  /** Set when the node's sidecar could not be read; the node then carries no counts. */
  error?: string;
}

interface ListTreeOptions {
  /** Levels of children to include below the requested node (default: all). */
  depth?: number;
}

/** How many folders are listed at once. */
const READ_CONCURRENCY = 16;
/** Sidecars stat'ed (and read, when they changed) at once. */
const SIDECAR_CHUNK = 64;

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * The visible subfolders of `dir`, sorted. A symbolic link among them throws SYMLINK: the
 * catalog never follows one (its sidecars could be anyone's) and never hides one either.
 */
async function subfolders(dir: string): Promise<string[]> {
  try {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    const link = entries.find((entry) => entry.isSymbolicLink() && !entry.name.startsWith('.'));
    if (link) throw new SymlinkInStoreError(`${path.join(dir, link.name)} is a symbolic link; the store never follows links (run mes-data verify for every problem)`, { path: path.join(dir, link.name) });
    return entries
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw error;
  }
}

type SidecarRead = { metadata: DatasetMetadata } | { missing: true } | { error: string };

/**
 * Sidecars read before, by path, with the size, modification time and inode they had: the
 * app asks for the tree at every start and after every job, and parsing 2,900 date sidecars
 * again each time was most of the 100 ms a tree of a ten-year store took on the host's
 * event loop. A sidecar is replaced whole (written beside, then renamed), so a changed one
 * has a new inode or time and is read again.
 */
const parsedSidecars = new Map<string, { stamp: string; read: SidecarRead }>();
const PARSED_SIDECARS_KEPT = 20_000;

/**
 * A sidecar read for display: not schema-checked (that is `verifyStore`'s job). `file` is
 * absolute. With `lists: false`, a version's lists kept in pieces stay unread (a node that
 * shows the version, not its files: a daily store has thousands of versions of thousands of
 * files each).
 */
async function readSidecarNow(file: string, lists = true): Promise<SidecarRead> {
  const name = path.basename(file);
  // a shallow read and a whole one of the same sidecar are kept apart
  const cacheKey = lists ? file : `${file}#shallow`;
  let text: string;
  let stamp: string;
  try {
    const stats = await fs.lstat(file);
    if (stats.isSymbolicLink()) return { error: `${name} is a symbolic link; the store never follows links` };
    stamp = `${stats.size}:${stats.mtimeMs}:${stats.ino}`;
    const known = parsedSidecars.get(cacheKey);
    if (known?.stamp === stamp) return known.read;
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { missing: true };
    return { error: `cannot read ${name}: ${(error as Error).message}` };
  }
  let read: SidecarRead;
  try {
    read = { metadata: MetadataManager.parseMetadata(text, file, { validate: false, lists }) };
  } catch (error) {
    read = { error: (error as Error).message };
  }
  // a read that failed is not kept: a list piece it lacked may be put back without the sidecar changing
  if ('error' in read) return read;
  parsedSidecars.delete(cacheKey);
  parsedSidecars.set(cacheKey, { stamp, read });
  if (parsedSidecars.size > PARSED_SIDECARS_KEPT) parsedSidecars.delete(parsedSidecars.keys().next().value as string);
  return read;
}

/**
 * Many sidecars (absolute paths), in order, a chunk at a time: their stats (and the reads
 * of the few that changed) go to libuv's threads, so a tree of 3,000 dates holds the host's
 * event loop only for the parsing of what changed.
 */
async function readSidecars(files: string[]): Promise<SidecarRead[]> {
  const reads: SidecarRead[] = [];
  for (let start = 0; start < files.length; start += SIDECAR_CHUNK) reads.push(...(await Promise.all(files.slice(start, start + SIDECAR_CHUNK).map((file) => readSidecarNow(file)))));
  return reads;
}

/** The absolute path of a store-relative sidecar path, refusing a link on the way (SYMLINK). */
function sidecarFile(store: Store, relative: string): string {
  const file = path.join(store.root, ...relative.split('/'));
  assertNoSymlinkBelow(store.root, path.dirname(file));
  return file;
}

const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function expand(depth: number): boolean {
  return depth > 0;
}

function fileNode(parentPath: string, file: FileInfo, name: string): CatalogNode {
  return { kind: 'file', name, path: `${parentPath}/${name}`, rows: file.rows, bytes: file.bytes, sha256: file.sha256, compression: file.compression };
}

// ---------------------------------------------------------------------------------------
// raw
// ---------------------------------------------------------------------------------------

function rawDateNode(asset: string, date: string, read: SidecarRead, depth: number): CatalogNode | null {
  if ('missing' in read) return null;
  const nodePath = `raw/${asset}/${date}`;
  if ('error' in read) return { kind: 'date', name: date, path: nodePath, rows: null, from: date, to: date, error: read.error };
  const { metadata } = read;
  const node: CatalogNode = { kind: 'date', name: date, path: nodePath, rows: metadata.recordCount, bytes: metadata.fileSizeBytes, from: date, to: date, createdAt: metadata.createdAt };
  if (expand(depth)) node.children = metadata.files.map((file) => fileNode(nodePath, file, file.path)).sort(byName);
  return node;
}

/**
 * A raw asset's dates and their sidecars, kept between requests: a tree of a ten-year store
 * stat'ed all 2,899 date sidecars at every request (about 60 ms of the host's event loop,
 * half a second at p99 while a promotion ran beside it). An entry stands while the asset's
 * folder and its sidecars' folder are unchanged: a snapshot is committed, revised or removed
 * by renaming into (or out of) those folders, which gives the folder a new modification
 * time, so two stats check it. A folder changed less than SETTLE_MS before it was read is
 * not trusted (file times are coarse: a rename in the same tick as the listing would leave
 * the time as it was), and its next use reads the sidecars' stats again as before. A host
 * whose job ended forgets every entry (`forgetCatalogListings`).
 */
interface RawListing {
  stamp: string;
  /** false when a folder had changed just before it was read, or a sidecar could not be read: the next use lists it again */
  settled: boolean;
  dates: string[];
  reads: SidecarRead[];
}

const rawListings = new Map<string, RawListing>();
const RAW_LISTINGS_KEPT = 256;
const SETTLE_MS = 2000;

/** Forgets the raw listings kept by `listTree` (a writer of this process may have committed). */
export function forgetCatalogListings(): void {
  rawListings.clear();
}

/** The folder's identity and modification time (a link is its own kind); 'none' when it is missing. */
async function folderStamp(dir: string): Promise<{ stamp: string; mtimeMs: number }> {
  try {
    const stats = await fs.lstat(dir);
    return { stamp: `${stats.isSymbolicLink() ? 'l' : stats.isDirectory() ? 'd' : 'f'}:${stats.ino}:${stats.mtimeMs}`, mtimeMs: stats.mtimeMs };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { stamp: 'none', mtimeMs: 0 };
    throw error;
  }
}

async function rawListing(store: Store, asset: string): Promise<RawListing> {
  const assetDir = path.join(store.root, 'raw', asset);
  const sidecarDir = path.join(store.root, ...path.posix.dirname(rawSidecarPath(asset, '2000-01-01')).split('/'));
  const stamps = await Promise.all([folderStamp(assetDir), folderStamp(sidecarDir)]);
  const stamp = stamps.map((s) => s.stamp).join('|');
  const known = rawListings.get(assetDir);
  if (known && known.settled && known.stamp === stamp) {
    rawListings.delete(assetDir);
    rawListings.set(assetDir, known);
    return known;
  }
  const settled = stamps.every((s) => Date.now() - s.mtimeMs >= SETTLE_MS);
  const dates = (await subfolders(assetDir)).filter(isIsoDate);
  // one check of the sidecars' folder for links, then plain paths inside it
  const checkedDir = dates.length === 0 ? '' : path.dirname(sidecarFile(store, rawSidecarPath(asset, dates[0])));
  const reads = await readSidecars(dates.map((date) => path.join(checkedDir, path.posix.basename(rawSidecarPath(asset, date)))));
  // a listing with a sidecar that could not be read is not kept either (as readSidecarNow keeps no failed read)
  const listing: RawListing = { stamp, settled: settled && !reads.some((read) => 'error' in read), dates, reads };
  rawListings.delete(assetDir);
  rawListings.set(assetDir, listing);
  if (rawListings.size > RAW_LISTINGS_KEPT) rawListings.delete(rawListings.keys().next().value as string);
  return listing;
}

async function rawAssetNode(store: Store, asset: string, depth: number): Promise<CatalogNode> {
  const nodePath = `raw/${asset}`;
  if (!expand(depth)) return { kind: 'asset', name: asset, path: nodePath };
  const { dates, reads } = await rawListing(store, asset);
  const children = dates.map((date, i) => rawDateNode(asset, date, reads[i], depth - 1)).filter((child): child is CatalogNode => child !== null);
  return {
    kind: 'asset',
    name: asset,
    path: nodePath,
    rows: children.reduce((sum, child) => sum + (child.rows ?? 0), 0),
    bytes: children.reduce((sum, child) => sum + (child.bytes ?? 0), 0),
    from: children.length > 0 ? children[0].name : null,
    to: children.length > 0 ? children[children.length - 1].name : null,
    children,
  };
}

async function rawAssets(store: Store): Promise<string[]> {
  return (await subfolders(path.join(store.root, 'raw'))).filter((name) => isValidName(checkAssetName, name));
}

// ---------------------------------------------------------------------------------------
// cleaned and features
// ---------------------------------------------------------------------------------------

/** The folders of a version's files, as a tree of partition nodes, from the sidecar's file list. */
function versionChildren(versionPathPrefix: string, files: FileInfo[], depth: number): CatalogNode[] {
  interface Folder {
    folders: Map<string, Folder>;
    files: FileInfo[];
  }
  const root: Folder = { folders: new Map(), files: [] };
  for (const file of files) {
    const parts = file.path.split('/');
    let folder = root;
    for (const part of parts.slice(0, -1)) {
      let child = folder.folders.get(part);
      if (!child) {
        child = { folders: new Map(), files: [] };
        folder.folders.set(part, child);
      }
      folder = child;
    }
    folder.files.push(file);
  }
  const build = (folder: Folder, prefix: string, level: number): CatalogNode[] => {
    const nodes: CatalogNode[] = [];
    for (const [name, child] of folder.folders) {
      const nodePath = `${prefix}/${name}`;
      const [key, value] = name.split('=');
      const kind: CatalogKind = key === 'date' && value !== undefined ? 'date' : key === 'asset' && value !== undefined ? 'asset' : 'partition';
      const all = collect(child);
      const node: CatalogNode = { kind, name, path: nodePath, rows: all.reduce((s, f) => s + f.rows, 0), bytes: all.reduce((s, f) => s + f.bytes, 0) };
      if (kind === 'date' && isIsoDate(value)) {
        node.from = value;
        node.to = value;
      }
      if (expand(level)) node.children = build(child, nodePath, level - 1);
      nodes.push(node);
    }
    for (const file of folder.files) nodes.push(fileNode(prefix, file, file.path.split('/').pop() ?? file.path));
    return nodes.sort(byName);
  };
  const collect = (folder: Folder): FileInfo[] => [...folder.files, ...[...folder.folders.values()].flatMap(collect)];
  return build(root, versionPathPrefix, depth - 1);
}

async function versionNode(store: Store, layer: VersionedLayer, version: number, key: string, depth: number): Promise<CatalogNode | null> {
  const nodePath = versionPath(layer, version, key);
  const dir = path.join(store.root, ...nodePath.split('/'));
  assertNoSymlinkBelow(store.root, dir);
  // the version's files are read only when its node shows them
  const [read, folder] = await Promise.all([readSidecarNow(sidecarFile(store, versionSidecarPath(layer, key, version)), expand(depth)), fs.stat(dir).catch(() => null)]);
  // a version is its sidecar and its folder: either alone is a commit not finished (or not undone) yet
  if ('missing' in read || !folder?.isDirectory()) return null;
  if ('error' in read) return { kind: 'version', name: `v${version}`, path: nodePath, version, valid: null, rows: null, error: read.error };
  const { metadata } = read;
  const node: CatalogNode = {
    kind: 'version',
    name: `v${version}`,
    path: nodePath,
    version,
    valid: typeof metadata.validation?.valid === 'boolean' ? metadata.validation.valid : null,
    rows: metadata.recordCount,
    bytes: metadata.fileSizeBytes,
    from: metadata.dateRange?.from ?? null,
    to: metadata.dateRange?.to ?? null,
    createdAt: metadata.createdAt,
  };
  if (typeof metadata.changelog === 'string' && metadata.changelog !== '') node.changelog = metadata.changelog;
  if (expand(depth)) node.children = versionChildren(nodePath, metadata.files, depth);
  return node;
}

/**
 * Version numbers per key in a versioned layer, from the listing of its version folders:
 * `cleaned/v{N}/{ASSET}` (key `MES`), `features/v{N}/{ASSET}/{set}` (key `MES/rsi`).
 */
async function versionsByKey(store: Store, layer: VersionedLayer): Promise<Map<string, number[]>> {
  const byKey = new Map<string, number[]>();
  const layerDir = path.join(store.root, layer);
  const folders = (await subfolders(layerDir)).map((name) => ({ name, version: parseVersionFolder(name) })).filter((f): f is { name: string; version: number } => f.version !== null);
  const keysPerFolder = await mapLimit(folders, READ_CONCURRENCY, async (folder): Promise<string[]> => {
    const assets = (await subfolders(path.join(layerDir, folder.name))).filter((asset) => isValidName(checkAssetName, asset));
    if (layer === 'cleaned') return assets;
    const sets = await mapLimit(assets, READ_CONCURRENCY, (asset) => subfolders(path.join(layerDir, folder.name, asset)));
    return assets.flatMap((asset, i) => sets[i].filter((set) => isValidName(checkFeatureSetName, set)).map((set) => featureKey(asset, set)));
  });
  folders.forEach((folder, i) => {
    for (const key of keysPerFolder[i]) byKey.set(key, [...(byKey.get(key) ?? []), folder.version]);
  });
  for (const versions of byKey.values()) versions.sort((a, b) => a - b);
  return byKey;
}

/** The node of one key's versions: `cleaned/MES` (asset) or `features/MES/rsi` (featureSet). */
async function keyNode(store: Store, layer: VersionedLayer, key: string, versions: number[], depth: number): Promise<CatalogNode> {
  const node: CatalogNode = { kind: layer === 'cleaned' ? 'asset' : 'featureSet', name: key.split('/').pop() ?? key, path: tablePath(layer, key) };
  if (!expand(depth)) return node;
  const children = await mapLimit(versions, READ_CONCURRENCY, (version) => versionNode(store, layer, version, key, depth - 1));
  node.children = children.filter((child): child is CatalogNode => child !== null);
  return node;
}

/** The feature sets of one asset (`features/MES`), each with its versions. */
async function featureAssetNode(store: Store, asset: string, byKey: Map<string, number[]>, depth: number): Promise<CatalogNode> {
  const node: CatalogNode = { kind: 'asset', name: asset, path: `features/${asset}` };
  if (!expand(depth)) return node;
  const keys = [...byKey.keys()].filter((key) => key.startsWith(`${asset}/`)).sort();
  const children = await Promise.all(keys.map((key) => keyNode(store, 'features', key, byKey.get(key) ?? [], depth - 1)));
  // a feature set whose versions are all uncommitted is not shown
  node.children = children.filter((child) => !expand(depth - 1) || (child.children?.length ?? 0) > 0);
  return node;
}

/** The assets that have versions of some feature set. */
function featureAssets(byKey: Map<string, number[]>): string[] {
  return [...new Set([...byKey.keys()].map((key) => key.split('/')[0]))].sort();
}

// ---------------------------------------------------------------------------------------
// layers and the store
// ---------------------------------------------------------------------------------------

async function layerNode(store: Store, layer: Layer, depth: number): Promise<CatalogNode> {
  const node: CatalogNode = { kind: 'layer', name: layer, path: layer };
  if (!expand(depth)) return node;
  // a layer folder that is a link would list someone else's folders as ours
  assertNoSymlinkBelow(store.root, path.join(store.root, layer));
  if (layer === 'raw') {
    // one asset after the other, each a chunk of sidecars at a time
    const children: CatalogNode[] = [];
    for (const asset of await rawAssets(store)) children.push(await rawAssetNode(store, asset, depth - 1));
    node.children = children;
  } else if (layer === 'cleaned') {
    const byKey = await versionsByKey(store, layer);
    const keys = [...byKey.keys()].sort();
    const children = await Promise.all(keys.map((key) => keyNode(store, layer, key, byKey.get(key) ?? [], depth - 1)));
    // a key whose versions are all uncommitted is not shown
    node.children = children.filter((child) => !expand(depth - 1) || (child.children?.length ?? 0) > 0);
  } else {
    const byKey = await versionsByKey(store, layer);
    const children = await Promise.all(featureAssets(byKey).map((asset) => featureAssetNode(store, asset, byKey, depth - 1)));
    // an asset none of whose feature sets has a committed version is not shown
    node.children = children.filter((child) => !expand(depth - 1) || (child.children?.length ?? 0) > 0);
  }
  return node;
}

function notFound(store: Store, treePath: string, hint = ''): NotFoundError {
  return new NotFoundError(`nothing at ${treePath} in the store ${store.root}${hint}`, { path: treePath, store: store.root });
}

/** A store-relative path from what a user typed: forward slashes, no `.`/`..`, no trailing slash. */
function normalizeTreePath(store: Store, input: string): string {
  let value = input.replace(/\\/g, '/');
  if (path.isAbsolute(input)) {
    const relative = path.relative(store.root, input);
    if (relative.startsWith('..') || path.isAbsolute(relative)) throw new BadRequestError(`${input} is outside the store ${store.root}`, { path: input, store: store.root });
    value = relative.split(path.sep).join('/');
  }
  const parts = value.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new BadRequestError(`a store path may not contain "..": ${input}`, { path: input });
  return parts.join('/');
}

function findInTree(node: CatalogNode, treePath: string): CatalogNode | null {
  if (node.path === treePath) return node;
  for (const child of node.children ?? []) {
    if (treePath === child.path || treePath.startsWith(`${child.path}/`)) {
      const found = findInTree(child, treePath);
      if (found) return found;
    }
  }
  return null;
}

/**
 * The catalog node at `treePath` (store-relative or absolute inside the store; '' for the
 * whole store) with its children down to `depth` levels. Reads folder listings and
 * sidecars only. Throws NOT_FOUND when nothing committed is at that path, BAD_REQUEST for a
 * path outside the store.
 */
export async function listTree(store: Store, treePath = '', options: ListTreeOptions = {}): Promise<CatalogNode> {
  const depth = options.depth ?? Number.POSITIVE_INFINITY;
  const normalized = normalizeTreePath(store, treePath);
  const parts = normalized === '' ? [] : normalized.split('/');
  if (parts.length === 0) {
    const node: CatalogNode = { kind: 'store', name: path.basename(store.root), path: '' };
    if (expand(depth)) node.children = await Promise.all(LAYERS.map((layer) => layerNode(store, layer, depth - 1)));
    return node;
  }
  const [layer, second, third] = parts;
  if (!isLayer(layer)) throw notFound(store, normalized, `; the layers are ${LAYERS.join(', ')}`);
  if (parts.length === 1) return layerNode(store, layer, depth);

  if (layer === 'raw') {
    if (!isValidName(checkAssetName, second) || !(await rawAssets(store)).includes(second)) throw notFound(store, normalized);
    if (parts.length === 2) return rawAssetNode(store, second, depth);
    if (!isIsoDate(third)) throw notFound(store, normalized);
    const dateDir = path.join(store.root, 'raw', second, third);
    assertNoSymlinkBelow(store.root, dateDir);
    if ((await subfolders(path.join(store.root, 'raw', second))).includes(third) === false) throw notFound(store, normalized);
    const read = (await readSidecars([sidecarFile(store, rawSidecarPath(second, third))]))[0];
    const date = rawDateNode(second, third, read, parts.length === 3 ? depth : Number.POSITIVE_INFINITY);
    const found = date && findInTree(date, normalized);
    if (!found) throw notFound(store, normalized);
    return found;
  }

  const version = parseVersionFolder(second);
  if (version === null) {
    // cleaned/MES, features/MES, features/MES/rsi: the versions of one key, grouped
    const keyParts = layer === 'cleaned' ? 1 : 2;
    if (parts.length > 1 + keyParts) throw notFound(store, normalized, `; a version's path is ${layer}/vN/${parts.slice(1, 1 + keyParts).join('/')}`);
    const byKey = await versionsByKey(store, layer);
    if (layer === 'features' && parts.length === 2) {
      if (!featureAssets(byKey).includes(second)) throw notFound(store, normalized);
      const node = await featureAssetNode(store, second, byKey, depth);
      if (expand(depth) && node.children?.length === 0) throw notFound(store, normalized);
      return node;
    }
    const key = parts.slice(1).join('/');
    const versions = byKey.get(key);
    if (!versions) throw notFound(store, normalized);
    const node = await keyNode(store, layer, key, versions, depth);
    if (expand(depth) && node.children?.length === 0) throw notFound(store, normalized);
    return node;
  }
  const keyLength = layer === 'cleaned' ? 1 : 2;
  if (parts.length < 2 + keyLength) {
    const keys = (await versionsByKey(store, layer)).entries();
    const held = [...keys].filter(([key, versions]) => versions.includes(version) && (parts.length === 2 || key.startsWith(`${parts[2]}/`))).map(([key]) => versionPath(layer, version, key));
    throw notFound(store, normalized, held.length > 0 ? `; ${normalized} holds one version per ${layer === 'cleaned' ? 'asset' : 'asset and feature set'}: ${held.join(', ')}` : '');
  }
  const key = parts.slice(2, 2 + keyLength).join('/');
  const node = await versionNode(store, layer, version, key, parts.length === 2 + keyLength ? depth : Number.POSITIVE_INFINITY);
  const found = node && findInTree(node, normalized);
  if (!found) throw notFound(store, normalized);
  if (found !== node && Number.isFinite(depth)) return pruneDepth(found, depth);
  return found;
}

function pruneDepth(node: CatalogNode, depth: number): CatalogNode {
  if (!node.children) return node;
  if (depth <= 0) {
    const { children: _children, ...rest } = node;
    return rest;
  }
  return { ...node, children: node.children.map((child) => pruneDepth(child, depth - 1)) };
}
