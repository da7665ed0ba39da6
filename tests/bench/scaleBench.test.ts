/**
 * The research-scale benchmark's own parts: the generated data (its defects and corrections
 * where the report says they are), DuckDB's SQL (it finds exactly what was injected), the
 * measured child process (time limit, peak RSS) and the document section replacement.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replaceSection } from '../../bench/benchUtil.js';
import { scaleData, scaledSizes, type ScaleData } from '../../bench/scaleData.js';
import { diffSql, ingestSql, promoteSql, runDuck, validateSql } from '../../bench/scaleDuckdb.js';
import { runMeasured } from '../../bench/scaleProcess.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
let dir: string;
let data: ScaleData;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scale-bench-test-'));
  // the smallest sizes: 20,000 bars, 60 daily bars, 50,000 ticks
  data = await scaleData(dir, 0.0001, () => undefined);
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const lineOf = (file: string, number: number) => fs.readFileSync(file, 'utf8').split('\n')[number - 1];

describe('generated data', () => {
  it('scales the issue sizes and keeps a floor', () => {
    expect(scaledSizes(1)).toEqual({ barRows: 4_000_000, dailyRows: 6525, tickRows: 20_000_000 });
    expect(scaledSizes(0.0001)).toEqual({ barRows: 20_000, dailyRows: 60, tickRows: 50_000 });
  });

  it('writes the bars with the four defects on the lines it reports', () => {
    const bars = data.bars;
    // 20,000 bars and the repeated minute
    expect(bars.files).toEqual([{ asset: 'MES', file: expect.stringMatching(/scale-mes-1min-20000-v3\.csv$/) as unknown, rows: 20_001 }]);
    expect(bars.dates).toBe(15);
    expect(bars.defects.map((d) => [d.kind, d.line])).toEqual([
      ['ohlc_consistency', 6002],
      ['unique_timestamp', 8003],
      ['non_negative_volume', 10_003],
      ['price_spike', 12_003],
    ]);
    const fields = (n: number) => lineOf(bars.files[0].file, n).split(',');
    const [, open, high, , close] = fields(6002).map(Number);
    expect(high).toBeLessThan(Math.min(open, close));
    expect(fields(8003)[0]).toBe(fields(8002)[0]);
    expect(fields(10_003)[5]).toBe('-5');
    expect(Number(fields(12_003)[4]) / Number(fields(12_003)[1])).toBeCloseTo(1.3, 3);
  });

  it('writes a corrections file of one added trading date and two revised ones, sorting after the main file', () => {
    const c = data.bars.corrections;
    expect(c.added).toBe(1380);
    expect(c.revised).toBe(552);
    expect(c.rows).toBe(1380 + 2 * 1380);
    expect(lineOf(c.file, 2)).toMatch(/^2009-12-30 17:00:00,/);
    expect(path.basename(c.file).replace(/\.csv$/, '.parquet') > path.basename(data.bars.files[0].file).replace(/\.csv$/, '.parquet')).toBe(true);
  });

  it('writes daily bars of three symbols in Yahoo columns', () => {
    expect(data.daily.files.map((f) => [f.asset, f.rows])).toEqual([
      ['SPY', 60],
      ['QQQ', 60],
      ['NVDA', 60],
    ]);
    expect(lineOf(data.daily.files[0].file, 1)).toBe('Date,Open,High,Low,Close,Adj Close,Volume');
    expect(lineOf(data.daily.files[0].file, 2)).toMatch(/^2001-01-02,\d+\.\d\d,/);
    expect(data.daily.corrections).toMatchObject({ asset: 'SPY', rows: 3, revised: 2, added: 1 });
  });

  it('writes ticks with nine fraction digits, strictly increasing, within one trading date', () => {
    const lines = fs.readFileSync(data.ticks.files[0].file, 'utf8').trimEnd().split('\n');
    expect(lines.length).toBe(50_001);
    expect(lines[0]).toBe('timestamp,price,size');
    const stamps = lines.slice(1).map((l) => l.split(',')[0]);
    expect(stamps.every((t) => /^2026-03-0[23]T\d\d:\d\d:\d\d\.\d{9}Z$/.test(t))).toBe(true);
    // ISO text with a fixed width sorts as the instants do
    expect(stamps.every((t, i) => i === 0 || t > stamps[i - 1])).toBe(true);
    expect(stamps[0] >= '2026-03-02T23:00:00').toBe(true);
    expect(stamps.at(-1)! < '2026-03-03T23:00:00').toBe(true);
    expect(data.ticks.corrections).toMatchObject({ revised: 1000, added: 10, rows: 1010 });
  });
});

describe("DuckDB's side", () => {
  it('ingests, validates, promotes and diffs the bars, finding exactly what was injected', async () => {
    const work = path.join(dir, 'duck');
    for (const folder of ['rawA', 'rawB', 'v1', 'v2']) fs.mkdirSync(path.join(work, folder), { recursive: true });
    const raw = path.join(work, 'rawA', 'MES');
    const fix = path.join(work, 'rawB', 'MES');
    const run = await runDuck(ROOT, dir, [
      { label: 'ingest', sql: ingestSql('bars', data.bars.files[0].file, raw) },
      { label: 'validate', sql: validateSql('bars', raw) },
      { label: 'promote', sql: promoteSql('bars', [raw], path.join(work, 'v1', 'MES')) },
      { label: 'fix', sql: ingestSql('bars', data.bars.corrections.file, fix) },
      { label: 'promote v2', sql: promoteSql('bars', [raw, fix], path.join(work, 'v2', 'MES')) },
      { label: 'diff', sql: diffSql('bars', path.join(work, 'v1', 'MES'), path.join(work, 'v2', 'MES')) },
    ], 120_000);
    expect(run.error).toBeUndefined();
    const row = (label: string) => run.steps.find((s) => s.label === label)?.rows[0];
    expect(row('ingest')).toEqual({ Count: '20001' });
    expect(row('validate')).toMatchObject({ rows: '20001', nulls: '0', non_finite: '0', non_positive_price: '0', ohlc: '1', negative_volume: '1', duplicates: '1', spikes: '2' });
    // the repeated minute, the OHLC violation and the negative volume go
    expect(row('promote')).toEqual({ Count: '19998' });
    expect(row('promote v2')).toEqual({ Count: String(19_998 + 1380) });
    expect(row('diff')).toEqual({ added: '1380', removed: '0', changed: '552', unchanged: String(19_998 - 552) });
    expect(run.peakRssBytes).toBeGreaterThan(20e6);
  });

  it('reports a failing statement as an error, not a crash', async () => {
    const run = await runDuck(ROOT, dir, [{ label: 'bad', sql: `SELECT * FROM read_parquet('${dir}/missing/*.parquet')` }], 60_000);
    expect(run.ok).toBe(false);
    expect(run.error).toMatch(/^IO Error: No files found that match the pattern/);
  });
});

describe('measured child processes', () => {
  it('kills a process that outlives its time limit', async () => {
    const result = await runMeasured(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { timeoutMs: 500 });
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe('SIGKILL');
    expect(result.wallMs).toBeLessThan(10_000);
  });

  it("reads the child's own peak RSS and its output", async () => {
    const result = await runMeasured(process.execPath, ['-e', 'const b = Buffer.alloc(300e6, 1); setTimeout(() => process.stdout.write(String(b[7])), 200)'], { timeoutMs: 30_000 });
    expect(result).toMatchObject({ exitCode: 0, timedOut: false, stdout: '1' });
    expect(result.peakRssBytes).toBeGreaterThan(300e6);
    expect(result.peakRssBytes).toBeLessThan(600e6);
  });
});

describe('replaceSection', () => {
  const doc = '# Benchmarks\n\nintro\n\n## A\n\nold a\n\n## B\n\nold b\n';
  it('puts a section in place of the one with its heading', () => {
    expect(replaceSection(doc, '## A\n\nnew a\n')).toBe('# Benchmarks\n\nintro\n\n## A\n\nnew a\n\n## B\n\nold b\n');
    expect(replaceSection(doc, '## B\n\nnew b')).toBe('# Benchmarks\n\nintro\n\n## A\n\nold a\n\n## B\n\nnew b\n');
  });
  it('adds a section it does not find at the end', () => {
    expect(replaceSection(doc, '## C\n\nc\n')).toBe('# Benchmarks\n\nintro\n\n## A\n\nold a\n\n## B\n\nold b\n\n## C\n\nc\n');
  });
});
