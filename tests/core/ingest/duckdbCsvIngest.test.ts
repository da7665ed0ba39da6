import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ingestFile } from '../../../core/ingest/ingestFile.js';
import type { IngestReport } from '../../../core/ingest/ingestTypes.js';
import { DecoderPool } from '../../../core/parquet/decoderPool.js';
import { tempDir } from '../../helpers/ohlcvTable.js';
import { listDirs, listFiles, readStaged, writeFixture } from './ingestFixtures.js';

/**
 * The DuckDB path must stage exactly what our reader stages (same dates, rows, columns,
 * values, row order and footer keys), or hand the file back to our reader. Each case runs
 * both and compares.
 */
describe('CSV through DuckDB', () => {
  const decoder = new DecoderPool();
  const { dir, cleanup } = tempDir('mes-data-duck-ingest-');
  let run = 0;
  let sources: string;
  beforeEach(() => {
    run++;
    sources = path.join(dir, `src${run}`);
    fs.mkdirSync(sources);
  });
  afterAll(async () => {
    await decoder.close();
    cleanup();
  });

  /** Stages `file` with both engines; returns both reports and the staged files read back. */
  async function both(file: string, options: { timezone?: string; asset?: string } = {}) {
    const staged = async (engine: 'duckdb' | 'ours') => {
      const stagingDir = path.join(dir, `stage${run}-${engine}`);
      const report = await ingestFile(file, { asset: options.asset ?? 'MES', timezone: options.timezone, stagingDir }, { engine });
      const files = await Promise.all(report.partitions.map((p) => readStaged(p.path, decoder)));
      return { report, files, stagingDir };
    };
    const duck = await staged('duckdb');
    const ours = await staged('ours');
    return { duck, ours };
  }

  const comparable = (report: IngestReport) => ({
    rowsRead: report.rowsRead,
    rowsWritten: report.rowsWritten,
    columns: report.columns,
    period: report.period,
    dateSpan: report.dateSpan,
    timestamp: report.timestamp,
    partitions: report.partitions.map((p) => ({ date: p.date, rows: p.rows, first: p.firstTimestamp, last: p.lastTimestamp, dateSpan: p.dateSpan, name: path.basename(p.path), folder: path.basename(path.dirname(p.path)) })),
  });
  /** The footer keys both write (DuckDB's and our writer's own keys aside). */
  const ourKeys = (keyValue: Record<string, string>) => Object.fromEntries(Object.entries(keyValue).filter(([k]) => k.startsWith('mes_data.')));

  async function expectSame(file: string, engine: 'duckdb' | 'ours', options: { timezone?: string } = {}) {
    const { duck, ours } = await both(file, options);
    expect(duck.report.engine).toBe(engine);
    expect(ours.report.engine).toBe('ours');
    expect(comparable(duck.report)).toEqual(comparable(ours.report));
    expect(duck.files.map((f) => f.columns)).toEqual(ours.files.map((f) => f.columns));
    expect(duck.files.map((f) => f.rows)).toEqual(ours.files.map((f) => f.rows));
    expect(duck.files.map((f) => ourKeys(f.keyValue))).toEqual(ours.files.map((f) => ourKeys(f.keyValue)));
    // the same layout, nothing else left behind
    expect(listFiles(duck.stagingDir)).toEqual(listFiles(ours.stagingDir));
    return { duck, ours };
  }

  it('reads ISO bars in Chicago time, one file per trading date in file order, microseconds', async () => {
    const lines = ['timestamp,open,high,low,close,volume'];
    // three sessions, rows of the middle one out of order, a repeated timestamp, a null volume
    const times = ['2024-01-02 16:59:00', '2024-01-02 17:00:00', '2024-01-03 09:30:00', '2024-01-03 08:30:00.25', '2024-01-03 08:30:00.25', '2024-01-03 17:00:00'];
    times.forEach((t, k) => lines.push(`${t},${4800 + k},${4801 + k},${4799 + k},${4800.5 + k},${k === 2 ? '' : 10 + k}`));
    const { duck } = await expectSame(writeFixture(sources, 'bars.csv', `${lines.join('\n')}\n`), 'duckdb');
    expect(duck.report.partitions.map((p) => [p.date, p.rows])).toEqual([
      ['2024-01-02', 1],
      ['2024-01-03', 4],
      ['2024-01-04', 1],
    ]);
    expect(duck.files[1].rows.map((r) => r.timestamp)).toEqual(['2024-01-02T23:00:00.000000Z', '2024-01-03T15:30:00.000000Z', '2024-01-03T14:30:00.250000Z', '2024-01-03T14:30:00.250000Z']);
    expect(duck.files[1].rows[1].volume).toBeNull();
    expect(duck.files[0].keyValue['mes_data.date']).toBe('2024-01-02');
    expect(duck.files[0].columns[0]).toBe('timestamp:Timestamp<MICROSECOND, UTC>');
  });

  it('keeps rows in file order when the input jumps between more dates than it keeps open', async () => {
    const lines = ['timestamp,close,volume'];
    // 40 dates, every row a different date from the last: DuckDB writes each date in pieces and merges them
    for (let pass = 0; pass < 3; pass++) {
      for (let d = 0; d < 40; d++) {
        const day = new Date(Date.UTC(2024, 0, 1 + d));
        const date = day.toISOString().slice(0, 10);
        lines.push(`${date} 10:0${pass}:00,${d * 10 + pass},${pass}`);
      }
    }
    const { duck } = await expectSame(writeFixture(sources, 'shuffled.csv', `${lines.join('\n')}\n`), 'duckdb');
    expect(duck.report.partitions).toHaveLength(40);
    expect(duck.files[5].rows.map((r) => r.close)).toEqual([50, 51, 52]);
  });

  it('reads offsets, UTC and other zones, and daily bars per calendar year', async () => {
    await expectSame(writeFixture(sources, 'utc.csv', 'datetime,price,size\n2024-01-02T22:59:59.999999Z,1,2\n2024-01-02T23:00:00+01:00,2,3\n2024-01-03 05:00:00-0500,3,4\n'), 'duckdb');
    await expectSame(writeFixture(sources, 'london.csv', 'timestamp,close\n2024-07-01 08:00:00,1\n2024-07-01T23:30,2\n'), 'duckdb', { timezone: 'Europe/London' });
    const daily = ['Date,Open,High,Low,Close,Adj Close,Volume'];
    for (let k = 0; k < 800; k += 3) {
      const day = new Date(Date.UTC(2022, 0, 3 + k)).toISOString().slice(0, 10);
      daily.push(`${day},${100 + k},${101 + k},${99 + k},${100.5 + k},${100.25 + k},${1000 + k}`);
    }
    const { duck } = await expectSame(writeFixture(sources, 'NVDA.csv', `${daily.join('\n')}\n`), 'duckdb');
    expect(duck.report.partitions.map((p) => [p.date, p.dateSpan?.first, p.dateSpan?.last])).toEqual([
      ['2022-01-01', '2022-01-03', '2022-12-29'],
      ['2023-01-01', '2023-01-01', '2023-12-30'],
      ['2024-01-01', '2024-01-02', '2024-03-11'],
    ]);
  });

  it('hands the file to our reader where DuckDB would read it otherwise, with the reason', async () => {
    const cases: [string, string, RegExp][] = [
      // a naive time in the hour clocks skip in Chicago: our DST policy decides
      ['dst.csv', 'timestamp,close\n2024-03-10 01:59:00,1\n2024-03-10 02:30:00,2\n', /DST transition/],
      // a spelling the sample (the first 1,000 rows) did not show
      ['mixed.csv', `timestamp,close\n${Array.from({ length: 1200 }, (_, k) => `2024-01-02 ${String(Math.floor(k / 60)).padStart(2, '0')}:${String(k % 60).padStart(2, '0')}:00,${k}`).join('\n')}\n01/02/2024 23:09:00,9\n`, /another spelling/],
      // the same spelling in the sample
      ['us.csv', 'timestamp,close\n01/02/2024 10:09:00,9\n', /spelling other than ISO 8601/],
      // nanoseconds
      ['nanos.csv', 'timestamp,close\n2024-01-02 10:00:00.123456789,1\n', /ISO 8601/],
      // a decimal comma
      ['comma.csv', 'timestamp;close\n2024-01-02 10:00:00;4999,75\n', /decimal comma/],
      // text kept as a column
      ['text.csv', 'timestamp,close,venue\n2024-01-02 10:00:00,1,XCME\n', /text columns/],
    ];
    for (const [name, text, reason] of cases) {
      const { duck } = await expectSame(writeFixture(sources, name, text), 'ours');
      expect(duck.report.engineNote).toMatch(reason);
    }
  });

  it('a count column with a fraction is Float64, as our reader makes it', async () => {
    const { duck } = await expectSame(writeFixture(sources, 'fx.csv', 'timestamp,close,volume\n2024-01-02 10:00:00,1.1,5\n2024-01-02 10:01:00,1.2,0.5\n'), 'duckdb');
    expect(duck.report.columns.map((c) => c.type)).toEqual(['Timestamp<MICROSECOND, UTC>', 'Float64', 'Float64']);
  });

  it('a malformed row goes to our reader, which names it; nothing is left staged', async () => {
    const file = writeFixture(sources, 'bad.csv', 'timestamp,close,volume\n2024-01-02 10:00:00,1,5\n2024-01-02 10:01:00,x,5\n');
    const stagingDir = path.join(dir, 'bad-stage');
    await expect(ingestFile(file, { asset: 'MES', stagingDir }, { engine: 'duckdb' })).rejects.toMatchObject({ code: 'PARSE_ERROR', details: { badRowCount: 1, badRows: [{ line: 3, reason: 'unparseable number "x" in column "close"' }] } });
    expect(listFiles(stagingDir)).toEqual([]);
    expect(listDirs(stagingDir)).toEqual([]);
  });

  it('refuses to stage over an earlier ingest of the same name, leaving it alone', async () => {
    const file = writeFixture(sources, 'again.csv', 'timestamp,close\n2024-01-02 10:00:00,1\n');
    const stagingDir = path.join(dir, 'again-stage');
    const first = await ingestFile(file, { asset: 'MES', stagingDir }, { engine: 'duckdb' });
    expect(first.engine).toBe('duckdb');
    const before = fs.readFileSync(first.partitions[0].path);
    await expect(ingestFile(file, { asset: 'MES', stagingDir }, { engine: 'duckdb' })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    expect(fs.readFileSync(first.partitions[0].path).equals(before)).toBe(true);
    expect(listFiles(stagingDir)).toEqual(['MES/2024-01-02/again.parquet']);
  });
});
