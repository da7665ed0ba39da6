import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableToJsonRows } from '../../../core/arrow/arrowJson.js';
import { readParquet } from '../../../core/parquet/parquetFile.js';
import { getParquetMetadata } from '../../../core/parquet/parquetMetadata.js';
import { writeParquet } from '../../../core/parquet/writeParquet.js';
import { MetadataManager } from '../../../core/store/metadataManager.js';
import { rawKeyValue } from '../../../core/store/parquetKeyValue.js';
import { commitRawSnapshots, writeRawSnapshot } from '../../../core/store/rawSnapshot.js';
import { createStagingDir } from '../../../core/store/stagingArea.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { ohlcvTable } from '../../helpers/ohlcvTable.js';
import { errorOf, expectSidecarsValid, newStore } from './storeTestKit.js';

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('raw snapshots', () => {
  let store: Store;
  let dir: string;
  let cleanup: () => void;
  const file = (relative: string) => path.join(store.root, ...relative.split('/'));

  beforeAll(async () => {
    ({ store, dir, cleanup } = await newStore());
  });
  afterAll(() => {
    expectSidecarsValid(store.root);
    cleanup();
  });

  it('writes raw/{ASSET}/{DATE}/{name}.parquet with its sidecar and embedded key facts', async () => {
    const result = await writeRawSnapshot(store, {
      asset: 'MES',
      date: '2024-01-15',
      name: 'ohlcv',
      table: ohlcvTable(100),
      sidecarExtras: { source: { fileName: 'MES_2024-01-15.csv', bytes: 5000, sha256: 'c'.repeat(64), timezone: 'America/Chicago', mapping: { timestamp: 'Time' }, skippedBadRows: 0 } },
    });
    const target = file('raw/MES/2024-01-15/ohlcv.parquet');
    expect(result).toEqual({ asset: 'MES', date: '2024-01-15', name: 'ohlcv.parquet', path: 'raw/MES/2024-01-15/ohlcv.parquet', rows: 100, bytes: fs.statSync(target).size, sha256: sha256(target), status: 'created' });
    const sidecar = await MetadataManager.readMetadataFile(file('catalog/raw/MES/2024-01-15.json'));
    expect({ layer: sidecar.layer, asset: sidecar.asset, date: sidecar.date, version: sidecar.version, recordCount: sidecar.recordCount, fileSizeBytes: sidecar.fileSizeBytes, dateRange: sidecar.dateRange }).toEqual({
      layer: 'raw',
      asset: 'MES',
      date: '2024-01-15',
      version: null,
      recordCount: 100,
      fileSizeBytes: result.bytes,
      dateRange: { from: '2024-01-15', to: '2024-01-15' },
    });
    // the date folder holds its Parquet file only; the sidecar is in the catalog tree
    expect(fs.readdirSync(file('raw/MES/2024-01-15'))).toEqual(['ohlcv.parquet']);
    expect(fs.readdirSync(file('catalog/raw/MES'))).toEqual(['2024-01-15.json']);
    expect(sidecar.files).toHaveLength(1);
    expect(sidecar.files[0]).toMatchObject({ path: 'ohlcv.parquet', rows: 100, bytes: result.bytes, sha256: result.sha256, compression: 'snappy', rowGroups: 1, source: { fileName: 'MES_2024-01-15.csv', sha256: 'c'.repeat(64) } });
    const meta = await getParquetMetadata(target);
    expect({ layer: meta.keyValue['mes_data.layer'], asset: meta.keyValue['mes_data.asset'], date: meta.keyValue['mes_data.date'], source: meta.keyValue['mes_data.source_sha256'], file: meta.keyValue['mes_data.source_file'] }).toEqual({
      layer: 'raw',
      asset: 'MES',
      date: '2024-01-15',
      source: 'c'.repeat(64),
      file: 'MES_2024-01-15.csv',
    });
    expect(fs.readdirSync(path.join(store.root, '.staging'))).toEqual([]);
  });

  it('the same content again is unchanged and touches nothing', async () => {
    const sidecarBefore = fs.readFileSync(file('catalog/raw/MES/2024-01-15.json'), 'utf8');
    const bytesBefore = sha256(file('raw/MES/2024-01-15/ohlcv.parquet'));
    const result = await writeRawSnapshot(store, { asset: 'MES', date: '2024-01-15', name: 'ohlcv.parquet', table: ohlcvTable(100), sidecarExtras: { source: { fileName: 'MES_2024-01-15.csv', bytes: 5000, sha256: 'c'.repeat(64), timezone: 'America/Chicago', mapping: { timestamp: 'Time' }, skippedBadRows: 0 } } });
    expect({ status: result.status, sha256: result.sha256 }).toEqual({ status: 'unchanged', sha256: bytesBefore });
    expect(fs.readFileSync(file('catalog/raw/MES/2024-01-15.json'), 'utf8')).toBe(sidecarBefore);
    expect(sha256(file('raw/MES/2024-01-15/ohlcv.parquet'))).toBe(bytesBefore);
  });

  it('different content for an existing snapshot is ALREADY_EXISTS with both hashes, and nothing changes', async () => {
    const before = sha256(file('raw/MES/2024-01-15/ohlcv.parquet'));
    const error = await errorOf(writeRawSnapshot(store, { asset: 'MES', date: '2024-01-15', name: 'ohlcv', table: ohlcvTable(101) }));
    expect(error.code).toBe('ALREADY_EXISTS');
    expect(error.details.existingSha256).toBe(before);
    expect(error.details.newSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(error.details.newSha256).not.toBe(before);
    expect(error.details.path).toBe('raw/MES/2024-01-15/ohlcv.parquet');
    expect(error.message).toBe(`raw/MES/2024-01-15/ohlcv.parquet already exists with other rows (recorded sha256 ${before}, new ${String(error.details.newSha256)}); raw snapshots are write-once, so nothing was written. 1 of 1 snapshot changed (2024-01-15). To keep the correction, ingest again with --revise: each changed snapshot is stored as its next revision (ohlcv.rev1.parquet), the file it supersedes kept in catalog/raw/{ASSET}/superseded/`);
    expect(error.details.changedDates).toEqual(['2024-01-15']);
    expect(sha256(file('raw/MES/2024-01-15/ohlcv.parquet'))).toBe(before);
  });

  it('a batch with one conflict writes nothing at all', async () => {
    const error = await errorOf(
      commitRawSnapshots(store, [
        { asset: 'MES', date: '2024-01-16', name: 'ohlcv', table: ohlcvTable(5) },
        { asset: 'ES', date: '2024-01-16', name: 'ohlcv', table: ohlcvTable(5) },
        { asset: 'MES', date: '2024-01-15', name: 'ohlcv', table: ohlcvTable(7) },
      ]),
    );
    expect(error.code).toBe('ALREADY_EXISTS');
    expect((error.details.conflicts as unknown[]).length).toBe(1);
    expect(fs.existsSync(file('raw/MES/2024-01-16'))).toBe(false);
    expect(fs.existsSync(file('raw/ES'))).toBe(false);
    expect(fs.readdirSync(file('catalog/raw/MES'))).toEqual(['2024-01-15.json']);
    expect(fs.existsSync(file('catalog/raw/ES'))).toBe(false);
    expect(fs.readdirSync(path.join(store.root, '.staging'))).toEqual([]);
  });

  it('a batch adds files to an existing date and creates new dates, in input order', async () => {
    const results = await commitRawSnapshots(store, [
      { asset: 'MES', date: '2024-01-16', name: 'ohlcv', table: ohlcvTable(5) },
      { asset: 'MES', date: '2024-01-15', name: 'ohlcv', table: ohlcvTable(100), sidecarExtras: { source: { fileName: 'MES_2024-01-15.csv', sha256: 'c'.repeat(64) } } },
      { asset: 'MES', date: '2024-01-15', name: 'ticks', table: ohlcvTable(3), compression: 'zstd' },
      { asset: 'ES', date: '2024-01-16', name: 'ohlcv', table: ohlcvTable(4) },
      { asset: 'ES', date: '2024-01-16', name: 'ohlcv', table: ohlcvTable(4) },
    ]);
    expect(results.map((r) => [r.path, r.status, r.rows])).toEqual([
      ['raw/MES/2024-01-16/ohlcv.parquet', 'created', 5],
      ['raw/MES/2024-01-15/ohlcv.parquet', 'unchanged', 100],
      ['raw/MES/2024-01-15/ticks.parquet', 'created', 3],
      ['raw/ES/2024-01-16/ohlcv.parquet', 'created', 4],
      ['raw/ES/2024-01-16/ohlcv.parquet', 'unchanged', 4],
    ]);
    const sidecar = await MetadataManager.readMetadataFile(file('catalog/raw/MES/2024-01-15.json'));
    expect(sidecar.files.map((f) => [f.path, f.rows, f.compression])).toEqual([
      ['ohlcv.parquet', 100, 'snappy'],
      ['ticks.parquet', 3, 'zstd'],
    ]);
    expect(sidecar.recordCount).toBe(103);
    expect(fs.readdirSync(file('raw/MES/2024-01-15')).sort()).toEqual(['ohlcv.parquet', 'ticks.parquet']);
    expect(fs.readdirSync(path.join(store.root, '.staging'))).toEqual([]);
  });

  it('takes Parquet files staged by ingest byte for byte, leaving them for ingest to clean up', async () => {
    const staging = await createStagingDir(store);
    const staged = path.join(staging.path, 'nq.parquet');
    await writeParquet(ohlcvTable(12), staged, { compression: 'zstd', metadata: rawKeyValue('NQ', '2024-01-17', { fileName: 'nq.csv', sha256: 'd'.repeat(64) }) });
    const stagedHash = sha256(staged);
    const [result] = await commitRawSnapshots(store, [{ asset: 'NQ', date: '2024-01-17', name: 'ohlcv', sourceParquetPath: staged, sidecarExtras: { source: { fileName: 'nq.csv', sha256: 'd'.repeat(64) } } }]);
    expect({ status: result.status, rows: result.rows, sha256: result.sha256 }).toEqual({ status: 'created', rows: 12, sha256: stagedHash });
    expect(sha256(file('raw/NQ/2024-01-17/ohlcv.parquet'))).toBe(stagedHash);
    expect(fs.existsSync(staged)).toBe(true);
    await staging.dispose();
    expect(fs.existsSync(staging.path)).toBe(false);
  });

  it('rewrites a foreign Parquet file with the key facts added, keeping its own metadata and codec', async () => {
    const foreign = path.join(dir, 'foreign.parquet');
    await writeParquet(ohlcvTable(9), foreign, { compression: 'gzip', rowGroupSize: 4, metadata: { vendor: 'acme' } });
    const [result] = await commitRawSnapshots(store, [{ asset: 'ES', date: '2024-01-17', name: 'acme', sourceParquetPath: foreign }]);
    expect(result.status).toBe('created');
    const meta = await getParquetMetadata(file('raw/ES/2024-01-17/acme.parquet'));
    expect({ vendor: meta.keyValue.vendor, layer: meta.keyValue['mes_data.layer'], rowGroups: meta.numRowGroups, codec: meta.rowGroups[0].columns[0].compression }).toEqual({ vendor: 'acme', layer: 'raw', rowGroups: 3, codec: 'GZIP' });
    expect(tableToJsonRows(await readParquet(file('raw/ES/2024-01-17/acme.parquet')))).toEqual(tableToJsonRows(ohlcvTable(9)));
    // the same foreign file again is recognised as the same content
    const [again] = await commitRawSnapshots(store, [{ asset: 'ES', date: '2024-01-17', name: 'acme', sourceParquetPath: foreign }]);
    expect(again.status).toBe('unchanged');
  });

  it('checks names and inputs before touching anything', async () => {
    const bad = await errorOf(writeRawSnapshot(store, { asset: 'ME S', date: '2024-01-15', name: 'x', table: ohlcvTable(1) }));
    expect({ code: bad.code, value: bad.details.value }).toEqual({ code: 'INVALID_NAME', value: 'ME S' });
    expect((await errorOf(writeRawSnapshot(store, { asset: 'MES', date: '2024-02-30', name: 'x', table: ohlcvTable(1) }))).code).toBe('INVALID_NAME');
    expect((await errorOf(writeRawSnapshot(store, { asset: 'MES', date: '2024-01-15', name: '../x', table: ohlcvTable(1) }))).code).toBe('INVALID_NAME');
    const neither = await errorOf(writeRawSnapshot(store, { asset: 'MES', date: '2024-01-18', name: 'x' }));
    expect(neither.code).toBe('BAD_REQUEST');
    expect((await errorOf(writeRawSnapshot(store, { asset: 'MES', date: '2024-01-18', name: 'x', sourceParquetPath: path.join(dir, 'missing.parquet') }))).code).toBe('NOT_FOUND');
    expect(fs.existsSync(file('raw/MES/2024-01-18'))).toBe(false);
  });

  it('leaves alone a date folder it did not write', async () => {
    fs.mkdirSync(file('raw/MES/2024-01-19'), { recursive: true });
    const error = await errorOf(writeRawSnapshot(store, { asset: 'MES', date: '2024-01-19', name: 'x', table: ohlcvTable(1) }));
    expect({ code: error.code, message: error.message }).toEqual({ code: 'ALREADY_EXISTS', message: 'raw/MES/2024-01-19 exists but has no sidecar catalog/raw/MES/2024-01-19.json; it was not written by mes-data and is left alone' });
    fs.rmdirSync(file('raw/MES/2024-01-19'));
  });

  it('a cancelled commit writes nothing', async () => {
    const controller = new AbortController();
    controller.abort('user');
    const error = await errorOf(writeRawSnapshot(store, { asset: 'MES', date: '2024-01-20', name: 'x', table: ohlcvTable(1) }, { signal: controller.signal }));
    expect({ code: error.code, reason: error.details.reason }).toEqual({ code: 'CANCELLED', reason: 'user' });
    expect(fs.existsSync(file('raw/MES/2024-01-20'))).toBe(false);
    expect(fs.readdirSync(path.join(store.root, '.staging'))).toEqual([]);
  });
});
