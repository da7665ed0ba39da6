import os from 'node:os';
import path from 'node:path';
import type { StatementType as DuckDBStatementType, DuckDBConnection, DuckDBInstance, DuckDBResultReader, DuckDBType } from '@duckdb/node-api';
import { TimeUnit, Type, type Data, type DataType, type Field, type Schema, type Table, type Timestamp } from 'apache-arrow';
import { bigintToJson, epochToIso, numberToJson, type JsonValue } from '../arrow/arrowJson.js';
import { BadRequestError, MesDataError } from '../errors.js';
import { copyInt64, duckdbModule, engineError, sqlFileList, sqlIdent, sqlString, withConnection, type EngineConnection } from './duckdbEngine.js';
import { DOMAIN, readFileStats, type FileStats } from './fileStats.js';

/**
 * Sort, filter and read-only SQL over a dataset's Parquet files, through DuckDB: the whole
 * dataset is sorted and filtered, and one page of the result comes back with the total
 * count of matching rows, values in the JSON shape `rows.page` gives.
 *
 * Speed: DuckDB reads the files itself; our code reads each file's footer once per dataset
 * for its rows and its columns' ranges (fileStats.ts), which settle what they can before
 * DuckDB reads anything: the files that hold no matching row, the rows of the files wholly
 * inside the filters, the few files that reach a first sort page. A page is found by row
 * positions, then read: a first page is a top-N over the sort keys alone (DuckDB keeps a
 * heap, and reads no other column), a page further in comes from the query's whole sorted
 * order, made once by DuckDB and kept (`sortedOrders`), which a window's host makes in the
 * background after the first page; a page deep in a sort with no order made yet is selected
 * by its first key's value (`selectedPage`). The hundred rows of a page are then read from
 * the few files that hold them.
 *
 * Exactness: DuckDB reads a UTC nanosecond timestamp column as microseconds. The table mode
 * reads each page's nanosecond values with our own reader, by file and row number, so they
 * keep every digit; sorting and filtering compare them at microsecond precision (the
 * response names those columns in `microsecondCompare`). The SQL mode returns what DuckDB
 * computes: its timestamps are microseconds, and the response names the result columns
 * whose dataset column had nanoseconds (`microsecondColumns`).
 */

/**
 * What a query reads of a dataset: its files, their columns and, for the nanosecond
 * read-back, a reader of a span of one file's rows.
 */
export interface QuerySource {
  /** the Parquet files, absolute, in dataset order */
  files: string[];
  /** the columns (the first file's footer: a dataset's files share them) */
  schema(): Promise<Schema>;
  /** names the files and what was on disk when they were listed: another identity is another dataset to the sorted-order cache */
  identity: string;
  /** rows [from, from + count) of `files[file]`, only `columns` */
  readRows(file: number, from: number, count: number, columns: string[]): Promise<Table>;
}

interface QuerySort {
  column: string;
  descending: boolean;
}

type QueryFilter =
  | { column: string; kind: 'range'; min?: number | string; max?: number | string }
  | { column: string; kind: 'text'; match: 'contains' | 'equals'; value: string; caseSensitive?: boolean }
  | { column: string; kind: 'null'; isNull: boolean };

interface TableQuery {
  sort: QuerySort[];
  filters: QueryFilter[];
  /** instants (ISO 8601 UTC) on the timestamp column, both inclusive */
  time?: { column?: string; from?: number | string; to?: number | string };
  offset: number;
  limit: number;
}

interface QueryPage {
  columns: { name: string; type: string }[];
  rows: JsonValue[][];
  /** rows matching the query in the whole dataset */
  totalRows: number;
  offset: number;
  /** nanosecond columns compared (sorted, filtered) at microsecond precision; their values are exact */
  microsecondCompare: string[];
}

interface SqlPage {
  columns: { name: string; type: string }[];
  rows: JsonValue[][];
  totalRows: number;
  offset: number;
  /** the views the query could name */
  views: string[];
  /** result columns named like a nanosecond column of the dataset, which DuckDB gave as microseconds */
  microsecondColumns: string[];
}

/** The most rows an export writes. */
const EXPORT_ROW_CAP = 20_000_000;

const ROW_NUMBER = 'file_row_number';
/** DuckDB's virtual column: the position of a row's file in the list read */
const FILE_INDEX = 'file_index';
/**
 * A row's place in the dataset as one BIGINT: its file's index in the high 32 bits, its row
 * in the file in the low ones. Ordering by it is ordering by file, then row: the dataset's
 * own order, which breaks every tie of a sort.
 */
const POSITION = `((${FILE_INDEX}::BIGINT << 32) | ${ROW_NUMBER})`;
const ROW_BITS = 0xffffffffn;

type ColumnKind = 'number' | 'bigint' | 'text' | 'bool' | 'timestamp' | 'nanos' | 'other';

interface PlannedColumn {
  field: Field;
  kind: ColumnKind;
  /** Arrow TimeUnit of a timestamp column */
  unit: number;
}

function columnKind(type: DataType): { kind: ColumnKind; unit: number } {
  switch (type.typeId) {
    case Type.Float:
      return { kind: 'number', unit: 0 };
    case Type.Int:
      return { kind: (type as unknown as { bitWidth: number }).bitWidth === 64 ? 'bigint' : 'number', unit: 0 };
    case Type.Utf8:
    case Type.LargeUtf8:
      return { kind: 'text', unit: 0 };
    case Type.Bool:
      return { kind: 'bool', unit: 0 };
    case Type.Timestamp: {
      const unit = (type as Timestamp).unit;
      return { kind: unit === TimeUnit.NANOSECOND ? 'nanos' : 'timestamp', unit };
    }
    default:
      return { kind: 'other', unit: 0 };
  }
}

function planColumns(schema: Schema): PlannedColumn[] {
  return schema.fields.map((field) => ({ field, ...columnKind(field.type as DataType) }));
}

function findColumn(columns: PlannedColumn[], name: string, what: string): PlannedColumn {
  const column = columns.find((c) => c.field.name === name);
  if (!column) throw new BadRequestError(`${what}: no column "${name}"; the columns are ${columns.map((c) => c.field.name).join(', ')}`, { column: name, columns: columns.map((c) => c.field.name) });
  return column;
}

/** An instant (ISO 8601 with a zone, or ms since the epoch) as a TIMESTAMPTZ literal. */
function instantLiteral(value: number | string, column: string): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || Math.abs(value) > 8.64e15) throw new BadRequestError(`a time bound on "${column}" must be finite, not ${value}`, { column });
    return `${sqlString(new Date(value).toISOString())}::TIMESTAMPTZ`;
  }
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})$/.exec(value.trim());
  if (!match) throw new BadRequestError(`"${value}" is not an instant for "${column}": write it as 2024-01-02T14:30:00Z or with an offset (+01:00)`, { column, value });
  // DuckDB's TIMESTAMPTZ keeps microseconds: digits below them do not change a comparison's outcome but for ties
  const time = match[2].replace(/(\.\d{6})\d+$/, '$1');
  const zone = match[3] === 'Z' ? '+00:00' : match[3];
  return `${sqlString(`${match[1]} ${time}${zone}`)}::TIMESTAMPTZ`;
}

