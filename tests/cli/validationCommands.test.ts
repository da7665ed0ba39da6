import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeParquet } from '../../core/parquet/writeParquet.js';
import { barsFromCloses, barsTable } from '../helpers/barsTable.js';
import { tempDir } from '../helpers/ohlcvTable.js';
import { runCli, runCliJson } from '../helpers/runCli.js';

describe('mes-data schemas and validate', () => {
  const { dir, cleanup } = tempDir();
  const store = path.join(dir, 'store');
  const good = path.join(dir, 'good.parquet');
  const bad = path.join(dir, 'bad.parquet');

  beforeAll(async () => {
    const bars = barsFromCloses('2024-01-03T15:00:00Z', 60, [5000, 5000.25, 5000.5, 5000.75, 5001]);
    await writeParquet(barsTable(bars), good);
    bars[3][2] = 4000; // high below open and close
    bars[4][5] = -1; // negative volume
    await writeParquet(barsTable(bars), bad);
  });
  afterAll(cleanup);

  it('schemas lists the four predefined schemas', async () => {
    const run = await runCliJson('--store', store, 'schemas');
    expect(run.code).toBe(0);
    const list = (run.json as { schemas: { name: string; version: string; columns: unknown[] }[] }).schemas;
    expect(list.map((s) => `${s.name}@${s.version}`)).toEqual(['momentum_indicators@1.1.0', 'ohlcv@1.0.0', 'price_volatility@1.1.0', 'volume_profile@1.1.0']);
    expect(list[1].columns.length).toBe(11);
  });

  it('validate prints the report and exits 0 for valid data', async () => {
    const run = await runCliJson('validate', good, '--schema', 'ohlcv');
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ target: good, schema: 'ohlcv', mode: 'strict', valid: true, rowCount: 5, errors: [], warnings: [] });
  });

  it('says 1 row, 1 error, 1 warning in words, not "1 rows" or "error(s)"', async () => {
    const one = path.join(dir, 'one.parquet');
    const bars = barsFromCloses('2024-01-03T15:00:00Z', 60, [5000]);
    bars[0][5] = -1;
    await writeParquet(barsTable(bars), one);
    const text = await runCli('validate', one);
    expect(text.stdout.split('\n')[0]).toBe(`INVALID: ${one} against ohlcv 1.0.0 (strict), 1 row, 1 error, 0 warnings`);
  });

  it('validate defaults --schema to ohlcv, as promote does', async () => {
    const run = await runCliJson('validate', good);
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ target: good, schema: 'ohlcv', schemaVersion: '1.0.0', mode: 'strict', valid: true, rowCount: 5 });
  });

  it('open_interest and adj_close are optional ohlcv columns: no warning about them', async () => {
    // a daily file as Yahoo writes it (Adj Close) with a vendor's open interest column
    const csv = path.join(dir, 'daily.csv');
    fs.writeFileSync(
      csv,
      'Date,Open,High,Low,Close,Adj Close,Volume,Open Interest\n' +
        '2024-01-02,4780.25,4800.5,4770,4795.75,4795.75,1500,2100000\n' +
        '2024-01-03,4795.75,4810,4760.25,4770.5,4770.5,1620,2101500\n',
    );
    const run = await runCliJson('validate', csv, '--schema', 'ohlcv');
    const report = run.json as { valid: boolean; rowCount: number; errors: unknown[]; warnings: { code?: string; column?: string }[] };
    expect(report.rowCount).toBe(2);
    expect(report.errors).toEqual([]);
    expect(report.warnings.filter((w) => w.code === 'EXTRA_COLUMN')).toEqual([]);
    expect(run.code).toBe(0);
  });

  it('validate exits 1 with the failing rules and their rows', async () => {
    const run = await runCliJson('validate', bad, '--schema', 'ohlcv', '--mode', 'coerce');
    expect(run.code).toBe(1);
    const report = run.json as { valid: boolean; mode: string; errors: { rule: string; rows: number[]; count: number }[] };
    expect(report.valid).toBe(false);
    expect(report.mode).toBe('coerce');
    expect(report.errors.map((e) => [e.rule, e.count, e.rows])).toEqual([
      ['ohlc_consistency', 1, [3]],
      ['non_negative_volume', 1, [4]],
    ]);
    const text = await runCli('validate', bad, '--schema', 'ohlcv');
    expect(text.code).toBe(1);
    expect(text.stdout.split('\n')[0]).toBe(`INVALID: ${bad} against ohlcv 1.0.0 (strict), 5 rows, 2 errors, 0 warnings`);
    expect(text.stdout).toContain('  cells filled 100% · duplicate timestamps 0');
    expect(text.stdout).toContain('  error   ohlc_consistency: 1 bar(s) where high < max(open, close), low > min(open, close) or high < low; first at row 3; rows 3');
  });

  it('unknown schema → exit 3 listing the known ones; bad mode → exit 2', async () => {
    const unknown = await runCliJson('validate', good, '--schema', 'bars');
    expect(unknown.code).toBe(3);
    expect((unknown.json as { error: { message: string } }).error.message).toBe(
      'no schema named "bars"; known schemas: momentum_indicators, ohlcv, price_volatility, volume_profile',
    );
    const mode = await runCli('validate', good, '--schema', 'ohlcv', '--mode', 'lenient');
    expect(mode.code).toBe(2);
    const missing = await runCliJson('validate', path.join(dir, 'nope.parquet'), '--schema', 'ohlcv');
    expect(missing.code).toBe(3);
  });

  it('schemas register keeps a schema in the store; a bad file exits 2 saying what is wrong', async () => {
    fs.mkdirSync(store, { recursive: true });
    const file = path.join(dir, 'ticks.json');
    fs.writeFileSync(file, JSON.stringify({ name: 'ticks', version: '1.0.0', columns: [{ name: 'timestamp', type: 'timestamp' }, { name: 'price', type: 'float64' }] }));
    const run = await runCliJson('--store', store, 'schemas', 'register', file);
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ name: 'ticks', version: '1.0.0' });
    const list = await runCliJson('--store', store, 'schemas');
    expect((list.json as { schemas: { name: string }[] }).schemas.map((s) => s.name)).toContain('ticks');

    const badFile = path.join(dir, 'bad-schema.json');
    fs.writeFileSync(badFile, JSON.stringify({ name: 'ticks', version: 'one', columns: [] }));
    const refused = await runCliJson('--store', store, 'schemas', 'register', badFile);
    expect(refused.code).toBe(2);
    expect((refused.json as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'BAD_REQUEST',
      message: `${badFile} is not a valid schema: version: semantic version such as 1.0.0; columns: Too small: expected array to have >=1 items`,
    });
  });
});

