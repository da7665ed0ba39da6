import fs from 'node:fs';
import path from 'node:path';
import { MetadataManager, type DatasetMetadata } from './metadataManager.js';
import { assertNoSymlinkBelow } from './storePaths.js';

/**
 * Lineage from the sidecars (`metadata.json`): what a dataset was made from (its sidecar's
 * dependencies) and which committed versions were made from it. Sidecars are read without
 * validation: an invalid one is `verify`'s finding, not a reason to hide a dataset's lineage.
 */

interface DatasetLineage {
  inputs: { path: string; sha256: string | null }[];
  outputs: { path: string; kind: string }[];
}

/** The sidecar of a folder or file below the store root: its own folder's, or the nearest one above it inside the store. */
function sidecarFile(storeRoot: string, absolute: string): string | null {
  let folder = fs.existsSync(absolute) && fs.statSync(absolute).isDirectory() ? absolute : path.dirname(absolute);
  while (folder.startsWith(storeRoot) && folder !== storeRoot) {
    const candidate = path.join(folder, 'metadata.json');
    // a linked sidecar would show someone else's lineage as this dataset's: SYMLINK
    assertNoSymlinkBelow(storeRoot, candidate);
    if (fs.existsSync(candidate)) return candidate;
    folder = path.dirname(folder);
  }
  return null;
}

/**
 * The sidecar describing a store-relative dataset path (`cleaned/v2/MES`,
 * `raw/MES/2024-01-15/ohlcv.parquet`), or null when there is none, no store, or the path is
 * absolute. Throws SYMLINK for a linked sidecar, CORRUPTED_FILE for one that is not JSON.
 */
export async function datasetSidecar(storeRoot: string | null, datasetPath: string): Promise<DatasetMetadata | null> {
  if (!storeRoot || path.isAbsolute(datasetPath)) return null;
  const file = sidecarFile(storeRoot, path.resolve(storeRoot, datasetPath));
  return file ? MetadataManager.readMetadataFile(file, { validate: false }) : null;
}

/** Sidecars of every committed cleaned and features version. */
function versionSidecars(storeRoot: string): { path: string; kind: string; file: string }[] {
  const found: { path: string; kind: string; file: string }[] = [];
  for (const layer of ['cleaned', 'features']) {
    const layerDir = path.join(storeRoot, layer);
    if (!fs.existsSync(layerDir)) continue;
    for (const version of fs.readdirSync(layerDir)) {
      const versionDir = path.join(layerDir, version);
      if (!/^v\d+$/.test(version) || !fs.statSync(versionDir).isDirectory()) continue;
      for (const key of fs.readdirSync(versionDir)) {
        const file = path.join(versionDir, key, 'metadata.json');
        if (fs.existsSync(file)) found.push({ path: `${layer}/${version}/${key}`, kind: layer, file });
      }
    }
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
