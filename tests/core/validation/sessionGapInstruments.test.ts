import { describe, expect, it } from 'vitest';
import { genericInstrument, InstrumentRegistry } from '../../../core/instruments/instrumentRegistry.js';
import type { Instrument } from '../../../core/instruments/instrumentSchema.js';
import { DataSchema } from '../../../core/schema/dataSchema.js';
import { OHLCV_SCHEMA } from '../../../core/schema/predefinedSchemas.js';
import { validateTable, type ValidateOptions } from '../../../core/validation/validateTable.js';
import { barsAt, barsTable } from '../../helpers/barsTable.js';

/** NVDA as a user registers it: a stock on the NYSE calendar. */
const registry = new InstrumentRegistry(null);
const [{ instrument: NVDA }] = registry.register({ symbol: 'NVDA', name: 'NVIDIA', exchange: 'NASDAQ', assetClass: 'equity', session: 'us_equity', tickSize: 0.01, pointValue: 1 });
const instrumentOf = (asset: string | null): Instrument => registry.find(asset ?? '') ?? genericInstrument(asset);

function gapIssue(times: string[], options: ValidateOptions = {}, assets?: string[], schema = OHLCV_SCHEMA) {
  const { report } = validateTable(barsTable(barsAt(times), assets), schema, { target: 'test', ...options });
  return { issue: report.warnings.find((w) => w.rule === 'session_gap'), metrics: report.metrics };
}

/** Every minute in [fromIso, toIso) (UTC). */
function minutes(fromIso: string, toIso: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(fromIso); t < Date.parse(toIso); t += 60_000) out.push(new Date(t).toISOString());
  return out;
}

/** Every weekday of 2024 except the listed dates, as 00:00 UTC daily bars. */
function weekdays2024(except: string[]): string[] {
  const out: string[] = [];
  for (let t = Date.UTC(2024, 0, 1); t < Date.UTC(2025, 0, 1); t += 86_400_000) {
    const date = new Date(t).toISOString().slice(0, 10);
    const weekday = new Date(t).getUTCDay();
    if (weekday !== 0 && weekday !== 6 && !except.includes(date)) out.push(`${date}T00:00:00.000Z`);
  }
  return out;
}

// the NYSE's 2024 holidays, as it published them
const NYSE_2024 = ['2024-01-01', '2024-01-15', '2024-02-19', '2024-03-29', '2024-05-27', '2024-06-19', '2024-07-04', '2024-09-02', '2024-11-28', '2024-12-25'];

