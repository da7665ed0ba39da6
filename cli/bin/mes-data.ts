#!/usr/bin/env node
// The `mes-data` command. `npm run build` bundles this file into dist/cli/mes-data.mjs (the
// package's `bin`), and the rest of the CLI into dist/cli/cli.cjs with its V8 code cache
// beside it (cli/bin/codeCache.ts). This entry answers a lone `--version` itself and loads
// the bundle for anything else: the dependencies the commands import (Arrow, zod, ajv…) take
// 100–250 ms to load, which `--version` has no use for.
// In development, `npm run mes-data:dev -- …` runs this same file from the sources through
// tsx, which loads cli/main.ts instead.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { VERSION } from '../../core/version.js';
import { BUNDLE_NAME, loadBundle } from './codeCache.js';
import { isShortRead } from './shortRead.js';

type Main = (argv: string[]) => Promise<number>;

const argv = process.argv.slice(2);

/**
 * V8 compiles hot WebAssembly functions again, optimized, on background threads, and a
 * process does not exit before those compilations finish: after a 100-row `show`, that was
 * 70–250 ms of waiting for code that would never run. Set before any thread starts.
 */
function baselineWasmForShortReads(): void {
  if (isShortRead(argv)) v8.setFlagsFromString('--liftoff-only');
}

if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  // what commander prints for --version, without loading commander
  process.stdout.write(`${VERSION}\n`);
} else {
  const here = fileURLToPath(import.meta.url);
  let main: Main;
  if (here.endsWith('.ts')) {
    // from the sources (the build leaves this import out of the built entry, which loads the bundle)
    baselineWasmForShortReads();
    ({ main } = await import('../main.js'));
  } else {
    // the bundle's first module starts the decoder thread for a short read (startDecoderEarly.ts)
    ({ main } = loadBundle(path.join(path.dirname(here), BUNDLE_NAME), baselineWasmForShortReads) as { main: Main });
  }
  const code = await main(argv);
  process.exitCode = code;
  // once stdout and stderr have taken what was written, the process ends: not after the
  // threads it started have wound down and V8 has finished optimizing WebAssembly that will
  // not run again (70–470 ms after a daily command's output, load 12). main() has closed
  // DuckDB (what it spilled goes with it); `serve` returns only when it has been stopped
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
  process.exit(code);
}
