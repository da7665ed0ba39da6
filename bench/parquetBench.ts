/**
 * Parquet core benchmark: our reader and writer (parquet-wasm in decoder threads) side by
 * side with DuckDB, in process, on a generated 5,000,000-row OHLCV file.
 *
 *   npm run bench
 *
 * Generates the data once under bench/.data/ (gitignored); bench/runBench.ts puts the
 * section it returns into docs/benchmarks.md. Every figure is the median of several runs where a run is
 * cheap; runs of the things compared (ours vs DuckDB, small vs big row groups) alternate,
 * so a burst of load from elsewhere on the machine hits both sides alike.
 */
import { fork, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { Table } from 'apache-arrow';
import { DecoderPool } from '../core/parquet/decoderPool.js';
import { openParquetFile, readParquet, type ParquetHandle } from '../core/parquet/parquetFile.js';
import { COMPRESSIONS, DEFAULT_ROW_GROUP_SIZE, writeParquet, type Compression } from '../core/parquet/writeParquet.js';
import { fmtMB, fmtMs, fmtRatio, fmtStat, mdTable, randomOffsets, sqlString, stat, timed, type Stat } from './benchUtil.js';
import { generateOhlcv } from './ohlcv.js';
import type { PreviewRssResult } from './previewRss.js';
import { buildCliIfStale } from '../scripts/buildCli.mjs';
import { THREADS } from '../core/threads/startThread.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BENCH_DIR = path.join(ROOT, 'bench');
const DATA_DIR = path.join(BENCH_DIR, '.data');

const ROWS = 5_000_000;
const PAGE_ROWS = 100;
const PAGE_OFFSET = 2_000_000;
const RANDOM_PAGES = 10;
const BIG_ROW_GROUP = 1_048_576;
const DATA_VERSION = 'ohlcv-v2 seed=42 delta timestamps';
const MAIN_FILE = path.join(DATA_DIR, `ohlcv-5m-zstd-rg${DEFAULT_ROW_GROUP_SIZE}.parquet`);
const BIG_RG_FILE = path.join(DATA_DIR, `ohlcv-5m-zstd-rg${BIG_ROW_GROUP}.parquet`);

/** Runs per figure: enough for a median, few enough to stay under ~5 minutes on 2 cores. */
const RUNS = { cold: 5, warm: 10, fullRead: 3, bigFullRead: 2, write: 3 };
/** DuckDB's brotli (its highest level) took 167 s for the 5M rows in a trial: measured on a slice. */
const BROTLI_SLICE_ROWS = 250_000;

const FIRST_TARGET_MS = 100;
const LATER_TARGET_MS = 20;
const RSS_TARGET_MB = 150;

const DUCKDB_CODEC: Record<Compression, string> = {
  snappy: 'snappy',
  gzip: 'gzip',
  zstd: 'zstd',
  brotli: 'brotli',
  lz4: 'lz4_raw',
  none: 'uncompressed',
};

interface Section {
  title: string;
  intro: string;
  table: string;
  notes: string[];
}

const sections: Section[] = [];
const failures: string[] = [];
const benchStart = performance.now();
const n = (value: number) => value.toLocaleString('en-US');

function log(message: string): void {
  const seconds = ((performance.now() - benchStart) / 1000).toFixed(1).padStart(6);
  console.error(`[${seconds} s] ${message}`);
}

function check(condition: boolean, message: string): void {
  if (!condition) {
    failures.push(message);
    console.error(`CHECK FAILED: ${message}`);
  }
}

function verdict(met: boolean): string {
  return met ? 'met' : '**not met**';
}

// ---------------------------------------------------------------------------------------
// DuckDB helpers

interface Duck {
  connection: DuckDBConnection;
  close(): void;
}

async function openDuck(options?: Record<string, string>): Promise<Duck> {
  const instance = await DuckDBInstance.create(':memory:', options);
  const connection = await instance.connect();
  return {
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

async function withDuck<T>(fn: (connection: DuckDBConnection) => Promise<T>, options?: Record<string, string>): Promise<T> {
  const duck = await openDuck(options);
  try {
    return await fn(duck.connection);
  } finally {
    duck.close();
  }
}

function pageSql(file: string, offset: number): string {
  const from = `SELECT * FROM read_parquet(${sqlString(file)})`;
  return offset === 0 ? `${from} LIMIT ${PAGE_ROWS}` : `${from} OFFSET ${offset} LIMIT ${PAGE_ROWS}`;
}

/** Runs a page query and converts the rows to JavaScript values, as a caller would use them. */
async function duckPage(connection: DuckDBConnection, file: string, offset: number): Promise<Record<string, unknown>[]> {
  const result = await connection.run(pageSql(file, offset));
  const rows = await result.getRowObjectsJS();
  check(rows.length === PAGE_ROWS, `DuckDB page at ${offset} of ${path.basename(file)} has ${rows.length} rows`);
  return rows;
}

async function duckScalar(connection: DuckDBConnection, sql: string): Promise<unknown> {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowsJS()[0]?.[0];
}

// ---------------------------------------------------------------------------------------
// our helpers

/** A fresh pool, its thread started by a no-op request; returns the milliseconds that took. */
async function startedPool(): Promise<[number, DecoderPool]> {
  const pool = new DecoderPool();
  const [ms] = await timed(() => pool.request('forget', { path: MAIN_FILE }));
  return [ms, pool];
}

async function withPool<T>(fn: (pool: DecoderPool) => Promise<T>): Promise<T> {
  const pool = new DecoderPool();
  try {
    return await fn(pool);
  } finally {
    await pool.close();
  }
}

/**
 * The same thread start as a fresh pool's, in a plain `node` process, of the thread's bundle
 * as the command line ships it (dist/cli/, built first when a source is newer): the
 * benchmark itself runs the sources under tsx, so its threads register tsx and compile their
 * TypeScript as they start, which a shipped build does not.
 */
async function plainNodeThreadStarts(runs: number): Promise<number[]> {
  const code = `
    import { Worker } from 'node:worker_threads';
    const times = [];
    for (let run = 0; run < ${runs}; run++) {
      const start = performance.now();
      const worker = new Worker(new URL(process.env.MES_BENCH_WORKER), { execArgv: [] });
      worker.postMessage({ id: 1, op: 'forget', args: { path: '/nonexistent' } });
      await new Promise((resolve) => worker.once('message', resolve));
      times.push(performance.now() - start);
      await worker.terminate();
    }
    console.log(JSON.stringify(times));`;
  await buildCliIfStale(ROOT);
  const workerUrl = new URL(`../dist/cli/${THREADS.parquetDecoder.bundle}`, import.meta.url).href;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, MES_BENCH_WORKER: workerUrl }, encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`plain node thread start failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop() ?? '[]') as number[];
}

async function ourPage(handle: ParquetHandle, offset: number): Promise<Table> {
  const page = await handle.readRows(offset, PAGE_ROWS);
  check(page.numRows === PAGE_ROWS, `our page at ${offset} of ${path.basename(handle.path)} has ${page.numRows} rows`);
  return page;
}

// ---------------------------------------------------------------------------------------
// data

async function fileIsCurrent(file: string, rowGroupSize: number): Promise<boolean> {
  if (!fs.existsSync(file)) return false;
  try {
    return await withPool(async (pool) => {
      const { info } = await openParquetFile(file, { decoder: pool });
      return info.numRows === ROWS && info.keyValue['mes-data.bench'] === DATA_VERSION && info.rowGroups[0]?.numRows === rowGroupSize;
    });
  } catch {
    return false;
  }
}

/** Writes the two benchmark files unless up-to-date copies are already cached. */
async function ensureData(): Promise<string> {
  fs.mkdirSync(DATA_DIR, { recursive: true });
  const missing: [string, number][] = [];
  for (const [file, rowGroupSize] of [
    [MAIN_FILE, DEFAULT_ROW_GROUP_SIZE],
    [BIG_RG_FILE, BIG_ROW_GROUP],
  ] as const) {
    if (!(await fileIsCurrent(file, rowGroupSize))) missing.push([file, rowGroupSize]);
  }
  if (missing.length === 0) return 'reused from the cache in `bench/.data/`';
  log(`generating ${n(ROWS)} rows of OHLCV…`);
  const [genMs, table] = await timed(() => Promise.resolve(generateOhlcv(ROWS)));
  const parts = [`generated in ${fmtMs(genMs)}`];
  await withPool(async (pool) => {
    for (const [file, rowGroupSize] of missing) {
      const [ms] = await timed(() => writeParquet(table, file, { compression: 'zstd', rowGroupSize, metadata: { 'mes-data.bench': DATA_VERSION }, decoder: pool }));
      parts.push(`\`${path.basename(file)}\` written in ${fmtMs(ms)}`);
      log(`wrote ${path.basename(file)} in ${fmtMs(ms)}`);
    }
  });
  return `${parts.join('; ')} (this run; later runs reuse the cache)`;
}

