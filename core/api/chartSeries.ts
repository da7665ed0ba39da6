import type { DuckDBDataChunk } from '@duckdb/node-api';
import { BadRequestError, CorruptedFileError } from '../errors.js';
import { copyFloat64, engineError, sqlFileList, sqlIdent, sqlString, withConnection, type EngineConnection } from '../engine/duckdbEngine.js';
import type { ChartBar } from './contract.js';
import type { DatasetListing } from './datasetCache.js';


export interface ChartSeries {
  totalRows: number;
  bucketSeconds: number;
  downsampled: boolean;
  bars: ChartBar[];
  /** the feature columns asked for, each with one value per bar (null: none) */
  features?: FeatureSeries[];
}

/** A feature column drawn beside the bars: `values[i]` belongs to `bars[i]`. */
interface FeatureSeries {
  path: string;
  column: string;
  values: (number | null)[];
}

/** A feature column to draw with the bars: a dataset with a timestamp and that numeric column. */
interface FeatureSource {
  source: ChartSource;
  column: string;
}

/** Where the chart's data comes from: the dataset's files, and a place to keep what is computed from them. */
interface ChartSource {
  /** the dataset path, for messages */
  path: string;
  listing: DatasetListing;
  /** keeps a value for as long as the dataset's files are unchanged */
  derive: <T>(key: string, compute: () => Promise<T>) => Promise<T>;
}

const NICE_BUCKETS = [1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 21_600, 43_200, 86_400, 172_800, 604_800, 2_592_000];

/**
 * Pre-aggregation levels, in seconds: every round bucket at least this long is a whole
 * multiple of it, so a level's bucket falls inside exactly one bucket of the answer.
 */
const LEVELS = [1, 60, 3600, 86_400];
/** A dataset of up to this many rows is kept whole in memory (48 bytes a row). */
const ROWS_IN_MEMORY = 400_000;
/** A level is used when its buckets hold at least this many rows on average, and there are at most MAX_LEVEL_BUCKETS of them. */
const MIN_ROWS_PER_BUCKET = 8;
const MAX_LEVEL_BUCKETS = 250_000;
const US_PER_S = 1_000_000;

/**
 * Summaries of time spans of the dataset, in dataset row order within each: for a level,
 * one entry per bucket with data (sorted by bucket start); for a dataset kept in memory,
 * one entry per row (in row order, `start` = the row's time). Times in microseconds since
 * the epoch, UTC.
 */
interface Spans {
  /** 0 for rows in memory */
  seconds: number;
  count: number;
  start: Float64Array;
  n: Float64Array;
  firstRow: Float64Array;
  firstUs: Float64Array;
  /** the second row of the span (NaN when it has one row) */
  secondRow: Float64Array;
  secondUs: Float64Array;
  lastRow: Float64Array;
  lastUs: Float64Array;
  o: Float64Array;
  h: Float64Array;
  l: Float64Array;
  c: Float64Array;
  v: Float64Array;
}

interface FileSpan {
  file: string;
  rowStart: number;
  rows: number;
}

/** What a chart of one dataset needs from a full read, computed once while the files are unchanged. */
interface ChartIndex {
  totalRows: number;
  columns: ValueColumns;
  files: FileSpan[];
  spans: Spans;
}

/** Raw rows from the files, in row order. */
interface RawRows {
  count: number;
  row: Float64Array;
  us: Float64Array;
  o: Float64Array;
  h: Float64Array;
  l: Float64Array;
  c: Float64Array;
  v: Float64Array;
}

function emptySpans(seconds: number, capacity: number): Spans {
  const a = () => new Float64Array(capacity);
  return { seconds, count: 0, start: a(), n: a(), firstRow: a(), firstUs: a(), secondRow: a(), secondUs: a(), lastRow: a(), lastUs: a(), o: a(), h: a(), l: a(), c: a(), v: a() };
}

function spansFromRows(rows: RawRows): Spans {
  const nan = () => new Float64Array(rows.count).fill(Number.NaN);
  return {
    seconds: 0,
    count: rows.count,
    start: rows.us,
    n: new Float64Array(rows.count).fill(1),
    firstRow: rows.row,
    firstUs: rows.us,
    secondRow: nan(),
    secondUs: nan(),
    lastRow: rows.row,
    lastUs: rows.us,
    o: rows.o,
    h: rows.h,
    l: rows.l,
    c: rows.c,
    v: rows.v,
  };
}

/** Columns of a SELECT, each copied into a Float64Array that grows as chunks arrive. */
class FloatColumns {
  count = 0;
  columns: Float64Array[];
  constructor(
    width: number,
    private capacity = 4096,
  ) {
    this.columns = Array.from({ length: width }, () => new Float64Array(capacity));
  }
  /** Room for `n` more values in every column (capacity doubles). */
  private reserve(n: number): void {
    if (this.count + n <= this.capacity) return;
    while (this.count + n > this.capacity) this.capacity *= 2;
    this.columns = this.columns.map((old) => {
      const grown = new Float64Array(this.capacity);
      grown.set(old.subarray(0, this.count));
      return grown;
    });
  }
  add(chunk: DuckDBDataChunk): void {
    const n = chunk.rowCount;
    this.reserve(n);
    for (let k = 0; k < this.columns.length; k++) copyFloat64(chunk, k, this.columns[k], this.count);
    this.count += n;
  }
  /** Appends `n` values of each column. */
  addColumns(values: Float64Array[], n: number): void {
    this.reserve(n);
    for (let k = 0; k < this.columns.length; k++) this.columns[k].set(values[k].subarray(0, n), this.count);
    this.count += n;
  }
  take(k: number): Float64Array {
    return this.columns[k].subarray(0, this.count);
  }
}

/** SQL of a table of the dataset's files with their position (or first row) in the dataset. */
function fileTable(files: readonly string[], values: readonly number[], column: string): string {
  return `(VALUES ${files.map((file, k) => `(${sqlString(file)}, ${values[k]})`).join(', ')}) AS f(filename, ${column})`;
}

/** The columns a bar's open, high, low, close and volume come from (volume null: none, 0). */
interface ValueColumns {
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string | null;
  /** the timestamp is TIMESTAMP WITH TIME ZONE, so a window can be given to DuckDB's scan as one (row groups outside it are skipped) */
  zoned: boolean;
  /** a feature column: a null value is read as NaN (and answered as null), not as whatever the vector holds there */
  nullAsNaN?: boolean;
}

