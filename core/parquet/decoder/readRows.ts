import fs from 'node:fs';
import type { Table } from 'parquet-wasm/node';
import { CorruptedFileError, MesDataError, UnsupportedFileError } from '../../errors.js';
import type { DecoderOperations } from '../decoderProtocol.js';
import type { ParquetFileInfo } from '../parquetFile.js';
import { WasmCrash, isPoisoned, isWasmPanic, notePanic, wasm } from '../wasmRuntime.js';
import { FallbackUnsupported, fallbackRead } from './fallbackReader.js';
import { openCached, type CachedFile } from './fileCache.js';
import { messageOf } from './footer.js';
import { summarize } from './footerSummary.js';
import { checkColumns, readsInt96, refuseOversizedChunks, rowCount, rowGroupsFor, uncompressedBytes, type ReaderOptions } from './rowSelection.js';

/**
 * Opening a file and reading rows of it: parquet-wasm's streaming reader first, its
 * in-memory reader when the streaming one died on the file in an earlier thread, and the
 * pure-JavaScript fallback when both fail; the failures of all of them become one typed
 * error naming the file.
 */

/** Largest read (uncompressed bytes) the in-memory reader retries after the streaming reader crashed. */
const SYNC_RETRY_MAX_BYTES = 256 * 1024 * 1024;

type ReadArgs = DecoderOperations['read']['args'];
type ReadResult = DecoderOperations['read']['result'];

/** The footer as plain data and the Arrow schema as an IPC stream without rows. */
export async function openFile(filePath: string, wasmCrash: string | undefined): Promise<{ summary: ParquetFileInfo; schemaIpc: Uint8Array }> {
  const entry = await openCached(filePath, wasmCrash);
  const summary = summarize(filePath, entry);
  let schemaIpc: Uint8Array;
  try {
    if (readsInt96(entry.metadata, undefined)) {
      try {
        return { summary, schemaIpc: await fallbackRead(entry, undefined, 0, 0) };
      } catch {
        // nested INT96 columns: the WebAssembly decoder's schema below
      }
    }
    if (entry.bytes && entry.wasmOpenError === null && !isPoisoned()) schemaIpc = wasm.readSchema(entry.bytes).intoIPCStream();
    else if (!entry.wasmFile) throw entry.wasmOpenError instanceof Error ? entry.wasmOpenError : new Error(messageOf(entry.wasmOpenError));
    else schemaIpc = entry.wasmFile.schema().intoIPCStream();
  } catch (error) {
    notePanic(error);
    try {
      schemaIpc = await fallbackRead(entry, undefined, 0, 0);
    } catch (fallbackError) {
      throw classifyDecodeFailure(filePath, error, fallbackError);
    }
  }
  return { summary, schemaIpc };
}

/** Rows [offset, offset + limit) of the chosen columns. */
export async function readRows(filePath: string, options: ReadArgs): Promise<ReadResult> {
  const entry = await openCached(filePath, options.wasmCrash);
  const total = rowCount(entry);
  const offset = Math.min(options.offset ?? 0, total);
  const limit = Math.min(options.limit ?? total - offset, total - offset);
  checkColumns(filePath, entry.metadata, options.columns);

  const readerOptions: ReaderOptions = {};
  if (options.columns) readerOptions.columns = options.columns;
  if (offset > 0 || limit < total) {
    const groups = rowGroupsFor(entry, offset, limit);
    if (groups.length === 0) return { ipc: await emptyRead(entry, options.columns), decoder: 'parquet-wasm' };
    readerOptions.rowGroups = groups;
    readerOptions.offset = offset - entry.rowStarts[groups[0]];
    readerOptions.limit = limit;
  }

  refuseOversizedChunks(filePath, entry.metadata, readerOptions);

  let wasmError = entry.wasmOpenError;
  if (readsInt96(entry.metadata, options.columns)) {
    try {
      return { ipc: await fallbackRead(entry, options.columns, offset, offset + limit), decoder: 'hyparquet' };
    } catch (error) {
      if (!(error instanceof FallbackUnsupported)) throw classifyDecodeFailure(filePath, null, error);
    }
  }
  let decode: ((o: ReaderOptions) => Promise<Table>) | null = null;
  if (options.wasmCrash !== undefined && entry.bytes === null && !isPoisoned() && uncompressedBytes(entry.metadata, readerOptions) <= SYNC_RETRY_MAX_BYTES) {
    // The streaming reader died on this file in an earlier thread. The in-memory reader
    // reports most damage as an ordinary error where the streaming one traps, so ask it.
    // (A small file was read from memory already: what died was that reader, so the
    // fallback below takes it.)
    const bytes = fs.readFileSync(entry.key);
    decode = (o) => Promise.resolve().then(() => wasm.readParquet(bytes, o));
  } else if (options.wasmCrash === undefined && entry.bytes && !isPoisoned()) {
    const bytes = entry.bytes;
    decode = (o) => Promise.resolve().then(() => wasm.readParquet(bytes, o));
  } else if (options.wasmCrash === undefined && entry.wasmFile && !isPoisoned()) {
    const file = entry.wasmFile;
    decode = (o) => file.read(o);
  }
  if (decode) {
    try {
      return { ipc: await decodePage(decode, readerOptions, limit), decoder: 'parquet-wasm' };
    } catch (error) {
      notePanic(error);
      wasmError = isWasmPanic(error) && options.wasmCrash !== undefined ? new WasmCrash(options.wasmCrash) : error;
    }
  }
  try {
    return { ipc: await fallbackRead(entry, options.columns, offset, offset + limit), decoder: 'hyparquet' };
  } catch (fallbackError) {
    throw classifyDecodeFailure(filePath, wasmError, fallbackError);
  }
}

