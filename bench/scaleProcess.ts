/**
 * One measured child process for the research-scale benchmark: wall time from spawn to
 * exit, peak RSS of that process (all its threads) and its output, with a time limit.
 *
 * Peak RSS is the kernel's high-water mark of the child's own address space (`VmHWM` in
 * /proc/PID/status), read every 20 ms while it runs: the mark only grows, so the last
 * reading is the peak up to 20 ms before the end. `maxRSS` from the parent would not do:
 * Linux carries a process's high-water mark over into the children it forks, and the
 * benchmark runner is a big process.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';

export interface ProcessResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  /** the last 8 KiB of stderr */
  stderrTail: string;
  wallMs: number;
  peakRssBytes: number;
  timedOut: boolean;
}

interface ProcessOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs: number;
}

function readHighWaterMark(pid: number): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Runs `command args` to its end or until `timeoutMs` passes; then its whole process group
 * is killed (it runs in a group of its own, so threads and any grandchildren go with it).
 */
export function runMeasured(command: string, args: string[], options: ProcessOptions): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const start = performance.now();
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    let errTail = '';
    let peak = 0;
    let timedOut = false;
    let settled = false;
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      errTail = (errTail + chunk.toString('utf8')).slice(-8192);
    });
    const sample = () => {
      if (child.pid === undefined) return;
      const hwm = readHighWaterMark(child.pid);
      if (hwm !== null) peak = Math.max(peak, hwm);
    };
    const sampler = setInterval(sample, 20);
    const killGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // the group is gone already
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      sample();
      killGroup('SIGKILL');
    }, options.timeoutMs);
    const finish = (exitCode: number | null, signal: string | null, spawnError?: Error) => {
      if (settled) return;
      settled = true;
      clearInterval(sampler);
      clearTimeout(timer);
      // a job the command left behind (it should leave none) must not outlive the measurement
      killGroup('SIGKILL');
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderrTail: spawnError ? `${spawnError.message}\n${errTail}` : errTail,
        wallMs: performance.now() - start,
        peakRssBytes: peak,
        timedOut,
      });
    };
    child.on('error', (error) => finish(null, null, error));
    child.on('close', (code, signal) => finish(code, signal));
  });
}

/** A long-running child (the browser-mode host): started, sampled, stopped by the caller. */
interface RunningProcess {
  pid: number;
  /** resolves with the first stdout line matching `pattern` */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  peakRssBytes(): number;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves once it has exited */
  stop(graceMs: number): Promise<void>;
  stderrTail(): string;
}

export function startProcess(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv }): RunningProcess {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let errTail = '';
  let peak = 0;
  let exited = false;
  const waiters: (() => void)[] = [];
  const exitWaiters: (() => void)[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    for (const waiter of waiters.splice(0)) waiter();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    errTail = (errTail + chunk.toString('utf8')).slice(-8192);
  });
  const sample = () => {
    if (child.pid === undefined || exited) return;
    const hwm = readHighWaterMark(child.pid);
    if (hwm !== null) peak = Math.max(peak, hwm);
  };
  const sampler = setInterval(sample, 20);
  child.on('close', () => {
    exited = true;
    clearInterval(sampler);
    for (const waiter of [...waiters.splice(0), ...exitWaiters.splice(0)]) waiter();
  });
  child.on('error', () => {
    exited = true;
    clearInterval(sampler);
    for (const waiter of [...waiters.splice(0), ...exitWaiters.splice(0)]) waiter();
  });
  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // gone already
    }
  };
  return {
    pid: child.pid ?? -1,
    waitForLine(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error(`no line matching ${String(pattern)} within ${timeoutMs} ms; stderr: ${errTail.slice(-500)}`)), timeoutMs);
        const check = () => {
          const match = pattern.exec(stdout);
          if (match) {
            clearTimeout(deadline);
            resolve(match);
          } else if (exited) {
            clearTimeout(deadline);
            reject(new Error(`the process exited before printing a line matching ${String(pattern)}; stderr: ${errTail.slice(-500)}`));
          } else waiters.push(check);
        };
        check();
      });
    },
    peakRssBytes: () => {
      sample();
      return peak;
    },
    async stop(graceMs) {
      sample();
      if (exited) return;
      const gone = new Promise<void>((resolve) => exitWaiters.push(resolve));
      killGroup('SIGTERM');
      const timer = setTimeout(() => killGroup('SIGKILL'), graceMs);
      await gone;
      clearTimeout(timer);
    },
    stderrTail: () => errTail,
  };
}
