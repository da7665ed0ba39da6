import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/ohlcvTable.js';
import { AppPage } from './pages/appPage.js';
import { startApp, type RunningApp } from './support/appHost.js';
import { launchChromium } from './support/browser.js';
import { buildRawStore, mesCsv } from './support/storeFixtures.js';

/**
 * Drag-drop ingest in the real UI: a CSV dropped on the window is uploaded, read in a dry
 * run (dialect, mapping, zone, preview, snapshots to be written), then ingested; the new
 * snapshot appears in the tree. Needs the host to run ingest jobs (being wired in now): until
 * then the dry run ends in BAD_REQUEST "not available in this build yet" and these fail on
 * the first expectation, naming that error.
 */
describe('drag-drop ingest', () => {
  const { dir, cleanup } = tempDir('mes-data-e2e-ingest-');
  const storeDir = path.join(dir, 'store');
  let browser: Browser;
  let app: RunningApp;
  let ui: AppPage;

  beforeAll(async () => {
    await buildRawStore(storeDir);
    app = await startApp(storeDir);
    browser = await launchChromium();
    ui = await AppPage.open(browser, app.url);
    await ui.waitForWorkbench();
  });

  afterEach(async () => {
    await ui?.closeDialogs();
  });

  afterAll(async () => {
    await ui?.close();
    await browser?.close();
    await app?.close();
    cleanup();
  });

  it('shows the drop zone, and the overlay while files are dragged over the window', async () => {
    await expect.poll(() => ui.page.getByTestId('drop-zone').textContent()).toContain('Drop files to ingest');
    const dataTransfer = await ui.page.evaluateHandle(`(() => { const dt = new DataTransfer(); dt.items.add(new File(['x'], 'a.csv')); return dt; })()`);
    await ui.page.dispatchEvent('body', 'dragenter', { dataTransfer });
    await ui.page.getByTestId('drop-overlay').waitFor();
    await ui.screenshot('ingest-drag-over');
    await ui.page.dispatchEvent('body', 'dragleave', { dataTransfer });
    await ui.page.getByTestId('drop-overlay').waitFor({ state: 'detached' });
  });

  it('a dropped CSV: dry run with dialect, mapping, preview and snapshots; ingest; the snapshot appears in the tree', async () => {
    const { ingest, tree, table } = ui;
    await ingest.drop([{ name: 'MES_1min.csv', content: mesCsv() }]);
    const step = await ingest.waitForReview();
    await ui.screenshot('ingest-dry-run');
    expect({ step, error: step === 'failed' ? await ingest.errorText() : '' }).toEqual({ step: 'review', error: '' });
    expect(await ingest.dialectText()).toMatch(/Delimiter\s*;/);
    expect(await ingest.snapshotDates()).toEqual(['2024-01-05']);
    await expect.poll(() => ingest.dialog().getByLabel('Asset').inputValue()).toBe('MES');
    await expect.poll(() => ingest.dialog().getByTestId('ingest-preview').locator('tbody tr').count()).toBeGreaterThan(0);
    await expect.poll(() => ingest.dialog().getByLabel('Source column for volume').inputValue()).toBe('Volume');

    await ingest.confirm();
    expect(await ingest.waitForDone()).toBe('done');
    expect(await ingest.snapshotDates()).toEqual(['2024-01-05']);
    await expect.poll(() => ingest.dialog().getByTestId('ingest-snapshots').textContent()).toContain('created');
    await ui.screenshot('ingest-done');
    await ingest.close();

    await tree.item('raw/MES/2024-01-05').waitFor();
    await expect.poll(() => tree.item('raw/MES/2024-01-05').locator('.tree-meta').textContent()).toBe('30');
    await expect.poll(() => ui.datasetTitle().textContent()).toBe('raw/MES/2024-01-05');
    expect(await table.rowValues(0)).toMatchObject({ timestamp: '2024-01-04 23:00:00.000000000 UTC', volume: '10' });
    await ui.screenshot('ingest-in-tree');
  });

  it('reports bad rows with their lines, and with "skip" writes the rest', async () => {
    const { ingest } = ui;
    await ingest.choose([{ name: 'MES_bad.csv', content: mesCsv({ badLine: true }) }]);
    const first = await ingest.waitForReview();
    expect({ step: first, error: first === 'failed' ? await ingest.errorText() : '' }).toEqual({ step: 'review', error: '' });
    // the dry run lists the bad line, and says what "fail" would do with it
    await expect.poll(() => ingest.dialog().getByTestId('bad-rows').textContent()).toMatch(/1 bad row.*line 5: unparseable number "4851,x" in column "Open"/);
    await expect.poll(() => ingest.dialog().getByTestId('bad-rows-hint').textContent()).toContain('writes nothing');
    await ui.screenshot('ingest-bad-rows-dry-run');

    await ingest.dialog().getByLabel('Bad rows').selectOption('skip');
    await ingest.dialog().getByRole('button', { name: 'Update preview' }).click();
    expect(await ingest.waitForReview()).toBe('review');
    await ingest.confirm();
    expect(await ingest.waitForDone()).toBe('done');
    await expect.poll(() => ingest.dialog().getByTestId('ingest-done').textContent()).toContain('Ingested 29 of 30 rows');
    await expect.poll(() => ingest.dialog().getByTestId('bad-rows').textContent()).toMatch(/line 5/);
    await ui.screenshot('ingest-bad-rows');
    await ingest.close();
    await ui.tree.item('raw/MES/2024-01-05').waitFor();
    expect(ui.pageErrors.filter((e) => !/status of/.test(e))).toEqual([]);
  });
});
