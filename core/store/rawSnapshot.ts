import { execFile } from 'node:child_process';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Table } from 'apache-arrow';
import { AlreadyExistsError, BadRequestError, CancelledError, MesDataError, NotFoundError } from '../errors.js';
import { summarizeParquetFile, type ParquetFileSummary } from '../ingest/parquetFooter.js';
import { readParquet } from '../parquet/parquetFile.js';
import { DEFAULT_ROW_GROUP_SIZE, isCompression, writeParquet, type Compression } from '../parquet/writeParquet.js';
import { crashPoint } from './crashPoints.js';
import { errnoOf, exists, fsyncDir, fsyncFile, mkdirDurable } from './durableFs.js';
import { hashFile } from './fileHash.js';
import {
  MetadataManager,
  type DatasetMetadata,
  type FileInfo,
  type RawFileExtras,
} from './metadataManager.js';
import { recoverStore } from './openStore.js';
import { compressionOf } from './parquetFileFacts.js';
import { rawKeyValue } from './parquetKeyValue.js';
import { sameRows } from './rawRowsCompare.js';
import { applyJournal, createStagingDir, writeJournal, type JournalMove, type StagingDir } from './stagingArea.js';
import { acquireStoreLock, type StoreLock } from './storeLock.js';
import { checkAssetName, checkDate, parquetFileName } from './storeNames.js';
import { CATALOG_DIR, STAGING_DIR, absolute, rawDatePath, rawSidecarPath, rawSupersededPath, type Store } from './storeLayout.js';
import { assertNoSymlinkBelow } from './storePaths.js';
import { DEFAULT_LOCK_WAIT_MS } from './versionCommit.js';

/**
 * Raw snapshots: `raw/{ASSET}/{YYYY-MM-DD}/{name}.parquet`, write-once. The date folder holds
 * Parquet files only; its sidecar, `catalog/raw/{ASSET}/{YYYY-MM-DD}.json`, lists its files
 * with their SHA-256. Writing the same bytes again is a no-op (`unchanged`); different bytes
 * for an existing snapshot are refused.
 */


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
   * facts (`rawKeyValue` of parquetKeyValue.ts) is taken byte for byte (hard-linked when it lies in the
   * store's staging area, copied otherwise) and left where it was; any other file is
   * rewritten with the key facts added.
   */
  sourceParquetPath?: string;
  /**
   * What ingest learnt of `sourceParquetPath` while it wrote the file (size, hashes, rows,
   * row groups, codecs, footer keys), so the commit does not read it again. Taken only for
   * a file inside the store's staging area whose size still matches.
   */
  summary?: ParquetFileSummary;
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
  /** For a revision (see `RawCommitOptions.revise`): the file it supersedes. */
  supersedes?: string;
}

export interface RawCommitOptions {
  /**
   * A snapshot whose file exists with other rows is stored as the next revision,
   * `{name}.rev{N}.parquet` in its date folder, the file it supersedes moved to
   * `catalog/raw/{ASSET}/superseded/{DATE}/` (`rawSupersededPath`) in the same commit, instead of failing with ALREADY_EXISTS
   * (see docs/versioning_semantics.md, "Correcting raw data").
   */
  revise?: boolean;
  /** Compare with the store and report what would happen (conflicts throw as they would), writing nothing. */
  dryRun?: boolean;
  signal?: AbortSignal;
  /** How long to wait for a busy lock (default 10 s). */
  lockWaitMs?: number;
  /** A lock the caller already holds. */
  lock?: StoreLock;
  /**
   * A staging folder of this store the caller made (with `createStagingDir`) and still
   * disposes of. Snapshots whose `sourceParquetPath` lies in a folder of it that holds only
   * snapshot files are taken with their folder: the sidecar is written beside them and the
   * whole folder is renamed into place (no link, no copy), which is what makes a batch of
   * thousands of dates cheap.
   */
  staging?: StagingDir;
}

interface Prepared {
  input: RawSnapshotInput;
  fileName: string;
  /** Store-relative target file path. */
  target: string;
  staged: string;
  /** The file is the caller's, in its staging folder, and may be moved with its folder (see `RawCommitOptions.staging`). */
  adopted: boolean;
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

/** Files prepared at once: their reads, links and fsyncs overlap (a small disk queue is faster than one file at a time). */
const PARALLEL_FILES = 8;

/** Runs `work` over `items` with at most `limit` at a time, results in input order. */
async function inParallel<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  });
  await Promise.all(runners);
  return results;
}

