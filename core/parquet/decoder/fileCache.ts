import fs from 'node:fs';
import path from 'node:path';
import type { FileMetaData } from 'hyparquet';
import type { ParquetFile } from 'parquet-wasm/node';
import { readFooter, statFile } from './footer.js';
import { WasmCrash, isPoisoned, notePanic, wasm } from '../wasmRuntime.js';

/**
 * The files this thread has open: the footer parsed once, the row each row group starts at,
 * and either the whole file in memory (small files) or parquet-wasm's handle. An entry is
 * used again while the file's size and modification time are unchanged; the eight most
 * recently used are kept.
 */

const FILE_CACHE_LIMIT = 8;

/**
 * Files up to this size are read whole, in one synchronous read, and decoded from memory.
 * A page of a trading date of bars (a file of about 15 KB) then costs one read: through
 * parquet-wasm's blob reader it took several asynchronous reads, each a trip through the
 * process's four libuv threads, which the host's own file work waits for too (200 pages at
 * once: 2.2 ms of the decoder's time per page, against 0.7 ms from memory). Eight entries
 * of this size bound what a thread keeps at 32 MiB.
 */
const IN_MEMORY_MAX_BYTES = 4 * 1024 * 1024;

export interface CachedFile {
  /** The absolute path. */
  key: string;
  size: number;
  mtimeMs: number;
  metadata: FileMetaData;
  rowStarts: number[];
  /** The whole file, for a file of at most IN_MEMORY_MAX_BYTES (no parquet-wasm handle then). */
  bytes: Uint8Array | null;
  wasmFile: ParquetFile | null;
  /** Why parquet-wasm could not open the file (or a WasmCrash when it died on it in an earlier thread). */
  wasmOpenError: unknown;
}

const cache = new Map<string, CachedFile>();

/**
 * The file's cached entry, opened afresh when it changed on disk.
 * @param wasmCrash set when the WebAssembly decoder died on this file before: no parquet-wasm handle then
 */
export async function openCached(filePath: string, wasmCrash?: string): Promise<CachedFile> {
  const absolute = path.resolve(filePath);
  const stats = statFile(absolute);
  const hit = cache.get(absolute);
  if (hit && hit.size === stats.size && hit.mtimeMs === stats.mtimeMs && wasmCrash === undefined) {
    cache.delete(absolute);
    cache.set(absolute, hit);
    return hit;
  }
  if (hit) dropCached(absolute);
  let bytes = stats.size <= IN_MEMORY_MAX_BYTES ? readWhole(absolute, stats.size) : null;
  const metadata = await readFooter(filePath, stats.size, bytes ?? undefined);
  // nested columns stay with the streaming reader: the in-memory one read no rows of a
  // repeated group without annotation (parquet-testing's repeated_no_annotation.parquet)
  if (bytes && !isFlat(metadata)) bytes = null;
  const rowStarts: number[] = [];
  let start = 0;
  for (const group of metadata.row_groups) {
    rowStarts.push(start);
    start += Number(group.num_rows);
  }
  const entry: CachedFile = { key: absolute, size: stats.size, mtimeMs: stats.mtimeMs, metadata, rowStarts, bytes, wasmFile: null, wasmOpenError: null };
  if (wasmCrash !== undefined) {
    entry.wasmOpenError = new WasmCrash(wasmCrash);
  } else if (!isPoisoned() && bytes === null) {
    try {
      const blob = await fs.openAsBlob(absolute);
      entry.wasmFile = await wasm.ParquetFile.fromFile(blob);
    } catch (error) {
      notePanic(error);
      entry.wasmOpenError = error;
    }
  }
  cache.set(absolute, entry);
  while (cache.size > FILE_CACHE_LIMIT) {
    const oldest = cache.keys().next().value;
    if (oldest === undefined) break;
    dropCached(oldest);
  }
  return entry;
}

/** Every column a top-level leaf that is not repeated. */
function isFlat(metadata: FileMetaData): boolean {
  return metadata.schema.slice(1).every((element) => !element.num_children && element.repetition_type !== 'REPEATED');
}

/** The file's bytes in one read; null when it is no longer `size` bytes long (it changed since its stat: read as a large file). */
function readWhole(file: string, size: number): Uint8Array | null {
  const fd = fs.openSync(file, 'r');
  try {
    const bytes = new Uint8Array(size);
    let done = 0;
    while (done < size) {
      const n = fs.readSync(fd, bytes, done, size - done, done);
      if (n === 0) break;
      done += n;
    }
    return done === size ? bytes : null;
  } finally {
    fs.closeSync(fd);
  }
}

/** Forgets a file (by its absolute path) and frees its parquet-wasm handle. */
export function dropCached(key: string): void {
  const entry = cache.get(key);
  cache.delete(key);
  if (entry?.wasmFile && !isPoisoned()) {
    try {
      entry.wasmFile.free();
    } catch {
      // a freed or poisoned handle has nothing left to release
    }
  }
}
