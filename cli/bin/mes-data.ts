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
import { commandOf, isShortRead } from './shortRead.js';

type Main = (argv: string[]) => Promise<number>;

/**
 * MES_DATA_PROFILE=1: where the process's time went, one line on stderr before it exits
 * (`[profile] mes-data validate: node 48 ms, bundle 171 ms (cpu 160 ms), command 402 ms
 * (cpu 371 ms), total 621 ms (cpu 575 ms)`). Wall time from the process's start; CPU is
 * the whole process's (every thread, DuckDB's too). Off, it records nothing.
 */
class ProcessProfile {
  private readonly enabled = process.env.MES_DATA_PROFILE === '1';
  private readonly phases: [string, number, number][] = [];
  private last = performance.now();
  private lastCpu = this.enabled ? process.cpuUsage() : null;

  constructor() {
    // the time before this entry ran: Node's own start, the entry's load
    if (this.lastCpu) this.phases.push(['node', this.last, (this.lastCpu.user + this.lastCpu.system) / 1000]);
  }

  mark(name: string): void {
    if (!this.lastCpu) return;
    const now = performance.now();
    const cpu = process.cpuUsage(this.lastCpu);
    this.phases.push([name, now - this.last, (cpu.user + cpu.system) / 1000]);
    this.last = now;
    this.lastCpu = process.cpuUsage();
  }

  print(command: string): void {
    if (!this.enabled) return;
    const total = process.cpuUsage();
    const ms = (value: number) => `${Math.round(value)} ms`;
    const phases = this.phases.map(([name, wall, cpu]) => (name === 'node' ? `node ${ms(wall)}` : `${name} ${ms(wall)} (cpu ${ms(cpu)})`));
    process.stderr.write(`[profile] mes-data ${command}: ${phases.join(', ')}, total ${ms(performance.now())} (cpu ${ms((total.user + total.system) / 1000)})\n`);
  }
}

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
  const profile = new ProcessProfile();
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
  profile.mark('bundle');
  const code = await main(argv);
  profile.mark('command');
  process.exitCode = code;
  // once stdout and stderr have taken what was written, the process ends: not after the
  // threads it started have wound down and V8 has finished optimizing WebAssembly that will
  // not run again (70–470 ms after a daily command's output, load 12). main() has closed
  // DuckDB (what it spilled goes with it); `serve` returns only when it has been stopped
  profile.print(commandOf(argv));
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
  process.exit(code);
}
