import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobResultSchemas, JobStateSchema, type JobKind, type JobParamsInput, type JobResult, type JobState } from '../../../core/api/contract.js';
import { ApiSession } from '../../../core/api/handlers.js';
import { checkJobResult } from '../../../core/api/runJob.js';
import { MesDataError } from '../../../core/errors.js';
import { tempDir } from '../../helpers/ohlcvTable.js';

/** Ten one-minute bars at 17:00–17:09 CT (the evening open: the next trading date) on each of `sessions` days from 2024-01-01, then one malformed line. */
function minuteBarsCsv(sessions: number): string {
  const lines = ['timestamp,open,high,low,close,volume'];
  for (let s = 0; s < sessions; s++) {
    const day = new Date(Date.UTC(2024, 0, 1 + s)).toISOString().slice(0, 10);
    for (let m = 0; m < 10; m++) lines.push(`${day} 17:0${m}:00,${4800 + s},${4810 + s},${4790 + s},${4800 + s + m / 4},${100 + m}`);
  }
  lines.push('garbage,row');
  return `${lines.join('\n')}\n`;
}

/** A deep copy of a result with one change, for the schema to refuse. */
function mutated<T>(value: T, change: (copy: Record<string, unknown> & T) => void): unknown {
  const copy = structuredClone(value) as Record<string, unknown> & T;
  change(copy);
  return copy;
}

function firstIssue(kind: JobKind, value: unknown): { path: PropertyKey[]; message: string } {
  const parsed = JobResultSchemas[kind].safeParse(value);
  if (parsed.success) throw new Error(`the ${kind} schema accepted the mutated result`);
  return { path: parsed.error.issues[0].path, message: parsed.error.issues[0].message };
}

