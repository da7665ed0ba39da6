import path from 'node:path';
import { sqlIdent, sqlString, type EngineConnection } from '../engine/duckdbEngine.js';
import { BadRequestError } from '../errors.js';
import { COMPRESSIONS, duckdbCodec, isCompression } from '../parquet/compression.js';
import { crashPoint } from '../store/crashPoints.js';
import { fsyncDir, fsyncFile, mkdirDurable } from '../store/durableFs.js';
import { isNanosecondField, type IcebergSchema } from './icebergSchema.js';

/**
 * Writing one Iceberg data file with DuckDB: `COPY … TO` with the table's field ids on
 * every column (FIELD_IDS) and the schema as the footer key `iceberg.schema`, as Iceberg's
 * own writers leave it (readers that map columns by the names of the schema a file was
 * written with look there). The SELECT must give the columns the table's names; a
 * nanosecond column must arrive as BIGINT nanoseconds (DuckDB reads Parquet nanosecond
 * timestamps as microseconds, so take them from our own reader, not from a DuckDB scan).
 */

/** The COPY options that make a Parquet file an Iceberg data file of `schema`. */
export function icebergCopyOptions(schema: IcebergSchema, compression = 'zstd'): string {
  if (!isCompression(compression)) throw new BadRequestError(`unknown compression "${compression}"; use one of ${COMPRESSIONS.join(', ')}`, { compression });
  const codec = duckdbCodec(compression);
  const ids = schema.fields.map((field) => `${sqlString(field.name)}: ${field.id}`).join(', ');
  return `FORMAT parquet, COMPRESSION ${codec}, FIELD_IDS {${ids}}, KV_METADATA {'iceberg.schema': ${sqlString(JSON.stringify(schema))}}`;
}

/**
 * Writes the rows of `select` to `file` (created with its folders) as a data file of
 * `schema`, the columns in schema order. The caller then names the file in an append or a
 * replace, which checks it. The file and its folder are synced before this returns, so a
 * commit that names it never names a file a crash could lose. Throws the engine's typed errors.
 */
export async function writeDataFile(connection: EngineConnection, select: string, file: string, schema: IcebergSchema, compression = 'zstd'): Promise<void> {
  await mkdirDurable(path.dirname(file));
  const columns = schema.fields.map((field) => (isNanosecondField(field) ? `${sqlIdent(field.name)}::BIGINT AS ${sqlIdent(field.name)}` : sqlIdent(field.name))).join(', ');
  await connection.run(`COPY (SELECT ${columns} FROM (${select})) TO ${sqlString(file)} (${icebergCopyOptions(schema, compression)})`, `writing the data file ${file}`);
  await fsyncFile(file);
  await fsyncDir(path.dirname(file));
  crashPoint(`wrote data file ${path.basename(file)}`);
}
