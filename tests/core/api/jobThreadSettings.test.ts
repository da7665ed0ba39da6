import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { JobManager } from '../../../core/api/jobManager.js';
import { closeEngine, setEngineThreads, withConnection } from '../../../core/engine/duckdbEngine.js';
import { errorOf } from '../store/storeTestKit.js';

const ENTRY = new URL('./fixtures/threadSettingsWorker.ts', import.meta.url).href;
const verify = { kind: 'verify' as const };

interface Seen {
  applied: { nice: number | null; engineThreads: number | null };
  duckdbThreads: number;
  threadNice: number | null;
  childNice: number | null;
  processNice: number;
  pid: number;
  tasks: { count: number; lowestNice: number | null; highestNice: number | null };
}

async function runWith(jobs: JobManager): Promise<Seen> {
  const ended = await jobs.wait(jobs.start(verify).id, 60_000);
  expect(ended.state).toBe('succeeded');
  return (ended as unknown as { result: Seen }).result;
}

describe('JobThreadSettings', () => {
  afterEach(async () => {
    await closeEngine();
  });

  it.runIf(process.platform === 'linux')('a job thread of a host runs at the nice value asked, and so does a thread it starts; DuckDB on the threads asked; the process keeps its priority', async () => {
    const processNice = os.getPriority(process.pid);
    const seen = await runWith(new JobManager(() => null, ENTRY, { nice: 7, engineThreads: 2 }));
    expect(seen.applied).toEqual({ nice: Math.max(7, processNice), engineThreads: 2 });
    expect(seen.threadNice).toBe(Math.max(7, processNice));
    expect(seen.processNice).toBe(processNice);
    expect(seen.childNice).toBe(Math.max(7, processNice));
    expect(seen.duckdbThreads).toBe(2);
  });

  it.runIf(process.platform === 'linux')('a job in a process of its own runs every one of its threads at the nice value asked (DuckDB on the threads asked); the host keeps its priority', async () => {
    const processNice = os.getPriority(process.pid);
    const seen = await runWith(new JobManager(() => null, ENTRY, { nice: 7, engineThreads: 2 }, { runIn: 'process' }));
    const nice = Math.max(7, processNice);
    expect(seen.pid).not.toBe(process.pid);
    expect(seen.applied).toEqual({ nice, engineThreads: 2 });
    expect(seen.processNice).toBe(nice);
    expect(seen.threadNice).toBe(nice);
    expect(seen.childNice).toBe(nice);
    // Node's own threads, libuv's, DuckDB's and the one it started: all of them
    expect(seen.tasks.count).toBeGreaterThan(4);
    expect([seen.tasks.lowestNice, seen.tasks.highestNice]).toEqual([nice, nice]);
    expect(seen.duckdbThreads).toBe(2);
    expect(os.getPriority(process.pid)).toBe(processNice);
  });

  it('without settings a job thread runs as the host does, DuckDB on one thread per core', async () => {
    const seen = await runWith(new JobManager(() => null, ENTRY));
    expect(seen.applied).toEqual({ nice: null, engineThreads: null });
    expect(seen.duckdbThreads).toBe(os.availableParallelism());
    if (process.platform === 'linux') {
      expect(seen.threadNice).toBe(os.getPriority(process.pid));
      expect(seen.childNice).toBe(os.getPriority(process.pid));
    }
  });

  it('DuckDB takes its thread count before its first use, and refuses it afterwards with INTERNAL', async () => {
    await closeEngine();
    setEngineThreads(1);
    expect(await withConnection(async (db) => Number((await db.rows("SELECT current_setting('threads') AS threads", 'threads'))[0].threads))).toBe(1);
    const error = await errorOf(Promise.resolve().then(() => setEngineThreads(2)));
    expect(error).toMatchObject({ code: 'INTERNAL', message: "DuckDB's threads are set before its first use; this thread's instance is open already (asked for 2)", details: { threads: 2 } });
  });
});
