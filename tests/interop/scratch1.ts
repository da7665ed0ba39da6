import { DuckDBInstance } from '@duckdb/node-api';
const inst = await DuckDBInstance.create(':memory:');
const c = await inst.connect();
const r = await c.runAndReadAll(`select version(), 'NaN'::double as n, '-0.0'::double as nz, 9223372036854775807::bigint b, TIMESTAMP_NS '2024-01-02 03:04:05.123456789' t, epoch_ns(TIMESTAMP_NS '2024-01-02 03:04:05.123456789') e, 1.5::decimal(38,10) d, [1,2] l, {'a':1} s`);
console.log(r.getRows(), r.getRowObjectsJson(), r.columnTypes().map(String));
c.closeSync(); inst.closeSync();
