import fs from 'node:fs';
import type { Command } from 'commander';
import type { ApiResponse } from '../../core/api/contract.js';
import { BadRequestError, NotFoundError } from '../../core/errors.js';
import { MAX_INSTRUMENT_FILE_CHARS } from '../../core/instruments/instrumentRegistry.js';
import type { Instrument } from '../../core/instruments/instrumentSchema.js';
import { weekdayOf } from '../../core/time/holidayRules.js';
import { withCliSession } from '../cliSession.js';
import type { CommandContext } from '../commandContext.js';
import { jsonOption } from '../options.js';
import { renderGrid } from '../render.js';

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

type CalendarEntries = ApiResponse<'instruments.calendar'>['calendarEntries'];

/** A number as written, without float noise (0.015625 stays, 1e-7 shows as 0.0000001). */
function plain(value: number | null): string {
  if (value === null) return '—';
  return value >= 1e-6 ? String(value) : value.toFixed(12).replace(/0+$/, '');
}

function renderList(instruments: Instrument[]): string {
  const grid = renderGrid(
    ['symbol', 'name', 'exchange', 'session', 'zone', 'tick', 'point value', 'source'],
    instruments.map((i) => [i.symbol, i.name, i.exchange, i.session.id, i.timeZone, plain(i.tickSize), i.pointValue === null ? '—' : `${plain(i.pointValue)} ${i.currency}`, i.source]),
  );
  return `${grid}\n${instruments.length} instruments; mes-data instruments show SYMBOL for hours and holidays\n`;
}

function yearOption(value: string): number {
  if (!/^\d{4}$/.test(value)) throw new BadRequestError(`--year must be a year such as 2025, got "${value}"`, { year: value });
  return Number(value);
}

function renderInstrument(instrument: Instrument, year: number, holidays: CalendarEntries): string {
  const s = instrument.session;
  const lines = [
    `${instrument.symbol}  ${instrument.name}`.trimEnd(),
    `  exchange     ${instrument.exchange} (${instrument.assetClass})`,
    `  session      ${s.id}: ${s.description}`,
    `  hours        ${s.opensPreviousDay ? `${s.open} the day before to ${s.close}` : `${s.open}–${s.close}`} ${s.timeZone}; week ${instrument.hours.weeklyOpen} to ${instrument.hours.weeklyClose}${instrument.hours.dailyBreak ? `; daily break ${instrument.hours.dailyBreak}` : ''}`,
    `  zone         ${instrument.timeZone} (timestamps without an offset)`,
    `  tick         ${plain(instrument.tickSize)}${instrument.pointValue === null ? '' : `, point value ${plain(instrument.pointValue)} ${instrument.currency}`}`,
    `  calendar     ${s.calendar}${instrument.holidays.length > 0 ? ` + ${instrument.holidays.length} entries of its own` : ''}`,
    `  source       ${instrument.source}`,
    '',
    `holidays and early closes in ${year} (${s.timeZone}):`,
    holidays.length === 0 ? '  none' : renderGrid(['date', 'day', 'close', 'kind', 'name'], holidays.map((h) => [h.date, WEEKDAYS[weekdayOf(h.date)], h.close ?? 'closed', h.kind, h.name ?? ''])),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * `instruments`, `instruments show` and `instruments register`: `instruments.list`,
 * `instruments.get` with `instruments.calendar`, and `instruments.register`. They read the
 * store's instruments when the folder is a store, else the built-ins.
 */
export function registerInstrumentsCommands(program: Command, ctx: CommandContext): void {
  const instruments = program
    .command('instruments')
    .description('list the instruments this store knows: exchange, session template, zone, tick size, point value (built-in and registered)')
    .addOption(jsonOption())
    .action(async (opts: { json?: boolean }) => {
      const { instruments: list } = await withCliSession(ctx, { store: 'ifPresent', recover: false }, (cli) => cli.invoke('instruments.list', {}));
      ctx.done({ json: { instruments: list }, text: renderList(list) }, opts.json === true);
    });

  instruments
    .command('show')
    .description("one instrument (a symbol or a contract such as ESZ4) with its hours and a year's holidays and early closes")
    .argument('<symbol>', 'MES, ES, NQ, ZN, CL, GC, 6E… or a registered symbol')
    .option('--year <year>', 'the year whose holidays to list (default: this year)', yearOption)
    .addOption(jsonOption())
    .action(async (symbol: string, _opts: unknown, command: Command) => {
      const opts = command.optsWithGlobals<{ json?: boolean; year?: number }>();
      const year = opts.year ?? new Date().getUTCFullYear();
      const [instrument, holidays] = await withCliSession(ctx, { store: 'ifPresent', recover: false }, async (cli) => {
        const found = await cli.invoke('instruments.get', { symbol });
        return [found, (await cli.invoke('instruments.calendar', { symbol, year })).calendarEntries] as const;
      });
      ctx.done({ json: { ...instrument, year, calendarEntries: holidays }, text: renderInstrument(instrument, year, holidays) }, opts.json === true);
    });

  instruments
    .command('register')
    .description('validate an instrument file (one instrument, or {"instruments": […]}) and keep it in the store')
    .argument('<file>', 'an instrument JSON file (see docs/instruments.md)')
    .option('--replace', 'replace an instrument already registered with different settings')
    .addOption(jsonOption())
    .action(async (file: string, _opts: unknown, command: Command) => {
      // `instruments` has --json too: whichever of the two took it, it means this command
      const opts = command.optsWithGlobals<{ json?: boolean; replace?: boolean }>();
      const dir = ctx.storeDir();
      if (!fs.existsSync(dir)) throw new NotFoundError(`no store at ${dir}; create one with mes-data init, or pass --store`, { store: dir });
      let text: string;
      try {
        const { size } = fs.statSync(file);
        // a file far larger than any instrument list is refused before it is read
        if (size > MAX_INSTRUMENT_FILE_CHARS * 4) throw new BadRequestError(`${file} is ${size} bytes; an instrument file holds at most ${MAX_INSTRUMENT_FILE_CHARS} characters`, { path: file, bytes: size });
        text = fs.readFileSync(file, 'utf8');
      } catch (error) {
        if (error instanceof BadRequestError) throw error;
        throw new NotFoundError(`instrument file not found: ${file}`, { path: file });
      }
      const registered = await withCliSession(ctx, { store: 'ifPresent', recover: false }, (cli) => cli.invoke('instruments.register', { instrument: text, replace: opts.replace === true, source: file }));
      const lines = registered.instruments.map((r) => `${r.status} ${r.symbol} (${r.exchange}, ${r.session.id}, ${r.timeZone})`);
      ctx.done({ json: registered, text: `${lines.join('\n')}\nin ${dir}\n` }, opts.json === true);
    });
}
