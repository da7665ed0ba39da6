/**
 * The files a streamed feature build writes (DuckDB's writer with Parquet's version 2
 * encodings: delta-encoded timestamps, byte-stream-split doubles) read by the readers
 * researchers use: pyarrow, polars and DuckDB from Python read each set's version folder,
 * icebird (an independent JavaScript Iceberg reader) each set's table, every value equal to
 * the whole-table build's. Python needs the modules of tests/helpers/python.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Float64, Int64, makeData, makeVector, Table, TimestampNanosecond, Type, type DataType, type Vector } from 'apache-arrow';
import { icebergRead } from 'icebird';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeEngine } from '../../../core/engine/duckdbEngine.js';
import { buildFeatures } from '../../../core/features/buildFeatures.js';
import { buildFeatureTable, FEATURE_SETS, type FeatureSet } from '../../../core/features/buildFeatureTable.js';
import { TradingDayClock } from '../../../core/features/sessionBars.js';
import { fileLocation } from '../../../core/iceberg/tableLocation.js';
import { Dataset } from '../../../core/parquet/parquetDataset.js';
import { openParquetFile } from '../../../core/parquet/parquetFile.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { timestampColumn } from '../../../core/validation/columnData.js';
import { serveFileUrls } from '../../helpers/fileFetch.js';
import { writeCleanedData } from '../../helpers/cleanedVersion.js';
import { requirePython, runPythonJson } from '../../helpers/python.js';
import { newStore } from '../store/storeTestKit.js';

/** A column as plain JSON values: timestamps in UTC microseconds, dates in days since 1970-01-01, nulls as null. */
type Columns = Record<string, (number | string | null)[]>;

/** 2,500 one-minute bars from Friday 2024-03-08 20:00Z (three CME sessions and a DST change), closes a walk in ticks. */
function minuteBars(): Table {
  const n = 2500;
  const ns = BigInt64Array.from({ length: n }, (_, i) => 1_709_928_000_000_000_000n + BigInt(i) * 60_000_000_000n);
  const open = new Float64Array(n);
  const high = new Float64Array(n);
  const low = new Float64Array(n);
  const close = new Float64Array(n);
  const volume = new BigInt64Array(n);
  let s = 7;
  let price = 5100;
  for (let i = 0; i < n; i++) {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    open[i] = price;
    price += ((s % 7) - 3) * 0.25;
    close[i] = price;
    high[i] = Math.max(open[i], close[i]) + 0.25 * (s % 3);
    low[i] = Math.min(open[i], close[i]) - 0.25;
    volume[i] = BigInt(1 + (s % 300));
  }
  const f = (data: Float64Array) => makeVector(makeData({ type: new Float64(), length: n, data }));
  return new Table({
    timestamp: makeVector(makeData({ type: new TimestampNanosecond('UTC'), length: n, data: ns })),
    open: f(open),
    high: f(high),
    low: f(low),
    close: f(close),
    volume: makeVector(makeData({ type: new Int64(), length: n, data: volume })),
  });
}

/** The bars cut into one part per CME trading date, as promotion writes them. */
function byTradingDate(table: Table): { table: Table; partition: Record<string, string> }[] {
  const ns = timestampColumn(table.getChild('timestamp') as Vector).ns;
  const clock = new TradingDayClock(false);
  const day = (k: number) => clock.day(Number(ns[k] / 1_000_000n));
  const parts: { table: Table; partition: Record<string, string> }[] = [];
  let start = 0;
  for (let i = 1; i <= ns.length; i++) {
    if (i < ns.length && day(i) === day(start)) continue;
    parts.push({ table: table.slice(start, i), partition: { date: new Date(day(start) * 86_400_000).toISOString().slice(0, 10) } });
    start = i;
  }
  return parts;
}

/** The columns but `date`, which a partitioned feature table adds (the whole-table build has none). */
function withoutDate(columns: Columns): Columns {
  const { date: _date, ...rest } = columns;
  return rest;
}

