/**
 * A table's whole life through our writer, read back by icebird (an independent JavaScript
 * Iceberg reader) and by our own reader: every snapshot's rows and schema with exact
 * values, partitions shared by reference, time travel by version, snapshot id and moment,
 * expiry and the files it frees, with every kept snapshot still whole afterwards.
 */
import fs from 'node:fs';
import path from 'node:path';
import { icebergMetadata, icebergRead } from 'icebird';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MesDataError } from '../../../core/errors.js';
import { loadTable } from '../../../core/iceberg/tableCommit.js';
import { expireSnapshots, unreferencedFiles } from '../../../core/iceberg/tableExpiry.js';
import { fileLocation } from '../../../core/iceberg/tableLocation.js';
import { currentSchema } from '../../../core/iceberg/tableMetadata.js';
import { chooseSnapshot, listSnapshots, snapshotAsOf, snapshotDataFiles, snapshotForVersion, snapshotManifests } from '../../../core/iceberg/tableRead.js';
import { readSnapshotRows } from '../../../core/iceberg/tableRows.js';
import { highestFieldId } from '../../../core/iceberg/icebergSchema.js';
import { addColumn, commitSchema } from '../../../core/iceberg/schemaEvolution.js';
import { appendFiles, createTable, replacePartitions } from '../../../core/iceberg/tableWrite.js';
import { serveFileUrls } from '../../helpers/fileFetch.js';
import { BASE_SCHEMA, sampleTableForSuite, T0, V1_BARS, V2_BARS_0103, V3_BARS_0104, writeBars, type Bar } from './icebergTestKit.js';

const micros = (ts: string): bigint => BigInt(Date.parse(`${ts.replace(' ', 'T')}Z`)) * 1000n;

/** What our reader gives for bars of a date (schema without or with open_interest). */
function ours(date: string, bars: Bar[], withOpenInterest: boolean): Record<string, unknown>[] {
  return bars.map(([ts, close, volume, oi]) => ({
    date,
    timestamp: micros(ts),
    close,
    volume: BigInt(volume),
    ...(withOpenInterest ? { open_interest: oi === undefined ? null : BigInt(oi) } : {}),
  }));
}

/** What icebird gives: hyparquet's default types (dates and timestamps as Date, longs as bigint, a missing column as undefined). */
function icebirds(date: string, bars: Bar[], withOpenInterest: boolean): Record<string, unknown>[] {
  return bars.map(([ts, close, volume, oi]) => ({
    date: new Date(`${date}T00:00:00Z`),
    timestamp: new Date(`${ts.replace(' ', 'T')}Z`),
    close,
    volume: BigInt(volume),
    ...(withOpenInterest ? { open_interest: oi === undefined ? undefined : BigInt(oi) } : {}),
  }));
}

