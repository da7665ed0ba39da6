/**
 * The table read by the Python tools researchers use: fastavro checks every manifest and
 * manifest list against the Avro schemas of the Iceberg spec (written out below from the
 * spec's tables, field id by field id, independently of core/iceberg/manifestFiles.ts), and
 * pyarrow, polars, pandas and DuckDB read a snapshot's data files, and one date's folder,
 * with exact values. Needs a Python with those modules (tests/helpers/python.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTable } from '../../../core/iceberg/tableCommit.js';
import { snapshotDataFiles, snapshotForVersion } from '../../../core/iceberg/tableRead.js';
import { requirePython, runPythonJson } from '../../helpers/python.js';
import { buildYearTable, sampleTableForSuite, V1_BARS, V2_BARS_0103, V3_BARS_0104, type Bar } from './icebergTestKit.js';

const CHECK_AVRO = String.raw`
import json, sys, fastavro
from fastavro.validation import validate_many

# The spec's structs (Iceberg table spec, format version 2): name, field id, required, type.
# Types: an Avro primitive, ('map', key id, value id, value type), ('list', element id, type), or a struct list.
MANIFEST_ENTRY = [
    ('status', 0, True, 'int'),
    ('snapshot_id', 1, False, 'long'),
    ('sequence_number', 3, False, 'long'),
    ('file_sequence_number', 4, False, 'long'),
    ('data_file', 2, True, 'DATA_FILE'),
]
DATA_FILE = [
    ('content', 134, True, 'int'),
    ('file_path', 100, True, 'string'),
    ('file_format', 101, True, 'string'),
    ('partition', 102, True, 'PARTITION'),
    ('record_count', 103, True, 'long'),
    ('file_size_in_bytes', 104, True, 'long'),
    ('column_sizes', 108, False, ('map', 117, 118, 'long')),
    ('value_counts', 109, False, ('map', 119, 120, 'long')),
    ('null_value_counts', 110, False, ('map', 121, 122, 'long')),
    ('nan_value_counts', 137, False, ('map', 138, 139, 'long')),
    ('lower_bounds', 125, False, ('map', 126, 127, 'bytes')),
    ('upper_bounds', 128, False, ('map', 129, 130, 'bytes')),
    ('key_metadata', 131, False, 'bytes'),
    ('split_offsets', 132, False, ('list', 133, 'long')),
    ('equality_ids', 135, False, ('list', 136, 'int')),
    ('sort_order_id', 140, False, 'int'),
]
FIELD_SUMMARY = [
    ('contains_null', 509, True, 'boolean'),
    ('contains_nan', 518, False, 'boolean'),
    ('lower_bound', 510, False, 'bytes'),
    ('upper_bound', 511, False, 'bytes'),
]
MANIFEST_FILE = [
    ('manifest_path', 500, True, 'string'),
    ('manifest_length', 501, True, 'long'),
    ('partition_spec_id', 502, True, 'int'),
    ('content', 517, True, 'int'),
    ('sequence_number', 515, True, 'long'),
    ('min_sequence_number', 516, True, 'long'),
    ('added_snapshot_id', 503, True, 'long'),
    ('added_files_count', 504, True, 'int'),
    ('existing_files_count', 505, True, 'int'),
    ('deleted_files_count', 506, True, 'int'),
    ('added_rows_count', 512, True, 'long'),
    ('existing_rows_count', 513, True, 'long'),
    ('deleted_rows_count', 514, True, 'long'),
    ('partitions', 507, False, ('list', 508, FIELD_SUMMARY)),
    ('key_metadata', 519, False, 'bytes'),
]
ICEBERG_TO_AVRO = {'date': {'type': 'int', 'logicalType': 'date'}, 'int': 'int', 'long': 'long', 'string': 'string', 'double': 'double', 'boolean': 'boolean'}

names = iter(range(10**6))
def avro_type(t, partition):
    if t == 'DATA_FILE': return record('r2', DATA_FILE, partition)
    if t == 'PARTITION': return partition
    if isinstance(t, list): return record('s%d' % next(names), t, partition)
    if isinstance(t, tuple) and t[0] == 'map':
        return {'type': 'array', 'logicalType': 'map', 'items': {'type': 'record', 'name': 'k%d_v%d' % (t[1], t[2]), 'fields': [{'name': 'key', 'type': 'int'}, {'name': 'value', 'type': t[3]}]}}
    if isinstance(t, tuple) and t[0] == 'list': return {'type': 'array', 'items': avro_type(t[2], partition)}
    return t
def record(name, fields, partition=None):
    return {'type': 'record', 'name': name, 'fields': [
        {'name': n, 'type': avro_type(t, partition)} if req else {'name': n, 'type': ['null', avro_type(t, partition)], 'default': None}
        for (n, i, req, t) in fields]}

def ids(fields, prefix=''):
    out = {}
    for (n, i, req, t) in fields:
        p = prefix + n
        out[p] = (i, req)
        if isinstance(t, tuple) and t[0] == 'map': out[p + '.key'] = (t[1], True); out[p + '.value'] = (t[2], True)
        if isinstance(t, tuple) and t[0] == 'list':
            out[p + '[]'] = (t[1], True)
            if isinstance(t[2], list): out.update(ids(t[2], p + '[].'))
        if t == 'DATA_FILE': out.update(ids(DATA_FILE, p + '.'))
    return out

def written_ids(schema, prefix=''):
    out = {}
    for f in schema['fields']:
        p = prefix + f['name']
        t = f['type']
        optional = isinstance(t, list)
        if optional: t = [x for x in t if x != 'null'][0]
        out[p] = (f.get('field-id'), not optional, f.get('default', 'absent') if optional else None)
        if isinstance(t, dict) and t.get('type') == 'record' and p != 'data_file.partition': out.update(written_ids(t, p + '.'))
        if isinstance(t, dict) and t.get('type') == 'array':
            items = t['items']
            if t.get('logicalType') == 'map':
                for kv in items['fields']: out[p + '.' + kv['name']] = (kv.get('field-id'), True, None)
            else:
                out[p + '[]'] = (t.get('element-id'), True, None)
                if isinstance(items, dict) and items.get('type') == 'record': out.update(written_ids(items, p + '[].'))
    return out

files = json.load(sys.stdin)
report = []
for path in files:
    with open(path, 'rb') as fo:
        reader = fastavro.reader(fo)
        records = list(reader)
        meta = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in reader.metadata.items()}
    raw = json.loads(meta['avro.schema'])
    problems = []
    if raw['name'] == 'manifest_entry':
        for key in ['schema', 'schema-id', 'partition-spec', 'partition-spec-id', 'format-version', 'content']:
            if key not in meta: problems.append('header lacks ' + key)
        table_schema = json.loads(meta['schema'])
        spec = json.loads(meta['partition-spec'])
        by_id = {f['id']: f for f in table_schema['fields']}
        # the spec's result types: identity keeps the source type, year gives an int (years since 1970)
        result_type = lambda p: 'int' if p['transform'] == 'year' else ICEBERG_TO_AVRO[by_id[p['source-id']]['type']]
        partition = {'type': 'record', 'name': 'r102', 'fields': [{'name': p['name'], 'type': ['null', result_type(p)], 'default': None} for p in spec]}
        expected = ids(MANIFEST_ENTRY)
        for p in spec: expected['data_file.partition.' + p['name']] = (p['field-id'], False)
        spec_schema = record('manifest_entry', MANIFEST_ENTRY, partition)
        if meta.get('format-version') != '2' or meta.get('content') != 'data': problems.append('format-version/content: %s/%s' % (meta.get('format-version'), meta.get('content')))
        got = written_ids(raw)
        for p in spec: got['data_file.partition.' + p['name']] = (next(f['field-id'] for f in raw['fields'][4]['type']['fields'][3]['type']['fields'] if f['name'] == p['name']), False, None)
    else:
        expected = ids(MANIFEST_FILE)
        spec_schema = record('manifest_file', MANIFEST_FILE)
        got = written_ids(raw)
    for p, (i, req) in expected.items():
        if p not in got: problems.append('missing ' + p); continue
        if got[p][0] != i: problems.append('%s has field id %s, the spec says %s' % (p, got[p][0], i))
        if got[p][1] != req: problems.append('%s is %s, the spec says %s' % (p, 'required' if got[p][1] else 'optional', 'required' if req else 'optional'))
        if not req and got[p][2] is not None: problems.append(p + ' is optional without a null default')
    for p in got:
        if p not in expected: problems.append('not in the spec: ' + p)
    try:
        validate_many(records, fastavro.parse_schema(spec_schema), raise_errors=True)
    except Exception as e:
        problems.append('records do not match the spec schema: %s' % e)
    partitions = [r['data_file']['partition'] for r in records] if raw['name'] == 'manifest_entry' else []
    report.append({'file': path, 'kind': raw['name'], 'records': len(records), 'problems': problems, 'partitions': partitions})
# a date partition reads as a datetime.date: its text
print(json.dumps(report, default=str))
`;

const READ_FILES = String.raw`
import json, sys, datetime
import pyarrow.parquet as pq, polars as pl, pandas as pd, duckdb
files, folder = json.load(sys.stdin)
def norm(rows):
    out = []
    for r in rows:
        o = {}
        for k, v in r.items():
            if isinstance(v, datetime.datetime): o[k] = v.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')
            elif isinstance(v, datetime.date): o[k] = v.isoformat()
            elif v is None or (isinstance(v, float) and v != v): o[k] = None
            else: o[k] = v.item() if hasattr(v, 'item') else v
        out.append(o)
    return out
result = {}
result['pyarrow'] = norm(pq.read_table(files).to_pylist())
result['pyarrow_types'] = [str(f.type) for f in pq.read_table(files).schema]
result['polars'] = norm(pl.read_parquet(files, missing_columns='insert').to_dicts())
result['pandas'] = norm(pd.read_parquet(files).to_dict('records'))
con = duckdb.connect()
result['duckdb'] = norm(con.execute('SELECT * FROM read_parquet(?, hive_partitioning = true, union_by_name = true)', [files]).fetch_arrow_table().to_pylist())
result['folder_pyarrow'] = norm(pq.read_table(folder).to_pylist())
result['folder_polars'] = norm(pl.read_parquet(folder + '/').to_dicts())
result['folder_pandas'] = norm(pd.read_parquet(folder).to_dict('records'))
print(json.dumps(result))
`;

/** A bar as the Python readers give it back (see READ_FILES). */
function pythonRows(date: string, bars: Bar[], columns: 'without' | 'with'): Record<string, unknown>[] {
  return bars.map(([ts, close, volume, oi]) => ({
    date,
    timestamp: `${ts.replace(' ', 'T')}.000000Z`,
    close,
    volume,
    ...(columns === 'with' ? { open_interest: oi ?? null } : {}),
  }));
}