// ---------------------------------------------------------------------------------------
// 1. open + first 100 rows

async function benchFirstPage(): Promise<void> {
  log('1. open + first 100 rows');
  const thread: number[] = [];
  const open: number[] = [];
  const read: number[] = [];
  const total: number[] = [];
  const duckCold: number[] = [];
  for (let run = 0; run < RUNS.cold; run++) {
    const t0 = performance.now();
    const [threadMs, pool] = await startedPool();
    try {
      const t1 = performance.now();
      const handle = await openParquetFile(MAIN_FILE, { decoder: pool });
      const t2 = performance.now();
      await ourPage(handle, 0);
      const t3 = performance.now();
      thread.push(threadMs);
      open.push(t2 - t1);
      read.push(t3 - t2);
      total.push(t3 - t0);
    } finally {
      await pool.close();
    }
    const [duckMs] = await timed(() => withDuck((connection) => duckPage(connection, MAIN_FILE, 0)));
    duckCold.push(duckMs);
  }

  // warm: a running decoder thread; the file either not yet opened by it or already open
  const warmNew: number[] = [];
  const warmOpen: number[] = [];
  const duckWarm: number[] = [];
  const duck = await openDuck();
  const pool = new DecoderPool();
  try {
    await openParquetFile(BIG_RG_FILE, { decoder: pool }); // starts the thread on another file
    await duckPage(duck.connection, MAIN_FILE, 0);
    for (let run = 0; run < RUNS.warm; run++) {
      await pool.request('forget', { path: MAIN_FILE });
      const t0 = performance.now();
      await ourPage(await openParquetFile(MAIN_FILE, { decoder: pool }), 0);
      const t1 = performance.now();
      await ourPage(await openParquetFile(MAIN_FILE, { decoder: pool }), 0);
      const t2 = performance.now();
      await duckPage(duck.connection, MAIN_FILE, 0);
      const t3 = performance.now();
      warmNew.push(t1 - t0);
      warmOpen.push(t2 - t1);
      duckWarm.push(t3 - t2);
    }
  } finally {
    await pool.close();
    duck.close();
  }

  const plainThread = await plainNodeThreadStarts(RUNS.cold);
  const s = {
    total: stat(total),
    thread: stat(thread),
    plainThread: stat(plainThread),
    open: stat(open),
    read: stat(read),
    warmNew: stat(warmNew),
    warmOpen: stat(warmOpen),
    duckCold: stat(duckCold),
    duckWarm: stat(duckWarm),
  };
  sections.push({
    title: '1. Open + first 100 rows',
    intro:
      'Ours: `openParquetFile` + `readRows(0, 100)`. **Cold** = a fresh `DecoderPool` each run, so the figure includes starting the worker thread and loading parquet-wasm in it ' +
      '(split out by sending the fresh pool a no-op request first). **Warm** = a pool whose thread is already running. ' +
      'DuckDB: `SELECT * FROM read_parquet(f) LIMIT 100`, rows converted to JS objects; cold = a fresh in-memory instance + connection each run, warm = the same connection.',
    table: mdTable(
      ['Case', 'Ours', 'DuckDB', 'Ours / DuckDB'],
      [
        ['**Cold**: fresh pool / fresh instance, open + 100 rows', fmtStat(s.total), fmtStat(s.duckCold), fmtRatio(s.total.median, s.duckCold.median)],
        ['  of which starting the decoder thread', fmtStat(s.thread), '', ''],
        ['  (starting the decoder thread\'s bundle from plain `node`, without tsx)', fmtStat(s.plainThread), '', ''],
        ['  of which `openParquetFile` (footer)', fmtStat(s.open), '', ''],
        ['  of which the first `readRows(0, 100)`', fmtStat(s.read), '', ''],
        ['**Warm** thread, file not yet opened by it', fmtStat(s.warmNew), '', ''],
        ['**Warm** thread, file already open (footer cached) / same DuckDB connection', fmtStat(s.warmOpen), fmtStat(s.duckWarm), fmtRatio(s.warmOpen.median, s.duckWarm.median)],
      ],
    ),
    notes: [
      `The first cold run of the process took ${fmtMs(total[0])}; the median is over ${RUNS.cold} fresh pools.`,
      'The benchmark runs the sources under tsx, so its decoder threads register tsx and compile their TypeScript as they start: the row "from plain `node`" starts the thread\'s bundle (`dist/cli/parquetDecoderThread.mjs`) in a plain `node` process, as a shipped build does, and is the fairer figure for the thread start.',
    ],
  });
}

