/**
 * A raw asset's folder is a dataset for the Python tools researchers use (store format 2:
 * the date folders hold Parquet files only, their sidecars are in catalog/raw/): after two
 * ingests (new dates, and a file added to an existing date), pyarrow, pandas and polars read
 * `raw/MES/` in its directory form, no glob, with exactly the bars of the two CSV files.
 * The same folder with a format-1 `metadata.json` among the data files is refused by polars
 * and pyarrow, which is why the sidecars moved. Needs a Python with those modules
 * (tests/helpers/python.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestIntoStore } from '../../../core/store/ingestIntoStore.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { requirePython, runPythonJson } from '../../helpers/python.js';
import { tempDir } from '../../helpers/ohlcvTable.js';
import { newStore } from './storeTestKit.js';

/** [UTC epoch microseconds, open, high, low, close, volume] */
type Bar = [number, number, number, number, number, number];

/**
 * One-minute bars from 17:{first}:00 CT for `count` minutes of each of `sessions` evenings
 * from 2024-01-{1 + firstSession}: the CSV text and the bars it holds (January: CT is UTC-6).
 */
function eveningBars(firstSession: number, sessions: number, first: number, count: number): { csv: string; bars: Bar[] } {
  const lines = ['timestamp,open,high,low,close,volume'];
  const bars: Bar[] = [];
  for (let s = firstSession; s < firstSession + sessions; s++) {
    const day = new Date(Date.UTC(2024, 0, 1 + s)).toISOString().slice(0, 10);
    for (let m = first; m < first + count; m++) {
      const minute = String(m).padStart(2, '0');
      const bar: Bar = [Date.UTC(2024, 0, 1 + s, 23, m) * 1000, 4800 + s, 4810 + s, 4790 + s, 4800 + s + m / 4, 100 + m];
      lines.push(`${day} 17:${minute}:00,${bar[1]},${bar[2]},${bar[3]},${bar[4]},${bar[5]}`);
      bars.push(bar);
    }
  }
  return { csv: `${lines.join('\n')}\n`, bars };
}

const READ = String.raw`
import json, sys
import pyarrow.parquet as pq
import pandas as pd
import polars as pl

args = json.load(sys.stdin)
COLUMNS = ['timestamp', 'open', 'high', 'low', 'close', 'volume']

def rows(ts, columns):
    return sorted([[int(t)] + [float(c[i]) if k < 4 else int(c[i]) for k, c in enumerate(columns)] for i, t in enumerate(ts)])

def with_pyarrow(path):
    t = pq.read_table(path, columns=COLUMNS)
    return rows(t.column('timestamp').cast('int64').to_pylist(), [t.column(c).to_pylist() for c in COLUMNS[1:]])

def with_pandas(path):
    df = pd.read_parquet(path, columns=COLUMNS)
    ts = (df['timestamp'] - pd.Timestamp(0, tz='UTC')) // pd.Timedelta(microseconds=1)
    return rows(ts.tolist(), [df[c].tolist() for c in COLUMNS[1:]])

def with_polars(path):
    df = pl.read_parquet(path, columns=COLUMNS)
    return rows(df['timestamp'].dt.epoch('us').to_list(), [df[c].to_list() for c in COLUMNS[1:]])

def attempt(read, path):
    try:
        return {'rows': read(path)}
    except Exception as error:
        return {'error': type(error).__name__}

out = {}
for name, read in [('pyarrow', with_pyarrow), ('pandas', with_pandas), ('polars', with_polars)]:
    out[name] = attempt(read, args['asset'])
    out[name + '_date'] = attempt(read, args['date'])
    out[name + '_format1'] = attempt(read, args['format1'])
print(json.dumps(out))
`;

