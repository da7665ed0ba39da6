import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { BadRequestError, CancelledError, NotFoundError, ValidationGateError } from '../errors.js';
import { Dataset } from '../parquet/parquetDataset.js';
import { SchemaRegistry } from '../schema/schemaRegistry.js';
import { writeFeatures } from '../store/layerIO.js';
import { MetadataManager } from '../store/metadataManager.js';
import { parseVersionFolder, SIDECAR, type Store } from '../store/storeLayout.js';
import { checkAssetName } from '../store/storeNames.js';
import { validateTable } from '../validation/validateTable.js';
import { buildFeatureTable, FEATURE_SETS, type FeatureSet } from './buildFeatureTable.js';

const RECIPE_VERSION = '1';

export interface BuildFeaturesOptions {
  set: string;
  asset: string;
  /** `vN` or `N`: the cleaned version to build from (default: the newest). */
  from?: string;
  signal?: AbortSignal;
  progress?: (update: { fraction: number; stage: string; rows: number | null }) => void;
}

export interface BuildFeaturesResult {
  version: string;
  path: string;
  rows: number;
  inputs: { path: string; sha256: string }[];
  status: 'created' | 'unchanged';
}

/** The cleaned versions of an asset, newest last. */
async function cleanedVersions(store: Store, asset: string): Promise<number[]> {
  let names: string[];
  try {
    names = await fs.readdir(path.join(store.root, 'cleaned'));
  } catch {
    return [];
  }
  const versions: number[] = [];
  for (const name of names) {
    const n = parseVersionFolder(name);
    if (n === null) continue;
    try {
      await fs.access(path.join(store.root, 'cleaned', name, asset, SIDECAR));
      versions.push(n);
    } catch {
      // this version has no data for the asset
    }
  }
  return versions.sort((a, b) => a - b);
}

/**
 * Builds a feature set from one cleaned version of an asset and commits it as a new version
 * of `features/v{N}/{set}/`, its sidecar naming the cleaned files it came from. The same
 * inputs again give `unchanged`. Throws BAD_REQUEST for an unknown set, NOT_FOUND when the
 * asset has no cleaned version (or not the one asked for), VALIDATION_GATE when the result
 * breaks its schema, CANCELLED.
 */
export async function buildFeatures(store: Store, options: BuildFeaturesOptions): Promise<BuildFeaturesResult> {
  if (!(FEATURE_SETS as readonly string[]).includes(options.set)) {
    throw new BadRequestError(`unknown feature set "${options.set}"; sets: ${FEATURE_SETS.join(', ')}`, { set: options.set });
  }
  const set = options.set as FeatureSet;
  const asset = checkAssetName(options.asset);
  const progress = options.progress ?? (() => undefined);
  const versions = await cleanedVersions(store, asset);
  if (versions.length === 0) throw new NotFoundError(`${asset} has no cleaned version to build ${set} from; promote its raw data first`, { asset });
  let version = versions[versions.length - 1];
  if (options.from !== undefined) {
    const wanted = Number(options.from.replace(/^v/, ''));
    if (!versions.includes(wanted)) throw new NotFoundError(`cleaned/v${wanted}/${asset} does not exist; versions: ${versions.map((v) => `v${v}`).join(', ')}`, { asset, version: options.from });
    version = wanted;
  }
  const sourcePath = `cleaned/v${version}/${asset}`;
  const sidecar = await MetadataManager.readMetadataFile(path.join(store.root, sourcePath, SIDECAR), { validate: false });
  const inputs = [...sidecar.files].sort((a, b) => (a.path < b.path ? -1 : 1)).map((f) => ({ path: `${sourcePath}/${f.path}`, sha256: f.sha256 }));
  progress({ fraction: 0.1, stage: `reading ${sourcePath}`, rows: null });
  const dataset = await Dataset.open(store.root, sourcePath);
  const cleaned = await dataset.readAll();
  if (options.signal?.aborted) throw new CancelledError(`building ${set} for ${asset}: cancelled, nothing written`);
  progress({ fraction: 0.5, stage: `computing ${set}`, rows: cleaned.numRows });
  const table = buildFeatureTable(set, cleaned, { asset });
  const schema = new SchemaRegistry(store.root).getSchema(set);
  const { report } = validateTable(table, schema, { target: `${set} for ${asset}` });
  if (!report.valid) throw new ValidationGateError(`the ${set} built for ${asset} breaks its schema: ${report.errors.map((e) => e.message).join('; ')}`, { report });
  const recipe = { name: `features.${set}`, version: RECIPE_VERSION, parameters: { set, asset, from: sourcePath } };
  const fingerprint = crypto.createHash('sha256').update(JSON.stringify({ inputs, recipe })).digest('hex');
  progress({ fraction: 0.7, stage: 'writing', rows: table.numRows });
  const commit = await writeFeatures(store, {
    featureSet: set,
    data: table,
    fingerprint,
    signal: options.signal,
    sidecar: {
      asset,
      schema: { name: schema.name, version: schema.version },
      recipe,
      dependencies: inputs.map((i) => ({ ...i, layer: 'cleaned' as const, version })),
      validation: { ...report },
      qualityMetrics: { nullCounts: report.metrics.nullCounts, completenessPercentage: report.metrics.completenessPercentage },
      changelog: `${set} for ${asset} from ${sourcePath}`,
    },
  });
  progress({ fraction: 1, stage: 'committed', rows: commit.rows });
  return { version: `v${commit.version}`, path: commit.path, rows: commit.rows, inputs, status: commit.status };
}