describe('job result schemas, against the results of real jobs on a small store', () => {
  const { dir, cleanup } = tempDir('mes-data-job-results-');
  const store = path.join(dir, 'store');
  const csv = path.join(dir, 'MES_1min.csv');
  const session = new ApiSession('test');
  const ended: Partial<Record<string, JobState>> = {};

  async function run(name: string, params: JobParamsInput): Promise<void> {
    const started = (await session.invoke('jobs.start', params)) as JobState;
    const job = (await session.invoke('jobs.wait', { id: started.id, timeoutMs: 120_000 })) as JobState;
    if (job.state !== 'succeeded') throw new Error(`${name}: ${job.state}: ${job.error?.message}`);
    ended[name] = job;
  }

  const resultOf = <K extends JobKind>(name: string, kind: K): JobResult<K> => {
    const job = ended[name];
    if (!job || job.kind !== kind || job.result === undefined) throw new Error(`no ${kind} result for ${name}`);
    return JobResultSchemas[kind].parse(job.result) as JobResult<K>;
  };

  beforeAll(async () => {
    await session.invoke('store.init', { path: store });
    fs.writeFileSync(csv, minuteBarsCsv(3));
    await run('ingest dry run', { kind: 'ingest', files: [csv], asset: 'MES', dryRun: true, onBadRows: 'skip' });
    await run('ingest', { kind: 'ingest', files: [csv], asset: 'MES', onBadRows: 'skip' });
    await run('validate', { kind: 'validate', target: 'raw/MES', schema: 'ohlcv' });
    await run('promote dry run', { kind: 'promote', asset: 'MES', dryRun: true });
    await run('promote', { kind: 'promote', asset: 'MES' });
    await run('features', { kind: 'features', set: 'price_volatility', asset: 'MES' });
    await run('diff', { kind: 'diff', a: 'raw/MES/2024-01-02', b: 'cleaned/v1/MES' });
    await run('verify', { kind: 'verify' });
  }, 300_000);

  afterAll(async () => {
    await session.close();
    cleanup();
  });

  it('every ended job, as jobs.wait sends it, is a JobState whose result its kind’s schema describes whole', () => {
    expect(Object.keys(ended)).toEqual(['ingest dry run', 'ingest', 'validate', 'promote dry run', 'promote', 'features', 'diff', 'verify']);
    for (const job of Object.values(ended)) {
      if (!job) continue;
      // parsing strips what a schema does not name: equal means the schema names every field, at every depth
      expect(JobResultSchemas[job.kind].parse(job.result)).toEqual(job.result);
      expect(JobStateSchema.parse(job)).toEqual(job);
    }
  });

  it('ingest: accepts the dry run and the ingest; refuses a status it does not know, at its path', () => {
    const dry = resultOf('ingest dry run', 'ingest');
    expect(dry.snapshots.map((s) => [s.date, s.rows, s.status, s.wouldBe])).toEqual([
      ['2024-01-02', 10, 'dry-run', 'created'],
      ['2024-01-03', 10, 'dry-run', 'created'],
      ['2024-01-04', 10, 'dry-run', 'created'],
    ]);
    expect(dry.badRows).toEqual([{ line: 32, reason: 'expected 6 fields, found 2', file: 'MES_1min.csv' }]);
    expect([dry.rowsRead, dry.rowsWritten, dry.badRowCount, dry.dryRun]).toEqual([31, 30, 1, true]);
    expect(dry.files[0].dialect).toEqual({
      format: 'csv',
      encoding: 'utf-8',
      bom: false,
      delimiter: ',',
      quote: '"',
      lineEnding: 'lf',
      header: true,
      decimal: '.',
      thousands: null,
      columns: ['timestamp', 'open', 'high', 'low', 'close', 'volume'],
    });
    expect(dry.files[0].preview?.[1]).toEqual({ timestamp: '2024-01-01T23:01:00.000000Z', open: 4800, high: 4810, low: 4790, close: 4800.25, volume: 101 });
    const ingest = resultOf('ingest', 'ingest');
    expect(ingest.snapshots.map((s) => [s.path, s.status])).toEqual([
      ['raw/MES/2024-01-02/MES_1min.parquet', 'created'],
      ['raw/MES/2024-01-03/MES_1min.parquet', 'created'],
      ['raw/MES/2024-01-04/MES_1min.parquet', 'created'],
    ]);
    expect(ingest.files[0].preview).toBeUndefined();
    expect(firstIssue('ingest', mutated(ingest, (r) => (r.snapshots[1].status = 'written' as 'created')))).toEqual({
      path: ['snapshots', 1, 'status'],
      message: 'Invalid option: expected one of "created"|"unchanged"|"dry-run"',
    });
    expect(firstIssue('ingest', mutated(dry, (r) => (r.files[0].dialect.columns = 'timestamp' as unknown as string[])))).toEqual({
      path: ['files', 0, 'dialect', 'columns'],
      message: 'Invalid input: expected array, received string',
    });
  });

  it('validate: accepts the report; refuses a metric that is not a number, at its path', () => {
    const report = resultOf('validate', 'validate');
    expect([report.target, report.schema, report.mode, report.valid, report.rowCount]).toEqual(['raw/MES', 'ohlcv', 'strict', true, 30]);
    expect(report.warnings.map((w) => [w.rule, w.count, w.rows])).toEqual([
      ['session_gap', 2, [10, 20]],
      ['price_spike', 2, [10, 20]],
    ]);
    expect(report.metrics).toEqual({ nullCounts: { timestamp: 0, open: 0, high: 0, low: 0, close: 0, volume: 0 }, completenessPercentage: 100, duplicateTimestamps: 0, gapCount: 2, missingBars: 2740, barIntervalSeconds: 60 });
    expect(firstIssue('validate', mutated(report, (r) => (r.metrics.completenessPercentage = '100%' as unknown as number)))).toEqual({
      path: ['metrics', 'completenessPercentage'],
      message: 'Invalid input: expected number, received string',
    });
  });

  it('promote: accepts the gate check and the promotion; refuses a rule name the schemas do not have, at its path', () => {
    const dry = resultOf('promote dry run', 'promote');
    expect([dry.version, dry.path, dry.rows, dry.status, dry.dropped]).toEqual([null, null, 30, 'dry-run', {}]);
    const promoted = resultOf('promote', 'promote');
    expect([promoted.version, promoted.path, promoted.rows, promoted.status]).toEqual(['v1', 'cleaned/v1/MES', 30, 'created']);
    expect(promoted.inputs.map((i) => i.path)).toEqual(['raw/MES/2024-01-02/MES_1min.parquet', 'raw/MES/2024-01-03/MES_1min.parquet', 'raw/MES/2024-01-04/MES_1min.parquet']);
    expect(promoted.report.valid).toBe(true);
    expect(firstIssue('promote', mutated(promoted, (r) => (r.report.warnings[0].rule = 'made_up' as 'type')))).toMatchObject({ path: ['report', 'warnings', 0, 'rule'] });
    expect(firstIssue('promote', mutated(promoted, (r) => (r.version = 1 as unknown as string)))).toEqual({ path: ['version'], message: 'Invalid input: expected string, received number' });
  });

  it('features: accepts the build; refuses a status a build never has, at its path', () => {
    const built = resultOf('features', 'features');
    expect([built.version, built.path, built.rows, built.status, built.inputs.length]).toEqual(['v1', 'features/v1/MES/price_volatility', 3, 'created', 3]);
    expect(firstIssue('features', mutated(built, (r) => (r.status = 'dry-run' as 'created')))).toEqual({ path: ['status'], message: 'Invalid option: expected one of "created"|"unchanged"' });
  });

  it('diff: accepts the diff; refuses a negative count, at its path', () => {
    const diff = resultOf('diff', 'diff');
    expect(diff.key).toEqual(['timestamp']);
    expect(diff.rows).toEqual({ added: 20, removed: 0, changed: 0, unchanged: 10, a: 10, b: 30 });
    expect(diff.samples[0]).toEqual({
      kind: 'added',
      key: { timestamp: '2024-01-02T23:00:00.000000Z' },
      // format 2: a cleaned file carries its trading date (CME: 17:00 Chicago opens the next day)
      row: { timestamp: '2024-01-02T23:00:00.000000Z', open: 4801, high: 4811, low: 4791, close: 4801, volume: 100, date: '2024-01-03' },
    });
    expect(firstIssue('diff', mutated(diff, (r) => (r.rows.added = -1)))).toEqual({ path: ['rows', 'added'], message: 'Too small: expected number to be >=0' });
  });

  it('verify: accepts the check; refuses one without its byte count, at its path', () => {
    const verified = resultOf('verify', 'verify');
    expect([verified.ok, verified.problems, verified.checked.datasets, verified.checked.files]).toEqual([true, [], 5, 7]);
    expect(firstIssue('verify', mutated(verified, (r) => delete (r.checked as Partial<typeof r.checked>).bytes))).toEqual({ path: ['checked', 'bytes'], message: 'Invalid input: expected number, received undefined' });
  });

  it('checkJobResult (what the job thread runs before posting) passes a result on as it is, and makes a wrong one INTERNAL naming the kind and the issue', () => {
    const verified = resultOf('verify', 'verify');
    expect(checkJobResult('verify', verified)).toBe(verified);
    let thrown: unknown;
    try {
      checkJobResult('verify', { ...verified, ok: 'yes' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MesDataError);
    expect(thrown).toMatchObject({
      code: 'INTERNAL',
      message: "the verify job's result does not match its contract: ok: Invalid input: expected boolean, received string",
      details: { kind: 'verify', issues: [{ path: 'ok', message: 'Invalid input: expected boolean, received string' }] },
    });
    expect(() => checkJobResult('diff', null)).toThrow("the diff job's result does not match its contract: (the result): Invalid input: expected object, received null");
    expect(() => checkJobResult('features', {})).toThrow("the features job's result does not match its contract: version: Invalid input: expected string, received undefined (and 4 more)");
  });
});
