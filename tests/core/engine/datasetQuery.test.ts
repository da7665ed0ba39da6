import fs from 'node:fs';
import path from 'node:path';
import { Float64, Int64, makeData, makeVector, Table, TimestampNanosecond, Utf8, vectorFromArray, type Vector } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiSession } from '../../../core/api/handlers.js';
import { epochToIso } from '../../../core/arrow/arrowJson.js';
import { viewNames } from '../../../core/engine/datasetQuery.js';
import { writeParquet } from '../../../core/parquet/writeParquet.js';
import { MINUTE_NS, START_NS, tempDir } from '../../helpers/ohlcvTable.js';

/** Row i of the test dataset: nanosecond digits in every timestamp, closes that repeat out of order. */
function row(i: number) {
  return {
    ns: START_NS + BigInt(i) * MINUTE_NS + BigInt((i * 7) % 1000),
    close: 5000 + ((i * 37) % 101) * 0.25,
    volume: (i * 13) % 200,
    symbol: i % 3 === 0 ? 'MESH4' : 'MESM4',
  };
}

function table(from: number, to: number): Table {
  const n = to - from;
  const ts = new BigInt64Array(n);
  const close = new Float64Array(n);
  const volume = new BigInt64Array(n);
  const symbol: string[] = [];
  for (let k = 0; k < n; k++) {
    const r = row(from + k);
    ts[k] = r.ns;
    close[k] = r.close;
    volume[k] = BigInt(r.volume);
    symbol.push(r.symbol);
  }
  const vector = <T extends Float64 | Int64 | TimestampNanosecond>(type: T, data: T['TArray']): Vector<T> => makeVector(makeData({ type, length: n, data } as never)) as unknown as Vector<T>;
  return new Table({ timestamp: vector(new TimestampNanosecond('UTC'), ts), close: vector(new Float64(), close), volume: vector(new Int64(), volume), symbol: vectorFromArray(symbol, new Utf8()) });
}

const ROWS = 4000;
const json = (i: number) => {
  const r = row(i);
  return [epochToIso(r.ns, 3), r.close, r.volume, r.symbol];
};

