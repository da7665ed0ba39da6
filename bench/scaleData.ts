/**
 * The generated data of the research-scale benchmark (issue 11), cached in bench/.data/:
 *
 * - `bars`: one-minute MES bars over about eleven years (4,000,000 rows at scale 1, about
 *   2,900 CME trading dates), naive America/Chicago times as a trader's export writes them
 *   (`2010-01-03 17:00:00`), with four injected defects: an OHLC violation, a duplicate
 *   timestamp, a negative volume and a price spike.
 * - `daily`: 25 years of daily bars for three symbols, one Yahoo-style CSV each
 *   (`Date,Open,High,Low,Close,Adj Close,Volume`).
 * - `ticks`: one CME trading date of trades, 20,000,000 rows at scale 1, timestamps in UTC
 *   with nine fraction digits (`2026-03-02T23:00:00.004137256Z`); gaps between trades are
 *   exponential, so a few thousand pairs fall within the same microsecond.
 *
 * Each dataset also gets a small "corrections" file (two revised dates and one added one,
 * or revised ticks and a few added), which the benchmark ingests after the first promotion
 * to make a second version to diff. Everything is deterministic (seeded PRNG); a manifest
 * written last says a dataset is complete, so an interrupted generation starts again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { mulberry32 } from './benchUtil.js';

// v3: corrections files named so that their snapshots sort after the main file's (`…_fix.parquet` after `….parquet`): promotion keeps the last of duplicate timestamps in path order
const DATA_VERSION = 'v3';

export interface DatasetFiles {
  /** the main file of each asset, in the order they are ingested */
  files: { asset: string; file: string; rows: number }[];
  /** the corrections file, ingested for the first asset only */
  corrections: { asset: string; file: string; rows: number; revised: number; added: number };
  /** data span in ms since the epoch, UTC (approximate for naive times: CST assumed) */
  firstMs: number;
  lastMs: number;
  /** CME trading dates (bars, ticks) or calendar dates (daily) of the main file of the first asset */
  dates: number;
  /** what was injected, and where (for the report) */
  defects: { kind: string; line: number; what: string }[];
  bytes: number;
}

/** Writes text through a stream, waiting when the stream asks to. */
class TextSink {
  private readonly out: fs.WriteStream;
  private buffer = '';
  constructor(readonly file: string) {
    this.out = fs.createWriteStream(file);
  }
  async write(text: string): Promise<void> {
    this.buffer += text;
    if (this.buffer.length < 1 << 20) return;
    const chunk = this.buffer;
    this.buffer = '';
    if (!this.out.write(chunk)) await new Promise<void>((resolve) => this.out.once('drain', () => resolve()));
  }
  end(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.out.on('error', reject);
      this.out.end(this.buffer, () => resolve());
    });
  }
}

