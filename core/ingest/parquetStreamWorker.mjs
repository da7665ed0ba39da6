// @ts-check
/**
 * The ingest's Parquet writer thread. It encodes partitions as they are read, in row
 * groups, so a partition never has to be whole in memory: each open "segment" is a
 * parquet-wasm stream writer fed record batch by record batch, its bytes going straight to
 * a file (and through SHA-256). Encoding here, off the parsing thread, puts the second
 * core to work, and a WebAssembly panic ends this thread, never the caller.
 *
 * Written in plain JavaScript (type-checked through JSDoc), like parquetWorker.mjs, so it
 * runs under Vitest, the CLI and a bundled build without a TypeScript loader.
 *
 * Protocol: the parent posts `{id, op, args}`; the thread answers `{id, ok, result}` or
 * `{id, ok:false, error:{code, message, details}}`, with `poisoned` (true after a panic:
 * the parent must end this thread).
 *
 * Batches arrive as Arrow IPC streams the parent built with the file's fields (its
 * parsing thread has time to spare while this one encodes). Pieces read back for a merge
 * are rebuilt here, with count columns cast from int64 to float64 when that changed.
 */
import { parentPort } from 'node:worker_threads';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import { bitmapOf, wholeNumbersToInt64 } from './columnBuffers.mjs';
import {
  Field,
  Float64,
  Int64,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimestampMicrosecond,
  TimestampNanosecond,
  Utf8,
  makeData,
  tableFromIPC,
  tableToIPC,
  vectorFromArray,
} from 'apache-arrow';

const require = createRequire(import.meta.url);
/** @type {typeof import('parquet-wasm/node')} */
const wasm = require('parquet-wasm/node');

/**
 * @typedef {{name: string, type: 'timestamp' | 'timestamp_us' | 'float64' | 'int64' | 'utf8'}} FieldSpec
 * @typedef {{offsets: Int32Array, bytes: Uint8Array}} Utf8Payload
 * @typedef {{data: BigInt64Array | Float64Array | (string | null)[] | Utf8Payload, valid: Uint8Array | null}} ColumnPayload
 * @typedef {{fields: FieldSpec[], compression: string, rowGroupSize: number, keyValue: Record<string, string>, createdBy: string, fsync: boolean}} WriterSpec
 * @typedef {{code: string, message: string, details: Record<string, unknown>}} WireError
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

const COMPRESSION = {
  none: wasm.Compression.UNCOMPRESSED,
  snappy: wasm.Compression.SNAPPY,
  gzip: wasm.Compression.GZIP,
  lz4: wasm.Compression.LZ4_RAW,
  zstd: wasm.Compression.ZSTD,
};

let poisoned = false;

/**
 * Writer properties of a staged file. The timestamp column skips dictionary encoding
 * (its values are all different) and is delta-encoded: for regular bars that halves the
 * file and the encoding time.
 * @param {WriterSpec} spec
 */
function writerProperties(spec) {
  const codec = COMPRESSION[/** @type {keyof typeof COMPRESSION} */ (spec.compression)];
  if (codec === undefined) throw new WorkerError('BAD_REQUEST', `unknown compression "${spec.compression}"`);
  let builder = new wasm.WriterPropertiesBuilder()
    .setCompression(codec)
    .setMaxRowGroupSize(spec.rowGroupSize)
    .setCreatedBy(spec.createdBy)
    .setKeyValueMetadata(new Map(Object.entries(spec.keyValue)));
  for (const field of spec.fields) {
    if (field.type === 'timestamp' || field.type === 'timestamp_us') {
      builder = builder.setColumnDictionaryEnabled(field.name, false).setColumnEncoding(field.name, wasm.Encoding.DELTA_BINARY_PACKED);
    }
  }
  return builder.build();
}

/**
 * Creates a file that must not exist yet (and its folder when asked).
 * @param {string} path
 * @param {boolean} mkdir
 */
function createFile(path, mkdir) {
  if (mkdir) fs.mkdirSync(dirname(path), { recursive: true });
  try {
    return fs.openSync(path, 'wx');
  } catch (error) {
    throw createError(path, error);
  }
}

/**
 * The typed error for a file that could not be created.
 * @param {string} path
 * @param {unknown} error
 */
function createError(path, error) {
  const code = /** @type {NodeJS.ErrnoException} */ (error).code;
  if (code === 'EEXIST') return new WorkerError('ALREADY_EXISTS', `${path} already exists; stage into a folder without an earlier ingest of the same name`, { path });
  return new WorkerError(code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR', `cannot create ${path}: ${messageOf(error)}`, { path, errno: code });
}

/** @param {unknown} error */
function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}

