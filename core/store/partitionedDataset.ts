import fs from 'node:fs/promises';
import { SymlinkInStoreError } from './storePaths.js';
import path from 'node:path';
import { Field, RecordBatch, Schema, Struct, Table, makeData, type Data, type DataType } from 'apache-arrow';
import { NotFoundError, SchemaMismatchError } from '../errors.js';
import type { DecoderPool } from '../parquet/decoderPool.js';
import { openParquetFile, type ParquetHandle } from '../parquet/parquetFile.js';
import {
  comparableAt,
  domainOf,
  domainOfPartition,
  passes,
  prepareFilter,
  rangeMayPass,
  statisticIn,
  type DatasetFilter,
  type PreparedFilter,
} from './datasetFilters.js';
import {
  constantPartitionData,
  detectPartitionType,
  hiveSegments,
  partitionArrowType,
  partitionValue,
  type PartitionType,
  type PartitionValue,
} from './hivePartitions.js';

/**
 * Reading a folder of Parquet files as one table, the way DuckDB reads
 * `read_parquet('<root>/**\/*.parquet', hive_partitioning = true)`: every `.parquet` file
 * under `root` (at any depth, hidden names included), in sorted path order, one after the
 * other, with Hive partition columns added (see hivePartitions.ts). Filters prune whole
 * files by their partition values and whole row groups by their min/max statistics before
 * anything is decoded, then drop the remaining rows that fail them, so the result equals
 * DuckDB's with the same WHERE clause.
 */

export interface PartitionedReadOptions {
  /** Columns to return, in this order (file or partition columns); all when omitted. */
  columns?: string[];
  filters?: DatasetFilter[];
  /**
   * Names for plain folders below `root`, by depth: `['date']` reads `raw/MES/2024-01-15/…`
   * with a `date` column from the folder name (typed as Hive values are). Off by default,
   * so the result matches DuckDB's.
   */
  folderKeys?: string[];
  decoder?: DecoderPool;
}

export interface PartitionColumn {
  name: string;
  type: PartitionType;
}

export interface PlannedFile {
  /** Absolute path. */
  path: string;
  partitions: Record<string, PartitionValue>;
  /** Indices of the row groups that will be read. */
  rowGroups: number[];
  totalRowGroups: number;
}

export interface DatasetPlan {
  root: string;
  partitionColumns: PartitionColumn[];
  /** Files to read, in order; files pruned by partition or whose row groups were all pruned are absent. */
  files: PlannedFile[];
  /** Every Parquet file found under `root`. */
  fileCount: number;
  /** The output schema. */
  schema: Schema;
}

async function listParquetFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new NotFoundError(`no folder at ${dir}`, { path: dir });
    throw error;
  }
  const found: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    // a link would read files from outside the store, a skipped one would drop rows: refuse both
    if (entry.isSymbolicLink()) throw new SymlinkInStoreError(`${full} is a symbolic link; the store never follows links`, { path: full });
    if (entry.isDirectory()) found.push(...(await listParquetFiles(full)));
    else if (entry.name.endsWith('.parquet')) found.push(full);
  }
  return found;
}

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

interface Internal {
  plan: DatasetPlan;
  /** File columns to decode (output columns and filter columns, minus partition keys). */
  readColumns: string[];
  rowFilters: PreparedFilter[];
  handles: Map<string, ParquetHandle>;
  outputFields: Field[];
  partitionTypes: Map<string, PartitionType>;
}