function columnsOf(table: Table): Columns {
  const out: Columns = {};
  table.schema.fields.forEach((field, k) => {
    const vector = table.getChildAt(k) as Vector;
    const type = field.type as DataType;
    if (type.typeId === Type.Timestamp) {
      const { ns, valid } = timestampColumn(vector);
      out[field.name] = Array.from(ns, (v, i) => (valid && !valid[i] ? null : Number(v / 1000n)));
    } else if (type.typeId === Type.Date) {
      out[field.name] = Array.from({ length: vector.length }, (_, i) => (vector.get(i) === null ? null : (vector.get(i) as number) / 86_400_000));
    } else {
      out[field.name] = Array.from({ length: vector.length }, (_, i) => {
        const v: unknown = vector.get(i);
        return typeof v === 'bigint' ? Number(v) : (v as number | string | null);
      });
    }
  });
  return out;
}

/** Reads each version folder listed on stdin with pyarrow, polars and DuckDB; prints each one's columns and the largest file's encodings (a file of a few hundred rows keeps DuckDB's dictionaries), per folder. */
const READ_FEATURES = String.raw`
import json, sys, glob, os
import pyarrow as pa, pyarrow.parquet as pq, polars as pl, duckdb
def from_arrow(table):
    out = {}
    for field in table.schema:
        col = table.column(field.name)
        if pa.types.is_timestamp(field.type):
            col = col.cast(pa.timestamp('us', tz='UTC')).cast(pa.int64())
        elif pa.types.is_date(field.type):
            col = col.cast(pa.int32())
        out[field.name] = col.to_pylist()
    return out
def read(folder):
    frame = pl.read_parquet(folder + '/*.parquet')
    polars = {}
    for name, dtype in frame.schema.items():
        series = frame[name]
        if dtype == pl.Date: series = series.cast(pl.Int32)
        elif isinstance(dtype, pl.Datetime): series = series.dt.epoch('us')
        polars[name] = series.to_list()
    con = duckdb.connect()
    described = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{folder}/*.parquet')").fetchall()
    select = ', '.join(f'epoch_us("{n}") AS "{n}"' if t.startswith('TIMESTAMP') else f'("{n}" - DATE \'1970-01-01\')::INTEGER AS "{n}"' if t == 'DATE' else f'"{n}"' for n, t, *_ in described)
    rows = con.execute(f"SELECT {select} FROM read_parquet('{folder}/*.parquet')").fetchall()
    duck = {n: [r[k] for r in rows] for k, (n, *_) in enumerate(described)}
    meta = pq.ParquetFile(max(glob.glob(folder + '/*.parquet'), key=os.path.getsize)).metadata
    encodings = {meta.row_group(0).column(k).path_in_schema: sorted(meta.row_group(0).column(k).encodings) for k in range(meta.num_columns)}
    return {'pyarrow': from_arrow(pq.read_table(folder)), 'polars': polars, 'duckdb': duck, 'encodings': encodings}
print(json.dumps([read(folder) for folder in json.load(sys.stdin)]))
`;

