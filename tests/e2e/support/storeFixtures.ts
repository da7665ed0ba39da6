import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Float64, makeData, makeVector, Table, TimestampNanosecond } from 'apache-arrow';
import { writeParquet } from '../../../core/parquet/writeParquet.js';
import { writeFeatures } from '../../../core/store/layerIO.js';
import { writeCleanedData } from '../../helpers/cleanedVersion.js';
import { InstrumentRegistry } from '../../../core/instruments/instrumentRegistry.js';
import { initStore } from '../../../core/store/openStore.js';
import { rawKeyValue } from '../../../core/store/parquetKeyValue.js';
import { commitRawSnapshots, writeRawSnapshot } from '../../../core/store/rawSnapshot.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { barsFromCloses, barsTable, type Bar } from '../../helpers/barsTable.js';
import { MINUTE_NS, START_NS, ohlcvTable } from '../../helpers/ohlcvTable.js';

/** Rows of the large file, and the row the tests jump to. */
export const LARGE_ROWS = 1_200_000;
const LARGE_ROW_GROUP_SIZE = 122_880;

/** Prices as the table writes them for MES/ES: to the quarter-point tick, with separators. */
const tickPrice = (x: number): string => x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** The ohlcvTable row i as the table shows it (UTC; whole minutes, so no fraction of a second). */
export function ohlcvRow(i: number): { timestamp: string; open: string; high: string; low: string; close: string; volume: string } {
  const ns = START_NS + BigInt(i) * MINUTE_NS;
  const iso = new Date(Number(ns / 1_000_000n)).toISOString().replace('.000Z', '');
  const open = 5000 + i * 0.25;
  return {
    timestamp: `${iso.replace('T', ' ')} UTC`,
    open: tickPrice(open),
    high: tickPrice(open + 1),
    low: tickPrice(open - 1),
    close: tickPrice(open + 0.5),
    volume: (100 + i).toLocaleString('en-US'),
  };
}

/**
 * The 1.2M-row ohlcv file (rowGroupSize 122,880), written once and kept in the temp folder
 * between runs. It carries the raw key facts of raw/ES/2024-02-01, so the store takes it
 * byte for byte instead of rewriting it.
 */
async function largeFile(): Promise<string> {
  const dir = path.join(os.tmpdir(), 'mes-data-e2e-cache');
  const file = path.join(dir, `ohlcv-${LARGE_ROWS}-rg${LARGE_ROW_GROUP_SIZE}-v1.parquet`);
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(dir, { recursive: true });
  const partial = `${file}.${process.pid}.tmp`;
  await writeParquet(ohlcvTable(LARGE_ROWS), partial, { rowGroupSize: LARGE_ROW_GROUP_SIZE, compression: 'zstd', metadata: rawKeyValue('ES', '2024-02-01') });
  fs.renameSync(partial, file);
  return file;
}

/** Clean bars of one CME session (from 17:00 CT the evening before), one a minute. */
function sessionBars(date: string, count: number, base: number): Bar[] {
  const start = new Date(`${date}T00:00:00Z`);
  start.setUTCHours(start.getUTCHours() - 1); // 23:00Z the day before = 17:00 CST
  const closes = Array.from({ length: count }, (_, i) => Math.round((base + Math.sin(i / 9) * 4 + i * 0.02) * 4) / 4);
  return barsFromCloses(start.toISOString(), 60, closes);
}

/**
 * 120 bars of raw/MES/2024-01-03 with known defects: row 7 high below low
 * (ohlc_consistency), row 12 repeats row 11's time (unique_timestamp), row 40 has a
 * negative volume (non_negative_volume), row 55 non-positive open and low (positive_price).
 */
function defectBars(): Bar[] {
  const bars = sessionBars('2024-01-03', 120, 4800);
  bars[7] = [bars[7][0], bars[7][1], bars[7][3] - 1, bars[7][3], bars[7][4], bars[7][5]];
  bars[12] = [bars[11][0], bars[12][1], bars[12][2], bars[12][3], bars[12][4], bars[12][5]];
  bars[40] = [bars[40][0], bars[40][1], bars[40][2], bars[40][3], bars[40][4], -5];
  bars[55] = [bars[55][0], -1, bars[55][2], -2, bars[55][4], bars[55][5]];
  return bars;
}

