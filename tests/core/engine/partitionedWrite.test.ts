import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeEngine, sqlString, withConnection } from '../../../core/engine/duckdbEngine.js';
import { writePartitionedSorted } from '../../../core/engine/partitionedWrite.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'partitioned-'));
afterAll(async () => {
  await closeEngine();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('writePartitionedSorted', () => {
  it('writes one sorted file per partition, rewriting the files DuckDB left out of order, with the footer metadata', async () => {
    const out = path.join(dir, 'out');
    // rows in a shuffled order: the partitioned COPY keeps whatever order it meets
    const select = `SELECT 'd' || (i % 5)::VARCHAR AS date, i AS t, i * 2 AS v FROM range(20000) r(i) ORDER BY hash(i)`;
    const { files, rewritten } = await withConnection((c) => writePartitionedSorted(c, select, out, { partitionBy: ['date'], orderBy: 't', compression: 'zstd', keyValue: { 'mes_data.layer': "clean'ed" } }));
    expect(files.map((f) => path.relative(out, f))).toEqual(['date=d0/part-0.parquet', 'date=d1/part-0.parquet', 'date=d2/part-0.parquet', 'date=d3/part-0.parquet', 'date=d4/part-0.parquet']);
    expect(rewritten).toBe(5);
    const check = await withConnection((c) =>
      c.rows(
        `SELECT count(*) AS n, count(*) FILTER (WHERE back) AS back, count(DISTINCT filename) AS files FROM (SELECT filename, t < lag(t) OVER (PARTITION BY filename ORDER BY file_row_number) AS back FROM read_parquet(${sqlString(`${out}/**/*.parquet`)}, hive_partitioning = false))`,
        'check',
      ),
    );
    expect(check).toEqual([{ n: 20000n, back: 0n, files: 5n }]);
    const columns = await withConnection((c) => c.rows(`SELECT name FROM parquet_schema(${sqlString(files[0])}) WHERE name <> 'duckdb_schema' ORDER BY column_id`, 'schema'));
    expect(columns.map((r) => r.name)).toEqual(['t', 'v']);
    const kv = await withConnection((c) => c.rows(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata(${sqlString(files[3])})`, 'kv'));
    expect(kv).toContainEqual({ k: 'mes_data.layer', v: "clean'ed" });
    const sum = await withConnection((c) => c.rows(`SELECT sum(v) AS s FROM read_parquet(${sqlString(`${out}/date=d3/part-0.parquet`)}, hive_partitioning = false)`, 'sum'));
    expect(sum).toEqual([{ s: 80004000n }]);
  });

  it('leaves the files of an earlier COPY into the same folder alone and checks only the new ones', async () => {
    const out = path.join(dir, 'two');
    await withConnection(async (c) => {
      const a = await writePartitionedSorted(c, `SELECT 'a' AS date, i AS t FROM range(10) r(i)`, out, { partitionBy: ['date'], orderBy: 't', compression: 'snappy' });
      const b = await writePartitionedSorted(c, `SELECT 'b' AS date, 9 - i AS t FROM range(10) r(i)`, out, { partitionBy: ['date'], orderBy: 't', compression: 'snappy' });
      expect(a.files.map((f) => path.relative(out, f))).toEqual(['date=a/part-0.parquet']);
      expect(b).toEqual({ files: [path.join(out, 'date=b/part-0.parquet')], rewritten: 1 });
    });
  });

  it('refuses an unknown codec with BAD_REQUEST', async () => {
    const error = await withConnection((c) => writePartitionedSorted(c, 'SELECT 1 AS date, 1 AS t', path.join(dir, 'x'), { partitionBy: ['date'], orderBy: 't', compression: 'lzma' })).catch((e: unknown) => e);
    expect((error as { code: string }).code).toBe('BAD_REQUEST');
  });
});