describe('feature files read by pyarrow, polars, DuckDB and icebird', () => {
  let store: Store;
  let cleanup: () => void;
  const expected = new Map<FeatureSet, Columns>();
  const built = new Map<FeatureSet, string>();
  let cleanedDates: Columns[string] = [];

  beforeAll(async () => {
    ({ store, cleanup } = await newStore('mes-data-feature-readers-'));
    await writeCleanedData(store, { asset: 'MES', data: byTradingDate(minuteBars()) });
    const cleaned = await (await Dataset.open(store.root, 'cleaned/v1/MES')).readAll();
    cleanedDates = columnsOf(cleaned).date;
    for (const set of FEATURE_SETS) {
      expected.set(set, columnsOf(buildFeatureTable(set, cleaned, { asset: 'MES' })));
      built.set(set, (await buildFeatures(store, { set, asset: 'MES' })).path);
    }
  });
  afterAll(async () => {
    await closeEngine();
    cleanup();
  });

  it('our reader gives the whole-table build\'s values for every set (warm-up nulls included)', async () => {
    for (const set of FEATURE_SETS) {
      const written = columnsOf(await (await Dataset.open(store.root, built.get(set) as string)).readAll());
      expect(withoutDate(written), set).toEqual(expected.get(set));
      // a file a trading date, as the cleaned version has: each row's date is its bar's (a session's first bar's)
      expect(fs.readdirSync(path.join(store.root, built.get(set) as string)).sort(), set).toEqual(set === 'price_volatility' ? ['2024.parquet'] : ['2024-03-08.parquet', '2024-03-09.parquet', '2024-03-10.parquet']);
      if (set === 'momentum_indicators') expect(written.date).toEqual(cleanedDates);
    }
    // a page in the middle, as the table view reads it: only the row groups and pages that hold it (2024-03-10 starts at row 1,620)
    const momentum = expected.get('momentum_indicators') as Columns;
    expect(cleanedDates.indexOf(19_792)).toBe(1620);
    const handle = await openParquetFile(path.join(store.root, built.get('momentum_indicators') as string, '2024-03-10.parquet'));
    const page = columnsOf(await handle.readRows(1234 - 1620 + 1000, 100, ['timestamp', 'rsi_14', 'macd_signal']));
    expect(page).toEqual({ timestamp: momentum.timestamp.slice(2234, 2334), rsi_14: momentum.rsi_14.slice(2234, 2334), macd_signal: momentum.macd_signal.slice(2234, 2334) });
    expect((expected.get('momentum_indicators') as Columns).rsi_14.slice(0, 15)).toEqual([...Array<null>(14).fill(null), (expected.get('momentum_indicators') as Columns).rsi_14[14]]);
    expect((expected.get('momentum_indicators') as Columns).timestamp.slice(0, 2)).toEqual([1_709_928_000_000_000, 1_709_928_060_000_000]);
  });

  it('pyarrow, polars and DuckDB read each version folder with exactly those values; the timestamps are delta-encoded, the doubles byte-stream-split', async (context) => {
    const python = requirePython(context);
    const reads = runPythonJson<{ pyarrow: Columns; polars: Columns; duckdb: Columns; encodings: Record<string, string[]> }[]>(python, READ_FEATURES, FEATURE_SETS.map((set) => path.join(store.root, built.get(set) as string)));
    for (const [k, set] of FEATURE_SETS.entries()) {
      const read = reads[k];
      expect(withoutDate(read.pyarrow), `${set} through pyarrow`).toEqual(expected.get(set));
      expect(withoutDate(read.polars), `${set} through polars`).toEqual(expected.get(set));
      expect(withoutDate(read.duckdb), `${set} through DuckDB`).toEqual(expected.get(set));
      // and the same dates
      const ours = columnsOf(await (await Dataset.open(store.root, built.get(set) as string)).readAll()).date;
      expect([read.pyarrow.date, read.polars.date, read.duckdb.date], set).toEqual([ours, ours, ours]);
      if (set === 'momentum_indicators') {
        expect(read.encodings.timestamp).toEqual(['DELTA_BINARY_PACKED']);
        expect(read.encodings.macd_line).toEqual(['BYTE_STREAM_SPLIT']);
      }
    }
  });

  it('icebird reads each set\'s Iceberg table with exactly those values', async () => {
    const restore = serveFileUrls();
    try {
      for (const set of FEATURE_SETS) {
        const dir = path.join(store.root, 'features', 'MES', set);
        const metadata = fs.readdirSync(path.join(dir, 'metadata')).filter((n) => /^v\d+\.metadata\.json$/.test(n)).sort((a, b) => Number(/\d+/.exec(a)) - Number(/\d+/.exec(b))).pop() as string;
        const rows = await icebergRead({ tableUrl: fileLocation(dir), metadataFileName: metadata });
        const want = expected.get(set) as Columns;
        const got: Columns = {};
        for (const name of Object.keys(want)) {
          got[name] = rows.map((row) => {
            const v: unknown = row[name];
            if (v instanceof Date) return name === 'session_date' ? v.getTime() / 86_400_000 : v.getTime() * 1000;
            return typeof v === 'bigint' ? Number(v) : (v as number | string | null);
          });
        }
        expect(got, set).toEqual(want);
      }
    } finally {
      restore();
    }
  });
});
