import fs from 'node:fs/promises';
import path from 'node:path';
import { BadRequestError } from '../errors.js';
import { COMPRESSIONS, duckdbCodec, isCompression } from '../parquet/compression.js';
import { sqlFileList, sqlIdent, sqlString, type EngineConnection } from './duckdbEngine.js';

/**
 * Hive-partitioned Parquet written by DuckDB (`date=2024-01-15/part-0.parquet`), every file
 * sorted. DuckDB 1.5's partitioned COPY writes all partitions in one parallel pass (about
 * 1 ms a partition, where writing the files one by one costs 4–9 ms each), but it does not
 * keep an ORDER BY inside a partition: on 2,600 trading dates of sorted minute bars, 84
 * files came out with the first rows of the day at the end, even on one thread (the same as
 * duckdb#14349). So each written file is checked in one query and the few out of order are
 * rewritten sorted, one by one.
 *
 * Nor does it keep a partition in one file: with more partitions open than
 * `partitioned_write_max_open_files` (DuckDB's default 100), it closes some and starts a
 * `part-1` for their later rows. Each piece was sorted, but the partition read in file order
 * was not (cleaned bars of 250-date batches had 1,348 dates in two files, and the feature
 * build over them failed its own sorted_timestamp rule). So the limit is raised to the
 * caller's partition count for the COPY, and a partition left in pieces anyway is merged
 * into one sorted `part-0`.
 */

interface PartitionedWriteOptions {
  /** partition columns, outermost first (`['date']`, `['asset', 'date']`); stored in the files only with `writePartitionColumns` */
  partitionBy: string[];
  /** also store the partition columns in the files (an Iceberg data file keeps its partition column) */
  writePartitionColumns?: boolean;
  /** the Iceberg field id of every column (`FIELD_IDS`), for files that join an Iceberg table */
  fieldIds?: Record<string, number>;
  /** the column every file is sorted by, or the columns (outermost first) when one has ties */
  orderBy: string | string[];
  /** one of COMPRESSIONS (core/parquet/compression.ts) */
  compression: string;
  /** key-value metadata for every file's footer */
  keyValue?: Record<string, string>;
  rowGroupSize?: number;
  /** Parquet's version 2 encodings (timestamps delta-encoded, doubles byte-stream-split) and a 1 KiB dictionary limit, as the feature sets are written */
  v2Encodings?: boolean;
  /** partitions the COPY may hold open at once (the most it writes); DuckDB's default is 100 */
  maxOpenFiles?: number;
  /** called as each step ends, with its name (a caller's phase profile) */
  onStep?: (step: string) => void;
}


function copyOptions(options: PartitionedWriteOptions, partitioned: boolean): string {
  if (!isCompression(options.compression)) {
    throw new BadRequestError(`unknown compression "${options.compression}"; use one of ${COMPRESSIONS.join(', ')}`, { compression: options.compression });
  }
  const parts = ['FORMAT parquet', `COMPRESSION ${duckdbCodec(options.compression)}`, `ROW_GROUP_SIZE ${options.rowGroupSize ?? 122_880}`];
  if (options.v2Encodings) parts.push('PARQUET_VERSION V2', 'DICTIONARY_SIZE_LIMIT 1024');
  if (partitioned) parts.push(`PARTITION_BY (${options.partitionBy.map(sqlIdent).join(', ')})`, "FILENAME_PATTERN 'part-{i}'", 'OVERWRITE_OR_IGNORE');
  if (partitioned && options.writePartitionColumns) parts.push('WRITE_PARTITION_COLUMNS true');
  const ids = Object.entries(options.fieldIds ?? {});
  if (ids.length > 0) parts.push(`FIELD_IDS {${ids.map(([column, id]) => `${sqlString(column)}: ${id}`).join(', ')}}`);
  const kv = Object.entries(options.keyValue ?? {});
  if (kv.length > 0) parts.push(`KV_METADATA {${kv.map(([key, value]) => `${sqlString(key)}: ${sqlString(value)}`).join(', ')}}`);
  return parts.join(', ');
}

