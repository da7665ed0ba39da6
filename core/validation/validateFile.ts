import type { DataSchema } from '../schema/dataSchema.js';
import { readParquet } from '../parquet/parquetFile.js';
import type { DecoderPool } from '../parquet/decoderPool.js';
import { validateTable, type ValidateOptions } from './validateTable.js';
import type { ValidationReport } from './validationReport.js';

/**
 * Validates a Parquet file against a schema. Row numbers in the report are 0-based
 * positions in the file. Throws the read errors of `readParquet` (NOT_FOUND,
 * CORRUPTED_FILE, UNSUPPORTED_FILE); schema and rule findings go into the report.
 */
export async function validateParquetFile(
  path: string,
  schema: DataSchema,
  options: Omit<ValidateOptions, 'target'> & { decoder?: DecoderPool; target?: string } = {},
): Promise<ValidationReport> {
  const table = await readParquet(path, { decoder: options.decoder });
  return validateTable(table, schema, { ...options, target: options.target ?? path }).report;
}
