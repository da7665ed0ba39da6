// The command line's bundles in dist/cli/: the `mes-data` entry (the package's `bin`), the
// CLI itself (cli.cjs, loaded by the entry only when a command needs it, with the V8 code
// cache the build writes beside it: cli/bin/codeCache.ts), and the threads they start (the
// job thread, whose code is jobCore.cjs with its code cache too; the Parquet decoder, the
// ingest's Parquet writer). `npm run build` calls
// `buildCli`; the test suite's global setup calls `buildCliIfStale` so the CLI tests run what
// ships.
//
// Each file is written under a temporary name and renamed into place, so a process that is
// running the CLI from dist/cli/ while it is rebuilt (another test run in the same
// checkout) never reads a half-written file.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
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

/** The CLI bundle (cli/bin/codeCache.ts: BUNDLE_NAME). */
const BUNDLE = 'cli.cjs';
/** The job thread's code, beside its entry jobWorker.mjs (see `buildJobThread`). */
const JOB_CORE = 'jobCore.cjs';
const JOB_WORKER_SOURCE = 'core/api/jobWorker.ts';
/** The bundle's first line until its build id is known: as long as the line it becomes (cli/bin/codeCache.ts: BUILD_ID_LINE). */
const BUILD_ID_PLACEHOLDER = `// build ${'0'.repeat(16)}`;

/**
 * The entry's way to the CLI when it runs from the sources (tsx): `import('../main.js')`,
 * left as it is in the built entry, which never takes that way (it loads the bundle).
 * @type {import('esbuild').Plugin}
 */
const sourcesOnly = {
  name: 'cli-sources-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/main\.js$/ }, (args) => (args.importer.endsWith(path.join('cli', 'bin', 'mes-data.ts')) ? { path: args.path, external: true } : undefined));
  },
};

/**
 * Writes the bundle's build id into its first line (same length, so its source map holds):
 * the first 16 hex digits of the SHA-256 of everything after that line. Returns the id.
 * @param {string} file
 */
function stampBuildId(file) {
  const text = fs.readFileSync(file, 'utf8');
  if (!text.startsWith(`${BUILD_ID_PLACEHOLDER}\n`)) throw new Error(`${file} does not start with the build id placeholder`);
  const id = crypto.createHash('sha256').update(text.slice(BUILD_ID_PLACEHOLDER.length + 1)).digest('hex').slice(0, 16);
  fs.writeFileSync(file, `// build ${id}${text.slice(BUILD_ID_PLACEHOLDER.length)}`);
  return id;
}

/**
 * Writes the V8 code cache of each bundle of `bundles` beside it (cli/bin/writeCodeCache.ts),
 * in a Node process of its own with no V8 flags, as the entry runs: a cache made under other
 * flags (a test runner's, NODE_OPTIONS) is one V8 refuses.
 * @param {string} root
 * @param {string} scratch
 * @param {import('esbuild').BuildOptions} common
 * @param {string[]} bundles
 */
async function writeCodeCaches(root, scratch, common, bundles) {
  const writer = path.join(path.dirname(scratch), `.cli-cache-writer-${process.pid}.mjs`);
  try {
    await build({ ...common, entryPoints: ['cli/bin/writeCodeCache.ts'], outfile: writer });
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    for (const bundle of bundles) {
      const child = spawnSync(process.execPath, [writer, path.join(scratch, bundle)], { cwd: root, env, encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`writing the code cache of ${bundle} failed (exit ${child.status ?? child.signal}): ${child.stderr.slice(-2000)}`);
    }
  } finally {
    fs.rmSync(writer, { force: true });
  }
}

const DUCKDB_API = '@duckdb/node-api';
/** Where core/engine/duckdbEngine.ts loads DuckDB's API, only when a job first needs it. */
const DUCKDB_LOAD = `createRequire(import.meta.url)('${DUCKDB_API}')`;

/**
 * In the job thread's bundle, the engine's load of DuckDB's API becomes a `require` esbuild
 * bundles (still run only when the engine first needs DuckDB).
 * @type {import('esbuild').Plugin}
 */
const duckdbApiBundled = {
  name: 'duckdb-api-bundled',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /[\\/]core[\\/]engine[\\/]duckdbEngine\.ts$/ }, (args) => {
      const source = fs.readFileSync(args.path, 'utf8');
      if (!source.includes(DUCKDB_LOAD)) throw new Error(`${args.path} no longer loads DuckDB with ${DUCKDB_LOAD}: the job thread's build no longer fits it`);
      return { contents: source.replace(DUCKDB_LOAD, `require('${DUCKDB_API}')`), loader: 'ts' };
    });
  },
};

