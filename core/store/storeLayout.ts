import { resolveStorePath } from './storePaths.js';

/**
 * Where everything lives inside a store folder:
 *
 *   mes-data-store.json                  marker: this folder is a store (format version)
 *   version-ledger.json                  highest version number ever handed out, per layer and key
 *   raw/{ASSET}/{YYYY-MM-DD}/{name}.parquet + metadata.json
 *   cleaned/v{N}/{ASSET}/… + metadata.json
 *   features/v{N}/{set}/… + metadata.json
 *   .staging/{owner}-{random}/           work in progress of one writer
 *   .lock/owner.json                     the writer lock
 */

export const STORE_MARKER = 'mes-data-store.json';
export const VERSION_LEDGER = 'version-ledger.json';
export const SIDECAR = 'metadata.json';
export const STAGING_DIR = '.staging';
export const LOCK_DIR = '.lock';
/** The store format this code writes and reads. */
export const STORE_FORMAT_VERSION = 1;

export const LAYERS = ['raw', 'cleaned', 'features'] as const;
export type Layer = (typeof LAYERS)[number];
export type VersionedLayer = 'cleaned' | 'features';

export function isLayer(value: string): value is Layer {
  return (LAYERS as readonly string[]).includes(value);
}

/** A store opened with `openStore` or created with `initStore`; `root` is absolute. */
export interface Store {
  readonly root: string;
  readonly formatVersion: number;
}

const VERSION_FOLDER = /^v([1-9]\d{0,8})$/;

/** The number of a version folder name (`v12` → 12), or null for anything else. */
export function parseVersionFolder(name: string): number | null {
  const match = VERSION_FOLDER.exec(name);
  return match ? Number(match[1]) : null;
}

export function versionFolder(version: number): string {
  return `v${version}`;
}

/** Store-relative paths, always with forward slashes (they are also what the catalog shows). */
export function rawDatePath(asset: string, date: string): string {
  return `raw/${asset}/${date}`;
}

export function versionPath(layer: VersionedLayer, version: number, key: string): string {
  return `${layer}/${versionFolder(version)}/${key}`;
}

/**
 * An absolute path from a store-relative one, checked by `resolveStorePath`: BAD_REQUEST
 * for a path that could leave the store, SYMLINK for a symbolic link below the root.
 */
export function absolute(store: Store, relative: string): string {
  return relative === '' ? store.root : resolveStorePath(store.root, relative);
}
