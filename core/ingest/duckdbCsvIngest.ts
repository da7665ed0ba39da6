import fs from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import type { DuckDBInstance } from '@duckdb/node-api';
import { duckdbModule, engineError, sqlFileList, sqlIdent, sqlString } from '../engine/duckdbEngine.js';
import { AlreadyExistsError, CancelledError } from '../errors.js';
import { duckdbCodec, isCompression } from '../parquet/compression.js';
import type { ColumnPlan } from './columnMapping.js';
import type { CsvDialect, StagedPartition } from './ingestTypes.js';
import { rewriteFooter, type ParquetFileSummary } from './parquetFooter.js';
import type { FieldSpec } from './parquetStreamWriter.js';
import { NULL_TOKEN_SPELLINGS } from './numberParser.js';
import type { TimeZoneRules } from './timeZoneRules.js';
import { CME_TRADING_DATE_RULE, tradingDateShiftSeconds, type TradingDateRule } from './tradingDate.js';

/**
 * CSV ingest through DuckDB: it reads the file and writes one zstd Parquet file per CME
 * trading date in one `COPY (SELECT … FROM read_csv(…)) TO … (PARTITION_BY …)`, on its own
 * threads, while this thread only waits. Chosen with `engine: 'duckdb'` (or
 * `MES_DATA_INGEST_ENGINE=duckdb`): on the 2-core build machine our reader staged 4.1M
 * one-minute bars faster (6.2–7.1 s against 8.4–8.7 s, docs/benchmarks.md), so it is not
 * the default there.
 *
 * It must give exactly what our reader gives, or nothing: the SQL accepts only what our
 * reader reads the same way and stops with an error at anything else, and the caller then
 * reads the file with our reader, which has the full semantics (every date-time spelling,
 * DST gap and repeat policies, bad-row reports with reasons, nanoseconds). What stops it:
 *
 * - a timestamp not in the one ISO shape the sample showed (`YYYY-MM-DD HH:MM:SS[.ffffff]`,
 *   with `T` or a space, naive or with `Z`/`±HH:MM`; or a date alone), a missing one, or
 *   one outside 1678–2261 (our int64 nanoseconds);
 * - a naive time in an hour that a DST transition of the zone touches (the gap or the
 *   repeated hour: our policies decide those);
 * - a count column (volume, sizes, open interest) with a value that is not a whole number
 *   below 2^53: the attempt is repeated with that column as Float64, which is what our
 *   reader makes of it;
 * - any row DuckDB's CSV reader refuses (wrong field count, a number that does not parse,
 *   bad UTF-8, a stray quote).
 *
 * Timestamps come out as `Timestamp<MICROSECOND, UTC>` (text with at most six fraction
 * digits is whole microseconds), rows in file order within each date.
 *
 * Row order: a partitioned COPY writes one file per thread and partition, so a date that
 * straddles two threads' blocks of the CSV comes out as two files (23 of the 2,972 dates of
 * our 4.1M-row file, a different 23 each run). Each row therefore carries its position in
 * the file (`WITH ORDINALITY`, free: the scan stays parallel) as a column `__mes_data_row`; a date
 * in pieces is merged by it, and every other file loses the column in its footer (its pages
 * stay as unused bytes, about 12% of the output) instead of being rewritten.
 */

/** Why the fast path did not run or gave up; the caller reads the file itself. */
interface DuckdbFallback {
  fallback: string;
}

interface DuckdbCsvResult {
  partitions: (StagedPartition & { summary: ParquetFileSummary })[];
  fields: FieldSpec[];
  rows: number;
  /** Every timestamp was a date alone. */
  dateOnly: boolean;
  /** The timestamps were naive local times, read in the request's zone. */
  naive: boolean;
}

interface DuckdbCsvRequest {
  file: string;
  dialect: CsvDialect;
  /** Sample values per source column (from the sniffer's rows). */
  samples: string[][];
  plan: ColumnPlan;
  zone: TimeZoneRules;
  /** The instrument's trading-date rule (default CME: sessions open 17:00 Chicago the evening before). */
  tradingDateRule?: TradingDateRule;
  stagingDir: string;
  asset: string;
  name: string;
  compression: string;
  rowGroupSize: number;
  /** Footer keys of every file (the trading date is added per file); awaited once DuckDB is done (the source's hash is taken meanwhile). */
  keyValue: Promise<Record<string, string>>;
  /** Daily bars: one file per calendar year (`YYYY-01-01`) instead of per trading date. */
  yearly: boolean;
  signal?: AbortSignal;
  /** Fraction of the COPY done (DuckDB's own estimate), about every 100 ms. */
  onProgress?: (fraction: number) => void;
}

