import { createHash } from 'node:crypto';
import type { Dependency, RawSourceInfo, Recipe, SchemaRef } from './metadataManager.js';
import type { Layer } from './storeLayout.js';

/**
 * The key facts of a dataset, embedded in every Parquet file's key-value metadata so that a
 * file copied out of the store still says where it belongs and where it came from. All
 * keys start with `mes_data.`; values are strings.
 */

export const KV = {
  layer: 'mes_data.layer',
  asset: 'mes_data.asset',
  date: 'mes_data.date',
  featureSet: 'mes_data.feature_set',
  version: 'mes_data.version',
  schema: 'mes_data.schema',
  recipe: 'mes_data.recipe',
  fingerprint: 'mes_data.fingerprint',
  sourceFile: 'mes_data.source_file',
  sourceSha256: 'mes_data.source_sha256',
  inputsSha256: 'mes_data.inputs_sha256',
  inputCount: 'mes_data.input_count',
} as const;

/** Key-value metadata of a raw snapshot file. */
export function rawKeyValue(asset: string, date: string, source?: RawSourceInfo): Record<string, string> {
  const kv: Record<string, string> = { [KV.layer]: 'raw', [KV.asset]: asset, [KV.date]: date };
  if (source?.fileName) kv[KV.sourceFile] = source.fileName;
  if (source?.sha256) kv[KV.sourceSha256] = source.sha256;
  return kv;
}

/**
 * One SHA-256 over a list of inputs (sorted `path sha256` lines), so that a file can name
 * all of its inputs in 64 characters; the list itself is in the sidecar.
 */
export function inputsDigest(dependencies: Dependency[]): string {
  const lines = dependencies.map((d) => `${d.path} ${d.sha256}`).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

/** Key-value metadata of a file in a cleaned or feature-set version. */
export function versionKeyValue(options: {
  layer: Exclude<Layer, 'raw'>;
  key: string;
  version: number;
  asset?: string | null;
  schema?: SchemaRef | null;
  recipe?: Recipe | null;
  fingerprint?: string | null;
  dependencies?: Dependency[];
}): Record<string, string> {
  const kv: Record<string, string> = { [KV.layer]: options.layer, [KV.version]: `v${options.version}` };
  if (options.layer === 'cleaned') kv[KV.asset] = options.key;
  else {
    kv[KV.featureSet] = options.key;
    if (options.asset) kv[KV.asset] = options.asset;
  }
  if (options.schema) kv[KV.schema] = `${options.schema.name}@${options.schema.version}`;
  if (options.recipe) kv[KV.recipe] = options.recipe.version ? `${options.recipe.name}@${options.recipe.version}` : options.recipe.name;
  if (options.fingerprint) kv[KV.fingerprint] = options.fingerprint;
  if (options.dependencies && options.dependencies.length > 0) {
    kv[KV.inputsSha256] = inputsDigest(options.dependencies);
    kv[KV.inputCount] = String(options.dependencies.length);
  }
  return kv;
}