describe('session_gap with the instrument of the rows', () => {
  it('NVDA daily bars over 2024, complete: 252 trading days and no gap', () => {
    const days = weekdays2024(NYSE_2024);
    expect(days).toHaveLength(252);
    expect(gapIssue(days, { instrumentOf }, days.map(() => 'NVDA')).metrics).toMatchObject({ gapCount: 0, missingBars: 0, barIntervalSeconds: 86_400 });
  });

  it('before instruments (no holiday calendar) the same year had 9 gaps, one per holiday after the first bar', () => {
    const days = weekdays2024(NYSE_2024);
    const noCalendar: Instrument = { ...NVDA, session: { ...NVDA.session, calendar: 'none' } };
    expect(gapIssue(days, { instrument: noCalendar }).metrics).toMatchObject({ gapCount: 9, missingBars: 9 });
  });

  it('a missing trading day is a gap, a holiday is not', () => {
    // drop Wednesday 2024-07-03 (an early close: still a trading day) and keep July 4 out
    const days = weekdays2024([...NYSE_2024, '2024-07-03']);
    const { issue, metrics } = gapIssue(days, { instrument: NVDA });
    expect(metrics).toMatchObject({ gapCount: 1, missingBars: 1 });
    const row = days.indexOf('2024-07-05T00:00:00.000Z');
    expect(issue).toMatchObject({ code: 'SESSION_GAP', rows: [row] });
    expect((issue?.details as { gaps: unknown[] }).gaps).toEqual([{ row, from: '2024-07-02T00:00:00.000Z', to: '2024-07-05T00:00:00.000Z', missingBars: 1 }]);
  });

  it('NVDA minute bars: the night, the 13:00 early close and July 4 are not gaps; a missing minute is', () => {
    // EDT: 09:30 ET = 13:30Z, 13:00 ET = 17:00Z, 16:00 ET = 20:00Z
    const times = [
      ...minutes('2024-07-02T13:30:00Z', '2024-07-02T20:00:00Z'),
      ...minutes('2024-07-03T13:30:00Z', '2024-07-03T17:00:00Z'),
      ...minutes('2024-07-05T13:30:00Z', '2024-07-05T20:00:00Z'),
    ];
    expect(times).toHaveLength(390 + 210 + 390);
    expect(gapIssue(times, { instrument: NVDA }).metrics).toMatchObject({ gapCount: 0, missingBars: 0, barIntervalSeconds: 60 });
    const holed = times.filter((t) => t !== '2024-07-05T14:00:00.000Z');
    const { issue, metrics } = gapIssue(holed, { instrument: NVDA });
    expect(metrics).toMatchObject({ gapCount: 1, missingBars: 1 });
    expect(issue?.rows).toEqual([holed.indexOf('2024-07-05T14:01:00.000Z')]);
  });

  it('ES minute bars: the MLK halt and the maintenance break are not gaps; a missing hour is 60 bars', () => {
    // MLK 2024-01-15: Sunday 17:00 CST (23:00Z) to the 12:00 CST halt (18:00Z); Tuesday's session from Monday 17:00 CST
    const complete = [...minutes('2024-01-14T23:00:00Z', '2024-01-15T18:00:00Z'), ...minutes('2024-01-15T23:00:00Z', '2024-01-16T22:00:00Z')];
    const asset = complete.map(() => 'ES');
    expect(gapIssue(complete, {}, asset).metrics).toMatchObject({ gapCount: 0, missingBars: 0 });
    // 10:00–10:59 CST on Tuesday is 16:00–16:59Z
    const holed = complete.filter((t) => !(t >= '2024-01-16T16:00' && t < '2024-01-16T17:00'));
    const { issue, metrics } = gapIssue(holed, {}, holed.map(() => 'ES'));
    expect(metrics).toMatchObject({ gapCount: 1, missingBars: 60 });
    expect((issue?.details as { instruments: unknown[] }).instruments).toEqual([{ asset: 'ES', instrument: 'ES', session: 'cme_globex_equity', calendar: 'cme_equity', source: 'built-in' }]);
  });

  it('each asset follows its own instrument', () => {
    // ES trades 20:00–20:02Z on Tuesday 2024-07-02 (15:00 CDT); NVDA stops at 16:00 ET (20:00Z)
    const times = ['2024-07-02T19:58:00Z', '2024-07-02T19:58:00Z', '2024-07-02T19:59:00Z', '2024-07-02T19:59:00Z', '2024-07-02T20:02:00Z', '2024-07-03T13:30:00Z'];
    const assets = ['ES', 'NVDA', 'ES', 'NVDA', 'ES', 'NVDA'];
    const { issue, metrics } = gapIssue(times, { instrumentOf }, assets);
    // ES misses 20:00 and 20:01; NVDA's night is closed
    expect(metrics).toMatchObject({ gapCount: 1, missingBars: 2 });
    expect(issue?.rows).toEqual([4]);
  });

  it('the rule can name the instrument: CL closes at 12:45 CT on Black Friday, ES at 12:15', () => {
    // Fri 2024-11-29: last bar 12:14 CST (18:14Z), next bar Sunday 17:00 CST
    const times = ['2024-11-29T18:13:00Z', '2024-11-29T18:14:00Z', '2024-12-01T23:00:00Z'];
    const asCl = DataSchema.parse({ ...OHLCV_SCHEMA, rules: { ...OHLCV_SCHEMA.rules, session_gap: { instrument: 'CL' } } });
    expect(gapIssue(times, {}, undefined, asCl).metrics.missingBars).toBe(30);
    expect(gapIssue(times, {}, undefined).metrics.missingBars).toBe(0);
  });

  it('daily ES bars stamped at the session open (17:00 CT the day before) skip weekends and holidays', () => {
    // sessions of Thu 2024-01-11, Fri 01-12, (MLK Mon 01-15 absent: a holiday), Tue 01-16, opening at 23:00Z the day before
    const times = ['2024-01-10T23:00:00Z', '2024-01-11T23:00:00Z', '2024-01-15T23:00:00Z'];
    expect(gapIssue(times, {}, times.map(() => 'ES')).metrics).toMatchObject({ gapCount: 0, missingBars: 0 });
    // without Friday's bar, Friday is missing
    expect(gapIssue([times[0], times[2]], {}, ['ES', 'ES'], DataSchema.parse({ ...OHLCV_SCHEMA, rules: { ...OHLCV_SCHEMA.rules, session_gap: { intervalSeconds: 86_400 } } })).metrics).toMatchObject({
      gapCount: 1,
      missingBars: 1,
    });
  });
});
