import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobParams } from '../../../core/api/contract.js';
import { JobManager } from '../../../core/api/jobManager.js';
import { closeEngine } from '../../../core/engine/duckdbEngine.js';
import { commitRawSnapshots } from '../../../core/store/rawSnapshot.js';
import { inspectStoreLock } from '../../../core/store/storeLock.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { isWriterStagingName } from '../../../core/store/stagingArea.js';
import { verifyStore } from '../../../core/store/verifyStore.js';
import { barsFromCloses, barsTable } from '../../helpers/barsTable.js';
import { newStore } from '../store/storeTestKit.js';

/** The real job (core/api/jobWorker.ts) in a child process, as the browser mode's host runs it, on a store of 40 trading dates. */
describe('jobs in a process of their own, on a real store', () => {
  let store: Store;
  let cleanup: () => void;
  const dates: string[] = [];

  beforeAll(async () => {
    ({ store, cleanup } = await newStore('mes-data-job-process-'));
    for (let day = Date.UTC(2024, 0, 2); dates.length < 40; day += 86_400_000) {
      const weekday = new Date(day).getUTCDay();
      if (weekday !== 0 && weekday !== 6) dates.push(new Date(day).toISOString().slice(0, 10));
    }
    const closes = Array.from({ length: 400 }, (_, i) => 5000 + (i % 20) * 0.25);
    await commitRawSnapshots(
      store,
      dates.map((date) => ({ asset: 'MES', date, name: 'ohlcv', table: barsTable(barsFromCloses(`${date}T15:00:00Z`, 60, closes)) })),
    );
  }, 120_000);
  afterAll(async () => {
    await closeEngine();
    cleanup();
  });

  const promote: JobParams = { kind: 'promote', asset: 'MES', schema: 'ohlcv', mode: 'strict', onInvalid: 'drop', compression: 'zstd', message: 'in a process', dryRun: false };
  const writerStaging = () => (fs.existsSync(path.join(store.root, '.staging')) ? fs.readdirSync(path.join(store.root, '.staging')).filter(isWriterStagingName) : []);
  const versions = () => (fs.existsSync(path.join(store.root, 'catalog', 'cleaned', 'MES')) ? fs.readdirSync(path.join(store.root, 'catalog', 'cleaned', 'MES')).filter((name) => /^v\d+\.json$/.test(name)).sort() : []);

  it('a promotion killed while it writes leaves nothing half-written: the host recovers the store before the job ends, and the next promotion makes the next version', async () => {
    const jobs = new JobManager(() => store.root, undefined, { nice: 10, engineThreads: 1 }, { runIn: 'process', cancelGraceMs: 0 });
    const job = jobs.start(promote);
    // until the writer's staging folder is there (the job is writing), then cancel: killed at once
    for (let k = 0; k < 6000 && writerStaging().length === 0 && jobs.get(job.id).state === 'running'; k++) await new Promise((r) => setTimeout(r, 5));
    expect(writerStaging()).toHaveLength(1);
    jobs.cancel(job.id);
    const ended = await jobs.wait(job.id, 60_000);
    expect(ended).toMatchObject({ state: 'cancelled', error: { code: 'CANCELLED', message: 'promote MES raw → cleaned: stopped after it did not finish cancelling in 0 s' } });
    // recovered before it ended: no staging, the lock free, nothing verify finds wrong, no version
    expect(writerStaging()).toEqual([]);
    expect((await inspectStoreLock(store)).state).toBe('free');
    expect(versions()).toEqual([]);
    expect((await verifyStore(store)).problems).toEqual([]);

    // the number the killed job took is never given again (the version ledger)
    const again = await jobs.wait(jobs.start(promote).id, 120_000);
    expect(again).toMatchObject({ state: 'succeeded', result: { version: 'v2', rows: 16_000 } });
    expect(versions()).toEqual(['v2.json']);
    expect((await verifyStore(store)).problems).toEqual([]);
    await jobs.close();
  }, 240_000);
});