async function buildPlan(root: string, options: PartitionedReadOptions): Promise<Internal> {
  const absoluteRoot = path.resolve(root);
  const files = (await listParquetFiles(absoluteRoot)).sort(byCodeUnit);
  if (files.length === 0) throw new NotFoundError(`no Parquet files under ${absoluteRoot}`, { path: absoluteRoot });

  // partition values per file
  const rawPartitions = files.map((file) => {
    const segments = hiveSegments(file);
    if (options.folderKeys && options.folderKeys.length > 0) {
      const folders = path.relative(absoluteRoot, file).split(path.sep).slice(0, -1);
      options.folderKeys.forEach((key, depth) => {
        if (folders[depth] !== undefined && !segments.has(key)) segments.set(key, folders[depth]);
      });
    }
    return segments;
  });
  const keys = [...rawPartitions[0].keys()].sort(byCodeUnit);
  rawPartitions.forEach((segments, i) => {
    const these = [...segments.keys()].sort(byCodeUnit);
    if (these.join('\u0000') !== keys.join('\u0000')) {
      throw new SchemaMismatchError(`Hive partition mismatch: ${files[0]} has partitions [${keys.join(', ')}] but ${files[i]} has [${these.join(', ')}]`, {
        first: files[0],
        other: files[i],
      });
    }
  });
  const partitionTypes = new Map<string, PartitionType>();
  for (const key of keys) {
    const types = new Set(rawPartitions.map((segments) => detectPartitionType(segments.get(key) ?? '')));
    partitionTypes.set(key, types.size === 1 ? [...types][0] : 'varchar');
  }

  // the schema comes from the first file, as DuckDB's does
  const decoder = options.decoder;
  const handles = new Map<string, ParquetHandle>();
  const open = async (file: string): Promise<ParquetHandle> => {
    let handle = handles.get(file);
    if (!handle) {
      handle = await openParquetFile(file, { decoder });
      handles.set(file, handle);
    }
    return handle;
  };
  const first = await open(files[0]);
  const fileFields = first.schema.fields;
  const fileNames = fileFields.map((field) => field.name);
  const allFields: Field[] = [
    ...fileFields.map((field) => (partitionTypes.has(field.name) ? new Field(field.name, partitionArrowType(partitionTypes.get(field.name) ?? 'varchar'), true) : field)),
    ...keys.filter((key) => !fileNames.includes(key)).map((key) => new Field(key, partitionArrowType(partitionTypes.get(key) ?? 'varchar'), true)),
  ];
  const fieldByName = new Map(allFields.map((field) => [field.name, field]));
  const wanted = options.columns ?? allFields.map((field) => field.name);
  const outputFields = wanted.map((name) => {
    const field = fieldByName.get(name);
    if (!field) throw new NotFoundError(`no column "${name}" in ${absoluteRoot}; it has ${allFields.map((f) => f.name).join(', ')}`, { column: name, path: absoluteRoot });
    return field;
  });

  // filters: partition filters prune files, the others prune row groups and rows
  const partitionFilters: PreparedFilter[] = [];
  const rowFilters: PreparedFilter[] = [];
  for (const filter of options.filters ?? []) {
    const field = fieldByName.get(filter.column);
    if (!field) throw new NotFoundError(`cannot filter on "${filter.column}": no such column in ${absoluteRoot}`, { column: filter.column, path: absoluteRoot });
    const partitionType = partitionTypes.get(filter.column);
    if (partitionType) partitionFilters.push(prepareFilter(filter, domainOfPartition(partitionType)));
    else rowFilters.push(prepareFilter(filter, domainOf(field.type as DataType, filter.column)));
  }
  const readColumns = [...new Set([...outputFields.map((f) => f.name), ...rowFilters.map((f) => f.column)])].filter((name) => !partitionTypes.has(name));

  const planned: PlannedFile[] = [];
  for (const [i, file] of files.entries()) {
    const partitions: Record<string, PartitionValue> = {};
    for (const key of keys) partitions[key] = partitionValue(rawPartitions[i].get(key) ?? '', partitionTypes.get(key) ?? 'varchar');
    if (!partitionFilters.every((filter) => passes(filter, partitions[filter.column]))) continue;
    const handle = await open(file);
    checkSameSchema(first, handle, readColumns);
    const groups = handle.info.rowGroups;
    const kept = groups
      .filter((group) =>
        rowFilters.every((filter) => {
          const chunk = group.columns.find((column) => column.name === filter.column);
          if (!chunk) return true;
          if (chunk.nullCount !== null && chunk.nullCount === group.numRows && group.numRows > 0) return false;
          return rangeMayPass(filter, statisticIn(filter.domain, chunk.min), statisticIn(filter.domain, chunk.max));
        }),
      )
      .map((group) => group.index);
    if (kept.length > 0) planned.push({ path: file, partitions, rowGroups: kept, totalRowGroups: groups.length });
  }
  return {
    plan: { root: absoluteRoot, partitionColumns: keys.map((name) => ({ name, type: partitionTypes.get(name) ?? 'varchar' })), files: planned, fileCount: files.length, schema: new Schema(outputFields) },
    readColumns,
    rowFilters,
    handles,
    outputFields,
    partitionTypes,
  };
}

function checkSameSchema(first: ParquetHandle, other: ParquetHandle, columns: string[]): void {
  for (const name of columns) {
    const a = first.schema.fields.find((field) => field.name === name);
    const b = other.schema.fields.find((field) => field.name === name);
    if (!b) throw new SchemaMismatchError(`column "${name}" of ${first.path} is missing from ${other.path}`, { column: name, first: first.path, other: other.path });
    if (a && String(a.type) !== String(b.type)) {
      throw new SchemaMismatchError(`column "${name}" is ${String(a.type)} in ${first.path} but ${String(b.type)} in ${other.path}`, {
        column: name,
        first: first.path,
        other: other.path,
        expected: String(a.type),
        found: String(b.type),
      });
    }
  }
}

/**
 * Which files and row groups a read with these options would decode, without decoding
 * anything (footers only). Throws as `readPartitionedDataset`.
 */
