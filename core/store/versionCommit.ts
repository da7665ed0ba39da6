import fs from 'node:fs/promises';
import path from 'node:path';
import type { Table } from 'apache-arrow';
import { BadRequestError, CancelledError } from '../errors.js';
import { writeParquet, type Compression } from '../parquet/writeParquet.js';
import { crashPoint } from './crashPoints.js';
import { fsyncDir, fsyncFile, mkdirDurable, moveNoReplace } from './durableFs.js';
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
import { recoverStore } from './openStore.js';
import { parquetFileFacts } from './parquetFileFacts.js';
import { versionKeyValue } from './parquetKeyValue.js';
import { createStagingDir } from './stagingArea.js';
import { acquireStoreLock, type StoreLock } from './storeLock.js';
import { checkAssetName, checkFeatureSetName, isIsoDate } from './storeNames.js';
import { SIDECAR, absolute, versionFolder, versionPath, type Store, type VersionedLayer } from './storeLayout.js';
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
  /** Derived from `date=` partition folders when not given. */
  dateRange?: { from: string; to: string } | null;
  extra?: Record<string, unknown>;
}

/** Handed to the `write` callback of `commitVersion`. */
export interface VersionWriteContext {
  /** Absolute path of the staging folder that becomes `{layer}/v{N}/{key}/`. */
  readonly dir: string;
  readonly layer: VersionedLayer;
  readonly key: string;
  readonly version: number;
  /** The key facts to embed in each Parquet file (`writeParquet` below adds them itself). */
  readonly keyValue: Record<string, string>;
  readonly signal?: AbortSignal;
  /**
   * Writes one Parquet file at `relativePath` inside the version (for example
   * `date=2024-01-15/part-0.parquet`), with the key facts merged into its key-value
   * metadata. Default compression zstd.
   */
  writeParquet(relativePath: string, table: Table, options?: { compression?: Compression; rowGroupSize?: number; metadata?: Record<string, string> }): Promise<{ path: string; rows: number; bytes: number }>;
  /**
   * For a file the writer put at `relativePath` inside `dir` itself (DuckDB's `COPY … TO`,
   * with `keyValue` as its KV_METADATA): what it knows of the file, so the commit does not
   * open its footer again (which starts the Parquet worker: about 0.3 s for a commit that
   * otherwise needs none). The file is still fsynced, hashed and listed like every other.
   */
  registerFile(relativePath: string, facts: { rows: number; rowGroups: number; compression: CompressionName }): void;
}

interface CommitVersionOptions {
  layer: VersionedLayer;
  /** The asset (cleaned) or feature-set name (features). */
  key: string;
  /** Writes the version's Parquet files into `ctx.dir`; only `.parquet` files are allowed. */
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
}

function checkKey(layer: VersionedLayer, key: string): void {
  if (layer === 'cleaned') checkAssetName(key);
  else if (layer === 'features') checkFeatureSetName(key);
  else throw new BadRequestError(`versions exist in the cleaned and features layers, not "${String(layer)}"`, { layer });
}

function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new CancelledError(`${what} was cancelled; nothing was written`, { reason: String(signal.reason ?? 'aborted') });
}