describe('an Iceberg table written by MES Data', () => {
  const sample = sampleTableForSuite();
  let restoreFetch: () => void;
  beforeAll(() => {
    restoreFetch = serveFileUrls();
  });
  afterAll(() => restoreFetch());

  it('keeps its files in the file-system catalog layout', () => {
    const metadata = fs.readdirSync(path.join(sample.dir, 'metadata')).sort();
    expect(metadata.filter((n) => n.endsWith('.metadata.json'))).toEqual(['v1.metadata.json', 'v2.metadata.json', 'v3.metadata.json', 'v4.metadata.json', 'v5.metadata.json']);
    expect(fs.readFileSync(path.join(sample.dir, 'metadata', 'version-hint.text'), 'utf8')).toBe('5');
    // manifests: v1's, v2's rewrite of it and its new one, v3's; one manifest list a snapshot
    expect(metadata.filter((n) => /^snap-\d+-1-[0-9a-f-]+\.avro$/.test(n))).toHaveLength(3);
    expect(metadata.filter((n) => /^[0-9a-f-]{36}-m\d\.avro$/.test(n))).toHaveLength(4);
    expect(metadata.filter((n) => n.startsWith('.'))).toEqual([]);
    const data = fs.readdirSync(path.join(sample.dir, 'data')).sort();
    expect(data).toEqual(['2024-01-02', '2024-01-03', '2024-01-04']);
    expect(fs.readdirSync(path.join(sample.dir, 'data', '2024-01-03'))).toHaveLength(2);
  });

  it('maps MES Data versions to snapshots, with lineage and the spec summary', async () => {
    const table = await loadTable(sample.dir);
    const snapshots = listSnapshots(table);
    expect(snapshots.map((s) => [s.version, s.sequenceNumber, s.operation, s.timestampMs, s.schemaId])).toEqual([
      [1, 1, 'append', T0 + 1000, 0],
      [2, 2, 'overwrite', T0 + 2000, 0],
      [3, 3, 'append', T0 + 4000, 1],
    ]);
    expect(snapshots.map((s) => s.parentId)).toEqual([null, snapshots[0].id, snapshots[1].id]);
    expect(table.metadata['current-snapshot-id']).toBe(snapshots[2].id);
    expect(table.metadata.refs).toEqual({ main: { 'snapshot-id': snapshots[2].id, type: 'branch' } });
    const v2 = snapshots[1].summary;
    expect([v2['added-data-files'], v2['deleted-data-files'], v2['added-records'], v2['deleted-records'], v2['total-records'], v2['total-data-files'], v2['changed-partition-count']]).toEqual(['1', '1', '3', '2', '5', '2', '1']);
    expect(v2['mes-data.version']).toBe('2');
    expect(v2['mes-data.recipe-fingerprint']).toBe('sha256:bbbb');
    expect(Number(v2['total-files-size'])).toBe(fs.statSync(sample.files.v1_0102).size + fs.statSync(sample.files.v2_0103).size);
    expect(snapshots[2].summary['total-records']).toBe('7');
  });

  it('shares unchanged partitions by reference and swaps only the replaced one', async () => {
    const table = await loadTable(sample.dir);
    const files = async (version: number) => (await snapshotDataFiles(table, snapshotForVersion(table, version))).map((f) => [f.partition.date, f.path, f.recordCount]);
    expect(await files(1)).toEqual([
      ['2024-01-02', sample.files.v1_0102, 2],
      ['2024-01-03', sample.files.v1_0103, 2],
    ]);
    expect(await files(2)).toEqual([
      ['2024-01-03', sample.files.v2_0103, 3],
      ['2024-01-02', sample.files.v1_0102, 2],
    ]);
    expect(await files(3)).toEqual([
      ['2024-01-04', sample.files.v3_0104, 2],
      ['2024-01-03', sample.files.v2_0103, 3],
      ['2024-01-02', sample.files.v1_0102, 2],
    ]);
  });

  it('records bounds and counts from the footers in the spec encoding', async () => {
    const table = await loadTable(sample.dir);
    const [file] = await snapshotDataFiles(table, snapshotForVersion(table, 2));
    const bounds = (which: 'lower_bounds' | 'upper_bounds') => Object.fromEntries((file.record[which] ?? []).map((e) => [e.key, e.value.toString('hex')]));
    const le64 = (v: bigint) => {
      const b = Buffer.alloc(8);
      b.writeBigInt64LE(v);
      return b.toString('hex');
    };
    const f64 = (v: number) => {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(v);
      return b.toString('hex');
    };
    // 2024-01-03 is day 19725 (0x4d0d)
    expect(bounds('lower_bounds')).toEqual({ 1: '0d4d0000', 2: le64(micros('2024-01-03 14:30:00')), 3: f64(4760.5), 4: le64(41n) });
    expect(bounds('upper_bounds')).toEqual({ 1: '0d4d0000', 2: le64(micros('2024-01-03 14:32:00')), 3: f64(4762), 4: le64(95n) });
    expect(file.record.value_counts?.map((e) => [e.key, e.value])).toEqual([1, 2, 3, 4].map((k) => [k, 3n]));
    expect(file.record.null_value_counts?.map((e) => [e.key, e.value])).toEqual([1, 2, 3, 4].map((k) => [k, 0n]));
    expect(file.record.file_size_in_bytes).toBe(BigInt(fs.statSync(sample.files.v2_0103).size));
  });

  it('reads every version with exact values through our reader', async () => {
    const table = await loadTable(sample.dir);
    expect(await readSnapshotRows(table, snapshotForVersion(table, 1))).toEqual([...ours('2024-01-02', V1_BARS['2024-01-02'], false), ...ours('2024-01-03', V1_BARS['2024-01-03'], false)]);
    expect(await readSnapshotRows(table, snapshotForVersion(table, 2))).toEqual([...ours('2024-01-03', V2_BARS_0103, false), ...ours('2024-01-02', V1_BARS['2024-01-02'], false)]);
    expect(await readSnapshotRows(table, snapshotForVersion(table, 3))).toEqual([
      ...ours('2024-01-04', V3_BARS_0104, true),
      ...ours('2024-01-03', V2_BARS_0103, true),
      ...ours('2024-01-02', V1_BARS['2024-01-02'], true),
    ]);
  });

  it('is read by icebird at every metadata version, rows and schema', async () => {
    const tableUrl = fileLocation(sample.dir);
    const read = (n: number) => icebergRead({ tableUrl, metadataFileName: `v${n}.metadata.json` });
    expect(await read(2)).toEqual([...icebirds('2024-01-02', V1_BARS['2024-01-02'], false), ...icebirds('2024-01-03', V1_BARS['2024-01-03'], false)]);
    expect(await read(3)).toEqual([...icebirds('2024-01-03', V2_BARS_0103, false), ...icebirds('2024-01-02', V1_BARS['2024-01-02'], false)]);
    // v4: the column was added, the snapshot is still version 2: old files read it as missing
    expect(await read(4)).toEqual([...icebirds('2024-01-03', V2_BARS_0103, true), ...icebirds('2024-01-02', V1_BARS['2024-01-02'], true)]);
    // the latest version by the version hint, as icebird finds it
    expect(await icebergRead({ tableUrl })).toEqual([
      ...icebirds('2024-01-04', V3_BARS_0104, true),
      ...icebirds('2024-01-03', V2_BARS_0103, true),
      ...icebirds('2024-01-02', V1_BARS['2024-01-02'], true),
    ]);
    const metadata = await icebergMetadata({ tableUrl });
    const schema = metadata.schemas.find((s) => s['schema-id'] === metadata['current-schema-id']);
    expect(schema?.fields.map((f) => [f.id, f.name, f.type, f.required])).toEqual([
      [1, 'date', 'date', true],
      [2, 'timestamp', 'timestamptz', true],
      [3, 'close', 'double', false],
      [4, 'volume', 'long', false],
      [5, 'open_interest', 'long', false],
    ]);
    await expect(icebergRead({ tableUrl, metadataFileName: 'v1.metadata.json' })).rejects.toThrow('No current snapshot id found in table metadata');
  });

  it('lists older metadata files beyond the newest N only when asked, and logs the earlier files', async () => {
    expect(await unreferencedFiles(sample.dir)).toEqual({ files: [], bytes: 0 });
    const free = await unreferencedFiles(sample.dir, { keepMetadataFiles: 2 });
    expect(free.files).toEqual(['metadata/v1.metadata.json', 'metadata/v2.metadata.json', 'metadata/v3.metadata.json']);
    const table = await loadTable(sample.dir);
    expect(table.metadata['metadata-log'].map((e) => e['metadata-file'])).toEqual([1, 2, 3, 4].map((n) => `${fileLocation(sample.dir)}/metadata/v${n}.metadata.json`));
    await expect(unreferencedFiles(sample.dir, { keepMetadataFiles: 0 })).rejects.toThrow('keep at least the current metadata file, not 0');
  });

  it('keeps the metadata log to write.metadata.previous-versions-max entries', async () => {
    const dir = path.join(path.dirname(sample.dir), 'short-log');
    await createTable(dir, BASE_SCHEMA, { properties: { 'write.metadata.previous-versions-max': '2' } });
    let schema = BASE_SCHEMA;
    for (const name of ['a', 'b', 'c']) {
      schema = addColumn(schema, highestFieldId(schema), name, 'long');
      await commitSchema(dir, schema);
    }
    const table = await loadTable(dir);
    expect([table.version, table.metadata['metadata-log'].map((e) => path.basename(e['metadata-file']))]).toEqual([4, ['v2.metadata.json', 'v3.metadata.json']]);
    expect(currentSchema(table.metadata).fields.map((f) => [f.id, f.name])).toEqual([
      [1, 'date'],
      [2, 'timestamp'],
      [3, 'close'],
      [4, 'volume'],
      [5, 'a'],
      [6, 'b'],
      [7, 'c'],
    ]);
  });

  it('with write.metadata.delete-after-commit.enabled, a commit removes the metadata files the log no longer names', async () => {
    const dir = path.join(path.dirname(sample.dir), 'deleting-log');
    await createTable(dir, BASE_SCHEMA, { properties: { 'write.metadata.previous-versions-max': '2', 'write.metadata.delete-after-commit.enabled': 'true' } });
    let schema = BASE_SCHEMA;
    for (const name of ['a', 'b', 'c', 'd']) {
      schema = addColumn(schema, highestFieldId(schema), name, 'long');
      await commitSchema(dir, schema);
    }
    const table = await loadTable(dir);
    expect(table.version).toBe(5);
    expect(table.metadata['metadata-log'].map((e) => path.basename(e['metadata-file']))).toEqual(['v3.metadata.json', 'v4.metadata.json']);
    expect(fs.readdirSync(path.join(dir, 'metadata')).sort()).toEqual(['v3.metadata.json', 'v4.metadata.json', 'v5.metadata.json', 'version-hint.text']);
  });

  it('merges the small manifests into one once an append would name commit.manifest.min-count-to-merge of them; every snapshot reads as before', async () => {
    const dir = path.join(path.dirname(sample.dir), 'merging');
    await createTable(dir, BASE_SCHEMA, { properties: { 'commit.manifest.min-count-to-merge': '5' } });
    const dates = Array.from({ length: 12 }, (_, k) => `2024-02-${String(k + 1).padStart(2, '0')}`);
    const counts: number[] = [];
    const replacedAt: string[] = [];
    for (const [k, date] of dates.entries()) {
      const file = await writeBars(dir, BASE_SCHEMA, date, [[`${date} 14:30:00`, 4700 + k, 10 + k]]);
      await appendFiles(dir, [{ path: file }], { nowMs: T0 + k });
      const table = await loadTable(dir);
      const current = listSnapshots(table).at(-1) as ReturnType<typeof listSnapshots>[number];
      counts.push((await snapshotManifests(table, current)).manifests.length);
      replacedAt.push(current.summary['manifests-replaced']);
    }
    expect(counts).toEqual([1, 2, 3, 4, 2, 3, 4, 2, 3, 4, 2, 3]);
    expect(replacedAt).toEqual(['0', '0', '0', '0', '4', '0', '0', '4', '0', '0', '4', '0']);
    const table = await loadTable(dir);
    const closes = async (version: number) => (await readSnapshotRows(table, snapshotForVersion(table, version))).map((row) => [String(row.date), Number(row.close)]).sort();
    expect(await closes(12)).toEqual(dates.map((date, k) => [date, 4700 + k]));
    expect(await closes(4)).toEqual(dates.slice(0, 4).map((date, k) => [date, 4700 + k]));
    const rows = await icebergRead({ tableUrl: fileLocation(dir), metadataFileName: `v${table.version}.metadata.json` });
    expect(rows.map((row) => Number(row.close)).sort()).toEqual(dates.map((_, k) => 4700 + k));
  });

  it('travels in time by version, snapshot id and moment', async () => {
    const table = await loadTable(sample.dir);
    const [s1, s2, s3] = listSnapshots(table);
    expect(snapshotAsOf(table, T0 + 1000).id).toBe(s1.id);
    expect(snapshotAsOf(table, T0 + 3999).id).toBe(s2.id);
    expect(snapshotAsOf(table, T0 + 10_000).id).toBe(s3.id);
    expect(chooseSnapshot(table, { snapshotId: s2.id }).version).toBe(2);
    expect(chooseSnapshot(table, {}).version).toBe(3);
    const before = (() => {
      try {
        snapshotAsOf(table, T0 + 999);
      } catch (error) {
        return error as MesDataError;
      }
    })();
    expect([before?.code, before?.message]).toEqual(['NOT_FOUND', `${sample.dir} had no snapshot at 2026-11-01T12:00:00.999Z`]);
    expect(() => snapshotForVersion(table, 7)).toThrow(`${sample.dir} has no version 7; it keeps v1, v2, v3`);
    expect(() => chooseSnapshot(table, { version: 1, asOfMs: T0 })).toThrow('name one of a version, a snapshot id or a moment, not several');
  });
});

