import fs from 'node:fs/promises';
import path from 'node:path';
import type { Table } from 'apache-arrow';
import { AlreadyExistsError, BadRequestError, CancelledError, NotFoundError } from '../errors.js';
import { readParquet } from '../parquet/parquetFile.js';
import { DEFAULT_ROW_GROUP_SIZE, isCompression, writeParquet, type Compression } from '../parquet/writeParquet.js';
import { crashPoint } from './crashPoints.js';
import { errnoOf, exists, fsyncDir, fsyncFile, mkdirDurable, moveNoReplace } from './durableFs.js';
import { hashFile } from './fileHash.js';
import {
  MetadataManager,
  type DatasetMetadata,
  type FileInfo,
  type QualityMetrics,
  type RawSourceInfo,
  type SchemaRef,
  type ValidationSummary,
} from './metadataManager.js';
import { recoverStore } from './openStore.js';
import { parquetContentDigest } from './parquetContentDigest.js';
import { parquetFileFacts } from './parquetFileFacts.js';
import { rawKeyValue } from './parquetKeyValue.js';
import { applyJournal, createStagingDir, writeJournal, type JournalMove, type StagingDir } from './stagingArea.js';
import { acquireStoreLock, type StoreLock } from './storeLock.js';
import { checkAssetName, checkDate, parquetFileName } from './storeNames.js';
import { SIDECAR, STAGING_DIR, absolute, rawDatePath, type Store } from './storeLayout.js';
import { DEFAULT_LOCK_WAIT_MS } from './versionCommit.js';

/**
 * Raw snapshots: `raw/{ASSET}/{YYYY-MM-DD}/{name}.parquet`, write-once. Each date folder's
 * `metadata.json` lists its files with their SHA-256. Writing the same bytes again is a
 * no-op (`unchanged`); different bytes for an existing snapshot are refused.
 */

/** What a snapshot's entry in the sidecar records beyond size, rows and hash. */
export interface RawFileExtras {
  source?: RawSourceInfo;
  schema?: SchemaRef | null;
  qualityMetrics?: QualityMetrics | null;
  validation?: ValidationSummary | null;
  changelog?: string | null;
  extra?: Record<string, unknown>;
}

export interface RawSnapshotInput {
  asset: string;
  /** Trading date `YYYY-MM-DD`. */
  date: string;
  /** File name, with or without `.parquet`. */
  name: string;
  /** The rows to store … */
  table?: Table;
  /**
   * … or a Parquet file already written. A file that already carries this snapshot's key
   * facts (`rawSnapshotKeyValue`) is taken byte for byte (hard-linked when it lies in the
   * store's staging area, copied otherwise) and left where it was; any other file is
   * rewritten with the key facts added.
   */
  sourceParquetPath?: string;
  /** Codec when the file is (re)written here (default snappy, or the source file's codec). */
  compression?: Compression;
  rowGroupSize?: number;
  sidecarExtras?: RawFileExtras;
}

export interface RawSnapshotResult {
  asset: string;
  date: string;
  /** The file name, `{name}.parquet`. */
  name: string;
  /** Store-relative path of the file. */
  path: string;
  rows: number;
  bytes: number;
  sha256: string;
  status: 'created' | 'unchanged';
}

export interface RawCommitOptions {
  signal?: AbortSignal;
  /** How long to wait for a busy lock (default 10 s). */
  lockWaitMs?: number;
  /** A lock the caller already holds. */
  lock?: StoreLock;
}

/**
 * The key-value metadata a raw snapshot file carries. Ingest embeds it when it writes its
 * staged Parquet files, so that `commitRawSnapshots` can take them without rewriting.
 */
export function rawSnapshotKeyValue(asset: string, date: string, source?: RawSourceInfo): Record<string, string> {
  return rawKeyValue(checkAssetName(asset), checkDate(date), source);
}