describe('rows.query and rows.export', () => {
  const { dir, cleanup } = tempDir();
  const store = path.join(dir, 'store');
  const session = new ApiSession('test');

  beforeAll(async () => {
    await session.invoke('store.init', { path: store });
    for (const [date, from, to] of [['2024-01-02', 0, 2000], ['2024-01-03', 2000, ROWS]] as const) {
      const folder = path.join(store, 'raw', 'MES', date);
      fs.mkdirSync(folder, { recursive: true });
      await writeParquet(table(from, to), path.join(folder, 'bars.parquet'), { rowGroupSize: 500 });
    }
  });
  afterAll(async () => {
    await session.close();
    cleanup();
  });

  type Page = { columns: { name: string; type: string }[]; rows: unknown[][]; totalRows: number; offset: number; views: string[]; microsecond: string[] };
  const query = (request: Record<string, unknown>) => session.invoke('rows.query', { path: 'raw/MES', ...request }) as Promise<Page>;

  it('sorts the whole dataset by close descending, ties in file and row order, nanosecond digits exact', async () => {
    const page = await query({ sort: [{ column: 'close', descending: true }], limit: 5 });
    expect(page.totalRows).toBe(ROWS);
    expect(page.columns).toEqual([
      { name: 'timestamp', type: 'Timestamp<NANOSECOND, UTC>' },
      { name: 'close', type: 'Float64' },
      { name: 'volume', type: 'Int64' },
      { name: 'symbol', type: 'Utf8' },
    ]);
    // close 5025 is (i * 37) % 101 = 100: i = 30, 131, 232, … (every 101 rows)
    expect(page.rows).toEqual([30, 131, 232, 333, 434].map(json));
    expect(page.rows[0]).toEqual(['2024-01-02T00:30:00.000000210Z', 5025, 190, 'MESH4']);
    // a page deep in the sorted order, across the second file, against a sort done here
    const order = Array.from({ length: ROWS }, (_, i) => i).sort((a, b) => row(b).close - row(a).close || row(a).volume - row(b).volume || a - b);
    const deep = await query({ sort: [{ column: 'close', descending: true }, { column: 'volume', descending: false }], offset: 3000, limit: 4 });
    expect(deep.rows).toEqual(order.slice(3000, 3004).map(json));
    expect(deep.microsecond).toEqual([]);
  });

  it('filters: a close range, a text match and a time range give exact counts', async () => {
    const inRange = Array.from({ length: ROWS }, (_, i) => row(i)).filter((r) => r.close >= 5010 && r.close <= 5012.5);
    const page = await query({ filters: [{ column: 'close', kind: 'range', min: 5010, max: 5012.5 }], limit: 2 });
    expect(page.totalRows).toBe(inRange.length);
    expect(page.totalRows).toBe(436);
    const text = await query({ filters: [{ column: 'symbol', kind: 'text', match: 'equals', value: 'mesh4' }, { column: 'volume', kind: 'range', min: '100' }], limit: 1 });
    expect(text.totalRows).toBe(Array.from({ length: ROWS }, (_, i) => row(i)).filter((r) => r.symbol === 'MESH4' && r.volume >= 100).length);
    // a time range of whole minutes: 2024-01-02T10:00Z to 11:00Z holds rows 600..660 (the bound at 11:00:00 is below row 660's nanoseconds? no: 660*7 % 1000 = 620 ns, compared at microseconds)
    const time = await query({ time: { from: '2024-01-02T10:00:00Z', to: '2024-01-02T11:00:00Z' }, limit: 1 });
    expect(time.totalRows).toBe(61);
    expect(time.rows).toEqual([json(600)]);
    expect(time.microsecond).toEqual(['timestamp']);
    const nulls = await query({ filters: [{ column: 'close', kind: 'null', isNull: true }] });
    expect(nulls.totalRows).toBe(0);
  });

  it('an unknown column is BAD_REQUEST naming it and the columns there are', async () => {
    await expect(query({ sort: [{ column: 'price', descending: true }] })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'sort: no column "price"; the columns are timestamp, close, volume, symbol',
    });
    await expect(query({ filters: [{ column: 'a"b', kind: 'range', min: 1 }] })).rejects.toMatchObject({ code: 'BAD_REQUEST', details: { column: 'a"b' } });
    await expect(query({ filters: [{ column: 'close', kind: 'range', min: '1; DROP' }] })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: '"1; DROP" is not a number for "close"' });
  });

  it('SQL: the dataset is a view named after the asset and `dataset`, results paged', async () => {
    const expected = Array.from({ length: ROWS }, (_, i) => row(i)).filter((r) => r.volume > 100).length;
    const count = await query({ sql: 'SELECT count(*) AS n FROM MES WHERE volume > 100' });
    expect(count.columns).toEqual([{ name: 'n', type: 'BIGINT' }]);
    expect(count.rows).toEqual([[expected]]);
    expect(count.rows).toEqual([[1980]]);
    expect(count.views).toEqual(['MES', 'dataset']);
    const paged = await query({ sql: 'SELECT symbol, volume, timestamp FROM dataset ORDER BY volume DESC, timestamp LIMIT 10;', offset: 2, limit: 3 });
    expect(paged.totalRows).toBe(10);
    expect(paged.columns.map((c) => c.type)).toEqual(['VARCHAR', 'BIGINT', 'TIMESTAMP WITH TIME ZONE']);
    // DuckDB's timestamps are microseconds: the nanosecond digits (below 1,000) are gone
    const byVolume = Array.from({ length: ROWS }, (_, i) => i).sort((a, b) => row(b).volume - row(a).volume || a - b);
    expect(paged.rows).toEqual(byVolume.slice(2, 5).map((i) => [row(i).symbol, row(i).volume, epochToIso((START_NS + BigInt(i) * MINUTE_NS) / 1000n, 2)]));
    expect(paged.rows[0]).toEqual(['MESM4', 199, '2024-01-02T08:43:00.000000Z']);
    expect(paged.microsecond).toEqual(['timestamp']);
  });

  it('SQL errors carry DuckDB message and position; writes and other statements are refused', async () => {
    await expect(query({ sql: 'SELECT nope FROM MES' })).rejects.toMatchObject({
      code: 'QUERY_ERROR',
      details: { duckdb: 'Binder Error: Referenced column "nope" not found in FROM clause!', line: 1, column: 8 },
    });
    await expect(query({ sql: 'SELEC 1' })).rejects.toMatchObject({ code: 'QUERY_ERROR', details: { duckdb: 'Parser Error: syntax error at or near "SELEC"', line: 1, column: 1 } });
    const outside = path.join(dir, 'leak.csv');
    await expect(query({ sql: `COPY (SELECT * FROM MES) TO '${outside}'` })).rejects.toMatchObject({ code: 'BAD_REQUEST', details: { statementType: 'COPY' } });
    await expect(query({ sql: 'CREATE TABLE t AS SELECT * FROM MES' })).rejects.toMatchObject({ code: 'BAD_REQUEST', details: { statementType: 'CREATE' } });
    await expect(query({ sql: `ATTACH '${path.join(dir, 'x.duckdb')}'` })).rejects.toMatchObject({ code: 'BAD_REQUEST', details: { statementType: 'ATTACH' } });
    await expect(query({ sql: 'SELECT 1; SELECT 2' })).rejects.toMatchObject({ code: 'BAD_REQUEST', details: { statements: 2 } });
    // a SELECT cannot read other files either: external access is off in the query's own instance
    await expect(query({ sql: `SELECT * FROM read_csv('${path.join(dir, 'store', 'mes-data.json')}')` })).rejects.toMatchObject({ code: 'QUERY_ERROR' });
    expect(fs.existsSync(outside)).toBe(false);
    expect(fs.existsSync(path.join(dir, 'x.duckdb'))).toBe(false);
  });

  it('exports a sorted, filtered query to CSV and a SQL result to Parquet in the exports folder', async () => {
    const csv = await session.invoke('rows.export', { path: 'raw/MES', sort: [{ column: 'close', descending: true }], filters: [{ column: 'close', kind: 'range', min: 5025 }], format: 'csv', name: 'top' });
    expect(csv).toMatchObject({ path: 'exports/top.csv', rows: 40, capped: false, microsecond: ['timestamp'] });
    const lines = fs.readFileSync(path.join(store, 'exports', 'top.csv'), 'utf8').trim().split('\n');
    expect(lines.length).toBe(41);
    expect(lines[0]).toBe('timestamp,close,volume,symbol');
    // the row's time is 00:30:00.000000210: DuckDB writes it to the microsecond, as `microsecond` says
    expect(lines[1]).toBe('2024-01-02T00:30:00.000000Z,5025.0,190,MESH4');
    await expect(session.invoke('rows.export', { path: 'raw/MES', format: 'csv', name: 'top' })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await expect(session.invoke('rows.export', { path: 'raw/MES', format: 'csv', name: '../out' })).rejects.toMatchObject({ code: 'INVALID_NAME' });
    const parquet = await session.invoke('rows.export', { path: 'raw/MES', sql: 'SELECT symbol, sum(volume) AS v FROM MES GROUP BY symbol ORDER BY symbol', format: 'parquet', name: 'by-symbol' });
    expect(parquet).toMatchObject({ path: 'exports/by-symbol.parquet', rows: 2, capped: false, microsecond: [] });
    const times = await session.invoke('rows.export', { path: 'raw/MES', sql: 'SELECT timestamp, close FROM MES ORDER BY timestamp LIMIT 3', format: 'parquet', name: 'times' });
    expect(times).toMatchObject({ path: 'exports/times.parquet', rows: 3, capped: false, microsecond: ['timestamp'] });
    const back = await query({ sql: 'SELECT 1' });
    expect(back.rows).toEqual([[1]]);
    const read = (await session.invoke('rows.page', { path: 'exports/by-symbol.parquet', offset: 0, limit: 10 })) as { rows: unknown[][] };
    const sums = { MESH4: 0, MESM4: 0 };
    for (let i = 0; i < ROWS; i++) sums[row(i).symbol as 'MESH4' | 'MESM4'] += row(i).volume;
    expect(read.rows).toEqual([['MESH4', sums.MESH4], ['MESM4', sums.MESM4]]);
  });

  it('a query longer than its timeout is stopped: TIMEOUT', async () => {
    await expect(query({ sql: 'SELECT count(*) FROM range(100000000000) a', timeoutMs: 200 })).rejects.toMatchObject({ code: 'TIMEOUT', message: 'the query ran longer than 200 ms and was stopped' });
  });

  it('names the views of a path', () => {
    expect(viewNames('cleaned/MES/v3')).toEqual(['MES', 'dataset']);
    expect(viewNames('raw/MES/2024-01-02')).toEqual(['MES', 'dataset']);
    expect(viewNames('features/momentum-1/v1')).toEqual(['dataset']);
  });
});
