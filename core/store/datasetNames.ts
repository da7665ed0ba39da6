import fs from 'node:fs';
import path from 'node:path';
import { loadTable } from '../iceberg/tableCommit.js';
import { listSnapshots, snapshotAsOf } from '../iceberg/tableRead.js';
import { BadRequestError, MesDataError, NotFoundError } from '../errors.js';
import { featureKey, parseVersionFolder, tablePath, versionPath, type VersionedLayer } from './storeLayout.js';
import { resolveStorePath } from './storePaths.js';

/**
 * The one place where the name of a dataset a person types becomes the store path readers
 * open (store format 2, docs/versioning_semantics.md "Naming a version"):
 *
 *   cleaned/v3/MES                          the version folder, as it is
 *   cleaned/MES@v3                          version 3 of the table cleaned/MES → cleaned/v3/MES
 *   cleaned/MES                             its newest version
 *   features/v2/MES/momentum_indicators     the version folder, as it is
 *   features/MES/momentum_indicators@v2     → features/v2/MES/momentum_indicators
 *   features/MES/momentum_indicators        its newest version
 *   features/v2/momentum_indicators         (format 1's name) the one asset that has v2 of that set
 *
 * and, with a moment (`--as-of`), a table name becomes the version that was current then,
 * by the table's snapshot log. Every other path (raw, a file inside a version folder, a
 * table's own `data/` files) is returned as it was. A version is readable when its folder
 * exists: the folder is renamed into place after the table's commit, so a folder never names
 * an uncommitted version.
 */

/** What a name resolved to. */
interface ResolvedName {
  /** the store-relative path to open */
  path: string;
  /** for a version: its layer, key (`MES`, `MES/momentum_indicators`) and number */
  version: { layer: VersionedLayer; key: string; number: number } | null;
}

const AT_VERSION = /^(.+)@v([1-9]\d{0,8})$/i;

function isDir(file: string): boolean {
  try {
    return fs.lstatSync(file).isDirectory();
  } catch {
    return false;
  }
}

/** The version numbers whose folder holds `key` (`cleaned/vN/MES`), ascending. */
export function versionsOnDisk(storeRoot: string, layer: VersionedLayer, key: string): number[] {
  // the layer folder is checked for links before its names are read
  const dir = resolveStorePath(storeRoot, layer);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const name of names) {
    const version = parseVersionFolder(name);
    if (version !== null && isDir(path.join(dir, name, ...key.split('/')))) found.push(version);
  }
  return found.sort((a, b) => a - b);
}

function listed(versions: number[]): string {
  return versions.length === 0 ? 'none' : versions.map((v) => `v${v}`).join(', ');
}

function versionOf(storeRoot: string, layer: VersionedLayer, key: string, version: number, rest: string[], typed: string): ResolvedName {
  const versions = versionsOnDisk(storeRoot, layer, key);
  if (!versions.includes(version)) {
    throw new NotFoundError(`${tablePath(layer, key)} has no version v${version} (asked for by "${typed}"); its versions: ${listed(versions)}`, { path: typed, table: tablePath(layer, key), version, versions });
  }
  return { path: [versionPath(layer, version, key), ...rest].join('/'), version: { layer, key, number: version } };
}

function newestOf(storeRoot: string, layer: VersionedLayer, key: string, typed: string): ResolvedName {
  const versions = versionsOnDisk(storeRoot, layer, key);
  if (versions.length === 0) throw new NotFoundError(`${tablePath(layer, key)} has no version yet (asked for by "${typed}")`, { path: typed, table: tablePath(layer, key), versions });
  const newest = versions[versions.length - 1];
  return { path: versionPath(layer, newest, key), version: { layer, key, number: newest } };
}

/** A dataset named as a table of a versioned layer: its layer and key, and the version asked for with `@vN`. */
interface TableName {
  layer: VersionedLayer;
  key: string;
  version: number | null;
}

/** `cleaned/MES`, `cleaned/MES@v3`, `features/MES/set`, `features/MES/set@v2`; null for any other path. */
function tableNameOf(parts: string[]): TableName | null {
  const layer = parts[0];
  const width = layer === 'cleaned' ? 2 : layer === 'features' ? 3 : 0;
  if (width === 0 || parts.length !== width) return null;
  if (parts.slice(1).some((part) => parseVersionFolder(part) !== null)) return null;
  const last = AT_VERSION.exec(parts[width - 1]);
  const names = [...parts.slice(1, width - 1), last ? last[1] : parts[width - 1]];
  const key = layer === 'cleaned' ? names[0] : featureKey(names[0], names[1]);
  return { layer: layer as VersionedLayer, key, version: last ? Number(last[2]) : null };
}