/**
 * Writes the rows of `select` (a SQL query whose columns include the partition columns) into
 * `dir` as Hive partitions, one file a partition, sorted by `orderBy`. Returns the files
 * written (absolute, sorted), how many partitions DuckDB left in pieces that were merged, and
 * how many files had to be rewritten sorted.
 * Throws the engine's typed errors (CANCELLED when the connection's signal aborts).
 */
export async function writePartitionedSorted(connection: EngineConnection, select: string, dir: string, options: PartitionedWriteOptions): Promise<{ files: string[]; merged: number; rewritten: number }> {
  // a session setting: only this connection's COPY holds that many files open
  if (options.maxOpenFiles !== undefined) await connection.run(`SET partitioned_write_max_open_files = ${Math.max(1, Math.floor(options.maxOpenFiles))}`, `writing Parquet partitions into ${dir}`);
  const step = options.onStep ?? (() => undefined);
  // the COPY names the files it wrote (RETURN_FILES): listing the folder after each of many
  // batches cost 1.9 s of CPU for 2,899 dates in 12 batches, the folder growing with each
  const [result] = await connection.rows(`COPY (${select}) TO ${sqlString(dir)} (${copyOptions(options, true)}, RETURN_FILES true)`, `writing Parquet partitions into ${dir}`);
  step('write copy');
  const returned = Array.isArray(result?.Files) ? (result.Files as unknown[]).map((file) => path.resolve(String(file))) : [];
  // a file name taken twice would have been overwritten: callers keep partitions of one COPY apart
  const written = [...new Set(returned)].sort();
  if (written.length === 0) return { files: written, merged: 0, rewritten: 0 };
  const keys = (Array.isArray(options.orderBy) ? options.orderBy : [options.orderBy]).map(sqlIdent);
  const order = keys.join(', ');
  // a row comes before the one above it: lexicographically by the keys
  const back = keys.map((key, k) => [...keys.slice(0, k).map((before) => `${before} = lag(${before}) OVER w`), `${key} < lag(${key}) OVER w`].join(' AND ')).map((term) => `(${term})`).join(' OR ');
  const byFolder = new Map<string, string[]>();
  for (const file of written) {
    const folder = path.dirname(file);
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), file]);
  }
  const mergedFiles = new Set<string>();
  // a partition in pieces: one sorted part-0 from all of them
  for (const [folder, pieces] of byFolder) {
    if (pieces.length < 2) continue;
    const target = path.join(folder, 'part-0.parquet');
    const merged = `${target}.merged`;
    await connection.run(`COPY (SELECT * FROM read_parquet(${sqlFileList(pieces)}, hive_partitioning = false) ORDER BY ${order}) TO ${sqlString(merged)} (${copyOptions(options, false)})`, `merging the ${pieces.length} pieces of ${folder}`);
    for (const piece of pieces) await fs.rm(piece);
    await fs.rename(merged, target);
    byFolder.set(folder, [target]);
    mergedFiles.add(target);
  }
  const files = [...byFolder.values()].flat().sort();
  // the merged files were written sorted; the others are checked in one query
  const single = files.filter((file) => !mergedFiles.has(file));
  const unsorted = single.length === 0 ? [] : await connection.rows(
    `SELECT DISTINCT filename FROM (SELECT filename, ${back} AS back FROM read_parquet(${sqlFileList(single)}, hive_partitioning = false) WINDOW w AS (PARTITION BY filename ORDER BY file_row_number)) WHERE back ORDER BY filename`,
    `checking the order of the files in ${dir}`,
  );
  step('write order check');
  let rewritten = 0;
  for (const row of unsorted) {
    const file = String(row.filename);
    const sorted = `${file}.sorted`;
    await connection.run(`COPY (SELECT * FROM read_parquet(${sqlString(file)}, hive_partitioning = false) ORDER BY ${order}) TO ${sqlString(sorted)} (${copyOptions(options, false)})`, `sorting ${file}`);
    await fs.rename(sorted, file);
    rewritten++;
  }
  step('write resort');
  return { files, merged: mergedFiles.size, rewritten };
}