/**
 * The dataset's columns, checked: a timestamp, and open, high, low, close (and maybe volume)
 * for bars, or a price (and maybe a size, else a volume) for ticks, whose candles are the
 * first, highest, lowest and last price of each bucket.
 */
async function checkColumns(db: EngineConnection, source: ChartSource, feature?: string): Promise<ValueColumns> {
  const first = source.listing.files[0];
  const described = await db.rows(`DESCRIBE SELECT * FROM read_parquet(${sqlString(first)})`, `reading the columns of ${source.path}`);
  const types = new Map(described.map((row) => [String(row.column_name), String(row.column_type)]));
  const names = [...types.keys()];
  const ohlc = ['open', 'high', 'low', 'close'];
  if (!types.has('timestamp')) throw new BadRequestError(`a chart needs a "timestamp" column; ${source.path} has ${names.join(', ')}`, { path: source.path, missing: 'timestamp' });
  if (!/^TIMESTAMP/.test(types.get('timestamp') ?? '')) throw new BadRequestError(`"timestamp" in ${source.path} is not a timestamp column`, { path: source.path });
  const zoned = types.get('timestamp') === 'TIMESTAMP WITH TIME ZONE';
  if (feature !== undefined) {
    const type = types.get(feature);
    if (type === undefined) throw new BadRequestError(`${source.path} has no column "${feature}"; it has ${names.join(', ')}`, { path: source.path, missing: feature });
    if (!NUMERIC_TYPE.test(type)) throw new BadRequestError(`"${feature}" in ${source.path} is ${type}, not a number a chart can draw`, { path: source.path, column: feature, type });
    // a feature is drawn from its value in each bucket: the last one, as a candle's close
    return { open: feature, high: feature, low: feature, close: feature, volume: null, zoned, nullAsNaN: true };
  }
  if (!ohlc.every((name) => types.has(name)) && types.has('price')) {
    return { open: 'price', high: 'price', low: 'price', close: 'price', volume: types.has('size') ? 'size' : types.has('volume') ? 'volume' : null, zoned };
  }
  for (const needed of ohlc) {
    if (!types.has(needed)) throw new BadRequestError(`a chart needs a "${needed}" column (or a "price" column for ticks); ${source.path} has ${names.join(', ')}`, { path: source.path, missing: needed });
  }
  return { open: 'open', high: 'high', low: 'low', close: 'close', volume: types.has('volume') ? 'volume' : null, zoned };
}

function valueColumns(columns: ValueColumns, prefix = 'p.'): string {
  const column = (name: string) => (columns.nullAsNaN ? `coalesce(${prefix}${sqlIdent(name)}::DOUBLE, 'NaN'::DOUBLE)` : `${prefix}${sqlIdent(name)}::DOUBLE`);
  const volume = columns.volume ? column(columns.volume) : '0::DOUBLE';
  return `${column(columns.open)} AS o, ${column(columns.high)} AS h, ${column(columns.low)} AS l, ${column(columns.close)} AS c, ${volume} AS v`;
}

/** DuckDB's number types, which a feature column must have to be drawn. */
const NUMERIC_TYPE = /^(DOUBLE|FLOAT|REAL|DECIMAL|TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)\b/;

/** The place of a row in the dataset's files, as one number: the file's position × 2^32 + the row's place in the file. */
const FILE_KEY = 4_294_967_296;

/** Level buckets being gathered from rows that arrive in any order. */
class LevelBuilder {
  readonly spans: Spans;
  private readonly at = new Map<number, number>();
  private lastStart = Number.NaN;
  private lastAt = -1;
  constructor(
    readonly seconds: number,
    capacity = 1024,
  ) {
    this.spans = emptySpans(seconds, capacity);
  }
  add(key: number, us: number, o: number, h: number, l: number, c: number, v: number): void {
    const start = Math.floor(us / (this.seconds * US_PER_S)) * this.seconds * US_PER_S;
    let i = start === this.lastStart ? this.lastAt : (this.at.get(start) ?? -1);
    const s = this.spans;
    if (i < 0) {
      if (s.count === s.start.length) this.grow();
      i = s.count++;
      this.at.set(start, i);
      s.start[i] = start;
      s.n[i] = 1;
      s.firstRow[i] = key;
      s.firstUs[i] = us;
      s.secondRow[i] = Number.NaN;
      s.secondUs[i] = Number.NaN;
      s.lastRow[i] = key;
      s.lastUs[i] = us;
      s.o[i] = o;
      s.h[i] = h;
      s.l[i] = l;
      s.c[i] = c;
      s.v[i] = v;
    } else {
      s.n[i]++;
      if (key < s.firstRow[i]) {
        s.secondRow[i] = s.firstRow[i];
        s.secondUs[i] = s.firstUs[i];
        s.firstRow[i] = key;
        s.firstUs[i] = us;
        s.o[i] = o;
      } else if (!(key >= s.secondRow[i])) {
        s.secondRow[i] = key;
        s.secondUs[i] = us;
      }
      if (key > s.lastRow[i]) {
        s.lastRow[i] = key;
        s.lastUs[i] = us;
        s.c[i] = c;
      }
      if (h > s.h[i]) s.h[i] = h;
      if (l < s.l[i]) s.l[i] = l;
      s.v[i] += v;
    }
    this.lastStart = start;
    this.lastAt = i;
  }
  private grow(): void {
    const s = this.spans as unknown as Record<string, Float64Array>;
    for (const field of ['start', 'n', 'firstRow', 'firstUs', 'secondRow', 'secondUs', 'lastRow', 'lastUs', 'o', 'h', 'l', 'c', 'v']) {
      const grown = new Float64Array(s[field].length * 2);
      grown.set(s[field]);
      s[field] = grown;
    }
  }
  /** The buckets sorted by start, with keys turned into dataset rows. */
  finish(rowOf: (key: number) => number): Spans {
    const s = this.spans;
    const order = Array.from({ length: s.count }, (_, i) => i).sort((a, b) => s.start[a] - s.start[b]);
    const out = emptySpans(this.seconds, s.count);
    out.count = s.count;
    const fields: (keyof Spans)[] = ['start', 'n', 'firstRow', 'firstUs', 'secondRow', 'secondUs', 'lastRow', 'lastUs', 'o', 'h', 'l', 'c', 'v'];
    for (const field of fields) {
      const from = s[field] as Float64Array;
      const to = out[field] as Float64Array;
      for (let k = 0; k < order.length; k++) to[k] = from[order[k]];
    }
    for (let k = 0; k < out.count; k++) {
      out.firstRow[k] = rowOf(out.firstRow[k]);
      out.secondRow[k] = rowOf(out.secondRow[k]);
      out.lastRow[k] = rowOf(out.lastRow[k]);
    }
    return out;
  }
}

