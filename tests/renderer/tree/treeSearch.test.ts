import { describe, expect, it } from 'vitest';
import { flattenSearch, markedParts, searchSummary, searchWords } from '../../../renderer/src/tree/treeSearch.ts';
import type { CatalogNode } from '../../../renderer/src/tree/treeModel.ts';

/** What `tree.search` answers for "MES 2024-03": the matches without children, the nodes on the way to them. */
function answer(): CatalogNode {
  return {
    kind: 'store',
    name: 'store',
    path: '',
    children: [
      {
        kind: 'layer',
        name: 'raw',
        path: 'raw',
        children: [
          {
            kind: 'asset',
            name: 'MES',
            path: 'raw/MES',
            children: [
              { kind: 'date', name: '2024-03-01', path: 'raw/MES/2024-03-01', rows: 10 },
              { kind: 'date', name: '2024-03-04', path: 'raw/MES/2024-03-04', rows: 12 },
            ],
          },
        ],
      },
      {
        kind: 'layer',
        name: 'cleaned',
        path: 'cleaned',
        children: [
          {
            kind: 'asset',
            name: 'MES',
            path: 'cleaned/MES',
            children: [{ kind: 'version', name: 'v2', path: 'cleaned/v2/MES', children: [{ kind: 'date', name: 'date=2024-03-01', path: 'cleaned/v2/MES/date=2024-03-01' }] }],
          },
        ],
      },
    ],
  };
}
const MATCHES = new Set(['raw/MES/2024-03-01', 'raw/MES/2024-03-04', 'cleaned/v2/MES/date=2024-03-01']);
const rows = (flat: ReturnType<typeof flattenSearch>) => flat.map((r) => `${'  '.repeat(r.depth)}${r.node.name}${r.expandable ? (r.expanded ? ' -' : ' +') : ''}`);

describe('flattenSearch', () => {
  it('opens every node on the way to a match; matches are rows without children', () => {
    const flat = flattenSearch(answer(), MATCHES, new Set());
    expect(rows(flat)).toEqual(['raw -', '  MES -', '    2024-03-01', '    2024-03-04', 'cleaned -', '  MES -', '    v2 -', '      date=2024-03-01']);
    expect(flat[2]).toMatchObject({ parentPath: 'raw/MES', setSize: 2, posInSet: 1, unloaded: false, expandable: false });
    expect(flat[7]).toMatchObject({ parentPath: 'cleaned/v2/MES', depth: 3, setSize: 1, posInSet: 1 });
  });

  it('keeps closed what the user closed in the answer', () => {
    expect(rows(flattenSearch(answer(), MATCHES, new Set(['raw/MES'])))).toEqual(['raw -', '  MES +', 'cleaned -', '  MES -', '    v2 -', '      date=2024-03-01']);
    expect(rows(flattenSearch(answer(), MATCHES, new Set(['cleaned'])))).toEqual(['raw -', '  MES -', '    2024-03-01', '    2024-03-04', 'cleaned +']);
  });

  it('is empty without an answer or without matches', () => {
    expect(flattenSearch(null, MATCHES, new Set())).toEqual([]);
    expect(flattenSearch({ kind: 'store', name: 'store', path: '', children: [] }, new Set(), new Set())).toEqual([]);
  });
});

describe('the words and their marks', () => {
  it('splits a query on white space, in lower case, as the host does', () => {
    expect(searchWords('  MES   2024-03 ')).toEqual(['mes', '2024-03']);
    expect(searchWords(' \t ')).toEqual([]);
  });

  it('marks every place a word is found, merging overlaps, case-insensitive', () => {
    expect(markedParts('2024-03-01', ['2024-03'])).toEqual([
      { text: '2024-03', marked: true },
      { text: '-01', marked: false },
    ]);
    expect(markedParts('date=2024-03-03', ['03', '2024-0'])).toEqual([
      { text: 'date=', marked: false },
      { text: '2024-03', marked: true },
      { text: '-', marked: false },
      { text: '03', marked: true },
    ]);
    expect(markedParts('MES', ['mes'])).toEqual([{ text: 'MES', marked: true }]);
    expect(markedParts('ES', ['nq'])).toEqual([{ text: 'ES', marked: false }]);
  });

  it('says how many matched and how many are shown', () => {
    expect(searchSummary(null, true)).toBe('Searching…');
    expect(searchSummary(null, false)).toBe('');
    expect(searchSummary({ paths: ['raw/MES'], matches: 1 }, false)).toBe('1 match · ↓ to the results, Enter opens, Esc leaves');
    expect(searchSummary({ paths: new Array<string>(1000).fill('x'), matches: 10_000 }, false)).toBe('10,000 matches, the first 1,000 shown: type more to narrow');
    expect(searchSummary({ paths: [], matches: 0 }, false)).toBe('No matches: every word must be in the store path (asset, date, version)');
  });
});
