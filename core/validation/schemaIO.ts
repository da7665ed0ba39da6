import type { Table } from 'apache-arrow';
import { DataTypeValidationError, MissingRequiredColumnError, SchemaMismatchError, type MesDataError } from '../errors.js';
import type { DataSchema } from '../schema/dataSchema.js';
import { readParquet } from '../parquet/parquetFile.js';
import { writeParquet, type Compression, type WriteResult } from '../parquet/writeParquet.js';
import { enforceSchema } from './schemaEnforcement.js';
import type { EnforcementMode, ValidationIssue } from './validationReport.js';

/** Key-value metadata keys naming the schema a file was written against. */
export const SCHEMA_NAME_KEY = 'mes_data.schema';
export const SCHEMA_VERSION_KEY = 'mes_data.schema_version';

/** The typed error for the first enforcement error, naming the file. */
function enforcementError(issue: ValidationIssue, where: string): MesDataError {
  const details = { path: where, column: issue.column, rows: issue.rows, count: issue.count, ...(issue.details ?? {}) };
  switch (issue.code) {
    case 'MISSING_REQUIRED_COLUMN':
      return new MissingRequiredColumnError(`${issue.message} in ${where}`, details);
    case 'DATA_TYPE_VALIDATION':
      return new DataTypeValidationError(`${issue.message} in ${where}`, details);
    default:
      return new SchemaMismatchError(`${issue.message} in ${where}`, details);
  }
}

export interface SchemaReadOptions {
  mode?: EnforcementMode;
  /** Only these columns (names in the file). */
  columns?: string[];
  /** Zone for naive timestamps in coerce mode (default: the schema's exchange zone). */
  timezone?: string;
}

/**
 * Reads a Parquet file and enforces `schema` (strict by default): returns the table with
 * normalised or coerced columns. Throws MISSING_REQUIRED_COLUMN, SCHEMA_MISMATCH or
 * DATA_TYPE_VALIDATION (details: column, expected, found, first rows), besides the read
 * errors of `readParquet`. In ignore mode nothing is thrown for schema findings.
 */
export async function readParquetWithSchema(path: string, schema: DataSchema, options: SchemaReadOptions = {}): Promise<Table> {
  const mode = options.mode ?? 'strict';
  const table = await readParquet(path, { columns: options.columns });
  const checkedSchema = options.columns ? { ...schema, columns: schema.columns.filter((c) => options.columns?.includes(c.name)) } : schema;
  const result = enforceSchema(table, checkedSchema, { mode, timezone: options.timezone });
  if (result.errors.length > 0) throw enforcementError(result.errors[0], path);
  return result.table;
}

export interface SchemaWriteOptions {
  schema: DataSchema;
  mode?: EnforcementMode;
  compression?: Compression;
  rowGroupSize?: number;
  metadata?: Record<string, string>;
  timezone?: string;
}

/**
 * Enforces `schema` on a table, then writes it atomically as Parquet with the schema's
 * name and version in the key-value metadata. Throws as `readParquetWithSchema` before
 * anything is written.
 */
export async function writeParquetValidated(table: Table, path: string, options: SchemaWriteOptions): Promise<WriteResult> {
  const result = enforceSchema(table, options.schema, { mode: options.mode ?? 'strict', timezone: options.timezone });
  if (result.errors.length > 0) throw enforcementError(result.errors[0], path);
  return writeParquet(result.table, path, {
    compression: options.compression,
    rowGroupSize: options.rowGroupSize,
    metadata: { ...options.metadata, [SCHEMA_NAME_KEY]: options.schema.name, [SCHEMA_VERSION_KEY]: options.schema.version },
  });
}
