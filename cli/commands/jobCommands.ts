import path from 'node:path';
import { Option, type Command } from 'commander';
import { BadRequestError } from '../../core/errors.js';
import type { IngestResult } from '../../core/store/ingestIntoStore.js';
import type { Compression } from '../../core/parquet/writeParquet.js';
import type { EnforcementMode } from '../../core/validation/issueRows.js';
import { Compression as Compressions, FEATURE_PARAMETER_DEFAULTS, FeatureSetName, Mode, OnBadRows, OnInvalid } from '../../core/api/contract.js';
import type { CommandContext } from '../commandContext.js';
import { datasetAsOf } from '../datasetArgument.js';
import { runJobFromCli } from '../jobRunner.js';
import { jsonOption } from '../options.js';
import { cellToText, countOf, renderGrid } from '../render.js';
import { renderReport } from './validationCommands.js';

function dateOption(name: string) {
  return new Option(`--${name} <date>`, `${name === 'from' ? 'first' : 'last'} trading date (YYYY-MM-DD)`).argParser((value: string) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) throw new BadRequestError(`--${name} takes a date YYYY-MM-DD, got "${value}"`);
    return value;
  });
}

/**
 * `--param name=value`, repeatable: a feature build's parameters as numbers (the contract
 * checks names and ranges; a value that is not a number is BAD_REQUEST here, naming it).
 */
function collectParam(value: string, previous: Record<string, number> = {}): Record<string, number> {
  const match = /^([A-Za-z]+)=(.+)$/.exec(value);
  if (!match) throw new BadRequestError(`--param takes name=value (e.g. rsiPeriod=21), got "${value}"`, { param: value });
  const number = Number(match[2]);
  if (match[2].trim() === '' || !Number.isFinite(number)) throw new BadRequestError(`--param ${match[1]} takes a number, got "${match[2]}"`, { param: value });
  return { ...previous, [match[1]]: number };
}

/** Which zone naive times of a file were read in, and why. */
function zoneLine(f: IngestResult['files'][number]): string {
  const i = f.instrument;
  if (f.timezoneSource === 'option') return `${f.timezone}, from --tz`;
  if (f.timezoneSource === 'fallback') return `${f.timezone}, the default for an asset no instrument names (${i.symbol}; register one with mes-data instruments register)`;
  return `${f.timezone}, the zone of instrument ${i.symbol} (${i.exchange}, ${i.source}); --tz to read another`;
}

/** `a, b or c`: a contract enum's choices in a help text. */
function inWords(choices: readonly string[]): string {
  return choices.length < 2 ? choices.join('') : `${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1]}`;
}

