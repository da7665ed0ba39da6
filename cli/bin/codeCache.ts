// The CLI bundle (dist/cli/cli.cjs, CommonJS; also the job thread's jobCore.cjs, see
// scripts/buildCli.mjs) run through V8's code cache, which Node 20 has
// no switch for (`module.enableCompileCache` came in Node 22.1): the build compiles the
// bundle, runs its top level and writes what V8 compiled beside it; the entry compiles the
// bundle with that cache, which skips parsing and compiling 2.7 MB of JavaScript at every
// start. A cache V8 refuses (another Node, other V8 flags) only costs that time again.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

/** The CLI bundle's file name, beside the entry. */
export const BUNDLE_NAME = 'cli.cjs';

/** The bundle's first line: its build id, the first 16 hex digits of the SHA-256 of the rest. */
export const BUILD_ID_LINE = /^\/\/ build ([0-9a-f]{16})\n/;

/**
 * The cache of a bundle, named by the bundle and its build id (`cli-{id}.cache` for cli.cjs,
 * `jobCore-{id}.cache` for the job thread's jobCore.cjs), so a bundle never meets the cache
 * of another build (a rebuild replaces the files one at a time; V8 checks a cache against
 * the length of its source, not its text).
 */
function cacheFileOf(bundle: string, source: string): string | null {
  const match = BUILD_ID_LINE.exec(source);
  return match ? path.join(path.dirname(bundle), `${path.basename(bundle, '.cjs')}-${match[1]}.cache`) : null;
}

/** What the bundle is wrapped in, as Node wraps a CommonJS module: the cache is of exactly this text. */
export const BUNDLE_WRAPPER = { head: '(function (exports, require, module, __filename, __dirname) {', tail: '\n})' };

function compile(bundle: string, source: string, cachedData: Buffer | undefined): vm.Script {
  return new vm.Script(`${BUNDLE_WRAPPER.head}${source}${BUNDLE_WRAPPER.tail}`, {
    filename: bundle,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
}

function run(script: vm.Script, bundle: string): unknown {
  const module = { exports: {} };
  const body = script.runInThisContext() as (this: unknown, ...args: unknown[]) => void;
  body.call(module.exports, module.exports, createRequire(bundle), module, bundle, path.dirname(bundle));
  return module.exports;
}

/**
 * Compiles the bundle (with its code cache when there is one), calls `beforeRun` (V8 flags
 * set before compiling would make V8 refuse the cache), runs the bundle's top level and
 * returns its exports.
 */
export function loadBundle(bundle: string, beforeRun: () => void): unknown {
  const source = fs.readFileSync(bundle, 'utf8');
  const cacheFile = cacheFileOf(bundle, source);
  let cachedData: Buffer | undefined;
  try {
    if (cacheFile) cachedData = fs.readFileSync(cacheFile);
  } catch {
    // no cache: compiled from the source
  }
  const script = compile(bundle, source, cachedData);
  beforeRun();
  return run(script, bundle);
}

/**
 * Writes the bundle's code cache (the build calls this in a Node process of its own, with
 * no V8 flags set, as the entry runs). The top level runs first, so the functions it
 * compiles are in the cache as well. Returns the cache's path and size.
 */
export function writeCodeCache(bundle: string): { path: string; bytes: number } {
  const source = fs.readFileSync(bundle, 'utf8');
  const cacheFile = cacheFileOf(bundle, source);
  if (!cacheFile) throw new Error(`${bundle} does not start with its build id`);
  const script = compile(bundle, source, undefined);
  run(script, bundle);
  const data = script.createCachedData();
  fs.writeFileSync(cacheFile, data);
  return { path: cacheFile, bytes: data.length };
}
