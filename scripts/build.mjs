// `npm run build`: bundles the Electron main process, its preload and the command line
// into dist/, next to a copy of the Parquet decoder thread they start.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist');
fs.rmSync(out, { recursive: true, force: true });

/** @type {import('esbuild').BuildOptions} */
const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning', absWorkingDir: root };
// dependencies stay in node_modules: parquet-wasm loads its .wasm file from beside itself
const external = ['electron', 'parquet-wasm', 'apache-arrow', 'hyparquet', 'hyparquet-compressors', 'commander', 'zod'];

await build({ ...common, entryPoints: ['electron/main.ts'], outfile: 'dist/electron/main.cjs', format: 'cjs', external });
// a sandboxed preload may require only 'electron': bundle everything else into it
await build({ ...common, entryPoints: ['electron/preload.ts'], outfile: 'dist/electron/preload.cjs', format: 'cjs', external: ['electron'] });
await build({
  ...common,
  entryPoints: ['cli/main.ts'],
  outfile: 'dist/cli/main.mjs',
  format: 'esm',
  external,
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
for (const dir of ['dist/electron', 'dist/cli']) fs.copyFileSync(path.join(root, 'core/parquet/parquetWorker.mjs'), path.join(root, dir, 'parquetWorker.mjs'));
fs.mkdirSync(path.join(out, 'renderer'), { recursive: true });
fs.copyFileSync(path.join(root, 'renderer/index.html'), path.join(out, 'renderer/index.html'));
process.stdout.write(`built ${path.relative(process.cwd(), out) || 'dist'}/: electron/main.cjs, electron/preload.cjs, cli/main.mjs, renderer/index.html\n`);
