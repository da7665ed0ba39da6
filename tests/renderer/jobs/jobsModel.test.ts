import { describe, expect, it } from 'vitest';
import type { JobState } from '../../../core/api/contract.ts';
import { formatDuration, jobDurationMs, jobLinks, jobOutcome, jobRows, sortJobs } from '../../../renderer/src/jobs/jobsModel.ts';

const base = { progress: { fraction: 1, rows: null, bytes: null, stage: 'succeeded' }, createdAt: '2024-05-01T10:00:00.000Z' };

const built: JobState = {
  ...base,
  id: 'job-b-2',
  kind: 'features',
  state: 'succeeded',
  title: 'build momentum_indicators for MES',
  startedAt: '2024-05-01T10:00:00.250Z',
  endedAt: '2024-05-01T10:00:03.750Z',
  params: { kind: 'features', set: 'momentum_indicators', asset: 'MES', from: 'v1' },
  result: { version: 'v2', path: 'features/v2/momentum_indicators', rows: 510, inputs: [{ path: 'cleaned/v1/MES/date=2024-01-02/part-0.parquet', sha256: 'a'.repeat(64) }, { path: 'cleaned/v1/MES/date=2024-01-03/part-0.parquet', sha256: 'b'.repeat(64) }], status: 'created' },
};

const failed: JobState = {
  ...base,
  id: 'job-c-3',
  kind: 'features',
  state: 'failed',
  createdAt: '2024-05-01T10:01:00.000Z',
  title: 'build momentum_indicators for NQ',
  startedAt: '2024-05-01T10:01:00.100Z',
  endedAt: '2024-05-01T10:01:00.600Z',
  progress: { fraction: 0.05, rows: 0, bytes: null, stage: 'failed' },
  params: { kind: 'features', set: 'momentum_indicators', asset: 'NQ' },
  error: { code: 'CORRUPTED_FILE', message: 'cleaned/v1/NQ/part-0.parquet is not a Parquet file', details: { path: 'cleaned/v1/NQ/part-0.parquet' } },
};

const running: JobState = {
  ...base,
  id: 'job-d-4',
  kind: 'promote',
  state: 'running',
  createdAt: '2024-05-01T10:02:00.000Z',
  title: 'promote MES raw → cleaned',
  startedAt: '2024-05-01T10:02:00.000Z',
  progress: { fraction: 0.4, rows: 1200, bytes: null, stage: 'validating' },
  params: { kind: 'promote', asset: 'MES' },
};

const cancelledInQueue: JobState = { ...base, id: 'job-a-1', kind: 'ingest', state: 'cancelled', title: 'ingest bars.csv', endedAt: '2024-05-01T10:00:01.000Z', params: { kind: 'ingest', files: ['/tmp/bars.csv'] }, error: { code: 'CANCELLED', message: 'ingest bars.csv: cancelled before it started', details: {} } };

describe('the jobs panel model', () => {
  it('newest first', () => {
    expect(sortJobs([built, cancelledInQueue, running, failed]).map((j) => j.id)).toEqual(['job-d-4', 'job-c-3', 'job-b-2', 'job-a-1']);
  });

  it('a duration from start to end, or to now while running; none for a job cancelled before it started', () => {
    expect(jobDurationMs(built, Date.parse('2030-01-01T00:00:00Z'))).toBe(3500);
    expect(jobDurationMs(failed, 0)).toBe(500);
    expect(jobDurationMs(running, Date.parse('2024-05-01T10:02:07.500Z'))).toBe(7500);
    expect(jobDurationMs(cancelledInQueue, 0)).toBeNull();
    expect([350, 3500, 12_340, 125_000, 7_380_000].map(formatDuration)).toEqual(['0.35 s', '3.50 s', '12.3 s', '2 min 05 s', '2 h 03 min']);
    expect(formatDuration(null)).toBe('—');
  });

  it("rows: what a job wrote, or its progress's count while it runs", () => {
    expect(jobRows(built)).toBe(510);
    expect(jobRows(running)).toBe(1200);
    expect(jobRows(failed)).toBe(0);
  });

  it('links to what a job wrote, and to what a check read', () => {
    expect(jobLinks(built)).toEqual([{ path: 'features/v2/momentum_indicators', role: 'wrote' }]);
    expect(jobLinks(failed)).toEqual([]);
    expect(jobLinks({ ...base, id: 'v', kind: 'validate', state: 'running', title: 'validate', params: { target: 'cleaned/v1/MES' } })).toEqual([{ path: 'cleaned/v1/MES', role: 'read' }]);
    // a file outside the store is no link
    expect(jobLinks({ ...base, id: 'v', kind: 'validate', state: 'running', title: 'validate', params: { target: '/home/me/bars.csv' } })).toEqual([]);
  });

  it('the outcome in a line: the version made, or the error with its code', () => {
    expect(jobOutcome(built)).toBe('created features/v2/momentum_indicators (v2) from 2 cleaned files');
    expect(jobOutcome({ ...built, result: { ...built.result, status: 'unchanged' } } as JobState)).toBe('unchanged: features/v2/momentum_indicators (v2) from 2 cleaned files');
    expect(jobOutcome(failed)).toBe('CORRUPTED_FILE: cleaned/v1/NQ/part-0.parquet is not a Parquet file');
    expect(jobOutcome(running)).toBe('validating');
    expect(jobOutcome(cancelledInQueue)).toBe('cancelled: ingest bars.csv: cancelled before it started');
  });
});