/** @param {unknown} error */
function notePanic(error) {
  if (error instanceof Error && error.name === 'RuntimeError') poisoned = true;
}

/** @param {FieldSpec[]} fields */
function schemaOf(fields) {
  return new Schema(
    fields.map((f) => {
      switch (f.type) {
        case 'timestamp':
          return new Field(f.name, new TimestampNanosecond('UTC'), false);
        case 'timestamp_us':
          return new Field(f.name, new TimestampMicrosecond('UTC'), false);
        case 'float64':
          return new Field(f.name, new Float64(), true);
        case 'int64':
          return new Field(f.name, new Int64(), true);
        default:
          return new Field(f.name, new Utf8(), true);
      }
    }),
  );
}

/**
 * One Arrow record batch (apache-arrow) from the parent's column payloads.
 * @param {FieldSpec[]} fields
 * @param {number} rows
 * @param {ColumnPayload[]} columns
 */
function arrowBatch(fields, rows, columns) {
  const schema = schemaOf(fields);
  const children = fields.map((f, k) => {
    const { valid } = columns[k];
    const raw = columns[k].data;
    const field = schema.fields[k];
    if ('offsets' in raw) {
      const { nullBitmap, nullCount } = bitmapOf(valid, rows);
      return makeData({ type: new Utf8(), length: rows, nullCount, nullBitmap, valueOffsets: raw.offsets, data: raw.bytes });
    }
    // the parent may hand over arrays longer than the batch (its buffers, uncopied)
    const data = raw.length <= rows ? raw : Array.isArray(raw) ? raw.slice(0, rows) : raw.subarray(0, rows);
    if (f.type === 'utf8') {
      const vector = vectorFromArray(/** @type {(string | null)[]} */ (data), new Utf8());
      return vector.data[0];
    }
    const { nullBitmap, nullCount } = bitmapOf(valid, rows);
    const values = f.type === 'int64' && data instanceof Float64Array ? wholeNumbersToInt64(data) : data;
    return makeData({ type: /** @type {any} */ (field.type), length: rows, nullCount, nullBitmap, data: /** @type {any} */ (values) });
  });
  const struct = makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children });
  return new Table(schema, [new RecordBatch(schema, struct)]);
}

/**
 * An Arrow IPC stream as parquet-wasm record batches.
 * @param {Uint8Array} ipc
 * @returns {import('parquet-wasm/node').RecordBatch[]}
 */
function toWasmBatches(ipc) {
  const wasmTable = wasm.Table.fromIPCStream(ipc);
  try {
    return wasmTable.recordBatches();
  } finally {
    wasmTable.free();
  }
}

/**
 * Casts the columns of a table read back (a segment or a spill) to the final fields:
 * int64 that became float64 (a non-integral value came later) and nothing else.
 * @param {Table} table
 * @param {FieldSpec[]} fields
 */
function castTo(table, fields) {
  const columns = fields.map((f) => {
    const vector = table.getChild(f.name);
    if (!vector) throw new WorkerError('INTERNAL', `column "${f.name}" is missing from a staged piece`);
    const rows = table.numRows;
    if (f.type === 'utf8') return { data: /** @type {(string | null)[]} */ ([...vector].map((v) => (v === undefined ? null : v))), valid: null };
    if (f.type === 'timestamp' || f.type === 'timestamp_us') {
      const values = /** @type {BigInt64Array} */ (vector.toArray());
      // a piece written in microseconds before a sub-microsecond value turned the file to nanoseconds
      const unit = /** @type {{unit: number}} */ (/** @type {unknown} */ (vector.type)).unit;
      if (f.type === 'timestamp' && unit === 2) return { data: values.map((v) => v * 1000n), valid: null };
      return { data: values, valid: null };
    }
    const valid = new Uint8Array(rows);
    const data = new Float64Array(rows);
    let i = 0;
    for (const chunk of vector.data) {
      const raw = /** @type {ArrayLike<number | bigint>} */ (chunk.values);
      for (let j = 0; j < chunk.length; j++, i++) {
        if (chunk.nullCount > 0 && !chunk.getValid(j)) continue;
        valid[i] = 1;
        data[i] = Number(raw[j]);
      }
    }
    return { data, valid };
  });
  return arrowBatch(fields, table.numRows, columns);
}

/**
 * A file being written from a stream of record batches.
 */
