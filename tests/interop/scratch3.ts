import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Table, TimestampNanosecond, makeData, makeVector } from 'apache-arrow';
import { writeParquet } from '../../core/parquet/writeParquet.js';
import { DecoderPool } from '../../core/parquet/decoderPool.js';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scr-'));
const decoder = new DecoderPool();
const file = path.join(dir, 'a.parquet');
await writeParquet(new Table({ ts: makeVector(makeData({ type: new TimestampNanosecond('UTC'), length: 3, data: new BigInt64Array([1n, -1n, 1704164645123456789n]) })) }), file, { decoder });
const inst = await DuckDBInstance.create(':memory:'); const c = await inst.connect();
for (const q of [`select type_name from duckdb_types() where type_name ilike '%timestamp%'`,
 `select path_in_schema, stats_min, stats_max, stats_min_value, stats_max_value, compression from parquet_metadata('${file}')`,
 `select * from parquet_file_metadata('${file}')`,
 `select * from parquet_kv_metadata('${file}')`,
]) {
  try { const r = await c.runAndReadAll(q); console.log(r.columnTypes().map(String), JSON.stringify(r.getRowObjectsJson())); } catch (e) { console.log('ERR', (e as Error).message); }
}
await decoder.close();
