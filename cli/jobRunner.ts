import type { JobParamsInput, JobState } from '../core/api/contract.js';
import { JobParams } from '../core/api/contract.js';
import { ApiSession } from '../core/api/handlers.js';
import { BadRequestError, errorFromJson } from '../core/errors.js';
import type { CommandContext, Outcome } from './commandContext.js';
import { countOf } from './render.js';

const FOREVER_MS = 2_147_483_647;

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
 * Runs one job the way the app does (a worker thread, through the API session), showing a
 * progress bar on stderr when it is a terminal. Ctrl-C asks the job to cancel and waits for
 * it to clean up. Resolves with the job's result; a failed job rethrows its typed error.
 */
export async function runJobFromCli(
  ctx: CommandContext,
  params: JobParamsInput,
  options: { needsStore: boolean; json: boolean; render: (result: unknown) => Omit<Outcome, 'json'> },
): Promise<void> {
  const parsed = JobParams.safeParse(params);
  if (!parsed.success) throw new BadRequestError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const session = new ApiSession('cli');
  try {
    if (options.needsStore) await session.invoke('store.open', { path: ctx.storeDir() });
    const tty = process.stderr.isTTY && !options.json;
    const unsubscribe = tty ? session.jobs.onEvent((event) => process.stderr.write(bar(event.job))) : () => undefined;
    const job = session.jobs.start(parsed.data);
    let interrupted = false;
    const onSigint = () => {
      if (interrupted) return;
      interrupted = true;
      ctx.log('\ncancelling… (what the job wrote is being removed)\n');
      session.jobs.cancel(job.id);
    };
    process.on('SIGINT', onSigint);
    const ended = await session.jobs.wait(job.id, FOREVER_MS);
    process.off('SIGINT', onSigint);
    unsubscribe();
    if (tty) process.stderr.write('\r'.padEnd(100) + '\r');
    if (ended.state !== 'succeeded') throw errorFromJson(ended.error ?? { code: 'INTERNAL', message: `${ended.title}: ${ended.state}`, details: {} });
    const rendered = options.render(ended.result);
    ctx.done({ json: ended.result, ...rendered }, options.json);
  } finally {
    await session.close();
  }
}