const FALLBACK_TAG = 'mes-data-fallback:';
/** The file position of each row while DuckDB writes (see the module comment); never in a staged file. */
const ROW_COLUMN = '__mes_data_row';
const FRACTIONAL_TAG = 'mes-data-fractional:';

/** The ISO shapes the fast path reads (a timestamp column must show one of them in every sampled row). */
const SHAPES = {
  naive: /^\d{4}-\d\d-\d\d[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,6})?)?$/,
  offset: /^\d{4}-\d\d-\d\d[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,6})?)?(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)$/,
  date: /^\d{4}-\d\d-\d\d$/,
} as const;
type Shape = keyof typeof SHAPES;

/** The same shapes for DuckDB's `regexp_full_match` (RE2). */
const SQL_SHAPES: Record<Shape, string> = {
  naive: String.raw`\d{4}-\d\d-\d\d[T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?`,
  offset: String.raw`\d{4}-\d\d-\d\d[T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?(Z|[+-]([01]\d|2[0-3]):?[0-5]\d)`,
  date: String.raw`\d{4}-\d\d-\d\d`,
};

/**
 * Whether the fast path can read this file, from the sniffed dialect and the column plan;
 * a string says why not.
 */
function duckdbCsvPlan(dialect: CsvDialect, samples: string[][], plan: ColumnPlan): { shape: 'naive' | 'offset' | 'date' } | string {
  if (dialect.decimal !== '.' || dialect.thousands !== null) return 'numbers with a decimal comma or a thousands separator';
  if (dialect.lineEnding === 'cr') return 'lines ending in CR alone';
  if (plan.timestamp.kind !== 'text') return `timestamps read as ${plan.timestamp.kind}`;
  if (plan.values.some((v) => v.kind === 'utf8')) return 'text columns';
  const source = plan.timestamp.source;
  const values = samples[source] ?? [];
  if (values.length === 0) return 'no sample rows';
  for (const shape of ['naive', 'offset', 'date'] as Shape[]) {
    if (values.every((v) => SHAPES[shape].test(v))) return { shape };
  }
  return 'timestamps in a spelling other than ISO 8601';
}

/** Local hours (hours since 1970 of the wall clock) that a DST transition of `zone` touches, 1900–2100; cached per zone. */
const oddHoursByZone = new Map<string, number[]>();

function oddLocalHours(zone: TimeZoneRules): number[] {
  const cached = oddHoursByZone.get(zone.zone);
  if (cached) return cached;
  const hours = new Set<number>();
  const start = Date.UTC(1900, 0, 1) / 1000;
  const end = Date.UTC(2101, 0, 1) / 1000;
  const step = 7 * 86_400;
  let previous = zone.offsetAt(start);
  for (let t = start; t < end; t += step) {
    const next = zone.offsetAt(t + step);
    if (next === previous) continue;
    // every change inside the week, found day by day and then to the second
    let before = previous;
    for (let d = t; d < t + step; d += 86_400) {
      const after = zone.offsetAt(d + 86_400);
      if (after === before) continue;
      let lo = d;
      let hi = d + 86_400;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (zone.offsetAt(mid) === before) lo = mid;
        else hi = mid;
      }
      // local wall times from transition+min(offsets) to transition+max(offsets) are odd
      const from = hi + Math.min(before, after);
      const to = hi + Math.max(before, after);
      for (let h = Math.floor(from / 3600); h * 3600 < to; h++) hours.add(h);
      before = after;
    }
    previous = next;
  }
  const list = [...hours].sort((a, b) => a - b);
  oddHoursByZone.set(zone.zone, list);
  return list;
}

function fail(reason: string): string {
  return `error(${sqlString(`${FALLBACK_TAG} ${reason}`)})`;
}

