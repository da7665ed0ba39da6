import fs from 'node:fs';
import { tableFromIPC, type Table } from 'apache-arrow';
import { tableToJsonRows, type JsonValue } from '../arrow/arrowJson.js';
import { BadRequestError, CorruptedFileError, NotFoundError } from '../errors.js';
import { readTabularFile } from '../ingest/readTabularFile.js';
import { openParquetFile } from '../parquet/parquetFile.js';
import { writeParquet, type Compression, type WriteResult } from '../parquet/writeParquet.js';

/**
 * The operations on single files (`file.rows`, `file.convert`; `mes-data show` and
 * `convert`): no store needed. Paths are used as given, relative ones from the working folder.
 */

interface FileRows {
  path: string;
  numRows: number;
  offset: number;
  columns: { name: string; type: string }[];
  rows: { [column: string]: JsonValue }[];
}

/** Rows [offset, offset + rows) of a Parquet file, reading only the row groups that hold them. */
export async function fileRows(path: string, options: { offset: number; rows: number; columns?: string[] }): Promise<FileRows> {
  const handle = await openParquetFile(path);
  const table = await handle.readRows(options.offset, options.rows, options.columns);
  return {
    path,
    numRows: handle.numRows,
    offset: options.offset,
    columns: table.schema.fields.map((field) => ({ name: field.name, type: String(field.type) })),
    rows: tableToJsonRows(table),
  };
}

type InputFormat = 'parquet' | 'arrow' | 'csv';

function detectFormat(path: string): InputFormat {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`file not found: ${path}`, { path });
    throw error;
  }
  try {
    const head = Buffer.alloc(8);
    const n = fs.readSync(fd, head, 0, 8, 0);
    if (n >= 4 && head.toString('latin1', 0, 4) === 'PAR1') return 'parquet';
    if (n >= 6 && head.toString('latin1', 0, 6) === 'ARROW1') return 'arrow';
    // an Arrow IPC stream starts with the continuation marker 0xFFFFFFFF
    if (n >= 4 && head.readUInt32LE(0) === 0xffffffff) return 'arrow';
    if (/\.(csv|tsv|txt|jsonl|ndjson)$/i.test(path)) return 'csv';
    throw new CorruptedFileError(`${path} is neither Parquet nor Arrow IPC (it starts with ${JSON.stringify(head.toString('latin1', 0, n))})`, { path });
  } finally {
    fs.closeSync(fd);
  }
}

function readArrowIpc(path: string): Table {
  try {
    return tableFromIPC(fs.readFileSync(path));
  } catch (error) {
    throw new CorruptedFileError(`${path} is not a readable Arrow IPC file: ${(error as Error).message}`, { path });
  }
}

/** Parquet, Arrow IPC or CSV/TSV/JSON Lines in, Parquet out (atomically). */
export async function convertFile(
  input: string,
  output: string,
  options: { compression: Compression; rowGroupSize?: number; metadata: Record<string, string> },
): Promise<WriteResult> {
  const format = detectFormat(input);
  let table: Table;
  if (format === 'parquet') table = await (await openParquetFile(input)).readAll();
  else if (format === 'arrow') table = readArrowIpc(input);
  else table = await readTabularFile(input);
  if (table.numCols === 0) throw new BadRequestError(`${input} has no columns to write`, { path: input });
  return writeParquet(table, output, { compression: options.compression, rowGroupSize: options.rowGroupSize, metadata: options.metadata });
}
