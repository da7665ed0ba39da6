import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PlainParquetSpill } from '../../../core/features/plainParquetSpill.js';
import { closeEngine, withConnection } from '../../../core/engine/duckdbEngine.js';
import { readParquet } from '../../../core/parquet/parquetFile.js';
import { tempDir } from '../../helpers/ohlcvTable.js';

describe('PlainParquetSpill', () => {
  const { dir, cleanup } = tempDir('mes-data-spill-');
  afterAll(async () => {
    await closeEngine();
    cleanup();
  });

  const n = 23;
  const doubles = Float64Array.from({ length: n }, (_, i) => (i === 3 ? Number.NaN : i === 4 ? -Infinity : i * 1.5 - 7));
  const days = Int32Array.from({ length: n }, (_, i) => 19_000 + i);
  const longs = BigInt64Array.from({ length: n }, (_, i) => BigInt(i) * 1_000_000_007n - 5n);

  function written(name: string, rowGroupRows: number, pieces: number[]): string {
    const file = path.join(dir, name);
    const spill = new PlainParquetSpill(file, [{ name: 'x', type: 'DOUBLE' }, { name: 'd', type: 'INT32' }, { name: 'big', type: 'INT64' }], rowGroupRows);
    let at = 0;
    for (const size of pieces) {
      spill.append([doubles.subarray(at, at + size), days.subarray(at, at + size), longs.subarray(at, at + size)], size);
      at += size;
    }
    spill.close();
    expect(spill.rows).toBe(n);
    return file;
  }

  it('DuckDB reads every value back exactly, across row groups and appends of any size', async () => {
    const file = written('spill.parquet', 5, [1, 9, 13]);
    const rows = await withConnection((c) =>
      c.rows(`SELECT x, d, big::VARCHAR AS big, (SELECT count(DISTINCT row_group_id) FROM parquet_metadata('${file}'))::INTEGER AS groups FROM read_parquet('${file}')`, 'reading the spill'),
    );
    expect(rows.map((r) => r.d)).toEqual(Array.from(days));
    expect(rows.map((r) => r.big)).toEqual(Array.from(longs, String));
    expect(rows.map((r) => r.x)).toEqual(Array.from(doubles));
    expect(rows[0].groups).toBe(5);
  });

  it('our own reader reads it too (a valid Parquet file, not only one DuckDB accepts)', async () => {
    const file = written('spill-2.parquet', 8, [23]);
    const table = await readParquet(file);
    expect(table.numRows).toBe(n);
    expect(Array.from(table.getChild('d')?.toArray() as Int32Array)).toEqual(Array.from(days));
    expect(Array.from(table.getChild('big')?.toArray() as BigInt64Array)).toEqual(Array.from(longs));
    expect(Array.from(table.getChild('x')?.toArray() as Float64Array)).toEqual(Array.from(doubles));
  });

  it('refuses to overwrite a file, with IO_ERROR naming it', () => {
    const file = path.join(dir, 'taken.parquet');
    fs.writeFileSync(file, 'x');
    let caught: unknown;
    try {
      new PlainParquetSpill(file, [{ name: 'x', type: 'DOUBLE' }]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'IO_ERROR', details: { path: file } });
    expect((caught as Error).message).toContain(file);
  });
});
