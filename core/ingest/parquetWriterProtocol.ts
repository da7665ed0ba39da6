import type { ParquetFileSummary } from './parquetFooter.js';

/**
 * What the ingest's Parquet writer thread answers (core/ingest/writer/writerThread.ts), by
 * operation, and the shapes its requests carry. A whole small file's rows travel as their
 * column buffers; batches of a segment or a spill as Arrow IPC streams built on the parsing
 * thread.
 */

/** `timestamp`: UTC nanoseconds; `timestamp_us`: UTC microseconds (the values still travel as nanoseconds, whole microseconds). */
export type FieldType = 'timestamp' | 'timestamp_us' | 'float64' | 'int64' | 'utf8';

export interface FieldSpec {
  name: string;
  type: FieldType;
}

export interface WriterSpec {
  fields: FieldSpec[];
  /** One of COMPRESSIONS (core/parquet/compression.ts); the thread refuses another with BAD_REQUEST. */
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

/**
 * One column of a batch: timestamps as BigInt64Array (nanoseconds), numbers as
 * Float64Array, text as strings or UTF-8 bytes with offsets; `valid` one byte per row (null:
 * every row has a value). Arrays may be longer than the batch (only its first rows count).
 */
export interface ColumnPayload {
  data: BigInt64Array | Float64Array | (string | null)[] | Utf8Payload;
  valid: Uint8Array | null;
}

export interface WrittenFile {
  path: string;
  rows: number;
  bytes: number;
  sha256: string;
  /** What the store records about the file, when the writer had all of its bytes at hand (a whole write): the store then does not read it back. */
  summary?: ParquetFileSummary;
}

/** A piece of a file to merge: an earlier segment's file, or a byte range of a spill file. */
export type Piece = { kind: 'parquet'; path: string } | { kind: 'spill'; path: string; offset: number; length: number };

export type WriterOperations = {
  /** Starts a streaming file at `path`, which must not exist (its folder is created when `mkdir`). */
  open: { args: { segment: number; path: string; spec: WriterSpec; mkdir: boolean }; result: Record<string, never> };
  /** Appends a batch to an open segment; answers once the Parquet writer has taken it. */
  append: { args: { segment: number; ipc: Uint8Array }; result: Record<string, never> };
  /** Finishes a segment's file. */
  close: { args: { segment: number }; result: WrittenFile };
  /**
   * Writes a whole file from one batch of columns (timestamps in nanoseconds, whatever the
   * field's unit), without a stream writer. The thread builds the Arrow batch itself: the
   * columns arrive as they were buffered (their memory moved, not copied), which keeps that
   * work off the parsing thread.
   */
  write: { args: { path: string; spec: WriterSpec; columns: ColumnPayload[]; rows: number; mkdir: boolean }; result: WrittenFile };
  /** Appends a batch, length-prefixed, to a spill file. */
  spill: { args: { path: string; ipc: Uint8Array }; result: { offset: number; length: number } };
  /** Writes one file from pieces in order, each cast to the final fields. */
  merge: { args: { path: string; spec: WriterSpec; pieces: Piece[] }; result: WrittenFile };
  /** Test hook: the thread exits (code 3). */
  crash: { args: Record<string, never>; result: never };
};

/** What the writer says about itself with every reply. */
export interface WriterState {
  /** True after a WebAssembly panic: the parent ends the thread. */
  poisoned: boolean;
}
