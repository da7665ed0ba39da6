import type { Command } from 'commander';
import type { JobResult } from '../../core/api/contract.js';
import { DEFAULT_GRACE, formatAge, type KeptObject } from '../../core/objectStore/bucketGc.js';
import type { CommandContext } from '../commandContext.js';
import { runJobFromCli } from '../jobRunner.js';
import { jsonOption, wholeNumber } from '../options.js';
import { formatBytes } from '../render.js';

/**
 * What gc removed (or would), one line a version and a file, then the totals; on a bucket
 * also the files it keeps for being younger than the grace period.
 */
function renderGc(result: JobResult<'gc'> & { grace?: string; kept?: KeptObject[] }): string {
  const verb = result.dryRun ? 'would remove' : 'removed';
  const kept = result.kept ?? [];
  const lines = [
    ...result.versions.map((v) => `version  ${v.path}${v.committedAt ? `  (committed ${v.committedAt})` : ''}`),
    ...result.files.map((f) => `file     ${f.path}  ${formatBytes(f.bytes)}`),
    ...kept.map((f) => `kept     ${f.path}  ${formatBytes(f.bytes)}  (written ${formatAge(f.ageSeconds * 1000)} ago)`),
  ];
  const keptNote = kept.length > 0 ? `; ${result.dryRun ? 'would keep' : 'kept'} ${kept.length} file(s) nothing names, younger than the grace period (${result.grace ?? DEFAULT_GRACE})` : '';
  const summary = `${result.dryRun ? 'dry run: ' : ''}${verb} ${result.versions.length} version(s) and ${result.files.length} file(s), ${formatBytes(result.bytes)}, in ${result.tables} table(s)${keptNote}`;
  return `${lines.length > 0 ? `${lines.join('\n')}\n\n` : ''}${summary}\n`;
}

/** `gc`: the gc job (core/store/garbageCollect.ts). */
export function registerGcCommand(program: Command, ctx: CommandContext): void {
  program
    .command('gc')
    .description('remove old versions of the cleaned and feature tables and the files no kept version needs (the newest version always stays)')
    .option('--keep <n>', 'keep the newest N versions of each table', wholeNumber('keep'))
    .option('--older-than <age>', 'remove versions committed before this: a duration (30d, 12h, 2w) or a date or moment (2026-11-01, 2026-11-01T12:00:00Z)')
    .option('--asset <symbol>', 'only the tables of this asset')
    .option('--grace <age>', `on an s3:// store, objects nothing committed names are removed only when older than this, since a writer may be publishing them: a duration (90s, 30m, 1h, 2d) (default: ${DEFAULT_GRACE})`)
    .option('--dry-run', 'print what would be removed and remove nothing')
    .addOption(jsonOption())
    .action(async (opts: { keep?: number; olderThan?: string; asset?: string; grace?: string; dryRun?: boolean; json?: boolean }) => {
      await runJobFromCli(ctx, { kind: 'gc', keep: opts.keep, olderThan: opts.olderThan, asset: opts.asset, dryRun: opts.dryRun === true }, {
        needsStore: true,
        json: opts.json === true,
        render: (result) => {
          // on a bucket: what stays there for being younger than the grace period (a writer may be publishing it)
          const bucket = ctx.workingCopy?.()?.gc ?? null;
          if (bucket === null) return { text: renderGc(result) };
          const shown = bucket.onBucket(result);
          return { json: shown, text: renderGc(shown) };
        },
      });
    });
}
