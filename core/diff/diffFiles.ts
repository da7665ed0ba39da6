import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Int16, makeData, makeVector, Table, TimeUnit, Type, type DataType, type Field, type Timestamp } from 'apache-arrow';
import { vectorValueToJson, type JsonValue } from '../arrow/arrowJson.js';
import { checkSameSchema } from '../engine/datasetTable.js';
import { sqlFileList, sqlIdent, sqlString, withConnection, type EngineConnection } from '../engine/duckdbEngine.js';
import { BadRequestError, CancelledError, CorruptedFileError } from '../errors.js';
import { openParquetFile, type ParquetHandle } from '../parquet/parquetFile.js';
import { writeParquet } from '../parquet/writeParquet.js';
import type { ApiResponse } from '../api/contract.js';
import type { SessionTemplate } from '../instruments/sessionTemplates.js';
import { dateRuleOf, type DateRule, type DiffOptions, type DiffResult, type DiffSample } from './diffTables.js';

/**
 * The diff of two sets of Parquet files (two versions of a dataset) done by DuckDB, with
 * the result `diffTables` gives for the same rows: the rows of each side are numbered
 * within their key (asset and timestamp, in file then row order) and the two sides are
 * joined on key and number, so duplicates pair up in order as in diffTables' merge; the
 * counts, the per-column counts and the first samples of each kind are one aggregate of
 * that join. Neither side is held in memory: DuckDB streams and spills (its memory limit),
 * and only the sampled rows are read again, with our own reader, so their JSON is what the
 * table reader gives.
 *
 * Exactness: values compare as diffTables compares them (floats bit for bit with NaN equal
 * to NaN and -0 apart from 0; everything else by value). DuckDB reads a nanosecond
 * timestamp as microseconds, so for each nanosecond column our own reader reads the
 * digits below the microsecond, and when any is not zero they go to DuckDB beside the rows
 * (a temporary Parquet file joined by position): a key or a value that differs only in its
 * nanoseconds is still found.
 *
 * Each row that differs also gets its trading date (`dateSql`): its `date` column when both
 * sides have one, else its timestamp under the asset's session template (an instant from
 * the open on belongs to the next day when sessions open the day before); a pair takes B's.
 * The counts per date are one more aggregate of the same join, and `diffRowsOfDate` runs
 * the join again for the rows of one date only (their instants bound the scan, so DuckDB
 * reads only the row groups that hold them).
 *
 * Answers null when a column has a type this does not compare (decimals, nested, binary…),
 * the asset column is not a string, or the files of a side do not share one schema: the
 * caller then diffs the tables read whole, as before.
 */

interface Side {
  label: 'A' | 'B';
  files: string[];
  /** no file can hold the rows asked for (diffRowsOfDate): `files` is the first file, and no row of it is taken */
  empty?: boolean;
  first: ParquetHandle;
  types: Map<string, string>;
  fields: Map<string, Field>;
}

interface Digits {
  /** the temporary Parquet files of the digits, in row order, or null when no row has any */
  files: string[] | null;
  /** the columns in it (`n_<name>`) */
  columns: string[];
}

interface SampleRef {
  kind: 'added' | 'removed' | 'changed';
  /** sort key: asset, microseconds, nanosecond digits, number within the key, file and row (a's when it has one) */
  sk: [string, bigint, number, bigint, bigint, bigint];
  aFile?: number;
  aRow?: number;
  bFile?: number;
  bRow?: number;
  differs?: boolean[];
}

function supported(type: DataType): boolean {
  switch (type.typeId) {
    case Type.Float:
      return (type as unknown as { precision: number }).precision !== 0;
    case Type.Int:
    case Type.Date:
    case Type.Timestamp:
    case Type.Bool:
    case Type.Utf8:
      return true;
    default:
      return false;
  }
}

/** Rows of a nanosecond column read at a time by our reader. */
const NANOS_CHUNK_ROWS = 1_048_576;
/** Rows of digits in one temporary Parquet file. */
const DIGITS_FILE_ROWS = 4_194_304;

const typeOf = (field: Field | undefined): DataType | undefined => field?.type as DataType | undefined;
const isNanos = (field: Field | undefined) => typeOf(field)?.typeId === Type.Timestamp && (typeOf(field) as Timestamp).unit === TimeUnit.NANOSECOND;

/**
 * The digits below the microsecond (`ns % 1000`, signed as the value) of a nanosecond
 * column, in file then row order; null when all of them are 0 (DuckDB's microseconds are
 * then the whole value).
 */
async function nanosDigits(files: string[], first: ParquetHandle, column: string, total: number, signal?: AbortSignal): Promise<Int16Array | null> {
  const out = new Int16Array(total);
  let at = 0;
  let any = false;
  for (const file of files) {
    const handle = file === first.path ? first : await openParquetFile(file);
    // a million rows at a time: a day of ticks is 20 million
    for (let offset = 0; offset < handle.numRows; offset += NANOS_CHUNK_ROWS) {
      if (signal?.aborted) throw new CancelledError(`reading ${column} of ${file}: cancelled`);
      const part = await handle.readRows(offset, NANOS_CHUNK_ROWS, [column]);
      for (const batch of part.batches) {
        const data = batch.getChildAt(0)?.data[0];
        if (!data) continue;
        const values = data.values as BigInt64Array;
        // ns % 1000 from the two 32-bit halves (2^32 % 1000 = 296), without a BigInt per value;
        // a negative time (before 1970) takes BigInt's remainder, signed as the value
        const halves = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
        const nullable = data.nullCount > 0;
        for (let i = 0; i < data.length; i++) {
          if (nullable && !data.getValid(i)) continue;
          const hi = halves[2 * i + 1];
          const digits = hi >= 0 ? (((hi % 1000) * 296 + ((halves[2 * i] >>> 0) % 1000)) % 1000) : Number(values[i] % 1000n);
          if (digits !== 0) {
            out[at + i] = digits;
            any = true;
          }
        }
        at += data.length;
      }
    }
  }
  if (at !== total) throw new CorruptedFileError(`read ${at} values of ${column} where the footers say ${total}`, { column, files: files.length });
  return any ? out : null;
}

