// `npm start`: the desktop app where Electron's binary exists, otherwise the browser mode.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findElectronBinary } from './electronBinary.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const binary = findElectronBinary();

/** @param {string} command @param {string[]} args */
function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if ('path' in binary) {
  run(process.execPath, [path.join(root, 'scripts/build.mjs')]);
  // the app folder: Electron reads package.json's "main" (dist/electron/main.mjs)
  const child = spawn(binary.path, [root, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  process.stderr.write(
    `MES Data: not starting the desktop app: ${binary.missing}.\n` +
      'The browser mode (mes-data serve) arrives with the app shell; until then, here is the command line:\n\n',
  );
  run(process.execPath, [path.join(root, 'cli/bin/mes-data.mjs'), '--help']);
}
