import fs from 'node:fs';
import path from 'node:path';
import { Table, Utf8, vectorFromArray, type Vector } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { diffParquetFiles, diffRowsOfDate } from '../../../core/diff/diffFiles.js';
import { diffTables } from '../../../core/diff/diffTables.js';
import { openParquetFile } from '../../../core/parquet/parquetFile.js';
import { writeParquet } from '../../../core/parquet/writeParquet.js';
import { SESSION_TEMPLATES } from '../../../core/instruments/sessionTemplates.js';
import { barsAt, barsTable, type Bar } from '../../helpers/barsTable.js';
import { tempDir } from '../../helpers/ohlcvTable.js';

/*
 * Per trading date: the diff's counts by date and the rows of one date, on versions written
 * a file per trading date as promotion writes them. CME trading dates: from 17:00 Chicago
 * (23:00 UTC in January) an instant belongs to the next day.
 */

const ALL = ['added', 'removed', 'changed'] as ('added' | 'removed' | 'changed')[];

function withDateColumn(table: Table, dates: string[]): Table {
  const columns: Record<string, Vector> = {};
  for (const field of table.schema.fields) columns[field.name] = table.getChild(field.name) as Vector;
  columns.date = vectorFromArray(dates, new Utf8());
  return new Table(columns);
}

