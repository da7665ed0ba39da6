import fs from 'node:fs';
import { datasetFiles } from '../parquet/parquetDataset.js';
import { CancelledError } from '../errors.js';
import { readFilesTable, readTarget } from '../validation/validateDataset.js';
import { diffParquetFiles } from './diffFiles.js';
import { diffTables, type DiffResult } from './diffTables.js';

/** A text file `readTarget` reads through the ingest reader (the same test as there). */
function isTextTarget(target: string): boolean {
  return /\.(csv|tsv|txt|jsonl|ndjson)$/i.test(target) && fs.existsSync(target) && fs.statSync(target).isFile();
}

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
  if (!isTextTarget(a) && !isTextTarget(b)) {
    const filesA = datasetFiles(storeRoot, a).files;
    const filesB = datasetFiles(storeRoot, b).files;
    const fast = await diffParquetFiles(filesA, filesB, options);
    if (fast) return fast;
    checkCancelled();
    const [ta, tb] = await Promise.all([readFilesTable(filesA, { signal: options.signal }), readFilesTable(filesB, { signal: options.signal })]);
    checkCancelled();
    options.progress?.(0.6, 'comparing');
    return diffTables(ta.table, tb.table);
  }
  const [ta, tb] = await Promise.all([readTarget(storeRoot, a, { signal: options.signal }), readTarget(storeRoot, b, { signal: options.signal })]);
  checkCancelled();
  options.progress?.(0.6, 'comparing');
  return diffTables(ta.table, tb.table);
}