function numberLiteral(value: number | string, column: string): string {
  const number = typeof value === 'number' ? value : Number(value);
  if (typeof value === 'string' && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value.trim())) throw new BadRequestError(`"${value}" is not a number for "${column}"`, { column, value });
  if (!Number.isFinite(number)) throw new BadRequestError(`a bound on "${column}" must be a finite number, not ${String(value)}`, { column });
  // a 64-bit integer bound keeps its digits
  if (typeof value === 'string' && /^[+-]?\d+$/.test(value.trim())) return `${BigInt(value.trim())}`;
  return `${number}`;
}

function filterCondition(columns: PlannedColumn[], filter: QueryFilter): string {
  const column = findColumn(columns, filter.column, 'filter');
  const ident = sqlIdent(column.field.name);
  switch (filter.kind) {
    case 'null':
      return `${ident} IS ${filter.isNull ? '' : 'NOT '}NULL`;
    case 'text': {
      const value = sqlString(filter.value);
      const text = column.kind === 'text' ? ident : `CAST(${ident} AS VARCHAR)`;
      if (filter.match === 'equals') return filter.caseSensitive ? `${text} = ${value}` : `lower(${text}) = lower(${value})`;
      return filter.caseSensitive ? `contains(${text}, ${value})` : `contains(lower(${text}), lower(${value}))`;
    }
    case 'range': {
      const parts: string[] = [];
      const literal = (value: number | string) => {
        if (column.kind === 'timestamp' || column.kind === 'nanos') return instantLiteral(value, column.field.name);
        if (column.kind === 'number' || column.kind === 'bigint') return numberLiteral(value, column.field.name);
        if (column.kind === 'text') return sqlString(String(value));
        throw new BadRequestError(`column "${column.field.name}" (${String(column.field.type)}) takes no range filter`, { column: column.field.name });
      };
      if (filter.min !== undefined) parts.push(`${ident} >= ${literal(filter.min)}`);
      if (filter.max !== undefined) parts.push(`${ident} <= ${literal(filter.max)}`);
      return parts.length > 0 ? parts.join(' AND ') : 'TRUE';
    }
  }
}

function timeColumn(columns: PlannedColumn[], name: string | undefined): PlannedColumn {
  if (name !== undefined) {
    const column = findColumn(columns, name, 'time range');
    if (column.kind !== 'timestamp' && column.kind !== 'nanos') throw new BadRequestError(`time range: "${name}" is not a timestamp column (${String(column.field.type)})`, { column: name });
    return column;
  }
  const column = columns.find((c) => c.field.name === 'timestamp' && (c.kind === 'timestamp' || c.kind === 'nanos')) ?? columns.find((c) => c.kind === 'timestamp' || c.kind === 'nanos');
  if (!column) throw new BadRequestError(`time range: the dataset has no timestamp column; the columns are ${columns.map((c) => c.field.name).join(', ')}`, { columns: columns.map((c) => c.field.name) });
  return column;
}

/** The WHERE clause of a table query (column names checked against the dataset). */
function whereClause(columns: PlannedColumn[], query: Pick<TableQuery, 'filters' | 'time'>): string {
  const conditions = query.filters.map((filter) => `(${filterCondition(columns, filter)})`);
  if (query.time && (query.time.from !== undefined || query.time.to !== undefined)) {
    const column = timeColumn(columns, query.time.column);
    conditions.push(`(${filterCondition(columns, { column: column.field.name, kind: 'range', min: query.time.from, max: query.time.to })})`);
  }
  return conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
}

function selectExpression(column: PlannedColumn): string {
  const ident = sqlIdent(column.field.name);
  switch (column.kind) {
    case 'timestamp':
      return column.unit === 0 ? `epoch(${ident})::BIGINT` : column.unit === 1 ? `epoch_ms(${ident})` : `epoch_us(${ident})`;
    case 'nanos':
      return 'NULL';
    case 'other':
      return `CAST(${ident} AS VARCHAR)`;
    default:
      return ident;
  }
}

function scanOf(files: readonly string[]): string {
  return `read_parquet(${sqlFileList(files)}, file_row_number = true)`;
}

/**
 * The same files without the row numbers, for a count: DuckDB's count of the bench's filter
 * over 2,899 files took 1.06–1.39 s so against 1.46–2.09 s with them (load 17, alternately),
 * and the filter's first call 2.77–3.46 s against 2.94–4.66 s (load 18, alternately).
 */
function countScanOf(files: readonly string[]): string {
  return `read_parquet(${sqlFileList(files)})`;
}

function jsonOf(column: PlannedColumn, value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  switch (column.kind) {
    case 'number':
      return numberToJson(Number(value));
    case 'bigint':
      return bigintToJson(BigInt(value as bigint));
    case 'timestamp':
      return epochToIso(BigInt(value as bigint), column.unit);
    case 'bool':
      return value === true;
    default:
      return typeof value === 'string' ? value : (value as { toString(): string }).toString();
  }
}

// ── the sorted-order cache ──────────────────────────────────────────────────────────────

/**
 * Pages whose offset plus limit is at most this many rows come from a top-N query (DuckDB
 * keeps a heap of that many keys while it scans); a page further in comes from the query's
 * whole sorted order, made once and kept.
 */
const TOP_N_ROWS = 10_000;
/** Bytes of sorted orders kept (8 a row: 16 million rows, four orders of a 4M-row version), least recently used dropped first. */
const SORTED_ORDER_BYTES = 128 * 1024 * 1024;

interface OrderEntry {
  /** the positions in sorted order, once made */
  positions: BigInt64Array | null;
  made: Promise<BigInt64Array>;
  /** rows the order holds (counted before it is made): its bytes are 8 a row */
  rows: number;
  controller: AbortController;
  /** made ahead of a request (after a first page), not yet waited for: a newer one replaces it */
  speculative: boolean;
}

/**
 * The whole sorted order of a (dataset, filter, sort) question as row positions (see
 * POSITION), made by DuckDB in one sort and kept in this thread, so a page anywhere in it
 * is a slice and a read of the hundred rows it names. Keyed by the dataset's identity (its
 * files and what was on disk when they were listed), the WHERE and the ORDER BY: a changed
 * file or a new version is another key, and the old one ages out. At most `capBytes` are
 * kept, the least recently used order dropped first (one still being made is stopped); at
 * most one order is made ahead of time, a newer one stopping it.
 */
export class SortedOrders {
  private readonly entries = new Map<string, OrderEntry>();

  constructor(private readonly capBytes: number) {}

  /** Whether an order of `rows` rows may be kept at all. */
  fits(rows: number): boolean {
    return rows * 8 <= this.capBytes;
  }

  /** The order made for `key`, or null (not made, or still being made). */
  ready(key: string): BigInt64Array | null {
    const entry = this.entries.get(key);
    if (!entry?.positions) return null;
    this.touch(key, entry);
    return entry.positions;
  }

