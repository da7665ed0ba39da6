import fs from 'node:fs/promises';
import path from 'node:path';
import { RecordBatch, Table, type Schema } from 'apache-arrow';
import { BadRequestError, NotFoundError, SchemaMismatchError } from '../errors.js';
import { readParquet } from '../parquet/parquetFile.js';
import type { Compression } from '../parquet/writeParquet.js';
import type { DatasetFilter } from './datasetFilters.js';
import { readPartitionedDataset } from './partitionedDataset.js';
import { readRawSidecar } from './rawSnapshot.js';
import { checkAssetName, checkDate, checkFeatureSetName, isIsoDate, parquetFileName } from './storeNames.js';
import { absolute, versionPath, type Store, type VersionedLayer } from './storeLayout.js';
import { commitVersion, type CommitVersionResult, type VersionSidecarInput } from './versionCommit.js';
import { latestVersion, listVersions } from './versionLedger.js';

/**
 * The layer wrappers of the specification (`read_raw_data`, `write_cleaned_data`,
 * `read_features`, `write_features`), on top of raw snapshots, version commits and
 * partitioned reads.
 */

/** One Parquet file of a version: its rows and, optionally, its Hive partition (`{date: '2024-01-15'}`). */
export interface TablePart {
  table: Table;
  partition?: Record<string, string>;
  /** File name inside its partition folder (default `part-0.parquet`, `part-1.parquet`, … per partition). */
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

async function writeVersion(store: Store, layer: VersionedLayer, key: string, options: WriteVersionOptions): Promise<CommitVersionResult> {
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

/**
 * Writes a new version of an asset's cleaned data (`cleaned/v{N}/{ASSET}/`), zstd by
 * default, as one commit; see `commitVersion` for what is checked and thrown.
 */
export function writeCleanedData(store: Store, options: WriteVersionOptions & { asset: string }): Promise<CommitVersionResult> {
  return writeVersion(store, 'cleaned', checkAssetName(options.asset), options);
}

/** Writes a new version of a feature set (`features/v{N}/{set}/`); see `commitVersion`. */
export function writeFeatures(store: Store, options: WriteVersionOptions & { featureSet: string }): Promise<CommitVersionResult> {
  return writeVersion(store, 'features', checkFeatureSetName(options.featureSet), options);
}

export interface ReadVersionOptions {
  /** A version number, or the newest (default). */
  version?: number | 'latest';
  columns?: string[];
  filters?: DatasetFilter[];
}

async function readVersion(store: Store, layer: VersionedLayer, key: string, options: ReadVersionOptions): Promise<Table> {
  let version = options.version ?? 'latest';
  if (version === 'latest') {
    const latest = await latestVersion(store, layer, key);
    if (latest === null) throw new NotFoundError(`there is no ${layer} version of ${key} in ${store.root}`, { layer, key });
    version = latest;
  } else if (!(await listVersions(store, layer, key)).includes(version)) {
    throw new NotFoundError(`${versionPath(layer, version, key)} is not a committed version in ${store.root}`, { path: versionPath(layer, version, key) });
  }
  return readPartitionedDataset(absolute(store, versionPath(layer, version, key)), { columns: options.columns, filters: options.filters });
}

/** Reads a cleaned version (the newest by default) as one table with its partition columns; see `readPartitionedDataset`. */
export function readCleanedData(store: Store, options: ReadVersionOptions & { asset: string }): Promise<Table> {
  return readVersion(store, 'cleaned', checkAssetName(options.asset), options);
}

/** Reads a feature-set version (the newest by default) as one table with its partition columns; see `readPartitionedDataset`. */
export function readFeatures(store: Store, options: ReadVersionOptions & { featureSet: string }): Promise<Table> {
  return readVersion(store, 'features', checkFeatureSetName(options.featureSet), options);
}

export interface RawSelection {
  asset: string;
  /** First and last trading date, inclusive. */
  from?: string;
  to?: string;
  /** Only these file names (with or without `.parquet`). */
  names?: string[];
}

/** Concatenates tables that have the same columns and types; throws SCHEMA_MISMATCH naming the sources otherwise. */
function concatTables(tables: { source: string; table: Table }[]): Table {
  const [first] = tables;
  const schema: Schema = first.table.schema;
  const signature = (table: Table) => table.schema.fields.map((field) => `${field.name}:${String(field.type)}`).join(',');
  const expected = signature(first.table);
  const batches: RecordBatch[] = [];
  for (const { source, table } of tables) {
    if (signature(table) !== expected) {
      throw new SchemaMismatchError(`${source} has columns (${signature(table)}) but ${first.source} has (${expected})`, { first: first.source, other: source });
    }
    batches.push(...table.batches.map((batch) => new RecordBatch(schema, batch.data)));
  }
  return new Table(schema, batches);
}

/**
 * Reads raw snapshots as one table, in date then file-name order: a store path
 * (`raw/MES`, `raw/MES/2024-01-15`, `raw/MES/2024-01-15/ohlcv.parquet`) or a selection
 * `{asset, from, to, names}`. Only committed files (listed in their date's sidecar) are
 * read. Throws NOT_FOUND when nothing matches, SCHEMA_MISMATCH when the files' columns
 * differ, INVALID_NAME for a bad asset or date.
 */
export async function readRawData(store: Store, target: string | RawSelection, options: { columns?: string[] } = {}): Promise<Table> {
  let selection: RawSelection;
  if (typeof target === 'string') {
    const parts = target.replace(/\\/g, '/').split('/').filter((part) => part !== '' && part !== '.');
    if (parts[0] !== 'raw' || parts.length < 2 || parts.length > 4) throw new BadRequestError(`"${target}" is not a raw path (raw/ASSET[/DATE[/FILE]])`, { path: target });
    const [, asset, date, file] = parts;
    selection = { asset, from: date, to: date, names: file === undefined ? undefined : [file] };
  } else selection = target;
  const asset = checkAssetName(selection.asset);
  if (selection.from !== undefined) checkDate(selection.from);
  if (selection.to !== undefined) checkDate(selection.to);
  const wantedNames = selection.names?.map(parquetFileName);
  const dates = (await fs.readdir(path.join(store.root, 'raw', asset)).catch(() => [] as string[]))
    .filter(isIsoDate)
    .filter((date) => (selection.from === undefined || date >= selection.from) && (selection.to === undefined || date <= selection.to))
    .sort();
  const tables: { source: string; table: Table }[] = [];
  for (const date of dates) {
    const sidecar = await readRawSidecar(store, asset, date);
    if (!sidecar) continue;
    for (const file of sidecar.files) {
      if (wantedNames && !wantedNames.includes(file.path)) continue;
      const source = `raw/${asset}/${date}/${file.path}`;
      tables.push({ source, table: await readParquet(absolute(store, source), { columns: options.columns }) });
    }
  }
  if (tables.length === 0) {
    const what = typeof target === 'string' ? target : `raw ${asset}${selection.from || selection.to ? ` from ${selection.from ?? 'the start'} to ${selection.to ?? 'the end'}` : ''}`;
    throw new NotFoundError(`no raw snapshots at ${what} in ${store.root}`, { asset, from: selection.from ?? null, to: selection.to ?? null });
  }
  return concatTables(tables);
}
