import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { tableToIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeParquet } from '../../core/parquet/writeParquet.js';
import { getParquetMetadata } from '../../core/parquet/parquetMetadata.js';
import { VERSION } from '../../core/version.js';
import { BUILD_ID_LINE, BUNDLE_NAME, BUNDLE_WRAPPER } from '../../cli/bin/codeCache.js';
import { corpusFile, skipWithoutCorpus } from '../helpers/corpus.js';
import { ohlcvTable, tempDir } from '../helpers/ohlcvTable.js';
import { runCli, runCliJson } from '../helpers/runCli.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('mes-data show, schema, meta, convert', () => {
  const { dir, cleanup } = tempDir();
  const bars = path.join(dir, 'bars.parquet');

  beforeAll(async () => {
    await writeParquet(ohlcvTable(30_000), bars, { compression: 'zstd', rowGroupSize: 10_000, metadata: { asset: 'MES' } });
  });
  afterAll(cleanup);

  it('show --json prints rows from the middle with exact values', async () => {
    const run = await runCliJson('show', bars, '--offset', '20000', '--rows', '2');
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.json).toEqual({
      path: bars,
      numRows: 30_000,
      offset: 20_000,
      columns: [
        { name: 'timestamp', type: 'Timestamp<NANOSECOND, UTC>' },
        { name: 'open', type: 'Float64' },
        { name: 'high', type: 'Float64' },
        { name: 'low', type: 'Float64' },
        { name: 'close', type: 'Float64' },
        { name: 'volume', type: 'Int64' },
      ],
      rows: [
        { timestamp: '2024-01-15T21:20:00.000000000Z', open: 10_000, high: 10_001, low: 9999, close: 10_000.5, volume: 20_100 },
        { timestamp: '2024-01-15T21:21:00.000000000Z', open: 10_000.25, high: 10_001.25, low: 9999.25, close: 10_000.75, volume: 20_101 },
      ],
    });
  });

  it('show defaults to 20 rows from the top and takes --columns', async () => {
    const run = await runCliJson('show', bars, '--columns', 'close,volume');
    const json = run.json as { rows: unknown[]; columns: { name: string }[]; offset: number };
    expect(json.offset).toBe(0);
    expect(json.rows.length).toBe(20);
    expect(json.columns.map((c) => c.name)).toEqual(['close', 'volume']);
    expect(json.rows[19]).toEqual({ close: 5005.25, volume: 119 });
  });

  it('show prints a table for people', async () => {
    const run = await runCli('show', bars, '--offset', '5', '--rows', '1', '--columns', 'timestamp,close');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      [
        '#  timestamp                       close',
        '─  ──────────────────────────────  ───────',
        '5  2024-01-02T00:05:00.000000000Z  5001.75',
        '',
        `rows 5–5 of 30,000 · ${bars}`,
        '',
      ].join('\n'),
    );
  });

  it('schema --json lists Arrow types and nullability', async () => {
    const run = await runCliJson('schema', bars);
    expect(run.code).toBe(0);
    expect(run.json).toEqual({
      path: bars,
      numRows: 30_000,
      columns: [
        { name: 'timestamp', type: 'Timestamp<NANOSECOND, UTC>', nullable: true },
        { name: 'open', type: 'Float64', nullable: true },
        { name: 'high', type: 'Float64', nullable: true },
        { name: 'low', type: 'Float64', nullable: true },
        { name: 'close', type: 'Float64', nullable: true },
        { name: 'volume', type: 'Int64', nullable: true },
      ],
    });
  });

  it('meta --json gives row groups with codec, statistics and sizes', async () => {
    const run = await runCliJson('meta', bars);
    expect(run.code).toBe(0);
    const meta = run.json as {
      numRows: number;
      numRowGroups: number;
      createdBy: string;
      keyValue: Record<string, string>;
      rowGroups: { numRows: number; columns: { name: string; compression: string; min: unknown; max: unknown; nullCount: number; compressedBytes: number; uncompressedBytes: number }[] }[];
    };
    expect(meta.numRows).toBe(30_000);
    expect(meta.numRowGroups).toBe(3);
    expect(meta.createdBy).toBe(`mes-data version ${VERSION} (parquet-wasm)`);
    expect(meta.keyValue.asset).toBe('MES');
    expect(meta.rowGroups.map((g) => g.numRows)).toEqual([10_000, 10_000, 10_000]);
    const volume = meta.rowGroups[2].columns.find((c) => c.name === 'volume');
    expect(volume).toMatchObject({ compression: 'ZSTD', min: 20_100, max: 30_099, nullCount: 0 });
    const timestamp = meta.rowGroups[0].columns.find((c) => c.name === 'timestamp');
    expect(timestamp).toMatchObject({ min: '2024-01-02T00:00:00.000000000Z', max: '2024-01-08T22:39:00.000000000Z' });
  });

  it('convert re-encodes with the chosen codec, row groups and metadata', async () => {
    const out = path.join(dir, 'converted.parquet');
    const run = await runCliJson('convert', bars, out, '--compression', 'gzip', '--row-group-size', '7000', '--meta', 'source=test', '--meta', 'note=a=b');
    expect(run.code).toBe(0);
    expect(run.json).toEqual({ path: out, numRows: 30_000, compression: 'gzip', bytes: fs.statSync(out).size });
    const meta = await getParquetMetadata(out);
    expect(meta.rowGroups.map((g) => g.numRows)).toEqual([7000, 7000, 7000, 7000, 2000]);
    expect(meta.rowGroups[0].columns[0].compression).toBe('GZIP');
    expect(meta.keyValue).toMatchObject({ source: 'test', note: 'a=b' });
  });

  it('convert reads Arrow IPC files and streams, and defaults to snappy', async () => {
    for (const format of ['file', 'stream'] as const) {
      const arrowPath = path.join(dir, `bars.${format}.arrow`);
      fs.writeFileSync(arrowPath, tableToIPC(ohlcvTable(10), format));
      const out = path.join(dir, `from-${format}.parquet`);
      const run = await runCliJson('convert', arrowPath, out);
      expect(run.json).toMatchObject({ path: out, numRows: 10, compression: 'snappy' });
      const shown = await runCliJson('show', out, '--offset', '9', '--rows', '1', '--columns', 'volume');
      expect((shown.json as { rows: unknown[] }).rows).toEqual([{ volume: 109 }]);
    }
  });

  it('an encrypted file of the corpus is UNSUPPORTED_FILE (exit 4)', async (context) => {
    skipWithoutCorpus(context);
    const encrypted = await runCliJson('meta', corpusFile('data/uniform_encryption.parquet.encrypted'));
    expect(encrypted.code).toBe(4);
    expect((encrypted.json as { error: { code: string } }).error.code).toBe('UNSUPPORTED_FILE');
  });

  it('errors: JSON on stdout, one line on stderr, exit code by error code', async () => {
    const missing = path.join(dir, 'missing.parquet');
    const notFound = await runCliJson('show', missing);
    expect(notFound.code).toBe(3);
    expect(notFound.json).toEqual({ error: { code: 'NOT_FOUND', message: `file not found: ${missing}`, details: { path: missing } } });
    expect(notFound.stderr).toBe(`error NOT_FOUND: file not found: ${missing}\n`);

    const text = path.join(dir, 'notes.parquet');
    fs.writeFileSync(text, 'hello world, not parquet');
    const corrupted = await runCli('schema', text);
    expect(corrupted.code).toBe(4);
    expect(corrupted.stdout).toBe('');
    expect(corrupted.stderr).toBe(`error CORRUPTED_FILE: ${text} is not a Parquet file: expected magic "PAR1" at both ends, found "hell" and "quet"\n`);

    const badRows = await runCliJson('show', bars, '--rows', '-3');
    expect(badRows.code).toBe(2);
    const badCodec = await runCliJson('convert', bars, path.join(dir, 'x.parquet'), '--compression', 'lzo');
    expect(badCodec.code).toBe(2);
    expect(badCodec.json).toEqual({
      error: { code: 'BAD_REQUEST', message: 'unknown compression "lzo"; use one of snappy, gzip, zstd, brotli, lz4, none', details: { compression: 'lzo' } },
    });
    expect(fs.existsSync(path.join(dir, 'x.parquet'))).toBe(false);
    const noColumn = await runCliJson('show', bars, '--columns', 'vwap');
    expect(noColumn.code).toBe(3);
    const unknownCommand = await runCli('frobnicate');
    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.stderr).toBe("error: unknown command 'frobnicate'\n");
  });

  it('the installed bin runs: --version, and show on a real file', async () => {
    const run = promisify(execFile);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin['mes-data']).toBe('dist/cli/mes-data.mjs');
    const bin = path.join(ROOT, pkg.bin['mes-data']);
    expect(fs.statSync(bin).mode & 0o111).not.toBe(0);
    const version = await run(process.execPath, [bin, '--version']);
    expect(version.stdout).toBe(`${VERSION}\n`);
    // the entry answers a lone --version itself; with other options commander does: the same text
    const throughCommander = await run(process.execPath, [bin, '--store', dir, '--version']);
    expect(throughCommander.stdout).toBe(`${VERSION}\n`);
    const shown = await run(process.execPath, [bin, 'show', bars, '--offset', '29999', '--rows', '5', '--json']);
    expect(JSON.parse(shown.stdout)).toMatchObject({ numRows: 30_000, offset: 29_999, rows: [{ volume: 30_099 }] });
    const failed = await run(process.execPath, [bin, 'show', path.join(dir, 'nope.parquet')]).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 3 });
  });

  it('the bundle loads what a command does not need only when asked: DuckDB, the CLI itself', () => {
    // the start-up budget (--version under 150 ms, show under 400 ms as a process) holds only
    // while these stay out of the top level; core/engine/duckdbEngine.ts: duckdbModule(). DuckDB's
    // JavaScript API is in the bundle (a command's job runs in its main thread), run when first
    // used; its native binding stays a package (what each command loads and starts, seen from
    // inside the process: tests/cli/processStartup.test.ts)
    const bundle = fs.readFileSync(path.join(ROOT, 'dist/cli', BUNDLE_NAME), 'utf8');
    expect(bundle.match(/^var \w+ = (?:__toESM\()?require\("@duckdb\/node-(?:api|bindings)"\)/gm)).toBeNull();
    expect(bundle).toContain('var require_DuckDBInstance = __commonJS(');
    expect(bundle).not.toContain('require("@duckdb/node-api")');
    // the entry imports Node's own modules only (its require banner, the loader); the bundle, when a command runs
    const entry = fs.readFileSync(path.join(ROOT, 'dist/cli/mes-data.mjs'), 'utf8');
    const imported = new Set([...entry.matchAll(/^import [^;]*?from ["']([^"']+)["']/gms)].map((m) => m[1]));
    expect([...imported].sort()).toEqual(['node:fs', 'node:module', 'node:path', 'node:url', 'node:v8', 'node:vm']);
    expect(entry.length).toBeLessThan(10_000);
    expect(entry).not.toContain('commander');
  });

  it('the build writes the code cache of the bundle it built, and V8 takes it', async () => {
    const bundlePath = path.join(ROOT, 'dist/cli', BUNDLE_NAME);
    const bundle = fs.readFileSync(bundlePath, 'utf8');
    const id = BUILD_ID_LINE.exec(bundle)?.[1] ?? '';
    expect(id).toBe(crypto.createHash('sha256').update(bundle.slice(bundle.indexOf('\n') + 1)).digest('hex').slice(0, 16));
    const cachePath = path.join(ROOT, 'dist/cli', `cli-${id}.cache`);
    expect(fs.statSync(cachePath).size).toBeGreaterThan(100_000);
    // in a Node of its own, as the entry compiles it: the test runner's flags are not the command's
    const check = [
      "const fs = require('node:fs'); const vm = require('node:vm');",
      `const [bundle, cache, wrapper] = [${JSON.stringify(bundlePath)}, ${JSON.stringify(cachePath)}, ${JSON.stringify(BUNDLE_WRAPPER)}];`,
      "const script = new vm.Script(wrapper.head + fs.readFileSync(bundle, 'utf8') + wrapper.tail, { filename: bundle, cachedData: fs.readFileSync(cache), importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER });",
      'process.stdout.write(String(script.cachedDataRejected));',
    ].join('\n');
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', check], { env });
    expect(stdout).toBe('false');
  });

  it('the job thread is a small entry and jobCore.cjs, whose code cache the build writes and V8 takes in a worker thread', async () => {
    const entry = fs.readFileSync(path.join(ROOT, 'dist/cli/jobWorker.mjs'), 'utf8');
    expect(entry.length).toBeLessThan(20_000);
    expect(entry).toContain('"jobCore.cjs"');
    expect(entry).not.toContain('function promoteRaw');
    const bundlePath = path.join(ROOT, 'dist/cli/jobCore.cjs');
    const bundle = fs.readFileSync(bundlePath, 'utf8');
    expect(bundle).toContain('function promoteRaw');
    // DuckDB's JavaScript API is in the bundle; its native binding is not
    expect(bundle).toContain('var require_DuckDBInstance = __commonJS(');
    expect(bundle).toContain('require("@duckdb/node-bindings")');
    const id = BUILD_ID_LINE.exec(bundle)?.[1] ?? '';
    expect(id).toBe(crypto.createHash('sha256').update(bundle.slice(bundle.indexOf('\n') + 1)).digest('hex').slice(0, 16));
    const cachePath = path.join(ROOT, 'dist/cli', `jobCore-${id}.cache`);
    expect(fs.statSync(cachePath).size).toBeGreaterThan(100_000);
    const check = [
      "const fs = require('node:fs'); const vm = require('node:vm'); const { parentPort } = require('node:worker_threads');",
      `const [bundle, cache, wrapper] = [${JSON.stringify(bundlePath)}, ${JSON.stringify(cachePath)}, ${JSON.stringify(BUNDLE_WRAPPER)}];`,
      "const script = new vm.Script(wrapper.head + fs.readFileSync(bundle, 'utf8') + wrapper.tail, { filename: bundle, cachedData: fs.readFileSync(cache), importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER });",
      'parentPort.postMessage(String(script.cachedDataRejected));',
    ].join('\n');
    const inThread = `const { Worker } = require('node:worker_threads'); new Worker(${JSON.stringify(check)}, { eval: true }).on('message', (m) => process.stdout.write(m));`;
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', inThread], { env });
    expect(stdout).toBe('false');
  });

  it('VERSION matches package.json', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });
});
