import { tableToIPC, Type, type Table } from 'apache-arrow';
import { BadRequestError } from '../errors.js';
import { VERSION } from '../version.js';
import { assertSafeInOpenStores } from '../store/storePaths.js';
import { wholeBuffer } from '../threads/serveOperations.js';
import { COMPRESSIONS, isCompression, type Compression } from './compression.js';
import { sharedDecoderPool, type DecoderPool } from './decoderPool.js';
import { normalizeForParquet } from './normalizeForParquet.js';

export { COMPRESSIONS, isCompression, type Compression };

/** Rows per row group when the caller does not choose: small enough for fast random pages. */
export const DEFAULT_ROW_GROUP_SIZE = 122_880;

/** The footer's `created_by`, in the `<application> version <version>` form readers parse. */
export const CREATED_BY = `mes-data version ${VERSION} (parquet-wasm)`;

export interface WriteOptions {
  /** Codec for every column (default snappy). `lz4` writes LZ4_RAW, the codec current readers expect. */
  compression?: Compression;
  /** Maximum rows per row group (default 122,880). */
  rowGroupSize?: number;
  /** Key-value metadata stored in the file footer. */
  metadata?: Record<string, string>;
  decoder?: DecoderPool;
}

export interface WriteResult {
  path: string;
  numRows: number;
  compression: Compression;
  bytes: number;
}

/**
 * Top-level timestamp columns. Bar and tick times are nearly all distinct and evenly spaced:
 * dictionary encoding (the writer's default) stores them at full width, delta encoding in a
 * few bits each — measured on 5M one-minute bars, 73 MB → 30 MB and twice as fast to write.
 */
function deltaEncodedColumns(table: Table): string[] {
  return table.schema.fields.filter((field) => field.typeId === Type.Timestamp).map((field) => field.name);
}

/**
 * Writes an Arrow table as a Parquet file, atomically: the bytes go to a temporary file
 * in the same folder, are fsynced, then renamed over `path`; a failure leaves no temporary
 * file and never touches an existing file at `path`. Timestamps keep their unit and zone,
 * except seconds, which Parquet cannot mark: they are stored as milliseconds (and Date64
 * as Date32), as pyarrow does.
 * Throws BAD_REQUEST for bad options, WRITE_FAILED when encoding fails, NOT_FOUND when the
 * folder does not exist, IO_ERROR for other file-system failures.
 */
export async function writeParquet(table: Table, path: string, options: WriteOptions = {}): Promise<WriteResult> {
  const compression = options.compression ?? 'snappy';
  if (!isCompression(compression)) {
    throw new BadRequestError(`unknown compression "${String(compression)}"; use one of ${COMPRESSIONS.join(', ')}`, { compression });
  }
  const rowGroupSize = options.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE;
  if (!Number.isSafeInteger(rowGroupSize) || rowGroupSize < 1) {
    throw new BadRequestError(`row group size must be a whole number ≥ 1, got ${rowGroupSize}`, { rowGroupSize });
  }
  const keyValue = options.metadata ?? {};
  for (const [key, value] of Object.entries(keyValue)) {
    if (typeof value !== 'string') throw new BadRequestError(`metadata value for "${key}" must be a string`, { key });
  }
  // a file inside a store this process opened is written only through real folders (SYMLINK otherwise)
  assertSafeInOpenStores(path);
  const normalized = normalizeForParquet(table);
  const ipc = tableToIPC(normalized, 'stream');
  const decoder = options.decoder ?? sharedDecoderPool();
  const result = await decoder.request(
    'write',
    { path, ipc, compression, rowGroupSize, keyValue, createdBy: CREATED_BY, deltaColumns: deltaEncodedColumns(normalized) },
    { transfer: wholeBuffer(ipc) },
  );
  return { path, numRows: table.numRows, compression, bytes: result.bytes };
}
