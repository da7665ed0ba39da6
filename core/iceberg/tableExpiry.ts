import type { Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { BadRequestError } from '../errors.js';
import { errnoOf, ioError } from '../store/durableFs.js';
import { STATUS } from './manifestFiles.js';
import { commitMetadata, loadTable, METADATA_DIR, metadataFileName, VERSION_HINT, type LoadedTable } from './tableCommit.js';
import { relativeInTable, resolveLocation } from './tableLocation.js';
import { listSnapshots, manifestEntries, snapshotManifests, type SnapshotInfo } from './tableRead.js';

/**
 * Expiring snapshots and finding the files no kept snapshot needs. Expiry is a metadata
 * commit that drops snapshots (never the current one, nor one a branch or tag names) and
 * their snapshot-log entries; it deletes nothing. `unreferencedFiles` then lists what a
 * later clean-up may remove: data files, manifests and manifest lists that no kept
 * snapshot reaches, older metadata files that name an expired snapshot, and what crashed
 * commits left. It must run under the store lock: a commit in progress has written files
 * that no snapshot names yet.
 */

export interface ExpireOptions {
  /** keep this many newest snapshots (at least 1) */
  keepLast?: number;
  /** expire only snapshots committed before this moment (ms since the epoch, UTC) */
  olderThanMs?: number;
  nowMs?: number;
}

/**
 * The snapshots of `table` that `expireSnapshots` with these options would expire, newest
 * first (for a dry run); BAD_REQUEST as `expireSnapshots`.
 */
export function expirableSnapshots(table: LoadedTable, options: ExpireOptions): SnapshotInfo[] {
  if (options.keepLast === undefined && options.olderThanMs === undefined) throw new BadRequestError('say how many snapshots to keep or which age expires');
  if (options.keepLast !== undefined && (!Number.isSafeInteger(options.keepLast) || options.keepLast < 1)) throw new BadRequestError(`keep at least 1 snapshot, not ${options.keepLast}`, { keepLast: options.keepLast });
  const newestFirst = listSnapshots(table).reverse();
  const pinned = new Set([table.metadata['current-snapshot-id'], ...Object.values(table.metadata.refs).map((ref) => ref['snapshot-id'])]);
  return newestFirst.filter(
    (snapshot, rank) => !pinned.has(snapshot.id) && (options.keepLast === undefined || rank >= options.keepLast) && (options.olderThanMs === undefined || snapshot.timestampMs < options.olderThanMs),
  );
}

/**
 * Expires the snapshots of the table in `dir` that both options allow (beyond the newest
 * `keepLast`, committed before `olderThanMs`); BAD_REQUEST when neither is given or
 * `keepLast` is below 1. Returns the table after the commit (the same table when nothing
 * expires) and the expired snapshots. LOCKED when a concurrent commit won.
 */
export async function expireSnapshots(dir: string, options: ExpireOptions): Promise<{ table: LoadedTable; expired: SnapshotInfo[] }> {
  const base = await loadTable(dir);
  const expired = expirableSnapshots(base, options);
  if (expired.length === 0) return { table: base, expired };
  const gone = new Set(expired.map((s) => s.id));
  const table = await commitMetadata(base, {
    ...base.metadata,
    'last-updated-ms': Math.max(options.nowMs ?? Date.now(), base.metadata['last-updated-ms']),
    snapshots: base.metadata.snapshots.filter((s) => !gone.has(s['snapshot-id'])),
    'snapshot-log': base.metadata['snapshot-log'].filter((entry) => !gone.has(entry['snapshot-id'])),
  });
  return { table, expired };
}

async function walk(dir: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true, recursive: true });
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return [];
    throw ioError('list', dir, error);
  }
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

export interface UnreferencedFiles {
  /** paths relative to the table folder, sorted */
  files: string[];
  bytes: number;
}

export interface UnreferencedOptions {
  /**
   * Also list older metadata files beyond the newest this many (the current one counts).
   * Each metadata file repeats every kept snapshot, so a table committed to daily for years
   * holds its history many times over; the current file alone names every kept snapshot.
   * What is lost with them is only time travel by metadata file (icebird's way); time travel
   * by version, snapshot id or moment reads the current file. All are kept when omitted.
   */
  keepMetadataFiles?: number;
  /**
   * Snapshots to count as expired already (a dry run of an expiry): their files are listed
   * when no other snapshot needs them, and so is the current metadata file, which an expiry
   * would replace; `keepMetadataFiles` then counts the file that expiry would write.
   */
  expiring?: ReadonlySet<bigint>;
}

/**
 * The files below the table folder's `data/` and `metadata/` that no snapshot of the
 * current metadata needs (see the module comment). Reads every kept snapshot's manifests;
 * NOT_FOUND / CORRUPTED_FILE when one is missing or damaged, so a damaged table never
 * yields a list that would remove what it still needs. BAD_REQUEST for `keepMetadataFiles`
 * below 1.
 */
export async function unreferencedFiles(dir: string, options: UnreferencedOptions = {}): Promise<UnreferencedFiles> {
  const keep = options.keepMetadataFiles;
  if (keep !== undefined && (!Number.isSafeInteger(keep) || keep < 1)) throw new BadRequestError(`keep at least the current metadata file, not ${keep}`, { keepMetadataFiles: keep });
  const table = await loadTable(dir);
  const expiring = options.expiring ?? new Set<bigint>();
  const pending = table.metadata.snapshots.some((s) => expiring.has(s['snapshot-id']));
  // the metadata version current once the expiry is committed
  const newest = table.version + (pending ? 1 : 0);
  const needed = new Set<string>([path.join(table.dir, METADATA_DIR, VERSION_HINT)]);
  if (!pending) needed.add(table.metadataFile);
  const keptIds = new Set(table.metadata.snapshots.map((s) => s['snapshot-id']).filter((id) => !expiring.has(id)));
  for (const snapshot of listSnapshots(table)) {
    if (expiring.has(snapshot.id)) continue;
    const { listPath, manifests } = await snapshotManifests(table, snapshot);
    needed.add(listPath);
    for (const manifest of manifests) {
      needed.add(manifest.path);
      const { entries } = await manifestEntries(table, manifest);
      for (const entry of entries) {
        if (entry.status === STATUS.DELETED) continue;
        needed.add(resolveLocation(table.dir, table.metadata.location, entry.data_file.file_path, manifest.path));
      }
    }
  }
  for (let version = newest - 1; version >= 1; version--) {
    if (keep !== undefined && version <= newest - keep) break;
    const file = path.join(table.dir, METADATA_DIR, metadataFileName(version));
    let older: LoadedTable;
    try {
      older = version === table.version ? table : await loadTable(table.dir, version);
    } catch {
      continue; // missing or unreadable: not needed by any kept snapshot either way
    }
    if (older.metadata.snapshots.every((s) => keptIds.has(s['snapshot-id']))) needed.add(file);
  }
  const files = [...(await walk(path.join(table.dir, 'data'))), ...(await walk(path.join(table.dir, METADATA_DIR)))].filter((file) => !needed.has(file));
  let bytes = 0;
  for (const file of files) bytes += (await fs.stat(file)).size;
  return { files: files.map((file) => relativeInTable(table.dir, file)).sort(), bytes };
}
