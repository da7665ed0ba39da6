/**
 * The browser mode on a store in a bucket (s3://…) against a real moto_server, in Chromium:
 * the host opens the store through its working copy (core/api/bucketStore.ts); the tree,
 * a raw snapshot's rows, a validation and a promotion raw → cleaned work as on a folder, the
 * promotion is published (the bucket then holds the table's metadata and the version's
 * sidecar) and the new version opens with its rows. A bucket that does not exist is a typed
 * error on the start screen, whose "Open bucket…" field then opens the right one.
 */
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../core/objectStore/localObjectStore.js';
import { openObjectStore } from '../../core/objectStore/s3ObjectStore.js';
import { parseStoreUrl } from '../../core/objectStore/storeUrl.js';
import { syncStores } from '../../core/sync/syncStores.js';
import { skipWithoutMoto, startMoto, type MotoServer } from '../helpers/motoServer.js';
import { tempDir } from '../helpers/ohlcvTable.js';
import { AppPage } from './pages/appPage.js';
import { StartupModel } from './pages/startupModel.js';
import * as scenarios from './scenarios.js';
import { startApp, type RunningApp } from './support/appHost.js';
import { launchChromium } from './support/browser.js';
import { buildRawStore } from './support/storeFixtures.js';

const BUCKET = 'mes-e2e-lake';
const STORE_URL = `s3://${BUCKET}/desk/mes`;

describe('the browser mode on an s3:// store', () => {
  const { dir, cleanup } = tempDir('mes-data-e2e-bucket-');
  const savedEnv = { ...process.env };
  let moto: MotoServer | null = null;
  let app: RunningApp | undefined;
  let browser: Browser | undefined;
  let ui: AppPage | undefined;

  beforeAll(async () => {
    moto = await startMoto();
    if (!moto) return;
    await moto.createBucket(BUCKET);
    // the host's AWS environment (its job processes inherit it); the page never sees it
    Object.assign(process.env, { AWS_ENDPOINT_URL: moto.endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1', MES_DATA_CACHE: path.join(dir, 'cache') });
    // raw MES: 2024-01-02 (390 clean bars from 23:00 UTC the day before) and 2024-01-03 (120 bars with known defects)
    const seed = path.join(dir, 'seed');
    await buildRawStore(seed);
    await syncStores(new LocalObjectStore(seed), openObjectStore(parseStoreUrl(STORE_URL)));
    app = await startApp(STORE_URL);
    browser = await launchChromium();
    ui = await AppPage.open(browser, app.url);
    ui.screenshotPrefix = 'bucket-';
    await ui.waitForWorkbench();
  });

  afterAll(async () => {
    await ui?.close();
    await browser?.close();
    await app?.close();
    await moto?.stop();
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
    cleanup();
  });

  const page = (): AppPage => {
    if (!ui) throw new Error('the app is not open');
    return ui;
  };

  async function bucketKeys(prefix: string): Promise<string[]> {
    return (await openObjectStore(parseStoreUrl(STORE_URL)).list(prefix)).map((entry) => entry.key);
  }

  it('opens the tree and previews a raw snapshot with exact values; the status bar names the bucket', async (context) => {
    skipWithoutMoto(context);
    const { tree, table } = page();
    expect(await tree.visiblePaths()).toEqual(['raw', 'raw/MES', 'cleaned', 'features']);
    await expect.poll(() => tree.item('raw/MES').locator('.tree-meta').textContent()).toBe('510');
    await expect.poll(() => page().page.getByTestId('store-path').locator('.mono').textContent()).toBe(STORE_URL);
    await tree.open('raw', 'raw/MES', 'raw/MES/2024-01-02');
    await page().showTab('Table');
    expect(await table.rowValues(0)).toEqual({ timestamp: '2024-01-01 23:00:00 UTC', open: '4,780.00', high: '4,780.25', low: '4,779.75', close: '4,780.00', volume: '10' });
    expect(await table.rowValues(1)).toEqual({ timestamp: '2024-01-01 23:01:00 UTC', open: '4,780.00', high: '4,780.75', low: '4,779.75', close: '4,780.50', volume: '11' });
    await page().screenshot('raw-preview');
    expect(page().pageErrors).toEqual([]);
  });

  it('validates a raw date: the defects are found and shown', async (context) => {
    skipWithoutMoto(context);
    await scenarios.validateDefects(page());
  });

  it('promotes raw → cleaned: v1 appears with its lineage, the bucket holds its table metadata, and the version opens', async (context) => {
    skipWithoutMoto(context);
    expect(await bucketKeys('cleaned/')).toEqual([]);
    await scenarios.promoteWithGate(page());
    expect(await bucketKeys('cleaned/MES/metadata/')).toContain('cleaned/MES/metadata/v1.metadata.json');
    expect(await bucketKeys('catalog/cleaned/MES/')).toEqual(['catalog/cleaned/MES/v1.json']);
    const { tree, table } = page();
    await tree.open('cleaned/v1/MES');
    await page().showTab('Table');
    // 390 + 116 rows (the gate dropped the four defective ones of 2024-01-03)
    await expect.poll(() => page().datasetTitle().textContent()).toBe('cleaned/v1/MES');
    expect(await table.rowValues(0)).toMatchObject({ timestamp: '2024-01-01 23:00:00 UTC', open: '4,780.00', close: '4,780.00', volume: '10' });
    await page().screenshot('promoted-version');
    expect(page().pageErrors).toEqual([]);
  });

  it('a bucket that does not exist is a typed error on the start screen; the Open bucket field then opens the store', async (context) => {
    skipWithoutMoto(context);
    if (!browser) throw new Error('no browser');
    const missing = await startApp(null);
    await missing.session.openAtStartup('s3://no-such-lake/mes');
    const other = await AppPage.open(browser, missing.url);
    other.screenshotPrefix = 'bucket-';
    try {
      const startup = new StartupModel(other.page);
      await startup.error().waitFor();
      expect(await startup.error().getAttribute('data-code')).toBe('NOT_FOUND');
      expect(await startup.error().textContent()).toContain('no-such-lake');
      expect(await startup.error().textContent()).toContain('That bucket could not be opened as a store');
      expect(await other.page.getByLabel('Bucket URL').inputValue()).toBe('s3://no-such-lake/mes');
      await other.screenshot('no-such-bucket');
      await other.page.getByLabel('Bucket URL').fill(STORE_URL);
      await other.page.getByRole('button', { name: 'Open bucket' }).click();
      await other.waitForWorkbench();
      await expect.poll(() => other.page.getByTestId('store-path').locator('.mono').textContent()).toBe(STORE_URL);
      await expect.poll(() => other.tree.visiblePaths()).toEqual(['raw', 'raw/MES', 'cleaned', 'cleaned/MES', 'features']);
      expect(other.pageErrors).toEqual([]);
    } finally {
      await other.close();
      await missing.close();
    }
  });
});
