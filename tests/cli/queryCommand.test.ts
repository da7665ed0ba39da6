import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { epochToIso } from '../../core/arrow/arrowJson.js';
import { writeParquet } from '../../core/parquet/writeParquet.js';
import { MINUTE_NS, ohlcvTable, START_NS, tempDir } from '../helpers/ohlcvTable.js';
import { runCli, runCliJson } from '../helpers/runCli.js';

/** Row i of ohlcvTable as rows.query gives it. */
const row = (i: number) => [epochToIso(START_NS + BigInt(i) * MINUTE_NS, 3), 5000 + i * 0.25, 5001 + i * 0.25, 4999 + i * 0.25, 5000.5 + i * 0.25, 100 + i];

describe('mes-data query', () => {
  const { dir, cleanup } = tempDir();
  const store = path.join(dir, 'store');

  beforeAll(async () => {
    expect((await runCli('init', '--store', store)).code).toBe(0);
    const folder = path.join(store, 'raw', 'MES', '2024-01-02');
    fs.mkdirSync(folder, { recursive: true });
    await writeParquet(ohlcvTable(3000), path.join(folder, 'bars.parquet'), { rowGroupSize: 1000 });
  });
  afterAll(cleanup);

  it('--sort sorts the whole dataset and prints a page of it with the count', async () => {
    const run = await runCliJson('query', 'raw/MES', '--store', store, '--sort', 'close:desc', '--rows', '2');
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ path: 'raw/MES', totalRows: 3000, offset: 0, rows: [row(2999), row(2998)], microsecond: [] });
    expect((run.json as { rows: unknown[][] }).rows[0]).toEqual(['2024-01-04T01:59:00.000000000Z', 5749.75, 5750.75, 5748.75, 5750.25, 3099]);
    const text = await runCli('query', 'raw/MES', '--store', store, '--sort', 'volume', '--offset', '10', '--rows', '1');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('rows 10–10 of 3,000 · raw/MES');
  });

  it('--sql runs one SELECT over the view named after the asset', async () => {
    const run = await runCliJson('query', 'raw/MES', '--store', store, '--sql', 'SELECT count(*) AS n FROM MES WHERE volume > 100');
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ columns: [{ name: 'n', type: 'BIGINT' }], rows: [[2999]], totalRows: 1, views: ['MES', 'dataset'] });
  });

  it('a SQL error is QUERY_ERROR (exit 2) with DuckDB words; a write is BAD_REQUEST', async () => {
    const bad = await runCliJson('query', 'raw/MES', '--store', store, '--sql', 'SELECT price FROM MES');
    expect(bad.code).toBe(2);
    expect(bad.json).toMatchObject({ error: { code: 'QUERY_ERROR', details: { duckdb: 'Binder Error: Referenced column "price" not found in FROM clause!', line: 1, column: 8 } } });
    const write = await runCliJson('query', 'raw/MES', '--store', store, '--sql', `COPY (SELECT 1) TO '${path.join(dir, 'x.csv')}'`);
    expect(write.code).toBe(2);
    expect(write.json).toMatchObject({ error: { code: 'BAD_REQUEST', details: { statementType: 'COPY' } } });
    expect(fs.existsSync(path.join(dir, 'x.csv'))).toBe(false);
  });

  it('--export writes the result to the exports folder', async () => {
    const run = await runCliJson('query', 'raw/MES', '--store', store, '--sql', 'SELECT volume FROM MES WHERE volume < 103 ORDER BY volume', '--export', 'low', '--format', 'csv');
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ path: 'exports/low.csv', rows: 3, capped: false, microsecond: [] });
    expect(fs.readFileSync(path.join(store, 'exports', 'low.csv'), 'utf8')).toBe('volume\n100\n101\n102\n');
    const wrong = await runCliJson('query', 'raw/MES', '--store', store, '--export', 'x', '--format', 'xlsx');
    expect(wrong.code).toBe(2);
    expect(wrong.json).toMatchObject({ error: { code: 'BAD_REQUEST', message: 'unknown export format "xlsx"; use one of csv, parquet' } });
  });
});
