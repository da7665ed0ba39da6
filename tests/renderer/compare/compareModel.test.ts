import { describe, expect, it } from 'vitest';
import {
  dateRuleText,
  defaultPair,
  firstDate,
  predecessorOf,
  rowCells,
  schemaLines,
  stripBars,
  summaryText,
  versionGroupOf,
  versionsOf,
  type DiffRowsPage,
} from '../../../renderer/src/compare/compareModel.ts';
import type { CatalogNode } from '../../../renderer/src/tree/treeModel.ts';

/** A tree with three cleaned versions of MES (listed out of order), one of ES, two of MES's feature set and one of ES's. */
function tree(): CatalogNode {
  const version = (path: string, version: number, rows: number): CatalogNode => ({ kind: 'version', name: `v${version}`, path, version, rows, createdAt: `2024-02-0${version}T10:00:00Z` });
  return {
    kind: 'store',
    name: 'store',
    path: '',
    children: [
      {
        kind: 'layer',
        name: 'cleaned',
        path: 'cleaned',
        children: [
          { kind: 'asset', name: 'ES', path: 'cleaned/ES', children: [version('cleaned/v2/ES', 2, 60)] },
          { kind: 'asset', name: 'MES', path: 'cleaned/MES', children: [version('cleaned/v3/MES', 3, 300), version('cleaned/v1/MES', 1, 100), version('cleaned/v2/MES', 2, 200)] },
        ],
      },
      {
        kind: 'layer',
        name: 'features',
        path: 'features',
        children: [
          // format 2: a feature set of one asset, numbered per asset and set (ES's v1 is not MES's)
          { kind: 'asset', name: 'ES', path: 'features/ES', children: [{ kind: 'featureSet', name: 'momentum_indicators', path: 'features/ES/momentum_indicators', children: [version('features/v1/ES/momentum_indicators', 1, 7)] }] },
          {
            kind: 'asset',
            name: 'MES',
            path: 'features/MES',
            children: [{ kind: 'featureSet', name: 'momentum_indicators', path: 'features/MES/momentum_indicators', children: [version('features/v1/MES/momentum_indicators', 1, 10), version('features/v2/MES/momentum_indicators', 2, 11)] }],
          },
        ],
      },
    ],
  };
}

describe('compareModel: which versions compare', () => {
  it('names a version’s group by its store path, and nothing else', () => {
    expect(versionGroupOf('cleaned/v3/MES')).toBe('cleaned/MES');
    expect(versionGroupOf('features/v12/MES/momentum_indicators')).toBe('features/MES/momentum_indicators');
    expect(versionGroupOf('features/v12/MES/momentum_indicators/part-0.parquet')).toBeNull();
    expect(versionGroupOf('cleaned/v3/MES/date=2024-01-15/part-0.parquet')).toBeNull();
    expect(versionGroupOf('cleaned/v3/MES/2024-01-15.parquet')).toBeNull();
    expect(versionGroupOf('raw/MES/2024-01-15')).toBeNull();
    expect(versionGroupOf('cleaned/v0/MES')).toBeNull();
  });

  it('lists the versions of the group oldest first, with their rows', () => {
    expect(versionsOf(tree(), 'cleaned/v2/MES').map((v) => [v.path, v.version, v.rows])).toEqual([
      ['cleaned/v1/MES', 1, 100],
      ['cleaned/v2/MES', 2, 200],
      ['cleaned/v3/MES', 3, 300],
    ]);
    expect(versionsOf(tree(), 'raw/MES/2024-01-02')).toEqual([]);
    expect(versionsOf(null, 'cleaned/v2/MES')).toEqual([]);
  });

  it('pairs a version with its predecessor; the first with the one after it; a lone version with none', () => {
    expect(predecessorOf(tree(), 'cleaned/v3/MES')?.path).toBe('cleaned/v2/MES');
    expect(predecessorOf(tree(), 'cleaned/v1/MES')).toBeNull();
    expect(defaultPair(tree(), 'cleaned/v3/MES')).toEqual({ a: 'cleaned/v2/MES', b: 'cleaned/v3/MES' });
    expect(defaultPair(tree(), 'cleaned/v1/MES')).toEqual({ a: 'cleaned/v1/MES', b: 'cleaned/v2/MES' });
    expect(defaultPair(tree(), 'features/v2/MES/momentum_indicators')).toEqual({ a: 'features/v1/MES/momentum_indicators', b: 'features/v2/MES/momentum_indicators' });
    // ES's only version of the set has no partner: MES's versions are another asset's
    expect(defaultPair(tree(), 'features/v1/ES/momentum_indicators')).toBeNull();
    expect(versionsOf(tree(), 'features/v1/MES/momentum_indicators').map((v) => v.path)).toEqual(['features/v1/MES/momentum_indicators', 'features/v2/MES/momentum_indicators']);
    expect(defaultPair(tree(), 'cleaned/v2/ES')).toBeNull();
  });
});