describe('the diff per trading date', () => {
  const { dir, cleanup } = tempDir('mes-data-diff-rows-');
  afterAll(cleanup);
  let serial = 0;

  async function side(...tables: Table[]) {
    return sideOf({}, ...tables);
  }

  async function sideOf(metadata: Record<string, string>, ...tables: Table[]) {
    const folder = path.join(dir, `side-${serial++}`);
    fs.mkdirSync(folder);
    const out = [];
    for (const [k, table] of tables.entries()) {
      const file = path.join(folder, `part-${k}.parquet`);
      await writeParquet(table, file, { metadata });
      out.push({ file, handle: await openParquetFile(file) });
    }
    return out;
  }

  // two trading dates: 2024-01-03 (15:00–15:02 UTC) and 2024-01-04 (23:00–23:02 UTC on the 3rd, then 14:00 on the 4th)
  const times = ['2024-01-03T15:00:00Z', '2024-01-03T15:01:00Z', '2024-01-03T15:02:00Z', '2024-01-03T23:00:00Z', '2024-01-03T23:01:00Z', '2024-01-03T23:02:00Z', '2024-01-04T14:00:00Z'];
  const bars = barsAt(times);
  const v1 = [barsTable(bars.slice(0, 3)), barsTable(bars.slice(3))];
  const changed = (bar: Bar, close: number, volume?: number): Bar => [bar[0], bar[1], bar[2], bar[3], close, volume ?? bar[5]];
  // v2: 15:01 close changed; 23:00 removed; 23:01 close and volume changed; 14:30 added; 15:03 added
  const extra = barsAt(['2024-01-03T15:03:00Z', '2024-01-04T14:30:00Z']);
  const v2 = [barsTable([bars[0], changed(bars[1], 5001), bars[2], extra[0]]), barsTable([changed(bars[4], 5002, 77), bars[5], bars[6], extra[1]])];

  it('counts what changed per trading date, the same in DuckDB and in the table diff', async () => {
    const [a, b] = [await side(...v1), await side(...v2)];
    const fast = await diffParquetFiles(a.map((f) => f.file), b.map((f) => f.file));
    expect(fast).toEqual(diffTables(v1[0].concat(v1[1]), v2[0].concat(v2[1])));
    expect(fast?.rows).toEqual({ added: 2, removed: 1, changed: 2, unchanged: 4, a: 7, b: 8 });
    expect(fast?.byDate).toEqual({
      source: 'session',
      session: 'cme_globex_equity',
      timeZone: 'America/Chicago',
      dates: [
        { date: '2024-01-03', added: 1, removed: 0, changed: 1 },
        { date: '2024-01-04', added: 1, removed: 1, changed: 1 },
      ],
    });
  });

  it('the rows of one date: both sides, the changed columns, in key order; kinds and pages', async () => {
    const [a, b] = [await side(...v1), await side(...v2)];
    const page = await diffRowsOfDate(a, b, { date: '2024-01-04', kinds: ALL, offset: 0, limit: 100 });
    expect(page?.counts).toEqual({ added: 1, removed: 1, changed: 1 });
    expect(page?.total).toBe(3);
    expect(page?.source).toBe('session');
    expect(page?.columns.map((c) => c.name)).toEqual(['timestamp', 'open', 'high', 'low', 'close', 'volume']);
    const row = (time: string, close: number, volume: number) => ({ timestamp: time, open: 5000, high: 5000.5, low: 4999.5, close, volume });
    expect(page?.rows).toEqual([
      { kind: 'removed', key: { timestamp: '2024-01-03T23:00:00.000000000Z' }, a: row('2024-01-03T23:00:00.000000000Z', 5000, 4), b: null, changed: [] },
      { kind: 'changed', key: { timestamp: '2024-01-03T23:01:00.000000000Z' }, a: row('2024-01-03T23:01:00.000000000Z', 5000, 5), b: row('2024-01-03T23:01:00.000000000Z', 5002, 77), changed: ['close', 'volume'] },
      { kind: 'added', key: { timestamp: '2024-01-04T14:30:00.000000000Z' }, a: null, b: row('2024-01-04T14:30:00.000000000Z', 5000, 2), changed: [] },
    ]);
    const changedOnly = await diffRowsOfDate(a, b, { date: '2024-01-04', kinds: ['added', 'removed'], offset: 1, limit: 1 });
    expect(changedOnly?.total).toBe(2);
    expect(changedOnly?.counts).toEqual({ added: 1, removed: 1, changed: 1 });
    expect(changedOnly?.rows.map((r) => [r.kind, r.key.timestamp])).toEqual([['added', '2024-01-04T14:30:00.000000000Z']]);
    const first = await diffRowsOfDate(a, b, { date: '2024-01-03', kinds: ALL, offset: 0, limit: 100 });
    expect(first?.rows.map((r) => [r.kind, r.key.timestamp, r.changed])).toEqual([
      ['changed', '2024-01-03T15:01:00.000000000Z', ['close']],
      ['added', '2024-01-03T15:03:00.000000000Z', []],
    ]);
  });

  it('a date without changes, and one no file holds, have no rows', async () => {
    const [a, b] = [await side(...v1), await side(...v2)];
    expect(await diffRowsOfDate(a, b, { date: '2024-01-05', kinds: ALL, offset: 0, limit: 10 })).toMatchObject({ counts: { added: 0, removed: 0, changed: 0 }, total: 0, rows: [] });
    expect(await diffRowsOfDate(a, b, { date: '2023-06-01', kinds: ALL, offset: 0, limit: 10 })).toMatchObject({ total: 0, rows: [] });
  });

  it("a date column, when both sides have one, is the row's date; a pair takes B's", async () => {
    const x = withDateColumn(barsTable(bars.slice(0, 3)), ['2024-01-03', '2024-01-03', '2024-01-03']);
    // the 15:02 bar moves to 2024-01-05 (its close changes too); 15:01 changes only its close
    const y = withDateColumn(barsTable([bars[0], changed(bars[1], 4999), changed(bars[2], 4998)]), ['2024-01-03', '2024-01-03', '2024-01-05']);
    const [a, b] = [await side(x), await side(y)];
    const fast = await diffParquetFiles([a[0].file], [b[0].file]);
    expect(fast).toEqual(diffTables(x, y));
    expect(fast?.changedColumns).toEqual({ close: 2, date: 1 });
    expect(fast?.byDate).toEqual({
      source: 'column',
      session: null,
      timeZone: null,
      dates: [
        { date: '2024-01-03', added: 0, removed: 0, changed: 1 },
        { date: '2024-01-05', added: 0, removed: 0, changed: 1 },
      ],
    });
    const moved = await diffRowsOfDate(a, b, { date: '2024-01-05', kinds: ALL, offset: 0, limit: 10 });
    expect(moved?.rows.map((r) => [r.kind, r.key.timestamp, r.a?.date, r.b?.date, r.changed])).toEqual([['changed', '2024-01-03T15:02:00.000000000Z', '2024-01-03', '2024-01-05', ['close', 'date']]]);
    const stayed = await diffRowsOfDate(a, b, { date: '2024-01-03', kinds: ALL, offset: 0, limit: 10 });
    expect(stayed?.rows.map((r) => [r.kind, r.key.timestamp])).toEqual([['changed', '2024-01-03T15:01:00.000000000Z']]);
  });

  it('takes the session template of the asset the footers name', async () => {
    const rth = { ...SESSION_TEMPLATES.cme_globex_equity, id: 'test_day', opensPreviousDay: false, open: '08:30', close: '15:15' };
    const [a, b] = [await sideOf({ 'mes_data.asset': 'MES' }, ...v1), await sideOf({ 'mes_data.asset': 'MES' }, ...v2)];
    const seen: (string | null)[] = [];
    const fast = await diffParquetFiles(a.map((f) => f.file), b.map((f) => f.file), {
      sessionOf: (asset) => {
        seen.push(asset);
        return rth;
      },
    });
    // without an evening open, 23:00–23:02 UTC (17:00 Chicago) stays on 2024-01-03
    expect(fast?.byDate).toEqual({ source: 'session', session: 'test_day', timeZone: 'America/Chicago', dates: [{ date: '2024-01-03', added: 1, removed: 1, changed: 2 }, { date: '2024-01-04', added: 1, removed: 0, changed: 0 }] });
    expect(seen).toEqual(['MES']);
  });
});
