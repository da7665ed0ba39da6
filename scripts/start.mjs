// `npm start`: the desktop app where Electron's binary exists, otherwise the browser mode,
// both on the demo store (created on first start) unless MES_DATA_STORE names another.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findElectronBinary } from './electronBinary.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const binary = findElectronBinary();
const store = process.env.MES_DATA_STORE ?? path.join(root, '.demo-store');

/** @param {string} command @param {string[]} args */
function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

run(process.execPath, [path.join(root, 'scripts/build.mjs')]);
if ('path' in binary) {
  // the app folder: Electron reads package.json's "main" (dist/electron/main.mjs)
  const child = spawn(binary.path, [root, `--store=${store}`, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit', env: { ...process.env, MES_DATA_DEMO: process.env.MES_DATA_STORE ? '' : '1' } });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  process.stderr.write(
    `MES Data: the desktop app cannot start here: ${binary.missing}.\n` +
      'Starting the browser mode instead: open the address below in a browser on this machine (Ctrl-C stops it).\n\n',
  );
  const child = spawn(process.execPath, [path.join(root, 'dist/cli/mes-data.mjs'), '--store', store, 'serve', ...(process.env.MES_DATA_STORE ? [] : ['--demo']), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
  const stop = () => child.kill('SIGINT');
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  child.on('exit', (code) => process.exit(code ?? 0));
}