// ---------------------------------------------------------------------------------------
// 2. 100 rows at offset 2,000,000 (and the same with 1,048,576-row groups for 6.)

interface PageFigures {
  thread: Stat;
  open: Stat;
  first: Stat;
  openPlusFirst: Stat;
  later: Stat;
  laterRandom: Stat;
  duckCold: Stat;
  duckWarm: Stat;
  duckWarmRandom: Stat;
}

/** Page figures for each file; the runs for the different files alternate. */
async function pageFigures(files: string[], offsets: number[]): Promise<PageFigures[]> {
  const samples = files.map(() => ({
    thread: [] as number[],
    open: [] as number[],
    first: [] as number[],
    openPlusFirst: [] as number[],
    later: [] as number[],
    laterRandom: [] as number[],
    duckCold: [] as number[],
    duckWarm: [] as number[],
    duckWarmRandom: [] as number[],
  }));
  const closeAt = new Map<string, number>();

  for (let run = 0; run < RUNS.cold; run++) {
    for (const [i, file] of files.entries()) {
      const s = samples[i];
      const t0 = performance.now();
      const [threadMs, pool] = await startedPool();
      try {
        const t1 = performance.now();
        const handle = await openParquetFile(file, { decoder: pool });
        const t2 = performance.now();
        const page = await ourPage(handle, PAGE_OFFSET);
        const t3 = performance.now();
        s.thread.push(threadMs);
        s.open.push(t2 - t1);
        s.first.push(t3 - t2);
        s.openPlusFirst.push(t3 - t0);
        closeAt.set(file, page.getChild('close')?.get(0) as number);
      } finally {
        await pool.close();
      }
      const [duckMs, rows] = await timed(() => withDuck((connection) => duckPage(connection, file, PAGE_OFFSET)));
      s.duckCold.push(duckMs);
      check(Number(rows[0]?.close) === closeAt.get(file), `row ${n(PAGE_OFFSET)} close: ours ${closeAt.get(file)}, DuckDB ${String(rows[0]?.close)}`);
    }
  }

  const pools = files.map(() => new DecoderPool());
  const duck = await openDuck();
  try {
    const handles = await Promise.all(files.map((file, i) => openParquetFile(file, { decoder: pools[i] })));
    for (const [i, file] of files.entries()) {
      await ourPage(handles[i], PAGE_OFFSET);
      await duckPage(duck.connection, file, PAGE_OFFSET);
    }
    const interleave = async (offsetOf: (run: number) => number, runs: number, ours: 'later' | 'laterRandom', theirs: 'duckWarm' | 'duckWarmRandom') => {
      for (let run = 0; run < runs; run++) {
        for (const [i, file] of files.entries()) {
          const [oursMs] = await timed(() => ourPage(handles[i], offsetOf(run)));
          const [duckMs] = await timed(() => duckPage(duck.connection, file, offsetOf(run)));
          samples[i][ours].push(oursMs);
          samples[i][theirs].push(duckMs);
        }
      }
    };
    await interleave(() => PAGE_OFFSET, RUNS.warm, 'later', 'duckWarm');
    await interleave((run) => offsets[run], offsets.length, 'laterRandom', 'duckWarmRandom');
  } finally {
    for (const pool of pools) await pool.close();
    duck.close();
  }

  return samples.map((s) => ({
    thread: stat(s.thread),
    open: stat(s.open),
    first: stat(s.first),
    openPlusFirst: stat(s.openPlusFirst),
    later: stat(s.later),
    laterRandom: stat(s.laterRandom),
    duckCold: stat(s.duckCold),
    duckWarm: stat(s.duckWarm),
    duckWarmRandom: stat(s.duckWarmRandom),
  }));
}

