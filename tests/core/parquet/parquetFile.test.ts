import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableToJsonRows } from '../../../core/arrow/arrowJson.js';
import { DecoderPool } from '../../../core/parquet/decoderPool.js';
import { openParquetFile, readParquet } from '../../../core/parquet/parquetFile.js';
import { writeParquet } from '../../../core/parquet/writeParquet.js';
import { ohlcvTable, tempDir } from '../../helpers/ohlcvTable.js';

const ROWS = 50_000;

describe('openParquetFile and readRows', () => {
  const decoder = new DecoderPool();
  const { dir, cleanup } = tempDir();
  const file = path.join(dir, 'bars.parquet');
  const source = ohlcvTable(ROWS);
  const sourceRows = tableToJsonRows(source);

  beforeAll(async () => {
    await writeParquet(source, file, { compression: 'zstd', rowGroupSize: 10_000, metadata: { asset: 'MES' }, decoder });
  });
  afterAll(async () => {
    await decoder.close();
    cleanup();
  });

  it('opens from the footer: rows, row groups, schema and key-value metadata', async () => {
    const handle = await openParquetFile(file, { decoder });
    expect(handle.numRows).toBe(ROWS);
    expect(handle.info.rowGroups.map((g) => [g.rowStart, g.numRows])).toEqual([
      [0, 10_000],
      [10_000, 10_000],
      [20_000, 10_000],
      [30_000, 10_000],
      [40_000, 10_000],
    ]);
    expect(handle.schema.fields.map((f) => f.name)).toEqual(['timestamp', 'open', 'high', 'low', 'close', 'volume']);
    expect(handle.info.keyValue.asset).toBe('MES');
    expect(handle.info.bytes).toBe(fs.statSync(file).size);
  });

  it('reads a page that crosses a row-group boundary with exact values', async () => {
    const handle = await openParquetFile(file, { decoder });
    const page = await handle.readRows(9_995, 10);
    expect(tableToJsonRows(page)).toEqual(sourceRows.slice(9_995, 10_005));
    expect(tableToJsonRows(page)[5]).toEqual({
      timestamp: '2024-01-08T22:40:00.000000000Z',
      open: 7500,
      high: 7501,
      low: 7499,
      close: 7500.5,
      volume: 10_100,
    });
  });

  it('reads chosen columns in the order asked for', async () => {
    const handle = await openParquetFile(file, { decoder });
    const page = await handle.readRows(42_000, 2, ['volume', 'timestamp']);
    expect(page.schema.fields.map((f) => f.name)).toEqual(['volume', 'timestamp']);
    expect(tableToJsonRows(page)).toEqual([
      { volume: 42_100, timestamp: '2024-01-31T04:00:00.000000000Z' },
      { volume: 42_101, timestamp: '2024-01-31T04:01:00.000000000Z' },
    ]);
  });

  it('clips pages at the end of the file and keeps the schema for empty pages', async () => {
    const handle = await openParquetFile(file, { decoder });
    expect((await handle.readRows(ROWS - 3, 100)).numRows).toBe(3);
    const past = await handle.readRows(ROWS + 10, 5);
    expect(past.numRows).toBe(0);
    expect(past.schema.fields.length).toBe(6);
    expect((await handle.readRows(0, 0)).numRows).toBe(0);
  });

  it('names unknown columns and bad offsets', async () => {
    const handle = await openParquetFile(file, { decoder });
    await expect(handle.readRows(0, 5, ['close', 'vwap'])).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `column "vwap" not found in ${file}; columns are timestamp, open, high, low, close, volume`,
      details: { missing: ['vwap'] },
    });
    await expect(handle.readRows(-1, 5)).rejects.toMatchObject({ code: 'BAD_REQUEST', details: { offset: -1 } });
    await expect(handle.readRows(0, 1.5)).rejects.toMatchObject({ code: 'BAD_REQUEST', details: { limit: 1.5 } });
  });

  it('reads a whole file or some columns of it', async () => {
    const all = await readParquet(file, { decoder });
    expect(all.numRows).toBe(ROWS);
    expect(tableToJsonRows(all.slice(ROWS - 1))).toEqual([sourceRows[ROWS - 1]]);
    const closes = await readParquet(file, { columns: ['close'], decoder });
    expect(closes.schema.fields.map((f) => f.name)).toEqual(['close']);
    expect(closes.getChild('close')?.get(ROWS - 1)).toBe(5000 + (ROWS - 1) * 0.25 + 0.5);
  });

  it('sees a file that changed on disk', async () => {
    const changing = path.join(dir, 'changing.parquet');
    await writeParquet(ohlcvTable(10), changing, { decoder });
    expect((await openParquetFile(changing, { decoder })).numRows).toBe(10);
    await writeParquet(ohlcvTable(25), changing, { decoder });
    expect((await openParquetFile(changing, { decoder })).numRows).toBe(25);
  });

  it('stores timestamps delta-encoded, and any page of them reads exactly', async () => {
    const meta = (await openParquetFile(file, { decoder })).info.rowGroups[0].columns.find((c) => c.name === 'timestamp');
    expect(meta?.encodings).toContain('DELTA_BINARY_PACKED');
    expect(meta?.encodings).not.toContain('RLE_DICTIONARY');
    const handle = await openParquetFile(file, { decoder });
    let seed = 7;
    for (let k = 0; k < 60; k++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      const offset = seed % ROWS;
      const limit = 1 + (seed % 300);
      const page = await handle.readRows(offset, limit, ['timestamp', 'volume']);
      const expected = sourceRows.slice(offset, offset + limit).map((row) => ({ timestamp: row.timestamp, volume: row.volume }));
      expect(tableToJsonRows(page)).toEqual(expected);
    }
  });

  it('reads only the row groups a page needs, not the file', async () => {
    if (!fs.existsSync('/proc/self/io')) return; // byte counters are Linux-only
    const big = path.join(dir, 'uncompressed.parquet');
    await writeParquet(ohlcvTable(400_000), big, { compression: 'none', rowGroupSize: 10_000, decoder });
    const size = fs.statSync(big).size;
    expect(size).toBeGreaterThan(19_000_000);
    const readBytes = () => Number(/rchar:\s*(\d+)/.exec(fs.readFileSync('/proc/self/io', 'utf8'))?.[1]);
    const before = readBytes();
    const handle = await openParquetFile(big, { decoder });
    const page = await handle.readRows(250_000, 100);
    const read = readBytes() - before;
    expect(tableToJsonRows(page)[0]).toMatchObject({ timestamp: '2024-06-23T14:40:00.000000000Z', volume: 250_100 });
    // one row group of six 8-byte columns is 480 KB; the footer is a few KB
    expect(read).toBeLessThan(2_000_000);
  });
});

