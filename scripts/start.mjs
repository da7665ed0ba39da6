// `npm start`: the desktop app where Electron's binary exists, otherwise the browser mode,
// both on the demo store (created on first start) unless MES_DATA_STORE names another.
// Stopping it stops what it started: SIGTERM, SIGHUP and SIGINT are passed on to the child
// running at the time (the build, then the app or the server), and it exits as that child did.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findElectronBinary } from './electronBinary.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const binary = findElectronBinary();
const store = process.env.MES_DATA_STORE ?? path.join(root, '.demo-store');

/** @type {import('node:child_process').ChildProcess | null} */
let current = null;
/** @type {NodeJS.Signals | null} */
let stopSignal = null;

/** The exit code of a process ended by a signal, as shells report it (SIGTERM → 143). */
const signalExitCode = (/** @type {NodeJS.Signals} */ signal) => 128 + (os.constants.signals[signal] ?? 1);

for (const signal of /** @type {NodeJS.Signals[]} */ (['SIGTERM', 'SIGHUP', 'SIGINT'])) {
  process.on(signal, () => {
    stopSignal = signal;
    const child = current;
    if (!child || child.exitCode !== null || child.signalCode !== null) process.exit(signalExitCode(signal));
    // Ctrl-C in a terminal reaches the whole process group, the child included: pass SIGINT
    // on only when the child has not stopped by itself shortly after (a `kill -INT` of this
    // process alone), so a child that handles SIGINT gracefully does not get it twice
    if (signal === 'SIGINT') setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill('SIGINT'), 500).unref();
    else child.kill(signal);
  });
}

/**
 * Runs a child with this terminal; resolves with its exit code (128 + n when a signal ended it).
 * @param {string} command @param {string[]} args @param {NodeJS.ProcessEnv} [env]
 * @returns {Promise<number>}
 */
function run(command, args, env = process.env) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit', env });
    current = child;
    child.on('error', (error) => {
      process.stderr.write(`MES Data: could not start ${command}: ${error.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      current = null;
      resolve(code ?? (signal ? signalExitCode(signal) : 1));
    });
  });
}

// MES_DATA_START_SKIP_BUILD=1 starts on dist/ as it is (a quick restart after a build)
if (process.env.MES_DATA_START_SKIP_BUILD !== '1') {
  const built = await run(process.execPath, [path.join(root, 'scripts/build.mjs')]);
  if (built !== 0 || stopSignal) process.exit(stopSignal ? signalExitCode(stopSignal) : built);
}
if ('path' in binary) {
  // the app folder: Electron reads package.json's "main" (dist/electron/main.mjs)
  process.exit(await run(binary.path, [root, `--store=${store}`, ...process.argv.slice(2)], { ...process.env, MES_DATA_DEMO: process.env.MES_DATA_STORE ? '' : '1' }));
} else {
  process.stderr.write(
    `MES Data: the desktop app cannot start here: ${binary.missing}.\n` +
      'Starting the browser mode instead: open the address below in a browser on this machine (Ctrl-C stops it).\n\n',
  );
  process.exit(await run(process.execPath, [path.join(root, 'dist/cli/mes-data.mjs'), '--store', store, 'serve', ...(process.env.MES_DATA_STORE ? [] : ['--demo']), ...process.argv.slice(2)]));
}
