import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MesDataError } from '../../../core/errors.js';
import { readParquet } from '../../../core/parquet/parquetFile.js';
import { Int64, makeData, makeVector, Table, TimestampNanosecond } from 'apache-arrow';
import { ingestIntoStore, type IngestResult } from '../../../core/store/ingestIntoStore.js';
import { commitRawSnapshots, supersededFiles } from '../../../core/store/rawSnapshot.js';
import { MetadataManager } from '../../../core/store/metadataManager.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { tempDir } from '../../helpers/ohlcvTable.js';
import { errorOf, expectSidecarsValid, newStore } from './storeTestKit.js';

/** One-minute bars, 17:00–17:09 CT of each session, for `sessions` trading dates from 2024-01-02. */
function minuteBars(sessions: number, change?: { session: number; minute: number; close: number }): string {
  const lines = ['timestamp,open,high,low,close,volume'];
  for (let s = 0; s < sessions; s++) {
    const day = new Date(Date.UTC(2024, 0, 1 + s)).toISOString().slice(0, 10);
    for (let m = 0; m < 10; m++) {
      const close = change && change.session === s && change.minute === m ? change.close : 4800 + s + m / 4;
      lines.push(`${day} 17:0${m}:00,${4800 + s},${4810 + s},${4790 + s},${close},${100 + m}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

describe('ingestIntoStore', () => {
  const { dir, cleanup: cleanupFiles } = tempDir('mes-data-ingest-store-');
  let store: Store;
  let cleanup: () => void;
  beforeAll(async () => {
    ({ store, cleanup } = await newStore());
  });
  afterAll(() => {
    expectSidecarsValid(store.root);
    cleanup();
    cleanupFiles();
  });
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  it('commits 70 trading dates in one batch, each folder moved whole into place, then finds them unchanged', async () => {
    const file = write('MES_1min.csv', minuteBars(70));
    const result = await ingestIntoStore(store, [file], { asset: 'MES', engine: 'duckdb' });
    expect(result.snapshots).toHaveLength(70);
    expect(result.snapshots.every((s) => s.status === 'created' && s.period === 'day')).toBe(true);
    expect(result.snapshots[0]).toMatchObject({ asset: 'MES', date: '2024-01-02', path: 'raw/MES/2024-01-02/MES_1min.parquet', rows: 10 });
    expect(result.files[0]).toMatchObject({ engine: 'duckdb', period: 'day' });
    const sidecar = await MetadataManager.readMetadataFile(path.join(store.root, 'catalog/raw/MES/2024-01-02.json'));
    expect(sidecar.files.map((f) => [f.path, f.rows, f.compression])).toEqual([['MES_1min.parquet', 10, 'zstd']]);
    expect(sidecar.files[0].sha256).toBe(result.snapshots[0].sha256);
    expect(fs.readdirSync(path.join(store.root, 'raw/MES/2024-01-02')).sort()).toEqual(['MES_1min.parquet']);
    expect(fs.readdirSync(path.join(store.root, 'catalog/raw/MES'))).toHaveLength(70);
    const table = await readParquet(path.join(store.root, 'raw/MES/2024-01-02/MES_1min.parquet'));
    expect(String(table.schema.fields[0].type)).toBe('Timestamp<MICROSECOND, UTC>');
    expect(fs.readdirSync(path.join(store.root, '.staging'))).toEqual([]);

    const again = await ingestIntoStore(store, [file], { asset: 'MES', engine: 'duckdb' });
    expect(again.snapshots.every((s) => s.status === 'unchanged')).toBe(true);
  });

  it('a corrected bar conflicts on its date only, names it, and is stored as a revision with --revise', async () => {
    // read by our reader this time: the unchanged dates, written by DuckDB before, are recognised by their rows
    const file = write('MES_1min.csv', minuteBars(70, { session: 40, minute: 3, close: 4999.75 }));
    const date = '2024-02-11';
    const error = await errorOf(ingestIntoStore(store, [file], { asset: 'MES' }));
    expect(error.code).toBe('ALREADY_EXISTS');
    expect(error.details.changedDates).toEqual([date]);
    expect(error.details.unchanged).toBe(69);
    expect(error.message).toContain(`raw/MES/${date}/MES_1min.parquet already exists with other rows`);
    expect(error.message).toContain(`1 of 70 snapshots changed (${date}), 69 unchanged. To keep the correction, ingest again with --revise`);

    const revised = await ingestIntoStore(store, [file], { asset: 'MES', revise: true });
    const changed = revised.snapshots.filter((s) => s.status === 'created');
    expect(changed).toEqual([expect.objectContaining({ date, path: `raw/MES/${date}/MES_1min.rev1.parquet`, supersedes: 'MES_1min.parquet', rows: 10 })]);
    expect(revised.snapshots.filter((s) => s.status === 'unchanged')).toHaveLength(69);
    const sidecar = await MetadataManager.readMetadataFile(path.join(store.root, `catalog/raw/MES/${date}.json`));
    // the superseded file left the date folder for the superseded tree; the sidecar keeps where it went
    expect(sidecar.files.map((f) => [f.path, f.extra ?? null])).toEqual([['MES_1min.rev1.parquet', { supersedes: 'MES_1min.parquet', revision: 1 }]]);
    expect(supersededFiles(sidecar).map((f) => [f.path, f.rows])).toEqual([[`catalog/raw/MES/superseded/${date}/MES_1min.parquet`, 10]]);
    expect(fs.readdirSync(path.join(store.root, `raw/MES/${date}`))).toEqual(['MES_1min.rev1.parquet']);
    const corrected = await readParquet(path.join(store.root, `raw/MES/${date}/MES_1min.rev1.parquet`));
    expect(corrected.getChild('close')?.get(3)).toBe(4999.75);

    // the corrected file again: its revision is the snapshot now, so nothing changes
    const same = await ingestIntoStore(store, [file], { asset: 'MES' });
    expect(same.snapshots.filter((s) => s.status !== 'unchanged')).toEqual([]);
    expect(same.snapshots[40].path).toBe(`raw/MES/${date}/MES_1min.rev1.parquet`);
  });

  it('25 years of daily bars land as 25 snapshots, one per calendar year, with their date spans', async () => {
    const lines = ['Date,Open,High,Low,Close,Adj Close,Volume'];
    for (let d = Date.UTC(2000, 0, 3); d < Date.UTC(2025, 0, 1); d += 86_400_000) {
      const weekday = new Date(d).getUTCDay();
      if (weekday === 0 || weekday === 6) continue;
      lines.push(`${new Date(d).toISOString().slice(0, 10)},10,11,9,10.5,10.25,1000`);
    }
    const result = await ingestIntoStore(store, [write('NVDA.csv', `${lines.join('\n')}\n`)], { asset: 'NVDA' });
    expect(result.snapshots).toHaveLength(25);
    expect(result.snapshots[0]).toMatchObject({ date: '2000-01-01', path: 'raw/NVDA/2000-01-01/NVDA.parquet', rows: 260, period: 'year', dateSpan: { first: '2000-01-03', last: '2000-12-29' } });
    expect(result.snapshots.reduce((sum, s) => sum + s.rows, 0)).toBe(lines.length - 1);
    expect(fs.readdirSync(path.join(store.root, 'raw/NVDA'))).toHaveLength(25);
    expect(fs.readdirSync(path.join(store.root, 'catalog/raw/NVDA'))).toHaveLength(25);
    const sidecar = await MetadataManager.readMetadataFile(path.join(store.root, 'catalog/raw/NVDA/2000-01-01.json'));
    expect({ date: sidecar.date, dateRange: sidecar.dateRange, recordCount: sidecar.recordCount, extra: sidecar.files[0].extra }).toEqual({
      date: '2000-01-01',
      dateRange: { from: '2000-01-03', to: '2000-12-29' },
      recordCount: 260,
      extra: { period: 'year', dateSpan: { first: '2000-01-03', last: '2000-12-29' } },
    });
  });

  it('a store that holds a daily source per date (written before, in nanoseconds) keeps it per date: the same file again is unchanged', async () => {
    const days = ['2023-12-28', '2023-12-29', '2024-01-02', '2024-01-03'];
    const lines = ['Date,Open,High,Low,Close,Volume,Adj Close', ...days.map((d, k) => `${d},${10 + k},${11 + k},${9 + k},${10.5 + k},${1000 + k},${10.25 + k}`)];
    const file = write('NVDA_old.csv', `${lines.join('\n')}\n`);
    // the old layout: one snapshot per date, timestamps in nanoseconds
    await commitRawSnapshots(
      store,
      days.map((date, k) => ({
        asset: 'NVDA',
        date,
        name: 'NVDA_old',
        table: new Table({
          timestamp: makeVector(makeData({ type: new TimestampNanosecond('UTC'), length: 1, nullCount: 0, data: BigInt64Array.from([BigInt(Date.parse(`${date}T00:00:00Z`)) * 1_000_000n]) })),
          open: makeVector(Float64Array.from([10 + k])),
          high: makeVector(Float64Array.from([11 + k])),
          low: makeVector(Float64Array.from([9 + k])),
          close: makeVector(Float64Array.from([10.5 + k])),
          volume: makeVector(makeData({ type: new Int64(), length: 1, nullCount: 0, data: BigInt64Array.from([BigInt(1000 + k)]) })),
          adj_close: makeVector(Float64Array.from([10.25 + k])),
        }),
      })),
    );
    const again = await ingestIntoStore(store, [file], { asset: 'NVDA' });
    expect(again.snapshots.map((s) => [s.date, s.status, s.period])).toEqual(days.map((d) => [d, 'unchanged', 'day']));
    expect(fs.existsSync(path.join(store.root, 'raw/NVDA/2024-01-01/NVDA_old.parquet'))).toBe(false);
  });

  it('a header with fewer names than the rows have fields is named, dry run and ingest alike', async () => {
    const rows = Array.from({ length: 20 }, (_, k) => `01/02/2024,09:${String(k).padStart(2, '0')}:00,4800,4801,4799,4800.5,10,250000`);
    const file = write('ES_split.csv', `Date,Open,High,Low,Close,Volume,OpenInt\n${rows.join('\n')}\n`);
    for (const dryRun of [true, false]) {
      const error = await errorOf(ingestIntoStore(store, [file], { asset: 'ES', dryRun }));
      expect(error.code).toBe('PARSE_ERROR');
      expect(error.message).toBe(
        'ES_split.csv: the header (line 1) has 7 names ("Date", "Open", "High", "Low", "Close", "Volume", "OpenInt") but the rows have 8 fields (20 of the first 20 rows, from line 2), so the names cannot be matched to the columns; add the missing name to the header, or fix the rows, and ingest again',
      );
      expect(error.details).toMatchObject({ reason: 'header_width', headerNames: 7, rowFields: 8 });
    }
    expect(fs.existsSync(path.join(store.root, 'raw/ES'))).toBe(false);
  });

  it('every bad row is counted, exactly, and the message names the flag that keeps the rest', async () => {
    const lines = ['timestamp,close'];
    for (let k = 0; k < 3000; k++) lines.push(`2024-01-02 10:${String(k % 60).padStart(2, '0')}:00,${k % 2 === 0 ? 'x' : k}`);
    const error = await errorOf(ingestIntoStore(store, [write('MES_bad.csv', `${lines.join('\n')}\n`)], { asset: 'MES' }));
    expect(error.code).toBe('PARSE_ERROR');
    expect(error.details).toMatchObject({ badRowCount: 1500, rowsRead: 3000, complete: true });
    expect(error.message.startsWith('1500 of 3000 rows are malformed in MES_bad.csv, nothing staged (ingest with --on-bad-rows skip to keep the other rows): line 2: unparseable number "x" in column "close"')).toBe(true);
  });

  /** What a command run would show: its error code, or the snapshots it made (or would make). */
  async function outcome(run: Promise<IngestResult>): Promise<{ code: string } | { snapshots: [string, number, string][] }> {
    try {
      const result = await run;
      return { snapshots: result.snapshots.map((s) => [s.path, s.rows, s.wouldBe ?? s.status]) };
    } catch (error) {
      if (error instanceof MesDataError) return { code: error.code };
      throw error;
    }
  }

  it('a dry run predicts the ingest: the same error or the same snapshots, on mutated files', async () => {
    const base = minuteBars(3);
    let seed = 12345;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const alphabet = ['', ',', '\n', '"', 'x', '9', '.', '-', ' ', ':', '2024-13-01', 'NA', ';', '\r'];
    let passed = 0;
    for (let trial = 0; trial < 24; trial++) {
      let text = base;
      const edits = 1 + Math.floor(random() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(random() * text.length);
        const cut = Math.floor(random() * 3);
        text = text.slice(0, at) + alphabet[Math.floor(random() * alphabet.length)] + text.slice(at + cut);
      }
      const { store: fresh, cleanup: done } = await newStore('mes-data-fuzz-');
      try {
        const file = write(`MES_fuzz${trial}.csv`, text);
        const predicted = await outcome(ingestIntoStore(fresh, [file], { asset: 'MES', dryRun: true }));
        const actual = await outcome(ingestIntoStore(fresh, [file], { asset: 'MES' }));
        expect({ trial, outcome: actual }).toEqual({ trial, outcome: predicted });
        if ('snapshots' in actual) passed++;
      } finally {
        done();
      }
    }
    // both kinds happened: some mutants ingest, some fail
    expect(passed).toBeGreaterThan(0);
    expect(passed).toBeLessThan(24);
  });
});
