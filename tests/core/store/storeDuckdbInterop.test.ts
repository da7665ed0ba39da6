/**
 * DuckDB reads what the store writes, and our partitioned reader returns what DuckDB
 * returns: the same rows in the same order with the same values, with and without filters.
 * Values are compared exactly: instants as integer nanoseconds, dates as YYYY-MM-DD, BIGINT
 * as bigint.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Type, type Data, type Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daysToDate } from '../../../core/arrow/arrowJson.js';
import { writeParquet } from '../../../core/parquet/writeParquet.js';
import type { DatasetFilter, FilterScalar } from '../../../core/store/datasetFilters.js';
import { writeCleanedData, writeFeatures } from '../../../core/store/layerIO.js';
import { readPartitionedDataset } from '../../../core/store/partitionedDataset.js';
import { commitRawSnapshots } from '../../../core/store/rawSnapshot.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { DuckSession, sqlString } from '../../interop/duckdbSession.js';
import { bars, expectSidecarsValid, newStore } from './storeTestKit.js';

type Cell = string | number | bigint | boolean | null;

/** Our table as rows of exact plain values (instants as bigint nanoseconds). */
function ourRows(table: Table): Record<string, Cell>[] {
  const names = table.schema.fields.map((f) => f.name);
  const rows: Record<string, Cell>[] = Array.from({ length: table.numRows }, () => ({}));
  names.forEach((name, k) => {
    let row = 0;
    for (const data of (table.getChildAt(k)?.data ?? []) as Data[]) {
      for (let i = 0; i < data.length; i++, row++) {
        if (data.nullCount > 0 && !data.getValid(i)) {
          rows[row][name] = null;
          continue;
        }
        const type = data.type;
        const values = data.values as ArrayLike<number | bigint>;
        if (type.typeId === Type.Timestamp) {
          const unit = (type as unknown as { unit: number }).unit;
          rows[row][name] = BigInt(values[i]) * [1_000_000_000n, 1_000_000n, 1_000n, 1n][unit];
        } else if (type.typeId === Type.Date) rows[row][name] = daysToDate(Number(values[i]));
        else if (type.typeId === Type.Int || type.typeId === Type.Float) rows[row][name] = values[i];
        else rows[row][name] = (table.getChildAt(k)?.get(row) as Cell) ?? null;
      }
    }
  });
  return rows;
}

function literal(value: FilterScalar, type: string): string {
  if (value === null) return 'NULL';
  if (type === 'DATE') return `DATE ${sqlString(String(value))}`;
  if (type.startsWith('TIMESTAMP')) return `${type === 'TIMESTAMP' ? 'TIMESTAMP' : 'TIMESTAMPTZ'} ${sqlString(value instanceof Date ? value.toISOString() : String(value))}`;
  if (typeof value === 'string') return sqlString(value);
  return String(value);
}

/** DuckDB's rows for the same read, in file then row order. */
async function duckRows(duck: DuckSession, root: string, filters: DatasetFilter[] = []): Promise<Record<string, Cell>[]> {
  const source = `read_parquet(${sqlString(`${root}/**/*.parquet`)}, hive_partitioning = true, filename = true, file_row_number = true)`;
  const columns = (await duck.rows(`SELECT column_name, column_type FROM (DESCRIBE SELECT * EXCLUDE (filename, file_row_number) FROM ${source})`)).map((row) => [row.column_name as string, row.column_type as string] as const);
  const types = Object.fromEntries(columns);
  const select = columns.map(([name, type]) => {
    const quoted = `"${name}"`;
    if (type.startsWith('TIMESTAMP')) return `epoch_ns(${quoted}) AS ${quoted}`;
    if (type === 'DATE') return `${quoted}::VARCHAR AS ${quoted}`;
    return quoted;
  });
  const where = filters.map((f) => {
    const type = types[f.column];
    if (f.op === 'in') return `"${f.column}" IN (${(f.value as FilterScalar[]).map((v) => literal(v, type)).join(', ')})`;
    return `"${f.column}" ${f.op} ${literal(f.value as FilterScalar, type)}`;
  });
  const sql = `SELECT ${select.join(', ')} FROM ${source}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY filename, file_row_number`;
  return (await duck.rows(sql)) as Record<string, Cell>[];
}

