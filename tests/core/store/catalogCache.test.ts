import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { forgetCatalogListings, listTree } from '../../../core/store/catalog.js';
import { commitRawSnapshots } from '../../../core/store/rawSnapshot.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { ohlcvTable } from '../../helpers/ohlcvTable.js';
import { newStore } from './storeTestKit.js';

/**
 * The raw listings listTree keeps between requests: a hit reads no sidecar, a commit (a
 * rename into the asset's folders) is seen at the next request, a folder changed just
 * before it was listed is listed again, and forgetCatalogListings drops every entry.
 */
describe('listTree keeps raw listings', () => {
  let store: Store;
  let cleanup: () => void;
  const sidecar = (date: string) => path.join(store.root, 'catalog', 'raw', 'MES', `${date}.json`);
  /** rows per date of raw/MES, as the tree shows them */
  const rowsByDate = async () => (await listTree(store, 'raw/MES', { depth: 1 })).children?.map((c) => [c.name, c.rows]);
  /** rewrites a sidecar where it is (not as the store does): its folder keeps its time */
  const rewriteInPlace = (date: string, recordCount: number) => {
    const file = sidecar(date);
    fs.writeFileSync(file, JSON.stringify({ ...(JSON.parse(fs.readFileSync(file, 'utf8')) as object), recordCount }));
  };
  /** the asset's two folders as if they were last changed an hour ago (settled) */
  const settle = () => {
    const hourAgo = new Date(Date.now() - 3_600_000);
    for (const dir of [path.join(store.root, 'raw', 'MES'), path.dirname(sidecar('2024-01-15'))]) fs.utimesSync(dir, hourAgo, hourAgo);
  };

  beforeEach(async () => {
    forgetCatalogListings();
    ({ store, cleanup } = await newStore('mes-data-catalog-cache-'));
    await commitRawSnapshots(store, [
      { asset: 'MES', date: '2024-01-15', name: 'ohlcv', table: ohlcvTable(10) },
      { asset: 'MES', date: '2024-01-16', name: 'ohlcv', table: ohlcvTable(20) },
    ]);
  });
  afterEach(() => {
    forgetCatalogListings();
    cleanup();
  });

  it('answers from the kept listing while the folders are unchanged, and sees a commit at the next request', async () => {
    settle();
    expect(await rowsByDate()).toEqual([
      ['2024-01-15', 10],
      ['2024-01-16', 20],
    ]);
    // a hit: the sidecar changed in place is not read again (its folders did not change)
    rewriteInPlace('2024-01-15', 99);
    expect(await rowsByDate()).toEqual([
      ['2024-01-15', 10],
      ['2024-01-16', 20],
    ]);
    expect((await listTree(store, '', { depth: 3 })).children?.[0].children?.[0]).toMatchObject({ name: 'MES', rows: 30, from: '2024-01-15', to: '2024-01-16' });
    // a commit renames into both folders: everything is listed and read again
    await commitRawSnapshots(store, [{ asset: 'MES', date: '2024-01-17', name: 'ohlcv', table: ohlcvTable(7) }]);
    expect(await rowsByDate()).toEqual([
      ['2024-01-15', 99],
      ['2024-01-16', 20],
      ['2024-01-17', 7],
    ]);
    expect((await listTree(store, '', { depth: 3 })).children?.[0].children?.[0]).toMatchObject({ name: 'MES', rows: 126, from: '2024-01-15', to: '2024-01-17' });
  });

  it('lists again a folder that had changed just before it was listed (coarse file times)', async () => {
    // the commit of beforeEach changed the folders a moment ago: not settled
    expect(await rowsByDate()).toEqual([
      ['2024-01-15', 10],
      ['2024-01-16', 20],
    ]);
    rewriteInPlace('2024-01-16', 21);
    expect(await rowsByDate()).toEqual([
      ['2024-01-15', 10],
      ['2024-01-16', 21],
    ]);
  });

  it('a date removed from the asset folder is gone at the next request', async () => {
    settle();
    expect((await rowsByDate())?.length).toBe(2);
    fs.rmSync(path.join(store.root, 'raw', 'MES', '2024-01-16'), { recursive: true });
    expect(await rowsByDate()).toEqual([['2024-01-15', 10]]);
  });

  it('forgetCatalogListings drops the kept listings', async () => {
    settle();
    expect(await rowsByDate()).toEqual([
      ['2024-01-15', 10],
      ['2024-01-16', 20],
    ]);
    rewriteInPlace('2024-01-15', 55);
    expect((await rowsByDate())?.[0]).toEqual(['2024-01-15', 10]);
    forgetCatalogListings();
    expect((await rowsByDate())?.[0]).toEqual(['2024-01-15', 55]);
  });

  it('a listing with a sidecar it could not read is listed again at the next request', async () => {
    const file = sidecar('2024-01-16');
    const good = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, '{ not json');
    settle();
    const broken = (await listTree(store, 'raw/MES', { depth: 1 })).children?.map((c) => [c.name, c.rows, c.error === undefined ? 'read' : 'unreadable']);
    expect(broken).toEqual([
      ['2024-01-15', 10, 'read'],
      ['2024-01-16', null, 'unreadable'],
    ]);
    // put back where it is: the folders keep their times, the listing was not kept
    fs.writeFileSync(file, good);
    expect(await rowsByDate()).toEqual([
      ['2024-01-15', 10],
      ['2024-01-16', 20],
    ]);
  });
});
