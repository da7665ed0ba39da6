import fs from 'node:fs';
import type { Command } from 'commander';
import { Compression } from '../../core/api/contract.js';
import { BadRequestError } from '../../core/errors.js';
import type { Compression as CompressionName } from '../../core/parquet/writeParquet.js';
import { withCliSession } from '../cliSession.js';
import type { CommandContext } from '../commandContext.js';
import { asOfOption } from '../datasetArgument.js';
import { columnList, compressionOption, jsonOption, keyValue, wholeNumber } from '../options.js';
import { cellToText, countOf, formatBytes, renderGrid, renderRows } from '../render.js';

/**
 * Whether `show` and `schema` read the argument as a dataset of the store (a name such as
 * cleaned/MES@v3, or a folder) rather than a file: it is not a file here and the store folder
 * exists, or `--as-of` names a moment.
 */
function isStoreDataset(ctx: CommandContext, argument: string, asOf: string | undefined): boolean {
  if (asOf !== undefined) return true;
  return !isLocalFile(argument) && fs.existsSync(ctx.storeDir());
}

function isLocalFile(argument: string): boolean {
  return fs.existsSync(argument) && fs.statSync(argument).isFile();
}

/**
 * The s3:// store `show` and `schema` read the argument from (an object's key in it): the
 * store is a bucket and the argument is not a file here. `--as-of` is refused there for now.
 */
function remoteStoreFor(ctx: CommandContext, argument: string, asOf: string | undefined, command: string): string | null {
  const remote = ctx.remoteStore();
  if (remote === null || (asOf === undefined && isLocalFile(argument))) return null;
  if (asOf !== undefined) throw new BadRequestError(`${command} --as-of is not available on an s3:// store yet; use mes-data sync ${remote} <folder> to work on a local copy`, { store: remote, command });
  return remote;
}

/**
 * `show`, `schema`, `meta` and `convert`: `file.rows`, `file.schema`, `file.meta` and
 * `file.convert`, no store needed; `show` and `schema` also read a dataset of the store by
 * its name (`dataset.resolve`, then `rows.page` / `dataset.info`).
 */
export function registerFileCommands(program: Command, ctx: CommandContext): void {
  program
    .command('show')
    .description('print rows of a Parquet file (reads only the row groups that hold them)')
    .argument('<file>', 'a Parquet file, or a dataset of the store (cleaned/MES@v3, cleaned/MES for its newest version, cleaned/v3/MES); on an s3:// store, an object\'s key, a dataset folder or a version by name')
    .option('--offset <n>', 'first row to show (0-based)', wholeNumber('offset'), 0)
    .option('--rows <n>', 'how many rows to show', wholeNumber('rows'), 20)
    .option('--columns <a,b>', 'only these columns, in this order', columnList)
    .addOption(asOfOption())
    .addOption(jsonOption())
    .action(async (file: string, opts: { offset: number; rows: number; columns?: string[]; asOf?: string; json?: boolean }) => {
      const remote = remoteStoreFor(ctx, file, opts.asOf, 'show');
      const result = remote !== null
        ? await withCliSession(ctx, { store: false }, (cli) => cli.invoke('remote.rows', { store: remote, path: file, offset: opts.offset, rows: opts.rows, columns: opts.columns }))
        : isStoreDataset(ctx, file, opts.asOf)
        ? await withCliSession(ctx, { store: true }, async (cli) => {
            const { path } = await cli.invoke('dataset.resolve', { path: file, asOf: opts.asOf });
            const page = await cli.invoke('rows.page', { path, offset: opts.offset, limit: opts.rows, columns: opts.columns });
            return { path, numRows: page.numRows, offset: page.offset, columns: page.columns, rows: page.rows.map((row) => Object.fromEntries(page.columns.map((c, k) => [c.name, row[k]]))) };
          })
        : await withCliSession(ctx, { store: false }, (cli) => cli.invoke('file.rows', { path: file, offset: opts.offset, rows: opts.rows, columns: opts.columns }));
      const last = Math.min(result.offset + result.rows.length, result.numRows);
      const text = `${renderRows(result.columns, result.rows, result.offset)}\n\nrows ${result.rows.length === 0 ? 0 : result.offset}–${last === 0 ? 0 : last - 1} of ${result.numRows.toLocaleString('en-US')} · ${result.path}\n`;
      ctx.done({ json: result, text }, opts.json === true);
    });

  program
    .command('schema')
    .description('print the columns of a Parquet file with their Arrow types (footer only)')
    .argument('<file>', 'a Parquet file, or a dataset of the store (cleaned/MES@v3, cleaned/MES, cleaned/v3/MES); on an s3:// store, an object\'s key, a dataset folder or a version by name')
    .addOption(asOfOption())
    .addOption(jsonOption())
    .action(async (file: string, opts: { asOf?: string; json?: boolean }) => {
      const remote = remoteStoreFor(ctx, file, opts.asOf, 'schema');
      const result = remote !== null
        ? await withCliSession(ctx, { store: false }, (cli) => cli.invoke('remote.schema', { store: remote, path: file }))
        : isStoreDataset(ctx, file, opts.asOf)
        ? await withCliSession(ctx, { store: true }, async (cli) => {
            const { path } = await cli.invoke('dataset.resolve', { path: file, asOf: opts.asOf });
            const info = await cli.invoke('dataset.info', { path });
            return { path, numRows: info.numRows, columns: info.columns };
          })
        : await withCliSession(ctx, { store: false }, (cli) => cli.invoke('file.schema', { path: file }));
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
      const meta = await withCliSession(ctx, { store: false }, (cli) => cli.invoke('file.meta', { path: file }));
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
    .option('--compression <codec>', `one of ${Compression.options.join(', ')}`, compressionOption, 'snappy' as CompressionName)
    .option('--row-group-size <n>', 'maximum rows per row group', wholeNumber('row-group-size'))
    .option('--meta <key=value>', 'key-value metadata to store (repeatable)', keyValue, {} as Record<string, string>)
    .addOption(jsonOption())
    .action(async (input: string, output: string, opts: { compression: CompressionName; rowGroupSize?: number; meta: Record<string, string>; json?: boolean }) => {
      const result = await withCliSession(ctx, { store: false }, (cli) =>
        cli.invoke('file.convert', { input, output, compression: opts.compression, rowGroupSize: opts.rowGroupSize, metadata: opts.meta }),
      );
      ctx.done(
        { json: result, text: `wrote ${result.path}: ${countOf(result.numRows, 'row')}, ${result.compression}, ${formatBytes(result.bytes)}\n` },
        opts.json === true,
      );
    });

}
