import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobEvent } from '../../../core/api/contract.js';
import { JobManager } from '../../../core/api/jobManager.js';

const ENTRY = new URL('./fixtures/testJobWorker.mjs', import.meta.url).href;

function validate(target: string, delayMs = 0) {
  return { kind: 'validate' as const, target, schema: 'ohlcv', mode: 'strict' as const, timezone: String(delayMs) };
}

describe('JobManager', () => {
  it('runs a job in a thread and keeps its result; events tell the story', async () => {
    const jobs = new JobManager(() => null, ENTRY);
    const events: JobEvent[] = [];
    jobs.onEvent((e) => events.push(e));
    const job = jobs.start(validate('hello'));
    const ended = await jobs.wait(job.id, 10_000);
    expect(ended).toMatchObject({ state: 'succeeded', result: { echo: 'hello' }, progress: { fraction: 1, stage: 'succeeded' } });
    expect(events.map((e) => e.job.state)).toEqual(['running', 'succeeded']);
  });

  it('a thread that dies fails its job with JOB_CRASHED; the manager goes on', async () => {
    const jobs = new JobManager(() => null, ENTRY);
    const crashed = await jobs.wait(jobs.start(validate('crash')).id, 10_000);
    expect(crashed).toMatchObject({ state: 'failed', error: { code: 'JOB_CRASHED', message: "validate crash against ohlcv: the job's thread ended with code 7 before finishing" } });
    const thrown = await jobs.wait(jobs.start(validate('throw')).id, 10_000);
    expect(thrown).toMatchObject({ state: 'failed', error: { code: 'JOB_CRASHED', message: "validate throw against ohlcv: the job's thread crashed: boom in the job thread" } });
    expect(await jobs.wait(jobs.start(validate('after')).id, 10_000)).toMatchObject({ state: 'succeeded' });
  });

  it('cancel asks the thread, which cleans up and ends cancelled', async () => {
    const jobs = new JobManager(() => null, ENTRY);
    const job = jobs.start(validate('wait-for-cancel'));
    // until the thread has started and said so (on a loaded machine that is not within a fixed time)
    for (let k = 0; k < 400 && jobs.get(job.id).progress.stage !== 'working'; k++) await new Promise((r) => setTimeout(r, 25));
    expect(jobs.get(job.id).progress).toMatchObject({ fraction: 0.25, rows: 10, stage: 'working' });
    jobs.cancel(job.id);
    expect(await jobs.wait(job.id, 10_000)).toMatchObject({ state: 'cancelled', error: { code: 'CANCELLED', message: 'cancelled, cleaned up' } });
  });

  it('writers run one at a time: a second promote waits in the queue and can be cancelled there', async () => {
    const jobs = new JobManager(() => null, ENTRY);
    const promote = (asset: string) => ({ kind: 'promote' as const, asset, schema: 'ohlcv', mode: 'strict' as const, onInvalid: 'fail' as const, compression: 'zstd' as const, message: '', dryRun: false });
    const first = jobs.start(promote('wait-for-cancel'));
    const second = jobs.start(promote('ES'));
    const third = jobs.start(promote('NQ'));
    expect(jobs.get(second.id).state).toBe('queued');
    expect(jobs.cancel(third.id)).toMatchObject({ state: 'cancelled', error: { code: 'CANCELLED' } });
    // a reader does not wait for the writer
    expect(await jobs.wait(jobs.start(validate('reader')).id, 10_000)).toMatchObject({ state: 'succeeded' });
    expect(jobs.get(second.id).state).toBe('queued');
    jobs.cancel(first.id);
    await jobs.wait(first.id, 10_000);
    expect(await jobs.wait(second.id, 10_000)).toMatchObject({ state: 'succeeded', result: { echo: 'ES' } });
    await jobs.close();
  });

  it('lists the jobs of the session newest first, ended ones with their result or error, each with when it started and ended', async () => {
    const jobs = new JobManager(() => null, ENTRY);
    const before = new Date().toISOString();
    const ok = await jobs.wait(jobs.start(validate('fine', 150)).id, 10_000);
    const failed = await jobs.wait(jobs.start(validate('crash')).id, 10_000);
    const queued = jobs.start({ kind: 'promote', asset: 'wait-for-cancel', schema: 'ohlcv', mode: 'strict', onInvalid: 'fail', compression: 'zstd', message: '', dryRun: false });
    const listed = jobs.list();
    expect(listed.map((j) => [j.id, j.state])).toEqual([
      [queued.id, 'running'],
      [failed.id, 'failed'],
      [ok.id, 'succeeded'],
    ]);
    expect(listed[1]).toMatchObject({ error: { code: 'JOB_CRASHED', message: "validate crash against ohlcv: the job's thread ended with code 7 before finishing" } });
    expect(listed[2]).toMatchObject({ result: { echo: 'fine' } });
    // ISO instants: created ≤ started ≤ ended, and the 150 ms job took at least that long
    for (const job of [ok, failed]) {
      expect(job.createdAt >= before).toBe(true);
      expect(job.startedAt !== undefined && job.startedAt >= job.createdAt).toBe(true);
      expect(job.endedAt !== undefined && job.startedAt !== undefined && job.endedAt >= job.startedAt).toBe(true);
    }
    expect(Date.parse(ok.endedAt ?? '') - Date.parse(ok.startedAt ?? '')).toBeGreaterThanOrEqual(140);
    expect(listed[0]).toMatchObject({ state: 'running' });
    expect(listed[0].startedAt).toBeDefined();
    expect(listed[0].endedAt).toBeUndefined();
    jobs.cancel(queued.id);
    expect(await jobs.wait(queued.id, 10_000)).toMatchObject({ state: 'cancelled' });
    expect(jobs.list()[0].endedAt).toBeDefined();
    await jobs.close();
  });

  it('unknown job ids are NOT_FOUND', () => {
    const jobs = new JobManager(() => null, ENTRY);
    expect(() => jobs.get('job-nope')).toThrow('no job "job-nope"');
  });
});

