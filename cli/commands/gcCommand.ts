import type { Command } from 'commander';
import type { JobResult } from '../../core/api/contract.js';
import type { CommandContext } from '../commandContext.js';
import { runJobFromCli } from '../jobRunner.js';
import { jsonOption, wholeNumber } from '../options.js';
import { formatBytes } from '../render.js';

/** What gc removed (or would), one line a version and a file, then the totals. */
function renderGc(result: JobResult<'gc'>): string {
  const verb = result.dryRun ? 'would remove' : 'removed';
  const lines = [
    ...result.versions.map((v) => `version  ${v.path}${v.committedAt ? `  (committed ${v.committedAt})` : ''}`),
    ...result.files.map((f) => `file     ${f.path}  ${formatBytes(f.bytes)}`),
  ];
  const summary = `${result.dryRun ? 'dry run: ' : ''}${verb} ${result.versions.length} version(s) and ${result.files.length} file(s), ${formatBytes(result.bytes)}, in ${result.tables} table(s)`;
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
    .option('--dry-run', 'print what would be removed and remove nothing')
    .addOption(jsonOption())
    .action(async (opts: { keep?: number; olderThan?: string; asset?: string; dryRun?: boolean; json?: boolean }) => {
      await runJobFromCli(ctx, { kind: 'gc', keep: opts.keep, olderThan: opts.olderThan, asset: opts.asset, dryRun: opts.dryRun === true }, {
        needsStore: true,
        json: opts.json === true,
        render: (result) => ({ text: renderGc(result) }),
      });
    });
}
