import type { Command } from 'commander';
import { api } from '../../core/api/contract.js';
import { BadRequestError } from '../../core/errors.js';
import { withCliSession } from '../cliSession.js';
import type { CommandContext } from '../commandContext.js';
import { asOfOption } from '../datasetArgument.js';
import { jsonOption, wholeNumber } from '../options.js';
import { countOf, renderRows } from '../render.js';

/** `--sort close:desc,volume` → the contract's sort keys. */
function sortList(value: string): { column: string; descending: boolean }[] {
  return value.split(',').map((part) => {
    const match = /^(.+?)(?::(asc|desc))?$/.exec(part.trim());
    if (!match || match[1] === '') throw new BadRequestError(`--sort takes column[:asc|desc],…, got "${value}"`, { sort: value });
    return { column: match[1], descending: match[2] === 'desc' };
  });
}

/** The export formats the contract takes. */
const FORMATS = api['rows.export'].request.shape.format.options;
type ExportFormat = (typeof FORMATS)[number];

function formatOption(value: string): ExportFormat {
  const format = FORMATS.find((f) => f === value);
  if (!format) throw new BadRequestError(`unknown export format "${value}"; use one of ${FORMATS.join(', ')}`, { format: value });
  return format;
}

/** `query`: `rows.query` (one page, sorted or through SQL) or, with `--export`, `rows.export`. */
export function registerQueryCommand(program: Command, ctx: CommandContext): void {
  program
    .command('query')
    .description('sort a dataset or run one read-only SQL SELECT over it (bound as a view named after its asset, and as "dataset"); --export writes the result to the store\'s exports folder')
    .argument('<dataset>', 'a store path, for example cleaned/v1/MES or raw/MES/2024-01-02')
    .option('--sql <select>', 'one SELECT (or WITH … SELECT) statement')
    .option('--sort <columns>', 'column[:asc|desc],… over the whole dataset (without --sql)', sortList)
    .option('--offset <n>', 'first result row to print (0-based)', wholeNumber('offset'), 0)
    .option('--rows <n>', 'how many result rows to print (at most 5000)', wholeNumber('rows'), 20)
    .option('--export <name>', 'write every result row to exports/<name>.<format> in the store instead')
    .option('--format <format>', `the export format: one of ${FORMATS.join(', ')}`, formatOption, 'csv' as ExportFormat)
    .addOption(asOfOption())
    .addOption(jsonOption())
    .action(async (named: string, opts: { asOf?: string; sql?: string; sort?: { column: string; descending: boolean }[]; offset: number; rows: number; export?: string; format: ExportFormat; json?: boolean }) => {
      const json = opts.json === true;
      await withCliSession(ctx, { store: true }, async (cli) => {
        // --as-of: the version of the table current then; a name without it is resolved by the reader
        const dataset = opts.asOf === undefined ? named : (await cli.invoke('dataset.resolve', { path: named, asOf: opts.asOf })).path;
        if (opts.export !== undefined) {
          const written = await cli.invoke('rows.export', { path: dataset, sql: opts.sql, sort: opts.sort ?? [], format: opts.format, name: opts.export });
          ctx.done({ json: written, text: `wrote ${countOf(written.rows, 'row')} to ${written.path}${written.capped ? ' (capped)' : ''}\n${microsecondNote(written.microsecond)}` }, json);
          return;
        }
        const page = await cli.invoke('rows.query', { path: dataset, sql: opts.sql, sort: opts.sort ?? [], offset: opts.offset, limit: opts.rows });
        const records = page.rows.map((row) => Object.fromEntries(page.columns.map((c, k) => [c.name, row[k]])));
        const last = page.offset + page.rows.length;
        const note = page.microsecond.length > 0 ? `\n${page.microsecond.join(', ')}: ${opts.sql !== undefined ? 'microseconds, as DuckDB gives them' : 'sorted and filtered at microsecond precision, values exact'}` : '';
        const text = `${renderRows(page.columns, records, page.offset)}\n\nrows ${page.rows.length === 0 ? 0 : page.offset}–${last === 0 ? 0 : last - 1} of ${page.totalRows.toLocaleString('en-US')} · ${dataset}${note}\n`;
        ctx.done({ json: page, text }, json);
      });
    });
}

/** The line that says which nanosecond columns an export wrote at microsecond precision. */
function microsecondNote(columns: string[]): string {
  return columns.length === 0 ? '' : `note: ${columns.join(', ')} written to the microsecond (DuckDB's precision); their nanosecond digits are not in the export\n`;
}
