import os from 'node:os';
import { CancelledError, MesDataError, type SerializedError } from '../errors.js';
import type { JobEvent, JobKind, JobParams, JobProgress, JobResult, JobState } from './contract.js';
import type { HostMessage, JobStart } from './jobPort.js';
import { startProcess, startThread, threadModule } from '../threads/startThread.js';
import { lowerProcessPriority, lowerThreadPriority } from '../threads/threadPriority.js';
import { setEngineThreads } from '../engine/duckdbEngine.js';
import { openStore } from '../store/openStore.js';

/**
 * Runs the heavy operations (validate, ingest, promote, features, diff, verify) as jobs, each
 * in a worker thread of its own or, in the browser mode's host, in a child process of its own: the
 * host's thread never blocks, a crash (a WebAssembly panic, running out of memory) fails
 * only its job, and the memory a job used is given back when it ends. In a process the job's
 * memory is not the host's at all, and the whole job (DuckDB's threads too) runs at the
 * lower priority. Jobs that write the store (ingest, promote, features) run one at a time
 * per store; the others run as soon as they are started.
 */

const WRITERS: ReadonlySet<JobKind> = new Set(['ingest', 'promote', 'features', 'gc', 'migrate', 'sync']);
/** How long a cancelled job may take to clean up before its thread or process is stopped. */
const CANCEL_GRACE_MS = 15_000;

/** Where a job runs: a worker thread of the host's process, or a child process of its own. */
type JobPlace = 'thread' | 'process';

/** Runs a job in the thread that starts it (the command line's: core/api/inlineJob.ts, given through `runHere`). */
type RunHere = (start: JobStart, on: LinkEvents) => JobLink;

interface JobManagerOptions {
  /** default thread */
  runIn?: JobPlace;
  /** how long a cancelled job may take to clean up before it is stopped by force (default 15 s) */
  cancelGraceMs?: number;
  /** the open store's bucket (s3://…) when the store is its working copy, read when a job starts (core/api/bucketStore.ts) */
  bucket?: () => string | null;
}
const KEEP_ENDED = 100;

/**
 * How a job thread yields to the host it runs in (an app's window, the browser mode): the
 * job's own thread and the threads it starts at a lower priority (nice, where the system has
 * one per thread; see lowerThreadPriority), DuckDB on fewer threads. The command line runs
 * one job at a time and gives it everything.
 */
export interface JobThreadSettings {
  /** nice value of the job's threads (0 normal … 19 lowest) */
  nice: number;
  /** DuckDB's threads in the job; null for DuckDB's default (one per core) */
  engineThreads: number | null;
}

/**
 * Applies `settings` in the job thread that calls it, before the job starts any thread
 * (decoders, writers: they inherit the priority) or opens DuckDB (its thread count is fixed
 * when it opens); in a job's own process (`ownProcess`) to every thread of it. Returns what
 * was set: the nice value where the system has one per thread, or for a process (null
 * where it could not be set) and DuckDB's threads.
 */
export function applyJobThreadSettings(settings: JobThreadSettings | null, ownProcess = false): { nice: number | null; engineThreads: number | null } {
  if (!settings) return { nice: null, engineThreads: null };
  const nice = ownProcess ? lowerProcessPriority(settings.nice) : lowerThreadPriority(settings.nice);
  if (settings.engineThreads !== null) setEngineThreads(settings.engineThreads);
  return { nice, engineThreads: settings.engineThreads };
}

export type WorkerMessage =
  | { type: 'progress'; progress: JobProgress }
  | { type: 'done'; result: JobResult }
  | { type: 'error'; error: SerializedError };

/** The host's end of a running job, a thread or a process alike. */
interface JobLink {
  send(message: HostMessage): void;
  /** Stops the job by force; resolves when it has ended. */
  stop(): Promise<void>;
}

interface LinkEvents {
  message: (message: WorkerMessage) => void;
  /** the thread threw, or the process could not be started or reached */
  error: (error: Error) => void;
  exit: (code: number | null, signal: string | null) => void;
}

