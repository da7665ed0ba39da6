import type { Table } from 'apache-arrow';
import { BadRequestError } from '../errors.js';
import type { Compression } from '../parquet/writeParquet.js';
import { checkAssetName, checkFeatureSetName, parquetFileName } from './storeNames.js';
import { featureKey, type Store, type VersionedLayer } from './storeLayout.js';
import { commitVersion, type CommitVersionResult, type VersionSidecarInput } from './versionCommit.js';

/**
 * Writing a version of a layer from Arrow tables in memory (`features/v{N}/{ASSET}/{set}/`,
 * and `cleaned/v{N}/{ASSET}/` for tests and fixtures), as one commit of `commitVersion`. A
 * version is read back like any dataset, through `Dataset` (core/parquet/parquetDataset.ts).
 */

/**
 * One Parquet file of a version: its rows and, optionally, its date partition
 * (`{date: '2024-01-15'}`: a table partitioned by date, the file's one date; a part without
 * one goes to an unpartitioned table). In the version folder it is `2024-01-15.parquet`
 * (`part-0.parquet` unpartitioned), whatever `fileName` says.
 */
interface TablePart {
  table: Table;
  partition?: Record<string, string>;
  /** File name inside its staging partition folder (default `part-0.parquet`, `part-1.parquet`, … per partition). */
  fileName?: string;
}

export interface WriteVersionOptions {
  /** One table (written as `part-0.parquet`) or parts written to their partition folders. */
  data: Table | TablePart[];
  /** Default zstd. */
  compression?: Compression;
  rowGroupSize?: number;
  sidecar?: VersionSidecarInput;
  fingerprint?: string;
  signal?: AbortSignal;
  lockWaitMs?: number;
}

const PARTITION_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PARTITION_VALUE = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** The folder of a Hive partition: `{date: '2024-01-15', asset: 'MES'}` → `date=2024-01-15/asset=MES`. */
export function partitionFolder(partition: Record<string, string>): string {
  return Object.entries(partition)
    .map(([key, value]) => {
      if (!PARTITION_KEY.test(key)) throw new BadRequestError(`partition key "${key}" must be a plain identifier`, { key });
      if (!PARTITION_VALUE.test(value) || value.includes('..') || value.length > 100) {
        throw new BadRequestError(`partition value "${value}" of "${key}" must use letters, digits, ".", "_" and "-" only`, { key, value });
      }
      return `${key}=${value}`;
    })
    .join('/');
}

/**
 * Writes a new version of `layer` under `key` (already checked by the caller), zstd by
 * default, as one commit; see `commitVersion` for what is checked and thrown.
 */
export async function writeLayerVersion(store: Store, layer: VersionedLayer, key: string, options: WriteVersionOptions): Promise<CommitVersionResult> {
  const parts: TablePart[] = Array.isArray(options.data) ? options.data : [{ table: options.data }];
  if (parts.length === 0) throw new BadRequestError(`nothing to write for ${layer} ${key}: no tables given`, { layer, key });
  const planned = new Map<string, number>();
  const files = parts.map((part) => {
    const folder = part.partition && Object.keys(part.partition).length > 0 ? partitionFolder(part.partition) : '';
    const count = planned.get(folder) ?? 0;
    planned.set(folder, count + 1);
    const name = part.fileName ? parquetFileName(part.fileName) : `part-${count}.parquet`;
    return { relative: folder === '' ? name : `${folder}/${name}`, table: part.table };
  });
  const duplicate = files.find((file, i) => files.findIndex((other) => other.relative === file.relative) !== i);
  if (duplicate) throw new BadRequestError(`two parts would both be written to ${duplicate.relative}`, { path: duplicate.relative });
  return commitVersion(store, {
    layer,
    key,
    sidecar: options.sidecar,
    fingerprint: options.fingerprint,
    signal: options.signal,
    lockWaitMs: options.lockWaitMs,
    write: async (ctx) => {
      for (const file of files) await ctx.writeParquet(file.relative, file.table, { compression: options.compression ?? 'zstd', rowGroupSize: options.rowGroupSize });
    },
  });
}

/** Writes a new version of a feature set of one asset (`features/v{N}/{ASSET}/{set}/`, an unpartitioned table); see `commitVersion`. */
export function writeFeatures(store: Store, options: WriteVersionOptions & { asset: string; featureSet: string }): Promise<CommitVersionResult> {
  return writeLayerVersion(store, 'features', featureKey(checkAssetName(options.asset), checkFeatureSetName(options.featureSet)), options);
}
