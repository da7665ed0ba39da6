import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DateDay, Int64, makeData, makeVector, Table, TimestampMicrosecond, TimestampMillisecond, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ingestFile } from '../../../core/ingest/ingestFile.js';
import { summarizeParquetFile } from '../../../core/ingest/parquetFooter.js';
import type { IngestProgress, IngestReport } from '../../../core/ingest/ingestTypes.js';
import { rawKeyValue } from '../../../core/store/parquetKeyValue.js';
import { DecoderPool } from '../../../core/parquet/decoderPool.js';
import { getParquetMetadata } from '../../../core/parquet/parquetMetadata.js';
import { writeParquet } from '../../../core/parquet/writeParquet.js';
import { tempDir } from '../../helpers/ohlcvTable.js';
import { listDirs, listFiles, OHLCV_COLUMNS, readStaged, writeFixture } from './ingestFixtures.js';

describe('ingestFile', () => {
  const decoder = new DecoderPool();
  const { dir, cleanup } = tempDir('mes-data-ingest-');
  let sources: string;
  let staging: string;
  let run = 0;

  beforeEach(() => {
    run++;
    sources = path.join(dir, `src${run}`);
    staging = path.join(dir, `stage${run}`);
    fs.mkdirSync(sources);
    fs.mkdirSync(staging);
  });
  afterAll(async () => {
    await decoder.close();
    cleanup();
  });

  const datesOf = (report: IngestReport) => report.partitions.map((p) => [p.date, p.rows]);

  it('stages a DST spring-forward weekend (America/Chicago, 2024-03-10) by trading date, shifting the nonexistent time', async () => {
    const file = writeFixture(
      sources,
      'bars.csv',
      [
        'timestamp,open,high,low,close,volume',
        '2024-03-08 15:59:00,5100.25,5101,5100,5100.5,10',
        '2024-03-10 01:30:00,5101,5101.5,5100.75,5101.25,11',
        '2024-03-10 02:15:00,5101.25,5102,5101,5101.75,12',
        '2024-03-10 03:30:00,5101.75,5102.25,5101.5,5102,13',
        '2024-03-10 17:00:00,5102,5102.5,5101.75,5102.25,14',
        '',
      ].join('\n'),
    );
    const report = await ingestFile(file, { asset: 'MES', stagingDir: staging });
    expect(report).toMatchObject({
      asset: 'MES',
      timezone: 'America/Chicago',
      rowsRead: 5,
      rowsWritten: 5,
      badRows: [],
      badRowCount: 0,
      dst: { gaps: 1, repeats: 0, gapPolicy: 'shift', repeatPolicy: 'infer' },
      dateSpan: { first: '2024-03-08', last: '2024-03-11' },
      mapping: { timestamp: 'timestamp', open: 'open', high: 'high', low: 'low', close: 'close', volume: 'volume' },
      timestamp: { kind: 'text', epochUnit: null, dateOnly: false },
      dryRun: false,
    });
    expect(report.partitions).toEqual([
      {
        asset: 'MES',
        date: '2024-03-08',
        path: path.join(staging, 'MES', '2024-03-08', 'bars.parquet'),
        rows: 1,
        firstTimestamp: '2024-03-08T21:59:00.000000000Z',
        lastTimestamp: '2024-03-08T21:59:00.000000000Z',
        bytes: fs.statSync(path.join(staging, 'MES', '2024-03-08', 'bars.parquet')).size,
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
        // the writer's summary of the bytes it wrote: what the store would read back
        summary: await summarizeParquetFile(path.join(staging, 'MES', '2024-03-08', 'bars.parquet')),
      },
      expect.objectContaining({ date: '2024-03-10', rows: 3, firstTimestamp: '2024-03-10T07:30:00.000000000Z', lastTimestamp: '2024-03-10T08:30:00.000000000Z' }),
      expect.objectContaining({ date: '2024-03-11', rows: 1, firstTimestamp: '2024-03-10T22:00:00.000000000Z' }),
    ]);
    const sunday = await readStaged(report.partitions[1].path, decoder);
    expect(sunday.columns).toEqual(OHLCV_COLUMNS);
    expect(sunday.rows).toEqual([
      { timestamp: '2024-03-10T07:30:00.000000Z', open: 5101, high: 5101.5, low: 5100.75, close: 5101.25, volume: 11 },
      // 02:15 does not exist in Chicago that night: read with CST, it is 03:15 CDT
      { timestamp: '2024-03-10T08:15:00.000000Z', open: 5101.25, high: 5102, low: 5101, close: 5101.75, volume: 12 },
      { timestamp: '2024-03-10T08:30:00.000000Z', open: 5101.75, high: 5102.25, low: 5101.5, close: 5102, volume: 13 },
    ]);
    // Sunday 17:00 CDT opens Monday's session
    expect((await readStaged(report.partitions[2].path, decoder)).rows).toEqual([
      { timestamp: '2024-03-10T22:00:00.000000Z', open: 5102, high: 5102.5, low: 5101.75, close: 5102.25, volume: 14 },
    ]);
    const meta = await getParquetMetadata(report.partitions[1].path, { decoder });
    expect(meta.keyValue).toMatchObject({
      'mes_data.layer': 'raw',
      'mes_data.asset': 'MES',
      'mes_data.date': '2024-03-10',
      'mes_data.timezone': 'America/Chicago',
      'mes_data.source_file': 'bars.csv',
      'mes_data.source_sha256': report.source.sha256,
      'mes_data.source_bytes': String(fs.statSync(file).size),
    });
    // the store takes a staged file as it is when it carries the raw snapshot's keys
    expect(meta.keyValue).toMatchObject(rawKeyValue('MES', '2024-03-10', { fileName: 'bars.csv', sha256: report.source.sha256 }));
    expect(meta.rowGroups[0].columns.map((c) => c.compression)).toEqual(Array(6).fill('ZSTD'));
    expect(listFiles(staging)).toEqual(['MES/2024-03-08/bars.parquet', 'MES/2024-03-10/bars.parquet', 'MES/2024-03-11/bars.parquet']);
  });

  it('reads the repeated hour of the fall-back night (2024-11-03) by each policy', async () => {
    const file = writeFixture(
      sources,
      'fall.csv',
      ['datetime,close', '2024-11-03T00:30:00.000,1', '2024-11-03T01:30:00.000,2', '2024-11-03T01:45:00.000,3', '2024-11-03T01:15:00.000,4', '2024-11-03T01:30:00.000,5', '2024-11-03T02:00:00.000,6'].join('\n'),
    );
    const timestamps = (report: IngestReport) => (report.preview ?? []).map((row) => row.timestamp);
    const infer = await ingestFile(file, { asset: 'ES', dryRun: true });
    expect(infer.dst).toEqual({ gaps: 0, repeats: 4, gapPolicy: 'shift', repeatPolicy: 'infer' });
    // the second pass over 01:00–02:00 (the clock going back after 01:45) is CST
    expect(timestamps(infer)).toEqual([
      '2024-11-03T05:30:00.000000Z',
      '2024-11-03T06:30:00.000000Z',
      '2024-11-03T06:45:00.000000Z',
      '2024-11-03T07:15:00.000000Z',
      '2024-11-03T07:30:00.000000Z',
      '2024-11-03T08:00:00.000000Z',
    ]);
    const earlier = await ingestFile(file, { asset: 'ES', dryRun: true, dstRepeat: 'earlier' });
    expect(timestamps(earlier).slice(3, 5)).toEqual(['2024-11-03T06:15:00.000000Z', '2024-11-03T06:30:00.000000Z']);
    const later = await ingestFile(file, { asset: 'ES', dryRun: true, dstRepeat: 'later' });
    expect(timestamps(later).slice(1, 3)).toEqual(['2024-11-03T07:30:00.000000Z', '2024-11-03T07:45:00.000000Z']);
    const reject = await ingestFile(file, { asset: 'ES', dryRun: true, dstRepeat: 'reject', onBadRows: 'skip' });
    expect(reject.badRows.map((b) => b.line)).toEqual([3, 4, 5, 6]);
    expect(reject.badRows[0].reason).toBe('local time 2024-11-03 01:30:00 happened twice in America/Chicago (clocks went back)');
    expect(timestamps(reject)).toEqual(['2024-11-03T05:30:00.000000Z', '2024-11-03T08:00:00.000000Z']);
  });

  it('splits five sessions into five trading dates, across midnight, with 17:00 CT opening the next date (asset from the file name)', async () => {
    // hourly bars from Sunday 2024-01-07 17:00 to Friday 2024-01-12 16:00, Chicago time (CST, UTC-6)
    const lines = ['Timestamp,Open,High,Low,Close,Volume'];
    const start = Date.UTC(2024, 0, 7, 17);
    for (let h = 0; h < 120; h++) {
      const local = new Date(start + h * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
      lines.push(`${local},${4800 + h},${4801 + h},${4799 + h},${4800.5 + h},${100 + h}`);
    }
    const file = writeFixture(sources, 'MES_2024-01.csv', `${lines.join('\n')}\n`);
    const report = await ingestFile(file, { stagingDir: staging });
    expect(report.asset).toBe('MES');
    expect(datesOf(report)).toEqual([
      ['2024-01-08', 24],
      ['2024-01-09', 24],
      ['2024-01-10', 24],
      ['2024-01-11', 24],
      ['2024-01-12', 24],
    ]);
    expect(report.partitions[0]).toMatchObject({ firstTimestamp: '2024-01-07T23:00:00.000000000Z', lastTimestamp: '2024-01-08T22:00:00.000000000Z' });
    const monday = await readStaged(report.partitions[0].path, decoder);
    expect(monday.rows.slice(0, 2)).toEqual([
      { timestamp: '2024-01-07T23:00:00.000000Z', open: 4800, high: 4801, low: 4799, close: 4800.5, volume: 100 },
      { timestamp: '2024-01-08T00:00:00.000000Z', open: 4801, high: 4802, low: 4800, close: 4801.5, volume: 101 },
    ]);
    // Sunday 23:00 and Monday 00:00 CT sit on both sides of midnight in the same session
    expect(monday.rows.slice(6, 8).map((r) => r.timestamp)).toEqual(['2024-01-08T05:00:00.000000Z', '2024-01-08T06:00:00.000000Z']);
    // Monday 16:00 CT is Monday's last bar; Monday 17:00 CT is Tuesday's first
    expect(monday.rows[23].timestamp).toBe('2024-01-08T22:00:00.000000Z');
    expect((await readStaged(report.partitions[1].path, decoder)).rows[0].timestamp).toBe('2024-01-08T23:00:00.000000Z');
  });

  it('reads a BOM + CRLF file with quoted fields (delimiters, quotes, line breaks), thousands separators and split MM/DD/YYYY + time', async () => {
    const text =
      '\uFEFF"Date","Time","Open","High","Low","Close","Volume","Note"\r\n' +
      '"01/02/2024","17:00","4,812.25","4,813.50","4,811.00","4,812.75","1,200","roll, ""front""\r\nmonth"\r\n' +
      '"01/02/2024","17:01","4,812.75","4,813.00","4,812.00","4,812.50","900",""\r\n';
    const file = writeFixture(sources, 'quoted.csv', text);
    const report = await ingestFile(file, { asset: 'mes', stagingDir: staging });
    expect(report.dialect).toEqual({
      format: 'csv',
      encoding: 'utf-8',
      bom: true,
      delimiter: ',',
      quote: '"',
      lineEnding: 'crlf',
      header: true,
      decimal: '.',
      thousands: ',',
      columns: ['Date', 'Time', 'Open', 'High', 'Low', 'Close', 'Volume', 'Note'],
    });
    expect(report.mapping).toEqual({ date: 'Date', time: 'Time', open: 'Open', high: 'High', low: 'Low', close: 'Close', volume: 'Volume', Note: 'Note' });
    expect(report.timestamp).toEqual({ kind: 'split', epochUnit: null, dateOnly: false });
    expect(datesOf(report)).toEqual([['2024-01-03', 2]]);
    const staged = await readStaged(report.partitions[0].path, decoder);
    expect(staged.columns).toEqual([...OHLCV_COLUMNS, 'Note:Utf8']);
    expect(staged.rows).toEqual([
      { timestamp: '2024-01-02T23:00:00.000000Z', open: 4812.25, high: 4813.5, low: 4811, close: 4812.75, volume: 1200, Note: 'roll, "front"\r\nmonth' },
      { timestamp: '2024-01-02T23:01:00.000000Z', open: 4812.75, high: 4813, low: 4812, close: 4812.5, volume: 900, Note: '' },
    ]);
  });

  it('reads a semicolon file with decimal commas, dotted thousands and epoch milliseconds', async () => {
    const file = writeFixture(
      sources,
      'eu.csv',
      'timestamp;open;high;low;close;volume\n1704236400000;4.812,25;4.813,50;4.811,00;4.812,75;1.200\n1704236460123;4.812,75;4.813,00;4.812,00;4.812,50;900\n',
    );
    const report = await ingestFile(file, { asset: 'MES', stagingDir: staging });
    expect(report.dialect).toMatchObject({ delimiter: ';', decimal: ',', thousands: '.', header: true });
    expect(report.timestamp).toEqual({ kind: 'epoch', epochUnit: 'ms', dateOnly: false });
    expect((await readStaged(report.partitions[0].path, decoder)).rows).toEqual([
      { timestamp: '2024-01-02T23:00:00.000000Z', open: 4812.25, high: 4813.5, low: 4811, close: 4812.75, volume: 1200 },
      { timestamp: '2024-01-02T23:01:00.123000Z', open: 4812.75, high: 4813, low: 4812, close: 4812.5, volume: 900 },
    ]);
    expect(report.partitions[0].date).toBe('2024-01-03');
  });

  it('reads a TSV with ISO 8601 offsets and nanoseconds (asset from the file name)', async () => {
    const file = writeFixture(
      sources,
      'es-1min.tsv',
      'datetime\to\th\tl\tc\tv\n2024-01-02T18:00:00-05:00\t1\t2\t0.5\t1.5\t10\n2024-01-02T18:00:00.123456789Z\t1.5\t2.5\t1\t2\t11\n',
    );
    const report = await ingestFile(file, { stagingDir: staging });
    expect(report).toMatchObject({ asset: 'ES', dialect: { delimiter: '\t' }, mapping: { timestamp: 'datetime', open: 'o', high: 'h', low: 'l', close: 'c', volume: 'v' } });
    expect(datesOf(report)).toEqual([
      ['2024-01-02', 1],
      ['2024-01-03', 1],
    ]);
    expect((await readStaged(report.partitions[0].path, decoder)).rows).toEqual([{ timestamp: '2024-01-02T18:00:00.123456789Z', open: 1.5, high: 2.5, low: 1, close: 2, volume: 11 }]);
    expect((await readStaged(report.partitions[1].path, decoder)).rows).toEqual([{ timestamp: '2024-01-02T23:00:00.000000000Z', open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 }]);
  });

  it('reads a pipe-delimited file with US dates and AM/PM times, open interest and bid/ask', async () => {
    const file = writeFixture(sources, 'nq_quotes.txt', 'DateTime|Bid|Ask|BidSize|AskSize|OI\n01/02/2024 05:00:00 PM|16800.25|16800.5|3|4|250000\n01/02/2024 05:00:01 PM|16800.5|16800.75|1|2|250000\n');
    const report = await ingestFile(file, { dryRun: true });
    expect(report).toMatchObject({ asset: 'NQ', dialect: { delimiter: '|', header: true }, mapping: { timestamp: 'DateTime', open_interest: 'OI', bid: 'Bid', ask: 'Ask', bid_size: 'BidSize', ask_size: 'AskSize' } });
    expect(report.columns.map((c) => `${c.name}:${c.type}`)).toEqual(['timestamp:Timestamp<MICROSECOND, UTC>', 'open_interest:Int64', 'bid:Float64', 'ask:Float64', 'bid_size:Int64', 'ask_size:Int64']);
    expect(report.preview).toEqual([
      { timestamp: '2024-01-02T23:00:00.000000Z', open_interest: 250000, bid: 16800.25, ask: 16800.5, bid_size: 3, ask_size: 4 },
      { timestamp: '2024-01-02T23:00:01.000000Z', open_interest: 250000, bid: 16800.5, ask: 16800.75, bid_size: 1, ask_size: 2 },
    ]);
    expect(report.partitions.map((p) => p.date)).toEqual(['2024-01-03']);
  });

  it('keeps the date of daily bars (YYYYMMDD), with Adj Close as its own column, one snapshot per calendar year', async () => {
    const file = writeFixture(
      sources,
      'es_daily.csv',
      'Date,Open,High,Low,Close,Adj Close,Volume\n20231229,4790,4800,4780,4795,4794,1400000\n20240102,4800,4850,4790,4820.5,4819.25,1500000\n20240103,4820.5,4830,4700,4710,4709,1800000\n',
    );
    const report = await ingestFile(file, { stagingDir: staging });
    expect(report.timestamp).toEqual({ kind: 'text', epochUnit: null, dateOnly: true });
    expect(report.period).toBe('year');
    expect(report.partitions.map((p) => [p.date, p.rows, p.dateSpan])).toEqual([
      ['2023-01-01', 1, { first: '2023-12-29', last: '2023-12-29' }],
      ['2024-01-01', 2, { first: '2024-01-02', last: '2024-01-03' }],
    ]);
    expect(report.dateSpan).toEqual({ first: '2023-12-29', last: '2024-01-03' });
    const staged = await readStaged(report.partitions[1].path, decoder);
    expect(staged.columns).toEqual([...OHLCV_COLUMNS, 'adj_close:Float64']);
    expect(staged.rows).toEqual([
      { timestamp: '2024-01-02T00:00:00.000000Z', open: 4800, high: 4850, low: 4790, close: 4820.5, volume: 1500000, adj_close: 4819.25 },
      { timestamp: '2024-01-03T00:00:00.000000Z', open: 4820.5, high: 4830, low: 4700, close: 4710, volume: 1800000, adj_close: 4709 },
    ]);
    expect(staged.keyValue['mes_data.date']).toBe('2024-01-01');
    expect(staged.keyValue['mes_data.period']).toBe('year');
  });

  it('reads a file without a header (epoch seconds, then OHLCV by position)', async () => {
    const file = writeFixture(sources, 'nq.csv', '1704236400,16800.25,16810,16790.5,16805.75,42\n1704236460,16805.75,16806,16801,16802.25,7\n');
    const report = await ingestFile(file, { stagingDir: staging });
    expect(report.mapping).toEqual({ timestamp: 'column1', open: 'column2', high: 'column3', low: 'column4', close: 'column5', volume: 'column6' });
    expect((await readStaged(report.partitions[0].path, decoder)).rows).toEqual([
      { timestamp: '2024-01-02T23:00:00.000000Z', open: 16800.25, high: 16810, low: 16790.5, close: 16805.75, volume: 42 },
      { timestamp: '2024-01-02T23:01:00.000000Z', open: 16805.75, high: 16806, low: 16801, close: 16802.25, volume: 7 },
    ]);
  });

  describe('malformed rows', () => {
    const text = [
      'timestamp,open,high,low,close,volume',
      '2024-01-02 17:00:00,1,2,0.5,1.5,10',
      '2024-01-02 17:01:00,1,2,0.5,1.5',
      '2024-01-02 17:02:00,1,abc,0.5,1.5,10',
      '2024-13-02 17:03:00,1,2,0.5,1.5,10',
      '2024-01-02 17:04:00,1,2,0.5,1.5,10',
      '',
    ].join('\n');
    const expectedBadRows = [
      { line: 3, reason: 'expected 6 fields, found 5' },
      { line: 4, reason: 'unparseable number "abc" in column "high"' },
      { line: 5, reason: 'unparseable timestamp "2024-13-02 17:03:00" in column "timestamp"' },
    ];

    it('fail (the default): PARSE_ERROR listing the bad lines, nothing staged', async () => {
      const file = writeFixture(sources, 'bad.csv', text);
      const error = await ingestFile(file, { asset: 'MES', stagingDir: staging }).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'PARSE_ERROR',
        details: { path: file, badRows: expectedBadRows, badRowCount: 3, rowsRead: 5, complete: true },
      });
      expect((error as Error).message).toBe(
        '3 of 5 rows are malformed in bad.csv, nothing staged (ingest with --on-bad-rows skip to keep the other rows): line 3: expected 6 fields, found 5; line 4: unparseable number "abc" in column "high"; line 5: unparseable timestamp "2024-13-02 17:03:00" in column "timestamp"',
      );
      expect(listFiles(staging)).toEqual([]);
      expect(listDirs(staging)).toEqual([]);
    });

    it('skip: stages the good rows and returns the skipped ones', async () => {
      const file = writeFixture(sources, 'bad.csv', text);
      const report = await ingestFile(file, { asset: 'MES', stagingDir: staging, onBadRows: 'skip' });
      expect(report).toMatchObject({ rowsRead: 5, rowsWritten: 2, badRows: expectedBadRows, badRowCount: 3 });
      expect((await readStaged(report.partitions[0].path, decoder)).rows).toEqual([
        { timestamp: '2024-01-02T23:00:00.000000Z', open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 },
        { timestamp: '2024-01-02T23:04:00.000000Z', open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 },
      ]);
    });

    it('reports an unclosed quote and a missing timestamp', async () => {
      const file = writeFixture(sources, 'open.csv', 'timestamp,close,note\n,1,x\n2024-01-02 17:00:00,2,"never closed\n');
      const report = await ingestFile(file, { asset: 'MES', dryRun: true, onBadRows: 'skip' });
      expect(report.badRows).toEqual([
        { line: 2, reason: 'missing timestamp in column "timestamp"' },
        { line: 3, reason: 'a quoted field is never closed' },
      ]);
    });
  });

  it('reads Parquet input (UTC millisecond timestamps, int64 volume)', async () => {
    const rows = 3;
    const ms = BigInt64Array.from([1704236400000n, 1704236460000n, 1704322800000n]);
    const table = new Table({
      timestamp: makeVector(makeData({ type: new TimestampMillisecond('UTC'), length: rows, nullCount: 0, data: ms })),
      open: makeVector(Float64Array.from([1, 2, 3])),
      high: makeVector(Float64Array.from([1.5, 2.5, 3.5])),
      low: makeVector(Float64Array.from([0.5, 1.5, 2.5])),
      close: makeVector(Float64Array.from([1.25, 2.25, 3.25])),
      volume: makeVector(makeData({ type: new Int64(), length: rows, nullCount: 0, data: BigInt64Array.from([10n, 20n, 30n]) })),
    });
    const file = path.join(sources, 'MES.parquet');
    await writeParquet(table, file, { decoder });
    const report = await ingestFile(file, { stagingDir: staging });
    expect(report).toMatchObject({ format: 'parquet', asset: 'MES', dialect: { format: 'parquet', columns: ['timestamp', 'open', 'high', 'low', 'close', 'volume'] }, timestamp: { kind: 'typed' } });
    expect(datesOf(report)).toEqual([
      ['2024-01-03', 2],
      ['2024-01-04', 1],
    ]);
    expect((await readStaged(report.partitions[0].path, decoder)).rows).toEqual([
      { timestamp: '2024-01-02T23:00:00.000000Z', open: 1, high: 1.5, low: 0.5, close: 1.25, volume: 10 },
      { timestamp: '2024-01-02T23:01:00.000000Z', open: 2, high: 2.5, low: 1.5, close: 2.25, volume: 20 },
    ]);
  });

  it('reads Arrow IPC, file and stream format (zone-less timestamps are local times in the ingest zone)', async () => {
    const us = BigInt64Array.from([Date.UTC(2024, 0, 2, 17) * 1000 /* 17:00 naive */, Date.UTC(2024, 0, 2, 17, 1) * 1000 + 5].map(BigInt));
    const table = new Table({
      time: makeVector(makeData({ type: new TimestampMicrosecond(), length: 2, nullCount: 0, data: us })),
      price: makeVector(Float64Array.from([5000.25, 5000.5])),
      size: makeVector(makeData({ type: new Int64(), length: 2, nullCount: 0, data: BigInt64Array.from([3n, 1n]) })),
      venue: vectorFromArray(['XCME', null], new Utf8()),
    });
    const expected = [
      { timestamp: '2024-01-02T23:00:00.000000Z', price: 5000.25, size: 3, venue: 'XCME' },
      { timestamp: '2024-01-02T23:01:00.000005Z', price: 5000.5, size: 1, venue: null },
    ];
    for (const [name, format] of [
      ['es_ticks.arrow', 'file'],
      ['es_ticks.arrows', 'stream'],
    ] as const) {
      const file = writeFixture(sources, name, tableToIPC(table, format));
      const target = path.join(staging, format);
      const report = await ingestFile(file, { stagingDir: target });
      expect(report).toMatchObject({ format: 'arrow', asset: 'ES', mapping: { timestamp: 'time', price: 'price', size: 'size', venue: 'venue' } });
      expect(report.columns).toEqual([
        { name: 'timestamp', type: 'Timestamp<MICROSECOND, UTC>' },
        { name: 'price', type: 'Float64' },
        { name: 'size', type: 'Int64' },
        { name: 'venue', type: 'Utf8' },
      ]);
      expect((await readStaged(report.partitions[0].path, decoder)).rows).toEqual(expected);
    }
  });

  it('reads JSON Lines with nanosecond epochs exactly, skipping blank lines and reporting bad ones', async () => {
    const file = writeFixture(
      sources,
      'MNQ.jsonl',
      [
        '{"ts_event": 1704236400123456789, "price": 16800.25, "size": 2, "side": "B", "flags": {"last": true}}',
        '',
        '{"ts_event": 1704236400123456790, "price": 16800.5, "size": 1, "side": "A\\u00e9"}',
        '{"ts_event": 1704236400123456791, "price": oops}',
        '',
      ].join('\n'),
    );
    const report = await ingestFile(file, { stagingDir: staging, onBadRows: 'skip' });
    expect(report).toMatchObject({ format: 'jsonl', asset: 'MNQ', timestamp: { kind: 'epoch', epochUnit: 'ns' } });
    expect(report.badRows).toEqual([{ line: 4, reason: 'malformed JSON: unexpected "oops"' }]);
    expect((await readStaged(report.partitions[0].path, decoder)).rows).toEqual([
      { timestamp: '2024-01-02T23:00:00.123456789Z', price: 16800.25, size: 2, side: 'B', flags: '{"last": true}' },
      { timestamp: '2024-01-02T23:00:00.123456790Z', price: 16800.5, size: 1, side: 'Aé', flags: null },
    ]);
  });

  it('dry run: dialect, mapping, zone, the first rows as stored, the date span and partitions, nothing written', async () => {
    const file = writeFixture(sources, 'dry.csv', 'time,open,high,low,close,volume\n2024-01-02 16:59:00,1,2,0.5,1.5,10\n2024-01-02 17:00:00,1.5,2.5,1,2,\n2024-01-03 17:00:00,2,3,1.5,2.5,12\n');
    const target = path.join(staging, 'not-made');
    const report = await ingestFile(file, { asset: 'MES', stagingDir: target, dryRun: true, previewRows: 2 });
    expect(report).toMatchObject({
      dryRun: true,
      timezone: 'America/Chicago',
      dialect: { delimiter: ',', header: true },
      mapping: { timestamp: 'time' },
      dateSpan: { first: '2024-01-02', last: '2024-01-04' },
      rowsRead: 3,
      rowsWritten: 3,
    });
    expect(report.preview).toEqual([
      { timestamp: '2024-01-02T22:59:00.000000Z', open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 },
      { timestamp: '2024-01-02T23:00:00.000000Z', open: 1.5, high: 2.5, low: 1, close: 2, volume: null },
    ]);
    expect(report.partitions).toEqual([
      { asset: 'MES', date: '2024-01-02', path: path.join(target, 'MES', '2024-01-02', 'dry.parquet'), rows: 1, firstTimestamp: '2024-01-02T22:59:00.000000000Z', lastTimestamp: '2024-01-02T22:59:00.000000000Z', bytes: null, sha256: null },
      expect.objectContaining({ date: '2024-01-03', rows: 1 }),
      expect.objectContaining({ date: '2024-01-04', rows: 1 }),
    ]);
    expect(fs.existsSync(target)).toBe(false);
  });

  it('cancellation removes everything staged and throws CANCELLED', async () => {
    const lines = ['timestamp,open,high,low,close,volume'];
    for (let i = 0; i < 120_000; i++) lines.push(`${new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString().slice(0, 19).replace('T', ' ')},5000.25,5001,4999.5,5000.75,${i}`);
    const file = writeFixture(sources, 'big.csv', `${lines.join('\n')}\n`);
    const controller = new AbortController();
    const progress: number[] = [];
    const error = await ingestFile(file, {
      asset: 'MES',
      stagingDir: staging,
      signal: controller.signal,
      onProgress: ({ bytesRead, rows }) => {
        progress.push(bytesRead);
        // a few files are written by now: cancel once the second chunk is read
        if (rows > 30_000) controller.abort();
      },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CANCELLED', message: 'ingest of big.csv was cancelled; nothing was staged' });
    expect(progress.length).toBeGreaterThan(0);
    expect(listFiles(staging)).toEqual([]);
    expect(listDirs(staging)).toEqual([]);
    const already = new AbortController();
    already.abort();
    await expect(ingestFile(file, { asset: 'MES', stagingDir: staging, signal: already.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('reports progress in bytes and rows: hashing the source first, then reading it', async () => {
    const file = writeFixture(sources, 'p.csv', 'timestamp,close\n2024-01-02 17:00:00,1\n2024-01-02 17:01:00,2\n');
    const size = fs.statSync(file).size;
    const seen: IngestProgress[] = [];
    await ingestFile(file, { asset: 'MES', stagingDir: staging, onProgress: (p) => seen.push(p) });
    expect(seen[0].phase).toBe('hashing');
    expect(seen.filter((p) => p.phase === 'hashing').at(-1)).toEqual({ phase: 'hashing', bytesRead: size, totalBytes: size, rows: 0 });
    expect(seen.at(-1)).toEqual({ phase: 'reading', bytesRead: size, totalBytes: size, rows: 2 });
    // a dry run writes no footers, so it hashes while reading
    const dry: IngestProgress[] = [];
    await ingestFile(file, { asset: 'MES', dryRun: true, onProgress: (p) => dry.push(p) });
    expect(dry.every((p) => p.phase === 'reading')).toBe(true);
  });

  it('takes the source hash from the caller, and notices a file that does not match it', async () => {
    const file = writeFixture(sources, 'h.csv', 'timestamp,close\n2024-01-02 17:00:00,1\n');
    const sha = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    const report = await ingestFile(file, { asset: 'MES', stagingDir: staging, sourceSha256: sha });
    expect(report.source.sha256).toBe(sha);
    const other = path.join(dir, `other${run}`);
    await expect(ingestFile(file, { asset: 'MES', stagingDir: other, sourceSha256: '0'.repeat(64) })).rejects.toMatchObject({
      code: 'CORRUPTED_FILE',
      details: { reason: 'changed while reading', sha256: sha },
    });
    expect(listFiles(other)).toEqual([]);
    await expect(ingestFile(file, { asset: 'MES', dryRun: true, sourceSha256: 'abc' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('stages unsorted input: dates written in pieces (segments, spills) are merged in input order', async () => {
    // three dates interleaved, row by row
    const lines = ['timestamp,close,volume'];
    const days = ['2024-01-02', '2024-01-03', '2024-01-04'];
    for (let i = 0; i < 60; i++) lines.push(`${days[i % 3]} 09:${String(Math.floor(i / 3)).padStart(2, '0')}:00,${i},${i}`);
    const file = writeFixture(sources, 'shuffled.csv', `${lines.join('\n')}\n`);
    const report = await ingestFile(file, { asset: 'MES', stagingDir: staging }, { batchRows: 4, memoryRows: 6, maxOpenSegments: 1 });
    expect(datesOf(report)).toEqual([
      ['2024-01-02', 20],
      ['2024-01-03', 20],
      ['2024-01-04', 20],
    ]);
    for (const [k, partition] of report.partitions.entries()) {
      const staged = await readStaged(partition.path, decoder);
      expect(staged.columns).toEqual(['timestamp:Timestamp<MICROSECOND, UTC>', 'close:Float64', 'volume:Int64']);
      expect(staged.rows.map((r) => r.close)).toEqual(Array.from({ length: 20 }, (_, i) => i * 3 + k));
    }
    expect(listFiles(staging)).toEqual(['MES/2024-01-02/shuffled.parquet', 'MES/2024-01-03/shuffled.parquet', 'MES/2024-01-04/shuffled.parquet']);
  });

  it('makes volume Float64 in every partition when a non-integral value comes late', async () => {
    const file = writeFixture(sources, 'frac.csv', 'timestamp,close,volume\n2024-01-02 09:00:00,1,10\n2024-01-03 09:00:00,2,20\n2024-01-04 09:00:00,3,0.5\n');
    const report = await ingestFile(file, { asset: 'MES', stagingDir: staging });
    expect(report.columns.map((c) => c.type)).toEqual(['Timestamp<MICROSECOND, UTC>', 'Float64', 'Float64']);
    const volumes = [];
    for (const partition of report.partitions) {
      const staged = await readStaged(partition.path, decoder);
      expect(staged.columns[2]).toBe('volume:Float64');
      volumes.push(...staged.rows.map((r) => r.volume));
    }
    expect(volumes).toEqual([10, 20, 0.5]);
  });

  it('refuses to overwrite a staged file (ALREADY_EXISTS) and leaves the earlier one alone', async () => {
    const file = writeFixture(sources, 'twice.csv', 'timestamp,close\n2024-01-02 09:00:00,1\n');
    const first = await ingestFile(file, { asset: 'MES', stagingDir: staging });
    const before = fs.readFileSync(first.partitions[0].path);
    await expect(ingestFile(file, { asset: 'MES', stagingDir: staging })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    expect(fs.readFileSync(first.partitions[0].path)).toEqual(before);
    expect(listFiles(staging)).toEqual(['MES/2024-01-02/twice.parquet']);
  });

  it('names the problem: no asset, a bad option, a missing file, no timestamp column', async () => {
    const file = writeFixture(sources, 'bars.csv', 'timestamp,close\n2024-01-02 09:00:00,1\n');
    await expect(ingestFile(file, { stagingDir: staging })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'cannot tell the asset from the file name "bars.csv"; pass the asset (e.g. --asset MES)' });
    await expect(ingestFile(file, { asset: 'MES' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(ingestFile(file, { asset: 'MES', dryRun: true, onBadRows: 'drop' as never })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(ingestFile(file, { asset: 'MES', dryRun: true, timezone: 'Chicago' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(ingestFile(path.join(sources, 'nope.csv'), { asset: 'MES', dryRun: true })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const noTime = writeFixture(sources, 'nt.csv', 'open,close\n1,2\n');
    await expect(ingestFile(noTime, { asset: 'MES', dryRun: true })).rejects.toMatchObject({ code: 'MISSING_REQUIRED_COLUMN' });
  });

  it('writes a big date in row groups through a streaming writer, in order', async () => {
    const lines = ['ts,price,size'];
    for (let i = 0; i < 50; i++) lines.push(`${1704236400 + i},${5000 + i / 4},${i + 1}`);
    const file = writeFixture(sources, 'MES_ticks.csv', `${lines.join('\n')}\n`);
    const report = await ingestFile(file, { stagingDir: staging, rowGroupSize: 16 }, { batchRows: 8 });
    expect(datesOf(report)).toEqual([['2024-01-03', 50]]);
    const meta = await getParquetMetadata(report.partitions[0].path, { decoder });
    expect(meta.rowGroups.map((g) => g.numRows)).toEqual([16, 16, 16, 2]);
    const staged = await readStaged(report.partitions[0].path, decoder);
    expect(staged.rows.map((r) => r.size)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(staged.rows[49]).toEqual({ timestamp: '2024-01-02T23:00:49.000000Z', price: 5012.25, size: 50 });
    expect(report.partitions[0].sha256).toBe(createHash('sha256').update(fs.readFileSync(report.partitions[0].path)).digest('hex'));
  });

  it('stages the same bytes for the same file (nothing time-dependent in the footer)', async () => {
    const file = writeFixture(sources, 'MES_same.csv', 'timestamp,close,volume\n2024-01-02 09:00:00,1,10\n2024-01-03 09:00:00,2,20\n');
    const first = await ingestFile(file, { stagingDir: path.join(staging, 'a') });
    const second = await ingestFile(file, { stagingDir: path.join(staging, 'b') });
    expect(second.partitions.map((p) => p.sha256)).toEqual(first.partitions.map((p) => p.sha256));
    expect(second.source).toEqual(first.source);
    expect(first.source.sha256).toBe(createHash('sha256').update(fs.readFileSync(file)).digest('hex'));
  });

  it('reads daily bars from a Parquet date column', async () => {
    const table = new Table({
      date: makeVector(makeData({ type: new DateDay(), length: 2, nullCount: 0, data: Int32Array.from([19724, 19725]) })),
      close: makeVector(Float64Array.from([4820.5, 4710])),
    });
    const file = path.join(sources, 'es_daily.parquet');
    await writeParquet(table, file, { decoder });
    const report = await ingestFile(file, { stagingDir: staging });
    expect(report.timestamp).toEqual({ kind: 'typed', epochUnit: null, dateOnly: true });
    expect(report.partitions.map((p) => [p.date, p.rows, p.dateSpan])).toEqual([['2024-01-01', 2, { first: '2024-01-02', last: '2024-01-03' }]]);
    expect((await readStaged(report.partitions[0].path, decoder)).rows).toEqual([
      { timestamp: '2024-01-02T00:00:00.000000Z', close: 4820.5 },
      { timestamp: '2024-01-03T00:00:00.000000Z', close: 4710 },
    ]);
  });

  it('refuses compressed files and JSON arrays with UNSUPPORTED_FILE', async () => {
    const gz = writeFixture(sources, 'MES.csv.gz', gzipSync('timestamp,close\n2024-01-02 09:00:00,1\n'));
    await expect(ingestFile(gz, { dryRun: true })).rejects.toMatchObject({ code: 'UNSUPPORTED_FILE' });
    const array = writeFixture(sources, 'MES.json', '[{"timestamp": "2024-01-02 09:00:00", "close": 1}]');
    await expect(ingestFile(array, { dryRun: true })).rejects.toMatchObject({ code: 'UNSUPPORTED_FILE' });
  });

  it('reads naive times in another zone when told', async () => {
    const file = writeFixture(sources, 'ldn.csv', 'timestamp,close\n2024-07-01 08:00:00,1\n');
    const report = await ingestFile(file, { asset: 'MES', dryRun: true, timezone: 'Europe/London' });
    expect(report.timezone).toBe('Europe/London');
    expect(report.preview?.[0].timestamp).toBe('2024-07-01T07:00:00.000000Z');
    expect(report.partitions[0].date).toBe('2024-07-01');
  });
});
