import {
  Bool,
  DateDay,
  DateUnit,
  Precision,
  type DataType,
  Field,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  makeData,
  Schema,
  Table,
  TimeUnit,
  Timestamp,
  Type,
  Utf8,
  vectorFromArray,
  RecordBatch,
  Struct,
  type Data,
} from 'apache-arrow';
import { CorruptedFileError, MesDataError } from '../errors.js';
import { openParquetFile, type ParquetHandle } from '../parquet/parquetFile.js';
import { copyFloat64, copyInt64, sqlFileList, sqlIdent, withConnection, type EngineConnection } from './duckdbEngine.js';

/**
 * Reads many Parquet files as one Arrow table through DuckDB: the files are scanned in
 * parallel on DuckDB's threads and the columns land in typed arrays, in file order then row
 * order, typed as our own Parquet reader types them (so schema checks see the same types).
 * Used wherever a whole dataset is needed at once (validation, the promotion gate).
 *
 * Exactness: DuckDB reads Parquet TIMESTAMP(NANOS) as microseconds, so a nanosecond column
 * is read with our own reader instead (about 2 ms a file), which keeps every digit; every
 * other supported type is exact in DuckDB. Types this reader does not map (decimals,
 * nested, binary…) make it answer `null`, and the caller reads the files its old way.
 */

interface DatasetTableFile {
  /** absolute path */
  file: string;
  rows: number;
  /** first row of this file in the concatenated order */
  rowStart: number;
}

interface DatasetTable {
  table: Table;
  files: DatasetTableFile[];
  /** true when a timestamp column holds values with sub-microsecond digits */
  subMicrosecond: boolean;
}

interface ColumnPlan {
  field: Field;
  /** the SELECT expression DuckDB evaluates */
  expression: string;
  kind: 'float64' | 'float32' | 'int64' | 'int32' | 'int16' | 'int8' | 'timestamp' | 'nanos' | 'bool' | 'utf8' | 'date32';
}

function timestampExpression(name: string, unit: TimeUnit): string {
  const column = sqlIdent(name);
  switch (unit) {
    case TimeUnit.SECOND:
      return `epoch(${column})::BIGINT`;
    case TimeUnit.MILLISECOND:
      return `epoch_ms(${column})`;
    default:
      return `epoch_us(${column})`;
  }
}

/** How each column of the first file's Arrow schema is read, or null when one cannot be. */
function planColumns(schema: Schema, wanted: string[] | undefined): ColumnPlan[] | null {
  const plans: ColumnPlan[] = [];
  const fields = wanted ? wanted.map((name) => schema.fields.find((f) => f.name === name)).filter((f): f is Field => f !== undefined) : schema.fields;
  for (const field of fields) {
    const type = field.type as DataType;
    const column = sqlIdent(field.name);
    switch (type.typeId) {
      case Type.Float:
        if ((type as Float64).precision === Precision.DOUBLE) plans.push({ field, expression: column, kind: 'float64' });
        else if ((type as Float32).precision === Precision.SINGLE) plans.push({ field, expression: column, kind: 'float32' });
        else return null;
        break;
      case Type.Int: {
        const int = type as Int64;
        if (!int.isSigned) return null;
        const kind = ({ 64: 'int64', 32: 'int32', 16: 'int16', 8: 'int8' } as const)[int.bitWidth as 64 | 32 | 16 | 8];
        plans.push({ field, expression: column, kind });
        break;
      }
      case Type.Timestamp: {
        const unit = (type as Timestamp).unit;
        if (unit === TimeUnit.NANOSECOND) plans.push({ field, expression: 'NULL', kind: 'nanos' });
        else plans.push({ field, expression: timestampExpression(field.name, unit), kind: 'timestamp' });
        break;
      }
      case Type.Bool:
        plans.push({ field, expression: column, kind: 'bool' });
        break;
      case Type.Date:
        // days since 1970-01-01 (the date column format-2 cleaned files carry); Date64 is read the old way
        if ((type as DateDay).unit !== DateUnit.DAY) return null;
        plans.push({ field, expression: `CAST(date_diff('day', DATE '1970-01-01', ${column}) AS BIGINT)`, kind: 'date32' });
        break;
      case Type.Utf8:
        plans.push({ field, expression: column, kind: 'utf8' });
        break;
      default:
        return null;
    }
  }
  return plans;
}

