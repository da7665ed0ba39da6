/**
 * Tables written by Spark (tests/fixtures/iceberg, from the DuckDB Iceberg extension's test
 * data): our reader reads their snapshots with the values pyarrow reads from their data
 * files and their paths, and the metadata and manifests we write have the structure theirs
 * have (the same keys, the same Avro field ids).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeAvroContainer } from '../../../core/iceberg/avroContainer.js';
import { manifestEntrySchema, MANIFEST_FILE_SCHEMA } from '../../../core/iceberg/manifestFiles.js';
import { loadTable } from '../../../core/iceberg/tableCommit.js';
import { currentSchema, defaultSpec, parseTableMetadata, serializeTableMetadata } from '../../../core/iceberg/tableMetadata.js';
import { listSnapshots, snapshotDataFiles, snapshotManifests, snapshotForVersion } from '../../../core/iceberg/tableRead.js';
import { readSnapshotRows } from '../../../core/iceberg/tableRows.js';
import { appendFiles } from '../../../core/iceberg/tableWrite.js';
import { sampleTableForSuite, writeBars } from './icebergTestKit.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/iceberg');

/** Every `field-id` of an Avro schema by dotted field path. */
function fieldIds(schema: unknown, prefix = ''): Record<string, number> {
  const out: Record<string, number> = {};
  const visit = (type: unknown, at: string): void => {
    if (Array.isArray(type)) return type.forEach((t) => visit(t, at));
    if (typeof type !== 'object' || type === null) return;
    const t = type as { type?: unknown; fields?: { name: string; type: unknown; 'field-id'?: number }[]; items?: unknown; 'element-id'?: number };
    if (t['element-id'] !== undefined) out[`${at}[]`] = t['element-id'];
    if (t.items !== undefined) visit(t.items, `${at}[]`);
    for (const field of t.fields ?? []) {
      const name = at === '' ? field.name : `${at}.${field.name}`;
      if (field['field-id'] !== undefined) out[name] = field['field-id'];
      visit(field.type, name);
    }
    if (typeof t.type === 'object') visit(t.type, at);
  };
  visit(schema, prefix);
  return out;
}