/** Puts one snapshot's final bytes into staging and describes them (not yet fsynced). */
async function prepare(store: Store, staging: StagingDir, input: RawSnapshotInput, index: number, callerStaging: StagingDir | null): Promise<Prepared> {
  const fileName = parquetFileName(input.name);
  let staged = path.join(staging.path, 'files', `${index}.parquet`);
  let adopted = false;
  const keyValue = rawKeyValue(input.asset, input.date, input.sidecarExtras?.source);
  let summary: ParquetFileSummary;
  if (input.table) {
    await writeParquet(input.table, staged, { compression: input.compression ?? 'snappy', rowGroupSize: input.rowGroupSize, metadata: keyValue });
    summary = await summarizeParquetFile(staged);
  } else {
    const source = path.resolve(input.sourceParquetPath ?? '');
    const inStaging = source.startsWith(path.join(store.root, STAGING_DIR) + path.sep);
    let known = inStaging && input.summary !== undefined ? input.summary : null;
    const size = fileSize(source);
    if (known !== null && size !== known.bytes) known = null;
    const facts = known ?? (await summarizeParquetFile(source));
    const carriesKeys = Object.entries(keyValue).every(([key, value]) => facts.keyValue[key] === value);
    if (carriesKeys && input.compression === undefined && input.rowGroupSize === undefined) {
      if (callerStaging !== null && source.startsWith(callerStaging.path + path.sep) && path.basename(source) === fileName) {
        staged = source;
        adopted = true;
      } else if (inStaging) await linkOrCopy(source, staged);
      else await fs.copyFile(source, staged);
      summary = facts;
    } else {
      const table = await readParquet(source);
      const codec = compressionOf(facts.codecs);
      const compression = input.compression ?? (isCompression(codec) ? codec : 'snappy');
      await writeParquet(table, staged, {
        compression,
        rowGroupSize: input.rowGroupSize ?? (facts.rows > 0 ? Math.max(1, Math.ceil(facts.rows / Math.max(1, facts.rowGroups))) : DEFAULT_ROW_GROUP_SIZE),
        metadata: { ...facts.keyValue, ...keyValue },
      });
      summary = await summarizeParquetFile(staged);
    }
  }
  const extras = input.sidecarExtras ?? {};
  const entry: FileInfo = {
    path: fileName,
    bytes: summary.bytes,
    rows: summary.rows,
    sha256: summary.sha256,
    contentSha256: summary.contentSha256,
    compression: compressionOf(summary.codecs),
    rowGroups: summary.rowGroups,
    createdAt: new Date().toISOString(),
  };
  if (extras.source !== undefined) entry.source = extras.source;
  if (extras.schema !== undefined) entry.schema = extras.schema;
  if (extras.qualityMetrics !== undefined) entry.qualityMetrics = extras.qualityMetrics;
  if (extras.validation !== undefined) entry.validation = extras.validation;
  if (extras.changelog !== undefined) entry.changelog = extras.changelog;
  if (extras.extra !== undefined) entry.extra = extras.extra;
  return { input, fileName, target: `${rawDatePath(input.asset, input.date)}/${fileName}`, staged, adopted, entry };
}

/** A staged file's size: a synchronous stat (one per snapshot, thousands in a batch; no round trip through the thread pool). */
function fileSize(file: string): number {
  try {
    return fsSync.statSync(file).size;
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') throw new NotFoundError(`the staged Parquet file ${file} does not exist`, { path: file });
    throw error;
  }
}

