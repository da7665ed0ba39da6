import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { readParquet } from '../../core/parquet/parquetFile.js';
import { DecoderPool } from '../../core/parquet/decoderPool.js';
import { tableToJsonRows } from '../../core/arrow/arrowJson.js';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scr-'));
const decoder = new DecoderPool();
const inst = await DuckDBInstance.create(':memory:'); const c = await inst.connect();
const exprs: Record<string, string> = {
  ti: `[-128::TINYINT, 127::TINYINT]`, si: `[-32768::SMALLINT, 32767::SMALLINT]`, ut: `[255::UTINYINT]`, us: `[65535::USMALLINT]`, ui: `[4294967295::UINTEGER]`,
  ub: `[18446744073709551615::UBIGINT, 9007199254740993::UBIGINT]`, fl: `['NaN'::FLOAT, 1.5::FLOAT, '-0.0'::FLOAT, 0.1::FLOAT]`, hi: `[170141183460469231731687303715884105727::HUGEINT, -1::HUGEINT]`,
  tm: `[TIME '12:34:56.123456']`, iv: `[INTERVAL '1 month 2 days 3 seconds']`, uu: `['0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9'::UUID]`,
  mp: `[MAP {'a': 1, 'b': NULL}]`, arr: `[[1,2,3]::INTEGER[3]]`, js: `['{"x": 1}'::JSON]`, tms: `[TIMESTAMP_MS '2024-01-02 03:04:05.123']`, tss: `[TIMESTAMP_S '2024-01-02 03:04:05']`,
  los: `[[{'k': 1, 'v': 'x'}, NULL]]`, nl: `[[[1], [], NULL]]`, ttz: `[TIMETZ '12:34:56+02']`, d0: `[DATE '5877642-06-25', DATE '-4712-01-01']`, tsinf: `['infinity'::TIMESTAMP, '-infinity'::TIMESTAMP]`, bits: `['0101'::BIT]`,
  dec9: `[1.23::DECIMAL(9,2)]`, dec4: `[1.5::DECIMAL(4,1)]`, dec0: `[12345678901234567890::DECIMAL(38,0)]`, tsbig: `[TIMESTAMP '9999-12-31 23:59:59.999999', TIMESTAMP '0001-01-01 00:00:00']`, str: `['a' || chr(0) || 'b']`,
  un: `[union_value(num := 2)::UNION(num INTEGER, str VARCHAR)]`, vnull: `[NULL]`,
};
for (const [name, e] of Object.entries(exprs)) {
  const file = path.join(dir, name + '.parquet');
  try {
    await c.run(`COPY (SELECT unnest(${e}) AS v) TO '${file}' (FORMAT parquet)`);
    const s = await c.runAndReadAll(`select type, converted_type, logical_type from parquet_schema('${file}') where name <> 'duckdb_schema'`);
    const d = await c.runAndReadAll(`select v, typeof(v) t from '${file}'`);
    let ours = '';
    try { const t = await readParquet(file, { decoder }); ours = String(t.schema.fields[0].type) + ' ' + JSON.stringify(tableToJsonRows(t)); } catch (err) { ours = 'ERR ' + (err as Error).message; }
    console.log(name, JSON.stringify(s.getRowsJson()), '\n   duck', JSON.stringify(d.getRowsJson()), '\n   ours', ours);
  } catch (err) { console.log(name, 'DUCK ERR', (err as Error).message.split('\n')[0]); }
}
await decoder.close();
