import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { Mode } from '../../core/api/contract.js';
import { NotFoundError } from '../../core/errors.js';
import type { DataSchema } from '../../core/schema/dataSchema.js';
import type { EnforcementMode, ValidationIssue, ValidationReport } from '../../core/validation/issueRows.js';
import { withCliSession } from '../cliSession.js';
import type { CommandContext } from '../commandContext.js';
import { asOfOption, datasetAsOf } from '../datasetArgument.js';
import { EXIT_INVALID, EXIT_OK } from '../exitCodes.js';
import { runJobFromCli } from '../jobRunner.js';
import { jsonOption } from '../options.js';
import { countOf, renderGrid } from '../render.js';

function describeType(column: DataSchema['columns'][number]): string {
  const types = Array.isArray(column.type) ? column.type.join(' | ') : column.type;
  return column.type === 'timestamp' ? `timestamp[${column.unit ?? 'ns'}${column.timezone === null ? '' : `, ${column.timezone ?? 'UTC'}`}]` : types;
}

function issueLine(issue: ValidationIssue): string {
  const rows = issue.rows.length > 0 ? `; rows ${issue.rows.slice(0, 10).join(', ')}${issue.count > 10 ? ', …' : ''}` : '';
  return `  ${issue.severity === 'error' ? 'error  ' : 'warning'} ${issue.rule}: ${issue.message}${rows}`;
}

export function renderReport(report: ValidationReport): string {
  const lines = [
    `${report.valid ? 'valid' : 'INVALID'}: ${report.target} against ${report.schema} ${report.schemaVersion} (${report.mode}), ${countOf(report.rowCount, 'row')}, ${countOf(report.errors.length, 'error')}, ${countOf(report.warnings.length, 'warning')}`,
    ...report.errors.map(issueLine),
    ...report.warnings.map(issueLine),
  ];
  const m = report.metrics;
  lines.push(
    `  cells filled ${m.completenessPercentage >= 100 ? '100' : (Math.floor(m.completenessPercentage * 100) / 100).toFixed(2)}% · duplicate timestamps ${m.duplicateTimestamps} · gaps ${m.gapCount} · missing bars ${m.missingBars}${m.barIntervalSeconds ? ` · bar interval ${m.barIntervalSeconds}s` : ''}`,
  );
  for (const [column, c] of Object.entries(report.coercions)) lines.push(`  converted ${column}: ${c.from} → ${c.to} (${c.count} values)`);
  return `${lines.join('\n')}\n`;
}

/** `schemas`, `schemas register` and `validate`: `schemas.list`, `schemas.register` and the validate job. */
export function registerValidationCommands(program: Command, ctx: CommandContext): void {
  const schemas = program
    .command('schemas')
    .description('list the schemas this store knows (built-in and registered)')
    .addOption(jsonOption())
    .action(async (opts: { json?: boolean }) => {
      // the store's schemas when the folder is a store, else the built-in ones
      const { schemas: list } = await withCliSession(ctx, { store: 'ifPresent', recover: false }, (cli) => cli.invoke('schemas.list', {}));
      const text = list
        .map((schema) => {
          const grid = renderGrid(
            ['column', 'type', 'required', 'nullable'],
            schema.columns.map((c) => [c.name, describeType(c), c.required ? 'yes' : 'no', c.nullable ? 'yes' : 'no']),
          );
          return `${schema.name} ${schema.version}: ${schema.description}\n${grid}\nrules: ${Object.keys(schema.rules).join(', ')}\n`;
        })
        .join('\n');
      ctx.done({ json: { schemas: list }, text }, opts.json === true);
    });

  schemas
    .command('register')
    .description('validate a schema file and keep it in the store')
    .argument('<file>', 'a schema JSON file (see schema/data_schema.schema.json)')
    .addOption(jsonOption())
    .action(async (file: string, _opts: unknown, command: Command) => {
      // `schemas` has --json too: whichever of the two took it, it means this command
      const opts = command.optsWithGlobals<{ json?: boolean }>();
      const dir = ctx.storeDir();
      if (!fs.existsSync(dir)) throw new NotFoundError(`no store at ${dir}; create one with mes-data init, or pass --store`, { store: dir });
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch {
        throw new NotFoundError(`schema file not found: ${file}`, { path: file });
      }
      const schema = await withCliSession(ctx, { store: 'ifPresent', recover: false }, (cli) => cli.invoke('schemas.register', { schema: text, source: file }));
      ctx.done({ json: schema, text: `registered ${schema.name} ${schema.version} in ${dir}\n` }, opts.json === true);
    });

  program
    .command('validate')
    .description('validate a file or a store dataset against a schema and its trading rules; exit 1 when invalid')
    .argument('<target>', 'a Parquet or CSV file, or a dataset in the store (raw/MES/2024-01-15, cleaned/v1/MES)')
    // the same default as promote: bars are what people validate first
    .option('--schema <name>', 'schema name (see mes-data schemas)', 'ohlcv')
    .addOption(new Option('--mode <mode>', 'schema enforcement').choices(Mode.options).default('strict'))
    .option('--timezone <zone>', 'zone for naive timestamps in coerce mode (default: the schema exchange zone)')
    .option('--instrument <symbol>', "the instrument whose sessions and holidays session_gap follows (default: the rows' or the path's asset; see mes-data instruments)")
    .addOption(asOfOption())
    .addOption(jsonOption())
    .action(async (named: string, opts: { schema: string; mode: EnforcementMode; timezone?: string; instrument?: string; asOf?: string; json?: boolean }) => {
      // --as-of: the version of the table current then (cleaned/MES --as-of … → cleaned/v2/MES)
      const target = await datasetAsOf(ctx, named, opts.asOf);
      // a file on disk is validated as it is; anything else is a dataset inside the store
      // (raw/MES/2024-01-15, cleaned/v1/MES) — the validate job, as the app runs it
      const isFile = fs.existsSync(target) && fs.statSync(target).isFile();
      const store = ctx.storeDir();
      if (!isFile && !fs.existsSync(store)) throw new NotFoundError(`${target} is neither a file nor a dataset: there is no store at ${store}`, { path: target, store });
      await runJobFromCli(
        ctx,
        // the report names a file as it was typed; the job reads it by its absolute path
        { kind: 'validate', target: isFile ? path.resolve(target) : target, label: target, schema: opts.schema, mode: opts.mode, timezone: opts.timezone, instrument: opts.instrument },
        {
          // the store's schemas and instruments (session_gap), for a file too, when there is one
          needsStore: 'ifPresent',
          recover: false,
          json: opts.json === true,
          render: (report) => {
            return { text: renderReport(report), exitCode: report.valid ? EXIT_OK : EXIT_INVALID };
          },
        },
      );
    });
}