/** The SELECT that turns the CSV into output rows plus their trading date. */
function selectSql(request: DuckdbCsvRequest, shape: Shape, floatColumns: Set<number>): { sql: string; fields: FieldSpec[] } {
  const { dialect, plan, zone } = request;
  const rule = request.tradingDateRule ?? CME_TRADING_DATE_RULE;
  const shift = tradingDateShiftSeconds(rule) / 60;
  const sessionDate = (wall: string) => (shift === 0 ? `(${wall})::DATE` : `(${wall} + INTERVAL ${shift} MINUTE)::DATE`);
  const width = dialect.columns.length;
  const tsSource = (plan.timestamp as { source: number }).source;
  const types: Record<string, string> = {};
  for (let c = 0; c < width; c++) types[`c${c}`] = 'VARCHAR';
  for (const v of plan.values) types[`c${v.source}`] = 'DOUBLE';
  const columns = `{${Object.entries(types)
    .map(([name, type]) => `${sqlString(name)}: ${sqlString(type)}`)
    .join(', ')}}`;
  const nulls = `[${NULL_TOKEN_SPELLINGS.map(sqlString).join(', ')}]`;
  const reader =
    `read_csv(${sqlString(request.file)}, auto_detect = false, header = false, skip = ${dialect.header ? 1 : 0}, delim = ${sqlString(dialect.delimiter)}, ` +
    `quote = '"', escape = '"', strict_mode = true, null_padding = false, nullstr = ${nulls}, columns = ${columns})`;
  const s = `c${tsSource}`;
  const shapeCheck = `regexp_full_match(${s}, ${sqlString(SQL_SHAPES[shape])})`;
  const tsName = dialect.columns[tsSource];
  // the instant (TIMESTAMPTZ) and the trading date of each row
  let instant: string;
  let tradingDate: string;
  const range = (t: string) => `${t} < TIMESTAMP '1678-01-01' OR ${t} >= TIMESTAMP '2262-01-01'`;
  if (shape === 'date') {
    instant = `timezone('UTC', __local)`;
    tradingDate = request.yearly ? `make_date(year(__local), 1, 1)` : `__local::DATE`;
  } else if (shape === 'offset') {
    instant = `__instant`;
    tradingDate = sessionDate(`timezone(${sqlString(rule.timeZone)}, __instant)`);
  } else {
    instant = zone.zone === 'UTC' || zone.zone === 'Etc/UTC' ? `timezone('UTC', __local)` : `timezone(${sqlString(zone.zone)}, __local)`;
    tradingDate = zone.zone === rule.timeZone ? sessionDate('__local') : sessionDate(`timezone(${sqlString(rule.timeZone)}, ${instant})`);
  }
  const parse =
    shape === 'offset'
      ? `CASE WHEN ${s} IS NULL THEN ${fail(`missing timestamp in column ${tsName}`)} WHEN NOT ${shapeCheck} THEN ${fail('a timestamp in another spelling')} ELSE CAST(${s} AS TIMESTAMPTZ) END AS __instant`
      : `CASE WHEN ${s} IS NULL THEN ${fail(`missing timestamp in column ${tsName}`)} WHEN NOT ${shapeCheck} THEN ${fail('a timestamp in another spelling')} ELSE CAST(${s} AS TIMESTAMP) END AS __local`;
  const guards: string[] = [];
  if (shape === 'offset') guards.push(`WHEN ${range(`timezone('UTC', __instant)`)} THEN ${fail('a time outside 1678-2261')}`);
  else guards.push(`WHEN ${range('__local')} THEN ${fail('a time outside 1678-2261')}`);
  if (shape === 'naive') {
    const odd = oddLocalHours(zone);
    if (odd.length > 0) guards.push(`WHEN (epoch(__local)::BIGINT // 3600) IN (${odd.join(', ')}) THEN ${fail('a local time near a DST transition')}`);
  }
  const fields: FieldSpec[] = [{ name: 'timestamp', type: 'timestamp_us' }];
  const outputs = [`CASE ${guards.join(' ')} ELSE ${instant} END AS ${sqlIdent('timestamp')}`];
  for (const [k, v] of plan.values.entries()) {
    const c = `c${v.source}`;
    if (v.kind === 'auto' && !floatColumns.has(k)) {
      // our reader keeps a count column Int64 only while every value is whole (and below 2^53)
      outputs.push(
        `CASE WHEN ${c} IS NULL THEN NULL WHEN isfinite(${c}) AND ${c} = trunc(${c}) AND abs(${c}) <= 9007199254740991 THEN ${c}::BIGINT ` +
          `ELSE error(${sqlString(`${FRACTIONAL_TAG}${k}`)}) END AS ${sqlIdent(v.name)}`,
      );
      fields.push({ name: v.name, type: 'int64' });
    } else {
      outputs.push(`${c} AS ${sqlIdent(v.name)}`);
      fields.push({ name: v.name, type: 'float64' });
    }
  }
  const sql = `SELECT ${outputs.join(', ')}, ordinality AS ${ROW_COLUMN}, ${tradingDate} AS trading_date FROM (SELECT ${parse}, * FROM ${reader} WITH ORDINALITY)`;
  return { sql, fields };
}


