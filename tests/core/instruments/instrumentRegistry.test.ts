import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MesDataError } from '../../../core/errors.js';
import { instrumentCalendar, instrumentFor, InstrumentRegistry } from '../../../core/instruments/instrumentRegistry.js';
import type { Instrument } from '../../../core/instruments/instrumentSchema.js';
import { isTradingDate, sessionOfDate, tradingDateOfMs } from '../../../core/instruments/sessionTemplates.js';
import { initStore } from '../../../core/store/openStore.js';
import { verifyStore } from '../../../core/store/verifyStore.js';
import { tempDir } from '../../helpers/ohlcvTable.js';

function thrown(fn: () => unknown): MesDataError {
  try {
    fn();
  } catch (error) {
    if (error instanceof MesDataError) return error;
    throw error;
  }
  throw new Error('expected a MesDataError');
}

// an instrument's dates and sessions are its template's under its calendar: what ingest, validation and the chart ask of them
const tradingDateOf = (instrument: Instrument, utcMs: number) => tradingDateOfMs(instrument.session, utcMs);
function isInSession(instrument: Instrument, utcMs: number): boolean {
  const session = sessionOfDate(instrument.session, instrumentCalendar(instrument), tradingDateOf(instrument, utcMs));
  return session !== null && utcMs >= session.openMs && utcMs < session.closeMs;
}
const isInstrumentTradingDate = (instrument: Instrument, date: string) => isTradingDate(instrument.session, instrumentCalendar(instrument), date);
const utc = (iso: string) => Date.parse(iso);

const NVDA = { symbol: 'nvda', name: 'NVIDIA', exchange: 'NASDAQ', assetClass: 'equity', session: 'us_equity', tickSize: 0.01, pointValue: 1 };

describe('built-in instruments', () => {
  it('the CME futures our users trade, with exchange, session, zone, tick size and point value', () => {
    const list = new InstrumentRegistry(null).list();
    expect(list.map((i) => i.symbol)).toEqual([
      '6A', '6B', '6C', '6E', '6J', 'CL', 'ES', 'GC', 'HG', 'M2K', 'MCL', 'MES', 'MGC', 'MNQ', 'MYM', 'NG', 'NQ', 'RTY', 'SI', 'YM', 'ZB', 'ZF', 'ZN', 'ZT',
    ]);
    const mes = list.find((i) => i.symbol === 'MES');
    expect(mes).toMatchObject({
      exchange: 'CME',
      assetClass: 'equity_index',
      timeZone: 'America/Chicago',
      tickSize: 0.25,
      pointValue: 5,
      source: 'built-in',
      session: { id: 'cme_globex_equity', open: '17:00', close: '16:00', opensPreviousDay: true, calendar: 'cme_equity' },
      hours: { weeklyOpen: 'Sunday 17:00', weeklyClose: 'Friday 16:00', dailyBreak: '16:00–17:00' },
    });
    expect(list.find((i) => i.symbol === 'ZN')).toMatchObject({ exchange: 'CBOT', tickSize: 0.015625, pointValue: 1000, session: { calendar: 'cme_rates' } });
    expect(list.find((i) => i.symbol === 'CL')).toMatchObject({ exchange: 'NYMEX', tickSize: 0.01, pointValue: 1000, session: { calendar: 'cme_energy' } });
    expect(list.find((i) => i.symbol === 'GC')).toMatchObject({ exchange: 'COMEX', tickSize: 0.1, pointValue: 100, session: { calendar: 'cme_metals' } });
    expect(list.find((i) => i.symbol === '6E')).toMatchObject({ exchange: 'CME', tickSize: 0.00005, pointValue: 125_000, session: { calendar: 'cme_fx' } });
  });

  it('contracts and continuous marks resolve to their root; unknown assets get the generic fallback', () => {
    const registry = new InstrumentRegistry(null);
    expect(['ESZ4', 'MESH2025', '6EM25', 'es=f', 'NQ1!', 'MES'].map((a) => registry.find(a)?.symbol)).toEqual(['ES', 'MES', '6E', 'ES', 'NQ', 'MES']);
    expect(registry.find('NVDA')).toBeNull();
    expect(registry.find('ESX')).toBeNull();
    expect(instrumentFor(null, 'NVDA')).toMatchObject({ symbol: 'NVDA', source: 'fallback', tickSize: null, session: { id: 'cme_globex_equity', calendar: 'cme_equity' } });
    expect(instrumentFor(null, null)).toMatchObject({ symbol: 'GENERIC', source: 'fallback' });
    const error = thrown(() => registry.get('NVDA'));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toMatch(/^no instrument "NVDA"; known instruments: 6A, 6B/);
  });
});

