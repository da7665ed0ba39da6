import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { CorruptedFileError } from '../errors.js';
import { crashPoint } from './crashPoints.js';
import { errnoOf, existsNow, fsyncDir, fsyncFile, ioError, mkdirDurable } from './durableFs.js';

/**
 * The long lists of a version sidecar — its files and its dependencies — kept in pieces
 * shared between versions. A daily version of ten years of minute bars lists 2,600 files
 * and 2,600 raw inputs: written whole, each new version added about 1 MB to the catalog
 * for one new day of data. Instead a list longer than `inlineListMax()` is cut into runs of
 * entries of one calendar month (the month named by the entry's path: `2024-01-15.parquet`,
 * `raw/MES/2024-01-15/bars.parquet`; entries that name none form runs of their own); each run
 * is a piece, `{sha256}.json` (compact JSON of the entries, named by the SHA-256 of its bytes)
 * in the `.lists` folder beside the sidecars of the key, and the sidecar keeps an empty list
 * and the pieces in order under `fileLists`. The month pieces of one calendar year (two or
 * more) are named in turn by a year piece, `{sha256}.json` in the same folder holding the
 * compact JSON of their references (`{key, sha256, count}`), which the sidecar names with
 * `pieces`, the number of month pieces it holds: ten years of daily versions name about 22
 * pieces instead of 250. The next version writes only the pieces that changed (the month of
 * the new day and its year) and names the others. Sidecars that name month pieces alone
 * (written before year pieces) read as before.
 *
 * Every reader goes through `MetadataManager.parseMetadata`, which puts the lists back
 * together (`unpackLists`), checking each piece's bytes against its name. Pieces are written
 * before the sidecar that names them, so a crash in between leaves only pieces no sidecar
 * names, which `gc` removes.
 */

/** The folder of pieces, beside the version sidecars of a key (`catalog/cleaned/MES/.lists/`). */
export const LISTS_DIR = '.lists';

/** Lists of up to this many entries stay in the sidecar (`MES_DATA_SIDECAR_INLINE_MAX` changes it, for tests). */
function inlineListMax(): number {
  const stated = Number(process.env.MES_DATA_SIDECAR_INLINE_MAX);
  return Number.isSafeInteger(stated) && stated >= 0 ? stated : 256;
}

interface PieceRef {
  /** the month of its entries (`2024-01`), the year of a year piece (`2024`), or '' */
  key: string;
  sha256: string;
  /** entries, all its month pieces' entries for a year piece */
  count: number;
  /** only for a year piece: how many month pieces it names */
  pieces?: number;
}

type Lists = { files?: PieceRef[]; dependencies?: PieceRef[] };
type ListName = 'files' | 'dependencies';
const LIST_NAMES: ListName[] = ['files', 'dependencies'];