describe('the table read by Python', () => {
  const sample = sampleTableForSuite('mes-data-iceberg-python-');

  it('has manifests and manifest lists that fastavro finds true to the spec schemas', (context) => {
    const python = requirePython(context);
    const avro = fs
      .readdirSync(path.join(sample.dir, 'metadata'))
      .filter((n) => n.endsWith('.avro'))
      .map((n) => path.join(sample.dir, 'metadata', n))
      .sort();
    const report = runPythonJson<{ file: string; kind: string; records: number; problems: string[] }[]>(python, CHECK_AVRO, avro);
    expect(report.map((r) => r.problems)).toEqual(avro.map(() => []));
    // v1's manifest (2 files), v2's rewrite of it (1 existing, 1 deleted) and new one (1), v3's (1); three manifest lists (1, 2, 3 manifests)
    const counts = (kind: string) => report.filter((r) => r.kind === kind).map((r) => r.records).sort();
    expect(counts('manifest_entry')).toEqual([1, 1, 2, 2]);
    expect(counts('manifest_file')).toEqual([1, 2, 3]);
  });

  it('has manifests of a table partitioned by year that fastavro finds true to the spec, the year an int of years since 1970', async (context) => {
    const python = requirePython(context);
    const dir = path.join(path.dirname(sample.dir), 'NVDA');
    await buildYearTable(dir);
    const avro = fs
      .readdirSync(path.join(dir, 'metadata'))
      .filter((n) => n.endsWith('.avro'))
      .map((n) => path.join(dir, 'metadata', n))
      .sort();
    const report = runPythonJson<{ file: string; kind: string; records: number; problems: string[]; partitions: unknown[] }[]>(python, CHECK_AVRO, avro);
    expect(report.map((r) => r.problems)).toEqual(avro.map(() => []));
    // v1's manifest (2023), v2's (2024), v3's rewrite of 2024's (deleted) and new one (2024 again); lists of 1, 2 and 3 manifests
    const entries = report.filter((r) => r.kind === 'manifest_entry').map((r) => JSON.stringify(r.partitions)).sort();
    expect(entries).toEqual(['[{"date_year":53}]', '[{"date_year":54}]', '[{"date_year":54}]', '[{"date_year":54}]']);
    expect(report.filter((r) => r.kind === 'manifest_file').map((r) => r.records).sort()).toEqual([1, 2, 3]);
  });

  it('reads version 3 with pyarrow, polars, pandas and DuckDB, exactly', async (context) => {
    const python = requirePython(context);
    const table = await loadTable(sample.dir);
    const files = (await snapshotDataFiles(table, snapshotForVersion(table, 3))).map((f) => f.path);
    const folder = path.dirname(sample.files.v3_0104);
    const got = runPythonJson<Record<string, Record<string, unknown>[]>>(python, READ_FILES, [files, folder]);
    // files written before open_interest was added lack it: pyarrow and pandas (the first file's schema, which has it),
    // DuckDB (union_by_name) and polars (missing_columns='insert') read it as null there
    const full = [...pythonRows('2024-01-04', V3_BARS_0104, 'with'), ...pythonRows('2024-01-03', V2_BARS_0103, 'with'), ...pythonRows('2024-01-02', V1_BARS['2024-01-02'], 'with')];
    expect(got.pyarrow_types).toEqual(['date32[day]', 'timestamp[us, tz=UTC]', 'double', 'int64', 'int64']);
    expect(got.pyarrow).toEqual(full);
    expect(got.duckdb).toEqual(full);
    expect(got.polars).toEqual(full);
    expect(got.pandas).toEqual(full);
    // one date's folder, as a dataset: the date comes from the files, typed as a date
    const day = pythonRows('2024-01-04', V3_BARS_0104, 'with');
    expect(got.folder_pyarrow).toEqual(day);
    expect(got.folder_polars).toEqual(day);
    expect(got.folder_pandas).toEqual(day);
  });
});