describe('compareModel: the strip of dates', () => {
  const dates = [
    { date: '2024-01-02', added: 0, removed: 0, changed: 1 },
    { date: '2024-01-03', added: 90, removed: 10, changed: 0 },
    { date: '2024-01-04', added: 0, removed: 0, changed: 25 },
  ];

  it('stacks each date’s counts, the tallest date full height, on a square-root scale', () => {
    const bars = stripBars(dates);
    expect(bars.map((b) => [b.date, b.total])).toEqual([
      ['2024-01-02', 1],
      ['2024-01-03', 100],
      ['2024-01-04', 25],
    ]);
    expect(bars[1].heights).toEqual({ added: 0.9, removed: 0.1, changed: 0 });
    expect(bars[0].heights).toEqual({ added: 0, removed: 0, changed: 0.1 });
    expect(bars[2].heights).toEqual({ added: 0, removed: 0, changed: 0.5 });
    expect(bars[1].label).toBe('2024-01-03: 90 added, 10 removed, 0 changed');
  });

  it('on a linear scale when asked; nothing to scale when no date has a difference', () => {
    expect(stripBars(dates, { sqrt: false }).map((b) => b.heights.changed + b.heights.added + b.heights.removed)).toEqual([0.01, 1, 0.25]);
    expect(stripBars([])).toEqual([]);
    expect(stripBars([{ date: null, added: 0, removed: 0, changed: 0 }])[0].heights).toEqual({ added: 0, removed: 0, changed: 0 });
  });

  it('opens on the first date with a changed row, else the first date', () => {
    expect(firstDate(dates)).toBe('2024-01-02');
    expect(firstDate(dates.slice(1))).toBe('2024-01-04');
    expect(firstDate([{ date: '2024-01-03', added: 5, removed: 0, changed: 0 }])).toBe('2024-01-03');
    expect(firstDate([])).toBeNull();
  });
});

describe('compareModel: texts and cells', () => {
  it('writes the schema changes, the summary and the date rule', () => {
    expect(schemaLines({ added: [{ name: 'vwap', type: 'Float64' }], removed: [{ name: 'oi', type: 'Int64' }], changed: [{ name: 'volume', from: 'Int32', to: 'Int64' }] })).toEqual([
      { kind: 'added', text: '+ vwap Float64' },
      { kind: 'removed', text: '− oi Int64' },
      { kind: 'changed', text: 'volume Int32 → Int64' },
    ]);
    expect(summaryText({ added: 1380, removed: 0, changed: 552, unchanged: 3_999_446, a: 3_999_998, b: 4_001_378 })).toBe('1,380 added · 0 removed · 552 changed · 3,999,446 unchanged');
    expect(dateRuleText({ source: 'session', session: 'cme_globex_equity', timeZone: 'America/Chicago', dates: [] })).toBe('Trading dates from the timestamps, America/Chicago sessions (cme_globex_equity)');
    expect(dateRuleText({ source: 'column', session: null, timeZone: null, dates: [] })).toBe("Trading dates from each row's date column");
  });

  const columns: DiffRowsPage['columns'] = [
    { name: 'timestamp', type: 'Timestamp<MICROSECOND, UTC>' },
    { name: 'close', type: 'Float64' },
    { name: 'volume', type: 'Int64' },
    { name: 'vwap', type: 'Float64' },
  ];
  const look = { mode: 'utc' as const, zone: 'America/Chicago', tick: 0.25 };

  it('a changed row: old → new in the changed columns, the new value elsewhere', () => {
    const row: DiffRowsPage['rows'][number] = {
      kind: 'changed',
      key: { timestamp: '2010-01-17T23:00:00.000000Z' },
      a: { timestamp: '2010-01-17T23:00:00.000000Z', close: 5003.75, volume: 4053 },
      b: { timestamp: '2010-01-17T23:00:00.000000Z', close: 5004, volume: 4053, vwap: 5003.9 },
      changed: ['close'],
    };
    expect(rowCells(row, columns, look)).toEqual([
      { column: 'timestamp', text: '2010-01-17 23:00:00 UTC', changed: false },
      { column: 'close', text: '5,003.75 → 5,004.00', from: '5,003.75', to: '5,004.00', changed: true },
      { column: 'volume', text: '4,053', changed: false },
      { column: 'vwap', text: '5,003.90', changed: false },
    ]);
  });

  it('an added or removed row: its own side; a column it lacks is a dash, a null is null', () => {
    const removed: DiffRowsPage['rows'][number] = { kind: 'removed', key: { timestamp: '2010-01-17T23:01:00.000000Z' }, a: { timestamp: '2010-01-17T23:01:00.000000Z', close: null, volume: 7 }, b: null, changed: [] };
    expect(rowCells(removed, columns, { ...look, mode: 'exchange' }).map((c) => c.text)).toEqual(['2010-01-17 17:01:00 CST', 'null', '7', '—']);
  });
});
