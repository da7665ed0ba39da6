import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AlreadyExistsError, MesDataError } from '../errors.js';
import { crashPoint } from './crashPoints.js';
import { SymlinkInStoreError, assertSafeInOpenStores } from './storePaths.js';

/**
 * File-system steps that survive a crash: data is fsynced before it is renamed into place,
 * and the folder that holds a new name is fsynced after the rename, so that once a step
 * has returned, a crash cannot undo it. Every step that creates or moves a name inside a
 * store this process opened first checks that no folder on the way is a symbolic link
 * (SYMLINK), so that no writer can be led outside the store by a link planted in it.
 */

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Flushes a file's data and size to disk. */
export async function fsyncFile(filePath: string): Promise<void> {
  const handle = await fs.open(filePath, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes a folder's entries (new names, removed names) to disk. */
export async function fsyncDir(dirPath: string): Promise<void> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(dirPath, 'r');
  } catch (error) {
    // Windows cannot open a folder for syncing; its renames are durable on their own
    if (errnoOf(error) === 'EISDIR' || errnoOf(error) === 'EPERM') return;
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    const code = errnoOf(error);
    if (code !== 'EINVAL' && code !== 'EPERM' && code !== 'ENOTSUP') throw error;
  } finally {
    await handle.close();
  }
}

/** A temporary name beside `target`, hidden, unique to this process and call. */
export function temporaryName(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Writes `data` to `target` atomically and durably: a temporary file beside it, fsync,
 * rename over `target`, fsync of the folder. Readers see the old content or the new one.
 */
export async function writeFileDurable(target: string, data: string | Uint8Array): Promise<void> {
  assertSafeInOpenStores(target);
  await replaceDurably(target, data, crashPoint);
}

/**
 * The steps of `writeFileDurable` without its store check and crash points, for a thread
 * (the Parquet decoder's writes): a thread knows neither which stores its process opened nor
 * the count of crash steps, which the main thread keeps; `writeParquet` checks the path
 * before it asks the thread.
 */
export async function replaceFileDurable(target: string, data: Uint8Array): Promise<void> {
  await replaceDurably(target, data, () => {});
}

async function replaceDurably(target: string, data: string | Uint8Array, step: (label: string) => void): Promise<void> {
  const temp = temporaryName(target);
  try {
    const handle = await fs.open(temp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    step(`wrote ${path.basename(target)} (temporary)`);
    await fs.rename(temp, target);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  step(`renamed ${path.basename(target)} into place`);
  await fsyncDir(path.dirname(target));
  step(`synced the folder of ${path.basename(target)}`);
}

/**
 * Creates `dir` and any missing parents, syncing each parent that got a new entry.
 * Returns the folders it created, outermost first.
 */
export async function mkdirDurable(dir: string): Promise<string[]> {
  assertSafeInOpenStores(dir);
  const missing: string[] = [];
  let current = path.resolve(dir);
  for (;;) {
    try {
      await fs.stat(current);
      break;
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT') throw error;
      missing.unshift(current);
      const parent = path.dirname(current);
      if (parent === current) break;
      current = parent;
    }
  }
  for (const folder of missing) {
    try {
      await fs.mkdir(folder);
    } catch (error) {
      if (errnoOf(error) !== 'EEXIST') throw error;
    }
    crashPoint(`created folder ${path.basename(folder)}`);
    await fsyncDir(path.dirname(folder));
  }
  return missing;
}

/**
 * Moves a file or folder to a name that must not exist yet, then syncs both folders.
 * A file is moved with link + unlink, which refuses an existing target atomically; a folder
 * with rename, which refuses an existing non-empty target. Throws ALREADY_EXISTS when the
 * target is taken.
 */
export async function moveNoReplace(from: string, to: string, kind: 'file' | 'dir'): Promise<void> {
  const taken = (): AlreadyExistsError => new AlreadyExistsError(`${to} already exists; it was not replaced`, { path: to });
  assertSafeInOpenStores(from);
  assertSafeInOpenStores(to);
  if (kind === 'file') {
    try {
      await fs.link(from, to);
      await fs.unlink(from);
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'EEXIST') throw taken();
      // file systems without hard links: check, then rename (we hold the store lock)
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'ENOSYS') throw error;
      if (await exists(to)) throw taken();
      await fs.rename(from, to);
    }
  } else {
    if (await exists(to)) throw taken();
    try {
      await fs.rename(from, to);
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'ENOTEMPTY' || code === 'EEXIST') throw taken();
      throw error;
    }
  }
  crashPoint(`moved ${path.basename(from)} to ${path.basename(to)}`);
  await fsyncDir(path.dirname(to));
  if (path.dirname(from) !== path.dirname(to)) await fsyncDir(path.dirname(from));
  crashPoint(`synced after moving ${path.basename(to)}`);
}

