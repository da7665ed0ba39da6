import crypto from 'node:crypto';
import fs from 'node:fs';
import { CancelledError, CorruptedFileError, NotFoundError, UnsupportedFileError } from '../errors.js';
import type { NumberNotation, SourceColumnInfo } from './columnMapping.js';
import type { Dialect, SourceFormat } from './ingestTypes.js';
import type { SourceBatch } from './rowConverter.js';

/**
 * A source file opened for ingest: what it holds (dialect, columns with sample values) and
 * its rows as a stream of batches. Implemented for CSV/TSV, JSON Lines, Parquet and
 * Arrow IPC; `detectFormat` picks one from the name and the first bytes.
 */
export interface IngestSource {
  format: SourceFormat;
  dialect: Dialect;
  columns: SourceColumnInfo[];
  notation: NumberNotation;
  /** Size of the file in bytes. */
  readonly totalBytes: number;
  /** Bytes read so far (for progress). */
  readonly bytesRead: number;
  /** All rows from the first, in batches. Call once. */
  batches(): AsyncGenerator<SourceBatch>;
  /** SHA-256 of the whole file, hex: taken while reading (CSV, JSON Lines), else by a pass of its own. */
  sha256(): Promise<string>;
  /** True when `sha256()` comes from the bytes `batches()` read (so it shows whether the file changed meanwhile). */
  readonly hashesWhileReading: boolean;
  close(): Promise<void>;
}

const PARQUET_MAGIC = 'PAR1';
const ARROW_MAGIC = 'ARROW1';

/**
 * The format of a file: from its first bytes (Parquet and Arrow IPC files carry a magic
 * number, an Arrow stream starts with a continuation marker), then its extension
 * (`.jsonl`/`.ndjson`, `.parquet`, `.arrow`/`.arrows`/`.feather`/`.ipc`), then its
 * first character (`{` is JSON Lines), else CSV. Throws NOT_FOUND when the path is not a
 * file, UNSUPPORTED_FILE for compressed or zipped files.
 */
export function detectFormat(filePath: string): SourceFormat {
  let head: Buffer;
  try {
    const stat = fs.statSync(filePath);
    if (!stat.isFile()) throw new NotFoundError(`not a file: ${filePath}`, { path: filePath });
    const fd = fs.openSync(filePath, 'r');
    try {
      head = Buffer.alloc(Math.min(64, stat.size));
      fs.readSync(fd, head, 0, head.length, 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    if (error instanceof NotFoundError) throw error;
    throw new NotFoundError(`file not found: ${filePath}`, { path: filePath, reason: (error as Error).message });
  }
  const lower = filePath.toLowerCase();
  const ascii = head.toString('latin1');
  if (ascii.startsWith(PARQUET_MAGIC)) return 'parquet';
  if (ascii.startsWith(ARROW_MAGIC)) return 'arrow';
  if (head.length >= 8 && head.readUInt32LE(0) === 0xffffffff) return 'arrow';
  if ((head[0] === 0x1f && head[1] === 0x8b) || ascii.startsWith('PK\x03\x04') || (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd)) {
    throw new UnsupportedFileError(`${filePath} is compressed (gzip, zip or zstd); decompress it and ingest the file inside`, {
      path: filePath,
      reason: 'compressed',
    });
  }
  if (lower.endsWith('.parquet') || lower.endsWith('.pq')) {
    throw new CorruptedFileError(`${filePath} is named as Parquet but does not start with "PAR1"`, { path: filePath });
  }
  if (/\.(arrow|arrows|feather|ipc)$/.test(lower)) return 'arrow';
  if (/^\[\s*(\{|\[|$)/.test(ascii.trimStart())) {
    throw new UnsupportedFileError(`${filePath} is a JSON array; MES Data reads JSON Lines (one object per line)`, { path: filePath, reason: 'json array' });
  }
  if (/\.(jsonl|ndjson|json)$/.test(lower)) return 'jsonl';
  const text = ascii.replace(/^\uFEFF|^\xEF\xBB\xBF/, '').trimStart();
  if (text.startsWith('{')) return 'jsonl';
  return 'csv';
}

/**
 * A text source's one pass over its file: the chunks from the start (after `prefix`, bytes
 * before it the source has already read, such as a BOM), each hashed and counted on the way,
 * so the file's SHA-256 costs no second read. A pass stopped early leaves `sha256` to hash
 * the file itself.
 */
export class HashingFileRead {
  bytesRead = 0;
  private readonly hash = crypto.createHash('sha256');
  private hashed = false;
  private stream: fs.ReadStream | null = null;

  constructor(
    private readonly filePath: string,
    private readonly chunkBytes: number,
  ) {}

  async *chunks(prefix: Uint8Array = new Uint8Array(0)): AsyncGenerator<Buffer> {
    this.hash.update(prefix);
    this.bytesRead = prefix.length;
    const stream = fs.createReadStream(this.filePath, { start: prefix.length, highWaterMark: this.chunkBytes });
    this.stream = stream;
    try {
      for await (const chunk of stream) {
        const bytes = chunk as Buffer;
        this.hash.update(bytes);
        this.bytesRead += bytes.length;
        yield bytes;
      }
      this.hashed = true;
    } finally {
      stream.destroy();
      this.stream = null;
    }
  }

  sha256(): Promise<string> {
    return this.hashed ? Promise.resolve(this.hash.digest('hex')) : hashFile(this.filePath);
  }

  close(): Promise<void> {
    this.stream?.destroy();
    return Promise.resolve();
  }
}

/**
 * SHA-256 of a file, read as a stream (hex). `onBytes` hears the bytes hashed so far;
 * `signal` stops it with CANCELLED.
 */
export async function hashFile(filePath: string, options: { signal?: AbortSignal; onBytes?: (bytes: number) => void } = {}): Promise<string> {
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  for await (const chunk of fs.createReadStream(filePath, { highWaterMark: 4 * 1024 * 1024 })) {
    if (options.signal?.aborted) throw new CancelledError(`hashing ${filePath} was cancelled`, { path: filePath });
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    options.onBytes?.(bytes);
  }
  return hash.digest('hex');
}
