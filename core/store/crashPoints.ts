/**
 * A hook for the crash-safety tests, inert unless its environment variable is set.
 *
 * With `MES_DATA_STORE_CRASH_AFTER=N`, the N-th durable step of a store write (a file
 * written, a folder synced, a rename) kills the process with SIGKILL, exactly as a power
 * cut or `kill -9` would stop it there: no `finally`, no clean-up. With
 * `MES_DATA_STORE_CRASH_TRACE=1`, each step is also named on stderr, so a test can see
 * where the process stopped. Nothing else reads these variables.
 */

let remaining: number | null | undefined;
let trace = false;
let counter = 0;

function configure(): number | null {
  const value = process.env.MES_DATA_STORE_CRASH_AFTER;
  trace = process.env.MES_DATA_STORE_CRASH_TRACE === '1';
  const n = value === undefined ? NaN : Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** Marks one durable step; see the module comment. */
export function crashPoint(label: string): void {
  if (remaining === undefined) remaining = configure();
  if (remaining === null && !trace) return;
  counter++;
  if (trace) process.stderr.write(`crash point ${counter}: ${label}\n`);
  if (remaining === null) return;
  remaining--;
  if (remaining === 0) process.kill(process.pid, 'SIGKILL');
}