/**
 * Whether a column differs between the two rows of a pair: floats as Object.is says (DuckDB
 * finds NaN not distinct from NaN, and -0 not distinct from 0, so the sign of a zero is
 * compared too); everything else by value, nulls equal to nulls; a nanosecond column also
 * by its digits below the microsecond.
 */
function differsSql(name: string, field: Field, nanos: { a: string | null; b: string | null }): string {
  const a = `a.${sqlIdent(`c_${name}`)}`;
  const b = `b.${sqlIdent(`c_${name}`)}`;
  if (typeOf(field)?.typeId === Type.Float) return `(${a} IS DISTINCT FROM ${b} OR (${a} = 0 AND signbit(${a}) <> signbit(${b})))`;
  const value = `(${a} IS DISTINCT FROM ${b})`;
  if (nanos.a === null && nanos.b === null) return value;
  return `(${value} OR (${a} IS NOT NULL AND ${nanos.a ?? '0'} <> ${nanos.b ?? '0'}))`;
}

/** What the key of a row is made of, beyond its microseconds. */
interface KeyParts {
  asset: boolean;
  /** digits below the microsecond (some row of a side has them) */
  nanos: boolean;
  /** the row's number among the rows of its key, so repeated keys pair up in order */
  numbered: boolean;
}

/** The trading date of an instant (`us`: microseconds since the epoch) under a session template, as `YYYY-MM-DD` text. */
function sessionDateSql(t: SessionTemplate, us: string): string {
  const local = `timezone(${sqlString(t.timeZone)}, timezone('UTC', make_timestamp(${us})))`;
  const [hh, mm] = t.open.split(':').map(Number);
  const next = t.opensPreviousDay ? ` + CASE WHEN hour(${local}) * 60 + minute(${local}) >= ${hh * 60 + mm} THEN 1 ELSE 0 END` : '';
  return `strftime(CAST(${local} AS DATE)${next}, '%Y-%m-%d')`;
}

/** A side's row's trading date as `YYYY-MM-DD` text (see the header), from its columns. */
function dateSql(rule: DateRule, side: Side): string {
  if (rule.kind === 'session') return sessionDateSql(rule.template, `epoch_us(p.${sqlIdent('timestamp')})`);
  const column = `p.${sqlIdent('date')}`;
  const type = typeOf(side.fields.get('date'))?.typeId;
  return type === Type.Utf8 ? column : type === Type.Date || type === Type.Timestamp ? `strftime(${column}, '%Y-%m-%d')` : `CAST(${column} AS VARCHAR)`;
}

/**
 * The trading date of a row of the table `joinSql` made. By the session rule it is worked
 * out there, from the key's instant, for the rows that differ only (a time-zone conversion
 * per row of two versions would cost more than the join); a row without a timestamp has none.
 */
function joinedDateSql(rule: DateRule): string {
  return rule.kind === 'column' ? 'dt' : `CASE WHEN tn THEN NULL ELSE ${sessionDateSql(rule.template, 'k_u')} END`;
}

/** A side's rows: key, place (file and row), trading date, the compared columns, the digits below the microsecond; `where` bounds them. */
function sideSql(side: Side, common: string[], digits: Digits, parts: KeyParts, rule: DateRule, where = ''): string {
  const columns = [
    ...(parts.asset ? [`coalesce(p.${sqlIdent('asset')}, '') AS k_a`] : []),
    `coalesce(epoch_us(p.${sqlIdent('timestamp')}), 0) AS k_u`,
    ...(parts.nanos ? [`${digits.columns.includes('timestamp') ? `n.${sqlIdent('n_timestamp')}` : '0'}::SMALLINT AS k_r`] : []),
    'p.file_index AS fi',
    'p.file_row_number AS fr',
    rule.kind === 'column' ? `${dateSql(rule, side)} AS dt` : `p.${sqlIdent('timestamp')} IS NULL AS tn`,
    ...common.map((name) => `p.${sqlIdent(name)} AS ${sqlIdent(`c_${name}`)}`),
    ...digits.columns.filter((name) => name !== 'timestamp').map((name) => `n.${sqlIdent(`n_${name}`)}`),
  ];
  const source = `read_parquet(${sqlFileList(side.files)}, file_row_number = true) p${digits.files ? ` POSITIONAL JOIN read_parquet(${sqlFileList(digits.files)}) n` : ''}`;
  const bound = side.empty ? 'FALSE' : where;
  const select = `SELECT ${columns.join(', ')} FROM ${source}${bound ? ` WHERE ${bound}` : ''}`;
  if (!parts.numbered) return select;
  const key = ['k_u', ...(parts.asset ? ['k_a'] : []), ...(parts.nanos ? ['k_r'] : [])].join(', ');
  return `SELECT *, row_number() OVER (PARTITION BY ${key} ORDER BY fi, fr) AS k_d FROM (${select})`;
}

async function sideOf(label: 'A' | 'B', files: string[]): Promise<Side> {
  const first = await openParquetFile(files[0]);
  const fields = first.schema.fields;
  return { label, files, first, types: new Map(fields.map((f) => [f.name, String(f.type)])), fields: new Map(fields.map((f) => [f.name, f])) };
}

async function rowCount(db: EngineConnection, files: string[]): Promise<number> {
  const [row] = await db.rows(`SELECT coalesce(sum(num_rows), 0)::BIGINT AS n FROM parquet_file_metadata(${sqlFileList(files)})`, `reading the footers of ${files.length} file(s)`);
  return Number(row.n);
}

/** A file's identity on disk (device and inode): a version folder holds hard links to the data files it shares with the versions before it. */
function fileIdentity(file: string): string | null {
  try {
    const stats = fs.statSync(file, { bigint: true });
    return `${stats.dev}:${stats.ino}`;
  } catch {
    return null;
  }
}

