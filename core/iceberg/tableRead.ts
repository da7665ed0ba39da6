import fs from 'node:fs/promises';
import { MesDataError, NotFoundError, UnsupportedFileError } from '../errors.js';
import { errnoOf, ioError } from '../store/durableFs.js';
import { dateOfDays } from './dataFiles.js';
import { decodeManifest, decodeManifestList, STATUS, type DataFileRecord, type ManifestEntryRecord, type ManifestFileRecord } from './manifestFiles.js';
import type { LoadedTable } from './tableCommit.js';
import { resolveLocation } from './tableLocation.js';
import { schemaById, type Snapshot } from './tableMetadata.js';

/**
 * Reading a table's history: its snapshots, which of them is version N of MES Data or was
 * current at a moment, and the data files a snapshot holds. Version N is the snapshot
 * whose summary says `mes-data.version` N; a table written elsewhere has no such key and
 * its versions are its snapshots' sequence numbers (1, 2, …, in commit order).
 */

/** The summary key holding the MES Data version number of a snapshot. */
export const VERSION_KEY = 'mes-data.version';

export interface SnapshotInfo {
  id: bigint;
  parentId: bigint | null;
  sequenceNumber: number;
  /** commit time, ms since the epoch (UTC) */
  timestampMs: number;
  operation: string;
  /** MES Data version number (see the module comment) */
  version: number;
  schemaId: number | null;
  summary: Record<string, string>;
  manifestList: string;
}

function infoOf(snapshot: Snapshot): SnapshotInfo {
  const stated = Number(snapshot.summary[VERSION_KEY]);
  return {
    id: snapshot['snapshot-id'],
    parentId: snapshot['parent-snapshot-id'] ?? null,
    sequenceNumber: snapshot['sequence-number'],
    timestampMs: snapshot['timestamp-ms'],
    operation: snapshot.summary.operation,
    version: Number.isSafeInteger(stated) && stated > 0 ? stated : snapshot['sequence-number'],
    schemaId: snapshot['schema-id'] ?? null,
    summary: snapshot.summary,
    manifestList: snapshot['manifest-list'],
  };
}

/** The snapshots a table keeps, oldest first (by sequence number). */
export function listSnapshots(table: LoadedTable): SnapshotInfo[] {
  return table.metadata.snapshots.map(infoOf).sort((a, b) => a.sequenceNumber - b.sequenceNumber);
}

/** The current snapshot, or null for a table without one. */
export function currentSnapshotInfo(table: LoadedTable): SnapshotInfo | null {
  const id = table.metadata['current-snapshot-id'];
  return id === null || id === undefined ? null : snapshotById(table, id);
}

/** NOT_FOUND naming the table and the id when the table does not keep that snapshot (never made, or expired). */
export function snapshotById(table: LoadedTable, id: bigint): SnapshotInfo {
  const found = table.metadata.snapshots.find((s) => s['snapshot-id'] === id);
  if (!found) throw new NotFoundError(`${table.dir} has no snapshot ${id} (it was never made or has expired)`, { path: table.dir, snapshotId: String(id) });
  return infoOf(found);
}

/** Version `version` of MES Data; NOT_FOUND listing the versions there are. */
export function snapshotForVersion(table: LoadedTable, version: number): SnapshotInfo {
  const all = listSnapshots(table);
  const found = all.find((s) => s.version === version);
  if (!found) {
    throw new NotFoundError(`${table.dir} has no version ${version}; it keeps ${all.length === 0 ? 'none' : all.map((s) => `v${s.version}`).join(', ')}`, { path: table.dir, version, versions: all.map((s) => s.version) });
  }
  return found;
}

/**
 * The snapshot that was current at `timestampMs` (ms since the epoch, UTC), from the
 * snapshot log as the spec asks. NOT_FOUND when the table had no snapshot yet then, or
 * when the one it had has expired.
 */
export function snapshotAsOf(table: LoadedTable, timestampMs: number): SnapshotInfo {
  const log = table.metadata['snapshot-log'].filter((entry) => entry['timestamp-ms'] <= timestampMs);
  const at = new Date(timestampMs).toISOString();
  if (log.length === 0) throw new NotFoundError(`${table.dir} had no snapshot at ${at}`, { path: table.dir, asOf: at });
  const id = log[log.length - 1]['snapshot-id'];
  if (!table.metadata.snapshots.some((s) => s['snapshot-id'] === id)) {
    throw new NotFoundError(`the snapshot current at ${at} (${id}) has expired from ${table.dir}`, { path: table.dir, asOf: at, snapshotId: String(id) });
  }
  return snapshotById(table, id);
}

async function readTableFile(table: LoadedTable, location: string, source: string): Promise<{ path: string; bytes: Buffer }> {
  const file = resolveLocation(table.dir, table.metadata.location, location, source);
  try {
    return { path: file, bytes: await fs.readFile(file) };
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') throw new NotFoundError(`${source} names ${location}, which is missing (${file})`, { path: file, source });
    throw ioError('read', file, error);
  }
}

export interface ManifestOfSnapshot {
  /** absolute path */
  path: string;
  record: ManifestFileRecord;
}