export const DEFECT_ROWS = { ohlc_consistency: 7, unique_timestamp: 12, non_negative_volume: 40, positive_price: 55 } as const;

function featureTable(rows: number): Table {
  const ts = new BigInt64Array(rows);
  const vol = new Float64Array(rows);
  const range = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    ts[i] = 1_704_153_600_000_000_000n + BigInt(i) * 86_400_000_000_000n;
    vol[i] = 0.1 + i / 1000;
    range[i] = 10 + i;
  }
  return new Table({
    timestamp: makeVector(makeData({ type: new TimestampNanosecond('UTC'), length: rows, data: ts })),
    realized_volatility: makeVector(makeData({ type: new Float64(), length: rows, data: vol })),
    true_range: makeVector(makeData({ type: new Float64(), length: rows, data: range })),
  });
}

interface BuiltStore {
  root: string;
  store: Store;
}

/**
 * The store of the browsing scenarios:
 *   raw/MES/2024-01-02/bars.parquet   390 clean bars
 *   raw/MES/2024-01-03/bars.parquet   120 bars with the defects above
 *   raw/ES/2024-01-02/bars.parquet    60 clean bars
 *   raw/ES/2024-02-01/large.parquet   1.2M rows (with `large`)
 *   cleaned/v1/ES                     from raw/ES/2024-01-02, partitioned by date
 *   features/v1/ES/price_volatility   from cleaned/v1/ES
 *   raw/NQ/2024-01-02/bars.parquet    committed, then overwritten with bytes that are not Parquet
 */
export async function buildStore(root: string, options: { large?: boolean } = {}): Promise<BuiltStore> {
  const { store } = await initStore(root);
  const snapshots = [
    { asset: 'MES', date: '2024-01-02', name: 'bars', table: barsTable(sessionBars('2024-01-02', 390, 4780)) },
    { asset: 'MES', date: '2024-01-03', name: 'bars', table: barsTable(defectBars()) },
    { asset: 'ES', date: '2024-01-02', name: 'bars', table: barsTable(sessionBars('2024-01-02', 60, 4790)) },
  ];
  const written = await commitRawSnapshots(store, snapshots);
  if (options.large) await writeRawSnapshot(store, { asset: 'ES', date: '2024-02-01', name: 'large', sourceParquetPath: await largeFile() });
  const esRaw = written[2];
  const cleaned = await writeCleanedData(store, {
    asset: 'ES',
    data: [{ table: barsTable(sessionBars('2024-01-02', 60, 4790)), partition: { date: '2024-01-02' } }],
    sidecar: {
      schema: { name: 'ohlcv', version: '1.0.0' },
      recipe: { name: 'promote', version: '1', parameters: { onInvalid: 'fail' } },
      dependencies: [{ path: esRaw.path, sha256: esRaw.sha256, layer: 'raw', rows: esRaw.rows }],
      validation: { valid: true },
      changelog: 'first clean ES day',
    },
  });
  await writeFeatures(store, {
    asset: 'ES',
    featureSet: 'price_volatility',
    data: featureTable(30),
    sidecar: {
      asset: 'ES',
      recipe: { name: 'price_volatility', version: '1' },
      dependencies: [{ path: 'cleaned/v1/ES', sha256: 'f'.repeat(64), layer: 'cleaned', version: cleaned.version, rows: 60 }],
      changelog: 'realized volatility of ES',
    },
  });
  const nq = await writeRawSnapshot(store, { asset: 'NQ', date: '2024-01-02', name: 'bars', table: barsTable(sessionBars('2024-01-02', 10, 16800)) });
  fs.writeFileSync(path.join(root, nq.path), 'this is not a Parquet file, whatever the sidecar says\n');
  return { root, store };
}

/**
 * The CSV a person drops: 30 MES 1-minute bars of the 2024-01-05 session (17:00–17:29
 * Chicago time on Jan 4, written as naive local times in split Date and Time columns),
 * semicolon-separated; with `badLine`, line 5 has an open price that is not a number.
 */
export function mesCsv(options: { badLine?: boolean } = {}): string {
  const lines = ['Date;Time;Open;High;Low;Close;Volume'];
  const bars = sessionBars('2024-01-05', 30, 4850);
  for (const [time, o, h, l, c, v] of bars) {
    // naive exchange time (America/Chicago): UTC−6 in January
    const local = new Date(Date.parse(time) - 6 * 3600_000).toISOString();
    lines.push(`${local.slice(0, 10)};${local.slice(11, 19)};${o};${h};${l};${c};${v}`);
  }
  if (options.badLine) lines[4] = lines[4].replace(/;[\d.]+;/, ';4851,x;');
  return `${lines.join('\n')}\n`;
}

