import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { tempDir } from '../../helpers/ohlcvTable.js';
import { AppPage } from '../pages/appPage.js';
import { startApp, type RunningApp } from './appHost.js';
import { launchChromium } from './browser.js';

interface AppSession {
  /** the page of the app, on its workbench */
  readonly ui: AppPage;
  readonly browser: Browser;
  /** the address with the session token */
  readonly url: string;
}

/**
 * The life of one e2e file: a store built by `build` in a fresh folder, the browser-mode host
 * on it, Chromium, and the app's page on its workbench; dialogs closed after each test; all of
 * it stopped and removed at the end. Call at the top of a `describe`.
 */
export function useAppInChromium(prefix: string, build: (storeDir: string) => Promise<unknown>): AppSession {
  const { dir, cleanup } = tempDir(prefix);
  let browser: Browser | undefined;
  let app: RunningApp | undefined;
  let ui: AppPage | undefined;

  beforeAll(async () => {
    const storeDir = path.join(dir, 'store');
    await build(storeDir);
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

  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the e2e ${what} is not started: use it inside a test`);
    return value;
  };
  return {
    get ui() {
      return ready(ui, 'page');
    },
    get browser() {
      return ready(browser, 'browser');
    },
    get url() {
      return ready(app, 'host').url;
    },
  };
}
