import fs from 'node:fs';
import path from 'node:path';
import { diffTargets } from '../diff/diffTargets.js';
import { BadRequestError, MesDataError } from '../errors.js';
import { buildFeatures } from '../features/buildFeatures.js';
import { InstrumentRegistry } from '../instruments/instrumentRegistry.js';
import { promoteRaw } from '../promote/promoteRaw.js';
import { SchemaRegistry } from '../schema/schemaRegistry.js';
import { ingestIntoStore } from '../store/ingestIntoStore.js';
import { garbageCollect } from '../store/garbageCollect.js';
import { migrateStore } from '../store/migrateStore.js';
import { openStore } from '../store/openStore.js';
import { verifyStore } from '../store/verifyStore.js';
import { validateTarget } from '../validation/validateDataset.js';
import { openObjectStore } from '../objectStore/s3ObjectStore.js';
import { parseStoreUrl } from '../objectStore/storeUrl.js';
import { syncStores } from '../sync/syncStores.js';
import { JobResultSchemas, type JobKind, type JobParams, type JobProgress, type JobResult } from './contract.js';

interface JobContext {
  storeRoot: string | null;
  signal: AbortSignal;
  progress: (update: JobProgress) => void;
}

function requireStore(ctx: JobContext, what: string): string {
  if (!ctx.storeRoot) throw new BadRequestError(`${what} needs an open store`);
  return ctx.storeRoot;
}

/**
 * Files the browser mode uploaded into `<store>/.uploads/` are only a way in: once ingested
 * (their rows are in raw snapshots now), their upload folders go.
 */
function removeUploads(storeRoot: string, files: string[]): void {
  const uploads = path.join(storeRoot, '.uploads');
  for (const file of files) {
    const folder = path.dirname(path.resolve(file));
    if (path.dirname(folder) === uploads) fs.rmSync(folder, { recursive: true, force: true });
  }
}

/** BAD_REQUEST naming the zone when the platform's time zone data does not know it. */
function assertTimeZone(zone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new BadRequestError(`unknown time zone "${zone}"`, { timezone: zone });
  }
}

/** Runs one job in the calling thread (the job threads call this). */
export async function runJob(params: JobParams, ctx: JobContext): Promise<JobResult> {
  switch (params.kind) {
    case 'validate': {
      const registry = new SchemaRegistry(ctx.storeRoot);
      const schema = registry.getSchema(params.schema);
      if (params.timezone !== undefined) assertTimeZone(params.timezone);
      // --instrument: one instrument for every row (NOT_FOUND when the store does not know it)
      const instruments = new InstrumentRegistry(ctx.storeRoot);
      const chosen = params.instrument === undefined ? null : instruments.get(params.instrument);
      const instrumentOf = chosen === null ? undefined : () => chosen;
      ctx.progress({ fraction: 0.05, rows: null, bytes: null, stage: 'reading' });
      const { report } = await validateTarget(ctx.storeRoot, params.target, schema, { mode: params.mode, timezone: params.timezone, label: params.label, instrumentOf, signal: ctx.signal });
      ctx.progress({ fraction: 1, rows: report.rowCount, bytes: null, stage: 'done' });
      return report;
    }
    case 'verify': {
      const store = await openStore(requireStore(ctx, 'verify'), { recover: false });
      ctx.progress({ fraction: null, rows: null, bytes: null, stage: 'checking files' });
      return verifyStore(store);
    }
    case 'ingest': {
      const store = await openStore(requireStore(ctx, 'ingest'));
      const result = await ingestIntoStore(store, params.files, {
        asset: params.asset,
        timezone: params.timezone,
        dryRun: params.dryRun,
        onBadRows: params.onBadRows,
        mapping: params.mapping,
        revise: params.revise,
        signal: ctx.signal,
        progress: (p) => ctx.progress({ fraction: p.fraction, rows: p.rows, bytes: p.bytes, stage: p.stage }),
      });
      if (!params.dryRun) removeUploads(store.root, params.files);
      return result;
    }
    case 'promote': {
      const store = await openStore(requireStore(ctx, 'promote'));
      const schema = new SchemaRegistry(store.root).getSchema(params.schema);
      return promoteRaw(store, {
        asset: params.asset,
        from: params.from,
        to: params.to,
        schema,
        mode: params.mode,
        onInvalid: params.onInvalid,
        compression: params.compression,
        message: params.message,
        dryRun: params.dryRun,
        append: params.append,
        replace: params.replace,
        signal: ctx.signal,
        progress: (p) => ctx.progress({ fraction: p.fraction, rows: p.rows, bytes: null, stage: p.stage }),
      });
    }
    case 'features': {
      const store = await openStore(requireStore(ctx, 'features build'));
      return buildFeatures(store, {
        set: params.set,
        asset: params.asset,
        from: params.from,
        parameters: params.parameters,
        signal: ctx.signal,
        progress: (p) => ctx.progress({ fraction: p.fraction, rows: p.rows, bytes: null, stage: p.stage }),
      });
    }
    case 'diff': {
      ctx.progress({ fraction: 0.1, rows: null, bytes: null, stage: 'reading' });
      return diffTargets(ctx.storeRoot, params.a, params.b, { signal: ctx.signal, progress: (fraction, stage) => ctx.progress({ fraction, rows: null, bytes: null, stage }) });
    }
    case 'migrate':
      // a format-1 store cannot be opened as the session's store: the job takes its folder
      return migrateStore(params.store === undefined ? requireStore(ctx, 'migrate') : path.resolve(params.store), {
        dryRun: params.dryRun,
        signal: ctx.signal,
        progress: (p) => ctx.progress({ fraction: p.fraction, rows: null, bytes: null, stage: p.stage }),
      });
    case 'gc': {
      const store = await openStore(requireStore(ctx, 'gc'));
      return garbageCollect(store, {
        keep: params.keep,
        olderThan: params.olderThan,
        asset: params.asset,
        dryRun: params.dryRun,
        signal: ctx.signal,
        progress: (p) => ctx.progress({ fraction: p.fraction, rows: null, bytes: null, stage: p.stage }),
      });
    }
    case 'sync':
      // two locations of their own, not the session's store
      return syncStores(openObjectStore(parseStoreUrl(params.from)), openObjectStore(parseStoreUrl(params.to)), {
        dryRun: params.dryRun,
        signal: ctx.signal,
        progress: (p) => ctx.progress({ fraction: p.fraction, rows: null, bytes: p.bytes, stage: p.stage }),
      });
  }
}

/**
 * A job's result as its kind's schema in the contract says (the job thread checks it before
 * posting it): a result that does not match is INTERNAL, naming the kind and the first zod
 * issue, instead of a wrong report in the app or the CLI. Returns the result as it was (the
 * hosts send exactly what the core returned).
 */
export function checkJobResult<K extends JobKind>(kind: K, result: unknown): JobResult<K> {
  const checked = JobResultSchemas[kind].safeParse(result);
  if (checked.success) return result as JobResult<K>;
  const issues = checked.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  const first = issues[0];
  throw new MesDataError('INTERNAL', `the ${kind} job's result does not match its contract: ${first.path || '(the result)'}: ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`, {
    kind,
    issues,
  });
}
