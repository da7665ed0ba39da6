import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/ohlcvTable.js';
import { AppPage } from './pages/appPage.js';
import { startApp, type RunningApp } from './support/appHost.js';
import { launchChromium } from './support/browser.js';
import * as scenarios from './scenarios.js';
import { useAppInChromium } from './support/appSession.js';
import { buildStore } from './support/storeFixtures.js';

/**
 * The real UI in Chromium against the browser-mode host, on a store built here: browsing
 * the tree, the lazy table on 1.2M rows, the chart, click-to-validate, a feature set and
 * its lineage, the startup screen. Screenshots of each screen go to test-results/screenshots.
 */
describe('MES Data in the browser', () => {
  const app = useAppInChromium('mes-data-e2e-', (storeDir) => buildStore(storeDir, { large: true }));

  it('shows the store as a tree with counts, spans and validity, and moves through it with the keyboard', () => scenarios.browseTree(app.ui));

  it('opens a 1.2M-row file at once and shows exact values at the top and at row 1,000,000', () => scenarios.largeTable(app.ui));

  it('draws 1.2M rows as downsampled candles, and a clicked bar selects its row in the table', () => scenarios.chartSelectsRow(app.ui));

  it('validates a raw snapshot with known defects; an issue jumps to its row; the chart marks the bars', () => scenarios.validateDefects(app.ui));

  it('opens a feature set, its schema and stats, and follows its lineage back to cleaned and raw', () => scenarios.featureSetLineage(app.ui));

  it('says in words that a file is damaged, naming it, and goes on', () => scenarios.corruptedFile(app.ui));

  it('follows the system into dark colours', async () => {
    const dark = await AppPage.open(app.browser, app.url, { colorScheme: 'dark' });
    try {
      await dark.waitForWorkbench();
      await dark.tree.open('raw', 'raw/MES', 'raw/MES/2024-01-03');
      await dark.table.rowValues(0);
      const background = await dark.page.evaluate('getComputedStyle(document.body).backgroundColor');
      expect(background).toBe('rgb(22, 24, 29)');
      await dark.screenshot('dark-table');
      await dark.showTab('Chart');
      await dark.chart.waitForBars();
      await dark.page.waitForTimeout(300);
      await dark.screenshot('dark-chart');
      expect(dark.pageErrors).toEqual([]);
    } finally {
      await dark.close();
    }
  });
});

describe('the startup screen', () => {
  const { dir, cleanup } = tempDir('mes-data-e2e-startup-');
  let browser: Browser;
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp(null);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    cleanup();
  });

  it('says in words why a bad store path cannot be opened, and opens a store created instead', async () => {
    const ui = await AppPage.open(browser, app.url);
    try {
      await ui.startup.screen().waitFor();
      await expect.poll(() => ui.startup.screen().textContent()).toContain('No store is open');
      const bad = path.join(dir, 'not-a-store');
      fs.mkdirSync(bad);
      fs.writeFileSync(path.join(bad, 'notes.txt'), 'hello');
      await ui.startup.openStore(bad);
      await ui.startup.error().waitFor();
      await expect.poll(() => ui.startup.error().getAttribute('data-code')).toBe('NOT_FOUND');
      await expect.poll(() => ui.startup.error().textContent()).toContain(`${bad} is not a MES Data store`);
      await ui.screenshot('startup-bad-store');

      // creating a store in a folder with other things in it is refused, in words
      await ui.startup.createStore(bad);
      await expect.poll(() => ui.startup.error().getAttribute('data-code')).toBe('ALREADY_EXISTS');
      await expect.poll(() => ui.startup.error().textContent()).toContain('is not empty and is not a MES Data store');

      const fresh = path.join(dir, 'fresh-store');
      await ui.startup.createStore(fresh);
      await ui.waitForWorkbench();
      await expect.poll(() => ui.page.getByTestId('store-path').textContent()).toContain(fresh);
      await expect.poll(() => ui.page.locator('.welcome h1').textContent()).toBe('An empty store');
      await ui.screenshot('empty-store');
      expect(ui.pageErrors.filter((e) => !/status of 40[049]/.test(e))).toEqual([]);
    } finally {
      await ui.close();
    }
  });
});