/**
 * Reads the dataset once, in one scan streamed from DuckDB: each file's row count, one level
 * of buckets (its size chosen from the row count and time span that the first and last
 * files suggest), and every row while there are no more than `rowsInMemory`. Row numbers
 * follow the listing's file order, as Dataset.open numbers them.
 */
async function buildIndex(db: EngineConnection, source: ChartSource, rowsInMemory: number, feature?: string): Promise<ChartIndex> {
  const { files } = source.listing;
  const columns = await checkColumns(db, source, feature);
  const what = `reading ${source.path} for a chart`;
  const { estimate, seconds } = await levelOf(db, source);
  // many rows: DuckDB gathers the level's buckets itself, and only they reach JavaScript
  if (estimate > rowsInMemory) return aggregatedIndex(db, source, columns, seconds);
  const level = new LevelBuilder(seconds);
  const counts = new Float64Array(files.length);
  // every row, while they are few: key, µs, o, h, l, c, v
  let kept: FloatColumns | null = new FloatColumns(7);
  const chunkColumns = new FloatColumns(8, 2048);
  let total = 0;
  // a missing time as NaN (the copy into Float64Arrays leaves a null's slot as it finds it)
  await db.stream(
    `SELECT file_index::DOUBLE, file_row_number::DOUBLE, coalesce(epoch_us("timestamp")::DOUBLE, 'NaN'::DOUBLE), ${valueColumns(columns, '')}
     FROM read_parquet(${sqlFileList(files)}, file_row_number = true)`,
    what,
    (chunk) => {
      chunkColumns.count = 0;
      chunkColumns.add(chunk);
      const [fi, frn, us, o, h, l, c, v] = chunkColumns.columns;
      const n = chunk.rowCount;
      total += n;
      const keys = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        counts[fi[i]]++;
        keys[i] = fi[i] * FILE_KEY + frn[i];
        // a row without a time has no place on a chart, but counts in totalRows
        if (!Number.isNaN(us[i])) level.add(keys[i], us[i], o[i], h[i], l[i], c[i], v[i]);
      }
      if (kept && total > rowsInMemory) kept = null;
      if (kept) kept.addColumns([keys, us, o, h, l, c, v], n);
    },
  );
  const fileSpans = fileSpansOf(files, counts);
  const rowOf = (key: number) => {
    if (Number.isNaN(key)) return Number.NaN;
    const file = Math.floor(key / FILE_KEY);
    return fileSpans[file].rowStart + (key - file * FILE_KEY);
  };
  if (!kept) return { totalRows: total, columns, files: fileSpans, spans: level.finish(rowOf) };
  // few rows: keep them all, in dataset order, without their missing times
  const [keys, us, o, h, l, c, v] = [0, 1, 2, 3, 4, 5, 6].map((k) => (kept as FloatColumns).take(k));
  const order = Array.from({ length: kept.count }, (_, i) => i).filter((i) => !Number.isNaN(us[i]));
  const rows = order.map((i) => rowOf(keys[i]));
  const byRow = order.map((_, k) => k).sort((a, b) => rows[a] - rows[b]);
  const pickAll = (values: Float64Array) => Float64Array.from(byRow, (k) => values[order[k]]);
  const sorted: RawRows = { count: byRow.length, row: Float64Array.from(byRow, (k) => rows[k]), us: pickAll(us), o: pickAll(o), h: pickAll(h), l: pickAll(l), c: pickAll(c), v: pickAll(v) };
  return { totalRows: total, columns, files: fileSpans, spans: spansFromRows(sorted) };
}

/** The rows a dataset holds, as its first and last files suggest, and the level of buckets its index keeps. */
async function levelOf(db: EngineConnection, source: ChartSource): Promise<{ estimate: number; seconds: number }> {
  const { files } = source.listing;
  const ends = files.length > 1 ? [files[0], files[files.length - 1]] : [files[0]];
  const [probe] = await db.rows(
    `SELECT count(*)::DOUBLE AS n, min(epoch_us("timestamp"))::DOUBLE AS lo, max(epoch_us("timestamp"))::DOUBLE AS hi FROM read_parquet(${sqlFileList(ends)})`,
    `reading ${source.path} for a chart`,
  );
  const estimate = Math.max(1, ((probe.n as number) / ends.length) * files.length);
  const spanSeconds = Math.max(1, ((probe.hi as number) - (probe.lo as number)) / US_PER_S || 1);
  const seconds = LEVELS.find((s) => spanSeconds / s <= estimate / MIN_ROWS_PER_BUCKET && spanSeconds / s <= MAX_LEVEL_BUCKETS) ?? LEVELS[LEVELS.length - 1];
  return { estimate, seconds };
}

/** Each file's row count, from the footers. */
async function footerCounts(db: EngineConnection, source: ChartSource): Promise<FileSpan[]> {
  const { files } = source.listing;
  const footers = await db.rows(`SELECT file_name, num_rows FROM parquet_file_metadata(${sqlFileList(files)})`, `reading ${source.path} for a chart`);
  const byFile = new Map(footers.map((row) => [String(row.file_name), Number(row.num_rows)]));
  const counts = Float64Array.from(files, (file) => {
    const rows = byFile.get(file);
    if (rows === undefined) throw new CorruptedFileError(`no footer could be read from ${file}`, { file });
    return rows;
  });
  return fileSpansOf(files, counts);
}

/**
 * The indexes of several feature columns of one dataset. A large one is read once for all
 * of them: one level of buckets, each with its row count, first and last row and each
 * column's last value (by dataset order; NaN for null) — what a feature is drawn from. A
 * small one keeps its rows, column by column (buildIndex).
 */
