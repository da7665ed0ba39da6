import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppPage } from './pages/appPage.js';
import { attributeOfAll } from './pages/domRead.js';
import { useAppInChromium } from './support/appSession.js';
import { buildFeaturesStore, MES_TOTAL } from './support/featuresStore.js';

/**
 * Build a feature set from the window: the dialog on cleaned/v1/MES (asset, version and the
 * set's default parameters filled in), a parameter checked as it is typed, the job run with
 * RSI over 21 bars, and the new version selected in the tree with its lineage and its rows.
 */
describe('build features from the window', () => {
  const app = useAppInChromium('mes-data-e2e-features-', buildFeaturesStore);

  it('momentum_indicators with RSI 21 from cleaned/v1/MES: 390 rows, the new set selected in the tree with its lineage', async () => {
    const { tree, features, table, page } = app.ui;
    await tree.open('cleaned', 'cleaned/MES', 'cleaned/v1/MES');
    await features.openFromDataset();
    expect(await features.asset()).toBe('MES');
    expect(await features.sourceVersion()).toBe('v1');
    expect(await features.sourceText()).toBe(`cleaned/v1/MES · ${MES_TOTAL} rows`);
    expect(await features.parameters()).toEqual({ 'RSI period': '14', 'MACD fast': '12', 'MACD slow': '26', 'MACD signal': '9', 'Momentum / ROC period': '10' });
    expect(await features.plan()).toBe('Builds momentum_indicators for MES from cleaned/v1/MES with the default parameters as a new version under features/ (the same inputs again answer “unchanged”).');

    // a period is a whole number of bars: the field says so and Build stays off
    await features.setParameter('RSI period', '2.5');
    expect(await features.parameterNote('rsiPeriod')).toBe('RSI period must be a whole number of bars');
    expect(await features.canBuild()).toBe(false);
    await features.setParameter('RSI period', '21');
    expect(await features.parameterNote('rsiPeriod')).toBe('bars · default 14');
    expect(await features.canBuild()).toBe(true);
    expect(await features.plan()).toBe('Builds momentum_indicators for MES from cleaned/v1/MES with rsiPeriod 21 as a new version under features/ (the same inputs again answer “unchanged”).');
    await app.ui.screenshot('features-dialog');

    // another set shows its own parameters, with their defaults
    await features.chooseSet('volume_profile');
    expect(await features.parameters()).toEqual({ 'Price bucket': '0.25', 'Value area share': '0.7' });
    await features.chooseSet('momentum_indicators');
    await features.setParameter('RSI period', '21');

    await features.build();
    await app.ui.screenshot('features-running');
    expect(await features.waitForEnd()).toBe('closed');
    await tree.item('features/v1/MES/momentum_indicators').waitFor();
    expect(await tree.selectedPath()).toBe('features/v1/MES/momentum_indicators');
    await expect.poll(() => app.ui.datasetTitle().textContent()).toBe('features/v1/MES/momentum_indicators');
    await expect.poll(() => page.getByTestId('dataset-facts').textContent()).toMatch(/^390 rows · 9 columns · 2 files · /);
    await expect.poll(() => app.ui.statusBar().textContent()).toContain('Built momentum_indicators for MES: features/v1/MES/momentum_indicators, 390 rows');
    // lineage: the two cleaned files it was built from
    await page.getByTestId('lineage').waitFor();
    const inputs = await attributeOfAll(page.getByTestId('lineage').locator('[data-lineage-path]'), 'data-lineage-path');
    expect(inputs.filter((p) => p?.startsWith('cleaned/')).sort()).toEqual(['cleaned/v1/MES/2024-01-02.parquet', 'cleaned/v1/MES/2024-01-03.parquet']);
    await app.ui.screenshot('features-built-lineage');

    // the period reached the computation: the first RSI is at bar 21 (with the default 14 it would be at bar 14)
    await app.ui.showTab('Table');
    expect((await table.rowValues(14)).rsi_14).toBe('null');
    expect((await table.rowValues(20)).rsi_14).toBe('null');
    expect((await table.rowValues(21)).rsi_14).toMatch(/^\d+\.\d+$/);
    expect(app.ui.pageErrors).toEqual([]);
  });

  it('a build cancelled while it runs ends cancelled, writes nothing, and stays in the jobs list as cancelled', async () => {
    const { features, jobs, tree } = app.ui;
    await tree.open('cleaned', 'cleaned/MES', 'cleaned/v1/MES');
    await features.openFromDataset();
    await features.chooseSet('price_volatility');
    expect(await features.parameters()).toEqual({ 'Short volatility window': '30', 'Long volatility window': '60', 'ATR period': '14' });
    // the job waits at its start while the hold file is there (MES_DATA_JOB_HOLD, read by the
    // job's process or thread), so the cancel surely lands while it runs
    const hold = path.join(os.tmpdir(), `mes-data-e2e-hold-${process.pid}`);
    fs.writeFileSync(hold, '');
    process.env.MES_DATA_JOB_HOLD = hold;
    try {
      await features.build();
      await features.cancelJob();
      expect(await features.waitForEnd()).toBe('cancelled');
    } finally {
      delete process.env.MES_DATA_JOB_HOLD;
      fs.rmSync(hold, { force: true });
    }
    expect(((await features.dialog().getByTestId('features-cancelled').textContent()) ?? '').trim()).toBe('Cancelled: nothing was written.');
    await features.close();
    await jobs.openWithKeyboard();
    const [cancelled] = await jobs.lines();
    expect(cancelled).toMatchObject({ state: 'cancelled', title: 'build price_volatility for MES', links: [] });
    expect(cancelled.outcome).toMatch(/^cancelled: /);
    await jobs.close();
    // no price_volatility version: the features layer holds momentum_indicators only
    expect((await tree.visiblePaths()).filter((p) => p.startsWith('features/'))).toEqual(['features/MES', 'features/MES/momentum_indicators', 'features/v1/MES/momentum_indicators']);
  });

  it('the same build again answers unchanged and opens the version it made; the dialog reads well in the dark theme', async () => {
    const dark = await AppPage.open(app.browser, app.url, { colorScheme: 'dark' });
    try {
      await dark.waitForWorkbench();
      await dark.features.openWithKeyboard();
      expect(await dark.features.asset()).toBe('MES');
      await dark.features.setParameter('RSI period', '21');
      await dark.screenshot('features-dialog-dark');
      await dark.features.build();
      expect(await dark.features.waitForEnd()).toBe('closed');
      await expect.poll(() => dark.statusBar().textContent()).toContain('Already built momentum_indicators for MES: features/v1/MES/momentum_indicators, 390 rows');
      expect(await dark.tree.selectedPath()).toBe('features/v1/MES/momentum_indicators');
      expect(dark.pageErrors).toEqual([]);
    } finally {
      await dark.close();
    }
  });
});
