import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { serveOperations, wholeBuffer } from '../../threads/serveOperations.js';
import type { DecoderOperations, DecoderState } from '../decoderProtocol.js';
import { isPoisoned, wasmBytes } from '../wasmRuntime.js';
import { encodeFile } from './encodeFile.js';
import { dropCached } from './fileCache.js';
import { openFile, readRows } from './readRows.js';
import { readBatch } from './sharedReads.js';

/**
 * The Parquet decoder thread (its parent: core/parquet/decoderPool.ts). Every byte of an
 * untrusted Parquet file is decoded here, never on the caller's thread: parquet-wasm can
 * panic on a malformed file and its memory never shrinks, and a thread that can be thrown
 * away contains both (core/parquet/wasmRuntime.ts). It answers the operations of
 * DecoderOperations, with its WebAssembly memory and whether it is poisoned in every reply.
 */
if (isMainThread) throw new Error('decoderThread must run as a worker thread');

serveOperations<DecoderOperations, DecoderState>(
  {
    open: (args) => openFile(args.path, args.wasmCrash),
    read: (args) => readRows(args.path, args),
    readMany: async ({ reads }) => ({ results: await readBatch(reads) }),
    write: (args) => encodeFile(args.path, args),
    forget: (args) => {
      dropCached(path.resolve(args.path));
      return {};
    },
    // test hook: proves a dying decoder fails its request and not the caller
    crash: () => process.exit(3),
    // test hook: proves a decoder stuck on a file is stopped by the timeout
    hang: () => new Promise<never>(() => {}),
  },
  {
    name: 'the Parquet decoder',
    state: () => ({ wasmBytes: wasmBytes(), poisoned: isPoisoned() }),
    transfer: (result) => {
      if ('results' in result) return result.results.flatMap((r) => (r.ok ? wholeBuffer(r.ipc) : []));
      const bytes = 'ipc' in result ? result.ipc : 'schemaIpc' in result ? result.schemaIpc : null;
      return bytes instanceof Uint8Array ? wholeBuffer(bytes) : [];
    },
  },
);