/** The manifests a snapshot's manifest list names. NOT_FOUND / CORRUPTED_FILE for a missing or damaged list. */
export async function snapshotManifests(table: LoadedTable, snapshot: SnapshotInfo): Promise<{ listPath: string; manifests: ManifestOfSnapshot[] }> {
  const list = await readTableFile(table, snapshot.manifestList, table.metadataFile);
  const records = decodeManifestList(list.bytes, list.path);
  return { listPath: list.path, manifests: records.map((record) => ({ path: resolveLocation(table.dir, table.metadata.location, record.manifest_path, list.path), record })) };
}

/** Every entry of one manifest (added, existing and deleted), with v2 inheritance applied. */
export async function manifestEntries(table: LoadedTable, manifest: ManifestOfSnapshot): Promise<{ entries: ManifestEntryRecord[]; partitionFieldIds: Map<string, number> }> {
  const file = await readTableFile(table, manifest.record.manifest_path, manifest.path);
  return decodeManifest(file.bytes, file.path, manifest.record);
}

/** A data file a snapshot holds. */
export interface LiveDataFile {
  /** absolute path now */
  path: string;
  /** the location the manifest names */
  location: string;
  /** partition values by partition field name; dates as YYYY-MM-DD, a year partition as YYYY */
  partition: Record<string, unknown>;
  /** partition values by partition field id, as stored (dates as days, years since 1970) */
  partitionById: Map<number, unknown>;
  specId: number;
  recordCount: number;
  sizeBytes: number;
  snapshotId: bigint;
  sequenceNumber: bigint | null;
  record: DataFileRecord;
}

function partitionView(table: LoadedTable, specId: number, record: DataFileRecord, ids: Map<string, number>): { byName: Record<string, unknown>; byId: Map<number, unknown> } {
  const spec = table.metadata['partition-specs'].find((s) => s['spec-id'] === specId);
  const schema = schemaById(table.metadata, table.metadata['current-schema-id']);
  const byName: Record<string, unknown> = {};
  const byId = new Map<number, unknown>();
  for (const [name, value] of Object.entries(record.partition)) {
    const id = ids.get(name);
    const field = spec?.fields.find((f) => f['field-id'] === id);
    const source = field ? schema.fields.find((f) => f.id === field['source-id']) : undefined;
    if (id !== undefined) byId.set(id, value);
    // a year partition shows its year (`2024`, stored as years since 1970), an identity date its YYYY-MM-DD
    byName[name] = field?.transform === 'year' && typeof value === 'number' ? String(1970 + value) : field?.transform === 'identity' && source?.type === 'date' && typeof value === 'number' ? dateOfDays(value) : value;
  }
  return { byName, byId };
}

/**
 * The data files of a snapshot (the live entries of all its data manifests), in manifest
 * order. UNSUPPORTED_FILE for a snapshot with delete files (row-level deletes are not read
 * here); NOT_FOUND / CORRUPTED_FILE for a missing or damaged manifest.
 */
export async function snapshotDataFiles(table: LoadedTable, snapshot: SnapshotInfo): Promise<LiveDataFile[]> {
  const { manifests } = await snapshotManifests(table, snapshot);
  const files: LiveDataFile[] = [];
  for (const manifest of manifests) {
    if (manifest.record.content !== 0) {
      throw new UnsupportedFileError(`${manifest.path} lists delete files; MES Data does not read row-level deletes`, { path: manifest.path, reason: 'iceberg-deletes' });
    }
    const { entries, partitionFieldIds } = await manifestEntries(table, manifest);
    for (const entry of entries) {
      if (entry.status === STATUS.DELETED) continue;
      const record = entry.data_file;
      if (record.content !== 0) throw new UnsupportedFileError(`${manifest.path} lists a delete file (${record.file_path}); MES Data does not read row-level deletes`, { path: manifest.path, reason: 'iceberg-deletes' });
      const view = partitionView(table, manifest.record.partition_spec_id, record, partitionFieldIds);
      files.push({
        path: resolveLocation(table.dir, table.metadata.location, record.file_path, manifest.path),
        location: record.file_path,
        partition: view.byName,
        partitionById: view.byId,
        specId: manifest.record.partition_spec_id,
        recordCount: Number(record.record_count),
        sizeBytes: Number(record.file_size_in_bytes),
        snapshotId: entry.snapshot_id ?? manifest.record.added_snapshot_id,
        sequenceNumber: entry.sequence_number,
        record,
      });
    }
  }
  return files;
}

/** The schema a snapshot was written with (the current one when the snapshot does not say). */
export function snapshotSchema(table: LoadedTable, snapshot: SnapshotInfo) {
  return schemaById(table.metadata, snapshot.schemaId ?? table.metadata['current-schema-id'], table.metadataFile);
}

/** BAD_REQUEST unless exactly one of version, snapshot id and moment is given; then that snapshot. */
export function chooseSnapshot(table: LoadedTable, which: { version?: number; snapshotId?: bigint; asOfMs?: number }): SnapshotInfo {
  const given = [which.version, which.snapshotId, which.asOfMs].filter((v) => v !== undefined).length;
  if (given > 1) throw new MesDataError('BAD_REQUEST', 'name one of a version, a snapshot id or a moment, not several');
  if (which.version !== undefined) return snapshotForVersion(table, which.version);
  if (which.snapshotId !== undefined) return snapshotById(table, which.snapshotId);
  if (which.asOfMs !== undefined) return snapshotAsOf(table, which.asOfMs);
  const current = currentSnapshotInfo(table);
  if (!current) throw new NotFoundError(`${table.dir} has no snapshot yet`, { path: table.dir });
  return current;
}
