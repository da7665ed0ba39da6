import fs from 'node:fs/promises';
import path from 'node:path';
import { DateDay, Field, makeData, makeVector, Schema, Table } from 'apache-arrow';
import { BadRequestError, CancelledError, MesDataError } from '../errors.js';
import { schemaOfDataFile } from '../iceberg/dataFiles.js';
import { typeLabel, typeNameOf, type IcebergSchema } from '../iceberg/icebergSchema.js';
import { canPromote, commitSchema } from '../iceberg/schemaEvolution.js';
import { loadTable, type LoadedTable } from '../iceberg/tableCommit.js';
import { currentSchema, defaultSpec } from '../iceberg/tableMetadata.js';
import { listSnapshots, snapshotDataFiles } from '../iceberg/tableRead.js';
import { appendFiles, createTable, newDataFilePath, replacePartitions, type NewDataFile } from '../iceberg/tableWrite.js';
import { writeParquet, type Compression } from '../parquet/writeParquet.js';
import { crashPoint } from './crashPoints.js';
import { errnoOf, exists, fsyncDir, fsyncFile, ioError, mkdirDurable, moveNoReplace } from './durableFs.js';
import { hashFile } from './fileHash.js';
import {
  MetadataManager,
  type DatasetMetadata,
  type Dependency,
  type FileInfo,
  type CompressionName,
  type QualityMetrics,
  type Recipe,
  type SchemaRef,
  type ValidationSummary,
} from './metadataManager.js';
import { LISTS_DIR } from './sidecarLists.js';
import { recoverStore } from './openStore.js';
import { parquetFileFacts } from './parquetFileFacts.js';
import { versionKeyValue } from './parquetKeyValue.js';
import { createStagingDir } from './stagingArea.js';
import { acquireStoreLock, type StoreLock } from './storeLock.js';
import { checkAssetName, checkFeatureSetName, isIsoDate } from './storeNames.js';
import { CATALOG_DIR, SIDECAR, absolute, featureKey, linkFileName, tablePath, versionPath, versionSidecarPath, type Store, type VersionedLayer } from './storeLayout.js';
import { allocateVersionNumber, listVersions } from './versionLedger.js';

/** Files synced and hashed at once by a commit. */
const COMMIT_CONCURRENCY = 16;

/** How long a commit waits for another writer's lock by default, in milliseconds. */
export const DEFAULT_LOCK_WAIT_MS = 10_000;

/** What the sidecar of a new version says beyond its files (all optional). */
export interface VersionSidecarInput {
  /** For a feature set built from one asset. (A cleaned version's asset is its key.) */
  asset?: string | null;
  schema?: SchemaRef | null;
  recipe?: Recipe | null;
  dependencies?: Dependency[];
  validation?: ValidationSummary | null;
  qualityMetrics?: QualityMetrics | null;
  changelog?: string | null;
  /** Derived from the version's partitions when not given. */
  dateRange?: { from: string; to: string } | null;
  extra?: Record<string, unknown>;
}

/** The newest committed version of the key, as a writer sees it before it writes the next one. */
export interface PreviousVersion {
  version: number;
  metadata: DatasetMetadata;
  /** its partition values ascending: dates `YYYY-MM-DD`, or years `YYYY` for a table partitioned by year; empty for an unpartitioned table */
  partitions: string[];
  /** how its table is partitioned (by trading date, by calendar year), null when it is not */
  partitionBy: PartitionBy | null;
}

/** How a version's table is partitioned: a partition a trading date (intraday data), or a calendar year (daily bars). */
export type PartitionBy = 'date' | 'year';

/** Whether a partition value is a year (`2024`) or a date (`2024-01-15`). */
function partitionByOf(value: string): PartitionBy {
  return value.length === 4 ? 'year' : 'date';
}

/** Handed to the `write` callback of `commitVersion`. */
export interface VersionWriteContext {
  /** Absolute path of the staging folder the writer fills; its files join the table. */
  readonly dir: string;
  readonly layer: VersionedLayer;
  readonly key: string;
  readonly version: number;
  /** The key facts to embed in each Parquet file (`writeParquet` below adds them itself). */
  readonly keyValue: Record<string, string>;
  readonly signal?: AbortSignal;
  /** The newest committed version of the key, or null for the first one. */
  readonly previous: PreviousVersion | null;
  /**
   * Writes one Parquet file at `relativePath` inside `dir` (a table partitioned by date:
   * `date=2024-01-15/part-0.parquet`, the folder naming the file's one date; one
   * partitioned by year: `date_year=2024/part-0.parquet`, whose rows carry their own `date`
   * column, all of that year; an unpartitioned one: `part-0.parquet`), with the key facts
   * merged into its key-value metadata and the table's Iceberg field id on every column. A
   * file below a `date=` folder whose table has no `date` column gets one (Date32, the
   * folder's date) as its last column. Default compression zstd.
   */
  writeParquet(relativePath: string, table: Table, options?: { compression?: Compression; rowGroupSize?: number; metadata?: Record<string, string> }): Promise<{ path: string; rows: number; bytes: number }>;
  /**
   * For a file the writer put at `relativePath` inside `dir` itself (DuckDB's `COPY … TO`,
   * with `keyValue` as its KV_METADATA and `FIELD_IDS` from `fieldIds`): what it knows of
   * the file, so the commit does not open its footer again (which starts the Parquet
   * worker: about 0.3 s for a commit that otherwise needs none). The file is still
   * fsynced, hashed and listed like every other. `extra` goes into the file's sidecar entry
   * (and stays with it in the later versions that keep the file).
   */
  registerFile(relativePath: string, facts: { rows: number; rowGroups: number; compression: CompressionName; extra?: Record<string, unknown> }): void;
  /** The Iceberg field id of each column name: the table's own id for a column it has, the next free ids for new ones. */
  fieldIds(columns: readonly string[]): Record<string, number>;
  /**
   * Keeps partitions of the previous version in the new one, by reference: nothing is read
   * or written, the table's next snapshot keeps their files and the version folder links
   * them. Values as `previous.partitions` gives them (dates, or years for a table by year).
   * Every partition the writer neither keeps nor writes is not in the new version.
   * BAD_REQUEST for a value the previous version does not hold.
   */
  keepPartitions(values: readonly string[]): void;
}

