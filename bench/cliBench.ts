/**
 * `npm run bench -- cli`: the command line as a user starts it, whole processes of the
 * built bundle (package.json `bin`, rebuilt first when a source is newer): `mes-data
 * --version`, and `mes-data show FILE` of 100 rows at the middle of a raw snapshot of one
 * trading date (one-minute bars, written by `mes-data ingest`) and of a 5M-row file;
 * beside `node -e 0` (what any Node program pays to start) and DuckDB doing the same read
 * from Node (`node -e` loading `@duckdb/node-api`, an in-memory instance, the page as JSON
 * rows). Every command runs RUNS times, the commands in turn, so a change in the machine's
 * load falls on all of them alike; the figures are medians of wall time, spawn to exit, and
 * of CPU time (user + system, every thread) where /usr/bin/time can report it. Then the daily
 * commands whose cost is nearly all per-process overhead: `ingest` of 25 years of daily bars
 * (one CSV, a fresh store each run), `validate raw/SPY`, `promote --asset SPY`, each beside
 * DuckDB doing the same work in a Node process of its own (the SQL of bench/scaleDuckdb.ts).
 * MES_BENCH_BIN=<a copy of dist/cli> runs that build too, alternately, in the same rounds.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCliIfStale } from '../scripts/buildCli.mjs';
import { writeParquet } from '../core/parquet/writeParquet.js';
import { fmtMs, fmtRatio, mdTable, sqlString, stat, type Stat } from './benchUtil.js';
import { generateOhlcv } from './ohlcv.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DATA_DIR = path.join(ROOT, 'bench', '.data');
const RUNS = Number(process.env.MES_BENCH_CLI_RUNS ?? 11);
const PAGE = 100;
const BIG_ROWS = 5_000_000;
/** The row group size of the big file: what `writeParquet` writes by default in the store. */
const BIG_ROW_GROUP = 122_880;
const BIG_FILE = path.join(DATA_DIR, `cli-ohlcv-${BIG_ROWS / 1e6}m-zstd-rg${BIG_ROW_GROUP}-v1.parquet`);
const TIME = '/usr/bin/time';

const log = (text: string) => process.stderr.write(`[cli] ${text}\n`);

/** The same read as `show`, from DuckDB in a Node process: the page as JSON rows on stdout. */
const DUCK_SOURCE = `
import { DuckDBInstance } from '@duckdb/node-api';
const [file, offset, limit] = process.argv.slice(1);
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
const reader = await connection.runAndReadAll(\`SELECT * FROM read_parquet(\${file}) OFFSET \${offset} LIMIT \${limit}\`);
process.stdout.write(JSON.stringify(reader.getRowObjectsJson()) + '\\n');
connection.closeSync();
`;

interface Command {
  label: string;
  args: string[];
  wall: number[];
  cpu: number[];
  failure: string | null;
}

/** One process: wall time from spawn to exit, CPU time from /usr/bin/time when it is there. */
function runOnce(args: string[], withTime: boolean, timingFile: string): Promise<{ wallMs: number; cpuMs: number | null; code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const [command, commandArgs] = withTime ? [TIME, ['-f', '%U %S', '-o', timingFile, process.execPath, ...args]] : [process.execPath, args];
    const start = performance.now();
    const child = spawn(command, commandArgs, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-2000);
    });
    child.on('close', (code) => {
      const wallMs = performance.now() - start;
      let cpuMs: number | null = null;
      if (withTime) {
        const [user, system] = fs.readFileSync(timingFile, 'utf8').trim().split('\n').at(-1)?.split(' ').map(Number) ?? [];
        if (Number.isFinite(user) && Number.isFinite(system)) cpuMs = (user + system) * 1000;
      }
      resolve({ wallMs, cpuMs, code, stderr });
    });
  });
}

/** The CLI, run once to make something (not measured); throws with its stderr when it fails. */
function cliOnce(bin: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`mes-data ${args.join(' ')} exited ${code}: ${stderr.slice(-1000)}`))));
  });
}