class Segment {
  /**
   * @param {string} path
   * @param {WriterSpec} spec
   * @param {boolean} [mkdir] create the file's folder first
   */
  constructor(path, spec, mkdir = false) {
    this.path = path;
    this.spec = spec;
    this.rows = 0;
    this.bytes = 0;
    this.hash = crypto.createHash('sha256');
    /** @type {{batch: import('parquet-wasm/node').RecordBatch, ack: () => void}[]} */
    this.queue = [];
    /** @type {(() => void) | null} */
    this.wake = null;
    this.ended = false;
    /** @type {unknown} */
    this.failure = null;
    const props = writerProperties(spec);
    this.fd = createFile(path, mkdir);
    const input = new ReadableStream(
      {
        pull: async (controller) => {
          while (this.queue.length === 0 && !this.ended && !this.failure) {
            await new Promise((resolve) => {
              this.wake = () => resolve(undefined);
            });
          }
          if (this.failure) {
            controller.error(this.failure);
            return;
          }
          const next = this.queue.shift();
          if (next) {
            controller.enqueue(next.batch);
            next.ack();
          } else controller.close();
        },
      },
      { highWaterMark: 0 },
    );
    this.done = this.drain(wasm.transformParquetStream(input, props));
    // a failure is reported by close(); until then it must not go unhandled
    this.done.catch(() => {});
  }

  /** @param {Promise<ReadableStream>} output */
  async drain(output) {
    try {
      const stream = await output;
      for await (const chunk of /** @type {AsyncIterable<Uint8Array>} */ (/** @type {unknown} */ (stream))) {
        this.hash.update(chunk);
        let done = 0;
        while (done < chunk.length) done += fs.writeSync(this.fd, chunk, done, chunk.length - done);
        this.bytes += chunk.length;
      }
      if (this.spec.fsync) fs.fsyncSync(this.fd);
    } catch (error) {
      notePanic(error);
      throw error;
    } finally {
      fs.closeSync(this.fd);
    }
  }

  /**
   * Queues a batch (an Arrow IPC stream); resolves once the writer has taken it (that is
   * the back-pressure).
   * @param {Uint8Array} ipc
   */
  append(ipc) {
    const batches = toWasmBatches(ipc);
    this.rows += batches.reduce((sum, b) => sum + b.numRows, 0);
    const taken = Promise.all(
      batches.map(
        (batch) =>
          new Promise((resolve) => {
            this.queue.push({ batch, ack: () => resolve(undefined) });
            this.poke();
          }),
      ),
    );
    // a writer that failed takes nothing more: report its failure instead of waiting
    const failed = this.done.then(() => {
      throw new WorkerError('INTERNAL', `the writer of ${this.path} ended before taking every batch`);
    });
    failed.catch(() => {});
    return Promise.race([taken, failed]);
  }

  poke() {
    const wake = this.wake;
    this.wake = null;
    if (wake) wake();
  }

  async close() {
    this.ended = true;
    this.poke();
    try {
      await this.done;
    } catch (error) {
      fs.rmSync(this.path, { force: true });
      throw new WorkerError('WRITE_FAILED', `cannot encode ${this.path} as Parquet: ${messageOf(error)}`, { path: this.path, reason: messageOf(error) });
    }
    return { path: this.path, rows: this.rows, bytes: this.bytes, sha256: this.hash.digest('hex') };
  }

  async abort() {
    this.failure = new Error('aborted');
    for (const item of this.queue.splice(0)) {
      item.batch.free();
      item.ack();
    }
    this.poke();
    try {
      await this.done;
    } catch {
      // expected: the stream was failed on purpose
    }
    fs.rmSync(this.path, { force: true });
  }
}

/** @type {Map<number, Segment>} */
const segments = new Map();

/**
 * Writes a whole small file in one go (a partition that never outgrew one batch): no
 * stream writer to set up, which is most of the cost of a file of a few thousand rows.
 * The folder and file are made asynchronously: creating thousands of files, the thread
 * would otherwise spend much of its time blocked in mkdir and open (journal waits) instead
 * of encoding the next date.
 * @param {string} path
 * @param {WriterSpec} spec
 * @param {Uint8Array} ipc an Arrow IPC stream
 * @param {number} rows
 * @param {boolean} mkdir
 */
async function writeWhole(path, spec, ipc, rows, mkdir) {
  let bytes;
  try {
    // writeParquet takes ownership of the table (and frees it)
    bytes = wasm.writeParquet(wasm.Table.fromIPCStream(ipc), writerProperties(spec));
  } catch (error) {
    notePanic(error);
    throw new WorkerError('WRITE_FAILED', `cannot encode ${path} as Parquet: ${messageOf(error)}`, { path, reason: messageOf(error) });
  }
  const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
  if (mkdir) await fsp.mkdir(dirname(path), { recursive: true });
  let handle;
  try {
    handle = await fsp.open(path, 'wx');
  } catch (error) {
    throw createError(path, error);
  }
  try {
    let done = 0;
    while (done < bytes.length) done += (await handle.write(bytes, done, bytes.length - done)).bytesWritten;
    if (spec.fsync) await handle.sync();
  } finally {
    await handle.close();
  }
  return { path, rows, bytes: bytes.length, sha256 };
}

