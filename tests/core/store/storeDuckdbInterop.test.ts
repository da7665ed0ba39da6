/**
 * DuckDB reads what the store writes, and the reader the product runs (`Dataset`, with the
 * file list of `datasetFiles`) returns what DuckDB returns for the same files: the same rows
 * in the same order with the same values. Values are compared exactly: instants as integer
 * nanoseconds, dates as YYYY-MM-DD, BIGINT as bigint. Where the two pick files differently
 * (DuckDB's `**` glob takes `.` and `_` names, the store's staging and upload folders among
 * them; a dataset never does), the test says so.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Type, type Data, type Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daysToDate } from '../../../core/arrow/arrowJson.js';
import { closeEngine } from '../../../core/engine/duckdbEngine.js';
import { readDatasetTable } from '../../../core/engine/datasetTable.js';
import { Dataset, datasetFiles } from '../../../core/parquet/parquetDataset.js';
import { writeParquet } from '../../../core/parquet/writeParquet.js';
import { writeFeatures } from '../../../core/store/layerIO.js';
import { commitRawSnapshots } from '../../../core/store/rawSnapshot.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { writeCleanedData } from '../../helpers/cleanedVersion.js';
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

/** DuckDB's rows of `source` (a `read_parquet(…)` with `filename` and `file_row_number`), in file then row order. */
async function duckRows(duck: DuckSession, source: string): Promise<Record<string, Cell>[]> {
  const columns = (await duck.rows(`SELECT column_name, column_type FROM (DESCRIBE SELECT * EXCLUDE (filename, file_row_number) FROM ${source})`)).map((row) => [row.column_name as string, row.column_type as string] as const);
  const select = columns.map(([name, type]) => {
    const quoted = `"${name}"`;
    if (type.startsWith('TIMESTAMP')) return `epoch_ns(${quoted}) AS ${quoted}`;
    if (type === 'DATE') return `${quoted}::VARCHAR AS ${quoted}`;
    return quoted;
  });
  return (await duck.rows(`SELECT ${select.join(', ')} FROM ${source} ORDER BY filename, file_row_number`)) as Record<string, Cell>[];
}

/** `read_parquet` of exactly these files. */
const ofFiles = (files: string[]) => `read_parquet([${files.map(sqlString).join(', ')}], hive_partitioning = false, filename = true, file_row_number = true)`;
/** `read_parquet` of DuckDB's glob of every Parquet file under `root`. */
const ofGlob = (root: string) => `read_parquet(${sqlString(`${root}/**/*.parquet`)}, hive_partitioning = false, filename = true, file_row_number = true)`;

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
      asset: 'MES',
      featureSet: 'price_volatility',
      data: [{ table: bars(10, 100) }, { table: bars(40, 0) }, { table: bars(45, 40) }],
    });
  });
  afterAll(async () => {
    duck?.close();
    await closeEngine();
    if (store) expectSidecarsValid(store.root);
    cleanup?.();
  });

  it('DuckDB reads every layer folder as one table with the same values as the dataset reader', async () => {
    const folders = ['raw/MES', 'raw', 'cleaned/v1/MES', 'features/v1/MES/price_volatility'];
    const counts: Record<string, number> = {};
    for (const folder of folders) {
      const root = path.join(store.root, ...folder.split('/'));
      const dataset = await Dataset.open(store.root, folder);
      const ours = ourRows(await dataset.readAll());
      // the dataset's files are DuckDB's glob here: a store folder holds no hidden Parquet file
      expect(dataset.files.map((f) => f.file)).toEqual(datasetFiles(store.root, folder).files);
      expect({ folder, rows: ours }).toEqual({ folder, rows: await duckRows(duck, ofFiles(dataset.files.map((f) => f.file))) });
      expect({ folder, rows: ours }).toEqual({ folder, rows: await duckRows(duck, ofGlob(root)) });
      // and the DuckDB read the jobs run (validation, the promotion gate) gives the same table
      const engine = await readDatasetTable(dataset.files.map((f) => f.file));
      expect({ folder, rows: ourRows(engine?.table ?? (await dataset.readRows(0, 0))) }).toEqual({ folder, rows: ours });
      counts[folder] = ours.length;
    }
    expect(counts).toEqual({ raw: 95, 'raw/MES': 85, 'cleaned/v1/MES': 85, 'features/v1/MES/price_volatility': 95 });
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

  it('a dataset skips `.` and `_` entries, which DuckDB\'s glob reads; with the dataset\'s file list both agree', async () => {
    const root = path.join(path.dirname(store.root), 'hidden');
    const layout: [string, number][] = [
      ['a/part-0.parquet', 0],
      ['a/.part-1.parquet', 10],
      ['a/_part-2.parquet', 20],
      ['_staging/part-0.parquet', 30],
      ['.upload/part-0.parquet', 40],
      ['b/part-0.parquet', 50],
    ];
    for (const [relative, start] of layout) {
      fs.mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
      await writeParquet(bars(2, start), path.join(root, relative));
    }
    const dataset = await Dataset.open(null, root);
    expect(dataset.files.map((f) => path.relative(root, f.file))).toEqual(['a/part-0.parquet', 'b/part-0.parquet']);
    const ours = ourRows(await dataset.readAll(['volume']));
    expect(ours).toEqual([{ volume: 100n }, { volume: 101n }, { volume: 150n }, { volume: 151n }]);
    const viaList = await duckRows(duck, ofFiles(dataset.files.map((f) => f.file)));
    expect(viaList.map((row) => ({ volume: row.volume }))).toEqual(ours);
    const viaGlob = await duckRows(duck, ofGlob(root));
    expect(viaGlob.map((row) => row.volume)).toEqual([140n, 141n, 130n, 131n, 110n, 111n, 120n, 121n, 100n, 101n, 150n, 151n]);
  });
});