interface CommitVersionOptions {
  layer: VersionedLayer;
  /** The asset (cleaned) or `{ASSET}/{set}` (features; `featureKey`). */
  key: string;
  /** Writes the version's new Parquet files into `ctx.dir` and names the partitions it keeps; only `.parquet` files are allowed. */
  write: (ctx: VersionWriteContext) => Promise<void>;
  sidecar?: VersionSidecarInput;
  /**
   * Identity of inputs plus recipe. When an existing version of the same key has the same
   * fingerprint, nothing is written and that version is returned with status `unchanged`.
   */
  fingerprint?: string;
  signal?: AbortSignal;
  /** How long to wait for a busy lock (default 10 s). */
  lockWaitMs?: number;
  /** A lock the caller already holds (then the commit neither takes nor releases one). */
  lock?: StoreLock;
  /** Called as each step of the commit ends, with its name (a caller's phase profile). */
  onStep?: (step: string) => void;
}

export interface CommitVersionResult {
  status: 'created' | 'unchanged';
  layer: VersionedLayer;
  key: string;
  version: number;
  /** Store-relative path of the version folder, for example `cleaned/v3/MES`. */
  path: string;
  rows: number;
  bytes: number;
  files: FileInfo[];
  metadata: DatasetMetadata;
  /** files of the version kept by reference from the previous one */
  shared: number;
  /** files this commit wrote */
  written: number;
  /** files of the version folder copied because the file system refused a hard link */
  copies?: number;
}

function checkKey(layer: VersionedLayer, key: string): void {
  if (layer === 'cleaned') checkAssetName(key);
  else if (layer === 'features') {
    // a feature set of one asset (`MES/momentum_indicators`), or a set on its own
    const parts = key.split('/');
    if (parts.length === 2) {
      checkAssetName(parts[0]);
      checkFeatureSetName(parts[1]);
    } else checkFeatureSetName(key);
  } else throw new BadRequestError(`versions exist in the cleaned and features layers, not "${String(layer)}"`, { layer });
}

function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new CancelledError(`${what} was cancelled; nothing was written`, { reason: String(signal.reason ?? 'aborted') });
}

/**
 * A relative path a writer may use: forward slashes, no `..`, no hidden parts, ends in
 * `.parquet`; either a file at the top (an unpartitioned table) or one below a single
 * `date=YYYY-MM-DD` or `date_year=YYYY` folder. Answers its partition value (the date or
 * the year), or null at the top.
 */
function checkRelativeParquetPath(relativePath: string): string | null {
  const parts = relativePath.split('/');
  if (relativePath.includes('\\') || parts.some((part) => part === '' || part === '.' || part === '..' || part.startsWith('.'))) {
    throw new BadRequestError(`"${relativePath}" is not a plain relative path inside the version`, { path: relativePath });
  }
  if (!relativePath.endsWith('.parquet') || parts[parts.length - 1] === SIDECAR) {
    throw new BadRequestError(`a version holds Parquet files only; "${relativePath}" does not end in .parquet`, { path: relativePath });
  }
  if (parts.length === 1) return null;
  const date = /^date=(\d{4}-\d{2}-\d{2})$/.exec(parts[0]);
  const year = /^date_year=(\d{4})$/.exec(parts[0]);
  if (parts.length !== 2 || !((date && isIsoDate(date[1])) || year)) {
    throw new BadRequestError(`"${relativePath}" must be a file at the top of the version or below one date=YYYY-MM-DD or date_year=YYYY folder`, { path: relativePath });
  }
  return date ? date[1] : (year as RegExpExecArray)[1];
}

/** Every file under `dir`, as sorted relative paths with forward slashes. */
async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) files.push(...(await listFiles(path.join(dir, entry.name), relative)));
    else files.push(relative);
  }
  return files.sort();
}

