import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import type * as DuckDB from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBDataChunk, DuckDBInstance, DuckDBValue, DuckDBVector } from '@duckdb/node-api';
import { CancelledError, CorruptedFileError, MesDataError, NotFoundError, type ErrorDetails } from '../errors.js';

/**
 * DuckDB, the bulk engine: reads of many Parquet files, scans, sorts, partitioned writes.
 * One in-memory instance per thread (a job thread has its own, and gives its memory back
 * when it ends), opened on first use. Only the extensions compiled into the npm package
 * are used (parquet, json, icu, core functions): nothing is downloaded at run time.
 *
 * DuckDB works on its own threads; every call here is async, so the calling thread's event
 * loop keeps running while a query does.
 */

/** Memory DuckDB may use before it spills to its temporary folder. */
const DEFAULT_MEMORY_LIMIT = process.env.MES_DATA_DUCKDB_MEMORY ?? '512MB';

let instance: Promise<DuckDBInstance> | null = null;
/** DuckDB's threads for this thread's instance; null: DuckDB's default (one per core). */
let engineThreads: number | null = null;

/**
 * How many threads this thread's DuckDB instance may run, set before its first use (a job
 * thread in a host leaves a core to the host's thread and its page decoders). Throws
 * INTERNAL when the instance is open already: its thread count is fixed then.
 */
export function setEngineThreads(threads: number): void {
  if (instance) throw new MesDataError('INTERNAL', `DuckDB's threads are set before its first use; this thread's instance is open already (asked for ${threads})`, { threads });
  engineThreads = Math.max(1, Math.floor(threads));
}

/**
 * The `@duckdb/node-api` module, loaded on first use. Import its values through this, never
 * with a static `import { … } from '@duckdb/node-api'` (`import type` is fine): the native
 * module costs a process about 80 ms to load (160 ms through an ESM import, which runs
 * Node's CommonJS export scanner over it), and most CLI commands (`show`, `--help`, `ls`)
 * never touch DuckDB. A test checks that the CLI bundle has no static import of it.
 */
export function duckdbModule(): typeof DuckDB {
  return createRequire(import.meta.url)('@duckdb/node-api') as typeof DuckDB;
}

async function createInstance(): Promise<DuckDBInstance> {
  const created = await duckdbModule().DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    memory_limit: DEFAULT_MEMORY_LIMIT,
    temp_directory: path.join(os.tmpdir(), `mes-data-duckdb-${process.pid}`),
    preserve_insertion_order: 'true',
    ...(engineThreads === null ? {} : { threads: String(engineThreads) }),
  });
  // a dataset's footers are read once, not at every query of it (3,000 files: about 300 ms a
  // scan); DuckDB reads a file's footer again when the file changed after it was cached
  const connection = await created.connect();
  try {
    await connection.run('SET GLOBAL parquet_metadata_cache = true');
  } finally {
    connection.closeSync();
  }
  return created;
}

/** This thread's DuckDB instance. */
export function engineInstance(): Promise<DuckDBInstance> {
  instance ??= createInstance().catch((error: unknown) => {
    instance = null;
    throw error;
  });
  return instance;
}

/** Closes this thread's instance (a thread about to end, or a test). */
export async function closeEngine(): Promise<void> {
  const open = instance;
  instance = null;
  if (open) (await open).closeSync();
}

/** A SQL string literal: `it's` → `'it''s'`. */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** A SQL identifier: `my col` → `"my col"`. */
export function sqlIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A SQL list of file paths for `read_parquet([...])`. */
export function sqlFileList(files: readonly string[]): string {
  return `[${files.map(sqlString).join(', ')}]`;
}

/**
 * A DuckDB error as a typed MesDataError: unreadable files are CORRUPTED_FILE, missing ones
 * NOT_FOUND, an interrupted query CANCELLED; anything else keeps DuckDB's words under
 * `ENGINE_ERROR`. `what` says what was being done, with the path.
 */
export function engineError(error: unknown, what: string, details: ErrorDetails = {}): MesDataError {
  if (error instanceof MesDataError) return error;
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  const file = /file '([^']+)'|"([^"]+\.parquet)"/.exec(message);
  const withFile = file ? { ...details, file: file[1] ?? file[2] } : details;
  if (/INTERRUPT|interrupted/i.test(message)) return new CancelledError(`${what}: cancelled`, withFile);
  if (/No files found|No such file|Cannot open file/i.test(message)) return new NotFoundError(`${what}: ${message}`, withFile);
  if (/magic bytes|Invalid Input Error|corrupt|Parquet|Invalid Error|IO Error/i.test(message)) return new CorruptedFileError(`${what}: ${message}`, withFile);
  return new MesDataError('ENGINE_ERROR', `${what}: ${message}`, withFile);
}

/**
 * Runs `work` on a fresh connection of this thread's instance, closed afterwards. An abort
 * of `signal` interrupts the running query (it ends with CANCELLED).
 */