/** The sidecar of a raw date folder (`catalog/raw/{ASSET}/{DATE}.json`), or null when it has none. Throws CORRUPTED_FILE for a damaged one. */
export async function readRawSidecar(store: Store, asset: string, date: string): Promise<DatasetMetadata | null> {
  try {
    return await MetadataManager.readMetadataFile(absolute(store, rawSidecarPath(checkAssetName(asset), checkDate(date))));
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
 * written. Every commit goes through a journal (the commit point), which lists each date's
 * sidecar move into `catalog/raw/` first, then its data: a new date folder with one rename,
 * or the files added to an existing one. After a crash past the journal the next writer
 * (or `openStore`) finishes the moves; before it, nothing of the commit is in the store.
 *
 * Throws INVALID_NAME for a bad asset, date or name, BAD_REQUEST when a snapshot has
 * neither or both of `table` and `sourceParquetPath`, ALREADY_EXISTS, LOCKED, CANCELLED,
 * CORRUPTED_FILE for an unreadable source file. Results come in the order of `snapshots`.
 */
export async function commitRawSnapshots(store: Store, requested: RawSnapshotInput[], options: RawCommitOptions = {}): Promise<RawSnapshotResult[]> {
  // one spelling of the asset everywhere (the name rule upper-cases it)
  const snapshots = requested.map((snapshot) => ({ ...snapshot, asset: checkAssetName(snapshot.asset) }));
  for (const snapshot of snapshots) {
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
  const staging = options.staging ?? (await createStagingDir(store));
  try {
    await fs.mkdir(path.join(staging.path, 'files'), { recursive: true });
    const batchSync = snapshots.length >= BATCH_SYNC_FROM && (await canSyncFileSystem());
    const prepared = await inParallel(snapshots, PARALLEL_FILES, async (snapshot, index) => {
      throwIfAborted(options.signal);
      const item = await prepare(store, staging, snapshot, index, options.staging ?? null);
      if (!batchSync) await fsyncFile(item.staged);
      crashPoint(`staged ${item.fileName}`);
      return item;
    });
    if (!batchSync) await fsyncDir(path.join(staging.path, 'files'));
    if (options.dryRun) return await commitPrepared(store, staging, prepared, null, options, batchSync);
    const lock = options.lock ?? (await acquireStoreLock(store, { waitMs: options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS, purpose: 'commit raw snapshots' }));
    try {
      await recoverStore(store);
      return await commitPrepared(store, staging, prepared, lock, options, batchSync);
    } finally {
      if (!options.lock) await lock.release();
    }
  } finally {
    if (!options.staging) await staging.dispose();
  }
}

/**
 * From this many snapshots on, a batch is made durable with one `syncfs(2)` of the store's
 * file system (coreutils `sync -f`, Linux) before its journal is written, instead of an
 * fsync per file and folder: measured on the build machine, 3,000 new date folders took
 * 0.24 s to sync at once against several seconds one fsync at a time. Elsewhere, or when
 * `sync -f` is missing, every file and folder is fsynced.
 */
const BATCH_SYNC_FROM = 64;

let syncFsAvailable: Promise<boolean> | null = null;

function canSyncFileSystem(): Promise<boolean> {
  if (process.platform !== 'linux') return Promise.resolve(false);
  // syncfs of /proc flushes nothing: the probe costs a process start, not a flush of a whole
  // disk (of the temp folder's, as it did: 0.22 s on the loaded build machine, before the batch's own)
  syncFsAvailable ??= new Promise((resolve) => {
    execFile('sync', ['-f', '/proc'], (error) => resolve(error === null));
  });
  return syncFsAvailable;
}

/** Flushes everything written to the file system holding `dir` (its data and folders). Throws IO_ERROR when that fails. */
function syncFileSystem(dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('sync', ['-f', dir], (error) => {
      if (error) reject(new MesDataError('IO_ERROR', `could not sync the file system of ${dir}: ${error.message}`, { path: dir }));
      else resolve();
    });
  });
}

/** Writes one raw snapshot; see `commitRawSnapshots`. */
export async function writeRawSnapshot(store: Store, snapshot: RawSnapshotInput, options: RawCommitOptions = {}): Promise<RawSnapshotResult> {
  const [result] = await commitRawSnapshots(store, [snapshot], options);
  return result;
}

/** The revision number of `name` as a revision of `fileName` (`{stem}.parquet` 0, `{stem}.rev{N}.parquet` N), or null for another file. */
function revisionNumber(fileName: string, name: string): number | null {
  if (name === fileName) return 0;
  const stem = fileName.slice(0, -'.parquet'.length);
  if (!name.startsWith(`${stem}.rev`) || !name.endsWith('.parquet')) return null;
  const n = Number(name.slice(stem.length + 4, -'.parquet'.length));
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/**
 * `{stem}.rev{N}.parquet` of a file name `{stem}.parquet`: the revisions of one snapshot in
 * a date folder (`files`; a store written before superseded files moved out still holds them
 * all there) and those already moved out (`superseded`): the newest in the folder, the number
 * of the next, and the older ones still in the folder (`stale`), which a revision moves out too.
 */
function revisionsOf(fileName: string, files: FileInfo[], superseded: FileInfo[] = []): { latest: FileInfo | null; next: number; stale: FileInfo[] } {
  let latest: FileInfo | null = null;
  let latestN = -1;
  let highest = 0;
  const inFolder: FileInfo[] = [];
  for (const f of files) {
    const n = revisionNumber(fileName, f.path);
    if (n === null) continue;
    inFolder.push(f);
    if (n > latestN) {
      latestN = n;
      latest = f;
    }
    if (n > highest) highest = n;
  }
  for (const f of superseded) {
    const n = revisionNumber(fileName, path.posix.basename(f.path));
    if (n !== null && n > highest) highest = n;
  }
  return { latest, next: highest + 1, stale: inFolder.filter((f) => f !== latest) };
}

/**
 * The files of a raw date a revision moved out of its folder (store-relative paths under
 * `catalog/raw/{ASSET}/superseded/{DATE}/`, see `rawSupersededPath`), with the size, rows and
 * hashes they had: the sidecar's `extra.superseded`. Empty for a sidecar without any.
 */
export function supersededFiles(sidecar: DatasetMetadata | null): FileInfo[] {
  const list = (sidecar?.extra as { superseded?: unknown } | undefined)?.superseded;
  return Array.isArray(list) ? (list.filter((f) => typeof f === 'object' && f !== null && typeof (f as FileInfo).path === 'string') as FileInfo[]) : [];
}

/**
 * Takes `outOfFolder` (files of the date folder `raw/{ASSET}/{DATE}/`) out of the sidecar's
 * `files` and keeps each, with its new path in the superseded tree and the hashes it had, in
 * `extra.superseded`; returns the journal moves that go with the changed sidecar.
 */
function retireFromFolder(sidecar: DatasetMetadata, asset: string, date: string, outOfFolder: FileInfo[]): JournalMove[] {
  if (outOfFolder.length === 0) return [];
  const folder = rawDatePath(asset, date);
  const gone = new Set(outOfFolder.map((f) => f.path));
  sidecar.files = sidecar.files.filter((f) => !gone.has(f.path));
  const moved = outOfFolder.map((f) => ({ ...f, path: rawSupersededPath(asset, date, f.path) }));
  sidecar.extra = { ...(sidecar.extra ?? {}), superseded: [...supersededFiles(sidecar), ...moved].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) };
  return outOfFolder.map((f) => ({ from: `${folder}/${f.path}`, to: rawSupersededPath(asset, date, f.path), kind: 'supersede' }));
}

/** The older revisions a date folder still holds (a store written before revisions moved what they superseded out): every snapshot's but its newest. */
export function staleRevisions(sidecar: DatasetMetadata): FileInfo[] {
  const snapshots = new Set(sidecar.files.map((f) => f.path.replace(/\.rev\d+\.parquet$/, '.parquet')));
  return [...snapshots].flatMap((name) => revisionsOf(name, sidecar.files, supersededFiles(sidecar)).stale);
}

/** What `retireStaleRevisions` moved (or, in a dry run, would move). */
export interface RetiredRevisions {
  /** raw date folders that held older revisions */
  dates: number;
  /** files moved to `catalog/raw/{ASSET}/superseded/{DATE}/` */
  files: number;
}

/**
 * Brings the raw snapshots of a store written before revisions moved the files they superseded
 * out of their date folders (before `--revise` did so, every revision of a snapshot stayed in
 * `raw/{ASSET}/{DATE}/`, and a reader of the folder read old and new rows together) to today's
 * layout: each date folder's older revisions move to `catalog/raw/{ASSET}/superseded/{DATE}/`,
 * exactly as a revision moves them now, in one journaled commit (the changed sidecars, then the
 * moves), so a crash leaves the old layout or the new one. Under `lock`, held by the caller.
 */
export async function retireStaleRevisions(store: Store, lock: StoreLock, options: { dryRun?: boolean; signal?: AbortSignal } = {}): Promise<RetiredRevisions> {
  await recoverStore(store);
  const list = (relative: string): string[] => {
    try {
      return fsSync.readdirSync(absolute(store, relative)).sort();
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return [];
      throw error;
    }
  };
  const changed: { asset: string; date: string; sidecar: DatasetMetadata; stale: FileInfo[] }[] = [];
  for (const asset of list(`${CATALOG_DIR}/raw`)) {
    const dates = list(`${CATALOG_DIR}/raw/${asset}`)
      .filter((name) => /^\d{4}-\d{2}-\d{2}\.json$/.test(name))
      .map((name) => name.slice(0, -'.json'.length));
    await inParallel(dates, PARALLEL_FILES, async (date) => {
      throwIfAborted(options.signal);
      const sidecar = await readRawSidecar(store, asset, date);
      const stale = sidecar === null ? [] : staleRevisions(sidecar);
      if (sidecar !== null && stale.length > 0) changed.push({ asset, date, sidecar, stale });
    });
  }
  changed.sort((a, b) => (a.asset === b.asset ? (a.date < b.date ? -1 : 1) : a.asset < b.asset ? -1 : 1));
  const result = { dates: changed.length, files: changed.reduce((n, c) => n + c.stale.length, 0) };
  if (options.dryRun || changed.length === 0) return result;
  const staging = await createStagingDir(store);
  try {
    await fs.mkdir(path.join(staging.path, 'sidecars'), { recursive: true });
    const moves: JournalMove[] = [];
    for (const [n, { asset, date, sidecar, stale }] of changed.entries()) {
      const next = structuredClone(sidecar);
      const supersede = retireFromFolder(next, asset, date, stale);
      // the counts and the span of what stays in the folder
      MetadataManager.addFileInfo(next, []);
      next.dateRange = dateRangeOf(next, date);
      const staged = path.join(staging.path, 'sidecars', `${n}.json`);
      writeNewSidecar(next, staged, true);
      moves.push({ from: relativeToStore(store, staged), to: rawSidecarPath(asset, date), kind: 'file', replace: true }, ...supersede);
    }
    await fsyncDir(path.join(staging.path, 'sidecars'));
    throwIfAborted(options.signal);
    await lock.assertHeld();
    await writeJournal(staging, moves);
    await applyMoves(store, moves, false);
    crashPoint('moved the superseded raw revisions');
  } finally {
    await staging.dispose();
  }
  return result;
}

function revisionName(fileName: string, revision: number): string {
  return `${fileName.slice(0, -'.parquet'.length)}.rev${revision}.parquet`;
}

interface Conflict {
  path: string;
  date: string;
  existingSha256: string;
  newSha256: string;
}

async function commitPrepared(store: Store, staging: StagingDir, prepared: Prepared[], lock: StoreLock | null, options: RawCommitOptions, batchSync: boolean): Promise<RawSnapshotResult[]> {
  const signal = options.signal;
  const statuses: ('created' | 'unchanged')[] = [];
  const supersedes = new Map<Prepared, string>();
  /** per revision, the files it moves out of its date folder (the one it supersedes, and older ones a store of the earlier layout left there) */
  const retired = new Map<Prepared, FileInfo[]>();
  const conflicts: Conflict[] = [];
  const sidecars = new Map<string, DatasetMetadata | null>();
  const firstInBatch = new Map<string, Prepared>();
  const folders = [...new Set(prepared.map((item) => rawDatePath(item.input.asset, item.input.date)))];
  // under the lock, what each asset holds is listed once: a date with neither a sidecar nor a
  // folder (every date of a new asset) needs no read and no check of its own
  const held = heldDates(store, prepared);
  const absent = new Set<string>();
  await inParallel(folders, PARALLEL_FILES, async (folder) => {
    const [asset, date] = folder.split('/').slice(1);
    const listed = held.get(asset);
    if (listed && !listed.sidecars.has(`${date}.json`) && !listed.folders.has(date)) {
      sidecars.set(folder, null);
      absent.add(folder);
      return;
    }
    const sidecar = await readRawSidecar(store, asset, date);
    if (sidecar === null && (await exists(absolute(store, folder)))) {
      throw new AlreadyExistsError(`${folder} exists but has no sidecar ${rawSidecarPath(asset, date)}; it was not written by mes-data and is left alone`, { path: folder });
    }
    sidecars.set(folder, sidecar);
  });
  for (const item of prepared) {
    const folder = rawDatePath(item.input.asset, item.input.date);
    const earlier = firstInBatch.get(item.target);
    if (earlier) {
      if (earlier.entry.contentSha256 === item.entry.contentSha256) statuses.push('unchanged');
      else conflicts.push({ path: item.target, date: item.input.date, existingSha256: earlier.entry.sha256, newSha256: item.entry.sha256 });
      continue;
    }
    firstInBatch.set(item.target, item);
    const sidecar = sidecars.get(folder) ?? null;
    const { latest: recorded, next, stale } = revisionsOf(item.fileName, sidecar?.files ?? [], supersededFiles(sidecar));
    if (recorded) {
      const same =
        recorded.sha256 === item.entry.sha256 ||
        recorded.contentSha256 === item.entry.contentSha256 ||
        // written by another writer (or before the digest left the source's keys out): the rows decide
        (await sameRows(absolute(store, `${folder}/${recorded.path}`), item.staged));
      if (same) {
        statuses.push('unchanged');
        // report the snapshot as the store holds it
        item.entry = recorded;
        item.fileName = recorded.path;
        item.target = `${folder}/${recorded.path}`;
      } else if (options.revise) {
        supersedes.set(item, recorded.path);
        retired.set(item, [recorded, ...stale]);
        item.fileName = revisionName(item.fileName, next);
        item.target = `${folder}/${item.fileName}`;
        item.entry = { ...item.entry, path: item.fileName, extra: { ...(item.entry.extra ?? {}), supersedes: recorded.path, revision: next } };
        statuses.push('created');
      } else conflicts.push({ path: item.target, date: item.input.date, existingSha256: recorded.sha256, newSha256: item.entry.sha256 });
      continue;
    }
    const onDisk = absolute(store, item.target);
    if (!absent.has(folder) && (await exists(onDisk))) {
      conflicts.push({ path: item.target, date: item.input.date, existingSha256: (await hashFile(onDisk)).sha256, newSha256: item.entry.sha256 });
      continue;
    }
    statuses.push('created');
  }
  if (conflicts.length > 0) throw conflictError(conflicts, prepared.length);
  throwIfAborted(signal);
  if (lock === null) return results(prepared, statuses, supersedes);

  // stage the new or updated sidecars and plan the moves, folder by folder
  const created = prepared.filter((item, index) => statuses[index] === 'created');
  const byFolder = new Map<string, Prepared[]>();
  for (const item of created) {
    const folder = rawDatePath(item.input.asset, item.input.date);
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), item]);
  }
  const plans = [...byFolder].map(([folder, items], n) => ({ folder, items, n }));
  if (plans.length > 0) await fs.mkdir(path.join(staging.path, 'sidecars'), { recursive: true });
  const planned = await inParallel(plans, PARALLEL_FILES, async ({ folder, items, n }): Promise<JournalMove[]> => {
    const existing = sidecars.get(folder) ?? null;
    const { asset, date } = items[0].input;
    const sidecar = existing ? structuredClone(existing) : MetadataManager.createMetadata({ layer: 'raw', asset, date });
    // a revision's predecessors leave the date folder for the superseded tree (moves of their own, after the sidecar's);
    // the sidecar keeps each, with its new path and its hashes
    const supersedeMoves = retireFromFolder(sidecar, asset, date, items.flatMap((item) => retired.get(item) ?? []));
    MetadataManager.addFileInfo(sidecar, items.map((item) => item.entry));
    sidecar.dateRange = dateRangeOf(sidecar, date);
    // the sidecar moves first, then the data; both from the journal on
    const sidecarPath = path.join(staging.path, 'sidecars', `${n}.json`);
    writeNewSidecar(sidecar, sidecarPath, !batchSync);
    const sidecarMove: JournalMove = { from: relativeToStore(store, sidecarPath), to: rawSidecarPath(asset, date), kind: 'file', ...(existing ? { replace: true } : {}) };
    if (existing === null) {
      // the caller's folder holds exactly these files: it becomes the date folder as it is
      const home = path.dirname(items[0].staged);
      if (items.every((item) => item.adopted && path.dirname(item.staged) === home)) {
        const present = fsSync.readdirSync(home).sort();
        const wanted = items.map((item) => item.fileName).sort();
        if (present.length === wanted.length && present.every((name, k) => name === wanted[k])) {
          if (!batchSync) await fsyncDir(home);
          return [sidecarMove, { from: relativeToStore(store, home), to: folder, kind: 'dir' }];
        }
      }
      const dir = path.join(staging.path, 'folders', String(n));
      await fs.mkdir(dir, { recursive: true });
      for (const item of items) {
        await fs.rename(item.staged, path.join(dir, item.fileName));
        item.staged = path.join(dir, item.fileName);
      }
      if (!batchSync) await fsyncDir(dir);
      return [sidecarMove, { from: relativeToStore(store, dir), to: folder, kind: 'dir' }];
    }
    return [sidecarMove, ...supersedeMoves, ...items.map((item): JournalMove => ({ from: relativeToStore(store, item.staged), to: item.target, kind: 'file' }))];
  });
  const moves = planned.flat();
  if (batchSync) await syncFileSystem(staging.path);
  else for (const dir of ['files', 'folders', 'sidecars']) if (await exists(path.join(staging.path, dir))) await fsyncDir(path.join(staging.path, dir));
  crashPoint('staged the raw sidecars');

  if (moves.length > 0) {
    throwIfAborted(signal);
    await lock.assertHeld();
    // the journal is the commit point: a date's sidecar and its data are two moves
    await writeJournal(staging, moves);
    await applyMoves(store, moves, batchSync);
    crashPoint('committed the raw snapshots');
  }

  return results(prepared, statuses, supersedes);
}