async function featureIndexes(db: EngineConnection, source: ChartSource, features: readonly string[], rowsInMemory: number): Promise<Map<string, ChartIndex>> {
  const checked = new Map<string, ValueColumns>();
  for (const feature of features) checked.set(feature, await checkColumns(db, source, feature));
  const { estimate, seconds } = await levelOf(db, source);
  const out = new Map<string, ChartIndex>();
  if (estimate <= rowsInMemory) {
    for (const feature of features) out.set(feature, await buildIndex(db, source, rowsInMemory, feature));
    return out;
  }
  const fileSpans = await footerCounts(db, source);
  const bucketUs = seconds * US_PER_S;
  const columns = new FloatColumns(6 + features.length);
  const values = features.map((feature, k) => `coalesce(${sqlIdent(feature)}::DOUBLE, 'NaN'::DOUBLE) AS c${k}`).join(', ');
  await db.stream(
    `WITH r AS (
       SELECT file_index * ${FILE_KEY} + file_row_number AS k, epoch_us("timestamp")::DOUBLE AS us, ${values}
       FROM read_parquet(${sqlFileList(source.listing.files)}, file_row_number = true) WHERE "timestamp" IS NOT NULL)
     SELECT floor(us / ${bucketUs}) * ${bucketUs} AS start, count(*)::DOUBLE, min(k)::DOUBLE, arg_min(us, k), max(k)::DOUBLE, arg_max(us, k), ${features.map((_, k) => `arg_max(c${k}, k)`).join(', ')}
     FROM r GROUP BY start ORDER BY start`,
    `reading ${source.path} for a chart`,
    (chunk) => columns.add(chunk),
  );
  const rowOf = (key: number) => {
    const file = Math.floor(key / FILE_KEY);
    return fileSpans[file].rowStart + (key - file * FILE_KEY);
  };
  const [start, n, firstRow, firstUs, lastRow, lastUs] = Array.from({ length: 6 }, (_, k) => columns.take(k));
  for (const rows of [firstRow, lastRow]) for (let i = 0; i < rows.length; i++) rows[i] = rowOf(rows[i]);
  const none = new Float64Array(columns.count).fill(Number.NaN);
  const zeros = new Float64Array(columns.count);
  const totalRows = fileSpans.reduce((sum, f) => sum + f.rows, 0);
  for (const [k, feature] of features.entries()) {
    const c = columns.take(6 + k);
    const spans: Spans = { seconds, count: columns.count, start, n, firstRow, firstUs, secondRow: none, secondUs: none, lastRow, lastUs, o: c, h: c, l: c, c, v: zeros };
    out.set(feature, { totalRows, columns: checked.get(feature) as ValueColumns, files: fileSpans, spans });
  }
  return out;
}

/**
 * The index of a large dataset, from one scan aggregated by DuckDB: for each level bucket
 * and file, the row count, the first two rows and the last row by row number, the first
 * open, highest high, lowest low, last close and summed volume; the rows without a time
 * are one group per file, so each file's row count comes from the same scan (no second
 * read of 3,000 footers). Keys stay integers (row numbers and microseconds, a bucket's
 * start by exact floor division): aggregates over doubles cost the scan about twice as
 * much. The groups of one bucket are then merged in file order, as LevelBuilder would
 * gather the bucket from rows in dataset order.
 */
async function aggregatedIndex(db: EngineConnection, source: ChartSource, columns: ValueColumns, seconds: number): Promise<ChartIndex> {
  const { files } = source.listing;
  const what = `reading ${source.path} for a chart`;
  const bucketUs = seconds * US_PER_S;
  // start, file, n, first two rows and their µs, last row and its µs, o, h, l, c, v
  const groups = new FloatColumns(14);
  await db.stream(
    `WITH r AS (
       SELECT file_index AS f, file_row_number AS k, epoch_us("timestamp") AS u, ${valueColumns(columns, '')}
       FROM read_parquet(${sqlFileList(files)}, file_row_number = true))
     SELECT ${[
       `(u - ((u % ${bucketUs}) + ${bucketUs}) % ${bucketUs})`,
       'f',
       'count(*)',
       '(min(k, 2))[1]',
       '(arg_min(u, k, 2))[1]',
       '(min(k, 2))[2]',
       '(arg_min(u, k, 2))[2]',
       'max(k)',
       'arg_max(u, k)',
       'arg_min(o, k)',
       'max(h)',
       'min(l)',
       'arg_max(c, k)',
       'sum(v)',
     ]
       // a null (no time, a single row, no value) as NaN, which the copy into Float64Arrays keeps
       .map((value) => `coalesce((${value})::DOUBLE, 'NaN'::DOUBLE)`)
       .join(', ')}
     FROM r GROUP BY ALL ORDER BY 1, 2`,
    what,
    (chunk) => groups.add(chunk),
  );
  const [gStart, gFile, gN, gFirst, gFirstUs, gSecond, gSecondUs, gLast, gLastUs, gO, gH, gL, gC, gV] = Array.from({ length: 14 }, (_, k) => groups.take(k));
  const counts = new Float64Array(files.length);
  for (let g = 0; g < groups.count; g++) counts[gFile[g]] += gN[g];
  const fileSpans = fileSpansOf(files, counts);
  const rowOf = (g: number, row: number) => (Number.isNaN(row) ? Number.NaN : fileSpans[gFile[g]].rowStart + row);
  const spans = emptySpans(seconds, groups.count);
  let i = -1;
  for (let g = 0; g < groups.count; g++) {
    // a group without a time (its start is null) only counts in its file's rows
    if (Number.isNaN(gStart[g])) continue;
    if (i >= 0 && spans.start[i] === gStart[g]) {
      // the same bucket in a later file: its rows come after the bucket's rows so far
      if (Number.isNaN(spans.secondRow[i])) {
        spans.secondRow[i] = rowOf(g, gFirst[g]);
        spans.secondUs[i] = gFirstUs[g];
      }
      spans.n[i] += gN[g];
      spans.lastRow[i] = rowOf(g, gLast[g]);
      spans.lastUs[i] = gLastUs[g];
      // as DuckDB's aggregates over the whole bucket: values that are null (NaN) are passed over
      if (Number.isNaN(spans.o[i])) spans.o[i] = gO[g];
      if (Number.isNaN(spans.h[i]) || gH[g] > spans.h[i]) spans.h[i] = gH[g];
      if (Number.isNaN(spans.l[i]) || gL[g] < spans.l[i]) spans.l[i] = gL[g];
      if (!Number.isNaN(gC[g])) spans.c[i] = gC[g];
      if (Number.isNaN(spans.v[i])) spans.v[i] = gV[g];
      else if (!Number.isNaN(gV[g])) spans.v[i] += gV[g];
      continue;
    }
    i++;
    spans.start[i] = gStart[g];
    spans.n[i] = gN[g];
    spans.firstRow[i] = rowOf(g, gFirst[g]);
    spans.firstUs[i] = gFirstUs[g];
    spans.secondRow[i] = rowOf(g, gSecond[g]);
    spans.secondUs[i] = gSecondUs[g];
    spans.lastRow[i] = rowOf(g, gLast[g]);
    spans.lastUs[i] = gLastUs[g];
    spans.o[i] = gO[g];
    spans.h[i] = gH[g];
    spans.l[i] = gL[g];
    spans.c[i] = gC[g];
    spans.v[i] = gV[g];
  }
  spans.count = i + 1;
  return { totalRows: fileSpans.reduce((sum, f) => sum + f.rows, 0), columns, files: fileSpans, spans };
}

