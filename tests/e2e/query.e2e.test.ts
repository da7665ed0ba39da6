import { describe, expect, it } from 'vitest';
import { AppPage } from './pages/appPage.js';
import { useAppInChromium } from './support/appSession.js';
import { buildStore } from './support/storeFixtures.js';

/** The closes of raw/MES/2024-01-02 as the fixture makes them (390 minute bars from 23:00Z the day before). */
const closes = Array.from({ length: 390 }, (_, i) => Math.round((4780 + Math.sin(i / 9) * 4 + i * 0.02) * 4) / 4);
const timeOf = (i: number) => `${new Date(Date.parse('2024-01-01T23:00:00Z') + i * 60_000).toISOString().replace('.000Z', '.000000000Z')}`;

/**
 * Sort, filter and SQL over a dataset in the real UI (Chromium, the browser-mode host): the
 * host sorts and filters the whole dataset, and the SQL box runs one read-only query.
 */
describe('querying a dataset in the browser', () => {
  const app = useAppInChromium('mes-data-e2e-query-', (storeDir) => buildStore(storeDir));

  it('sorts by a header click over the whole dataset, filters a range with an exact count, runs SQL and shows its error', async () => {
    const ui = app.ui;
    await ui.tree.open('raw', 'raw/MES', 'raw/MES/2024-01-02');
    await ui.table.rowValues(0);
    expect(await ui.table.rowCountText()).toBe('390 rows');

    // close descending: ties keep the file's order
    const order = closes.map((_, i) => i).sort((a, b) => closes[b] - closes[a] || a - b);
    await ui.table.clickHeader('close');
    expect(await ui.table.sortOf('close')).toBe('ascending');
    await ui.table.clickHeader('close');
    expect(await ui.table.sortOf('close')).toBe('descending');
    await expect.poll(() => ui.table.cellTooltip(0, 'timestamp')).toBe(timeOf(order[0]));
    for (const k of [0, 1, 2]) {
      expect(await ui.table.cellTooltip(k, 'close')).toBe(String(closes[order[k]]));
      expect(await ui.table.cellTooltip(k, 'timestamp')).toBe(timeOf(order[k]));
    }
    expect(await ui.table.cellTooltip(0, 'close')).toBe('4791');

    // a close range, on top of the sort
    const inRange = closes.filter((c) => c >= 4780 && c <= 4782).length;
    await ui.table.filter('close', { min: '4780', max: '4782' });
    await expect.poll(() => ui.table.rowCountText()).toBe(`${inRange} of 390 rows`);
    expect(inRange).toBe(67);
    expect(Number(await ui.table.cellTooltip(0, 'close'))).toBe(4782);
    await ui.screenshot('query-sorted-filtered');
    // go to row moves in the result and keeps the sort and the filter
    await ui.table.goToRow(3);
    await ui.table.waitForSelectedRow(3);
    expect(await ui.table.rowCountText()).toBe(`${inRange} of 390 rows`);

    await ui.table.runSql('SELECT count(*) AS n, max(close) AS top FROM MES WHERE volume > 100');
    expect(await ui.table.sqlResult()).toEqual({ columns: ['n', 'top'], rows: [[String(390 - 91), String(Math.max(...closes.slice(91)))]], count: '1 row · 0–0' });
    await ui.screenshot('query-sql');
    expect(await ui.table.exportSql('CSV')).toMatch(/^Wrote 1 row to exports\/query-[0-9TZ-]+\.csv$/);

    await ui.table.runSql('SELECT nope FROM MES');
    await expect.poll(() => ui.table.sqlError()).toBe('QUERY_ERROR: the query failed: Binder Error: Referenced column "nope" not found in FROM clause! (line 1, column 8)');
    await ui.screenshot('query-sql-error');

    await ui.table.clearQuery();
    await expect.poll(() => ui.table.rowCountText()).toBe('390 rows');
    // the one refused query is the browser's 422, nothing else went wrong
    expect(ui.pageErrors).toEqual(['console: Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)']);
  });

  it('reads in dark colours: the sort mark, the filter row and the SQL result', async () => {
    const dark = await AppPage.open(app.browser, app.url, { colorScheme: 'dark' });
    try {
      await dark.waitForWorkbench();
      await dark.tree.open('raw', 'raw/MES', 'raw/MES/2024-01-02');
      await dark.table.rowValues(0);
      await dark.table.clickHeader('volume');
      await dark.table.clickHeader('volume');
      await expect.poll(() => dark.table.cellTooltip(0, 'volume')).toBe('399');
      await dark.table.filter('volume', { max: '200' });
      await expect.poll(() => dark.table.rowCountText()).toBe('191 of 390 rows');
      await dark.table.runSql('SELECT volume, close FROM MES ORDER BY volume LIMIT 3');
      expect((await dark.table.sqlResult()).rows).toEqual([['10', String(closes[0])], ['11', String(closes[1])], ['12', String(closes[2])]]);
      await dark.screenshot('dark-query');
      expect(dark.pageErrors).toEqual([]);
    } finally {
      await dark.close();
    }
  });
});