export async function exists(target: string): Promise<boolean> {
  try {
    await fs.lstat(target);
    return true;
  } catch (error) {
    if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return false;
    throw error;
  }
}

/** `exists` without a trip through the thread pool, for checks made by the thousand (a version a daily store has). */
export function existsNow(target: string): boolean {
  try {
    lstatSync(target);
    return true;
  } catch (error) {
    if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return false;
    throw ioError('check', target, error);
  }
}

/** Removes a file or folder tree; a missing one is fine. */
export async function removeTree(target: string): Promise<void> {
  await fs.rm(target, { recursive: true, force: true, maxRetries: 3 });
}

/** An IO failure as a typed error naming the path. */
export function ioError(action: string, target: string, error: unknown): MesDataError {
  if (error instanceof MesDataError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new MesDataError('IO_ERROR', `cannot ${action} ${target}: ${message}`, { path: target, errno: errnoOf(error) ?? null });
}

export { errnoOf };

/** The names in a folder, sorted; none when the folder (or a folder on the way) is missing. */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).sort();
  } catch (error) {
    if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return [];
    throw ioError('list', dir, error);
  }
}

/** Files `readSmallFiles` reads between two turns of the event loop. */
const SMALL_READS_PER_TURN = 256;

/**
 * The text of each of many small files (sidecars), null for one that does not exist. They
 * are read synchronously, a batch at a time, and the event loop gets a turn between
 * batches: 2,616 raw sidecars took 22 ms this way on this machine, and 180 ms through
 * `fs.promises`, whose open, stat, read and close are four trips through the thread pool
 * per file. The callers have checked the folders on the way; a file that is itself a
 * symbolic link is refused (SYMLINK), and a file over `maxBytes` is IO_ERROR.
 */
export async function readSmallFiles(files: readonly string[], maxBytes = 64 * 1024 * 1024): Promise<(string | null)[]> {
  const texts: (string | null)[] = [];
  for (let start = 0; start < files.length; start += SMALL_READS_PER_TURN) {
    if (start > 0) await new Promise((resolve) => setImmediate(resolve));
    for (const file of files.slice(start, start + SMALL_READS_PER_TURN)) texts.push(readSmallFile(file, maxBytes));
  }
  return texts;
}

// where the platform has no O_NOFOLLOW (Windows), the file is checked with lstat first
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

function readSmallFile(file: string, maxBytes: number): string | null {
  let fd: number;
  try {
    if (NO_FOLLOW === 0 && lstatSync(file).isSymbolicLink()) throw Object.assign(new Error('a symbolic link'), { code: 'ELOOP' });
    fd = openSync(file, constants.O_RDONLY | NO_FOLLOW);
  } catch (error) {
    const code = errnoOf(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    if (code === 'ELOOP') throw new SymlinkInStoreError(`${file} is a symbolic link; the store does not follow links`, { path: file });
    throw ioError('read', file, error);
  }
  try {
    const size = fstatSync(fd).size;
    if (size > maxBytes) throw new MesDataError('IO_ERROR', `cannot read ${file}: it holds ${size} bytes, more than the ${maxBytes} a sidecar may have`, { path: file, bytes: size });
    return readFileSync(fd, 'utf8');
  } catch (error) {
    throw ioError('read', file, error);
  } finally {
    closeSync(fd);
  }
}