describe('validate a dataset in the store', () => {
  const { dir, cleanup } = tempDir();
  afterAll(cleanup);

  it('reads every file of the dataset in order and reports rows in that order', async () => {
    const { initStore } = await import('../../core/store/openStore.js');
    const { writeRawSnapshot } = await import('../../core/store/rawSnapshot.js');
    const { store } = await initStore(path.join(dir, 'store'));
    const bars = barsFromCloses('2024-01-03T16:00:00Z', 60, [5000, 5000.25, 5000.5]);
    bars[2][3] = 6000; // low above open and close
    await writeRawSnapshot(store, { asset: 'MES', date: '2024-01-03', name: 'a', table: barsTable(bars.slice(0, 2)) });
    await writeRawSnapshot(store, { asset: 'MES', date: '2024-01-03', name: 'b', table: barsTable(bars.slice(2)) });
    const run = await runCliJson('--store', store.root, 'validate', 'raw/MES/2024-01-03', '--schema', 'ohlcv');
    expect(run.code).toBe(1);
    expect(run.json).toMatchObject({ target: 'raw/MES/2024-01-03', rowCount: 3, errors: [{ rule: 'ohlc_consistency', rows: [2] }] });
    const missing = await runCliJson('--store', store.root, 'validate', 'raw/MES/2024-01-09', '--schema', 'ohlcv');
    expect(missing.code).toBe(3);
  });
});