export async function withConnection<T>(work: (connection: EngineConnection) => Promise<T>, signal?: AbortSignal): Promise<T> {
  const db = await engineInstance();
  const raw = await db.connect();
  const onAbort = () => raw.interrupt();
  signal?.addEventListener('abort', onAbort);
  try {
    return await work(new EngineConnection(raw, signal));
  } finally {
    signal?.removeEventListener('abort', onAbort);
    raw.closeSync();
  }
}

export type SqlParams = DuckDBValue[] | Record<string, DuckDBValue>;

export class EngineConnection {
  constructor(
    readonly raw: DuckDBConnection,
    private readonly signal?: AbortSignal,
  ) {}

  private checkCancelled(what: string): void {
    if (this.signal?.aborted) throw new CancelledError(`${what}: cancelled`);
  }

  /** Runs a statement for its effect. */
  async run(sql: string, what: string, params?: SqlParams): Promise<void> {
    this.checkCancelled(what);
    try {
      await this.raw.run(sql, params);
    } catch (error) {
      throw engineError(error, what);
    }
  }

  /** Every row of a (small) result as plain objects: BIGINT as bigint, timestamps as DuckDB values. */
  async rows(sql: string, what: string, params?: SqlParams): Promise<Record<string, unknown>[]> {
    this.checkCancelled(what);
    try {
      const reader = await this.raw.runAndReadAll(sql, params);
      return reader.getRowObjectsJS();
    } catch (error) {
      throw engineError(error, what);
    }
  }

  /**
   * Streams a result chunk by chunk (DuckDB's vectors of up to 2,048 rows); `onChunk` must
   * copy what it keeps, the chunk's memory is DuckDB's.
   */
  async stream(sql: string, what: string, onChunk: (chunk: DuckDBDataChunk) => void | Promise<void>, params?: SqlParams): Promise<void> {
    this.checkCancelled(what);
    try {
      const result = await this.raw.stream(sql, params);
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        await onChunk(chunk);
        this.checkCancelled(what);
      }
    } catch (error) {
      throw engineError(error, what);
    }
  }
}

/** The native values of a fixed-width vector (a view into DuckDB's memory: copy it). */
function nativeItems(vector: DuckDBVector): ArrayLike<number | bigint> | null {
  const items = (vector as unknown as { items?: unknown }).items;
  return ArrayBuffer.isView(items) ? (items as unknown as ArrayLike<number | bigint>) : null;
}

interface VectorValidity {
  validity?: { data: unknown; itemValid(index: number): boolean };
}

/**
 * Calls `each` with the index of every null among the first `n` rows of a vector. DuckDB
 * allocates a validity mask only for a vector that holds a null, so the common case costs no
 * per-row call.
 */
function forEachNull(vector: DuckDBVector, n: number, each: (index: number) => void): void {
  const validity = (vector as unknown as VectorValidity).validity;
  if (!validity || validity.data === null || validity.data === undefined) return;
  for (let i = 0; i < n; i++) if (!validity.itemValid(i)) each(i);
}

/**
 * Copies a DOUBLE column of a chunk into `out` at `at`; nulls become NaN and set their bit
 * in `nulls` (one byte per row) when given.
 */
export function copyFloat64(chunk: DuckDBDataChunk, column: number, out: Float64Array, at: number, nulls?: Uint8Array): void {
  const vector = chunk.getColumnVector(column);
  const n = chunk.rowCount;
  const items = nativeItems(vector);
  if (items instanceof Float64Array) {
    out.set(items.subarray(0, n), at);
    // a null's slot holds whatever DuckDB left there: mark it from the validity mask
    forEachNull(vector, n, (i) => {
      out[at + i] = Number.NaN;
      if (nulls) nulls[at + i] = 1;
    });
    return;
  }
  for (let i = 0; i < n; i++) {
    const value = vector.getItem(i) as number | bigint | null;
    if (value === null) {
      out[at + i] = Number.NaN;
      if (nulls) nulls[at + i] = 1;
    } else out[at + i] = Number(value);
  }
}

/** Copies a BIGINT column (or epoch_ns(...) of a timestamp) of a chunk into `out` at `at`; nulls become 0 and set their bit in `nulls`. */
export function copyInt64(chunk: DuckDBDataChunk, column: number, out: BigInt64Array, at: number, nulls?: Uint8Array): void {
  const vector = chunk.getColumnVector(column);
  const n = chunk.rowCount;
  const items = nativeItems(vector);
  if (items instanceof BigInt64Array) {
    out.set(items.subarray(0, n), at);
    forEachNull(vector, n, (i) => {
      out[at + i] = 0n;
      if (nulls) nulls[at + i] = 1;
    });
    return;
  }
  for (let i = 0; i < n; i++) {
    const value = vector.getItem(i) as bigint | number | null;
    if (value === null) {
      out[at + i] = 0n;
      if (nulls) nulls[at + i] = 1;
    } else out[at + i] = BigInt(value);
  }
}