function fileSpansOf(files: readonly string[], perFile: Float64Array): FileSpan[] {
  let rowStart = 0;
  return files.map((file, k) => {
    const span = { file, rowStart, rows: perFile[k] };
    rowStart += perFile[k];
    return span;
  });
}

/**
 * The dataset rows that can hold times in [fromUs, toUs]: from the first to the last row
 * of the level's buckets that meet the range (null when none does).
 */
function rowsMeeting(spans: Spans, fromUs: number, toUs: number): [number, number] | null {
  const spanUs = spans.seconds * US_PER_S;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < spans.count; i++) {
    if (spans.start[i] + spanUs <= fromUs || spans.start[i] > toUs) continue;
    if (spans.firstRow[i] < lo) lo = spans.firstRow[i];
    if (spans.lastRow[i] > hi) hi = spans.lastRow[i];
  }
  return lo <= hi ? [lo, hi] : null;
}

/**
 * Raw rows with a time in one of `ranges` (inclusive, µs), in row order, read from the
 * files that hold the rows of the level's buckets meeting those ranges.
 */
async function rawRows(db: EngineConnection, source: ChartSource, index: ChartIndex, ranges: [number, number][]): Promise<RawRows> {
  const meeting = ranges.map(([lo, hi]) => rowsMeeting(index.spans, lo, hi)).filter((r): r is [number, number] => r !== null);
  const files = index.files.filter((f) => f.rows > 0 && meeting.some(([lo, hi]) => f.rowStart <= hi && f.rowStart + f.rows > lo));
  const out = new FloatColumns(7);
  if (files.length > 0) {
    const bound = (lo: number, hi: number) => [Number.isFinite(lo) ? `us >= ${lo}` : 'true', Number.isFinite(hi) ? `us <= ${hi}` : 'true'].join(' AND ');
    const where = ranges.map(([lo, hi]) => `(${bound(lo, hi)})`).join(' OR ');
    // the span of the ranges on the column itself, a millisecond wider (to_timestamp takes seconds
    // as a double), which DuckDB checks against each row group's min and max: a window of a minute
    // in a day of 20 million ticks reads a row group or two, not the file (one range: DuckDB
    // prunes by an AND of bounds, not by an OR of them)
    const lo = Math.min(...ranges.map((r) => r[0]));
    const hi = Math.max(...ranges.map((r) => r[1]));
    const scanBounds = [...(Number.isFinite(lo) ? [`p."timestamp" >= to_timestamp(${(lo - 1000) / US_PER_S})`] : []), ...(Number.isFinite(hi) ? [`p."timestamp" <= to_timestamp(${(hi + 1000) / US_PER_S})`] : [])];
    const scanWhere = index.columns.zoned && scanBounds.length > 0 ? ` WHERE ${scanBounds.join(' AND ')}` : '';
    await db.stream(
      `WITH src AS (
         SELECT (f.row_start + p.file_row_number)::DOUBLE AS r, epoch_us(p."timestamp") AS us, ${valueColumns(index.columns)}
         FROM read_parquet(${sqlFileList(files.map((f) => f.file))}, filename = true, file_row_number = true) p JOIN ${fileTable(
           files.map((f) => f.file),
           files.map((f) => f.rowStart),
           'row_start',
         )} USING (filename)${scanWhere})
       SELECT r, us::DOUBLE, o, h, l, c, v FROM src WHERE ${where} ORDER BY r`,
      `reading rows of ${source.path} for a chart`,
      (chunk) => out.add(chunk),
    );
  }
  return { count: out.count, row: out.take(0), us: out.take(1), o: out.take(2), h: out.take(3), l: out.take(4), c: out.take(5), v: out.take(6) };
}

/** Bars of one bucket being gathered: first and last by dataset row. */
interface Gathering {
  t: number;
  firstRow: number;
  lastRow: number;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
}

function gather(buckets: Map<number, Gathering>, t: number, firstRow: number, lastRow: number, o: number, h: number, l: number, c: number, v: number): void {
  const bar = buckets.get(t);
  if (!bar) {
    buckets.set(t, { t, firstRow, lastRow, o, h, l, c, v });
    return;
  }
  if (firstRow < bar.firstRow) {
    bar.firstRow = firstRow;
    bar.o = o;
  }
  if (lastRow > bar.lastRow) {
    bar.lastRow = lastRow;
    bar.c = c;
  }
  if (h > bar.h) bar.h = h;
  if (l < bar.l) bar.l = l;
  bar.v += v;
}