/** The partition value of a file in a version folder (`2024-01-15.1.parquet` → 2024-01-15, `2024.parquet` → 2024), or null for `part-k.parquet`. */
export function partitionOfLink(name: string): string | null {
  const match = /^(\d{4}(?:-\d{2}-\d{2})?)(?:\.\d+)?\.parquet$/.exec(name);
  return match ? match[1] : null;
}

/** The sidecar of `key`'s version N, or null when it has none. */
async function readVersionSidecar(store: Store, layer: VersionedLayer, key: string, version: number): Promise<DatasetMetadata | null> {
  return MetadataManager.readMetadataFile(absolute(store, versionSidecarPath(layer, key, version)), { validate: false }).catch((error: unknown) => {
    if (error instanceof MesDataError && error.code === 'NOT_FOUND') return null;
    throw error;
  });
}

/**
 * Table properties of the store's Iceberg tables: a commit removes the metadata files beyond
 * the ten its log names (each repeats every snapshot the table keeps; a daily version of ten
 * years of history would otherwise leave one more, larger each day).
 */
export const STORE_TABLE_PROPERTIES: Record<string, string> = { 'write.metadata.delete-after-commit.enabled': 'true', 'write.metadata.previous-versions-max': '10' };

/** The snapshot summary's key for the version's fingerprint (`findByFingerprint`). */
const FINGERPRINT_KEY = 'mes-data.fingerprint';

/**
 * Existing version of `key` whose sidecar carries `fingerprint`, newest first. A snapshot's
 * summary carries its version's fingerprint, so only a match (or a version whose snapshot
 * says none) opens a sidecar: reading every sidecar made each commit cost more with each
 * version (a daily version of ten years lists 2,600 files).
 */
async function findByFingerprint(store: Store, layer: VersionedLayer, key: string, fingerprint: string): Promise<{ version: number; metadata: DatasetMetadata } | null> {
  const versions = await listVersions(store, layer, key);
  const table = await loadTableIfAny(absolute(store, tablePath(layer, key))).catch(() => null);
  const stated = new Map<number, string | undefined>(table ? listSnapshots(table).map((s) => [s.version, s.summary[FINGERPRINT_KEY]]) : []);
  for (const version of versions.reverse()) {
    const known = stated.get(version);
    if (known !== undefined && known !== fingerprint) continue;
    const metadata = await readVersionSidecar(store, layer, key, version).catch(() => null);
    if (metadata?.fingerprint === fingerprint) return { version, metadata };
  }
  return null;
}

/**
 * The newest committed version of `key` with its sidecar and partitions, or null. Read it
 * under the store lock to know what the next commit builds on (a writer's `ctx.previous`);
 * read without it, another writer may commit after it.
 */
export async function newestVersion(store: Store, layer: VersionedLayer, key: string): Promise<PreviousVersion | null> {
  const versions = await listVersions(store, layer, key);
  const newest = versions.length > 0 ? versions[versions.length - 1] : null;
  const metadata = newest === null ? null : await readVersionSidecar(store, layer, key, newest);
  if (newest === null || metadata === null) return null;
  const partitions = [...new Set(metadata.files.map((f) => partitionOfLink(f.path)).filter((p): p is string => p !== null))].sort();
  return { version: newest, metadata, partitions, partitionBy: partitions.length > 0 ? partitionByOf(partitions[0]) : null };
}

/** Links `from` at `to`, or copies it where the file system refuses links; answers whether it linked. */
async function linkOrCopy(from: string, to: string): Promise<boolean> {
  try {
    await fs.link(from, to);
    return true;
  } catch (error) {
    const code = errnoOf(error);
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EMLINK' && code !== 'EOPNOTSUPP') throw ioError('link', to, error);
    await fs.copyFile(from, to);
    await fsyncFile(to);
    return false;
  }
}

/** The Iceberg table of a key, or null when there is none yet. */
async function loadTableIfAny(dir: string): Promise<LoadedTable | null> {
  return loadTable(dir).catch((error: unknown) => {
    if (error instanceof MesDataError && error.code === 'NOT_FOUND') return null;
    throw error;
  });
}

/**
 * The table schema that holds the current one and a new file's columns (matched by field
 * id): the file's columns the table lacks are added, allowed promotions applied, the
 * table's columns the file lacks kept. SCHEMA_MISMATCH for a type that cannot change.
 */
function mergeSchema(current: IcebergSchema, incoming: IcebergSchema): IcebergSchema {
  const fields = current.fields.map((field) => {
    const next = incoming.fields.find((f) => f.id === field.id);
    if (!next) return field;
    const from = typeNameOf(field);
    const to = typeNameOf(next);
    if (from === to && field.doc === next.doc) return field.name === next.name ? field : { ...field, name: next.name };
    if (field.doc !== next.doc || !canPromote(from, to)) {
      throw new MesDataError('SCHEMA_MISMATCH', `column "${next.name}" was ${typeLabel(field)} in the table and is ${typeLabel(next)} in the new data; Iceberg cannot change that type`, { column: next.name, from: typeLabel(field), to: typeLabel(next) });
    }
    return { ...field, type: next.type };
  });
  for (const field of incoming.fields) if (!current.fields.some((f) => f.id === field.id)) fields.push({ ...field, required: false });
  return { ...current, fields };
}