interface Prepared {
  input: RawSnapshotInput;
  fileName: string;
  /** Store-relative target file path. */
  target: string;
  staged: string;
  entry: FileInfo;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError('the raw snapshot commit was cancelled; nothing was written', { reason: String(signal.reason ?? 'aborted') });
}

async function linkOrCopy(source: string, target: string): Promise<void> {
  try {
    await fs.link(source, target);
    return;
  } catch (error) {
    const code = errnoOf(error);
    if (code === 'ENOENT') throw new NotFoundError(`the staged Parquet file ${source} does not exist`, { path: source });
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw error;
  }
  await fs.copyFile(source, target);
}

/** Puts one snapshot's final bytes into staging and describes them. */
async function prepare(store: Store, staging: StagingDir, input: RawSnapshotInput, index: number): Promise<Prepared> {
  const fileName = parquetFileName(input.name);
  const staged = path.join(staging.path, 'files', `${index}.parquet`);
  const keyValue = rawKeyValue(input.asset, input.date, input.sidecarExtras?.source);
  let rows: number;
  if (input.table) {
    await writeParquet(input.table, staged, { compression: input.compression ?? 'snappy', rowGroupSize: input.rowGroupSize, metadata: keyValue });
    rows = input.table.numRows;
  } else {
    const source = path.resolve(input.sourceParquetPath ?? '');
    const facts = await parquetFileFacts(source);
    const carriesKeys = Object.entries(keyValue).every(([key, value]) => facts.keyValue[key] === value);
    if (carriesKeys && input.compression === undefined && input.rowGroupSize === undefined) {
      const inStaging = source.startsWith(path.join(store.root, STAGING_DIR) + path.sep);
      if (inStaging) await linkOrCopy(source, staged);
      else await fs.copyFile(source, staged);
      await fsyncFile(staged);
    } else {
      const table = await readParquet(source);
      const compression = input.compression ?? (isCompression(facts.compression) ? facts.compression : 'snappy');
      await writeParquet(table, staged, {
        compression,
        rowGroupSize: input.rowGroupSize ?? (facts.largestRowGroup > 0 ? facts.largestRowGroup : DEFAULT_ROW_GROUP_SIZE),
        metadata: { ...facts.keyValue, ...keyValue },
      });
    }
    rows = facts.rows;
  }
  crashPoint(`staged ${fileName}`);
  const [digest, facts, contentSha256] = await Promise.all([hashFile(staged), parquetFileFacts(staged), parquetContentDigest(staged)]);
  const extras = input.sidecarExtras ?? {};
  const entry: FileInfo = {
    path: fileName,
    bytes: digest.bytes,
    rows,
    sha256: digest.sha256,
    contentSha256,
    compression: facts.compression,
    rowGroups: facts.rowGroups,
    createdAt: new Date().toISOString(),
  };
  if (extras.source !== undefined) entry.source = extras.source;
  if (extras.schema !== undefined) entry.schema = extras.schema;
  if (extras.qualityMetrics !== undefined) entry.qualityMetrics = extras.qualityMetrics;
  if (extras.validation !== undefined) entry.validation = extras.validation;
  if (extras.changelog !== undefined) entry.changelog = extras.changelog;
  if (extras.extra !== undefined) entry.extra = extras.extra;
  return { input, fileName, target: `${rawDatePath(input.asset, input.date)}/${fileName}`, staged, entry };
}

