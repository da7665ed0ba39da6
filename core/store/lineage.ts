import fs from 'node:fs';
import path from 'node:path';
import { MetadataManager, type DatasetMetadata } from './metadataManager.js';
import { checkAssetName, checkFeatureSetName, isIsoDate, isValidName } from './storeNames.js';
import { CATALOG_DIR, featureKey, parseVersionFolder, rawSidecarPath, versionPath, versionSidecarPath } from './storeLayout.js';
import { assertNoSymlinkBelow } from './storePaths.js';

/**
 * Lineage from the sidecars (in `catalog/`, store format 2): what a dataset was made from
 * (its sidecar's dependencies) and which committed versions were made from it. Sidecars are
 * read without validation: an invalid one is `verify`'s finding, not a reason to hide a
 * dataset's lineage.
 */

interface DatasetLineage {
  inputs: { path: string; sha256: string | null }[];
  outputs: { path: string; kind: string }[];
}

/**
 * The store-relative sidecar of a dataset path, or null when the path is inside no date or
 * version folder: `raw/MES/2024-01-15[/x.parquet]` → `catalog/raw/MES/2024-01-15.json`,
 * `cleaned/v2/MES[/…]` → `catalog/cleaned/MES/v2.json`, `features/v1/MES/rsi[/…]` →
 * `catalog/features/MES/rsi/v1.json`.
 */
function sidecarOf(datasetPath: string): string | null {
  const [layer, second, third, fourth] = datasetPath.replace(/\\/g, '/').split('/').filter((part) => part !== '' && part !== '.');
  if (layer === 'raw' && second !== undefined && third !== undefined && isValidName(checkAssetName, second) && isIsoDate(third)) return rawSidecarPath(second, third);
  const version = second === undefined ? null : parseVersionFolder(second);
  if (version === null || third === undefined || !isValidName(checkAssetName, third)) return null;
  if (layer === 'cleaned') return versionSidecarPath('cleaned', third, version);
  if (layer === 'features' && fourth !== undefined && isValidName(checkFeatureSetName, fourth)) return versionSidecarPath('features', featureKey(third, fourth), version);
  return null;
}

/**
 * The sidecar describing a store-relative dataset path (`cleaned/v2/MES`,
 * `raw/MES/2024-01-15/ohlcv.parquet`), or null when there is none, no store, or the path is
 * absolute. Throws SYMLINK for a linked sidecar, CORRUPTED_FILE for one that is not JSON.
 */
export async function datasetSidecar(storeRoot: string | null, datasetPath: string): Promise<DatasetMetadata | null> {
  if (!storeRoot || path.isAbsolute(datasetPath)) return null;
  const relative = sidecarOf(datasetPath);
  if (relative === null) return null;
  const file = path.join(storeRoot, ...relative.split('/'));
  // a linked sidecar would show someone else's lineage as this dataset's: SYMLINK
  assertNoSymlinkBelow(storeRoot, file);
  if (!fs.existsSync(file)) return null;
  return MetadataManager.readMetadataFile(file, { validate: false });
}

/** The visible subfolders (or files, with `files`) of `dir`; [] when it is missing. */
function entries(dir: string, files = false): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((entry) => !entry.name.startsWith('.') && (files ? entry.isFile() : entry.isDirectory()))
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
}

/** Sidecars of every committed cleaned and features version (a sidecar whose version folder exists). */
function versionSidecars(storeRoot: string): { path: string; kind: string; file: string }[] {
  const found: { path: string; kind: string; file: string }[] = [];
  const add = (layer: 'cleaned' | 'features', key: string, dir: string): void => {
    for (const name of entries(dir, true)) {
      const version = name.endsWith('.json') ? parseVersionFolder(name.slice(0, -'.json'.length)) : null;
      if (version === null) continue;
      const datasetPath = versionPath(layer, version, key);
      if (fs.existsSync(path.join(storeRoot, ...datasetPath.split('/')))) found.push({ path: datasetPath, kind: layer, file: path.join(dir, name) });
    }
  };
  const catalog = path.join(storeRoot, CATALOG_DIR);
  for (const asset of entries(path.join(catalog, 'cleaned'))) add('cleaned', asset, path.join(catalog, 'cleaned', asset));
  for (const asset of entries(path.join(catalog, 'features'))) {
    for (const set of entries(path.join(catalog, 'features', asset))) add('features', featureKey(asset, set), path.join(catalog, 'features', asset, set));
  }
  return found;
}

/**
 * A dataset's lineage: inputs from `metadata` (its sidecar), outputs the committed cleaned and
 * feature versions whose dependencies name the dataset, a file or folder inside it, or a
 * folder holding it. Outputs are found only for store-relative paths of an open store.
 */
export async function datasetLineage(storeRoot: string | null, datasetPath: string, metadata: DatasetMetadata | null): Promise<DatasetLineage> {
  const inputs = (metadata?.dependencies ?? []).map((d) => ({ path: d.path, sha256: d.sha256 ?? null }));
  const outputs: { path: string; kind: string }[] = [];
  if (storeRoot && !path.isAbsolute(datasetPath)) {
    const normalized = datasetPath.replace(/\/+$/, '');
    for (const candidate of versionSidecars(storeRoot)) {
      if (candidate.path === normalized) continue;
      try {
        const sidecar = await MetadataManager.readMetadataFile(candidate.file, { validate: false });
        if ((sidecar.dependencies ?? []).some((d) => d.path === normalized || d.path.startsWith(`${normalized}/`) || normalized.startsWith(`${d.path}/`))) {
          outputs.push({ path: candidate.path, kind: candidate.kind });
        }
      } catch {
        // an unreadable sidecar is verify's business, not the lineage view's
      }
    }
  }
  return { inputs, outputs };
}