function renderIngest(r: IngestResult): string {
  const lines: string[] = [];
  for (const f of r.files) {
    const dialect = f.dialect;
    const described = dialect.format === 'csv' ? `CSV, delimiter ${JSON.stringify(dialect.delimiter)}, ${dialect.header ? 'header' : 'no header'}, decimal ${JSON.stringify(dialect.decimal)}` : f.format;
    lines.push(`${f.name}: ${described}; ${f.dateSpan ? `${f.dateSpan.first} … ${f.dateSpan.last}` : 'no rows'}`);
    lines.push(`  mapping: ${Object.entries(f.mapping).map(([to, from]) => `${to} ← ${from}`).join(', ')}`);
    // daily bars have no time of day: no zone applies to them, none is printed
    if (!f.timestamp.dateOnly) lines.push(`  zone: ${zoneLine(f)}`);
    for (const w of f.sessionWarnings) lines.push(`  warning: ${w.message}`);
    if (f.dst.gaps + f.dst.repeats > 0) lines.push(`  daylight saving: ${f.dst.gaps} time(s) in a gap (${f.dst.gapPolicy}), ${f.dst.repeats} repeated (${f.dst.repeatPolicy})`);
    if (f.preview && f.preview.length > 0) {
      const columns = Object.keys(f.preview[0]);
      lines.push(renderGrid(columns, f.preview.slice(0, 10).map((row) => columns.map((c) => cellToText(row[c])))).replace(/^/gm, '  '));
    }
  }
  lines.push(`${countOf(r.rowsRead, 'row')} read, ${r.rowsWritten.toLocaleString('en-US')} ${r.dryRun ? 'would be written' : 'written'}`);
  for (const s of r.snapshots) {
    const status = s.status === 'dry-run' ? `would be ${s.wouldBe ?? 'written'}` : s.status.padEnd(9);
    lines.push(`  ${status} ${s.path}  ${countOf(s.rows, 'row')}${s.supersedes ? ` (revision of ${s.supersedes})` : ''}`);
  }
  if (r.badRowCount > 0) {
    lines.push(`${r.badRowCount} bad row(s)${r.dryRun ? '' : ', skipped'}:`);
    for (const b of r.badRows.slice(0, 20)) lines.push(`  ${b.file}:${b.line}: ${b.reason}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `ingest`, `promote`, `features build` and `diff`: jobs in worker threads, with progress and Ctrl-C. */
export function registerJobCommands(program: Command, ctx: CommandContext): void {
  program
    .command('ingest')
    .description("read market data files (CSV/TSV, Parquet, Arrow IPC, JSON Lines) into raw snapshots, one per trading date of the asset's instrument")
    .argument('<files...>', 'files to ingest')
    .option('--asset <sym>', 'contract root, e.g. MES (default: from the file name when it names one)')
    .option('--tz <zone>', "zone of timestamps without an offset (default: the asset's instrument's zone, America/Chicago for CME futures and unknown assets)")
    .option('--dry-run', 'show what would be written; write nothing')
    .addOption(new Option('--on-bad-rows <policy>', 'fail: write nothing when a row is malformed; skip: write the rest').choices(OnBadRows.options).default('fail'))
    .option('--revise', 'store a snapshot whose date already holds other rows as its next revision (name.rev1.parquet) instead of failing')
    // no default value: commander would print it in the help as "(default: {})"
    .option('--map <target=source>', 'use this source column for a target column, e.g. --map close=Last (repeatable; default: detected from the header)', (value: string, previous: Record<string, string> | undefined) => {
      const at = value.indexOf('=');
      if (at <= 0) throw new BadRequestError(`--map takes target=source, got "${value}"`, { map: value });
      return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
    })
    .addOption(jsonOption())
    .action(async (files: string[], opts: { asset?: string; tz?: string; dryRun?: boolean; onBadRows: 'fail' | 'skip'; revise?: boolean; map?: Record<string, string>; json?: boolean }) => {
      await runJobFromCli(
        ctx,
        { kind: 'ingest', files: files.map((f) => path.resolve(f)), asset: opts.asset, timezone: opts.tz, dryRun: opts.dryRun === true, onBadRows: opts.onBadRows, mapping: opts.map, revise: opts.revise === true },
        { needsStore: true, json: opts.json === true, render: (result) => ({ text: renderIngest(result) }) },
      );
    });

  program
    .command('promote')
    .description('validate raw snapshots of an asset and write them, cleaned, as a new version')
    .requiredOption('--asset <sym>', 'contract root, e.g. MES')
    .addOption(dateOption('from'))
    .addOption(dateOption('to'))
    .option('--schema <name>', 'schema to validate against', 'ohlcv')
    .addOption(new Option('--mode <mode>', 'schema enforcement').choices(Mode.options).default('strict'))
    .addOption(new Option('--on-invalid <policy>', 'fail: stop at any error; drop: remove offending rows').choices(OnInvalid.options).default('fail'))
    .addOption(new Option('--compression <codec>', 'codec of the new version').choices(Compressions.options).default('zstd'))
    .option('--message <text>', 'changelog message', '')
    .option('--dry-run', 'check the gate only; write nothing')
    .addOption(new Option('--append', 'add only the dates the newest version lacks; keep all of its dates').conflicts('replace'))
    .option('--replace', 'promote again exactly the dates from --from to --to; keep the newest version\'s other dates')
    .addOption(jsonOption())
    .action(async (opts: { asset: string; from?: string; to?: string; schema: string; mode: EnforcementMode; onInvalid: 'fail' | 'drop'; compression: Compression; message: string; dryRun?: boolean; append?: boolean; replace?: boolean; json?: boolean }) => {
      await runJobFromCli(
        ctx,
        { kind: 'promote', asset: opts.asset, from: opts.from, to: opts.to, schema: opts.schema, mode: opts.mode, onInvalid: opts.onInvalid, compression: opts.compression, message: opts.message, dryRun: opts.dryRun === true, append: opts.append === true, replace: opts.replace === true },
        {
          needsStore: true,
          json: opts.json === true,
          render: (r) => {
            const dropped = Object.entries(r.dropped).map(([rule, n]) => `${rule} ${n}`).join(', ');
            const head =
              r.status === 'dry-run'
                ? `gate passed for ${opts.asset}: ${countOf(r.rows, 'row')} from ${countOf(r.inputs.length, 'file')} would be promoted\n`
                : `${r.status === 'created' ? 'created' : 'unchanged:'} ${r.path} (${r.version}): ${countOf(r.rows, 'row')} from ${countOf(r.inputs.length, 'raw file')}${dropped ? `; dropped ${dropped}` : ''}\n` +
                  (r.status === 'created' ? `${r.dates.by === 'year' ? 'years' : 'dates'}: ${r.dates.shared} shared with the version before, ${r.dates.written} written, ${r.dates.removed} left out\n` : '');
            return { text: head + renderReport(r.report) };
          },
        },
      );
    });

  const features = program.command('features').description('feature sets built from cleaned data');
  features
    .command('build')
    .description('build a feature set from a cleaned version of an asset')
    .argument('<set>', inWords(FeatureSetName.options))
    .requiredOption('--asset <sym>', 'contract root, e.g. MES')
    .option('--from <version>', 'cleaned version to build from (default: the newest), e.g. v2')
    .option('--param <name=value>', `a parameter of the set, repeatable (${Object.entries(FEATURE_PARAMETER_DEFAULTS).map(([name, value]) => `${name}=${value}`).join(', ')})`, collectParam)
    .addOption(jsonOption())
    .action(async (set: string, _opts: unknown, command: Command) => {
      const opts = command.optsWithGlobals<{ asset: string; from?: string; param?: Record<string, number>; json?: boolean }>();
      // the set and the parameters are checked by the contract (BAD_REQUEST naming them), as the app's requests are
      await runJobFromCli(ctx, { kind: 'features', set: set as FeatureSetName, asset: opts.asset, from: opts.from, parameters: opts.param }, {
        needsStore: true,
        json: opts.json === true,
        render: (r) => {
          return { text: `${r.status === 'created' ? 'created' : 'unchanged:'} ${r.path} (${r.version}): ${countOf(r.rows, 'row')} from ${countOf(r.inputs.length, 'cleaned file')}\n` };
        },
      });
    });

  program
    .command('diff')
    .description('what changed between two versions: schema, and rows added, removed or changed by timestamp')
    .argument('<a>', 'a dataset path in the store (cleaned/v1/MES) or a Parquet file')
    .argument('<b>', 'the other one')
    .option('--as-of <moment>', 'read <a> as the version of its table current at this moment (ISO 8601); <b> as it is named')
    .addOption(jsonOption())
    .action(async (namedA: string, b: string, opts: { asOf?: string; json?: boolean }) => {
      const a = await datasetAsOf(ctx, namedA, opts.asOf);
      await runJobFromCli(ctx, { kind: 'diff', a, b }, {
        needsStore: !a.startsWith('/') || !b.startsWith('/'),
        json: opts.json === true,
        render: (d) => {
          const lines = [
            `${a} → ${b} (rows matched by ${d.key.join(' and ')})`,
            `schema: ${d.schema.added.length} added, ${d.schema.removed.length} removed, ${d.schema.changed.length} changed${[...d.schema.added.map((c) => ` +${c.name}`), ...d.schema.removed.map((c) => ` -${c.name}`), ...d.schema.changed.map((c) => ` ~${c.name} ${c.from}→${c.to}`)].join('')}`,
            `rows: ${d.rows.added} added, ${d.rows.removed} removed, ${d.rows.changed} changed, ${d.rows.unchanged} unchanged`,
            ...Object.entries(d.changedColumns).map(([column, n]) => `  ${column}: ${n} value(s) changed`),
            ...d.samples.slice(0, 10).map((s) => `  ${s.kind} ${JSON.stringify(s.key)}${s.changes ? ` ${JSON.stringify(s.changes)}` : ''}`),
          ];
          return { text: `${lines.join('\n')}\n` };
        },
      });
    });
}
