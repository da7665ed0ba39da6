import { describe, expect, it } from 'vitest';
import { attributeOfAll } from './pages/domRead.js';
import { AppPage } from './pages/appPage.js';
import { VersionsModel } from './pages/versionsModel.js';
import { useAppInChromium } from './support/appSession.js';
import { buildTimedVersionStore } from './support/timedVersionStore.js';

/** v1 holds 2024-01-03 alone: 60 bars from 23:00 UTC on Jan 2, closes rising a tick a bar from 4,800. */
const V1_FIRST = { timestamp: '2024-01-02 23:00:00 UTC', open: '4,800.00', high: '4,800.25', low: '4,799.75', close: '4,800.00', volume: '10', date: '2024-01-03' };
const V1_SECOND = { timestamp: '2024-01-02 23:01:00 UTC', open: '4,800.00', high: '4,800.50', low: '4,799.75', close: '4,800.25', volume: '11', date: '2024-01-03' };
/** v2 starts with the session of 2024-01-02 (17:00 CT on Jan 1 = 23:00 UTC), closes from 4,700. */
const V2_FIRST = { timestamp: '2024-01-01 23:00:00 UTC', open: '4,700.00', high: '4,700.25', low: '4,699.75', close: '4,700.00', volume: '10', date: '2024-01-02' };

/**
 * Time travel by version and by moment, on a store whose two cleaned versions of MES were
 * committed at 14:02 and 16:45 UTC on 2026-11-30 (the host's clock set for each promote): the
 * picker's options carry commit time and changelog, "As of" opens the version newest at a
 * moment typed in exchange time or UTC, and lineage links land on the exact version.
 */