describe('Iceberg tables written by Spark', () => {
  it('reads both snapshots of a date-partitioned table whose files lack the partition columns', async () => {
    const table = await loadTable(path.join(FIXTURES, 'hive_partitioned_table'));
    expect(table.version).toBe(4);
    const [s1, s2] = listSnapshots(table);
    expect([s1.id, s2.id, s2.parentId, s1.version, s2.version]).toEqual([2541674261311761067n, 5128628767169163501n, 2541674261311761067n, 1, 2]);
    // values as pyarrow reads the data files (user_id, event_type) and their partition folders
    expect(await readSnapshotRows(table, s1)).toEqual([
      { event_date: '2024-01-02', user_id: 67890n, event_type: 'purchase' },
      { event_date: '2024-01-01', user_id: 12345n, event_type: 'click' },
    ]);
    const rows = await readSnapshotRows(table, s2);
    expect(rows).toEqual([
      { event_date: '2024-01-03', user_id: 13579n, event_type: 'view' },
      { event_date: '2024-01-03', user_id: 24680n, event_type: 'click' },
      { event_date: '2024-01-04', user_id: 97531n, event_type: 'purchase' },
      { event_date: '2024-01-04', user_id: 86420n, event_type: 'view' },
      { event_date: '2024-01-02', user_id: 67890n, event_type: 'purchase' },
      { event_date: '2024-01-01', user_id: 12345n, event_type: 'click' },
    ]);
    expect(Number(s2.summary['total-records'])).toBe(rows.length);
    const files = await snapshotDataFiles(table, s2);
    expect(files.map((f) => [f.specId, f.partition])).toEqual([
      [1, { event_date: '2024-01-03', event_type: 'view' }],
      [1, { event_date: '2024-01-03', event_type: 'click' }],
      [1, { event_date: '2024-01-04', event_type: 'purchase' }],
      [1, { event_date: '2024-01-04', event_type: 'view' }],
      [0, { event_date: '2024-01-02' }],
      [0, { event_date: '2024-01-01' }],
    ]);
    expect(files.every((f) => f.path.startsWith(path.join(FIXTURES, 'hive_partitioned_table', 'data') + path.sep) && fs.existsSync(f.path))).toBe(true);
  });

  it('reads an int-partitioned table', async () => {
    const table = await loadTable(path.join(FIXTURES, 'partition_integer'));
    const [only] = listSnapshots(table);
    expect(await readSnapshotRows(table, only)).toEqual([
      { partition_col: 1337, user_id: 67890n, event_type: 'purchase' },
      { partition_col: 42, user_id: 12345n, event_type: 'click' },
    ]);
  });

  it('keeps 64-bit snapshot ids exact through a parse and a write', () => {
    const file = path.join(FIXTURES, 'hive_partitioned_table', 'metadata', 'v4.metadata.json');
    const metadata = parseTableMetadata(fs.readFileSync(file, 'utf8'), file);
    const again = parseTableMetadata(serializeTableMetadata(metadata), 'again');
    expect(again['current-snapshot-id']).toBe(5128628767169163501n);
    expect(again.snapshots.map((s) => s['parent-snapshot-id'] ?? null)).toEqual([null, 2541674261311761067n]);
    expect(again.refs.main['snapshot-id']).toBe(5128628767169163501n);
    expect(again.properties['write.data.partition-columns']).toBe('false');
    // a key we do not model is kept
    expect((again as unknown as Record<string, unknown>).statistics).toEqual([]);
  });

  it('refuses metadata that is not v2 table metadata, naming the file', () => {
    expect(() => parseTableMetadata('{"format-version": 3}', 'x.json')).toThrow('x.json is Iceberg format version 3; MES Data reads and writes format version 2');
    expect(() => parseTableMetadata('{"format-version": 2, "location": "a"}', 'y.json')).toThrow(/^y\.json is not Iceberg table metadata: table-uuid: /);
    expect(() => parseTableMetadata('{', 'z.json')).toThrow(/^z\.json is not JSON: /);
  });
});

