import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobParams, type JobParamsInput, type JobProgress } from '../../../core/api/contract.js';
import { runJob } from '../../../core/api/runJob.js';
import { closeEngine } from '../../../core/engine/duckdbEngine.js';
import { MesDataError } from '../../../core/errors.js';
import { commitRawSnapshots } from '../../../core/store/rawSnapshot.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { barsFromCloses, barsTable } from '../../helpers/barsTable.js';
import { newStore } from '../store/storeTestKit.js';

/** Runs a job as the job thread does: the request parsed with the contract (defaults filled in), progress recorded. */
async function run(storeRoot: string | null, input: JobParamsInput) {
  const progress: JobProgress[] = [];
  const result = await runJob(JobParams.parse(input), { storeRoot, signal: new AbortController().signal, progress: (p) => progress.push(p) });
  return { result, progress };
}

async function failure(storeRoot: string | null, input: JobParamsInput): Promise<{ code: string; message: string }> {
  try {
    await run(storeRoot, input);
  } catch (error) {
    if (error instanceof MesDataError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected the job to fail');
}

describe('runJob', () => {
  let store: Store;
  let cleanup: () => void;

  beforeAll(async () => {
    ({ store, cleanup } = await newStore('mes-data-run-job-'));
    await commitRawSnapshots(store, [{ asset: 'MES', date: '2024-01-03', name: 'ohlcv', table: barsTable(barsFromCloses('2024-01-03T15:00:00Z', 60, [5000, 5000.25, 5000.5])) }]);
  });
  afterAll(async () => {
    await closeEngine();
    cleanup();
  });

  it('validate: reads the target against the schema and reports its progress from reading to done', async () => {
    const { result, progress } = await run(store.root, { kind: 'validate', target: 'raw/MES', schema: 'ohlcv' });
    expect(result).toMatchObject({ target: 'raw/MES', schema: 'ohlcv', mode: 'strict', valid: true, rowCount: 3, errors: [] });
    expect(progress).toEqual([
      { fraction: 0.05, rows: null, bytes: null, stage: 'reading' },
      { fraction: 1, rows: 3, bytes: null, stage: 'done' },
    ]);
    // the label names the target in the report, the instrument is looked up in the store
    expect((await run(store.root, { kind: 'validate', target: 'raw/MES', schema: 'ohlcv', label: 'bars.parquet', instrument: 'ES' })).result).toMatchObject({ target: 'bars.parquet', valid: true });
  });

  it('refuses what it cannot run, naming it: an unknown zone, schema or instrument, a writer without a store', async () => {
    expect(await failure(store.root, { kind: 'validate', target: 'raw/MES', schema: 'ohlcv', timezone: 'Mars/Olympus' })).toEqual({ code: 'BAD_REQUEST', message: 'unknown time zone "Mars/Olympus"' });
    expect((await failure(store.root, { kind: 'validate', target: 'raw/MES', schema: 'no_such_schema' })).code).toBe('NOT_FOUND');
    expect((await failure(store.root, { kind: 'validate', target: 'raw/MES', schema: 'ohlcv', instrument: 'NOPE' })).code).toBe('NOT_FOUND');
    expect(await failure(null, { kind: 'verify' })).toEqual({ code: 'BAD_REQUEST', message: 'verify needs an open store' });
    expect(await failure(null, { kind: 'ingest', files: ['/tmp/bars.csv'] })).toEqual({ code: 'BAD_REQUEST', message: 'ingest needs an open store' });
    expect(await failure(null, { kind: 'features', set: 'price_volatility', asset: 'MES' })).toEqual({ code: 'BAD_REQUEST', message: 'features build needs an open store' });
  });

  it('ingest: an uploaded file\'s folder goes once its rows are in the store, not after a dry run, and a file from elsewhere stays', async () => {
    const csv = 'timestamp,open,high,low,close,volume\n2024-01-04T15:00:00Z,5000,5001,4999,5000.5,10\n2024-01-04T15:01:00Z,5000.5,5001,4999,5000,11\n';
    const upload = path.join(store.root, '.uploads', 'a1');
    fs.mkdirSync(upload, { recursive: true });
    fs.writeFileSync(path.join(upload, 'bars.csv'), csv);
    const outside = path.join(path.dirname(store.root), 'es.csv');
    fs.writeFileSync(outside, csv);

    await run(store.root, { kind: 'ingest', files: [path.join(upload, 'bars.csv')], asset: 'MES', dryRun: true });
    expect(fs.existsSync(upload)).toBe(true);
    await run(store.root, { kind: 'ingest', files: [path.join(upload, 'bars.csv')], asset: 'MES' });
    expect(fs.existsSync(upload)).toBe(false);
    await run(store.root, { kind: 'ingest', files: [outside], asset: 'ES' });
    expect(fs.existsSync(outside)).toBe(true);
    expect(fs.readdirSync(path.join(store.root, 'raw')).sort()).toEqual(['ES', 'MES']);
    expect(fs.readdirSync(path.join(store.root, 'raw', 'MES')).sort()).toEqual(['2024-01-03', '2024-01-04']);
  });

  it('verify: checks the store and finds nothing wrong in it', async () => {
    const { result, progress } = await run(store.root, { kind: 'verify' });
    expect(result).toMatchObject({ ok: true });
    expect(progress).toEqual([{ fraction: null, rows: null, bytes: null, stage: 'checking files' }]);
  });
});
