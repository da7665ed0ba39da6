import type { ColumnMetaData, FileMetaData } from 'hyparquet';
import type { ReaderOptions } from 'parquet-wasm/node';
import { NotFoundError, UnsupportedFileError } from '../../errors.js';
import type { CachedFile } from './fileCache.js';

/** Which rows, row groups and column chunks a read touches, from the footer alone. */

/** Largest column chunk, uncompressed, that the decoders are asked to load. */
export const MAX_CHUNK_BYTES = 1024 * 1024 * 1024;

/** What parquet-wasm is asked to read. */
export type { ReaderOptions };

/** Rows in the file: the sum of its row groups (the footer's num_rows is 0 from some writers). */
export function rowCount(entry: Pick<CachedFile, 'metadata'>): number {
  return entry.metadata.row_groups.reduce((sum, group) => sum + Number(group.num_rows), 0);
}

/** Which row groups cover rows [offset, offset + limit). */
export function rowGroupsFor(entry: Pick<CachedFile, 'metadata' | 'rowStarts'>, offset: number, limit: number): number[] {
  const groups: number[] = [];
  const end = offset + limit;
  for (let i = 0; i < entry.rowStarts.length; i++) {
    const start = entry.rowStarts[i];
    const stop = start + Number(entry.metadata.row_groups[i].num_rows);
    if (stop > offset && start < end) groups.push(i);
  }
  return groups;
}

/**
 * Positions of the top-level fields in the flattened Thrift schema (depth-first, children
 * counted by num_children).
 */
export function topLevelIndexes(metadata: FileMetaData): number[] {
  const schema = metadata.schema;
  const indexes: number[] = [];
  const skip = (index: number): number => {
    let next = index + 1;
    for (let c = 0; c < (schema[index]?.num_children ?? 0); c++) next = skip(next);
    return next;
  };
  for (let i = 1; i < schema.length; i = skip(i)) indexes.push(i);
  return indexes;
}

/** Names of the top-level fields. */
export function topLevelColumns(metadata: FileMetaData): string[] {
  return topLevelIndexes(metadata).map((index) => metadata.schema[index].name);
}

/** Throws NOT_FOUND naming the columns asked for that the file does not have. */
export function checkColumns(filePath: string, metadata: FileMetaData, columns: string[] | undefined): void {
  if (!columns) return;
  const topLevel = topLevelColumns(metadata);
  const missing = columns.filter((c) => !topLevel.includes(c));
  if (missing.length > 0) {
    throw new NotFoundError(`column ${missing.map((c) => JSON.stringify(c)).join(', ')} not found in ${filePath}; columns are ${topLevel.join(', ')}`, {
      path: filePath,
      missing,
      available: topLevel,
    });
  }
}

/**
 * Whether any of the chosen top-level columns is stored as INT96 (legacy Impala/Spark
 * timestamps). The WebAssembly decoder turns those into int64 nanoseconds, which wrap
 * outside 1677–2262; the fallback reads them as microseconds, exact to year 294,247.
 */
export function readsInt96(metadata: FileMetaData, columns: string[] | undefined): boolean {
  return topLevelIndexes(metadata).some((index) => {
    const element = metadata.schema[index];
    return element.type === 'INT96' && (!columns || columns.includes(element.name));
  });
}

/** Column chunks a read would decode. */
export function chunksToRead(metadata: FileMetaData, readerOptions: ReaderOptions): ColumnMetaData[] {
  const chunks: ColumnMetaData[] = [];
  metadata.row_groups.forEach((group, index) => {
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

/** Uncompressed bytes of the column chunks a read would decode. */
export function uncompressedBytes(metadata: FileMetaData, readerOptions: ReaderOptions): number {
  return chunksToRead(metadata, readerOptions).reduce((sum, chunk) => sum + Number(chunk.total_uncompressed_size), 0);
}

/**
 * A column chunk that decodes to more than MAX_CHUNK_BYTES cannot fit the decoder's 32-bit
 * address space next to its output: refuse it up front (UNSUPPORTED_FILE) instead of
 * letting the decoder trap.
 */
export function refuseOversizedChunks(filePath: string, metadata: FileMetaData, readerOptions: ReaderOptions): void {
  for (const chunk of chunksToRead(metadata, readerOptions)) {
    const bytes = Number(chunk.total_uncompressed_size);
    if (bytes > MAX_CHUNK_BYTES) {
      const column = chunk.path_in_schema.join('.');
      throw new UnsupportedFileError(
        `${filePath} cannot be loaded: column "${column}" holds ${(bytes / 2 ** 30).toFixed(1)} GiB uncompressed in one chunk, over the ${MAX_CHUNK_BYTES / 2 ** 30} GiB MES Data decodes at once`,
        { path: filePath, reason: 'column chunk too large', column, uncompressedBytes: bytes },
      );
    }
  }
}