/** Lineage keys of a snapshot summary (strings only; the summary is text). */
function lineageSummary(metadata: DatasetMetadata): Record<string, string> {
  const summary: Record<string, string> = {};
  if (metadata.fingerprint) summary[FINGERPRINT_KEY] = metadata.fingerprint;
  if (metadata.recipe) summary['mes-data.recipe'] = JSON.stringify(metadata.recipe);
  if (metadata.schema) summary['mes-data.schema'] = `${metadata.schema.name}@${metadata.schema.version}`;
  if (metadata.validation) summary['mes-data.valid'] = String(metadata.validation.valid);
  summary['mes-data.dependencies'] = String(metadata.dependencies?.length ?? 0);
  return summary;
}

/**
 * Commits a new immutable version of one asset (`cleaned`) or feature set (`features`,
 * key `{ASSET}/{set}`) as a snapshot of the key's Iceberg table (docs/versioning_semantics.md).
 *
 * Under the store lock: finishes whatever crashed writers left, returns the existing
 * version when `fingerprint` matches one (status `unchanged`, `write` is not called),
 * otherwise allocates the next version number N (recorded first, so it is never reused)
 * and lets `write` fill a staging folder with the new files only (naming the partitions
 * of the previous version it keeps). Then, each step durable before the next:
 * 1. the files are synced, hashed and moved into the table's `data/` (no snapshot names them yet);
 * 2. the sidecar is written to `catalog/{layer}/{key}/v{N}.json`;
 * 3. the version folder is built in staging: a hard link to every data file of the new snapshot;
 * 4. the Iceberg commit (append, or replace of the partitions that changed), whose summary says
 *    `mes-data.version` = N — the commit point;
 * 5. the version folder is renamed to `{layer}/v{N}/{key}/`.
 * Recovery (`recoverVersions`) rebuilds a version folder step 5 did not place and removes
 * a sidecar whose version has no snapshot; data files no snapshot names are left for gc.
 *
 * Throws INVALID_NAME for a bad key, LOCKED when another writer keeps the lock longer than
 * `lockWaitMs`, CANCELLED when `signal` aborts, BAD_REQUEST when `write` leaves something
 * other than Parquet files, mixes partitioned and unpartitioned files or partitions by date
 * and by year, writes files partitioned otherwise than the key's table (a table keeps its
 * spec: created by date from `date=` folders, by year from `date_year=` ones, unpartitioned
 * from top-level files), or the sidecar would not match the JSON Schema, SCHEMA_MISMATCH when a file does not fit the table, and
 * whatever `write` throws. On any failure before the commit point no version appears; the
 * allocated number is not reused.
 */
export async function commitVersion(store: Store, options: CommitVersionOptions): Promise<CommitVersionResult> {
  const { layer, key, signal } = options;
  const step = options.onStep ?? (() => undefined);
  checkKey(layer, key);
  const what = `the commit of a new ${layer} version of ${key}`;
  throwIfAborted(signal, what);
  const lock = options.lock ?? (await acquireStoreLock(store, { waitMs: options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS, purpose: `commit ${layer}/${key}` }));
  try {
    await recoverStore(store);
    await recoverVersions(store, { layer, key });
    step('commit: recover');
    if (options.fingerprint) {
      const existing = await findByFingerprint(store, layer, key, options.fingerprint);
      if (existing) {
        return {
          status: 'unchanged',
          layer,
          key,
          version: existing.version,
          path: versionPath(layer, existing.version, key),
          rows: existing.metadata.recordCount,
          bytes: existing.metadata.fileSizeBytes,
          files: existing.metadata.files,
          metadata: existing.metadata,
          shared: existing.metadata.files.length,
          written: 0,
        };
      }
    }
    step('commit: fingerprint');
    throwIfAborted(signal, what);
    const previous = await newestVersion(store, layer, key);
    const version = await allocateVersionNumber(store, layer, key);
    crashPoint(`allocated ${layer} v${version} of ${key}`);
    step('commit: previous');
    return await writeVersion(store, options, version, previous, lock, what);
  } finally {
    if (!options.lock) await lock.release();
  }
}

interface NewFile {
  /** relative path the writer used */
  relative: string;
  partition: string | null;
  staged: string;
  info: FileInfo;
  /** absolute path in the table's data/ once moved */
  dataPath?: string;
}

