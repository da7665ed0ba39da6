import type { Command } from 'commander';
import type { JobResult } from '../../core/api/contract.js';
import type { CommandContext } from '../commandContext.js';
import { runJobFromCli } from '../jobRunner.js';
import { jsonOption } from '../options.js';
import { formatBytes } from '../render.js';

/** What migrate did (or, in a dry run, would do): one line a table, then the total. */
function renderMigrate(result: JobResult<'migrate'>): string {
  if (result.status === 'current') return `${result.store} already has format 2; nothing to do\n`;
  const revisions = `${result.rawRevisions} older raw revision(s)`;
  const supersededTree = 'catalog/raw/{ASSET}/superseded/';
  if (result.tables.length === 0 && result.rawSidecars === 0) {
    // a store of format 2 whose raw date folders still held older revisions
    return result.dryRun
      ? `dry run: ${result.store} would move ${revisions} out of their date folders to ${supersededTree}; nothing changed\n`
      : `moved ${revisions} of ${result.store} out of their date folders to ${supersededTree}\n`;
  }
  const moved = result.rawRevisions > 0 ? `, ${revisions} ${result.dryRun ? 'to move' : 'moved'} to ${supersededTree}` : '';
  const lines = result.tables.map(
    (t) => `${t.table}  ${t.versions.map((v) => `v${v}`).join(', ')}  ${t.filesMoved} file(s) ${result.dryRun ? 'to move' : 'moved'}, ${t.filesShared} shared, ${formatBytes(t.bytes)}`,
  );
  const head =
    result.status === 'dry-run'
      ? `dry run: ${result.store} would move ${result.rawSidecars} raw sidecar(s) to catalog/raw and become ${result.tables.length} table(s)${moved}; nothing changed`
      : `${result.status === 'resumed' ? 'finished the interrupted migration of' : 'migrated'} ${result.store} to format 2: ${result.rawSidecars} raw sidecar(s) moved to catalog/raw, ${result.tables.length} table(s)${moved}`;
  return `${[head, ...lines].join('\n')}\n`;
}

/** `migrate`: the migrate job (core/store/migrateStore.ts) on the store folder, which cannot be opened before. */
export function registerMigrateCommand(program: Command, ctx: CommandContext): void {
  program
    .command('migrate')
    .description('convert a store of format 1 to format 2 in place (crash-safe: run it again after an interruption to finish)')
    .option('--dry-run', 'say what would move and change nothing')
    .addOption(jsonOption())
    .action(async (opts: { dryRun?: boolean; json?: boolean }) => {
      await runJobFromCli(ctx, { kind: 'migrate', store: ctx.storeDir(), dryRun: opts.dryRun === true }, { needsStore: false, json: opts.json === true, render: (result) => ({ text: renderMigrate(result) }) });
    });
}
