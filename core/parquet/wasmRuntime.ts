import { createRequire } from 'node:module';
import type * as ParquetWasm from 'parquet-wasm/node';
import { BadRequestError } from '../errors.js';
import { COMPRESSIONS, PARQUET_CODECS, isCompression, type Compression } from './compression.js';

/**
 * parquet-wasm in a thread of its own, and what that thread must remember about it. The
 * WebAssembly decoder can panic (`RuntimeError: unreachable`) on a malformed file, after
 * which its instance must not be used again, and its linear memory never shrinks: so it is
 * loaded only in threads that can be thrown away (the decoder and the ingest writer), each
 * of which has its own copy of this module and of its `poisoned` flag.
 */
let loaded: typeof ParquetWasm | null = null;
/**
 * parquet-wasm, loaded on first use: compiling its 5 MB of WebAssembly is 50–110 ms of a
 * thread's start, which the command line's main thread (it holds this module too, for the
 * jobs it runs) pays only when one of them encodes Parquet there.
 */
export const wasm: typeof ParquetWasm = new Proxy({} as typeof ParquetWasm, {
  get: (_target, key): unknown => Reflect.get((loaded ??= createRequire(import.meta.url)('parquet-wasm/node') as typeof ParquetWasm), key),
});

let poisoned = false;

/** True after a WebAssembly panic in this thread: the parent must retire it. */
export function isPoisoned(): boolean {
  return poisoned;
}

/** The WebAssembly decoder died (panic or abort) on an earlier attempt at a file, in another thread. */
export class WasmCrash extends Error {}

/** A WebAssembly trap (RuntimeError, named so without DOM typings) or an earlier crash. */
export function isWasmPanic(error: unknown): boolean {
  return (error instanceof Error && error.name === 'RuntimeError') || error instanceof WasmCrash;
}

/** Marks this thread poisoned when `error` is a WebAssembly panic (or the crash of an earlier one). */
export function notePanic(error: unknown): void {
  if (isWasmPanic(error)) poisoned = true;
}

/** The size of this thread's WebAssembly memory, in bytes. */
export function wasmBytes(): number {
  try {
    // WebAssembly.Memory, whose type needs the DOM library
    return (wasm.wasmMemory() as unknown as { buffer: ArrayBuffer }).buffer.byteLength;
  } catch {
    return 0;
  }
}

interface EncodingOptions {
  compression: string;
  rowGroupSize: number;
  createdBy: string;
  keyValue: Record<string, string>;
  /** Columns written without a dictionary and delta-encoded (timestamps: all different, evenly spaced). */
  deltaColumns: readonly string[];
}

/** Throws BAD_REQUEST for a codec not in COMPRESSIONS. */
export function checkCompression(compression: string): asserts compression is Compression {
  if (!isCompression(compression)) throw new BadRequestError(`unknown compression "${compression}"; use one of ${COMPRESSIONS.join(', ')}`, { compression });
}

/** parquet-wasm's writer properties. Throws BAD_REQUEST for a codec not in COMPRESSIONS. */
export function writerProperties(options: EncodingOptions): ParquetWasm.WriterProperties {
  checkCompression(options.compression);
  let builder = new wasm.WriterPropertiesBuilder()
    .setCompression(wasm.Compression[PARQUET_CODECS[options.compression]])
    .setMaxRowGroupSize(options.rowGroupSize)
    .setCreatedBy(options.createdBy)
    .setKeyValueMetadata(new Map(Object.entries(options.keyValue)));
  for (const column of options.deltaColumns) {
    builder = builder.setColumnDictionaryEnabled(column, false).setColumnEncoding(column, wasm.Encoding.DELTA_BINARY_PACKED);
  }
  return builder.build();
}
