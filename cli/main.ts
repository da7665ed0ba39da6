import { Command, CommanderError } from 'commander';
import { serializeError } from '../core/errors.js';
import { sharedDecoderPool } from '../core/parquet/decoderPool.js';
import { VERSION } from '../core/version.js';
import type { CommandContext, Outcome } from './commandContext.js';
import { registerFileCommands } from './commands/fileCommands.js';
import { registerStoreCommands } from './commands/storeCommands.js';
import { registerJobCommands } from './commands/jobCommands.js';
import { registerServeCommand } from './commands/serveCommand.js';
import { registerQueryCommand } from './commands/queryCommand.js';
import { registerGcCommand } from './commands/gcCommand.js';
import { registerMigrateCommand } from './commands/migrateCommand.js';
import { registerSyncCommand } from './commands/syncCommand.js';
import { registerValidationCommands } from './commands/validationCommands.js';
import { registerInstrumentsCommands } from './commands/instrumentsCommands.js';
import { EXIT_OK, EXIT_USAGE, exitCodeFor } from './exitCodes.js';
import { resolveStore, resolveStoreDir } from './options.js';

/** Where output goes; tests pass their own to run commands in process. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

let pipeGuarded = false;
/**
 * `mes-data ls | head`: once the reader of stdout has gone, writing fails with EPIPE, which
 * Node reports as an unhandled 'error' event (a stack trace). Nobody is left to read
 * anything, so stop at once and quietly, as command-line tools do.
 */
function exitQuietlyOnClosedPipe(): void {
  if (pipeGuarded) return;
  pipeGuarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? EXIT_OK);
      throw error;
    });
  }
}

/** The whole command tree (exported for the test that holds its flag choices to the contract). */
export function buildProgram(io: CliIo, done: (outcome: Outcome, json: boolean) => void): Command {
  const program = new Command('mes-data')
    .description('MES Data: a local, versioned Parquet data lake for futures market data')
    .version(VERSION, '-V, --version')
    .option('--store <dir>', 'the store to use: a folder, or s3://bucket/prefix for ls, show and schema (default: $MES_DATA_STORE, then ~/.mes-data/store)')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError(false);
  // the command that runs, as typed (`features build`): what an s3:// store's refusal names
  let command = 'this command';
  program.hook('preAction', (_program, action) => {
    const names: string[] = [];
    for (let at: Command | null = action; at && at !== program; at = at.parent) names.unshift(at.name());
    command = names.join(' ');
  });
  const storeFlag = () => program.opts<{ store?: string }>().store;
  const ctx: CommandContext = {
    done,
    storeDir: () => resolveStoreDir(storeFlag(), command),
    remoteStore: () => {
      const store = resolveStore(storeFlag());
      return store.kind === 's3' ? store.url : null;
    },
    log: (text) => io.err(text),
  };

  registerFileCommands(program, ctx);
  registerStoreCommands(program, ctx);
  registerValidationCommands(program, ctx);
  registerInstrumentsCommands(program, ctx);
  registerJobCommands(program, ctx);
  registerServeCommand(program, ctx);
  registerQueryCommand(program, ctx);
  registerGcCommand(program, ctx);
  registerMigrateCommand(program, ctx);
  registerSyncCommand(program, ctx);

  return program;
}

const DECODES_IN_PROCESS = new Set(['show', 'schema', 'meta', 'convert']);

/**
 * Runs one `mes-data` command line and returns its exit code. With `--json`, stdout gets
 * exactly one JSON document (the result, or `{"error":{code,message,details}}`); errors
 * always also print one line `error CODE: message` on stderr.
 */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  if (io === processIo) exitQuietlyOnClosedPipe();
  const wantsJson = argv.includes('--json');
  let exitCode = EXIT_OK;
  const program = buildProgram(io, (outcome, json) => {
    io.out(json ? `${JSON.stringify(outcome.json)}\n` : outcome.text);
    exitCode = outcome.exitCode ?? EXIT_OK;
  });
  // commands that decode Parquet in this process: start the decoder thread while the rest loads
  // (jobs, validate among them, decode in their own threads; init, ls, schemas, serve need none up front)
  if (argv.some((a) => DECODES_IN_PROCESS.has(a)) && !argv.some((a) => a === '--help' || a === '-h')) sharedDecoderPool().warm();
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