/** Arrow's validity bitmap (1 = valid) from a byte-per-row null mask, or null when nothing is null. */
function validityBitmap(nulls: Uint8Array, n: number): Uint8Array | null {
  let any = false;
  for (let i = 0; i < n; i++) {
    if (nulls[i]) {
      any = true;
      break;
    }
  }
  if (!any) return null;
  const bitmap = new Uint8Array(Math.ceil(n / 8));
  for (let i = 0; i < n; i++) if (!nulls[i]) bitmap[i >> 3] |= 1 << (i & 7);
  return bitmap;
}

function nullCountOf(nulls: Uint8Array, n: number): number {
  let count = 0;
  for (let i = 0; i < n; i++) count += nulls[i];
  return count;
}

/** Same column names and types in every file (DuckDB's words), as one signature per file. */
export async function checkSameSchema(connection: EngineConnection, files: string[]): Promise<boolean> {
  const rows = await connection.rows(
    `SELECT count(DISTINCT signature) AS signatures FROM (SELECT file_name, string_agg(name || ':' || coalesce(duckdb_type, '') || ':' || coalesce(logical_type, ''), ',' ORDER BY column_id) AS signature FROM parquet_schema(${sqlFileList(files)}) GROUP BY file_name)`,
    'comparing the schemas of the files',
  );
  return Number(rows[0]?.signatures ?? 0) <= 1;
}

async function fileRowCounts(connection: EngineConnection, files: string[]): Promise<Map<string, number>> {
  const rows = await connection.rows(`SELECT file_name, num_rows FROM parquet_file_metadata(${sqlFileList(files)})`, 'reading the footers of the files');
  return new Map(rows.map((r) => [String(r.file_name), Number(r.num_rows)]));
}

/** One column's Arrow data from its buffer (float64 and int64 buffers are used as they are). */
function columnData(plan: ColumnPlan, buffer: Float64Array | BigInt64Array | Uint8Array | (string | null)[], length: number, nullBitmap: Uint8Array | null, nullCount: number): Data {
  const common = { length, nullBitmap, nullCount };
  switch (plan.kind) {
    case 'float64':
      return makeData({ type: new Float64(), data: buffer as Float64Array, ...common });
    case 'float32':
      return makeData({ type: new Float32(), data: Float32Array.from(buffer as Float64Array), ...common });
    case 'int64':
      return makeData({ type: new Int64(), data: buffer as BigInt64Array, ...common });
    case 'int32':
      return makeData({ type: new Int32(), data: Int32Array.from(buffer as BigInt64Array, Number), ...common });
    case 'int16':
      return makeData({ type: new Int16(), data: Int16Array.from(buffer as BigInt64Array, Number), ...common });
    case 'int8':
      return makeData({ type: new Int8(), data: Int8Array.from(buffer as BigInt64Array, Number), ...common });
    case 'date32':
      return makeData({ type: new DateDay(), data: Int32Array.from(buffer as BigInt64Array, Number), ...common });
    case 'timestamp':
    case 'nanos': {
      const ts = plan.field.type as Timestamp;
      return makeData({ type: new Timestamp(ts.unit, ts.timezone), data: buffer as BigInt64Array, ...common });
    }
    case 'bool': {
      const bytes = buffer as Uint8Array;
      const bits = new Uint8Array(Math.ceil(length / 8));
      for (let i = 0; i < length; i++) if (bytes[i]) bits[i >> 3] |= 1 << (i & 7);
      return makeData({ type: new Bool(), data: bits, ...common });
    }
    case 'utf8':
      return vectorFromArray(buffer as (string | null)[], new Utf8()).data[0];
  }
}

/** A run of consecutive rows of the files, as the whole read would hold them from `rowStart`. */
export interface DatasetChunk {
  table: Table;
  rowStart: number;
}

interface DatasetChunksRead {
  files: DatasetTableFile[];
  /** true when a timestamp column holds values with sub-microsecond digits */
  subMicrosecond: boolean;
  rows: number;
}

