// @ts-check
/**
 * Entry of the job threads. A bundled build passes a JavaScript entry and this just
 * imports it; running from the TypeScript sources (tests, the CLI via tsx), it first
 * registers tsx in this thread, which worker threads do not inherit.
 */
import { workerData } from 'node:worker_threads';

const entry = /** @type {{ entry: string }} */ (workerData).entry;
if (entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(entry);
