import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobState } from '../../../core/api/contract.js';
import { ApiSession } from '../../../core/api/handlers.js';
import { MesDataError } from '../../../core/errors.js';
import { tempDir } from '../../helpers/ohlcvTable.js';

const FIXTURE = path.resolve(import.meta.dirname, '../../fixtures/format1-store/store');

async function refused(promise: Promise<unknown>): Promise<MesDataError> {
  const error = await promise.catch((e: unknown) => e);
  if (error instanceof MesDataError) return error;
  throw new Error(`expected a MesDataError, got ${String(error)}`);
}

describe('the migrate job through a session', () => {
  const { dir, cleanup } = tempDir('mes-data-migrate-job-');
  const started = path.join(dir, 'started');
  const other = path.join(dir, 'other');
  fs.cpSync(FIXTURE, started, { recursive: true });
  fs.cpSync(FIXTURE, other, { recursive: true });
  const session = new ApiSession('browser', { restrictPaths: true });
  afterAll(async () => {
    await session.close();
    cleanup();
  });

  it('a browser host started on a format-1 store migrates that store, and no other folder of the machine', async () => {
    await session.openAtStartup(started);
    expect(session.startupStoreError?.code).toBe('STORE_NEEDS_MIGRATION');
    const forbidden = await refused(session.invoke('jobs.start', { kind: 'migrate', store: other }));
    expect(forbidden.code).toBe('FORBIDDEN');
    expect(forbidden.message).toBe(`${other} is not the store this browser host opened; it migrates only that one`);
    const job = (await session.invoke('jobs.start', { kind: 'migrate', store: started })) as JobState;
    let ended = job;
    while (ended.state === 'queued' || ended.state === 'running') ended = (await session.invoke('jobs.wait', { id: job.id, timeoutMs: 60_000 })) as JobState;
    expect(ended.state).toBe('succeeded');
    expect(ended.title).toBe(`migrate ${started} to format 2`);
    expect((ended.result as { status: string; tables: { table: string }[] }).status).toBe('migrated');
    expect((ended.result as { tables: { table: string }[] }).tables.map((t) => t.table)).toEqual(['cleaned/MES', 'features/MES/momentum_indicators']);
    expect((JSON.parse(fs.readFileSync(path.join(other, 'mes-data-store.json'), 'utf8')) as { formatVersion: number }).formatVersion).toBe(1);
    const opened = (await session.invoke('store.open', { path: started })) as { formatVersion: number };
    expect(opened.formatVersion).toBe(2);
  });
});
