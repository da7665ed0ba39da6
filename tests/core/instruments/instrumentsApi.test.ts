import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiSession } from '../../../core/api/handlers.js';
import type { Instrument } from '../../../core/instruments/instrumentSchema.js';
import { tempDir } from '../../helpers/ohlcvTable.js';

describe('instruments.* operations', () => {
  const { dir, cleanup } = tempDir();
  const store = path.join(dir, 'store');
  const session = new ApiSession('test');

  beforeAll(async () => {
    await session.invoke('store.init', { path: store });
  });
  afterAll(async () => {
    await session.close();
    cleanup();
  });

  it('instruments.list gives the built-ins; instruments.get resolves a contract', async () => {
    const { instruments } = (await session.invoke('instruments.list', {})) as { instruments: Instrument[] };
    expect(instruments).toHaveLength(24);
    expect(await session.invoke('instruments.get', { symbol: 'MNQZ4' })).toMatchObject({ symbol: 'MNQ', tickSize: 0.25, pointValue: 2, source: 'built-in' });
  });

  it('unknown symbols are NOT_FOUND, or the generic instrument with fallback', async () => {
    await expect(session.invoke('instruments.get', { symbol: 'NVDA' })).rejects.toMatchObject({ code: 'NOT_FOUND', details: { symbol: 'NVDA' } });
    expect(await session.invoke('instruments.get', { symbol: 'NVDA', fallback: true })).toMatchObject({ symbol: 'NVDA', source: 'fallback', tickSize: null });
  });

  it('instruments.register keeps an instrument in the open store; a bad one is BAD_REQUEST', async () => {
    const instrument = { symbol: 'NVDA', exchange: 'NASDAQ', assetClass: 'equity', session: 'us_equity', tickSize: 0.01, pointValue: 1 };
    const registered = (await session.invoke('instruments.register', { instrument })) as { instruments: (Instrument & { status: string })[] };
    expect(registered.instruments.map((i) => [i.symbol, i.status, i.source, i.timeZone])).toEqual([['NVDA', 'created', 'store', 'America/New_York']]);
    expect(await session.invoke('instruments.get', { symbol: 'NVDA' })).toMatchObject({ source: 'store', session: { calendar: 'nyse' } });
    await expect(session.invoke('instruments.register', { instrument: { ...instrument, tickSize: 0.1 } })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await expect(session.invoke('instruments.register', { instrument: { symbol: 'X' } })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('instruments.sessions gives the sessions of a window for chart breaks, holidays named', async () => {
    const week = (await session.invoke('instruments.sessions', { symbol: 'MESZ4', fromMs: Date.parse('2024-11-27T00:00:00Z'), toMs: Date.parse('2024-12-02T23:30:00Z') })) as {
      symbol: string;
      timeZone: string;
      sessions: { date: string; openMs: number; closeMs: number; kind: string; name: string | null }[];
    };
    expect([week.symbol, week.timeZone]).toEqual(['MES', 'America/Chicago']);
    expect(week.sessions.map((s) => [s.date, new Date(s.openMs).toISOString(), new Date(s.closeMs).toISOString(), s.kind, s.name])).toEqual([
      ['2024-11-27', '2024-11-26T23:00:00.000Z', '2024-11-27T22:00:00.000Z', 'regular', null],
      ['2024-11-28', '2024-11-27T23:00:00.000Z', '2024-11-28T18:00:00.000Z', 'holiday_session', 'Thanksgiving Day'],
      ['2024-11-29', '2024-11-28T23:00:00.000Z', '2024-11-29T18:15:00.000Z', 'early_close', 'Day after Thanksgiving'],
      ['2024-12-02', '2024-12-01T23:00:00.000Z', '2024-12-02T22:00:00.000Z', 'regular', null],
      ['2024-12-03', '2024-12-02T23:00:00.000Z', '2024-12-03T22:00:00.000Z', 'regular', null],
    ]);
    await expect(session.invoke('instruments.sessions', { symbol: 'ES', fromMs: 0, toMs: 401 * 86_400_000 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
