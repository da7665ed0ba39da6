import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { crashPoint } from './crashPoints.js';
import { errnoOf, exists, fsyncDir, mkdirDurable, moveNoReplace, removeTree, writeFileDurable } from './durableFs.js';
import { HOST_TAG, isProcessAlive } from './storeLock.js';
import { MesDataError } from '../errors.js';
import { checkAssetName, isIsoDate, isValidName } from './storeNames.js';
import { CorruptedStoreError, assertNoSymlinkBelow, storePathParts } from './storePaths.js';
import { CATALOG_DIR, LAYERS, RAW_SUPERSEDED_DIR, SIDECAR, STAGING_DIR, absolute, isLayer, rawSupersededPath, type Store } from './storeLayout.js';

/**
 * Staging: every writer builds its files under `<store>/.staging/<pid>-<host>-<random>/`,
 * on the same file system as their final place, so that moving them in is a rename.
 *
 * A commit that needs more than one rename (every raw commit: its sidecars move into
 * `catalog/raw/`, its files or date folders into `raw/`) first writes a journal,
 * `journal.json`, listing the moves in order; writing the journal is the commit point. If the writer dies after it, the next
 * writer (or `openStore`) finishes the moves ("rolls forward"); if it dies before, the
 * staging folder is simply removed. Staging folders of live processes are left alone.
 * A journal is checked before it is applied (`checkJournalMoves`): one from a store folder
 * someone else prepared can neither move files in from outside nor write outside.
 */

export const JOURNAL = 'journal.json';

/**
 * One move of a journal; paths are store-relative. `replace` allows replacing an existing file (a sidecar in `catalog/`).
 * `file` and `dir` move out of the writer's own staging folder; `supersede` moves a raw file the commit
 * revises out of its date folder, `raw/{ASSET}/{DATE}/{name}` to `catalog/raw/{ASSET}/superseded/{DATE}/{name}`
 * (`rawSupersededPath`), and nothing else.
 */
export interface JournalMove {
  from: string;
  to: string;
  kind: 'file' | 'dir' | 'supersede';
  replace?: boolean;
}

export interface StagingDir {
  /** Absolute path of the folder. */
  readonly path: string;
  /** Store-relative path of the folder (`.staging/<id>`). */
  readonly relativePath: string;
  /** Removes the folder and everything in it. */
  dispose(): Promise<void>;
}

/** Staging folders this process is using now (never removed as leftovers). */
const activeStaging = new Set<string>();

/**
 * A fresh staging folder inside the store. Ingest writes its Parquet files here and hands
 * their paths to `commitRawSnapshots`, which moves them in without copying.
 */
export async function createStagingDir(store: Store): Promise<StagingDir> {
  const id = `${process.pid}-${HOST_TAG}-${randomBytes(6).toString('hex')}`;
  const relativePath = `${STAGING_DIR}/${id}`;
  // a writer led by a link at the top of the store would write outside it: refuse first
  for (const top of [...LAYERS, CATALOG_DIR]) assertNoSymlinkBelow(store.root, path.join(store.root, top));
  const dir = absolute(store, relativePath);
  activeStaging.add(dir);
  try {
    await mkdirDurable(dir);
  } catch (error) {
    activeStaging.delete(dir);
    throw error;
  }
  crashPoint('created a staging folder');
  return {
    path: dir,
    relativePath,
    async dispose() {
      await removeTree(dir);
      activeStaging.delete(dir);
    },
  };
}

/** The name every writer gives its staging folder: `<pid>-<host tag>-<12 hex digits>`. */
const WRITER_FOLDER = /^(\d{1,10})-([0-9a-f]{8})-[0-9a-f]{12}$/;

/** True when `name` is the name a writer of this program gives its staging folder. */
export function isWriterStagingName(name: string): boolean {
  return WRITER_FOLDER.test(name);
}

/** True when the staging folder `name` may belong to a process that is still working. */
function ownerMayBeAlive(dir: string, name: string, mtimeMs: number): boolean {
  if (activeStaging.has(dir)) return true;
  const match = WRITER_FOLDER.exec(name);
  if (!match) return true;
  const pid = Number(match[1]);
  if (match[2] !== HOST_TAG) {
    // another computer's writer (a shared drive): trust it for a day
    return Date.now() - mtimeMs < 24 * 3600_000;
  }
  return pid !== process.pid && isProcessAlive(pid);
}

interface LeftoverStaging {
  /** Store-relative path. */
  path: string;
  /** True when it holds a journal: a commit that passed its commit point and must be finished. */
  committed: boolean;
}