/**
 * OHLCV bars of a dataset for a chart, aggregated into at most `maxBars` buckets of a round
 * size (first open, highest high, lowest low, last close, summed volume; `row` is the
 * dataset row of the bucket's first bar). Rows outside [fromMs, toMs] (ms since the epoch,
 * UTC, inclusive) are left out; `totalRows` counts the whole dataset. When the window holds
 * no more than `maxBars` rows, each row is a bar (rows with the same time, one after the
 * other, make one). Needs timestamp, open, high, low and close columns (BAD_REQUEST
 * otherwise, naming the columns there are). `rowsInMemory` (default 400,000) is the most
 * rows kept whole in memory; larger datasets are answered from a level of buckets.
 *
 * DuckDB reads the files: the first request reads the whole dataset once, keeping its rows
 * (up to 400,000) or buckets of a round size (an hour for years of minute bars, a second
 * for a day of ticks) for as long as the files are unchanged; later requests read only the
 * rows at the edges of their window, or the window itself when it is finer than those
 * buckets. Timestamps are read to the microsecond (DuckDB's unit): nanosecond digits do
 * not change a bucket, only the `t` of a single-row bar, by less than 1 µs.
 */
export async function chartSeries(
  source: ChartSource,
  options: { fromMs?: number; toMs?: number; maxBars: number; rowsInMemory?: number; features?: readonly FeatureSource[] },
  signal?: AbortSignal,
): Promise<ChartSeries> {
  const rowsInMemory = options.rowsInMemory ?? ROWS_IN_MEMORY;
  const barsIndex = async (): Promise<ChartIndex> => {
    try {
      return await source.derive(`chart.index ${rowsInMemory}`, () => withConnection((own) => buildIndex(own, source, rowsInMemory), signal));
    } catch (error) {
      throw engineError(error, `reading ${source.path} for a chart`, { path: source.path });
    }
  };
  return withConnection(async (db) => {
    const series = await seriesOf(db, source, await barsIndex(), options);
    const wanted = options.features ?? [];
    if (wanted.length === 0) return series;
    // the bars' window, as seriesOf reads it
    const window = { fromUs: options.fromMs === undefined ? -Infinity : Math.ceil(options.fromMs * 1000), toUs: options.toMs === undefined ? Infinity : Math.floor(options.toMs * 1000) };
    // the columns of one dataset together: the rows the levels do not cover are read once for all
    const byPath = new Map<string, { source: ChartSource; at: number[] }>();
    for (const [k, feature] of wanted.entries()) {
      const group = byPath.get(feature.source.path) ?? { source: feature.source, at: [] };
      group.at.push(k);
      byPath.set(feature.source.path, group);
    }
    const features: FeatureSeries[] = new Array<FeatureSeries>(wanted.length);
    for (const [featurePath, group] of byPath) {
      const columns = [...new Set(group.at.map((k) => wanted[k].column))];
      // each column's index is kept on its own; those not kept yet are made in one read of the set
      let made: Promise<Map<string, ChartIndex>> | null = null;
      const make = () => (made ??= withConnection((own) => featureIndexes(own, group.source, columns, rowsInMemory), signal));
      let kept: ChartIndex[];
      try {
        kept = await Promise.all(columns.map((column) => group.source.derive(`chart.feature ${rowsInMemory} ${column}`, async () => (await make()).get(column) as ChartIndex)));
      } catch (error) {
        throw engineError(error, `reading ${featurePath} for a chart`, { path: featurePath, columns });
      }
      const indexes = group.at.map((k) => ({ column: wanted[k].column, index: kept[columns.indexOf(wanted[k].column)] }));
      try {
        const values = await featureValues(db, group.source, indexes, window, series);
        for (const [j, k] of group.at.entries()) features[k] = { path: featurePath, column: wanted[k].column, values: values[j] };
      } catch (error) {
        throw engineError(error, `reading ${featurePath} for a chart`, { path: featurePath, columns: indexes.map((x) => x.column) });
      }
    }
    return { ...series, features };
  }, signal);
}

async function seriesOf(db: EngineConnection, source: ChartSource, index: ChartIndex, options: { fromMs?: number; toMs?: number; maxBars: number }): Promise<ChartSeries> {
  const { spans, totalRows } = index;
  const fromUs = options.fromMs === undefined ? -Infinity : Math.ceil(options.fromMs * 1000);
  const toUs = options.toMs === undefined ? Infinity : Math.floor(options.toMs * 1000);
  const empty = { totalRows, bucketSeconds: 0, downsampled: false, bars: [] };
  if (totalRows === 0 || fromUs > toUs) return empty;

  const { inside, edges } = await windowParts(db, source, index, fromUs, toUs);

  // count, the first two rows and the last row of the window, by dataset row
  let count = 0;
  let first = [Infinity, Number.NaN];
  let second = [Infinity, Number.NaN];
  let last = [-Infinity, Number.NaN];
  const consider = (row: number, us: number) => {
    if (row < first[0]) {
      second = first;
      first = [row, us];
    } else if (row < second[0] && row !== first[0]) second = [row, us];
  };
  for (const i of inside) {
    count += spans.n[i];
    consider(spans.firstRow[i], spans.firstUs[i]);
    if (!Number.isNaN(spans.secondRow[i])) consider(spans.secondRow[i], spans.secondUs[i]);
    if (spans.lastRow[i] > last[0]) last = [spans.lastRow[i], spans.lastUs[i]];
  }
  if (edges) {
    count += edges.count;
    for (let k = 0; k < edges.count; k++) {
      consider(edges.row[k], edges.us[k]);
      if (edges.row[k] > last[0]) last = [edges.row[k], edges.us[k]];
    }
  }
  if (count === 0) return empty;

  const spanSeconds = (last[1] - first[1]) / US_PER_S;
  const step = count > 1 ? Math.max(1, Math.round((second[1] - first[1]) / US_PER_S)) : 60;
  let bucketSeconds = step;
  // bucket starts are aligned to the bucket size, so a span of k buckets can touch k + 1
  if (count > options.maxBars) bucketSeconds = NICE_BUCKETS.find((b) => b >= step && spanSeconds / b <= options.maxBars - 1) ?? Math.ceil(spanSeconds / (options.maxBars - 1));
  const downsampled = count > options.maxBars;

  if (!downsampled) {
    // every row a bar, in row order; rows with the same time one after the other make one
    const rows = spans.seconds === 0 ? pick(spans, inside) : await rawRows(db, source, index, [[fromUs, toUs]]);
    const bars: ChartBar[] = [];
    let current: ChartBar | null = null;
    for (let k = 0; k < rows.count; k++) {
      const t = rows.us[k] / 1000;
      if (!current || current.t !== t) {
        current = { t, o: rows.o[k], h: rows.h[k], l: rows.l[k], c: rows.c[k], v: rows.v[k], row: rows.row[k] };
        bars.push(current);
      } else {
        if (rows.h[k] > current.h) current.h = rows.h[k];
        if (rows.l[k] < current.l) current.l = rows.l[k];
        current.c = rows.c[k];
        current.v += rows.v[k];
      }
    }
    return { totalRows, bucketSeconds, downsampled, bars };
  }

  const buckets = await bucketsOf(db, source, index, { inside, edges }, fromUs, toUs, bucketSeconds);
  const bars = [...buckets.values()]
    .sort((a, b) => a.t - b.t)
    .map((bar) => ({ t: bar.t / 1000, o: bar.o, h: bar.h, l: bar.l, c: bar.c, v: bar.v, row: bar.firstRow }));
  return { totalRows, bucketSeconds, downsampled, bars };
}

