import type { Command } from 'commander';
import type { JobResult } from '../../core/api/contract.js';
import type { CommandContext } from '../commandContext.js';
import { runJobFromCli } from '../jobRunner.js';
import { jsonOption } from '../options.js';
import { countOf, formatBytes } from '../render.js';

/** What sync copied (a dry run: would copy), one line an object, then the totals. */
function renderSync(result: JobResult<'sync'>): string {
  const lines = result.dryRun ? result.files.map((f) => `copy  ${f.key}  ${formatBytes(f.bytes)}  (${f.reason === 'missing' ? 'missing' : `${f.reason} differs`})`) : [];
  const verb = result.dryRun ? 'dry run: would copy' : 'copied';
  const extra = result.extra > 0 ? `; ${countOf(result.extra, 'object')} only in ${result.to} left as they are` : '';
  const summary = `${verb} ${countOf(result.copied, 'object')} (${formatBytes(result.bytes)}) from ${result.from} to ${result.to}; ${countOf(result.skipped, 'object')} (${formatBytes(result.skippedBytes)}) already there${extra}`;
  return `${lines.length > 0 ? `${lines.join('\n')}\n\n` : ''}${summary}\n`;
}

/** `sync FROM TO`: the sync job (core/sync/syncStores.ts), between folders and s3:// stores. */
export function registerSyncCommand(program: Command, ctx: CommandContext): void {
  program
    .command('sync')
    .description('copy a whole store between a folder and s3://bucket/prefix (either way): resumable, hashes checked, the store marker written last')
    .argument('<from>', 'the store to copy: a folder or s3://bucket/prefix')
    .argument('<to>', 'where to: a folder or s3://bucket/prefix, empty or a copy of the same store')
    .option('--dry-run', 'compare and print what would be copied; write nothing')
    .addOption(jsonOption())
    .action(async (from: string, to: string, opts: { dryRun?: boolean; json?: boolean }) => {
      await runJobFromCli(ctx, { kind: 'sync', from, to, dryRun: opts.dryRun === true }, { needsStore: false, stages: true, json: opts.json === true, render: (result) => ({ text: renderSync(result) }) });
    });
}