/**
 * Staging folders whose writer is gone. Only real folders named the way writers name them
 * count: anything else in `.staging/` (a foreign name, a symbolic link, a file) was not made
 * by this program, so it is neither applied nor removed; `verifyStore` reports it. A
 * `.staging` that is itself a link or a file yields nothing here (writers refuse it).
 */
export async function findLeftoverStaging(store: Store): Promise<LeftoverStaging[]> {
  const root = path.join(store.root, STAGING_DIR);
  const top = await fs.lstat(root).catch((error: unknown) => {
    if (errnoOf(error) === 'ENOENT') return null;
    throw error;
  });
  if (!top?.isDirectory()) return [];
  const names = await fs.readdir(root);
  const leftovers: LeftoverStaging[] = [];
  for (const name of names.sort()) {
    if (!isWriterStagingName(name)) continue;
    const dir = path.join(root, name);
    const stat = await fs.lstat(dir).catch(() => null);
    if (!stat?.isDirectory()) continue;
    if (ownerMayBeAlive(dir, name, stat.mtimeMs)) continue;
    leftovers.push({ path: `${STAGING_DIR}/${name}`, committed: await exists(path.join(dir, JOURNAL)) });
  }
  return leftovers;
}

/** Writes the journal of `moves` into `staging`: from here on, the commit will complete. */
export async function writeJournal(staging: StagingDir, moves: JournalMove[]): Promise<void> {
  checkJournalMoves(moves, `${staging.relativePath}/${JOURNAL}`, staging.relativePath);
  await writeFileDurable(path.join(staging.path, JOURNAL), `${JSON.stringify({ moves }, null, 2)}\n`);
  crashPoint('wrote the journal (commit point)');
}

/** Longest journal read back, in bytes: a real one lists a few moves per date of one ingest. */
const MAX_JOURNAL_BYTES = 64 * 1024 * 1024;

/**
 * Checks the moves of a journal before any of them is carried out. A journal may only move
 * names out of its own staging folder (`stagingPath`, or any writer's staging folder when
 * null) into a layer (`raw/`, `cleaned/`, `features/`) or the sidecar tree of one
 * (`catalog/raw/`, …), part by part without `..`, hidden names or backslashes, and may
 * replace only a sidecar: a `.json` file of `catalog/` (or, in a journal a format-1 writer
 * left, a `metadata.json`, so that `migrate` can finish it). The one move from outside its
 * staging is a `supersede`: a raw file out of its date folder into the superseded tree of
 * the same asset and date (`checkSupersede`). Throws CORRUPTED_STORE naming
 * `journalPath` (store-relative) and the move: a journal from someone else's store folder
 * must never write or move anything outside the store, or anything of the store's own.
 */
