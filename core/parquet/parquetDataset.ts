import fs from 'node:fs';
import path from 'node:path';
import type { Table } from 'apache-arrow';
import { BadRequestError, NotFoundError } from '../errors.js';
import type { DecoderPool } from './decoderPool.js';
import { openParquetFile, type ParquetHandle } from './parquetFile.js';

/**
 * A dataset as the UI and the jobs see it: one Parquet file, or every Parquet file under a
 * folder of the store, in sorted path order, read as one table. Opening reads the footers
 * only; pages decode only the files and row groups that hold them.
 */

export interface DatasetFile {
  /** absolute */
  file: string;
  /** store-relative with forward slashes, or absolute outside a store */
  path: string;
  rowStart: number;
  handle: ParquetHandle;
}

/** Folders the catalog never shows: staging, uploads, the lock. */
function hidden(name: string): boolean {
  return name.startsWith('.') || name.startsWith('_');
}

export function parquetFilesUnder(dir: string): string[] {
  const found: string[] = [];
  const walk = (folder: string) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (hidden(entry.name)) continue;
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && entry.name.endsWith('.parquet')) found.push(full);
    }
  };
  walk(dir);
  return found;
}

/**
 * Resolves a dataset path: absolute paths are taken as they are; relative ones are inside
 * the store and may not leave it. Throws BAD_REQUEST for a path escaping the store or a
 * relative path without a store, NOT_FOUND when nothing is there.
 */
export function resolveDatasetPath(storeRoot: string | null, datasetPath: string): { absolute: string; display: (file: string) => string } {
  if (path.isAbsolute(datasetPath)) return { absolute: path.normalize(datasetPath), display: (file) => file };
  if (!storeRoot) throw new BadRequestError(`"${datasetPath}" is a store path, but no store is open`, { path: datasetPath });
  const absolute = path.resolve(storeRoot, datasetPath);
  const relative = path.relative(storeRoot, absolute);
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new BadRequestError(`"${datasetPath}" leaves the store`, { path: datasetPath });
  }
  return { absolute, display: (file) => path.relative(storeRoot, file).split(path.sep).join('/') };
}

export class Dataset {
  private constructor(
    readonly path: string,
    readonly files: DatasetFile[],
    readonly numRows: number,
  ) {}

  static async open(storeRoot: string | null, datasetPath: string, decoder?: DecoderPool): Promise<Dataset> {
    const { absolute, display } = resolveDatasetPath(storeRoot, datasetPath);
    let stats: fs.Stats;
    try {
      stats = fs.statSync(absolute);
    } catch {
      throw new NotFoundError(`no dataset at ${datasetPath}`, { path: datasetPath });
    }
    const fileList = stats.isDirectory() ? parquetFilesUnder(absolute) : [absolute];
    if (fileList.length === 0) throw new NotFoundError(`no Parquet files under ${datasetPath}`, { path: datasetPath });
    const files: DatasetFile[] = [];
    let rowStart = 0;
    for (const file of fileList) {
      const handle = await openParquetFile(file, { decoder });
      files.push({ file, path: display(file), rowStart, handle });
      rowStart += handle.numRows;
    }
    return new Dataset(datasetPath, files, rowStart);
  }

  /** A dataset of the given Parquet files (absolute paths), in that order. */
  static async openFiles(fileList: string[], decoder?: DecoderPool): Promise<Dataset> {
    const files: DatasetFile[] = [];
    let rowStart = 0;
    for (const file of fileList) {
      const handle = await openParquetFile(file, { decoder });
      files.push({ file, path: file, rowStart, handle });
      rowStart += handle.numRows;
    }
    return new Dataset(fileList[0] ?? '', files, rowStart);
  }

  /** Rows [offset, offset + limit) across the files, as one table (fewer at the end). */
  async readRows(offset: number, limit: number, columns?: string[]): Promise<Table> {
    const end = Math.min(offset + limit, this.numRows);
    const parts: Table[] = [];
    for (const f of this.files) {
      const fileEnd = f.rowStart + f.handle.numRows;
      if (fileEnd <= offset || f.rowStart >= end) continue;
      const from = Math.max(offset, f.rowStart) - f.rowStart;
      const to = Math.min(end, fileEnd) - f.rowStart;
      parts.push(await f.handle.readRows(from, to - from, columns));
    }
    if (parts.length === 0) return this.files[0].handle.readRows(0, 0, columns);
    return parts.slice(1).reduce((table, part) => table.concat(part), parts[0]);
  }

  /** Every row, as one table. */
  async readAll(columns?: string[]): Promise<Table> {
    const parts = await Promise.all(this.files.map((f) => f.handle.readAll(columns)));
    return parts.slice(1).reduce((table, part) => table.concat(part), parts[0]);
  }
}