async function writeVersion(store: Store, options: CommitVersionOptions, version: number, previous: PreviousVersion | null, lock: StoreLock, what: string): Promise<CommitVersionResult> {
  const { layer, key, signal } = options;
  const step = options.onStep ?? (() => undefined);
  const sidecarInput = options.sidecar ?? {};
  const staging = await createStagingDir(store);
  const dataDir = path.join(staging.path, 'new');
  const linkDir = path.join(staging.path, 'version');
  const tableDir = absolute(store, tablePath(layer, key));
  const finalPath = versionPath(layer, version, key);
  const sidecarFile = absolute(store, versionSidecarPath(layer, key, version));
  const moved: string[] = [];
  let sidecarWritten = false;
  let committed = false;
  try {
    await fs.mkdir(dataDir);
    const table = await loadTableIfAny(tableDir);
    const current = table ? currentSchema(table.metadata, table.metadataFile) : null;
    // a feature set of one asset: the footer names the set and the asset apart, as before
    const [keyAsset, keySet] = layer === 'features' && key.includes('/') ? key.split('/') : [null, key];
    const keyValue = versionKeyValue({
      layer,
      key: keySet,
      version,
      asset: layer === 'cleaned' ? key : (sidecarInput.asset ?? keyAsset),
      schema: sidecarInput.schema,
      recipe: sidecarInput.recipe,
      fingerprint: options.fingerprint,
      dependencies: sidecarInput.dependencies,
    });
    const ids = new Map<string, number>((current?.fields ?? []).map((f) => [f.name, f.id]));
    let nextId = Math.max(table?.metadata['last-column-id'] ?? 0, ...ids.values(), 0) + 1;
    const fieldIds = (columns: readonly string[]): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const column of columns) {
        let id = ids.get(column);
        if (id === undefined) {
          id = nextId++;
          ids.set(column, id);
        }
        out[column] = id;
      }
      return out;
    };
    const kept = new Set<string>();
    const written = new Map<string, { rows: number }>();
    const registered = new Map<string, { rows: number; rowGroups: number; compression: CompressionName; extra?: Record<string, unknown> }>();
    const ctx: VersionWriteContext = {
      dir: dataDir,
      layer,
      key,
      version,
      keyValue,
      signal,
      previous,
      async writeParquet(relativePath, arrow, writeOptions = {}) {
        const date = checkRelativeParquetPath(relativePath);
        throwIfAborted(signal, what);
        const target = path.join(dataDir, ...relativePath.split('/'));
        await fs.mkdir(path.dirname(target), { recursive: true });
        const compression = writeOptions.compression ?? 'zstd';
        const hasDate = arrow.schema.fields.some((f) => f.name === 'date');
        if (date !== null && partitionByOf(date) === 'year' && !hasDate) throw new BadRequestError(`${relativePath}: a file of a year partition carries each row's date column; the rows have none`, { path: relativePath });
        const withDate = date !== null && !hasDate ? withDateColumn(arrow, date) : arrow;
        const result = await writeParquet(withFieldIds(withDate, fieldIds(withDate.schema.fields.map((f) => f.name))), target, { compression, rowGroupSize: writeOptions.rowGroupSize, metadata: { ...(writeOptions.metadata ?? {}), ...keyValue } });
        crashPoint(`wrote ${relativePath}`);
        written.set(relativePath, { rows: arrow.numRows });
        return { path: relativePath, rows: arrow.numRows, bytes: result.bytes };
      },
      registerFile(relativePath, facts) {
        checkRelativeParquetPath(relativePath);
        registered.set(relativePath, facts);
      },
      fieldIds,
      keepPartitions(values) {
        for (const value of values) {
          if (!previous?.partitions.includes(value)) throw new BadRequestError(`${what}: cannot keep partition ${value}, which ${previous ? `v${previous.version}` : 'no earlier version'} does not hold`, { partition: value, previous: previous?.version ?? null });
          kept.add(value);
        }
      },
    };
    step('commit: prepare');
    await options.write(ctx);
    step('commit: write');
    throwIfAborted(signal, what);

    const relativeFiles = await listFiles(dataDir);
    const partitionOf = new Map(relativeFiles.map((file) => [file, checkRelativeParquetPath(file)]));
    const partitioned = relativeFiles.length > 0 ? partitionOf.get(relativeFiles[0]) !== null : previous ? previous.partitions.length > 0 : false;
    if (relativeFiles.some((file) => (partitionOf.get(file) !== null) !== partitioned)) throw new BadRequestError(`${what} mixes files below date= folders with files at the top`, { layer, key, version });
    // by date or by year: the files written say, else the partitions kept
    const values = [...[...partitionOf.values()].filter((p): p is string => p !== null), ...kept];
    const partitionBy: PartitionBy | null = values.length > 0 ? partitionByOf(values[0]) : partitioned ? (previous?.partitionBy ?? 'date') : null;
    if (values.some((v) => partitionByOf(v) !== partitionBy)) throw new BadRequestError(`${what} mixes partitions by date (date=YYYY-MM-DD) and by year (date_year=YYYY)`, { layer, key, version });
    if (relativeFiles.length === 0 && kept.size === 0) throw new BadRequestError(`${what} wrote no Parquet files`, { layer, key, version });
    for (const value of kept) if ([...partitionOf.values()].includes(value)) throw new BadRequestError(`${what} both keeps and writes partition ${value}`, { partition: value });
    const createdAt = new Date().toISOString();
    // files are synced and hashed several at a time: a version of thousands of small files
    // otherwise waits on one fsync after another
    const fresh: NewFile[] = new Array<NewFile>(relativeFiles.length);
    let next = 0;
    const worker = async () => {
      while (next < relativeFiles.length) {
        const k = next++;
        const relative = relativeFiles[k];
        throwIfAborted(signal, what);
        const staged = path.join(dataDir, ...relative.split('/'));
        await fsyncFile(staged);
        const digest = await hashFile(staged);
        const known = written.get(relative);
        const facts = registered.get(relative) ?? (await parquetFileFacts(staged));
        fresh[k] = {
          relative,
          partition: partitionOf.get(relative) ?? null,
          staged,
          info: { path: relative, bytes: digest.bytes, rows: known?.rows ?? facts.rows, sha256: digest.sha256, compression: facts.compression, rowGroups: facts.rowGroups, ...('extra' in facts && facts.extra ? { extra: facts.extra } : {}) },
        };
      }
    };
    await Promise.all(Array.from({ length: Math.min(COMMIT_CONCURRENCY, relativeFiles.length) }, worker));
    crashPoint('synced and hashed the files');
    step('commit: hash');

    // the table: created with the first version's schema, evolved when new data brings columns
    let schemaTable = table;
    if (fresh.length > 0) {
      const incoming = await schemaOfDataFile(fresh[0].staged);
      if (!schemaTable) {
        schemaTable = await createTable(tableDir, incoming, { partitionColumn: partitioned ? 'date' : null, partitionTransform: partitionBy === 'year' ? 'year' : 'identity', properties: { ...STORE_TABLE_PROPERTIES, 'mes-data.layer': layer, 'mes-data.key': key } });
      } else {
        const merged = mergeSchema(currentSchema(schemaTable.metadata, schemaTable.metadataFile), incoming);
        schemaTable = await commitSchema(tableDir, merged);
      }
    }
    if (schemaTable) {
      // an existing table keeps its spec: files partitioned otherwise do not join it (no partition evolution)
      const field = defaultSpec(schemaTable.metadata, schemaTable.metadataFile).fields[0] as { transform: string } | undefined;
      const tableBy: PartitionBy | null = field === undefined ? null : field.transform === 'year' ? 'year' : 'date';
      const words = (by: PartitionBy | null) => (by === null ? 'unpartitioned' : `partitioned by ${by}`);
      if (tableBy !== partitionBy) {
        const files = tableBy !== null && partitionBy !== null ? words(partitionBy) : 'not';
        throw new BadRequestError(`${what}: the table ${tablePath(layer, key)} is ${words(tableBy)}, the new files are ${files}`, { layer, key, table: tableBy, files: partitionBy });
      }
    }

    // step 1: into the table's data folder (no snapshot names them until the commit)
    const byPartition = new Map<string | null, NewFile[]>();
    for (const file of fresh) byPartition.set(file.partition, [...(byPartition.get(file.partition) ?? []), file]);
    // a partition's files keep the writer's order (by its relative paths): the data file names
    // start with their rank, and the version folder names them in the order of those names
    for (const group of byPartition.values()) {
      group.forEach((file, k) => {
        const fresh = newDataFilePath(tableDir, file.partition);
        file.dataPath = path.join(path.dirname(fresh), `${String(k).padStart(5, '0')}-${path.basename(fresh)}`);
      });
    }
    // new names (a uuid each), so a plain rename cannot replace anything; every folder that
    // got an entry is synced once, before the commit names the files
    const folders = [...new Set(fresh.map((f) => path.dirname(f.dataPath as string)))];
    const createdFolders = new Set<string>();
    await mkdirDurable(path.join(tableDir, 'data'));
    await inParallel(folders, async (folder) => {
      if ((await fs.mkdir(folder, { recursive: true })) !== undefined) createdFolders.add(folder);
    });
    await lock.assertHeld();
    await inParallel(fresh, async (file) => {
      await fs.rename(file.staged, file.dataPath as string);
      moved.push(file.dataPath as string);
    });
    await inParallel([...folders, ...(createdFolders.size > 0 ? [path.join(tableDir, 'data')] : [])], fsyncDir);
    crashPoint('moved the new files into the table');
    step('commit: files');

    // the files of the new version: each partition's files named in the order of their data paths
    const files: FileInfo[] = [];
    const links: { from: string; name: string }[] = [];
    for (const [partition, group] of byPartition) {
      group.sort((a, b) => ((a.dataPath as string) < (b.dataPath as string) ? -1 : 1));
      group.forEach((file, k) => {
        const name = linkFileName(partition, k);
        files.push({ ...file.info, path: name });
        links.push({ from: file.dataPath as string, name });
      });
    }
    const previousFolder = previous ? absolute(store, versionPath(layer, previous.version, key)) : null;
    for (const file of previous?.metadata.files ?? []) {
      const partition = partitionOfLink(file.path);
      if (partition === null || !kept.has(partition)) continue;
      files.push(file);
      links.push({ from: path.join(previousFolder as string, file.path), name: file.path });
    }

    // step 2: the sidecar
    const metadata = MetadataManager.createMetadata({
      layer,
      asset: layer === 'cleaned' ? key : (sidecarInput.asset ?? (key.includes('/') ? key.split('/')[0] : null)),
      featureSet: layer === 'features' ? key.split('/').pop() : undefined,
      version,
      createdAt,
      schema: sidecarInput.schema ?? null,
      changelog: sidecarInput.changelog ?? null,
    });
    MetadataManager.addFileInfo(metadata, files);
    // a year's link does not say which of its dates the rows cover: a writer by year gives the range (unknown otherwise)
    const dates = partitionBy === 'date' ? files.map((f) => partitionOfLink(f.path)).filter((d): d is string => d !== null).sort() : [];
    metadata.dateRange = sidecarInput.dateRange ?? (dates.length > 0 ? { from: dates[0], to: dates[dates.length - 1] } : null);
    if (partitioned) metadata.partitioning = [partitionBy === 'year' ? 'date_year' : 'date'];
    if (sidecarInput.qualityMetrics) MetadataManager.addQualityMetrics(metadata, sidecarInput.qualityMetrics);
    MetadataManager.addDependencies(metadata, sidecarInput.dependencies ?? []);
    metadata.recipe = sidecarInput.recipe ?? null;
    metadata.validation = sidecarInput.validation ?? null;
    metadata.fingerprint = options.fingerprint ?? null;
    if (sidecarInput.extra) metadata.extra = sidecarInput.extra;
    // written in staging and moved into the catalog: a crash leaves no temporary file there
    const stagedSidecar = path.join(staging.path, 'sidecar.json');
    await mkdirDurable(path.dirname(sidecarFile));
    await MetadataManager.writeMetadataFile(metadata, stagedSidecar, { listsDir: path.join(path.dirname(sidecarFile), LISTS_DIR) });
    sidecarWritten = true;
    await moveNoReplace(stagedSidecar, sidecarFile, 'file');
    crashPoint('placed the sidecar');
    step('commit: sidecar');

    // step 3: the version folder, in staging
    await fs.mkdir(linkDir);
    let copies = 0;
    await inParallel(links, async (link) => {
      if (!(await linkOrCopy(link.from, path.join(linkDir, link.name)))) copies++;
    });
    await fsyncDir(linkDir);
    crashPoint('built the version folder');
    step('commit: links');

    // step 4: the commit point
    throwIfAborted(signal, what);
    await lock.assertHeld();
    const newFiles: NewDataFile[] = fresh.map((f): NewDataFile => ({ path: f.dataPath as string, partition: f.partition === null ? {} : partitionBy === 'year' ? { date_year: f.partition } : { date: f.partition } }));
    const summary = lineageSummary(metadata);
    const removeDates = (previous?.partitions ?? []).filter((p) => !kept.has(p) && !byPartition.has(p));
    const overlaps = fresh.some((f) => f.partition !== null && previous?.partitions.includes(f.partition));
    if (!schemaTable) throw new BadRequestError(`${what}: the table ${tablePath(layer, key)} does not exist and nothing new was written`, { layer, key });
    if (!previous || (partitioned && removeDates.length === 0 && !overlaps)) await appendFiles(tableDir, newFiles, { version, summary });
    else if (partitioned) await replacePartitions(tableDir, newFiles, { version, summary, removeDates });
    else await replacePartitions(tableDir, newFiles, { version, summary });
    committed = true;
    crashPoint(`committed the snapshot of ${layer} v${version} of ${key}`);
    step('commit: snapshot');

    // step 5: the version folder into place
    await mkdirDurable(path.dirname(absolute(store, finalPath)));
    await moveNoReplace(linkDir, absolute(store, finalPath), 'dir');
    crashPoint(`placed ${finalPath}`);
    return {
      status: 'created',
      layer,
      key,
      version,
      path: finalPath,
      rows: metadata.recordCount,
      bytes: metadata.fileSizeBytes,
      files: metadata.files,
      metadata,
      shared: files.length - fresh.length,
      written: fresh.length,
      copies,
    };
  } catch (error) {
    if (!committed) {
      // nothing names them: no version appears
      await Promise.all(moved.map((file) => fs.rm(file, { force: true })));
      if (sidecarWritten) await fs.rm(sidecarFile, { force: true });
    }
    if (signal?.aborted && !(error instanceof CancelledError)) throw new CancelledError(`${what} was cancelled; nothing was written`, { reason: String(signal.reason ?? 'aborted') });
    throw error;
  } finally {
    await staging.dispose();
  }
}

