import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AlreadyExistsError, BadRequestError, MesDataError, NotFoundError } from '../errors.js';
import { writeFileDurable } from '../store/durableFs.js';
import { describeDataFile, nameMappingOf, type PartitionInput } from './dataFiles.js';
import { fieldByName, highestFieldId, typeNameOf, type IcebergSchema } from './icebergSchema.js';
import { summarizePartitions, mayHoldAny } from './partitionSummary.js';
import { encodeManifest, encodeManifestList, STATUS, type DataFileRecord, type ManifestEntryRecord, type ManifestFileRecord } from './manifestFiles.js';
import { commitMetadata, currentVersion, loadTable, METADATA_DIR, type LoadedTable } from './tableCommit.js';
import { fileLocation, locationIn, relativeInTable, resolveLocation } from './tableLocation.js';
import { currentSchema, defaultSpec, FORMAT_VERSION, type PartitionSpec, type TableMetadata } from './tableMetadata.js';
import { currentSnapshotInfo, listSnapshots, manifestEntries, snapshotManifests, VERSION_KEY, type ManifestOfSnapshot, type SnapshotInfo } from './tableRead.js';

/**
 * Writing a table: creating it, and committing snapshots that add data files (append) or
 * swap the files of some partitions for new ones (overwrite). Data files are written by
 * the caller below the table's `data/` folder first (Parquet with the table's field ids);
 * a commit then writes one new manifest for them, rewrites only the manifests that name a
 * replaced partition (its other files carried as EXISTING), keeps every other manifest
 * by reference, and commits by the rule of tableCommit.ts. Unchanged partitions are
 * shared with the previous snapshot, not copied.
 */

/** Footers read at once when a commit describes its new files. */
const DESCRIBE_CONCURRENCY = 16;

/** Manifests written again as one by the merge on append stay under this size (Iceberg's `commit.manifest.target-size-bytes`, 8 MB). */
const MANIFEST_TARGET_BYTES = 8n * 1024n * 1024n;

/** `commit.manifest.min-count-to-merge` (100 by default), or null when `commit.manifest-merge.enabled` is false. */
function manifestMergeCount(metadata: TableMetadata): number | null {
  if (metadata.properties['commit.manifest-merge.enabled'] === 'false') return null;
  const value = Number(metadata.properties['commit.manifest.min-count-to-merge']);
  return Number.isSafeInteger(value) && value > 1 ? value : 100;
}

/** The partition field id of the first partition field (the Iceberg convention starts at 1000). */
const FIRST_PARTITION_FIELD_ID = 1000;

export interface CreateTableOptions {
  /** the column the table is partitioned by; `date` unless said otherwise; null: unpartitioned (a spec with no fields) */
  partitionColumn?: string | null;
  /**
   * how: `identity` (one partition a date, the default) or `year` (one a calendar year, the
   * partition field `{column}_year` holding the years since 1970, as the spec's year transform)
   */
  partitionTransform?: 'identity' | 'year';
  properties?: Record<string, string>;
  /** commit time, ms since the epoch; now when omitted */
  nowMs?: number;
}

/**
 * Creates an empty table in `dir` (metadata version 1, no snapshot) with `schema`,
 * partitioned on `options.partitionColumn` (`date`, which must be a `date` column) by
 * identity or by year (`options.partitionTransform`), or unpartitioned when it is null (every snapshot of a replace then swaps all
 * files). ALREADY_EXISTS when `dir` holds a table; BAD_REQUEST for a partition column the
 * schema lacks or that is not a date.
 */
