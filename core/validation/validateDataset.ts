import fs from 'node:fs';
import type { Table } from 'apache-arrow';
import { readDatasetChunks, readDatasetTable, type DatasetChunk } from '../engine/datasetTable.js';
import { CancelledError } from '../errors.js';
import { readTabularFile } from '../ingest/readTabularFile.js';
import { Dataset, datasetFiles } from '../parquet/parquetDataset.js';
import type { DataSchema } from '../schema/dataSchema.js';
import { instrumentFor } from '../instruments/instrumentRegistry.js';
import { TableValidator, validateTable, type ValidateOptions, type ValidationResult } from './validateTable.js';
import { collectingEveryRow, type EnforcementMode, type ValidationReport } from './issueRows.js';

/**
 * The one way a target is validated, whoever asks (`mes-data validate`, the validate job,
 * the promotion gate): the target's rows go through one `TableValidator`, chunk by chunk
 * for Parquet files (`validateFiles`, bounded memory however long the history), whole for a
 * text file or coerce mode. So the same rows give the same report everywhere.
 */

/** Rows a chunk of a validation read holds at most (about 50 MB of bars, 24 MB of ticks). */
const VALIDATION_CHUNK_ROWS = 1_000_000;

const TEXT_FILE = /\.(csv|tsv|txt|jsonl|ndjson)$/i;

export interface TargetTable {
  table: Table;
  /** the Parquet files read, absolute, in order, with their first row (empty for a text file) */
  files: { file: string; rows: number; rowStart: number }[];
  /** true when a timestamp column has values with sub-microsecond digits */
  subMicrosecond: boolean;
}

interface ValidateTargetOptions {
  mode?: EnforcementMode;
  /** zone for naive timestamps and zone-less text (coerce mode, CSV) */
  timezone?: string;
  signal?: AbortSignal;
  /** what the report names as its target (default: the target as given) */
  label?: string;
  /** keep every offending row in the issues, not only the first 100 (cleaning needs them) */
  everyRow?: boolean;
  /** the instrument of an asset, for session_gap (validateTarget: the store's registry) */
  instrumentOf?: ValidateOptions['instrumentOf'];
}

function checkCancelled(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new CancelledError(`${what}: cancelled`);
}

/**
 * Reads Parquet files as one table: through DuckDB (all files at once, on its threads) when
 * their types allow, else file by file with our own reader. Row order: file order, then row
 * order in each file. Throws the read errors (NOT_FOUND, CORRUPTED_FILE, UNSUPPORTED_FILE).
 */
export async function readFilesTable(files: string[], options: { signal?: AbortSignal; columns?: string[] } = {}): Promise<TargetTable> {
  const fast = await readDatasetTable(files, options);
  if (fast) return fast;
  const dataset = await Dataset.openFiles(files);
  const table = await dataset.readAll(options.columns);
  return { table, files: dataset.files.map((f) => ({ file: f.file, rows: f.handle.numRows, rowStart: f.rowStart })), subMicrosecond: true };
}

/**
 * Reads a target as one table: a CSV/TSV/JSON Lines file through the ingest reader (dialect,
 * column mapping, zone), a Parquet file, or a dataset path in the store (`raw/MES`,
 * `raw/MES/2024-01-15`, `cleaned/v1/MES`) — relative paths stay inside the store.
 */
export async function readTarget(storeRoot: string | null, target: string, options: { timezone?: string; signal?: AbortSignal } = {}): Promise<TargetTable> {
  if (TEXT_FILE.test(target) && fs.existsSync(target) && fs.statSync(target).isFile()) {
    const table = await readTabularFile(target, { timezone: options.timezone, signal: options.signal });
    return { table, files: [], subMicrosecond: true };
  }
  return readFilesTable(datasetFiles(storeRoot, target).files, options);
}

/**
 * Validates Parquet files (absolute, in order) as one target, reading them in chunks of
 * `chunkRows` (coerce mode: whole, since it converts whole columns). `onChunk` sees each
 * chunk as the rules saw it (enforced) with its first row. Row numbers in the report are
 * positions in the files' concatenated order. Answers the validator too, finished (a
 * promotion asks it for the report of the rows it writes: `finishWithout`). Throws the read
 * errors and CANCELLED.
 */
export async function validateFiles(
  files: string[],
  schema: DataSchema,
  options: ValidateTargetOptions & { label: string; chunkRows?: number; onChunk?: (chunk: DatasetChunk) => void },
): Promise<{ report: ValidationReport; files: TargetTable['files']; subMicrosecond: boolean; rows: number; validator: TableValidator }> {
  const mode = options.mode ?? 'strict';
  const validator = new TableValidator(schema, { mode, timezone: options.timezone, target: options.label, instrumentOf: options.instrumentOf, everyRow: options.everyRow });
  const chunkRows = mode === 'coerce' ? Number.POSITIVE_INFINITY : (options.chunkRows ?? VALIDATION_CHUNK_ROWS);
  const push = (chunk: DatasetChunk) => {
    checkCancelled(options.signal, `validate ${options.label}`);
    const table = validator.push(chunk.table);
    options.onChunk?.({ table, rowStart: chunk.rowStart });
  };
  const read = await readDatasetChunks(files, { signal: options.signal, chunkRows: Number.isFinite(chunkRows) ? chunkRows : undefined }, push);
  if (read) return { report: validator.finish(), files: read.files, subMicrosecond: read.subMicrosecond, rows: read.rows, validator };
  // types DuckDB's read does not map: the files the old way, as one chunk
  const whole = await readFilesTable(files, { signal: options.signal });
  push({ table: whole.table, rowStart: 0 });
  return { report: validator.finish(), files: whole.files, subMicrosecond: whole.subMicrosecond, rows: whole.table.numRows, validator };
}

/**
 * Validates a target (see `readTarget`) against a schema. Row numbers in the report are
 * 0-based positions in the target as read (for many files: in their sorted, concatenated
 * order). Throws the read errors and CANCELLED; findings go into the report.
 */
export async function validateTarget(storeRoot: string | null, target: string, schema: DataSchema, options: ValidateTargetOptions = {}): Promise<{ report: ValidationReport; files: TargetTable['files']; subMicrosecond: boolean }> {
  const instrumentOf = options.instrumentOf ?? ((asset: string | null) => instrumentFor(storeRoot, asset));
  const label = options.label ?? target;
  if (TEXT_FILE.test(target) && fs.existsSync(target) && fs.statSync(target).isFile()) {
    const read = await readTarget(storeRoot, target, options);
    checkCancelled(options.signal, `validate ${target}`);
    return { report: validateRead(read, schema, { ...options, instrumentOf, label }).report, files: read.files, subMicrosecond: read.subMicrosecond };
  }
  const { report, files, subMicrosecond } = await validateFiles(datasetFiles(storeRoot, target).files, schema, { ...options, instrumentOf, label });
  return { report, files, subMicrosecond };
}

/** Validates what `readTarget` or `readFilesTable` read (one chunk: the whole table). */
function validateRead(read: TargetTable, schema: DataSchema, options: ValidateTargetOptions & { label: string }): ValidationResult {
  const run = () => validateTable(read.table, schema, { mode: options.mode, timezone: options.timezone, target: options.label, instrumentOf: options.instrumentOf });
  return options.everyRow ? collectingEveryRow(run) : run();
}
