import type { Worker } from 'node:worker_threads';
import { CorruptedFileError, MesDataError, errorFromJson } from '../errors.js';
import { startThread } from '../threads/startThread.js';
import type { OperationName, ThreadReply, ThreadRequest } from '../threads/threadProtocol.js';
import type { DecoderOperations, DecoderState } from './decoderProtocol.js';

/**
 * Runs Parquet decoding and encoding in disposable worker threads (core/parquet/decoder/).
 *
 * A thread takes one request at a time, so a crash or a hang is pinned on the file that
 * caused it: that request fails with a typed error naming the file, the thread is thrown
 * away and the next request gets a fresh one. Reads waiting in the queue go to a thread
 * together, up to MAX_BATCH in one message (`readMany`): a host answering 200 pages at
 * once spent about a millisecond of its event loop per message on a loaded machine. When a
 * thread dies or hangs on such a batch, its reads go back to the queue to be sent one by
 * one, which pins the failure on its file again. A thread is also retired after a
 * WebAssembly panic and once its WebAssembly memory (which never shrinks) passes
 * `maxWasmBytes`, which bounds the memory a long-lived process holds for decoding.
 */

interface DecoderPoolOptions {
  /** Worker threads that may decode at once (default 1). */
  threads?: number;
  /** Retire a thread whose WebAssembly memory grew past this many bytes (default 2 GiB). */
  maxWasmBytes?: number;
  /** Fail and kill a request that runs longer than this, in milliseconds (default 10 minutes). */
  timeoutMs?: number;
}

type DecoderRequest = ThreadRequest<DecoderOperations>;
type DecoderReply = ThreadReply<DecoderOperations, DecoderState>;

interface Job {
  request: Omit<DecoderRequest, 'id'>;
  transfer: ArrayBuffer[];
  timeoutMs: number;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  /** Set when the WebAssembly decoder crashed on this request and it runs again without it. */
  retried?: boolean;
  /** Sent alone, never in a batch (it was in a batch whose thread died or hung). */
  solo?: boolean;
  /** A `readMany` of several queued reads: its members, and how to queue them again one by one. */
  batch?: { members: Job[]; again: () => void };
}

/** Reads sent to a thread in one message at most. */
const MAX_BATCH = 32;

class DecoderThread {
  private readonly worker: Worker;
  private current: { id: number; job: Job; timer: NodeJS.Timeout } | null = null;
  private nextId = 1;
  dead = false;
  retiring = false;
  wasmBytes = 0;

  constructor(
    private readonly maxWasmBytes: number,
    private readonly onIdle: (thread: DecoderThread) => void,
    private readonly onCrash: (job: Job, reason: string) => void,
  ) {
    this.worker = startThread('parquetDecoder');
    this.worker.unref();
    this.worker.on('message', (reply: DecoderReply) => this.onReply(reply));
    this.worker.on('error', (error) => this.onDeath(error.message));
    this.worker.on('exit', (code) => this.onDeath(`decoder thread exited with code ${code}`));
  }

  get busy(): boolean {
    return this.current !== null;
  }

  run(job: Job): void {
    const id = this.nextId++;
    const timer = setTimeout(() => {
      this.failCurrent(
        new MesDataError('TIMEOUT', `decoding ${describe(job)} took longer than ${job.timeoutMs} ms and was stopped`, {
          path: job.request.args.path,
          timeoutMs: job.timeoutMs,
        }),
      );
      this.kill();
      // the requests waiting behind it go to a fresh thread
      this.onIdle(this);
    }, job.timeoutMs);
    this.current = { id, job, timer };
    this.worker.ref();
    const request = { id, ...job.request } as DecoderRequest;
    this.worker.postMessage(request, job.transfer);
  }

  kill(): void {
    this.dead = true;
    void this.worker.terminate();
  }

  /** Fails the request in progress with `error` and ends the thread. */
  cancel(error: Error): void {
    this.failCurrent(error);
    this.kill();
  }

  private onReply(reply: DecoderReply): void {
    const current = this.current;
    if (!current || current.id !== reply.id) return;
    clearTimeout(current.timer);
    this.current = null;
    this.worker.unref();
    this.wasmBytes = reply.wasmBytes;
    if (reply.poisoned || reply.wasmBytes > this.maxWasmBytes) this.retiring = true;
    if (reply.ok) current.job.resolve(reply.result);
    else current.job.reject(errorFromJson(reply.error));
    if (this.retiring) this.kill();
    this.onIdle(this);
  }

  private onDeath(reason: string): void {
    if (this.dead && !this.current) return;
    this.dead = true;
    const current = this.current;
    if (current) {
      clearTimeout(current.timer);
      this.current = null;
      this.onCrash(current.job, reason);
    }
    this.onIdle(this);
  }

  private failCurrent(error: Error): void {
    const current = this.current;
    if (!current) return;
    clearTimeout(current.timer);
    this.current = null;
    current.job.reject(error);
  }
}

function describe(job: Job): string {
  return job.request.args.path;
}

export class DecoderPool {
  private readonly threads: DecoderThread[] = [];
  private readonly queue: Job[] = [];
  private readonly size: number;
  private readonly maxWasmBytes: number;
  private readonly timeoutMs: number;

  constructor(options: DecoderPoolOptions = {}) {
    this.size = Math.max(1, options.threads ?? 1);
    this.maxWasmBytes = options.maxWasmBytes ?? 2 * 1024 ** 3;
    this.timeoutMs = options.timeoutMs ?? 10 * 60_000;
  }

