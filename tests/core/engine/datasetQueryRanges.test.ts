import path from 'node:path';
import { Float64, Int64, Table, TimestampMicrosecond, vectorFromArray } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withConnection } from '../../../core/engine/duckdbEngine.js';
import { queryTable, sortedOrders, type QuerySource } from '../../../core/engine/datasetQuery.js';
import { footerSchema, readFileStats } from '../../../core/engine/fileStats.js';
import { openParquetFile, readParquetRows } from '../../../core/parquet/parquetFile.js';
import { writeParquet } from '../../../core/parquet/writeParquet.js';
import { tempDir } from '../../helpers/ohlcvTable.js';

/**
 * rows.query's answers from the footers' ranges (files skipped, rows counted without a scan,
 * a first sort page from the files that reach it) against the same questions with every
 * file scanned, on files that make the ranges hard: ties, nulls, NaN, negative values, a
 * column of nulls only, a file whose NaN leaves its column without a range (DuckDB's
 * writer), one whose range leaves its NaN out (ours), an empty file, and a dataset of one file.
 */

const BASE_US = 1_704_153_600_000_000; // 2024-01-02T00:00:00Z
const MINUTE_US = 60_000_000;
const ROWS = 600;

/** Row r of file f: x with ties and negatives, n with ties, a minute each. */
const xOf = (f: number, r: number) => ((r * 37 + f * 11) % 23) - 11 + 0.5 * (r % 2) + f * 3;
const nOf = (f: number, r: number) => ((r * 7 + f) % 9) - 4;
const tsOf = (f: number, r: number) => BASE_US + (f * 1000 + r) * MINUTE_US;

/** SQL for file f's rows: NaN in x at every 17th row when `nan`, nulls at every 13th (x) and 11th (n), x null throughout when `nullX`. */
function selectOf(f: number, options: { nan?: boolean; nullX?: boolean; rows?: number } = {}): string {
  const rows = options.rows ?? ROWS;
  const x = options.nullX
    ? 'NULL::DOUBLE'
    : `CASE WHEN r % 13 = 3 THEN NULL ${options.nan ? "WHEN r % 17 = 5 THEN 'NaN'::DOUBLE" : ''} ELSE ((r * 37 + ${f * 11}) % 23) - 11 + 0.5 * (r % 2) + ${f * 3} END::DOUBLE`;
  return `SELECT make_timestamptz(${BASE_US}::BIGINT + (${f * 1000} + r) * ${MINUTE_US}::BIGINT) AS ts, ${x} AS x, CASE WHEN r % 11 = 2 THEN NULL ELSE ((r * 7 + ${f}) % 9) - 4 END::BIGINT AS n FROM range(${rows}) t(r)`;
}

/** File f through our own writer (parquet-wasm): NaN at every 19th row, which its range leaves out; x's greatest values are there. */
function ownTable(f: number): Table {
  const ts: number[] = [];
  const x: (number | null)[] = [];
  const n: (bigint | null)[] = [];
  for (let r = 0; r < ROWS; r++) {
    // Arrow takes a timestamp's numbers in milliseconds
    ts.push(tsOf(f, r) / 1000);
    x.push(r % 13 === 3 ? null : r % 19 === 7 ? NaN : xOf(f, r));
    n.push(r % 11 === 2 ? null : BigInt(nOf(f, r)));
  }
  return new Table({ ts: vectorFromArray(ts, new TimestampMicrosecond('UTC')), x: vectorFromArray(x, new Float64()), n: vectorFromArray(n, new Int64()) });
}

async function sourceOf(files: string[], identity: string): Promise<QuerySource> {
  const schema = (await openParquetFile(files[0])).schema;
  return { files, identity, schema: () => Promise.resolve(schema), readRows: (file, from, count, columns) => readParquetRows(files[file], from, count, { columns }) };
}

type Question = Parameters<typeof queryTable>[1];
const ask = (q: Partial<Question>): Question => ({ sort: [], filters: [], offset: 0, limit: 40, ...q });

