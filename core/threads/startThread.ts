import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * The one place a thread is started. Every thread is written in TypeScript; a built program
 * (the command line in dist/cli/, Electron's main process and job threads in dist/electron/)
 * has each thread as a bundle beside its own bundle, named as below (scripts/buildCli.mjs
 * builds them from THREAD_BUNDLES there, which a test keeps equal to this table). Running from
 * the sources (Vitest, tsx) there is no bundle beside this file, and the thread starts from
 * its TypeScript module through sourceThreadBoot.mjs, which registers tsx in the thread.
 */
export const THREADS = {
  /** Parquet decoding and whole-file encoding (core/parquet/decoderPool.ts is its parent). */
  parquetDecoder: { bundle: 'parquetDecoderThread.mjs', source: '../parquet/decoder/decoderThread.ts' },
  /** The ingest's streaming Parquet writer (core/ingest/parquetStreamWriter.ts is its parent). */
  parquetWriter: { bundle: 'parquetWriterThread.mjs', source: '../ingest/writer/writerThread.ts' },
  /** One job (core/api/jobManager.ts is its parent). */
  job: { bundle: 'jobWorker.mjs', source: '../api/jobWorker.ts' },
} as const;

type ThreadName = keyof typeof THREADS;

const BOOT = new URL('./sourceThreadBoot.mjs', import.meta.url);
const resolved = new Map<ThreadName, string>();

/** The module a thread runs: its bundle beside this module's bundle, else its TypeScript source. */
export function threadModule(name: ThreadName): string {
  let href = resolved.get(name);
  if (href === undefined) {
    const bundle = new URL(`./${THREADS[name].bundle}`, import.meta.url);
    href = fs.existsSync(fileURLToPath(bundle)) ? bundle.href : new URL(THREADS[name].source, import.meta.url).href;
    resolved.set(name, href);
  }
  return href;
}

/**
 * Starts a thread: one of THREADS by name (a ThreadName), or a module by URL (tests give
 * their own). A JavaScript module starts as it is; a TypeScript one through the boot file.
 */
export function startThread(thread: URL | string, options: WorkerOptions = {}): Worker {
  const href = typeof thread === 'string' && Object.hasOwn(THREADS, thread) ? threadModule(thread as ThreadName) : new URL(thread).href;
  if (!href.endsWith('.ts')) return new Worker(new URL(href), options);
  const argv: unknown[] = options.argv ?? [];
  return new Worker(BOOT, { ...options, argv: [href, ...argv] });
}

/**
 * Starts the module of a thread as a child process of its own instead (node's `fork`, with
 * an IPC channel that carries structured clones, as a thread's port does): a job of a
 * the browser mode runs there, so that its memory and its CPU are not the host's. From the
 * sources the process starts through the same boot file as a thread. Not for Electron's main
 * process: `fork` runs the child as plain Node there (ELECTRON_RUN_AS_NODE), which the
 * packaged app's fuses forbid. stdout and stderr are the parent's.
 */
export function startProcess(thread: URL | string): ChildProcess {
  const href = typeof thread === 'string' && Object.hasOwn(THREADS, thread) ? threadModule(thread as ThreadName) : new URL(thread).href;
  const options = { serialization: 'advanced' as const, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] as ('ignore' | 'inherit' | 'ipc')[], execArgv: [] };
  if (!href.endsWith('.ts')) return fork(fileURLToPath(href), [], options);
  return fork(fileURLToPath(BOOT), [href], options);
}
