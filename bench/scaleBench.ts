/**
 * Research-scale benchmark (issue 11, "Years, not days"): every operation of the product on
 * years of data, as a user runs it, each beside DuckDB doing the same work in the same run.
 *
 *   npm run bench -- scale                    prints the section (the full `npm run bench` writes it to docs/benchmarks.md)
 *   MES_BENCH_SCALE=0.02 npm run bench -- scale   the same at 2 % of the sizes, for trying the harness
 *
 * Three generated datasets (bench/scaleData.ts, cached in bench/.data/): eleven years of
 * one-minute MES bars with injected defects, 25 years of daily bars for three symbols, one
 * trading date of 20 million ticks with nanosecond timestamps. For each: ingest, validate,
 * promote (`--on-invalid drop`), the three feature sets, chart series at three zoom levels
 * and a page from the middle of the cleaned version, a second version (a corrections file
 * ingested and promoted) and the diff of the two; then `ls` of the whole store, and the
 * host's latency while a promotion runs in `mes-data serve`.
 *
 * Ours is the `mes-data` command (package.json `bin`) with `--json`, one process per
 * operation; charts and pages go through the API (`ApiSession.invoke`, in a child process).
 * DuckDB runs in a process of its own per operation (bench/scaleDuckdb.ts, the SQL is in
 * the generated document). Peak RSS is each child's own high-water mark. An operation that
 * fails or times out is reported with its error code; it never stops the run.
 *
 * Settings (environment): MES_BENCH_SCALE (default 1), MES_BENCH_OP_TIMEOUT_S (time limit
 * of one operation, default 900), MES_BENCH_BUDGET_S (once the run has taken this long, the
 * operations left are reported as skipped; default none), MES_BENCH_WORK (scratch folder for
 * the stores, default the system temporary folder; removed at the end), MES_BENCH_ONLY (the
 * parts to run, of bars, host, ticks, daily, comma-separated; default all: on a busy machine
 * `bars,ticks` measures the two large datasets alone), MES_BENCH_HOST_STORE (a folder: the
 * host part alone, on a store of the bars made there once and kept, see `runHostOnStore`),
 * MES_BENCH_BIN (another build of the command to measure, such as a copy of dist/cli/ made
 * before a change; default package.json's `bin`, rebuilt when a source is newer).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ApiResponse } from '../core/api/contract.js';
import { fmtMB, fmtMs, mdTable, mulberry32, stat } from './benchUtil.js';
import { DUCKDB_MEMORY_LIMIT, chartSql, diffSql, ingestSql, listSql, pageSql, promoteSql, runDuck, validateSql, type DatasetKind, type DuckRun, type DuckStep } from './scaleDuckdb.js';
import { scaleBarsData, scaleData, scaledSizes, TICKS_SCHEMA, type DatasetFiles } from './scaleData.js';
import { runMeasured, startProcess } from './scaleProcess.js';
import { buildCliIfStale } from '../scripts/buildCli.mjs';

const THIS_FILE = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(THIS_FILE), '..');
const DATA_DIR = path.join(ROOT, 'bench', '.data');
const GB = 1e9;
const RESULT_MARK = '@@scale-bench-result ';

const log = (message: string) => process.stderr.write(`[scale bench] ${message}\n`);
const n = (value: number) => Math.round(value).toLocaleString('en-US');

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

// ---------------------------------------------------------------- measurements

/** One of our operations (one or more processes, summed), or DuckDB's counterpart. */
interface Measure {
  ok: boolean;
  /** error code when not ok: the product's, or BENCH_TIMEOUT / BENCH_SKIPPED / EXIT_n */
  code?: string;
  message?: string;
  /** wall time, summed over the processes */
  ms: number;
  /** DuckDB: the statements alone, without process start */
  statementMs?: number;
  /** highest peak RSS of the processes */
  rss: number;
  processes: number;
  note: string;
}

interface CliResult {
  ok: boolean;
  code?: string;
  message?: string;
  ms: number;
  rss: number;
  json: Record<string, unknown> | null;
}

interface Context {
  store: string;
  work: string;
  bin: string;
  timeoutMs: number;
  deadline: number;
  scale: number;
}

const skipped = (): CliResult => ({ ok: false, code: SKIPPED, message: 'the time budget of the run was used up', ms: 0, rss: 0, json: null });
const overBudget = (ctx: Context) => performance.now() > ctx.deadline;
/** an operation's time limit: the per-operation one, cut to what is left of the phase's budget (at least a minute) */
const limitOf = (ctx: Context) => Math.min(ctx.timeoutMs, Math.max(60_000, ctx.deadline - performance.now()));

/** `mes-data --store S ARGS --json` in its own process; exit codes in `okExits` with a JSON result count as success. */
async function cli(ctx: Context, args: string[], okExits: number[] = [0], evenOverBudget = false): Promise<CliResult> {
  if (overBudget(ctx) && !evenOverBudget) return skipped();
  log(`mes-data ${args.join(' ')}`);
  const limit = evenOverBudget ? ctx.timeoutMs : limitOf(ctx);
  const result = await runMeasured(process.execPath, [ctx.bin, '--store', ctx.store, ...args, '--json'], { cwd: ROOT, timeoutMs: limit, env: { ...process.env, MES_DATA_STORE: ctx.store } });
  const base = { ms: result.wallMs, rss: result.peakRssBytes };
  if (result.timedOut) return { ...base, ok: false, code: 'BENCH_TIMEOUT', message: `no answer within ${Math.round(limit / 1000)} s`, json: null };
  let json: Record<string, unknown> | null;
  try {
    json = JSON.parse(result.stdout.trim()) as Record<string, unknown>;
  } catch {
    json = null;
  }
  const error = json?.error as { code?: string; message?: string } | undefined;
  if (error) return { ...base, ok: false, code: error.code ?? 'UNKNOWN', message: error.message, json };
  if (json && result.exitCode !== null && okExits.includes(result.exitCode)) return { ...base, ok: true, json };
  const lastLine = result.stderrTail.trim().split('\n').at(-1) ?? '';
  return { ...base, ok: false, code: result.exitCode === null ? `SIGNAL_${result.signal ?? '?'}` : `EXIT_${result.exitCode}`, message: lastLine.slice(0, 300), json };
}

function measureOf(results: CliResult[], note: string): Measure {
  const failed = results.find((r) => !r.ok);
  return {
    ok: !failed,
    code: failed?.code,
    message: failed?.message,
    ms: results.reduce((sum, r) => sum + r.ms, 0),
    rss: Math.max(0, ...results.map((r) => r.rss)),
    processes: results.length,
    note,
  };
}

async function duck(ctx: Context, steps: DuckStep[], evenOverBudget = false): Promise<DuckRun> {
  if (overBudget(ctx) && !evenOverBudget) return { ok: false, error: 'skipped: the time budget of the run was used up', wallMs: 0, peakRssBytes: 0, readyMs: 0, steps: [] };
  log(`DuckDB: ${steps.map((s) => s.label).join(', ')}`);
  return runDuck(ROOT, ctx.work, steps, evenOverBudget ? ctx.timeoutMs : limitOf(ctx));
}

function duckMeasure(runs: DuckRun[], note: (runs: DuckRun[]) => string): Measure {
  const failed = runs.find((r) => !r.ok);
  return {
    ok: !failed,
    code: failed ? (failed.error?.startsWith('timed out') ? 'BENCH_TIMEOUT' : failed.error?.startsWith('skipped') ? 'BENCH_SKIPPED' : 'DUCKDB_ERROR') : undefined,
    message: failed?.error,
    ms: runs.reduce((sum, r) => sum + r.wallMs, 0),
    statementMs: runs.reduce((sum, r) => sum + r.steps.reduce((s, step) => s + step.ms.reduce((a, b) => a + b, 0), 0), 0),
    rss: Math.max(0, ...runs.map((r) => r.peakRssBytes)),
    processes: runs.length,
    note: failed ? '' : note(runs),
  };
}

const firstRow = (run: DuckRun, step = 0): Record<string, unknown> => run.steps[step]?.rows[0] ?? {};
const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const num = (value: unknown): number => (typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN);

// ---------------------------------------------------------------- the API child (charts, pages)

interface ApiJob {
  store: string;
  path: string;
  zooms: { label: string; fromMs?: number; toMs?: number }[];
  repeat: number;
  pageOffset: number;
  /** the compare view's pages: `diff.rows` of each date, `repeat` times each (the first call reads the footers of both versions) */
  diffRows?: { a: string; b: string; dates: string[] };
}

interface ApiCallResult {
  label: string;
  ms: number[];
  error?: { code: string; message: string };
  bucketSeconds?: number;
  bars?: number;
  totalRows?: number;
  numRows?: number;
}