describe('trading dates and sessions of an instrument', () => {
  const es = instrumentFor(null, 'ES');
  const nvda = new InstrumentRegistry(null).register(NVDA)[0].instrument;

  it('tradingDateOf: CME dates move to the next day at 17:00 Chicago time, DST included; stocks keep the New York date', () => {
    expect(tradingDateOf(es, utc('2024-01-07T23:00:00Z'))).toBe('2024-01-08'); // Sun 17:00 CST
    expect(tradingDateOf(es, utc('2024-01-07T22:59:00Z'))).toBe('2024-01-07'); // Sun 16:59 CST: before the open
    expect(tradingDateOf(es, utc('2024-07-07T22:00:00Z'))).toBe('2024-07-08'); // Sun 17:00 CDT
    expect(tradingDateOf(nvda, utc('2024-07-08T03:00:00Z'))).toBe('2024-07-07'); // Sun 23:00 EDT
  });

  it('isInSession: the maintenance break, the weekend, holidays and the time after a halt are outside', () => {
    const inside = (iso: string) => isInSession(es, utc(iso));
    expect(inside('2024-01-03T16:00:00Z')).toBe(true); // Wed 10:00 CST
    expect(inside('2024-01-03T22:30:00Z')).toBe(false); // 16:30 CST: maintenance break
    expect(inside('2024-01-03T23:00:00Z')).toBe(true); // 17:00 CST: next session
    expect(inside('2024-01-06T12:00:00Z')).toBe(false); // Saturday
    expect(inside('2024-12-25T15:00:00Z')).toBe(false); // Christmas
    expect(inside('2024-01-15T17:59:00Z')).toBe(true); // MLK Day 11:59 CST
    expect(inside('2024-01-15T18:00:00Z')).toBe(false); // the 12:00 CST halt
    expect(isInSession(nvda, utc('2024-07-03T16:59:00Z'))).toBe(true); // 12:59 EDT on an early close
    expect(isInSession(nvda, utc('2024-07-03T17:00:00Z'))).toBe(false);
    expect(isInSession(nvda, utc('2024-07-05T13:29:00Z'))).toBe(false); // 09:29 EDT
  });

  it('trading dates: weekdays without a holiday; MLK Day is a holiday for CME, Black Friday is not', () => {
    expect(['2024-01-15', '2024-11-29', '2024-01-13', '2024-01-16'].map((d) => isInstrumentTradingDate(es, d))).toEqual([false, true, false, true]);
    expect(isInstrumentTradingDate(nvda, '2025-01-09')).toBe(false);
  });
});

