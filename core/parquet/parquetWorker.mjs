// @ts-check
/**
 * The Parquet decoder thread. Every byte of an untrusted Parquet file is decoded here and
 * never on the caller's thread: parquet-wasm can panic (`RuntimeError: unreachable`) on a
 * malformed file, after which its WebAssembly instance must not be used again, and its
 * linear memory never shrinks. Running it in a worker that can be thrown away contains both.
 *
 * Written in plain JavaScript (type-checked through JSDoc) so the same file runs under
 * Vitest, the CLI and a bundled Electron build without a TypeScript loader in the thread.
 *
 * Protocol: the parent posts `{id, op, args}`; the worker answers `{id, ok, result}` or
 * `{id, ok:false, error:{code, message, details}}`, always with `wasmBytes` (the current
 * size of its WebAssembly memory) and `poisoned` (true after a panic: the parent must
 * retire this worker).
 */
import { parentPort } from 'node:worker_threads';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

const require = createRequire(import.meta.url);
/** @type {typeof import('parquet-wasm/node')} */
const wasm = require('parquet-wasm/node');

const FILE_CACHE_LIMIT = 8;
/** Largest read (uncompressed bytes) the in-memory reader retries after the streaming reader crashed. */
const SYNC_RETRY_MAX_BYTES = 256 * 1024 * 1024;
/** Largest column chunk, uncompressed, that the decoders are asked to load. */
const MAX_CHUNK_BYTES = 1024 * 1024 * 1024;
const PAR1 = 'PAR1';
const PARE = 'PARE';

/**
 * @typedef {{code: string, message: string, details: Record<string, unknown>}} WireError
 * @typedef {import('hyparquet').FileMetaData} HyMetadata
 * @typedef {{ key: string, size: number, mtimeMs: number, metadata: HyMetadata, rowStarts: number[],
 *   wasmFile: import('parquet-wasm/node').ParquetFile | null, wasmOpenError: unknown }} CachedFile
 */

class WorkerError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {Record<string, unknown>} [details]
   */
  constructor(code, message, details = {}) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

/** The WebAssembly decoder died (panic or abort) on a previous attempt at this file. */
class WasmCrash extends Error {}

let poisoned = false;
/** @type {Map<string, CachedFile>} */
const cache = new Map();

/** @param {unknown} error */
function messageOf(error) {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** @param {unknown} error */
function isWasmPanic(error) {
  // WebAssembly.RuntimeError (a trap such as `unreachable`), named so without DOM typings
  return (error instanceof Error && error.name === 'RuntimeError') || error instanceof WasmCrash;
}

/**
 * A `{byteLength, slice}` view of an open file descriptor, the shape hyparquet reads through.
 * @param {number} fd
 * @param {number} byteLength
 * @returns {import('hyparquet').AsyncBuffer}
 */
function fdByteSource(fd, byteLength) {
  return {
    byteLength,
    slice(start, end = byteLength) {
      const length = Math.max(0, Math.min(end, byteLength) - start);
      const buffer = Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const n = fs.readSync(fd, buffer, done, length - done, start + done);
        if (n === 0) break;
        done += n;
      }
      return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + done);
    },
  };
}

/**
 * @param {string} filePath
 * @returns {fs.Stats}
 */
function statFile(filePath) {
  let stats;
  try {
    stats = fs.statSync(filePath);
  } catch (error) {
    const code = /** @type {NodeJS.ErrnoException} */ (error).code;
    if (code === 'ENOENT') throw new WorkerError('NOT_FOUND', `file not found: ${filePath}`, { path: filePath });
    throw new WorkerError('IO_ERROR', `cannot read ${filePath}: ${messageOf(error)}`, { path: filePath, errno: code });
  }
  if (!stats.isFile()) throw new WorkerError('NOT_FOUND', `not a file: ${filePath}`, { path: filePath });
  return stats;
}

/**
 * Checks the magic bytes and parses the footer. Throws CORRUPTED_FILE or UNSUPPORTED_FILE.
 * @param {string} filePath
 * @param {number} size
 * @returns {Promise<HyMetadata>}
 */