/** Daily bars, Yahoo-style (`Date,Open,High,Low,Close,Adj Close,Volume`): every weekday of 2001–2025. */
function dailyCsv(): { text: string; rows: number } {
  const lines = ['Date,Open,High,Low,Close,Adj Close,Volume'];
  let price = 130;
  for (let t = Date.UTC(2001, 0, 2); t < Date.UTC(2026, 0, 1); t += 86_400_000) {
    const day = new Date(t);
    if (day.getUTCDay() % 6 === 0) continue;
    const open = price;
    price = Math.max(20, open + (((lines.length * 7919) % 21) - 10) * 0.05);
    const high = Math.max(open, price) + 0.4;
    const low = Math.min(open, price) - 0.4;
    lines.push(`${day.toISOString().slice(0, 10)},${open.toFixed(2)},${high.toFixed(2)},${low.toFixed(2)},${price.toFixed(2)},${(price * 0.6).toFixed(2)},${1_000_000 + ((lines.length * 104729) % 9_000_000)}`);
  }
  return { text: `${lines.join('\n')}\n`, rows: lines.length - 1 };
}

/** DuckDB's side of the daily commands: one statement in a Node process of its own (SQL of bench/scaleDuckdb.ts, daily bars). */
const DUCK_DAILY_SOURCE = `
import { DuckDBInstance } from '@duckdb/node-api';
const [sql] = process.argv.slice(1);
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
const reader = await connection.runAndReadAll(sql);
process.stdout.write(JSON.stringify(reader.getRowObjectsJson()) + '\\n');
connection.closeSync();
`;

/** The daily commands' SQL for DuckDB: the CSV to year-partitioned zstd Parquet, the validation counts, the deduplicated, filtered, sorted copy. */
function duckDailySql(csv: string, raw: string, cleaned: string): Record<'ingest' | 'validate' | 'promote', string> {
  const files = sqlString(`${raw}/**/*.parquet`);
  return {
    ingest: `COPY (SELECT timezone('UTC', CAST("Date" AS TIMESTAMP)) AS "timestamp", "Open" AS open, "High" AS high, "Low" AS low, "Close" AS close, "Adj Close" AS adj_close, "Volume" AS volume, year("Date") AS year FROM read_csv(${sqlString(csv)})) TO ${sqlString(raw)} (FORMAT parquet, PARTITION_BY (year), COMPRESSION zstd, OVERWRITE_OR_IGNORE)`,
    validate: `WITH t AS (SELECT *, lag("timestamp") OVER w AS prev_ts, lag(close) OVER w AS prev_close FROM read_parquet(${files}, filename = true, file_row_number = true, hive_partitioning = true) WINDOW w AS (ORDER BY filename, file_row_number)) SELECT count(*)::BIGINT AS rows, count(*) FILTER (WHERE "timestamp" IS NULL OR open IS NULL OR high IS NULL OR low IS NULL OR close IS NULL OR adj_close IS NULL OR volume IS NULL)::BIGINT AS nulls, count(*) FILTER (WHERE NOT (isfinite(open) AND isfinite(high) AND isfinite(low) AND isfinite(close)))::BIGINT AS non_finite, count(*) FILTER (WHERE least(open, high, low, close) <= 0)::BIGINT AS non_positive_price, count(*) FILTER (WHERE high < greatest(open, close, low) OR low > least(open, close, high))::BIGINT AS ohlc, count(*) FILTER (WHERE volume < 0)::BIGINT AS negative_volume, count(*) FILTER (WHERE "timestamp" < prev_ts)::BIGINT AS unsorted, (count(*) - count(DISTINCT "timestamp"))::BIGINT AS duplicates, count(*) FILTER (WHERE abs(close - prev_close) > 0.1 * prev_close)::BIGINT AS spikes FROM t`,
    promote: `COPY (SELECT "timestamp", open, high, low, close, adj_close, volume, year("timestamp") AS year FROM (SELECT *, row_number() OVER (PARTITION BY "timestamp" ORDER BY filename DESC, file_row_number DESC) AS keep FROM read_parquet([${files}], filename = true, file_row_number = true, hive_partitioning = true, union_by_name = true) WHERE isfinite(open) AND isfinite(high) AND isfinite(low) AND isfinite(close) AND least(open, high, low, close) > 0 AND high >= greatest(open, close, low) AND low <= least(open, close, high) AND volume >= 0) WHERE keep = 1 ORDER BY "timestamp") TO ${sqlString(cleaned)} (FORMAT parquet, PARTITION_BY (year), COMPRESSION zstd, OVERWRITE_OR_IGNORE)`,
  };
}

const DAILY_OPS = ['ingest', 'validate', 'promote'] as const;
type DailyOp = (typeof DAILY_OPS)[number];

