import { describe, expect, it } from 'vitest';
import { AppPage } from './pages/appPage.js';
import { CompareModel } from './pages/compareModel.js';
import { useAppInChromium } from './support/appSession.js';
import { buildCompareStore, COMPARE_EXPECTED } from './support/compareStore.js';

/**
 * Compare versions in the real UI: cleaned/v1/MES against v2 (built here with two closes and
 * a volume changed, three bars removed, a new date of twenty bars), from the tree's context
 * menu, the toolbar and the keyboard; exact counts per trading date and the old → new values
 * of the changed rows; light and dark screenshots.
 */
describe('compare two versions', () => {
  const app = useAppInChromium('mes-data-e2e-compare-', buildCompareStore);

  it('from the tree: v2 beside its predecessor, counts per date, the changed values of a date, the rows of another', async () => {
    const ui = app.ui;
    const compare = new CompareModel(ui.page);
    await ui.tree.expand('cleaned');
    await ui.tree.expand('cleaned/MES');
    await compare.openFromTree('cleaned/v2/MES');
    expect(await compare.pair()).toEqual(['cleaned/v1/MES', 'cleaned/v2/MES']);
    expect(await compare.summary()).toBe(COMPARE_EXPECTED.summary);
    expect(await compare.schemaText()).toBe('Same columns and types. Changed values: close 2, volume 1');
    expect(await compare.dateBars()).toEqual(COMPARE_EXPECTED.dates);

    // it opens on the first date with a changed row
    expect(await compare.selectedDate()).toBe('2024-01-02');
    expect(await compare.dateCounts()).toBe('0 added · 0 removed · 3 changed');
    expect(await compare.rows()).toEqual([
      { kind: 'changed', cells: { date: '2024-01-02', timestamp: '2024-01-01 23:05:00 UTC', open: '4,801.00', high: '4,801.50', low: '4,800.75', close: '4,801.25 → 4,801.50', volume: '15' }, changed: ['close'] },
      { kind: 'changed', cells: { date: '2024-01-02', timestamp: '2024-01-01 23:06:00 UTC', open: '4,801.25', high: '4,801.75', low: '4,801.00', close: '4,801.50 → 4,802.00', volume: '16' }, changed: ['close'] },
      { kind: 'changed', cells: { date: '2024-01-02', timestamp: '2024-01-01 23:07:00 UTC', open: '4,801.50', high: '4,802.00', low: '4,801.25', close: '4,801.75', volume: '17 → 99' }, changed: ['volume'] },
    ]);
    expect(await compare.rowsRange()).toBe('rows 1–3 of 3');
    await ui.screenshot('compare-light');

    await compare.pickDate('2024-01-04');
    const added = await compare.rows();
    expect(added).toHaveLength(20);
    expect(added.every((r) => r.kind === 'added' && r.changed.length === 0)).toBe(true);
    expect(added[0].cells).toEqual({ date: '2024-01-04', timestamp: '2024-01-03 23:00:00 UTC', open: '5,000.00', high: '5,000.25', low: '4,999.75', close: '5,000.00', volume: '10' });
    expect(added[19].cells.timestamp).toBe('2024-01-03 23:19:00 UTC');
    expect(await compare.rowsRange()).toBe('rows 1–20 of 20');

    await compare.pickDate('2024-01-03');
    expect((await compare.rows()).map((r) => [r.kind, r.cells.timestamp, r.cells.close])).toEqual([
      ['removed', '2024-01-02 23:57:00 UTC', '4,914.25'],
      ['removed', '2024-01-02 23:58:00 UTC', '4,914.50'],
      ['removed', '2024-01-02 23:59:00 UTC', '4,914.75'],
    ]);
    await compare.toggleKind('removed');
    expect(await compare.rows()).toEqual([]);
    expect(await compare.rowsRange()).toBe('0 rows');
    expect(await compare.dateCounts()).toBe('0 added · 3 removed · 0 changed');
    await ui.screenshot('compare-removed-hidden');
    expect(ui.pageErrors).toEqual([]);
  });

  it('from the toolbar on the first version: it beside the next; Close goes back to the dataset', async () => {
    const ui = app.ui;
    const compare = new CompareModel(ui.page);
    await ui.tree.open('cleaned', 'cleaned/MES', 'cleaned/v1/MES');
    await ui.page.getByRole('navigation', { name: 'Main actions' }).getByRole('button', { name: 'Compare…' }).click();
    await compare.view().waitFor();
    expect(await compare.pair()).toEqual(['cleaned/v1/MES', 'cleaned/v2/MES']);
    expect(await compare.summary()).toBe(COMPARE_EXPECTED.summary);
    await compare.close();
    await ui.datasetTitle().waitFor();
    expect(await compare.view().count()).toBe(0);
  });

  it('with Ctrl+Shift+D in dark colours, readable at 1280×800', async () => {
    const dark = await AppPage.open(app.browser, app.url, { colorScheme: 'dark' });
    try {
      await dark.waitForWorkbench();
      const compare = new CompareModel(dark.page);
      await dark.tree.open('cleaned', 'cleaned/MES', 'cleaned/v2/MES');
      await dark.page.keyboard.press('Control+Shift+D');
      await compare.view().waitFor();
      expect(await compare.summary()).toBe(COMPARE_EXPECTED.summary);
      expect(await compare.dateCounts()).toBe('0 added · 0 removed · 3 changed');
      await dark.page.locator('.compare-table td.cell-changed').first().waitFor();
      const changedCell = await dark.page.evaluate("getComputedStyle(document.querySelector('.compare-table td.cell-changed')).backgroundColor");
      expect(changedCell).toBe('rgb(58, 48, 22)');
      await dark.screenshot('compare-dark');
      expect(dark.pageErrors).toEqual([]);
    } finally {
      await dark.close();
    }
  });
});