/** Every question on both paths. */
const QUESTIONS: [string, Question][] = [
  ['x descending (NaN first, nulls last)', ask({ sort: [{ column: 'x', descending: true }] })],
  ['x ascending', ask({ sort: [{ column: 'x', descending: false }] })],
  ['x descending, a page further in', ask({ sort: [{ column: 'x', descending: true }], offset: 700, limit: 30 })],
  ['n descending then x', ask({ sort: [{ column: 'n', descending: true }, { column: 'x', descending: false }] })],
  ['n ascending then ts descending, page at 1,000', ask({ sort: [{ column: 'n', descending: false }, { column: 'ts', descending: true }], offset: 1000 })],
  ['ts descending', ask({ sort: [{ column: 'ts', descending: true }] })],
  ['ts ascending', ask({ sort: [{ column: 'ts', descending: false }] })],
  ['x ≥ 20 (NaN matches a lower bound alone)', ask({ filters: [{ column: 'x', kind: 'range', min: 20 }] })],
  ['x ≤ -5', ask({ filters: [{ column: 'x', kind: 'range', max: -5 }] })],
  ['x in [-3, 4.5]', ask({ filters: [{ column: 'x', kind: 'range', min: -3, max: 4.5 }] })],
  ['x in [-3, 4.5], by x descending', ask({ filters: [{ column: 'x', kind: 'range', min: -3, max: 4.5 }], sort: [{ column: 'x', descending: true }] })],
  ['n in [-1, 2] and x ≥ 0, by n descending, offset 25', ask({ filters: [{ column: 'n', kind: 'range', min: -1, max: 2 }, { column: 'x', kind: 'range', min: 0 }], sort: [{ column: 'n', descending: true }], offset: 25 })],
  ['x is null', ask({ filters: [{ column: 'x', kind: 'null', isNull: true }] })],
  ['x is not null, by x ascending', ask({ filters: [{ column: 'x', kind: 'null', isNull: false }], sort: [{ column: 'x', descending: false }] })],
  ['a time range over two files', ask({ time: { from: '2024-01-02T16:30:00Z', to: '2024-01-03T09:59:59.5Z' } })],
  ['a time range, by x descending', ask({ time: { from: '2024-01-02T16:30:00Z', to: '2024-01-03T09:59:59Z' }, sort: [{ column: 'x', descending: true }] })],
  ['a time range that holds no row', ask({ time: { from: '2030-01-01T00:00:00Z', to: '2030-02-01T00:00:00Z' } })],
  ['everything, counted only', ask({ limit: 0 })],
  ['everything, first page', ask({})],
];