  /** Whether the order of `key` is kept or being made. */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /**
   * The order of `key`: the one kept, the one being made (joined), or a new one made by
   * `make`. `ahead` makes it ahead of any request for it (nothing waits for it yet).
   */
  order(key: string, rows: number, make: (signal: AbortSignal) => Promise<BigInt64Array>, ahead = false): Promise<BigInt64Array> {
    const known = this.entries.get(key);
    if (known) {
      if (!ahead) known.speculative = false;
      this.touch(key, known);
      return known.made;
    }
    if (ahead) this.stopAhead(key);
    const controller = new AbortController();
    const entry: OrderEntry = { positions: null, made: make(controller.signal), rows, controller, speculative: ahead };
    this.entries.set(key, entry);
    entry.made.then(
      (positions) => {
        entry.positions = positions;
        entry.rows = positions.length;
        entry.speculative = false;
        this.evict(key);
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    this.evict(key);
    return entry.made;
  }

  /** Stops the orders being made ahead of time, but `key`'s: the user asked another question, the cores are its. */
  stopAhead(key: string): void {
    for (const [other, entry] of this.entries) if (other !== key && entry.speculative && !entry.positions) this.drop(other, entry);
  }

  /** How many orders are kept or being made, and the bytes they hold (or will). */
  get size(): { orders: number; bytes: number } {
    let bytes = 0;
    for (const entry of this.entries.values()) bytes += entry.rows * 8;
    return { orders: this.entries.size, bytes };
  }

  /** Resolves when no order is being made (tests; a host about to close). */
  async settled(): Promise<void> {
    for (;;) {
      const making = [...this.entries.values()].filter((entry) => !entry.positions).map((entry) => entry.made.catch(() => undefined));
      if (making.length === 0) return;
      await Promise.all(making);
    }
  }

  /** Forgets every order, stopping those being made. */
  clear(): void {
    for (const [key, entry] of this.entries) this.drop(key, entry);
  }

  private touch(key: string, entry: OrderEntry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
  }

  private drop(key: string, entry: OrderEntry): void {
    if (this.entries.get(key) === entry) this.entries.delete(key);
    if (!entry.positions) entry.controller.abort();
  }

  /** Drops the least recently used orders (never `keep`) until the kept ones fit. */
  private evict(keep: string): void {
    for (const [key, entry] of this.entries) {
      if (this.size.bytes <= this.capBytes) return;
      if (key !== keep) this.drop(key, entry);
    }
  }
}

/** This thread's sorted orders (the host's: rows.query runs in its thread). */
export const sortedOrders = new SortedOrders(SORTED_ORDER_BYTES);

/** Counts of matching rows by dataset identity and WHERE, the most recent kept (a count is the same whatever the sort). */
const MATCH_COUNTS = 256;
const matchCounts = new Map<string, Promise<number>>();

function matchCount(key: string, count: () => Promise<number>): Promise<number> {
  let counted = matchCounts.get(key);
  if (counted) matchCounts.delete(key);
  else {
    counted = count();
    counted.catch(() => {
      if (matchCounts.get(key) === counted) matchCounts.delete(key);
    });
  }
  matchCounts.set(key, counted);
  while (matchCounts.size > MATCH_COUNTS) {
    const oldest = matchCounts.keys().next().value;
    if (oldest === undefined) break;
    matchCounts.delete(oldest);
  }
  return counted;
}

/** Streams a positions query's one BIGINT column into an array (grown if the count was short). */
async function readPositions(connection: EngineConnection, sql: string, expected: number, what: string): Promise<BigInt64Array> {
  let out = new BigInt64Array(Math.max(expected, 1));
  let at = 0;
  await connection.stream(sql, what, (chunk) => {
    if (at + chunk.rowCount > out.length) {
      const grown = new BigInt64Array(Math.max(out.length * 2, at + chunk.rowCount));
      grown.set(out.subarray(0, at));
      out = grown;
    }
    copyInt64(chunk, 0, out, at);
    at += chunk.rowCount;
  });
  return at === out.length ? out : out.slice(0, at);
}

// ── the files' ranges ──────────────────────────────────────────────────────────────────

/** Footer ranges kept per dataset identity, the most recent few (a 4M-row version of 2,899 files: about 2 MB). */
const STATS_KEPT = 8;
const statsKept = new Map<string, Promise<FileStats>>();

function statsOf(source: QuerySource): Promise<FileStats> {
  let stats = statsKept.get(source.identity);
  if (stats) statsKept.delete(source.identity);
  else {
    stats = readFileStats(source.files);
    stats.catch(() => {
      if (statsKept.get(source.identity) === stats) statsKept.delete(source.identity);
    });
  }
  statsKept.set(source.identity, stats);
  while (statsKept.size > STATS_KEPT) {
    const oldest = statsKept.keys().next().value;
    if (oldest === undefined) break;
    statsKept.delete(oldest);
  }
  return stats;
}

/** What a file's ranges say of a condition or a query: no row matches, some may, every row does. */
const NONE = 0;
const SOME = 1;
const ALL = 2;

/** The domain a column's ranges must have to be compared with its bounds, or null when its ranges are not used. */
function rangeDomain(column: PlannedColumn): number | null {
  if (column.kind === 'number') return (column.field.type as DataType).typeId === Type.Float ? DOMAIN.FLOAT : DOMAIN.NUMBER;
  if (column.kind === 'bigint') return DOMAIN.NUMBER;
  // an instant without a zone compares in the session's zone: not from the ranges
  if ((column.kind === 'timestamp' || column.kind === 'nanos') && (column.field.type as Timestamp).timezone) return DOMAIN.INSTANT;
  return null;
}

const SAFE_INTEGER = 2 ** 53;

/** A bound in its column's range domain (microseconds for an instant), or null when it cannot be compared exactly there. */
function boundValue(column: PlannedColumn, value: number | string): number | null {
  if (column.kind === 'timestamp' || column.kind === 'nanos') {
    if (typeof value === 'number') return value * 1000;
    const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})$/.exec(value.trim());
    if (!match) return null;
    const zone = match[5] === 'Z' ? 'Z' : match[5].length === 5 ? `${match[5].slice(0, 3)}:${match[5].slice(3)}` : match[5];
    const ms = Date.parse(`${match[1]}T${match[2]}:${match[3] ?? '00'}${zone}`);
    if (!Number.isFinite(ms)) return null;
    // the literal keeps microseconds (instantLiteral)
    return ms * 1000 + Number((match[4] ?? '').slice(0, 6).padEnd(6, '0'));
  }
  const number = Number(value);
  return Number.isFinite(number) && Math.abs(number) <= SAFE_INTEGER ? number : null;
}

/**
 * For each file, whether no row, some rows or every row matches the query's filters and
 * time range, from the footers' ranges (a file or condition they say nothing of: SOME).
 * The same comparisons as the WHERE: NULL matches no bound; NaN is greater than every number
 * in DuckDB, so it matches a lower bound alone and no upper bound, and a file whose writer
 * may leave a NaN out of its range (`nanSafe` unset) is counted as holding one.
 */
