// The command line's bundles in dist/cli/: the `mes-data` entry (the package's `bin`), the
// CLI itself (loaded by the entry only when a command needs it), and the threads they start
// (the job thread, the Parquet decoder, the ingest's Parquet writer). `npm run build` calls `buildCli`; the test suite's
// global setup calls `buildCliIfStale` so the CLI tests run what ships.
//
// Each file is written under a temporary name and renamed into place, so a process that is
// running the CLI from dist/cli/ while it is rebuilt (another test run in the same
// checkout) never reads a half-written file.
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

/** Packages that stay in node_modules (see scripts/build.mjs for why). */
const EXTERNAL_PACKAGES = ['electron', 'parquet-wasm', 'tsx', '@duckdb/node-api'];

/**
 * Every thread's bundle and its TypeScript module. core/threads/startThread.ts looks for
 * these names beside its own bundle (a test keeps its table and this one equal).
 */
export const THREAD_BUNDLES = {
  'jobWorker.mjs': 'core/api/jobWorker.ts',
  'parquetDecoderThread.mjs': 'core/parquet/decoder/decoderThread.ts',
  'parquetWriterThread.mjs': 'core/ingest/writer/writerThread.ts',
};
/** What the CLI bundles are made from: a newer file here makes dist/cli/ stale. */
const INPUTS = ['core', 'cli', 'schema', 'package.json', 'scripts/buildCli.mjs'];
const STAMP = '.built';

// ESM bundles that still meet CommonJS dependencies need a require of their own
const requireBanner = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/**
 * Builds the CLI bundles into `<root>/dist/cli`.
 * @param {string} root the checkout
 */
export async function buildCli(root) {
  const started = Date.now();
  const outDir = path.join(root, 'dist/cli');
  const scratch = path.join(root, 'dist', `.cli-build-${process.pid}-${started}`);
  fs.rmSync(scratch, { recursive: true, force: true });
  /** @type {import('esbuild').BuildOptions} */
  const common = { bundle: true, platform: 'node', target: 'node20', logLevel: 'warning', absWorkingDir: root, format: 'esm', external: EXTERNAL_PACKAGES };
  try {
    // the entry and the CLI in one build split into chunks: the entry loads main.mjs only when
    // a command runs, and the modules both use (the decoder pool, which the entry starts
    // early) are one shared chunk, so they are one instance
    await build({
      ...common,
      entryPoints: { 'mes-data': 'cli/bin/mes-data.ts', main: 'cli/main.ts' },
      outdir: scratch,
      outExtension: { '.js': '.mjs' },
      splitting: true,
      chunkNames: 'chunk-[hash]',
      sourcemap: true,
      banner: { js: requireBanner },
    });
    // the threads: bundled (their relative imports come along), packages left external
    for (const [bundle, entry] of Object.entries(THREAD_BUNDLES)) {
      await build({ ...common, entryPoints: [entry], outfile: path.join(scratch, bundle), sourcemap: true, banner: { js: requireBanner } });
    }
    fs.chmodSync(path.join(scratch, 'mes-data.mjs'), 0o755);
    fs.mkdirSync(outDir, { recursive: true });
    // the entry last: it is what starts everything else
    const files = fs.readdirSync(scratch).sort((a, b) => Number(a === 'mes-data.mjs') - Number(b === 'mes-data.mjs'));
    for (const name of files) fs.renameSync(path.join(scratch, name), path.join(outDir, name));
    // chunks of earlier builds
    for (const name of fs.readdirSync(outDir)) if (name.startsWith('chunk-') && !files.includes(name)) fs.rmSync(path.join(outDir, name), { force: true });
    // the stamp holds the time the build started: a source saved during the build is newer
    fs.writeFileSync(path.join(outDir, STAMP), `${started}\n`);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * The newest modification time (ms) of the CLI's sources.
 * @param {string} root
 */
function newestInput(root) {
  let newest = 0;
  /** @param {string} target */
  const visit = (target) => {
    let stats;
    try {
      stats = fs.statSync(target);
    } catch {
      return;
    }
    if (stats.isDirectory()) {
      for (const name of fs.readdirSync(target)) if (name !== 'node_modules' && !name.startsWith('.')) visit(path.join(target, name));
    } else newest = Math.max(newest, stats.mtimeMs);
  };
  for (const input of INPUTS) visit(path.join(root, input));
  return newest;
}

/**
 * Builds the CLI bundles when dist/cli/ is missing or older than a source file.
 * @param {string} root
 * @returns {Promise<boolean>} whether it built
 */
export async function buildCliIfStale(root) {
  let builtAt = 0;
  try {
    builtAt = Number(fs.readFileSync(path.join(root, 'dist/cli', STAMP), 'utf8'));
  } catch {
    // never built
  }
  if (builtAt > 0 && fs.existsSync(path.join(root, 'dist/cli/mes-data.mjs')) && newestInput(root) < builtAt) return false;
  await buildCli(root);
  return true;
}
