import { existsSync } from 'node:fs';
import { CancelledError, serializeError } from '../errors.js';
import { closeEngine } from '../engine/duckdbEngine.js';
import { sharedDecoderPool } from '../parquet/decoderPool.js';
import type { JobProgress } from './contract.js';
import { applyJobThreadSettings, type WorkerMessage } from './jobManager.js';
import { jobPort } from './jobPort.js';
import { checkJobResult, runJob } from './runJob.js';
import { publishesOnBucket, runOnBucket } from './bucketStore.js';

/**
 * A job's thread, or its process of its own (see JobPort): runs one job and reports
 * progress, its result or its error to the host, then ends (giving back the memory it
 * used). `{type: 'cancel'}` from the host aborts it.
 */
const port = jobPort();
const { params, storeRoot, threadSettings, bucket } = await port.start;
// before the job starts a thread (they inherit the priority) or opens DuckDB
applyJobThreadSettings(threadSettings, port.ownProcess);
const controller = new AbortController();
port.onCancel(() => controller.abort());
const send = (message: WorkerMessage) => port.send(message);
let lastProgress = 0;
let lastStage = '';
const progress = (update: JobProgress) => {
  const now = Date.now();
  // at most ten updates a second reach the host, and every change of stage (pulling, publishing)
  if (now - lastProgress < 100 && update.fraction !== 1 && update.stage === lastStage) return;
  lastProgress = now;
  lastStage = update.stage;
  void send({ type: 'progress', progress: update });
};

/**
 * Tests only: while the file MES_DATA_JOB_HOLD names exists, the job waits before it starts
 * its work (a cancel ends the wait), so a test can cancel a job that is surely running.
 */
async function holdForTests(signal: AbortSignal): Promise<void> {
  const hold = process.env.MES_DATA_JOB_HOLD;
  if (!hold) return;
  while (existsSync(hold) && !signal.aborted) await new Promise((resolve) => setTimeout(resolve, 50));
}

try {
  await holdForTests(controller.signal);
  if (controller.signal.aborted) throw new CancelledError(`${params.kind}: cancelled before its work began`);
  const ctx = { signal: controller.signal, progress };
  // a writer on a bucket's store: on a fresh pull of its working copy, then published
  const result =
    bucket !== undefined && bucket !== null && publishesOnBucket(params.kind)
      ? await runOnBucket(bucket, params.kind, ctx, (root) => runJob(params, { ...ctx, storeRoot: root }))
      : await runJob(params, { ...ctx, storeRoot });
  await send({ type: 'done', result: checkJobResult(params.kind, result) });
} catch (error) {
  await send({ type: 'error', error: serializeError(error) });
} finally {
  await sharedDecoderPool().close();
  // DuckDB's memory goes back with the thread; closing first makes that prompt
  await closeEngine();
  port.close();
}