/** One build's (or DuckDB's) daily commands: each op's wall and CPU samples, its first failure. */
interface DailySide {
  label: string;
  bin: string | null;
  ops: Record<DailyOp, Command>;
}

/** One round of the daily commands for one side: a fresh store (or folder), then ingest, validate, promote as processes. */
async function dailyRound(side: DailySide, csv: string, dir: string, withTime: boolean, timingFile: string): Promise<void> {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const store = path.join(dir, 'store');
  let args: Record<DailyOp, string[]>;
  if (side.bin) {
    await cliOnce(side.bin, ['--store', store, 'init']);
    args = {
      ingest: [side.bin, '--store', store, 'ingest', csv, '--asset', 'SPY', '--json'],
      validate: [side.bin, '--store', store, 'validate', 'raw/SPY', '--schema', 'ohlcv', '--json'],
      promote: [side.bin, '--store', store, 'promote', '--asset', 'SPY', '--schema', 'ohlcv', '--on-invalid', 'drop', '--json'],
    };
  } else {
    const sql = duckDailySql(csv, path.join(dir, 'raw'), path.join(dir, 'cleaned'));
    args = { ingest: [], validate: [], promote: [] };
    for (const op of DAILY_OPS) args[op] = ['--input-type=module', '-e', DUCK_DAILY_SOURCE, sql[op]];
  }
  for (const op of DAILY_OPS) {
    const command = side.ops[op];
    const result = await runOnce(args[op], withTime, timingFile);
    if (result.code !== 0) command.failure ??= `exit ${result.code}: ${result.stderr.trim().split('\n').slice(-2).join(' ')}`;
    command.wall.push(result.wallMs);
    if (result.cpuMs !== null) command.cpu.push(result.cpuMs);
  }
}

