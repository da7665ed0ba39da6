import fs from 'node:fs/promises';
import path from 'node:path';
import { BadRequestError } from '../errors.js';
import { sqlFileList, sqlIdent, sqlString, type EngineConnection } from './duckdbEngine.js';

/**
 * Hive-partitioned Parquet written by DuckDB (`date=2024-01-15/part-0.parquet`), every file
 * sorted. DuckDB 1.5's partitioned COPY writes all partitions in one parallel pass (about
 * 1 ms a partition, where writing the files one by one costs 4–9 ms each), but it does not
 * keep an ORDER BY inside a partition: on 2,600 trading dates of sorted minute bars, 84
 * files came out with the first rows of the day at the end, even on one thread (the same as
 * duckdb#14349). So each written file is checked in one query and the few out of order are
 * rewritten sorted, one by one.
 */

export interface PartitionedWriteOptions {
  /** partition columns, outermost first (`['date']`, `['asset', 'date']`); not stored in the files */
  partitionBy: string[];
  /** the column every file is sorted by */
  orderBy: string;
  /** zstd, snappy, gzip, brotli, lz4 or none */
  compression: string;
  /** key-value metadata for every file's footer */
  keyValue?: Record<string, string>;
  rowGroupSize?: number;
}

const CODECS: Record<string, string> = { zstd: 'zstd', snappy: 'snappy', gzip: 'gzip', brotli: 'brotli', lz4: 'lz4_raw', none: 'uncompressed' };

function copyOptions(options: PartitionedWriteOptions, partitioned: boolean): string {
  const codec = CODECS[options.compression];
  if (!codec) throw new BadRequestError(`unknown compression "${options.compression}"; use one of ${Object.keys(CODECS).join(', ')}`, { compression: options.compression });
  const parts = ['FORMAT parquet', `COMPRESSION ${codec}`, `ROW_GROUP_SIZE ${options.rowGroupSize ?? 122_880}`];
  if (partitioned) parts.push(`PARTITION_BY (${options.partitionBy.map(sqlIdent).join(', ')})`, "FILENAME_PATTERN 'part-{i}'", 'OVERWRITE_OR_IGNORE');
  const kv = Object.entries(options.keyValue ?? {});
  if (kv.length > 0) parts.push(`KV_METADATA {${kv.map(([key, value]) => `${sqlString(key)}: ${sqlString(value)}`).join(', ')}}`);
  return parts.join(', ');
}

async function parquetFilesIn(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.parquet')).map((e) => path.join(e.parentPath, e.name)).sort();
}

/**
 * Writes the rows of `select` (a SQL query whose columns include the partition columns) into
 * `dir` as Hive partitions, each file sorted by `orderBy`. Returns the files written
 * (absolute, sorted) and how many had to be rewritten to be in order. Throws the engine's
 * typed errors (CANCELLED when the connection's signal aborts).
 */
export async function writePartitionedSorted(connection: EngineConnection, select: string, dir: string, options: PartitionedWriteOptions): Promise<{ files: string[]; rewritten: number }> {
  const before = new Set(await parquetFilesIn(dir).catch(() => []));
  await connection.run(`COPY (${select}) TO ${sqlString(dir)} (${copyOptions(options, true)})`, `writing Parquet partitions into ${dir}`);
  // a file name taken twice would have been overwritten: callers keep partitions of one COPY apart
  const files = (await parquetFilesIn(dir)).filter((file) => !before.has(file));
  if (files.length === 0) return { files, rewritten: 0 };
  const order = sqlIdent(options.orderBy);
  const unsorted = await connection.rows(
    `SELECT DISTINCT filename FROM (SELECT filename, ${order} < lag(${order}) OVER (PARTITION BY filename ORDER BY file_row_number) AS back FROM read_parquet(${sqlFileList(files)}, hive_partitioning = false)) WHERE back ORDER BY filename`,
    `checking the order of the files in ${dir}`,
  );
  for (const row of unsorted) {
    const file = String(row.filename);
    const sorted = `${file}.sorted`;
    await connection.run(`COPY (SELECT * FROM read_parquet(${sqlString(file)}, hive_partitioning = false) ORDER BY ${order}) TO ${sqlString(sorted)} (${copyOptions(options, false)})`, `sorting ${file}`);
    await fs.rename(sorted, file);
  }
  return { files, rewritten: unsorted.length };
}
