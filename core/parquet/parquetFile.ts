import { tableFromIPC, type Schema, type Table } from 'apache-arrow';
import { BadRequestError } from '../errors.js';
import { humanizeStatistics } from './columnStatistics.js';
import { sharedDecoderPool, type DecoderPool } from './decoderPool.js';
import { assertSafeInOpenStores } from '../store/storePaths.js';

/** One column chunk of one row group, from the footer. Sizes in bytes. */
export interface ColumnChunkInfo {
  name: string;
  physicalType: string | null;
  compression: string;
  encodings: string[];
  numValues: number;
  compressedBytes: number;
  uncompressedBytes: number;
  /**
   * Statistics in JSON form: timestamps as ISO 8601 UTC, dates as YYYY-MM-DD, 64-bit integers
   * beyond ±2^53 as strings, binary as base64; null when absent.
   */
  min: unknown;
  max: unknown;
  nullCount: number | null;
}

export interface RowGroupInfo {
  index: number;
  /** Position of the group's first row in the file (0-based). */
  rowStart: number;
  numRows: number;
  totalByteSize: number;
  columns: ColumnChunkInfo[];
}

export interface ParquetSchemaElement {
  name: string;
  type: string | null;
  repetition: string | null;
  convertedType: string | null;
  logicalType: unknown;
  numChildren: number;
  typeLength: number | null;
  precision: number | null;
  scale: number | null;
}

/** Everything the footer says, as plain serializable data. */
export interface ParquetFileInfo {
  path: string;
  bytes: number;
  numRows: number;
  version: number;
  createdBy: string | null;
  keyValue: Record<string, string>;
  parquetSchema: ParquetSchemaElement[];
  rowGroups: RowGroupInfo[];
}

export interface ReadOptions {
  /** Top-level column names to read, in this order; all columns when omitted. */
  columns?: string[];
  decoder?: DecoderPool;
}

/**
 * A Parquet file opened lazily: opening reads only the footer, and `readRows` decodes only
 * the row groups that hold the requested rows. The handle keeps no file descriptor of its
 * own; the decoder thread caches the open file and notices when it changes on disk.
 */
export class ParquetHandle {
  constructor(
    readonly path: string,
    readonly info: ParquetFileInfo,
    readonly schema: Schema,
    private readonly decoder: DecoderPool,
  ) {}

  get numRows(): number {
    return this.info.numRows;
  }

  /**
   * Rows [offset, offset + limit) as an Arrow table (fewer at the end of the file).
   * Throws BAD_REQUEST for a negative or fractional offset/limit, NOT_FOUND for an unknown
   * column, CORRUPTED_FILE / UNSUPPORTED_FILE when the pages cannot be decoded.
   */
  readRows(offset: number, limit: number, columns?: string[]): Promise<Table> {
    return decodeRows(this.decoder, this.path, offset, limit, columns);
  }

  /** The whole file (or the chosen columns) as one Arrow table. */
  async readAll(columns?: string[]): Promise<Table> {
    const { ipc } = await this.decoder.request('read', { path: this.path, columns });
    return inColumnOrder(tableFromIPC(ipc), columns);
  }
}

async function decodeRows(decoder: DecoderPool, path: string, offset: number, limit: number, columns: string[] | undefined): Promise<Table> {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new BadRequestError(`offset must be a whole number ≥ 0, got ${offset}`, { offset });
  if (!Number.isSafeInteger(limit) || limit < 0) throw new BadRequestError(`limit must be a whole number ≥ 0, got ${limit}`, { limit });
  const { ipc } = await decoder.request('read', { path, offset, limit, columns });
  return inColumnOrder(tableFromIPC(ipc), columns);
}

/**
 * Rows [offset, offset + limit) of a Parquet file without a handle: one request to the
 * decoder, where opening a handle and then reading costs two (and the footer's summary and
 * schema cross to this thread for nothing). For callers that know the file's row count
 * already (pages of a dataset). The same checks and errors as `openParquetFile` and
 * `ParquetHandle.readRows`.
 */
export function readParquetRows(path: string, offset: number, limit: number, options: ReadOptions = {}): Promise<Table> {
  assertSafeInOpenStores(path);
  return decodeRows(options.decoder ?? sharedDecoderPool(), path, offset, limit, options.columns);
}

/** The decoder returns columns in file order; callers get them in the order they asked for. */
function inColumnOrder(table: Table, columns: string[] | undefined): Table {
  if (!columns) return table;
  const names = table.schema.fields.map((field) => field.name);
  return names.every((name, k) => name === columns[k]) ? table : table.select(columns);
}

/**
 * Opens a Parquet file by reading its footer only. Throws NOT_FOUND when the path is not a
 * file, CORRUPTED_FILE for a truncated, garbage or bad-magic file, UNSUPPORTED_FILE for an
 * encrypted one.
 */
export async function openParquetFile(path: string, options: { decoder?: DecoderPool } = {}): Promise<ParquetHandle> {
  // a file inside a store this process opened is read only through real folders (SYMLINK otherwise)
  assertSafeInOpenStores(path);
  const decoder = options.decoder ?? sharedDecoderPool();
  const { summary, schemaIpc } = await decoder.request('open', { path });
  humanizeStatistics(summary);
  return new ParquetHandle(path, summary, tableFromIPC(schemaIpc).schema, decoder);
}

/** Reads a whole Parquet file into an Arrow table, optionally only some columns. */
export async function readParquet(path: string, options: ReadOptions = {}): Promise<Table> {
  const handle = await openParquetFile(path, options);
  return handle.readAll(options.columns);
}