function results(prepared: Prepared[], statuses: ('created' | 'unchanged')[], supersedes: Map<Prepared, string>): RawSnapshotResult[] {
  return prepared.map((item, index) => {
    const result: RawSnapshotResult = {
      asset: item.input.asset,
      date: item.input.date,
      name: item.fileName,
      path: item.target,
      rows: item.entry.rows,
      bytes: item.entry.bytes,
      sha256: item.entry.sha256,
      status: statuses[index],
    };
    const old = supersedes.get(item);
    if (old !== undefined) result.supersedes = old;
    return result;
  });
}

/**
 * Writes the sidecar of a folder being built in staging: checked against the JSON Schema,
 * written and fsynced, without the temporary name and rename `writeMetadataFile` uses (a
 * new folder in staging is not visible to anyone; its own fsync follows). Saves two of
 * the four syncs per date of a big batch.
 */
function writeNewSidecar(sidecar: DatasetMetadata, filePath: string, sync: boolean): void {
  const check = MetadataManager.validate(sidecar);
  if (!check.valid) throw new BadRequestError(`the sidecar for ${filePath} does not match schema/metadata_schema.json: ${check.errors.join('; ')}`, { path: filePath, errors: check.errors });
  // synchronous: a few kB each, thousands in a batch, in a job's thread
  const fd = fsSync.openSync(filePath, 'wx');
  try {
    fsSync.writeFileSync(fd, `${JSON.stringify(sidecar, null, 2)}\n`);
    if (sync) fsSync.fsyncSync(fd);
  } finally {
    fsSync.closeSync(fd);
  }
  crashPoint(`wrote the sidecar ${path.basename(filePath)}`);
}

