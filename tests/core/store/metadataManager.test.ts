import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { MetadataManager, type DatasetMetadata } from '../../../core/store/metadataManager.js';
import { tempDir } from '../../helpers/ohlcvTable.js';
import { errorOf, SCHEMA_PATH } from './storeTestKit.js';

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);

describe('MetadataManager and schema/metadata_schema.json', () => {
  const { dir, cleanup } = tempDir();
  afterAll(cleanup);
  const schema = JSON.parse(fs.readFileSync(SCHEMA_PATH, 'utf8')) as { $schema: string };
  const independent = new Ajv2020({ allErrors: true }).compile(schema);

  it('is a JSON Schema 2020-12 document that compiles in ajv strict mode', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(() => new Ajv2020({ strict: true, allErrors: true }).compile(schema)).not.toThrow();
  });

  it('builds a cleaned sidecar step by step, as the specification does', () => {
    const metadata = MetadataManager.createMetadata({ layer: 'cleaned', asset: 'MES', version: 3, recordCount: 1000, fileSizeBytes: 1024 * 1024, createdAt: '2024-01-16T00:00:00.000Z' });
    expect(metadata).toEqual({
      formatVersion: 1,
      layer: 'cleaned',
      asset: 'MES',
      version: 3,
      createdAt: '2024-01-16T00:00:00.000Z',
      recordCount: 1000,
      fileSizeBytes: 1_048_576,
      files: [],
      writer: { name: 'mes-data', version: '0.1.0' },
    });
    expect(independent(metadata)).toBe(true);
    MetadataManager.addFileInfo(metadata, [
      { path: 'date=2024-01-16/part-0.parquet', bytes: 200, rows: 20, sha256: HASH_B, compression: 'zstd' },
      { path: 'date=2024-01-15/part-0.parquet', bytes: 100, rows: 10, sha256: HASH_A, compression: 'zstd' },
    ]);
    expect(metadata.files.map((f) => f.path)).toEqual(['date=2024-01-15/part-0.parquet', 'date=2024-01-16/part-0.parquet']);
    expect({ recordCount: metadata.recordCount, fileSizeBytes: metadata.fileSizeBytes }).toEqual({ recordCount: 30, fileSizeBytes: 300 });
    MetadataManager.addFileInfo(metadata, { path: 'date=2024-01-16/part-0.parquet', bytes: 250, rows: 25, sha256: HASH_B, compression: 'zstd' });
    expect({ files: metadata.files.length, recordCount: metadata.recordCount, fileSizeBytes: metadata.fileSizeBytes }).toEqual({ files: 2, recordCount: 35, fileSizeBytes: 350 });
    MetadataManager.addQualityMetrics(metadata, { nullCounts: { volume: 0 }, qualityFlags: [], completenessPercentage: 100 });
    MetadataManager.addQualityMetrics(metadata, { gapCount: 2 });
    expect(metadata.qualityMetrics).toEqual({ nullCounts: { volume: 0 }, qualityFlags: [], completenessPercentage: 100, gapCount: 2 });
    MetadataManager.addDependencies(metadata, [
      { path: 'raw/MES/2024-01-15/ohlcv.parquet', sha256: HASH_A, layer: 'raw' },
      { path: 'raw/MES/2024-01-16/ohlcv.parquet', sha256: HASH_A, layer: 'raw' },
    ]);
    MetadataManager.addDependencies(metadata, { path: 'raw/MES/2024-01-16/ohlcv.parquet', sha256: HASH_B, layer: 'raw', rows: 25 });
    expect(metadata.dependencies).toEqual([
      { path: 'raw/MES/2024-01-15/ohlcv.parquet', sha256: HASH_A, layer: 'raw' },
      { path: 'raw/MES/2024-01-16/ohlcv.parquet', sha256: HASH_B, layer: 'raw', rows: 25 },
    ]);
    metadata.recipe = { name: 'promote', version: '0.1.0', parameters: { mode: 'strict', onInvalid: 'fail' } };
    metadata.validation = { target: 'cleaned/v3/MES', schema: 'ohlcv', schemaVersion: '1.0.0', mode: 'strict', valid: true, rowCount: 35, errors: [], warnings: [], metrics: {}, coercions: {} };
    metadata.changelog = 'first cleaned version';
    metadata.schema = { name: 'ohlcv', version: '1.0.0' };
    expect(MetadataManager.validate(metadata)).toEqual({ valid: true, errors: [] });
    expect(independent(metadata)).toBe(true);
  });

  it('writes atomically (no temporary file left), reads back, and refuses a sidecar the schema rejects', async () => {
    const file = path.join(dir, 'metadata.json');
    const metadata = MetadataManager.createMetadata({ layer: 'raw', asset: 'MES', date: '2024-01-15', createdAt: '2024-01-15T23:00:00.000Z' });
    MetadataManager.addFileInfo(metadata, {
      path: 'ohlcv.parquet',
      bytes: 10,
      rows: 2,
      sha256: HASH_A,
      compression: 'snappy',
      source: { fileName: 'MES_2024-01-15.csv', bytes: 120, sha256: HASH_B, dialect: { delimiter: ',', header: true }, mapping: { timestamp: 'Time', open: 'Open' }, timezone: 'America/Chicago', skippedBadRows: 1, badRows: [{ line: 7, reason: 'bad number "x"' }] },
    });
    await MetadataManager.writeMetadataFile(metadata, file);
    expect(fs.readdirSync(dir)).toEqual(['metadata.json']);
    const back = await MetadataManager.readMetadataFile(file);
    expect(back).toEqual(metadata);
    expect(Object.keys(back).slice(0, 6)).toEqual(['formatVersion', 'layer', 'asset', 'version', 'date', 'createdAt']);
    expect(independent(back)).toBe(true);

    const bad = { ...metadata, files: [{ ...metadata.files[0], path: '../escape.parquet', sha256: 'nope' }] } as DatasetMetadata;
    const error = await errorOf(MetadataManager.writeMetadataFile(bad, path.join(dir, 'bad.json')));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.details.errors).toEqual(['/files/0/path must NOT be valid', '/files/0/sha256 must match pattern "^[0-9a-f]{64}$"']);
    expect(fs.existsSync(path.join(dir, 'bad.json'))).toBe(false);
  });

  it('reading: a missing file is NOT_FOUND, bad JSON or a schema break is CORRUPTED_FILE', async () => {
    expect((await errorOf(MetadataManager.readMetadataFile(path.join(dir, 'none.json')))).code).toBe('NOT_FOUND');
    fs.writeFileSync(path.join(dir, 'broken.json'), '{"layer": ');
    expect((await errorOf(MetadataManager.readMetadataFile(path.join(dir, 'broken.json')))).code).toBe('CORRUPTED_FILE');
    fs.writeFileSync(path.join(dir, 'wrong.json'), JSON.stringify({ formatVersion: 1, layer: 'cleaned', createdAt: '2024-01-01T00:00:00Z', recordCount: 0, fileSizeBytes: 0, files: [] }));
    const error = await errorOf(MetadataManager.readMetadataFile(path.join(dir, 'wrong.json')));
    expect({ code: error.code, errors: error.details.errors }).toEqual({ code: 'CORRUPTED_FILE', errors: ["(top level) must have required property 'asset'", "(top level) must have required property 'version'"] });
  });

  it('the schema ties each layer to its identity fields', () => {
    const base = { formatVersion: 1, createdAt: '2024-01-01T00:00:00Z', recordCount: 0, fileSizeBytes: 0, files: [] };
    expect(MetadataManager.validate({ ...base, layer: 'features', featureSet: 'price_volatility', version: 1, asset: 'MES' }).valid).toBe(true);
    expect(MetadataManager.validate({ ...base, layer: 'features', featureSet: 'a/b', version: 1 }).valid).toBe(false);
    expect(MetadataManager.validate({ ...base, layer: 'raw', asset: 'MES', date: '2024-01-15', version: 2 }).errors).toEqual(['/version must be null']);
    expect(MetadataManager.validate({ ...base, layer: 'cleaned', asset: 'MES', version: 1, date: '2024-01-15' }).errors).toEqual(['/date must not be present in this layer']);
    expect(MetadataManager.validate({ ...base, layer: 'cleaned', asset: 'mes', version: 1 }).valid).toBe(false);
    expect(MetadataManager.validate({ ...base, layer: 'cleaned', asset: 'MES', version: 1, validation: { errors: [] } }).errors).toEqual(["/validation must have required property 'valid'"]);
  });
});