/**
 * Decodes a page. Skipping rows inside pages has bugs of its own in the decoder
 * (DELTA_BINARY_PACKED pages written by DuckDB, for one): when a page with an offset fails
 * with an ordinary error, decode its whole row groups and cut the page here.
 */
async function decodePage(decode: (o: ReaderOptions) => Promise<Table>, readerOptions: ReaderOptions, limit: number): Promise<Uint8Array> {
  try {
    return (await decode(readerOptions)).intoIPCStream();
  } catch (error) {
    const start = readerOptions.offset;
    if (isWasmPanic(error) || start === undefined) throw error;
    const whole = await decode({ rowGroups: readerOptions.rowGroups, columns: readerOptions.columns });
    const arrow = await import('apache-arrow');
    return arrow.tableToIPC(arrow.tableFromIPC(whole.intoIPCStream()).slice(start, start + limit), 'stream');
  }
}

async function emptyRead(entry: CachedFile, columns: string[] | undefined): Promise<Uint8Array> {
  const readerOptions: ReaderOptions = { limit: 0 };
  if (columns) readerOptions.columns = columns;
  if (entry.bytes && entry.wasmOpenError === null && !isPoisoned()) return wasm.readParquet(entry.bytes, readerOptions).intoIPCStream();
  if (!entry.wasmFile) return fallbackRead(entry, columns, 0, 0);
  const table = await entry.wasmFile.read(readerOptions);
  return table.intoIPCStream();
}

/** Turns the two decoders' failures into one typed error naming the file. */
function classifyDecodeFailure(filePath: string, wasmError: unknown, fallbackError: unknown): MesDataError {
  if (fallbackError instanceof MesDataError) return fallbackError;
  const primary = wasmError === null || wasmError === undefined ? null : messageOf(wasmError);
  const secondary = messageOf(fallbackError);
  const details = {
    path: filePath,
    decoder: primary === null ? null : isWasmPanic(wasmError) ? `panic: ${primary}` : primary,
    fallback: secondary,
  };
  if (isWasmPanic(wasmError)) {
    // The file's footer parsed; the WebAssembly decoder died inside its pages, and the
    // pure-JavaScript reader could not take over. That is a limit of ours, not proof of damage.
    const tooLarge = /Cannot create a string longer than|Invalid string length|Array buffer allocation failed/.test(secondary);
    return new UnsupportedFileError(
      tooLarge
        ? `${filePath} holds values larger than MES Data can load (a string over JavaScript's 512 MiB limit)`
        : `${filePath} cannot be decoded by MES Data yet: the WebAssembly decoder crashed (${primary}) and the fallback reader cannot read it (${secondary})`,
      { ...details, reason: tooLarge ? 'value too large' : 'decoder crashed' },
    );
  }
  const reason = primary ?? secondary;
  return new CorruptedFileError(`${filePath} cannot be decoded: ${reason}`, { ...details, reason });
}