describe('a raw asset folder read by pyarrow, pandas and polars', () => {
  const { dir, cleanup: cleanupFiles } = tempDir('mes-data-raw-python-');
  let store: Store;
  let cleanup: () => void;
  let expected: Bar[];
  let expectedDate: Bar[];

  beforeAll(async () => {
    ({ store, cleanup } = await newStore());
    // three evenings, then another file with later minutes of the third evening and two more
    const first = eveningBars(0, 3, 0, 10);
    const second = eveningBars(2, 3, 10, 5);
    fs.writeFileSync(path.join(dir, 'MES_1min.csv'), first.csv);
    fs.writeFileSync(path.join(dir, 'MES_late.csv'), second.csv);
    const a = await ingestIntoStore(store, [path.join(dir, 'MES_1min.csv')], { asset: 'MES', timezone: 'America/Chicago', engine: 'duckdb' });
    const b = await ingestIntoStore(store, [path.join(dir, 'MES_late.csv')], { asset: 'MES', timezone: 'America/Chicago', engine: 'duckdb' });
    expect([...a.snapshots, ...b.snapshots].map((s) => [s.path, s.status, s.rows])).toEqual([
      ['raw/MES/2024-01-02/MES_1min.parquet', 'created', 10],
      ['raw/MES/2024-01-03/MES_1min.parquet', 'created', 10],
      ['raw/MES/2024-01-04/MES_1min.parquet', 'created', 10],
      ['raw/MES/2024-01-04/MES_late.parquet', 'created', 5],
      ['raw/MES/2024-01-05/MES_late.parquet', 'created', 5],
      ['raw/MES/2024-01-06/MES_late.parquet', 'created', 5],
    ]);
    expected = [...first.bars, ...second.bars].sort((x, y) => x[0] - y[0]);
    // the evening of 2024-01-03 (CT) is trading date 2024-01-04, in both files
    expectedDate = expected.filter((bar) => bar[0] >= Date.UTC(2024, 0, 3, 23) * 1000 && bar[0] < Date.UTC(2024, 0, 4, 23) * 1000);
    // a copy of the asset folder as format 1 kept it: a metadata.json among the data files
    const format1 = path.join(dir, 'format1', 'MES');
    fs.cpSync(path.join(store.root, 'raw', 'MES'), format1, { recursive: true });
    fs.copyFileSync(path.join(store.root, 'catalog', 'raw', 'MES', '2024-01-04.json'), path.join(format1, '2024-01-04', 'metadata.json'));
  });
  afterAll(() => {
    cleanup();
    cleanupFiles();
  });

  it('holds Parquet files only below raw/MES, with the sidecars in catalog/raw/MES', () => {
    const files = fs.readdirSync(path.join(store.root, 'raw', 'MES'), { recursive: true, encoding: 'utf8' }).filter((name) => !fs.statSync(path.join(store.root, 'raw', 'MES', name)).isDirectory());
    expect(files.sort()).toEqual([
      '2024-01-02/MES_1min.parquet',
      '2024-01-03/MES_1min.parquet',
      '2024-01-04/MES_1min.parquet',
      '2024-01-04/MES_late.parquet',
      '2024-01-05/MES_late.parquet',
      '2024-01-06/MES_late.parquet',
    ]);
    expect(fs.readdirSync(path.join(store.root, 'catalog', 'raw', 'MES')).sort()).toEqual(['2024-01-02.json', '2024-01-03.json', '2024-01-04.json', '2024-01-05.json', '2024-01-06.json']);
  });

  it('reads the whole history and one date with exact values, and shows why format 1 could not', (context) => {
    const python = requirePython(context);
    const out = runPythonJson<Record<string, { rows?: Bar[]; error?: string }>>(python, READ, {
      asset: `${path.join(store.root, 'raw', 'MES')}${path.sep}`,
      date: path.join(store.root, 'raw', 'MES', '2024-01-04'),
      format1: `${path.join(dir, 'format1', 'MES')}${path.sep}`,
    });
    expect(expected).toHaveLength(45);
    expect(expectedDate).toHaveLength(15);
    for (const reader of ['pyarrow', 'pandas', 'polars']) {
      expect({ reader, result: out[reader] }).toEqual({ reader, result: { rows: expected } });
      expect({ reader, result: out[`${reader}_date`] }).toEqual({ reader, result: { rows: expectedDate } });
    }
    // the same folder with a sidecar among its files: polars and pyarrow refuse it (pandas reads through pyarrow)
    expect({ pyarrow: out.pyarrow_format1.error, pandas: out.pandas_format1.error, polars: out.polars_format1.error }).toEqual({ pyarrow: 'ArrowInvalid', pandas: 'ArrowInvalid', polars: 'InvalidOperationError' });
  });
});
