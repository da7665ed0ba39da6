import { Worker } from 'node:worker_threads';
import { MesDataError, errorFromJson, type SerializedError } from '../errors.js';

/**
 * The parent side of parquetStreamWorker.mjs: a thread that writes Parquet files batch by
 * batch (segments), appends batches to spill files and merges pieces into one file.
 * Batches travel as Arrow IPC streams built on the parsing thread, which has time to spare
 * while the writer thread encodes (on two cores that balances the work). Every
 * call resolves once the thread has done it; `append` resolves once the Parquet writer
 * has taken the batch, which is what keeps memory bounded when encoding is the slower side.
 */

/** `timestamp`: UTC nanoseconds; `timestamp_us`: UTC microseconds (the values still travel as nanoseconds, whole microseconds). */
export type FieldType = 'timestamp' | 'timestamp_us' | 'float64' | 'int64' | 'utf8';

export interface FieldSpec {
  name: string;
  type: FieldType;
}

export interface WriterSpec {
  fields: FieldSpec[];
  compression: string;
  rowGroupSize: number;
  keyValue: Record<string, string>;
  createdBy: string;
  fsync: boolean;
}

/** Text as Arrow lays it out: `bytes[offsets[i], offsets[i+1])` is row i (UTF-8). */
export interface Utf8Payload {
  offsets: Int32Array;
  bytes: Uint8Array;
}

/** One column of a batch: see the worker for the shapes. Arrays may be longer than the batch (only its first rows count). */
export interface ColumnPayload {
  data: BigInt64Array | Float64Array | (string | null)[] | Utf8Payload;
  valid: Uint8Array | null;
}

export interface WrittenFile {
  path: string;
  rows: number;
  bytes: number;
  sha256: string;
}

export type Piece = { kind: 'parquet'; path: string } | { kind: 'spill'; path: string; offset: number; length: number };

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: SerializedError;
  poisoned: boolean;
}

const WORKER_URL = new URL('./parquetStreamWorker.mjs', import.meta.url);

export class ParquetStreamWriter {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private dead: Error | null = null;

  constructor() {
    this.worker = new Worker(WORKER_URL);
    this.worker.on('message', (reply: Reply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.result);
      else waiter.reject(errorFromJson(reply.error ?? { code: 'WRITE_FAILED', message: 'the Parquet writer failed', details: {} }));
      if (reply.poisoned) this.fail(new MesDataError('WRITE_FAILED', 'the Parquet writer crashed (WebAssembly panic)'));
    });
    this.worker.on('error', (error) => this.fail(new MesDataError('WRITE_FAILED', `the Parquet writer thread failed: ${error.message}`)));
    this.worker.on('exit', (code) => this.fail(new MesDataError('WRITE_FAILED', `the Parquet writer thread exited with code ${code}`)));
  }

  /** Requests waiting for the thread. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Starts a streaming file at `path` (which must not exist; its folder is created when `mkdir`). */
  open(segment: number, path: string, spec: WriterSpec, mkdir = false): Promise<void> {
    return this.request<void>('open', { segment, path, spec, mkdir });
  }

  /** Appends a batch (an Arrow IPC stream with the segment's fields). */
  append(segment: number, ipc: Uint8Array): Promise<void> {
    return this.request<void>('append', { segment, ipc }, transferable(ipc));
  }

  close(segment: number): Promise<WrittenFile> {
    return this.request<WrittenFile>('close', { segment });
  }

  /** Writes a whole file from one batch (an Arrow IPC stream) without a stream writer: the fast path for small partitions. */
  write(path: string, spec: WriterSpec, ipc: Uint8Array, rows: number, mkdir = false): Promise<WrittenFile> {
    return this.request<WrittenFile>('write', { path, spec, ipc, rows, mkdir }, transferable(ipc));
  }

  /** Appends a batch (an Arrow IPC stream) to a spill file; resolves with where it went. */
  spill(path: string, ipc: Uint8Array): Promise<{ offset: number; length: number }> {
    return this.request('spill', { path, ipc }, transferable(ipc));
  }

  merge(path: string, spec: WriterSpec, pieces: Piece[]): Promise<WrittenFile> {
    return this.request<WrittenFile>('merge', { path, spec, pieces });
  }

  /** Ends the thread; requests still waiting fail. */
  async terminate(): Promise<void> {
    this.fail(new MesDataError('CANCELLED', 'the Parquet writer was stopped'));
    await this.worker.terminate();
  }

  private request<T>(op: string, args: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ id, op, args }, transfer);
    });
  }

  private fail(error: Error): void {
    if (!this.dead) this.dead = error;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}

/** The bytes' buffer, handed over instead of copied when the bytes are all of it. */
function transferable(bytes: Uint8Array): ArrayBuffer[] {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer ? [bytes.buffer] : [];
}
