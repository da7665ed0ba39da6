import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Lowers the scheduling priority of the calling thread alone (not of its process) to `nice`
 * (0 normal … 19 lowest), never raising it. Linux keeps a nice value per thread and a thread
 * started afterwards inherits its creator's, so a job thread that calls this first has the
 * decoder and writer threads it starts at the same priority: the host's thread and its page
 * decoders get the cores whenever they need them, the job the rest. DuckDB's threads are
 * not among them (the instance starts them from libuv's pool, whose threads the host shares):
 * they keep the process's priority, and their number is what limits them
 * (`setEngineThreads`). The thread's id is read from /proc/thread-self. Returns the thread's
 * nice value afterwards, or null where there is no per-thread priority to set (other
 * systems, no /proc): the job then runs at the process's priority.
 */
export function lowerThreadPriority(nice: number): number | null {
  if (process.platform !== 'linux') return null;
  try {
    const tid = Number(path.basename(fs.readlinkSync('/proc/thread-self')));
    if (!Number.isInteger(tid) || tid <= 0) return null;
    if (os.getPriority(tid) < nice) os.setPriority(tid, nice);
    return os.getPriority(tid);
  } catch {
    return null;
  }
}

/**
 * Lowers the priority of every thread of the calling process to `nice` (never raising one),
 * for a process of its own that a host starts for a job: Node's own threads (the garbage
 * collector's helpers, libuv's pool) already run when the job begins, and every thread
 * started afterwards (decoders, writers, DuckDB's) inherits the value from the thread that
 * starts it, so the whole job yields to the host. On Linux each thread is set through
 * /proc/self/task; elsewhere the process as a whole (which is what those systems' priority
 * is). Returns the main thread's nice value afterwards, or null when it could not be set.
 */
export function lowerProcessPriority(nice: number): number | null {
  try {
    if (process.platform !== 'linux') {
      if (os.getPriority(process.pid) < nice) os.setPriority(process.pid, nice);
      return os.getPriority(process.pid);
    }
    for (const task of fs.readdirSync('/proc/self/task')) {
      const tid = Number(task);
      try {
        if (os.getPriority(tid) < nice) os.setPriority(tid, nice);
      } catch {
        // a thread that ended meanwhile
      }
    }
    return os.getPriority(process.pid);
  } catch {
    return null;
  }
}