function sectionOffsetPage(f: PageFigures): void {
  sections.push({
    title: `2. 100 rows at offset ${n(PAGE_OFFSET)}`,
    intro:
      `**First call** = the first \`readRows(${PAGE_OFFSET}, 100)\` on a handle just opened with a fresh pool; the open before it (starting the thread + reading the footer) is shown on its own and in the sum. ` +
      `**Later calls** = the same handle again, at the same offset and at ${RANDOM_PAGES} random offsets. ` +
      `DuckDB: \`SELECT * FROM read_parquet(f) OFFSET ${PAGE_OFFSET} LIMIT 100\`, rows converted to JS objects; a fresh instance each run vs one warm connection (same offsets).`,
    table: mdTable(
      ['Case', 'Ours', 'DuckDB', 'Ours / DuckDB', 'Target', 'Met?'],
      [
        ['**First call** (file just opened)', fmtStat(f.first), '', '', `≤ ${FIRST_TARGET_MS} ms`, verdict(f.first.median <= FIRST_TARGET_MS)],
        ['Starting the thread (fresh pool)', fmtStat(f.thread), '', '', '', ''],
        ['`openParquetFile` (footer)', fmtStat(f.open), '', '', '', ''],
        ['Thread + open + first call vs fresh DuckDB instance + query', fmtStat(f.openPlusFirst), fmtStat(f.duckCold), fmtRatio(f.openPlusFirst.median, f.duckCold.median), `(≤ ${FIRST_TARGET_MS} ms)`, verdict(f.openPlusFirst.median <= FIRST_TARGET_MS)],
        ['**Later calls**, same page vs warm connection', fmtStat(f.later), fmtStat(f.duckWarm), fmtRatio(f.later.median, f.duckWarm.median), `≤ ${LATER_TARGET_MS} ms`, verdict(f.later.median <= LATER_TARGET_MS)],
        [`**Later calls**, ${RANDOM_PAGES} random pages vs warm connection`, fmtStat(f.laterRandom), fmtStat(f.duckWarmRandom), fmtRatio(f.laterRandom.median, f.duckWarmRandom.median), `≤ ${LATER_TARGET_MS} ms`, verdict(f.laterRandom.median <= LATER_TARGET_MS)],
      ],
    ),
    notes: [
      'The first-call target is read as "once the file is open"; the row with the thread start and the open shows what a user waits for when no decoder thread is running yet (a long-lived app pays the thread start once).',
      'Only the footer is cached between calls: every call decompresses and decodes the pages it needs again, so later calls cost about what the first one does minus one-time setup.',
    ],
  });
}

// ---------------------------------------------------------------------------------------
// 3. full read (and the same with 1,048,576-row groups for 6.)

interface FullReadFigures {
  cold: Stat;
  warm: Stat;
}

/**
 * `readParquet` of each file: the first read in a fresh pool (whose WebAssembly memory must
 * grow to hold the file) and a second read in the same pool. Returns the last table of the
 * first file for the write benchmark.
 */
async function fullReads(files: { file: string; runs: number }[]): Promise<[FullReadFigures[], Table]> {
  const cold = files.map(() => [] as number[]);
  const warm = files.map(() => [] as number[]);
  let kept: Table | null = null;
  const maxRuns = Math.max(...files.map((f) => f.runs));
  for (let run = 0; run < maxRuns; run++) {
    for (const [i, { file, runs }] of files.entries()) {
      if (run >= runs) continue;
      kept = null; // let the previous copy go before decoding the next
      await withPool(async (pool) => {
        const [coldMs, first] = await timed(() => readParquet(file, { decoder: pool }));
        check(first.numRows === ROWS, `full read of ${path.basename(file)} has ${first.numRows} rows`);
        const [warmMs, second] = await timed(() => readParquet(file, { decoder: pool }));
        cold[i].push(coldMs);
        warm[i].push(warmMs);
        if (i === 0) kept = second;
      });
    }
  }
  const table = kept as Table | null;
  if (!table) throw new Error('no table');
  return [files.map((_, i) => ({ cold: stat(cold[i]), warm: stat(warm[i]) })), table];
}