/** The dates a raw folder covers: its own date, or the span its files record (a folder of daily bars holds a year). */
function dateRangeOf(sidecar: DatasetMetadata, date: string): { from: string; to: string } {
  let from: string | null = null;
  let to: string | null = null;
  for (const file of sidecar.files) {
    const span = (file.extra as { dateSpan?: { first?: unknown; last?: unknown } } | undefined)?.dateSpan;
    if (typeof span?.first === 'string' && (from === null || span.first < from)) from = span.first;
    if (typeof span?.last === 'string' && (to === null || span.last > to)) to = span.last;
  }
  return { from: from ?? date, to: to ?? date };
}

/**
 * Applies a batch's journal (already written: the commit is decided). New sidecars and new
 * date folders move in with one rename each, in the journal's order (each date's sidecar
 * before its folder), and their parents are synced once at the end, not after every
 * rename: a crash in between is finished from the journal by the next writer, exactly as a
 * crash anywhere else after the commit point. Replaced sidecars and files added to existing
 * folders go through `applyJournal`, in order (a date's sidecar before its new files).
 */
async function applyMoves(store: Store, moves: JournalMove[], batchSync: boolean): Promise<void> {
  const isNew = (move: JournalMove): boolean => move.kind === 'dir' || (move.kind === 'file' && move.replace !== true && move.to.startsWith(`${CATALOG_DIR}/`));
  const parents = new Set<string>();
  const sources = new Set<string>();
  const inFolder = checkedParents(store);
  for (const move of moves.filter(isNew)) {
    const to = inFolder(move.to);
    if (!parents.has(path.dirname(to))) {
      await mkdirDurable(path.dirname(to));
      parents.add(path.dirname(to));
    }
    // under the lock, after checking that neither the sidecar nor the folder exists (a folder rename never replaces a non-empty one);
    // synchronous: thousands of renames one after another, each a round trip through the thread pool otherwise
    const from = inFolder(move.from);
    fsSync.renameSync(from, to);
    sources.add(path.dirname(from));
    crashPoint(`moved ${path.basename(move.from)} to ${move.to}`);
  }
  if (batchSync) await syncFileSystem(store.root);
  else for (const dir of [...parents, ...sources]) await fsyncDir(dir);
  const rest = moves.filter((move) => !isNew(move));
  if (rest.length > 0) await applyJournal(store, rest);
}