interface ApiChildResult {
  open: ApiCallResult;
  zooms: ApiCallResult[];
  page: ApiCallResult;
  diffRows: ApiCallResult[];
}

function errorOf(error: unknown): { code: string; message: string } {
  const code = (error as { code?: unknown }).code;
  return { code: typeof code === 'string' ? code : 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

/** In the child: opens the store through the API, then charts at each zoom and pages, `repeat` times each. */
async function apiChild(job: ApiJob): Promise<ApiChildResult> {
  const { ApiSession } = await import('../core/api/handlers.js');
  const session = new ApiSession('cli');
  const call = async <T>(label: string, times: number, run: () => Promise<T>, describe: (value: T) => Partial<ApiCallResult>): Promise<ApiCallResult> => {
    const ms: number[] = [];
    let last: T | undefined;
    try {
      for (let k = 0; k < times; k++) {
        const start = performance.now();
        last = await run();
        ms.push(performance.now() - start);
      }
      return { label, ms, ...describe(last as T) };
    } catch (error) {
      return { label, ms, error: errorOf(error) };
    }
  };
  const open = await call('store.open', 1, () => session.invoke('store.open', { path: job.store }), () => ({}));
  const zooms: ApiCallResult[] = [];
  for (const zoom of job.zooms) {
    zooms.push(
      await call(
        zoom.label,
        job.repeat,
        async () => (await session.invoke('chart.series', { path: job.path, fromMs: zoom.fromMs, toMs: zoom.toMs, maxBars: 2000 })) as ApiResponse<'chart.series'>,
        (r) => ({ bucketSeconds: r.bucketSeconds, bars: r.bars.length, totalRows: r.totalRows }),
      ),
    );
  }
  const random = mulberry32(5);
  const page = await call(
    'rows.page',
    job.repeat * 2,
    // the first call at the middle, then pages near it (as a user scrolls)
    async () => (await session.invoke('rows.page', { path: job.path, offset: Math.max(0, job.pageOffset + Math.floor((random() - 0.5) * 20_000)), limit: 100 })) as ApiResponse<'rows.page'>,
    (r) => ({ numRows: r.numRows, bars: r.rows.length }),
  );
  const diffRows: ApiCallResult[] = [];
  for (const date of job.diffRows?.dates ?? []) {
    const pair = job.diffRows as NonNullable<ApiJob['diffRows']>;
    diffRows.push(
      await call(
        date,
        job.repeat,
        async () => (await session.invoke('diff.rows', { a: pair.a, b: pair.b, date, limit: 100 })) as ApiResponse<'diff.rows'>,
        (r) => ({ totalRows: r.total, bars: r.rows.length }),
      ),
    );
  }
  await session.close().catch(() => undefined);
  return { open, zooms, page, diffRows };
}

async function runApiChild(ctx: Context, job: ApiJob): Promise<{ result: ApiChildResult | null; ms: number; rss: number; error?: { code: string; message: string } }> {
  if (overBudget(ctx)) return { result: null, ms: 0, rss: 0, error: { code: 'BENCH_SKIPPED', message: 'the time budget of the run was used up' } };
  log(`API: chart.series ×${job.zooms.length} zooms, rows.page on ${job.path}`);
  const jobFile = path.join(ctx.work, `api-job-${Date.now()}.json`);
  fs.writeFileSync(jobFile, JSON.stringify(job));
  const limit = limitOf(ctx);
  const result = await runMeasured(process.execPath, [...process.execArgv, THIS_FILE, '--child', 'api', jobFile], { cwd: ROOT, timeoutMs: limit });
  fs.rmSync(jobFile, { force: true });
  const line = result.stdout.split('\n').find((l) => l.startsWith(RESULT_MARK));
  if (result.timedOut) return { result: null, ms: result.wallMs, rss: result.peakRssBytes, error: { code: 'BENCH_TIMEOUT', message: `no answer within ${Math.round(limit / 1000)} s` } };
  if (!line) return { result: null, ms: result.wallMs, rss: result.peakRssBytes, error: { code: `EXIT_${result.exitCode ?? result.signal}`, message: result.stderrTail.trim().split('\n').slice(-2).join(' ').slice(0, 300) } };
  return { result: JSON.parse(line.slice(RESULT_MARK.length)) as ApiChildResult, ms: result.wallMs, rss: result.peakRssBytes };
}

// ---------------------------------------------------------------- one dataset

interface Line {
  op: string;
  ours: Measure;
  duck?: Measure;
  /** ratio of ours to DuckDB, when both ran */
  ratio?: number;
  /** in-process figures (chart, page): ours / DuckDB warm medians */
  inProcess?: boolean;
}

interface Target {
  target: string;
  measured: string;
  met: boolean | null;
}

interface DatasetReport {
  kind: DatasetKind;
  title: string;
  description: string;
  lines: Line[];
  targets: Target[];
  checks: string[];
  sql: { op: string; sql: string }[];
  v1Path: string | null;
  v1Rows: number;
}

/** The operations the targets name. */
const OP = { ingest: 'ingest', validate: 'validate', promote: 'promote `--on-invalid drop`', diff: 'diff v1 v2' } as const;

const fail = (m: Measure) => `**failed**: \`${m.code ?? '?'}\`${m.message ? ` — ${m.message.replace(/\s+/g, ' ').slice(0, 160)}` : ''}`;

function line(op: string, ours: Measure, duck?: Measure, inProcess = false): Line {
  const ratio = duck && ours.ok && duck.ok && duck.ms > 0 ? ours.ms / duck.ms : undefined;
  return { op, ours, duck, ratio, inProcess };
}

function summarizeReport(json: Record<string, unknown> | null): string {
  if (!json) return '';
  const issues = (key: string) =>
    ((json[key] as { rule?: string; count?: number }[] | undefined) ?? []).map((i) => `${i.rule ?? '?'} ${n(i.count ?? 0)}`).join(', ') || 'none';
  return `valid ${String(json.valid)}; ${n(num(json.rowCount))} rows; errors: ${issues('errors')}; warnings: ${issues('warnings')}`;
}

function zoomsFor(kind: DatasetKind, data: DatasetFiles): ApiJob['zooms'] {
  const mid = (data.firstMs + data.lastMs) / 2;
  const around = (label: string, spanMs: number) => ({ label, fromMs: Math.round(mid - spanMs / 2), toMs: Math.round(mid + spanMs / 2) });
  if (kind === 'bars') {
    // the Tuesday session of the week in the middle: Monday 17:00 CT, a week after the first bar (Sunday 17:00 CT)
    const week = 7 * 86_400_000;
    const monday = data.firstMs + Math.floor((mid - data.firstMs) / week) * week + 86_400_000;
    return [{ label: 'whole history' }, { label: '30 days', fromMs: monday - 15 * 86_400_000, toMs: monday + 15 * 86_400_000 }, { label: '1 session', fromMs: monday, toMs: monday + 86_400_000 - 60_000 }];
  }
  if (kind === 'daily') return [{ label: 'whole history' }, around('1 year', 365 * 86_400_000), around('30 days', 30 * 86_400_000)];
  return [{ label: 'whole day' }, around('1 hour', 3_600_000), around('1 minute', 60_000)];
}

async function runDataset(ctx: Context, kind: DatasetKind, data: DatasetFiles): Promise<DatasetReport> {
  const lines: Line[] = [];
  const checks: string[] = [];
  const sql: DatasetReport['sql'] = [];
  const duckRoot = path.join(ctx.work, 'duckdb', kind);
  const duckRaw = (asset: string) => path.join(duckRoot, 'rawA', asset);
  const duckFix = (asset: string) => path.join(duckRoot, 'rawB', asset);
  const duckVersion = (v: string, asset: string) => path.join(duckRoot, v, asset);
  // COPY … PARTITION_BY makes its output folder, not the parents
  for (const folder of ['rawA', 'rawB', 'v1', 'v2']) fs.mkdirSync(path.join(duckRoot, folder), { recursive: true });
  const assets = data.files.map((f) => f.asset);
  const first = assets[0];
  const schemaArgs = kind === 'ticks' ? ['--schema', TICKS_SCHEMA.name] : ['--schema', 'ohlcv'];

  if (kind === 'ticks') {
    const schemaFile = path.join(ctx.work, `${TICKS_SCHEMA.name}.json`);
    fs.writeFileSync(schemaFile, JSON.stringify(TICKS_SCHEMA, null, 2));
    const registered = await cli(ctx, ['schemas', 'register', schemaFile]);
    checks.push(registered.ok ? `The tick schema \`${TICKS_SCHEMA.name}\` was registered in the store.` : `Registering the tick schema failed (${registered.code ?? '?'}: ${registered.message ?? ''}); validate and promote fall back to no schema of that name.`);
  }

  // ingest
  const ingests: CliResult[] = [];
  for (const f of data.files) ingests.push(await cli(ctx, ['ingest', f.file, '--asset', f.asset]));
  const snapshotCount = ingests.reduce((sum, r) => sum + ((r.json?.snapshots as unknown[] | undefined)?.length ?? 0), 0);
  const rowsWritten = ingests.reduce((sum, r) => sum + num(r.json?.rowsWritten ?? 0), 0);
  const duckIngests: DuckRun[] = [];
  for (const f of data.files) duckIngests.push(await duck(ctx, [{ label: `ingest ${f.asset}`, sql: ingestSql(kind, f.file, duckRaw(f.asset)) }]));
  sql.push({ op: 'ingest', sql: ingestSql(kind, '<file>.csv', '<out>') });
  const duckFiles = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).filter((p) => String(p).endsWith('.parquet')).length : 0);
  lines.push(
    line(
      OP.ingest,
      measureOf(ingests, `${n(rowsWritten)} rows, ${n(snapshotCount)} snapshots`),
      duckMeasure(duckIngests, (runs) => `${n(runs.reduce((s, r) => s + num(firstRow(r).Count), 0))} rows, ${n(assets.reduce((s, a) => s + duckFiles(duckRaw(a)), 0))} files`),
    ),
  );

  // validate
  const validations: CliResult[] = [];
  for (const asset of assets) validations.push(await cli(ctx, ['validate', `raw/${asset}`, ...schemaArgs], [0, 1]));
  const duckValidations: DuckRun[] = [];
  for (const asset of assets) duckValidations.push(await duck(ctx, [{ label: `validate ${asset}`, sql: validateSql(kind, duckRaw(asset)) }]));
  sql.push({ op: 'validate', sql: validateSql(kind, '<raw>') });
  lines.push(
    line(
      OP.validate,
      measureOf(validations, validations.length === 1 ? summarizeReport(validations[0].json) : validations.map((v, i) => `${assets[i]}: ${summarizeReport(v.json)}`).join(' · ')),
      duckMeasure(duckValidations, (runs) =>
        Object.entries(firstRow(runs[0]))
          .map(([k, v]) => `${k} ${n(num(v))}`)
          .join(', ') + (runs.length > 1 ? ` (${first}; the others alike)` : ''),
      ),
    ),
  );

  // promote v1
  const promotes: CliResult[] = [];
  for (const asset of assets) promotes.push(await cli(ctx, ['promote', '--asset', asset, ...schemaArgs, '--on-invalid', 'drop', '--message', 'scale bench v1']));
  const v1Path = promotes[0].ok ? str(promotes[0].json?.path) || null : null;
  const v1Rows = num(promotes[0].json?.rows ?? data.files[0].rows);
  const dropped = (r: CliResult) => JSON.stringify(r.json?.dropped ?? {});
  const duckPromotes: DuckRun[] = [];
  for (const asset of assets) duckPromotes.push(await duck(ctx, [{ label: `promote ${asset}`, sql: promoteSql(kind, [duckRaw(asset)], duckVersion('v1', asset)) }]));
  sql.push({ op: 'promote', sql: promoteSql(kind, ['<raw>'], '<out>') });
  lines.push(
    line(
      OP.promote,
      measureOf(promotes, promotes.map((p, i) => (p.ok ? `${assets[i]}: ${String(p.json?.version)} ${n(num(p.json?.rows))} rows, dropped ${dropped(p)}` : '')).filter(Boolean).join(' · ')),
      duckMeasure(duckPromotes, (runs) => runs.map((r, i) => `${assets[i]}: ${n(num(firstRow(r).Count))} rows`).join(' · ')),
    ),
  );

  // features
  const featureResults: Record<string, CliResult> = {};
  for (const set of ['price_volatility', 'momentum_indicators', 'volume_profile']) {
    featureResults[set] = await cli(ctx, ['features', 'build', set, '--asset', first]);
    const r = featureResults[set];
    lines.push(line(`features build ${set}`, measureOf([r], r.ok ? `${String(r.json?.version)}: ${n(num(r.json?.rows))} rows from ${n(v1Rows)}` : '')));
  }

  // charts and a page, through the API, beside DuckDB's aggregation and page
  const zooms = zoomsFor(kind, data);
  const repeat = 5;
  const api = v1Path
    ? await runApiChild(ctx, { store: ctx.store, path: v1Path, zooms, repeat, pageOffset: Math.floor(v1Rows / 2) })
    : { result: null, ms: 0, rss: 0, error: { code: 'NO_VERSION', message: 'promote did not make a version' } };
  const spanSeconds = (zoom: ApiJob['zooms'][number]) => ((zoom.toMs ?? data.lastMs) - (zoom.fromMs ?? data.firstMs)) / 1000;
  const bucketOf = (i: number) => api.result?.zooms[i]?.bucketSeconds || Math.max(1, Math.ceil(spanSeconds(zooms[i]) / 1999));
  const duckChart = await duck(ctx, [
    ...zooms.map((zoom, i) => ({ label: `chart ${zoom.label}`, sql: chartSql(kind, duckVersion('v1', first), bucketOf(i), zoom.fromMs, zoom.toMs), repeat })),
    { label: 'page', sql: pageSql(duckVersion('v1', first), Math.floor(v1Rows / 2), 100), repeat: repeat * 2 },
  ]);
  sql.push({ op: 'chart', sql: chartSql(kind, '<v1>', 60, 0, 1).replace('to_seconds(60)', 'to_seconds(<bucket seconds, as ours chose>)').replace('to_timestamp(0)', 'to_timestamp(<from>)').replace('to_timestamp(0.001)', 'to_timestamp(<to>)') });
  sql.push({ op: 'page', sql: pageSql('<v1>', 0, 100).replace('OFFSET 0', 'OFFSET <middle>') });
  const warm = (ms: number[]) => (ms.length > 1 ? stat(ms.slice(1)).median : ms[0] ?? 0);
  const apiMeasure = (call: ApiCallResult | undefined, note: string): Measure => {
    const error = api.error ?? call?.error;
    if (!call || error) return { ok: false, code: error?.code ?? 'NO_RESULT', message: error?.message, ms: 0, rss: api.rss, processes: 1, note: '' };
    return { ok: true, ms: call.ms[0] ?? 0, rss: api.rss, processes: 1, note: `later calls ${fmtMs(warm(call.ms))}; ${note}` };
  };
  const duckStep = (i: number, note: string): Measure => {
    const step = duckChart.steps[i];
    if (!duckChart.ok || !step) return { ...duckMeasure([duckChart], () => ''), ok: false, ms: 0, processes: 1 };
    return { ok: true, ms: step.ms[0], statementMs: step.ms[0], rss: duckChart.peakRssBytes, processes: 1, note: `later calls ${fmtMs(warm(step.ms))}; ${note}` };
  };
  zooms.forEach((zoom, i) => {
    const call = api.result?.zooms[i];
    lines.push(line(`chart.series, ${zoom.label}`, apiMeasure(call, `${n(call?.bars ?? 0)} bars of ${n(call?.bucketSeconds ?? 0)} s`), duckStep(i, `buckets of ${n(bucketOf(i))} s`), true));
  });
  lines.push(line('rows.page, 100 rows at the middle', apiMeasure(api.result?.page, `of ${n(api.result?.page.numRows ?? 0)} rows`), duckStep(zooms.length, 'LIMIT 100 OFFSET middle'), true));

  // a second version: a corrections file, promoted again; then the diff of the two
  const c = data.corrections;
  const fixIngest = await cli(ctx, ['ingest', c.file, '--asset', c.asset]);
  const promote2 = await cli(ctx, ['promote', '--asset', c.asset, ...schemaArgs, '--on-invalid', 'drop', '--message', 'scale bench v2']);
  const duckFixIngest = await duck(ctx, [{ label: 'ingest corrections', sql: ingestSql(kind, c.file, duckFix(c.asset)) }]);
  const duckPromote2 = await duck(ctx, [{ label: 'promote v2', sql: promoteSql(kind, [duckRaw(c.asset), duckFix(c.asset)], duckVersion('v2', c.asset)) }]);
  lines.push(line(`ingest corrections (${n(c.rows)} rows)`, measureOf([fixIngest], fixIngest.ok ? `${n(num(fixIngest.json?.rowsWritten))} rows` : ''), duckMeasure([duckFixIngest], () => '')));
  lines.push(
    line(
      'promote again (v2)',
      measureOf([promote2], promote2.ok ? `${String(promote2.json?.version)} ${n(num(promote2.json?.rows))} rows, ${String(promote2.json?.status)}` : ''),
      duckMeasure([duckPromote2], (runs) => `${n(num(firstRow(runs[0]).Count))} rows`),
    ),
  );
  const v2Path = promote2.ok ? str(promote2.json?.path) : '';
  const diffResult = v1Path && v2Path ? await cli(ctx, ['diff', v1Path, v2Path]) : { ...skipped(), code: 'NO_VERSION', message: 'no two versions to compare' };
  const duckDiff = await duck(ctx, [{ label: 'diff', sql: diffSql(kind, duckVersion('v1', c.asset), duckVersion('v2', c.asset)) }]);
  sql.push({ op: 'diff', sql: diffSql(kind, '<v1>', '<v2>') });
  const diffRows = diffResult.json?.rows as Record<string, number> | undefined;
  lines.push(
    line(
      OP.diff,
      measureOf([diffResult], diffRows ? `added ${n(diffRows.added)}, removed ${n(diffRows.removed)}, changed ${n(diffRows.changed)}` : ''),
      duckMeasure([duckDiff], (runs) => {
        const r = firstRow(runs[0]);
        return `added ${n(num(r.added))}, removed ${n(num(r.removed))}, changed ${n(num(r.changed))}`;
      }),
    ),
  );
  // the compare view's rows of a date: the first dates with a difference, through the API
  const diffDates = ((diffResult.json?.byDate as { dates?: { date: string | null }[] } | undefined)?.dates ?? []).flatMap((d) => (d.date ? [d.date] : [])).slice(0, 3);
  if (v1Path && v2Path && diffDates.length > 0) {
    const rowsApi = await runApiChild(ctx, { store: ctx.store, path: v2Path, zooms: [], repeat, pageOffset: 0, diffRows: { a: v1Path, b: v2Path, dates: diffDates } });
    for (const [k, date] of diffDates.entries()) {
      const call = rowsApi.result?.diffRows[k];
      const error = rowsApi.error ?? call?.error;
      const measure: Measure =
        !call || error
          ? { ok: false, code: error?.code ?? 'NO_RESULT', message: error?.message, ms: 0, rss: rowsApi.rss, processes: 1, note: '' }
          : { ok: true, ms: call.ms[0] ?? 0, rss: rowsApi.rss, processes: 1, note: `later calls ${fmtMs(warm(call.ms))}; ${n(call.totalRows ?? 0)} rows differ that date${k === 0 ? ' (the first call reads the footers of both versions)' : ''}` };
      lines.push(line(`diff.rows, 100 rows of ${date}`, measure));
    }
  }
  checks.push(`Corrections: ${n(c.added)} rows added and ${n(c.revised)} revised; a correct diff finds added ${n(c.added)}, changed ${n(c.revised)} (DuckDB's counts are on its own versions).`);
  if (data.defects.length > 0) checks.push(`Injected defects: ${data.defects.map((d) => `${d.kind} at line ${n(d.line)} (${d.what})`).join('; ')}.`);
  checks.push("DuckDB's partitioned `COPY` writes a partition's rows in the order its two threads finish them, not the file's, so its `unsorted` count is about its own output.");
  if (kind === 'ticks') checks.push('DuckDB reads the nanosecond timestamps as microseconds (TIMESTAMPTZ), so ticks less than a microsecond apart look equal to it: its `duplicates` and its diff count those pairs, ours does not.');

  return {
    kind,
    title: kind === 'bars' ? 'One-minute MES bars' : kind === 'daily' ? 'Daily bars, three symbols' : 'Ticks, one trading date',
    description: describe(kind, data),
    lines,
    targets: [],
    checks,
    sql,
    v1Path,
    v1Rows,
  };
}

