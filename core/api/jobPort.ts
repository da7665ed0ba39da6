import { parentPort, workerData } from 'node:worker_threads';
import type { JobParams } from './contract.js';
import type { JobThreadSettings, WorkerMessage } from './jobManager.js';

/** What a job is started with: its parameters, the open store, how it yields to its host. */
export interface JobStart {
  params: JobParams;
  storeRoot: string | null;
  threadSettings: JobThreadSettings | null;
  /** the bucket (s3://…) whose working copy `storeRoot` is: a writer pulls, runs on it and publishes (core/api/bucketStore.ts) */
  bucket?: string | null;
}

/** What the host sends a running job: its start (to a process), or the request to stop. */
export type HostMessage = ({ type: 'start' } & JobStart) | { type: 'cancel' };

/**
 * A job's side of its link to the host, the same whether the job runs in a thread of the
 * host (the command line's jobs: the start comes as workerData, messages through the
 * thread's port) or in a child process of its own (the browser mode: the start is the first
 * message over node's IPC channel). A process whose host goes away (its channel closes)
 * is told to stop as a cancel would, and ends after ORPHAN_GRACE_MS whatever it is doing (a
 * store lock it held is then stale, and the store's next opening recovers what it left).
 */
interface JobPort {
  /** True when the job has a process of its own. */
  readonly ownProcess: boolean;
  readonly start: Promise<JobStart>;
  send(message: WorkerMessage): Promise<void>;
  onCancel(listener: () => void): void;
  /** Ends the link (a process exits once what it sent has gone). */
  close(): void;
}

/** How long a job whose host went away may take to clean up before its process ends anyway. */
const ORPHAN_GRACE_MS = 15_000;

export function jobPort(): JobPort {
  const port = parentPort;
  if (port) {
    return {
      ownProcess: false,
      start: Promise.resolve(workerData as JobStart),
      send: (message) => {
        port.postMessage(message);
        return Promise.resolve();
      },
      onCancel: (listener) => port.on('message', (message: HostMessage) => message.type === 'cancel' && listener()),
      close: () => port.close(),
    };
  }
  const send = process.send?.bind(process);
  if (!send) throw new Error('a job runs in a worker thread or in a child process with an IPC channel');
  let started: (start: JobStart) => void = () => undefined;
  const start = new Promise<JobStart>((resolve) => (started = resolve));
  const cancels: (() => void)[] = [];
  const cancel = () => {
    for (const listener of cancels.splice(0)) listener();
  };
  process.on('message', (message: HostMessage) => {
    if (message.type === 'start') started({ params: message.params, storeRoot: message.storeRoot, threadSettings: message.threadSettings, bucket: message.bucket ?? null });
    else if (message.type === 'cancel') cancel();
  });
  // the host is gone: stop as a cancel would, and end even if the job does not stop
  process.on('disconnect', () => {
    cancel();
    setTimeout(() => process.exit(1), ORPHAN_GRACE_MS).unref();
  });
  return {
    ownProcess: true,
    start,
    send: (message) =>
      new Promise((resolve) => {
        if (!process.connected) return resolve();
        send(message, undefined, undefined, () => resolve());
      }),
    onCancel: (listener) => cancels.push(listener),
    close: () => {
      if (process.connected) process.disconnect();
      // what is left (a timer of a library, DuckDB's handles) does not keep the job's process alive
      process.exit(0);
    },
  };
}
