import { Command, CommanderError, Option } from 'commander';
import { BadRequestError, serializeError } from '../core/errors.js';
import { sharedDecoderPool } from '../core/parquet/decoderPool.js';
import { COMPRESSIONS, isCompression, type Compression } from '../core/parquet/writeParquet.js';
import { convertFile, metaOfFile, schemaOfFile, showFile } from './commands/fileCommands.js';
import { EXIT_OK, EXIT_USAGE, exitCodeFor } from './exitCodes.js';
import { cellToText, formatBytes, renderGrid, renderRows } from './render.js';
import { VERSION } from '../core/version.js';

/** Where output goes; tests pass their own to run commands in process. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** A command's outcome: the JSON document for `--json`, the text for people, the exit code. */
interface Outcome {
  json: unknown;
  text: string;
  exitCode?: number;
}

function wholeNumber(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new BadRequestError(`${name} must be a whole number ≥ 0, got "${value}"`, { [name]: value });
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new BadRequestError(`${name} is too large: ${value}`, { [name]: value });
    return n;
  };
}

function columnList(value: string): string[] {
  const columns = value.split(',').map((c) => c.trim()).filter((c) => c.length > 0);
  if (columns.length === 0) throw new BadRequestError(`--columns needs at least one column name, got "${value}"`, { columns: value });
  return columns;
}

function keyValue(value: string, previous: Record<string, string>): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new BadRequestError(`--meta takes key=value, got "${value}"`, { meta: value });
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

function compressionOption(value: string): Compression {
  if (!isCompression(value)) throw new BadRequestError(`unknown compression "${value}"; use one of ${COMPRESSIONS.join(', ')}`, { compression: value });
  return value;
}

function buildProgram(io: CliIo, done: (outcome: Outcome, json: boolean) => void): Command {
  const program = new Command('mes-data')
    .description('MES Data: a local, versioned Parquet data lake for futures market data')
    .version(VERSION, '-V, --version')
    .option('--store <dir>', 'the store to use (default: $MES_DATA_STORE, then ~/.mes-data/store)')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError(false);

  const jsonOption = () => new Option('--json', 'print one JSON document on stdout');

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
      done({ json: result, text }, opts.json === true);
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
      done({ json: { path: result.path, numRows: result.numRows, columns: result.columns }, text: `${grid}\n\n${result.numRows.toLocaleString('en-US')} rows · ${result.path}\n` }, opts.json === true);
    });

  program
    .command('meta')
    .description('print the footer of a Parquet file: row groups, codecs, sizes, statistics, key-value metadata')
    .argument('<file>', 'a Parquet file')
    .addOption(jsonOption())
    .action(async (file: string, opts: { json?: boolean }) => {
      const meta = await metaOfFile(file);
      const lines = [
        `${meta.path}: ${meta.numRows.toLocaleString('en-US')} rows in ${meta.numRowGroups} row group(s), ${formatBytes(meta.bytes)}`,
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
        lines.push('', `row group ${index}: ${group.numRows.toLocaleString('en-US')} rows from row ${group.rowStart}`);
        lines.push(
          renderGrid(
            ['column', 'codec', 'min', 'max', 'nulls', 'compressed', 'uncompressed'],
            group.columns.map((c) => [c.name, c.compression, cellToText(c.min), cellToText(c.max), c.nullCount === null ? '' : String(c.nullCount), formatBytes(c.compressedBytes), formatBytes(c.uncompressedBytes)]),
          ),
        );
      });
      done({ json: meta, text: `${lines.join('\n')}\n` }, opts.json === true);
    });

  program
    .command('convert')
    .description('convert Parquet or Arrow IPC to Parquet with a chosen codec (written atomically)')
    .argument('<in>', 'a Parquet or Arrow IPC file')
    .argument('<out>', 'the Parquet file to write')
    .option('--compression <codec>', `one of ${COMPRESSIONS.join(', ')}`, compressionOption, 'snappy' as Compression)
    .option('--row-group-size <n>', 'maximum rows per row group', wholeNumber('row-group-size'))
    .option('--meta <key=value>', 'key-value metadata to store (repeatable)', keyValue, {} as Record<string, string>)
    .addOption(jsonOption())
    .action(async (input: string, output: string, opts: { compression: Compression; rowGroupSize?: number; meta: Record<string, string>; json?: boolean }) => {
      const result = await convertFile(input, output, { compression: opts.compression, rowGroupSize: opts.rowGroupSize, metadata: opts.meta });
      done(
        { json: result, text: `wrote ${result.path}: ${result.numRows.toLocaleString('en-US')} rows, ${result.compression}, ${formatBytes(result.bytes)}\n` },
        opts.json === true,
      );
    });

  return program;
}

/**
 * Runs one `mes-data` command line and returns its exit code. With `--json`, stdout gets
 * exactly one JSON document (the result, or `{"error":{code,message,details}}`); errors
 * always also print one line `error CODE: message` on stderr.
 */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const wantsJson = argv.includes('--json');
  let exitCode = EXIT_OK;
  const program = buildProgram(io, (outcome, json) => {
    io.out(json ? `${JSON.stringify(outcome.json)}\n` : outcome.text);
    exitCode = outcome.exitCode ?? EXIT_OK;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT_OK;
      // commander has already printed its own message on stderr
      if (wantsJson) io.out(`${JSON.stringify({ error: { code: 'BAD_REQUEST', message: error.message.replace(/^error: /, ''), details: {} } })}\n`);
      return EXIT_USAGE;
    }
    const serialized = serializeError(error);
    if (wantsJson) io.out(`${JSON.stringify({ error: serialized })}\n`);
    io.err(`error ${serialized.code}: ${serialized.message}\n`);
    return exitCodeFor(serialized.code);
  } finally {
    await sharedDecoderPool().close();
  }
  return exitCode;
}
