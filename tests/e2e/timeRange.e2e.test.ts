import { describe, expect, it } from 'vitest';
import { AppPage } from './pages/appPage.js';
import { useAppInChromium } from './support/appSession.js';
import { buildStore } from './support/storeFixtures.js';

/** The closes of raw/MES/2024-01-02 as the fixture makes them (390 minute bars from 23:00Z the day before, 17:00 in Chicago). */
const closes = Array.from({ length: 390 }, (_, i) => Math.round((4780 + Math.sin(i / 9) * 4 + i * 0.02) * 4) / 4);
const timeOf = (i: number) => new Date(Date.parse('2024-01-01T23:00:00Z') + i * 60_000).toISOString().replace('.000Z', '.000000000Z');

/**
 * The table's time-range picker in the real UI (Chromium, the browser-mode host): a range
 * typed in the instrument's exchange time or in UTC, shown in both, filters the whole
 * dataset in the host (rows.query) with exact first rows; the keyboard alone drives it.
 */
describe('the time-range picker', () => {
  const app = useAppInChromium('mes-data-e2e-time-', (storeDir) => buildStore(storeDir));

  it('filters five minutes typed in Chicago time, the same five in UTC, and a whole day in each clock', async () => {
    const { tree, table, page } = app.ui;
    await tree.open('raw', 'raw/MES', 'raw/MES/2024-01-02');
    await table.rowValues(0);
    expect(await table.rowCountText()).toBe('390 rows');

    // 18:00 to 18:04:59 in Chicago (CST, UTC−6) are rows 60 to 64
    await table.timeRange('2024-01-01 18:00', '2024-01-01 18:04:59', 'Exchange time');
    await expect.poll(() => table.rowCountText(), { timeout: 10_000 }).toBe('5 of 390 rows');
    expect(await table.timeRangeEcho()).toBe(
      'timestamp From: 2024-01-01 18:00:00 CST = 2024-01-02 00:00:00 UTC To: 2024-01-01 18:04:59 CST = 2024-01-02 00:04:59 UTC both ends included; a date alone is its whole day',
    );
    for (const k of [0, 1, 4]) {
      expect(await table.cellTooltip(k, 'timestamp')).toBe(timeOf(60 + k));
      expect(await table.cellTooltip(k, 'close')).toBe(String(closes[60 + k]));
    }
    expect(await table.rowValues(0)).toMatchObject({ timestamp: '2024-01-02 00:00:00 UTC' });
    await app.ui.screenshot('time-range-exchange');
    // the time column's filter cell names the range and its clock
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    expect(await page.locator('[data-filter="timestamp"] .time-filter-button').textContent()).toBe('2024-01-01 18:00 → 2024-01-01 18:04:59 America/Chicago');
    await app.ui.screenshot('time-range-filter-row');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();

    // the same minutes typed in UTC
    await table.timeRange('2024-01-02 00:00', '2024-01-02 00:04:59', 'UTC');
    await expect.poll(() => table.cellTooltip(0, 'timestamp'), { timeout: 10_000 }).toBe(timeOf(60));
    expect(await table.rowCountText()).toBe('5 of 390 rows');
    expect(await table.timeRangeEcho()).toBe(
      'timestamp From: 2024-01-01 18:00:00 CST = 2024-01-02 00:00:00 UTC To: 2024-01-01 18:04:59 CST = 2024-01-02 00:04:59 UTC both ends included; a date alone is its whole day',
    );

    // a date alone is its whole day, in the clock it is typed in: 2024-01-01 in UTC holds the first hour (23:00Z on)…
    await table.timeRange('2024-01-01', '2024-01-01', 'UTC');
    await expect.poll(() => table.rowCountText(), { timeout: 10_000 }).toBe('60 of 390 rows');
    expect(await table.cellTooltip(0, 'timestamp')).toBe(timeOf(0));
    // …and in Chicago the whole session (17:00 to 23:29 CST)
    await table.timeRange('2024-01-01', '2024-01-01', 'Exchange time');
    await expect.poll(() => table.rowCountText(), { timeout: 10_000 }).toBe('390 of 390 rows');

    // a time the clocks skip is refused before anything is asked; so is a range the wrong way round
    await page.keyboard.press('Alt+z');
    const panel = table.timeRangePanel();
    await panel.getByLabel('Time from').fill('2024-03-10 02:30');
    await expect.poll(() => table.timeRangeEcho()).toMatch(/^timestamp From: 2024-03-10 02:30 does not exist in America\/Chicago: the clocks skip that hour To: /);
    expect(await panel.getByRole('button', { name: 'Apply' }).isDisabled()).toBe(true);
    await panel.getByLabel('Time from').fill('2024-01-02');
    await expect.poll(() => table.timeRangeEcho()).toBe(
      'timestamp From: 2024-01-02 00:00:00 CST = 2024-01-02 06:00:00 UTC To: 2024-01-01 23:59:59.999999999 CST = 2024-01-02 05:59:59.999999999 UTC From is after To both ends included; a date alone is its whole day',
    );
    expect(await panel.getByRole('button', { name: 'Apply' }).isDisabled()).toBe(true);
    await app.ui.screenshot('time-range-refused');

    // Esc closes the picker: the range applied stays, in both clocks, under the toolbar
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
    expect(await table.timeRangeEcho()).toBe('Time range timestamp From: 2024-01-01 00:00:00 CST = 2024-01-01 06:00:00 UTC To: 2024-01-01 23:59:59.999999999 CST = 2024-01-02 05:59:59.999999999 UTC Edit');
    expect(await table.rowCountText()).toBe('390 of 390 rows');
    await table.clearQuery();
    await expect.poll(() => table.rowCountText()).toBe('390 rows');
    expect(await page.getByTestId('time-range-strip').count()).toBe(0);
    // without a range, the toolbar has the way in
    await page.getByRole('button', { name: 'Time range', exact: true }).click();
    await expect.poll(() => page.evaluate('document.activeElement?.getAttribute("aria-label")')).toBe('Time from');
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
    expect(app.ui.pageErrors).toEqual([]);
  });

  it('reads in dark colours: the picker with a range in exchange time', async () => {
    const dark = await AppPage.open(app.browser, app.url, { colorScheme: 'dark' });
    try {
      await dark.waitForWorkbench();
      await dark.tree.open('raw', 'raw/MES', 'raw/MES/2024-01-02');
      await dark.table.rowValues(0);
      await dark.setTimeMode('Exchange time');
      await dark.table.timeRange('2024-01-01 18:00', '2024-01-01 18:30', 'Exchange time');
      await expect.poll(() => dark.table.rowCountText(), { timeout: 10_000 }).toBe('31 of 390 rows');
      await expect.poll(() => dark.table.cell(0, 'timestamp').textContent()).toBe('2024-01-01 18:00:00 CST');
      await dark.screenshot('dark-time-range');
      expect(dark.pageErrors).toEqual([]);
    } finally {
      await dark.close();
    }
  });
});
