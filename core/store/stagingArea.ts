import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { crashPoint } from './crashPoints.js';
import { errnoOf, exists, fsyncDir, mkdirDurable, moveNoReplace, removeTree, writeFileDurable } from './durableFs.js';
import { HOST_TAG, isProcessAlive } from './storeLock.js';
import { STAGING_DIR, absolute, type Store } from './storeLayout.js';

/**
 * Staging: every writer builds its files under `<store>/.staging/<pid>-<host>-<random>/`,
 * on the same file system as their final place, so that moving them in is a rename.
 *
 * A commit that needs more than one rename (raw snapshots added to existing date folders,
 * or a batch of several dates) first writes a journal, `journal.json`, listing the moves
 * in order; writing the journal is the commit point. If the writer dies after it, the next
 * writer (or `openStore`) finishes the moves ("rolls forward"); if it dies before, the
 * staging folder is simply removed. Staging folders of live processes are left alone.
 */

export const JOURNAL = 'journal.json';

/** One move of a journal; paths are store-relative. `replace` allows replacing an existing file (a sidecar). */
export interface JournalMove {
  from: string;
  to: string;
  kind: 'file' | 'dir';
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

/** True when the staging folder `name` may belong to a process that is still working. */
function ownerMayBeAlive(dir: string, name: string, mtimeMs: number): boolean {
  if (activeStaging.has(dir)) return true;
  const match = /^(\d+)-([0-9a-f]{8})-/.exec(name);
  if (!match) return false;
  const pid = Number(match[1]);
  if (match[2] !== HOST_TAG) {
    // another computer's writer (a shared drive): trust it for a day
    return Date.now() - mtimeMs < 24 * 3600_000;
  }
  return pid !== process.pid && isProcessAlive(pid);
}

export interface LeftoverStaging {
  /** Store-relative path. */
  path: string;
  /** True when it holds a journal: a commit that passed its commit point and must be finished. */
  committed: boolean;
}

/** Staging folders whose writer is gone. */
export async function findLeftoverStaging(store: Store): Promise<LeftoverStaging[]> {
  const root = absolute(store, STAGING_DIR);
  let names: string[];
  try {
    names = await fs.readdir(root);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return [];
    throw error;
  }
  const leftovers: LeftoverStaging[] = [];
  for (const name of names.sort()) {
    const dir = path.join(root, name);
    const stat = await fs.lstat(dir).catch(() => null);
    if (!stat) continue;
    if (stat.isDirectory() && ownerMayBeAlive(dir, name, stat.mtimeMs)) continue;
    leftovers.push({ path: `${STAGING_DIR}/${name}`, committed: await exists(path.join(dir, JOURNAL)) });
  }
  return leftovers;
}

/** Writes the journal of `moves` into `staging`: from here on, the commit will complete. */
export async function writeJournal(staging: StagingDir, moves: JournalMove[]): Promise<void> {
  await writeFileDurable(path.join(staging.path, JOURNAL), `${JSON.stringify({ moves }, null, 2)}\n`);
  crashPoint('wrote the journal (commit point)');
}

async function sameFile(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([fs.stat(a), fs.stat(b)]);
  return sa.ino === sb.ino && sa.dev === sb.dev;
}

/**
 * Carries out the moves of a journal, in order. Moves already done are skipped, so running
 * it again after a crash finishes the commit (roll forward).
 */
export async function applyJournal(store: Store, moves: JournalMove[]): Promise<void> {
  for (const move of moves) {
    const from = absolute(store, move.from);
    const to = absolute(store, move.to);
    if (!(await exists(from))) continue;
    await mkdirDurable(path.dirname(to));
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

export interface RecoveryResult {
  rolledForward: string[];
  removed: string[];
  /** Committed work that could not be finished; its folder is kept (and `verifyStore` reports it). */
  failed: { path: string; message: string }[];
}

/**
 * Finishes or removes the staging folders of writers that are gone. Call only while
 * holding the store lock. Returns what it did, store-relative.
 */
export async function recoverStaging(store: Store): Promise<RecoveryResult> {
  const result: RecoveryResult = { rolledForward: [], removed: [], failed: [] };
  for (const leftover of await findLeftoverStaging(store)) {
    const dir = absolute(store, leftover.path);
    if (leftover.committed) {
      const journal = await fs.readFile(path.join(dir, JOURNAL), 'utf8').then((text) => JSON.parse(text) as { moves: JournalMove[] }, () => null);
      if (journal) {
        try {
          await applyJournal(store, journal.moves);
          result.rolledForward.push(leftover.path);
        } catch (error) {
          // never throw committed data away: keep the folder for a person to look at
          result.failed.push({ path: leftover.path, message: error instanceof Error ? error.message : String(error) });
          continue;
        }
      }
    }
    await removeTree(dir);
    result.removed.push(leftover.path);
  }
  return result;
}
