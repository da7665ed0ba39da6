import { describe, expect, it } from 'vitest';
import type { ApiName, JobResult, JobState } from '../../../core/api/contract.js';
import { installTransport } from '../../../renderer/src/api/transport.ts';
import { ApiError } from '../../../renderer/src/api/transportTypes.ts';
import { runJob } from '../../../renderer/src/state/actions.ts';
import { testingTransport } from '../../helpers/testingTransport.ts';

const diff: JobResult<'diff'> = {
  key: ['timestamp'],
  schema: { added: [], removed: [], changed: [{ name: 'volume', from: 'Int32', to: 'Int64' }] },
  rows: { added: 1, removed: 0, changed: 0, unchanged: 9, a: 9, b: 10 },
  changedColumns: {},
  samples: [{ kind: 'added', key: { timestamp: '2024-01-03T15:09:00.000000000Z' } }],
};

function job(kind: JobState['kind'], state: JobState['state'], result?: unknown): JobState {
  return { id: 'job-1', kind, state, title: `${kind} a b`, createdAt: '2026-12-01T12:00:00.000Z', progress: { fraction: state === 'succeeded' ? 1 : 0.5, rows: null, bytes: null, stage: state }, params: {}, ...(result ? { result } : {}) } as JobState;
}

/** A host that starts the job running and ends it at the first jobs.wait with `ended`. */
function hostEnding(ended: JobState, started: JobState = { ...ended, state: 'running' }) {
  return installTransport(
    testingTransport(<K extends ApiName>(name: K) => {
      if (name === 'jobs.start') return started as never;
      if (name === 'jobs.wait') return ended as never;
      throw new ApiError({ code: 'NOT_FOUND', message: `no answer for ${name}`, details: {} });
    }),
  ) as ReturnType<typeof testingTransport>;
}

describe('runJob', () => {
  it('follows a job to its end and gives its state with the result typed by its kind', async () => {
    const host = hostEnding(job('diff', 'succeeded', diff));
    const seen: string[] = [];
    const ended = await runJob({ kind: 'diff', a: 'cleaned/v1/MES', b: 'cleaned/v2/MES' }, (update) => seen.push(update.state));
    expect(ended.state).toBe('succeeded');
    // typed: a diff result's fields, no cast
    expect(ended.result?.rows.added).toBe(1);
    expect(ended.result?.schema.changed).toEqual([{ name: 'volume', from: 'Int32', to: 'Int64' }]);
    expect(seen).toEqual(['running', 'succeeded']);
    expect(host.calls.map(([name]) => name)).toEqual(['jobs.start', 'jobs.wait']);
  });

  it('a host that answers with a job of another kind is INTERNAL, naming both kinds', async () => {
    hostEnding(job('verify', 'succeeded', { ok: true, problems: [], checked: { datasets: 0, files: 0, bytes: 0 } }), job('diff', 'running'));
    const error = await runJob({ kind: 'diff', a: 'cleaned/v1/MES', b: 'cleaned/v2/MES' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'INTERNAL', message: 'the host answered with a verify job for a diff job', details: { id: 'job-1', kind: 'verify' } });
  });
});