export async function createTable(dir: string, schema: IcebergSchema, options: CreateTableOptions = {}): Promise<LoadedTable> {
  const root = path.resolve(dir);
  const column = options.partitionColumn === undefined ? 'date' : options.partitionColumn;
  const source = column === null ? null : fieldByName(schema, column);
  if (column !== null && !source) throw new BadRequestError(`the table cannot be partitioned by "${column}": the schema has no such column (it has ${schema.fields.map((f) => f.name).join(', ')})`, { column });
  if (column !== null && source && source.type !== 'date') throw new BadRequestError(`the partition column "${column}" must be a date, not ${typeNameOf(source)}`, { column, type: typeNameOf(source) });
  const existing = await currentVersion(root).catch((error: unknown) => {
    if (error instanceof NotFoundError) return null;
    throw error;
  });
  if (existing !== null) throw new AlreadyExistsError(`${root} already holds an Iceberg table (metadata version ${existing})`, { path: root, version: existing });
  const now = options.nowMs ?? Date.now();
  const transform = options.partitionTransform ?? 'identity';
  const name = transform === 'year' ? `${column}_year` : column;
  const spec: PartitionSpec = { 'spec-id': 0, fields: column !== null && source ? [{ name: name as string, transform, 'source-id': source.id, 'field-id': FIRST_PARTITION_FIELD_ID }] : [] };
  const metadata: TableMetadata = {
    'format-version': FORMAT_VERSION,
    'table-uuid': randomUUID(),
    location: fileLocation(root),
    'last-sequence-number': 0,
    'last-updated-ms': now,
    'last-column-id': highestFieldId(schema),
    schemas: [schema],
    'current-schema-id': schema['schema-id'],
    'partition-specs': [spec],
    'default-spec-id': 0,
    // the spec's convention for a table without partition fields: one below the first id
    'last-partition-id': spec.fields.length > 0 ? FIRST_PARTITION_FIELD_ID : FIRST_PARTITION_FIELD_ID - 1,
    properties: { 'write.format.default': 'parquet', ...options.properties },
    'current-snapshot-id': -1n,
    snapshots: [],
    'snapshot-log': [],
    'metadata-log': [],
    'sort-orders': [{ 'order-id': 0, fields: [] }],
    'default-sort-order-id': 0,
    refs: {},
  };
  return commitMetadata(null, metadata, root);
}

/** A Parquet file the caller wrote below the table's folder, to join a snapshot. */
export interface NewDataFile {
  /** absolute path, inside the table folder */
  path: string;
  /** the partition tuple (`{date: '2024-01-15'}`); read from the file's statistics when omitted */
  partition?: PartitionInput;
}

export interface SnapshotOptions {
  /** the MES Data version number; the next sequence number when omitted; must exceed every kept version */
  version?: number;
  /** extra summary keys (lineage: `mes-data.recipe-fingerprint`, …); keys of the spec are refused */
  summary?: Record<string, string>;
  /** commit time, ms since the epoch; now when omitted */
  nowMs?: number;
  /** how often to read the table again and redo the change after a concurrent commit won (0: LOCKED at once) */
  retries?: number;
}

export interface CommitResult {
  table: LoadedTable;
  snapshot: SnapshotInfo;
  /** manifests this commit wrote (absolute paths) */
  manifestsWritten: string[];
}

function newSnapshotId(taken: Set<bigint>): bigint {
  // positive and below 2^53, so that readers holding ids in a JavaScript number keep them exact
  for (;;) {
    const id = randomBytes(8).readBigUInt64BE() & ((1n << 53n) - 1n);
    if (id > 0n && !taken.has(id)) return id;
  }
}

function partitionKey(partition: Record<string, unknown>): string {
  return JSON.stringify(Object.entries(partition).map(([k, v]) => [k, typeof v === 'bigint' ? String(v) : v]));
}

const SPEC_SUMMARY_KEYS = /^(operation|added-|deleted-|removed-|total-|changed-partition-count|manifests-|entries-processed)/;

interface Change {
  operation: 'append' | 'overwrite';
  added: DataFileRecord[];
  /** partition tuples whose live files this snapshot removes */
  removes: Record<string, unknown>[];
  /** refuse an added file whose partition the table already holds */
  refuseHeld: boolean;
}

/** Totals of the previous snapshot's summary, when it has them all. */
function previousTotals(previous: SnapshotInfo | null): { records: bigint; size: bigint; files: bigint } | null {
  if (!previous) return { records: 0n, size: 0n, files: 0n };
  const read = (key: string): bigint | null => (/^\d+$/.test(previous.summary[key] ?? '') ? BigInt(previous.summary[key]) : null);
  const [records, size, files] = [read('total-records'), read('total-files-size'), read('total-data-files')];
  return records === null || size === null || files === null ? null : { records, size, files };
}