function conflictError(conflicts: Conflict[], total: number): AlreadyExistsError {
  const first = conflicts[0];
  const dates = [...new Set(conflicts.map((c) => c.date))];
  const named = dates.slice(0, 5).join(', ') + (dates.length > 5 ? `, … (${dates.length} dates)` : '');
  const unchanged = total - conflicts.length;
  return new AlreadyExistsError(
    `${first.path} already exists with other rows (recorded sha256 ${first.existingSha256}, new ${first.newSha256}); raw snapshots are write-once, so nothing was written. ` +
      `${conflicts.length} of ${total} snapshot${total === 1 ? '' : 's'} changed (${named})${unchanged > 0 ? `, ${unchanged} unchanged` : ''}. ` +
      `To keep the correction, ingest again with --revise: each changed snapshot is stored as its next revision (${revisionName(path.posix.basename(first.path), 1)}), the file it supersedes kept in ${CATALOG_DIR}/raw/{ASSET}/superseded/`,
    { path: first.path, existingSha256: first.existingSha256, newSha256: first.newSha256, changedDates: dates, unchanged, conflicts },
  );
}

function relativeToStore(store: Store, absolutePath: string): string {
  return path.relative(store.root, absolutePath).split(path.sep).join('/');
}

/**
 * Store paths as `absolute` gives them (SYMLINK_IN_STORE for a link anywhere below the
 * root), with each folder checked once and then only the last segment: `absolute` checks
 * every segment of every path, four lstats a move and two moves a date.
 */