describe('rows.query from the footers’ ranges', () => {
  const { dir, cleanup } = tempDir();
  const files: string[] = [];

  beforeAll(async () => {
    const name = (k: number) => path.join(dir, `${String(k).padStart(2, '0')}.parquet`);
    const duckdbFiles: [number, string][] = [
      [0, selectOf(0)],
      [1, selectOf(1, { nan: true })],
      [3, selectOf(3, { nullX: true })],
      [4, selectOf(4, { rows: 0 })],
      [5, selectOf(5)],
      [6, `SELECT ts, -x AS x, n FROM (${selectOf(6)})`],
    ];
    await withConnection(async (connection) => {
      for (const [k, select] of duckdbFiles) await connection.run(`COPY (${select}) TO '${name(k)}' (FORMAT parquet, ROW_GROUP_SIZE 256)`, 'writing a test file');
    });
    await writeParquet(ownTable(2), name(2), { rowGroupSize: 200 });
    for (let k = 0; k <= 6; k++) files.push(name(k));
  });
  afterAll(() => cleanup());

  it('reads the footers: rows, ranges, nulls, and no range where DuckDB met a NaN', async () => {
    const stats = await readFileStats(files);
    expect(Array.from(stats.rows)).toEqual([ROWS, ROWS, ROWS, ROWS, 0, ROWS, ROWS]);
    expect(Array.from(stats.nanSafe)).toEqual([1, 1, 0, 1, 1, 1, 1]);
    const x = stats.columns.get('x');
    const values = (f: number) => Array.from({ length: ROWS }, (_, r) => r).filter((r) => r % 13 !== 3).map((r) => xOf(f, r));
    expect(x?.min[0]).toBe(Math.min(...values(0)));
    expect(x?.max[0]).toBe(Math.max(...values(0)));
    expect(x?.nulls[0]).toBe(Array.from({ length: ROWS }, (_, r) => r).filter((r) => r % 13 === 3).length);
    // DuckDB gives a chunk holding a NaN no range
    expect(x?.min[1]).toBeNaN();
    // ours gives the range of the other values
    expect(x?.max[2]).toBe(Math.max(...Array.from({ length: ROWS }, (_, r) => r).filter((r) => r % 13 !== 3 && r % 19 !== 7).map((r) => xOf(2, r))));
    expect(x?.nulls[3]).toBe(ROWS);
    expect(x?.min[3]).toBeNaN();
    const ts = stats.columns.get('ts');
    expect(ts?.min[5]).toBe(tsOf(5, 0));
    expect(ts?.max[5]).toBe(tsOf(5, ROWS - 1));
    expect(ts?.min[2]).toBe(tsOf(2, 0));
    expect(ts?.max[2]).toBe(tsOf(2, ROWS - 1));
  });

  it('names the columns from the footer as the decoder does, or leaves them to it', async () => {
    const file = path.join(dir, 'types.parquet');
    const columns = `true AS b, 1::TINYINT AS i8, 2::SMALLINT AS i16, 3::INTEGER AS i32, 4::BIGINT AS i64, 1.5::FLOAT AS f32, 2.5::DOUBLE AS f64, 'a' AS s,
      DATE '2024-01-02' AS d, TIMESTAMP '2024-01-02 03:04:05' AS t, TIMESTAMPTZ '2024-01-02 03:04:05+00' AS tz, '2024-01-02 03:04:05.123456789'::TIMESTAMP_NS AS ns, '2024-01-02 03:04:05.123'::TIMESTAMP_MS AS ms`;
    await withConnection((connection) => connection.run(`COPY (SELECT ${columns}) TO '${file}' (FORMAT parquet)`, 'writing a test file'));
    const decoded = (await openParquetFile(file)).schema;
    const named = footerSchema(file);
    expect(named?.fields.map((f) => `${f.name}:${String(f.type)}:${f.nullable}`)).toEqual(decoded.fields.map((f) => `${f.name}:${String(f.type)}:${f.nullable}`));
    expect(named?.fields.map((f) => String(f.type))).toEqual(['Bool', 'Int8', 'Int16', 'Int32', 'Int64', 'Float32', 'Float64', 'Utf8', 'Date32<DAY>', 'Timestamp<MICROSECOND>', 'Timestamp<MICROSECOND, UTC>', 'Timestamp<NANOSECOND>', 'Timestamp<MILLISECOND>']);
    expect(footerSchema(files[0])?.fields.map((f) => String(f.type))).toEqual(['Timestamp<MICROSECOND, UTC>', 'Float64', 'Int64']);
    // unsigned, decimal: the decoder's
    const other = path.join(dir, 'other.parquet');
    await withConnection((connection) => connection.run(`COPY (SELECT 1::UTINYINT AS u, 1.25::DECIMAL(9, 2) AS m) TO '${other}' (FORMAT parquet)`, 'writing a test file'));
    expect(footerSchema(other)).toBeNull();
    // our writer embeds its Arrow schema: the decoder follows it
    expect(footerSchema(files[2])).toBeNull();
  });

  for (const [label, files_] of [
    ['seven files', () => files],
    ['one file', () => [files[0]]],
  ] as const) {
    it(`${label}: every question answers the same rows and counts from the ranges as from a scan of every file`, async () => {
      const chosen = files_();
      const ranged = await sourceOf(chosen, `ranges:${label}`);
      const scanned = await sourceOf(chosen, `scan:${label}`);
      for (const [name, question] of QUESTIONS) {
        const fromRanges = await queryTable(ranged, question);
        const fromScan = await queryTable(scanned, question, undefined, { ranges: false });
        expect({ name, totalRows: fromRanges.totalRows, rows: fromRanges.rows }).toEqual({ name, totalRows: fromScan.totalRows, rows: fromScan.rows });
      }
    });
  }

  it('exact answers where the ranges decide: NaN first and counted by a lower bound, nulls last', async () => {
    const source = await sourceOf(files, 'ranges:exact');
    const everyRow = [0, 1, 2, 3, 5, 6].flatMap((f) => Array.from({ length: ROWS }, (_, r) => ({ f, r })));
    const xAt = ({ f, r }: { f: number; r: number }): number | null => {
      if (f === 3 || r % 13 === 3) return null;
      if ((f === 1 && r % 17 === 5) || (f === 2 && r % 19 === 7)) return NaN;
      return f === 6 ? -xOf(f, r) : xOf(f, r);
    };
    const nan = everyRow.filter((row) => Number.isNaN(xAt(row)));
    // NaN is greater than every number in DuckDB, so a lower bound alone matches it; but DuckDB's
    // own scan skips a row group whose range is below the bound, and file 2's range (our writer's)
    // leaves its NaNs out: only file 1's NaNs (no range) are counted, from the ranges as by a scan
    const atLeast20 = everyRow.filter((row) => {
      const x = xAt(row);
      return x !== null && ((Number.isNaN(x) && row.f === 1) || x >= 20);
    });
    const top = await queryTable(source, ask({ sort: [{ column: 'x', descending: true }], limit: nan.length + 1 }));
    // the NaNs of file 1 (no range) and of file 2 (a range without them) first, in file and row order
    expect(top.rows.slice(0, nan.length).map((row) => row[1])).toEqual(nan.map(() => 'NaN'));
    expect(top.rows[nan.length][1]).toBe(Math.max(...everyRow.map(xAt).filter((x): x is number => x !== null && !Number.isNaN(x))));
    expect((await queryTable(source, ask({ filters: [{ column: 'x', kind: 'range', min: 20 }], limit: 0 }))).totalRows).toBe(atLeast20.length);
    expect((await queryTable(source, ask({ filters: [{ column: 'x', kind: 'null', isNull: true }], limit: 0 }))).totalRows).toBe(everyRow.filter((row) => xAt(row) === null).length);
    const bottom = await queryTable(source, ask({ sort: [{ column: 'x', descending: false }], offset: everyRow.length - 3, limit: 3 }));
    expect(bottom.rows.map((row) => row[1])).toEqual([null, null, null]);
  });

  it('a page deep in a sort nobody asked before is selected by its first key, equal to the whole sort, no order made', async () => {
    // 15,600 rows: pages past the top-N's 10,000; NaN in our writer's file (its range leaves them out), nulls, ties, negatives
    const deep = [path.join(dir, 'deep-0.parquet'), path.join(dir, 'deep-1.parquet'), path.join(dir, 'deep-2.parquet'), path.join(dir, 'deep-3.parquet')];
    await withConnection(async (connection) => {
      for (const [k, f] of [[0, 10], [1, 11], [3, 13]] as const) await connection.run(`COPY (${selectOf(f, { rows: 5000 })}) TO '${deep[k]}' (FORMAT parquet, ROW_GROUP_SIZE 1000)`, 'writing a test file');
    });
    const own = ownTable(12);
    await writeParquet(own, deep[2], { rowGroupSize: 250 });
    const fourFiles = [deep[0], deep[1], deep[2], deep[3]];
    // our writer’s file has ROWS rows: 3 × 5,000 + 600
    const total = 3 * 5000 + ROWS;
    const ranged = await sourceOf(fourFiles, 'ranges:deep');
    const scanned = await sourceOf(fourFiles, 'scan:deep');
    const questions: [string, Question][] = [
      ['x descending at 10,050', ask({ sort: [{ column: 'x', descending: true }], offset: 10_050, limit: 30 })],
      ['x ascending at the end: NaN, then nulls', ask({ sort: [{ column: 'x', descending: false }], offset: total - 1200, limit: 1200 })],
      ['x descending across the NaN class and the first bins', ask({ sort: [{ column: 'x', descending: true }], offset: 10_001, limit: 100 })],
      ['n descending then x ascending at 12,345', ask({ sort: [{ column: 'n', descending: true }, { column: 'x', descending: false }], offset: 12_345 })],
      ['ts ascending at 11,000', ask({ sort: [{ column: 'ts', descending: false }], offset: 11_000, limit: 7 })],
      ['ts descending past the end', ask({ sort: [{ column: 'ts', descending: true }], offset: total + 5 })],
      ['x ≥ -30 by n ascending at 10,500', ask({ filters: [{ column: 'x', kind: 'range', min: -30 }], sort: [{ column: 'n', descending: false }], offset: 10_500 })],
      // the first file outside the range: the page is selected from the other three
      ['a time range without the first file, by x descending at 10,100', ask({ time: { from: new Date(tsOf(11, 0) / 1000).toISOString(), to: '2030-01-01T00:00:00Z' }, sort: [{ column: 'x', descending: true }], offset: 10_100 })],
    ];
    for (const [name, question] of questions) {
      const ordersBefore = sortedOrders.size.orders;
      const fromSelection = await queryTable(ranged, question);
      expect(sortedOrders.size.orders).toBe(ordersBefore);
      const fromSort = await queryTable(scanned, question, undefined, { ranges: false });
      expect({ name, totalRows: fromSelection.totalRows, rows: fromSelection.rows }).toEqual({ name, totalRows: fromSort.totalRows, rows: fromSort.rows });
    }
    // the first question against a sort done here: x descending, NaN first, then numbers, ties in file and row order
    const everyRow = [10, 11, 12, 13].flatMap((f, k) => Array.from({ length: k === 2 ? ROWS : 5000 }, (_, r) => ({ f, r, k })));
    const xAt = ({ f, r }: { f: number; r: number }): number | null => (r % 13 === 3 ? null : f === 12 && r % 19 === 7 ? NaN : xOf(f, r));
    const rank = (x: number | null) => (x === null ? -Infinity : Number.isNaN(x) ? Infinity : x);
    const order = everyRow.sort((a, b) => rank(xAt(b)) - rank(xAt(a)) || a.k - b.k || a.r - b.r);
    const page = await queryTable(ranged, questions[0][1]);
    expect(page.rows.map((row) => row[1])).toEqual(order.slice(10_050, 10_080).map((row) => xAt(row)));
    await sortedOrders.settled();
  });
});
