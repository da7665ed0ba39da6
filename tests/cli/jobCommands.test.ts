import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/ohlcvTable.js';
import { runCli, runCliJson } from '../helpers/runCli.js';

/** One-minute MES bars, split Date/Time columns in Chicago time, 10:00 CT on three days plus a 17:00 bar. */
function csv(rows: string[]): string {
  return ['Date,Time,Open,High,Low,Close,Volume', ...rows].join('\n') + '\n';
}

describe('mes-data ingest, promote, features build, diff', () => {
  const { dir, cleanup } = tempDir();
  const store = path.join(dir, 'store');
  const file = path.join(dir, 'MES_1min.csv');

  beforeAll(async () => {
    expect((await runCli('--store', store, 'init')).code).toBe(0);
    const rows: string[] = [];
    for (const date of ['01/03/2024', '01/04/2024', '01/05/2024']) {
      for (let m = 0; m < 30; m++) {
        const p = 4780 + m * 0.25;
        rows.push(`${date},10:${String(m).padStart(2, '0')},${p},${p + 0.5},${p - 0.25},${p + 0.25},${100 + m}`);
      }
    }
    fs.writeFileSync(file, csv(rows));
  });
  afterAll(cleanup);

  it('ingest --dry-run shows the plan and writes nothing', async () => {
    const run = await runCliJson('--store', store, 'ingest', file, '--dry-run');
    expect(run.code).toBe(0);
    const result = run.json as { snapshots: { path: string; rows: number; status: string }[]; rowsRead: number; mapping: Record<string, string>; timezone: string; files: { preview: unknown[] }[] };
    expect(result.snapshots).toEqual([
      expect.objectContaining({ path: 'raw/MES/2024-01-03/MES_1min.parquet', rows: 30, status: 'dry-run' }),
      expect.objectContaining({ path: 'raw/MES/2024-01-04/MES_1min.parquet', rows: 30, status: 'dry-run' }),
      expect.objectContaining({ path: 'raw/MES/2024-01-05/MES_1min.parquet', rows: 30, status: 'dry-run' }),
    ]);
    expect(result).toMatchObject({ rowsRead: 90, timezone: 'America/Chicago', mapping: { date: 'Date', time: 'Time', close: 'Close' } });
    expect(result.files[0].preview[0]).toEqual({ timestamp: '2024-01-03T16:00:00.000000Z', open: 4780, high: 4780.5, low: 4779.75, close: 4780.25, volume: 100 });
    expect(fs.existsSync(path.join(store, 'raw', 'MES'))).toBe(false);
  });

  it('ingest writes one snapshot per trading date; again is unchanged; other content is ALREADY_EXISTS', async () => {
    const first = await runCliJson('--store', store, 'ingest', file);
    expect(first.code).toBe(0);
    expect((first.json as { snapshots: { status: string }[] }).snapshots.map((s) => s.status)).toEqual(['created', 'created', 'created']);
    const again = await runCliJson('--store', store, 'ingest', file);
    expect((again.json as { snapshots: { status: string }[] }).snapshots.map((s) => s.status)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    const other = path.join(dir, 'other', 'MES_1min.csv');
    fs.mkdirSync(path.dirname(other));
    fs.writeFileSync(other, csv(['01/04/2024,10:00,1,2,0.5,1.5,7']));
    const conflict = await runCliJson('--store', store, 'ingest', other);
    expect(conflict.code).toBe(6);
    expect((conflict.json as { error: { code: string } }).error.code).toBe('ALREADY_EXISTS');
  });

  it('a malformed row fails the ingest with its line number, writing nothing', async () => {
    const bad = path.join(dir, 'ES_bad.csv');
    fs.writeFileSync(bad, csv(['01/03/2024,10:00,4000,4001,3999,4000.5,10', '01/03/2024,10:01,4000.5,oops,3999,4000,11']));
    const run = await runCliJson('--store', store, 'ingest', bad, '--asset', 'ES');
    expect(run.code).toBe(7);
    expect((run.json as { error: { code: string; message: string } }).error).toMatchObject({ code: 'PARSE_ERROR' });
    expect((run.json as { error: { message: string } }).error.message).toContain('line 3');
    expect(fs.existsSync(path.join(store, 'raw', 'ES'))).toBe(false);
  });

  it('promote makes cleaned v1, features build makes a feature version, diff compares versions', async () => {
    const promoted = await runCliJson('--store', store, 'promote', '--asset', 'MES', '--message', 'first');
    expect(promoted.code).toBe(0);
    expect(promoted.json).toMatchObject({ version: 'v1', path: 'cleaned/v1/MES', rows: 90, status: 'created' });
    const again = await runCliJson('--store', store, 'promote', '--asset', 'MES');
    expect(again.json).toMatchObject({ version: 'v1', status: 'unchanged' });
    const partial = await runCliJson('--store', store, 'promote', '--asset', 'MES', '--from', '2024-01-04');
    // the two dates in the range are unchanged: shared with v1, nothing written
    expect(partial.json).toMatchObject({ version: 'v2', rows: 60, dates: { shared: 2, written: 0, removed: 1 } });
    const features = await runCliJson('--store', store, 'features', 'build', 'momentum_indicators', '--asset', 'MES', '--from', 'v1');
    expect(features.code).toBe(0);
    expect(features.json).toMatchObject({ version: 'v1', path: 'features/v1/MES/momentum_indicators', rows: 90, status: 'created' });
    const diff = await runCliJson('--store', store, 'diff', 'cleaned/v1/MES', 'cleaned/v2/MES');
    expect(diff.code).toBe(0);
    expect(diff.json).toMatchObject({ key: ['timestamp'], rows: { added: 0, removed: 30, changed: 0, unchanged: 60 } });
    const unknown = await runCliJson('--store', store, 'features', 'build', 'alpha', '--asset', 'MES');
    expect(unknown.code).toBe(2);
    // --append onto v2 adds back the date v2 lacks: the same inputs and recipe as v1, so v1 is named, nothing written
    const appended = await runCli('--store', store, 'promote', '--asset', 'MES', '--append');
    expect(appended.code).toBe(0);
    expect(appended.stdout.split('\n')[0]).toBe('unchanged: cleaned/v1/MES (v1): 90 rows from 3 raw files');
    // --replace of one date of v2 with the same raw file and recipe is v2 again
    const replaced = await runCliJson('--store', store, 'promote', '--asset', 'MES', '--replace', '--from', '2024-01-04', '--to', '2024-01-04');
    expect(replaced.json).toMatchObject({ version: 'v2', rows: 60, status: 'unchanged', dates: { shared: 2, written: 0, removed: 0 } });
    const noRange = await runCliJson('--store', store, 'promote', '--asset', 'MES', '--replace', '--from', '2024-01-04');
    expect(noRange.json).toMatchObject({ error: { code: 'BAD_REQUEST', message: 'promote --replace needs --from and --to: the dates to promote again' } });
    // --param: other periods are another version; a parameter of another set, or a value that is no number, is BAD_REQUEST (exit 2)
    const periods = await runCliJson('--store', store, 'features', 'build', 'momentum_indicators', '--asset', 'MES', '--from', 'v1', '--param', 'rsiPeriod=5', '--param', 'momentumPeriod=3');
    expect(periods.code).toBe(0);
    expect(periods.json).toMatchObject({ version: 'v2', path: 'features/v2/MES/momentum_indicators', rows: 90, status: 'created' });
    const recipe = JSON.parse(fs.readFileSync(path.join(store, 'catalog/features/MES/momentum_indicators/v2.json'), 'utf8')) as { recipe: { parameters: Record<string, unknown> } };
    expect(recipe.recipe.parameters).toEqual({ set: 'momentum_indicators', asset: 'MES', from: 'cleaned/v1/MES', rsiPeriod: 5, momentumPeriod: 3 });
    const foreign = await runCliJson('--store', store, 'features', 'build', 'volume_profile', '--asset', 'MES', '--param', 'rsiPeriod=5');
    expect(foreign.code).toBe(2);
    expect(foreign.json).toMatchObject({ error: { code: 'BAD_REQUEST', message: 'volume_profile takes no parameter "rsiPeriod"; its parameters: tickSize, valueAreaShare' } });
    const notNumber = await runCliJson('--store', store, 'features', 'build', 'momentum_indicators', '--asset', 'MES', '--param', 'rsiPeriod=fast');
    expect(notNumber.code).toBe(2);
    expect(notNumber.json).toMatchObject({ error: { code: 'BAD_REQUEST', message: '--param rsiPeriod takes a number, got "fast"' } });
  });

  it('the promote gate fails with exit 6 and the report', async () => {
    const bad = path.join(dir, 'NQ_1min.csv');
    fs.writeFileSync(bad, csv(['01/03/2024,10:00,17000,17001,16999,17000.5,10', '01/03/2024,10:01,17000.5,16990,16999,17000,11']));
    expect((await runCli('--store', store, 'ingest', bad)).code).toBe(0);
    const run = await runCliJson('--store', store, 'promote', '--asset', 'NQ');
    expect(run.code).toBe(6);
    expect(run.json).toMatchObject({ error: { code: 'VALIDATION_GATE', details: { report: { valid: false, errors: [{ rule: 'ohlc_consistency', rows: [1] }] } } } });
    const dropped = await runCliJson('--store', store, 'promote', '--asset', 'NQ', '--on-invalid', 'drop');
    expect(dropped.json).toMatchObject({ version: 'v1', rows: 1, dropped: { ohlc_consistency: 1 } });
  });
});

describe('CSV through the ingest reader in convert and validate', () => {
  const { dir, cleanup } = tempDir();
  afterAll(cleanup);

  it('convert writes a CSV as one Parquet file in UTC; validate checks a CSV directly', async () => {
    const file = path.join(dir, 'bars.csv');
    fs.writeFileSync(file, '\ufefftimestamp;open;high;low;close;volume\r\n1704297600000;4780,25;4781;4779,5;4780,75;120\r\n1704297660000;4780,75;4779;4780,5;4781,5;95\r\n');
    const out = path.join(dir, 'bars.parquet');
    const converted = await runCliJson('convert', file, out);
    expect(converted.json).toMatchObject({ path: out, numRows: 2, compression: 'snappy' });
    const shown = await runCliJson('show', out);
    expect((shown.json as { rows: unknown[] }).rows).toEqual([
      { timestamp: '2024-01-03T16:00:00.000000Z', open: 4780.25, high: 4781, low: 4779.5, close: 4780.75, volume: 120 },
      { timestamp: '2024-01-03T16:01:00.000000Z', open: 4780.75, high: 4779, low: 4780.5, close: 4781.5, volume: 95 },
    ]);
    const validated = await runCliJson('validate', file, '--schema', 'ohlcv');
    expect(validated.code).toBe(1);
    expect(validated.json).toMatchObject({ target: file, rowCount: 2, errors: [{ rule: 'ohlc_consistency', rows: [1] }] });
  });
});

describe('mes-data diff of two Parquet files, text and --json', () => {
  const { dir, cleanup } = tempDir();
  afterAll(cleanup);

  it('finds a row whose time differs only in its nanoseconds, and a changed close, word for word', async () => {
    const { writeParquet } = await import('../../core/parquet/writeParquet.js');
    const { barsTable } = await import('../helpers/barsTable.js');
    const a = path.join(dir, 'a.parquet');
    const b = path.join(dir, 'b.parquet');
    await writeParquet(barsTable([['2024-01-03T15:00:00.000000001Z', 5000, 5001, 4999, 5000.5, 3], ['2024-01-03T15:00:00.000000002Z', 5000.5, 5001, 5000, 5000.75, 4], ['2024-01-03T15:01:00Z', 5000.75, 5002, 5000, 5001, 5]]), a);
    await writeParquet(barsTable([['2024-01-03T15:00:00.000000001Z', 5000, 5001, 4999, 5000.5, 3], ['2024-01-03T15:00:00.000000003Z', 5000.5, 5001, 5000, 5000.75, 4], ['2024-01-03T15:01:00Z', 5000.75, 5002, 5000, 5001.25, 5]]), b);
    const text = await runCli('diff', a, b);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(
      [
        `${a} → ${b} (rows matched by timestamp)`,
        'schema: 0 added, 0 removed, 0 changed',
        'rows: 1 added, 1 removed, 1 changed, 1 unchanged',
        '  close: 1 value(s) changed',
        '  removed {"timestamp":"2024-01-03T15:00:00.000000002Z"}',
        '  added {"timestamp":"2024-01-03T15:00:00.000000003Z"}',
        '  changed {"timestamp":"2024-01-03T15:01:00.000000000Z"} {"close":{"a":5001,"b":5001.25}}',
        '',
      ].join('\n'),
    );
    const json = await runCliJson('diff', a, b);
    expect(json.json).toEqual({
      key: ['timestamp'],
      schema: { added: [], removed: [], changed: [] },
      rows: { added: 1, removed: 1, changed: 1, unchanged: 1, a: 3, b: 3 },
      changedColumns: { close: 1 },
      // two files without a date column: the trading date from the time by CME's session rule
      byDate: { source: 'session', session: 'cme_globex_equity', timeZone: 'America/Chicago', dates: [{ date: '2024-01-03', added: 1, removed: 1, changed: 1 }] },
      samples: [
        { kind: 'removed', key: { timestamp: '2024-01-03T15:00:00.000000002Z' }, row: { timestamp: '2024-01-03T15:00:00.000000002Z', open: 5000.5, high: 5001, low: 5000, close: 5000.75, volume: 4 } },
        { kind: 'added', key: { timestamp: '2024-01-03T15:00:00.000000003Z' }, row: { timestamp: '2024-01-03T15:00:00.000000003Z', open: 5000.5, high: 5001, low: 5000, close: 5000.75, volume: 4 } },
        { kind: 'changed', key: { timestamp: '2024-01-03T15:01:00.000000000Z' }, changes: { close: { a: 5001, b: 5001.25 } } },
      ],
    });
  });
});

describe('mes-data promote of daily bars', () => {
  const { dir, cleanup } = tempDir();
  const store = path.join(dir, 'store');
  afterAll(cleanup);

  it('promotes years of daily bars to one file a year and says it counts years', async () => {
    expect((await runCli('--store', store, 'init')).code).toBe(0);
    const lines = ['Date,Open,High,Low,Close,Adj Close,Volume'];
    for (const [k, date] of ['2021-06-01', '2022-06-01', '2023-06-01', '2023-06-02'].entries()) lines.push(`${date},${100 + k},${101 + k},${99 + k},${100.5 + k},${100.5 + k},${1000 + k}`);
    const file = path.join(dir, 'NVDA.csv');
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    expect((await runCli('--store', store, 'ingest', file, '--asset', 'NVDA')).code).toBe(0);
    const text = await runCli('--store', store, 'promote', '--asset', 'NVDA');
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n').slice(0, 2)).toEqual(['created cleaned/v1/NVDA (v1): 4 rows from 3 raw files', 'years: 0 shared with the version before, 3 written, 0 left out']);
    expect(fs.readdirSync(path.join(store, 'cleaned/v1/NVDA')).sort()).toEqual(['2021.parquet', '2022.parquet', '2023.parquet']);
    const json = await runCliJson('--store', store, 'promote', '--asset', 'NVDA', '--from', '2023-01-01');
    expect(json.json).toMatchObject({ version: 'v2', rows: 2, dates: { shared: 1, written: 0, removed: 2, by: 'year' } });
  });
});