describe('DuckDB interoperability of the store', () => {
  let duck: DuckSession;
  let store: Store;
  let cleanup: () => void;

  beforeAll(async () => {
    duck = await DuckSession.open();
    ({ store, cleanup } = await newStore('mes-data-store-duckdb-'));
    await commitRawSnapshots(store, [
      { asset: 'MES', date: '2024-01-15', name: 'ohlcv', table: bars(40, 0), rowGroupSize: 16 },
      { asset: 'MES', date: '2024-01-16', name: 'ohlcv', table: bars(40, 40) },
      { asset: 'MES', date: '2024-01-16', name: 'late', table: bars(5, 80), compression: 'zstd' },
      { asset: 'ES', date: '2024-01-15', name: 'ohlcv', table: bars(10, 100) },
    ]);
    await writeCleanedData(store, {
      asset: 'MES',
      rowGroupSize: 8,
      data: [
        { partition: { date: '2024-01-15' }, table: bars(40, 0) },
        { partition: { date: '2024-01-16' }, table: bars(45, 40) },
      ],
    });
    await writeFeatures(store, {
      featureSet: 'price_volatility',
      data: [
        { partition: { asset: 'ES', date: '2024-01-15' }, table: bars(10, 100) },
        { partition: { asset: 'MES', date: '2024-01-15' }, table: bars(40, 0) },
        { partition: { asset: 'MES', date: '2024-01-16' }, table: bars(45, 40) },
      ],
    });
  });
  afterAll(() => {
    duck?.close();
    if (store) expectSidecarsValid(store.root);
    cleanup?.();
  });

  it('DuckDB reads every layer folder as one table with the same values as we do', async () => {
    const folders = ['raw/MES', 'raw', 'cleaned/v1/MES', 'features/v1/price_volatility'];
    const counts: Record<string, number> = {};
    for (const folder of folders) {
      const root = path.join(store.root, ...folder.split('/'));
      const ours = ourRows(await readPartitionedDataset(root));
      const theirs = await duckRows(duck, root);
      expect({ folder, rows: ours }).toEqual({ folder, rows: theirs });
      counts[folder] = ours.length;
    }
    expect(counts).toEqual({ raw: 95, 'raw/MES': 85, 'cleaned/v1/MES': 85, 'features/v1/price_volatility': 95 });
    const kinds = await duck.rows(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${sqlString(`${store.root}/cleaned/v1/MES/**/*.parquet`)}, hive_partitioning = true))`);
    expect(kinds.map((row) => `${row.column_name as string} ${row.column_type as string}`)).toEqual([
      'timestamp TIMESTAMP WITH TIME ZONE',
      'open DOUBLE',
      'high DOUBLE',
      'low DOUBLE',
      'close DOUBLE',
      'volume BIGINT',
      'venue VARCHAR',
      'date DATE',
    ]);
  });

  it('with filters, our pruned read equals DuckDB WHERE', async () => {
    const root = path.join(store.root, 'features', 'v1', 'price_volatility');
    const cases: DatasetFilter[][] = [
      [{ column: 'date', op: '=', value: '2024-01-16' }],
      [{ column: 'asset', op: '!=', value: 'MES' }],
      [{ column: 'asset', op: 'in', value: ['ES', 'NQ'] }, { column: 'volume', op: '>', value: 104 }],
      [{ column: 'date', op: '<', value: '2024-01-16' }, { column: 'timestamp', op: '>=', value: '2024-01-02T00:20:00Z' }],
      [{ column: 'venue', op: '=', value: 'GLBX' }, { column: 'close', op: '<=', value: 5010.5 }],
      [{ column: 'venue', op: '!=', value: 'GLBX' }],
      [{ column: 'volume', op: '>', value: 1_000_000 }],
      [{ column: 'timestamp', op: '<', value: new Date('2024-01-02T00:45:30Z') }, { column: 'date', op: '>', value: '2024-01-15' }],
    ];
    for (const filters of cases) {
      const ours = ourRows(await readPartitionedDataset(root, { filters }));
      const theirs = await duckRows(duck, root, filters);
      expect({ filters: JSON.stringify(filters), rows: ours }).toEqual({ filters: JSON.stringify(filters), rows: theirs });
    }
  });

  it('types partition columns as DuckDB does: DATE, TIMESTAMP, BIGINT, VARCHAR, NULL', async () => {
    const root = path.join(path.dirname(store.root), 'typed');
    const layout = [
      'n=5/ts=2024-01-15 10:00:00/code=007/d=2024-1-5/x=NULL/p.parquet',
      'n=12/ts=2024-01-15T11:30:00.250/code=A1/d=2024-01-16/x=abc/p.parquet',
      'n=-3/ts=2024-01-16 00:00/code=B%20C/d=2024-12-31/x=def/p.parquet',
    ];
    for (const [i, relative] of layout.entries()) {
      fs.mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
      await writeParquet(bars(3, i * 3).select(['volume']), path.join(root, relative));
    }
    const table = await readPartitionedDataset(root);
    expect(table.schema.fields.map((f) => `${f.name}: ${String(f.type)}`)).toEqual(['volume: Int64', 'code: Utf8', 'd: Date32<DAY>', 'n: Int64', 'ts: Timestamp<MICROSECOND>', 'x: Utf8']);
    expect(ourRows(table)).toEqual(await duckRows(duck, root));
    expect(ourRows(await readPartitionedDataset(root, { filters: [{ column: 'n', op: '>', value: 0 }, { column: 'ts', op: '<', value: '2024-01-15T11:00:00Z' }] }))).toEqual(
      await duckRows(duck, root, [{ column: 'n', op: '>', value: 0 }, { column: 'ts', op: '<', value: '2024-01-15 11:00:00' }]),
    );
  });

  it('a partition key that is also a file column takes the partition value, in the column\'s place', async () => {
    const root = path.join(path.dirname(store.root), 'overlap');
    fs.mkdirSync(path.join(root, 'venue=XEUR'), { recursive: true });
    await writeParquet(bars(4, 0).select(['volume', 'venue', 'close']), path.join(root, 'venue=XEUR', 'p.parquet'));
    const table = await readPartitionedDataset(root);
    expect(table.schema.fields.map((f) => f.name)).toEqual(['volume', 'venue', 'close']);
    expect(ourRows(table)).toEqual(await duckRows(duck, root));
    expect(ourRows(table).map((row) => row.venue)).toEqual(['XEUR', 'XEUR', 'XEUR', 'XEUR']);
  });
});