async function writeSnapshot(base: LoadedTable, change: Change, options: SnapshotOptions): Promise<CommitResult> {
  const metadata = base.metadata;
  const schema = currentSchema(metadata, base.metadataFile);
  const spec = defaultSpec(metadata, base.metadataFile);
  const previous = currentSnapshotInfo(base);
  const snapshots = listSnapshots(base);
  const removes = new Set(change.removes.map(partitionKey));
  const addedKeys = new Set(change.added.map((f) => partitionKey(f.partition)));
  const touched = [...change.added.map((f) => f.partition), ...change.removes];
  const sequenceNumber = metadata['last-sequence-number'] + 1;
  const version = options.version ?? sequenceNumber;
  const highest = snapshots.reduce((max, s) => Math.max(max, s.version), 0);
  if (!Number.isSafeInteger(version) || version <= highest) throw new BadRequestError(`version ${version} is not above the table's highest version (${highest})`, { version, highest });
  for (const key of Object.keys(options.summary ?? {})) {
    if (SPEC_SUMMARY_KEYS.test(key) || key === VERSION_KEY) throw new BadRequestError(`the summary key "${key}" is written by the commit itself`, { key });
  }
  const snapshotId = newSnapshotId(new Set(snapshots.map((s) => s.id)));
  const now = Math.max(options.nowMs ?? Date.now(), metadata['last-updated-ms']);
  const written: string[] = [];
  const writeAvro = async (name: string, bytes: Buffer): Promise<string> => {
    const file = path.join(base.dir, METADATA_DIR, name);
    await writeFileDurable(file, bytes);
    written.push(file);
    return file;
  };
  /** Writes a manifest of `entries` and returns its manifest-list record, the counts taken from the entries' statuses. */
  const writeManifest = async (entries: ManifestEntryRecord[], manifestSpec: PartitionSpec, name: string): Promise<ManifestFileRecord> => {
    const bytes = encodeManifest(entries, manifestSpec, schema);
    await writeAvro(name, bytes);
    const sequence = BigInt(sequenceNumber);
    const of = (status: number) => entries.filter((e) => e.status === status);
    const rows = (list: ManifestEntryRecord[]) => list.reduce((sum, e) => sum + e.data_file.record_count, 0n);
    const [added, existing, deleted] = [of(STATUS.ADDED), of(STATUS.EXISTING), of(STATUS.DELETED)];
    return {
      manifest_path: locationIn(metadata.location, `${METADATA_DIR}/${name}`),
      manifest_length: BigInt(bytes.length),
      partition_spec_id: manifestSpec['spec-id'],
      content: 0,
      sequence_number: sequence,
      // added entries inherit this commit's sequence number
      min_sequence_number: existing.reduce((min, e) => (e.sequence_number !== null && e.sequence_number < min ? e.sequence_number : min), sequence),
      added_snapshot_id: snapshotId,
      added_files_count: added.length,
      existing_files_count: existing.length,
      deleted_files_count: deleted.length,
      added_rows_count: rows(added),
      existing_rows_count: rows(existing),
      deleted_rows_count: rows(deleted),
      partitions: summarizePartitions(entries, manifestSpec, schema),
      key_metadata: null,
    };
  };
  try {
    const kept: ManifestOfSnapshot[] = [];
    const rewritten: ManifestFileRecord[] = [];
    let replaced = 0;
    let deletedFiles = 0n;
    let deletedRecords = 0n;
    let removedSize = 0n;
    const changedPartitions = new Set<string>(change.added.map((f) => partitionKey(f.partition)));
    const livePaths = new Map<string, string>();
    if (previous) {
      const { manifests } = await snapshotManifests(base, previous);
      for (const manifest of manifests) {
        const manifestSpec = metadata['partition-specs'].find((s) => s['spec-id'] === manifest.record.partition_spec_id) ?? spec;
        // a manifest whose partition summaries rule out every partition this change touches is kept unread
        if (!mayHoldAny(manifest.record, touched, manifestSpec, schema)) {
          kept.push(manifest);
          continue;
        }
        const { entries } = await manifestEntries(base, manifest);
        const live = entries.filter((e) => e.status !== STATUS.DELETED);
        for (const e of live) livePaths.set(e.data_file.file_path, partitionKey(e.data_file.partition));
        const held = change.refuseHeld ? live.find((e) => addedKeys.has(partitionKey(e.data_file.partition))) : undefined;
        if (held) {
          const clash = change.added.find((f) => partitionKey(f.partition) === partitionKey(held.data_file.partition)) as DataFileRecord;
          throw new BadRequestError(`the table already holds partition ${partitionKey(clash.partition)}; replace it instead of appending to it`, { location: clash.file_path, partition: partitionKey(clash.partition) });
        }
        const hit = live.some((e) => removes.has(partitionKey(e.data_file.partition)));
        if (!hit) {
          kept.push(manifest);
          continue;
        }
        const next: ManifestEntryRecord[] = live.map((e) => {
          const removed = removes.has(partitionKey(e.data_file.partition));
          if (removed) {
            deletedFiles++;
            deletedRecords += e.data_file.record_count;
            removedSize += e.data_file.file_size_in_bytes;
            changedPartitions.add(partitionKey(e.data_file.partition));
          }
          return { ...e, status: removed ? STATUS.DELETED : STATUS.EXISTING, snapshot_id: removed ? snapshotId : e.snapshot_id };
        });
        rewritten.push(await writeManifest(next, manifestSpec, `${randomUUID()}-m${rewritten.length + 1}.avro`));
        replaced++;
      }
    }
    // Iceberg's merge on append: once the snapshot would name `commit.manifest.min-count-to-merge`
    // manifests (100), the small kept ones of the current spec are written again as one, their
    // files EXISTING; else each daily append adds a manifest that every later read opens
    const minCount = manifestMergeCount(metadata);
    if (minCount !== null && kept.length + rewritten.length + (change.added.length > 0 ? 1 : 0) >= minCount) {
      const small = kept.filter((m) => m.record.manifest_length < MANIFEST_TARGET_BYTES && m.record.partition_spec_id === spec['spec-id']);
      if (small.length > 1) {
        const entries: ManifestEntryRecord[] = [];
        for (const manifest of small) {
          for (const e of (await manifestEntries(base, manifest)).entries) if (e.status !== STATUS.DELETED) entries.push({ ...e, status: STATUS.EXISTING });
        }
        rewritten.push(await writeManifest(entries, spec, `${randomUUID()}-m${rewritten.length + 1}.avro`));
        replaced += small.length;
        kept.splice(0, kept.length, ...kept.filter((m) => !small.includes(m)));
      }
    }
    for (const file of change.added) {
      const taken = livePaths.get(file.file_path);
      if (taken !== undefined && !removes.has(taken)) throw new BadRequestError(`${file.file_path} is already in the table`, { location: file.file_path });
    }
    const addedManifests: ManifestFileRecord[] = [];
    const addedRecords = change.added.reduce((sum, f) => sum + f.record_count, 0n);
    const addedSize = change.added.reduce((sum, f) => sum + f.file_size_in_bytes, 0n);
    if (change.added.length > 0) {
      const entries: ManifestEntryRecord[] = change.added.map((data_file) => ({ status: STATUS.ADDED, snapshot_id: snapshotId, sequence_number: null, file_sequence_number: null, data_file }));
      addedManifests.push(await writeManifest(entries, spec, `${randomUUID()}-m0.avro`));
    }
    const listName = `snap-${snapshotId}-1-${randomUUID()}.avro`;
    const manifestList = [...addedManifests, ...rewritten, ...kept.map((m) => m.record)];
    await writeAvro(listName, encodeManifestList(manifestList, { id: snapshotId, parentId: previous?.id ?? null, sequenceNumber }));

    let totals = previousTotals(previous);
    if (totals === null) {
      totals = { records: 0n, size: 0n, files: 0n };
      // a table written elsewhere without totals: count the live files it holds
      for (const manifest of (await snapshotManifests(base, previous as SnapshotInfo)).manifests) {
        for (const e of (await manifestEntries(base, manifest)).entries) {
          if (e.status === STATUS.DELETED) continue;
          totals.records += e.data_file.record_count;
          totals.size += e.data_file.file_size_in_bytes;
          totals.files++;
        }
      }
    }
    const summary: Record<string, string> = {
      operation: change.operation,
      'added-data-files': String(change.added.length),
      'added-records': String(addedRecords),
      'added-files-size': String(addedSize),
      ...(change.operation === 'overwrite' ? { 'deleted-data-files': String(deletedFiles), 'deleted-records': String(deletedRecords), 'removed-files-size': String(removedSize) } : {}),
      'changed-partition-count': String(changedPartitions.size),
      'total-records': String(totals.records + addedRecords - deletedRecords),
      'total-files-size': String(totals.size + addedSize - removedSize),
      'total-data-files': String(totals.files + BigInt(change.added.length) - deletedFiles),
      'total-delete-files': '0',
      'total-position-deletes': '0',
      'total-equality-deletes': '0',
      'manifests-created': String(addedManifests.length + rewritten.length),
      'manifests-kept': String(kept.length),
      'manifests-replaced': String(replaced),
      [VERSION_KEY]: String(version),
      'engine-name': 'mes-data',
      ...options.summary,
    };
    const next: TableMetadata = {
      ...metadata,
      'last-sequence-number': sequenceNumber,
      'last-updated-ms': now,
      'current-snapshot-id': snapshotId,
      snapshots: [
        ...metadata.snapshots,
        {
          'snapshot-id': snapshotId,
          ...(previous ? { 'parent-snapshot-id': previous.id } : {}),
          'sequence-number': sequenceNumber,
          'timestamp-ms': now,
          'manifest-list': locationIn(metadata.location, `${METADATA_DIR}/${listName}`),
          summary,
          'schema-id': schema['schema-id'],
        },
      ],
      'snapshot-log': [...metadata['snapshot-log'], { 'timestamp-ms': now, 'snapshot-id': snapshotId }],
      refs: { ...metadata.refs, main: { 'snapshot-id': snapshotId, type: 'branch' } },
    };
    const table = await commitMetadata(base, next);
    return { table, snapshot: currentSnapshotInfo(table) as SnapshotInfo, manifestsWritten: written.filter((f) => !path.basename(f).startsWith('snap-')) };
  } catch (error) {
    // nothing of a failed commit is named by any snapshot: leave no files behind
    await Promise.all(written.map((file) => fs.rm(file, { force: true })));
    throw error;
  }
}