export function checkJournalMoves(moves: unknown, journalPath: string, stagingPath: string | null): JournalMove[] {
  const refuse = (why: string, index: number | null, move?: unknown): never => {
    throw new CorruptedStoreError(`${journalPath} is not a journal this program wrote${index === null ? '' : ` (move ${index + 1}: ${JSON.stringify(move)})`}: ${why}; it was not applied and is left for you to look at`, {
      path: journalPath,
      move: index,
      reason: why,
    });
  };
  if (!Array.isArray(moves)) refuse('"moves" is not a list', null);
  const list = moves as unknown[];
  const checked: JournalMove[] = [];
  list.forEach((raw, index) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) refuse('a move is not an object', index, raw);
    const move = raw as Record<string, unknown>;
    const extra = Object.keys(move).filter((key) => !['from', 'to', 'kind', 'replace'].includes(key));
    if (extra.length > 0) refuse(`unknown field ${JSON.stringify(extra[0])}`, index, raw);
    if (typeof move.from !== 'string' || typeof move.to !== 'string') refuse('"from" and "to" must be strings', index, raw);
    if (move.kind !== 'file' && move.kind !== 'dir' && move.kind !== 'supersede') refuse('"kind" must be "file", "dir" or "supersede"', index, raw);
    if (move.replace !== undefined && typeof move.replace !== 'boolean') refuse('"replace" must be true or false', index, raw);
    const from = move.from as string;
    const to = move.to as string;
    let fromParts: string[];
    let toParts: string[];
    try {
      fromParts = storePathParts(from);
      toParts = storePathParts(to);
    } catch (error) {
      return refuse((error as Error).message, index, raw);
    }
    if (move.kind === 'supersede') {
      checkSupersede(fromParts, toParts, (why) => refuse(why, index, raw));
      if (move.replace !== undefined) refuse('a superseded file never replaces anything', index, raw);
      checked.push({ from, to, kind: 'supersede' });
      return;
    }
    const owner = stagingPath === null ? null : storePathParts(stagingPath);
    const inOwnStaging = owner === null
      ? fromParts.length >= 3 && fromParts[0] === STAGING_DIR && isWriterStagingName(fromParts[1])
      : fromParts.length > owner.length && owner.every((part, k) => fromParts[k] === part);
    if (!inOwnStaging) refuse(`"from" must be inside ${stagingPath ?? `${STAGING_DIR}/<writer>`}/`, index, raw);
    if (fromParts[fromParts.length - 1] === JOURNAL && fromParts.length === 3) refuse('it moves the journal itself', index, raw);
    const inCatalog = toParts[0] === CATALOG_DIR;
    const intoLayer = inCatalog ? toParts.length >= 3 && isLayer(toParts[1]) : toParts.length >= 2 && isLayer(toParts[0]);
    if (!intoLayer) refuse(`"to" must be inside ${[...LAYERS, ...LAYERS.map((layer) => `${CATALOG_DIR}/${layer}`)].join('/, ')}/`, index, raw);
    if (toParts.some((part) => part.startsWith('.'))) refuse('"to" has a hidden part', index, raw);
    const last = toParts[toParts.length - 1];
    const sidecar = inCatalog ? last.endsWith('.json') : last === SIDECAR;
    if (move.replace === true && (move.kind !== 'file' || !sidecar)) refuse(`only a sidecar (a .json file in ${CATALOG_DIR}/) may be replaced`, index, raw);
    checked.push({ from, to, kind: move.kind as 'file' | 'dir', ...(move.replace === true ? { replace: true } : {}) });
  });
  return checked;
}

/**
 * A `supersede` move takes exactly `raw/{ASSET}/{DATE}/{name}.parquet` to
 * `catalog/raw/{ASSET}/superseded/{DATE}/{name}.parquet`: same asset, date and name, no
 * hidden part, a valid asset name and date. Anything else is refused through `refuse`.
 */
function checkSupersede(fromParts: string[], toParts: string[], refuse: (why: string) => never): void {
  const shape = `raw/{ASSET}/{DATE}/{name}.parquet to ${CATALOG_DIR}/raw/{ASSET}/${RAW_SUPERSEDED_DIR}/{DATE}/{name}.parquet`;
  if (fromParts.length !== 4 || fromParts[0] !== 'raw') refuse(`a superseded file moves from ${shape}`);
  const [, asset, date, name] = fromParts;
  if (!isValidName(checkAssetName, asset) || !isIsoDate(date) || name.startsWith('.') || !name.endsWith('.parquet')) refuse(`a superseded file moves from ${shape}`);
  const expected = rawSupersededPath(asset, date, name).split('/');
  if (toParts.length !== expected.length || expected.some((part, k) => toParts[k] !== part)) refuse(`a superseded file moves from ${shape}`);
}

/**
 * Reads and checks the journal of the staging folder `stagingPath` (store-relative).
 * Throws CORRUPTED_STORE naming the journal when it is not a regular file, is too large,
 * is not JSON or lists a move `checkJournalMoves` refuses.
 */
