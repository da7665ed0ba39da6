import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeEngine, withConnection } from '../../../core/engine/duckdbEngine.js';
import { markTimestampColumnUtc } from '../../../core/features/parquetUtcMark.js';
import { readParquet } from '../../../core/parquet/parquetFile.js';
import { timestampColumn } from '../../../core/validation/columnData.js';
import { tempDir } from '../../helpers/ohlcvTable.js';
import { errorOf } from '../store/storeTestKit.js';

describe('markTimestampColumnUtc', () => {
  const { dir, cleanup } = tempDir('mes-data-utc-mark-');
  afterAll(async () => {
    await closeEngine();
    cleanup();
  });

  async function duckdbFile(name: string): Promise<string> {
    const file = path.join(dir, name);
    // many columns before the timestamp, so its schema element is not the first one the footer walk meets
    await withConnection((c) =>
      c.run(
        `COPY (SELECT 'MES' AS asset, 1.5::DOUBLE AS x, [1, 2] AS list, make_timestamp_ns(v) AS "timestamp", v AS raw FROM (VALUES (1704186000250000123::BIGINT), (-5::BIGINT)) t(v)) TO '${file}' (FORMAT parquet, KV_METADATA {k: 'v'})`,
        'writing a nanosecond file',
      ),
    );
    return file;
  }

  it('turns DuckDB’s zone-less TIMESTAMP_NS into TIMESTAMP(NANOS, UTC), one byte changed, values untouched', async () => {
    const file = await duckdbFile('ns.parquet');
    const before = fs.readFileSync(file);
    expect(String((await readParquet(file)).getChild('timestamp')?.type)).toBe('Timestamp<NANOSECOND>');
    await markTimestampColumnUtc(file, 'timestamp');
    const after = fs.readFileSync(file);
    expect(after.length).toBe(before.length);
    expect(after.reduce((n, b, i) => n + (b === before[i] ? 0 : 1), 0)).toBe(1);
    const table = await readParquet(file);
    expect(String(table.getChild('timestamp')?.type)).toBe('Timestamp<NANOSECOND, UTC>');
    expect(Array.from(timestampColumn(table.getChild('timestamp')!).ns)).toEqual([1_704_186_000_250_000_123n, -5n]);
    expect(table.getChild('asset')?.get(0)).toBe('MES');
    const kinds = await withConnection((c) => c.rows(`SELECT logical_type FROM parquet_schema('${file}') WHERE name = 'timestamp'`, 'reading the schema'));
    expect(String(kinds[0].logical_type)).toContain('isAdjustedToUTC=1');
    // marking again changes nothing
    await markTimestampColumnUtc(file, 'timestamp');
    expect(fs.readFileSync(file).equals(after)).toBe(true);
  });

  it('CORRUPTED_FILE for a column without a timestamp type and for a file that is not Parquet', async () => {
    const file = await duckdbFile('other.parquet');
    const noTimestamp = await errorOf(markTimestampColumnUtc(file, 'raw'));
    expect(noTimestamp.code).toBe('CORRUPTED_FILE');
    expect(noTimestamp.message).toBe(`${file}: column "raw" has no TIMESTAMP logical type to mark as UTC`);
    const garbage = path.join(dir, 'garbage.parquet');
    fs.writeFileSync(garbage, Buffer.from('PAR1 this is not a footer at all....PAR1'));
    const broken = await errorOf(markTimestampColumnUtc(garbage, 'timestamp'));
    expect(broken.code).toBe('CORRUPTED_FILE');
    expect(broken.message).toContain(garbage);
  });
});
