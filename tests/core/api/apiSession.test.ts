import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiSession } from '../../../core/api/handlers.js';
import type { JobState } from '../../../core/api/contract.js';
import { writeParquet } from '../../../core/parquet/writeParquet.js';
import { barsFromCloses, barsTable } from '../../helpers/barsTable.js';
import { ohlcvTable, tempDir } from '../../helpers/ohlcvTable.js';

describe('ApiSession', () => {
  const { dir, cleanup } = tempDir();
  const store = path.join(dir, 'store');
  const session = new ApiSession('test');
  let file: string;

  beforeAll(async () => {
    await session.invoke('store.init', { path: store });
    const folder = path.join(store, 'raw', 'MES', '2024-01-03');
    fs.mkdirSync(folder, { recursive: true });
    file = path.join(folder, 'bars.parquet');
    await writeParquet(ohlcvTable(3000), file, { rowGroupSize: 1000 });
  });
  afterAll(async () => {
    await session.close();
    cleanup();
  });

  it('parses every request: unknown operations and bad requests are typed errors', async () => {
    await expect(session.invoke('rows.delete', {})).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no operation "rows.delete"' });
    await expect(session.invoke('rows.page', { path: 'raw/MES/2024-01-03', offset: -1, limit: 10 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      details: { operation: 'rows.page', issues: [{ path: 'offset', message: 'Too small: expected number to be >=0' }] },
    });
    await expect(session.invoke('rows.page', { path: 'raw/MES/2024-01-03', offset: 0, limit: 10_000 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('app.info names the host, the version and the open store', async () => {
    expect(await session.invoke('app.info', {})).toEqual({ version: '0.1.0', host: 'test', store: store, recentStores: [store], storeError: null });
    const other = new ApiSession('test');
    await other.openAtStartup(path.join(dir, 'no-store-here'));
    expect(await other.invoke('app.info', {})).toMatchObject({
      store: null,
      storeError: { code: 'NOT_FOUND', path: path.join(dir, 'no-store-here') },
    });
    await other.close();
  });

  it('rows.page reads a page of a store dataset with CLI JSON values', async () => {
    const page = (await session.invoke('rows.page', { path: 'raw/MES/2024-01-03', offset: 999, limit: 2, columns: ['timestamp', 'volume'] })) as {
      numRows: number;
      columns: unknown;
      rows: unknown[][];
    };
    expect(page.numRows).toBe(3000);
    expect(page.columns).toEqual([
      { name: 'timestamp', type: 'Timestamp<NANOSECOND, UTC>' },
      { name: 'volume', type: 'Int64' },
    ]);
    expect(page.rows).toEqual([
      ['2024-01-02T16:39:00.000000000Z', 1099],
      ['2024-01-02T16:40:00.000000000Z', 1100],
    ]);
  });

  it('a dataset path may not leave the store', async () => {
    await expect(session.invoke('rows.page', { path: '../outside', offset: 0, limit: 1 })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: '"../outside" leaves the store' });
    await expect(session.invoke('rows.page', { path: 'raw/ES', offset: 0, limit: 1 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('dataset.info gives columns, files and row groups with statistics', async () => {
    const info = (await session.invoke('dataset.info', { path: 'raw/MES/2024-01-03' })) as {
      numRows: number;
      files: unknown[];
      columns: { name: string; type: string }[];
      rowGroups: { rowStart: number; numRows: number; columns: { name: string; min: unknown }[] }[];
    };
    expect(info.numRows).toBe(3000);
    expect(info.files).toEqual([{ path: 'raw/MES/2024-01-03/bars.parquet', rows: 3000, bytes: fs.statSync(file).size, rowStart: 0 }]);
    expect(info.columns.map((c) => c.name)).toEqual(['timestamp', 'open', 'high', 'low', 'close', 'volume']);
    expect(info.rowGroups.map((g) => [g.rowStart, g.numRows])).toEqual([
      [0, 1000],
      [1000, 1000],
      [2000, 1000],
    ]);
    expect(info.rowGroups[1].columns.find((c) => c.name === 'volume')?.min).toBe(1100);
  });

  it('chart.series aggregates bars into round buckets', async () => {
    const series = (await session.invoke('chart.series', { path: 'raw/MES/2024-01-03', maxBars: 100 })) as { totalRows: number; bucketSeconds: number; downsampled: boolean; bars: { t: number; o: number; h: number; l: number; c: number; v: number; row: number }[] };
    expect(series).toMatchObject({ totalRows: 3000, bucketSeconds: 3600, downsampled: true });
    expect(series.bars.length).toBe(50);
    // first hour: rows 0..59, open of row 0, close of row 59, volume 100..159
    expect(series.bars[0]).toEqual({ t: Date.parse('2024-01-02T00:00:00Z'), o: 5000, h: 5000 + 59 * 0.25 + 1, l: 4999, c: 5000 + 59 * 0.25 + 0.5, v: 7770, row: 0 });
    const all = (await session.invoke('chart.series', { path: 'raw/MES/2024-01-03', maxBars: 5000 })) as { bars: unknown[]; downsampled: boolean; bucketSeconds: number };
    expect(all).toMatchObject({ downsampled: false, bucketSeconds: 60 });
    expect(all.bars.length).toBe(3000);
  });

  it('runs validation as a job in a worker thread, with its report as the result', async () => {
    const bad = path.join(dir, 'bad.parquet');
    const bars = barsFromCloses('2024-01-03T15:00:00Z', 60, [5000, 5001, 5002]);
    bars[1][2] = 1;
    await writeParquet(barsTable(bars), bad);
    const started = (await session.invoke('jobs.start', { kind: 'validate', target: bad, schema: 'ohlcv' })) as JobState;
    expect(started).toMatchObject({ kind: 'validate', title: `validate ${bad} against ohlcv` });
    const ended = (await session.invoke('jobs.wait', { id: started.id, timeoutMs: 60_000 })) as JobState;
    expect(ended.state).toBe('succeeded');
    expect(ended.result).toMatchObject({ valid: false, errors: [{ rule: 'ohlc_consistency', rows: [1] }] });
    expect(((await session.invoke('jobs.list', {})) as { jobs: JobState[] }).jobs[0].id).toBe(started.id);
  });

  it('a failing job carries the typed error', async () => {
    const started = (await session.invoke('jobs.start', { kind: 'validate', target: path.join(dir, 'missing.parquet'), schema: 'ohlcv' })) as JobState;
    const ended = (await session.invoke('jobs.wait', { id: started.id })) as JobState;
    expect(ended).toMatchObject({ state: 'failed', error: { code: 'NOT_FOUND' } });
  });
});

/** What the command line asks for beyond the app's requests: the same operations, a few more fields. */
describe('ApiSession: the requests the command line makes', () => {
  const { dir, cleanup } = tempDir();
  const store = path.join(dir, 'store');
  const session = new ApiSession('cli');

  beforeAll(async () => {
    await session.invoke('store.init', { path: store });
  });
  afterAll(async () => {
    await session.close();
    cleanup();
  });

  it('store.open with recover: false leaves what a crashed writer left, for verify to report; by default it is removed', async () => {
    const leftover = path.join(store, '.mes-data-store.json.4242.0a1b2c.tmp');
    fs.writeFileSync(leftover, 'half a marker');
    expect(await session.invoke('store.open', { path: store, recover: false })).toEqual({ store, formatVersion: 2 });
    expect(fs.existsSync(leftover)).toBe(true);
    await session.invoke('store.open', { path: store });
    expect(fs.existsSync(leftover)).toBe(false);
  });

  it('store.open and store.init of a store URL other than s3:// are BAD_REQUEST naming what is taken; a file:// URL is its folder', async () => {
    for (const name of ['store.open', 'store.init'] as const) {
      const error = (await session.invoke(name, { path: 'gs://team-lake/mes' }).catch((e: unknown) => e)) as { code: string; message: string };
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toBe('gs://team-lake/mes is a store URL of a scheme the app does not open; give a store folder on this machine or s3://bucket/prefix (Google Cloud Storage through its S3-compatible endpoint)');
    }
    expect(fs.existsSync(path.resolve('gs:'))).toBe(false);
    expect(await session.invoke('store.open', { path: `file://${store}` })).toEqual({ store, formatVersion: 2 });
  });

  it('instruments.calendar gives the holidays and early closes of a year; an unknown symbol is NOT_FOUND', async () => {
    const calendar = (await session.invoke('instruments.calendar', { symbol: 'MESZ4', year: 2025 })) as { symbol: string; year: number; calendarEntries: unknown[] };
    expect(calendar.symbol).toBe('MES');
    expect(calendar.year).toBe(2025);
    expect(calendar.calendarEntries.slice(0, 3)).toEqual([
      { date: '2025-01-01', close: null, kind: 'closed', name: "New Year's Day" },
      { date: '2025-01-09', close: '08:30', kind: 'holiday_session', name: 'National Day of Mourning (Jimmy Carter)' },
      { date: '2025-01-20', close: '12:00', kind: 'holiday_session', name: 'Martin Luther King Jr. Day' },
    ]);
    await expect(session.invoke('instruments.calendar', { symbol: 'NOPE', year: 2025 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(session.invoke('instruments.calendar', { symbol: 'MES', year: 10_000 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('schemas.register takes the JSON text and names its source in what is wrong', async () => {
    await expect(session.invoke('schemas.register', { schema: JSON.stringify({ name: 'ticks', version: 'one', columns: [] }), source: 'ticks.json' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'ticks.json is not a valid schema: version: semantic version such as 1.0.0; columns: Too small: expected array to have >=1 items',
    });
  });

  it('the validate job names its target by the label, checks the zone and follows the instrument asked for', async () => {
    const file = path.join(dir, 'bars.parquet');
    await writeParquet(barsTable(barsFromCloses('2024-01-03T15:00:00Z', 60, [5000, 5001, 5002])), file);
    const run = async (request: Record<string, unknown>) => (await session.invoke('jobs.wait', { id: ((await session.invoke('jobs.start', { kind: 'validate', target: file, schema: 'ohlcv', ...request })) as JobState).id })) as JobState;
    const labelled = await run({ label: 'bars.parquet' });
    expect(labelled).toMatchObject({ state: 'succeeded', result: { target: 'bars.parquet', valid: true, rowCount: 3 } });
    expect(await run({ timezone: 'Mars/Olympus' })).toMatchObject({ state: 'failed', error: { code: 'BAD_REQUEST', message: 'unknown time zone "Mars/Olympus"', details: { timezone: 'Mars/Olympus' } } });
    expect(await run({ instrument: 'NOPE' })).toMatchObject({ state: 'failed', error: { code: 'NOT_FOUND' } });
    expect(await run({ instrument: 'ES' })).toMatchObject({ state: 'succeeded', result: { target: file, valid: true } });
  });
});
