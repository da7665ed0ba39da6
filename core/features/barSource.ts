import { BadRequestError } from '../errors.js';
import { copyFloat64, sqlFileList, sqlIdent, type EngineConnection } from '../engine/duckdbEngine.js';

/** The OHLCV columns a feature set reads besides the timestamp. */
type BarColumn = 'open' | 'high' | 'low' | 'close' | 'volume';

/** One chunk of bars (at most 2,048, DuckDB's vector size); the arrays are reused between chunks. */
interface BarChunk {
  rows: number;
  /**
   * bar time, UTC microseconds since the epoch as DuckDB reads it (exact for whole
   * microseconds), as a double (exact below 2^53 µs, the year 2255); NaN where null
   */
  us: Float64Array;
  columns: Record<BarColumn, Float64Array>;
}

const CHUNK = 2048;

const TIMESTAMP_TYPES = /^TIMESTAMP( WITH TIME ZONE|_NS|_MS|_S)?$/;

/**
 * Checks that the first file has a timestamp and the wanted columns; throws BAD_REQUEST
 * naming the file and the missing column. Answers false when the timestamp is not a
 * timestamp type DuckDB can read as one (the caller then takes the exact in-memory path).
 */
export async function checkBarColumns(connection: EngineConnection, file: string, columns: readonly BarColumn[], what: string): Promise<boolean> {
  const described = await connection.rows(`DESCRIBE SELECT * FROM read_parquet(${sqlFileList([file])}, hive_partitioning = false)`, what);
  const types = new Map(described.map((row) => [String(row.column_name), String(row.column_type)]));
  for (const name of ['timestamp', ...columns]) {
    if (!types.has(name)) throw new BadRequestError(`features need an OHLCV table; column "${name}" is missing in ${file}`, { missing: name, file });
  }
  return TIMESTAMP_TYPES.test(types.get('timestamp') ?? '');
}

/**
 * How far DuckDB reads ahead of the consumer of a streaming result. Its default (about
 * 1 MB) keeps the scan waiting for the JS thread; 16 MB lets DuckDB's threads fill the
 * next chunks while the last ones are computed on: measured on 2,974 daily files of minute
 * bars (5 columns), 1.25 s instead of 3.2 s, with the same CPU and peak RSS (and 591 MB for
 * 25 years of bars, where holding the next 500,000 rows as a finished result took 728 MB).
 */
const READ_AHEAD = '16MB';

/**
 * Streams the bars of `files` (absolute paths with their row counts, read in the order
 * given, each in row order) through DuckDB: the timestamp in UTC microseconds and the wanted
 * columns as doubles (volume converted like `floatColumn` does; nulls become NaN, a null
 * timestamp NaN in `us`). `onChunk` must copy what it keeps. Sets the connection's
 * `streaming_buffer_size` (a session setting) to let DuckDB read ahead. Throws CANCELLED when
 * the connection's signal aborts, CORRUPTED_FILE / NOT_FOUND naming the file DuckDB could
 * not read.
 */
export async function streamBars(
  connection: EngineConnection,
  files: readonly { path: string; rows: number }[],
  columns: readonly BarColumn[],
  what: string,
  onChunk: (chunk: BarChunk) => void,
): Promise<void> {
  const chunk: BarChunk = {
    rows: 0,
    us: new Float64Array(CHUNK),
    columns: { open: new Float64Array(0), high: new Float64Array(0), low: new Float64Array(0), close: new Float64Array(0), volume: new Float64Array(0) },
  };
  for (const name of columns) chunk.columns[name] = new Float64Array(CHUNK);
  const selected = columns.map((name) => `${sqlIdent(name)}::DOUBLE`).join(', ');
  // the file list keeps the caller's order; insertion order is preserved by the engine's settings
  const sql = `SELECT epoch_us("timestamp")::DOUBLE AS us${selected ? `, ${selected}` : ''} FROM read_parquet(${sqlFileList(files.map((f) => f.path))}, hive_partitioning = false)`;
  await connection.run(`SET streaming_buffer_size = '${READ_AHEAD}'`, what);
  await connection.stream(sql, what, (data) => {
    chunk.rows = data.rowCount;
    copyFloat64(data, 0, chunk.us, 0);
    columns.forEach((name, k) => copyFloat64(data, k + 1, chunk.columns[name], 0));
    onChunk(chunk);
  });
}