/** The microseconds of a timestamp statistic as DuckDB shows it (`2015-07-22 22:00:00+00`, digits below the microsecond cut), or NULL. */
function statisticUsSql(column: string): string {
  const text = `regexp_replace(${column}, '(\\.[0-9]{6})[0-9]+', '\\1')`;
  return `CASE WHEN regexp_matches(${column}, '[+-][0-9][0-9](:?[0-9][0-9])?$') THEN epoch_us(try_cast(${text} AS TIMESTAMPTZ)) ELSE epoch_us(try_cast(${text} AS TIMESTAMP)) END`;
}

/** Microseconds each file's time range is widened by, for statistics rounded or cut. */
const RANGE_MARGIN_US = 1000;

interface SharedFiles {
  /** the files of each side left to compare, in their order */
  keptA: string[];
  keptB: string[];
  /** the rows of the kept files of each side */
  rowsA: number;
  rowsB: number;
  /** the rows of the files left out, on each side */
  sharedRows: number;
  /** one of the files left out (B's path), when any is */
  oneShared: string | null;
}

/**
 * The files that both sides hold (the same file on disk, once on each side) and that can be
 * left out of the join: a shared file's rows pair with themselves, unchanged, as long as no
 * other row of either side has a key of theirs. That holds when the file's time range (its
 * row groups' timestamp statistics, a millisecond wider; the instant 0 too when it has a
 * missing time, whose key is 0) meets no other file's range on either side. A file without
 * those statistics keeps every file in the join. Two versions of a table share the dates
 * (or years) the later one did not change, so a diff compares only the changed ones.
 */
export async function sharedFiles(db: EngineConnection, filesA: string[], filesB: string[]): Promise<SharedFiles> {
  const idA = filesA.map(fileIdentity);
  const idB = filesB.map(fileIdentity);
  const occurrences = (ids: (string | null)[]) => {
    const out = new Map<string, number>();
    for (const id of ids) if (id !== null) out.set(id, (out.get(id) ?? 0) + 1);
    return out;
  };
  const [inA, inB] = [occurrences(idA), occurrences(idB)];
  const candidates = new Set([...inA].filter(([id, n]) => n === 1 && inB.get(id) === 1).map(([id]) => id));
  if (candidates.size === 0) return { keptA: filesA, keptB: filesB, rowsA: await rowCount(db, filesA), rowsB: await rowCount(db, filesB), sharedRows: 0, oneShared: null };
  // the footers of each file once: a file B shares with A is read by A's path
  const pathOf = new Map<string, string>();
  for (const [k, file] of filesA.entries()) if (idA[k] !== null && candidates.has(idA[k])) pathOf.set(idA[k], file);
  const readAs = (file: string, id: string | null) => (id !== null ? (pathOf.get(id) ?? file) : file);
  const all = [...new Set([...filesA, ...filesB.map((file, k) => readAs(file, idB[k]))])];
  const what = `reading the footers of ${all.length} Parquet file(s)`;
  const facts = await db.rows(
    `SELECT file_name, sum(row_group_num_rows)::BIGINT AS n, min(lo)::BIGINT AS lo, max(hi)::BIGINT AS hi, bool_and(lo IS NOT NULL AND hi IS NOT NULL AND nulls IS NOT NULL) AS known, coalesce(sum(nulls), 0)::BIGINT AS nulls
     FROM (SELECT file_name, row_group_num_rows, ${statisticUsSql('stats_min_value')} AS lo, ${statisticUsSql('stats_max_value')} AS hi, stats_null_count AS nulls
       FROM parquet_metadata(${sqlFileList(all)}) WHERE path_in_schema = 'timestamp')
     GROUP BY file_name`,
    what,
  );
  const byFile = new Map(facts.map((r) => [String(r.file_name), { rows: Number(r.n), lo: r.lo === null ? Number.NaN : Number(r.lo), hi: r.hi === null ? Number.NaN : Number(r.hi), known: r.known === true, nulls: Number(r.nulls) }]));
  // a file without row groups has no row in parquet_metadata: its count from the footer
  const missing = all.filter((f) => !byFile.has(f));
  if (missing.length > 0) {
    for (const r of await db.rows(`SELECT file_name, num_rows FROM parquet_file_metadata(${sqlFileList(missing)})`, what)) {
      byFile.set(String(r.file_name), { rows: Number(r.num_rows), lo: Number.NaN, hi: Number.NaN, known: false, nulls: 0 });
    }
  }
  const rowsOf = (files: string[], ids: (string | null)[]) => files.reduce((sum, file, k) => sum + (byFile.get(readAs(file, ids[k]))?.rows ?? 0), 0);
  const none: SharedFiles = { keptA: filesA, keptB: filesB, rowsA: rowsOf(filesA, idA), rowsB: rowsOf(filesB, idB), sharedRows: 0, oneShared: null };
  // each file's ranges, a shared file once (it is the same on both sides)
  const ranges: { lo: number; hi: number; entry: string }[] = [];
  const seen = new Set<string>();
  for (const [label, files, ids] of [['A', filesA, idA], ['B', filesB, idB]] as const) {
    for (const [k, file] of files.entries()) {
      const id = ids[k];
      const entry = id !== null && candidates.has(id) ? id : `${label}${k}`;
      if (seen.has(entry)) continue;
      seen.add(entry);
      const f = byFile.get(readAs(file, id));
      if (!f || f.rows === 0) continue;
      if (!f.known || !Number.isFinite(f.lo) || !Number.isFinite(f.hi)) return none;
      ranges.push({ lo: f.lo - RANGE_MARGIN_US, hi: f.hi + RANGE_MARGIN_US, entry });
      if (f.nulls > 0) ranges.push({ lo: -RANGE_MARGIN_US, hi: RANGE_MARGIN_US, entry });
    }
  }
  // ranges that meet, in chains: a chain of more than one file keeps all of them in the join
  ranges.sort((x, y) => x.lo - y.lo);
  const joined = new Set<string>();
  for (let start = 0; start < ranges.length; ) {
    let end = start + 1;
    let hi = ranges[start].hi;
    while (end < ranges.length && ranges[end].lo <= hi) hi = Math.max(hi, ranges[end++].hi);
    const entries = new Set(ranges.slice(start, end).map((r) => r.entry));
    if (entries.size > 1) for (const entry of entries) joined.add(entry);
    start = end;
  }
  const skipped = (id: string | null) => id !== null && candidates.has(id) && !joined.has(id);
  const keep = (files: string[], ids: (string | null)[], kept: boolean) => {
    const out = { files: [] as string[], ids: [] as (string | null)[] };
    for (const [k, file] of files.entries()) {
      if (skipped(ids[k]) === kept) continue;
      out.files.push(file);
      out.ids.push(ids[k]);
    }
    return out;
  };
  const [keptA, keptB, left] = [keep(filesA, idA, true), keep(filesB, idB, true), keep(filesB, idB, false)];
  if (left.files.length === 0) return none;
  return { keptA: keptA.files, keptB: keptB.files, rowsA: rowsOf(keptA.files, keptA.ids), rowsB: rowsOf(keptB.files, keptB.ids), sharedRows: rowsOf(left.files, left.ids), oneShared: left.files[0] };
}