/**
 * Appends one Arrow IPC stream, length-prefixed, to a spill file; returns where it went.
 * @param {string} path
 * @param {Uint8Array} ipc
 */
function spill(path, ipc) {
  const fd = fs.openSync(path, 'a');
  try {
    const offset = fs.fstatSync(fd).size;
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32LE(ipc.length, 0);
    fs.writeSync(fd, prefix);
    let done = 0;
    while (done < ipc.length) done += fs.writeSync(fd, ipc, done, ipc.length - done);
    return { offset, length: ipc.length + 4 };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The Arrow tables spilled to `path` in the byte range [offset, offset + length), frame by
 * frame (each frame: a 4-byte little-endian length, then an IPC stream).
 * @param {string} path
 * @param {number} offset
 * @param {number} length
 */
function* spillFrames(path, offset, length) {
  const fd = fs.openSync(path, 'r');
  try {
    const read = (/** @type {number} */ at, /** @type {number} */ size) => {
      const buffer = Buffer.allocUnsafe(size);
      let done = 0;
      while (done < size) {
        const n = fs.readSync(fd, buffer, done, size - done, at + done);
        if (n === 0) throw new WorkerError('INTERNAL', `spill file ${path} is shorter than expected`);
        done += n;
      }
      return buffer;
    };
    for (let at = offset; at < offset + length; ) {
      const size = read(at, 4).readUInt32LE(0);
      yield tableFromIPC(read(at + 4, size));
      at += 4 + size;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes one file from pieces in order (earlier segments and spilled batches), casting
 * every piece to the final fields.
 * @param {string} path
 * @param {WriterSpec} spec
 * @param {({kind: 'parquet', path: string} | {kind: 'spill', path: string, offset: number, length: number})[]} pieces
 */
async function merge(path, spec, pieces) {
  const segment = new Segment(path, spec);
  try {
    for (const piece of pieces) {
      if (piece.kind === 'spill') {
        for (const table of spillFrames(piece.path, piece.offset, piece.length)) await segment.append(tableToIPC(castTo(table, spec.fields), 'stream'));
        continue;
      }
      const file = await wasm.ParquetFile.fromFile(await fs.openAsBlob(piece.path));
      try {
        const groups = file.metadata().numRowGroups();
        for (let g = 0; g < groups; g++) {
          const part = await file.read({ rowGroups: [g] });
          await segment.append(tableToIPC(castTo(tableFromIPC(part.intoIPCStream()), spec.fields), 'stream'));
        }
      } finally {
        file.free();
      }
    }
  } catch (error) {
    notePanic(error);
    await segment.abort();
    throw error;
  }
  return segment.close();
}

/**
 * @param {string} op
 * @param {any} args
 */
async function handle(op, args) {
  if (poisoned) throw new WorkerError('INTERNAL', 'the Parquet writer is being restarted');
  switch (op) {
    case 'open': {
      if (segments.has(args.segment)) throw new WorkerError('INTERNAL', `segment ${args.segment} is already open`);
      segments.set(args.segment, new Segment(args.path, args.spec, args.mkdir === true));
      return {};
    }
    case 'append': {
      const segment = segments.get(args.segment);
      if (!segment) throw new WorkerError('INTERNAL', `segment ${args.segment} is not open`);
      await segment.append(args.ipc);
      return {};
    }
    case 'close': {
      const segment = segments.get(args.segment);
      if (!segment) throw new WorkerError('INTERNAL', `segment ${args.segment} is not open`);
      segments.delete(args.segment);
      return segment.close();
    }
    case 'write':
      return writeWhole(args.path, args.spec, args.ipc, args.rows, args.mkdir === true);
    case 'spill':
      return spill(args.path, args.ipc);
    case 'merge':
      return merge(args.path, args.spec, args.pieces);
    default:
      throw new WorkerError('BAD_REQUEST', `unknown writer operation "${op}"`);
  }
}

/** @param {unknown} error @returns {WireError} */
function toWire(error) {
  if (error instanceof WorkerError) return { code: error.code, message: error.message, details: error.details };
  return { code: 'WRITE_FAILED', message: messageOf(error), details: {} };
}

if (!parentPort) throw new Error('parquetStreamWorker.mjs must run as a worker thread');
const port = parentPort;
port.on('message', (/** @type {{id: number, op: string, args: any}} */ message) => {
  const { id, op, args } = message;
  handle(op, args).then(
    (result) => port.postMessage({ id, ok: true, result, poisoned }),
    (error) => {
      notePanic(error);
      port.postMessage({ id, ok: false, error: toWire(error), poisoned });
    },
  );
});