describe('refusals and expiry', () => {
  const sample = sampleTableForSuite('mes-data-iceberg-expire-');

  async function codeOf(work: Promise<unknown>): Promise<[string, string]> {
    try {
      await work;
    } catch (error) {
      if (error instanceof MesDataError) return [error.code, error.message];
      throw error;
    }
    throw new Error('expected a MesDataError');
  }

  it('refuses files that do not fit the table, leaving it as it was', async () => {
    const before = (await loadTable(sample.dir)).version;
    const twoDates = await writeBars(sample.dir, BASE_SCHEMA, '2024-01-05', [['2024-01-05 14:30:00', 1, 1]]);
    expect(await codeOf(appendFiles(sample.dir, [{ path: twoDates, partition: { date: '2024-01-06' } }]))).toEqual([
      'BAD_REQUEST',
      `${twoDates} holds date 2024-01-05, not the partition given (2024-01-06)`,
    ]);
    expect(await codeOf(appendFiles(sample.dir, [{ path: sample.files.v1_0102 }]))).toEqual(['BAD_REQUEST', `the table already holds partition [["date",19724]]; replace it instead of appending to it`]);
    const outside = path.join(path.dirname(sample.dir), 'elsewhere.parquet');
    fs.copyFileSync(twoDates, outside);
    expect(await codeOf(appendFiles(sample.dir, [{ path: outside }]))).toEqual(['BAD_REQUEST', `${outside} is not inside the table folder ${sample.dir}`]);
    expect((await loadTable(sample.dir)).version).toBe(before);
    fs.rmSync(twoDates);
  });

  it('refuses a file without field ids and one missing a required column', async () => {
    const { withConnection } = await import('../../../core/engine/duckdbEngine.js');
    const noIds = path.join(sample.dir, 'data', '2024-01-08', 'no-ids.parquet');
    const noTimestamp = path.join(sample.dir, 'data', '2024-01-08', 'no-ts.parquet');
    fs.mkdirSync(path.dirname(noIds), { recursive: true });
    await withConnection(async (c) => {
      await c.run(`COPY (SELECT DATE '2024-01-08' AS date, TIMESTAMPTZ '2024-01-08 14:30:00+00' AS timestamp) TO '${noIds}' (FORMAT parquet)`, 'test');
      await c.run(`COPY (SELECT DATE '2024-01-08' AS date, 1.5::DOUBLE AS close) TO '${noTimestamp}' (FORMAT parquet, FIELD_IDS {date: 1, close: 3})`, 'test');
    });
    expect(await codeOf(appendFiles(sample.dir, [{ path: noIds }]))).toEqual([
      'SCHEMA_MISMATCH',
      `${noIds}: column "date" has no Iceberg field id; write the file with the table's field ids (DuckDB: COPY … (FIELD_IDS {…}))`,
    ]);
    expect(await codeOf(appendFiles(sample.dir, [{ path: noTimestamp }]))).toEqual(['MISSING_REQUIRED_COLUMN', `${noTimestamp} has no column for the required field "timestamp" (field id 2, timestamptz)`]);
    fs.rmSync(path.dirname(noIds), { recursive: true });
  });

  it('removes a date without a replacement, and refuses a version number that goes back', async () => {
    const table = await loadTable(sample.dir);
    expect(await codeOf(replacePartitions(sample.dir, [], { removeDates: ['2024-01-04'], version: 3 }))).toEqual(['BAD_REQUEST', 'version 3 is not above the table\'s highest version (3)']);
    const { snapshot } = await replacePartitions(sample.dir, [], { removeDates: ['2024-01-04'], version: 10, nowMs: T0 + 5000 });
    expect([snapshot.version, snapshot.operation, snapshot.summary['deleted-data-files'], snapshot.summary['total-records']]).toEqual([10, 'overwrite', '1', '5']);
    const after = await loadTable(sample.dir);
    expect((await snapshotDataFiles(after, snapshot)).map((f) => f.partition.date)).toEqual(['2024-01-03', '2024-01-02']);
    expect(currentSchema(after.metadata)['schema-id']).toBe(currentSchema(table.metadata)['schema-id']);
  });

  it('expires old snapshots and lists exactly the files only they needed', async () => {
    expect(await unreferencedFiles(sample.dir)).toEqual({ files: [], bytes: 0 });
    const table = await loadTable(sample.dir);
    const [s1, s2] = listSnapshots(table);
    const { expired, table: after } = await expireSnapshots(sample.dir, { keepLast: 2, nowMs: T0 + 6000 });
    expect(expired.map((s) => s.version)).toEqual([2, 1]);
    expect(listSnapshots(after).map((s) => s.version)).toEqual([3, 10]);
    const free = await unreferencedFiles(sample.dir);
    const expectedData = [sample.files.v1_0103].map((f) => path.relative(sample.dir, f));
    expect(free.files.filter((f) => f.startsWith('data/'))).toEqual(expectedData);
    // the manifest only snapshot 1 had (snapshot 2 rewrote it)
    expect(free.files.filter((f) => /-m\d\.avro$/.test(f))).toHaveLength(1);
    // the manifest lists of the two expired snapshots, and every older metadata file (each names snapshot 1)
    expect(free.files.filter((f) => f.startsWith('metadata/snap-')).sort()).toEqual([path.basename(s1.manifestList), path.basename(s2.manifestList)].map((n) => `metadata/${n}`).sort());
    expect(free.files.filter((f) => f.endsWith('.metadata.json'))).toEqual(['metadata/v2.metadata.json', 'metadata/v3.metadata.json', 'metadata/v4.metadata.json', 'metadata/v5.metadata.json', 'metadata/v6.metadata.json']);
    expect(free.bytes).toBe(free.files.reduce((sum, f) => sum + fs.statSync(path.join(sample.dir, f)).size, 0));
    // removing them leaves every kept snapshot whole
    for (const f of free.files) fs.rmSync(path.join(sample.dir, f));
    const kept = await loadTable(sample.dir);
    expect(await readSnapshotRows(kept, snapshotForVersion(kept, 3))).toHaveLength(7);
    expect(await readSnapshotRows(kept, snapshotForVersion(kept, 10))).toEqual([...ours('2024-01-03', V2_BARS_0103, true), ...ours('2024-01-02', V1_BARS['2024-01-02'], true)]);
    expect(await unreferencedFiles(sample.dir)).toEqual({ files: [], bytes: 0 });
    expect(() => snapshotForVersion(kept, 1)).toThrow(`${sample.dir} has no version 1; it keeps v3, v10`);
    expect(() => snapshotAsOf(kept, T0 + 1500)).toThrow(`${sample.dir} had no snapshot at 2026-11-01T12:00:01.500Z`);
  });
});

