import fs from 'node:fs';
import { parquetMetadataAsync, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { CorruptedFileError, MesDataError, NotFoundError, UnsupportedFileError } from '../../errors.js';

/** Reading a file's bytes and its footer, before anything is decoded. */

const PAR1 = 'PAR1';
const PARE = 'PARE';

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Parsers that keep raw values: no Date objects (they would lose micro- and nanoseconds). */
export const rawParsers = {
  timestampFromMilliseconds: (v: bigint) => v,
  timestampFromMicroseconds: (v: bigint) => v,
  timestampFromNanoseconds: (v: bigint) => v,
  dateFromDays: (v: number) => v,
};

/** A `{byteLength, slice}` view of an open file descriptor, the shape hyparquet reads through. */
export function fdByteSource(fd: number, byteLength: number): AsyncBuffer {
  return {
    byteLength,
    slice(start: number, end = byteLength): ArrayBuffer {
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

/** The same view of bytes already in memory (a whole file). */
function memoryByteSource(bytes: Uint8Array): AsyncBuffer {
  return {
    byteLength: bytes.byteLength,
    slice(start: number, end = bytes.byteLength): ArrayBuffer {
      return bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + Math.min(end, bytes.byteLength)) as ArrayBuffer;
    },
  };
}

/** The file's stats. Throws NOT_FOUND for a missing path or one that is not a file, IO_ERROR otherwise. */
export function statFile(filePath: string): fs.Stats {
  let stats: fs.Stats;
  try {
    stats = fs.statSync(filePath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NotFoundError(`file not found: ${filePath}`, { path: filePath });
    throw new MesDataError('IO_ERROR', `cannot read ${filePath}: ${messageOf(error)}`, { path: filePath, errno: code });
  }
  if (!stats.isFile()) throw new NotFoundError(`not a file: ${filePath}`, { path: filePath });
  return stats;
}

/**
 * Checks the magic bytes and parses the footer, from the file or from `bytes` (the whole
 * file, already read). Throws CORRUPTED_FILE or UNSUPPORTED_FILE.
 */
export async function readFooter(filePath: string, size: number, bytes?: Uint8Array): Promise<FileMetaData> {
  if (size < 12) {
    throw new CorruptedFileError(`${filePath} is ${size} bytes, too small to be a Parquet file (at least 12)`, { path: filePath, bytes: size });
  }
  const fd = bytes ? null : fs.openSync(filePath, 'r');
  try {
    const source = fd === null ? memoryByteSource(bytes as Uint8Array) : fdByteSource(fd, size);
    const head = Buffer.from(source.slice(0, 4) as ArrayBuffer).toString('latin1');
    const tail = Buffer.from(source.slice(size - 4, size) as ArrayBuffer).toString('latin1');
    if (tail === PARE) {
      throw new UnsupportedFileError(`${filePath} uses Parquet modular encryption (encrypted footer), which MES Data cannot decrypt`, {
        path: filePath,
        reason: 'encrypted footer',
      });
    }
    if (head !== PAR1 || tail !== PAR1) {
      throw new CorruptedFileError(`${filePath} is not a Parquet file: expected magic "PAR1" at both ends, found ${JSON.stringify(head)} and ${JSON.stringify(tail)}`, {
        path: filePath,
        head,
        tail,
      });
    }
    let metadata: FileMetaData;
    try {
      metadata = await parquetMetadataAsync(source, { parsers: rawParsers });
    } catch (error) {
      throw new CorruptedFileError(`${filePath} has an unreadable footer: ${messageOf(error)}`, { path: filePath, reason: messageOf(error) });
    }
    for (const group of metadata.row_groups) {
      for (const column of group.columns) {
        if (column.crypto_metadata !== undefined || column.encrypted_column_metadata !== undefined) {
          throw new UnsupportedFileError(`${filePath} has encrypted columns (column "${(column.meta_data?.path_in_schema ?? []).join('.')}"), which MES Data cannot decrypt`, {
            path: filePath,
            reason: 'encrypted columns',
          });
        }
      }
    }
    return metadata;
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}
