import { describe, expect, it } from 'vitest';
import { AppPage } from './pages/appPage.js';
import { useAppInChromium } from './support/appSession.js';
import { buildFeaturesStore, MES_TOTAL } from './support/featuresStore.js';

/**
 * The jobs panel: a feature build that succeeds and one that fails (its source file is not
 * Parquet), both started from the dialog; after a reload of the page the panel lists both
 * from the host, the failure with its code and message, the success with its rows, result
 * and a link to what it wrote.
 */
describe('the jobs panel', () => {
  const app = useAppInChromium('mes-data-e2e-jobs-', buildFeaturesStore);

  it("lists a build with its result and a failed build's error after a reload; the link opens what the job wrote", async () => {
    const { features, jobs, tree, page } = app.ui;
    await features.openWithKeyboard();
    expect(await features.asset()).toBe('MES');
    await features.build();
    expect(await features.waitForEnd()).toBe('closed');
    await tree.item('features/v1/MES/momentum_indicators').waitFor();

    await features.openWithKeyboard();
    await features.setAsset('NQ');
    expect(await features.sourceText()).toBe('cleaned/v1/NQ · 30 rows');
    await features.build();
    expect(await features.waitForEnd()).toBe('failed');
    const [code, text] = await features.error();
    expect(code).toBe('CORRUPTED_FILE');
    expect(text).toContain('No magic bytes found at end of file');
    expect(text).toContain('cleaned/v1/NQ/2024-01-02.parquet');
    await app.ui.screenshot('features-failed');
    await features.close();

    await page.reload();
    await app.ui.waitForWorkbench();
    await expect.poll(() => page.getByTestId('status-jobs').textContent()).toBe('Jobs (2, 1 failed)');
    await jobs.open();
    expect(await jobs.summary()).toBe('2 jobs in this session · 0 running · 1 failed');
    const [failed, built] = await jobs.lines();
    expect(failed).toMatchObject({ state: 'failed', kind: 'features', title: 'build momentum_indicators for NQ', rows: '0', outcome: '', errorCode: 'CORRUPTED_FILE', links: [] });
    expect(failed.error).toContain('building momentum_indicators for NQ from cleaned/v1/NQ: Invalid Input Error: No magic bytes found at end of file');
    expect(failed.error).toContain('cleaned/v1/NQ/2024-01-02.parquet');
    expect(built).toMatchObject({
      state: 'succeeded',
      kind: 'features',
      title: 'build momentum_indicators for MES',
      rows: String(MES_TOTAL),
      outcome: 'created features/v1/MES/momentum_indicators (v1) from 2 cleaned files',
      errorCode: null,
      links: ['features/v1/MES/momentum_indicators'],
    });
    for (const line of [failed, built]) expect(line.duration).toMatch(/^\d+\.\d{1,2} s$/);
    await app.ui.screenshot('jobs-panel');

    // the same list in a second window, in the dark theme
    const dark = await AppPage.open(app.browser, app.url, { colorScheme: 'dark' });
    try {
      await dark.waitForWorkbench();
      await dark.jobs.openWithKeyboard();
      expect((await dark.jobs.lines()).map((l) => [l.state, l.title, l.rows])).toEqual([
        ['failed', 'build momentum_indicators for NQ', '0'],
        ['succeeded', 'build momentum_indicators for MES', String(MES_TOTAL)],
      ]);
      await dark.screenshot('jobs-panel-dark');
      expect(dark.pageErrors).toEqual([]);
    } finally {
      await dark.close();
    }

    await jobs.openLink('features/v1/MES/momentum_indicators');
    await expect.poll(() => app.ui.datasetTitle().textContent()).toBe('features/v1/MES/momentum_indicators');
    expect(await tree.selectedPath()).toBe('features/v1/MES/momentum_indicators');
    expect(app.ui.pageErrors).toEqual([]);
  });
});