async function benchFullRead(ours: FullReadFigures, table: Table): Promise<void> {
  log('3. full read (DuckDB)');
  const from = `FROM read_parquet(${sqlString(MAIN_FILE)})`;
  const materialize = async (connection: DuckDBConnection) => {
    const result = await connection.run(`SELECT * ${from}`);
    check(result.rowCount === ROWS, `DuckDB materialized ${result.rowCount} rows`);
  };
  const aggregate = `SELECT count(*), sum(epoch_ns("timestamp")), sum(open), sum(high), sum(low), sum(close), sum(volume) ${from}`;
  const duckSelect: number[] = [];
  const duckSelect1: number[] = [];
  const duckAgg: number[] = [];
  let duckSum = 0;
  await withDuck(async (connection) => {
    await withDuck(async (single) => {
      for (let run = 0; run < RUNS.fullRead; run++) {
        duckSelect.push((await timed(() => materialize(connection)))[0]);
        duckSelect1.push((await timed(() => materialize(single)))[0]);
        duckAgg.push((await timed(() => connection.run(aggregate)))[0]);
      }
    }, { threads: '1' });
    duckSum = Number(await duckScalar(connection, `SELECT sum(close) ${from}`));
  });
  let oursSum = 0;
  for (const data of table.getChild('close')?.data ?? []) for (const v of data.values as Float64Array) oursSum += v;
  check(Math.abs(duckSum - oursSum) <= 1e-9 * Math.abs(duckSum), `sum(close): ours ${oursSum}, DuckDB ${duckSum}`);

  const d = { select: stat(duckSelect), select1: stat(duckSelect1), agg: stat(duckAgg) };
  sections.push({
    title: `3. Full read (${n(ROWS)} rows × 6 columns)`,
    intro:
      'Ours: `readParquet(f)` → one Arrow table in the JS heap (decoded on one worker thread, sent over as Arrow IPC, wrapped without copying). ' +
      '**Cold** = the first read in a fresh pool (its WebAssembly memory has to grow to hold the file), **warm** = a second read in the same pool. ' +
      "DuckDB: `SELECT * FROM read_parquet(f)` with `connection.run`, which materializes every row in DuckDB's own native memory (not converted to JS values), with its default threads and with `threads=1`; " +
      'and an aggregate (count + sum of every column) that decodes every value without keeping them. DuckDB runs are on warm connections.',
    table: mdTable(
      ['Case', 'Ours', 'DuckDB', 'Ours / DuckDB'],
      [
        ['`readParquet`, cold vs `SELECT *` materialized (default threads)', fmtStat(ours.cold), fmtStat(d.select), fmtRatio(ours.cold.median, d.select.median)],
        ['`readParquet`, warm vs `SELECT *` materialized (default threads)', fmtStat(ours.warm), fmtStat(d.select), fmtRatio(ours.warm.median, d.select.median)],
        ['`readParquet`, warm vs `SELECT *` materialized, `threads=1`', fmtStat(ours.warm), fmtStat(d.select1), fmtRatio(ours.warm.median, d.select1.median)],
        ['`readParquet`, warm vs count + sum of every column', fmtStat(ours.warm), fmtStat(d.agg), fmtRatio(ours.warm.median, d.agg.median)],
      ],
    ),
    notes: [`Check: both engines read ${n(ROWS)} rows and agree on sum(close) = ${oursSum.toFixed(2)}.`],
  });
}

// ---------------------------------------------------------------------------------------
// 4. write per codec

interface ColumnBytes {
  name: string;
  bytes: number;
  encodings: string;
}

async function columnBytes(file: string): Promise<ColumnBytes[]> {
  return withPool(async (pool) => {
    const { info } = await openParquetFile(file, { decoder: pool });
    const sums = new Map<string, ColumnBytes>();
    for (const group of info.rowGroups) {
      for (const column of group.columns) {
        const entry = sums.get(column.name) ?? { name: column.name, bytes: 0, encodings: column.encodings.join(', ') };
        entry.bytes += column.compressedBytes;
        sums.set(column.name, entry);
      }
    }
    return [...sums.values()];
  });
}

