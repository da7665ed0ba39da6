import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { payloadIpc } from '../../../core/ingest/outputSchema.js';
import { ParquetStreamWriter, type ColumnPayload, type FieldSpec, type WriterSpec } from '../../../core/ingest/parquetStreamWriter.js';
import { openParquetFile } from '../../../core/parquet/parquetFile.js';
import { tempDir } from '../../helpers/ohlcvTable.js';

const FIELDS: FieldSpec[] = [
  { name: 'timestamp', type: 'timestamp' },
  { name: 'close', type: 'float64' },
];
const SPEC: WriterSpec = { fields: FIELDS, compression: 'brotli', rowGroupSize: 2, keyValue: { k: 'v' }, createdBy: 'test', fsync: false };

function columns(start: bigint, closes: number[]): ColumnPayload[] {
  const times = BigInt64Array.from(closes.map((_, i) => start + BigInt(i) * 60_000_000_000n + 7n));
  return [
    { data: times, valid: null },
    { data: Float64Array.from(closes), valid: null },
  ];
}

function batch(start: bigint, closes: number[]): Uint8Array {
  return payloadIpc(FIELDS, closes.length, columns(start, closes));
}

describe('ParquetStreamWriter', () => {
  const { dir, cleanup } = tempDir();
  afterAll(cleanup);

  it('streams a segment in row groups, with any codec of the one list (brotli too), and tells rows, bytes and hash', async () => {
    const writer = new ParquetStreamWriter();
    const file = path.join(dir, 'seg', 'a.parquet');
    await writer.open(1, file, SPEC, true);
    await writer.append(1, batch(1_700_000_000_000_000_000n, [1.5, 2.5, 3.5]));
    await writer.append(1, batch(1_700_000_180_000_000_000n, [4.5]));
    const written = await writer.close(1);
    expect(written).toMatchObject({ path: file, rows: 4, bytes: fs.statSync(file).size });
    expect(written.sha256).toMatch(/^[0-9a-f]{64}$/);
    const handle = await openParquetFile(file);
    expect(handle.info.rowGroups.map((g) => g.numRows)).toEqual([2, 2]);
    expect(new Set(handle.info.rowGroups.flatMap((g) => g.columns.map((c) => c.compression)))).toEqual(new Set(['BROTLI']));
    expect(handle.info.keyValue.k).toBe('v');
    const table = await handle.readAll();
    expect(table.getChild('close')?.toArray()).toEqual(Float64Array.from([1.5, 2.5, 3.5, 4.5]));
    expect([...(table.getChild('timestamp')?.data.flatMap((d) => [...(d.values as BigInt64Array)]) ?? [])]).toEqual([
      1_700_000_000_000_000_007n,
      1_700_000_060_000_000_007n,
      1_700_000_120_000_000_007n,
      1_700_000_180_000_000_007n,
    ]);
    await writer.terminate();
  });

  it('refuses an unknown codec with BAD_REQUEST and an unknown operation with BAD_REQUEST, and goes on', async () => {
    const writer = new ParquetStreamWriter();
    await expect(writer.write(path.join(dir, 'lzo.parquet'), { ...SPEC, compression: 'lzo' }, columns(0n, [1]), 1)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'unknown compression "lzo"; use one of snappy, gzip, zstd, brotli, lz4, none',
    });
    const untyped = writer as unknown as { request(op: string, args: object): Promise<unknown> };
    await expect(untyped.request('explode', {})).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'unknown operation "explode" for the Parquet writer; it knows open, append, close, write, spill, merge, crash' });
    const file = path.join(dir, 'after.parquet');
    expect(await writer.write(file, SPEC, columns(0n, [9]), 1)).toMatchObject({ path: file, rows: 1 });
    await writer.terminate();
  });

  it('keeps the footer bytes of earlier versions: key-value pairs in the order parquet-wasm gave them before', async () => {
    // the order follows the order of the calls that encode a file (see core/ingest/writer/wholeFile.ts)
    const writer = new ParquetStreamWriter();
    const file = path.join(dir, 'order.parquet');
    await writer.write(file, { ...SPEC, compression: 'zstd', keyValue: { a: '1', b: '2', c: '3', 'mes_data.x': 'y' } }, columns(1n, [1.5, 2.5, 3.5]), 3);
    expect(Object.keys((await openParquetFile(file)).info.keyValue)).toEqual(['mes_data.x', 'c', 'a', 'b', 'ARROW:schema']);
    await writer.terminate();
  });

  it('a thread that dies fails every waiting call with WRITE_FAILED naming its file, and later calls too', async () => {
    const writer = new ParquetStreamWriter();
    const file = path.join(dir, 'victim.parquet');
    await writer.open(4, file, SPEC);
    const crash = writer.request('crash', {});
    const append = writer.append(4, batch(0n, [1, 2]));
    await expect(crash).rejects.toMatchObject({ code: 'WRITE_FAILED', message: 'the Parquet writer thread exited with code 3', details: { path: null, exitCode: 3 } });
    await expect(append).rejects.toMatchObject({ code: 'WRITE_FAILED', message: `the Parquet writer thread exited with code 3 while writing ${file}`, details: { path: file, exitCode: 3 } });
    await expect(writer.close(4)).rejects.toMatchObject({ code: 'WRITE_FAILED', message: 'the Parquet writer thread exited with code 3' });
  });
});