/**
 * The store path a dataset name stands for (see the module comment), without a moment.
 * Throws NOT_FOUND for `@vN` of a version the table lacks, listing those it has, and for the
 * newest version of a table without any; BAD_REQUEST for a format-1 feature name several
 * assets hold, listing them.
 */
export function resolveDatasetName(storeRoot: string, name: string): ResolvedName {
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  // a path that could leave the store is refused by the caller's path check, unresolved
  if (parts.includes('..') || name.includes('\\') || name.includes('\0')) return { path: name, version: null };
  const table = tableNameOf(parts);
  if (table) {
    return table.version === null ? newestOf(storeRoot, table.layer, table.key, name) : versionOf(storeRoot, table.layer, table.key, table.version, [], name);
  }
  const version = parts.length >= 3 ? parseVersionFolder(parts[1]) : null;
  if (version !== null && parts.length >= 3 && (parts[0] === 'cleaned' || parts[0] === 'features')) {
    const layer = parts[0];
    // format 1 named a feature version features/vN/{set}; format 2 has features/vN/{ASSET}/{set}
    if (layer === 'features' && parts.length === 3 && !isDir(resolveStorePath(storeRoot, parts.join('/')))) {
      const set = parts[2];
      const folder = resolveStorePath(storeRoot, `features/${parts[1]}`);
      const candidates = isDir(folder)
        ? fs
            .readdirSync(folder)
            .filter((asset) => isDir(path.join(folder, asset, set)))
            .sort()
        : [];
      if (candidates.length === 1) return { path: versionPath('features', version, featureKey(candidates[0], set)), version: { layer, key: featureKey(candidates[0], set), number: version } };
      if (candidates.length > 1) {
        const named = candidates.map((asset) => versionPath('features', version, featureKey(asset, set)));
        throw new BadRequestError(`"${name}" is v${version} of ${set} for several assets; name one: ${named.join(', ')}`, { path: name, candidates: named });
      }
      return { path: name, version: null };
    }
    const keyWidth = layer === 'cleaned' ? 1 : 2;
    if (parts.length === 2 + keyWidth) return { path: parts.join('/'), version: { layer, key: parts.slice(2).join('/'), number: version } };
  }
  return { path: name, version: null };
}

/**
 * The version of a table that was current at `asOfMs` (ms since the epoch, UTC), from the
 * table's snapshot log. `name` must name a table (`cleaned/MES`, `features/MES/set`):
 * BAD_REQUEST for a version or any other path. NOT_FOUND before the table's first commit
 * (naming when that was), for a version expired since, and for one whose folder is gone.
 */
export async function resolveDatasetAsOf(storeRoot: string, name: string, asOfMs: number): Promise<ResolvedName> {
  const at = new Date(asOfMs).toISOString();
  const table = tableNameOf(name.split('/').filter((part) => part !== '' && part !== '.'));
  if (!table || table.version !== null) {
    throw new BadRequestError(`--as-of takes the name of a table (cleaned/MES, features/MES/momentum_indicators), not "${name}"`, { path: name, asOf: at });
  }
  const where = tablePath(table.layer, table.key);
  let loaded;
  try {
    loaded = await loadTable(resolveStorePath(storeRoot, where));
  } catch (error) {
    if (error instanceof MesDataError && error.code === 'NOT_FOUND') throw new NotFoundError(`${where} is not a table of this store (no Iceberg metadata)`, { path: name, table: where });
    throw error;
  }
  const log = loaded.metadata['snapshot-log'];
  const first = log.length > 0 ? log[0]['timestamp-ms'] : listSnapshots(loaded)[0]?.timestampMs;
  if (first === undefined) throw new NotFoundError(`${where} has no version yet`, { path: name, table: where, asOf: at });
  if (asOfMs < first) {
    const firstAt = new Date(first).toISOString();
    throw new NotFoundError(`${where} had no version at ${at}; its first was committed at ${firstAt}`, { path: name, table: where, asOf: at, firstCommit: firstAt });
  }
  let snapshot;
  try {
    snapshot = snapshotAsOf(loaded, asOfMs);
  } catch (error) {
    if (error instanceof MesDataError && error.code === 'NOT_FOUND') {
      throw new NotFoundError(`the version of ${where} current at ${at} has been removed (gc); its versions now: ${listed(versionsOnDisk(storeRoot, table.layer, table.key))}`, { path: name, table: where, asOf: at });
    }
    throw error;
  }
  return versionOf(storeRoot, table.layer, table.key, snapshot.version, [], `${name} as of ${at}`);
}
