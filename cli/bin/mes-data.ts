#!/usr/bin/env node
// The `mes-data` command. `npm run build` bundles this file into dist/cli/mes-data.mjs (the
// package's `bin`) and the rest of the CLI into dist/cli/main.mjs, loaded only once a
// command needs it: the dependencies the commands import (Arrow, zod, ajv…) take 100–250 ms
// to load, which `--version` has no use for.
// In development, `npm run mes-data:dev -- …` runs this same file from the sources through tsx.
import v8 from 'node:v8';
import { sharedDecoderPool } from '../../core/parquet/decoderPool.js';
import { VERSION } from '../../core/version.js';

/** Commands that decode a page or a footer and end: the decoder's WebAssembly stays in its baseline tier. */
const SHORT_READS = new Set(['show', 'schema', 'meta']);

const argv = process.argv.slice(2);
// V8 compiles hot WebAssembly functions again, optimized, on background threads, and a
// process does not exit before those compilations finish: after a 100-row `show`, that was
// 70–250 ms of waiting for code that would never run. Set before any thread starts.
const shortRead = SHORT_READS.has(argv.find((arg) => !arg.startsWith('-')) ?? '');
if (shortRead) v8.setFlagsFromString('--liftoff-only');

if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  // what commander prints for --version, without loading commander
  process.stdout.write(`${VERSION}\n`);
} else {
  // the decoder thread starts loading while the CLI does (they take about as long)
  if (shortRead && !argv.includes('--help') && !argv.includes('-h')) sharedDecoderPool().warm();
  const { main } = await import('../main.js');
  process.exitCode = await main(argv);
}