async function readFooter(filePath, size) {
  if (size < 12) {
    throw new WorkerError('CORRUPTED_FILE', `${filePath} is ${size} bytes, too small to be a Parquet file (at least 12)`, {
      path: filePath,
      bytes: size,
    });
  }
  const fd = fs.openSync(filePath, 'r');
  try {
    const source = fdByteSource(fd, size);
    const head = Buffer.from(/** @type {ArrayBuffer} */ (source.slice(0, 4))).toString('latin1');
    const tail = Buffer.from(/** @type {ArrayBuffer} */ (source.slice(size - 4, size))).toString('latin1');
    if (tail === PARE) {
      throw new WorkerError('UNSUPPORTED_FILE', `${filePath} uses Parquet modular encryption (encrypted footer), which MES Data cannot decrypt`, {
        path: filePath,
        reason: 'encrypted footer',
      });
    }
    if (head !== PAR1 || tail !== PAR1) {
      throw new WorkerError('CORRUPTED_FILE', `${filePath} is not a Parquet file: expected magic "PAR1" at both ends, found ${JSON.stringify(head)} and ${JSON.stringify(tail)}`, {
        path: filePath,
        head,
        tail,
      });
    }
    let metadata;
    try {
      metadata = await parquetMetadataAsync(source, { parsers: rawParsers });
    } catch (error) {
      throw new WorkerError('CORRUPTED_FILE', `${filePath} has an unreadable footer: ${messageOf(error)}`, {
        path: filePath,
        reason: messageOf(error),
      });
    }
    for (const group of metadata.row_groups) {
      for (const column of group.columns) {
        if (column.crypto_metadata !== undefined || column.encrypted_column_metadata !== undefined) {
          throw new WorkerError('UNSUPPORTED_FILE', `${filePath} has encrypted columns (column "${(column.meta_data?.path_in_schema ?? []).join('.')}"), which MES Data cannot decrypt`, {
            path: filePath,
            reason: 'encrypted columns',
          });
        }
      }
    }
    return metadata;
  } finally {
    fs.closeSync(fd);
  }
}

/** Parsers that keep raw values: no Date objects (they would lose micro- and nanoseconds). */
const rawParsers = {
  /** @param {bigint} v */ timestampFromMilliseconds: (v) => v,
  /** @param {bigint} v */ timestampFromMicroseconds: (v) => v,
  /** @param {bigint} v */ timestampFromNanoseconds: (v) => v,
  /** @param {number} v */ dateFromDays: (v) => v,
};

/**
 * @param {string} filePath
 * @param {string | undefined} [wasmCrash] set when the WebAssembly decoder died on this file before
 * @returns {Promise<CachedFile>}
 */