function describe(kind: DatasetKind, data: DatasetFiles): string {
  const rows = data.files.reduce((s, f) => s + f.rows, 0);
  const span = `${new Date(data.firstMs).toISOString().slice(0, 10)} … ${new Date(data.lastMs).toISOString().slice(0, 10)}`;
  if (kind === 'bars') return `${n(rows)} rows, ${n(data.dates)} CME trading dates (${span}), ${fmtMB(data.bytes)} of CSV with naive Chicago times.`;
  if (kind === 'daily') return `${data.files.map((f) => f.asset).join(', ')}: ${n(data.files[0].rows)} daily bars each (${span}), ${fmtMB(data.bytes)} of Yahoo-style CSV (\`Date,Open,High,Low,Close,Adj Close,Volume\`). Ingest, validate and promote run for each symbol (times summed); features, chart, page and diff on ${data.files[0].asset}.`;
  return `${n(rows)} trades on one CME trading date (${span}), ${fmtMB(data.bytes)} of CSV with UTC timestamps of nine fraction digits; validated and promoted with a registered tick schema (\`${TICKS_SCHEMA.name}\`: timestamp, price, size).`;
}

// ---------------------------------------------------------------- host latency during a promotion

interface LatencyReport {
  ok: boolean;
  error?: string;
  job: { state: string; ms: number; code?: string; compression?: string; version?: string };
  during: Record<string, number[]>;
  idle: Record<string, number[]>;
  burstDuring: number[];
  burstIdle: number[];
  /** 200 concurrent `app.info` right after each burst of pages: what the client and HTTP cost with no work behind them */
  infoBurst: { idle: number[]; during: number[] };
  burstErrors: number;
  requestErrors: string[];
  serveRss: number;
  /** the highest peak RSS of a child process of the host (a job's own process), sampled every 100 ms; 0 when the job ran in the host */
  jobProcessRss: number;
  jobRunningAfterBurst: boolean;
  /** CPU of the host process for each burst of 200 pages (ms, all its threads, and its main thread alone) */
  burstCpu: { idle: HostCpu | null; during: HostCpu | null };
  /** the machine's load average (1, 5, 15 min) when the part began and when it ended */
  load: { start: string; end: string };
  /**
   * the host's event-loop delay (LOOP_MONITOR) through each phase: the idle requests one after
   * another and the idle bursts; while the job runs, the requests before the bursts, the bursts,
   * and the requests after them until the job ended
   */
  loopDelay: { idle: LoopDelay | null; idleBursts: LoopDelay | null; before: LoopDelay | null; bursts: LoopDelay | null; after: LoopDelay | null };
}

