/**
 * DuckDB's side of the research-scale benchmark: the SQL that does the same work as each
 * of our operations, and a child process that runs it.
 *
 * The child is plain JavaScript run by `node --input-type=module -e`, not a TypeScript
 * file under tsx, so DuckDB's process starts as a shipped program would (no loader): its
 * process time is what a user of DuckDB from Node waits. It prints one JSON document:
 * the time of each statement (every repeat), a few result rows, or the error.
 */
import path from 'node:path';
import fs from 'node:fs';
import { runMeasured, type ProcessResult } from './scaleProcess.js';
import { sqlString } from './benchUtil.js';

export type DatasetKind = 'bars' | 'daily' | 'ticks';

/** DuckDB's memory limit in the benchmark (its default is 80 % of the machine's memory). */
export const DUCKDB_MEMORY_LIMIT = '4GB';

const CHILD_SOURCE = `
import fs from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
const job = JSON.parse(fs.readFileSync(process.argv[1], 'utf8'));
const out = { steps: [], readyMs: 0 };
try {
  const instance = await DuckDBInstance.create(':memory:', job.options);
  const connection = await instance.connect();
  for (const sql of job.setup ?? []) await connection.run(sql);
  out.readyMs = performance.now();
  for (const step of job.steps) {
    const ms = [];
    let rows = [];
    for (let k = 0; k < (step.repeat ?? 1); k++) {
      const t = performance.now();
      const reader = await connection.runAndReadAll(step.sql);
      // converting every row to JSON values is part of the work (our API returns JSON)
      const all = reader.getRowObjectsJson();
      ms.push(performance.now() - t);
      rows = all.slice(0, 3);
    }
    out.steps.push({ label: step.label, ms, rows });
  }
  connection.closeSync();
} catch (error) {
  out.error = String(error?.message ?? error);
}
process.stdout.write(JSON.stringify(out));
process.exit(0);
`;

export interface DuckStep {
  label: string;
  sql: string;
  repeat?: number;
}

export interface DuckRun {
  ok: boolean;
  error?: string;
  /** the whole process, spawn to exit */
  wallMs: number;
  peakRssBytes: number;
  /** from process start to a connected instance */
  readyMs: number;
  steps: { label: string; ms: number[]; rows: Record<string, unknown>[] }[];
}

