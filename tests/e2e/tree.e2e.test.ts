import { describe, expect, it } from 'vitest';
import { openStore } from '../../core/store/openStore.js';
import { commitRawSnapshots } from '../../core/store/rawSnapshot.js';
import { barsFromCloses, barsTable } from '../helpers/barsTable.js';
import { AppPage } from './pages/appPage.js';
import { useAppInChromium } from './support/appSession.js';
import { buildManyDatesStore, MANY_DATES, manyDate } from './support/manyDatesStore.js';

/** The March 2024 dates of raw/MES (every calendar day has a folder). */
const MARCH = Array.from({ length: 31 }, (_, i) => `raw/MES/2024-03-${String(i + 1).padStart(2, '0')}`);

/**
 * A large store in the real UI (Chromium, the browser-mode host): an asset of 10,000
 * snapshots expands at once (the tree is virtualized), and the search finds dates across
 * assets and versions, loaded or not, with the keyboard alone.
 */
describe('the tree of a large store', () => {
  let storeRoot = '';
  const app = useAppInChromium('mes-data-e2e-tree-', (storeDir) => {
    storeRoot = storeDir;
    return buildManyDatesStore(storeDir);
  });

  it('expands an asset of 10,000 snapshots at once and walks to its last date', async () => {
    const { tree } = app.ui;
    expect(manyDate(MANY_DATES - 1)).toBe('2024-05-18');
    expect(await tree.visiblePaths()).toEqual(['raw', 'raw/ES', 'raw/MES', 'cleaned', 'cleaned/MES', 'features']);
    expect(await tree.item('raw/MES').getAttribute('title')).toMatch(/^asset raw\/MES · 3,900,000 rows · [\d.]+ MB · 1997-01-01 → 2024-05-18$/);

    const first = await tree.expandTimed('raw/MES', 'raw/MES/1997-01-01');
    const rendered = await tree.visiblePaths();
    expect(rendered.slice(0, 5)).toEqual(['raw', 'raw/ES', 'raw/MES', 'raw/MES/1997-01-01', 'raw/MES/1997-01-02']);
    // virtualized: a screenful and a margin, not 10,000 rows
    expect(rendered.length).toBeLessThan(60);
    expect(await tree.item('raw/MES/1997-01-01').getAttribute('aria-setsize')).toBe(String(MANY_DATES));
    await app.ui.screenshot('tree-10000-dates');

    // closed and opened again, the figure of a warm expand
    await tree.item('raw/MES').locator('.chevron').click();
    await tree.item('raw/MES/1997-01-01').waitFor({ state: 'detached' });
    const again = await tree.expandTimed('raw/MES', 'raw/MES/1997-01-01');
    console.log(`expand raw/MES (${MANY_DATES} dates), click to rows painted: ${first.toFixed(1)} ms first, ${again.toFixed(1)} ms again`);
    expect(first).toBeGreaterThan(0);

    // the keyboard reaches the last date: End scrolls it into view
    await tree.item('raw/MES/1997-01-02').click();
    await tree.press('End');
    expect(await tree.focusedPath()).toBe('features');
    await tree.press('ArrowUp');
    await tree.press('ArrowUp');
    await tree.press('ArrowUp');
    expect(await tree.focusedPath()).toBe('raw/MES/2024-05-18');
    await expect.poll(() => tree.item('raw/MES/2024-05-18').getAttribute('aria-posinset')).toBe(String(MANY_DATES));
    await tree.press('Enter');
    await expect.poll(() => app.ui.datasetTitle().textContent()).toBe('raw/MES/2024-05-18');
    await app.ui.screenshot('tree-10000-dates-end');
    expect(app.ui.pageErrors).toEqual([]);
  });

  it('searches across assets and versions: MES 2024-03 finds 31 raw dates and 2 cleaned partitions, the keyboard opens one', async () => {
    const { tree, page } = app.ui;
    await page.keyboard.press('Control+k');
    await expect.poll(() => page.evaluate('document.activeElement?.getAttribute("aria-label")')).toBe('Search datasets');
    const started = Date.now();
    await page.keyboard.type('MES 2024-03');
    await expect.poll(() => tree.searchSummary(), { timeout: 10_000 }).toBe('33 matches · ↓ to the results, Enter opens, Esc leaves');
    console.log(`search "MES 2024-03" over ${MANY_DATES} dates, typing to the answer on screen: ${Date.now() - started} ms (typing included)`);
    expect(await tree.allPaths()).toEqual(['raw', 'raw/MES', ...MARCH, 'cleaned', 'cleaned/MES', 'cleaned/v1/MES', 'cleaned/v1/MES/2024-03-01.parquet', 'cleaned/v1/MES/2024-03-04.parquet']);
    expect(await tree.item('raw/MES/2024-03-01').locator('mark').textContent()).toBe('2024-03');
    await app.ui.screenshot('tree-search');

    // ↓ from the box to the first match, down two, Enter opens it
    await page.keyboard.press('ArrowDown');
    expect(await tree.focusedPath()).toBe('raw/MES/2024-03-01');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await tree.focusedPath()).toBe('raw/MES/2024-03-03');
    await page.keyboard.press('Enter');
    await expect.poll(() => app.ui.datasetTitle().textContent()).toBe('raw/MES/2024-03-03');
    // ← closes a node on the way, → opens it again
    await page.keyboard.press('ArrowLeft');
    expect(await tree.focusedPath()).toBe('raw/MES');
    await page.keyboard.press('ArrowLeft');
    expect(await tree.visiblePaths()).toEqual(['raw', 'raw/MES', 'cleaned', 'cleaned/MES', 'cleaned/v1/MES', 'cleaned/v1/MES/2024-03-01.parquet', 'cleaned/v1/MES/2024-03-04.parquet']);
    await page.keyboard.press('ArrowRight');
    await tree.item('raw/MES/2024-03-31').waitFor();

    // Esc leaves the search: the whole tree, open down to the dataset opened, the keyboard on it
    await page.keyboard.press('Escape');
    await expect.poll(() => tree.searchBox().inputValue()).toBe('');
    await expect.poll(() => tree.focusedPath()).toBe('raw/MES/2024-03-03');
    expect(await tree.selectedPath()).toBe('raw/MES/2024-03-03');
    expect(await tree.item('raw/MES/2024-03-03').getAttribute('aria-posinset')).toBe(String(MARCH_POS + 3));
    await app.ui.screenshot('tree-search-left');

    // Enter in the box opens the first match; a version's partition is found by its version too
    await page.keyboard.press('Control+k');
    await page.keyboard.type('v1 mes 03-04');
    await expect.poll(() => tree.searchSummary(), { timeout: 10_000 }).toBe('1 match · ↓ to the results, Enter opens, Esc leaves');
    expect(await tree.matchedPaths()).toEqual(['cleaned/v1/MES/2024-03-04.parquet']);
    await page.keyboard.press('Enter');
    await expect.poll(() => app.ui.datasetTitle().textContent()).toBe('cleaned/v1/MES/2024-03-04.parquet');
    expect(await tree.focusedPath()).toBe('cleaned/v1/MES/2024-03-04.parquet');

    // too many matches: the first thousand shown, all counted; none: said so
    await tree.search('MES');
    await expect.poll(() => tree.searchSummary(), { timeout: 10_000 }).toBe('2 matches · ↓ to the results, Enter opens, Esc leaves');
    await tree.search('19');
    const with19 = Array.from({ length: MANY_DATES }, (_, k) => manyDate(k)).filter((date) => date.includes('19')).length;
    expect(with19).toBe(1740);
    await expect.poll(() => tree.searchSummary(), { timeout: 10_000 }).toBe(`${with19.toLocaleString('en-US')} matches, the first 1,000 shown: type more to narrow`);
    await tree.search('NQ 2024');
    await expect.poll(() => tree.searchSummary(), { timeout: 10_000 }).toBe('No matches: every word must be in the store path (asset, date, version)');
    expect(await tree.visiblePaths()).toEqual([]);
    await tree.search('');
    expect(await tree.searchSummary()).toBe('');
    expect(app.ui.pageErrors).toEqual([]);
  });

  it('finds a snapshot committed by another process at the next search (the host lists its index again)', async () => {
    const { tree } = app.ui;
    await tree.search('NQ 2024');
    await expect.poll(() => tree.searchSummary(), { timeout: 10_000 }).toBe('No matches: every word must be in the store path (asset, date, version)');
    // as the command line would: a new asset's snapshot committed beside the running host
    const store = await openStore(storeRoot);
    await commitRawSnapshots(store, [{ asset: 'NQ', date: '2024-03-05', name: 'bars', table: barsTable(barsFromCloses('2024-03-05T14:30:00Z', 60, [18000, 18000.25])) }]);
    const started = Date.now();
    await tree.search('NQ 2024-03');
    await expect.poll(() => tree.searchSummary(), { timeout: 10_000 }).toBe('1 match · ↓ to the results, Enter opens, Esc leaves');
    console.log(`search "NQ 2024-03" after a commit from outside (the index listed again over ${MANY_DATES} dates): ${Date.now() - started} ms to the answer on screen`);
    expect(await tree.matchedPaths()).toEqual(['raw/NQ/2024-03-05']);
    await app.ui.screenshot('tree-search-after-commit');
    await tree.search('');
    expect(app.ui.pageErrors).toEqual([]);
  });

  it('reads in dark colours: the search and its marks', async () => {
    const dark = await AppPage.open(app.browser, app.url, { colorScheme: 'dark' });
    try {
      await dark.waitForWorkbench();
      await dark.tree.search('MES 2024-03');
      await expect.poll(() => dark.tree.searchSummary(), { timeout: 10_000 }).toBe('33 matches · ↓ to the results, Enter opens, Esc leaves');
      await dark.tree.item('raw/MES/2024-03-02').click();
      await expect.poll(() => dark.datasetTitle().textContent()).toBe('raw/MES/2024-03-02');
      await dark.screenshot('dark-tree-search');
      expect(dark.pageErrors).toEqual([]);
    } finally {
      await dark.close();
    }
  });
});

/** 1-based place of 2024-03-01 among the dates of raw/MES, less one. */
const MARCH_POS = (Date.parse('2024-03-01T00:00:00Z') - Date.parse('1997-01-01T00:00:00Z')) / 86_400_000;