/** How much later than due a 10 ms timer of the host fired, in ms (LOOP_MONITOR). */
interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/**
 * A module loaded into `mes-data serve` with `node --import`: the delay of the host's event
 * loop, from perf_hooks' monitorEventLoopDelay, which times a 10 ms timer again and again (its
 * histogram holds the whole intervals; the delay is how much later than due the timer fired).
 * At each SIGUSR2 it prints `@@loop-delay N {"p50":…,"p99":…,"max":…,"mean":…}` (ms; N counts
 * the signals from 1) for what it measured since the last one, and starts afresh.
 */
const LOOP_MONITOR = `data:text/javascript,${encodeURIComponent(`
import { monitorEventLoopDelay } from 'node:perf_hooks';
const histogram = monitorEventLoopDelay({ resolution: 10 });
histogram.enable();
let signals = 0;
const ms = (ns) => Math.max(0, Math.round((ns / 1e6 - 10) * 100) / 100);
process.on('SIGUSR2', () => {
  signals++;
  const stats = { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max), mean: ms(histogram.mean) };
  histogram.reset();
  process.stdout.write('@@loop-delay ' + signals + ' ' + JSON.stringify(stats) + '\\n');
});
`)}`;

interface HostCpu {
  totalMs: number;
  mainMs: number;
}

const loadNow = () => os.loadavg().map((x) => x.toFixed(2)).join(', ');

/** User + system CPU of a process (all its threads) and of its main thread, in ms, from /proc; null where /proc has none. */
function hostCpu(pid: number): HostCpu | null {
  const ticks = (file: string): number | null => {
    try {
      // the fields after the command name (which may hold spaces): utime and stime are the 12th and 13th
      const fields = fs.readFileSync(file, 'utf8').replace(/^.*\) /s, '').split(' ');
      return Number(fields[11]) + Number(fields[12]);
    } catch {
      return null;
    }
  };
  const total = ticks(`/proc/${pid}/stat`);
  const main = ticks(`/proc/${pid}/task/${pid}/stat`);
  // clock ticks of 10 ms (USER_HZ is 100 on Linux)
  return total === null || main === null ? null : { totalMs: total * 10, mainMs: main * 10 };
}

/**
 * Folds the peak RSS (VmHWM) of every live child process of `parent` into `peaks` (by pid),
 * read from /proc (the children each of its threads started); nothing where there is no /proc.
 */