function checkedParents(store: Store): (relative: string) => string {
  const folders = new Map<string, string>();
  return (relative) => {
    const parent = path.posix.dirname(relative);
    let folder = folders.get(parent);
    if (folder === undefined) {
      folder = absolute(store, parent);
      folders.set(parent, folder);
    }
    const target = path.join(folder, path.posix.basename(relative));
    assertNoSymlinkBelow(folder, target);
    return target;
  };
}

/**
 * The sidecar names (`{DATE}.json`) and date folders each asset of the batch holds, listed
 * once; an asset with neither folder lists as empty. Read under the store lock, so it stays
 * true for the commit. An asset whose folders cannot be listed (anything but missing) is
 * left out: its dates are checked one by one, as before.
 */
function heldDates(store: Store, prepared: Prepared[]): Map<string, { sidecars: Set<string>; folders: Set<string> }> {
  const list = (relative: string): Set<string> | null => {
    try {
      return new Set(fsSync.readdirSync(absolute(store, relative)));
    } catch (error) {
      return errnoOf(error) === 'ENOENT' ? new Set() : null;
    }
  };
  const held = new Map<string, { sidecars: Set<string>; folders: Set<string> }>();
  const seen = new Set<string>();
  for (const { input } of prepared) {
    if (seen.has(input.asset)) continue;
    seen.add(input.asset);
    const sidecars = list(path.posix.dirname(rawSidecarPath(input.asset, input.date)));
    const folders = list(path.posix.dirname(rawDatePath(input.asset, input.date)));
    if (sidecars && folders) held.set(input.asset, { sidecars, folders });
  }
  return held;
}