function newBuffer(plan: ColumnPlan, n: number): Float64Array | BigInt64Array | Uint8Array | (string | null)[] {
  switch (plan.kind) {
    case 'float64':
    case 'float32':
      return new Float64Array(n);
    case 'utf8':
      return new Array<string | null>(n);
    case 'bool':
      return new Uint8Array(n);
    default:
      return new BigInt64Array(n);
  }
}

/**
 * Reads `files` (absolute paths, in the order wanted) in chunks of consecutive rows, at most
 * `chunkRows` each (default: all of them in one), and hands each to `onChunk` in order before
 * reading on; answers null when a column has a type this reader does not map or the files do
 * not share one schema (then the caller reads them the old way, which reports such
 * differences as it always has). Nanosecond columns are read with our own reader, the rows of
 * each chunk only. `columns` limits the read to those names (missing ones are left out, as our
 * reader does). Throws CORRUPTED_FILE naming the file DuckDB could not read, and CANCELLED on
 * `signal`.
 */
export async function readDatasetChunks(
  files: string[],
  options: { columns?: string[]; signal?: AbortSignal; first?: ParquetHandle; chunkRows?: number },
  onChunk: (chunk: DatasetChunk) => void | Promise<void>,
): Promise<DatasetChunksRead | null> {
  if (files.length === 0) return null;
  const first = options.first ?? (await openParquetFile(files[0]));
  const plans = planColumns(first.schema, options.columns);
  if (!plans) return null;
  return withConnection(async (connection) => {
    if (files.length > 1 && !(await checkSameSchema(connection, files))) return null;
    const counts = files.length === 1 ? new Map([[files[0], first.numRows]]) : await fileRowCounts(connection, files);
    const tableFiles: DatasetTableFile[] = [];
    let total = 0;
    for (const file of files) {
      const rows = counts.get(file);
      if (rows === undefined) throw new CorruptedFileError(`no footer could be read from ${file}`, { file });
      tableFiles.push({ file, rows, rowStart: total });
      total += rows;
    }
    // DuckDB hands over vectors of up to 2,048 rows: a chunk holds at least one
    const capacity = Math.max(1, Math.min(total, Math.max(2048, Math.floor(options.chunkRows ?? total))));
    const handles = new Map<string, ParquetHandle>([[files[0], first]]);
    let subMicrosecond = false;
    let buffers = plans.map((plan) => newBuffer(plan, capacity));
    let nulls = plans.map(() => new Uint8Array(capacity));
    let fill = 0;
    let chunkStart = 0;
    let emitted = 0;
    const schemaOf = (children: Data[]) =>
      // the file's field names, nullability and metadata, as our own reader gives them
      new Schema(
        plans.map((plan, k) => new Field(plan.field.name, children[k].type, plan.field.nullable, plan.field.metadata)),
        first.schema.metadata,
      );

    /** The nanosecond columns of rows [chunkStart, chunkStart + fill), file by file. */
    const readNanos = async () => {
      for (const [k, plan] of plans.entries()) {
        if (plan.kind !== 'nanos') continue;
        // DuckDB would drop the sub-microsecond digits: our own reader keeps them
        const out = buffers[k] as BigInt64Array;
        const end = chunkStart + fill;
        for (const f of tableFiles) {
          if (f.rowStart + f.rows <= chunkStart || f.rowStart >= end || f.rows === 0) continue;
          if (options.signal?.aborted) throw new MesDataError('CANCELLED', 'reading the files: cancelled');
          let handle = handles.get(f.file);
          if (!handle) {
            handle = await openParquetFile(f.file);
            // a handle is only a footer: keep the few a chunk spans
            if (handles.size > 64) handles.clear();
            handles.set(f.file, handle);
          }
          const from = Math.max(chunkStart, f.rowStart);
          const to = Math.min(end, f.rowStart + f.rows);
          const part = from === f.rowStart && to === f.rowStart + f.rows ? await handle.readAll([plan.field.name]) : await handle.readRows(from - f.rowStart, to - from, [plan.field.name]);
          let offset = from - chunkStart;
          for (const batch of part.batches) {
            const data = batch.getChildAt(0)?.data[0];
            if (!data) continue;
            const values = data.values as BigInt64Array;
            for (let i = 0; i < data.length; i++) {
              if (!data.getValid(i)) {
                nulls[k][offset + i] = 1;
                out[offset + i] = 0n;
                continue;
              }
              const value = values[i];
              out[offset + i] = value;
              if (value % 1000n !== 0n) subMicrosecond = true;
            }
            offset += data.length;
          }
        }
      }
    };

    const flush = async () => {
      await readNanos();
      const children: Data[] = [];
      for (const [k, plan] of plans.entries()) {
        const buffer = buffers[k];
        const view = Array.isArray(buffer) ? (fill === buffer.length ? buffer : buffer.slice(0, fill)) : buffer.subarray(0, fill);
        const columnNulls = nulls[k].subarray(0, fill);
        const nullBitmap = validityBitmap(columnNulls, fill);
        const nullCount = nullBitmap ? nullCountOf(columnNulls, fill) : 0;
        children.push(columnData(plan, view, fill, nullBitmap, nullCount));
      }
      const schema = schemaOf(children);
      const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: fill, nullCount: 0, children }));
      const table = new Table(schema, [batch]);
      const rowStart = chunkStart;
      chunkStart += fill;
      emitted++;
      fill = 0;
      // the chunk keeps its buffers: the next one gets its own
      if (chunkStart < total) {
        buffers = plans.map((plan) => newBuffer(plan, Math.min(capacity, total - chunkStart)));
        nulls = plans.map(() => new Uint8Array(Math.min(capacity, total - chunkStart)));
      }
      await onChunk({ table, rowStart });
    };

    const streamed = plans.map((plan, k) => ({ plan, k })).filter(({ plan }) => plan.kind !== 'nanos');
    if (streamed.length > 0) {
      const select = streamed.map(({ plan }) => plan.expression).join(', ');
      let at = 0;
      await connection.stream(`SELECT ${select} FROM read_parquet(${sqlFileList(files)})`, files.length === 1 ? `reading ${files[0]}` : `reading ${files.length} Parquet file(s)`, async (chunk) => {
        const n = chunk.rowCount;
        if (at + n > total) throw new CorruptedFileError(`the files hold more rows than their footers say (${total})`, { files: files.length });
        if (fill + n > buffers[0].length) await flush();
        streamed.forEach(({ k }, column) => {
          const out = buffers[k];
          if (out instanceof Float64Array) copyFloat64(chunk, column, out, fill, nulls[k]);
          else if (out instanceof BigInt64Array) copyInt64(chunk, column, out, fill, nulls[k]);
          else {
            const vector = chunk.getColumnVector(column);
            for (let i = 0; i < n; i++) {
              const value = vector.getItem(i) as string | boolean | null;
              if (value === null) nulls[k][fill + i] = 1;
              if (out instanceof Uint8Array) out[fill + i] = value === true ? 1 : 0;
              else out[fill + i] = value as string | null;
            }
          }
        });
        fill += n;
        at += n;
      });
      if (at !== total) throw new CorruptedFileError(`read ${at} rows where the footers say ${total}`, { files: files.length });
      if (fill > 0 || emitted === 0) await flush();
    } else {
      // only nanosecond columns: chunks of the row counts alone
      while (chunkStart < total || emitted === 0) {
        fill = Math.min(capacity, total - chunkStart);
        await flush();
        if (total === 0) break;
      }
    }
    return { files: tableFiles, subMicrosecond, rows: total };
  }, options.signal);
}

/**
 * Reads `files` (absolute paths, in the order wanted) as one table, or answers null when a
 * column has a type this reader does not map or the files do not share one schema (see
 * `readDatasetChunks`, of which this is the one-chunk read). Throws as it does.
 */
export async function readDatasetTable(files: string[], options: { columns?: string[]; signal?: AbortSignal; first?: ParquetHandle } = {}): Promise<DatasetTable | null> {
  let table: Table | null = null;
  const read = await readDatasetChunks(files, options, (chunk) => {
    table = chunk.table;
  });
  if (!read || !table) return null;
  return { table, files: read.files, subMicrosecond: read.subMicrosecond };
}
