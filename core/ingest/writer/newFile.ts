import fs from 'node:fs';
import { dirname } from 'node:path';
import { AlreadyExistsError, MesDataError } from '../../errors.js';

/** Files the writer creates: new names only, never an overwrite. */

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Creates a file that must not exist yet (and its folder when asked); returns its descriptor. */
export function createFile(path: string, mkdir: boolean): number {
  if (mkdir) fs.mkdirSync(dirname(path), { recursive: true });
  try {
    return fs.openSync(path, 'wx');
  } catch (error) {
    throw createError(path, error);
  }
}

/** The typed error for a file that could not be created: ALREADY_EXISTS, NOT_FOUND (no folder) or IO_ERROR. */
export function createError(path: string, error: unknown): MesDataError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EEXIST') return new AlreadyExistsError(`${path} already exists; stage into a folder without an earlier ingest of the same name`, { path });
  return new MesDataError(code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR', `cannot create ${path}: ${messageOf(error)}`, { path, errno: code });
}

/** Writes all of `bytes` to `fd`. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done);
}