describe('registering instruments in a store', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  function store(): string {
    const made = tempDir();
    cleanup = made.cleanup;
    return made.dir;
  }

  it('a registered instrument is kept in <store>/instruments and found again after a restart', () => {
    const dir = store();
    const [registered] = new InstrumentRegistry(dir).register(JSON.stringify(NVDA), { source: 'nvda.json' });
    expect(registered).toMatchObject({ status: 'created', instrument: { symbol: 'NVDA', source: 'store', timeZone: 'America/New_York', session: { id: 'us_equity', calendar: 'nyse' } } });
    expect(fs.existsSync(path.join(dir, 'instruments', 'NVDA.json'))).toBe(true);
    expect(instrumentFor(dir, 'nvda')).toMatchObject({ symbol: 'NVDA', source: 'store', tickSize: 0.01 });
    expect(new InstrumentRegistry(dir).register(NVDA)[0].status).toBe('unchanged');
  });

  it('different settings for a registered symbol are refused unless replaced; a built-in may be overridden', () => {
    const dir = store();
    const registry = new InstrumentRegistry(dir);
    registry.register(NVDA);
    const error = thrown(() => registry.register({ ...NVDA, tickSize: 0.05 }));
    expect(error.code).toBe('ALREADY_EXISTS');
    expect(error.message).toBe('instrument "NVDA" already registered with different settings in the store; pass --replace to replace');
    expect(instrumentFor(dir, 'NVDA').tickSize).toBe(0.01);
    expect(registry.register({ ...NVDA, tickSize: 0.05 }, { replace: true })[0].status).toBe('replaced');
    expect(instrumentFor(dir, 'NVDA').tickSize).toBe(0.05);
    const [es] = registry.register({ symbol: 'ES', exchange: 'CME', session: 'cme_globex_equity', timeZone: 'America/New_York', tickSize: 0.25, pointValue: 50 });
    expect(es).toMatchObject({ status: 'created', instrument: { source: 'store', timeZone: 'America/New_York', session: { timeZone: 'America/Chicago' } } });
    expect(instrumentFor(dir, 'ESZ4').timeZone).toBe('America/New_York');
  });

  it('a file may hold several instruments, with a custom session template and holidays of its own', () => {
    const dir = store();
    const file = {
      instruments: [
        NVDA,
        {
          symbol: 'FDAX',
          exchange: 'EUREX',
          session: { id: 'eurex_index', timeZone: 'Europe/Berlin', open: '01:10', close: '22:00', opensPreviousDay: false, calendar: 'none' },
          tickSize: 0.5,
          pointValue: 25,
          currency: 'EUR',
          holidays: [{ date: '2024-12-24' }, { date: '2024-12-31', close: '14:00' }],
        },
      ],
    };
    const result = new InstrumentRegistry(dir).register(file);
    expect(result.map((r) => [r.instrument.symbol, r.status])).toEqual([
      ['NVDA', 'created'],
      ['FDAX', 'created'],
    ]);
    const fdax = instrumentFor(dir, 'FDAX');
    expect(fdax).toMatchObject({ currency: 'EUR', timeZone: 'Europe/Berlin', hours: { weeklyOpen: 'Monday 01:10', weeklyClose: 'Friday 22:00', dailyBreak: null } });
    expect(isInSession(fdax, utc('2024-12-24T10:00:00Z'))).toBe(false);
    expect(isInSession(fdax, utc('2024-12-31T12:59:00Z'))).toBe(true); // 13:59 CET
    expect(isInSession(fdax, utc('2024-12-31T13:00:00Z'))).toBe(false);
  });

  it('invalid files are refused with every problem named, nothing written', () => {
    const dir = store();
    const registry = new InstrumentRegistry(dir);
    const bad = thrown(() => registry.register({ symbol: 'X Y', exchange: 'CME', session: 'globex', tickSize: -1, timeZone: 'Mars/Olympus' }, { source: 'bad.json' }));
    expect(bad.code).toBe('BAD_REQUEST');
    expect(bad.message).toBe(
      'bad.json is not a valid instrument file: symbol: upper-case letters, digits, ".", "_" or "-", at most 32; tickSize: Too small: expected number to be >0; ' +
        'session: unknown session template "globex"; known: cme_globex_equity, cme_globex_rates, cme_globex_energy, cme_globex_metals, cme_globex_fx, utc_24x7, us_equity; timeZone: unknown time zone "Mars/Olympus"',
    );
    expect((bad.details.issues as { path: string }[]).map((i) => i.path)).toEqual(['symbol', 'tickSize', 'session', 'timeZone']);
    expect(thrown(() => registry.register('{"symbol":', { source: 'cut.json' })).message).toMatch(/^cut\.json is not valid JSON: /);
    const hours = thrown(() => registry.register({ symbol: 'XY', exchange: 'X', session: { id: 'x', timeZone: 'UTC', open: '16:00', close: '09:00', opensPreviousDay: false, calendar: 'none' } }));
    expect(hours.message).toBe('instrument file is not a valid instrument file: session.close: close 09:00 is not after open 16:00 on the same day');
    const huge = thrown(() => registry.register(' '.repeat(8 * 1024 * 1024 + 1), { source: 'huge.json' }));
    expect([huge.code, huge.message]).toEqual(['BAD_REQUEST', 'huge.json is 8388609 characters; an instrument file holds at most 8388608']);
    const twice = thrown(() => registry.register({ instruments: [NVDA, NVDA] }, { source: 'two.json' }));
    expect(twice.message).toBe('two.json lists instrument "NVDA" twice');
    expect(fs.existsSync(path.join(dir, 'instruments'))).toBe(false);
  });

  it('verify accepts the instruments folder; a symbolic link in it is refused and reported', async () => {
    const dir = store();
    const { store: opened } = await initStore(path.join(dir, 's'));
    new InstrumentRegistry(opened.root).register(NVDA);
    expect(await verifyStore(opened)).toMatchObject({ ok: true, problems: [] });
    fs.writeFileSync(path.join(dir, 'elsewhere.json'), JSON.stringify({ ...NVDA, symbol: 'AMD' }));
    fs.symlinkSync(path.join(dir, 'elsewhere.json'), path.join(opened.root, 'instruments', 'AMD.json'));
    const error = thrown(() => instrumentFor(opened.root, 'ES'));
    expect(error.code).toBe('SYMLINK');
    expect(error.details).toMatchObject({ path: 'instruments/AMD.json' });
    const verified = await verifyStore(opened);
    expect(verified.ok).toBe(false);
    expect(verified.problems.map((p) => [p.path, p.code])).toEqual([['instruments/AMD.json', 'SYMLINK']]);
  });

  it('a corrupt file in the store is named when the registry reads it', () => {
    const dir = store();
    fs.mkdirSync(path.join(dir, 'instruments'));
    fs.writeFileSync(path.join(dir, 'instruments', 'BAD.json'), '{"symbol": "BAD"}');
    const error = thrown(() => instrumentFor(dir, 'ES'));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain(`${path.join(dir, 'instruments', 'BAD.json')} is not a valid instrument file: exchange:`);
  });
});