/** Writes the nanosecond digits of a side as a temporary Parquet file (columns `n_<name>`), or null when there are none. */
async function digitsFileOf(folder: string, side: Side, names: string[], total: number, rowsPerFile: number, signal?: AbortSignal): Promise<Digits> {
  const columns: Record<string, Int16Array> = {};
  for (const name of names) {
    const digits = await nanosDigits(side.files, side.first, name, total, signal);
    if (digits) columns[`n_${name}`] = digits;
  }
  const kept = Object.keys(columns);
  if (kept.length === 0) return { files: null, columns: [] };
  // a few million rows a file, so the writer thread never holds a day of ticks at once
  const files: string[] = [];
  for (let start = 0; start < total || files.length === 0; start += rowsPerFile) {
    const length = Math.min(rowsPerFile, total - start);
    const part = Object.fromEntries(kept.map((name) => [name, makeVector(makeData({ type: new Int16(), length, data: columns[name].subarray(start, start + length) }))]));
    const file = path.join(folder, `${side.label}-${files.length}.parquet`);
    await writeParquet(new Table(part), file, { compression: 'snappy', rowGroupSize: 1_048_576 });
    files.push(file);
  }
  return { files, columns: kept.map((c) => c.slice(2)) };
}

/** What both the whole diff and a date's rows start from: the two sides, their schemas, the key and the date rule. */
interface Prepared {
  a: Side;
  b: Side;
  schema: DiffResult['schema'];
  key: string[];
  withAsset: boolean;
  common: string[];
  rule: DateRule;
}

/** The sides of a diff, or null when their types need the table reader. Throws BAD_REQUEST when a side has no timestamp column. */
async function prepare(filesA: string[], filesB: string[], sessionOf: ((asset: string | null) => SessionTemplate) | undefined): Promise<Prepared | null> {
  const [a, b] = await Promise.all([sideOf('A', filesA), sideOf('B', filesB)]);
  for (const side of [a, b]) {
    const ts = side.fields.get('timestamp');
    if (typeOf(ts)?.typeId !== Type.Timestamp) throw new BadRequestError(`${side.label} has no timestamp column to match rows by`, { side: side.label });
  }
  const schema: DiffResult['schema'] = { added: [], removed: [], changed: [] };
  for (const [name, type] of b.types) if (!a.types.has(name)) schema.added.push({ name, type });
  for (const [name, type] of a.types) {
    const other = b.types.get(name);
    if (other === undefined) schema.removed.push({ name, type });
    else if (other !== type) schema.changed.push({ name, from: type, to: other });
  }
  const withAsset = a.types.has('asset') && b.types.has('asset');
  const key = withAsset ? ['asset', 'timestamp'] : ['timestamp'];
  const common = [...a.types.keys()].filter((name) => b.types.get(name) === a.types.get(name) && !key.includes(name));
  const compared = [...key, ...common];
  if (compared.some((name) => !supported(typeOf(a.fields.get(name)) as DataType) || !supported(typeOf(b.fields.get(name)) as DataType))) return null;
  if (withAsset && (typeOf(a.fields.get('asset'))?.typeId !== Type.Utf8 || typeOf(b.fields.get('asset'))?.typeId !== Type.Utf8)) return null;
  const rule = dateRuleOf(a.types.has('date') && b.types.has('date'), b.first.info.keyValue['mes_data.asset'] ?? a.first.info.keyValue['mes_data.asset'] ?? null, sessionOf);
  return { a, b, schema, key, withAsset, common, rule };
}

type DiffFilesOptions = DiffOptions & {
  signal?: AbortSignal;
  progress?: (fraction: number, stage: string) => void;
  /** rows of digits per temporary file (tests) */
  digitsFileRows?: number;
};