let ingestInstance: Promise<DuckDBInstance> | null = null;

/** This thread's DuckDB instance for ingest, opened on first use (its own: the partitioned write's open-file limit is set for it). */
function instance(): Promise<DuckDBInstance> {
  ingestInstance ??= duckdbModule().DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    memory_limit: process.env.MES_DATA_DUCKDB_MEMORY ?? '512MB',
    temp_directory: path.join(os.tmpdir(), `mes-data-duckdb-ingest-${process.pid}`),
    preserve_insertion_order: 'true',
    // files kept open at once: each buffers up to a row group (a few MB); sorted input needs one or two
    partitioned_write_max_open_files: '16',
  }).catch((error: unknown) => {
    ingestInstance = null;
    throw error;
  });
  return ingestInstance;
}

/** Runs one statement on a fresh connection, reporting DuckDB's progress; an abort interrupts it (CANCELLED). */
async function runCopy(sql: string, request: DuckdbCsvRequest): Promise<Record<string, unknown>[]> {
  const db = await instance();
  const connection = await db.connect();
  const onAbort = () => connection.interrupt();
  request.signal?.addEventListener('abort', onAbort);
  const timer = request.onProgress
    ? setInterval(() => {
        const p = connection.progress;
        if (p.percentage >= 0) request.onProgress?.(Math.min(1, p.percentage / 100));
      }, 100)
    : null;
  try {
    if (request.signal?.aborted) throw new CancelledError(`ingest of ${path.basename(request.file)}: cancelled`, { path: request.file });
    const reader = await connection.runAndReadAll(sql);
    return reader.getRowObjectsJS();
  } catch (error) {
    throw engineError(error, `ingest of ${path.basename(request.file)}`, { path: request.file });
  } finally {
    if (timer) clearInterval(timer);
    request.signal?.removeEventListener('abort', onAbort);
    connection.closeSync();
  }
}

async function exists(target: string): Promise<boolean> {
  try {
    await fs.stat(target);
    return true;
  } catch {
    return false;
  }
}

/** Where `stageCsvWithDuckdb` writes a source's files (removed by the caller when the ingest fails later). */
export function duckdbStagingFolder(stagingDir: string, asset: string, name: string): string {
  return path.join(stagingDir, asset, `by-date-${name}`);
}

/**
 * Stages a CSV file through DuckDB (see the module comment): files land where our reader
 * puts them, `{stagingDir}/{ASSET}/{YYYY-MM-DD}/{name}.parquet`, with the footer keys of a
 * raw snapshot. Returns the staged partitions, or `{fallback}` saying why the caller must
 * read the file itself (whatever was written is removed then). Throws CANCELLED when the
 * signal aborts.
 */
export async function stageCsvWithDuckdb(request: DuckdbCsvRequest): Promise<DuckdbCsvResult | DuckdbFallback> {
  const planned = duckdbCsvPlan(request.dialect, request.samples, request.plan);
  if (typeof planned === 'string') return { fallback: planned };
  // a folder per source file: DuckDB writes one trading_date=… folder per date inside it
  const outDir = duckdbStagingFolder(request.stagingDir, request.asset, request.name);
  if (await exists(outDir)) return { fallback: `${outDir} already exists` };
  const made = await fs.mkdir(path.dirname(outDir), { recursive: true });
  // on the way out without a result: the folders made here go too (when nothing else is in them)
  const removeMade = async () => {
    await fs.rm(outDir, { recursive: true, force: true });
    if (made !== undefined) await removeEmptyUpTo(path.dirname(outDir), made);
  };
  try {
    const result = await copyWithRetries(request, planned.shape, outDir);
    if ('fallback' in result) await removeMade();
    return result;
  } catch (error) {
    await removeMade();
    throw error;
  }
}

/** Removes `dir` and its parents up to `top` while they are empty. */
async function removeEmptyUpTo(dir: string, top: string): Promise<void> {
  for (let current = dir; current.length >= top.length; current = path.dirname(current)) {
    try {
      await fs.rmdir(current);
    } catch {
      return;
    }
    if (current === top) return;
  }
}