describe('partition summaries in the manifest list', () => {
  const sample = sampleTableForSuite('mes-data-iceberg-summary-');

  it('give each manifest its date range, and a commit opens only the manifests that may hold its dates', async () => {
    const table = await loadTable(sample.dir);
    const { manifests } = await snapshotManifests(table, snapshotForVersion(table, 3));
    const day = (date: string) => {
      const b = Buffer.alloc(4);
      b.writeInt32LE(Date.parse(`${date}T00:00:00Z`) / 86_400_000);
      return b;
    };
    expect(manifests.map((m) => m.record.partitions)).toEqual([
      [{ contains_null: false, contains_nan: null, lower_bound: day('2024-01-04'), upper_bound: day('2024-01-04') }],
      [{ contains_null: false, contains_nan: null, lower_bound: day('2024-01-03'), upper_bound: day('2024-01-03') }],
      // v2's rewrite of v1's manifest: 2024-01-02 existing, the old 2024-01-03 deleted
      [{ contains_null: false, contains_nan: null, lower_bound: day('2024-01-02'), upper_bound: day('2024-01-03') }],
    ]);
    // make every manifest unreadable: a commit that opened one would fail
    for (const m of manifests) fs.writeFileSync(m.path, 'not avro');
    const next = await writeBars(sample.dir, currentSchema(table.metadata), '2024-01-05', [['2024-01-05 14:30:00', 4780, 10, 5]]);
    const { snapshot } = await appendFiles(sample.dir, [{ path: next }], { nowMs: T0 + 5000 });
    expect([snapshot.version, snapshot.summary['manifests-kept'], snapshot.summary['total-records']]).toEqual([4, '3', '8']);
    // a date inside a manifest's range makes the commit open it
    const again = await writeBars(sample.dir, currentSchema(table.metadata), '2024-01-03', [['2024-01-03 14:30:00', 1, 1, 1]]);
    await expect(appendFiles(sample.dir, [{ path: again }])).rejects.toMatchObject({ code: 'CORRUPTED_FILE' });
  });
});

