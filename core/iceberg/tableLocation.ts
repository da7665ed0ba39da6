import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CorruptedFileError } from '../errors.js';

/**
 * Where a table's files are. Iceberg metadata names every file by a full location (a
 * `file:` URI here); a table that was copied or moved still names its old place, and
 * other writers name files relative to a working directory (the Spark test tables name
 * `data/persistent/<table>/…`). So a location that starts with the table's recorded
 * `location` is read below the folder the table is in now, and no location may lead out
 * of that folder: a table's metadata is input we do not trust.
 */

/** The `file:` URI of a folder (no trailing slash), as a table's `location`. */
export function fileLocation(absolutePath: string): string {
  return pathToFileURL(path.resolve(absolutePath)).href.replace(/\/+$/, '');
}

/** The location of a file `relative` (forward slashes) below a table recorded at `tableLocation`. */
export function locationIn(tableLocation: string, relative: string): string {
  return `${tableLocation.replace(/\/+$/, '')}/${relative}`;
}

/**
 * The absolute path of a location named in the metadata of the table now in `tableDir`,
 * whose metadata records `tableLocation`. CORRUPTED_FILE naming `source` when the location
 * is neither below the recorded location nor inside the table's folder.
 */
export function resolveLocation(tableDir: string, tableLocation: string, location: string, source: string): string {
  const root = path.resolve(tableDir);
  const base = tableLocation.replace(/\/+$/, '');
  let candidate: string | null = null;
  if (location.startsWith(`${base}/`)) {
    const rest = location.slice(base.length + 1);
    candidate = path.resolve(root, base.startsWith('file:') ? decodeURIComponent(rest) : rest);
  } else if (location.startsWith('file:')) {
    try {
      candidate = fileURLToPath(location);
    } catch {
      candidate = null;
    }
  } else if (path.isAbsolute(location)) {
    candidate = path.resolve(location);
  }
  if (candidate === null || (candidate !== root && !candidate.startsWith(`${root}${path.sep}`))) {
    throw new CorruptedFileError(`${source} names ${location}, which is outside the table folder ${root}`, { path: source, location, table: root });
  }
  return candidate;
}

/** The path of a file below the table folder, relative and with forward slashes (for messages and listings). */
export function relativeInTable(tableDir: string, absolutePath: string): string {
  return path.relative(tableDir, absolutePath).split(path.sep).join('/');
}