async function copyWithRetries(request: DuckdbCsvRequest, shape: 'naive' | 'offset' | 'date', outDir: string): Promise<DuckdbCsvResult | DuckdbFallback> {
  const floatColumns = new Set<number>();
  for (;;) {
    const { sql, fields } = selectSql(request, shape, floatColumns);
    const copy =
      `COPY (${sql}) TO ${sqlString(outDir)} (FORMAT parquet, COMPRESSION ${copyCodec(request.compression)}, ROW_GROUP_SIZE ${request.rowGroupSize}, ` +
      `PARTITION_BY (trading_date), FILENAME_PATTERN ${sqlString(`${request.name}.{i}`)}, RETURN_STATS true)`;
    let rows: Record<string, unknown>[];
    try {
      rows = await runCopy(copy, request);
    } catch (error) {
      await fs.rm(outDir, { recursive: true, force: true });
      if (request.signal?.aborted || error instanceof CancelledError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      const fractional = new RegExp(`${FRACTIONAL_TAG}(\\d+)`).exec(message);
      if (fractional) {
        floatColumns.add(Number(fractional[1]));
        continue;
      }
      const tagged = message.indexOf(FALLBACK_TAG);
      return { fallback: tagged >= 0 ? message.slice(tagged + FALLBACK_TAG.length).trim().split('\n')[0] : `DuckDB: ${message.split('\n')[0]}` };
    }
    const partitions = await finishFiles(request, rows, await request.keyValue, fields);
    await fs.rm(outDir, { recursive: true, force: true });
    return { partitions, fields, rows: partitions.reduce((sum, p) => sum + p.rows, 0), dateOnly: shape === 'date', naive: shape === 'naive' };
  }
}

interface CopyStats {
  filename: string;
  count: number;
  date: string;
  min: string | null;
  max: string | null;
}

function columnOf(key: unknown): string {
  return String(key).replaceAll('"', '');
}

function statsOf(row: Record<string, unknown>): CopyStats {
  const filename = String(row.filename);
  const date = /trading_date=(\d{4}-\d\d-\d\d)/.exec(filename)?.[1];
  if (!date) throw new Error(`DuckDB wrote ${filename}, outside a trading_date partition`);
  let min: string | null = null;
  let max: string | null = null;
  const columns = row.column_statistics as { key: unknown; value: { key: unknown; value: unknown }[] }[] | undefined;
  for (const column of columns ?? []) {
    if (columnOf(column.key) !== 'timestamp') continue;
    for (const stat of column.value) {
      if (stat.key === 'min') min = String(stat.value);
      if (stat.key === 'max') max = String(stat.value);
    }
  }
  return { filename, count: Number(row.count), date, min, max };
}

/** `2010-06-06 22:00:00.5+00` (DuckDB's statistics) as ISO 8601 UTC with nine fraction digits. */
function isoOfStat(text: string | null): string {
  const m = text === null ? null : /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(?:\+00(?::00)?)?$/.exec(text);
  if (!m) return '';
  return `${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(9, '0')}Z`;
}

/** Names each date's file `{name}.parquet` and gives it its own footer keys; in parallel, a few at a time. */
async function finishFiles(
  request: DuckdbCsvRequest,
  rows: Record<string, unknown>[],
  keyValue: Record<string, string>,
  fields: FieldSpec[],
): Promise<(StagedPartition & { summary: ParquetFileSummary })[]> {
  // a date written in pieces (by two threads, or more than 16 dates open at once in unsorted input) has several files
  const byDate = new Map<string, CopyStats[]>();
  for (const stat of rows.map(statsOf)) byDate.set(stat.date, [...(byDate.get(stat.date) ?? []), stat]);
  const dates = [...byDate.keys()].sort();
  const ordered = await filesInRowOrder(request, rows.map((r) => String(r.filename)));
  /** Folders and files moved into the staging layout, removed again when a later one fails. */
  const created: string[] = [];
  const out = new Array<StagedPartition & { summary: ParquetFileSummary }>(dates.length);
  let next = 0;
  const worker = async () => {
    while (next < dates.length) {
      const k = next++;
      const date = dates[k];
      const pieces = byDate.get(date) ?? [];
      if (request.signal?.aborted) throw new CancelledError('the ingest was cancelled');
      // the layout our reader stages in: {ASSET}/{date}/{name}.parquet
      const dateDir = path.join(request.stagingDir, request.asset, date);
      const final = path.join(dateDir, `${request.name}.parquet`);
      if (await exists(final)) throw new AlreadyExistsError(`${final} already exists; stage into a folder without an earlier ingest of the same name`, { path: final });
      // one file in file order is taken as it is; a date in pieces, or out of order, is sorted into one
      const asIs = pieces.length === 1 && ordered.has(pieces[0].filename);
      if (asIs) {
        const pieceDir = path.dirname(pieces[0].filename);
        if (await moveFolder(pieceDir, dateDir)) {
          created.push(dateDir);
          await fs.rename(path.join(dateDir, path.basename(pieces[0].filename)), final);
        } else {
          // the date folder holds another source's file: this one joins it
          await fs.rename(pieces[0].filename, final);
          created.push(final);
        }
      } else {
        if (!(await exists(dateDir))) {
          await fs.mkdir(dateDir);
          created.push(dateDir);
        } else created.push(final);
        await sortPieces(request, pieces.map((p) => p.filename), final, fields);
      }
      const summary = await rewriteFooter(final, { ...keyValue, 'mes_data.date': date }, asIs ? ROW_COLUMN : undefined);
      const firstTimestamp = isoOfStat(minOf(pieces.map((p) => p.min)));
      const lastTimestamp = isoOfStat(maxOf(pieces.map((p) => p.max)));
      out[k] = {
        asset: request.asset,
        date,
        path: final,
        rows: pieces.reduce((sum, p) => sum + p.count, 0),
        firstTimestamp,
        lastTimestamp,
        bytes: summary.bytes,
        sha256: summary.sha256,
        ...(request.yearly ? { dateSpan: { first: firstTimestamp.slice(0, 10), last: lastTimestamp.slice(0, 10) } } : {}),
        summary,
      };
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(8, dates.length) }, worker));
  } catch (error) {
    for (const made of created) await fs.rm(made, { recursive: true, force: true });
    throw error;
  }
  return out;
}