/** One CME trading date of one-minute bars as a user's CSV: Monday 2024-03-04, 17:00 Sunday to 16:00 Monday, Chicago time. */
function oneDateCsv(): string {
  const lines = ['timestamp,open,high,low,close,volume'];
  let price = 5000;
  let minute = 0;
  // Sunday 2024-03-03 17:00 to Monday 2024-03-04 15:59, Chicago wall-clock time (no DST change that day)
  for (let t = Date.UTC(2024, 2, 3, 17, 0); t < Date.UTC(2024, 2, 4, 16, 0); t += 60_000, minute++) {
    const open = price;
    price = open + ((minute * 7919) % 9) * 0.25 - 1;
    const high = Math.max(open, price) + 0.25;
    const low = Math.min(open, price) - 0.25;
    lines.push(`${new Date(t).toISOString().slice(0, 19).replace('T', ' ')},${open},${high},${low},${price},${100 + ((minute * 104729) % 900)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The raw snapshot of that date, ingested by the CLI into a store of its own; its path and rows. */
async function ingestedSnapshot(bin: string, work: string): Promise<{ file: string; rows: number }> {
  const store = path.join(work, 'store');
  const csv = path.join(work, 'MES.csv');
  const text = oneDateCsv();
  fs.writeFileSync(csv, text);
  await cliOnce(bin, ['--store', store, 'init']);
  await cliOnce(bin, ['--store', store, 'ingest', '--asset', 'MES', csv]);
  const files = (fs.readdirSync(path.join(store, 'raw'), { recursive: true }) as string[]).filter((p) => p.endsWith('.parquet'));
  if (files.length !== 1) throw new Error(`the ingest of one trading date wrote ${files.length} raw files: ${files.join(', ')}`);
  return { file: path.join(store, 'raw', files[0]), rows: text.trimEnd().split('\n').length - 1 };
}

async function bigFile(): Promise<string> {
  if (fs.existsSync(BIG_FILE)) return 'reused from the cache';
  fs.mkdirSync(DATA_DIR, { recursive: true });
  log(`writing ${BIG_ROWS.toLocaleString('en-US')} rows to ${path.relative(ROOT, BIG_FILE)}…`);
  const scratch = `${BIG_FILE}.part-${process.pid}`;
  await writeParquet(generateOhlcv(BIG_ROWS), scratch, { compression: 'zstd', rowGroupSize: BIG_ROW_GROUP });
  fs.renameSync(scratch, BIG_FILE);
  return 'generated for this run';
}

const fmt = (s: Stat | null) => (s ? `${fmtMs(s.median)} [${fmtMs(s.min)}–${fmtMs(s.max)}]` : '–');

export async function runCliBench(): Promise<{ markdown: string; failed: boolean }> {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  const bin = path.join(ROOT, pkg.bin['mes-data']);
  log('building dist/cli/ if a source is newer than it…');
  const rebuilt = await buildCliIfStale(ROOT);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-cli-bench-'));
  try {
    const snapshot = await ingestedSnapshot(bin, work);
    const bigNote = await bigFile();
    const withTime = fs.existsSync(TIME);
    const timingFile = path.join(work, 'time.txt');
    const snapshotOffset = Math.floor(snapshot.rows / 2);
    const bigOffset = BIG_ROWS / 2;
    const duck = (file: string, offset: number) => ['--input-type=module', '-e', DUCK_SOURCE, sqlString(file), String(offset), String(PAGE)];
    const commands: Command[] = [
      { label: '`node -e 0`', args: ['-e', '0'] },
      { label: '`mes-data --version`', args: [bin, '--version'] },
      { label: `\`mes-data show\` snapshot`, args: [bin, 'show', snapshot.file, '--offset', String(snapshotOffset), '--rows', String(PAGE)] },
      { label: 'DuckDB snapshot', args: duck(snapshot.file, snapshotOffset) },
      { label: `\`mes-data show\` 5M`, args: [bin, 'show', BIG_FILE, '--offset', String(bigOffset), '--rows', String(PAGE)] },
      { label: 'DuckDB 5M', args: duck(BIG_FILE, bigOffset) },
    ].map((c) => ({ ...c, wall: [], cpu: [], failure: null }));
    const loadBefore = os.loadavg();
    const started = new Date();
    // one run of each first, not counted: the files in the page cache, the bundle read once
    for (const command of commands) await runOnce(command.args, false, timingFile);
    for (let run = 0; run < RUNS; run++) {
      for (const command of commands) {
        const result = await runOnce(command.args, withTime, timingFile);
        if (result.code !== 0) command.failure ??= `exit ${result.code}: ${result.stderr.trim().split('\n').slice(-2).join(' ')}`;
        command.wall.push(result.wallMs);
        if (result.cpuMs !== null) command.cpu.push(result.cpuMs);
      }
      log(`run ${run + 1}/${RUNS}`);
    }
    // the daily commands, each build and DuckDB in turn, a fresh store each round
    const daily = dailyCsv();
    const dailyFile = path.join(work, 'SPY.csv');
    fs.writeFileSync(dailyFile, daily.text);
    const other = process.env.MES_BENCH_BIN ? path.resolve(process.env.MES_BENCH_BIN) : null;
    const sideOf = (label: string, sideBin: string | null): DailySide => ({
      label,
      bin: sideBin,
      ops: { ingest: { label, args: [], wall: [], cpu: [], failure: null }, validate: { label, args: [], wall: [], cpu: [], failure: null }, promote: { label, args: [], wall: [], cpu: [], failure: null } },
    });
    const sides = [sideOf('ours', bin), ...(other ? [sideOf(`MES_BENCH_BIN (${path.basename(other)})`, fs.statSync(other).isDirectory() ? path.join(other, 'mes-data.mjs') : other)] : []), sideOf('DuckDB', null)];
    const dailyRuns = Math.max(3, Math.ceil(RUNS / 2));
    for (let run = 0; run < dailyRuns; run++) {
      for (const side of sides) await dailyRound(side, dailyFile, path.join(work, 'daily'), withTime, timingFile);
      log(`daily run ${run + 1}/${dailyRuns}`);
    }
    const loadAfter = os.loadavg();
    const wallOf = (c: Command) => stat(c.wall);
    const cpuOf = (c: Command) => (c.cpu.length > 0 ? stat(c.cpu) : null);
    const [node0, version, showSnap, duckSnap, showBig, duckBig] = commands;
    const failed = commands.some((c) => c.failure !== null) || sides.some((side) => DAILY_OPS.some((op) => side.ops[op].failure !== null));
    const row = (what: string, ours: Command, theirs: Command | null, target: number | null): string[] => [
      what,
      ours.failure ? `failed: ${ours.failure}` : fmt(wallOf(ours)),
      fmt(cpuOf(ours)),
      theirs ? (theirs.failure ? `failed: ${theirs.failure}` : fmt(wallOf(theirs))) : '–',
      theirs ? fmt(cpuOf(theirs)) : '–',
      theirs && !ours.failure && !theirs.failure ? fmtRatio(wallOf(ours).median, wallOf(theirs).median) : '–',
      target === null ? '–' : `< ${target} ms: ${!ours.failure && wallOf(ours).median < target ? 'met' : '**not met**'}`,
    ];
    const duckSide = sides[sides.length - 1];
    const dailyRows = sides.slice(0, -1).flatMap((side) =>
      DAILY_OPS.map((op) => {
        const r = row(`\`mes-data ${op}\`${side.label === 'ours' ? '' : `, ${side.label}`}`, side.ops[op], duckSide.ops[op], null);
        // the target of issue 11: the command costs what DuckDB's whole process costs
        r[6] = side.ops[op].failure || duckSide.ops[op].failure ? '–' : `≤ DuckDB's process: ${wallOf(side.ops[op]).median <= wallOf(duckSide.ops[op]).median ? 'met' : '**not met**'}`;
        return r;
      }),
    );
    const loads = (l: number[]) => l.map((x) => x.toFixed(2)).join(', ');
    const markdown = [
      '## Command-line start-up',
      '',
      `\`mes-data\` as a user runs it: whole processes of the built bundle (package.json \`bin\`: \`${pkg.bin['mes-data']}\`${rebuilt ? ', rebuilt for this run' : ''}), from spawn to exit, beside DuckDB ${duckVersion()} reading the same page from Node (\`node --input-type=module -e\` with \`@duckdb/node-api\`: an in-memory instance, \`SELECT * FROM read_parquet(file) OFFSET n LIMIT ${PAGE}\`, the rows as JSON on stdout). bench/cliBench.ts (\`npm run bench -- cli\`). Each command ran ${RUNS} times, the commands in turn after one uncounted run each; medians [min–max]. CPU is user + system time of the whole process (every thread, as /usr/bin/time reports it: in steps of 10 ms)${withTime ? '' : ' (not measured: /usr/bin/time is missing)'}, steadier than wall time on a busy machine. Ratios are of wall-time medians, ours / DuckDB.`,
      '',
      `- Measured ${started.toISOString()} on ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, Node ${process.version}; load average ${loads(loadBefore)} at the start, ${loads(loadAfter)} at the end.`,
      `- Snapshot: one trading date of one-minute bars (${snapshot.rows.toLocaleString('en-US')} rows, 2024-03-04), written by \`mes-data ingest\`; page at row ${snapshotOffset.toLocaleString('en-US')}. 5M: ${BIG_ROWS.toLocaleString('en-US')} one-minute bars, zstd, row groups of ${BIG_ROW_GROUP.toLocaleString('en-US')} rows (${(fs.statSync(BIG_FILE).size / 1e6).toFixed(1)} MB, ${bigNote}); page at row ${bigOffset.toLocaleString('en-US')}.`,
      '',
      mdTable(
        ['command', 'ours: wall', 'ours: CPU', 'DuckDB: wall', 'DuckDB: CPU', 'ratio', 'target'],
        [
          row('`node -e 0` (starting Node, nothing else)', node0, null, null),
          row('`mes-data --version`', version, null, 150),
          row(`\`mes-data show\` of ${PAGE} rows, the middle of the snapshot`, showSnap, duckSnap, 400),
          row(`\`mes-data show\` of ${PAGE} rows, the middle of the 5M-row file`, showBig, duckBig, 400),
        ],
      ),
      '',
      `Daily commands, where nearly all of a command's time is the process's own: ${daily.rows.toLocaleString('en-US')} daily bars of one symbol (2001–2025, Yahoo-style CSV, ${(daily.text.length / 1e3).toFixed(0)} kB), \`ingest\` into a fresh store, \`validate raw/SPY --schema ohlcv\`, \`promote --asset SPY --schema ohlcv --on-invalid drop\`, each a process (${dailyRuns} rounds, ${sides.map((side) => side.label).join(', ')} in turn), beside DuckDB doing the same work in a Node process of its own (\`@duckdb/node-api\`, the SQL of bench/scaleDuckdb.ts for daily bars: \`COPY … PARTITION_BY (year)\` from \`read_csv\`, the validation counts, the deduplicated, filtered, sorted \`COPY\`).`,
      '',
      mdTable(['command', 'ours: wall', 'ours: CPU', 'DuckDB: wall', 'DuckDB: CPU', 'ratio', 'target'], dailyRows),
      '',
    ].join('\n');
    return { markdown, failed };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function duckVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', '@duckdb', 'node-api', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}