function sampleChildRss(parent: number, peaks: Map<number, number>): void {
  let children: string[];
  try {
    children = fs.readdirSync(`/proc/${parent}/task`).flatMap((task) => fs.readFileSync(`/proc/${parent}/task/${task}/children`, 'utf8').split(' ').filter(Boolean));
  } catch {
    return;
  }
  for (const pid of children) {
    try {
      const kb = Number(/^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      peaks.set(Number(pid), Math.max(peaks.get(Number(pid)) ?? 0, kb * 1024));
    } catch {
      // it ended meanwhile
    }
  }
}

const cpuSpent = (before: HostCpu | null, after: HostCpu | null): HostCpu | null => (before && after ? { totalMs: after.totalMs - before.totalMs, mainMs: after.mainMs - before.mainMs } : null);

const pct = (samples: number[], p: number) => {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
};

/**
 * The compression the promotion during the host part asks for: another than the newest
 * version's, so that the promotion writes every date again (with the same recipe an
 * incremental promotion keeps every date and writes nothing).
 */
function otherCompression(store: string, asset: string): 'snappy' | 'zstd' {
  const folder = path.join(store, 'catalog', 'cleaned', asset);
  const newest = (fs.existsSync(folder) ? fs.readdirSync(folder) : [])
    .map((name) => ({ name, n: Number(/^v(\d+)\.json$/.exec(name)?.[1] ?? NaN) }))
    .filter((v) => Number.isFinite(v.n))
    .sort((a, b) => b.n - a.n)[0];
  if (!newest) return 'snappy';
  const sidecar = JSON.parse(fs.readFileSync(path.join(folder, newest.name), 'utf8')) as { recipe?: { parameters?: { compression?: string } } };
  return sidecar.recipe?.parameters?.compression === 'snappy' ? 'zstd' : 'snappy';
}

async function measureLatency(ctx: Context, asset: string, pagePath: string, pageRows: number, expectedJobMs: number): Promise<LatencyReport> {
  const loadAtStart = loadNow();
  const empty = { during: {}, idle: {}, burstDuring: [], burstIdle: [], infoBurst: { idle: [], during: [] }, burstErrors: 0, requestErrors: [], serveRss: 0, jobProcessRss: 0, jobRunningAfterBurst: false, burstCpu: { idle: null, during: null }, loopDelay: { idle: null, idleBursts: null, before: null, bursts: null, after: null } };
  const load = () => ({ start: loadAtStart, end: loadNow() });
  if (overBudget(ctx)) return { ok: false, error: 'skipped: the time budget of the run was used up', job: { state: 'not started', ms: 0 }, ...empty, load: load() };
  log('host latency: mes-data serve, a promotion as a job, requests meanwhile');
  const serve = startProcess(process.execPath, ['--import', LOOP_MONITOR, ctx.bin, '--store', ctx.store, 'serve', '--no-open'], { cwd: ROOT, env: { ...process.env, MES_DATA_STORE: ctx.store } });
  // the host's event-loop delay since the last reading (null when it did not answer)
  let loopReadings = 0;
  const loopDelay = async (): Promise<LoopDelay | null> => {
    const reading = ++loopReadings;
    try {
      process.kill(serve.pid, 'SIGUSR2');
      const line = await serve.waitForLine(new RegExp(`@@loop-delay ${reading} (\\{[^\\n]*\\})`), 10_000);
      return JSON.parse(line[1]) as LoopDelay;
    } catch {
      return null;
    }
  };
  const requestErrors: string[] = [];
  // a job of the host in a process of its own: its memory is its own, sampled here
  const childPeaks = new Map<number, number>();
  const childSampler = setInterval(() => sampleChildRss(serve.pid, childPeaks), 100);
  const jobProcessRss = () => Math.max(0, ...childPeaks.values());
  try {
    const match = await serve.waitForLine(/MES Data at (http:\/\/[^/\s]+)\/\?token=(\S+)/, 120_000);
    const [, base, token] = match;
    const invoke = async (name: string, request: unknown): Promise<{ ms: number; result?: unknown; error?: string }> => {
      const start = performance.now();
      try {
        const response = await fetch(`${base}/api/invoke/${name}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(request) });
        const body = (await response.json()) as { result?: unknown; error?: { code: string; message: string } };
        const ms = performance.now() - start;
        if (body.error) return { ms, error: `${name}: ${body.error.code} ${body.error.message}` };
        return { ms, result: body.result };
      } catch (error) {
        return { ms: performance.now() - start, error: `${name}: ${error instanceof Error ? error.message : String(error)}` };
      }
    };
    const random = mulberry32(11);
    const pageRequest = () => ({ path: pagePath, offset: Math.floor(random() * Math.max(1, pageRows - 100)), limit: 100 });
    const probes: [string, () => unknown][] = [
      ['app.info', () => ({})],
      ['tree', () => ({ path: '', depth: 3 })],
      ['rows.page', pageRequest],
    ];
    const sampleRound = async (into: Record<string, number[]>) => {
      for (const [name, request] of probes) {
        const r = await invoke(name, request());
        if (r.error) {
          if (requestErrors.length < 5) requestErrors.push(r.error);
        } else (into[name] ??= []).push(r.ms);
      }
    };
    const burst = async (name = 'rows.page', request: () => unknown = pageRequest) => {
      const before = hostCpu(serve.pid);
      const results = await Promise.all(Array.from({ length: 200 }, () => invoke(name, request())));
      const cpu = cpuSpent(before, hostCpu(serve.pid));
      const errors = results.filter((r) => r.error);
      if (errors.length > 0 && requestErrors.length < 5) requestErrors.push(errors[0].error ?? '');
      return { ms: results.filter((r) => !r.error).map((r) => r.ms), errors: errors.length, cpu };
    };

    // idle first: the same requests with nothing else running
    await loopDelay();
    const idle: Record<string, number[]> = {};
    for (let k = 0; k < 30; k++) await sampleRound(idle);
    const loopIdle = await loopDelay();
    const burstIdle = await burst();
    const infoIdle = await burst('app.info', () => ({}));
    const loopIdleBursts = await loopDelay();

    const compression = otherCompression(ctx.store, asset);
    const started = await invoke('jobs.start', { kind: 'promote', asset, onInvalid: 'drop', compression, message: 'scale bench: latency while promoting' });
    if (started.error) return { ok: false, error: started.error, job: { state: 'not started', ms: 0 }, ...empty, idle, burstIdle: burstIdle.ms, serveRss: serve.peakRssBytes(), load: load(), loopDelay: { idle: loopIdle, idleBursts: loopIdleBursts, before: null, bursts: null, after: null } };
    const jobId = (started.result as { id: string }).id;
    const jobStart = performance.now();
    const during: Record<string, number[]> = {};
    type JobNow = { state: string; error?: { code: string }; result?: { version?: string; status?: string } } | undefined;
    const running = (job: JobNow) => job !== undefined && (job.state === 'running' || job.state === 'queued');
    let state = (await invoke('jobs.get', { id: jobId })).result as JobNow;
    // requests one after another through the first third of the expected promotion, then the
    // burst of 200, then one after another again until the job ends
    while (running(state) && expectedJobMs > 6000 && performance.now() - jobStart < expectedJobMs / 3) {
      await sampleRound(during);
      await new Promise((resolve) => setTimeout(resolve, 5));
      state = (await invoke('jobs.get', { id: jobId })).result as JobNow;
    }
    const loopBefore = await loopDelay();
    const burstDuring = running(state) ? await burst() : { ms: [], errors: 0, cpu: null };
    const infoDuring = running(state) ? await burst('app.info', () => ({})) : { ms: [], errors: 0, cpu: null };
    const loopBursts = await loopDelay();
    state = (await invoke('jobs.get', { id: jobId })).result as JobNow;
    const jobRunningAfterBurst = running(state);
    const jobLimit = limitOf(ctx);
    while (running(state) && performance.now() - jobStart < jobLimit) {
      await sampleRound(during);
      await new Promise((resolve) => setTimeout(resolve, 5));
      state = (await invoke('jobs.get', { id: jobId })).result as JobNow;
    }
    const jobMs = performance.now() - jobStart;
    const loopAfter = await loopDelay();
    if (state && (state.state === 'running' || state.state === 'queued')) await invoke('jobs.cancel', { id: jobId });
    return {
      ok: true,
      job: { state: state?.state ?? 'unknown', ms: jobMs, code: state?.error?.code, compression, version: state?.result ? `${state.result.version ?? '?'} (${state.result.status ?? '?'})` : undefined },
      during,
      idle,
      burstDuring: burstDuring.ms,
      burstIdle: burstIdle.ms,
      infoBurst: { idle: infoIdle.ms, during: infoDuring.ms },
      burstErrors: burstDuring.errors + burstIdle.errors,
      requestErrors,
      serveRss: serve.peakRssBytes(),
      jobProcessRss: jobProcessRss(),
      jobRunningAfterBurst,
      burstCpu: { idle: burstIdle.cpu, during: burstDuring.cpu },
      load: load(),
      loopDelay: { idle: loopIdle, idleBursts: loopIdleBursts, before: loopBefore, bursts: loopBursts, after: loopAfter },
    };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error), job: { state: 'unknown', ms: 0 }, ...empty, requestErrors, serveRss: serve.peakRssBytes(), jobProcessRss: jobProcessRss(), load: load() };
  } finally {
    clearInterval(childSampler);
    await serve.stop(10_000);
  }
}

// ---------------------------------------------------------------- the section

const SKIPPED = 'BENCH_SKIPPED';
const cell = (m: Measure | undefined) => {
  if (!m) return '';
  if (!m.ok && m.code === SKIPPED) return 'skipped (time budget)';
  if (!m.ok) return fail(m);
  return fmtMs(m.ms);
};
const rssCell = (m: Measure | undefined) => (m && m.rss > 0 ? fmtMB(m.rss) : '');
const ratioCell = (l: Line) => (l.ratio === undefined ? '' : `×${l.ratio >= 10 ? l.ratio.toFixed(0) : l.ratio.toFixed(2)}`);

function datasetTable(report: DatasetReport): string {
  return mdTable(
    ['Operation', 'Ours', 'Peak RSS', 'Result', 'DuckDB', 'Peak RSS', 'Result', 'Ours / DuckDB'],
    report.lines.map((l) => [
      l.op,
      cell(l.ours) + (l.ours.ok && l.ours.processes > 1 ? ` (${l.ours.processes} processes)` : ''),
      rssCell(l.ours),
      l.ours.note,
      l.duck ? cell(l.duck) + (l.duck.ok && l.duck.statementMs !== undefined && !l.inProcess ? ` (SQL ${fmtMs(l.duck.statementMs)})` : '') : '—',
      rssCell(l.duck),
      l.duck?.note ?? '',
      ratioCell(l),
    ]),
  );
}

/** `op` names a line exactly, or with a trailing `*` every line starting with it (summed). */
function ratioTarget(report: DatasetReport, op: string, label: string): Target {
  const found = report.lines.filter((l) => (op.endsWith('*') ? l.op.startsWith(op.slice(0, -1)) : l.op === op));
  if (found.length === 0) return { target: `${label} ≤ ×1.0 vs DuckDB`, measured: 'not measured', met: null };
  if (found.some((l) => l.ours.code === SKIPPED || l.duck?.code === SKIPPED)) return { target: `${label} ≤ ×1.0 vs DuckDB`, measured: 'not measured: the time budget of the run ran out', met: null };
  const failed = found.find((l) => !l.ours.ok || !l.duck?.ok);
  if (failed) return { target: `${label} ≤ ×1.0 vs DuckDB`, measured: failed.ours.ok ? `DuckDB failed: ${failed.duck?.code ?? '?'}` : `failed: \`${failed.ours.code ?? '?'}\``, met: failed.ours.ok ? null : false };
  const ours = found.reduce((s, l) => s + l.ours.ms, 0);
  const theirs = found.reduce((s, l) => s + (l.duck?.ms ?? 0), 0);
  const ratio = ours / theirs;
  return { target: `${label} ≤ ×1.0 vs DuckDB`, measured: `×${ratio.toFixed(2)} (${fmtMs(ours)} vs ${fmtMs(theirs)})`, met: ratio <= 1.0 };
}

function targetsOf(reports: DatasetReport[], latency: LatencyReport | null, extra: { version: CliResult; show: CliResult | null; ls: CliResult; barRows: number }): Target[] {
  const targets: Target[] = [];
  for (const r of reports) {
    const name = r.kind === 'bars' ? 'bars' : r.kind === 'daily' ? 'daily' : 'ticks';
    targets.push(ratioTarget(r, OP.ingest, `${name}: ingest`));
    targets.push(ratioTarget(r, OP.validate, `${name}: validate`));
    targets.push(ratioTarget(r, OP.promote, `${name}: promote`));
    targets.push(ratioTarget(r, OP.diff, `${name}: diff`));
    targets.push(ratioTarget(r, 'chart.series*', `${name}: chart (3 zooms, first calls)`));
  }
  const bars = reports.find((r) => r.kind === 'bars');
  for (const l of bars?.lines.filter((x) => x.op.startsWith('features')) ?? []) {
    targets.push({
      target: `bars: ${l.op.replace('features build ', 'features build `')}\` of ${n(bars?.v1Rows ?? extra.barRows)} rows ≤ 3 s (whole process)`,
      measured: l.ours.ok ? fmtMs(l.ours.ms) : l.ours.code === SKIPPED ? 'not measured: the time budget of the run ran out' : `failed: \`${l.ours.code ?? '?'}\``,
      met: l.ours.ok ? l.ours.ms <= 3000 : l.ours.code === SKIPPED ? null : false,
    });
  }
  // peak RSS: every process of ours, including the host during the promotion
  const all: { what: string; rss: number }[] = [];
  for (const r of reports) for (const l of r.lines) if (l.ours.rss > 0) all.push({ what: `${r.kind}: ${l.op}`, rss: l.ours.rss });
  if (latency && latency.serveRss > 0) all.push({ what: '`mes-data serve` during the promotion', rss: latency.serveRss });
  if (latency && latency.jobProcessRss > 0) all.push({ what: "the promotion's own process under `mes-data serve`", rss: latency.jobProcessRss });
  all.push({ what: 'ls', rss: extra.ls.rss });
  const worst = all.sort((a, b) => b.rss - a.rss)[0];
  const over = all.filter((a) => a.rss > GB);
  targets.push({
    target: 'peak RSS ≤ 1 GB, every operation',
    measured: worst ? `highest ${fmtMB(worst.rss)} (${worst.what})${over.length > 1 ? `; ${over.length} operations over 1 GB` : ''}` : 'not measured',
    met: worst ? worst.rss <= GB : null,
  });
  if (latency?.error?.startsWith('skipped')) {
    targets.push({ target: 'host latency during a promote (p99 ≤ 100 ms; 200 concurrent pages p50 < 100 ms)', measured: 'not measured: the time budget of the run ran out', met: null });
  } else if (latency) {
    for (const name of ['app.info', 'tree', 'rows.page']) {
      const samples = latency.during[name] ?? [];
      targets.push({
        target: `host: \`${name}\` p99 ≤ 100 ms during a promote`,
        measured: samples.length > 0 ? `p99 ${fmtMs(pct(samples, 99))}, p50 ${fmtMs(pct(samples, 50))} (n=${samples.length})` : latency.ok ? 'no sample while the job ran' : `failed: ${latency.error ?? '?'}`,
        met: samples.length > 0 ? pct(samples, 99) <= 100 : false,
      });
    }
    targets.push({
      target: 'host: 200 concurrent `rows.page` of 100 rows, p50 < 100 ms (during the promote)',
      measured: latency.burstDuring.length > 0 ? `p50 ${fmtMs(pct(latency.burstDuring, 50))}, p99 ${fmtMs(pct(latency.burstDuring, 99))} (n=${latency.burstDuring.length}${latency.jobRunningAfterBurst ? '' : '; the job had ended by the last answer'})` : latency.ok ? 'the job ended before the burst' : `failed: ${latency.error ?? latency.requestErrors[0] ?? '?'}`,
      met: latency.burstDuring.length > 0 ? pct(latency.burstDuring, 50) < 100 : false,
    });
  }
  if (!latency) {
    for (const what of ['`app.info`, `tree`, `rows.page` p99 ≤ 100 ms during a promote', '200 concurrent `rows.page` of 100 rows, p50 < 100 ms (during the promote)']) {
      targets.push({ target: `host: ${what}`, measured: 'not measured: the promotion of the bars made no version to page', met: false });
    }
  }
  targets.push({
    target: '`mes-data --version` < 150 ms (whole process)',
    measured: extra.version.ok ? fmtMs(extra.version.ms) : `failed: \`${extra.version.code ?? '?'}\``,
    met: extra.version.ok ? extra.version.ms < 150 : false,
  });
  if (extra.show) {
    targets.push({
      target: '`mes-data show FILE` of a 100-row page < 400 ms (whole process; the biggest raw snapshot, at its middle)',
      measured: extra.show.ok ? fmtMs(extra.show.ms) : `failed: \`${extra.show.code ?? '?'}\``,
      met: extra.show.ok ? extra.show.ms < 400 : false,
    });
  }
  return targets;
}

function latencyTable(latency: LatencyReport): string {
  const row = (label: string, samples: number[]) => [label, samples.length > 0 ? fmtMs(pct(samples, 50)) : '–', samples.length > 0 ? fmtMs(pct(samples, 99)) : '–', samples.length > 0 ? fmtMs(Math.max(...samples)) : '–', String(samples.length)];
  return mdTable(['Request', 'p50', 'p99', 'max', 'n'], [
    ...['app.info', 'tree', 'rows.page'].map((name) => row(`\`${name}\` during the promote`, latency.during[name] ?? [])),
    row('200 concurrent `rows.page` during the promote', latency.burstDuring),
    row('200 concurrent `app.info` during the promote, right after', latency.infoBurst.during),
    ...['app.info', 'tree', 'rows.page'].map((name) => row(`\`${name}\`, idle host`, latency.idle[name] ?? [])),
    row('200 concurrent `rows.page`, idle host', latency.burstIdle),
    row('200 concurrent `app.info`, idle host, right after', latency.infoBurst.idle),
  ]);
}

/** The paragraphs and table of the host part. */
function hostSection(latency: LatencyReport, pagePath: string): string[] {
  const cpu = (c: HostCpu | null) => (c ? `${fmtMs(c.totalMs)} of CPU (main thread ${fmtMs(c.mainMs)})` : 'CPU not read');
  const loop = (d: LoopDelay | null) => (d ? `p50 ${fmtMs(d.p50)}, p99 ${fmtMs(d.p99)}, max ${fmtMs(d.max)}` : 'not read');
  return [
    `\`mes-data serve\` on the store above; a promotion of MES (\`jobs.start\` with \`compression: ${latency.job.compression ?? '?'}\`, another than the newest version's, so every date is written again) runs as a job in the host while requests go to it over HTTP, one after another with 5 ms between rounds (\`app.info\`, \`tree\` with depth 3 as the app asks at start, \`rows.page\` of 100 rows at random offsets of ${pagePath}), and once, a third of the way into the promotion (by the time the CLI's promotion took), 200 \`rows.page\` at the same time. The same requests on the idle host before the job are shown for comparison. The job ${latency.job.state}${latency.job.code ? ` (\`${latency.job.code}\`)` : ''}${latency.job.version ? `, making ${latency.job.version},` : ''} in ${fmtMs(latency.job.ms)}; the host's peak RSS was ${fmtMB(latency.serveRss)}${latency.jobProcessRss > 0 ? `, the job's own process's ${fmtMB(latency.jobProcessRss)} (sampled every 100 ms)` : ' (the job ran inside it)'}. The host spent ${cpu(latency.burstCpu.idle)} on the idle burst of 200 pages and ${cpu(latency.burstCpu.during)} on the one during the promotion. The host's event loop (how much later than due a 10 ms timer fired): idle, ${loop(latency.loopDelay.idle)} through the requests one after another and ${loop(latency.loopDelay.idleBursts)} through the bursts; while the job ran, ${loop(latency.loopDelay.before)} through the requests before the bursts, ${loop(latency.loopDelay.bursts)} through the bursts and ${loop(latency.loopDelay.after)} through the requests after them. The 200 concurrent \`app.info\` right after each burst of pages, which do no work, show what the benchmark's client (fetch, in one process on the same cores) and HTTP cost alone. Load average ${latency.load.start} when this part began, ${latency.load.end} when it ended.${latency.ok ? '' : ` The measurement failed: ${latency.error ?? '?'}.`}${latency.requestErrors.length > 0 ? ` Request errors: ${latency.requestErrors.map((e) => `\`${e.slice(0, 160)}\``).join('; ')}.` : ''}`,
    '',
    latencyTable(latency),
    '',
  ];
}

/** A copy of the folder `from` at `to` (which must not exist) with every file a hard link, or a copy where a link cannot be made. */
function linkTree(from: string, to: string): void {
  fs.mkdirSync(to);
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) linkTree(source, target);
    else if (entry.isFile()) {
      try {
        fs.linkSync(source, target);
      } catch {
        fs.copyFileSync(source, target);
      }
    }
  }
}

/**
 * MES_BENCH_HOST_STORE=DIR: the host part alone, on a store that is kept between runs (made
 * by ingest and promote of the bars on the first run, its version's path and rows in
 * `DIR.bench.json` beside it), so the host can be measured again and again, before and
 * after a change, without the rest of the benchmark. Each run works on a copy of it made of
 * hard links (store files are written once and replaced by renames, never changed in
 * place), so each run's promotion writes every date as the first one did.
 */
async function runHostOnStore(store: string, bin: string, scale: number, timeoutMs: number, rebuilt: boolean): Promise<{ markdown: string; failed: boolean }> {
  const startedAt = new Date();
  const bars = await scaleBarsData(DATA_DIR, scale, log);
  const workParent = process.env.MES_BENCH_WORK ?? os.tmpdir();
  fs.mkdirSync(workParent, { recursive: true });
  const work = fs.mkdtempSync(path.join(workParent, 'mes-scale-bench-'));
  const ctx: Context = { store, work, bin, timeoutMs, deadline: Number.POSITIVE_INFINITY, scale };
  const factsFile = `${store}.bench.json`;
  type Facts = { v1Path: string; v1Rows: number; promoteMs: number; dates: number };
  try {
    let facts = fs.existsSync(factsFile) ? (JSON.parse(fs.readFileSync(factsFile, 'utf8')) as Facts) : null;
    if (!facts) {
      for (const step of [['init'], ['ingest', bars.files[0].file, '--asset', 'MES'], ['promote', '--asset', 'MES', '--schema', 'ohlcv', '--on-invalid', 'drop', '--message', 'scale bench host store']]) {
        const result = await cli(ctx, step);
        if (!result.ok) return { markdown: `The host store could not be made: \`mes-data ${step[0]}\` failed with ${result.code ?? '?'}: ${result.message ?? ''}`, failed: true };
        if (step[0] === 'promote') facts = { v1Path: str(result.json?.path), v1Rows: num(result.json?.rows), promoteMs: result.ms, dates: bars.dates };
      }
      fs.writeFileSync(factsFile, JSON.stringify(facts));
    }
    const made = facts as Facts;
    const copy = path.join(work, 'store');
    linkTree(store, copy);
    const latency = await measureLatency({ ...ctx, store: copy }, 'MES', made.v1Path, made.v1Rows, made.promoteMs);
    const markdown = [
      '### The host during a promotion',
      '',
      `- The host part alone (MES_BENCH_HOST_STORE), on a kept store of ${n(made.v1Rows)} one-minute bars in ${n(made.dates)} trading dates (scale ${scale}); the command ${path.relative(ROOT, bin)}${rebuilt ? ', rebuilt from the sources for this run' : ''}; measured ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC at commit ${gitHead()}.`,
      '',
      ...hostSection(latency, made.v1Path),
    ].join('\n');
    return { markdown, failed: !latency.ok };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Runs the benchmark and returns the "Research scale" section; `failed` when the harness itself could not run. */
export async function runScaleBench(): Promise<{ markdown: string; failed: boolean }> {
  const scale = envNumber('MES_BENCH_SCALE', 1);
  const timeoutMs = envNumber('MES_BENCH_OP_TIMEOUT_S', 900) * 1000;
  const budgetMs = envNumber('MES_BENCH_BUDGET_S', Infinity) * 1000;
  const began = performance.now();
  const startedAt = new Date();
  const load = os.loadavg().map((x) => x.toFixed(2)).join(', ');
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
  // MES_BENCH_BIN: another build of the command (a copy of dist/cli/ made before a change, to compare)
  const ownBin = process.env.MES_BENCH_BIN ? path.resolve(process.env.MES_BENCH_BIN) : null;
  const bin = ownBin ?? path.join(ROOT, pkg.bin?.['mes-data'] ?? 'cli/bin/mes-data.mjs');
  // the command as it ships: a bundle built from today's sources (as the test suite does)
  let rebuilt = false;
  if (!ownBin && path.relative(ROOT, bin).startsWith(`dist${path.sep}cli${path.sep}`)) {
    log('building dist/cli/ if a source is newer than it…');
    rebuilt = await buildCliIfStale(ROOT);
  }
  if (process.env.MES_BENCH_HOST_STORE) return runHostOnStore(path.resolve(process.env.MES_BENCH_HOST_STORE), bin, scale, timeoutMs, rebuilt);
  log(`scale ${scale}; data in ${path.relative(ROOT, DATA_DIR)}/`);
  const data = await scaleData(DATA_DIR, scale, log);
  const workParent = process.env.MES_BENCH_WORK ?? os.tmpdir();
  fs.mkdirSync(workParent, { recursive: true });
  const work = fs.mkdtempSync(path.join(workParent, 'mes-scale-bench-'));
  const store = path.join(work, 'store');
  // the budget starts after the data exists: generating it is not the product's work
  const ctx: Context = { store, work, bin, timeoutMs, deadline: performance.now() + budgetMs, scale };
  try {
    const versionRun = await runMeasured(process.execPath, [bin, '--version'], { cwd: ROOT, timeoutMs: 60_000 });
    const versionResult: CliResult = { ok: versionRun.exitCode === 0, code: versionRun.exitCode === 0 ? undefined : `EXIT_${versionRun.exitCode}`, ms: versionRun.wallMs, rss: versionRun.peakRssBytes, json: null };
    const init = await cli(ctx, ['init']);
    if (!init.ok) log(`init failed: ${init.code ?? ''} ${init.message ?? ''}`);

    // with a budget, each phase may run until its share of it is used (what a phase leaves goes to the next),
    // so a slow dataset cannot take the whole run
    const phaseStart = performance.now();
    const phase = (until: number) => {
      ctx.deadline = phaseStart + budgetMs * until;
    };
    const reports: DatasetReport[] = [];
    const only = new Set((process.env.MES_BENCH_ONLY ?? 'bars,host,ticks,daily').split(',').map((p) => p.trim()));
    phase(0.5);
    const bars = only.has('bars') ? await runDataset(ctx, 'bars', data.bars) : null;
    if (bars) reports.push(bars);
    const promoted = bars?.lines.find((l) => l.op === OP.promote)?.ours;
    phase(0.6);
    const latency = bars?.v1Path && only.has('host') ? await measureLatency(ctx, 'MES', bars.v1Path, bars.v1Rows, promoted?.ok ? promoted.ms : 10_000) : null;
    phase(0.88);
    if (only.has('ticks')) reports.push(await runDataset(ctx, 'ticks', data.ticks));
    phase(1);
    if (only.has('daily')) reports.push(await runDataset(ctx, 'daily', data.daily));

    // the whole store: ls, and show of the biggest raw snapshot
    const ls = await cli(ctx, ['ls'], [0], true);
    const duckLs = await duck(ctx, [{ label: 'ls', sql: listSql(store) }], true);
    const lsLine = line('`ls` (the whole store)', measureOf([ls], ''), duckMeasure([duckLs], (runs) => `${n(num(firstRow(runs[0]).files))} Parquet files (a glob)`));
    const rawFiles = fs.existsSync(path.join(store, 'raw')) ? (fs.readdirSync(path.join(store, 'raw'), { recursive: true }) as string[]).filter((p) => p.endsWith('.parquet')).map((p) => path.join(store, 'raw', p)) : [];
    const biggest = rawFiles.sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
    let show: CliResult | null = null;
    if (biggest) {
      const rows = data.ticks.files[0].rows;
      show = await cli(ctx, ['show', biggest, '--offset', String(Math.floor(rows / 2)), '--rows', '100'], [0], true);
    }
    const targets = targetsOf(reports, latency, { version: versionResult, show, ls, barRows: scaledSizes(scale).barRows });

    const met = targets.filter((t) => t.met === true).length;
    const parts: string[] = [
      '## Research scale: years, not days',
      '',
      `Issue 11's benchmark. Every operation of the product on years of data as a user runs it — the \`mes-data\` command with \`--json\`, one process per operation (package.json \`bin\`: \`${pkg.bin?.['mes-data'] ?? '?'}\`) — beside DuckDB ${duckVersion()} doing the same work in a process of its own (\`@duckdb/node-api\` from plain \`node\`, an in-memory instance, default threads, \`memory_limit\` ${DUCKDB_MEMORY_LIMIT}), in the same run. Charts and pages go through the API (\`ApiSession.invoke\` in a child process that runs the sources under tsx, the store opened first; the zooms one after another as a user zooms in, five calls each): the figure is the first call, the median of the four after it is in the notes (ours may cache); DuckDB likewise, the statements one after another on one connection. Times are wall times of whole processes (ours include starting Node and the command; DuckDB's include starting Node and the instance, with the SQL alone in brackets); ratios are ours / DuckDB, above 1 means ours is slower. Peak RSS is each process's own high-water mark (VmHWM, all threads). The work is the same in what it reads, checks and writes, not in everything around it: ours also hashes every file it writes (SHA-256), writes sidecars, fsyncs and commits each version atomically under the store lock, and checks every rule of the schema (CME session gaps, stale prices, …), where DuckDB runs the one statement shown below. n = 1 for every operation: at this size one run each is what the machine allows; treat differences under ~20 % as noise.`,
      '',
      `- Scale ${scale}${scale === 1 ? ' (the issue\'s sizes)' : ' (a scaled-down run: not the issue\'s sizes)'}; data ${data.generated.length > 0 ? `generated for this run (${data.generated.join(', ')})` : 'reused from the cache'} in \`bench/.data/\`; run with \`npm run bench -- scale\`, \`MES_BENCH_SCALE=0.02\` for a small trial.`,
      `- Measured ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC (started); the command's bundle ${rebuilt ? 'was rebuilt from the sources for this run' : 'was up to date with the sources'} (commit ${gitHead()}).`,
      `- Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}; load average at start ${load}, at the end ${os.loadavg().map((x) => x.toFixed(2)).join(', ')}; time limit per operation ${Math.round(timeoutMs / 1000)} s${Number.isFinite(budgetMs) ? `, budget of the run ${Math.round(budgetMs / 1000)} s` : ''}.`,
      '',
      '### Targets',
      '',
      `${met} of ${targets.length} met.`,
      '',
      mdTable(['Target', 'Measured', 'Met?'], targets.map((t) => [t.target, t.measured, t.met === true ? 'met' : t.met === false ? '**not met**' : 'n/a'])),
      '',
    ];
    for (const report of reports) {
      parts.push(`### ${report.title}`, '', report.description, '', datasetTable(report), '');
      for (const check of report.checks) parts.push(`- ${check}`);
      parts.push('');
    }
    parts.push('### The whole store', '', datasetTable({ kind: 'bars', title: '', description: '', lines: [lsLine], targets: [], checks: [], sql: [], v1Path: null, v1Rows: 0 }), '');
    if (show) parts.push(`\`mes-data show\` of 100 rows at the middle of the biggest raw snapshot (${path.relative(store, biggest ?? '')}): ${show.ok ? fmtMs(show.ms) : fail(measureOf([show], ''))}, peak RSS ${fmtMB(show.rss)}. \`mes-data --version\`: ${fmtMs(versionResult.ms)}.`, '');
    parts.push('### The host during a promotion', '');
    if (!only.has('host')) parts.push(`Not measured in this run (MES_BENCH_ONLY=${[...only].join(',')}).`, '');
    else if (latency) parts.push(...hostSection(latency, bars?.v1Path ?? '?'));
    else parts.push('Not measured: the promotion of the bars made no version to page.', '');
    if (only.size < 4) parts.splice(7, 0, `- Parts run: ${[...only].join(', ')} (MES_BENCH_ONLY); the others were not measured in this run.`);
    parts.push('### The SQL DuckDB ran', '', 'Per dataset kind; `<raw>`, `<v1>`, `<out>` are the folders DuckDB wrote itself in the same run (its own ingest and promotions), so each engine works on its own output all along.', '');
    for (const report of reports) {
      parts.push(`#### ${report.title}`, '');
      for (const s of report.sql) parts.push(`${s.op}:`, '', '```sql', s.sql, '```', '');
    }
    parts.push('#### The whole store', '', '`ls`:', '', '```sql', listSql('<store>'), '```', '');
    parts.push(`Whole benchmark: ${fmtMs(performance.now() - began)}.`, '');
    return { markdown: parts.join('\n'), failed: false };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function gitHead(): string {
  try {
    const head = fs.readFileSync(path.join(ROOT, '.git', 'HEAD'), 'utf8').trim();
    const ref = /^ref: (.+)$/.exec(head)?.[1];
    return (ref ? fs.readFileSync(path.join(ROOT, '.git', ref), 'utf8').trim() : head).slice(0, 7);
  } catch {
    return '?';
  }
}

function duckVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', '@duckdb', 'node-api', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (invokedDirectly && process.argv[2] === '--child' && process.argv[3] === 'api') {
  const job = JSON.parse(fs.readFileSync(process.argv[4], 'utf8')) as ApiJob;
  apiChild(job).then(
    (result) => {
      process.stdout.write(`\n${RESULT_MARK}${JSON.stringify(result)}\n`, () => process.exit(0));
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
} else if (invokedDirectly) {
  runScaleBench().then(
    (result) => process.stdout.write(`${result.markdown}\n`),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
