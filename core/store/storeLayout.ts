import { resolveStorePath } from './storePaths.js';

/**
 * Where everything lives inside a store folder (format 2; docs/data_storage_structure.md):
 *
 *   mes-data-store.json                  marker: this folder is a store (format version)
 *   version-ledger.json                  highest version number ever handed out, per layer and key
 *   raw/{ASSET}/{YYYY-MM-DD}/{name}.parquet      raw snapshots: Parquet files only
 *   cleaned/{ASSET}/                     the Iceberg table of an asset (data/, metadata/)
 *   cleaned/v{N}/{ASSET}/{DATE}.parquet  version N: links to the files of its snapshot ({YYYY}.parquet by year)
 *   features/{ASSET}/{set}/, features/v{N}/{ASSET}/{set}/   the same for a feature set of one asset
 *   catalog/raw/{ASSET}/{YYYY-MM-DD}.json        the sidecar of a raw date folder
 *   catalog/{cleaned|features}/{key}/v{N}.json   the sidecar of version N of a key
 *   .staging/{owner}-{random}/           work in progress of one writer
 *   .lock/owner.json                     the writer lock
 */

export const STORE_MARKER = 'mes-data-store.json';
export const VERSION_LEDGER = 'version-ledger.json';
/** The sidecar's name inside a dataset folder in format 1 (format 2 keeps sidecars in `catalog/`). */
export const SIDECAR = 'metadata.json';
export const STAGING_DIR = '.staging';
export const LOCK_DIR = '.lock';
/** The store format this code writes and reads (format 1 stores are converted by `mes-data migrate`). */
export const STORE_FORMAT_VERSION = 2;

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

function versionFolder(version: number): string {
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
 * Store format 2 (see docs/data_storage_structure.md): sidecars live in one tree of their
 * own, so that every data folder holds Parquet files only.
 */
export const CATALOG_DIR = 'catalog';

/** The key of a feature set of one asset: `MES/momentum_indicators`. */
export function featureKey(asset: string, featureSet: string): string {
  return `${asset}/${featureSet}`;
}

/** The Iceberg table of a versioned dataset: `cleaned/MES`, `features/MES/momentum_indicators`. */
export function tablePath(layer: VersionedLayer, key: string): string {
  return `${layer}/${key}`;
}

/** The sidecar of a raw date folder: `catalog/raw/MES/2024-01-15.json`. */
export function rawSidecarPath(asset: string, date: string): string {
  return `${CATALOG_DIR}/raw/${asset}/${date}.json`;
}

/**
 * Where a raw file superseded by a revision lives: `catalog/raw/MES/superseded/2024-01-15/bars.parquet`.
 * Out of `raw/` altogether, so that every engine reading `raw/{ASSET}` as a dataset (polars and
 * DuckDB globs read hidden names too) counts each snapshot's newest revision only; in the
 * sidecar tree, which every copy of a store (sync, backup) already carries.
 */
export const RAW_SUPERSEDED_DIR = 'superseded';

export function rawSupersededPath(asset: string, date: string, fileName: string): string {
  return `${CATALOG_DIR}/raw/${asset}/${RAW_SUPERSEDED_DIR}/${date}/${fileName}`;
}

/** The sidecar of version N: `catalog/cleaned/MES/v3.json`, `catalog/features/MES/rsi/v2.json`. */
export function versionSidecarPath(layer: VersionedLayer, key: string, version: number): string {
  return `${CATALOG_DIR}/${layer}/${key}/${versionFolder(version)}.json`;
}

/**
 * The name of the k-th data file of a partition inside a version folder (format 2): the
 * partition value (`2024-01-15`, `2024` for a table partitioned by year, `part` for an
 * unpartitioned one gives `part-0`), then `.k` from the second file on.
 */
export function linkFileName(partitionValue: string | null, k: number): string {
  if (partitionValue === null) return `part-${k}.parquet`;
  return k === 0 ? `${partitionValue}.parquet` : `${partitionValue}.${k}.parquet`;
}

/**
 * An absolute path from a store-relative one, checked by `resolveStorePath`: BAD_REQUEST
 * for a path that could leave the store, SYMLINK for a symbolic link below the root.
 */
export function absolute(store: Store, relative: string): string {
  return relative === '' ? store.root : resolveStorePath(store.root, relative);
}