/** The level's spans wholly inside a window (µs, inclusive), and raw rows for the parts of the window they do not cover. */
async function windowParts(db: EngineConnection, source: ChartSource, index: ChartIndex, fromUs: number, toUs: number): Promise<{ inside: number[]; edges: RawRows | null }> {
  const { spans } = index;
  const inside: number[] = [];
  if (spans.seconds === 0) {
    for (let i = 0; i < spans.count; i++) if (spans.start[i] >= fromUs && spans.start[i] <= toUs) inside.push(i);
    return { inside, edges: null };
  }
  const spanUs = spans.seconds * US_PER_S;
  const loB = fromUs === -Infinity ? -Infinity : Math.ceil(fromUs / spanUs) * spanUs;
  const hiB = toUs === Infinity ? Infinity : Math.floor((toUs + 1) / spanUs) * spanUs;
  const ranges: [number, number][] = [];
  if (loB >= hiB) ranges.push([fromUs, toUs]);
  else {
    for (let i = 0; i < spans.count; i++) if (spans.start[i] >= loB && spans.start[i] + spanUs <= hiB) inside.push(i);
    if (fromUs < loB) ranges.push([fromUs, loB - 1]);
    if (toUs !== Infinity && hiB <= toUs) ranges.push([hiB, toUs]);
  }
  return { inside, edges: ranges.length > 0 ? await rawRows(db, source, index, ranges) : null };
}

/** The window's rows gathered into buckets of `bucketSeconds` (keyed by start, µs): from the level where it divides the bucket, else from the rows themselves. */
async function bucketsOf(
  db: EngineConnection,
  source: ChartSource,
  index: ChartIndex,
  parts: { inside: number[]; edges: RawRows | null },
  fromUs: number,
  toUs: number,
  bucketSeconds: number,
): Promise<Map<number, Gathering>> {
  const { spans } = index;
  const { inside, edges } = parts;
  const bucketUs = bucketSeconds * US_PER_S;
  const buckets = new Map<number, Gathering>();
  if (spans.seconds === 0 || bucketSeconds % spans.seconds === 0) {
    for (const i of inside) gather(buckets, Math.floor(spans.start[i] / bucketUs) * bucketUs, spans.firstRow[i], spans.lastRow[i], spans.o[i], spans.h[i], spans.l[i], spans.c[i], spans.v[i]);
    if (edges) for (let k = 0; k < edges.count; k++) gather(buckets, Math.floor(edges.us[k] / bucketUs) * bucketUs, edges.row[k], edges.row[k], edges.o[k], edges.h[k], edges.l[k], edges.c[k], edges.v[k]);
  } else {
    // buckets finer than the level: the window's rows themselves
    const rows = await rawRows(db, source, index, [[fromUs, toUs]]);
    for (let k = 0; k < rows.count; k++) gather(buckets, Math.floor(rows.us[k] / bucketUs) * bucketUs, rows.row[k], rows.row[k], rows.o[k], rows.h[k], rows.l[k], rows.c[k], rows.v[k]);
  }
  return buckets;
}

/**
 * Rows of a feature dataset with a time in one of `ranges` (inclusive, µs): their dataset
 * row, time and the value of each of `columns` (NaN for null), in row order. One query per
 * range, each bounded on the timestamp itself, so that DuckDB skips the row groups outside
 * it (a set is one file of millions of rows: a window's two edges a year apart read two row
 * groups, not the year).
 */
async function featureRows(db: EngineConnection, source: ChartSource, index: ChartIndex, ranges: [number, number][], columns: readonly string[]): Promise<{ count: number; row: Float64Array; us: Float64Array; values: Float64Array[] }> {
  const out = new FloatColumns(2 + columns.length);
  for (const [lo, hi] of ranges) {
    const meeting = rowsMeeting(index.spans, lo, hi);
    const files = index.files.filter((f) => f.rows > 0 && (index.spans.seconds === 0 || (meeting !== null && f.rowStart <= meeting[1] && f.rowStart + f.rows > meeting[0])));
    if (files.length === 0) continue;
    const bound = [Number.isFinite(lo) ? `us >= ${lo}` : 'true', Number.isFinite(hi) ? `us <= ${hi}` : 'true'].join(' AND ');
    const scan = [...(Number.isFinite(lo) ? [`p."timestamp" >= to_timestamp(${(lo - 1000) / US_PER_S})`] : []), ...(Number.isFinite(hi) ? [`p."timestamp" <= to_timestamp(${(hi + 1000) / US_PER_S})`] : [])];
    const scanWhere = index.columns.zoned && scan.length > 0 ? ` WHERE ${scan.join(' AND ')}` : '';
    const values = columns.map((column, k) => `coalesce(p.${sqlIdent(column)}::DOUBLE, 'NaN'::DOUBLE) AS v${k}`).join(', ');
    await db.stream(
      `WITH src AS (
         SELECT (f.row_start + p.file_row_number)::DOUBLE AS r, epoch_us(p."timestamp") AS us, ${values}
         FROM read_parquet(${sqlFileList(files.map((f) => f.file))}, filename = true, file_row_number = true) p JOIN ${fileTable(
           files.map((f) => f.file),
           files.map((f) => f.rowStart),
           'row_start',
         )} USING (filename)${scanWhere})
       SELECT r, us::DOUBLE, ${columns.map((_, k) => `v${k}`).join(', ')} FROM src WHERE ${bound} ORDER BY r`,
      `reading rows of ${source.path} for a chart`,
      (chunk) => out.add(chunk),
    );
  }
  // ranges are disjoint and ascending in time, the rows of a set ascending in time: row order holds across them
  return { count: out.count, row: out.take(0), us: out.take(1), values: columns.map((_, k) => out.take(2 + k)) };
}

