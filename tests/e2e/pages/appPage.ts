import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { ROOT } from '../support/buildRenderer.js';
import { ChartModel } from './chartModel.js';
import { FeaturesModel } from './featuresModel.js';
import { IngestModel } from './ingestModel.js';
import { JobsModel } from './jobsModel.js';
import { PromoteModel } from './promoteModel.js';
import { StartupModel } from './startupModel.js';
import { TableModel } from './tableModel.js';
import { TreeModel } from './treeModel.js';
import { ValidationModel } from './validationModel.js';

const SCREENSHOTS = path.join(ROOT, 'test-results', 'screenshots');

/**
 * The whole window, and the page models of its parts. Browser errors (uncaught
 * exceptions, console errors) are collected so a test can assert there were none.
 */
export class AppPage {
  readonly tree: TreeModel;
  readonly table: TableModel;
  readonly chart: ChartModel;
  readonly validation: ValidationModel;
  readonly promote: PromoteModel;
  readonly ingest: IngestModel;
  readonly startup: StartupModel;
  readonly features: FeaturesModel;
  readonly jobs: JobsModel;
  readonly pageErrors: string[] = [];
  /** Put before screenshot names (`electron-` for the desktop suite). */
  screenshotPrefix = '';

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
  ) {
    this.tree = new TreeModel(page);
    this.table = new TableModel(page);
    this.chart = new ChartModel(page);
    this.validation = new ValidationModel(page);
    this.promote = new PromoteModel(page);
    this.ingest = new IngestModel(page);
    this.startup = new StartupModel(page);
    this.features = new FeaturesModel(page);
    this.jobs = new JobsModel(page);
    page.on('pageerror', (error) => this.pageErrors.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') this.pageErrors.push(`console: ${message.text()}`);
    });
  }

  /** A fresh context (no storage) at 1280×800, in light or dark colours. */
  static async open(browser: Browser, url: string, options: { colorScheme?: 'light' | 'dark' } = {}): Promise<AppPage> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: options.colorScheme ?? 'light' });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const app = new AppPage(context, page);
    await page.goto(url);
    return app;
  }

  /** The page models over a window opened elsewhere (Electron's first window). */
  static attach(page: Page, screenshotPrefix = ''): AppPage {
    page.setDefaultTimeout(20_000);
    const app = new AppPage(page.context(), page);
    app.screenshotPrefix = screenshotPrefix;
    return app;
  }

  /** Waits for the workbench (a store is open and its tree listed). */
  async waitForWorkbench(): Promise<void> {
    await this.page.getByRole('tree').waitFor();
    await this.page.locator('[role="treeitem"]').first().waitFor();
  }

  async screenshot(name: string): Promise<string> {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    const file = path.join(SCREENSHOTS, `${this.screenshotPrefix}${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** A tab of the dataset view: Table, Chart, Schema & stats, Metadata & lineage. */
  async showTab(label: 'Table' | 'Chart' | 'Schema & stats' | 'Metadata & lineage'): Promise<void> {
    await this.page.getByRole('tab', { name: label, exact: true }).click();
  }

  async setTimeMode(mode: 'UTC' | 'Exchange time'): Promise<void> {
    await this.page.getByRole('group', { name: 'Timestamps shown in' }).getByRole('button', { name: mode, exact: true }).click();
  }

  /** The dataset shown in the centre (its header). */
  datasetTitle(): Locator {
    return this.page.locator('.dataset-header h1');
  }

  statusBar(): Locator {
    return this.page.getByRole('contentinfo');
  }

  /** Closes whatever dialog a failed step left open (Escape, as a person would). */
  async closeDialogs(): Promise<void> {
    for (let i = 0; i < 3 && (await this.page.locator('dialog[open]').count()) > 0; i++) {
      const cancel = this.page.locator('dialog[open]').getByRole('button', { name: 'Cancel job' });
      if ((await cancel.count()) > 0) await cancel.click();
      await this.page.keyboard.press('Escape');
      await this.page.waitForTimeout(100);
    }
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