async function describeAll(base: LoadedTable, files: readonly NewDataFile[]): Promise<DataFileRecord[]> {
  const schema = currentSchema(base.metadata, base.metadataFile);
  const spec = defaultSpec(base.metadata, base.metadataFile);
  const nameMapping = nameMappingOf(base.metadata.properties, base.metadataFile);
  const seen = new Set<string>();
  const checked = files.map((file) => {
    const absolute = path.resolve(file.path);
    const relative = relativeInTable(base.dir, absolute);
    if (relative.startsWith('..') || path.isAbsolute(relative)) throw new BadRequestError(`${absolute} is not inside the table folder ${base.dir}`, { path: absolute });
    // the same check as for every location read back
    resolveLocation(base.dir, base.metadata.location, locationIn(base.metadata.location, relative), absolute);
    if (seen.has(relative)) throw new BadRequestError(`${absolute} is named twice`, { path: absolute });
    seen.add(relative);
    return { absolute, relative, partition: file.partition };
  });
  // footers are read several at a time: a first version of years of dates has thousands of files
  const records: DataFileRecord[] = new Array<DataFileRecord>(checked.length);
  let next = 0;
  const worker = async () => {
    while (next < checked.length) {
      const { absolute, relative, partition } = checked[next];
      const k = next++;
      records[k] = await describeDataFile(absolute, schema, spec, { partition, location: locationIn(base.metadata.location, relative), nameMapping });
    }
  };
  await Promise.all(Array.from({ length: Math.min(DESCRIBE_CONCURRENCY, checked.length) }, worker));
  return records;
}

