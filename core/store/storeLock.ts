import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LockedError } from '../errors.js';
import { SymlinkInStoreError } from './storePaths.js';
import { errnoOf, fsyncDir, removeTree } from './durableFs.js';
import { LOCK_DIR, type Store } from './storeLayout.js';

/**
 * The store-wide writer lock: one folder, `<store>/.lock/`, holding `owner.json`
 * (`{pid, hostname, token, acquiredAt, purpose, bootId}`). It is created complete in one
 * atomic rename, so a lock never exists without its owner. A lock is stale when its holder
 * on this host is no longer running (or ran before the last restart); a holder on another
 * host (a store on a network drive) touches `owner.json` every `heartbeatMs`, and its lock
 * is stale once that heartbeat is older than `staleMs`. A live holder on this host keeps
 * the lock however long it works. A local pid that is alive is only the holder when its
 * start time matches the one recorded (a pid is reused by the system after its process
 * ends); where start times cannot be read (not Linux), a local holder whose heartbeat is
 * older than ten times `staleMs` is stale. A stale lock is moved aside with one rename, so
 * two processes that both see it stale cannot both take it. Readers never take the lock.
 */

interface LockOwner {
  pid: number;
  hostname: string;
  /** Random, unique per acquisition: tells this holder from a later one with the same pid. */
  token: string;
  acquiredAt: string;
  purpose: string;
  /** The kernel's boot id where known (Linux), null elsewhere. */
  bootId: string | null;
  /**
   * When the holder process started, in clock ticks since boot (Linux `/proc/<pid>/stat`),
   * null elsewhere. With the boot id it tells the holder from a later process that got
   * the same pid. Absent in locks written by older versions.
   */
  processStart?: string | null;
}

interface LockOptions {
  /** How long to wait for a busy lock before LOCKED, in milliseconds (default 0: fail at once). */
  waitMs?: number;
  /** A heartbeat older than this makes the lock stale, in milliseconds (default 30,000). */
  staleMs?: number;
  /** How often the holder refreshes its heartbeat, in milliseconds (default 5,000). */
  heartbeatMs?: number;
  /** Said in LOCKED errors to other processes: what the holder is doing. */
  purpose?: string;
}

export interface StoreLock {
  readonly owner: LockOwner;
  /** Throws LOCKED when the lock was lost (taken over as stale while this process hung). */
  assertHeld(): Promise<void>;
  release(): Promise<void>;
}

const OWNER_FILE = 'owner.json';
/** Tokens of the locks this process holds right now. */
const heldTokens = new Set<string>();

/** A short, stable tag for this host, used in staging folder names. */
export const HOST_TAG = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);

/** True when `pid` is a live process on this host (EPERM: alive, owned by another user). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoOf(error) === 'EPERM';
  }
}

/**
 * When process `pid` started, in clock ticks since boot, from `/proc/<pid>/stat` (Linux);
 * null where it cannot be read (another system, or no such process).
 */
export function processStartTime(pid: number): string | null {
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // the command name (field 2) may hold spaces and parentheses: count fields after the last ')'
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); the start time is field 22
  const start = fields[19];
  return start !== undefined && /^\d+$/.test(start) ? start : null;
}

/** A local holder whose start time cannot be checked is stale after this many times `staleMs` without a heartbeat. */
const LOCAL_HEARTBEAT_FACTOR = 10;

function lockPath(store: Store): string {
  return path.join(store.root, LOCK_DIR);
}

/** The current holder of the store's lock, or null when it is free. */
export async function readLockOwner(store: Store): Promise<LockOwner | null> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await fs.readFile(path.join(lockPath(store), OWNER_FILE), 'utf8'));
  } catch (error) {
    if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return null;
    if (error instanceof SyntaxError) return null;
    throw error;
  }
  // an owner file of the wrong shape (damaged, or written by someone else) counts as unreadable
  const owner = parsed as Partial<LockOwner> | null;
  if (typeof owner !== 'object' || owner === null || !Number.isSafeInteger(owner.pid) || typeof owner.hostname !== 'string' || typeof owner.token !== 'string') return null;
  return owner as LockOwner;
}

async function heartbeatAge(store: Store): Promise<number | null> {
  try {
    const stat = await fs.stat(path.join(lockPath(store), OWNER_FILE));
    return Date.now() - stat.mtimeMs;
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return null;
    throw error;
  }
}

type Holder =
  | { state: 'free' }
  | { state: 'held'; owner: LockOwner | null }
  | { state: 'stale'; owner: LockOwner | null; reason: string };

let bootIdCache: string | null | undefined;