/** Runs the steps in one fresh DuckDB process (in-memory instance, default threads). */
export async function runDuck(root: string, workDir: string, steps: DuckStep[], timeoutMs: number): Promise<DuckRun> {
  const jobFile = path.join(workDir, `duck-job-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
  // a memory limit well above what these statements need, so a shared machine is not pushed into swap,
  // and a spill folder in the scratch folder (an in-memory instance would spill into the working directory)
  const options = { memory_limit: DUCKDB_MEMORY_LIMIT, temp_directory: path.join(workDir, 'duckdb-spill') };
  fs.writeFileSync(jobFile, JSON.stringify({ options, setup: ["SET TimeZone = 'UTC'"], steps }));
  let result: ProcessResult;
  try {
    result = await runMeasured(process.execPath, ['--input-type=module', '-e', CHILD_SOURCE, jobFile], { cwd: root, timeoutMs });
  } finally {
    fs.rmSync(jobFile, { force: true });
  }
  const base = { wallMs: result.wallMs, peakRssBytes: result.peakRssBytes, readyMs: 0, steps: [] };
  if (result.timedOut) return { ...base, ok: false, error: `timed out after ${Math.round(timeoutMs / 1000)} s` };
  try {
    const parsed = JSON.parse(result.stdout) as { steps: DuckRun['steps']; readyMs: number; error?: string };
    return { ...base, ok: parsed.error === undefined, error: parsed.error, readyMs: parsed.readyMs, steps: parsed.steps };
  } catch {
    return { ...base, ok: false, error: `exit ${result.exitCode ?? result.signal}: ${result.stderrTail.trim().split('\n').slice(-3).join(' ')}` };
  }
}

// ---------------------------------------------------------------- the SQL

const glob = (dir: string) => sqlString(`${dir}/**/*.parquet`);
/** the CME trading date of an instant: its Chicago wall-clock time plus 7 hours (17:00 opens the next date) */
const TRADING_DATE = `CAST(timezone('America/Chicago', "timestamp") + INTERVAL 7 HOUR AS DATE)`;

const VALUE_COLUMNS: Record<DatasetKind, string[]> = {
  bars: ['open', 'high', 'low', 'close', 'volume'],
  daily: ['open', 'high', 'low', 'close', 'adj_close', 'volume'],
  ticks: ['price', 'size'],
};

/** CSV → zstd Parquet partitioned like ours: by trading date (intraday) or by year (daily bars). */
export function ingestSql(kind: DatasetKind, csv: string, outDir: string): string {
  const source = `read_csv(${sqlString(csv)})`;
  const target = `${sqlString(outDir)} (FORMAT parquet, PARTITION_BY (${kind === 'daily' ? 'year' : 'date'}), COMPRESSION zstd)`;
  if (kind === 'bars') {
    // naive Chicago wall-clock times: timezone(zone, TIMESTAMP) reads them in that zone
    return `COPY (SELECT timezone('America/Chicago', "timestamp") AS "timestamp", open, high, low, close, volume, CAST("timestamp" + INTERVAL 7 HOUR AS DATE) AS date FROM ${source}) TO ${target}`;
  }
  if (kind === 'daily') {
    return `COPY (SELECT timezone('UTC', CAST("Date" AS TIMESTAMP)) AS "timestamp", "Open" AS open, "High" AS high, "Low" AS low, "Close" AS close, "Adj Close" AS adj_close, "Volume" AS volume, year("Date") AS year FROM ${source}) TO ${target}`;
  }
  return `COPY (SELECT "timestamp", price, size, ${TRADING_DATE} AS date FROM ${source}) TO ${target}`;
}

/** The checks of `validate` that SQL can express: nulls, finite and positive prices, OHLC, volume, order, duplicates, spikes. */
export function validateSql(kind: DatasetKind, dir: string): string {
  const prices = kind === 'ticks' ? ['price'] : ['open', 'high', 'low', 'close'];
  const closeColumn = kind === 'ticks' ? 'price' : 'close';
  const volumeColumn = kind === 'ticks' ? 'size' : 'volume';
  const checks = [
    'count(*)::BIGINT AS rows',
    `count(*) FILTER (WHERE ${['"timestamp"', ...VALUE_COLUMNS[kind]].map((c) => `${c} IS NULL`).join(' OR ')})::BIGINT AS nulls`,
    `count(*) FILTER (WHERE NOT (${prices.map((c) => `isfinite(${c})`).join(' AND ')}))::BIGINT AS non_finite`,
    `count(*) FILTER (WHERE least(${prices.join(', ')}) <= 0)::BIGINT AS non_positive_price`,
    ...(kind === 'ticks' ? [] : ['count(*) FILTER (WHERE high < greatest(open, close, low) OR low > least(open, close, high))::BIGINT AS ohlc']),
    `count(*) FILTER (WHERE ${volumeColumn} < 0)::BIGINT AS negative_volume`,
    `count(*) FILTER (WHERE "timestamp" < prev_ts)::BIGINT AS unsorted`,
    `(count(*) - count(DISTINCT "timestamp"))::BIGINT AS duplicates`,
    `count(*) FILTER (WHERE abs(${closeColumn} - prev_close) > 0.1 * prev_close)::BIGINT AS spikes`,
  ];
  return [
    `WITH t AS (SELECT *, lag("timestamp") OVER w AS prev_ts, lag(${closeColumn}) OVER w AS prev_close`,
    `  FROM read_parquet(${glob(dir)}, filename = true, file_row_number = true, hive_partitioning = true)`,
    '  WINDOW w AS (ORDER BY filename, file_row_number))',
    `SELECT ${checks.join(',\n  ')}\nFROM t`,
  ].join('\n');
}

/**
 * Promotion: every input file, duplicates resolved by keeping the last (in file order),
 * rows breaking an error rule dropped, sorted by time, zstd Parquet partitioned like ours.
 */
export function promoteSql(kind: DatasetKind, inputDirs: string[], outDir: string): string {
  const valid =
    kind === 'ticks'
      ? 'isfinite(price) AND price > 0 AND size >= 0'
      : 'isfinite(open) AND isfinite(high) AND isfinite(low) AND isfinite(close) AND least(open, high, low, close) > 0 AND high >= greatest(open, close, low) AND low <= least(open, close, high) AND volume >= 0';
  const columns = ['"timestamp"', ...VALUE_COLUMNS[kind]].join(', ');
  const partition = kind === 'daily' ? 'year("timestamp") AS year' : `${TRADING_DATE} AS date`;
  return [
    `COPY (SELECT ${columns}, ${partition} FROM (`,
    `  SELECT ${columns}, row_number() OVER (PARTITION BY "timestamp" ORDER BY filename DESC, file_row_number DESC) AS keep`,
    `  FROM read_parquet([${inputDirs.map(glob).join(', ')}], filename = true, file_row_number = true, hive_partitioning = true, union_by_name = true)`,
    `  WHERE ${valid})`,
    ' WHERE keep = 1 ORDER BY "timestamp")',
    `TO ${sqlString(outDir)} (FORMAT parquet, PARTITION_BY (${kind === 'daily' ? 'year' : 'date'}), COMPRESSION zstd)`,
  ].join('\n');
}

/** Diff: a full outer join of two versions on the timestamp, counting added, removed, changed and unchanged rows. */
export function diffSql(kind: DatasetKind, aDir: string, bDir: string): string {
  const changed = VALUE_COLUMNS[kind].map((c) => `a.${c} IS DISTINCT FROM b.${c}`).join(' OR ');
  return [
    'SELECT count(*) FILTER (WHERE a."timestamp" IS NULL)::BIGINT AS added,',
    '  count(*) FILTER (WHERE b."timestamp" IS NULL)::BIGINT AS removed,',
    `  count(*) FILTER (WHERE a."timestamp" IS NOT NULL AND b."timestamp" IS NOT NULL AND (${changed}))::BIGINT AS changed,`,
    `  count(*) FILTER (WHERE a."timestamp" IS NOT NULL AND b."timestamp" IS NOT NULL AND NOT (${changed}))::BIGINT AS unchanged`,
    `FROM read_parquet(${glob(aDir)}) a FULL OUTER JOIN read_parquet(${glob(bDir)}) b ON a."timestamp" = b."timestamp"`,
  ].join('\n');
}

/** Chart: OHLCV buckets of `bucketSeconds` over [fromMs, toMs] (the whole dataset without them). */
export function chartSql(kind: DatasetKind, dir: string, bucketSeconds: number, fromMs?: number, toMs?: number): string {
  const [o, h, l, c, v] = kind === 'ticks' ? ['price', 'price', 'price', 'price', 'size'] : ['open', 'high', 'low', 'close', 'volume'];
  const where = fromMs === undefined || toMs === undefined ? '' : ` WHERE "timestamp" >= to_timestamp(${fromMs / 1000}) AND "timestamp" <= to_timestamp(${toMs / 1000})`;
  return [
    `SELECT time_bucket(to_seconds(${bucketSeconds}), "timestamp") AS t, arg_min(${o}, "timestamp") AS o, max(${h}) AS h, min(${l}) AS l, arg_max(${c}, "timestamp") AS c, sum(${v}) AS v, count(*) AS n`,
    `FROM read_parquet(${glob(dir)})${where} GROUP BY t ORDER BY t`,
  ].join('\n');
}

/** A page of rows from the middle, in file order. */
export function pageSql(dir: string, offset: number, limit: number): string {
  return `SELECT * FROM read_parquet(${glob(dir)}) LIMIT ${limit} OFFSET ${offset}`;
}

/** What `ls` has to find: every Parquet file under the store. */
export function listSql(storeDir: string): string {
  return `SELECT count(*)::BIGINT AS files FROM glob(${sqlString(`${storeDir}/**/*.parquet`)})`;
}
