import fs from 'node:fs';
import path from 'node:path';
import type { FileMetaData } from 'hyparquet';
import type { ParquetFile } from 'parquet-wasm/node';
import { readFooter, statFile } from './footer.js';
import { WasmCrash, isPoisoned, notePanic, wasm } from '../wasmRuntime.js';

/**
 * The files this thread has open: the footer parsed once, the row each row group starts at,
 * and parquet-wasm's handle. An entry is used again while the file's size and modification
 * time are unchanged; the eight most recently used are kept.
 */

const FILE_CACHE_LIMIT = 8;

export interface CachedFile {
  /** The absolute path. */
  key: string;
  size: number;
  mtimeMs: number;
  metadata: FileMetaData;
  rowStarts: number[];
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
  const metadata = await readFooter(filePath, stats.size);
  const rowStarts: number[] = [];
  let start = 0;
  for (const group of metadata.row_groups) {
    rowStarts.push(start);
    start += Number(group.num_rows);
  }
  const entry: CachedFile = { key: absolute, size: stats.size, mtimeMs: stats.mtimeMs, metadata, rowStarts, wasmFile: null, wasmOpenError: null };
  if (wasmCrash !== undefined) {
    entry.wasmOpenError = new WasmCrash(wasmCrash);
  } else if (!isPoisoned()) {
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
