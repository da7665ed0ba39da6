import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestFile } from '../../../core/ingest/ingestFile.js';
import type { IngestReport } from '../../../core/ingest/ingestTypes.js';
import { InstrumentRegistry } from '../../../core/instruments/instrumentRegistry.js';
import { tempDir } from '../../helpers/ohlcvTable.js';
import { cmeHalfHourBars } from '../../helpers/sessionFixtures.js';
import { writeFixture } from './ingestFixtures.js';

/**
 * Ingest through the asset's instrument: its zone for naive times, its session template for
 * trading dates, warnings for rows on a weekend or outside the session. Files in the shapes
 * a trader downloads, written here.
 */

describe('ingest reads each file through its instrument', () => {
  const { dir, cleanup } = tempDir('mes-data-instrument-ingest-');
  afterAll(cleanup);
  const write = (name: string, text: string) => writeFixture(dir, name, text);
  const dates = (report: IngestReport) => report.partitions.map((p) => p.date);

  it('a Yahoo daily file with Adj Close (ES=F): daily bars, no zone applies, no session warnings', async () => {
    const file = write(
      'ES=F.csv',
      ['Date,Open,High,Low,Close,Adj Close,Volume', '2024-01-05,4741.25,4767,4712.5,4742.5,4742.5,1843217', '2024-01-08,4745,4788.25,4732,4786.75,4786.75,1522004', '2024-01-09,4784.5,4790,4762.25,4777.5,4777.5,1690811', ''].join('\n'),
    );
    const report = await ingestFile(file, { dryRun: true });
    expect(report).toMatchObject({
      asset: 'ES',
      timestamp: { kind: 'text', epochUnit: null, dateOnly: true },
      period: 'year',
      timezone: 'America/Chicago',
      timezoneSource: 'instrument',
      instrument: { symbol: 'ES', exchange: 'CME', session: 'cme_globex_equity', timeZone: 'America/Chicago', source: 'built-in' },
      dateSpan: { first: '2024-01-05', last: '2024-01-09' },
      sessionWarnings: [],
    });
    expect(report.mapping).toMatchObject({ timestamp: 'Date', adj_close: 'Adj Close', volume: 'Volume' });
    expect((report.preview ?? []).map((r) => r.timestamp)).toEqual(['2024-01-05T00:00:00.000000Z', '2024-01-08T00:00:00.000000Z', '2024-01-09T00:00:00.000000Z']);
  });

  it('split Date/Time minute bars (MES): read in Chicago, the Sunday 17:00 open belongs to Monday, no warnings', async () => {
    const file = write(
      'MES_split.csv',
      ['Date,Time,Open,High,Low,Close,Volume', '2024-01-05,15:58,4742,4742.5,4741.75,4742.25,310', '2024-01-05,15:59,4742.25,4743,4742,4742.75,288', '2024-01-07,17:00,4744,4745,4743.5,4744.75,812', '2024-01-07,17:01,4744.75,4745.25,4744.25,4745,401', ''].join('\n'),
    );
    const report = await ingestFile(file, { dryRun: true });
    expect(report).toMatchObject({
      asset: 'MES',
      timestamp: { kind: 'split', dateOnly: false },
      timezone: 'America/Chicago',
      timezoneSource: 'instrument',
      instrument: { symbol: 'MES', exchange: 'CME', source: 'built-in' },
      tradingDateRule: 'CME: a trading date opens at 17:00 America/Chicago on the previous calendar day',
      sessionWarnings: [],
    });
    expect(dates(report)).toEqual(['2024-01-05', '2024-01-08']);
    expect((report.preview ?? []).map((r) => r.timestamp)).toEqual(['2024-01-05T21:58:00.000000Z', '2024-01-05T21:59:00.000000Z', '2024-01-07T23:00:00.000000Z', '2024-01-07T23:01:00.000000Z']);
  });

  it('millisecond epoch ticks (NQ): absolute instants; a tick in the 16:00–17:00 CT break is named, without a zone hint', async () => {
    const file = write(
      'NQ_ticks.csv',
      [
        'timestamp,price,size',
        `${Date.parse('2024-01-08T21:59:59.250Z')},16820.25,2`,
        `${Date.parse('2024-01-08T22:30:00.125Z')},16821,1`,
        `${Date.parse('2024-01-08T23:00:00.500Z')},16822.5,3`,
        '',
      ].join('\n'),
    );
    const report = await ingestFile(file, { dryRun: true });
    expect(report).toMatchObject({ asset: 'NQ', timestamp: { kind: 'epoch', epochUnit: 'ms', dateOnly: false }, timezoneSource: 'instrument' });
    expect(dates(report)).toEqual(['2024-01-08', '2024-01-09']);
    expect(report.sessionWarnings).toEqual([
      {
        kind: 'outside_session',
        count: 1,
        dates: 1,
        examples: [{ timestamp: '2024-01-08T22:30:00.125000000Z', local: '2024-01-08 16:30:00', tradingDate: '2024-01-08' }],
        message: '1 bar outside the trading session (trading date Monday 2024-01-08): NQ (CME) trades Sunday 17:00 to Friday 16:00, break 16:00–17:00 America/Chicago; first at 2024-01-08 16:30:00 (America/Chicago)',
      },
    ]);
  });

  it('MM/DD/YYYY bid/ask quotes (6E): naive times in Chicago, trading dates by the CME rule', async () => {
    const file = write('6E_quotes.csv', ['Date,Bid,Ask', '01/05/2024 15:59:59.875,1.09415,1.0942', '01/07/2024 17:00:00.125,1.0939,1.09395', ''].join('\n'));
    const report = await ingestFile(file, { dryRun: true });
    expect(report).toMatchObject({ asset: '6E', timezone: 'America/Chicago', timezoneSource: 'instrument', instrument: { symbol: '6E', session: 'cme_globex_fx' }, sessionWarnings: [] });
    expect(report.mapping).toMatchObject({ timestamp: 'Date', bid: 'Bid', ask: 'Ask' });
    expect(dates(report)).toEqual(['2024-01-05', '2024-01-08']);
    expect((report.preview ?? []).map((r) => r.timestamp)).toEqual(['2024-01-05T21:59:59.875000Z', '2024-01-07T23:00:00.125000Z']);
  });

  it('an ES file in Berlin time read as Chicago: 24 bars on 2 Saturdays and 10 in the break, named, with the zone flag suggested; with the zone given, none', async () => {
    const file = write('ES_berlin.csv', cmeHalfHourBars('Europe/Berlin'));
    const wrong = await ingestFile(file, { dryRun: true, previewRows: 0 });
    expect(wrong).toMatchObject({ asset: 'ES', rowsRead: 460, timezone: 'America/Chicago', timezoneSource: 'instrument' });
    expect(dates(wrong)).toEqual(['2024-02-05', '2024-02-06', '2024-02-07', '2024-02-08', '2024-02-09', '2024-02-10', '2024-02-12', '2024-02-13', '2024-02-14', '2024-02-15', '2024-02-16', '2024-02-17']);
    expect(wrong.sessionWarnings.map((w) => [w.kind, w.count, w.dates])).toEqual([
      ['weekend', 24, 2],
      ['outside_session', 10, 10],
    ]);
    expect(wrong.sessionWarnings[0].examples).toEqual([
      { timestamp: '2024-02-09T23:00:00.000000000Z', local: '2024-02-09 17:00:00', tradingDate: '2024-02-10' },
      { timestamp: '2024-02-09T23:30:00.000000000Z', local: '2024-02-09 17:30:00', tradingDate: '2024-02-10' },
      { timestamp: '2024-02-10T00:00:00.000000000Z', local: '2024-02-09 18:00:00', tradingDate: '2024-02-10' },
    ]);
    expect(wrong.sessionWarnings[0].message).toBe(
      "24 bars on a weekend (2 trading dates Saturday 2024-02-10, Saturday 2024-02-17): ES (CME) trades Sunday 17:00 to Friday 16:00, break 16:00–17:00 America/Chicago; first at 2024-02-09 17:00:00, 2024-02-09 17:30:00, 2024-02-09 18:00:00, … (America/Chicago); if the file is in another zone's local time, ingest it with that zone (--tz ZONE)",
    );
    expect(wrong.sessionWarnings[1].examples.map((e) => e.local)).toEqual(['2024-02-05 16:30:00', '2024-02-06 16:30:00', '2024-02-07 16:30:00']);

    const right = await ingestFile(file, { dryRun: true, previewRows: 0, timezone: 'Europe/Berlin' });
    expect(right).toMatchObject({ timezone: 'Europe/Berlin', timezoneSource: 'option', sessionWarnings: [] });
    expect(dates(right)).toEqual(['2024-02-05', '2024-02-06', '2024-02-07', '2024-02-08', '2024-02-09', '2024-02-12', '2024-02-13', '2024-02-14', '2024-02-15', '2024-02-16']);
    expect(right.partitions.map((p) => p.rows)).toEqual(Array(10).fill(46));
  });

  it('a bar on a closed holiday (ES on Christmas Day 2024) is its own warning; the early close the day before ends the session at 12:15 CT', async () => {
    const file = write('ES_christmas.csv', ['timestamp,close', '2024-12-24 12:00:00,6040', '2024-12-24 12:30:00,6041', '2024-12-25 10:00:00,6042', ''].join('\n'));
    const report = await ingestFile(file, { dryRun: true });
    expect(report.sessionWarnings.map((w) => [w.kind, w.count, w.examples.map((e) => e.local)])).toEqual([
      ['holiday', 1, ['2024-12-25 10:00:00']],
      ['outside_session', 1, ['2024-12-24 12:30:00']],
    ]);
    expect(report.sessionWarnings[0].message).toBe(
      "1 bar on a closed holiday of the cme_equity calendar (Wednesday 2024-12-25): ES (CME) trades Sunday 17:00 to Friday 16:00, break 16:00–17:00 America/Chicago; first at 2024-12-25 10:00:00 (America/Chicago); if the file is in another zone's local time, ingest it with that zone (--tz ZONE)",
    );
  });

  it('through DuckDB (the other CSV reader): the same dates and the same warnings', async () => {
    const file = write('ES_berlin_duck.csv', cmeHalfHourBars('Europe/Berlin'));
    const ours = await ingestFile(file, { dryRun: true, previewRows: 0 });
    const staging = path.join(dir, 'staging-duck');
    const duck = await ingestFile(file, { stagingDir: staging }, { engine: 'duckdb' });
    expect(duck.engine).toBe('duckdb');
    expect(dates(duck)).toEqual(dates(ours));
    expect(duck.sessionWarnings).toEqual(ours.sessionWarnings);
    expect(duck.sessionWarnings.map((w) => [w.kind, w.count])).toEqual([
      ['weekend', 24],
      ['outside_session', 10],
    ]);
  });

  describe('instruments registered in the store', () => {
    const storeRoot = path.join(dir, 'store');
    fs.mkdirSync(storeRoot, { recursive: true });
    const registry = new InstrumentRegistry(storeRoot);
    registry.register({ symbol: 'NVDA', name: 'NVIDIA', exchange: 'NASDAQ', assetClass: 'equity', session: 'us_equity', tickSize: 0.01, pointValue: 1 });
    registry.register({
      symbol: 'FDAX',
      exchange: 'EUREX',
      assetClass: 'equity_index',
      session: { id: 'eurex_index', timeZone: 'Europe/Berlin', open: '01:10', close: '22:00', opensPreviousDay: false, calendar: 'none' },
      tickSize: 0.5,
      pointValue: 25,
    });

    it('an NVDA daily file: New York dates, no zone applies, no warnings for the holiday (2024-01-15) it skips', async () => {
      const file = write('NVDA.csv', ['Date,Open,High,Low,Close,Adj Close,Volume', '2024-01-12,54.62,54.97,54.33,54.75,54.74,350993000', '2024-01-16,55.02,56.35,54.3,56.36,56.35,497360000', ''].join('\n'));
      const report = await ingestFile(file, { dryRun: true, storeRoot });
      expect(report).toMatchObject({
        asset: 'NVDA',
        timestamp: { dateOnly: true },
        timezone: 'America/New_York',
        timezoneSource: 'instrument',
        instrument: { symbol: 'NVDA', exchange: 'NASDAQ', session: 'us_equity', timeZone: 'America/New_York', source: 'store' },
        tradingDateRule: 'NASDAQ: the calendar date in America/New_York',
        dateSpan: { first: '2024-01-12', last: '2024-01-16' },
        sessionWarnings: [],
      });
    });

    it('NVDA minute bars: read in New York, the calendar date in New York (no evening rule); after-hours bars warned', async () => {
      const file = write('NVDA_1min.csv', ['timestamp,open,high,low,close,volume', '2024-01-12 09:30:00,54.62,54.7,54.6,54.65,120000', '2024-01-12 15:59:00,54.7,54.75,54.69,54.75,98000', '2024-01-12 19:00:00,54.8,54.8,54.8,54.8,1500', ''].join('\n'));
      const report = await ingestFile(file, { dryRun: true, storeRoot });
      expect(report).toMatchObject({ timezone: 'America/New_York', timezoneSource: 'instrument' });
      expect(dates(report)).toEqual(['2024-01-12']);
      expect((report.preview ?? []).map((r) => r.timestamp)).toEqual(['2024-01-12T14:30:00.000000Z', '2024-01-12T20:59:00.000000Z', '2024-01-13T00:00:00.000000Z']);
      expect(report.sessionWarnings.map((w) => [w.kind, w.count, w.examples.map((e) => e.local)])).toEqual([['outside_session', 1, ['2024-01-12 19:00:00']]]);
      // DuckDB applies the same rule: 19:00 New York (18:00 Chicago) stays on Friday
      const duck = await ingestFile(file, { storeRoot, stagingDir: path.join(dir, 'staging-nvda') }, { engine: 'duckdb' });
      expect([duck.engine, dates(duck), duck.sessionWarnings]).toEqual(['duckdb', ['2024-01-12'], report.sessionWarnings]);
      expect(report.sessionWarnings[0].message).toBe(
        "1 bar outside the trading session (trading date Friday 2024-01-12): NVDA (NASDAQ) trades 09:30–16:00 America/New_York, Monday to Friday; first at 2024-01-12 19:00:00 (America/New_York); if the file is in another zone's local time, ingest it with that zone (--tz ZONE)",
      );
    });

    it('an instrument on another exchange (FDAX on EUREX): its zone for naive times, its dates; an explicit zone still wins', async () => {
      const file = write('FDAX.csv', ['timestamp,open,high,low,close,volume', '2024-01-08 08:00:00,16650,16660,16645,16655.5,420', '2024-01-08 21:30:00,16700,16702,16698,16701,95', ''].join('\n'));
      const report = await ingestFile(file, { dryRun: true, storeRoot });
      expect(report).toMatchObject({ asset: 'FDAX', timezone: 'Europe/Berlin', timezoneSource: 'instrument', instrument: { exchange: 'EUREX', session: 'eurex_index', source: 'store' }, sessionWarnings: [] });
      expect(dates(report)).toEqual(['2024-01-08']);
      expect((report.preview ?? []).map((r) => r.timestamp)).toEqual(['2024-01-08T07:00:00.000000Z', '2024-01-08T20:30:00.000000Z']);

      const utc = await ingestFile(file, { dryRun: true, storeRoot, timezone: 'UTC' });
      expect(utc).toMatchObject({ timezone: 'UTC', timezoneSource: 'option' });
      // 21:30 UTC is 22:30 in Berlin: after the close
      expect(utc.sessionWarnings.map((w) => [w.kind, w.count, w.examples.map((e) => e.timestamp)])).toEqual([['outside_session', 1, ['2024-01-08T21:30:00.000000000Z']]]);
    });

    it('an asset no instrument names keeps the generic CME rule in Chicago (fallback)', async () => {
      const file = write('XYZ_1min.csv', ['timestamp,close', '2024-01-08 10:00:00,1', '2024-01-13 10:00:00,2', ''].join('\n'));
      const report = await ingestFile(file, { dryRun: true, storeRoot, asset: 'XYZ' });
      expect(report).toMatchObject({ timezone: 'America/Chicago', timezoneSource: 'fallback', instrument: { symbol: 'XYZ', exchange: 'unknown', source: 'fallback' } });
      expect(report.tradingDateRule).toBe('CME: a trading date opens at 17:00 America/Chicago on the previous calendar day');
      expect(dates(report)).toEqual(['2024-01-08', '2024-01-13']);
      // a Saturday bar under the generic hours: the warning says so, and how to register the real ones
      expect(report.sessionWarnings.map((w) => w.message)).toEqual([
        "1 bar on a weekend (trading date Saturday 2024-01-13): XYZ (unknown instrument) trades Sunday 17:00 to Friday 16:00, break 16:00–17:00 America/Chicago; first at 2024-01-13 10:00:00 (America/Chicago); if the file is in another zone's local time, ingest it with that zone (--tz ZONE); no instrument is registered for XYZ, so these are the generic CME hours: register one for other hours (mes-data instruments register)",
      ]);
    });
  });
});