function fileVerdicts(stats: FileStats, columns: PlannedColumn[], query: Pick<TableQuery, 'filters' | 'time'>): Uint8Array {
  const n = stats.rows.length;
  const verdicts = new Uint8Array(n);
  for (let file = 0; file < n; file++) verdicts[file] = Number.isNaN(stats.rows[file]) ? SOME : stats.rows[file] === 0 ? NONE : ALL;
  const conditions: QueryFilter[] = [...query.filters];
  if (query.time && (query.time.from !== undefined || query.time.to !== undefined)) conditions.push({ column: timeColumn(columns, query.time.column).field.name, kind: 'range', min: query.time.from, max: query.time.to });
  for (const filter of conditions) {
    const column = findColumn(columns, filter.column, 'filter');
    const ranges = stats.columns.get(column.field.name);
    const domain = rangeDomain(column);
    let lo: number | null | undefined;
    let hi: number | null | undefined;
    if (filter.kind === 'range') {
      if (filter.min === undefined && filter.max === undefined) continue; // TRUE
      lo = filter.min === undefined ? undefined : domain === null ? null : boundValue(column, filter.min);
      hi = filter.max === undefined ? undefined : domain === null ? null : boundValue(column, filter.max);
    }
    for (let file = 0; file < n; file++) {
      if (verdicts[file] === NONE) continue;
      const rows = stats.rows[file];
      const nulls = ranges ? ranges.nulls[file] : NaN;
      let verdict: number = SOME;
      if (filter.kind === 'null') {
        if (!Number.isNaN(nulls)) verdict = nulls === 0 ? (filter.isNull ? NONE : ALL) : nulls === rows ? (filter.isNull ? ALL : NONE) : SOME;
      } else if (!Number.isNaN(nulls) && nulls === rows) {
        // nulls only: no bound and no text matches
        verdict = NONE;
      } else if (filter.kind === 'range' && ranges && lo !== null && hi !== null && ranges.domain[file] === domain && !Number.isNaN(ranges.min[file])) {
        const nan = domain === DOMAIN.FLOAT && stats.nanSafe[file] === 0;
        const min = ranges.min[file];
        const max = ranges.max[file];
        if ((hi !== undefined && min > hi) || (lo !== undefined && max < lo && (!nan || hi !== undefined))) verdict = NONE;
        else if (nulls === 0 && (lo === undefined || min >= lo) && (hi === undefined || (max <= hi && !nan))) verdict = ALL;
      }
      if (verdict === NONE) verdicts[file] = NONE;
      else if (verdict === SOME) verdicts[file] = SOME;
    }
  }
  return verdicts;
}

/** Positions of a scan over a part of the files (DuckDB numbers them in that list) as positions in the whole dataset. */
function inDataset(positions: BigInt64Array, part: readonly number[]): BigInt64Array {
  for (let k = 0; k < positions.length; k++) positions[k] = (BigInt(part[Number(positions[k] >> 32n)]) << 32n) | (positions[k] & ROW_BITS);
  return positions;
}

/** The files of a part of the dataset (indexes in dataset order), or all of them. */
interface Part {
  files: number[];
  whole: boolean;
}

/** A positions query over a part of the files, its positions given in the whole dataset. */
async function partPositions(source: QuerySource, part: Part, sql: (scan: string) => string, expected: number, what: string, signal?: AbortSignal): Promise<BigInt64Array> {
  if (part.files.length === 0) return new BigInt64Array(0);
  const scan = part.whole ? scanOf(source.files) : scanOf(part.files.map((file) => source.files[file]));
  const positions = await withConnection((connection) => readPositions(connection, sql(scan), expected, what), signal);
  return part.whole ? positions : inDataset(positions, part.files);
}

/**
 * The first `end` positions of a sorted query from the files whose range reaches them: the
 * files that rank best on the first sort key (greatest first for a descending one) until
 * they hold `end` rows give the `end`-th key of them, and no file whose range stays short of
 * it can hold a row of the page (a tie still counts: `>=`). Null keys sort last, and a NaN
 * first (descending) or after the numbers: a file that may hide a NaN is always read for a
 * descending key, and an `end`-th key that is null or NaN reads every file. Null when the
 * ranges cannot narrow the files (the caller reads them all).
 */
async function rangedPart(source: QuerySource, stats: FileStats, columns: PlannedColumn[], query: TableQuery, part: Part, where: string, orderBy: string, end: number, signal?: AbortSignal): Promise<Part | null> {
  const first = findColumn(columns, query.sort[0].column, 'sort');
  const domain = rangeDomain(first);
  const ranges = stats.columns.get(first.field.name);
  if (domain === null || !ranges || part.files.length < 2) return null;
  const descending = query.sort[0].descending;
  const hidesNaN = (file: number) => domain === DOMAIN.FLOAT && stats.nanSafe[file] === 0;
  const known = (file: number) => ranges.domain[file] === domain && !Number.isNaN(ranges.min[file]) && !(descending && hidesNaN(file));
  const ranked = part.files.filter(known).sort((a, b) => (descending ? ranges.max[b] - ranges.max[a] : ranges.min[a] - ranges.min[b]) || a - b);
  const ident = sqlIdent(first.field.name);
  const key = domain === DOMAIN.INSTANT ? `epoch_us(${ident})::DOUBLE` : `${ident}::DOUBLE`;
  // the best files until they hold `end` rows; a filter may match fewer of them: eight times as many rows, twice more
  let threshold: unknown = null;
  let reached = false;
  for (let wanted = end, attempt = 0; attempt < 3 && !reached; attempt++, wanted *= 8) {
    const seed: number[] = [];
    let held = 0;
    for (const file of ranked) {
      if (held >= wanted) break;
      seed.push(file);
      held += stats.rows[file];
    }
    if (held < end || seed.length >= part.files.length) return null;
    seed.sort((a, b) => a - b);
    const scan = scanOf(seed.map((file) => source.files[file]));
    const found = await withConnection((connection) => connection.rows(`SELECT ${key} AS k FROM ${scan} ${where} ORDER BY ${orderBy} LIMIT 1 OFFSET ${end - 1}`, 'ranking the files by their ranges'), signal);
    if (found.length === 1) {
      threshold = found[0].k;
      reached = true;
    }
    if (seed.length === ranked.length) break;
  }
  if (typeof threshold !== 'number' || Number.isNaN(threshold) || (domain !== DOMAIN.FLOAT && Math.abs(threshold) > SAFE_INTEGER)) return null;
  const files = part.files.filter((file) => {
    if (!known(file)) {
      // nulls only: after every key
      return ranges.nulls[file] !== stats.rows[file];
    }
    return descending ? ranges.max[file] >= threshold : ranges.min[file] <= threshold;
  });
  return { files, whole: files.length === source.files.length };
}

/** Classes of the first sort key's values that a page deep in a sort is selected by: bins of equal width between its least and greatest value. */
const SELECTION_BINS = 4096;
const NAN_CLASS = -1;
const NULL_CLASS = -2;

/**
 * A page deep in a sort that has no order made, without sorting the whole result: the first
 * sort key's values fall in SELECTION_BINS bins of equal width between the least and the
 * greatest value the files' ranges give (NaN and NULL a class each); one count per class
 * says which classes hold the page's rows and how many rows rank before them, and only the
 * rows of those classes are sorted. A bin follows its values' order (the bin of a larger
 * value is never smaller), NaN ranks above every number and NULL last, as in DuckDB's
 * order, so the rows of those classes are one run of the whole order. Null when the ranges
 * do not bound the key (a file without them, an infinity): the caller sorts the whole result.
 */