async function benchWrites(table: Table): Promise<void> {
  log('4. write per codec');
  const written: string[] = [];
  const rows: string[][] = [];
  const duck = await openDuck();
  const pool = new DecoderPool();
  const copy = (source: string, file: string, codec: string) =>
    duck.connection.run(`COPY ${source} TO ${sqlString(file)} (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE ${DEFAULT_ROW_GROUP_SIZE})`);
  try {
    await duck.connection.run(`CREATE TABLE t AS SELECT * FROM read_parquet(${sqlString(MAIN_FILE)})`);
    for (const codec of COMPRESSIONS) {
      const ours = path.join(DATA_DIR, `write-ours-${codec}.parquet`);
      const theirs = path.join(DATA_DIR, `write-duckdb-${codec}.parquet`);
      written.push(ours, theirs);
      const withDuckDB = codec !== 'brotli';
      const oursTimes: number[] = [];
      const duckTimes: number[] = [];
      let oursBytes = 0;
      for (let run = 0; run < RUNS.write; run++) {
        const [oursMs, result] = await timed(() => writeParquet(table, ours, { compression: codec, decoder: pool }));
        oursTimes.push(oursMs);
        oursBytes = result.bytes;
        if (withDuckDB) duckTimes.push((await timed(() => copy('t', theirs, DUCKDB_CODEC[codec])))[0]);
      }
      const o = stat(oursTimes);
      const label = codec === 'lz4' ? 'lz4 (LZ4_RAW)' : codec;
      if (withDuckDB) {
        const d = stat(duckTimes);
        const bytes = fs.statSync(theirs).size;
        rows.push([label, fmtStat(o), fmtMB(oursBytes), fmtStat(d), fmtMB(bytes), fmtRatio(o.median, d.median), fmtRatio(oursBytes, bytes)]);
      } else {
        rows.push([label, fmtStat(o), fmtMB(oursBytes), 'not run on 5M rows (see the next row)', '', '', '']);
      }
      log(`  ${codec}: ours ${fmtMs(o.median)}, ${fmtMB(oursBytes)}`);
    }

    // brotli on a slice: DuckDB's brotli is far too slow for the whole file within the budget
    const oursSlice = path.join(DATA_DIR, 'write-ours-brotli-slice.parquet');
    const theirsSlice = path.join(DATA_DIR, 'write-duckdb-brotli-slice.parquet');
    written.push(oursSlice, theirsSlice);
    const [oursMs, oursResult] = await timed(() => writeParquet(table.slice(0, BROTLI_SLICE_ROWS), oursSlice, { compression: 'brotli', decoder: pool }));
    const [duckMs] = await timed(() => copy(`(SELECT * FROM t LIMIT ${BROTLI_SLICE_ROWS})`, theirsSlice, 'brotli'));
    const duckBytes = fs.statSync(theirsSlice).size;
    rows.push([
      `brotli, first ${n(BROTLI_SLICE_ROWS)} rows only`,
      `${fmtMs(oursMs)} (n=1)`,
      fmtMB(oursResult.bytes),
      `${fmtMs(duckMs)} (n=1)`,
      fmtMB(duckBytes),
      fmtRatio(oursMs, duckMs),
      fmtRatio(oursResult.bytes, duckBytes),
    ]);
  } finally {
    await pool.close();
    duck.close();
  }

  const ours = await columnBytes(path.join(DATA_DIR, 'write-ours-zstd.parquet'));
  const theirs = await columnBytes(path.join(DATA_DIR, 'write-duckdb-zstd.parquet'));
  for (const file of written) fs.rmSync(file, { force: true });
  const columns = mdTable(
    ['Column', 'Ours (zstd)', 'Our encodings', 'DuckDB (zstd)', 'DuckDB encodings'],
    ours.map((c, i) => [c.name, fmtMB(c.bytes), c.encodings, fmtMB(theirs[i]?.bytes ?? 0), theirs[i]?.encodings ?? '']),
  );

  sections.push({
    title: `4. Write, per codec (${n(ROWS)} rows)`,
    intro:
      `Ours: \`writeParquet(table, path, { compression })\` from an Arrow table in memory, row groups of ${n(DEFAULT_ROW_GROUP_SIZE)}; the time includes serializing the table to Arrow IPC, the transfer to the worker, encoding on one thread, writing a temporary file, fsync and rename. ` +
      `DuckDB: \`COPY t TO f (FORMAT parquet, COMPRESSION x, ROW_GROUP_SIZE ${DEFAULT_ROW_GROUP_SIZE})\` from an in-memory DuckDB table loaded before timing, default threads, no fsync. ` +
      'Runs alternate between the two. Sizes in MB (10^6 bytes). Ratios above 1 mean ours is slower / bigger.',
    table: mdTable(['Codec', 'Ours: time', 'Ours: size', 'DuckDB: time', 'DuckDB: size', 'Time ratio', 'Size ratio'], rows),
    notes: [
      `DuckDB's brotli uses its highest level: a trial \`COPY … (COMPRESSION brotli)\` of all ${n(ROWS)} rows took about 167 s on this machine, over the whole benchmark's budget, so brotli is compared on the first ${n(BROTLI_SLICE_ROWS)} rows only (one run each). \`lz4\` is LZ4_RAW on both sides (DuckDB \`lz4_raw\`).`,
      `Where the bytes go (zstd files above, compressed bytes per column over all row groups):\n\n${columns}`,
      'Our writer (parquet-wasm / arrow-rs defaults) tries dictionary encoding on every column; on the timestamp column, whose values are all distinct, that yields a dictionary as large as the data plus index pages, which is where most of the size difference with DuckDB (plain timestamps) comes from.',
    ],
  });
}

// ---------------------------------------------------------------------------------------
// 5. RSS during a preview (in a fresh child process)

function previewRss(engine: 'ours' | 'duckdb', file: string, offsets: number[]): Promise<PreviewRssResult> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(BENCH_DIR, 'previewRss.ts'), [engine, file, String(PAGE_ROWS), JSON.stringify(offsets)], {
      execArgv: [...process.execArgv, '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: PreviewRssResult | null = null;
    child.on('message', (message) => {
      result = message as PreviewRssResult;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (result && code === 0) resolve(result);
      else reject(new Error(`previewRss ${engine} exited with code ${code}`));
    });
  });
}

interface RssFigures {
  main: PreviewRssResult;
  big: PreviewRssResult;
  duck: PreviewRssResult;
}

const peakGrowth = (r: PreviewRssResult) => r.peak - r.before;
const rssMet = (r: PreviewRssResult) => peakGrowth(r) / 1e6 < RSS_TARGET_MB;

async function benchRss(offsets: number[]): Promise<RssFigures> {
  log('5. RSS during a preview');
  const main = await previewRss('ours', MAIN_FILE, offsets);
  const big = await previewRss('ours', BIG_RG_FILE, offsets);
  const duck = await previewRss('duckdb', MAIN_FILE, offsets);
  const row = (label: string, f: (r: PreviewRssResult) => string) => [label, f(main), f(big), f(duck)];
  sections.push({
    title: `5. Memory (RSS) during a preview: open + ${RANDOM_PAGES} random pages of ${PAGE_ROWS} rows`,
    intro:
      'Each case runs in a fresh child process (`bench/previewRss.ts`, started with `--expose-gc`), so nothing else the benchmark holds counts. ' +
      '`process.memoryUsage().rss` is read before (after the imports), sampled every 2 ms and after each page (peak), after the preview (pool / instance still open) and after closing it. ' +
      'RSS includes the decoder thread: it lives in the same process. One run each.',
    table: mdTable(
      ['', `Ours, row groups of ${n(DEFAULT_ROW_GROUP_SIZE)}`, `Ours, row groups of ${n(BIG_ROW_GROUP)}`, 'DuckDB (same pages, default file)'],
      [
        row('RSS before', (r) => fmtMB(r.before)),
        row('**Peak growth**', (r) => `**${fmtMB(peakGrowth(r))}**`),
        row('Growth after the preview (still open)', (r) => fmtMB(r.after - r.before)),
        row('Growth after closing the pool / instance', (r) => fmtMB(r.afterClose - r.before)),
        row('WebAssembly memory of the decoder thread', (r) => (r.wasmBytes === null ? '–' : fmtMB(r.wasmBytes))),
        row('Preview time (thread start + open + 10 pages)', (r) => fmtMs(r.ms)),
        [`Target: peak growth < ${RSS_TARGET_MB} MB`, verdict(rssMet(main)), verdict(rssMet(big)), ''],
      ],
    ),
    notes: [
      `Peak growth, ours / DuckDB: ${fmtRatio(peakGrowth(main), peakGrowth(duck))}. The WebAssembly memory stays small, so most of our growth is the decoder thread itself (a second V8 isolate with parquet-wasm, hyparquet and Arrow loaded), not the decoded pages.`,
    ],
  });
  return { main, big, duck };
}

