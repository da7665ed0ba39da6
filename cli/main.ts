import { Command, CommanderError } from 'commander';
import { serializeError } from '../core/errors.js';
import { sharedDecoderPool } from '../core/parquet/decoderPool.js';
import { closeEngine } from '../core/engine/duckdbEngine.js';
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
import { parseStoreUrl } from '../core/objectStore/storeUrl.js';
import { openObjectStore } from '../core/objectStore/s3ObjectStore.js';
import { cacheFolderFor, openWorkingCopy, planBucketGc, publishWorkingCopy, unreferencedObjects, type WorkingCopy } from '../core/objectStore/workingCopy.js';
import { formatAge, graceMs, type BucketGc, type KeptObject } from '../core/objectStore/bucketGc.js';
import { MesDataError } from '../core/errors.js';

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

/** Commands that run on an s3:// store's working copy and publish what they changed (core/objectStore/workingCopy.ts). */
const S3_WRITERS = new Set(['init', 'ingest', 'promote', 'features build', 'gc', 'schemas register', 'instruments register']);
/** Commands that read an s3:// store through its working copy (DuckDB reads folders); `show` and `schema` do with `--as-of`. */
const S3_READERS = new Set(['verify', 'validate', 'query', 'diff']);

/** One run of a command line on an s3:// store: its working copy, whether it publishes, and whether its publish lost a race. */
interface S3Run {
  copy: WorkingCopy | null;
  publishes: boolean;
  conflict: boolean;
}

/** The whole command tree (exported for the test that holds its flag choices to the contract). */
export function buildProgram(io: CliIo, done: (outcome: Outcome, json: boolean) => void, s3: S3Run = { copy: null, publishes: false, conflict: false }): Command {
  const program = new Command('mes-data')
    .description('MES Data: a local, versioned Parquet data lake for futures market data')
    .version(VERSION, '-V, --version')
    .option('--store <dir>', 'the store to use: a folder, or s3://bucket/prefix (worked on through a local working copy; migrate takes folders only) (default: $MES_DATA_STORE, then ~/.mes-data/store)')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError(false);
  // the command that runs, as typed (`features build`): what an s3:// store's refusal names
  let command = 'this command';
  const storeFlag = () => program.opts<{ store?: string }>().store;
  let orphans: Awaited<ReturnType<typeof unreferencedObjects>> = [];
  // gc on a bucket: its grace period for objects nothing names (core/objectStore/bucketGc.ts)
  let bucketGc: BucketGc | null = null;
  program.hook('preAction', async (_program, action) => {
    const names: string[] = [];
    for (let at: Command | null = action; at && at !== program; at = at.parent) names.unshift(at.name());
    command = names.join(' ');
    // an s3:// store: the commands that need a folder run on its working copy, pulled now
    const store = resolveStore(storeFlag());
    const gcOptions = command === 'gc' ? action.opts<{ grace?: string; dryRun?: boolean }>() : null;
    // a bad --grace is refused before anything is read (a folder has no use for it: its writers hold the store lock)
    if (gcOptions?.grace !== undefined) graceMs(gcOptions.grace);
    if (store.kind !== 's3') return;
    const { asOf, export: exported } = action.opts<{ asOf?: string; export?: string }>();
    // `query --export` writes exports/<name> into the store: published as a writer's work
    const publishes = S3_WRITERS.has(command) || (command === 'query' && exported !== undefined);
    if (!publishes && !S3_READERS.has(command) && !((command === 'show' || command === 'schema') && asOf !== undefined)) return;
    const location = parseStoreUrl(store.url);
    if (location.kind !== 's3') return;
    s3.copy = await openWorkingCopy(openObjectStore(location), cacheFolderFor(location), { emptyIsNew: command === 'init', repair: publishes });
    s3.publishes = publishes;
    if (command === 'verify') orphans = await unreferencedObjects(s3.copy);
    // what the bucket held at the pull, when each object was written, and what nothing committed named then
    if (gcOptions !== null) bucketGc = await planBucketGc(s3.copy, gcOptions);
  });
  program.hook('postAction', async () => {
    if (s3.copy === null || !s3.publishes) return;
    try {
      let kept: KeptObject[] = [];
      const plan = bucketGc;
      const removable =
        plan === null
          ? undefined
          : (keys: readonly string[]) => {
              const chosen = plan.removable(keys);
              kept = chosen.kept;
              return chosen.remove;
            };
      const published = await publishWorkingCopy(s3.copy, { removals: command === 'gc' ? 'all' : 'replaced-metadata', ...(removable !== undefined ? { removable } : {}) });
      if (published.written + published.removed > 0) io.err(`published to ${s3.copy.remote.location}: ${published.written} object(s) written, ${published.removed} removed\n`);
      if (plan !== null && kept.length > 0) {
        const lines = kept.map((object) => `  ${object.path}  (written ${formatAge(object.ageSeconds * 1000)} ago)\n`).join('');
        io.err(`kept in ${s3.copy.remote.location}: ${kept.length} object(s) nothing committed names, younger than the grace period (${plan.grace}; a writer may be publishing them; gc --grace):\n${lines}`);
      }
    } catch (error) {
      s3.conflict = error instanceof MesDataError && error.code === 'LOCKED' && error.details.reason === 'commit-conflict';
      throw error;
    }
  });
  const ctx: CommandContext = {
    done,
    storeDir: () => (s3.copy !== null ? s3.copy.storeDir : resolveStoreDir(storeFlag(), command)),
    remoteStore: () => {
      if (s3.copy !== null) return null;
      const store = resolveStore(storeFlag());
      return store.kind === 's3' ? store.url : null;
    },
    workingCopy: () => (s3.copy !== null ? { store: s3.copy.remote.location, unreferenced: orphans, gc: bucketGc } : null),
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
  // commands that decode Parquet in this process: start the decoder thread while the rest loads
  // (jobs, validate among them, decode in their own threads; init, ls, schemas, serve need none up front)
  if (argv.some((a) => DECODES_IN_PROCESS.has(a)) && !argv.some((a) => a === '--help' || a === '-h')) sharedDecoderPool().warm();
  try {
    // on an s3:// store a command's output waits for its publish; one that lost the race to
    // another writer runs once more on the new state (pulled again), then fails with the conflict
    for (let attempt = 1; ; attempt++) {
      const s3: S3Run = { copy: null, publishes: false, conflict: false };
      let held: (() => void) | null = null;
      const program = buildProgram(
        io,
        (outcome, json) => {
          const print = () => io.out(json ? `${JSON.stringify(outcome.json)}\n` : outcome.text);
          if (s3.copy !== null) held = print;
          else print();
          exitCode = outcome.exitCode ?? EXIT_OK;
        },
        s3,
      );
      try {
        await program.parseAsync(argv, { from: 'user' });
      } catch (error) {
        if (s3.conflict && attempt === 1) {
          io.err(`${error instanceof Error ? error.message : String(error)}\nanother writer published first: pulling the new state and running the command again\n`);
          continue;
        }
        throw error;
      } finally {
        await s3.copy?.release();
      }
      (held as (() => void) | null)?.();
      break;
    }
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
    // the process's own run (bin/mes-data.ts exits once output is flushed): DuckDB's instance
    // (a job's, which ran in this thread) is closed first, which removes what it spilled
    if (io === processIo) await closeEngine();
  }
  return exitCode;
}