function threadLink(entry: string, start: JobStart, on: LinkEvents): JobLink {
  const worker = startThread(entry, { workerData: start });
  worker.on('message', on.message);
  worker.on('error', on.error);
  worker.on('exit', (code) => on.exit(code, null));
  return {
    send: (message) => worker.postMessage(message),
    stop: async () => {
      await worker.terminate();
    },
  };
}

function processLink(entry: string, start: JobStart, on: LinkEvents): JobLink {
  const child = startProcess(entry);
  // the child lowers every thread of its own as it starts; its first thread at once from here
  if (start.threadSettings && child.pid !== undefined) {
    try {
      if (os.getPriority(child.pid) < start.threadSettings.nice) os.setPriority(child.pid, start.threadSettings.nice);
    } catch {
      // it has ended already: its exit says how
    }
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // one exit, also for a process that could not be started (an 'error' and no 'exit')
  let ended = false;
  const exit = (code: number | null, signal: string | null) => {
    if (ended) return;
    ended = true;
    on.exit(code, signal);
  };
  child.on('message', on.message);
  child.on('error', (error) => {
    on.error(error);
    if (child.pid === undefined) exit(null, null);
  });
  child.on('exit', exit);
  const send = (message: HostMessage) => {
    if (child.connected) child.send(message, (error) => error && child.connected && on.error(error));
  };
  send({ type: 'start', ...start });
  return {
    send,
    stop: async () => {
      if (child.pid === undefined) return;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

interface Running {
  state: JobState;
  params: JobParams;
  link: JobLink | null;
  cancelTimer: NodeJS.Timeout | null;
  /** set when the job was stopped by force: the store is recovered before the job ends */
  forced: boolean;
  waiters: ((state: JobState) => void)[];
}

function titleOf(params: JobParams): string {
  switch (params.kind) {
    case 'validate':
      return `validate ${params.target} against ${params.schema}`;
    case 'ingest':
      return `ingest ${params.files.length === 1 ? params.files[0] : `${params.files.length} files`}${params.dryRun ? ' (dry run)' : ''}`;
    case 'promote':
      return `promote ${params.asset} raw → cleaned${params.dryRun ? ' (gate check)' : ''}`;
    case 'features':
      return `build ${params.set} for ${params.asset}`;
    case 'diff':
      return `diff ${params.a} ${params.b}`;
    case 'verify':
      return 'verify the store';
    case 'migrate':
      return `migrate ${params.store ?? 'the store'} to format 2${params.dryRun ? ' (dry run)' : ''}`;
    case 'sync':
      return `sync ${params.from} → ${params.to}${params.dryRun ? ' (dry run)' : ''}`;
    case 'gc':
      return `gc${params.asset ? ` ${params.asset}` : ''}${params.keep !== undefined ? ` keeping ${params.keep}` : ''}${params.olderThan !== undefined ? ` older than ${params.olderThan}` : ''}${params.dryRun ? ' (dry run)' : ''}`;
  }
}

export class JobManager {
  private readonly jobs = new Map<string, Running>();
  private readonly writerQueue: Running[] = [];
  private writerBusy = false;
  private readonly listeners = new Set<(event: JobEvent) => void>();
  private nextId = 1;
  private readonly runIn: JobPlace;
  private readonly cancelGraceMs: number;
  private here: RunHere | null = null;
  private readonly bucket: () => string | null;

  /**
   * @param storeRoot the open store, read when a job starts
   * @param workerEntry the module a job thread or process runs (default: jobWorker); tests give their own
   * @param threadSettings how jobs yield to the host; none: they run like the host's own threads
   */
  constructor(
    private readonly storeRoot: () => string | null,
    private readonly workerEntry: string = threadModule('job'),
    private readonly threadSettings: JobThreadSettings | null = null,
    options: JobManagerOptions = {},
  ) {
    this.runIn = options.runIn ?? 'thread';
    this.cancelGraceMs = options.cancelGraceMs ?? CANCEL_GRACE_MS;
    this.bucket = options.bucket ?? (() => null);
  }

  /**
   * Runs the jobs started from now on in this thread, through `run`, instead of in threads or
   * processes of their own: the command line, whose process runs one job and ends
   * (core/api/inlineJob.ts says what that saves). Such a job cannot be stopped by force: a
   * cancel it does not honour within the grace period waits for its end.
   */
  runHere(run: RunHere): void {
    this.here = run;
  }

  /** Subscribes to job events; returns the unsubscribe function. */
  onEvent(listener: (event: JobEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(params: JobParams): JobState {
    const id = `job-${Date.now().toString(36)}-${this.nextId++}`;
    const job: Running = {
      state: {
        id,
        kind: params.kind,
        state: 'queued',
        title: titleOf(params),
        createdAt: new Date().toISOString(),
        progress: { fraction: 0, rows: null, bytes: null, stage: 'queued' },
        params: { ...params },
      },
      params,
      link: null,
      cancelTimer: null,
      forced: false,
      waiters: [],
    };
    this.jobs.set(id, job);
    this.trim();
    if (WRITERS.has(params.kind)) {
      this.writerQueue.push(job);
      this.emit(job);
      this.nextWriter();
    } else {
      this.run(job);
    }
    return { ...job.state };
  }

  get(id: string): JobState {
    return { ...this.find(id).state };
  }

  /** The jobs of this session, newest first: running ones, and the last 100 that ended (with their results and errors). */
  list(): JobState[] {
    return [...this.jobs.values()].map((j) => ({ ...j.state })).reverse();
  }

  /** Resolves when the job has ended, or with its current state after `timeoutMs`. */
  wait(id: string, timeoutMs: number): Promise<JobState> {
    const job = this.find(id);
    if (this.ended(job)) return Promise.resolve({ ...job.state });
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ ...job.state }), timeoutMs);
      job.waiters.push((state) => {
        clearTimeout(timer);
        resolve(state);
      });
    });
  }

  /**
   * Asks a job to stop. A queued job ends at once; a running one is told to stop, cleans up
   * what it wrote, and is stopped by force after a grace period (a process is killed); after
   * a forced stop of a writer the store is recovered (what it left half-written removed, or
   * a commit it had begun finished, as at the store's next opening) before the job ends.
   */
  cancel(id: string): JobState {
    const job = this.find(id);
    if (this.ended(job)) return { ...job.state };
    if (job.state.state === 'queued') {
      const at = this.writerQueue.indexOf(job);
      if (at >= 0) this.writerQueue.splice(at, 1);
      this.finish(job, 'cancelled', undefined, new CancelledError(`${job.state.title}: cancelled before it started`).toJSON());
      return { ...job.state };
    }
    job.link?.send({ type: 'cancel' });
    job.state.progress = { ...job.state.progress, stage: 'cancelling' };
    this.emit(job);
    job.cancelTimer ??= setTimeout(() => {
      job.forced = true;
      // its exit ends the job, once the store is recovered
      void job.link?.stop();
    }, this.cancelGraceMs);
    return { ...job.state };
  }

  /** Stops every running job (the host is shutting down). */
  async close(): Promise<void> {
    this.writerQueue.splice(0);
    await Promise.all([...this.jobs.values()].flatMap((j) => (j.link ? [j.link.stop()] : [])));
  }

  private find(id: string): Running {
    const job = this.jobs.get(id);
    if (!job) throw new MesDataError('NOT_FOUND', `no job "${id}"`, { id });
    return job;
  }

  private ended(job: Running): boolean {
    return job.state.state === 'succeeded' || job.state.state === 'failed' || job.state.state === 'cancelled';
  }

  private nextWriter(): void {
    if (this.writerBusy) return;
    const job = this.writerQueue.shift();
    if (!job) return;
    this.writerBusy = true;
    this.run(job);
  }

  private run(job: Running): void {
    job.state.state = 'running';
    job.state.startedAt = new Date().toISOString();
    job.state.progress = { fraction: 0, rows: null, bytes: null, stage: 'starting' };
    this.emit(job);
    const place = this.runIn === 'process' ? 'process' : 'thread';
    const storeRoot = this.storeRoot();
    let settled = false;
    const events: LinkEvents = {
      message: (message) => {
        if (message.type === 'progress') {
          if (this.ended(job)) return;
          job.state.progress = message.progress;
          this.emit(job);
        } else if (message.type === 'done') {
          settled = true;
          this.finish(job, 'succeeded', message.result);
        } else {
          settled = true;
          this.finish(job, message.error.code === 'CANCELLED' ? 'cancelled' : 'failed', undefined, message.error);
        }
      },
      error: (error) => {
        if (settled) return;
        settled = true;
        this.finish(job, 'failed', undefined, new MesDataError('JOB_CRASHED', `${job.state.title}: the job's ${place} crashed: ${error.message}`, { kind: job.state.kind }).toJSON());
      },
      exit: (code, signal) => {
        job.link = null;
        void this.afterExit(job, storeRoot, !settled).then(() => {
          if (!settled) {
            settled = true;
            if (job.cancelTimer) {
              const how = job.forced ? `stopped after it did not finish cancelling in ${this.cancelGraceMs / 1000} s` : 'cancelled';
              this.finish(job, 'cancelled', undefined, new CancelledError(`${job.state.title}: ${how}`).toJSON());
            } else {
              const ended = signal ? `was stopped by ${signal}` : `ended with code ${code}`;
              this.finish(job, 'failed', undefined, new MesDataError('JOB_CRASHED', `${job.state.title}: the job's ${place} ${ended} before finishing`, { kind: job.state.kind, exitCode: code, signal }).toJSON());
            }
          }
          if (WRITERS.has(job.state.kind)) {
            this.writerBusy = false;
            this.nextWriter();
          }
        });
      },
    };
    const start: JobStart = { params: job.params, storeRoot, threadSettings: this.threadSettings, bucket: this.bucket() };
    job.link = this.here ? this.here(start, events) : place === 'process' ? processLink(this.workerEntry, start, events) : threadLink(this.workerEntry, start, events);
  }

  /**
   * After a writer ended without finishing (stopped by force, crashed): the store is opened
   * with recovery, which removes what it left half-written (staging folders, its lock) or
   * finishes a commit it had begun, so the next job and the tree see a whole store. A
   * failure there leaves it to the store's next opening.
   */
  private async afterExit(job: Running, storeRoot: string | null, unfinished: boolean): Promise<void> {
    if (!unfinished || !WRITERS.has(job.state.kind) || storeRoot === null) return;
    await openStore(storeRoot).catch(() => undefined);
  }

  private finish(job: Running, state: 'succeeded' | 'failed' | 'cancelled', result?: JobResult, error?: SerializedError): void {
    if (this.ended(job)) return;
    if (job.cancelTimer) clearTimeout(job.cancelTimer);
    job.state.state = state;
    job.state.endedAt = new Date().toISOString();
    // the job thread checked the result against its kind's schema (checkJobResult) before posting it
    if (result !== undefined) job.state = { ...job.state, result } as JobState;
    if (error) job.state.error = error;
    job.state.progress = { ...job.state.progress, fraction: state === 'succeeded' ? 1 : job.state.progress.fraction, stage: state };
    this.emit(job);
    for (const waiter of job.waiters.splice(0)) waiter({ ...job.state });
  }

  private emit(job: Running): void {
    const event: JobEvent = { type: 'job', job: { ...job.state } };
    for (const listener of this.listeners) listener(event);
  }

  private trim(): void {
    const ended = [...this.jobs.values()].filter((j) => this.ended(j));
    for (const job of ended.slice(0, Math.max(0, ended.length - KEEP_ENDED))) this.jobs.delete(job.state.id);
  }
}