// ---------------------------------------------------------------------------------------
// 6. row-group size trade-off

async function rowGroupCount(file: string): Promise<number> {
  return withPool(async (pool) => (await openParquetFile(file, { decoder: pool })).info.rowGroups.length);
}

async function sectionRowGroups(small: PageFigures, big: PageFigures, smallFull: FullReadFigures, bigFull: FullReadFigures, rss: RssFigures): Promise<void> {
  const smallBytes = fs.statSync(MAIN_FILE).size;
  const bigBytes = fs.statSync(BIG_RG_FILE).size;
  const ratio = (a: Stat, b: Stat) => fmtRatio(b.median, a.median);
  const pageRatio = big.laterRandom.median / small.laterRandom.median;
  const days = (rows: number) => ((rows * 60) / 86_400).toFixed(0);
  const pageVerdict =
    pageRatio > 1.25
      ? `random pages took ${fmtRatio(big.laterRandom.median, small.laterRandom.median)} as long with ${n(BIG_ROW_GROUP)}-row groups`
      : pageRatio < 0.8
        ? `random pages were faster with ${n(BIG_ROW_GROUP)}-row groups (${fmtRatio(big.laterRandom.median, small.laterRandom.median)})`
        : `random pages cost about the same with both sizes (${fmtRatio(big.laterRandom.median, small.laterRandom.median)}, within noise)`;
  const groupMs = bigFull.warm.median / (ROWS / BIG_ROW_GROUP);
  sections.push({
    title: `6. Row-group size: ${n(DEFAULT_ROW_GROUP_SIZE)} vs ${n(BIG_ROW_GROUP)} rows`,
    intro:
      `The same ${n(ROWS)} rows written by our writer (zstd) with the two row-group sizes; the page figures come from the runs of section 2, which alternate between the two files, the full reads from section 3 (cold = first read in a fresh pool).`,
    table: mdTable(
      ['', `${n(DEFAULT_ROW_GROUP_SIZE)} (default)`, n(BIG_ROW_GROUP), 'Big / default'],
      [
        ['Row groups', String(await rowGroupCount(MAIN_FILE)), String(await rowGroupCount(BIG_RG_FILE)), ''],
        ['Time span of one group (1-minute bars)', `${days(DEFAULT_ROW_GROUP_SIZE)} days`, `${days(BIG_ROW_GROUP)} days`, ''],
        ['File size', fmtMB(smallBytes), fmtMB(bigBytes), fmtRatio(bigBytes, smallBytes)],
        ['`openParquetFile` (footer)', fmtStat(small.open), fmtStat(big.open), ratio(small.open, big.open)],
        [`Page at ${n(PAGE_OFFSET)}: first call`, fmtStat(small.first), fmtStat(big.first), ratio(small.first, big.first)],
        [`Page at ${n(PAGE_OFFSET)}: later calls`, fmtStat(small.later), fmtStat(big.later), ratio(small.later, big.later)],
        [`${RANDOM_PAGES} random pages: later calls`, fmtStat(small.laterRandom), fmtStat(big.laterRandom), ratio(small.laterRandom, big.laterRandom)],
        ['Preview peak RSS growth (section 5)', fmtMB(peakGrowth(rss.main)), fmtMB(peakGrowth(rss.big)), fmtRatio(peakGrowth(rss.big), peakGrowth(rss.main))],
        ['Full read, cold', fmtStat(smallFull.cold), fmtStat(bigFull.cold), ratio(smallFull.cold, bigFull.cold)],
        ['Full read, warm', fmtStat(smallFull.warm), fmtStat(bigFull.warm), ratio(smallFull.warm, bigFull.warm)],
        [`DuckDB, page at ${n(PAGE_OFFSET)}, warm`, fmtStat(small.duckWarm), fmtStat(big.duckWarm), ratio(small.duckWarm, big.duckWarm)],
        [`DuckDB, ${RANDOM_PAGES} random pages, warm`, fmtStat(small.duckWarmRandom), fmtStat(big.duckWarmRandom), ratio(small.duckWarmRandom, big.duckWarmRandom)],
        [`Our later calls ≤ ${LATER_TARGET_MS} ms?`, verdict(small.laterRandom.median <= LATER_TARGET_MS), verdict(big.laterRandom.median <= LATER_TARGET_MS), ''],
      ],
    ),
    notes: [
      `In this run, in our reader, ${pageVerdict}. A page does not cost a whole row group: decoding one ${n(BIG_ROW_GROUP)}-row group takes about ${fmtMs(groupMs)} (warm full read / ${(ROWS / BIG_ROW_GROUP).toFixed(1)} groups), ` +
        `far more than a page, because the reader is given an offset and a limit inside the group, so the group size matters less for our pages than one might expect. ` +
        `The bigger groups make the file ${fmtRatio(bigBytes, smallBytes)} the size. What speaks for ${n(DEFAULT_ROW_GROUP_SIZE)}: ${pageRatio >= 0.8 ? 'our pages are no slower with it, ' : '(not our own page reads in this run) '}DuckDB's page reads on the same files (${ratio(small.duckWarmRandom, big.duckWarmRandom)} with big groups for random pages), ` +
        `finer min/max statistics for skipping by time (${days(DEFAULT_ROW_GROUP_SIZE)} days per group instead of ${days(BIG_ROW_GROUP)}), and it is DuckDB's own default, so files from both writers look alike.`,
    ],
  });
}

