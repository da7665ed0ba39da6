import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Field, Float64, Int32, Int64, List, Struct, Table, TimestampNanosecond, TimestampMillisecond, TimestampMicrosecond, DateDay, Decimal, Utf8, makeData, makeVector, vectorFromArray } from 'apache-arrow';
import { writeParquet } from '../../core/parquet/writeParquet.js';
import { readParquet } from '../../core/parquet/parquetFile.js';
import { DecoderPool } from '../../core/parquet/decoderPool.js';
import { tableToJsonRows } from '../../core/arrow/arrowJson.js';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scr-'));
const decoder = new DecoderPool();
const n = 3;
const valid = (bits: number[]) => { const b = new Uint8Array(1); bits.forEach((v, i) => { if (v) b[0] |= 1 << i; }); return b; };
function dec(values: bigint[], words: number) { const a = new Uint32Array(values.length * words); values.forEach((v, i) => { let x = BigInt.asUintN(words*32, v); for (let k=0;k<words;k++){ a[i*words+k]=Number(x & 0xffffffffn); x >>= 32n; } }); return a; }
const cols: Record<string, any> = {
  ts_ms: makeVector(makeData({ type: new TimestampMillisecond(), length: n, data: new BigInt64Array([1n, -1n, 1704164645123n]) })),
  ts_ms_utc: makeVector(makeData({ type: new TimestampMillisecond('UTC'), length: n, data: new BigInt64Array([1n, -1n, 1704164645123n]) })),
  ts_us: makeVector(makeData({ type: new TimestampMicrosecond(), length: n, data: new BigInt64Array([1n, -1n, 1704164645123456n]) })),
  ts_us_utc: makeVector(makeData({ type: new TimestampMicrosecond('UTC'), length: n, data: new BigInt64Array([1n, -1n, 1704164645123456n]) })),
  ts_ns: makeVector(makeData({ type: new TimestampNanosecond(), length: n, data: new BigInt64Array([1n, -1n, 1704164645123456789n]) })),
  d: makeVector(makeData({ type: new DateDay(), length: n, data: new Int32Array([0, -1, 19724]) })),
  dec18: makeVector(makeData({ type: new Decimal(4, 18, 128), length: n, data: dec([12345678n, -1n, 999999999999999999n], 4) })),
  dec18_64: makeVector(makeData({ type: new Decimal(4, 18, 64), length: n, data: dec([12345678n, -1n, 999999999999999999n], 2) })),
  dec38: makeVector(makeData({ type: new Decimal(10, 38, 128), length: n, data: dec([10n**37n + 1n, -1n, -(10n**38n - 1n)], 4) })),
  li: makeVector(makeData({ type: new List(new Field('item', new Int32(), true)), length: n, nullCount: 1, nullBitmap: valid([1,1,0]), valueOffsets: new Int32Array([0, 2, 2, 2]), child: makeData({ type: new Int32(), length: 2, data: new Int32Array([1, -2]) }) })),
  st: makeVector(makeData({ type: new Struct([new Field('a', new Int64(), true), new Field('b', new Utf8(), true)]), length: n, children: [makeData({ type: new Int64(), length: n, data: new BigInt64Array([1n, 9007199254740993n, 0n]) }), vectorFromArray(['x', null, 'z'], new Utf8()).data[0]] })),
};
for (const [name, v] of Object.entries(cols)) {
  const file = path.join(dir, name + '.parquet');
  try {
    await writeParquet(new Table({ [name]: v }), file, { decoder });
    const back = await readParquet(file, { decoder });
    console.log(name, String(v.type), '->', String(back.schema.fields[0].type), JSON.stringify(tableToJsonRows(back)));
    const inst = await DuckDBInstance.create(':memory:'); const c = await inst.connect();
    const r = await c.runAndReadAll(`select * from read_parquet('${file}')`);
    console.log('  duck', r.columnTypes().map(String), JSON.stringify(r.getRowObjectsJson()));
    const s = await c.runAndReadAll(`select name, type, converted_type, scale, precision, logical_type from parquet_schema('${file}')`);
    console.log('  schema', JSON.stringify(s.getRowObjectsJson()));
    c.closeSync(); inst.closeSync();
  } catch (e) { console.log(name, 'ERR', (e as Error).message); }
}
await decoder.close();
fs.rmSync(dir, { recursive: true });
