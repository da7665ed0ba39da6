import { existsSync } from 'node:fs';
import { CancelledError, serializeError } from '../errors.js';
import { publishesOnBucket, runOnBucket } from './bucketStore.js';
import type { JobProgress } from './contract.js';
import type { WorkerMessage } from './jobManager.js';
import type { JobStart } from './jobPort.js';
import { checkJobResult, runJob } from './runJob.js';

/**
 * A job run in the thread that starts it, for the command line (`JobManager.runHere`): one
 * command runs one job and then its process ends, so a thread of its own buys it nothing (its
 * memory goes back with the process; there is no window to keep answering) and costs it the
 * thread's start, a second load of the job's code (dist/cli/jobCore.cjs, the AWS SDK again)
 * and the thread's end: 0.1–0.2 s of CPU of a daily `validate` or `diff`, more of its wall
 * time on a loaded machine (docs/benchmarks.md, Command-line start-up). The job runs as in
 * its thread (core/api/jobWorker.ts): the test-only hold, a cancel aborts its signal, at most
 * ten progress updates a second, its result checked against its kind's schema. The threads it
 * starts (Parquet decoders, the ingest's writer) and DuckDB are this thread's, closed by the
 * command line when it ends.
 */

/** What the job reports, as a job thread posts it, and its end (always after its last message). */
interface InlineEvents {
  message: (message: WorkerMessage) => void;
  exit: (code: number | null, signal: string | null) => void;
}

/**
 * Tests only: while the file MES_DATA_JOB_HOLD names exists, the job waits before it starts
 * its work (a cancel ends the wait), as in its thread.
 */
async function holdForTests(signal: AbortSignal): Promise<void> {
  const hold = process.env.MES_DATA_JOB_HOLD;
  if (!hold) return;
  while (existsSync(hold) && !signal.aborted) await new Promise((resolve) => setTimeout(resolve, 50));
}

/** Starts the job on this thread's next turn (`jobs.start` answers first, as with a thread); `send({type: 'cancel'})` aborts it, `stop()` resolves when it has ended. */
export function inlineLink(start: JobStart, on: InlineEvents): { send: (message: { type: string }) => void; stop: () => Promise<void> } {
  const controller = new AbortController();
  let lastProgress = 0;
  const progress = (update: JobProgress) => {
    const now = Date.now();
    if (now - lastProgress < 100 && update.fraction !== 1) return;
    lastProgress = now;
    on.message({ type: 'progress', progress: update });
  };
  const ended = (async () => {
    await new Promise((resolve) => setImmediate(resolve));
    try {
      await holdForTests(controller.signal);
      if (controller.signal.aborted) throw new CancelledError(`${start.params.kind}: cancelled before its work began`);
      const ctx = { signal: controller.signal, progress };
      const { bucket, params } = start;
      // a writer on a bucket's store: on a fresh pull of its working copy, then published, as in its thread
      const result =
        bucket !== undefined && bucket !== null && publishesOnBucket(params.kind)
          ? await runOnBucket(bucket, params.kind, ctx, (root) => runJob(params, { ...ctx, storeRoot: root }))
          : await runJob(params, { ...ctx, storeRoot: start.storeRoot });
      on.message({ type: 'done', result: checkJobResult(start.params.kind, result) });
    } catch (error) {
      on.message({ type: 'error', error: serializeError(error) });
    }
    on.exit(0, null);
  })();
  return {
    send: (message) => {
      if (message.type === 'cancel') controller.abort();
    },
    stop: () => ended,
  };
}
