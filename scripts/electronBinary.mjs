// Where Electron's binary is, without triggering its download. `require('electron')`
// fetches the binary on first use, which hangs or fails on machines without access to
// its download host, so we look for it the way that module does and stop there.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** @returns {{ path: string } | { missing: string }} */
export function findElectronBinary() {
  const pkg = path.join(root, 'node_modules', 'electron');
  if (!fs.existsSync(pkg)) return { missing: 'the electron package is not installed (run npm ci)' };
  const pathFile = path.join(pkg, 'path.txt');
  const relative = fs.existsSync(pathFile) ? fs.readFileSync(pathFile, 'utf8').trim() : null;
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const candidate = path.join(override, relative ?? 'electron');
    return fs.existsSync(candidate) ? { path: candidate } : { missing: `ELECTRON_OVERRIDE_DIST_PATH has no binary at ${candidate}` };
  }
  if (!relative) return { missing: "Electron's binary has not been downloaded (it is fetched on first launch)" };
  const candidate = path.join(pkg, 'dist', relative);
  return fs.existsSync(candidate) ? { path: candidate } : { missing: `Electron's binary is missing at ${candidate}` };
}