/** The kernel's id of this boot (Linux), so a lock from before a reboot is never mistaken for a live one. */
async function currentBootId(): Promise<string | null> {
  if (bootIdCache === undefined) {
    bootIdCache = await fs.readFile('/proc/sys/kernel/random/boot_id', 'utf8').then((text) => text.trim(), () => null);
  }
  return bootIdCache;
}

async function inspect(store: Store, staleMs: number): Promise<Holder> {
  const owner = await readLockOwner(store);
  if (owner === null) {
    // no readable owner: released a moment ago (no folder), or a folder someone else made
    let stat;
    try {
      stat = await fs.stat(lockPath(store));
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return { state: 'free' };
      throw error;
    }
    if (Date.now() - stat.mtimeMs > staleMs) return { state: 'stale', owner: null, reason: 'the lock has no readable owner' };
    return { state: 'held', owner: null };
  }
  if (owner.hostname === os.hostname()) {
    const bootId = await currentBootId();
    if (owner.bootId && bootId && owner.bootId !== bootId) return { state: 'stale', owner, reason: 'it was taken before this computer restarted' };
    if (owner.pid === process.pid) {
      return heldTokens.has(owner.token) ? { state: 'held', owner } : { state: 'stale', owner, reason: `this process (pid ${owner.pid}) no longer holds it` };
    }
    if (!isProcessAlive(owner.pid)) return { state: 'stale', owner, reason: `its holder, pid ${owner.pid}, is not running` };
    // a live pid may be another process that got the number after the holder died
    const started = processStartTime(owner.pid);
    if (typeof owner.processStart === 'string' && started !== null) {
      if (started !== owner.processStart) return { state: 'stale', owner, reason: `its holder, pid ${owner.pid}, is not running (that pid now belongs to a process started later)` };
      // the holder itself: it keeps the lock however long it works
      return { state: 'held', owner };
    }
    const age = await heartbeatAge(store);
    if (age !== null && age > staleMs * LOCAL_HEARTBEAT_FACTOR) return { state: 'stale', owner, reason: `its holder's start time cannot be checked and its heartbeat is ${Math.round(age / 1000)} s old` };
    return { state: 'held', owner };
  }
  const age = await heartbeatAge(store);
  if (age === null) return { state: 'free' };
  if (age > staleMs) return { state: 'stale', owner, reason: `its heartbeat is ${Math.round(age / 1000)} s old` };
  return { state: 'held', owner };
}

/** Moves a stale lock aside (one atomic rename) and removes it; true when this call did. */
async function breakStaleLock(store: Store, seen: LockOwner | null): Promise<boolean> {
  const aside = path.join(store.root, `${LOCK_DIR}-stale-${randomBytes(6).toString('hex')}`);
  try {
    await fs.rename(lockPath(store), aside);
  } catch (error) {
    const code = errnoOf(error);
    if (code === 'ENOENT') return false;
    throw error;
  }
  // if a fresh lock slipped in between our look and the rename, give it back
  const moved = await fs.readFile(path.join(aside, OWNER_FILE), 'utf8').then((text) => JSON.parse(text) as LockOwner, () => null);
  if (moved !== null && moved.token !== seen?.token) {
    await fs.rename(aside, lockPath(store)).catch(() => undefined);
    return false;
  }
  await removeTree(aside);
  return true;
}

/** A `.lock` that is a symbolic link would put the owner file (and its heartbeats) outside the store: SYMLINK. */
async function refuseLinkedLock(store: Store): Promise<void> {
  const stat = await fs.lstat(lockPath(store)).catch(() => null);
  if (stat?.isSymbolicLink()) {
    throw new SymlinkInStoreError(`${LOCK_DIR} in the store ${store.root} is a symbolic link; remove it (the store never follows links)`, { path: LOCK_DIR, store: store.root });
  }
}

interface LockStatus {
  state: 'free' | 'held' | 'stale';
  owner: LockOwner | null;
  /** Why the lock is stale (null unless stale). */
  reason: string | null;
}

/**
 * Whether the store's lock is free, held by a live writer or stale (its holder gone, by
 * pid and process start time, boot id or heartbeat age: see the module comment), without
 * changing anything. `staleMs` in milliseconds (default 30,000). `verifyStore` reports a
 * stale lock; the next writer breaks it.
 */
export async function inspectStoreLock(store: Store, staleMs = 30_000): Promise<LockStatus> {
  const holder = await inspect(store, staleMs);
  if (holder.state === 'free') return { state: 'free', owner: null, reason: null };
  if (holder.state === 'held') return { state: 'held', owner: holder.owner, reason: null };
  return { state: 'stale', owner: holder.owner, reason: holder.reason };
}