describe('JobManager, each job in a process of its own', () => {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
    } catch {
      return false;
    }
    // a process that ended but was not reaped yet (its parent gone) is a zombie, not alive
    try {
      return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] !== 'Z';
    } catch {
      return process.platform !== 'linux';
    }
  };
  const until = async (check: () => boolean) => {
    for (let k = 0; k < 200 && !check(); k++) await new Promise((r) => setTimeout(r, 25));
  };

  it('runs a job in a child process and keeps its result; events tell the story', async () => {
    const jobs = new JobManager(() => null, ENTRY, null, { runIn: 'process' });
    const events: JobEvent[] = [];
    jobs.onEvent((e) => events.push(e));
    const ran = await jobs.wait(jobs.start(validate('pid')).id, 10_000);
    const pid = (ran as unknown as { result: { pid: number } }).result.pid;
    expect(ran).toMatchObject({ state: 'succeeded', progress: { fraction: 1, stage: 'succeeded' } });
    expect(Number.isInteger(pid) && pid !== process.pid).toBe(true);
    expect(events.map((e) => e.job.state)).toEqual(['running', 'succeeded']);
    expect(await jobs.wait(jobs.start(validate('hello', 50)).id, 10_000)).toMatchObject({ state: 'succeeded', result: { echo: 'hello' } });
  });

  it('a process that dies or throws fails its job with JOB_CRASHED naming its exit; the manager goes on', async () => {
    const jobs = new JobManager(() => null, ENTRY, null, { runIn: 'process' });
    const crashed = await jobs.wait(jobs.start(validate('crash')).id, 10_000);
    expect(crashed).toMatchObject({ state: 'failed', error: { code: 'JOB_CRASHED', message: "validate crash against ohlcv: the job's process ended with code 7 before finishing", details: { exitCode: 7, signal: null } } });
    const thrown = await jobs.wait(jobs.start(validate('throw')).id, 10_000);
    expect(thrown).toMatchObject({ state: 'failed', error: { code: 'JOB_CRASHED', message: "validate throw against ohlcv: the job's process ended with code 1 before finishing" } });
    expect(await jobs.wait(jobs.start(validate('after')).id, 10_000)).toMatchObject({ state: 'succeeded', result: { echo: 'after' } });
  });

  it('cancel asks the process, which cleans up and ends cancelled', async () => {
    const jobs = new JobManager(() => null, ENTRY, null, { runIn: 'process' });
    const job = jobs.start(validate('wait-for-cancel'));
    await until(() => jobs.get(job.id).progress.stage === 'working');
    expect(jobs.get(job.id).progress).toMatchObject({ fraction: 0.25, rows: 10, stage: 'working' });
    jobs.cancel(job.id);
    expect(await jobs.wait(job.id, 10_000)).toMatchObject({ state: 'cancelled', error: { code: 'CANCELLED', message: 'cancelled, cleaned up' } });
  });

  it('a process that does not stop when cancelled is killed after the grace period, and the next writer runs', async () => {
    const jobs = new JobManager(() => null, ENTRY, null, { runIn: 'process', cancelGraceMs: 300 });
    const promote = (asset: string) => ({ kind: 'promote' as const, asset, schema: 'ohlcv', mode: 'strict' as const, onInvalid: 'fail' as const, compression: 'zstd' as const, message: '', dryRun: false });
    const stuck = jobs.start(promote('ignore-cancel'));
    const next = jobs.start(promote('ES'));
    await until(() => jobs.get(stuck.id).progress.stage === 'stuck');
    const pid = jobs.get(stuck.id).progress.rows ?? 0;
    expect(pid !== process.pid && alive(pid)).toBe(true);
    expect(jobs.cancel(stuck.id)).toMatchObject({ state: 'running', progress: { stage: 'cancelling' } });
    expect(await jobs.wait(stuck.id, 10_000)).toMatchObject({ state: 'cancelled', error: { code: 'CANCELLED', message: 'promote ignore-cancel raw → cleaned: stopped after it did not finish cancelling in 0.3 s' } });
    expect(alive(pid)).toBe(false);
    expect(await jobs.wait(next.id, 10_000)).toMatchObject({ state: 'succeeded', result: { echo: 'ES' } });
  });

  it('close kills the running processes', async () => {
    const jobs = new JobManager(() => null, ENTRY, null, { runIn: 'process' });
    const stuck = jobs.start(validate('ignore-cancel'));
    await until(() => jobs.get(stuck.id).progress.stage === 'stuck');
    const pid = jobs.get(stuck.id).progress.rows ?? 0;
    expect(alive(pid)).toBe(true);
    await jobs.close();
    expect(alive(pid)).toBe(false);
  });

  it('a job process whose host is killed is told to stop, and ends within 15 s even when it does not', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-data-orphan-'));
    const note = path.join(dir, 'note');
    const host = spawn(process.execPath, ['--import', 'tsx', new URL('./fixtures/orphanHost.ts', import.meta.url).pathname, note], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const pid = await new Promise<number>((resolve, reject) => {
        host.stdout.on('data', (chunk: Buffer) => resolve(Number(String(chunk).trim())));
        host.once('exit', (code) => reject(new Error(`the host ended with ${code}`)));
      });
      expect(alive(pid)).toBe(true);
      host.kill('SIGKILL');
      const killedAt = Date.now();
      await until(() => fs.existsSync(note));
      expect(fs.readFileSync(note, 'utf8')).toBe('cancelled');
      for (let k = 0; k < 100 && alive(pid); k++) await new Promise((r) => setTimeout(r, 250));
      expect(alive(pid)).toBe(false);
      expect(Date.now() - killedAt).toBeGreaterThanOrEqual(14_000);
    } finally {
      host.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