async function withRetries(dir: string, options: SnapshotOptions, attempt: (base: LoadedTable) => Promise<CommitResult>): Promise<CommitResult> {
  for (let left = options.retries ?? 0; ; left--) {
    const base = await loadTable(dir);
    try {
      return await attempt(base);
    } catch (error) {
      if (!(error instanceof MesDataError && error.code === 'LOCKED' && error.details.reason === 'commit-conflict') || left <= 0) throw error;
    }
  }
}

/**
 * Appends data files to the table in `dir` as a new snapshot (operation `append`). By
 * default a file may not add rows to a partition the table already holds (that is what
 * `replacePartitions` is for): BAD_REQUEST naming it. Throws as `describeDataFile` for a
 * file that does not fit, LOCKED when a concurrent commit won and no retry is left.
 */
export async function appendFiles(dir: string, files: readonly NewDataFile[], options: SnapshotOptions & { allowExistingPartitions?: boolean } = {}): Promise<CommitResult> {
  if (files.length === 0) throw new BadRequestError('an append needs at least one data file');
  return withRetries(dir, options, async (base) => {
    const added = await describeAll(base, files);
    return writeSnapshot(base, { operation: 'append', added, removes: [], refuseHeld: !options.allowExistingPartitions }, options);
  });
}

/**
 * Replaces partitions of the table in `dir` as a new snapshot (operation `overwrite`):
 * every partition one of `files` belongs to, and each partition of `removeDates` (partitions
 * that go without a replacement: a date `YYYY-MM-DD` of a table partitioned by date, a
 * year `YYYY` of one partitioned by year), loses the files it held and gains the new ones;
 * all other files stay, shared with the previous snapshot. Throws as `appendFiles`.
 */