async function selectedPage(source: QuerySource, stats: FileStats, columns: PlannedColumn[], query: TableQuery, part: Part, where: string, orderBy: string, totalRows: number, signal?: AbortSignal): Promise<BigInt64Array | null> {
  const first = findColumn(columns, query.sort[0].column, 'sort');
  const domain = rangeDomain(first);
  const ranges = stats.columns.get(first.field.name);
  if (domain === null || !ranges) return null;
  let lo = Infinity;
  let hi = -Infinity;
  for (const file of part.files) {
    if (ranges.nulls[file] === stats.rows[file]) continue;
    if (ranges.domain[file] !== domain || Number.isNaN(ranges.min[file])) return null;
    lo = Math.min(lo, ranges.min[file]);
    hi = Math.max(hi, ranges.max[file]);
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || (domain !== DOMAIN.FLOAT && Math.max(Math.abs(lo), Math.abs(hi)) > SAFE_INTEGER)) return null;
  const ident = sqlIdent(first.field.name);
  const value = domain === DOMAIN.INSTANT ? `epoch_us(${ident})::DOUBLE` : `${ident}::DOUBLE`;
  const scale = hi > lo ? SELECTION_BINS / (hi - lo) : 0;
  const bin = `(CASE WHEN ${ident} IS NULL THEN ${NULL_CLASS} WHEN isnan(${value}) THEN ${NAN_CLASS} ELSE least(${SELECTION_BINS - 1}, greatest(0, floor((${value} - ${lo}) * ${scale})))::BIGINT END)`;
  const scan = part.whole ? scanOf(source.files) : scanOf(part.files.map((file) => source.files[file]));
  const counted = await withConnection((connection) => connection.rows(`SELECT ${bin} AS c, count(*)::BIGINT AS n FROM ${scan} ${where} GROUP BY ALL`, 'counting the rows by their first sort key'), signal);
  const counts = new Map(counted.map((row) => [Number(row.c), Number(row.n)]));
  if ([...counts.values()].reduce((sum, n) => sum + n, 0) !== totalRows) return null;
  const bins = Array.from({ length: SELECTION_BINS }, (_, k) => k);
  const classes = query.sort[0].descending ? [NAN_CLASS, ...bins.reverse(), NULL_CLASS] : [...bins, NAN_CLASS, NULL_CLASS];
  const end = Math.min(query.offset + query.limit, totalRows);
  const chosen: number[] = [];
  let before = 0;
  let seen = 0;
  for (const c of classes) {
    const n = counts.get(c) ?? 0;
    if (n === 0) continue;
    if (seen + n <= query.offset) {
      seen += n;
      before = seen;
      continue;
    }
    chosen.push(c);
    seen += n;
    if (seen >= end) break;
  }
  if (chosen.length === 0) return new BigInt64Array(0);
  const within = `${where ? `${where} AND` : 'WHERE'} ${bin} IN (${chosen.join(', ')})`;
  return partPositions(source, part, (partScan) => `SELECT ${POSITION} FROM ${partScan} ${within} ORDER BY ${orderBy} LIMIT ${query.limit} OFFSET ${query.offset - before}`, query.limit, 'sorting the rows of the page', signal);
}

/** The first `end` positions of a filter without a sort, in dataset order: files whose every row matches give their rows, the others are scanned a few at a time until there are enough. */
async function firstMatches(source: QuerySource, stats: FileStats, verdicts: Uint8Array, part: Part, where: string, end: number, signal?: AbortSignal): Promise<BigInt64Array> {
  const found: bigint[] = [];
  let at = 0;
  let run = 4;
  while (found.length < end && at < part.files.length) {
    const file = part.files[at];
    if (verdicts[file] === ALL) {
      for (let row = 0; row < stats.rows[file] && found.length < end; row++) found.push((BigInt(file) << 32n) | BigInt(row));
      at++;
      continue;
    }
    const files: number[] = [];
    while (at < part.files.length && files.length < run && verdicts[part.files[at]] !== ALL) files.push(part.files[at++]);
    const want = end - found.length;
    const positions = await partPositions(source, { files, whole: false }, (scan) => `SELECT ${POSITION} FROM ${scan} ${where} LIMIT ${want}`, want, 'filtering the dataset', signal);
    for (const position of positions) found.push(position);
    run *= 2;
  }
  return BigInt64Array.from(found);
}

/**
 * One page of the dataset sorted and filtered as `query` says, and the count of rows that
 * match. The files' footer ranges (fileStats.ts, read once per dataset) first settle what
 * they can: files no row of which can match are not read, the rows of files wholly inside
 * the filters are counted without a scan, and a first sort page is a top-N over the files
 * whose range reaches it (`rangedPart`). A first page (offset + limit within TOP_N_ROWS) is
 * a top-N query over the sort keys; with `ahead` (a window's host), the whole sorted order
 * of a result longer than TOP_N_ROWS is then made in the background, so that a page
 * anywhere after it answers from `sortedOrders`. A page further in than TOP_N_ROWS waits
 * for that order (or makes it). The page's rows are then read by their positions from the
 * files that hold them. `ranges: false` reads every file as if no footer said anything
 * (tests compare the two). Throws BAD_REQUEST naming an unknown column (and the columns
 * there are) or a bound that is not a number or an instant, CANCELLED when `signal` aborts.
 */