// ---------------------------------------------------------------------------------------
// report

function packageVersion(name: string): string {
  try {
    const json = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string };
    return json.version ?? '?';
  } catch {
    return '?';
  }
}

function render(parts: { dataNote: string; durationMs: number; load: number[]; duckdb: string; targets: string }): string {
  const cpus = os.cpus();
  const lines = [
    '## Parquet core: preview, pages, full reads, writes',
    '',
    'Our Parquet core (parquet-wasm in a worker thread, see `core/parquet/`) side by side with DuckDB running in the same process (`@duckdb/node-api`), on a generated ' +
      `${n(ROWS)}-row file of one-minute OHLCV bars: \`timestamp\` (Timestamp ns, UTC), \`open\`/\`high\`/\`low\`/\`close\` (float64, a random walk around 5000 in 0.25 ticks), \`volume\` (int64), written with our \`writeParquet\` (zstd, row groups of ${n(DEFAULT_ROW_GROUP_SIZE)}).`,
    '',
    `- Machine: ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()} (${os.arch()})`,
    `- Node ${process.version}; parquet-wasm ${packageVersion('parquet-wasm')}; apache-arrow ${packageVersion('apache-arrow')}; DuckDB ${parts.duckdb} (@duckdb/node-api ${packageVersion('@duckdb/node-api')}, default threads = ${cpus.length})`,
    `- Date: ${new Date().toISOString()}; load average at start: ${parts.load.map((l) => l.toFixed(2)).join(', ')}; whole run: ${fmtMs(parts.durationMs)}`,
    `- Data: ${parts.dataNote}`,
    '- Run: `npm run bench` (rewrites docs/benchmarks.md and prints the same tables). The data files are cached in `bench/.data/` (gitignored); delete them to regenerate.',
    '',
    'Times are medians, shown as `median [min–max, n=runs]`. Ratios are ours / DuckDB (big / default in section 6): above 1 means ours is slower or bigger. ' +
      'The figures come from one machine that may be busy with other work (see the load average): treat differences under ~20 % as noise.',
    '',
    '### Targets',
    '',
    parts.targets,
    '',
  ];
  for (const section of sections) {
    lines.push(`### ${section.title}`, '', section.intro, '', section.table, '');
    for (const note of section.notes) lines.push(note, '');
  }
  if (failures.length > 0) lines.push('### Consistency checks that failed', '', ...failures.map((f) => `- ${f}`), '');
  return `${lines.join('\n').trimEnd()}\n`;
}

/** Runs the Parquet benchmarks; returns their markdown section and whether a consistency check failed. */
export async function runParquetBench(): Promise<{ markdown: string; failed: boolean }> {
  const load = os.loadavg();
  const dataNote = await ensureData();
  const duckdb = String(await withDuck((connection) => duckScalar(connection, 'SELECT version()')));
  const offsets = randomOffsets(RANDOM_PAGES, ROWS, PAGE_ROWS, 7);

  const rss = await benchRss(offsets);
  await benchFirstPage();
  log('2. + 6. pages at offset 2,000,000 and random pages, both row-group sizes');
  const [page, bigPage] = await pageFigures([MAIN_FILE, BIG_RG_FILE], offsets);
  sectionOffsetPage(page);
  log('3. + 6. full reads, both row-group sizes');
  const [[full, bigFull], table] = await fullReads([
    { file: MAIN_FILE, runs: RUNS.fullRead },
    { file: BIG_RG_FILE, runs: RUNS.bigFullRead },
  ]);
  await benchFullRead(full, table);
  await benchWrites(table);
  await sectionRowGroups(page, bigPage, full, bigFull, rss);

  const targets = mdTable(
    ['Target', 'Measured (median)', 'Met?'],
    [
      [`Page at offset ${n(PAGE_OFFSET)}, first call (file just opened) ≤ ${FIRST_TARGET_MS} ms`, fmtMs(page.first.median), verdict(page.first.median <= FIRST_TARGET_MS)],
      ['  same, counting thread start + open in a fresh pool', fmtMs(page.openPlusFirst.median), verdict(page.openPlusFirst.median <= FIRST_TARGET_MS)],
      [`Page at offset ${n(PAGE_OFFSET)}, later calls ≤ ${LATER_TARGET_MS} ms`, fmtMs(page.later.median), verdict(page.later.median <= LATER_TARGET_MS)],
      [`${RANDOM_PAGES} random pages, later calls ≤ ${LATER_TARGET_MS} ms`, fmtMs(page.laterRandom.median), verdict(page.laterRandom.median <= LATER_TARGET_MS)],
      [`Preview (open + ${RANDOM_PAGES} random pages) peak RSS growth < ${RSS_TARGET_MB} MB`, fmtMB(peakGrowth(rss.main)), verdict(rssMet(rss.main))],
    ],
  );
  sections.sort((a, b) => a.title.localeCompare(b.title, 'en', { numeric: true }));

  const markdown = render({ dataNote, durationMs: performance.now() - benchStart, load, duckdb, targets });
  return { markdown, failed: failures.length > 0 };
}