/** The sidecar of a raw date folder, or null when the folder has none. Throws CORRUPTED_FILE for a damaged one. */
export async function readRawSidecar(store: Store, asset: string, date: string): Promise<DatasetMetadata | null> {
  try {
    return await MetadataManager.readMetadataFile(absolute(store, `${rawDatePath(checkAssetName(asset), checkDate(date))}/${SIDECAR}`));
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
}

/**
 * Commits several raw snapshots all or nothing. Every snapshot is first written to a
 * staging folder inside the store and hashed; then, under the store lock, each is compared
 * with what the store holds: the same bytes → `unchanged`; different bytes for an existing
 * file → ALREADY_EXISTS (with `existingSha256` and `newSha256`) and nothing at all is
 * written. New date folders move in whole with one rename each; files added to an
 * existing date folder move in before the folder's updated sidecar replaces the old one.
 * When a commit needs more than one move, a journal makes it complete even after a crash
 * (the next writer or `openStore` finishes it).
 *
 * Throws INVALID_NAME for a bad asset, date or name, BAD_REQUEST when a snapshot has
 * neither or both of `table` and `sourceParquetPath`, ALREADY_EXISTS, LOCKED, CANCELLED,
 * CORRUPTED_FILE for an unreadable source file. Results come in the order of `snapshots`.
 */
export async function commitRawSnapshots(store: Store, snapshots: RawSnapshotInput[], options: RawCommitOptions = {}): Promise<RawSnapshotResult[]> {
  for (const snapshot of snapshots) {
    checkAssetName(snapshot.asset);
    checkDate(snapshot.date);
    parquetFileName(snapshot.name);
    if ((snapshot.table === undefined) === (snapshot.sourceParquetPath === undefined)) {
      throw new BadRequestError(`raw snapshot ${snapshot.asset}/${snapshot.date}/${snapshot.name} needs exactly one of table and sourceParquetPath`, {
        asset: snapshot.asset,
        date: snapshot.date,
        name: snapshot.name,
      });
    }
  }
  if (snapshots.length === 0) return [];
  throwIfAborted(options.signal);
  const staging = await createStagingDir(store);
  try {
    await fs.mkdir(path.join(staging.path, 'files'));
    const prepared: Prepared[] = [];
    for (const [index, snapshot] of snapshots.entries()) {
      throwIfAborted(options.signal);
      prepared.push(await prepare(store, staging, snapshot, index));
    }
    await fsyncDir(path.join(staging.path, 'files'));
    const lock = options.lock ?? (await acquireStoreLock(store, { waitMs: options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS, purpose: 'commit raw snapshots' }));
    try {
      await recoverStore(store);
      return await commitPrepared(store, staging, prepared, lock, options.signal);
    } finally {
      if (!options.lock) await lock.release();
    }
  } finally {
    await staging.dispose();
  }
}

/** Writes one raw snapshot; see `commitRawSnapshots`. */
export async function writeRawSnapshot(store: Store, snapshot: RawSnapshotInput, options: RawCommitOptions = {}): Promise<RawSnapshotResult> {
  const [result] = await commitRawSnapshots(store, [snapshot], options);
  return result;
}

async function commitPrepared(store: Store, staging: StagingDir, prepared: Prepared[], lock: StoreLock, signal: AbortSignal | undefined): Promise<RawSnapshotResult[]> {
  const statuses: ('created' | 'unchanged')[] = [];
  const conflicts: { path: string; existingSha256: string; newSha256: string }[] = [];
  const sidecars = new Map<string, DatasetMetadata | null>();
  const firstInBatch = new Map<string, Prepared>();
  for (const item of prepared) {
    const folder = rawDatePath(item.input.asset, item.input.date);
    const earlier = firstInBatch.get(item.target);
    if (earlier) {
      if (earlier.entry.contentSha256 === item.entry.contentSha256) statuses.push('unchanged');
      else conflicts.push({ path: item.target, existingSha256: earlier.entry.sha256, newSha256: item.entry.sha256 });
      continue;
    }
    firstInBatch.set(item.target, item);
    if (!sidecars.has(folder)) {
      const sidecar = await readRawSidecar(store, item.input.asset, item.input.date);
      if (sidecar === null && (await exists(absolute(store, folder)))) {
        throw new AlreadyExistsError(`${folder} exists but has no ${SIDECAR}; it was not written by mes-data and is left alone`, { path: folder });
      }
      sidecars.set(folder, sidecar);
    }
    const recorded = sidecars.get(folder)?.files.find((file) => file.path === item.fileName);
    if (recorded) {
      if (recorded.sha256 === item.entry.sha256 || recorded.contentSha256 === item.entry.contentSha256) {
        statuses.push('unchanged');
        // report the snapshot as the store holds it
        item.entry = recorded;
      } else conflicts.push({ path: item.target, existingSha256: recorded.sha256, newSha256: item.entry.sha256 });
      continue;
    }
    const onDisk = absolute(store, item.target);
    if (await exists(onDisk)) {
      conflicts.push({ path: item.target, existingSha256: (await hashFile(onDisk)).sha256, newSha256: item.entry.sha256 });
      continue;
    }
    statuses.push('created');
  }
  if (conflicts.length > 0) {
    const first = conflicts[0];
    throw new AlreadyExistsError(
      `${first.path} already exists with different content (recorded sha256 ${first.existingSha256}, new ${first.newSha256}); raw snapshots are write-once, so nothing was written` +
        (conflicts.length > 1 ? ` (${conflicts.length} snapshots conflict)` : ''),
      { path: first.path, existingSha256: first.existingSha256, newSha256: first.newSha256, conflicts },
    );
  }
  throwIfAborted(signal);

  // stage the new or updated sidecars and plan the moves, folder by folder
  const created = prepared.filter((item, index) => statuses[index] === 'created');
  const byFolder = new Map<string, Prepared[]>();
  for (const item of created) {
    const folder = rawDatePath(item.input.asset, item.input.date);
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), item]);
  }
  const moves: JournalMove[] = [];
  let n = 0;
  for (const [folder, items] of byFolder) {
    const existing = sidecars.get(folder) ?? null;
    const { asset, date } = items[0].input;
    const sidecar = existing ?? MetadataManager.createMetadata({ layer: 'raw', asset, date });
    MetadataManager.addFileInfo(sidecar, items.map((item) => item.entry));
    sidecar.dateRange = { from: date, to: date };
    if (existing === null) {
      const dir = path.join(staging.path, 'folders', String(n++));
      await mkdirDurable(dir);
      for (const item of items) {
        await fs.rename(item.staged, path.join(dir, item.fileName));
        item.staged = path.join(dir, item.fileName);
      }
      await MetadataManager.writeMetadataFile(sidecar, path.join(dir, SIDECAR));
      await fsyncDir(dir);
      moves.push({ from: relativeToStore(store, dir), to: folder, kind: 'dir' });
    } else {
      const sidecarPath = path.join(staging.path, 'sidecars', `${n++}.json`);
      await mkdirDurable(path.dirname(sidecarPath));
      await MetadataManager.writeMetadataFile(sidecar, sidecarPath);
      for (const item of items) moves.push({ from: relativeToStore(store, item.staged), to: item.target, kind: 'file' });
      moves.push({ from: relativeToStore(store, sidecarPath), to: `${folder}/${SIDECAR}`, kind: 'file', replace: true });
    }
  }
  await fsyncDir(path.join(staging.path, 'files'));
  crashPoint('staged the raw sidecars');

  if (moves.length > 0) {
    throwIfAborted(signal);
    await lock.assertHeld();
    if (moves.length === 1) {
      await mkdirDurable(path.dirname(absolute(store, moves[0].to)));
      await moveNoReplace(absolute(store, moves[0].from), absolute(store, moves[0].to), moves[0].kind);
    } else {
      // more than one move: the journal is the commit point
      await writeJournal(staging, moves);
      await applyJournal(store, moves);
    }
    crashPoint('committed the raw snapshots');
  }
  return prepared.map((item, index) => ({
    asset: item.input.asset,
    date: item.input.date,
    name: item.fileName,
    path: item.target,
    rows: item.entry.rows,
    bytes: item.entry.bytes,
    sha256: item.entry.sha256,
    status: statuses[index],
  }));
}

function relativeToStore(store: Store, absolutePath: string): string {
  return path.relative(store.root, absolutePath).split(path.sep).join('/');
}
