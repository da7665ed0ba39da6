import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import * as A from 'apache-arrow';
import { writeParquet } from '../../core/parquet/writeParquet.js';
import { readParquet } from '../../core/parquet/parquetFile.js';
import { DecoderPool } from '../../core/parquet/decoderPool.js';
import { tableToJsonRows } from '../../core/arrow/arrowJson.js';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scr-'));
const decoder = new DecoderPool();
const n = 3;
const dict = A.makeVector(A.makeData({ type: new A.Dictionary(new A.Utf8(), new A.Int32()), length: 3, data: new Int32Array([1, 0, 1]), dictionary: A.vectorFromArray(['ES', 'NQ'], new A.Utf8()) }));
const cols: Record<string, A.Vector> = {
  dict,
  bool: A.vectorFromArray([true, false, null], new A.Bool()),
  bin: A.makeVector(A.makeData({ type: new A.Binary(), length: 2, valueOffsets: new Int32Array([0, 3, 3]), data: new Uint8Array([0, 255, 97]) })),
  f32: A.makeVector(A.makeData({ type: new A.Float32(), length: 3, data: new Float32Array([NaN, -0, 0.1]) })),
  u64: A.makeVector(A.makeData({ type: new A.Uint64(), length: 2, data: new BigUint64Array([18446744073709551615n, 9007199254740993n]) })),
  i8: A.makeVector(A.makeData({ type: new A.Int8(), length: 2, data: new Int8Array([-128, 127]) })),
  t64us: A.makeVector(A.makeData({ type: new A.TimeMicrosecond(), length: 1, data: new BigInt64Array([45296123456n]) })),
  t64ns: A.makeVector(A.makeData({ type: new A.TimeNanosecond(), length: 1, data: new BigInt64Array([45296123456789n]) })),
  dur: A.makeVector(A.makeData({ type: new A.DurationNanosecond(), length: 1, data: new BigInt64Array([123456789n]) })),
  large: A.vectorFromArray(['x', 'é'], new A.LargeUtf8()),
  tsSec: A.makeVector(A.makeData({ type: new A.TimestampSecond('UTC'), length: 1, data: new BigInt64Array([1704164645n]) })),
  dateMs: A.makeVector(A.makeData({ type: new A.DateMillisecond(), length: 1, data: new BigInt64Array([1704153600000n]) })),
  chicago: A.makeVector(A.makeData({ type: new A.TimestampNanosecond('America/Chicago'), length: 1, data: new BigInt64Array([1704164645123456000n]) })),
  fsl: A.makeVector(A.makeData({ type: new A.FixedSizeList(2, new A.Field('item', new A.Float64(), true)), length: 1, child: A.makeData({ type: new A.Float64(), length: 2, data: new Float64Array([1, 2]) }) })),
};
for (const [name, v] of Object.entries(cols)) {
  const file = path.join(dir, name + '.parquet');
  try {
    await writeParquet(new A.Table({ [name]: v }), file, { decoder });
    const back = await readParquet(file, { decoder });
    console.log(name, String(v.type), '->', String(back.schema.fields[0].type), JSON.stringify(tableToJsonRows(back)));
    const inst = await DuckDBInstance.create(':memory:'); const c = await inst.connect();
    const r = await c.runAndReadAll(`select * from read_parquet('${file}')`);
    console.log('  duck', r.columnTypes().map(String), JSON.stringify(r.getRowObjectsJson()));
    const s = await c.runAndReadAll(`select type, converted_type, logical_type from parquet_schema('${file}') where name <> 'arrow_schema'`);
    console.log('  schema', JSON.stringify(s.getRowsJson()));
    c.closeSync(); inst.closeSync();
  } catch (e) { console.log(name, 'ERR', (e as Error).message); }
}
await decoder.close();
