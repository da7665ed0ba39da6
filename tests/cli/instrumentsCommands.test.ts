import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeParquet } from '../../core/parquet/writeParquet.js';
import { barsAt, barsTable } from '../helpers/barsTable.js';
import { tempDir } from '../helpers/ohlcvTable.js';
import { runCli, runCliJson } from '../helpers/runCli.js';

describe('mes-data instruments', () => {
  const { dir, cleanup } = tempDir();
  const store = path.join(dir, 'store');
  const nvda = path.join(dir, 'nvda.json');

  beforeAll(async () => {
    expect((await runCli('--store', store, 'init')).code).toBe(0);
    fs.writeFileSync(nvda, JSON.stringify({ symbol: 'NVDA', name: 'NVIDIA', exchange: 'NASDAQ', assetClass: 'equity', session: 'us_equity', tickSize: 0.01, pointValue: 1 }));
  });
  afterAll(cleanup);

  it('lists the built-in instruments as {instruments:[…]}', async () => {
    const run = await runCliJson('--store', store, 'instruments');
    expect(run.code).toBe(0);
    const list = (run.json as { instruments: { symbol: string; exchange: string; timeZone: string; tickSize: number; pointValue: number; source: string }[] }).instruments;
    expect(list).toHaveLength(24);
    expect(list.find((i) => i.symbol === 'ES')).toMatchObject({ exchange: 'CME', timeZone: 'America/Chicago', tickSize: 0.25, pointValue: 50, source: 'built-in' });
    const text = await runCli('--store', store, 'instruments');
    expect(text.stdout).toContain('ZN      10-Year T-Note');
    expect(text.stdout).toMatch(/24 instruments; mes-data instruments show SYMBOL for hours and holidays\n$/);
  });

  it('register keeps an instrument in the store; again it is unchanged; different settings exit 6 unless --replace', async () => {
    const run = await runCliJson('--store', store, 'instruments', 'register', nvda);
    expect(run.code).toBe(0);
    expect((run.json as { instruments: unknown[] }).instruments).toMatchObject([{ symbol: 'NVDA', status: 'created', source: 'store', timeZone: 'America/New_York' }]);
    expect(fs.existsSync(path.join(store, 'instruments', 'NVDA.json'))).toBe(true);
    const again = await runCli('--store', store, 'instruments', 'register', nvda);
    expect(again.stdout).toBe(`unchanged NVDA (NASDAQ, us_equity, America/New_York)\nin ${store}\n`);
    const changed = path.join(dir, 'nvda2.json');
    fs.writeFileSync(changed, JSON.stringify({ symbol: 'NVDA', exchange: 'NASDAQ', session: 'us_equity', tickSize: 0.05 }));
    const refused = await runCliJson('--store', store, 'instruments', 'register', changed);
    expect(refused.code).toBe(6);
    expect(refused.json).toMatchObject({ error: { code: 'ALREADY_EXISTS', details: { symbols: ['NVDA'] } } });
    const replaced = await runCliJson('--store', store, 'instruments', 'register', changed, '--replace');
    expect(replaced.code).toBe(0);
    expect((replaced.json as { instruments: unknown[] }).instruments).toMatchObject([{ symbol: 'NVDA', status: 'replaced', tickSize: 0.05 }]);
  });

  it('a bad file exits 2 naming the problems; a missing file exits 3', async () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ symbol: 'XX', exchange: 'CME', session: 'globex' }));
    const run = await runCliJson('--store', store, 'instruments', 'register', bad);
    expect(run.code).toBe(2);
    expect(run.json).toMatchObject({ error: { code: 'BAD_REQUEST', message: `${bad} is not a valid instrument file: session: unknown session template "globex"; known: cme_globex_equity, cme_globex_rates, cme_globex_energy, cme_globex_metals, cme_globex_fx, utc_24x7, us_equity` } });
    expect((await runCliJson('--store', store, 'instruments', 'register', path.join(dir, 'none.json'))).code).toBe(3);
  });

  it('show gives the hours and the holidays of a year; a contract resolves to its root', async () => {
    const run = await runCliJson('--store', store, 'instruments', 'show', 'MESZ4', '--year', '2025');
    expect(run.code).toBe(0);
    const shown = run.json as { symbol: string; year: number; calendarEntries: { date: string; close: string | null; kind: string; name: string }[] };
    expect(shown.symbol).toBe('MES');
    expect(shown.calendarEntries.slice(0, 3)).toEqual([
      { date: '2025-01-01', close: null, kind: 'closed', name: "New Year's Day" },
      { date: '2025-01-09', close: '08:30', kind: 'holiday_session', name: 'National Day of Mourning (Jimmy Carter)' },
      { date: '2025-01-20', close: '12:00', kind: 'holiday_session', name: 'Martin Luther King Jr. Day' },
    ]);
    const text = await runCli('--store', store, 'instruments', 'show', 'NVDA', '--year', '2025');
    expect(text.stdout).toContain('  hours        09:30–16:00 America/New_York; week Monday 09:30 to Friday 16:00\n');
    expect(text.stdout).toContain('2025-01-09  Thu  closed  closed       National Day of Mourning (Jimmy Carter)\n');
    const unknown = await runCliJson('--store', store, 'instruments', 'show', 'XYZ');
    expect(unknown.code).toBe(3);
  });

  it('validate follows the instrument: NVDA minute bars in raw/NVDA have no session gap once NVDA is registered', async () => {
    const other = path.join(dir, 'store2');
    expect((await runCli('--store', other, 'init')).code).toBe(0);
    // regular hours of Tue 2024-07-02, the 13:00 early close of Wed 07-03, Fri 07-05 (EDT: 09:30 = 13:30Z)
    const day = (date: string, fromZ: string, toZ: string) => {
      const out: string[] = [];
      for (let t = Date.parse(`${date}T${fromZ}Z`); t < Date.parse(`${date}T${toZ}Z`); t += 60_000) out.push(new Date(t).toISOString());
      return out;
    };
    for (const [date, times] of [
      ['2024-07-02', day('2024-07-02', '13:30:00', '20:00:00')],
      ['2024-07-03', day('2024-07-03', '13:30:00', '17:00:00')],
      ['2024-07-05', day('2024-07-05', '13:30:00', '20:00:00')],
    ] as const) {
      fs.mkdirSync(path.join(other, 'raw', 'NVDA', date), { recursive: true });
      await writeParquet(barsTable(barsAt([...times])), path.join(other, 'raw', 'NVDA', date, 'bars.parquet'));
    }
    const before = await runCliJson('--store', other, 'validate', 'raw/NVDA');
    // read as CME Globex hours, the nights and July 4 are "missing"
    expect((before.json as { metrics: { gapCount: number } }).metrics.gapCount).toBe(2);
    expect((await runCli('--store', other, 'instruments', 'register', nvda)).code).toBe(0);
    const after = await runCliJson('--store', other, 'validate', 'raw/NVDA');
    expect(after.code).toBe(0);
    expect(after.json).toMatchObject({ rowCount: 990, metrics: { gapCount: 0, missingBars: 0, barIntervalSeconds: 60 } });
    expect((after.json as { warnings: { rule: string }[] }).warnings.filter((w) => w.rule === 'session_gap')).toEqual([]);
  });

  it('validate --instrument names the instrument of a file: NVDA minute bars over two days and a night', async () => {
    const csv = path.join(dir, 'nvda-minutes.csv');
    const rows: string[] = ['timestamp,open,high,low,close,volume'];
    let price = 120;
    for (const [from, to] of [
      ['2024-07-02T13:30:00Z', '2024-07-02T20:00:00Z'],
      ['2024-07-03T13:30:00Z', '2024-07-03T17:00:00Z'],
    ]) {
      for (let t = Date.parse(from); t < Date.parse(to); t += 60_000) {
        price += 0.01;
        rows.push(`${new Date(t).toISOString()},${price.toFixed(2)},${(price + 0.05).toFixed(2)},${(price - 0.05).toFixed(2)},${price.toFixed(2)},100`);
      }
    }
    fs.writeFileSync(csv, `${rows.join('\n')}\n`);
    const gaps = (json: unknown) => (json as { metrics: { gapCount: number; missingBars: number } }).metrics;
    // as CME Globex hours, the night from 16:00 ET to 09:30 ET is partly a "gap"
    expect(gaps((await runCliJson('--store', store, 'validate', csv)).json).gapCount).toBe(1);
    const run = await runCliJson('--store', store, 'validate', csv, '--instrument', 'NVDA');
    expect(run.code).toBe(0);
    expect(gaps(run.json)).toMatchObject({ gapCount: 0, missingBars: 0 });
    const unknown = await runCliJson('--store', store, 'validate', csv, '--instrument', 'NOPE');
    expect(unknown.code).toBe(3);
    expect(unknown.json).toMatchObject({ error: { code: 'NOT_FOUND', details: { symbol: 'NOPE' } } });
  });
});