function monthOf(entry: unknown): string {
  const listed = (entry as { path?: unknown } | null)?.path;
  const match = typeof listed === 'string' ? /(\d{4}-\d{2})-\d{2}/.exec(listed) : null;
  return match ? match[1] : '';
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const yearOf = (ref: PieceRef): string => (ref.key === '' ? '' : ref.key.slice(0, 4));

/**
 * The month references of a list with each run of two or more months of one year replaced
 * by a year piece (added to `pieces`) naming them in order.
 */
function byYear(months: PieceRef[], pieces: Map<string, string>): PieceRef[] {
  const refs: PieceRef[] = [];
  for (let start = 0; start < months.length; ) {
    const year = yearOf(months[start]);
    let end = start + 1;
    while (end < months.length && year !== '' && yearOf(months[end]) === year) end++;
    if (end - start === 1) refs.push(months[start]);
    else {
      const named = months.slice(start, end);
      const text = JSON.stringify(named);
      const digest = sha256(text);
      pieces.set(digest, text);
      refs.push({ key: year, sha256: digest, count: named.reduce((sum, ref) => sum + ref.count, 0), pieces: named.length });
    }
    start = end;
  }
  return refs;
}

/** How many new pieces `packLists` writes at the same time. */
const PIECE_WRITES_AT_ONCE = 16;

/**
 * The sidecar as it is written: each long list cut into pieces (`fileLists`), which are
 * written durably into `listsDir` first (a piece already there is the same bytes: its name
 * is their hash). A sidecar whose lists are short is answered as it is.
 */
export async function packLists<T extends { files: unknown[]; dependencies?: unknown[] }>(sidecar: T, listsDir: string): Promise<T> {
  const max = inlineListMax();
  const lists: Lists = {};
  const pieces = new Map<string, string>();
  const packed: Record<string, unknown> = { ...sidecar };
  for (const name of LIST_NAMES) {
    const entries = sidecar[name];
    if (!Array.isArray(entries) || entries.length <= max) continue;
    const refs: PieceRef[] = [];
    const months = entries.map(monthOf);
    for (let start = 0; start < entries.length; ) {
      const key = months[start];
      let end = start + 1;
      while (end < entries.length && months[end] === key) end++;
      const text = JSON.stringify(entries.slice(start, end));
      const digest = sha256(text);
      pieces.set(digest, text);
      refs.push({ key, sha256: digest, count: end - start });
      start = end;
    }
    lists[name] = byYear(refs, pieces);
    packed[name] = [];
  }
  if (pieces.size === 0) return sidecar;
  await mkdirDurable(listsDir);
  // checked synchronously: a daily version names a few dozen pieces and writes two
  const missing = [...pieces].filter(([digest]) => !existsNow(path.join(listsDir, `${digest}.json`)));
  const writePiece = async ([digest, text]: [string, string]): Promise<void> => {
    const target = path.join(listsDir, `${digest}.json`);
    const temporary = path.join(listsDir, `.${digest}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await fs.writeFile(temporary, text, { flag: 'wx' });
      await fsyncFile(temporary);
      await fs.rename(temporary, target);
    } catch (error) {
      await fs.rm(temporary, { force: true });
      throw ioError('write', target, error);
    }
  };
  // a first version of a long history writes a hundred or more: their fsyncs overlap, a few at a time
  for (let at = 0; at < missing.length; at += PIECE_WRITES_AT_ONCE) await Promise.all(missing.slice(at, at + PIECE_WRITES_AT_ONCE).map(writePiece));
  if (missing.length > 0) await fsyncDir(listsDir);
  crashPoint('wrote the sidecar list pieces');
  packed.fileLists = lists;
  return packed as T;
}

/**
 * Pieces read lately, by path, with the file's size, time and inode when read: a piece
 * never changes, but a damaged one must not be answered from memory (verify reads again).
 */
const pieceCache = new Map<string, { stamp: string; text: string }>();
const PIECE_CACHE_BYTES = 32 * 1024 * 1024;
let pieceCacheBytes = 0;

/** The text of the piece `digest` of `listsDir`, checked against its name. CORRUPTED_FILE naming `sidecarFile` and the piece. */
function readPieceText(listsDir: string, digest: string, sidecarFile: string): string {
  const file = path.join(listsDir, `${digest}.json`);
  try {
    const stats = statSync(file);
    const stamp = `${stats.size}:${stats.mtimeMs}:${stats.ino}`;
    const cached = pieceCache.get(file);
    if (cached?.stamp === stamp) return cached.text;
    const text = readFileSync(file, 'utf8');
    if (sha256(text) !== digest) throw new CorruptedFileError(`${file} is damaged: its bytes do not hash to its name (named by ${sidecarFile})`, { path: file, sidecar: sidecarFile });
    if (cached) pieceCacheBytes -= cached.text.length;
    pieceCache.set(file, { stamp, text });
    pieceCacheBytes += text.length;
    for (const [key, entry] of pieceCache) {
      if (pieceCacheBytes <= PIECE_CACHE_BYTES) break;
      pieceCache.delete(key);
      pieceCacheBytes -= entry.text.length;
    }
    return text;
  } catch (error) {
    if (error instanceof CorruptedFileError) throw error;
    throw new CorruptedFileError(`${sidecarFile} names a list piece ${file} that cannot be read: ${errnoOf(error) ?? (error as Error).message}`, { path: sidecarFile, piece: file });
  }
}

const isPieceRef = (ref: unknown): ref is PieceRef =>
  typeof (ref as PieceRef | null)?.sha256 === 'string' && /^[0-9a-f]{64}$/.test((ref as PieceRef).sha256) && Number.isSafeInteger((ref as PieceRef).count) && typeof (ref as PieceRef).key === 'string';

/** The month references a year piece holds, checked against the sidecar's reference to it. */
function monthsOf(listsDir: string, ref: PieceRef, sidecarFile: string): PieceRef[] {
  const file = path.join(listsDir, `${ref.sha256}.json`);
  const months: unknown = JSON.parse(readPieceText(listsDir, ref.sha256, sidecarFile));
  if (!Array.isArray(months) || months.some((month) => !isPieceRef(month) || month.pieces !== undefined)) {
    throw new CorruptedFileError(`${file} is not a list of month pieces (named by ${sidecarFile} as the year ${ref.key})`, { path: file, sidecar: sidecarFile });
  }
  const count = (months as PieceRef[]).reduce((sum, month) => sum + month.count, 0);
  if (months.length !== ref.pieces || count !== ref.count) {
    throw new CorruptedFileError(`${file} names ${months.length} month pieces of ${count} entries where ${sidecarFile} says ${ref.pieces} of ${ref.count}`, { path: file, sidecar: sidecarFile });
  }
  return months as PieceRef[];
}

function readPiece(listsDir: string, ref: PieceRef, sidecarFile: string): unknown[] {
  if (ref.pieces !== undefined) return monthsOf(listsDir, ref, sidecarFile).flatMap((month) => readPiece(listsDir, month, sidecarFile));
  const file = path.join(listsDir, `${ref.sha256}.json`);
  const entries: unknown = JSON.parse(readPieceText(listsDir, ref.sha256, sidecarFile));
  if (!Array.isArray(entries) || entries.length !== ref.count) throw new CorruptedFileError(`${file} holds ${Array.isArray(entries) ? entries.length : 'no list of'} entries where ${sidecarFile} says ${ref.count}`, { path: file, sidecar: sidecarFile });
  return entries;
}

/**
 * Puts the pieces of a parsed sidecar's lists back (in place): `files` and `dependencies`
 * whole again, `fileLists` gone. CORRUPTED_FILE naming the sidecar and the piece when a piece
 * is missing, damaged or of another length. A sidecar without pieces is left as it is.
 */
export function unpackLists(value: Record<string, unknown>, sidecarFile: string): void {
  const lists = value.fileLists as Lists | undefined;
  if (lists === undefined) return;
  if (typeof lists !== 'object' || lists === null) throw new CorruptedFileError(`${sidecarFile} has a fileLists that is not an object`, { path: sidecarFile });
  const listsDir = path.join(path.dirname(sidecarFile), LISTS_DIR);
  for (const name of LIST_NAMES) {
    const refs = lists[name];
    if (refs === undefined) continue;
    if (!Array.isArray(refs) || refs.some((ref) => !isPieceRef(ref) || (ref.pieces !== undefined && !Number.isSafeInteger(ref.pieces)))) {
      throw new CorruptedFileError(`${sidecarFile} has a fileLists.${name} that is not a list of pieces`, { path: sidecarFile });
    }
    value[name] = refs.flatMap((ref) => readPiece(listsDir, ref, sidecarFile));
  }
  delete value.fileLists;
}

/**
 * The pieces the sidecar `sidecarFile` (its text `text`) names (for gc): its month and year
 * pieces and the month pieces of those years, read and checked (CORRUPTED_FILE when a year
 * piece is missing or damaged); none for a sidecar with its lists whole.
 */
export function piecesNamed(text: string, sidecarFile: string): string[] {
  const lists = (JSON.parse(text) as { fileLists?: Lists }).fileLists;
  const listsDir = path.join(path.dirname(sidecarFile), LISTS_DIR);
  return LIST_NAMES.flatMap((name) =>
    (lists?.[name] ?? []).flatMap((ref) => (ref.pieces === undefined ? [ref.sha256] : [ref.sha256, ...monthsOf(listsDir, ref, sidecarFile).map((month) => month.sha256)])),
  );
}
