import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeEngine, copyFloat64, copyInt64, sqlFileList, sqlIdent, sqlString, withConnection } from '../../../core/engine/duckdbEngine.js';
import { MesDataError } from '../../../core/errors.js';

afterAll(() => closeEngine());

describe('SQL quoting', () => {
  it('quotes literals, identifiers and file lists', () => {
    expect(sqlString("it's")).toBe("'it''s'");
    expect(sqlIdent('my "col"')).toBe('"my ""col"""');
    expect(sqlFileList(['/a/b.parquet', "/c/d'e.parquet"])).toBe("['/a/b.parquet', '/c/d''e.parquet']");
  });
});

describe('copying columns out of chunks', () => {
  it('copies doubles and bigints with nulls marked', async () => {
    const floats = new Float64Array(5);
    const ints = new BigInt64Array(5);
    const nulls = new Uint8Array(5);
    const intNulls = new Uint8Array(5);
    let at = 0;
    await withConnection((c) =>
      c.stream(`SELECT CASE WHEN i = 2 THEN NULL ELSE i * 1.5 END::DOUBLE AS f, CASE WHEN i = 3 THEN NULL ELSE i * 10000000000 END::BIGINT AS b FROM range(5) t(i)`, 'test', (chunk) => {
        copyFloat64(chunk, 0, floats, at, nulls);
        copyInt64(chunk, 1, ints, at, intNulls);
        at += chunk.rowCount;
      }),
    );
    expect(at).toBe(5);
    expect(Array.from(floats)).toEqual([0, 1.5, Number.NaN, 4.5, 6]);
    expect(Array.from(nulls)).toEqual([0, 0, 1, 0, 0]);
    expect(Array.from(ints)).toEqual([0n, 10000000000n, 20000000000n, 0n, 40000000000n]);
    expect(Array.from(intNulls)).toEqual([0, 0, 0, 1, 0]);
  });

  it('gives NaN and 0 for nulls without a null mask, whatever the null slot held', async () => {
    // DuckDB leaves 0 in a null's slot (seen here), not NaN: only the validity mask tells
    const floats = new Float64Array(4).fill(7);
    const ints = new BigInt64Array(4).fill(7n);
    await withConnection((c) =>
      c.stream(`SELECT NULLIF(i * 2.5, 5.0)::DOUBLE AS f, NULLIF(i * 3, 6)::BIGINT AS b FROM range(4) t(i)`, 'test', (chunk) => {
        copyFloat64(chunk, 0, floats, 0);
        copyInt64(chunk, 1, ints, 0);
      }),
    );
    expect(Array.from(floats)).toEqual([0, 2.5, Number.NaN, 7.5]);
    expect(Array.from(ints)).toEqual([0n, 3n, 0n, 9n]);
  });

  it('copies integers that are not doubles by value', async () => {
    const out = new Float64Array(3);
    await withConnection((c) => c.stream('SELECT i::INTEGER FROM range(3) t(i)', 'test', (chunk) => copyFloat64(chunk, 0, out, 0)));
    expect(Array.from(out)).toEqual([0, 1, 2]);
  });
});

describe('errors', () => {
  it('names a file that is not Parquet as CORRUPTED_FILE', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-'));
    const file = path.join(dir, 'not.parquet');
    fs.writeFileSync(file, 'timestamp,open\n1,2\n');
    const error = await withConnection((c) => c.rows(`SELECT * FROM read_parquet(${sqlString(file)})`, `reading ${file}`)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MesDataError);
    expect((error as MesDataError).code).toBe('CORRUPTED_FILE');
    expect((error as MesDataError).details.file).toBe(file);
    expect((error as MesDataError).message).toContain(`reading ${file}`);
  });

  it('says NOT_FOUND for a missing file', async () => {
    const error = await withConnection((c) => c.rows(`SELECT * FROM read_parquet('/no/such/dir/x.parquet')`, 'reading')).catch((e: unknown) => e);
    expect((error as MesDataError).code).toBe('NOT_FOUND');
  });

  it('ends a query with CANCELLED when its signal aborts', async () => {
    const controller = new AbortController();
    const run = withConnection(async (c) => {
      setTimeout(() => controller.abort(), 50);
      await c.rows('SELECT count(*) FROM range(2000000000) a, range(10) b WHERE a.range % 7 = b.range', 'a long count');
    }, controller.signal).catch((e: unknown) => e);
    const error = await run;
    expect((error as MesDataError).code).toBe('CANCELLED');
  });
});
