import fs from 'node:fs';
import path from 'node:path';
import { DateMillisecond, makeData, makeVector, Struct, Table, TimestampSecond, Utf8, vectorFromArray } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecoderPool } from '../../../core/parquet/decoderPool.js';
import { getParquetMetadata } from '../../../core/parquet/parquetMetadata.js';
import { readParquet } from '../../../core/parquet/parquetFile.js';
import { COMPRESSIONS, writeParquet } from '../../../core/parquet/writeParquet.js';
import { tableToJsonRows } from '../../../core/arrow/arrowJson.js';
import { ohlcvTable, tempDir } from '../../helpers/ohlcvTable.js';

const CODEC_IN_FOOTER = { snappy: 'SNAPPY', gzip: 'GZIP', zstd: 'ZSTD', brotli: 'BROTLI', lz4: 'LZ4_RAW', none: 'UNCOMPRESSED' } as const;

describe('writeParquet', () => {
  const decoder = new DecoderPool();
  const { dir, cleanup } = tempDir();
  const table = ohlcvTable(1000);
  let expected: ReturnType<typeof tableToJsonRows>;

  beforeAll(() => {
    expected = tableToJsonRows(table);
  });
  afterAll(async () => {
    await decoder.close();
    cleanup();
  });

  it.each(COMPRESSIONS)('writes %s and reads back the same values', async (compression) => {
    const file = path.join(dir, `ohlcv-${compression}.parquet`);
    const result = await writeParquet(table, file, { compression, rowGroupSize: 300, metadata: { layer: 'raw', asset: 'MES' }, decoder });
    expect(result).toEqual({ path: file, numRows: 1000, compression, bytes: fs.statSync(file).size });
    const meta = await getParquetMetadata(file, { decoder });
    expect(meta.numRows).toBe(1000);
    expect(meta.rowGroups.map((g) => g.numRows)).toEqual([300, 300, 300, 100]);
    expect(meta.rowGroups.map((g) => g.rowStart)).toEqual([0, 300, 600, 900]);
    expect(new Set(meta.rowGroups.flatMap((g) => g.columns.map((c) => c.compression)))).toEqual(new Set([CODEC_IN_FOOTER[compression]]));
    expect(meta.keyValue.layer).toBe('raw');
    expect(meta.keyValue.asset).toBe('MES');
    expect(meta.createdBy).toMatch(/^mes-data version \d+\.\d+\.\d+/);
    const back = await readParquet(file, { decoder });
    expect(back.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual([
      'timestamp:Timestamp<NANOSECOND, UTC>',
      'open:Float64',
      'high:Float64',
      'low:Float64',
      'close:Float64',
      'volume:Int64',
    ]);
    expect(tableToJsonRows(back)).toEqual(expected);
  });

  it('records statistics per row group: min, max, null count, sizes', async () => {
    const file = path.join(dir, 'stats.parquet');
    await writeParquet(table, file, { compression: 'zstd', rowGroupSize: 500, decoder });
    const meta = await getParquetMetadata(file, { decoder });
    const columns = meta.rowGroups[1].columns;
    const byName = Object.fromEntries(columns.map((c) => [c.name, c]));
    expect(byName.timestamp.min).toBe('2024-01-02T08:20:00.000000000Z');
    expect(byName.timestamp.max).toBe('2024-01-02T16:39:00.000000000Z');
    expect(byName.open.min).toBe(5125);
    expect(byName.open.max).toBe(5249.75);
    expect(byName.volume.min).toBe(600);
    expect(byName.volume.max).toBe(1099);
    expect(byName.volume.nullCount).toBe(0);
    expect(byName.open.compressedBytes).toBeGreaterThan(0);
    expect(byName.open.uncompressedBytes).toBeGreaterThan(500 * 8);
  });

  it('an encoding failure leaves the old file untouched and no temporary file behind', async () => {
    const file = path.join(dir, 'keep.parquet');
    await writeParquet(table, file, { decoder });
    const before = fs.readFileSync(file);
    // Parquet cannot represent a struct without fields: the encoder refuses it
    const bad = new Table({ empty: vectorFromArray([{}, {}], new Struct([])) });
    await expect(writeParquet(bad, file, { decoder })).rejects.toMatchObject({
      code: 'WRITE_FAILED',
      message: `cannot encode ${file} as Parquet: Arrow: Parquet does not support writing empty structs`,
    });
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('a failed rename leaves the target as it was and removes the temporary file', async () => {
    const target = path.join(dir, 'occupied.parquet');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'inside'), 'x');
    await expect(writeParquet(table, target, { decoder })).rejects.toMatchObject({ code: 'IO_ERROR', details: { path: target } });
    expect(fs.readdirSync(target)).toEqual(['inside']);
    expect(fs.readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a missing folder with NOT_FOUND and leaves nothing behind', async () => {
    const file = path.join(dir, 'no-such-folder', 'x.parquet');
    await expect(writeParquet(table, file, { decoder })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(fs.existsSync(path.dirname(file))).toBe(false);
  });

  it('rejects bad options with BAD_REQUEST and the value', async () => {
    const file = path.join(dir, 'opts.parquet');
    await expect(writeParquet(table, file, { compression: 'lzo' as never, decoder })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'unknown compression "lzo"; use one of snappy, gzip, zstd, brotli, lz4, none',
    });
    await expect(writeParquet(table, file, { rowGroupSize: 0, decoder })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      details: { rowGroupSize: 0 },
    });
    expect(fs.existsSync(file)).toBe(false);
  });

  it('keeps strings, nulls and metadata with non-ASCII text', async () => {
    const file = path.join(dir, 'text.parquet');
    const text = new Table({ note: vectorFromArray(['Überweisung', null, '期货'], new Utf8()) });
    await writeParquet(text, file, { metadata: { comment: 'café ☕' }, decoder });
    expect(tableToJsonRows(await readParquet(file, { decoder }))).toEqual([{ note: 'Überweisung' }, { note: null }, { note: '期货' }]);
    expect((await getParquetMetadata(file, { decoder })).keyValue.comment).toBe('café ☕');
  });
});

describe('types Parquet cannot mark', () => {
  const decoder = new DecoderPool();
  const { dir, cleanup } = tempDir();
  afterAll(async () => {
    await decoder.close();
    cleanup();
  });

  it('stores second timestamps as milliseconds and Date64 as Date32, same instants and days, nulls kept', async () => {
    const file = path.join(dir, 'seconds.parquet');
    const seconds = makeData({
      type: new TimestampSecond('America/Chicago'),
      length: 3,
      nullCount: 1,
      nullBitmap: new Uint8Array([0b101]),
      data: new BigInt64Array([1_704_164_645n, 0n, -1n]),
    });
    const days = makeData({ type: new DateMillisecond(), length: 3, data: new BigInt64Array([1_704_153_600_000n, 0n, -86_400_000n]) });
    await writeParquet(new Table({ ts: makeVector(seconds), day: makeVector(days) }), file, { decoder });
    const back = await readParquet(file, { decoder });
    expect(back.schema.fields.map((f) => String(f.type))).toEqual(['Timestamp<MILLISECOND, America/Chicago>', 'Date32<DAY>']);
    expect(tableToJsonRows(back)).toEqual([
      { ts: '2024-01-02T03:04:05.000Z', day: '2024-01-02' },
      { ts: null, day: '1970-01-01' },
      { ts: '1969-12-31T23:59:59.000Z', day: '1969-12-31' },
    ]);
  });
});
