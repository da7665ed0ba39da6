import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { tempDir } from '../helpers/ohlcvTable.js';
import { AppPage } from './pages/appPage.js';
import { startApp, type RunningApp } from './support/appHost.js';
import { launchChromium } from './support/browser.js';
import * as scenarios from './scenarios.js';
import { buildRawStore } from './support/storeFixtures.js';

/**
 * Promote in the real UI: raw MES (one clean date, one with known defects) → the gate fails
 * with "fail", passes with "drop", and the new version v1 appears selected in the tree with
 * its lineage. Needs the host to run promote jobs (being wired in now): until then the gate
 * check ends in BAD_REQUEST "not available in this build yet" and this fails on the first
 * expectation, naming that error.
 */
describe('promote raw → cleaned', () => {
  const { dir, cleanup } = tempDir('mes-data-e2e-promote-');
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

  it('the gate fails with "fail", passes by dropping rows, and v1 appears selected with its lineage', () => scenarios.promoteWithGate(ui));
});