describe('versions: options with changelogs, as of a moment, lineage to the exact version', () => {
  const app = useAppInChromium('mes-data-e2e-as-of-', buildTimedVersionStore);

  it('the picker lists each version as "vN of 2 · commit time · changelog"', async () => {
    const { tree, page } = app.ui;
    const versions = new VersionsModel(page);
    await tree.open('cleaned', 'cleaned/MES', 'cleaned/v2/MES');
    await expect.poll(() => versions.position()).toBe('v2 of 2');
    await expect.poll(() => versions.options()).toEqual(['v1 of 2 · 2026-11-30 14:02 UTC · the 3rd alone', 'v2 of 2 · 2026-11-30 16:45 UTC · the 2nd added']);
    expect(await versions.committed()).toBe('committed 2026-11-30 16:45 UTC');
    await expect.poll(() => versions.changelog(), { timeout: 15_000 }).toBe('“the 2nd added”');
    await app.ui.screenshot('versions-options-changelog');
    expect(app.ui.pageErrors).toEqual([]);
  });

  it('as of 09:00 CST (15:00 UTC) opens v1 with its exact first rows; as of 16:45 UTC opens v2', async () => {
    const { tree, table, page } = app.ui;
    const versions = new VersionsModel(page);
    await tree.open('cleaned', 'cleaned/MES', 'cleaned/v2/MES');
    await expect.poll(() => versions.position()).toBe('v2 of 2');
    await app.ui.showTab('Table');
    expect(await table.rowValues(0)).toEqual(V2_FIRST);

    await versions.typeAsOf('2026-11-30 09:00', 'exchange');
    expect(await versions.asOfEcho()).toBe('2026-11-30 09:00:00 CST = 2026-11-30 15:00:00 UTC');
    await app.ui.screenshot('versions-as-of-typed');
    await versions.openAsOf();
    await expect.poll(() => app.ui.datasetTitle().textContent()).toBe('cleaned/v1/MES');
    await expect.poll(() => versions.position()).toBe('v1 of 2');
    expect(await versions.state()).toBe('older version · read-only');
    expect(await versions.asOfResult()).toBe('v1 was the newest at 2026-11-30 15:00:00 UTC');
    await expect.poll(() => tree.selectedPath()).toBe('cleaned/v1/MES');
    await expect.poll(() => page.getByTestId('dataset-facts').textContent(), { timeout: 15_000 }).toMatch(/^60 rows · 7 columns · 1 file · /);
    expect(await table.rowValues(0)).toEqual(V1_FIRST);
    expect(await table.rowValues(1)).toEqual(V1_SECOND);
    await app.ui.screenshot('versions-as-of-v1');

    // the moment of v2's commit is v2's: a commit counts from its own millisecond on
    await versions.typeAsOf('2026-11-30 16:45', 'utc');
    expect(await versions.asOfEcho()).toBe('2026-11-30 10:45:00 CST = 2026-11-30 16:45:00 UTC');
    await versions.openAsOf();
    await expect.poll(() => app.ui.datasetTitle().textContent()).toBe('cleaned/v2/MES');
    await expect.poll(() => versions.position()).toBe('v2 of 2');
    expect(await versions.asOfResult()).toBe('v2 was the newest at 2026-11-30 16:45:00 UTC');
    await expect.poll(() => page.getByTestId('dataset-facts').textContent(), { timeout: 15_000 }).toMatch(/^150 rows · 7 columns · 2 files · /);
    expect(await table.rowValues(0)).toEqual(V2_FIRST);
    expect(app.ui.pageErrors).toEqual([]);
  });

  it('a moment before the first commit says when that was; text that is no moment cannot be opened', async () => {
    const { tree, page } = app.ui;
    const versions = new VersionsModel(page);
    await tree.open('cleaned', 'cleaned/MES', 'cleaned/v2/MES');
    await expect.poll(() => versions.position()).toBe('v2 of 2');
    await versions.typeAsOf('last tuesday', 'utc');
    expect(await versions.asOfEcho()).toBe('“last tuesday” is not a date or time: write 2024-01-02, 2024-01-02 09:30 or 2024-01-02 09:30:15.250');
    expect(await versions.asOfPanel().getByRole('button', { name: 'Open' }).isDisabled()).toBe(true);
    await versions.typeAsOf('2026-11-30 14:01:59', 'utc');
    await versions.openAsOf();
    const error = page.locator('.version-picker-block [role="alert"]');
    await error.waitFor();
    expect(await error.getAttribute('data-code')).toBe('NOT_FOUND');
    expect(await error.locator('.error-message').textContent()).toBe('cleaned/MES had no version at 2026-11-30T14:01:59.000Z; its first was committed at 2026-11-30T14:02:00.000Z');
    // nothing else was opened
    expect(await app.ui.datasetTitle().textContent()).toBe('cleaned/v2/MES');
    await app.ui.screenshot('versions-as-of-too-early');
    // the browser logs the host's answer, and nothing else went wrong; the log is emptied for the next test
    expect(app.ui.pageErrors).toEqual(['console: Failed to load resource: the server responded with a status of 404 (Not Found)']);
    app.ui.pageErrors.length = 0;
  });

  it('lineage links land on the exact version: a feature set built from v1, and raw used by v1 and v2', async () => {
    const { tree, page } = app.ui;
    const versions = new VersionsModel(page);
    await tree.open('features', 'features/MES', 'features/MES/momentum_indicators', 'features/v1/MES/momentum_indicators');
    await expect.poll(() => versions.position()).toBe('v1 of 1');
    // a feature build's changelog says what it was built from (committed at the real time)
    expect(await versions.options()).toEqual([expect.stringMatching(/^v1 of 1 · \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC · momentum_indicators for MES from cleaned\/v1\/MES$/)]);
    await app.ui.showTab('Metadata & lineage');
    const lineage = page.getByTestId('lineage');
    await expect.poll(() => attributeOfAll(lineage.locator('[data-lineage-path]'), 'data-lineage-path'), { timeout: 15_000 }).toEqual(['cleaned/v1/MES/2024-01-03.parquet']);
    await lineage.locator('[data-lineage-path="cleaned/v1/MES/2024-01-03.parquet"]').click();
    await expect.poll(() => app.ui.datasetTitle().textContent()).toBe('cleaned/v1/MES/2024-01-03.parquet');
    // a file of v1 is shown as v1, although v2 is newer and holds the same date
    await expect.poll(() => versions.position()).toBe('v1 of 2');
    expect(await versions.state()).toBe('older version · read-only');
    await expect.poll(() => tree.selectedPath()).toBe('cleaned/v1/MES/2024-01-03.parquet');

    await tree.open('raw', 'raw/MES', 'raw/MES/2024-01-03');
    await expect.poll(() => app.ui.datasetTitle().textContent()).toBe('raw/MES/2024-01-03');
    await expect.poll(() => attributeOfAll(lineage.locator('[data-lineage-path]'), 'data-lineage-path'), { timeout: 15_000 }).toEqual(['cleaned/v1/MES', 'cleaned/v2/MES']);
    await app.ui.screenshot('versions-lineage-raw');
    await lineage.locator('[data-lineage-path="cleaned/v1/MES"]').click();
    await expect.poll(() => app.ui.datasetTitle().textContent()).toBe('cleaned/v1/MES');
    await expect.poll(() => versions.position()).toBe('v1 of 2');
    await expect.poll(() => tree.selectedPath()).toBe('cleaned/v1/MES');
    await expect.poll(() => attributeOfAll(lineage.locator('[data-lineage-path]'), 'data-lineage-path'), { timeout: 15_000 }).toEqual(['raw/MES/2024-01-03/bars.parquet', 'features/v1/MES/momentum_indicators']);
    expect(app.ui.pageErrors).toEqual([]);
  });

  it('opens As of with Alt+A and shows it in dark colours', async () => {
    const dark = await AppPage.open(app.browser, app.url, { colorScheme: 'dark' });
    try {
      await dark.waitForWorkbench();
      const versions = new VersionsModel(dark.page);
      await dark.tree.open('cleaned', 'cleaned/MES', 'cleaned/v1/MES');
      await expect.poll(() => versions.position()).toBe('v1 of 2');
      // Alt+A opens As of with the moment's box in focus
      await dark.page.keyboard.press('Alt+KeyA');
      await versions.asOfPanel().waitFor();
      expect(await dark.page.evaluate(`document.activeElement?.getAttribute('aria-label')`)).toBe('As of');
      await versions.typeAsOf('2026-11-30 10:44', 'exchange');
      expect(await versions.asOfEcho()).toBe('2026-11-30 10:44:00 CST = 2026-11-30 16:44:00 UTC');
      await versions.openAsOf();
      await expect.poll(() => versions.asOfResult()).toBe('v1 was the newest at 2026-11-30 16:44:00 UTC');
      await dark.showTab('Table');
      expect(await dark.table.rowValues(0)).toEqual(V1_FIRST);
      await dark.screenshot('versions-as-of-dark');
      expect(dark.pageErrors).toEqual([]);
    } finally {
      await dark.close();
    }
  });
});