export async function queryTable(source: QuerySource, query: TableQuery, signal?: AbortSignal, options: { ahead?: boolean; ranges?: boolean } = {}): Promise<QueryPage> {
  const ranged = options.ranges !== false && source.files.length > 0;
  // the footers' ranges are read while the first file's schema is
  const reading = ranged ? statsOf(source) : null;
  reading?.catch(() => undefined);
  const columns = planColumns(await source.schema());
  const where = whereClause(columns, query);
  const order = query.sort.map((s) => `${sqlIdent(findColumn(columns, s.column, 'sort').field.name)} ${s.descending ? 'DESC' : 'ASC'} NULLS LAST`);
  const nanos = columns.filter((c) => c.kind === 'nanos');
  const compared = new Set([...query.sort.map((s) => s.column), ...query.filters.map((f) => f.column), ...(query.time && (query.time.from !== undefined || query.time.to !== undefined) ? [timeColumn(columns, query.time.column).field.name] : [])]);
  // ties keep the dataset's own order (file, then row)
  const orderBy = [...order, POSITION].join(', ');
  const mode = ranged ? 'ranges' : 'scan';
  const key = `${source.identity}\0${where}\0${orderBy}\0${mode}`;
  const stats = reading ? await waitFor(reading, signal) : null;
  const verdicts = stats ? fileVerdicts(stats, columns, query) : null;
  const all = Array.from(source.files, (_, k) => k);
  const files = verdicts ? all.filter((file) => verdicts[file] !== NONE) : all;
  const part: Part = { files, whole: files.length === source.files.length };
  // rows the ranges count (files wholly inside the filters), and the files whose rows must be counted by a scan
  let settled = 0;
  const unsettled: number[] = [];
  for (const file of files) {
    if (verdicts && stats && verdicts[file] === ALL) settled += stats.rows[file];
    else unsettled.push(file);
  }
  const count = () =>
    matchCount(`${source.identity}\0${where}\0${mode}`, async () => {
      if (unsettled.length === 0) return settled;
      const scan = countScanOf(unsettled.map((file) => source.files[file]));
      return settled + (await withConnection(async (connection) => Number((await connection.rows(`SELECT count(*)::BIGINT AS n FROM ${scan} ${where}`, 'counting the matching rows'))[0]?.n ?? 0), signal));
    });
  const sorted = (scan: string) => `SELECT ${POSITION} FROM ${scan} ${where} ORDER BY ${orderBy}`;
  const make = (rows: number) => (buildSignal: AbortSignal) => partPositions(source, part, sorted, rows, 'sorting the dataset', buildSignal);
  const end = query.offset + query.limit;
  let totalRows: number;
  let positions: BigInt64Array;
  const kept = sortedOrders.ready(key);
  if (kept) {
    totalRows = kept.length;
    positions = kept.subarray(Math.min(query.offset, totalRows), Math.min(end, totalRows));
  } else {
    sortedOrders.stopAhead(key);
    const counting = count();
    if (query.limit === 0) {
      totalRows = await counting;
      positions = new BigInt64Array(0);
    } else if (end <= TOP_N_ROWS) {
      // the count and the page at once: DuckDB runs both on its threads
      let page: Promise<BigInt64Array>;
      if (order.length === 0 && stats && verdicts) page = firstMatches(source, stats, verdicts, part, where, end, signal).then((found) => found.slice(query.offset));
      else if (order.length === 0) {
        // without a sort the dataset's order is the scan's (DuckDB keeps it): the first rows that match end the scan
        page = partPositions(source, part, (scan) => `SELECT ${POSITION} FROM ${scan} ${where} LIMIT ${query.limit} OFFSET ${query.offset}`, query.limit, 'filtering the dataset', signal);
      } else {
        page = (async () => {
          const narrowed = stats ? await rangedPart(source, stats, columns, query, part, where, orderBy, end, signal) : null;
          return partPositions(source, narrowed ?? part, (scan) => `${sorted(scan)} LIMIT ${query.limit} OFFSET ${query.offset}`, query.limit, 'sorting and filtering the dataset', signal);
        })();
      }
      [totalRows, positions] = await Promise.all([counting, page]);
    } else {
      totalRows = await counting;
      // a sort nobody asked before: the page's rows selected by their first key, the whole order made after it (ahead)
      const selected = query.offset < totalRows && stats && order.length > 0 && !sortedOrders.has(key) ? await selectedPage(source, stats, columns, query, part, where, orderBy, totalRows, signal) : null;
      if (query.offset >= totalRows) positions = new BigInt64Array(0);
      else if (selected) positions = selected;
      else if (!sortedOrders.fits(totalRows)) positions = await partPositions(source, part, (scan) => `${sorted(scan)} LIMIT ${query.limit} OFFSET ${query.offset}`, query.limit, 'sorting and filtering the dataset', signal);
      else {
        const whole = await waitFor(sortedOrders.order(key, totalRows, make(totalRows)), signal);
        positions = whole.subarray(query.offset, Math.min(end, whole.length));
      }
    }
    // the rest of the order, made while the user looks at this page
    // (a result within TOP_N_ROWS rows needs none: a top-N answers every page of it)
    if (options.ahead && totalRows > Math.max(end, TOP_N_ROWS) && sortedOrders.fits(totalRows)) sortedOrders.order(key, totalRows, make(totalRows), true).catch(() => undefined);
  }
  const places = Array.from(positions, (position) => ({ file: Number(position >> 32n), row: Number(position & ROW_BITS) }));
  const rows = places.length > 0 ? await readPlaces(source, columns, places, signal) : [];
  if (nanos.length > 0 && rows.length > 0) await readNanos(source, columns, nanos, rows, places, signal);
  return {
    columns: columns.map((c) => ({ name: c.field.name, type: String(c.field.type) })),
    rows,
    totalRows,
    offset: query.offset,
    microsecondCompare: nanos.map((c) => c.field.name).filter((name) => compared.has(name)),
  };
}