export async function replacePartitions(dir: string, files: readonly NewDataFile[], options: SnapshotOptions & { removeDates?: string[] } = {}): Promise<CommitResult> {
  if (files.length === 0 && (options.removeDates ?? []).length === 0) throw new BadRequestError('a replace needs data files or dates to remove');
  return withRetries(dir, options, async (base) => {
    const added = await describeAll(base, files);
    const spec = defaultSpec(base.metadata, base.metadataFile);
    const removes = added.map((f) => f.partition);
    for (const value of options.removeDates ?? []) removes.push(partitionTupleOf(spec, value));
    return writeSnapshot(base, { operation: 'overwrite', added, removes, refuseHeld: false }, options);
  });
}

/** The stored partition tuple of a partition value in words (`2024-01-15` of a date table, `2024` of a year table); BAD_REQUEST for another. */
function partitionTupleOf(spec: PartitionSpec, value: string): Record<string, unknown> {
  const field = spec.fields.length === 1 ? spec.fields[0] : undefined;
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (field?.transform === 'identity' && date) return { [field.name]: Math.round(Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3])) / 86_400_000) };
  if (field?.transform === 'year' && /^\d{4}$/.test(value)) return { [field.name]: Number(value) - 1970 };
  throw new BadRequestError(`"${value}" is not a partition of a table partitioned by ${field ? `${field.transform === 'year' ? 'year (YYYY)' : 'date (YYYY-MM-DD)'}` : 'several fields or none'}`, { date: value });
}

/**
 * Where a new data file of partition `date` goes: `data/<date>/<uuid>.parquet` (see
 * docs/iceberg.md for why not `date=`), `data/<year>/<uuid>.parquet` for a year (`YYYY`);
 * `data/<uuid>.parquet` for an unpartitioned table (null).
 */
export function newDataFilePath(dir: string, date: string | null): string {
  if (date === null) return path.join(path.resolve(dir), 'data', `${randomUUID()}.parquet`);
  if (!/^\d{4}(-\d{2}-\d{2})?$/.test(date)) throw new BadRequestError(`"${date}" is not a date (YYYY-MM-DD) or a year (YYYY)`, { date });
  return path.join(path.resolve(dir), 'data', date, `${randomUUID()}.parquet`);
}
