import type { Worker } from 'node:worker_threads';
import { MesDataError, errorFromJson } from '../errors.js';
import { wholeBuffer } from '../threads/serveOperations.js';
import { startThread } from '../threads/startThread.js';
import type { OperationName, ThreadReply, ThreadRequest } from '../threads/threadProtocol.js';
import type { ColumnPayload, Piece, WriterOperations, WriterSpec, WriterState, WrittenFile } from './parquetWriterProtocol.js';

export type { ColumnPayload, FieldSpec, FieldType, Piece, Utf8Payload, WriterSpec, WrittenFile } from './parquetWriterProtocol.js';

/**
 * The parent side of the ingest's Parquet writer thread (core/ingest/writer/): a thread that
 * writes Parquet files batch by batch (segments), appends batches to spill files and merges
 * pieces into one file. A small date's rows (most dates) travel as their column buffers, and
 * the thread builds the Arrow batch: the parsing thread is the busier one (4.0M one-minute
 * bars: about 0.9 s of its time went to building 2,899 IPC streams). Batches of segments and
 * spills travel as Arrow IPC streams. Every call resolves once the thread has done it; `append` resolves once the Parquet
 * writer has taken the batch, which is what keeps memory bounded when encoding is the
 * slower side. When the thread dies, every call waiting on it fails with WRITE_FAILED naming
 * the file it was about.
 */

type WriterReply = ThreadReply<WriterOperations, WriterState>;

interface Waiter {
  /** The file the request is about. */
  path: string | null;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export class ParquetStreamWriter {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Waiter>();
  /** The file of each open segment, for the errors of calls that name only the segment. */
  private readonly segmentPaths = new Map<number, string>();
  private nextId = 1;
  private dead: Error | null = null;

  constructor() {
    this.worker = startThread('parquetWriter');
    this.worker.on('message', (reply: WriterReply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.result);
      else waiter.reject(errorFromJson(reply.error));
      if (reply.poisoned) this.fail((path) => new MesDataError('WRITE_FAILED', `the Parquet writer crashed (WebAssembly panic)${onFile(path)}`, { path }));
    });
    this.worker.on('error', (error) =>
      this.fail((path) => new MesDataError('WRITE_FAILED', `the Parquet writer thread failed${onFile(path)}: ${error.message}`, { path, reason: error.message })),
    );
    this.worker.on('exit', (code) =>
      this.fail((path) => new MesDataError('WRITE_FAILED', `the Parquet writer thread exited with code ${code}${onFile(path)}`, { path, exitCode: code })),
    );
  }

  /** Requests waiting for the thread. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Starts a streaming file at `path` (which must not exist; its folder is created when `mkdir`). */
  async open(segment: number, path: string, spec: WriterSpec, mkdir = false): Promise<void> {
    this.segmentPaths.set(segment, path);
    await this.request('open', { segment, path, spec, mkdir });
  }

  /** Appends a batch (an Arrow IPC stream with the segment's fields). */
  async append(segment: number, ipc: Uint8Array): Promise<void> {
    await this.request('append', { segment, ipc }, wholeBuffer(ipc));
  }

  async close(segment: number): Promise<WrittenFile> {
    try {
      return await this.request('close', { segment });
    } finally {
      this.segmentPaths.delete(segment);
    }
  }

  /**
   * Writes a whole file from one batch of columns without a stream writer: the fast path for
   * small partitions. The columns' buffers move to the thread (they are unusable here after).
   */
  write(path: string, spec: WriterSpec, columns: ColumnPayload[], rows: number, mkdir = false): Promise<WrittenFile> {
    return this.request('write', { path, spec, columns, rows, mkdir }, buffersOf(columns));
  }

  /** Appends a batch (an Arrow IPC stream) to a spill file; resolves with where it went. */
  spill(path: string, ipc: Uint8Array): Promise<{ offset: number; length: number }> {
    return this.request('spill', { path, ipc }, wholeBuffer(ipc));
  }

  merge(path: string, spec: WriterSpec, pieces: Piece[]): Promise<WrittenFile> {
    return this.request('merge', { path, spec, pieces });
  }

  /** Ends the thread; requests still waiting fail. */
  async terminate(): Promise<void> {
    this.fail(() => new MesDataError('CANCELLED', 'the Parquet writer was stopped'));
    await this.worker.terminate();
  }

  /** Sends one operation to the thread (exported for tests of the thread's protocol). */
  request<Op extends OperationName<WriterOperations>>(op: Op, args: WriterOperations[Op]['args'], transfer: ArrayBuffer[] = []): Promise<WriterOperations[Op]['result']> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    const path = 'path' in args ? args.path : 'segment' in args ? (this.segmentPaths.get(args.segment) ?? null) : null;
    return new Promise<WriterOperations[Op]['result']>((resolve, reject) => {
      this.pending.set(id, { path, resolve: resolve as (value: unknown) => void, reject });
      const request: ThreadRequest<WriterOperations> = { id, op, args } as ThreadRequest<WriterOperations>;
      this.worker.postMessage(request, transfer);
    });
  }

  private fail(errorFor: (path: string | null) => Error): void {
    if (!this.dead) this.dead = errorFor(null);
    for (const waiter of this.pending.values()) waiter.reject(errorFor(waiter.path));
    this.pending.clear();
  }
}

function onFile(path: string | null): string {
  return path === null ? '' : ` while writing ${path}`;
}

/** The distinct ArrayBuffers under the columns (a SharedArrayBuffer is shared, not moved). */
function buffersOf(columns: ColumnPayload[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  const add = (view: ArrayBufferView | null) => {
    if (view && view.buffer instanceof ArrayBuffer) buffers.add(view.buffer);
  };
  for (const { data, valid } of columns) {
    add(valid);
    if (ArrayBuffer.isView(data)) add(data);
    else if (!Array.isArray(data)) {
      add(data.offsets);
      add(data.bytes);
    }
  }
  return [...buffers];
}
