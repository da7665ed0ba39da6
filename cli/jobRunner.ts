import type { JobKind, JobParamsInput, JobResult, JobState } from '../core/api/contract.js';
import { checkJobResult } from '../core/api/runJob.js';
import { errorFromJson } from '../core/errors.js';
import { checkRequest, withCliSession, type StoreUse } from './cliSession.js';
import type { CommandContext, Outcome } from './commandContext.js';
import { countOf } from './render.js';

/** The longest one `jobs.wait` may wait (the contract's limit); a longer job is waited for again. */
const WAIT_MS = 600_000;

function bar(job: JobState): string {
  const fraction = job.progress.fraction;
  const width = 24;
  const filled = fraction === null ? 0 : Math.round(fraction * width);
  const meter = fraction === null ? '·'.repeat(width) : `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  const pct = fraction === null ? '  …' : `${String(Math.round(fraction * 100)).padStart(3)}%`;
  const rows = job.progress.rows === null ? '' : ` · ${countOf(job.progress.rows, 'row')}`;
  return `\r${meter} ${pct} ${job.progress.stage}${rows}`.padEnd(90).slice(0, 100);
}

/**
 * Runs one job the way the app does: `jobs.start`, then `jobs.wait` until it has ended,
 * through an in-process API session (the job runs in this thread: core/api/inlineJob.ts), showing a progress
 * bar on stderr when it is a terminal. Ctrl-C asks the job to cancel (`jobs.cancel`) and
 * waits for it to clean up. Prints what `render` makes of the job's result (typed by the job's
 * kind, checked against its schema in the contract); `--json` prints the result as the job
 * returned it, or the `json` the render gives. A failed job rethrows its typed error.
 */
export async function runJobFromCli<K extends JobKind>(
  ctx: CommandContext,
  params: JobParamsInput & { kind: K },
  options: { needsStore: StoreUse; recover?: boolean; json: boolean; render: (result: JobResult<K>) => Omit<Outcome, 'json'> & { json?: unknown }; stages?: boolean },
): Promise<void> {
  checkRequest('jobs.start', params);
  await withCliSession(ctx, { store: options.needsStore, recover: options.recover }, async (cli) => {
    const tty = process.stderr.isTTY && !options.json;
    // not a terminal: with `stages`, each new stage of the job as one line (a log, a pipe, a CI run)
    let lastStage = '';
    const logStage = (job: JobState): void => {
      if (job.state !== 'running' || job.progress.stage === lastStage || job.progress.stage === 'starting') return;
      lastStage = job.progress.stage;
      ctx.log(`${lastStage}\n`);
    };
    const unsubscribe = tty ? cli.onJobEvent((event) => process.stderr.write(bar(event.job))) : options.stages ? cli.onJobEvent((event) => logStage(event.job)) : () => undefined;
    let ended: JobState;
    try {
      const job = await cli.invoke('jobs.start', params);
      let interrupted = false;
      const onSigint = () => {
        if (interrupted) return;
        interrupted = true;
        // a sync keeps every object it wrote whole: its rerun goes on from there
        ctx.log(params.kind === 'sync' ? '\ncancelling… (what was copied stays; run the sync again to finish)\n' : '\ncancelling… (what the job wrote is being removed)\n');
        void cli.invoke('jobs.cancel', { id: job.id });
      };
      process.on('SIGINT', onSigint);
      try {
        ended = job;
        while (ended.state === 'queued' || ended.state === 'running') ended = await cli.invoke('jobs.wait', { id: job.id, timeoutMs: WAIT_MS });
      } finally {
        process.off('SIGINT', onSigint);
      }
    } finally {
      unsubscribe();
    }
    if (tty) process.stderr.write('\r'.padEnd(100) + '\r');
    if (ended.state !== 'succeeded') throw errorFromJson(ended.error ?? { code: 'INTERNAL', message: `${ended.title}: ${ended.state}`, details: {} });
    const rendered = options.render(checkJobResult(params.kind, ended.result));
    ctx.done({ json: ended.result, ...rendered }, options.json);
  });
}
