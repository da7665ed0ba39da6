import fs from 'node:fs';
import { datasetFiles } from '../parquet/parquetDataset.js';
import { BadRequestError, CancelledError } from '../errors.js';
import { instrumentFor } from '../instruments/instrumentRegistry.js';
import { readFilesTable, readTarget } from '../validation/validateDataset.js';
import { openParquetFile } from '../parquet/parquetFile.js';
import { diffParquetFiles, diffRowsOfDate, type DiffRowsPage, type OpenFile } from './diffFiles.js';
import { diffTables, type DiffResult } from './diffTables.js';

/** A text file `readTarget` reads through the ingest reader (the same test as there). */
function isTextTarget(target: string): boolean {
  return /\.(csv|tsv|txt|jsonl|ndjson)$/i.test(target) && fs.existsSync(target) && fs.statSync(target).isFile();
}

/** The session template of an asset in the store, for trading dates taken from timestamps. */
const sessionsOf = (storeRoot: string | null) => (asset: string | null) => instrumentFor(storeRoot, asset).session;

/**
 * The diff of two targets (dataset paths in the store, Parquet files, or CSV/TSV/JSON Lines
 * files), as the diff job and `mes-data diff` give it. Two Parquet targets are compared in
 * DuckDB (`diffParquetFiles`, bounded memory); a text file, or types DuckDB does not
 * compare exactly, make both sides be read whole and compared by `diffTables`.
 */
export async function diffTargets(storeRoot: string | null, a: string, b: string, options: { signal?: AbortSignal; progress?: (fraction: number, stage: string) => void } = {}): Promise<DiffResult> {
  const checkCancelled = () => {
    if (options.signal?.aborted) throw new CancelledError(`diff ${a} ${b}: cancelled`);
  };
  const sessionOf = sessionsOf(storeRoot);
  if (!isTextTarget(a) && !isTextTarget(b)) {
    const filesA = datasetFiles(storeRoot, a).files;
    const filesB = datasetFiles(storeRoot, b).files;
    const fast = await diffParquetFiles(filesA, filesB, { ...options, sessionOf });
    if (fast) return fast;
    checkCancelled();
    const [ta, tb] = await Promise.all([readFilesTable(filesA, { signal: options.signal }), readFilesTable(filesB, { signal: options.signal })]);
    checkCancelled();
    options.progress?.(0.6, 'comparing');
    return diffTables(ta.table, tb.table, { sessionOf, asset: ta.table.schema.metadata.get('mes_data.asset') ?? null });
  }
  const [ta, tb] = await Promise.all([readTarget(storeRoot, a, { signal: options.signal }), readTarget(storeRoot, b, { signal: options.signal })]);
  checkCancelled();
  options.progress?.(0.6, 'comparing');
  return diffTables(ta.table, tb.table, { sessionOf });
}

/**
 * The rows of one trading date that differ between two Parquet targets (`diffRowsOfDate`).
 * Throws BAD_REQUEST for a text file or for types only the table reader compares (the
 * diff job still compares those), and the read errors.
 */
export async function diffTargetRows(
  storeRoot: string | null,
  a: string,
  b: string,
  request: Parameters<typeof diffRowsOfDate>[2],
  options: { signal?: AbortSignal; /** the files of a target with their footers (the host's cache), else opened here */ open?: (target: string) => Promise<OpenFile[]> } = {},
): Promise<DiffRowsPage> {
  for (const target of [a, b]) if (isTextTarget(target)) throw new BadRequestError(`the rows of a date compare Parquet datasets only, not the text file ${target}`, { target });
  const open = options.open ?? (async (target: string) => Promise.all(datasetFiles(storeRoot, target).files.map(async (file) => ({ file, handle: await openParquetFile(file) }))));
  const [sideA, sideB] = await Promise.all([open(a), open(b)]);
  const page = await diffRowsOfDate(sideA, sideB, request, { sessionOf: sessionsOf(storeRoot), signal: options.signal });
  if (!page) throw new BadRequestError(`the rows of a date cannot be compared for ${a} and ${b}: a column has a type only the whole diff compares (decimal, nested, binary…), or the files of a side differ in schema`, { a, b });
  return page;
}