export async function planPartitionedRead(root: string, options: PartitionedReadOptions = {}): Promise<DatasetPlan> {
  return (await buildPlan(root, options)).plan;
}

/** Consecutive row groups as [first row, row count] ranges. */
function rowRuns(handle: ParquetHandle, groups: number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const index of groups) {
    const group = handle.info.rowGroups[index];
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === group.rowStart) last[1] += group.numRows;
    else runs.push([group.rowStart, group.numRows]);
  }
  return runs;
}

/** Keeps the rows of `table` that pass every filter, as slices of runs of passing rows. */
function filterRows(table: Table, filters: PreparedFilter[]): Table {
  if (filters.length === 0 || table.numRows === 0) return table;
  const keep = new Uint8Array(table.numRows).fill(1);
  for (const filter of filters) {
    const column = table.getChild(filter.column);
    if (!column) continue;
    let row = 0;
    for (const data of column.data as Data[]) {
      for (let i = 0; i < data.length; i++, row++) {
        if (keep[row] && !passes(filter, comparableAt(data, i, filter.domain))) keep[row] = 0;
      }
    }
  }
  const slices: Table[] = [];
  for (let start = 0; start < keep.length; ) {
    if (!keep[start]) {
      start++;
      continue;
    }
    let end = start;
    while (end < keep.length && keep[end]) end++;
    slices.push(table.slice(start, end));
    start = end;
  }
  if (slices.length === 0) return table.slice(0, 0);
  return slices.length === 1 ? slices[0] : slices[0].concat(...slices.slice(1));
}

/** Record batches of the output schema from decoded rows plus a file's partition values. */
function toOutputBatches(internal: Internal, table: Table | null, rowCount: number, partitions: Record<string, PartitionValue>): RecordBatch[] {
  const schema = internal.plan.schema;
  const batches: { length: number; column: (name: string) => Data | undefined }[] = table
    ? table.batches.map((batch) => ({ length: batch.numRows, column: (name: string) => batch.getChild(name)?.data[0] }))
    : [{ length: rowCount, column: () => undefined }];
  return batches
    .filter((batch) => batch.length > 0)
    .map((batch) => {
      const children = internal.outputFields.map((field) => {
        const partitionType = internal.partitionTypes.get(field.name);
        if (partitionType) return constantPartitionData(partitionType, partitions[field.name], batch.length);
        const data = batch.column(field.name);
        if (!data) throw new SchemaMismatchError(`column "${field.name}" is missing from a file under ${internal.plan.root}`, { column: field.name });
        return data;
      });
      return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: batch.length, nullCount: 0, children }));
    });
}

/** One file's share of the result. */
export interface DatasetPiece {
  path: string;
  partitions: Record<string, PartitionValue>;
  table: Table;
}

async function* readPieces(internal: Internal): AsyncGenerator<DatasetPiece> {
  for (const file of internal.plan.files) {
    const handle = internal.handles.get(file.path);
    if (!handle) continue;
    const batches: RecordBatch[] = [];
    for (const [offset, count] of rowRuns(handle, file.rowGroups)) {
      if (internal.readColumns.length === 0) {
        batches.push(...toOutputBatches(internal, null, count, file.partitions));
        continue;
      }
      const decoded = await handle.readRows(offset, count, internal.readColumns);
      const kept = filterRows(decoded, internal.rowFilters);
      batches.push(...toOutputBatches(internal, kept, kept.numRows, file.partitions));
    }
    yield { path: file.path, partitions: file.partitions, table: new Table(internal.plan.schema, batches) };
  }
}

/**
 * Reads the dataset file by file (each piece already filtered and with its partition
 * columns), so that a caller can keep only a few files in memory at once. Throws as
 * `readPartitionedDataset`.
 */
export async function* scanPartitionedDataset(root: string, options: PartitionedReadOptions = {}): AsyncGenerator<DatasetPiece> {
  yield* readPieces(await buildPlan(root, options));
}

/**
 * Every Parquet file under `root` as one Arrow table, in sorted path order, with Hive
 * partition columns (DATE → Date32, TIMESTAMP → Timestamp<MICROSECOND>, BIGINT → Int64,
 * otherwise Utf8) after the file columns, sorted by name. Filters prune partitions and row
 * groups, then rows; `columns` picks and orders the output. Throws NOT_FOUND when `root`
 * has no Parquet file or a column is unknown, SCHEMA_MISMATCH when files disagree on
 * partition keys or column types, BAD_REQUEST for a filter value of the wrong kind, and
 * CORRUPTED_FILE for an unreadable file.
 */
export async function readPartitionedDataset(root: string, options: PartitionedReadOptions = {}): Promise<Table> {
  const internal = await buildPlan(root, options);
  const batches: RecordBatch[] = [];
  for await (const piece of readPieces(internal)) batches.push(...piece.table.batches);
  return new Table(internal.plan.schema, batches);
}