export async function readJournal(store: Store, stagingPath: string): Promise<JournalMove[]> {
  const journalPath = `${stagingPath}/${JOURNAL}`;
  const file = absolute(store, journalPath);
  const stat = await fs.lstat(file);
  if (!stat.isFile()) throw new CorruptedStoreError(`${journalPath} is not a regular file; it was not applied`, { path: journalPath, reason: 'not a regular file' });
  if (stat.size > MAX_JOURNAL_BYTES) {
    throw new CorruptedStoreError(`${journalPath} is ${stat.size} bytes, over the ${MAX_JOURNAL_BYTES}-byte limit of a journal; it was not applied`, { path: journalPath, reason: 'too large', bytes: stat.size });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (error) {
    throw new CorruptedStoreError(`${journalPath} is not valid JSON (${(error as Error).message}); it was not applied`, { path: journalPath, reason: 'not JSON' });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CorruptedStoreError(`${journalPath} is not a JSON object; it was not applied`, { path: journalPath, reason: 'not an object' });
  }
  return checkJournalMoves((parsed as { moves?: unknown }).moves, journalPath, stagingPath);
}

async function sameFile(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([fs.stat(a), fs.stat(b)]);
  return sa.ino === sb.ino && sa.dev === sb.dev;
}

/**
 * Carries out the moves of a journal, in order. Moves already done are skipped, so running
 * it again after a crash finishes the commit (roll forward). Every move is checked first
 * (`checkJournalMoves`: CORRUPTED_STORE) and each path on the way must hold no symbolic
 * link (SYMLINK), so nothing is moved when any move would leave the store.
 */
export async function applyJournal(store: Store, moves: JournalMove[], stagingPath: string | null = null): Promise<void> {
  const checked = checkJournalMoves(moves, stagingPath === null ? JOURNAL : `${stagingPath}/${JOURNAL}`, stagingPath);
  const resolved = checked.map((move) => ({ move, from: absolute(store, move.from), to: absolute(store, move.to) }));
  for (const { move, from, to } of resolved) {
    if (!(await exists(from))) continue;
    await mkdirDurable(path.dirname(to));
    if (move.kind === 'supersede') {
      // only what the date's sidecar (replaced by an earlier move of the same journal) lists as superseded leaves its folder
      await assertListedAsSuperseded(store, move, stagingPath === null ? JOURNAL : `${stagingPath}/${JOURNAL}`);
      // link, unlink and syncs (moveNoReplace); a crash between link and unlink leaves both names on one file: finish the unlink
      if ((await exists(to)) && (await sameFile(from, to))) {
        await fs.unlink(from);
        await fsyncDir(path.dirname(from));
      } else await moveNoReplace(from, to, 'file');
      crashPoint(`superseded ${move.from}`);
      continue;
    }
    if (move.replace) {
      await fs.rename(from, to);
      crashPoint(`replaced ${move.to}`);
      await fsyncDir(path.dirname(to));
      continue;
    }
    // a crash between link and unlink leaves both names on one file: finish the unlink
    if (move.kind === 'file' && (await exists(to)) && (await sameFile(from, to))) {
      await fs.unlink(from);
      await fsyncDir(path.dirname(from));
      continue;
    }
    await moveNoReplace(from, to, move.kind);
  }
}

/** Throws CORRUPTED_STORE unless the sidecar of the move's raw date lists `move.to` in `extra.superseded`. */
async function assertListedAsSuperseded(store: Store, move: JournalMove, journalPath: string): Promise<void> {
  const [, asset, date] = move.from.split('/');
  const sidecarPath = `${CATALOG_DIR}/raw/${asset}/${date}.json`;
  const listed = await fs.readFile(absolute(store, sidecarPath), 'utf8').then(
    (text) => {
      try {
        const superseded = (JSON.parse(text) as { extra?: { superseded?: unknown } } | null)?.extra?.superseded;
        return Array.isArray(superseded) && superseded.some((entry: { path?: unknown } | null) => entry?.path === move.to);
      } catch {
        // a damaged sidecar lists nothing
        return false;
      }
    },
    // no sidecar: nothing is listed
    () => false,
  );
  if (!listed) {
    throw new CorruptedStoreError(`${journalPath} moves ${move.from} out of its date folder, but ${sidecarPath} does not list it as superseded; nothing more of it was applied`, {
      path: journalPath,
      move: move.from,
      reason: 'not listed as superseded',
    });
  }
}

export interface RecoveryResult {
  rolledForward: string[];
  removed: string[];
  /** Committed work that could not be finished, or a journal that was refused; its folder is kept (and `verifyStore` reports it). */
  failed: { path: string; code: string; message: string }[];
}

/**
 * Finishes or removes the staging folders of writers that are gone. Call only while
 * holding the store lock. A journal that fails `readJournal`'s checks is never applied:
 * its folder is kept and listed in `failed` with code CORRUPTED_STORE. Returns what it
 * did, store-relative.
 */
export async function recoverStaging(store: Store): Promise<RecoveryResult> {
  const result: RecoveryResult = { rolledForward: [], removed: [], failed: [] };
  for (const leftover of await findLeftoverStaging(store)) {
    const dir = absolute(store, leftover.path);
    if (leftover.committed) {
      try {
        await applyJournal(store, await readJournal(store, leftover.path), leftover.path);
        result.rolledForward.push(leftover.path);
      } catch (error) {
        // never throw committed data away, never apply a journal we did not write: keep the folder for a person to look at
        const code = error instanceof MesDataError ? error.code : 'IO_ERROR';
        result.failed.push({ path: leftover.path, code, message: error instanceof Error ? error.message : String(error) });
        continue;
      }
    }
    await removeTree(dir);
    result.removed.push(leftover.path);
  }
  return result;
}