async function openCached(filePath, wasmCrash = undefined) {
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
  const rowStarts = [];
  let start = 0;
  for (const group of metadata.row_groups) {
    rowStarts.push(start);
    start += Number(group.num_rows);
  }
  /** @type {CachedFile} */
  const entry = { key: absolute, size: stats.size, mtimeMs: stats.mtimeMs, metadata, rowStarts, wasmFile: null, wasmOpenError: null };
  if (wasmCrash !== undefined) {
    entry.wasmOpenError = new WasmCrash(wasmCrash);
  } else if (!poisoned) {
    try {
      const blob = await fs.openAsBlob(absolute);
      entry.wasmFile = await wasm.ParquetFile.fromFile(blob);
    } catch (error) {
      if (isWasmPanic(error)) poisoned = true;
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

/**
 * Rows in the file: the sum of its row groups.
 * @param {CachedFile} entry
 */
function rowCount(entry) {
  return entry.metadata.row_groups.reduce((sum, group) => sum + Number(group.num_rows), 0);
}

/**
 * Whether any of the chosen top-level columns is stored as INT96 (legacy Impala/Spark
 * timestamps). The WebAssembly decoder turns those into int64 nanoseconds, which wrap
 * outside 1677–2262; the fallback reads them as microseconds, exact to year 294,247.
 * @param {CachedFile} entry
 * @param {string[] | undefined} columns
 */
function readsInt96(entry, columns) {
  const schema = entry.metadata.schema;
  return topLevelIndexes(entry.metadata).some((index) => {
    const element = schema[index];
    return element.type === 'INT96' && (!columns || columns.includes(element.name));
  });
}

/** @param {string} key */
function dropCached(key) {
  const entry = cache.get(key);
  cache.delete(key);
  if (entry?.wasmFile && !poisoned) {
    try {
      entry.wasmFile.free();
    } catch {
      // a freed or poisoned handle has nothing left to release
    }
  }
}

/** @param {unknown} value */
function jsonSafe(value) {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value ?? null;
}

/**
 * The footer as plain serializable data: row groups with per-column statistics.
 * @param {string} filePath
 * @param {CachedFile} entry
 */
function summarize(filePath, entry) {
  const md = entry.metadata;
  /** @type {Record<string, string>} */
  const keyValue = {};
  for (const kv of md.key_value_metadata ?? []) keyValue[kv.key] = kv.value ?? '';
  return {
    path: filePath,
    bytes: entry.size,
    // the row groups, not the footer's num_rows, which some writers leave at 0
    numRows: rowCount(entry),
    version: md.version,
    createdBy: md.created_by ?? null,
    keyValue,
    parquetSchema: md.schema.map((element) => ({
      name: element.name,
      type: element.type ?? null,
      repetition: element.repetition_type ?? null,
      convertedType: element.converted_type ?? null,
      logicalType: element.logical_type ? JSON.parse(JSON.stringify(element.logical_type, (_k, v) => jsonSafe(v))) : null,
      numChildren: element.num_children ?? 0,
      typeLength: element.type_length ?? null,
      precision: element.precision ?? null,
      scale: element.scale ?? null,
    })),
    rowGroups: md.row_groups.map((group, index) => ({
      index,
      rowStart: entry.rowStarts[index],
      numRows: Number(group.num_rows),
      totalByteSize: Number(group.total_byte_size),
      columns: group.columns.map((chunk) => {
        const meta = chunk.meta_data;
        const stats = meta?.statistics;
        return {
          name: (meta?.path_in_schema ?? []).join('.'),
          physicalType: meta?.type ?? null,
          compression: meta?.codec ?? 'UNCOMPRESSED',
          encodings: meta?.encodings ?? [],
          numValues: meta ? Number(meta.num_values) : 0,
          compressedBytes: meta ? Number(meta.total_compressed_size) : 0,
          uncompressedBytes: meta ? Number(meta.total_uncompressed_size) : 0,
          min: jsonSafe(stats?.min_value ?? stats?.min),
          max: jsonSafe(stats?.max_value ?? stats?.max),
          nullCount: stats?.null_count === undefined ? null : Number(stats.null_count),
        };
      }),
    })),
  };
}

/**
 * Column chunks a read would decode, from the footer.
 * @param {CachedFile} entry
 * @param {import('parquet-wasm/node').ReaderOptions} readerOptions
 */
function chunksToRead(entry, readerOptions) {
  /** @type {import('hyparquet').ColumnMetaData[]} */
  const chunks = [];
  entry.metadata.row_groups.forEach((group, index) => {
    if (readerOptions.rowGroups && !readerOptions.rowGroups.includes(index)) return;
    for (const chunk of group.columns) {
      const meta = chunk.meta_data;
      if (!meta) continue;
      if (readerOptions.columns && !readerOptions.columns.includes(meta.path_in_schema[0])) continue;
      chunks.push(meta);
    }
  });
  return chunks;
}

/**
 * A column chunk that decodes to more than MAX_CHUNK_BYTES cannot fit the decoder's 32-bit
 * address space next to its output: refuse it up front instead of letting the decoder trap.
 * @param {string} filePath
 * @param {CachedFile} entry
 * @param {import('parquet-wasm/node').ReaderOptions} readerOptions
 */
function refuseOversizedChunks(filePath, entry, readerOptions) {
  for (const chunk of chunksToRead(entry, readerOptions)) {
    const bytes = Number(chunk.total_uncompressed_size);
    if (bytes > MAX_CHUNK_BYTES) {
      const column = chunk.path_in_schema.join('.');
      throw new WorkerError(
        'UNSUPPORTED_FILE',
        `${filePath} cannot be loaded: column "${column}" holds ${(bytes / 2 ** 30).toFixed(1)} GiB uncompressed in one chunk, over the ${MAX_CHUNK_BYTES / 2 ** 30} GiB MES Data decodes at once`,
        { path: filePath, reason: 'column chunk too large', column, uncompressedBytes: bytes },
      );
    }
  }
}

/**
 * Uncompressed bytes of the column chunks a read would decode, from the footer.
 * @param {CachedFile} entry
 * @param {import('parquet-wasm/node').ReaderOptions} readerOptions
 */
function uncompressedBytes(entry, readerOptions) {
  return chunksToRead(entry, readerOptions).reduce((sum, chunk) => sum + Number(chunk.total_uncompressed_size), 0);
}

/**
 * Which row groups cover rows [offset, offset + limit) and where the first one starts.
 * @param {CachedFile} entry
 * @param {number} offset
 * @param {number} limit
 */
function rowGroupsFor(entry, offset, limit) {
  const groups = [];
  const end = offset + limit;
  for (let i = 0; i < entry.rowStarts.length; i++) {
    const start = entry.rowStarts[i];
    const stop = start + Number(entry.metadata.row_groups[i].num_rows);
    if (stop > offset && start < end) groups.push(i);
  }
  return groups;
}

/**
 * @param {string} filePath
 * @param {{columns?: string[], offset?: number, limit?: number, wasmCrash?: string}} options
 * @returns {Promise<{ipc: Uint8Array, decoder: string}>}
 */
async function read(filePath, options) {
  const entry = await openCached(filePath, options.wasmCrash);
  const total = rowCount(entry);
  const offset = Math.min(options.offset ?? 0, total);
  const limit = Math.min(options.limit ?? total - offset, total - offset);
  checkColumns(filePath, entry, options.columns);

  /** @type {import('parquet-wasm/node').ReaderOptions} */
  const readerOptions = {};
  if (options.columns) readerOptions.columns = options.columns;
  if (offset > 0 || limit < total) {
    const groups = rowGroupsFor(entry, offset, limit);
    if (groups.length === 0) return { ipc: await emptyRead(filePath, entry, options.columns), decoder: 'parquet-wasm' };
    readerOptions.rowGroups = groups;
    readerOptions.offset = offset - entry.rowStarts[groups[0]];
    readerOptions.limit = limit;
  }

  refuseOversizedChunks(filePath, entry, readerOptions);

  let wasmError = entry.wasmOpenError;
  if (readsInt96(entry, options.columns)) {
    try {
      return { ipc: await fallbackRead(entry, options.columns, offset, offset + limit), decoder: 'hyparquet' };
    } catch (error) {
      if (!(error instanceof WorkerError && error.code === 'FALLBACK_UNSUPPORTED')) throw classifyDecodeFailure(filePath, null, error);
    }
  }
  /** @type {((o: import('parquet-wasm/node').ReaderOptions) => Promise<import('parquet-wasm/node').Table>) | null} */
  let decode = null;
  if (options.wasmCrash !== undefined && !poisoned && uncompressedBytes(entry, readerOptions) <= SYNC_RETRY_MAX_BYTES) {
    // The streaming reader died on this file in an earlier thread. The in-memory reader
    // reports most damage as an ordinary error where the streaming one traps, so ask it.
    const bytes = fs.readFileSync(entry.key);
    decode = (o) => Promise.resolve().then(() => wasm.readParquet(bytes, o));
  } else if (options.wasmCrash === undefined && entry.wasmFile && !poisoned) {
    const file = entry.wasmFile;
    decode = (o) => file.read(o);
  }
  if (decode) {
    try {
      return { ipc: await decodePage(decode, readerOptions, limit), decoder: 'parquet-wasm' };
    } catch (error) {
      if (isWasmPanic(error)) poisoned = true;
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
 * @param {(o: import('parquet-wasm/node').ReaderOptions) => Promise<import('parquet-wasm/node').Table>} decode
 * @param {import('parquet-wasm/node').ReaderOptions} readerOptions
 * @param {number} limit
 * @returns {Promise<Uint8Array>}
 */
async function decodePage(decode, readerOptions, limit) {
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

/**
 * @param {string} filePath
 * @param {CachedFile} entry
 * @param {string[] | undefined} columns
 */
function checkColumns(filePath, entry, columns) {
  if (!columns) return;
  const topLevel = topLevelColumns(entry.metadata);
  const missing = columns.filter((c) => !topLevel.includes(c));
  if (missing.length > 0) {
    throw new WorkerError('NOT_FOUND', `column ${missing.map((c) => JSON.stringify(c)).join(', ')} not found in ${filePath}; columns are ${topLevel.join(', ')}`, {
      path: filePath,
      missing,
      available: topLevel,
    });
  }
}

/**
 * Names of the top-level fields, from the flattened Thrift schema.
 * @param {HyMetadata} metadata
 */
function topLevelColumns(metadata) {
  return topLevelIndexes(metadata).map((index) => metadata.schema[index].name);
}

/**
 * Positions of the top-level fields in the flattened Thrift schema (depth-first, children
 * counted by num_children).
 * @param {HyMetadata} metadata
 */
function topLevelIndexes(metadata) {
  const schema = metadata.schema;
  const indexes = [];
  const skip = (/** @type {number} */ index) => {
    let next = index + 1;
    for (let c = 0; c < (schema[index]?.num_children ?? 0); c++) next = skip(next);
    return next;
  };
  for (let i = 1; i < schema.length; i = skip(i)) indexes.push(i);
  return indexes;
}

/**
 * @param {string} filePath
 * @param {CachedFile} entry
 * @param {string[] | undefined} columns
 */
async function emptyRead(filePath, entry, columns) {
  if (!entry.wasmFile) return fallbackRead(entry, columns, 0, 0);
  /** @type {import('parquet-wasm/node').ReaderOptions} */
  const readerOptions = { limit: 0 };
  if (columns) readerOptions.columns = columns;
  const table = await entry.wasmFile.read(readerOptions);
  return table.intoIPCStream();
}

/**
 * Turns the two decoders' failures into one typed error naming the file.
 * @param {string} filePath
 * @param {unknown} wasmError
 * @param {unknown} fallbackError
 */
function classifyDecodeFailure(filePath, wasmError, fallbackError) {
  if (fallbackError instanceof WorkerError && fallbackError.code !== 'FALLBACK_UNSUPPORTED') return fallbackError;
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
    return new WorkerError(
      'UNSUPPORTED_FILE',
      tooLarge
        ? `${filePath} holds values larger than MES Data can load (a string over JavaScript's 512 MiB limit)`
        : `${filePath} cannot be decoded by MES Data yet: the WebAssembly decoder crashed (${primary}) and the fallback reader cannot read it (${secondary})`,
      { ...details, reason: tooLarge ? 'value too large' : 'decoder crashed' },
    );
  }
  const reason = primary ?? secondary;
  return new WorkerError('CORRUPTED_FILE', `${filePath} cannot be decoded: ${reason}`, { ...details, reason });
}

/**
 * The pure-JavaScript fallback for flat files the WebAssembly decoder rejects
 * (hyparquet, then Arrow arrays built here). Nested columns are out of its reach.
 * @param {CachedFile} entry
 * @param {string[] | undefined} columns
 * @param {number} rowStart
 * @param {number} rowEnd
 * @returns {Promise<Uint8Array>}
 */
async function fallbackRead(entry, columns, rowStart, rowEnd) {
  const arrow = await import('apache-arrow');
  const fields = flatFields(entry.metadata, columns, arrow);
  const fd = fs.openSync(entry.key, 'r');
  try {
    const rows = rowEnd > rowStart
      ? await parquetReadObjects({
          file: fdByteSource(fd, entry.size),
          metadata: entry.metadata,
          columns: fields.map((f) => f.name),
          rowStart,
          rowEnd,
          compressors,
          parsers: rawParsers,
        })
      : [];
    const vectors = /** @type {Record<string, import('apache-arrow').Vector>} */ ({});
    for (const field of fields) {
      const int96 = field.physicalType === 'INT96';
      // INT96 arrives as nanoseconds: floor to the microseconds of the Arrow type
      const values = rows.map((row) => (int96 && typeof row[field.name] === 'bigint' ? floorDiv(row[field.name], 1000n) : row[field.name]));
      vectors[field.name] = buildVector(arrow, field.type, values);
    }
    const table = new arrow.Table(vectors);
    return arrow.tableToIPC(table, 'stream');
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * @param {HyMetadata} metadata
 * @param {string[] | undefined} columns
 * @param {typeof import('apache-arrow')} arrow
 * @returns {{name: string, type: import('apache-arrow').DataType, physicalType: string | undefined}[]}
 */
function flatFields(metadata, columns, arrow) {
  const schema = metadata.schema;
  const fields = [];
  for (const index of topLevelIndexes(metadata)) {
    const element = schema[index];
    if (columns && !columns.includes(element.name)) continue;
    if ((element.num_children ?? 0) > 0 || element.repetition_type === 'REPEATED') {
      throw new WorkerError('FALLBACK_UNSUPPORTED', `nested column "${element.name}"`);
    }
    fields.push({ name: element.name, type: arrowTypeFor(element, arrow), physicalType: element.type });
  }
  if (columns) fields.sort((a, b) => columns.indexOf(a.name) - columns.indexOf(b.name));
  return fields;
}

/**
 * @param {import('hyparquet').SchemaElement} element
 * @param {typeof import('apache-arrow')} arrow
 * @returns {import('apache-arrow').DataType}
 */
function arrowTypeFor(element, arrow) {
  const logical = element.logical_type;
  const converted = element.converted_type;
  const unsupported = () => new WorkerError('FALLBACK_UNSUPPORTED', `column "${element.name}" of type ${element.type}/${converted ?? logical?.type ?? 'plain'}`);
  switch (element.type) {
    case 'BOOLEAN':
      return new arrow.Bool();
    case 'INT32': {
      if (logical?.type === 'DATE' || converted === 'DATE') return new arrow.DateDay();
      if (logical?.type === 'INTEGER') {
        const { bitWidth, isSigned } = logical;
        if (bitWidth === 8) return isSigned ? new arrow.Int8() : new arrow.Uint8();
        if (bitWidth === 16) return isSigned ? new arrow.Int16() : new arrow.Uint16();
        return isSigned ? new arrow.Int32() : new arrow.Uint32();
      }
      if (converted === 'INT_8') return new arrow.Int8();
      if (converted === 'INT_16') return new arrow.Int16();
      if (converted === 'UINT_8') return new arrow.Uint8();
      if (converted === 'UINT_16') return new arrow.Uint16();
      if (converted === 'UINT_32') return new arrow.Uint32();
      if (converted === undefined || converted === 'INT_32') return new arrow.Int32();
      throw unsupported();
    }
    case 'INT64': {
      if (logical?.type === 'TIMESTAMP') {
        const tz = logical.isAdjustedToUTC ? 'UTC' : undefined;
        if (logical.unit === 'MILLIS') return new arrow.TimestampMillisecond(tz);
        if (logical.unit === 'MICROS') return new arrow.TimestampMicrosecond(tz);
        return new arrow.TimestampNanosecond(tz);
      }
      if (converted === 'TIMESTAMP_MILLIS') return new arrow.TimestampMillisecond('UTC');
      if (converted === 'TIMESTAMP_MICROS') return new arrow.TimestampMicrosecond('UTC');
      if ((logical?.type === 'INTEGER' && !logical.isSigned) || converted === 'UINT_64') return new arrow.Uint64();
      if (converted === undefined || converted === 'INT_64' || logical?.type === 'INTEGER') return new arrow.Int64();
      throw unsupported();
    }
    case 'INT96':
      return new arrow.TimestampMicrosecond();
    case 'FLOAT':
      return new arrow.Float32();
    case 'DOUBLE':
      return new arrow.Float64();
    case 'BYTE_ARRAY':
      if (logical?.type === 'STRING' || converted === 'UTF8' || logical?.type === 'ENUM' || converted === 'ENUM' || logical?.type === 'JSON' || converted === 'JSON') {
        return new arrow.Utf8();
      }
      if (converted === undefined && logical === undefined) return new arrow.Binary();
      throw unsupported();
    default:
      throw unsupported();
  }
}

/**
 * @param {bigint} a
 * @param {bigint} b
 */
function floorDiv(a, b) {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

/**
 * @param {typeof import('apache-arrow')} arrow
 * @param {import('apache-arrow').DataType} type
 * @param {unknown[]} values
 */
function buildVector(arrow, type, values) {
  const length = values.length;
  const nullBitmap = new Uint8Array((length + 7) >> 3);
  let nullCount = 0;
  for (let i = 0; i < length; i++) {
    if (values[i] === null || values[i] === undefined) nullCount++;
    else nullBitmap[i >> 3] |= 1 << (i & 7);
  }
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isBinary(type) || arrow.DataType.isBool(type)) {
    const cleaned = arrow.DataType.isUtf8(type) ? values.map((v) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v)) : values;
    return arrow.vectorFromArray(cleaned, type);
  }
  const ArrayType = /** @type {any} */ (type).ArrayType;
  const data = new ArrayType(length);
  const wide = data instanceof BigInt64Array || data instanceof BigUint64Array;
  for (let i = 0; i < length; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    data[i] = wide ? BigInt(/** @type {bigint | number} */ (v)) : Number(v);
  }
  return arrow.makeVector(arrow.makeData({ type: /** @type {any} */ (type), length, nullCount, nullBitmap: nullCount > 0 ? nullBitmap : undefined, data }));
}

const COMPRESSION = {
  none: wasm.Compression.UNCOMPRESSED,
  snappy: wasm.Compression.SNAPPY,
  gzip: wasm.Compression.GZIP,
  brotli: wasm.Compression.BROTLI,
  lz4: wasm.Compression.LZ4_RAW,
  zstd: wasm.Compression.ZSTD,
};

/**
 * Encodes an Arrow IPC stream to Parquet and replaces `filePath` atomically:
 * temp file in the same folder, fsync, rename, fsync of the folder.
 * @param {string} filePath
 * @param {Uint8Array} ipc
 * @param {{compression: keyof typeof COMPRESSION, rowGroupSize: number, keyValue: Record<string, string>, createdBy: string, deltaColumns?: string[]}} options
 */
function write(filePath, ipc, options) {
  if (poisoned) throw new WorkerError('INTERNAL', 'decoder is being restarted');
  const codec = COMPRESSION[options.compression];
  if (codec === undefined) {
    throw new WorkerError('BAD_REQUEST', `unknown compression "${options.compression}"; use one of ${Object.keys(COMPRESSION).join(', ')}`, {
      compression: options.compression,
    });
  }
  let bytes;
  try {
    const table = wasm.Table.fromIPCStream(ipc);
    let builder = new wasm.WriterPropertiesBuilder()
      .setCompression(codec)
      .setMaxRowGroupSize(options.rowGroupSize)
      .setCreatedBy(options.createdBy)
      .setKeyValueMetadata(new Map(Object.entries(options.keyValue)));
    for (const column of options.deltaColumns ?? []) {
      builder = builder.setColumnDictionaryEnabled(column, false).setColumnEncoding(column, wasm.Encoding.DELTA_BINARY_PACKED);
    }
    const props = builder.build();
    bytes = wasm.writeParquet(table, props);
  } catch (error) {
    if (isWasmPanic(error)) poisoned = true;
    throw new WorkerError('WRITE_FAILED', `cannot encode ${filePath} as Parquet: ${messageOf(error)}`, { path: filePath, reason: messageOf(error) });
  }
  const absolute = path.resolve(filePath);
  const dir = path.dirname(absolute);
  const temp = path.join(dir, `.${path.basename(absolute)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    const fd = fs.openSync(temp, 'wx');
    try {
      let done = 0;
      while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, absolute);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    const errno = /** @type {NodeJS.ErrnoException} */ (error).code;
    throw new WorkerError(errno === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR', `cannot write ${filePath}: ${messageOf(error)}`, { path: filePath, errno });
  }
  try {
    const dirFd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  } catch {
    // some platforms cannot fsync a folder; the rename itself is already atomic
  }
  dropCached(absolute);
  return { path: filePath, bytes: bytes.length };
}

/**
 * @param {string} op
 * @param {any} args
 */
async function handle(op, args) {
  switch (op) {
    case 'open': {
      const entry = await openCached(args.path, args.wasmCrash);
      const summary = summarize(args.path, entry);
      let schemaIpc;
      try {
        if (readsInt96(entry, undefined)) {
          try {
            return { summary, schemaIpc: await fallbackRead(entry, undefined, 0, 0) };
          } catch {
            // nested INT96 columns: the WebAssembly decoder's schema below
          }
        }
        if (!entry.wasmFile) throw entry.wasmOpenError instanceof Error ? entry.wasmOpenError : new Error(messageOf(entry.wasmOpenError));
        schemaIpc = entry.wasmFile.schema().intoIPCStream();
      } catch (error) {
        if (isWasmPanic(error)) poisoned = true;
        try {
          schemaIpc = await fallbackRead(entry, undefined, 0, 0);
        } catch (fallbackError) {
          throw classifyDecodeFailure(args.path, error, fallbackError);
        }
      }
      return { summary, schemaIpc };
    }
    case 'read':
      return read(args.path, args);
    case 'write':
      return write(args.path, args.ipc, args);
    case 'forget':
      dropCached(path.resolve(args.path));
      return {};
    case 'crash':
      // test hook: proves a dying decoder fails its request and not the caller
      process.exit(3);
      return {};
    case 'hang':
      // test hook: proves a decoder stuck on a file is stopped by the timeout
      return new Promise(() => {});
    default:
      throw new WorkerError('BAD_REQUEST', `unknown decoder operation "${op}"`);
  }
}

/** @param {unknown} error @returns {WireError} */
function toWire(error) {
  if (error instanceof WorkerError) return { code: error.code, message: error.message, details: error.details };
  return { code: 'INTERNAL', message: messageOf(error), details: {} };
}

function wasmBytes() {
  try {
    return wasm.wasmMemory().buffer.byteLength;
  } catch {
    return 0;
  }
}

if (!parentPort) throw new Error('parquetWorker.mjs must run as a worker thread');
const port = parentPort;
port.on('message', (/** @type {{id: number, op: string, args: any}} */ message) => {
  const { id, op, args } = message;
  handle(op, args).then(
    (result) => {
      /** @type {ArrayBuffer[]} */
      const transfer = [];
      for (const key of ['ipc', 'schemaIpc']) {
        const value = result && /** @type {any} */ (result)[key];
        if (value instanceof Uint8Array && value.byteOffset === 0 && value.byteLength === value.buffer.byteLength) {
          transfer.push(/** @type {ArrayBuffer} */ (value.buffer));
        }
      }
      port.postMessage({ id, ok: true, result, wasmBytes: wasmBytes(), poisoned }, transfer);
    },
    (error) => {
      port.postMessage({ id, ok: false, error: toWire(error), wasmBytes: wasmBytes(), poisoned });
    },
  );
});