/** Runs `work` with the digits of both sides written to a temporary folder (removed after). */
async function withDigits<T>(p: Prepared, options: DiffFilesOptions, totals: [number, number], work: (digitsA: Digits, digitsB: Digits) => Promise<T>): Promise<T> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-data-diff-'));
  try {
    // the digits below the microsecond of every nanosecond column compared (key or value)
    const nanosNames = (side: Side) => ['timestamp', ...p.common].filter((name) => isNanos(side.fields.get(name)));
    // a side none of whose rows is taken needs no digits
    const none: Digits = { files: null, columns: [] };
    const digitsA = p.a.empty ? none : await digitsFileOf(folder, p.a, nanosNames(p.a), totals[0], options.digitsFileRows ?? DIGITS_FILE_ROWS, options.signal);
    const digitsB = p.b.empty ? none : await digitsFileOf(folder, p.b, nanosNames(p.b), totals[1], options.digitsFileRows ?? DIGITS_FILE_ROWS, options.signal);
    return await work(digitsA, digitsB);
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

/**
 * Diffs the Parquet files `filesA` and `filesB` (absolute, in dataset order) in DuckDB, or
 * answers null when their types need the table reader (see above). Throws BAD_REQUEST when
 * a side has no timestamp column, the read errors DuckDB and our reader raise, and
 * CANCELLED on `signal`.
 */
export async function diffParquetFiles(filesA: string[], filesB: string[], options: DiffFilesOptions = {}): Promise<DiffResult | null> {
  const sampleLimit = options.samples ?? 10;
  // the first footers (our reader's thread starting) while DuckDB reads the others
  const preparing = prepare(filesA, filesB, options.sessionOf);
  preparing.catch(() => undefined);

  return withConnection(async (db) => {
    const sameA = filesA.length <= 1 || (await checkSameSchema(db, filesA));
    const p = await preparing;
    if (!p || !sameA) return null;
    const { a, b, schema, key, common } = p;
    // the files both versions hold (the same file) are left out of the join: their rows are unchanged pairs
    const shared = await sharedFiles(db, filesA, filesB);
    // B's files left out are A's, whose schema is checked: the rest of B must have it too
    const checkB = shared.oneShared === null ? filesB : [...shared.keptB, shared.oneShared];
    if (checkB.length > 1 && !(await checkSameSchema(db, checkB))) return null;
    for (const [side, kept] of [[a, shared.keptA], [b, shared.keptB]] as const) {
      side.empty = kept.length === 0;
      side.files = side.empty ? [side.first.path] : kept;
    }
    const [totalA, totalB] = [shared.rowsA, shared.rowsB];
    options.progress?.(0.2, 'reading');
    return withDigits(p, options, [totalA, totalB], async (digitsA, digitsB) => {
      options.progress?.(0.4, 'comparing');
      const parts: KeyParts = { asset: p.withAsset, nanos: digitsA.columns.includes('timestamp') || digitsB.columns.includes('timestamp'), numbered: false };
      const what = `comparing ${a.files.length} with ${b.files.length} Parquet file(s)`;
      const table = 'mes_data_diff';
      await db.run(joinSql(table, p, digitsA, digitsB, parts), what);
      let [row] = await db.rows(summarySql(table, common, parts, sampleLimit), what);
      // a key repeated on both sides: its rows pair up in order, which the plain join cannot do; number them
      const pairs = Number(row.changed) + Number(row.unchanged);
      if (pairs + Number(row.removed) !== totalA || pairs + Number(row.added) !== totalB) {
        parts.numbered = true;
        await db.run(`DROP TABLE ${table}`, what);
        await db.run(joinSql(table, p, digitsA, digitsB, parts), what);
        [row] = await db.rows(summarySql(table, common, parts, sampleLimit), what);
      }
      const dates = await db.rows(datesSql(table, p.rule), what);
      await db.run(`DROP TABLE ${table}`, what);
      options.progress?.(0.9, 'samples');
      const changed = Number(row.changed);
      const result: DiffResult = {
        key,
        schema,
        rows: { added: Number(row.added), removed: Number(row.removed), changed, unchanged: Number(row.unchanged) + shared.sharedRows, a: totalA + shared.sharedRows, b: totalB + shared.sharedRows },
        changedColumns: {},
        byDate: { ...ruleJson(p.rule), dates: dates.map((d) => ({ date: typeof d.dt === 'string' ? d.dt : null, added: Number(d.added), removed: Number(d.removed), changed: Number(d.changed) })) },
        samples: [],
      };
      // columns in the order diffTables meets them: by the first changed row, then by column order
      const columnOrder = common
        .map((name, k) => ({ name, k, n: Number(row[`n${k}`]), first: row[`m${k}`] === null ? null : skOf(row[`m${k}`]) }))
        .filter((c) => c.n > 0 && c.first !== null)
        .sort((x, y) => compareSk(x.first as SampleRef['sk'], y.first as SampleRef['sk']) || x.k - y.k);
      for (const c of columnOrder) result.changedColumns[c.name] = c.n;
      const refs: SampleRef[] = [];
      type Pick = { sk: unknown; afi: unknown; afr: unknown; bfi: unknown; bfr: unknown; d?: boolean[] };
      for (const s of (row.s_added as Pick[] | null) ?? []) refs.push({ kind: 'added', sk: skOf(s.sk), bFile: Number(s.bfi), bRow: Number(s.bfr) });
      for (const s of (row.s_removed as Pick[] | null) ?? []) refs.push({ kind: 'removed', sk: skOf(s.sk), aFile: Number(s.afi), aRow: Number(s.afr) });
      for (const s of (row.s_changed as Pick[] | null) ?? []) refs.push({ kind: 'changed', sk: skOf(s.sk), aFile: Number(s.afi), aRow: Number(s.afr), bFile: Number(s.bfi), bRow: Number(s.bfr), differs: s.d ?? [] });
      refs.sort((x, y) => compareSk(x.sk, y.sk));
      result.samples = await samplesOf(refs, a, b, key, common);
      return result;
    });
  }, options.signal);
}

/** The rule as the result names it. */
function ruleJson(rule: DateRule): Pick<DiffResult['byDate'], 'source' | 'session' | 'timeZone'> {
  return rule.kind === 'column' ? { source: 'column', session: null, timeZone: null } : { source: 'session', session: rule.template.id, timeZone: rule.template.timeZone };
}

/** Counts of the rows that differ, per trading date, from the table `joinSql` made. */
function datesSql(table: string, rule: DateRule): string {
  return `SELECT ${joinedDateSql(rule)} AS dt, coalesce(sum(n) FILTER (WHERE kind = 1), 0)::BIGINT AS added, coalesce(sum(n) FILTER (WHERE kind = 2), 0)::BIGINT AS removed, coalesce(sum(n) FILTER (WHERE kind = 0), 0)::BIGINT AS changed
FROM ${table} WHERE kind < 3 GROUP BY 1 ORDER BY 1 NULLS LAST`;
}

/**
 * The full join of the two sides on their key, kept in a temporary table as its rows that
 * differ (a row added or removed, or a pair with a changed column), each with its key, its
 * places, its trading date and which columns changed, and one row (kind 3) counting the
 * unchanged pairs. `where` bounds the rows of both sides.
 */
function joinSql(table: string, p: Prepared, digitsA: Digits, digitsB: Digits, parts: KeyParts, where = ''): string {
  const { a, b, common } = p;
  const nanosOf = (digits: Digits, prefix: 'a' | 'b', name: string) => (digits.columns.includes(name) ? `${prefix}.${sqlIdent(`n_${name}`)}` : null);
  const differs = common.map((name) => differsSql(name, a.fields.get(name) as Field, { a: nanosOf(digitsA, 'a', name), b: nanosOf(digitsB, 'b', name) }));
  const key = ['k_u', ...(parts.asset ? ['k_a'] : []), ...(parts.nanos ? ['k_r'] : []), ...(parts.numbered ? ['k_d'] : [])];
  const values = [
    `CASE WHEN a.fi IS NULL THEN 1 WHEN b.fi IS NULL THEN 2 ELSE 0 END AS kind`,
    ...key.map((k) => `coalesce(a.${k}, b.${k}) AS ${k}`),
    'a.fi AS afi',
    'a.fr AS afr',
    'b.fi AS bfi',
    'b.fr AS bfr',
    p.rule.kind === 'column' ? 'coalesce(b.dt, a.dt) AS dt' : 'coalesce(b.tn, a.tn) AS tn',
    ...differs.map((d, k) => `${d} AS d${k}`),
  ];
  const interesting = ['a.fi IS NULL', 'b.fi IS NULL', ...differs].join(' OR ');
  const names = ['kind', ...key, 'afi', 'afr', 'bfi', 'bfr', p.rule.kind === 'column' ? 'dt' : 'tn', ...differs.map((_, k) => `d${k}`)];
  return `CREATE TEMP TABLE ${table} AS
SELECT CASE WHEN i THEN kind ELSE 3 END AS kind, ${names.slice(1).map((n) => `CASE WHEN i THEN ${n} END AS ${n}`).join(', ')}, count(*) AS n
FROM (SELECT ${values.join(', ')}, (${interesting}) AS i
  FROM (${sideSql(a, common, digitsA, parts, p.rule, where)}) a FULL OUTER JOIN (${sideSql(b, common, digitsB, parts, p.rule, where)}) b ON ${key.map((k) => `a.${k} = b.${k}`).join(' AND ')})
GROUP BY ALL`;
}

/** Counts, the first change of each column and the first samples of each kind, from the table `joinSql` made. */
function summarySql(table: string, common: string[], parts: KeyParts, samples: number): string {
  const sk = `{'a': ${parts.asset ? 'k_a' : "''"}, 'u': k_u, 'r': ${parts.nanos ? 'k_r' : '0'}, 'd': ${parts.numbered ? 'k_d' : '1'}, 'f': coalesce(afi, bfi), 'w': coalesce(afr, bfr)}`;
  const d = common.map((_, k) => `d${k}`);
  const pick = (kind: number, extra = '') => `arg_min({'sk': ${sk}, 'afi': afi, 'afr': afr, 'bfi': bfi, 'bfr': bfr${extra}}, ${sk}, ${samples}) FILTER (WHERE kind = ${kind})`;
  return `SELECT coalesce(sum(n) FILTER (WHERE kind = 1), 0)::BIGINT AS added,
  coalesce(sum(n) FILTER (WHERE kind = 2), 0)::BIGINT AS removed,
  coalesce(sum(n) FILTER (WHERE kind = 0), 0)::BIGINT AS changed,
  coalesce(sum(n) FILTER (WHERE kind = 3), 0)::BIGINT AS unchanged,
  ${d.map((name, k) => `coalesce(sum(n) FILTER (WHERE kind = 0 AND ${name}), 0)::BIGINT AS n${k}, min(${sk}) FILTER (WHERE kind = 0 AND ${name}) AS m${k},`).join('\n  ')}
  ${pick(1)} AS s_added,
  ${pick(2)} AS s_removed,
  ${pick(0, `, 'd': [${d.join(', ')}]::BOOLEAN[]`)} AS s_changed
FROM ${table}`;
}

function skOf(value: unknown): SampleRef['sk'] {
  const s = value as { a: string; u: bigint; r: number; d: bigint; f: bigint; w: bigint };
  return [s.a, BigInt(s.u), Number(s.r), BigInt(s.d), BigInt(s.f), BigInt(s.w)];
}

function compareSk(x: SampleRef['sk'], y: SampleRef['sk']): number {
  if (x[0] !== y[0]) return x[0] < y[0] ? -1 : 1;
  for (let k = 1; k < x.length; k++) if (x[k] !== y[k]) return x[k] < y[k] ? -1 : 1;
  return 0;
}

/** The sampled rows read with our own reader, as diffTables writes them (a file's nearby rows in one read). */
async function samplesOf(refs: SampleRef[], a: Side, b: Side, key: string[], common: string[]): Promise<DiffSample[]> {
  const places = (side: 'a' | 'b') =>
    refs.flatMap((ref): [number, number][] => {
      const [file, row] = side === 'a' ? [ref.aFile, ref.aRow] : [ref.bFile, ref.bRow];
      return file === undefined || row === undefined ? [] : [[file, row]];
    });
  const [rowsA, rowsB] = [await rowsAt(a, places('a')), await rowsAt(b, places('b'))];
  const rowOf = (rows: Map<string, Record<string, JsonValue>>, file: number | undefined, row: number | undefined) => {
    const found = rows.get(`${file}:${row}`);
    if (!found) throw new CorruptedFileError(`row ${row} of file ${file} of a side could not be read again`, { file: file ?? null, row: row ?? null });
    return found;
  };
  const keyJson = (row: Record<string, JsonValue>) => Object.fromEntries(key.map((name) => [name, row[name] ?? null]));
  return refs.map((ref): DiffSample => {
    if (ref.kind === 'added') {
      const row = rowOf(rowsB, ref.bFile, ref.bRow);
      return { kind: 'added', key: keyJson(row), row };
    }
    if (ref.kind === 'removed') {
      const row = rowOf(rowsA, ref.aFile, ref.aRow);
      return { kind: 'removed', key: keyJson(row), row };
    }
    const [rowA, rowB] = [rowOf(rowsA, ref.aFile, ref.aRow), rowOf(rowsB, ref.bFile, ref.bRow)];
    const changes: Record<string, { a: JsonValue; b: JsonValue }> = {};
    common.forEach((name, k) => {
      if (ref.differs?.[k]) changes[name] = { a: rowA[name] ?? null, b: rowB[name] ?? null };
    });
    return { kind: 'changed', key: keyJson(rowA), changes };
  });
}

export type DiffRowsPage = ApiResponse<'diff.rows'>;
type DiffRowKind = DiffRowsPage['rows'][number]['kind'];
const KIND_CODE: Record<DiffRowKind, number> = { changed: 0, added: 1, removed: 2 };

/** A microsecond instant as a DuckDB literal of the column's type (TIMESTAMPTZ when the column is in UTC). */
function instantLiteral(us: bigint, field: Field): string {
  const seconds = us >= 0n ? us / 1_000_000n : -((-us + 999_999n) / 1_000_000n);
  const text = `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19).replace('T', ' ')}.${String(us - seconds * 1_000_000n).padStart(6, '0')}`;
  return (typeOf(field) as Timestamp).timezone ? `TIMESTAMPTZ '${text}+00'` : `TIMESTAMP '${text}'`;
}

/**
 * The rows of one trading date that differ between `filesA` and `filesB`, a page at a time
 * in key order, with both sides of each row read by our own reader (values as the table
 * shows them), and the counts of the date by kind: the same join and the same date rule as
 * `diffParquetFiles`, so they agree with its `byDate`. The instants of the date's rows on
 * either side (one query whose date test DuckDB prunes by) bound both sides of the join.
 * Answers null when the types need the table reader (as `diffParquetFiles`).
 */
export async function diffRowsOfDate(
  sideA: OpenFile[],
  sideB: OpenFile[],
  request: { date: string; kinds: DiffRowKind[]; offset: number; limit: number },
  options: Pick<DiffFilesOptions, 'sessionOf' | 'signal'> = {},
): Promise<DiffRowsPage | null> {
  const p = await prepare(sideA.map((f) => f.file), sideB.map((f) => f.file), options.sessionOf);
  if (!p) return null;
  const { a, b, key, common } = p;
  // only the files whose footers say they may hold what is asked (a version has a file per date)
  const keep = (which: (handle: ParquetHandle) => boolean) => {
    for (const [side, open] of [[a, sideA], [b, sideB]] as const) {
      const kept = open.filter((f) => which(f.handle)).map((f) => f.file);
      side.empty = kept.length === 0;
      side.files = side.empty ? [side.first.path] : kept;
    }
  };
  keep((handle) => mayHoldDate(handle, p.rule, request.date));
  const columns = [...[...b.types].map(([name, type]) => ({ name, type })), ...[...a.types].filter(([name]) => !b.types.has(name)).map(([name, type]) => ({ name, type }))];
  const page: DiffRowsPage = { date: request.date, key, source: p.rule.kind, counts: { added: 0, removed: 0, changed: 0 }, total: 0, offset: request.offset, columns, rows: [] };
  return withConnection(async (db) => {
    for (const side of [a, b]) if (side.files.length > 1 && !(await checkSameSchema(db, side.files))) return null;
    const what = `comparing the rows of ${request.date} in ${a.files.length} and ${b.files.length} Parquet file(s)`;
    const ts = `p.${sqlIdent('timestamp')}`;
    // a trading date lies within a day or two of its instants: a bound DuckDB prunes row groups by
    const day = BigInt(Date.parse(`${request.date}T00:00:00Z`)) * 1000n;
    const near = (side: Side) =>
      p.rule.kind === 'session' ? `${ts} >= ${instantLiteral(day - 2n * 86_400_000_000n, side.fields.get('timestamp') as Field)} AND ${ts} < ${instantLiteral(day + 2n * 86_400_000_000n, side.fields.get('timestamp') as Field)}` : '';
    // the side's rows of that date: instants and dates only, read without the digits (a microsecond is the bound's unit)
    const spanSql = (side: Side) => `SELECT min(u) AS lo, max(u) AS hi FROM (SELECT epoch_us(${ts}) AS u, ${dateSql(p.rule, side)} AS dt FROM read_parquet(${sqlFileList(side.files)}) p${side.empty ? ' WHERE FALSE' : near(side) ? ` WHERE ${near(side)}` : ''}) WHERE dt = ${sqlString(request.date)}`;
    const [sa] = await db.rows(spanSql(a), what);
    const [sb] = await db.rows(spanSql(b), what);
    const bounds = [sa, sb].filter((s) => s.lo !== null && s.lo !== undefined);
    if (bounds.length === 0) return page;
    const lo = bounds.map((s) => BigInt(s.lo as bigint)).reduce((x, y) => (y < x ? y : x));
    const hi = bounds.map((s) => BigInt(s.hi as bigint)).reduce((x, y) => (y > x ? y : x));
    // the partner of a row of the date has its instant, wherever its own date puts it
    keep((handle) => mayHoldInstants(handle, lo, hi));
    const [totalA, totalB] = [await rowCount(db, a.files), await rowCount(db, b.files)];
    return withDigits(p, options, [totalA, totalB], async (digitsA, digitsB) => {
      const parts: KeyParts = { asset: p.withAsset, nanos: digitsA.columns.includes('timestamp') || digitsB.columns.includes('timestamp'), numbered: true };
      const field = a.fields.get('timestamp') as Field;
      // the bounds on the raw column let DuckDB skip row groups; the one on epoch_us is exact
      const where = `p.${sqlIdent('timestamp')} >= ${instantLiteral(lo, field)} AND p.${sqlIdent('timestamp')} < ${instantLiteral(hi + 1n, field)} AND epoch_us(p.${sqlIdent('timestamp')}) BETWEEN ${lo} AND ${hi}`;
      const table = 'mes_data_diff_date';
      await db.run(joinSql(table, p, digitsA, digitsB, parts, where), what);
      try {
        const inDate = `kind < 3 AND ${joinedDateSql(p.rule)} = ${sqlString(request.date)}`;
        const [counts] = await db.rows(
          `SELECT coalesce(sum(n) FILTER (WHERE kind = 1), 0)::BIGINT AS added, coalesce(sum(n) FILTER (WHERE kind = 2), 0)::BIGINT AS removed, coalesce(sum(n) FILTER (WHERE kind = 0), 0)::BIGINT AS changed FROM ${table} WHERE ${inDate}`,
          what,
        );
        page.counts = { added: Number(counts.added), removed: Number(counts.removed), changed: Number(counts.changed) };
        page.total = request.kinds.reduce((sum, kind) => sum + page.counts[kind], 0);
        const order = [...(parts.asset ? ['k_a'] : []), 'k_u', ...(parts.nanos ? ['k_r'] : []), 'k_d', 'coalesce(afi, bfi)', 'coalesce(afr, bfr)'].join(', ');
        const picked = await db.rows(
          `SELECT kind, afi, afr, bfi, bfr, [${common.map((_, k) => `d${k}`).join(', ')}]::BOOLEAN[] AS d FROM ${table} WHERE ${inDate} AND kind IN (${request.kinds.map((kind) => KIND_CODE[kind]).join(', ')}) ORDER BY ${order} LIMIT ${request.limit} OFFSET ${request.offset}`,
          what,
        );
        const rowsA = await rowsAt(a, picked.filter((r) => r.afi !== null).map((r) => [Number(r.afi), Number(r.afr)]));
        const rowsB = await rowsAt(b, picked.filter((r) => r.bfi !== null).map((r) => [Number(r.bfi), Number(r.bfr)]));
        for (const r of picked) {
          const rowA = r.afi === null ? null : (rowsA.get(`${Number(r.afi)}:${Number(r.afr)}`) ?? null);
          const rowB = r.bfi === null ? null : (rowsB.get(`${Number(r.bfi)}:${Number(r.bfr)}`) ?? null);
          const differs = (r.d as boolean[] | null) ?? [];
          const kind = (Object.keys(KIND_CODE) as DiffRowKind[]).find((k) => KIND_CODE[k] === Number(r.kind)) as DiffRowKind;
          const keyOf = (rowB ?? rowA) as Record<string, JsonValue>;
          page.rows.push({ kind, key: Object.fromEntries(key.map((name) => [name, keyOf[name] ?? null])), a: rowA, b: rowB, changed: kind === 'changed' ? common.filter((_, k) => differs[k]) : [] });
        }
        return page;
      } finally {
        await db.run(`DROP TABLE ${table}`, what);
      }
    });
  }, options.signal);
}

/** A file of a side with its footer read. */
export interface OpenFile {
  file: string;
  handle: ParquetHandle;
}

/** Whether a file's row-group statistics allow rows of `date`: its `date` column's range holds it, or its instants lie within two days of it; a file without them may. */
function mayHoldDate(handle: ParquetHandle, rule: DateRule, date: string): boolean {
  const day = Date.parse(`${date}T00:00:00Z`);
  const column = rule.kind === 'column' ? 'date' : 'timestamp';
  return handle.info.rowGroups.length === 0 || handle.info.rowGroups.some((group) => {
    const chunk = group.columns.find((c) => c.name === column);
    if (!chunk || typeof chunk.min !== 'string' || typeof chunk.max !== 'string') return true;
    if (rule.kind === 'column') return chunk.min.slice(0, 10) <= date && date <= chunk.max.slice(0, 10);
    const [min, max] = [Date.parse(chunk.min), Date.parse(chunk.max)];
    return Number.isNaN(min) || Number.isNaN(max) || (max >= day - 2 * 86_400_000 && min < day + 2 * 86_400_000);
  });
}

/** Whether a file's timestamp statistics allow an instant in [lo, hi] (microseconds; ±1 ms for the statistics' rounding). */
function mayHoldInstants(handle: ParquetHandle, lo: bigint, hi: bigint): boolean {
  const [from, to] = [Number(lo / 1000n) - 1, Number(hi / 1000n) + 1];
  return handle.info.rowGroups.length === 0 || handle.info.rowGroups.some((group) => {
    const chunk = group.columns.find((c) => c.name === 'timestamp');
    if (!chunk || typeof chunk.min !== 'string' || typeof chunk.max !== 'string') return true;
    const [min, max] = [Date.parse(chunk.min), Date.parse(chunk.max)];
    return Number.isNaN(min) || Number.isNaN(max) || (max >= from && min <= to);
  });
}

/** Rows read far apart are read one by one; nearer ones as one span of their file. */
const SPAN_ROWS = 20_000;

/** The rows at (file, row) places of a side as JSON (the table reader's values), by `file:row`; a file's nearby rows are one read. */
async function rowsAt(side: Side, places: [number, number][]): Promise<Map<string, Record<string, JsonValue>>> {
  const out = new Map<string, Record<string, JsonValue>>();
  const byFile = new Map<number, number[]>();
  for (const [file, row] of places) byFile.set(file, [...(byFile.get(file) ?? []), row]);
  for (const [fileIndex, rows] of byFile) {
    const file = side.files[fileIndex];
    const handle = file === side.first.path ? side.first : await openParquetFile(file);
    rows.sort((x, y) => x - y);
    const put = (table: Table, start: number, wanted: number[]) => {
      for (const row of wanted) {
        const i = row - start;
        out.set(`${fileIndex}:${row}`, Object.fromEntries(table.schema.fields.map((f) => [f.name, vectorValueToJson(table.getChild(f.name) as NonNullable<ReturnType<Table['getChild']>>, i)])));
      }
    };
    const first = rows[0];
    const last = rows[rows.length - 1];
    if (last - first < SPAN_ROWS) put(await handle.readRows(first, last - first + 1), first, rows);
    else for (const row of rows) put(await handle.readRows(row, 1), row, [row]);
  }
  return out;
}