describe('the sessions of an instrument', () => {
  it('agree with Intl\'s reading of Chicago wall time, every 5 minutes of the week of the March DST change', () => {
    const es = instrumentFor(null, 'ES');
    // a session is Sun–Thu 17:00 to the next day's 16:00 (trading dates Mon–Fri), the date moves at 17:00
    const chicago = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Chicago', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', weekday: 'short' });
    let disagreements = 0;
    let inside = 0;
    for (let t = Date.parse('2024-03-07T00:00:00Z'); t < Date.parse('2024-03-14T00:00:00Z'); t += 300_000) {
      const p = Object.fromEntries(chicago.formatToParts(new Date(t)).map((x) => [x.type, x.value]));
      const hour = Number(p.hour);
      const expectedDay = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day)) / 86_400_000 + (hour >= 17 ? 1 : 0);
      const expectedIn = hour !== 16 && !(p.weekday === 'Fri' && hour >= 17) && p.weekday !== 'Sat' && !(p.weekday === 'Sun' && hour < 17);
      if (Date.parse(`${tradingDateOf(es, t)}T00:00:00Z`) / 86_400_000 !== expectedDay || isInSession(es, t) !== expectedIn) disagreements++;
      if (expectedIn) inside++;
    }
    // Wed 18:00 CST to Thu 16:00 (22 h), four full 23-hour sessions, Wed 17:00–19:00 CDT (2 h): 116 hours
    expect([disagreements, inside]).toEqual([0, 116 * 12]);
  });
});