/** A store with raw MES only (two dates, the second with defects), for promote. */
export async function buildRawStore(root: string): Promise<BuiltStore> {
  const { store } = await initStore(root);
  await commitRawSnapshots(store, [
    { asset: 'MES', date: '2024-01-02', name: 'bars', table: barsTable(sessionBars('2024-01-02', 390, 4780)) },
    { asset: 'MES', date: '2024-01-03', name: 'bars', table: barsTable(defectBars()) },
  ]);
  return { root, store };
}

/**
 * Momentum indicators with values a narrow column used to cut on the left (rsi_14 =
 * 66.666…, macd_line = −3.3942…), tiny and large magnitudes, one row a day from 2024-01-02.
 */
export const INDICATOR_ROWS = [
  { rsi_14: 66.66666666666667, macd_line: -3.394266717337814, macd_signal: 0.000123456789, momentum_10: 1234567.891 },
  { rsi_14: 69.3431689487458, macd_line: -0.5, macd_signal: 12.000000000000002, momentum_10: -42.25 },
];

function indicatorTable(): Table {
  const n = INDICATOR_ROWS.length;
  const float = (name: keyof (typeof INDICATOR_ROWS)[number]) => makeVector(makeData({ type: new Float64(), length: n, data: Float64Array.from(INDICATOR_ROWS, (r) => r[name]) }));
  return new Table({
    timestamp: makeVector(makeData({ type: new TimestampNanosecond('UTC'), length: n, data: BigInt64Array.from(INDICATOR_ROWS, (_, i) => 1_704_153_600_000_000_000n + BigInt(i) * 86_400_000_000_000n) })),
    rsi_14: float('rsi_14'),
    macd_line: float('macd_line'),
    macd_signal: float('macd_signal'),
    momentum_10: float('momentum_10'),
  });
}

/**
 * The store of the number-formatting scenarios:
 *   raw/MES/2024-01-02/tick.parquet     one bar stamped to the millisecond (14:30:00.125 UTC)
 *   raw/6E/2024-01-02/bars.parquet      two Euro FX bars (tick 0.00005 in the instrument registry)
 *   raw/NVDA/2024-01-02/bars.parquet    one NVDA bar at the NYSE open, NVDA registered in the store (us_equity, New York)
 *   features/v1/MES/momentum_indicators  INDICATOR_ROWS
 */
export async function buildNumbersStore(root: string): Promise<BuiltStore> {
  const { store } = await initStore(root);
  const raw = await writeRawSnapshot(store, { asset: 'MES', date: '2024-01-02', name: 'tick', table: barsTable([['2024-01-02T14:30:00.125Z', 4780, 4781.25, 4779.5, 4780.75, 1234567]]) });
  await writeRawSnapshot(store, {
    asset: '6E',
    date: '2024-01-02',
    name: 'bars',
    table: barsTable([
      ['2024-01-01T23:00:00Z', 1.1, 1.10055, 1.09995, 1.10005, 120],
      ['2024-01-01T23:01:00Z', 1.10005, 1.1001, 1.1, 1.1, 80],
    ]),
  });
  new InstrumentRegistry(root).register({ symbol: 'NVDA', name: 'NVIDIA', exchange: 'NASDAQ', assetClass: 'equity', session: 'us_equity', tickSize: 0.01, pointValue: 1 });
  await writeRawSnapshot(store, { asset: 'NVDA', date: '2024-01-02', name: 'bars', table: barsTable([['2024-01-02T14:30:00Z', 49.24, 49.3, 49.2, 49.27, 41000]]) });
  await writeFeatures(store, {
    asset: 'MES',
    featureSet: 'momentum_indicators',
    data: indicatorTable(),
    sidecar: {
      asset: 'MES',
      recipe: { name: 'momentum_indicators', version: '1' },
      dependencies: [{ path: raw.path, sha256: raw.sha256, layer: 'raw', rows: 1 }],
      changelog: 'indicators with long decimals',
    },
  });
  return { root, store };
}
