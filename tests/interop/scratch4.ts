import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { readParquet, openParquetFile } from '../../core/parquet/parquetFile.js';
import { DecoderPool } from '../../core/parquet/decoderPool.js';
import { tableToJsonRows } from '../../core/arrow/arrowJson.js';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scr-'));
const decoder = new DecoderPool();
const inst = await DuckDBInstance.create(':memory:'); const c = await inst.connect();
await c.run(`CREATE TYPE mood AS ENUM ('calm', 'busy', 'halted')`);
const select = `SELECT * FROM (VALUES
 (1, 9223372036854775807::BIGINT, 'NaN'::DOUBLE, 'abc', TIMESTAMP '2024-01-02 03:04:05.123456', TIMESTAMPTZ '2024-01-02 03:04:05.123456+00', TIMESTAMP_NS '2024-01-02 03:04:05.123456789', DATE '2024-01-02', 1234.5678::DECIMAL(18,4), '1000000000000000000000000000.0000000001'::DECIMAL(38,10), true, '\\x00\\xFFab'::BLOB, [1, NULL, -3]::INTEGER[], {'a': 9007199254740993::BIGINT, 'b': 'x'}, 'calm'::mood, 'ES'),
 (2, (-9223372036854775807 - 1)::BIGINT, 'inf'::DOUBLE, 'é😀', TIMESTAMP '1969-12-31 23:59:59.999999', TIMESTAMPTZ '1969-12-31 23:59:59.999999+00', TIMESTAMP_NS '1969-12-31 23:59:59.999999999', DATE '1969-12-31', -0.0001::DECIMAL(18,4), '-0.0000000001'::DECIMAL(38,10), false, ''::BLOB, []::INTEGER[], {'a': NULL, 'b': NULL}, 'halted'::mood, 'NQ'),
 (3, NULL, '-inf'::DOUBLE, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'ES'),
 (4, 0, '-0.0'::DOUBLE, '', TIMESTAMP '1970-01-01', TIMESTAMPTZ '1970-01-01 00:00:00+00', TIMESTAMP_NS '1970-01-01 00:00:00.000000001', DATE '1970-01-01', 0::DECIMAL(18,4), 0::DECIMAL(38,10), NULL, NULL, [NULL]::INTEGER[], NULL, 'busy'::mood, 'ES')
) t(id, big, dbl, str, ts, tstz, tsns, d, dec18, dec38, flag, bin, ints, st, mood, sym)`;
for (const codec of ['zstd']) {
  const file = path.join(dir, codec + '.parquet');
  await c.run(`COPY (${select}) TO '${file}' (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 2)`);
  const r = await c.runAndReadAll(`select * from parquet_schema('${file}')`);
  console.log(JSON.stringify(r.getRowObjectsJson().map(x => [x.name, x.type, x.converted_type, x.logical_type, x.repetition_type])));
  const t = await readParquet(file, { decoder });
  console.log(t.schema.fields.map(f => `${f.name}: ${String(f.type)} ${f.nullable}`));
  console.log(JSON.stringify(tableToJsonRows(t), null, 0));
  const h = await openParquetFile(file, { decoder });
  console.log(JSON.stringify(h.info.keyValue), h.info.createdBy, h.info.rowGroups.map(g => g.columns.map(x => x.compression).join(',')));
  const rr = await h.readRows(1, 2);
  console.log(JSON.stringify(tableToJsonRows(rr)));
  const dj = await c.runAndReadAll(`select * from '${file}'`);
  console.log(JSON.stringify(dj.getRowObjectsJson()));
}
await decoder.close();