/** `work`, or CANCELLED as soon as `signal` aborts (the work itself goes on: another request may want it). */
function waitFor<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(new MesDataError('CANCELLED', 'the query was cancelled'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new MesDataError('CANCELLED', 'the query was cancelled'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** The rows at `places` (file index, row in the file), in that order: one DuckDB read of the files that hold them. */
async function readPlaces(source: QuerySource, columns: PlannedColumn[], places: { file: number; row: number }[], signal?: AbortSignal): Promise<JsonValue[][]> {
  const byFile = new Map<number, number[]>();
  for (const place of places) {
    if (!source.files[place.file]) throw new MesDataError('INTERNAL', 'DuckDB named a file that is not in the dataset', { file: place.file });
    const list = byFile.get(place.file) ?? [];
    list.push(place.row);
    byFile.set(place.file, list);
  }
  const files = [...byFile.keys()].sort((a, b) => a - b);
  // positions in the list of these files only (one IN list: a hundred ORs cost DuckDB a second)
  const wanted = files.flatMap((file, k) => [...new Set(byFile.get(file))].map((row) => (BigInt(k) << 32n) | BigInt(row)));
  const select = [...columns.map(selectExpression), FILE_INDEX, ROW_NUMBER].join(', ');
  const found = new Map<string, JsonValue[]>();
  await withConnection(
    (connection) =>
      connection.stream(`SELECT ${select} FROM ${scanOf(files.map((file) => source.files[file]))} WHERE ${POSITION} IN (${wanted.join(', ')})`, 'reading the rows of the page', (chunk) => {
        const vectors = Array.from({ length: columns.length + 2 }, (_, k) => chunk.getColumnVector(k));
        for (let i = 0; i < chunk.rowCount; i++) {
          const file = files[Number(vectors[columns.length].getItem(i))];
          found.set(`${file}:${Number(vectors[columns.length + 1].getItem(i))}`, columns.map((column, k) => (column.kind === 'nanos' ? null : jsonOf(column, vectors[k].getItem(i)))));
        }
      }),
    signal,
  );
  return places.map((place) => {
    const row = found.get(`${place.file}:${place.row}`);
    if (!row) throw new MesDataError('INTERNAL', `row ${place.row} of ${source.files[place.file]} was sorted but could not be read back`, { file: source.files[place.file], row: place.row });
    // each page row its own array: a position twice in a page cannot happen, but the rows stay independent
    return [...row];
  });
}

/** Fills the nanosecond columns of the page's rows from our own reader, file by file, over the span of rows the page needs. */
async function readNanos(source: QuerySource, columns: PlannedColumn[], nanos: PlannedColumn[], rows: JsonValue[][], places: { file: number; row: number }[], signal?: AbortSignal): Promise<void> {
  const byFile = new Map<number, number[]>();
  places.forEach((place, i) => {
    const list = byFile.get(place.file) ?? [];
    list.push(i);
    byFile.set(place.file, list);
  });
  for (const [fileIndex, indexes] of byFile) {
    if (signal?.aborted) throw new MesDataError('CANCELLED', 'reading the nanosecond digits: cancelled');
    const from = Math.min(...indexes.map((i) => places[i].row));
    const to = Math.max(...indexes.map((i) => places[i].row));
    const table = await source.readRows(fileIndex, from, to - from + 1, nanos.map((c) => c.field.name));
    for (const column of nanos) {
      const k = columns.indexOf(column);
      const vector = table.getChild(column.field.name);
      if (!vector) continue;
      for (const i of indexes) {
        const value = rawInt64(vector.data as readonly Data[], places[i].row - from);
        rows[i][k] = value === null ? null : epochToIso(value, 3);
      }
    }
  }
}

/** The 64-bit value at `index` of a column's chunks (Arrow JS gives timestamps as numbers otherwise), or null. */
function rawInt64(chunks: readonly Data[], index: number): bigint | null {
  let at = index;
  for (const data of chunks) {
    if (at < data.length) return data.getValid(at) ? (data.values as BigInt64Array)[at] : null;
    at -= data.length;
  }
  return null;
}

// ── the SQL mode ────────────────────────────────────────────────────────────────────────

/** The view names a dataset path binds: `dataset` always, and its asset or set name when the path has one (cleaned/MES/v1 → MES). */
export function viewNames(datasetPath: string): string[] {
  const parts = datasetPath.replace(/\\/g, '/').split('/').filter((p) => p !== '' && p !== '.');
  const layers = new Set(['raw', 'cleaned', 'features']);
  const named = parts.slice(layers.has(parts[0]) ? 1 : 0).find((part) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(part) && !/^v\d+$/.test(part) && part !== 'dataset');
  return named ? [named, 'dataset'] : ['dataset'];
}

/** Where in the user's text DuckDB says the error is, from its `LINE n:` excerpt and caret. */
function errorPosition(message: string, lineShift: number): { line: number; column: number } | null {
  const match = /\nLINE (\d+): (.*)\n( *)\^/.exec(message);
  if (!match) return null;
  const prefix = `LINE ${match[1]}: `.length;
  const line = Number(match[1]) - lineShift;
  if (line < 1) return null;
  const excerpt = match[2];
  // DuckDB shortens a long line with "..." at its start
  if (excerpt.startsWith('...')) return { line, column: -1 };
  return { line, column: match[3].length - prefix + 1 };
}

function queryError(error: unknown, sql: string, lineShift: number): MesDataError {
  if (error instanceof MesDataError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/INTERRUPT|interrupted/i.test(message)) return new MesDataError('CANCELLED', 'the query was cancelled');
  const position = errorPosition(message, lineShift);
  const first = message.split('\n')[0].replace(/^Failed to (extract statements|prepare statement): /, '');
  return new MesDataError('QUERY_ERROR', `the query failed: ${first}`, { duckdb: first, ...(position ? { line: position.line, column: position.column } : {}), sql: sql.length > 500 ? `${sql.slice(0, 500)}…` : sql });
}

/**
 * A DuckDB instance of its own for a user's SQL: the dataset's files are its only allowed
 * paths, the views are made, then external access is switched off and the configuration
 * locked, so no statement can read or write another file (COPY, ATTACH, read_csv, …).
 */
async function sandbox(files: string[], views: string[], writable: string[] = []): Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> {
  const instance = await duckdbModule().DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    memory_limit: process.env.MES_DATA_DUCKDB_MEMORY ?? '512MB',
    // spills go where the engine's do (a per-process folder of the OS's), not into the host's working folder
    temp_directory: path.join(os.tmpdir(), `mes-data-duckdb-${process.pid}`),
    preserve_insertion_order: 'true',
  });
  let connection: DuckDBConnection | null = null;
  try {
    connection = await instance.connect();
    await connection.run(`SET allowed_paths = [${[...files, ...writable].map(sqlString).join(', ')}]`);
    for (const view of views) await connection.run(`CREATE VIEW ${sqlIdent(view)} AS SELECT * FROM read_parquet(${sqlFileList(files)})`);
    await connection.run('SET enable_external_access = false');
    await connection.run('SET lock_configuration = true');
  } catch (error) {
    connection?.closeSync();
    instance.closeSync();
    throw engineError(error, 'preparing the query');
  }
  return { instance, connection };
}

/**
 * At most SANDBOXES_AT_ONCE users' SQL statements run at a time, each in an instance of its
 * own (memory limit and every core): more requests wait their turn, so a burst of queries
 * from the browser cannot multiply the host's memory. A waiter whose signal aborts leaves.
 */
const SANDBOXES_AT_ONCE = 2;
let sandboxesRunning = 0;
const sandboxWaiters: (() => void)[] = [];

async function withSandboxTurn<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  while (sandboxesRunning >= SANDBOXES_AT_ONCE) {
    if (signal?.aborted) throw new MesDataError('CANCELLED', 'the query was cancelled');
    await new Promise<void>((resolve) => {
      const wake = () => {
        signal?.removeEventListener('abort', wake);
        const at = sandboxWaiters.indexOf(wake);
        if (at >= 0) sandboxWaiters.splice(at, 1);
        resolve();
      };
      sandboxWaiters.push(wake);
      signal?.addEventListener('abort', wake);
    });
  }
  if (signal?.aborted) throw new MesDataError('CANCELLED', 'the query was cancelled');
  sandboxesRunning++;
  try {
    return await work();
  } finally {
    sandboxesRunning--;
    sandboxWaiters.shift()?.();
  }
}

function sqlValueToJson(type: DuckDBType, value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  const id = type.typeId;
  const T = duckdbModule().DuckDBTypeId;
  switch (id) {
    case T.BOOLEAN:
      return value === true;
    case T.TINYINT:
    case T.SMALLINT:
    case T.INTEGER:
    case T.UTINYINT:
    case T.USMALLINT:
    case T.UINTEGER:
    case T.FLOAT:
    case T.DOUBLE:
      return numberToJson(Number(value));
    case T.BIGINT:
    case T.UBIGINT:
      return bigintToJson(value as bigint);
    case T.TIMESTAMP:
    case T.TIMESTAMP_TZ:
      return epochToIso((value as { micros: bigint }).micros, 2);
    case T.TIMESTAMP_MS:
      return epochToIso((value as { millis: bigint }).millis, 1);
    case T.TIMESTAMP_S:
      return epochToIso((value as { seconds: bigint }).seconds, 0);
    case T.TIMESTAMP_NS:
      return epochToIso((value as { nanos: bigint }).nanos, 3);
    case T.VARCHAR:
      return value as string;
    default:
      // DuckDB's values (dates, decimals, intervals, lists…) print themselves as DuckDB does
      return (value as { toString(): string }).toString();
  }
}