/** Renames a folder to a name that must not be taken; false when a folder of that name exists (and is not empty). */
async function moveFolder(from: string, to: string): Promise<boolean> {
  if (await exists(to)) return false;
  try {
    await fs.rename(from, to);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw error;
  }
}


// statistics strings of one format sort as their instants do
function minOf(values: (string | null)[]): string | null {
  return values.reduce<string | null>((a, b) => (a === null ? b : b === null ? a : b < a ? b : a), null);
}

function maxOf(values: (string | null)[]): string | null {
  return values.reduce<string | null>((a, b) => (a === null ? b : b === null ? a : b > a ? b : a), null);
}

/**
 * The files whose rows are in file order: their row positions are consecutive from the
 * first (`position - row within the file` is one number). A date's file is usually so,
 * but not always (about 100 of 2,972 here had a run of rows moved), and a file of unsorted
 * input holding rows from far apart never is; those are rewritten in order. One aggregate
 * over the position column only.
 */
async function filesInRowOrder(request: DuckdbCsvRequest, files: string[]): Promise<Set<string>> {
  if (files.length === 0) return new Set();
  const rows = await runCopy(
    `SELECT filename FROM read_parquet(${sqlFileList(files)}, filename = true, file_row_number = true) GROUP BY filename HAVING min(${ROW_COLUMN} - file_row_number) = max(${ROW_COLUMN} - file_row_number)`,
    { ...request, onProgress: undefined },
  );
  return new Set(rows.map((r) => String(r.filename)));
}

/**
 * One file from a date's pieces (or its one file out of order), in file order: sorted by the
 * row position and written to a single file, which keeps the order of what it is given. A
 * partitioned COPY does not: even on one thread it put a run of rows of a date after the
 * rest (4 of 103 dates), so each such date gets a COPY of its own.
 */
async function sortPieces(request: DuckdbCsvRequest, pieces: string[], final: string, fields: FieldSpec[]): Promise<void> {
  const columns = fields.map((f) => sqlIdent(f.name)).join(', ');
  await runCopy(
    `COPY (SELECT ${columns} FROM read_parquet(${sqlFileList(pieces)}) ORDER BY ${ROW_COLUMN}) TO ${sqlString(final)} (FORMAT parquet, COMPRESSION ${copyCodec(request.compression)}, ROW_GROUP_SIZE ${request.rowGroupSize})`,
    { ...request, onProgress: undefined },
  );
  await Promise.all(pieces.map((piece) => fs.rm(piece, { force: true })));
}

/** The codec of the COPY in DuckDB's words (zstd when the request names none it knows). */
function copyCodec(compression: string): string {
  return duckdbCodec(isCompression(compression) ? compression : 'zstd');
}