/** Runs `work` on every item, COMMIT_CONCURRENCY at a time. */
async function inParallel<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(COMMIT_CONCURRENCY, items.length) }, worker));
}

/** `table` with a last column `date` (Date32) holding `date` on every row. */
function withDateColumn(table: Table, date: string): Table {
  const days = Math.round(Date.parse(`${date}T00:00:00Z`) / 86_400_000);
  const column = makeVector(makeData({ type: new DateDay(), length: table.numRows, nullCount: 0, data: new Int32Array(table.numRows).fill(days) }));
  return table.assign(new Table({ date: column }));
}

/** `table` with the Parquet field id of each column in its Arrow field metadata (`PARQUET:field_id`, which the writer puts in the footer). */
function withFieldIds(table: Table, ids: Record<string, number>): Table {
  const fields = table.schema.fields.map((field) => new Field(field.name, field.type, field.nullable, new Map([...field.metadata, ['PARQUET:field_id', String(ids[field.name])]])));
  return new Table(new Schema(fields, table.schema.metadata), table.batches);
}

/**
 * The files of a version folder for a snapshot's data files: each partition's (a date, a
 * year, none) in the order of their paths, named by `linkFileName` (`2024-01-15.parquet`,
 * `2024-01-15.1.parquet`, `2024.parquet`, `part-0.parquet`), as the commit names them. Also
 * what a store in a bucket, which holds no version folders, resolves `cleaned/v3/MES` by.
 */