async function tryCreate(store: Store, owner: LockOwner): Promise<boolean> {
  const draft = path.join(store.root, `${LOCK_DIR}-new-${owner.pid}-${owner.token}`);
  await fs.mkdir(draft);
  try {
    const handle = await fs.open(path.join(draft, OWNER_FILE), 'wx');
    try {
      await handle.writeFile(JSON.stringify(owner));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsyncDir(draft);
    try {
      await fs.rename(draft, lockPath(store));
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
      throw error;
    }
    await fsyncDir(store.root);
    return true;
  } finally {
    await removeTree(draft);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Takes the store's writer lock. Waits up to `waitMs` for a live holder; recovers a stale
 * lock at once. Throws LOCKED with the holder's `pid`, `hostname`, `acquiredAt` and
 * `purpose` in details when the lock stays busy.
 */
export async function acquireStoreLock(store: Store, options: LockOptions = {}): Promise<StoreLock> {
  const waitMs = options.waitMs ?? 0;
  const staleMs = options.staleMs ?? 30_000;
  const heartbeatMs = options.heartbeatMs ?? 5_000;
  const owner: LockOwner = {
    pid: process.pid,
    hostname: os.hostname(),
    token: randomBytes(8).toString('hex'),
    acquiredAt: new Date().toISOString(),
    purpose: options.purpose ?? 'write',
    bootId: await currentBootId(),
    processStart: processStartTime(process.pid),
  };
  await refuseLinkedLock(store);
  const deadline = Date.now() + waitMs;
  let delay = 25;
  for (;;) {
    heldTokens.add(owner.token);
    let created = false;
    try {
      created = await tryCreate(store, owner);
    } finally {
      if (!created) heldTokens.delete(owner.token);
    }
    if (created) return startHolding(store, owner, heartbeatMs);
    const holder = await inspect(store, staleMs);
    if (holder.state === 'stale') {
      await breakStaleLock(store, holder.owner);
      continue;
    }
    if (holder.state === 'free') continue;
    if (Date.now() >= deadline) {
      const held = holder.owner;
      throw new LockedError(
        held
          ? `the store ${store.root} is locked by ${held.purpose} in process ${held.pid} on ${held.hostname} since ${held.acquiredAt}`
          : `the store ${store.root} is locked (${lockPath(store)} exists; its owner is not readable yet)`,
        { pid: held?.pid ?? null, hostname: held?.hostname ?? null, acquiredAt: held?.acquiredAt ?? null, purpose: held?.purpose ?? null, lockPath: lockPath(store) },
      );
    }
    await sleep(Math.min(delay, Math.max(1, deadline - Date.now())));
    delay = Math.min(delay * 2, 500);
  }
}

function startHolding(store: Store, owner: LockOwner, heartbeatMs: number): StoreLock {
  const ownerPath = path.join(lockPath(store), OWNER_FILE);
  let lost: string | null = null;
  let released = false;
  const check = async (): Promise<void> => {
    const current = await readLockOwner(store);
    if (current?.token !== owner.token) lost = current ? `process ${current.pid} took it over` : 'it was removed';
  };
  const timer = setInterval(() => {
    void (async () => {
      if (released || lost) return;
      await check();
      if (lost) return;
      const now = new Date();
      await fs.utimes(ownerPath, now, now).catch(() => undefined);
    })();
  }, heartbeatMs);
  timer.unref();
  return {
    owner,
    async assertHeld(): Promise<void> {
      if (!lost && !released) await check();
      if (lost || released) {
        throw new LockedError(`the writer lock of ${store.root} was lost: ${lost ?? 'it was released'}`, { pid: owner.pid, lockPath: lockPath(store) });
      }
    },
    async release(): Promise<void> {
      if (released) return;
      released = true;
      clearInterval(timer);
      heldTokens.delete(owner.token);
      const current = await readLockOwner(store);
      if (current?.token !== owner.token) return;
      const aside = path.join(store.root, `${LOCK_DIR}-released-${owner.token}`);
      try {
        await fs.rename(lockPath(store), aside);
      } catch (error) {
        if (errnoOf(error) === 'ENOENT') return;
        throw error;
      }
      await removeTree(aside);
    },
  };
}

/**
 * Lock folders left behind by crashed processes (`.lock-new-…`, `.lock-stale-…`,
 * `.lock-released-…`). The draft of a live process is another writer taking the lock right
 * now, this process's own included (two writers in one process, such as two promotes of one
 * host): it is left alone.
 */
export async function removeLeftoverLockFolders(store: Store): Promise<void> {
  const entries = await fs.readdir(store.root).catch(() => [] as string[]);
  for (const name of entries) {
    const match = /^\.lock-(new|stale|released)-(?:(\d+)-)?/.exec(name);
    if (!match) continue;
    if (match[1] === 'new' && match[2] !== undefined && isProcessAlive(Number(match[2]))) continue;
    await removeTree(path.join(store.root, name));
  }
}