/**
 * Feature columns of one dataset for the bars of an answer, each a value per bar, index for
 * index, as of the bar: for downsampled bars, the column's last value (by dataset row) in the
 * bar's bucket, or when the bucket holds no row of the feature, the value of the bar before;
 * for bars that are rows, the value of the feature's last row at or before the bar's time (a
 * set with a row per trading date at 00:00 UTC draws as steps over the date's bars). Only
 * the window's rows count: bars before the feature's first row in it are null, and a row
 * whose value is null gives null (an indicator's warm-up). `indexes` are the columns' own
 * (the same rows and levels, their own values); the rows the levels do not cover are read
 * once for all the columns.
 */
async function featureValues(
  db: EngineConnection,
  source: ChartSource,
  indexes: readonly { column: string; index: ChartIndex }[],
  window: { fromUs: number; toUs: number },
  series: { bucketSeconds: number; downsampled: boolean; bars: readonly ChartBar[] },
): Promise<(number | null)[][]> {
  const { fromUs, toUs } = window;
  const { spans, totalRows } = indexes[0].index;
  if (series.bars.length === 0 || totalRows === 0) return indexes.map(() => series.bars.map(() => null));
  // for each column: by bar time (ms), the last value by dataset row (NaN: a null)
  const at = indexes.map(() => new Map<number, { row: number; value: number }>());
  const put = (k: number, t: number, row: number, value: number) => {
    const known = at[k].get(t);
    if (!known || row >= known.row) at[k].set(t, { row, value });
  };
  // each column's last value before the window (by dataset row), which the first bars carry:
  // a set with a row a day (ATR, volatility) has no row inside a window of a few hours
  const before = indexes.map(() => ({ row: -1, value: Number.NaN }));
  const noteBefore = (k: number, row: number, value: number) => {
    if (row >= before[k].row) before[k] = { row, value };
  };
  const bucketUs = series.bucketSeconds * US_PER_S;
  const timeOf = (us: number) => (series.downsampled ? Math.floor(us / bucketUs) * bucketUs : us) / 1000;
  if (spans.seconds === 0) {
    // every row in memory, in each column's index
    for (const [k, { index }] of indexes.entries()) {
      const s = index.spans;
      for (let i = 0; i < s.count; i++) {
        if (s.start[i] < fromUs) noteBefore(k, s.firstRow[i], s.c[i]);
        else if (s.start[i] <= toUs) put(k, timeOf(s.start[i]), s.firstRow[i], s.c[i]);
      }
    }
  } else {
    const spanUs = spans.seconds * US_PER_S;
    const fromLevel = series.downsampled && series.bucketSeconds % spans.seconds === 0;
    const loB = fromUs === -Infinity ? -Infinity : Math.ceil(fromUs / spanUs) * spanUs;
    const hiB = toUs === Infinity ? Infinity : Math.floor((toUs + 1) / spanUs) * spanUs;
    const ranges: [number, number][] = [];
    // spans that end before the window give their last value; the rows of the span the
    // window starts in that come before it are read with the window's first rows
    const readFrom = fromUs === -Infinity ? fromUs : Math.floor(fromUs / spanUs) * spanUs;
    for (const [k, { index }] of indexes.entries()) {
      const s = index.spans;
      for (let i = 0; i < s.count && s.start[i] < readFrom; i++) noteBefore(k, s.lastRow[i], s.c[i]);
    }
    if (!fromLevel || loB >= hiB) ranges.push([readFrom, toUs]);
    else {
      for (const [k, { index }] of indexes.entries()) {
        const s = index.spans;
        for (let i = 0; i < s.count; i++) if (s.start[i] >= loB && s.start[i] + spanUs <= hiB) put(k, timeOf(s.start[i]), s.lastRow[i], s.c[i]);
      }
      if (readFrom < loB) ranges.push([readFrom, loB - 1]);
      if (toUs !== Infinity && hiB <= toUs) ranges.push([hiB, toUs]);
    }
    if (ranges.length > 0) {
      const rows = await featureRows(
        db,
        source,
        indexes[0].index,
        ranges,
        indexes.map((x) => x.column),
      );
      for (let i = 0; i < rows.count; i++) {
        if (rows.us[i] < fromUs) {
          for (let k = 0; k < indexes.length; k++) noteBefore(k, rows.row[i], rows.values[k][i]);
          continue;
        }
        const t = timeOf(rows.us[i]);
        for (let k = 0; k < indexes.length; k++) put(k, t, rows.row[i], rows.values[k][i]);
      }
    }
  }
  const valueOf = (found: { value: number } | undefined) => (found && Number.isFinite(found.value) ? found.value : null);
  if (!series.downsampled) {
    // as of each bar's time: the last feature time at or before it (bars of raw data need not be in time order)
    return at.map((byTime, k) => {
      const times = [...byTime.keys()].sort((a, b) => a - b);
      const initial = valueOf(before[k]);
      return series.bars.map((bar) => {
        let lo = 0;
        let hi = times.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (times[mid] <= bar.t) lo = mid + 1;
          else hi = mid;
        }
        return lo === 0 ? initial : valueOf(byTime.get(times[lo - 1]));
      });
    });
  }
  return at.map((byTime, k) => {
    let previous: number | null = valueOf(before[k]);
    return series.bars.map((bar) => {
      const found = byTime.get(bar.t);
      if (found) previous = valueOf(found);
      return previous;
    });
  });
}

function pick(spans: Spans, at: number[]): RawRows {
  const take = (values: Float64Array) => Float64Array.from(at, (i) => values[i]);
  return { count: at.length, row: take(spans.firstRow), us: take(spans.start), o: take(spans.o), h: take(spans.h), l: take(spans.l), c: take(spans.c), v: take(spans.v) };
}
