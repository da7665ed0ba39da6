import { type Table } from 'apache-arrow';
import type { DataSchema } from '../schema/dataSchema.js';
import { DecoderPool } from '../parquet/decoderPool.js';
import { openParquetFile } from '../parquet/parquetFile.js';
import { validateTable, type ValidateOptions } from './validateTable.js';
import type { ValidationReport } from './issueRows.js';

/** Decoder threads a whole-file validation uses: one per core we expect to have. */
const DECODE_THREADS = 2;

/**
 * Reads a whole Parquet file with its row groups split across `threads` decoder threads
 * (contiguous ranges, so row order is kept). Row numbers stay positions in the file.
 */
async function readParquetParallel(path: string, decoder: DecoderPool, threads: number): Promise<Table> {
  const handle = await openParquetFile(path, { decoder });
  const groups = handle.info.rowGroups;
  if (threads < 2 || groups.length < 2) return handle.readAll();
  const ranges: [number, number][] = [];
  const perThread = Math.ceil(groups.length / threads);
  for (let g = 0; g < groups.length; g += perThread) {
    const last = groups[Math.min(g + perThread, groups.length) - 1];
    ranges.push([groups[g].rowStart, last.rowStart + last.numRows - groups[g].rowStart]);
  }
  const parts = await Promise.all(ranges.map(([offset, limit]) => handle.readRows(offset, limit)));
  return parts.slice(1).reduce((table, part) => table.concat(part), parts[0]);
}

/**
 * Validates a Parquet file against a schema. Row numbers in the report are 0-based
 * positions in the file. Decodes on two threads unless a decoder pool is given. Throws the
 * read errors (NOT_FOUND, CORRUPTED_FILE, UNSUPPORTED_FILE); schema and rule findings go
 * into the report.
 */
export async function validateParquetFile(
  path: string,
  schema: DataSchema,
  options: Omit<ValidateOptions, 'target'> & { decoder?: DecoderPool; target?: string } = {},
): Promise<ValidationReport> {
  const own = options.decoder ? null : new DecoderPool({ threads: DECODE_THREADS });
  try {
    const decoder = options.decoder ?? (own as DecoderPool);
    const table = await readParquetParallel(path, decoder, DECODE_THREADS);
    return validateTable(table, schema, { ...options, target: options.target ?? path }).report;
  } finally {
    await own?.close();
  }
}
