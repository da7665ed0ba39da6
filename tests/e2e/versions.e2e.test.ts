import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpHost, type HttpHost } from '../../cli/serve/httpHost.js';
import { ApiSession } from '../../core/api/handlers.js';
import { tempDir } from '../helpers/ohlcvTable.js';
import { AppPage } from './pages/appPage.js';
import { VersionsModel } from './pages/versionsModel.js';
import { useAppInChromium } from './support/appSession.js';
import { launchChromium } from './support/browser.js';
import { RENDERER_DIR } from './support/buildRenderer.js';
import { buildVersionStore } from './support/versionStore.js';

const FORMAT1_STORE = path.resolve(import.meta.dirname, '../fixtures/format1-store/store');
/** the commit time in an option of the picker (the store is built now); the sidecar arrives with dataset.info, after the footers, so polls on it wait longer than the default second */
const DATE_TIME = String.raw`\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC`;

/**
 * Time travel in the real UI, on a store of two cleaned versions of MES (v1: 2024-01-03
 * alone; v2: 2024-01-02 and 2024-01-03): the picker opens v1 with its own first rows, and an
 * append from the promote dialog makes v3 sharing the two dates and writing 2024-01-04.
 */
describe('versions: the picker and incremental promote', () => {
  const app = useAppInChromium('mes-data-e2e-versions-', buildVersionStore);

  it('opening v1 of 2 from the picker shows v1, its changelog and its exact first rows', async () => {
    const { tree, table, page } = app.ui;
    const versions = new VersionsModel(page);
    await tree.open('cleaned', 'cleaned/MES', 'cleaned/v2/MES');
    await expect.poll(() => app.ui.datasetTitle().textContent()).toBe('cleaned/v2/MES');
    await expect.poll(() => versions.position()).toBe('v2 of 2');
    expect(await versions.state()).toBe('newest · read-only');
    await expect.poll(() => versions.changelog(), { timeout: 15_000 }).toBe('“the 2nd added”');
    const options = await versions.options();
    expect(options).toHaveLength(2);
    expect(options[0]).toMatch(new RegExp(`^v1 of 2 · ${DATE_TIME} · the 3rd alone$`));
    expect(options[1]).toMatch(new RegExp(`^v2 of 2 · ${DATE_TIME} · the 2nd added$`));
    await app.ui.showTab('Table');
    // v2 starts with the session of 2024-01-02 (17:00 CT on Jan 1 = 23:00 UTC)
    expect(await table.rowValues(0)).toEqual({ timestamp: '2024-01-01 23:00:00 UTC', open: '4,700.00', high: '4,700.25', low: '4,699.75', close: '4,700.00', volume: '10', date: '2024-01-02' });

    await versions.choose('cleaned/v1/MES');
    await expect.poll(() => app.ui.datasetTitle().textContent()).toBe('cleaned/v1/MES');
    await expect.poll(() => versions.position()).toBe('v1 of 2');
    expect(await versions.state()).toBe('older version · read-only');
    await expect.poll(() => versions.changelog(), { timeout: 15_000 }).toBe('“the 3rd alone”');
    expect(await versions.committed()).toMatch(/^committed \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
    await expect.poll(() => tree.selectedPath()).toBe('cleaned/v1/MES');
    // v1 holds 2024-01-03 alone: 60 rows from 23:00 UTC on Jan 2, closes rising a tick a bar from 4,800, each with its trading date
    await expect.poll(() => page.getByTestId('dataset-facts').textContent(), { timeout: 15_000 }).toMatch(/^60 rows · 7 columns · 1 file · /);
    expect(await table.rowValues(0)).toEqual({ timestamp: '2024-01-02 23:00:00 UTC', open: '4,800.00', high: '4,800.25', low: '4,799.75', close: '4,800.00', volume: '10', date: '2024-01-03' });
    expect(await table.rowValues(1)).toEqual({ timestamp: '2024-01-02 23:01:00 UTC', open: '4,800.00', high: '4,800.50', low: '4,799.75', close: '4,800.25', volume: '11', date: '2024-01-03' });
    expect(await table.rowValues(2)).toEqual({ timestamp: '2024-01-02 23:02:00 UTC', open: '4,800.25', high: '4,800.75', low: '4,800.00', close: '4,800.50', volume: '12', date: '2024-01-03' });
    await app.ui.screenshot('versions-picker-v1');
    expect(app.ui.pageErrors).toEqual([]);
  });

  it('an append from the promote dialog makes v3: two dates shared, one written, none removed', async () => {
    const { tree, promote, page } = app.ui;
    const versions = new VersionsModel(page);
    await tree.open('raw', 'raw/MES');
    await promote.open();
    await promote.setScope('append');
    await expect.poll(() => promote.dialog().getByTestId('promote-selection').textContent()).toBe('all 3 raw dates looked at · 180 rows');
    await promote.setMessage('the 4th appended');
    expect(await promote.checkGate()).toBe('checked');
    await expect.poll(() => promote.verdictText()).toMatch(/^✓ The gate passes/);
    // the gate reads the one date written
    expect(await promote.verdictText()).toContain('30 rows');
    expect(await promote.datesText()).toBe('2 dates shared · 1 written · 0 removed (the gate covers the dates written)');
    await app.ui.screenshot('versions-append-gate');
    await promote.promote();
    await promote.dialog().waitFor({ state: 'detached', timeout: 60_000 });
    await expect.poll(() => app.ui.statusBar().getByRole('status').textContent()).toBe('Promoted MES to cleaned/v3/MES: 180 rows · 2 dates shared · 1 written · 0 removed');
    await tree.item('cleaned/v3/MES').waitFor();
    await expect.poll(() => app.ui.datasetTitle().textContent()).toBe('cleaned/v3/MES');
    await expect.poll(() => versions.position()).toBe('v3 of 3');
    await expect.poll(() => versions.changelog(), { timeout: 15_000 }).toBe('“the 4th appended”');
    await expect.poll(() => page.getByTestId('dataset-facts').textContent(), { timeout: 15_000 }).toMatch(/^180 rows · 7 columns · 3 files · /);
    await app.ui.screenshot('versions-v3-appended');
    expect(app.ui.pageErrors).toEqual([]);
  });

  it('shows the picker and the promote scopes in dark colours', async () => {
    const dark = await AppPage.open(app.browser, app.url, { colorScheme: 'dark' });
    try {
      await dark.waitForWorkbench();
      const versions = new VersionsModel(dark.page);
      await dark.tree.open('cleaned', 'cleaned/MES', 'cleaned/v1/MES');
      await expect.poll(() => versions.position()).toBe('v1 of 3');
      await dark.showTab('Table');
      await dark.table.rowValues(0);
      await dark.screenshot('versions-picker-v1-dark');
      await dark.tree.open('raw', 'raw/MES');
      await dark.promote.open();
      await dark.promote.setScope('replace');
      await dark.promote.setRange('2024-01-03', '2024-01-04');
      expect(await dark.promote.checkGate()).toBe('checked');
      expect(await dark.promote.datesText()).toBe('1 date shared · 2 written · 0 removed (the gate covers the dates written)');
      await dark.screenshot('versions-replace-gate-dark');
      expect(dark.pageErrors).toEqual([]);
    } finally {
      await dark.close();
    }
  });
});

/**
 * A browser host started on a store of format 1: the startup screen says STORE_NEEDS_MIGRATION
 * and offers to migrate it; the migrate job runs, and the store opens with its versions.
 */
describe('a format-1 store: migrate it from the startup screen', () => {
  const { dir, cleanup } = tempDir('mes-data-e2e-migrate-');
  const store = path.join(dir, 'store');
  let session: ApiSession | undefined;
  let host: HttpHost | undefined;
  let browser: Browser | undefined;
  let ui: AppPage | undefined;

  beforeAll(async () => {
    fs.cpSync(FORMAT1_STORE, store, { recursive: true });
    // as `mes-data serve` does: the host's store is opened at startup, a failure kept for app.info
    session = new ApiSession('browser', { restrictPaths: true });
    await session.openAtStartup(store);
    host = await startHttpHost({ session, staticDir: RENDERER_DIR });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await ui?.close();
    await browser?.close();
    await host?.close();
    await session?.close();
    cleanup();
  });

  it('offers "Migrate this store", runs the migrate job and opens the store with its versions', async () => {
    ui = await AppPage.open(browser as Browser, (host as HttpHost).url);
    const { page } = ui;
    const error = ui.startup.error();
    await error.waitFor();
    expect(await error.getAttribute('data-code')).toBe('STORE_NEEDS_MIGRATION');
    expect(await error.textContent()).toContain(store);
    const panel = page.getByTestId('migrate-panel');
    await panel.waitFor();
    await ui.screenshot('versions-migrate-offer');
    await panel.getByRole('button', { name: 'Migrate this store' }).click();
    await ui.waitForWorkbench();
    expect((JSON.parse(fs.readFileSync(path.join(store, 'mes-data-store.json'), 'utf8')) as { formatVersion: number }).formatVersion).toBe(2);
    // the fixture's versions of MES are v1 and v3 (v2 was a number handed out to a commit that never finished)
    await ui.tree.open('cleaned', 'cleaned/MES', 'cleaned/v3/MES');
    const versions = new VersionsModel(page);
    await expect.poll(() => versions.position()).toBe('v3 of 3 · 2 kept');
    expect((await versions.options()).map((o) => o.split(' · ')[0])).toEqual(['v1 of 3', 'v3 of 3']);
    await ui.showTab('Table');
    await ui.table.rowValues(0);
    await ui.screenshot('versions-migrated-v3');
    expect(ui.pageErrors).toEqual([]);
  });
});