/** A relative path inside a version folder: forward slashes, no `..`, no hidden parts, ends in `.parquet`. */
function checkRelativeParquetPath(relativePath: string): string {
  const parts = relativePath.split('/');
  if (relativePath.includes('\\') || parts.some((part) => part === '' || part === '.' || part === '..' || part.startsWith('.'))) {
    throw new BadRequestError(`"${relativePath}" is not a plain relative path inside the version`, { path: relativePath });
  }
  if (!relativePath.endsWith('.parquet') || parts[parts.length - 1] === SIDECAR) {
    throw new BadRequestError(`a version holds Parquet files only; "${relativePath}" does not end in .parquet`, { path: relativePath });
  }
  return relativePath;
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

/** Every folder under `dir` (deepest first), then `dir` itself. */
async function listFolders(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const folders: string[] = [];
  for (const entry of entries) if (entry.isDirectory()) folders.push(...(await listFolders(path.join(dir, entry.name))));
  folders.push(dir);
  return folders;
}

/** Hive partition keys and values of a relative file path (`date=2024-01-15/part-0.parquet` → {date: …}). */
function partitionsOf(relativePath: string): [string, string][] {
  return relativePath
    .split('/')
    .slice(0, -1)
    .map((part) => part.split('='))
    .filter((pair): pair is [string, string] => pair.length === 2);
}

function deriveDateRange(files: string[]): { from: string; to: string } | null {
  const dates = files.flatMap((file) => partitionsOf(file).filter(([key, value]) => key === 'date' && isIsoDate(value)).map(([, value]) => value)).sort();
  return dates.length > 0 ? { from: dates[0], to: dates[dates.length - 1] } : null;
}

/** Existing version of `key` whose sidecar carries `fingerprint`, newest first. */
async function findByFingerprint(store: Store, layer: VersionedLayer, key: string, fingerprint: string): Promise<{ version: number; metadata: DatasetMetadata } | null> {
  const versions = await listVersions(store, layer, key);
  for (const version of versions.reverse()) {
    const metadata = await MetadataManager.readMetadataFile(absolute(store, `${versionPath(layer, version, key)}/${SIDECAR}`), { validate: false }).catch(() => null);
    if (metadata?.fingerprint === fingerprint) return { version, metadata };
  }
  return null;
}

/**
 * Commits a new immutable version of one asset (`cleaned`) or feature set (`features`).
 *
 * Under the store lock: finishes whatever crashed writers left, returns the existing
 * version when `fingerprint` matches one (status `unchanged`, `write` is not called),
 * otherwise allocates the next version number N (recorded first, so it is never reused),
 * lets `write` fill a staging folder inside the store, fsyncs every file and folder,
 * hashes the files, writes `metadata.json` last, and moves the folder to
 * `{layer}/v{N}/{key}/` with one rename. Readers see the whole version or none of it.
 *
 * Throws INVALID_NAME for a bad key, LOCKED when another writer keeps the lock longer than
 * `lockWaitMs`, CANCELLED when `signal` aborts, BAD_REQUEST when `write` leaves something
 * other than Parquet files or the sidecar would not match the JSON Schema, and whatever
 * `write` throws. On any failure nothing is left behind; the allocated number is not reused.
 */
export async function commitVersion(store: Store, options: CommitVersionOptions): Promise<CommitVersionResult> {
  const { layer, key, signal } = options;
  checkKey(layer, key);
  const what = `the commit of a new ${layer} version of ${key}`;
  throwIfAborted(signal, what);
  const lock = options.lock ?? (await acquireStoreLock(store, { waitMs: options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS, purpose: `commit ${layer}/${key}` }));
  try {
    await recoverStore(store);
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
        };
      }
    }
    throwIfAborted(signal, what);
    const version = await allocateVersionNumber(store, layer, key);
    crashPoint(`allocated ${layer} v${version} of ${key}`);
    return await writeVersion(store, options, version, lock, what);
  } finally {
    if (!options.lock) await lock.release();
  }
}