/** Refuses anything but one SELECT (or WITH … SELECT) statement: BAD_REQUEST, or QUERY_ERROR when DuckDB cannot parse or bind it. */
async function checkedStatement(connection: DuckDBConnection, statement: string): Promise<void> {
  if (statement === '') throw new BadRequestError('the query is empty: write one SELECT statement', {});
  const types = duckdbModule().StatementType;
  let statementType: DuckDBStatementType;
  try {
    const statements = await connection.extractStatements(statement);
    if (statements.count !== 1) throw new BadRequestError(`the query holds ${statements.count} statements: write one SELECT statement`, { statements: statements.count });
    // refused before it is bound: a statement that names a file is not even looked up
    const serialized = (await connection.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR) AS j', [statement])).getRows()[0]?.[0];
    const parsed = JSON.parse(String(serialized)) as { error?: boolean; error_message?: string };
    if (parsed.error && /only SELECT/i.test(parsed.error_message ?? '')) {
      const name = /^\s*([A-Za-z]+)/.exec(statement)?.[1]?.toUpperCase() ?? 'not a SELECT';
      throw new BadRequestError(`only a SELECT (or WITH … SELECT) statement may run here; this one is ${name}`, { statementType: name });
    }
    const prepared = await statements.prepare(0);
    statementType = prepared.statementType;
    prepared.destroySync();
  } catch (error) {
    throw queryError(error, statement, 0);
  }
  if (statementType !== types.SELECT) {
    const name = types[statementType] ?? String(statementType);
    throw new BadRequestError(`only a SELECT (or WITH … SELECT) statement may run here; this one is ${name}`, { statementType: name });
  }
}

function resultRows(result: DuckDBResultReader): { columns: { name: string; type: string }[]; rows: JsonValue[][] } {
  const types = result.columnTypes();
  const columns = result.columnNames().map((name, k) => ({ name, type: types[k].toString() }));
  const rows = result.getRows().map((row) => row.map((value, k) => sqlValueToJson(types[k], value)));
  return { columns, rows };
}

/**
 * Runs one read-only statement (a SELECT or WITH … SELECT) over the dataset bound as views
 * (see `viewNames`) and answers one page of its result with the count of its rows. Anything
 * else (more than one statement, COPY, CREATE, ATTACH, SET, PRAGMA …) is BAD_REQUEST; what
 * DuckDB refuses or fails on is QUERY_ERROR with DuckDB's message and, when it gives one, the
 * line and column in `sql`; CANCELLED when `signal` aborts.
 */
export async function querySql(
  source: QuerySource,
  datasetPath: string,
  sql: string,
  page: { offset: number; limit: number },
  signal?: AbortSignal,
): Promise<SqlPage> {
  const views = viewNames(datasetPath);
  const statement = sql.trim().replace(/;\s*$/, '');
  return withSandboxTurn(async () => {
    const { instance, connection } = await sandbox(source.files, views);
    const onAbort = () => connection.interrupt();
    signal?.addEventListener('abort', onAbort);
    try {
      if (signal?.aborted) throw new MesDataError('CANCELLED', 'the query was cancelled');
      await checkedStatement(connection, statement);
      try {
        const counted = await connection.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM (\n${statement}\n)`);
        const totalRows = Number(counted.getRows()[0]?.[0] ?? 0);
        const result = await connection.runAndReadAll(`SELECT * FROM (\n${statement}\n) LIMIT ${page.limit} OFFSET ${page.offset}`);
        const { columns, rows } = resultRows(result);
        const nanoNames = new Set(planColumns(await source.schema()).filter((c) => c.kind === 'nanos').map((c) => c.field.name));
        return { columns, rows, totalRows, offset: page.offset, views, microsecondColumns: columns.filter((c) => nanoNames.has(c.name) && c.type.startsWith('TIMESTAMP')).map((c) => c.name) };
      } catch (error) {
        throw queryError(error, statement, 1);
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      connection.closeSync();
      instance.closeSync();
    }
  }, signal);
}

// ── export ──────────────────────────────────────────────────────────────────────────────

/**
 * Writes the rows of a table query (sorted and filtered, no paging) or of a SQL statement to
 * `target` as CSV or Parquet, at most EXPORT_ROW_CAP rows; answers the rows written. The
 * caller chooses `target` (inside the store's exports area or a path the host grants).
 */
export async function exportQuery(
  dataset: QuerySource,
  datasetPath: string,
  source: { query: Pick<TableQuery, 'sort' | 'filters' | 'time'> } | { sql: string },
  target: string,
  format: 'csv' | 'parquet',
  signal?: AbortSignal,
): Promise<{ rows: number; capped: boolean; microsecond: string[] }> {
  // DuckDB reads nanosecond timestamps as microseconds, and writes them so
  const microsecond = planColumns(await dataset.schema()).filter((c) => c.kind === 'nanos').map((c) => c.field.name);
  const options = format === 'csv' ? "(FORMAT csv, HEADER true, DATEFORMAT '%Y-%m-%d', TIMESTAMPFORMAT '%Y-%m-%dT%H:%M:%S.%fZ')" : '(FORMAT parquet, COMPRESSION zstd)';
  const copy = async (connection: EngineConnection | DuckDBConnection, select: string): Promise<number> => {
    const counted = `SELECT count(*)::BIGINT AS n FROM (\n${select}\n)`;
    const write = `COPY (SELECT * FROM (\n${select}\n) LIMIT ${EXPORT_ROW_CAP}) TO ${sqlString(target)} ${options}`;
    if ('raw' in connection) {
      const n = Number((await connection.rows(counted, 'counting the rows to export'))[0]?.n ?? 0);
      await connection.run(write, `writing ${target}`);
      return n;
    }
    const n = Number((await connection.runAndReadAll(counted)).getRows()[0]?.[0] ?? 0);
    await connection.run(write);
    return n;
  };
  if ('query' in source) {
    const columns = planColumns(await dataset.schema());
    const where = whereClause(columns, { filters: source.query.filters, time: source.query.time });
    const order = source.query.sort.map((s) => `${sqlIdent(findColumn(columns, s.column, 'sort').field.name)} ${s.descending ? 'DESC' : 'ASC'} NULLS LAST`);
    // ties keep the dataset's own order (file, then row), as in the table
    const orderBy = [...order, FILE_INDEX, ROW_NUMBER].join(', ');
    const select = `SELECT * EXCLUDE (${ROW_NUMBER}) FROM ${scanOf(dataset.files)} ${where} ORDER BY ${orderBy}`;
    const rows = await withConnection((connection) => copy(connection, select), signal);
    return { rows: Math.min(rows, EXPORT_ROW_CAP), capped: rows > EXPORT_ROW_CAP, microsecond };
  }
  // the user's statement runs in the sandbox, which may write the target and nothing else
  const statement = source.sql.trim().replace(/;\s*$/, '');
  return withSandboxTurn(async () => {
    const { instance, connection } = await sandbox(
      dataset.files,
      viewNames(datasetPath),
      [target, path.join(path.dirname(target), `tmp_${path.basename(target)}`)],
    );
    const onAbort = () => connection.interrupt();
    signal?.addEventListener('abort', onAbort);
    try {
      await checkedStatement(connection, statement);
      let rows: number;
      let resultMicrosecond: string[];
      try {
        // the result's columns that are the dataset's nanosecond ones, still timestamps
        const described = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM (\n${statement}\n)`)).getRows();
        resultMicrosecond = described.filter((row) => microsecond.includes(String(row[0])) && String(row[1]).startsWith('TIMESTAMP')).map((row) => String(row[0]));
        rows = await copy(connection, statement);
      } catch (error) {
        throw queryError(error, statement, 1);
      }
      return { rows: Math.min(rows, EXPORT_ROW_CAP), capped: rows > EXPORT_ROW_CAP, microsecond: resultMicrosecond };
    } finally {
      signal?.removeEventListener('abort', onAbort);
      connection.closeSync();
      instance.closeSync();
    }
  }, signal);
}