describe('bad files', () => {
  const decoder = new DecoderPool();
  const { dir, cleanup } = tempDir();
  afterAll(async () => {
    await decoder.close();
    cleanup();
  });

  it('gives NOT_FOUND for a missing path and for a folder', async () => {
    const missing = path.join(dir, 'missing.parquet');
    await expect(openParquetFile(missing, { decoder })).rejects.toMatchObject({ code: 'NOT_FOUND', message: `file not found: ${missing}` });
    await expect(openParquetFile(dir, { decoder })).rejects.toMatchObject({ code: 'NOT_FOUND', message: `not a file: ${dir}` });
  });

  it('gives CORRUPTED_FILE naming the file for empty, garbage and truncated files', async () => {
    const empty = path.join(dir, 'empty.parquet');
    fs.writeFileSync(empty, '');
    await expect(openParquetFile(empty, { decoder })).rejects.toMatchObject({
      code: 'CORRUPTED_FILE',
      message: `${empty} is 0 bytes, too small to be a Parquet file (at least 12)`,
    });

    const csv = path.join(dir, 'bars.parquet');
    fs.writeFileSync(csv, 'timestamp,open\n2024-01-02,5000\n');
    await expect(openParquetFile(csv, { decoder })).rejects.toMatchObject({
      code: 'CORRUPTED_FILE',
      message: `${csv} is not a Parquet file: expected magic "PAR1" at both ends, found "time" and "000\\n"`,
    });

    const good = path.join(dir, 'good.parquet');
    await writeParquet(ohlcvTable(100), good, { decoder });
    const bytes = fs.readFileSync(good);
    const truncated = path.join(dir, 'truncated.parquet');
    fs.writeFileSync(truncated, bytes.subarray(0, bytes.length - 100));
    await expect(openParquetFile(truncated, { decoder })).rejects.toMatchObject({ code: 'CORRUPTED_FILE', details: { path: truncated } });

    // right magic at both ends, garbage between: the footer length points nowhere
    const garbage = path.join(dir, 'garbage.parquet');
    const noise = Buffer.alloc(4096, 0x5a);
    noise.write('PAR1', 0, 'latin1');
    noise.write('PAR1', 4092, 'latin1');
    fs.writeFileSync(garbage, noise);
    const error = await openParquetFile(garbage, { decoder }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CORRUPTED_FILE', details: { path: garbage } });
    expect((error as Error).message.startsWith(`${garbage} has an unreadable footer: `)).toBe(true);
  });

  it('gives CORRUPTED_FILE when the pages are damaged, and keeps working after', async () => {
    const good = path.join(dir, 'pages.parquet');
    await writeParquet(ohlcvTable(5000), good, { compression: 'snappy', decoder });
    const bytes = Buffer.from(fs.readFileSync(good));
    // overwrite the middle of the data pages, keep the footer intact
    bytes.fill(0xff, 200, 2000);
    const damaged = path.join(dir, 'damaged.parquet');
    fs.writeFileSync(damaged, bytes);
    const handle = await openParquetFile(damaged, { decoder });
    await expect(handle.readAll()).rejects.toMatchObject({ code: 'CORRUPTED_FILE', details: { path: damaged } });
    expect((await readParquet(good, { decoder })).numRows).toBe(5000);
  });
});