  /** Sends one operation to a decoder thread; resolves with its result or rejects with a typed error. */
  request<Op extends OperationName<DecoderOperations>>(
    op: Op,
    args: DecoderOperations[Op]['args'],
    options: { transfer?: ArrayBuffer[]; timeoutMs?: number } = {},
  ): Promise<DecoderOperations[Op]['result']> {
    return new Promise<DecoderOperations[Op]['result']>((resolve, reject) => {
      this.queue.push({
        request: { op, args },
        transfer: options.transfer ?? [],
        timeoutMs: options.timeoutMs ?? this.timeoutMs,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      this.dispatch();
    });
  }

  /**
   * Starts a thread now, so the first request does not wait for one (about 50–100 ms:
   * loading and compiling the WebAssembly decoder).
   */
  warm(): void {
    if (this.threads.some((t) => !t.dead && !t.retiring)) return;
    this.threads.push(this.newThread());
  }

  /** Threads started and not yet ended. */
  get liveThreads(): number {
    return this.threads.filter((t) => !t.dead).length;
  }

  /** WebAssembly memory held by live threads, in bytes. */
  get wasmBytes(): number {
    return this.threads.reduce((sum, thread) => sum + (thread.dead ? 0 : thread.wasmBytes), 0);
  }

  /** Ends every thread; pending requests fail. */
  async close(): Promise<void> {
    for (const job of this.queue.splice(0)) job.reject(new MesDataError('CANCELLED', 'the decoder pool was closed'));
    for (const thread of this.threads.splice(0)) thread.cancel(new MesDataError('CANCELLED', 'the decoder pool was closed'));
    await Promise.resolve();
  }

  /**
   * A thread died under `job`. Reads get one more try on a fresh thread with the
   * WebAssembly decoder switched off (the pure-JavaScript reader may still manage, or at
   * least tell why not); anything else fails with CORRUPTED_FILE naming the file.
   */
  private crashed(job: Job, reason: string): void {
    if (job.batch) {
      job.batch.again();
      return;
    }
    const { request } = job;
    if (!job.retried && (request.op === 'read' || request.op === 'open')) {
      job.retried = true;
      job.request = { ...request, args: { ...request.args, wasmCrash: reason } };
      this.queue.unshift(job);
      return;
    }
    job.reject(new CorruptedFileError(`the decoder crashed on ${describe(job)}: ${reason}`, { path: request.args.path, reason }));
  }

  private newThread(): DecoderThread {
    return new DecoderThread(
      this.maxWasmBytes,
      () => this.dispatch(),
      (job, reason) => this.crashed(job, reason),
    );
  }

  private dispatch(): void {
    for (let i = this.threads.length - 1; i >= 0; i--) {
      if (this.threads[i].dead) this.threads.splice(i, 1);
    }
    while (this.queue.length > 0) {
      let thread = this.threads.find((t) => !t.busy && !t.dead && !t.retiring);
      if (!thread && this.threads.length < this.size) {
        thread = this.newThread();
        this.threads.push(thread);
      }
      if (!thread) return;
      const job = this.takeBatch() ?? this.queue.shift();
      if (job) thread.run(job);
    }
  }

  private static batchable(job: Job): boolean {
    return job.request.op === 'read' && !job.solo && (job.request.args as DecoderOperations['read']['args']).wasmCrash === undefined;
  }

  /**
   * The reads waiting in the queue, as one `readMany` job, when the queue starts with at
   * least two of them (the rest of the queue keeps its order); null otherwise.
   */
  private takeBatch(): Job | null {
    if (this.queue.length < 2 || !DecoderPool.batchable(this.queue[0])) return null;
    const members: Job[] = [];
    for (let i = 0; i < this.queue.length && members.length < MAX_BATCH; ) {
      if (DecoderPool.batchable(this.queue[i])) members.push(...this.queue.splice(i, 1));
      else i++;
    }
    if (members.length === 1) {
      this.queue.unshift(members[0]);
      return null;
    }
    type ReadArgs = DecoderOperations['read']['args'];
    const reads = members.map((m) => m.request.args as ReadArgs);
    const again = () => {
      for (const m of [...members].reverse()) {
        m.solo = true;
        this.queue.unshift(m);
      }
      // once the thread that failed them is marked dead
      queueMicrotask(() => this.dispatch());
    };
    return {
      request: { op: 'readMany', args: { path: reads[0].path, reads } },
      transfer: [],
      timeoutMs: Math.max(...members.map((m) => m.timeoutMs)),
      batch: { members, again },
      resolve: (value) => {
        const { results } = value as DecoderOperations['readMany']['result'];
        members.forEach((m, k) => {
          const r = results[k];
          if (r?.ok) m.resolve({ ipc: r.ipc, decoder: r.decoder });
          else if (r) m.reject(errorFromJson(r.error));
        });
        // the reads after a panic poisoned the thread: a fresh thread reads them, one by one
        const unread = members.slice(results.length);
        for (const m of unread.reverse()) {
          m.solo = true;
          this.queue.unshift(m);
        }
      },
      reject: (error) => {
        // closing fails them all; a hang (TIMEOUT) sends them again one by one
        if (error instanceof MesDataError && error.code === 'CANCELLED') members.forEach((m) => m.reject(error));
        else again();
      },
    };
  }
}

let shared: DecoderPool | null = null;

/** The process-wide pool used when a caller passes none. */
export function sharedDecoderPool(): DecoderPool {
  shared ??= new DecoderPool();
  return shared;
}
