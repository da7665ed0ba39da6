import type { SerializedError } from '../errors.js';
import type { Compression } from './compression.js';
import type { ParquetFileInfo } from './parquetFile.js';

/**
 * What the Parquet decoder thread answers (core/parquet/decoder/decoderThread.ts), by
 * operation: its arguments and its result. Every operation names the file it is about, so a
 * thread that dies or hangs on a request fails it with an error naming that file.
 * `wasmCrash` is set by the pool when a thread died on an open or a read and it runs again
 * in a fresh thread, without the WebAssembly decoder's streaming reader.
 */
export type DecoderOperations = {
  /** The footer as plain data and the Arrow schema (an IPC stream without rows). */
  open: { args: { path: string; wasmCrash?: string }; result: { summary: ParquetFileInfo; schemaIpc: Uint8Array } };
  /** Rows [offset, offset + limit) of the chosen columns (all when omitted) as an Arrow IPC stream. */
  read: {
    args: { path: string; columns?: string[]; offset?: number; limit?: number; wasmCrash?: string };
    result: { ipc: Uint8Array; decoder: 'parquet-wasm' | 'hyparquet' };
  };
  /**
   * Several reads in one request (the pool sends the reads waiting in its queue together, so
   * 200 pages at once cross between the threads in a few messages, not 400); each read's
   * result or error in order. A read that poisons the thread ends the batch: the reads after
   * it get no entry, and the pool sends them again to a fresh thread. Reads of one row group
   * may share one decode of it (decoder/sharedReads.ts). `path` is the first read's file.
   */
  readMany: {
    args: { path: string; reads: { path: string; columns?: string[]; offset?: number; limit?: number }[] };
    result: { results: ({ ok: true; ipc: Uint8Array; decoder: 'parquet-wasm' | 'hyparquet' } | { ok: false; error: SerializedError })[] };
  };
  /** Encodes an Arrow IPC stream and replaces `path` with it atomically. */
  write: {
    args: { path: string; ipc: Uint8Array; compression: Compression; rowGroupSize: number; keyValue: Record<string, string>; createdBy: string; deltaColumns?: string[] };
    result: { path: string; bytes: number };
  };
  /** Drops the thread's cached handle of `path`. */
  forget: { args: { path: string }; result: Record<string, never> };
  /** Test hook: the thread exits (code 3) while working on `path`. */
  crash: { args: { path: string }; result: never };
  /** Test hook: the thread never answers. */
  hang: { args: { path: string }; result: never };
};

/** What the decoder says about itself with every reply. */
export interface DecoderState {
  /** The size of its WebAssembly memory, which never shrinks. */
  wasmBytes: number;
  /** True after a WebAssembly panic: the pool retires the thread. */
  poisoned: boolean;
}
