import fs from 'node:fs';
import path from 'node:path';
import { BadRequestError, MesDataError, type ErrorDetails } from '../errors.js';

/**
 * The one place where a store-relative path becomes a path on disk. A store folder may come
 * from someone else (a shared drive, an unpacked archive), so nothing in it is trusted: a
 * path must stay inside the store after resolution, and no folder or file below the store
 * root may be a symbolic link (checked with `lstat`, never followed), because a link would
 * let reads and writes reach outside the store while every string check still passes.
 * The store root itself may sit under links (`/home` → `/usr/home`); only what is below it
 * is checked.
 */

/** A symbolic link inside a store (code `SYMLINK`): the store refuses to follow it. */
export class SymlinkInStoreError extends MesDataError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('SYMLINK', message, details);
  }
}

/** Something in the store's own bookkeeping (a staging journal) is damaged or crafted (code `CORRUPTED_STORE`). */
export class CorruptedStoreError extends MesDataError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('CORRUPTED_STORE', message, details);
  }
}

/**
 * The parts of a store-relative path (`raw/MES/2024-01-15` → three parts). Forward slashes
 * only; '' is the store root (no parts). Throws BAD_REQUEST for an absolute path, a `..`,
 * `.` or empty part, a backslash or a NUL character: such a path could leave the store or
 * mean different things on different systems.
 */
export function storePathParts(relative: string): string[] {
  if (relative === '') return [];
  const fail = (why: string): never => {
    throw new BadRequestError(`store path ${JSON.stringify(relative)} ${why}`, { path: relative, reason: why });
  };
  if (relative.includes('\0')) fail('contains a NUL character');
  if (relative.includes('\\')) fail('contains a backslash');
  if (relative.startsWith('/') || /^[A-Za-z]:/.test(relative)) fail('is absolute; store paths are relative to the store');
  const parts = relative.split('/');
  for (const part of parts) {
    if (part === '..') fail('contains ".." and would leave the store');
    if (part === '' || part === '.') fail('has an empty or "." part');
  }
  return parts;
}

function isInside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return relative === '' || (!relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative));
}

/** The store-relative path (forward slashes) of an absolute path, or null when it is outside `root`. */
export function storeRelativeOf(root: string, absolutePath: string): string | null {
  const resolved = path.resolve(absolutePath);
  const base = path.resolve(root);
  if (!isInside(base, resolved)) return null;
  return path.relative(base, resolved).split(path.sep).join('/');
}

/**
 * Checks with `lstat` every existing component of `absolutePath` below `root` (the target
 * included) and throws SYMLINK for the first symbolic link, naming it store-relative. A
 * missing component ends the check: what does not exist yet cannot be a link (writers call
 * this before they create it). Throws BAD_REQUEST when `absolutePath` is outside `root`.
 */
export function assertNoSymlinkBelow(root: string, absolutePath: string): void {
  const base = path.resolve(root);
  const relative = storeRelativeOf(base, absolutePath);
  if (relative === null) throw new BadRequestError(`${absolutePath} is outside the store ${base}`, { path: absolutePath, store: base });
  if (relative === '') return;
  let current = base;
  for (const part of relative.split('/')) {
    current = path.join(current, part);
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(current);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw error;
    }
    if (stat.isSymbolicLink()) {
      const linkPath = path.relative(base, current).split(path.sep).join('/');
      let target = '';
      try {
        target = fs.readlinkSync(current);
      } catch {
        // the link's target is only for the message
      }
      throw new SymlinkInStoreError(`${linkPath} in the store ${base} is a symbolic link${target ? ` to ${target}` : ''}; the store never follows links (replace it with the real folder or file)`, {
        path: linkPath,
        store: base,
        target,
      });
    }
  }
}

/**
 * The absolute path of a store-relative path, checked: it stays inside `root` and no
 * existing component below `root` is a symbolic link. Throws BAD_REQUEST for a path that
 * could leave the store (see `storePathParts`), SYMLINK for a link. Synchronous (a few
 * `lstat` calls), so the same check serves sync and async callers.
 */
export function resolveStorePath(root: string, relative: string): string {
  const parts = storePathParts(relative);
  const absolutePath = parts.length === 0 ? path.resolve(root) : path.join(path.resolve(root), ...parts);
  assertNoSymlinkBelow(root, absolutePath);
  return absolutePath;
}

/**
 * Store roots this process has opened or created (`openStore`, `initStore`). Low-level code
 * that only sees absolute paths (durable writes, Parquet opens) asks `assertSafeInOpenStores`
 * so that every path into a known store gets the no-link check without each caller
 * passing the root along. Paths outside every known store are not checked (the CLI reads
 * any Parquet file the user names).
 */
const openRoots = new Set<string>();

/** Remembers `root` as a store of this process (see `assertSafeInOpenStores`). */
export function registerStoreRoot(root: string): void {
  openRoots.add(path.resolve(root));
}

/** The innermost known store root that holds `absolutePath`, or null. */
function openStoreRootOf(absolutePath: string): string | null {
  const resolved = path.resolve(absolutePath);
  let best: string | null = null;
  for (const root of openRoots) {
    if (isInside(root, resolved) && (best === null || root.length > best.length)) best = root;
  }
  return best;
}

/**
 * Throws SYMLINK when `absolutePath` lies inside a store this process opened and a
 * component of it below that store's root is a symbolic link; does nothing for paths
 * outside every known store.
 */
export function assertSafeInOpenStores(absolutePath: string): void {
  const root = openStoreRootOf(absolutePath);
  if (root !== null) assertNoSymlinkBelow(root, absolutePath);
}
