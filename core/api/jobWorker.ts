import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from '../errors.js';
import { closeEngine } from '../engine/duckdbEngine.js';
import { sharedDecoderPool } from '../parquet/decoderPool.js';
import type { JobParams, JobProgress } from './contract.js';
import { applyJobThreadSettings, type JobThreadSettings, type WorkerMessage } from './jobManager.js';
import { checkJobResult, runJob } from './runJob.js';

/**
 * A job thread: runs one job and reports progress, its result or its error to the host,
 * then ends (giving back the memory it used). `{type: 'cancel'}` from the host aborts it.
 */
const port = parentPort;
if (!port) throw new Error('jobWorker must run in a worker thread');
const { params, storeRoot, threadSettings } = workerData as { params: JobParams; storeRoot: string | null; threadSettings: JobThreadSettings | null };
// before the job starts a thread (they inherit the priority) or opens DuckDB
applyJobThreadSettings(threadSettings);
const controller = new AbortController();
port.on('message', (message: { type: string }) => {
  if (message.type === 'cancel') controller.abort();
});
const send = (message: WorkerMessage) => port.postMessage(message);
let lastProgress = 0;
const progress = (update: JobProgress) => {
  const now = Date.now();
  // at most ten updates a second reach the host
  if (now - lastProgress < 100 && update.fraction !== 1) return;
  lastProgress = now;
  send({ type: 'progress', progress: update });
};

try {
  const result = await runJob(params, { storeRoot, signal: controller.signal, progress });
  send({ type: 'done', result: checkJobResult(params.kind, result) });
} catch (error) {
  send({ type: 'error', error: serializeError(error) });
} finally {
  await sharedDecoderPool().close();
  // DuckDB's memory goes back with the thread; closing first makes that prompt
  await closeEngine();
  port.close();
}
