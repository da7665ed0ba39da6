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
    const { files, merged, rewritten } = await withConnection((c) => writePartitionedSorted(c, select, out, { partitionBy: ['date'], orderBy: 't', compression: 'zstd', keyValue: { 'mes_data.layer': "clean'ed" } }));
    expect(files.map((f) => path.relative(out, f))).toEqual(['date=d0/part-0.parquet', 'date=d1/part-0.parquet', 'date=d2/part-0.parquet', 'date=d3/part-0.parquet', 'date=d4/part-0.parquet']);
    expect(merged).toBe(0);
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

  it('keeps each partition in one sorted file when more partitions are open than DuckDB keeps files open', async () => {
    // 120 partitions, rows of all of them interleaved: with DuckDB's default of 100 open files
    // the COPY closes some and starts a part-1 for their later rows (20 or 21 partitions in
    // pieces, measured: how many depends on DuckDB's threads)
    const select = `SELECT 'd' || lpad((i % 120)::VARCHAR, 3, '0') AS date, i AS t FROM range(600000) r(i)`;
    const query = (out: string) =>
      withConnection((c) =>
        c.rows(
          `SELECT count(*) AS n, count(DISTINCT filename) AS files, count(*) FILTER (WHERE back) AS back FROM (SELECT filename, t < lag(t) OVER (PARTITION BY parse_dirpath(filename) ORDER BY filename, file_row_number) AS back FROM read_parquet(${sqlString(`${out}/**/*.parquet`)}, hive_partitioning = false))`,
          'check',
        ),
      );
    // with the limit left at DuckDB's default, the pieces are merged
    const merged = path.join(dir, 'pieces');
    const a = await withConnection((c) => writePartitionedSorted(c, select, merged, { partitionBy: ['date'], orderBy: 't', compression: 'snappy' }));
    expect(a.files).toHaveLength(120);
    expect(a.files.every((f) => f.endsWith(`${path.sep}part-0.parquet`))).toBe(true);
    expect(a.merged).toBeGreaterThanOrEqual(20);
    expect(await query(merged)).toEqual([{ n: 600000n, files: 120n, back: 0n }]);
    // with the limit raised to the partition count, DuckDB writes one file each at once
    const raised = path.join(dir, 'raised');
    const b = await withConnection((c) => writePartitionedSorted(c, select, raised, { partitionBy: ['date'], orderBy: 't', compression: 'snappy', maxOpenFiles: 120 }));
    expect(b.files).toHaveLength(120);
    expect(b.merged).toBe(0);
    expect(await query(raised)).toEqual([{ n: 600000n, files: 120n, back: 0n }]);
  });

  it('leaves the files of an earlier COPY into the same folder alone and checks only the new ones', async () => {
    const out = path.join(dir, 'two');
    await withConnection(async (c) => {
      const a = await writePartitionedSorted(c, `SELECT 'a' AS date, i AS t FROM range(10) r(i)`, out, { partitionBy: ['date'], orderBy: 't', compression: 'snappy' });
      const b = await writePartitionedSorted(c, `SELECT 'b' AS date, 9 - i AS t FROM range(10) r(i)`, out, { partitionBy: ['date'], orderBy: 't', compression: 'snappy' });
      expect(a.files.map((f) => path.relative(out, f))).toEqual(['date=a/part-0.parquet']);
      expect(b).toEqual({ files: [path.join(out, 'date=b/part-0.parquet')], merged: 0, rewritten: 1 });
    });
  });

  it('refuses an unknown codec with BAD_REQUEST', async () => {
    const error = await withConnection((c) => writePartitionedSorted(c, 'SELECT 1 AS date, 1 AS t', path.join(dir, 'x'), { partitionBy: ['date'], orderBy: 't', compression: 'lzma' })).catch((e: unknown) => e);
    expect((error as { code: string }).code).toBe('BAD_REQUEST');
  });
});
