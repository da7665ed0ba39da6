import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LockedError, MesDataError } from '../../../core/errors.js';
import { acquireStoreLock, inspectStoreLock, isProcessAlive, processStartTime, readLockOwner } from '../../../core/store/storeLock.js';
import { verifyStore } from '../../../core/store/verifyStore.js';
import { newStore, startChild } from './storeTestKit.js';

async function lockError(promise: Promise<unknown>): Promise<MesDataError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MesDataError) return error;
    throw error;
  }
  throw new Error('expected LOCKED');
}

describe('store writer lock', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));
  const store = async () => {
    const made = await newStore();
    cleanups.push(made.cleanup);
    return made.store;
  };

  it('records its holder, refuses a second holder in the same process, and is free after release', async () => {
    const s = await store();
    const lock = await acquireStoreLock(s, { purpose: 'unit test' });
    expect(await readLockOwner(s)).toEqual(lock.owner);
    expect({ pid: lock.owner.pid, hostname: lock.owner.hostname, purpose: lock.owner.purpose }).toEqual({ pid: process.pid, hostname: os.hostname(), purpose: 'unit test' });
    const error = await lockError(acquireStoreLock(s));
    expect(error).toBeInstanceOf(LockedError);
    expect(error.code).toBe('LOCKED');
    expect(error.details).toEqual({ pid: process.pid, hostname: os.hostname(), acquiredAt: lock.owner.acquiredAt, purpose: 'unit test', lockPath: path.join(s.root, '.lock') });
    expect(error.message).toBe(`the store ${s.root} is locked by unit test in process ${process.pid} on ${os.hostname()} since ${lock.owner.acquiredAt}`);
    await lock.release();
    expect(await readLockOwner(s)).toBeNull();
    expect(fs.readdirSync(s.root).filter((name) => name.startsWith('.lock'))).toEqual([]);
    const again = await acquireStoreLock(s, {});
    expect(again.owner.pid).toBe(process.pid);
    await again.release();
  });

  it('waits for a holder that lets go within waitMs', async () => {
    const s = await store();
    const first = await acquireStoreLock(s);
    setTimeout(() => void first.release(), 150);
    const started = Date.now();
    const second = await acquireStoreLock(s, { waitMs: 5000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect((await readLockOwner(s))?.token).toBe(second.owner.token);
    await second.release();
  });

  it('a live holder in another process gives LOCKED with its pid; once it is killed the stale lock is recovered at once', async () => {
    const s = await store();
    const holder = await startChild({ op: 'holdLock', store: s.root });
    try {
      expect(holder.firstLine).toEqual({ locked: true, pid: holder.pid });
      const error = await lockError(acquireStoreLock(s, { waitMs: 200 }));
      expect({ code: error.code, pid: error.details.pid, purpose: error.details.purpose }).toEqual({ code: 'LOCKED', pid: holder.pid, purpose: 'test holder' });
    } finally {
      await holder.kill();
    }
    expect(isProcessAlive(holder.pid)).toBe(false);
    const lock = await acquireStoreLock(s);
    expect(lock.owner.pid).toBe(process.pid);
    await lock.release();
  });

  it('a lock from another host is stale once its heartbeat is older than staleMs', async () => {
    const s = await store();
    const lockDir = path.join(s.root, '.lock');
    fs.mkdirSync(lockDir);
    const owner = { pid: 4242, hostname: 'some-other-host', token: 'feedfacefeedface', acquiredAt: '2024-01-01T00:00:00.000Z', purpose: 'remote job', bootId: null };
    fs.writeFileSync(path.join(lockDir, 'owner.json'), JSON.stringify(owner));
    const error = await lockError(acquireStoreLock(s, { staleMs: 60_000 }));
    expect({ code: error.code, pid: error.details.pid, hostname: error.details.hostname }).toEqual({ code: 'LOCKED', pid: 4242, hostname: 'some-other-host' });
    const old = new Date(Date.now() - 120_000);
    fs.utimesSync(path.join(lockDir, 'owner.json'), old, old);
    const lock = await acquireStoreLock(s, { staleMs: 60_000 });
    expect((await readLockOwner(s))?.token).toBe(lock.owner.token);
    await lock.release();
  });

  it('a lock left by a dead local process is recovered; a lock from before a restart too', async () => {
    const s = await store();
    const lockDir = path.join(s.root, '.lock');
    fs.mkdirSync(lockDir);
    fs.writeFileSync(path.join(lockDir, 'owner.json'), JSON.stringify({ pid: 999_999_999, hostname: os.hostname(), token: 'dead', acquiredAt: '2024-01-01T00:00:00.000Z', purpose: 'x', bootId: null }));
    const lock = await acquireStoreLock(s);
    await lock.release();
    if (fs.existsSync('/proc/sys/kernel/random/boot_id')) {
      fs.mkdirSync(lockDir);
      // our own parent process is alive, but the lock says it was taken in another boot
      fs.writeFileSync(path.join(lockDir, 'owner.json'), JSON.stringify({ pid: process.ppid, hostname: os.hostname(), token: 'old-boot', acquiredAt: '2024-01-01T00:00:00.000Z', purpose: 'x', bootId: 'another-boot' }));
      const afterRestart = await acquireStoreLock(s);
      await afterRestart.release();
    }
  });

  it('a holder whose lock was taken over notices before it commits', async () => {
    const s = await store();
    const lock = await acquireStoreLock(s);
    // simulate a takeover: someone replaced the owner file
    fs.writeFileSync(path.join(s.root, '.lock', 'owner.json'), JSON.stringify({ ...lock.owner, token: 'someone-else', pid: 1 }));
    const error = await lockError(lock.assertHeld());
    expect(error.code).toBe('LOCKED');
    expect(error.message).toBe(`the writer lock of ${s.root} was lost: process 1 took it over`);
    await lock.release();
    // release leaves the other holder's lock in place
    expect((await readLockOwner(s))?.token).toBe('someone-else');
  });

  const linux = fs.existsSync('/proc/self/stat');

  it.runIf(linux)('a lock whose pid now belongs to another process (reused pid) is stale at once, and verify reports it', async () => {
    const s = await store();
    // our parent is alive and is not the holder: its start time differs from the recorded one
    const started = processStartTime(process.ppid);
    expect(started).toMatch(/^\d+$/);
    const bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const lockDir = path.join(s.root, '.lock');
    fs.mkdirSync(lockDir);
    const owner = { pid: process.ppid, hostname: os.hostname(), token: 'reused0000000000', acquiredAt: '2024-01-01T00:00:00.000Z', purpose: 'ingest', bootId, processStart: String(Number(started) - 1) };
    fs.writeFileSync(path.join(lockDir, 'owner.json'), JSON.stringify(owner));
    const reason = `its holder, pid ${process.ppid}, is not running (that pid now belongs to a process started later)`;
    expect(await inspectStoreLock(s)).toEqual({ state: 'stale', owner, reason });
    const verified = await verifyStore(s);
    expect(verified.problems).toEqual([
      { path: '.lock', code: 'STALE_LOCK', message: `.lock is a stale writer lock (taken by ingest in process ${process.ppid} on ${os.hostname()} at 2024-01-01T00:00:00.000Z): ${reason}; the next writer breaks it` },
    ]);
    const began = Date.now();
    const lock = await acquireStoreLock(s);
    expect(Date.now() - began).toBeLessThan(5000);
    expect((await readLockOwner(s))?.token).toBe(lock.owner.token);
    // the same pid with its real start time is the live holder
    expect(lock.owner.processStart).toBe(processStartTime(process.pid));
    expect(await inspectStoreLock(s)).toEqual({ state: 'held', owner: lock.owner, reason: null });
    expect((await verifyStore(s)).problems).toEqual([]);
    await lock.release();
  });

  it('a local lock without a start time (another system, an older version) is stale once its heartbeat is ten times staleMs old', async () => {
    const s = await store();
    const lockDir = path.join(s.root, '.lock');
    fs.mkdirSync(lockDir);
    const owner = { pid: process.ppid, hostname: os.hostname(), token: 'nostart000000000', acquiredAt: '2024-01-01T00:00:00.000Z', purpose: 'promote', bootId: null };
    fs.writeFileSync(path.join(lockDir, 'owner.json'), JSON.stringify(owner));
    expect(await inspectStoreLock(s, 1000)).toEqual({ state: 'held', owner, reason: null });
    const old = new Date(Date.now() - 15_000);
    fs.utimesSync(path.join(lockDir, 'owner.json'), old, old);
    expect(await inspectStoreLock(s, 1000)).toEqual({ state: 'stale', owner, reason: "its holder's start time cannot be checked and its heartbeat is 15 s old" });
    const lock = await acquireStoreLock(s, { staleMs: 1000 });
    await lock.release();
  });

  it('an owner file of the wrong shape counts as unreadable, a linked .lock is refused', async () => {
    const s = await store();
    const lockDir = path.join(s.root, '.lock');
    fs.mkdirSync(lockDir);
    fs.writeFileSync(path.join(lockDir, 'owner.json'), JSON.stringify({ pid: '1; rm -rf /', hostname: 7 }));
    expect(await readLockOwner(s)).toBeNull();
    fs.rmSync(lockDir, { recursive: true });
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-data-lock-outside-'));
    cleanups.push(() => fs.rmSync(outside, { recursive: true, force: true }));
    fs.symlinkSync(outside, lockDir);
    const error = await lockError(acquireStoreLock(s));
    expect({ code: error.code, path: error.details.path }).toEqual({ code: 'SYMLINK', path: '.lock' });
    expect(fs.readdirSync(outside)).toEqual([]);
  });
});
