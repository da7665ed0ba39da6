import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Decimal, Float64, Int32, makeData, makeVector, Table, TimestampMicrosecond, TimestampNanosecond, Utf8, vectorFromArray, type Vector } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vectorValueToJson } from '../../../core/arrow/arrowJson.js';
import { closeEngine } from '../../../core/engine/duckdbEngine.js';
import { readDatasetChunks, readDatasetTable } from '../../../core/engine/datasetTable.js';
import { sharedDecoderPool } from '../../../core/parquet/decoderPool.js';
import { Dataset } from '../../../core/parquet/parquetDataset.js';
import { writeParquet } from '../../../core/parquet/writeParquet.js';
import { OHLCV_SCHEMA } from '../../../core/schema/predefinedSchemas.js';
import { validateFiles } from '../../../core/validation/validateDataset.js';
import { validateTable } from '../../../core/validation/validateTable.js';
import { ohlcvTable } from '../../helpers/ohlcvTable.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dataset-table-'));
});
afterAll(async () => {
  await closeEngine();
  await sharedDecoderPool().close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function rowsOf(table: Table): unknown[][] {
  const vectors = table.schema.fields.map((_, k) => table.getChildAt(k) as Vector);
  const rows: unknown[][] = [];
  for (let i = 0; i < table.numRows; i++) rows.push(vectors.map((v) => vectorValueToJson(v, i)));
  return rows;
}

/** A small table with nulls, a string, an int32 and a timestamp of the given type. */
function mixedTable(offset: number, ts: BigInt64Array, micro: boolean): Table {
  const n = ts.length;
  const price = Float64Array.from({ length: n }, (_, i) => 100 + offset + i * 0.25);
  const priceBitmap = new Uint8Array(Math.ceil(n / 8)).fill(0xff);
  priceBitmap[0] &= ~(1 << 1); // row 1 is null
  return new Table({
    timestamp: makeVector(makeData({ type: micro ? new TimestampMicrosecond('UTC') : new TimestampNanosecond('UTC'), length: n, data: ts })),
    price: makeVector(makeData({ type: new Float64(), length: n, data: price, nullBitmap: priceBitmap, nullCount: 1 })),
    qty: makeVector(makeData({ type: new Int32(), length: n, data: Int32Array.from({ length: n }, (_, i) => i * 3 - 2) })),
    asset: vectorFromArray(Array.from({ length: n }, (_, i) => (i === 2 ? null : `MES${offset}`)), new Utf8()),
  });
}

describe('readDatasetTable', () => {
  it('reads many files in order with the values and types our own reader gives, nanoseconds exact', async () => {
    const files: string[] = [];
    for (let f = 0; f < 3; f++) {
      const ts = BigInt64Array.from({ length: 5 }, (_, i) => 1_704_153_600_000_000_000n + BigInt(f * 5 + i) * 60_000_000_000n + (f === 1 && i === 3 ? 123n : 0n));
      const file = path.join(dir, 'ns', `part-${f}.parquet`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      await writeParquet(mixedTable(f, ts, false), file, { compression: 'zstd' });
      files.push(file);
    }
    const read = await readDatasetTable(files);
    expect(read).not.toBeNull();
    const old = await (await Dataset.openFiles(files)).readAll();
    expect(read?.table.numRows).toBe(15);
    expect(read?.files.map((f) => [path.basename(f.file), f.rows, f.rowStart])).toEqual([
      ['part-0.parquet', 5, 0],
      ['part-1.parquet', 5, 5],
      ['part-2.parquet', 5, 10],
    ]);
    expect(read?.table.schema.fields.map((f) => `${f.name}:${String(f.type)}:${f.nullable}`)).toEqual(old.schema.fields.map((f) => `${f.name}:${String(f.type)}:${f.nullable}`));
    expect(rowsOf(read?.table as Table)).toEqual(rowsOf(old));
    expect(rowsOf(read?.table as Table)[8][0]).toBe('2024-01-02T00:08:00.000000123Z');
    expect(rowsOf(read?.table as Table)[1][1]).toBeNull();
    expect(rowsOf(read?.table as Table)[2][3]).toBeNull();
    expect(read?.subMicrosecond).toBe(true);
  });

  it('reads microsecond timestamps through DuckDB and says no sub-microsecond digits were seen', async () => {
    const ts = BigInt64Array.from({ length: 4 }, (_, i) => 1_704_153_600_000_000n + BigInt(i) * 60_000_000n + 7n);
    const file = path.join(dir, 'us.parquet');
    await writeParquet(mixedTable(0, ts, true), file, { compression: 'snappy' });
    const read = await readDatasetTable([file]);
    const old = await (await Dataset.openFiles([file])).readAll();
    expect(String(read?.table.schema.fields[0].type)).toBe('Timestamp<MICROSECOND, UTC>');
    expect(rowsOf(read?.table as Table)).toEqual(rowsOf(old));
    expect(rowsOf(read?.table as Table)[3][0]).toBe('2024-01-02T00:03:00.000007Z');
    expect(read?.subMicrosecond).toBe(false);
  });

  it('gives the same validation report as the table our reader reads', async () => {
    const table = ohlcvTable(50);
    const high = table.getChild('high')?.data[0].values as Float64Array;
    high[7] = 1; // an OHLC violation
    const files = [path.join(dir, 'bars-a.parquet'), path.join(dir, 'bars-b.parquet')];
    await writeParquet(table.slice(0, 30), files[0], { compression: 'zstd' });
    await writeParquet(table.slice(30), files[1], { compression: 'zstd' });
    const schema = OHLCV_SCHEMA;
    const fast = validateTable((await readDatasetTable(files))?.table as Table, schema, { target: 't' }).report;
    const slow = validateTable(await (await Dataset.openFiles(files)).readAll(), schema, { target: 't' }).report;
    expect(fast).toEqual(slow);
    expect(fast.errors.map((e) => [e.rule, e.count, e.rows])).toEqual([['ohlc_consistency', 1, [7]]]);
  });

  it('reads in chunks the rows of the whole read, nanoseconds exact, and validation over the chunks reports as over the whole', async () => {
    const table = ohlcvTable(12_000);
    const ts = table.getChild('timestamp')?.data[0].values as BigInt64Array;
    const high = table.getChild('high')?.data[0].values as Float64Array;
    ts[2000] = ts[1999]; // a repeat across the first chunk boundary
    ts[5000] += 321n; // sub-microsecond digits inside the second file
    ts[8999] = ts[100]; // out of order, and a repeat far from its first, at a file's end
    high[5999] = 1; // OHLC broken on the last row of a chunk
    const files = [0, 1, 2, 3].map((k) => path.join(dir, 'chunks', `part-${k}.parquet`));
    fs.mkdirSync(path.dirname(files[0]), { recursive: true });
    for (const [k, file] of files.entries()) await writeParquet(table.slice(k * 3000, (k + 1) * 3000), file, { compression: 'zstd', rowGroupSize: 1000 });
    const whole = await readDatasetTable(files);
    const chunks: { rowStart: number; rows: unknown[][] }[] = [];
    const read = await readDatasetChunks(files, { chunkRows: 2048 }, (chunk) => {
      chunks.push({ rowStart: chunk.rowStart, rows: rowsOf(chunk.table) });
    });
    expect(read?.rows).toBe(12_000);
    expect(read?.subMicrosecond).toBe(true);
    // DuckDB hands over a row group's rows (1,000) at a time: a chunk takes whole ones up to 2,048 rows
    expect(chunks.map((c) => [c.rowStart, c.rows.length])).toEqual([0, 2000, 4000, 6000, 8000, 10000].map((start) => [start, 2000]));
    expect(chunks.flatMap((c) => c.rows)).toEqual(rowsOf(whole?.table as Table));
    expect(chunks[2].rows[5000 - 4000][0]).toBe('2024-01-05T11:20:00.000000321Z');
    const inChunks = await validateFiles(files, OHLCV_SCHEMA, { label: 't', chunkRows: 2048 });
    const once = validateTable(whole?.table as Table, OHLCV_SCHEMA, { target: 't' }).report;
    expect(inChunks.report).toEqual(once);
    expect(once.errors.map((e) => [e.rule, e.count, e.rows])).toEqual([
      ['ohlc_consistency', 1, [5999]],
      ['sorted_timestamp', 1, [8999]],
      ['unique_timestamp', 2, [2000, 8999]],
    ]);
  });

  it('answers null for a type it does not map, and for files whose schemas differ', async () => {
    const decimal = path.join(dir, 'decimal.parquet');
    await writeParquet(new Table({ d: makeVector(makeData({ type: new Decimal(2, 10, 128), length: 1, data: new Uint32Array([125, 0, 0, 0]) })) }), decimal, { compression: 'snappy' });
    expect(await readDatasetTable([decimal])).toBeNull();
    const a = path.join(dir, 'schema-a.parquet');
    const b = path.join(dir, 'schema-b.parquet');
    await writeParquet(new Table({ x: makeVector(Float64Array.from([1])) }), a, { compression: 'snappy' });
    await writeParquet(new Table({ x: makeVector(Int32Array.from([1])) }), b, { compression: 'snappy' });
    expect(await readDatasetTable([a, b])).toBeNull();
  });
});