/**
 * The job thread in two files. Its module awaits at its top level, so it must stay an ES
 * module, and Node 20 keeps no code cache of an ES module: the thread compiled its 3.8 MB
 * bundle at every job (about 0.2 s of CPU before a daily promote could start). So the entry,
 * jobWorker.mjs, holds only core/api/jobWorker.ts itself; each module it imports is taken
 * from jobCore.cjs, one CommonJS bundle of them all (shared modules once) that runs through
 * its V8 code cache as cli.cjs does (cli/bin/codeCache.ts), loaded when the entry first
 * needs one of them.
 * @param {string} root
 * @param {string} scratch
 * @param {import('esbuild').BuildOptions} common
 */
async function buildJobThread(root, scratch, common) {
  const worker = path.join(root, JOB_WORKER_SOURCE);
  /** @type {Map<string, string>} the entry's imports: store-relative source path → absolute path */
  const imported = new Map();
  /** @type {import('esbuild').Plugin} */
  const fromJobCore = {
    name: 'job-core',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^\./ }, async (args) => {
        if (args.importer !== worker || args.pluginData === 'job-core') return undefined;
        const found = await pluginBuild.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'job-core' });
        if (found.errors.length > 0) return { errors: found.errors };
        const key = path.relative(root, found.path).split(path.sep).join('/');
        imported.set(key, found.path);
        return { path: key, namespace: 'job-core' };
      });
      pluginBuild.onResolve({ filter: /^job-core-loader$/ }, () => ({ path: 'job-core-loader', namespace: 'job-core-loader' }));
      pluginBuild.onLoad({ filter: /.*/, namespace: 'job-core' }, (args) => ({ contents: `module.exports = require('job-core-loader').jobCoreModule(${JSON.stringify(args.path)});\n`, loader: 'js', resolveDir: root }));
      pluginBuild.onLoad({ filter: /.*/, namespace: 'job-core-loader' }, () => ({
        contents: [
          "import path from 'node:path';",
          "import { fileURLToPath } from 'node:url';",
          `import { loadBundle } from ${JSON.stringify(path.join(root, 'cli/bin/codeCache.ts'))};`,
          'let modules;',
          '/** A module of jobCore.cjs, beside this bundle, by its source path. */',
          'export function jobCoreModule(key) {',
          `  modules ??= loadBundle(path.join(path.dirname(fileURLToPath(import.meta.url)), ${JSON.stringify(JOB_CORE)}), () => undefined).modules;`,
          '  return modules[key];',
          '}',
        ].join('\n'),
        loader: 'ts',
        resolveDir: root,
      }));
    },
  };
  await build({ ...common, entryPoints: [JOB_WORKER_SOURCE], outfile: path.join(scratch, 'jobWorker.mjs'), sourcemap: true, banner: { js: requireBanner }, plugins: [fromJobCore] });
  if (imported.size === 0) throw new Error(`${JOB_WORKER_SOURCE} imports no module of ours: the job thread's build no longer fits it`);
  const keys = [...imported.keys()].sort();
  await build({
    ...common,
    // DuckDB's JavaScript API comes into the bundle (and its code cache) as well: loaded from
    // node_modules it was 124 modules to resolve and compile at each job's first query; its
    // native binding stays a package of its own
    external: [...EXTERNAL_PACKAGES.filter((name) => name !== DUCKDB_API), '@duckdb/node-bindings'],
    plugins: [duckdbApiBundled],
    stdin: {
      contents: `${keys.map((key, i) => `import * as m${i} from ${JSON.stringify(`./${key}`)};`).join('\n')}\nexport const modules = { ${keys.map((key, i) => `${JSON.stringify(key)}: m${i}`).join(', ')} };\n`,
      resolveDir: root,
      sourcefile: 'job-core.ts',
      loader: 'ts',
    },
    outfile: path.join(scratch, JOB_CORE),
    format: 'cjs',
    sourcemap: true,
    define: { 'import.meta.url': '__mesBundleUrl' },
    banner: { js: `${BUILD_ID_PLACEHOLDER}\nvar __mesBundleUrl = require("node:url").pathToFileURL(__filename).href;` },
  });
  return stampBuildId(path.join(scratch, JOB_CORE));
}

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
    // the entry: a few lines and what they import (the version, the loader), no dependencies
    await build({ ...common, entryPoints: ['cli/bin/mes-data.ts'], outfile: path.join(scratch, 'mes-data.mjs'), sourcemap: true, banner: { js: requireBanner }, plugins: [sourcesOnly] });
    // the CLI: CommonJS, which V8's code cache can hold (Node 20 caches no ES module), run by
    // the entry through node:vm; its first module starts the decoder thread for a short read
    await build({
      ...common,
      stdin: { contents: "import './bin/startDecoderEarly.js';\nexport { main } from './main.js';\n", resolveDir: path.join(root, 'cli'), sourcefile: 'cli-bundle.ts', loader: 'ts' },
      outfile: path.join(scratch, BUNDLE),
      // DuckDB's JavaScript API inside, as in jobCore.cjs: a command's job runs in this bundle's
      // thread (core/api/inlineJob.ts), which loaded it from node_modules, 124 modules without a
      // code cache (0.3–0.8 s at load 10); still run only when the engine first needs it
      external: [...EXTERNAL_PACKAGES.filter((name) => name !== DUCKDB_API), '@duckdb/node-bindings'],
      plugins: [duckdbApiBundled],
      format: 'cjs',
      sourcemap: true,
      // what import.meta.url is in an ES module: the file's URL (threads and the renderer are found beside it)
      define: { 'import.meta.url': '__mesBundleUrl' },
      banner: { js: `${BUILD_ID_PLACEHOLDER}\nvar __mesBundleUrl = require("node:url").pathToFileURL(__filename).href;` },
    });
    const bundleId = stampBuildId(path.join(scratch, BUNDLE));
    // the threads: bundled (their relative imports come along), packages left external; the job thread in two (buildJobThread)
    for (const [bundle, entry] of Object.entries(THREAD_BUNDLES)) {
      if (entry === JOB_WORKER_SOURCE) continue;
      await build({ ...common, entryPoints: [entry], outfile: path.join(scratch, bundle), sourcemap: true, banner: { js: requireBanner } });
    }
    const jobCoreId = await buildJobThread(root, scratch, common);
    await writeCodeCaches(root, scratch, common, [BUNDLE, JOB_CORE]);
    fs.chmodSync(path.join(scratch, 'mes-data.mjs'), 0o755);
    fs.mkdirSync(outDir, { recursive: true });
    // each bundle's cache before the bundle that names it, the entry last: it starts everything else
    const rank = (/** @type {string} */ name) => (name === 'mes-data.mjs' ? 2 : name === BUNDLE || name === JOB_CORE ? 1 : 0);
    const files = fs.readdirSync(scratch).sort((a, b) => rank(a) - rank(b));
    for (const name of files) fs.renameSync(path.join(scratch, name), path.join(outDir, name));
    // the caches of earlier builds, and what the split ES module build before this one left
    for (const name of fs.readdirSync(outDir)) {
      if (files.includes(name)) continue;
      if (((name.startsWith('cli-') || name.startsWith('jobCore-')) && name.endsWith('.cache')) || name.startsWith('chunk-') || name.startsWith('main.mjs')) fs.rmSync(path.join(outDir, name), { force: true });
    }
    if (!files.includes(`cli-${bundleId}.cache`)) throw new Error(`the build wrote no code cache for ${BUNDLE}`);
    if (!files.includes(`jobCore-${jobCoreId}.cache`)) throw new Error(`the build wrote no code cache for ${JOB_CORE}`);
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