describe('our metadata has the structure Spark writes', () => {
  const sample = sampleTableForSuite('mes-data-iceberg-golden-');

  it('has every key of a Spark table, in the metadata and in each snapshot', () => {
    const spark = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'hive_partitioned_table', 'metadata', 'v4.metadata.json'), 'utf8')) as Record<string, unknown>;
    const ours = JSON.parse(fs.readFileSync(path.join(sample.dir, 'metadata', 'v5.metadata.json'), 'utf8')) as Record<string, unknown>;
    // Spark writes an empty statistics list; it is optional and we have none
    expect(Object.keys(spark).filter((k) => !(k in ours))).toEqual(['statistics']);
    const keys = (m: Record<string, unknown>) => [...new Set((m.snapshots as Record<string, unknown>[]).flatMap((s) => Object.keys(s)))].sort();
    expect(keys(ours)).toEqual(keys(spark));
    expect(ours['format-version']).toBe(2);
    for (const key of ['added-data-files', 'added-records', 'added-files-size', 'changed-partition-count', 'total-records', 'total-files-size', 'total-data-files', 'total-delete-files', 'total-position-deletes', 'total-equality-deletes']) {
      expect(((ours.snapshots as { summary: Record<string, string> }[])[2].summary[key] ?? 'missing').match(/^\d+$/)?.[0], key).toBeDefined();
    }
  });

  it('writes manifests and manifest lists with the Avro field ids and header keys of Spark', async () => {
    const sparkDir = path.join(FIXTURES, 'hive_partitioned_table', 'metadata');
    const sparkManifest = decodeAvroContainer(fs.readFileSync(path.join(sparkDir, '8f7c6cdd-f7e6-4743-857e-021adfe0b999-m0.avro')), 'spark manifest');
    const sparkList = decodeAvroContainer(fs.readFileSync(path.join(sparkDir, 'snap-2541674261311761067-1-8f7c6cdd-f7e6-4743-857e-021adfe0b999.avro')), 'spark list');
    const table = await loadTable(sample.dir);
    const { listPath, manifests } = await snapshotManifests(table, snapshotForVersion(table, 3));
    const ourManifest = decodeAvroContainer(fs.readFileSync(manifests[0].path), 'ours');
    const ourList = decodeAvroContainer(fs.readFileSync(listPath), 'our list');
    // the partition struct differs by table (event_date vs date); every other field id is the spec's
    const withoutPartition = (ids: Record<string, number>) => Object.fromEntries(Object.entries(ids).filter(([k]) => !k.startsWith('data_file.partition.')));
    expect(withoutPartition(fieldIds(ourManifest.schema))).toEqual(withoutPartition(fieldIds(sparkManifest.schema)));
    expect(fieldIds(ourManifest.schema)['data_file.partition.date']).toBe(1000);
    // Java's writer still spells three counts of the manifest list the v1 way (added_data_files_count); the spec's v2 names are ours,
    // and we declare the optional key_metadata (519) that this Spark version left out
    const renamed = (ids: Record<string, number>) => Object.fromEntries(Object.entries(ids).map(([k, v]) => [k.replace('_data_files_count', '_files_count'), v]));
    expect(fieldIds(ourList.schema)).toEqual({ ...renamed(fieldIds(sparkList.schema)), key_metadata: 519 });
    expect(fieldIds(ourManifest.schema)).toEqual(fieldIds(manifestEntrySchema(defaultSpec(table.metadata), currentSchema(table.metadata))));
    expect(fieldIds(ourList.schema)).toEqual(fieldIds(MANIFEST_FILE_SCHEMA));
    for (const key of ['schema', 'schema-id', 'partition-spec', 'partition-spec-id', 'format-version', 'content']) expect(ourManifest.metadata[key], key).toBeDefined();
    expect([ourManifest.metadata['format-version'], ourManifest.metadata.content, ourManifest.metadata['partition-spec']]).toEqual(['2', 'data', '[{"source-id":1,"field-id":1000,"name":"date","transform":"identity"}]']);
    expect(Object.keys(sparkManifest.metadata).filter((k) => !k.startsWith('iceberg.') && !k.startsWith('avro.') && !(k in ourManifest.metadata))).toEqual([]);
  });

  it('still reads a table that was moved to another folder, and appends to it', async () => {
    const moved = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-data-iceberg-moved-'));
    try {
      const dir = path.join(moved, 'MES copy');
      fs.cpSync(sample.dir, dir, { recursive: true });
      const table = await loadTable(dir);
      const rows = await readSnapshotRows(table, snapshotForVersion(table, 3));
      expect(rows).toHaveLength(7);
      expect((await snapshotDataFiles(table, snapshotForVersion(table, 3))).every((f) => f.path.startsWith(path.join(dir, 'data') + path.sep))).toBe(true);
      const file = await writeBars(dir, currentSchema(table.metadata), '2024-01-05', [['2024-01-05 14:30:00', 4780, 10, 1]]);
      const { table: after, snapshot } = await appendFiles(dir, [{ path: file }]);
      expect((await readSnapshotRows(after, snapshot)).map((r) => r.date)).toEqual(['2024-01-05', '2024-01-04', '2024-01-04', '2024-01-03', '2024-01-03', '2024-01-03', '2024-01-02', '2024-01-02']);
      // the original is untouched
      expect((await loadTable(sample.dir)).version).toBe(5);
    } finally {
      fs.rmSync(moved, { recursive: true, force: true });
    }
  });
});
