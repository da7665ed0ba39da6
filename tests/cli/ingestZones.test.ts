import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/ohlcvTable.js';
import { runCli, runCliJson } from '../helpers/runCli.js';
import { cmeHalfHourBars } from '../helpers/sessionFixtures.js';

interface FileResult {
  name: string;
  timezone: string;
  timezoneSource: string;
  instrument: { symbol: string; exchange: string; source: string };
  timestamp: { dateOnly: boolean };
  sessionWarnings: { kind: string; count: number; dates: number; examples: { local: string }[]; message: string }[];
}

/** `mes-data ingest` says which zone it read naive times in and why, only for timed files, and warns of bars outside the instrument's sessions. */
describe('mes-data ingest: the zone per instrument, session warnings', () => {
  const { dir, cleanup } = tempDir('mes-data-cli-zones-');
  const store = path.join(dir, 'store');
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  beforeAll(async () => {
    expect((await runCli('--store', store, 'init')).code).toBe(0);
    const nvda = write('nvda.json', JSON.stringify({ symbol: 'NVDA', name: 'NVIDIA', exchange: 'NASDAQ', assetClass: 'equity', session: 'us_equity', tickSize: 0.01, pointValue: 1 }));
    expect((await runCli('--store', store, 'instruments', 'register', nvda)).code).toBe(0);
  });
  afterAll(cleanup);

  it('an ES file in Berlin time: the text names the zone and why, and warns of 24 weekend bars with the flag to pass', async () => {
    const file = write('ES_berlin.csv', cmeHalfHourBars('Europe/Berlin'));
    const text = await runCli('--store', store, 'ingest', file, '--dry-run');
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines.filter((l) => l.startsWith('  zone:'))).toEqual(['  zone: America/Chicago, the zone of instrument ES (CME, built-in); --tz to read another']);
    expect(lines.filter((l) => l.startsWith('  warning:'))).toEqual([
      "  warning: 24 bars on a weekend (2 trading dates Saturday 2024-02-10, Saturday 2024-02-17): ES (CME) trades Sunday 17:00 to Friday 16:00, break 16:00–17:00 America/Chicago; first at 2024-02-09 17:00:00, 2024-02-09 17:30:00, 2024-02-09 18:00:00, … (America/Chicago); if the file is in another zone's local time, ingest it with that zone (--tz ZONE)",
      "  warning: 10 bars outside the trading session (10 trading dates Monday 2024-02-05, Tuesday 2024-02-06, Wednesday 2024-02-07, …): ES (CME) trades Sunday 17:00 to Friday 16:00, break 16:00–17:00 America/Chicago; first at 2024-02-05 16:30:00, 2024-02-06 16:30:00, 2024-02-07 16:30:00, … (America/Chicago); if the file is in another zone's local time, ingest it with that zone (--tz ZONE)",
    ]);
    expect(text.stdout).not.toMatch(/^zone /m);

    const json = await runCliJson('--store', store, 'ingest', file, '--dry-run');
    const [f] = (json.json as { files: FileResult[] }).files;
    expect({ timezone: f.timezone, timezoneSource: f.timezoneSource, instrument: f.instrument }).toEqual({
      timezone: 'America/Chicago',
      timezoneSource: 'instrument',
      instrument: { symbol: 'ES', exchange: 'CME', session: 'cme_globex_equity', timeZone: 'America/Chicago', source: 'built-in' },
    });
    expect(f.sessionWarnings.map((w) => [w.kind, w.count, w.dates, w.examples.map((e) => e.local)])).toEqual([
      ['weekend', 24, 2, ['2024-02-09 17:00:00', '2024-02-09 17:30:00', '2024-02-09 18:00:00']],
      ['outside_session', 10, 10, ['2024-02-05 16:30:00', '2024-02-06 16:30:00', '2024-02-07 16:30:00']],
    ]);

    // the zone it was written in, given: no warning, ten trading dates of 46 bars
    const right = await runCliJson('--store', store, 'ingest', file, '--tz', 'Europe/Berlin');
    expect(right.code).toBe(0);
    const result = right.json as { timezone: string; files: FileResult[]; snapshots: { date: string; rows: number }[] };
    expect(result.files[0]).toMatchObject({ timezone: 'Europe/Berlin', timezoneSource: 'option', sessionWarnings: [] });
    expect(result.snapshots.map((s) => s.date)).toEqual(['2024-02-05', '2024-02-06', '2024-02-07', '2024-02-08', '2024-02-09', '2024-02-12', '2024-02-13', '2024-02-14', '2024-02-15', '2024-02-16']);
    expect(result.snapshots.every((s) => s.rows === 46)).toBe(true);
    const again = await runCli('--store', store, 'ingest', file, '--tz', 'Europe/Berlin', '--dry-run');
    expect(again.stdout.split('\n').filter((l) => l.startsWith('  zone:') || l.startsWith('  warning:'))).toEqual(['  zone: Europe/Berlin, from --tz']);
  });

  it('an NVDA daily file (registered on NASDAQ, NYSE hours): New York, its own dates, and no zone line', async () => {
    const file = write('NVDA.csv', ['Date,Open,High,Low,Close,Adj Close,Volume', '2024-01-12,54.62,54.97,54.33,54.75,54.74,350993000', '2024-01-16,55.02,56.35,54.3,56.36,56.35,497360000', ''].join('\n'));
    const text = await runCli('--store', store, 'ingest', file);
    expect(text.code).toBe(0);
    expect(text.stdout).not.toMatch(/zone/i);
    expect(text.stdout).not.toMatch(/warning/);
    expect(text.stdout).toContain('NVDA.csv: CSV, delimiter ",", header, decimal "."; 2024-01-12 … 2024-01-16');
    const json = await runCliJson('--store', store, 'ingest', file, '--dry-run');
    const result = json.json as { files: FileResult[]; snapshots: { path: string; wouldBe: string; dateSpan: unknown }[] };
    expect(result.files[0]).toMatchObject({
      timezone: 'America/New_York',
      timezoneSource: 'instrument',
      instrument: { symbol: 'NVDA', exchange: 'NASDAQ', source: 'store' },
      timestamp: { dateOnly: true },
      sessionWarnings: [],
    });
    expect(result.snapshots).toEqual([expect.objectContaining({ path: 'raw/NVDA/2024-01-01/NVDA.parquet', wouldBe: 'unchanged', dateSpan: { first: '2024-01-12', last: '2024-01-16' } })]);
  });
});
