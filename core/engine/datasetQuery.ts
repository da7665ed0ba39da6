import os from 'node:os';
import path from 'node:path';
import type { StatementType as DuckDBStatementType, DuckDBConnection, DuckDBInstance, DuckDBResultReader, DuckDBType } from '@duckdb/node-api';
import { TimeUnit, Type, type Data, type DataType, type Field, type Timestamp } from 'apache-arrow';
import { bigintToJson, epochToIso, numberToJson, type JsonValue } from '../arrow/arrowJson.js';
import { BadRequestError, MesDataError } from '../errors.js';
import type { ParquetHandle } from '../parquet/parquetFile.js';
import { duckdbModule, engineError, sqlFileList, sqlIdent, sqlString, withConnection, type EngineConnection } from './duckdbEngine.js';

/**
 * Sort, filter and read-only SQL over a dataset's Parquet files, through DuckDB: the whole
 * dataset is sorted and filtered, and one page of the result comes back with the total
 * count of matching rows, values in the JSON shape `rows.page` gives.
 *
 * Exactness: DuckDB reads a UTC nanosecond timestamp column as microseconds. The table mode
 * reads each page's nanosecond values with our own reader, by file and row number, so they
 * keep every digit; sorting and filtering compare them at microsecond precision (the
 * response names those columns in `microsecondCompare`). The SQL mode returns what DuckDB
 * computes: its timestamps are microseconds, and the response names the result columns
 * whose dataset column had nanoseconds (`microsecondColumns`).
 */