const two = (k: number) => String(k).padStart(2, '0');
const isoDate = (ms: number) => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}`;
};
const DAY_MS = 86_400_000;
const CST_MS = 6 * 3_600_000;

/** Row counts at a scale factor (1 = the sizes). */
export function scaledSizes(scale: number): { barRows: number; dailyRows: number; tickRows: number } {
  return {
    barRows: Math.max(20_000, Math.round(4_000_000 * scale)),
    // 25 years of weekdays
    dailyRows: Math.max(60, Math.round(25 * 261 * scale)),
    tickRows: Math.max(50_000, Math.round(20_000_000 * scale)),
  };
}

async function cached(dir: string, name: string, make: (manifest: string) => Promise<DatasetFiles>, log: (line: string) => void): Promise<{ data: DatasetFiles; generated: boolean }> {
  fs.mkdirSync(dir, { recursive: true });
  const manifest = path.join(dir, `${name}.manifest.json`);
  if (fs.existsSync(manifest)) {
    const data = JSON.parse(fs.readFileSync(manifest, 'utf8')) as DatasetFiles;
    if ([...data.files, data.corrections].every((f) => fs.existsSync(f.file))) return { data, generated: false };
  }
  log(`generating ${name}…`);
  const data = await make(manifest);
  fs.writeFileSync(manifest, JSON.stringify(data, null, 2));
  return { data, generated: true };
}

/** One bar on a 0.25 tick grid from a random walk in ticks; returns the new close in ticks. */
function nextBar(random: () => number, ticks: number): { o: number; h: number; l: number; c: number; v: number } {
  const o = ticks;
  const c = o + Math.round((random() - 0.5) * 8 + (20_000 - ticks) * 0.001);
  const h = Math.max(o, c) + Math.floor(random() * 3);
  const l = Math.min(o, c) - Math.floor(random() * 3);
  const v = 1 + Math.floor(random() * random() * 5000);
  return { o, h, l, c, v };
}

/**
 * One-minute bars in CME Globex hours (Sunday 17:00 to Friday 16:00 Chicago time with the
 * daily 16:00–17:00 break, so DST never makes a missing or repeated bar), with defects at
 * 30 %, 40 %, 50 % and 60 % of the file. The corrections file holds the trading date
 * before the first one (added) and trading dates 10 and 11 with every fifth close one tick
 * higher (revised).
 */
async function generateBars(dir: string, rows: number): Promise<DatasetFiles> {
  const file = path.join(dir, `scale-mes-1min-${rows}-${DATA_VERSION}.csv`);
  const fixFile = path.join(dir, `scale-mes-1min-${rows}-${DATA_VERSION}_fix.csv`);
  const main = new TextSink(`${file}.tmp`);
  const fix = new TextSink(`${fixFile}.tmp`);
  const header = 'timestamp,open,high,low,close,volume\n';
  await main.write(header);
  await fix.write(header);
  const clock = Array.from({ length: 1440 }, (_, m) => `${two(Math.floor(m / 60))}:${two(m % 60)}:00`);
  const defects: DatasetFiles['defects'] = [];
  const at = { ohlc: Math.floor(rows * 0.3), duplicate: Math.floor(rows * 0.4), volume: Math.floor(rows * 0.5), spike: Math.floor(rows * 0.6) };
  let fixRows = 0;
  let revised = 0;
  // the added trading date: Wednesday 2009-12-30 17:00 to Thursday 2009-12-31 16:00, its own walk
  {
    const random = mulberry32(7);
    let ticks = 5000 * 4;
    for (const [day, from, to] of [[Date.UTC(2009, 11, 30), 17 * 60, 1440], [Date.UTC(2009, 11, 31), 0, 16 * 60]] as const) {
      for (let minute = from; minute < to; minute++) {
        const b = nextBar(random, ticks);
        await fix.write(`${isoDate(day)} ${clock[minute]},${b.o / 4},${b.h / 4},${b.l / 4},${b.c / 4},${b.v}\n`);
        ticks = b.c;
        fixRows++;
      }
    }
  }
  const added = fixRows;
  const random = mulberry32(42);
  let ticks = 5000 * 4;
  let written = 0;
  let lines = 0;
  let tradingDate = '';
  let dateIndex = -1;
  let firstMs = 0;
  let lastMs = 0;
  for (let day = Date.UTC(2010, 0, 3); written < rows; day += DAY_MS) {
    const weekday = new Date(day).getUTCDay();
    if (weekday === 6) continue;
    const prefix = `${isoDate(day)} `;
    for (let minute = 0; minute < 1440 && written < rows; minute++) {
      const hour = minute / 60;
      const open = weekday === 0 ? hour >= 17 : weekday === 5 ? hour < 16 : hour < 16 || hour >= 17;
      if (!open) continue;
      const date = hour >= 17 ? isoDate(day + DAY_MS) : isoDate(day);
      if (date !== tradingDate) {
        tradingDate = date;
        dateIndex++;
      }
      const b = nextBar(random, ticks);
      ticks = b.c;
      const stamp = `${prefix}${clock[minute]}`;
      const ms = day + minute * 60_000 + CST_MS;
      if (written === 0) firstMs = ms;
      lastMs = ms;
      const { o, l } = b;
      let { h, c, v } = b;
      if (written === at.ohlc) {
        h = Math.min(o, c) - 2;
        defects.push({ kind: 'ohlc_consistency', line: lines + 2, what: `${stamp}: high ${h / 4} below open ${o / 4} and close ${c / 4}` });
      } else if (written === at.volume) {
        v = -5;
        defects.push({ kind: 'non_negative_volume', line: lines + 2, what: `${stamp}: volume -5` });
      } else if (written === at.spike) {
        c = Math.round(o * 1.3);
        h = c;
        defects.push({ kind: 'price_spike', line: lines + 2, what: `${stamp}: close ${c / 4} after open ${o / 4} (+30 %), back the next minute` });
      }
      await main.write(`${stamp},${o / 4},${h / 4},${l / 4},${c / 4},${v}\n`);
      lines++;
      if (written === at.duplicate) {
        // the same minute again with another close, as a glitching export repeats a line
        await main.write(`${stamp},${o / 4},${Math.max(h, c + 1) / 4},${l / 4},${(c + 1) / 4},${v + 1}\n`);
        lines++;
        defects.push({ kind: 'unique_timestamp', line: lines + 1, what: `${stamp} twice (lines ${lines} and ${lines + 1})` });
      }
      if (dateIndex === 10 || dateIndex === 11) {
        const bump = written % 5 === 0 ? 1 : 0;
        revised += bump;
        await fix.write(`${stamp},${o / 4},${Math.max(h, c + bump) / 4},${l / 4},${(c + bump) / 4},${v}\n`);
        fixRows++;
      }
      written++;
    }
  }
  await main.end();
  await fix.end();
  fs.renameSync(`${file}.tmp`, file);
  fs.renameSync(`${fixFile}.tmp`, fixFile);
  return {
    files: [{ asset: 'MES', file, rows: lines }],
    corrections: { asset: 'MES', file: fixFile, rows: fixRows, revised, added },
    firstMs,
    lastMs,
    dates: dateIndex + 1,
    defects,
    bytes: fs.statSync(file).size,
  };
}

/** Daily bars of a symbol on weekdays from 2001-01-02, Yahoo's columns and two decimals. */
async function generateDaily(dir: string, rows: number): Promise<DatasetFiles> {
  const symbols = [
    { asset: 'SPY', start: 130, seed: 11 },
    { asset: 'QQQ', start: 90, seed: 12 },
    { asset: 'NVDA', start: 20, seed: 13 },
  ];
  const header = 'Date,Open,High,Low,Close,Adj Close,Volume\n';
  const files: DatasetFiles['files'] = [];
  let firstMs = 0;
  let lastMs = 0;
  let fixLines = '';
  let revised = 0;
  for (const [index, symbol] of symbols.entries()) {
    const file = path.join(dir, `scale-daily-${symbol.asset}-${rows}-${DATA_VERSION}.csv`);
    const sink = new TextSink(`${file}.tmp`);
    await sink.write(header);
    const random = mulberry32(symbol.seed);
    let price = symbol.start;
    let written = 0;
    for (let day = Date.UTC(2001, 0, 2); written < rows; day += DAY_MS) {
      const weekday = new Date(day).getUTCDay();
      if (weekday === 0 || weekday === 6) continue;
      const open = price;
      const close = Math.max(1, open * (1 + (random() - 0.49) * 0.04));
      const high = Math.max(open, close) * (1 + random() * 0.01);
      const low = Math.min(open, close) * (1 - random() * 0.01);
      // dividends and splits make older adjusted closes lower
      const adj = close * (0.6 + 0.4 * (written / rows));
      const volume = 1_000_000 + Math.floor(random() * 50_000_000);
      const f = (x: number) => x.toFixed(2);
      const line = `${isoDate(day)},${f(open)},${f(high)},${f(low)},${f(close)},${f(adj)},${volume}\n`;
      await sink.write(line);
      if (index === 0 && (written === 10 || written === 11)) {
        fixLines += `${isoDate(day)},${f(open)},${f(Math.max(high, close + 0.01))},${f(low)},${f(close + 0.01)},${f(adj + 0.01)},${volume}\n`;
        revised++;
      }
      if (index === 0 && written === 0) firstMs = day;
      if (index === 0) lastMs = day;
      price = close;
      written++;
    }
    await sink.end();
    fs.renameSync(`${file}.tmp`, file);
    files.push({ asset: symbol.asset, file, rows: written });
  }
  const fixFile = path.join(dir, `scale-daily-SPY-${rows}-${DATA_VERSION}_fix.csv`);
  // the Friday before the first date, added
  fs.writeFileSync(fixFile, `${header}2000-12-29,129.50,130.40,129.10,130.00,78.00,12000000\n${fixLines}`);
  return {
    files,
    corrections: { asset: 'SPY', file: fixFile, rows: revised + 1, revised, added: 1 },
    firstMs,
    lastMs,
    dates: rows,
    defects: [],
    bytes: files.reduce((sum, f) => sum + fs.statSync(f.file).size, 0),
  };
}

/**
 * Trades of the CME trading date 2026-03-03 (Monday 17:00 CST to Tuesday 16:00 CST,
 * 23:00–22:00 UTC): exponential gaps of at least 1 ns, prices on 0.25 ticks, sizes 1–20.
 */
async function generateTicks(dir: string, rows: number): Promise<DatasetFiles> {
  const file = path.join(dir, `scale-ticks-${rows}-${DATA_VERSION}.csv`);
  const fixFile = path.join(dir, `scale-ticks-${rows}-${DATA_VERSION}_fix.csv`);
  const sink = new TextSink(`${file}.tmp`);
  const fix = new TextSink(`${fixFile}.tmp`);
  const header = 'timestamp,price,size\n';
  await sink.write(header);
  await fix.write(header);
  const startMs = Date.UTC(2026, 2, 2, 23);
  const meanGapNs = (23 * 3600e9) / rows;
  const random = mulberry32(99);
  const everyRevised = Math.max(1, Math.floor(rows / 1000));
  let offsetNs = 0;
  let lastSecond = -1;
  let prefix = '';
  let ticks = 5000 * 4;
  let revised = 0;
  const stampOf = (ns: number) => {
    const second = Math.floor(ns / 1e9);
    if (second !== lastSecond) {
      lastSecond = second;
      prefix = `${new Date(startMs + second * 1000).toISOString().slice(0, 19)}.`;
    }
    return `${prefix}${String(ns - second * 1e9).padStart(9, '0')}Z`;
  };
  for (let i = 0; i < rows; i++) {
    offsetNs += 1 + Math.floor(-Math.log(1 - random()) * meanGapNs);
    const step = random();
    if (step < 0.15) ticks--;
    else if (step > 0.85) ticks++;
    const size = 1 + Math.floor(random() ** 3 * 20);
    const stamp = stampOf(offsetNs);
    await sink.write(`${stamp},${ticks / 4},${size}\n`);
    if (i % everyRevised === everyRevised - 1) {
      await fix.write(`${stamp},${(ticks + 1) / 4},${size}\n`);
      revised++;
    }
  }
  const lastMs = startMs + offsetNs / 1e6;
  const added = 10;
  for (let k = 1; k <= added; k++) await fix.write(`${stampOf(offsetNs + k * 1_000_000)},${ticks / 4},1\n`);
  await sink.end();
  await fix.end();
  fs.renameSync(`${file}.tmp`, file);
  fs.renameSync(`${fixFile}.tmp`, fixFile);
  return {
    files: [{ asset: 'MES_TICKS', file, rows }],
    corrections: { asset: 'MES_TICKS', file: fixFile, rows: revised + added, revised, added },
    firstMs: startMs,
    lastMs,
    dates: 1,
    defects: [],
    bytes: fs.statSync(file).size,
  };
}

export interface ScaleData {
  bars: DatasetFiles;
  daily: DatasetFiles;
  ticks: DatasetFiles;
  generated: string[];
}

/** The three datasets at a scale factor, generated into `dir` unless cached there. */
export async function scaleData(dir: string, scale: number, log: (line: string) => void): Promise<ScaleData> {
  const sizes = scaledSizes(scale);
  const generated: string[] = [];
  const take = async (name: string, make: () => Promise<DatasetFiles>) => {
    const result = await cached(dir, name, make, log);
    if (result.generated) generated.push(name);
    return result.data;
  };
  const bars = await take(`scale-bars-${sizes.barRows}-${DATA_VERSION}`, () => generateBars(dir, sizes.barRows));
  const daily = await take(`scale-daily-${sizes.dailyRows}-${DATA_VERSION}`, () => generateDaily(dir, sizes.dailyRows));
  const ticks = await take(`scale-ticks-${sizes.tickRows}-${DATA_VERSION}`, () => generateTicks(dir, sizes.tickRows));
  return { bars, daily, ticks, generated };
}

/** The bars alone (the host part of the benchmark needs no other dataset). */
export async function scaleBarsData(dir: string, scale: number, log: (line: string) => void): Promise<DatasetFiles> {
  return (await cached(dir, `scale-bars-${scaledSizes(scale).barRows}-${DATA_VERSION}`, () => generateBars(dir, scaledSizes(scale).barRows), log)).data;
}

/** The schema the tick dataset is validated and promoted with (registered in the store). */
export const TICKS_SCHEMA = {
  name: 'bench_ticks',
  version: '1.0.0',
  description: 'Trades of one contract: time, price, size (research-scale benchmark).',
  columns: [
    { name: 'timestamp', type: 'timestamp', unit: 'ns', timezone: 'UTC', nullable: false, description: 'trade time, UTC, nanoseconds' },
    { name: 'price', type: 'float64', nullable: false, description: 'trade price', constraints: { min: 0 } },
    { name: 'size', type: ['int64', 'float64'], nullable: false, description: 'contracts traded', constraints: { min: 0 } },
  ],
  primaryKey: ['timestamp'],
  sortKey: ['timestamp'],
  exchangeTimezone: 'America/Chicago',
  rules: {
    required_column: { enabled: true },
    type: { enabled: true },
    null_required: { enabled: true },
    finite_values: { enabled: true },
    unique_timestamp: { enabled: true },
    sorted_timestamp: { enabled: true },
    constraints: { enabled: true },
  },
};
