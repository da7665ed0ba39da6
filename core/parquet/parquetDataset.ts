import fs from 'node:fs';
import path from 'node:path';
import type { Table } from 'apache-arrow';
import { BadRequestError, NotFoundError, UnsupportedFileError } from '../errors.js';
import { resolveDatasetName } from '../store/datasetNames.js';
import { rawSupersededPath } from '../store/storeLayout.js';
import { SymlinkInStoreError, assertNoSymlinkBelow, assertSafeInOpenStores, resolveStorePath, storeRelativeOf } from '../store/storePaths.js';
import type { DecoderPool } from './decoderPool.js';
import { openParquetFile, type ParquetHandle } from './parquetFile.js';

/**
 * A dataset as the UI and the jobs see it: one Parquet file, or every Parquet file under a
 * folder of the store, in sorted path order, read as one table. Opening reads the footers
 * only; pages decode only the files and row groups that hold them.
 */

interface DatasetFile {
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

/**
 * Every Parquet file under `dir`, in sorted path order (hidden `.`/`_` entries excluded).
 * Nothing is skipped silently: a symbolic link anywhere below `dir` throws SYMLINK (a link
 * would pull files from outside the store into a dataset), and an entry named `*.parquet`
 * that is not a regular file (a FIFO would hang the read) throws UNSUPPORTED_FILE, both
 * naming the entry.
 */
export function parquetFilesUnder(dir: string): string[] {
  const found: string[] = [];
  const walk = (folder: string) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (hidden(entry.name)) continue;
      const full = path.join(folder, entry.name);
      if (entry.isSymbolicLink()) {
        throw new SymlinkInStoreError(`${full} is a symbolic link; datasets never follow links (replace it with the real file or folder)`, { path: full });
      }
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.parquet')) {
        if (!entry.isFile()) throw new UnsupportedFileError(`${full} is not a regular file`, { path: full, reason: 'not a regular file' });
        found.push(full);
      }
    }
  };
  walk(dir);
  return found;
}

/**
 * Resolves a dataset path: relative ones are inside the store and may not leave it, a
 * table's name (`cleaned/MES@v3`, `cleaned/MES` for the newest version…) is the version
 * folder it names (core/store/datasetNames.ts), and no
 * folder or file on the way below the store root may be a symbolic link; absolute ones are
 * taken as they are, with the same link check when they lie inside the store (or inside a
 * store this process opened). Throws BAD_REQUEST for a path escaping the store or a
 * relative path without a store, SYMLINK for a link below the store root.
 */
export function resolveDatasetPath(storeRoot: string | null, datasetPath: string): { absolute: string; display: (file: string) => string } {
  if (path.isAbsolute(datasetPath)) {
    const absolute = path.normalize(datasetPath);
    if (storeRoot && storeRelativeOf(storeRoot, absolute) !== null) assertNoSymlinkBelow(storeRoot, absolute);
    else assertSafeInOpenStores(absolute);
    return { absolute, display: (file) => file };
  }
  if (!storeRoot) throw new BadRequestError(`"${datasetPath}" is a store path, but no store is open`, { path: datasetPath });
  const parts = datasetPath.replace(/\\/g, '/').split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new BadRequestError(`"${datasetPath}" leaves the store`, { path: datasetPath });
  const absolute = resolveStorePath(storeRoot, resolveDatasetName(storeRoot, parts.join('/')).path);
  return { absolute, display: (file) => path.relative(storeRoot, file).split(path.sep).join('/') };
}

/**
 * Where a raw file a revision superseded went (`raw/{ASSET}/{DATE}/{name}` →
 * `catalog/raw/{ASSET}/superseded/{DATE}/{name}`, see `rawSupersededPath`), when the store
 * holds it there; null for any other path. Checked for links like any store path.
 */
function supersededPlace(storeRoot: string | null, datasetPath: string): string | null {
  if (!storeRoot || path.isAbsolute(datasetPath)) return null;
  const parts = datasetPath.replace(/\\/g, '/').split('/').filter((part) => part !== '' && part !== '.');
  if (parts.length !== 4 || parts[0] !== 'raw' || !parts[3].endsWith('.parquet')) return null;
  const moved = resolveStorePath(storeRoot, rawSupersededPath(parts[1], parts[2], parts[3]));
  return fs.statSync(moved, { throwIfNoEntry: false })?.isFile() ? moved : null;
}

/**
 * The Parquet files of a dataset path (resolved as `resolveDatasetPath` does): the file
 * itself, or every Parquet file under the folder in sorted path order. A raw file a revision
 * superseded is followed to its place in `catalog/raw/{ASSET}/superseded/`, so an older
 * revision still shows by its old path. Throws NOT_FOUND when nothing is there, and what
 * `resolveDatasetPath` and `parquetFilesUnder` throw.
 */
export function datasetFiles(storeRoot: string | null, datasetPath: string): { files: string[]; display: (file: string) => string } {
  const { absolute, display } = resolveDatasetPath(storeRoot, datasetPath);
  let stats: fs.Stats;
  try {
    stats = fs.statSync(absolute);
  } catch {
    const moved = supersededPlace(storeRoot, datasetPath);
    if (moved !== null) return { files: [moved], display };
    throw new NotFoundError(`no dataset at ${datasetPath}`, { path: datasetPath });
  }
  const files = stats.isDirectory() ? parquetFilesUnder(absolute) : [absolute];
  if (files.length === 0) throw new NotFoundError(`no Parquet files under ${datasetPath}`, { path: datasetPath });
  return { files, display };
}

export class Dataset {
  private constructor(
    readonly path: string,
    readonly files: DatasetFile[],
    readonly numRows: number,
  ) {}

  static async open(storeRoot: string | null, datasetPath: string, decoder?: DecoderPool): Promise<Dataset> {
    const { files: fileList, display } = datasetFiles(storeRoot, datasetPath);
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
