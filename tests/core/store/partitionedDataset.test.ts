import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableToJsonRows } from '../../../core/arrow/arrowJson.js';
import { writeParquet } from '../../../core/parquet/writeParquet.js';
import { planPartitionedRead, readPartitionedDataset, scanPartitionedDataset } from '../../../core/store/partitionedDataset.js';
import { ohlcvTable, tempDir } from '../../helpers/ohlcvTable.js';
import { bars, errorOf } from './storeTestKit.js';

describe('readPartitionedDataset', () => {
  const { dir, cleanup } = tempDir('mes-data-partitions-');
  const root = path.join(dir, 'cleaned', 'v1', 'ALL');
  const at = (relative: string) => path.join(root, ...relative.split('/'));

  beforeAll(async () => {
    // 3 files of 30 rows in row groups of 10; minutes 0-29, 30-59, 60-89
    const layout: [string, number][] = [
      ['asset=MES/date=2024-01-15/part-0.parquet', 0],
      ['asset=MES/date=2024-01-16/part-0.parquet', 30],
      ['asset=ES/date=2024-01-16/part-0.parquet', 60],
    ];
    for (const [relative, start] of layout) {
      fs.mkdirSync(path.dirname(at(relative)), { recursive: true });
      await writeParquet(bars(30, start), at(relative), { compression: 'zstd', rowGroupSize: 10 });
    }
  });
  afterAll(cleanup);

  it('reads every file in sorted path order with asset (Utf8) and date (Date32) appended, sorted by name', async () => {
    const table = await readPartitionedDataset(root);
    expect(table.schema.fields.map((f) => `${f.name}: ${String(f.type)}`)).toEqual([
      'timestamp: Timestamp<NANOSECOND, UTC>',
      'open: Float64',
      'high: Float64',
      'low: Float64',
      'close: Float64',
      'volume: Int64',
      'venue: Utf8',
      'asset: Utf8',
      'date: Date32<DAY>',
    ]);
    const rows = tableToJsonRows(table);
    expect(rows.length).toBe(90);
    // ES sorts before MES
    expect(rows[0]).toEqual({ timestamp: '2024-01-02T01:00:00.000000000Z', open: 5015, high: 5016, low: 5014, close: 5015.5, volume: 160, venue: 'GLBX', asset: 'ES', date: '2024-01-16' });
    expect(rows.map((r) => `${r.asset as string} ${r.date as string}`).filter((v, i, all) => all.indexOf(v) === i)).toEqual(['ES 2024-01-16', 'MES 2024-01-15', 'MES 2024-01-16']);
    expect(rows[30].volume).toBe(100);
    expect(rows[89].volume).toBe(159);
  });

  it('prunes partitions by partition filters and row groups by statistics, then filters rows exactly', async () => {
    const filters = [
      { column: 'date', op: '>=' as const, value: '2024-01-16' },
      { column: 'asset', op: '=' as const, value: 'MES' },
      { column: 'volume', op: '>=' as const, value: 145 },
    ];
    const plan = await planPartitionedRead(root, { filters });
    expect(plan.fileCount).toBe(3);
    expect(plan.partitionColumns).toEqual([
      { name: 'asset', type: 'varchar' },
      { name: 'date', type: 'date' },
    ]);
    // volume 130..159 in groups [130-139], [140-149], [150-159]: the first cannot hold 145+
    expect(plan.files.map((f) => [path.relative(root, f.path), f.rowGroups, f.totalRowGroups])).toEqual([['asset=MES/date=2024-01-16/part-0.parquet', [1, 2], 3]]);
    const table = await readPartitionedDataset(root, { filters, columns: ['volume', 'date'] });
    expect(tableToJsonRows(table)).toEqual(Array.from({ length: 15 }, (_, i) => ({ volume: 145 + i, date: '2024-01-16' })));
  });

  it('filters on timestamps, strings with nulls, in-lists and !=, and returns the filter-only columns unrequested', async () => {
    const table = await readPartitionedDataset(root, {
      columns: ['asset', 'volume'],
      filters: [
        { column: 'timestamp', op: '<', value: '2024-01-02T00:40:00Z' },
        { column: 'venue', op: 'in', value: ['XCME'] },
        { column: 'volume', op: '!=', value: 133 },
      ],
    });
    // minutes 0..39 with odd minute (XCME) and minute % 7 != 0, minus volume 133 (minute 33)
    const minutes = Array.from({ length: 40 }, (_, m) => m).filter((m) => m % 2 === 1 && m % 7 !== 0 && m !== 33);
    expect(tableToJsonRows(table)).toEqual(minutes.map((m) => ({ asset: 'MES', volume: 100 + m })));
    const plan = await planPartitionedRead(root, { filters: [{ column: 'timestamp', op: '<', value: new Date('2024-01-02T00:40:00Z') }] });
    expect(plan.files.map((f) => f.rowGroups)).toEqual([[0, 1, 2], [0]]);
  });

  it('reads partition columns alone and gives an empty table with the schema when everything is pruned', async () => {
    const counts = await readPartitionedDataset(root, { columns: ['date'], filters: [{ column: 'asset', op: '=', value: 'ES' }] });
    expect({ rows: counts.numRows, fields: counts.schema.fields.map((f) => f.name) }).toEqual({ rows: 30, fields: ['date'] });
    const none = await readPartitionedDataset(root, { filters: [{ column: 'volume', op: '>', value: 10_000 }] });
    expect({ rows: none.numRows, fields: none.schema.fields.length }).toEqual({ rows: 0, fields: 9 });
    const pieces: string[] = [];
    for await (const piece of scanPartitionedDataset(root, { filters: [{ column: 'date', op: '=', value: '2024-01-16' }] })) pieces.push(`${path.relative(root, piece.path)}:${piece.table.numRows}`);
    expect(pieces).toEqual(['asset=ES/date=2024-01-16/part-0.parquet:30', 'asset=MES/date=2024-01-16/part-0.parquet:30']);
  });

  it('names plain asset/date folders with folderKeys (raw layout)', async () => {
    const raw = path.join(dir, 'raw');
    for (const [asset, date, start] of [['MES', '2024-01-15', 0], ['MES', '2024-01-16', 5], ['ES', '2024-01-15', 10]] as const) {
      fs.mkdirSync(path.join(raw, asset, date), { recursive: true });
      await writeParquet(bars(5, start), path.join(raw, asset, date, 'ohlcv.parquet'));
    }
    const table = await readPartitionedDataset(raw, { folderKeys: ['asset', 'date'], columns: ['asset', 'date', 'volume'], filters: [{ column: 'date', op: '=', value: '2024-01-15' }] });
    expect(tableToJsonRows(table).map((r) => `${r.asset as string} ${r.date as string} ${r.volume as number}`)).toEqual([
      'ES 2024-01-15 110',
      'ES 2024-01-15 111',
      'ES 2024-01-15 112',
      'ES 2024-01-15 113',
      'ES 2024-01-15 114',
      'MES 2024-01-15 100',
      'MES 2024-01-15 101',
      'MES 2024-01-15 102',
      'MES 2024-01-15 103',
      'MES 2024-01-15 104',
    ]);
    // without folderKeys the plain folders add nothing, as in DuckDB
    expect((await readPartitionedDataset(path.join(raw, 'MES'))).schema.fields.map((f) => f.name)).toEqual(['timestamp', 'open', 'high', 'low', 'close', 'volume', 'venue']);
  });

  it('says what is wrong: unknown columns, mismatched partitions or types, bad filter values, nothing to read', async () => {
    const unknown = await errorOf(readPartitionedDataset(root, { columns: ['price'] }));
    expect({ code: unknown.code, column: unknown.details.column }).toEqual({ code: 'NOT_FOUND', column: 'price' });
    expect((await errorOf(readPartitionedDataset(root, { filters: [{ column: 'price', op: '=', value: 1 }] }))).code).toBe('NOT_FOUND');
    expect((await errorOf(readPartitionedDataset(root, { filters: [{ column: 'date', op: '=', value: 'Monday' }] }))).code).toBe('BAD_REQUEST');
    expect((await errorOf(readPartitionedDataset(path.join(dir, 'nothing-here')))).code).toBe('NOT_FOUND');

    const mixed = path.join(dir, 'mixed');
    fs.mkdirSync(path.join(mixed, 'date=2024-01-15'), { recursive: true });
    fs.mkdirSync(path.join(mixed, 'other'), { recursive: true });
    await writeParquet(ohlcvTable(2), path.join(mixed, 'date=2024-01-15', 'a.parquet'));
    await writeParquet(ohlcvTable(2), path.join(mixed, 'other', 'b.parquet'));
    expect((await errorOf(readPartitionedDataset(mixed))).code).toBe('SCHEMA_MISMATCH');

    const typed = path.join(dir, 'typed');
    fs.mkdirSync(path.join(typed, 'k=1'), { recursive: true });
    fs.mkdirSync(path.join(typed, 'k=2'), { recursive: true });
    await writeParquet(ohlcvTable(2), path.join(typed, 'k=1', 'a.parquet'));
    await writeParquet(bars(2, 0).select(['timestamp', 'venue']).assign(ohlcvTable(2).select(['open'])), path.join(typed, 'k=2', 'a.parquet'));
    const mismatch = await errorOf(readPartitionedDataset(typed, { columns: ['open', 'volume'] }));
    expect({ code: mismatch.code, column: mismatch.details.column }).toEqual({ code: 'SCHEMA_MISMATCH', column: 'volume' });
  });
});
