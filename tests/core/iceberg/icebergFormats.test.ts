/**
 * The pieces under the table: our column types in Iceberg's words (and the nanosecond
 * decision), the binary single-value encoding of bounds, Avro container files that are
 * damaged, and locations in metadata that try to lead out of the table folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Bool, DateDay, Float32, Float64, Int32, Int64, TimeUnit, Timestamp, Uint64, Utf8 } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { closeEngine, withConnection } from '../../../core/engine/duckdbEngine.js';
import { MesDataError } from '../../../core/errors.js';
import { decodeAvroContainer, encodeAvroContainer } from '../../../core/iceberg/avroContainer.js';
import { writeDataFile } from '../../../core/iceberg/dataFileWrite.js';
import { icebergSchemaOf, isNanosecondField, NANOSECONDS_DOC } from '../../../core/iceberg/icebergSchema.js';
import { MANIFEST_FILE_SCHEMA } from '../../../core/iceberg/manifestFiles.js';
import { decodeSingleValue, encodeSingleValue } from '../../../core/iceberg/singleValue.js';
import { loadTable } from '../../../core/iceberg/tableCommit.js';
import { fileLocation, resolveLocation } from '../../../core/iceberg/tableLocation.js';
import { listSnapshots, snapshotDataFiles } from '../../../core/iceberg/tableRead.js';
import { readSnapshotRows } from '../../../core/iceberg/tableRows.js';
import { appendFiles, createTable, newDataFilePath } from '../../../core/iceberg/tableWrite.js';

function caught(work: () => unknown): [string, string] {
  try {
    work();
  } catch (error) {
    if (error instanceof MesDataError) return [error.code, error.message];
    throw error;
  }
  throw new Error('expected a MesDataError');
}

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
  await closeEngine();
});

describe('our column types in Iceberg', () => {
  it('maps Arrow types, microsecond timestamps to timestamptz and nanosecond ones to a documented long', () => {
    const schema = icebergSchemaOf([
      { name: 'date', type: new DateDay(), nullable: false },
      { name: 'timestamp', type: new Timestamp(TimeUnit.MICROSECOND, 'UTC'), nullable: false },
      { name: 'ts_ns', type: new Timestamp(TimeUnit.NANOSECOND, 'UTC'), nullable: true },
      { name: 'local', type: new Timestamp(TimeUnit.MICROSECOND), nullable: true },
      { name: 'close', type: new Float64(), nullable: true },
      { name: 'ratio', type: new Float32(), nullable: true },
      { name: 'volume', type: new Int64(), nullable: true },
      { name: 'trades', type: new Int32(), nullable: true },
      { name: 'halted', type: new Bool(), nullable: true },
      { name: 'symbol', type: new Utf8(), nullable: true },
    ]);
    expect(schema.fields.map((f) => [f.id, f.name, f.type, f.required])).toEqual([
      [1, 'date', 'date', true],
      [2, 'timestamp', 'timestamptz', true],
      [3, 'ts_ns', 'long', false],
      [4, 'local', 'timestamp', false],
      [5, 'close', 'double', false],
      [6, 'ratio', 'float', false],
      [7, 'volume', 'long', false],
      [8, 'trades', 'int', false],
      [9, 'halted', 'boolean', false],
      [10, 'symbol', 'string', false],
    ]);
    expect(schema.fields[2].doc).toBe(NANOSECONDS_DOC);
    expect(schema.fields.filter(isNanosecondField).map((f) => f.name)).toEqual(['ts_ns']);
  });

  it('refuses what Iceberg v2 cannot hold without loss, naming the column', () => {
    expect(caught(() => icebergSchemaOf([{ name: 'n', type: new Uint64(), nullable: true }]))).toEqual(['SCHEMA_MISMATCH', 'column "n" has type Uint64, which an Iceberg v2 table cannot hold: Iceberg has no unsigned 64-bit integer']);
    expect(caught(() => icebergSchemaOf([{ name: 'ts', type: new Timestamp(TimeUnit.MICROSECOND, 'America/Chicago'), nullable: true }]))).toEqual([
      'SCHEMA_MISMATCH',
      'column "ts" has type Timestamp<MICROSECOND, America/Chicago>, which an Iceberg v2 table cannot hold: timestamps are stored in UTC; convert the column to UTC first',
    ]);
    expect(caught(() => icebergSchemaOf([{ name: 'ts', type: new Timestamp(TimeUnit.NANOSECOND), nullable: true }]))[0]).toBe('SCHEMA_MISMATCH');
  });

  it('keeps every nanosecond digit of a nanosecond column through a table', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-data-iceberg-ns-'));
    roots.push(root);
    const dir = path.join(root, 'MES');
    const schema = icebergSchemaOf([
      { name: 'date', type: new DateDay(), nullable: false },
      { name: 'ts_ns', type: new Timestamp(TimeUnit.NANOSECOND, 'UTC'), nullable: false },
    ]);
    await createTable(dir, schema);
    const file = newDataFilePath(dir, '2024-01-02');
    await withConnection((c) => writeDataFile(c, `SELECT DATE '2024-01-02' AS date, 1704205800123456789::BIGINT AS ts_ns UNION ALL SELECT DATE '2024-01-02', 1704205800123456790`, file, schema));
    const { table, snapshot } = await appendFiles(dir, [{ path: file }]);
    expect(await readSnapshotRows(table, snapshot)).toEqual([
      { date: '2024-01-02', ts_ns: 1704205800123456789n },
      { date: '2024-01-02', ts_ns: 1704205800123456790n },
    ]);
    const [data] = await snapshotDataFiles(table, snapshot);
    expect(data.record.lower_bounds?.find((b) => b.key === 2)?.value.readBigInt64LE()).toBe(1704205800123456789n);
  });
});

describe('single values and Avro containers', () => {
  it('encodes bounds as the spec says and reads 4-byte bounds of promoted columns', () => {
    expect(Buffer.from(encodeSingleValue('date', 19724)).toString('hex')).toBe('0c4d0000');
    expect(Buffer.from(encodeSingleValue('long', -2n)).toString('hex')).toBe('feffffffffffffff');
    expect(Buffer.from(encodeSingleValue('float', 1.5)).toString('hex')).toBe('0000c03f');
    expect(Buffer.from(encodeSingleValue('string', 'é')).toString('hex')).toBe('c3a9');
    expect(Buffer.from(encodeSingleValue('boolean', true)).toString('hex')).toBe('01');
    expect(decodeSingleValue('long', encodeSingleValue('int', -7), 'x')).toBe(-7n);
    expect(decodeSingleValue('double', encodeSingleValue('float', 1.5), 'x')).toBe(1.5);
    expect(decodeSingleValue('timestamptz', encodeSingleValue('timestamptz', 1704205800000000n), 'x')).toBe(1704205800000000n);
    expect(caught(() => decodeSingleValue('date', Uint8Array.of(1, 2), 'manifest m.avro'))).toEqual(['CORRUPTED_FILE', 'manifest m.avro: a date bound of 2 bytes']);
    expect(caught(() => encodeSingleValue('int', 2 ** 31))).toEqual(['BAD_REQUEST', '2147483648 (number) is not a value of Iceberg type int']);
  });

  it('round-trips records with 64-bit longs and refuses damaged containers', () => {
    const record = {
      manifest_path: 'file:///t/metadata/m.avro',
      manifest_length: 10n,
      partition_spec_id: 0,
      content: 0,
      sequence_number: 1n,
      min_sequence_number: 1n,
      added_snapshot_id: 9_223_372_036_854_775_807n,
      added_files_count: 1,
      existing_files_count: 0,
      deleted_files_count: 0,
      added_rows_count: 5n,
      existing_rows_count: 0n,
      deleted_rows_count: 0n,
      partitions: null,
      key_metadata: null,
    };
    const bytes = encodeAvroContainer(MANIFEST_FILE_SCHEMA, [record], { 'snapshot-id': '1' });
    const decoded = decodeAvroContainer(bytes, 'list.avro');
    expect(decoded.records).toEqual([record]);
    expect([decoded.metadata['snapshot-id'], decoded.metadata['avro.codec'], (decoded.schema.fields as { 'field-id': number }[])[0]['field-id']]).toEqual(['1', 'deflate', 500]);
    expect(caught(() => decodeAvroContainer(bytes.subarray(0, bytes.length - 5), 'cut.avro'))[0]).toBe('CORRUPTED_FILE');
    expect(caught(() => decodeAvroContainer(Buffer.from('PAR1 not avro'), 'x.avro'))).toEqual(['CORRUPTED_FILE', 'x.avro is not a valid Avro container file: it does not start with the Avro magic bytes']);
    const snappy = Buffer.from(bytes.toString('latin1').replace('\u000edeflate', '\u000csnappy'), 'latin1');
    expect(caught(() => decodeAvroContainer(snappy, 's.avro'))).toEqual(['UNSUPPORTED_FILE', 's.avro uses the Avro codec "snappy"; MES Data reads null and deflate']);
  });
});

describe('locations in metadata', () => {
  const dir = path.join(os.tmpdir(), 'some table');
  const location = fileLocation(dir);

  it('resolves below the table folder, by the recorded location, even after a move', () => {
    expect(location).toBe(`file://${dir.replace(' ', '%20')}`);
    expect(resolveLocation(dir, location, `${location}/data/2024-01-02/a.parquet`, 'm')).toBe(path.join(dir, 'data', '2024-01-02', 'a.parquet'));
    expect(resolveLocation('/elsewhere/t', location, `${location}/metadata/v1.metadata.json`, 'm')).toBe('/elsewhere/t/metadata/v1.metadata.json');
    expect(resolveLocation('/x/t', 'data/persistent/t', 'data/persistent/t/data/a.parquet', 'm')).toBe('/x/t/data/a.parquet');
  });

  it('refuses a location outside the table folder', () => {
    for (const bad of [`${location}/../../etc/passwd`, 'file:///etc/passwd', '/etc/passwd', 'data/other/x.parquet', `${location}-evil/data/a.parquet`]) {
      expect(caught(() => resolveLocation(dir, location, bad, 'snap.avro'))).toEqual(['CORRUPTED_FILE', `snap.avro names ${bad}, which is outside the table folder ${dir}`]);
    }
  });

  it('refuses to read a snapshot whose manifest list points outside', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-data-iceberg-escape-'));
    roots.push(root);
    const tableDir = path.join(root, 'T');
    const schema = icebergSchemaOf([{ name: 'date', type: new DateDay(), nullable: false }]);
    await createTable(tableDir, schema);
    const file = newDataFilePath(tableDir, '2024-01-02');
    await withConnection((c) => writeDataFile(c, `SELECT DATE '2024-01-02' AS date`, file, schema));
    await appendFiles(tableDir, [{ path: file }]);
    const metadataFile = path.join(tableDir, 'metadata', 'v2.metadata.json');
    fs.writeFileSync(metadataFile, fs.readFileSync(metadataFile, 'utf8').replace(/"manifest-list": "[^"]+"/, '"manifest-list": "file:///etc/passwd"'));
    const table = await loadTable(tableDir);
    await expect(snapshotDataFiles(table, listSnapshots(table)[0])).rejects.toThrow(`${metadataFile} names file:///etc/passwd, which is outside the table folder ${tableDir}`);
  });
});
