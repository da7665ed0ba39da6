// `npm run build`: the renderer (Vite) and the bundles of the Electron main process, its
// preload, the threads and the command line, into dist/. Beside each bundle go the bundles of
// the threads it starts (job, Parquet decoder, ingest writer: THREAD_BUNDLES).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { build as viteBuild } from 'vite';
import { THREAD_BUNDLES, buildCli } from './buildCli.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist');
fs.rmSync(out, { recursive: true, force: true });

await viteBuild({ configFile: path.join(root, 'vite.config.ts'), logLevel: 'warn' });

/** @type {import('esbuild').BuildOptions} */
const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning', absWorkingDir: root };
// dependencies stay in node_modules: parquet-wasm loads its .wasm file from beside itself,
// and the packaged app keeps the ones the threads load unpacked (electron-builder.yml)
const external = ['electron', 'parquet-wasm', 'apache-arrow', 'hyparquet', 'hyparquet-compressors', 'commander', 'zod', 'ajv', 'tsx', '@duckdb/node-api'];
// ESM bundles that still meet CommonJS dependencies need a require of their own
const esm = { format: /** @type {const} */ ('esm'), banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" } };

await build({ ...common, ...esm, entryPoints: ['electron/main.ts'], outfile: 'dist/electron/main.mjs', external });
// a sandboxed preload may require only 'electron': bundle everything else into it
await build({ ...common, entryPoints: ['electron/preload.ts'], outfile: 'dist/electron/preload.cjs', format: 'cjs', external: ['electron'] });
// the threads: bundled (their relative imports come along), packages left external
for (const [bundle, entry] of Object.entries(THREAD_BUNDLES)) {
  await build({ ...common, ...esm, entryPoints: [entry], outfile: path.join('dist/electron', bundle), external });
}
// the command line: its entry, its bundle, its threads (scripts/buildCli.mjs)
await buildCli(root);
process.stdout.write('built dist/: renderer/, electron/main.mjs, electron/preload.cjs, electron/jobWorker.mjs, cli/mes-data.mjs, cli/cli.cjs\n');
