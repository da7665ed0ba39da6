import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { THREAD_BUNDLES } from '../../../scripts/buildCli.mjs';
import { THREADS, startThread, threadModule } from '../../../core/threads/startThread.js';
import type { ThreadReply, ThreadRequest } from '../../../core/threads/threadProtocol.js';
import type { EchoOperations } from './fixtures/echoThread.js';

const ECHO = new URL('./fixtures/echoThread.ts', import.meta.url);

function ask(worker: Worker, request: ThreadRequest<EchoOperations>): Promise<ThreadReply<EchoOperations, { served: number }>> {
  return new Promise((resolve) => {
    worker.once('message', resolve);
    worker.postMessage(request);
  });
}

describe('startThread', () => {
  it('builds a bundle of every thread it can start, from the module it names', () => {
    const fromTable = Object.fromEntries(Object.values(THREADS).map((t) => [t.bundle, fileURLToPath(new URL(t.source, new URL('../../../core/threads/startThread.ts', import.meta.url)))]));
    const fromBuild = Object.fromEntries(Object.entries(THREAD_BUNDLES).map(([bundle, source]) => [bundle, fileURLToPath(new URL(`../../../${source}`, import.meta.url))]));
    expect(fromTable).toEqual(fromBuild);
  });

  it('runs the TypeScript module of a thread from the sources (no bundle beside them)', () => {
    expect(threadModule('parquetDecoder')).toBe(new URL('../../../core/parquet/decoder/decoderThread.ts', import.meta.url).href);
    expect(threadModule('parquetWriter')).toBe(new URL('../../../core/ingest/writer/writerThread.ts', import.meta.url).href);
    expect(threadModule('job')).toBe(new URL('../../../core/api/jobWorker.ts', import.meta.url).href);
  });

  it('starts a TypeScript thread by URL, which answers typed requests', async () => {
    const worker = startThread(ECHO);
    try {
      expect(await ask(worker, { id: 1, op: 'echo', args: { text: 'héllo' } })).toEqual({ id: 1, ok: true, result: { text: 'héllo', length: 5 }, served: 1 });
      expect(await ask(worker, { id: 2, op: 'echo', args: { text: '' } })).toEqual({ id: 2, ok: true, result: { text: '', length: 0 }, served: 2 });
    } finally {
      await worker.terminate();
    }
  });

  it('a thread that exits is seen by its parent with the exit code', async () => {
    const worker = startThread(ECHO.href);
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
    worker.postMessage({ id: 1, op: 'exit', args: { code: 5 } });
    expect(await exited).toBe(5);
  });
});