export function versionFolderLinks<T extends { path: string; partition: Record<string, unknown> }>(files: readonly T[]): { from: string; name: string; file: T }[] {
  const byPartition = new Map<string | null, T[]>();
  for (const file of files) {
    // a date table's link is named for the date, a year table's for the year
    const value = file.partition.date ?? file.partition.date_year;
    const partition = typeof value === 'string' ? value : null;
    byPartition.set(partition, [...(byPartition.get(partition) ?? []), file]);
  }
  const links: { from: string; name: string; file: T }[] = [];
  for (const [partition, group] of byPartition) {
    group.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (const [k, file] of group.entries()) links.push({ from: file.path, name: linkFileName(partition, k), file });
  }
  return links;
}

/**
 * Finishes the version commits crashed writers left, for one key or (without `only`) every
 * table of the store; the caller holds the store lock. A snapshot whose version folder is
 * missing (a crash between the commit and the rename) gets it rebuilt from the snapshot's
 * files; a sidecar whose version has no snapshot (a crash before the commit) is removed,
 * unless `removeUncommitted` is false (a copy of a bucket's store, which holds no version
 * folders: its folders are made here, and what it holds uncommitted stays for verify to name).
 * Answers the store-relative paths it rebuilt and removed.
 */
export async function recoverVersions(store: Store, only?: { layer: VersionedLayer; key: string }, options: { removeUncommitted?: boolean } = {}): Promise<{ rebuilt: string[]; removed: string[] }> {
  const result = { rebuilt: [] as string[], removed: [] as string[] };
  const keys = only ? [only] : await versionedKeys(store);
  for (const { layer, key } of keys) {
    const table = await loadTableIfAny(absolute(store, tablePath(layer, key)));
    const snapshots = table ? listSnapshots(table) : [];
    const committed = new Set(snapshots.map((s) => s.version));
    for (const snapshot of snapshots) {
      const folder = versionPath(layer, snapshot.version, key);
      if (await exists(absolute(store, folder))) continue;
      // a snapshot without its sidecar is not ours (or was expired): nothing to name its files by
      if (!(await exists(absolute(store, versionSidecarPath(layer, key, snapshot.version))))) continue;
      const staging = await createStagingDir(store);
      try {
        const linkDir = path.join(staging.path, 'version');
        await fs.mkdir(linkDir);
        for (const link of versionFolderLinks(await snapshotDataFiles(table as LoadedTable, snapshot))) await linkOrCopy(link.from, path.join(linkDir, link.name));
        await fsyncDir(linkDir);
        await mkdirDurable(path.dirname(absolute(store, folder)));
        await moveNoReplace(linkDir, absolute(store, folder), 'dir');
        crashPoint(`rebuilt ${folder}`);
        result.rebuilt.push(folder);
      } finally {
        await staging.dispose();
      }
    }
    if (options.removeUncommitted === false) continue;
    const catalogDir = absolute(store, `${CATALOG_DIR}/${layer}/${key}`);
    const names = await fs.readdir(catalogDir).catch(() => [] as string[]);
    for (const name of names) {
      const match = /^v(\d+)\.json$/.exec(name);
      if (!match || committed.has(Number(match[1]))) continue;
      // a sidecar whose version folder exists is kept whatever the table says (its metadata
      // may be missing or damaged): verify reports it, and nothing a reader uses is deleted
      if (await exists(absolute(store, versionPath(layer, Number(match[1]), key)))) continue;
      await fs.rm(path.join(catalogDir, name), { force: true });
      await fsyncDir(catalogDir);
      result.removed.push(`${CATALOG_DIR}/${layer}/${key}/${name}`);
    }
  }
  return result;
}

/** Every key with a sidecar folder in the catalog: `cleaned` assets, `features` asset/set pairs (and sets alone). */
async function versionedKeys(store: Store): Promise<{ layer: VersionedLayer; key: string }[]> {
  const keys: { layer: VersionedLayer; key: string }[] = [];
  const dirs = async (relative: string) =>
    (await fs.readdir(absolute(store, relative), { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory() && e.name !== LISTS_DIR).map((e) => e.name);
  for (const asset of await dirs(`${CATALOG_DIR}/cleaned`)) keys.push({ layer: 'cleaned', key: asset });
  for (const first of await dirs(`${CATALOG_DIR}/features`)) {
    const inner = await dirs(`${CATALOG_DIR}/features/${first}`);
    if (inner.length === 0) keys.push({ layer: 'features', key: first });
    for (const set of inner) keys.push({ layer: 'features', key: featureKey(first, set) });
  }
  return keys;
}