/** One file of the dataset: absolute path and its opened footer (for the nanosecond read-back). */
interface QueryFile {
  file: string;
  handle: ParquetHandle;
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

function planColumns(files: QueryFile[]): PlannedColumn[] {
  return files[0].handle.schema.fields.map((field) => ({ field, ...columnKind(field.type as DataType) }));
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

function scanOf(files: QueryFile[]): string {
  return `read_parquet(${sqlFileList(files.map((f) => f.file))}, file_row_number = true)`;
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

/**
 * One page of the dataset sorted and filtered as `query` says, and the count of rows that
 * match. Throws BAD_REQUEST naming an unknown column (and the columns there are) or a bound
 * that is not a number or an instant, CANCELLED when `signal` aborts.
 */
export async function queryTable(files: QueryFile[], query: TableQuery, signal?: AbortSignal): Promise<QueryPage> {
  const columns = planColumns(files);
  const where = whereClause(columns, query);
  const order = query.sort.map((s) => `${sqlIdent(findColumn(columns, s.column, 'sort').field.name)} ${s.descending ? 'DESC' : 'ASC'} NULLS LAST`);
  const nanos = columns.filter((c) => c.kind === 'nanos');
  const compared = new Set([...query.sort.map((s) => s.column), ...query.filters.map((f) => f.column), ...(query.time && (query.time.from !== undefined || query.time.to !== undefined) ? [timeColumn(columns, query.time.column).field.name] : [])]);
  return withConnection(async (connection) => {
    const scan = scanOf(files);
    const countRows = await connection.rows(`SELECT count(*)::BIGINT AS n FROM ${scan} ${where}`, 'counting the matching rows');
    const totalRows = Number(countRows[0]?.n ?? 0);
    const select = [...columns.map(selectExpression), FILE_INDEX, ROW_NUMBER].join(', ');
    // ties keep the dataset's own order (file, then row)
    const orderBy = [...order, FILE_INDEX, ROW_NUMBER].join(', ');
    const rows: JsonValue[][] = [];
    const places: { file: number; row: number }[] = [];
    if (query.limit > 0 && query.offset < totalRows) {
      await connection.stream(`SELECT ${select} FROM ${scan} ${where} ORDER BY ${orderBy} LIMIT ${query.limit} OFFSET ${query.offset}`, 'sorting and filtering the dataset', (chunk) => {
        const vectors = Array.from({ length: columns.length + 2 }, (_, k) => chunk.getColumnVector(k));
        for (let i = 0; i < chunk.rowCount; i++) {
          rows.push(columns.map((column, k) => (column.kind === 'nanos' ? null : jsonOf(column, vectors[k].getItem(i)))));
          places.push({ file: Number(vectors[columns.length].getItem(i)), row: Number(vectors[columns.length + 1].getItem(i)) });
        }
      });
    }
    if (nanos.length > 0 && rows.length > 0) await readNanos(files, columns, nanos, rows, places, signal);
    return {
      columns: columns.map((c) => ({ name: c.field.name, type: String(c.field.type) })),
      rows,
      totalRows,
      offset: query.offset,
      microsecondCompare: nanos.map((c) => c.field.name).filter((name) => compared.has(name)),
    };
  }, signal);
}

/** Fills the nanosecond columns of the page's rows from our own reader, file by file, over the span of rows the page needs. */
async function readNanos(files: QueryFile[], columns: PlannedColumn[], nanos: PlannedColumn[], rows: JsonValue[][], places: { file: number; row: number }[], signal?: AbortSignal): Promise<void> {
  const byFile = new Map<number, number[]>();
  places.forEach((place, i) => {
    const list = byFile.get(place.file) ?? [];
    list.push(i);
    byFile.set(place.file, list);
  });
  for (const [fileIndex, indexes] of byFile) {
    if (signal?.aborted) throw new MesDataError('CANCELLED', 'reading the nanosecond digits: cancelled');
    const file = files[fileIndex];
    if (!file) throw new MesDataError('INTERNAL', 'DuckDB named a file that is not in the dataset', { file: fileIndex });
    const from = Math.min(...indexes.map((i) => places[i].row));
    const to = Math.max(...indexes.map((i) => places[i].row));
    const table = await file.handle.readRows(from, to - from + 1, nanos.map((c) => c.field.name));
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
  files: QueryFile[],
  datasetPath: string,
  sql: string,
  page: { offset: number; limit: number },
  signal?: AbortSignal,
): Promise<SqlPage> {
  const views = viewNames(datasetPath);
  const statement = sql.trim().replace(/;\s*$/, '');
  return withSandboxTurn(async () => {
    const { instance, connection } = await sandbox(
      files.map((f) => f.file),
      views,
    );
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
        const nanoNames = new Set(planColumns(files).filter((c) => c.kind === 'nanos').map((c) => c.field.name));
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
  files: QueryFile[],
  datasetPath: string,
  source: { query: Pick<TableQuery, 'sort' | 'filters' | 'time'> } | { sql: string },
  target: string,
  format: 'csv' | 'parquet',
  signal?: AbortSignal,
): Promise<{ rows: number; capped: boolean; microsecond: string[] }> {
  // DuckDB reads nanosecond timestamps as microseconds, and writes them so
  const microsecond = planColumns(files).filter((c) => c.kind === 'nanos').map((c) => c.field.name);
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
    const columns = planColumns(files);
    const where = whereClause(columns, { filters: source.query.filters, time: source.query.time });
    const order = source.query.sort.map((s) => `${sqlIdent(findColumn(columns, s.column, 'sort').field.name)} ${s.descending ? 'DESC' : 'ASC'} NULLS LAST`);
    // ties keep the dataset's own order (file, then row), as in the table
    const orderBy = [...order, FILE_INDEX, ROW_NUMBER].join(', ');
    const select = `SELECT * EXCLUDE (${ROW_NUMBER}) FROM ${scanOf(files)} ${where} ORDER BY ${orderBy}`;
    const rows = await withConnection((connection) => copy(connection, select), signal);
    return { rows: Math.min(rows, EXPORT_ROW_CAP), capped: rows > EXPORT_ROW_CAP, microsecond };
  }
  // the user's statement runs in the sandbox, which may write the target and nothing else
  const statement = source.sql.trim().replace(/;\s*$/, '');
  return withSandboxTurn(async () => {
    const { instance, connection } = await sandbox(
      files.map((f) => f.file),
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
