import { BadRequestError, CancelledError } from '../errors.js';
import { SchemaRegistry } from '../schema/schemaRegistry.js';
import { openStore } from '../store/openStore.js';
import { verifyStore } from '../store/verifyStore.js';
import { validateTable } from '../validation/validateTable.js';
import type { JobParams, JobProgress } from './contract.js';
import { Dataset } from './dataset.js';

export interface JobContext {
  storeRoot: string | null;
  signal: AbortSignal;
  progress: (update: JobProgress) => void;
}

function checkCancelled(signal: AbortSignal, what: string): void {
  if (signal.aborted) throw new CancelledError(`${what}: cancelled`);
}

function requireStore(ctx: JobContext, what: string): string {
  if (!ctx.storeRoot) throw new BadRequestError(`${what} needs an open store`);
  return ctx.storeRoot;
}

/** Runs one job in the calling thread (the job threads call this). */
export async function runJob(params: JobParams, ctx: JobContext): Promise<unknown> {
  switch (params.kind) {
    case 'validate': {
      const registry = new SchemaRegistry(ctx.storeRoot);
      const schema = registry.getSchema(params.schema);
      ctx.progress({ fraction: 0.05, rows: null, bytes: null, stage: 'reading' });
      const dataset = await Dataset.open(ctx.storeRoot, params.target);
      checkCancelled(ctx.signal, `validate ${params.target}`);
      const table = await dataset.readAll();
      checkCancelled(ctx.signal, `validate ${params.target}`);
      ctx.progress({ fraction: 0.6, rows: table.numRows, bytes: null, stage: 'checking rules' });
      const { report } = validateTable(table, schema, { mode: params.mode, timezone: params.timezone, target: params.target });
      ctx.progress({ fraction: 1, rows: table.numRows, bytes: null, stage: 'done' });
      return report;
    }
    case 'verify': {
      const store = await openStore(requireStore(ctx, 'verify'), { recover: false });
      ctx.progress({ fraction: null, rows: null, bytes: null, stage: 'checking files' });
      return verifyStore(store);
    }
    default:
      throw new BadRequestError(`jobs of kind "${params.kind}" are not available in this build yet`, { kind: params.kind });
  }
}