async function writeVersion(store: Store, options: CommitVersionOptions, version: number, lock: StoreLock, what: string): Promise<CommitVersionResult> {
  const { layer, key, signal } = options;
  const sidecarInput = options.sidecar ?? {};
  const staging = await createStagingDir(store);
  const dataDir = path.join(staging.path, key);
  const finalPath = versionPath(layer, version, key);
  const versionParent = absolute(store, `${layer}/${versionFolder(version)}`);
  let createdParent = false;
  try {
    await fs.mkdir(dataDir);
    const keyValue = versionKeyValue({
      layer,
      key,
      version,
      asset: layer === 'cleaned' ? key : sidecarInput.asset,
      schema: sidecarInput.schema,
      recipe: sidecarInput.recipe,
      fingerprint: options.fingerprint,
      dependencies: sidecarInput.dependencies,
    });
    const written = new Map<string, { rows: number }>();
    const registered = new Map<string, { rows: number; rowGroups: number; compression: CompressionName }>();
    const ctx: VersionWriteContext = {
      dir: dataDir,
      layer,
      key,
      version,
      keyValue,
      signal,
      async writeParquet(relativePath, table, writeOptions = {}) {
        checkRelativeParquetPath(relativePath);
        throwIfAborted(signal, what);
        const target = path.join(dataDir, ...relativePath.split('/'));
        await fs.mkdir(path.dirname(target), { recursive: true });
        const compression = writeOptions.compression ?? 'zstd';
        const result = await writeParquet(table, target, { compression, rowGroupSize: writeOptions.rowGroupSize, metadata: { ...(writeOptions.metadata ?? {}), ...keyValue } });
        crashPoint(`wrote ${relativePath}`);
        written.set(relativePath, { rows: table.numRows });
        return { path: relativePath, rows: table.numRows, bytes: result.bytes };
      },
      registerFile(relativePath, facts) {
        registered.set(checkRelativeParquetPath(relativePath), facts);
      },
    };
    await options.write(ctx);
    throwIfAborted(signal, what);

    const relativeFiles = await listFiles(dataDir);
    for (const file of relativeFiles) checkRelativeParquetPath(file);
    if (relativeFiles.length === 0) throw new BadRequestError(`${what} wrote no Parquet files`, { layer, key, version });
    const createdAt = new Date().toISOString();
    // files are synced and hashed several at a time: a version of thousands of small files
    // otherwise waits on one fsync after another
    const files: FileInfo[] = new Array<FileInfo>(relativeFiles.length);
    let next = 0;
    const worker = async () => {
      while (next < relativeFiles.length) {
        const k = next++;
        const relative = relativeFiles[k];
        throwIfAborted(signal, what);
        const absoluteFile = path.join(dataDir, ...relative.split('/'));
        await fsyncFile(absoluteFile);
        const digest = await hashFile(absoluteFile);
        const known = written.get(relative);
        const facts = registered.get(relative) ?? (await parquetFileFacts(absoluteFile));
        files[k] = {
          path: relative,
          bytes: digest.bytes,
          rows: known?.rows ?? facts.rows,
          sha256: digest.sha256,
          compression: facts.compression,
          rowGroups: facts.rowGroups,
        };
      }
    };
    await Promise.all(Array.from({ length: Math.min(COMMIT_CONCURRENCY, relativeFiles.length) }, worker));
    crashPoint('synced and hashed the files');
    const folders = await listFolders(dataDir);
    // deepest first, so a folder is synced after the folders inside it
    for (let k = 0; k < folders.length; k += COMMIT_CONCURRENCY) await Promise.all(folders.slice(k, k + COMMIT_CONCURRENCY).map((folder) => fsyncDir(folder)));
    crashPoint('synced the folders');

    const metadata = MetadataManager.createMetadata({
      layer,
      asset: layer === 'cleaned' ? key : (sidecarInput.asset ?? null),
      featureSet: layer === 'features' ? key : undefined,
      version,
      createdAt,
      schema: sidecarInput.schema ?? null,
      changelog: sidecarInput.changelog ?? null,
    });
    MetadataManager.addFileInfo(metadata, files);
    metadata.dateRange = sidecarInput.dateRange ?? deriveDateRange(relativeFiles);
    const partitioning = partitionsOf(relativeFiles[0]).map(([partitionKey]) => partitionKey);
    if (partitioning.length > 0) metadata.partitioning = partitioning;
    if (sidecarInput.qualityMetrics) MetadataManager.addQualityMetrics(metadata, sidecarInput.qualityMetrics);
    MetadataManager.addDependencies(metadata, sidecarInput.dependencies ?? []);
    metadata.recipe = sidecarInput.recipe ?? null;
    metadata.validation = sidecarInput.validation ?? null;
    metadata.fingerprint = options.fingerprint ?? null;
    if (sidecarInput.extra) metadata.extra = sidecarInput.extra;
    // the sidecar goes in last: a folder without it is not a version
    await MetadataManager.writeMetadataFile(metadata, path.join(dataDir, SIDECAR));
    crashPoint('wrote metadata.json');

    throwIfAborted(signal, what);
    await lock.assertHeld();
    createdParent = (await mkdirDurable(versionParent)).length > 0;
    await moveNoReplace(dataDir, absolute(store, finalPath), 'dir');
    crashPoint(`committed ${finalPath}`);
    return { status: 'created', layer, key, version, path: finalPath, rows: metadata.recordCount, bytes: metadata.fileSizeBytes, files: metadata.files, metadata };
  } catch (error) {
    if (createdParent) await fs.rmdir(versionParent).catch(() => undefined);
    if (signal?.aborted && !(error instanceof CancelledError)) throw new CancelledError(`${what} was cancelled; nothing was written`, { reason: String(signal.reason ?? 'aborted') });
    throw error;
  } finally {
    await staging.dispose();
  }
}
