import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asksForHelp, isShortRead } from '../../cli/bin/shortRead.js';
import { tempDir } from '../helpers/ohlcvTable.js';
import { CLI_BIN, runCli } from '../helpers/runCli.js';

/**
 * What a `mes-data` process loads and starts, seen from inside it: a preload (`node
 * --require`) notes, in the main thread, each package it requires that costs a command its
 * start (DuckDB's binding and API, parquet-wasm, the AWS SDK by its node:http2) and each thread it starts, and
 * writes them to a file when the process exits; it says on stderr when a Ctrl-C handler is
 * installed, so a test knows when a job has started.
 */
const PRELOAD = `
const Module = require('node:module');
const fs = require('node:fs');
const threads = require('node:worker_threads');
if (threads.isMainThread) {
  const modules = new Set();
  const started = [];
  const load = Module._load;
  Module._load = function (request, ...rest) {
    // the AWS SDK is bundled: what it loads first of Node's own (no other code of ours does) stands for it
    if (/^(@duckdb\\/|parquet-wasm|node:http2$)/.test(request)) modules.add(request);
    return load.call(this, request, ...rest);
  };
  const Worker = threads.Worker;
  threads.Worker = class extends Worker {
    constructor(file, options) {
      started.push(path(file));
      super(file, options);
    }
  };
  function path(file) { return String(file).split('/').pop(); }
  const on = process.on;
  process.on = function (event, listener) {
    const result = on.call(this, event, listener);
    // after the handler is in place: a Ctrl-C sent on seeing this line finds it
    if (event === 'SIGINT') process.stderr.write('[preload] SIGINT handler\\n');
    return result;
  };
  process.once('exit', () => fs.writeFileSync(process.env.MES_TEST_LOADS, JSON.stringify({ modules: [...modules].sort(), threads: started })));
}
`;

interface Seen {
  code: number | null;
  stdout: string;
  stderr: string;
  modules: string[];
  threads: string[];
}

describe('what each command of the built CLI loads and starts', () => {
  const { dir, cleanup } = tempDir();
  const store = path.join(dir, 'store');
  const preload = path.join(dir, 'preload.cjs');
  const loads = path.join(dir, 'loads.json');
  const csv = path.join(dir, 'MES_1min.csv');

  /** One command as a process of its own, with the preload; `onStderr` sees stderr as it comes. */
  function run(args: string[], options: { env?: Record<string, string>; onStderr?: (text: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<Seen> {
    fs.rmSync(loads, { force: true });
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['--require', preload, CLI_BIN, ...args], { env: { ...process.env, ...options.env, MES_TEST_LOADS: loads }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        options.onStderr?.(stderr, child);
      });
      child.on('close', (code) => {
        const seen = JSON.parse(fs.readFileSync(loads, 'utf8')) as { modules: string[]; threads: string[] };
        resolve({ code, stdout, stderr, ...seen });
      });
    });
  }

  beforeAll(async () => {
    fs.writeFileSync(preload, PRELOAD);
    expect((await runCli('--store', store, 'init')).code).toBe(0);
    const rows = ['Date,Time,Open,High,Low,Close,Volume'];
    for (let m = 0; m < 30; m++) rows.push(`01/03/2024,10:${String(m).padStart(2, '0')},${4780 + m},${4781 + m},${4779 + m},${4780.5 + m},${100 + m}`);
    fs.writeFileSync(csv, `${rows.join('\n')}\n`);
  });
  afterAll(cleanup);

  it('ls loads neither DuckDB nor parquet-wasm nor the AWS SDK, and starts no thread', async () => {
    const seen = await run(['--store', store, 'ls', '--json']);
    expect({ code: seen.code, modules: seen.modules, threads: seen.threads }).toEqual({ code: 0, modules: [], threads: [] });
  });

  it("a job (ingest, validate) runs in the command's own thread: no job thread, DuckDB's API from the bundle, its binding from its package", async () => {
    const ingest = await run(['--store', store, 'ingest', csv, '--asset', 'MES', '--json']);
    expect(ingest.code).toBe(0);
    expect((JSON.parse(ingest.stdout) as { snapshots: { path: string; rows: number; status: string }[] }).snapshots.map((s) => [s.path, s.rows, s.status])).toEqual([['raw/MES/2024-01-03/MES_1min.parquet', 30, 'created']]);
    expect(ingest.threads).not.toContain('jobWorker.mjs');
    expect(ingest.modules).not.toContain('@duckdb/node-api');
    const validate = await run(['--store', store, 'validate', 'raw/MES', '--json']);
    expect(validate.code).toBe(0);
    expect(JSON.parse(validate.stdout)).toMatchObject({ target: 'raw/MES', valid: true, rowCount: 30 });
    expect(validate.threads).not.toContain('jobWorker.mjs');
    expect(validate.modules).toContain('@duckdb/node-bindings');
    expect(validate.modules).not.toContain('@duckdb/node-api');
  });

  it('Ctrl-C cancels a job running in the main thread: exit 10, CANCELLED, nothing written', async () => {
    const before = (await runCli('--store', store, 'ls', '--json')).stdout;
    const hold = path.join(dir, 'hold');
    fs.writeFileSync(hold, '');
    let sent = false;
    const seen = await run(['--store', store, 'promote', '--asset', 'MES'], {
      env: { MES_DATA_JOB_HOLD: hold },
      onStderr: (text, child) => {
        if (sent || !text.includes('[preload] SIGINT handler')) return;
        sent = true;
        child.kill('SIGINT');
      },
    });
    fs.rmSync(hold, { force: true });
    expect(seen.code).toBe(10);
    expect(seen.stderr.split('\n').filter((line) => !line.startsWith('[preload]'))).toEqual(['', 'cancelling… (what the job wrote is being removed)', 'error CANCELLED: promote: cancelled before its work began', '']);
    expect(seen.threads).not.toContain('jobWorker.mjs');
    // the store as it was: no cleaned version
    expect((await runCli('--store', store, 'ls', '--json')).stdout).toBe(before);
  });

  it('a short read is known by its command, also after --store DIR', () => {
    expect([isShortRead(['show', 'f.parquet']), isShortRead(['--store', 'show', 'ls']), isShortRead(['--store', '/s', 'show', 'raw/MES/x.parquet']), isShortRead(['--store', '/s', 'schema', 'x']), isShortRead(['validate', 'raw/MES']), isShortRead([])]).toEqual([true, false, true, true, false, false]);
    expect([asksForHelp(['show', '--help']), asksForHelp(['show', '-h']), asksForHelp(['show'])]).toEqual([true, true, false]);
  });
});
