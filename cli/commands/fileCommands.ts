import fs from 'node:fs';
import type { Command } from 'commander';
import { tableFromIPC, type Table } from 'apache-arrow';
import { tableToJsonRows, type JsonValue } from '../../core/arrow/arrowJson.js';
import { BadRequestError, CorruptedFileError, NotFoundError } from '../../core/errors.js';
import { readTabularFile } from '../../core/ingest/readTabularFile.js';
import { openParquetFile } from '../../core/parquet/parquetFile.js';
import { getParquetMetadata, getParquetSchema, type ParquetMetadata, type ParquetSchema } from '../../core/parquet/parquetMetadata.js';
import { COMPRESSIONS, writeParquet, type Compression, type WriteResult } from '../../core/parquet/writeParquet.js';
import type { CommandContext } from '../commandContext.js';
import { columnList, compressionOption, jsonOption, keyValue, wholeNumber } from '../options.js';
import { cellToText, countOf, formatBytes, renderGrid, renderRows } from '../render.js';

export interface ShowResult {
  path: string;
  numRows: number;
  offset: number;
  columns: { name: string; type: string }[];
  rows: { [column: string]: JsonValue }[];
}

/** `mes-data show`: rows [offset, offset + rows) of a Parquet file, reading only the row groups that hold them. */
export async function showFile(path: string, options: { offset: number; rows: number; columns?: string[] }): Promise<ShowResult> {
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

export function schemaOfFile(path: string): Promise<ParquetSchema> {
  return getParquetSchema(path);
}

export function metaOfFile(path: string): Promise<ParquetMetadata> {
  return getParquetMetadata(path);
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

/** `mes-data convert`: Parquet or Arrow IPC in, Parquet out (atomically). */
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

/** `show`, `schema`, `meta` and `convert`: commands on single files, no store needed. */
export function registerFileCommands(program: Command, ctx: CommandContext): void {
  program
    .command('show')
    .description('print rows of a Parquet file (reads only the row groups that hold them)')
    .argument('<file>', 'a Parquet file')
    .option('--offset <n>', 'first row to show (0-based)', wholeNumber('offset'), 0)
    .option('--rows <n>', 'how many rows to show', wholeNumber('rows'), 20)
    .option('--columns <a,b>', 'only these columns, in this order', columnList)
    .addOption(jsonOption())
    .action(async (file: string, opts: { offset: number; rows: number; columns?: string[]; json?: boolean }) => {
      const result = await showFile(file, opts);
      const last = Math.min(result.offset + result.rows.length, result.numRows);
      const text = `${renderRows(result.columns, result.rows, result.offset)}\n\nrows ${result.rows.length === 0 ? 0 : result.offset}–${last === 0 ? 0 : last - 1} of ${result.numRows.toLocaleString('en-US')} · ${result.path}\n`;
      ctx.done({ json: result, text }, opts.json === true);
    });

  program
    .command('schema')
    .description('print the columns of a Parquet file with their Arrow types (footer only)')
    .argument('<file>', 'a Parquet file')
    .addOption(jsonOption())
    .action(async (file: string, opts: { json?: boolean }) => {
      const result = await schemaOfFile(file);
      const grid = renderGrid(
        ['column', 'type', 'nullable'],
        result.columns.map((c) => [c.name, c.type, c.nullable ? 'yes' : 'no']),
      );
      ctx.done({ json: { path: result.path, numRows: result.numRows, columns: result.columns }, text: `${grid}\n\n${countOf(result.numRows, 'row')} · ${result.path}\n` }, opts.json === true);
    });

  program
    .command('meta')
    .description('print the footer of a Parquet file: row groups, codecs, sizes, statistics, key-value metadata')
    .argument('<file>', 'a Parquet file')
    .addOption(jsonOption())
    .action(async (file: string, opts: { json?: boolean }) => {
      const meta = await metaOfFile(file);
      const lines = [
        `${meta.path}: ${countOf(meta.numRows, 'row')} in ${countOf(meta.numRowGroups, 'row group')}, ${formatBytes(meta.bytes)}`,
        `created by: ${meta.createdBy ?? '(unknown)'}`,
      ];
      const keys = Object.keys(meta.keyValue);
      if (keys.length > 0) {
        lines.push('key-value metadata:');
        for (const key of keys) {
          const value = meta.keyValue[key];
          lines.push(`  ${key} = ${value.length > 100 ? `${value.slice(0, 99)}…` : value}`);
        }
      }
      meta.rowGroups.forEach((group, index) => {
        lines.push('', `row group ${index}: ${countOf(group.numRows, 'row')} from row ${group.rowStart}`);
        lines.push(
          renderGrid(
            ['column', 'codec', 'min', 'max', 'nulls', 'compressed', 'uncompressed'],
            group.columns.map((c) => [c.name, c.compression, cellToText(c.min), cellToText(c.max), c.nullCount === null ? '' : String(c.nullCount), formatBytes(c.compressedBytes), formatBytes(c.uncompressedBytes)]),
          ),
        );
      });
      ctx.done({ json: meta, text: `${lines.join('\n')}\n` }, opts.json === true);
    });

  program
    .command('convert')
    .description('convert Parquet, Arrow IPC, CSV/TSV or JSON Lines to Parquet with a chosen codec (written atomically)')
    .argument('<in>', 'a Parquet, Arrow IPC, CSV/TSV or JSON Lines file')
    .argument('<out>', 'the Parquet file to write')
    .option('--compression <codec>', `one of ${COMPRESSIONS.join(', ')}`, compressionOption, 'snappy' as Compression)
    .option('--row-group-size <n>', 'maximum rows per row group', wholeNumber('row-group-size'))
    .option('--meta <key=value>', 'key-value metadata to store (repeatable)', keyValue, {} as Record<string, string>)
    .addOption(jsonOption())
    .action(async (input: string, output: string, opts: { compression: Compression; rowGroupSize?: number; meta: Record<string, string>; json?: boolean }) => {
      const result = await convertFile(input, output, { compression: opts.compression, rowGroupSize: opts.rowGroupSize, metadata: opts.meta });
      ctx.done(
        { json: result, text: `wrote ${result.path}: ${countOf(result.numRows, 'row')}, ${result.compression}, ${formatBytes(result.bytes)}\n` },
        opts.json === true,
      );
    });

}
