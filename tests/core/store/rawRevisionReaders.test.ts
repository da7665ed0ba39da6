/**
 * A raw asset folder after a vendor's revision is still a dataset for every engine: the
 * superseded file left `raw/MES/` for `catalog/raw/MES/superseded/`, so pyarrow, pandas and
 * polars reading `raw/MES/` in its directory form, and polars and DuckDB reading the glob
 * `raw/MES/**\/*.parquet` (globs read hidden names too, which is why the file could not just
 * be renamed in place), count each date's newest revision only. A copy with the superseded
 * file back in its date folder (the earlier layout) shows what they counted before. Needs a
 * Python with those modules (tests/helpers/python.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestIntoStore } from '../../../core/store/ingestIntoStore.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { requirePython, runPythonJson } from '../../helpers/python.js';
import { tempDir } from '../../helpers/ohlcvTable.js';
import { newStore } from './storeTestKit.js';

/** One-minute bars from 17:00 CT, `minutes[s]` of them on the evening of 2024-01-{1 + s}, the close of the evening `changed` raised by a quarter. */
function eveningCsv(minutes: number[], changed = -1): string {
  const lines = ['timestamp,open,high,low,close,volume'];
  minutes.forEach((count, s) => {
    const day = new Date(Date.UTC(2024, 0, 1 + s)).toISOString().slice(0, 10);
    for (let m = 0; m < count; m++) {
      const close = 4800 + s + m / 4 + (s === changed ? 0.25 : 0);
      lines.push(`${day} 17:${String(m).padStart(2, '0')}:00,${4800 + s},${4810 + s},${4790 + s},${close},${100 + m}`);
    }
  });
  return `${lines.join('\n')}\n`;
}

const READ = String.raw`
import json, sys
import pyarrow.parquet as pq
import pandas as pd
import polars as pl
import duckdb

args = json.load(sys.stdin)
out = {}
for name, folder in [('now', args['now']), ('before', args['before'])]:
    glob = folder.rstrip('/') + '/**/*.parquet'
    out[name] = {
        'pyarrow': pq.read_table(folder).num_rows,
        'pandas': len(pd.read_parquet(folder)),
        'polars': pl.read_parquet(folder).height,
        'polars_glob': pl.read_parquet(glob).height,
        'duckdb_glob': duckdb.sql(f"select count(*) from read_parquet('{glob}')").fetchone()[0],
        'duckdb_sum_close': duckdb.sql(f"select round(sum(close), 2) from read_parquet('{glob}')").fetchone()[0],
    }
print(json.dumps(out))
`;

describe('a raw asset folder with a revised date, read by pyarrow, pandas, polars and DuckDB', () => {
  const { dir, cleanup: cleanupFiles } = tempDir('mes-data-raw-revision-readers-');
  let store: Store;
  let cleanup: () => void;

  beforeAll(async () => {
    ({ store, cleanup } = await newStore());
    fs.writeFileSync(path.join(dir, 'MES_1min.csv'), eveningCsv([10, 10, 10]));
    // the vendor's re-issue: four more minutes and a corrected close on the evening of 2024-01-02 (trading date 2024-01-03)
    fs.writeFileSync(path.join(dir, 'MES_1min_fixed.csv'), eveningCsv([10, 14, 10], 1));
    const first = await ingestIntoStore(store, [path.join(dir, 'MES_1min.csv')], { asset: 'MES', timezone: 'America/Chicago', engine: 'duckdb' });
    fs.renameSync(path.join(dir, 'MES_1min_fixed.csv'), path.join(dir, 'MES_1min.csv'));
    const revised = await ingestIntoStore(store, [path.join(dir, 'MES_1min.csv')], { asset: 'MES', timezone: 'America/Chicago', engine: 'duckdb', revise: true });
    expect([...first.snapshots, ...revised.snapshots].map((s) => [s.path, s.status, s.rows])).toEqual([
      ['raw/MES/2024-01-02/MES_1min.parquet', 'created', 10],
      ['raw/MES/2024-01-03/MES_1min.parquet', 'created', 10],
      ['raw/MES/2024-01-04/MES_1min.parquet', 'created', 10],
      ['raw/MES/2024-01-02/MES_1min.parquet', 'unchanged', 10],
      ['raw/MES/2024-01-03/MES_1min.rev1.parquet', 'created', 14],
      ['raw/MES/2024-01-04/MES_1min.parquet', 'unchanged', 10],
    ]);
    // the earlier layout: the superseded file back beside its revision
    const before = path.join(dir, 'before', 'MES');
    fs.cpSync(path.join(store.root, 'raw', 'MES'), before, { recursive: true });
    fs.copyFileSync(path.join(store.root, 'catalog/raw/MES/superseded/2024-01-03/MES_1min.parquet'), path.join(before, '2024-01-03', 'MES_1min.parquet'));
  });
  afterAll(() => {
    cleanup();
    cleanupFiles();
  });

  it('holds the newest revision of each date only below raw/MES', () => {
    const root = path.join(store.root, 'raw', 'MES');
    const files = fs.readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((name) => !fs.statSync(path.join(root, name)).isDirectory());
    expect(files.sort()).toEqual(['2024-01-02/MES_1min.parquet', '2024-01-03/MES_1min.rev1.parquet', '2024-01-04/MES_1min.parquet']);
  });

  it('every reader counts 34 rows, the newest revisions; the earlier layout made them count 44', (context) => {
    const python = requirePython(context);
    const out = runPythonJson<Record<string, Record<string, number>>>(python, READ, { now: `${path.join(store.root, 'raw', 'MES')}${path.sep}`, before: `${path.join(dir, 'before', 'MES')}${path.sep}` });
    // closes: 3 evenings of 4800 + s + m/4 for m < 10 (plus m < 14 on the revised one) and the revised evening's +0.25 each
    const close = (s: number, count: number, plus: number) => Array.from({ length: count }, (_, m) => 4800 + s + m / 4 + plus).reduce((a, b) => a + b, 0);
    const now = close(0, 10, 0) + close(1, 14, 0.25) + close(2, 10, 0);
    const before = now + close(1, 10, 0);
    expect(out).toEqual({
      now: { pyarrow: 34, pandas: 34, polars: 34, polars_glob: 34, duckdb_glob: 34, duckdb_sum_close: now },
      before: { pyarrow: 44, pandas: 44, polars: 44, polars_glob: 44, duckdb_glob: 44, duckdb_sum_close: before },
    });
  });
});
