import { expect } from 'vitest';
import type { AppPage } from './pages/appPage.js';
import { attributeOfAll } from './pages/domRead.js';
import { DEFECT_ROWS, LARGE_ROWS, ohlcvRow } from './support/storeFixtures.js';

/**
 * The scenarios, written once against the page models: the browser-mode suite
 * (app.e2e.test.ts) and the desktop one (electron.e2e.test.ts) run the same steps on a
 * store built by buildStore({large: true}). Each leaves the window with no dialog open.
 */

/** Shows the store as a tree with counts, spans and validity, and moves through it with the keyboard. */
export async function browseTree(ui: AppPage): Promise<void> {
  const { tree } = ui;
  expect(await tree.visiblePaths()).toEqual(['raw', 'raw/ES', 'raw/MES', 'raw/NQ', 'cleaned', 'cleaned/ES', 'features', 'features/ES']);
  expect(await tree.item('raw/MES').getAttribute('title')).toMatch(/^asset raw\/MES · 510 rows · [\d.]+ KB · 2024-01-02 → 2024-01-03$/);
  await expect.poll(() => tree.item('raw/MES').locator('.tree-meta').textContent()).toBe('510');
  await expect.poll(() => tree.item('raw/MES').locator('.tree-span').textContent()).toBe('2024-01-02 → 2024-01-03');

  // keyboard: focus the tree, walk down, open with →, into the children, back with ←
  await tree.focus();
  await tree.press('Home');
  expect(await tree.focusedPath()).toBe('raw');
  await tree.press('ArrowDown');
  await tree.press('ArrowDown');
  expect(await tree.focusedPath()).toBe('raw/MES');
  await tree.press('ArrowRight');
  await tree.item('raw/MES/2024-01-03').waitFor();
  expect(await tree.isExpanded('raw/MES')).toBe(true);
  await tree.press('ArrowRight');
  expect(await tree.focusedPath()).toBe('raw/MES/2024-01-02');
  await tree.press('End');
  expect(await tree.focusedPath()).toBe('features/ES');
  // type-ahead: "c" jumps to cleaned
  await tree.press('c');
  expect(await tree.focusedPath()).toBe('cleaned');
  await tree.press('ArrowRight'); // already open: to its first child
  expect(await tree.focusedPath()).toBe('cleaned/ES');
  await tree.press('ArrowRight'); // open the versions
  await tree.item('cleaned/v1/ES').waitFor();
  await expect.poll(() => tree.item('cleaned/v1/ES').locator('.badge').textContent()).toBe('valid');
  await tree.press('ArrowLeft'); // close it again
  expect(await tree.isExpanded('cleaned/ES')).toBe(false);
  await tree.press('ArrowLeft'); // to the parent
  expect(await tree.focusedPath()).toBe('cleaned');

  // lazy levels: a date's files arrive when it opens
  await tree.expand('raw/MES/2024-01-03');
  await tree.item('raw/MES/2024-01-03/bars.parquet').waitFor();
  await expect.poll(() => tree.item('raw/MES/2024-01-03/bars.parquet').locator('.tree-meta').textContent()).toBe('120');

  // Enter opens the focused dataset
  await tree.focus();
  await tree.press('Home');
  await tree.press('ArrowDown');
  await tree.press('Enter');
  await expect.poll(() => ui.datasetTitle().textContent()).toBe('raw/ES');
  expect(await tree.selectedPath()).toBe('raw/ES');

  // the search shows the matches and the nodes on the way to them
  await tree.search('01-03');
  await expect.poll(() => tree.searchSummary(), { timeout: 10_000 }).toBe('1 match · ↓ to the results, Enter opens, Esc leaves');
  expect(await tree.visiblePaths()).toEqual(['raw', 'raw/MES', 'raw/MES/2024-01-03']);
  await ui.screenshot('tree-filtered');
  await tree.search('');
  await ui.screenshot('tree');

  // keyboard shortcuts: Ctrl+K to the search, ? for the list of shortcuts, Alt+2 to the chart
  await ui.page.keyboard.press('Control+k');
  await expect.poll(() => ui.page.evaluate('document.activeElement?.getAttribute("aria-label")')).toBe('Search datasets');
  await tree.focus();
  await ui.page.keyboard.press('?');
  await ui.page.getByTestId('shortcuts-dialog').waitFor();
  await ui.screenshot('shortcuts');
  await ui.page.keyboard.press('Escape');
  await ui.page.getByTestId('shortcuts-dialog').waitFor({ state: 'detached' });
  await ui.page.keyboard.press('Alt+2');
  await expect.poll(() => ui.page.getByRole('tab', { name: 'Chart' }).getAttribute('aria-selected')).toBe('true');
  await ui.page.keyboard.press('Alt+1');
  await expect.poll(() => ui.page.getByRole('tab', { name: 'Table', exact: true }).getAttribute('aria-selected')).toBe('true');
  expect(ui.pageErrors).toEqual([]);
}

/** Opens a 1.2M-row file at once and shows exact values at the top and at row 1,000,000. */
export async function largeTable(ui: AppPage): Promise<void> {
  const { tree, table, page } = ui;
  await tree.open('raw', 'raw/ES', 'raw/ES/2024-02-01', 'raw/ES/2024-02-01/large.parquet');
  await expect.poll(() => ui.datasetTitle().textContent()).toBe('raw/ES/2024-02-01/large.parquet');
  expect(await table.rowCountText()).toBe(`${LARGE_ROWS.toLocaleString('en-US')} rows`);
  const headers = await table.headers();
  expect(Object.keys(headers)).toEqual(['timestamp', 'open', 'high', 'low', 'close', 'volume']);
  expect(headers.timestamp).toMatch(/^timestamp\[ns, UTC\]/);
  expect([headers.open, headers.high, headers.low, headers.close, headers.volume].map((t) => t.split(' ')[0])).toEqual(['float64', 'float64', 'float64', 'float64', 'int64']);

  expect(await table.rowValues(0)).toEqual(ohlcvRow(0));
  expect(await table.rowValues(1)).toEqual(ohlcvRow(1));
  await ui.screenshot('table');

  const started = Date.now();
  await table.goToRow(1_000_000);
  await table.waitForSelectedRow(1_000_000);
  expect(await table.rowValues(1_000_000)).toEqual(ohlcvRow(1_000_000));
  expect(ohlcvRow(1_000_000)).toEqual({ timestamp: '2025-11-26 10:40:00 UTC', open: '255,000.00', high: '255,001.00', low: '254,999.00', close: '255,000.50', volume: '1,000,100' });
  expect(await table.rowValues(1_000_001)).toEqual(ohlcvRow(1_000_001));
  expect(Date.now() - started).toBeLessThan(10_000);
  await ui.screenshot('table-row-1000000');

  // past the browser's height limit the scrollbar is scaled, but the wheel still moves row by row
  const box = await table.grid().boundingBox();
  const before = (await table.row(1_000_000).boundingBox())?.y ?? 0;
  await page.mouse.move((box?.x ?? 0) + 300, (box?.y ?? 0) + 200);
  await page.mouse.wheel(0, 130);
  await expect.poll(async () => before - ((await table.row(1_000_000).boundingBox())?.y ?? 0)).toBeGreaterThan(100);
  expect(before - ((await table.row(1_000_000).boundingBox())?.y ?? 0)).toBeLessThan(160);

  // the last row, with the keyboard
  await table.grid().focus();
  await table.grid().press('Control+End');
  await table.waitForSelectedRow(LARGE_ROWS - 1);
  expect(await table.rowValues(LARGE_ROWS - 1)).toEqual(ohlcvRow(LARGE_ROWS - 1));

  // exchange time: the same instant in Chicago (CST in November, UTC−6)
  await table.goToRow(1_000_000);
  await table.waitForSelectedRow(1_000_000);
  await ui.setTimeMode('Exchange time');
  await expect.poll(() => table.cell(1_000_000, 'timestamp').textContent()).toBe('2025-11-26 04:40:00 CST');
  await ui.screenshot('table-exchange-time');
  await ui.setTimeMode('UTC');

  // hide a column and show it again
  await table.setColumnVisible('volume', false);
  expect(Object.keys(await table.headers())).toEqual(['timestamp', 'open', 'high', 'low', 'close']);
  await table.setColumnVisible('volume', true);
  expect(Object.keys(await table.headers())).toEqual(['timestamp', 'open', 'high', 'low', 'close', 'volume']);

  // copy the selected cell
  await table.cell(1_000_000, 'close').click();
  await table.grid().press('Control+c');
  await expect.poll(() => page.getByRole('status').textContent()).toBe('Copied close of row 1,000,000');
  expect(ui.pageErrors).toEqual([]);
}

/** Draws 1.2M rows as downsampled candles, and a clicked bar selects its row in the table. */
export async function chartSelectsRow(ui: AppPage): Promise<void> {
  const { chart, table, tree } = ui;
  // its own dataset, so the scenario runs alone as well as after the others
  await tree.open('raw', 'raw/ES', 'raw/ES/2024-02-01', 'raw/ES/2024-02-01/large.parquet');
  await expect.poll(() => ui.datasetTitle().textContent()).toBe('raw/ES/2024-02-01/large.parquet');
  await ui.showTab('Chart');
  const bars = await chart.waitForBars();
  expect(bars).toBeGreaterThan(100);
  expect(bars).toBeLessThanOrEqual(2000);
  expect(await chart.summary()).toMatch(/downsampled from 1,200,000 rows/);
  // volume has a pane of its own below the prices, about a fifth of the height
  const [pricePane, volumePane, ...others] = await chart.paneHeights();
  expect(others).toEqual([]);
  expect(volumePane / (pricePane + volumePane)).toBeGreaterThan(0.15);
  expect(volumePane / (pricePane + volumePane)).toBeLessThan(0.3);
  await ui.page.waitForTimeout(300);
  await ui.screenshot('chart');
  const row = await chart.clickAt(0.5);
  expect(row).toBeGreaterThan(0);
  expect(row).toBeLessThan(LARGE_ROWS);
  await ui.showTab('Table');
  await table.waitForSelectedRow(row);
  expect(await table.rowValues(row)).toEqual(ohlcvRow(row));

  // zooming in far enough fetches that window in finer buckets: a fixed zoom, then the
  // chart's own word that the finer window has arrived and nothing more is being fetched
  await ui.showTab('Chart');
  await chart.waitForBars();
  const overviewBucket = await chart.bucketSeconds();
  expect(overviewBucket).toBeGreaterThan(3600);
  // each wheel step zooms by a tenth: 16 steps show about a fifth of the range, where 12 h buckets are too coarse
  await chart.zoomIn(16);
  const finer = await chart.waitForFinerThan(overviewBucket);
  expect(finer).toBeLessThan(overviewBucket);
  expect(await chart.summary()).toMatch(/bars of (\d+ h|\d+ min) \(downsampled from 1,200,000 rows\)/);
  await ui.screenshot('chart-zoomed');
  expect(ui.pageErrors).toEqual([]);
}

/** Validates a raw snapshot with known defects; an issue jumps to its row; the chart marks the bars. */
export async function validateDefects(ui: AppPage): Promise<void> {
  const { tree, validation, table, chart } = ui;
  await tree.open('raw', 'raw/MES', 'raw/MES/2024-01-03');
  await ui.showTab('Table');
  await validation.choose('ohlcv', 'strict');
  const schemaNames = (await validation.dialog().getByLabel('Schema').locator('option').allTextContents()).map((text) => text.split(' ')[0]);
  expect(schemaNames).toEqual(expect.arrayContaining(['ohlcv', 'price_volatility', 'momentum_indicators', 'volume_profile']));
  await ui.screenshot('validate-dialog');
  await validation.submit();
  expect(await validation.verdict()).toBe(false);
  expect(await validation.errorCounts()).toEqual({ positive_price: 2, ohlc_consistency: 1, non_negative_volume: 1, unique_timestamp: 1 });
  expect(await validation.metricsText()).toContain('Duplicate times1');
  await ui.screenshot('validation');

  await validation.clickIssue('ohlc_consistency');
  await table.waitForSelectedRow(DEFECT_ROWS.ohlc_consistency);
  expect(await table.issueRows()).toEqual(expect.arrayContaining([DEFECT_ROWS.ohlc_consistency, DEFECT_ROWS.unique_timestamp]));
  // the session gap after the repeated minute is a warning, marked apart from the errors
  expect(await table.issueRows('warnings')).toEqual([13]);
  await validation.clickIssueRow('non_negative_volume', DEFECT_ROWS.non_negative_volume);
  await table.waitForSelectedRow(DEFECT_ROWS.non_negative_volume);
  await expect.poll(() => table.cell(DEFECT_ROWS.non_negative_volume, 'volume').textContent()).toBe('-5');
  await ui.screenshot('validation-row');

  await ui.showTab('Chart');
  await chart.waitForBars();
  // rows 7, 12 (merged into 11's second), 40, 55 and the session gap warning at 13
  expect(await chart.markedBars()).toBeGreaterThanOrEqual(4);
  await ui.page.waitForTimeout(300);
  await ui.screenshot('chart-issues');
  await ui.showTab('Table');
  expect(ui.pageErrors).toEqual([]);
}

/** Opens a feature set, its schema and stats, and follows its lineage back to cleaned and raw. */
export async function featureSetLineage(ui: AppPage): Promise<void> {
  const { tree, table, page } = ui;
  await tree.open('features', 'features/ES', 'features/ES/price_volatility', 'features/v1/ES/price_volatility');
  await expect.poll(() => ui.datasetTitle().textContent()).toBe('features/v1/ES/price_volatility');
  await ui.showTab('Table');
  expect(await table.rowValues(0)).toEqual({ timestamp: '2024-01-02 00:00:00 UTC', realized_volatility: '0.1', true_range: '10' });
  // the version picker above the table leaves row 29 below the rows drawn: go to it
  await table.goToRow(29);
  await table.waitForSelectedRow(29);
  expect(await table.rowValues(29)).toEqual({ timestamp: '2024-01-31 00:00:00 UTC', realized_volatility: '0.129', true_range: '39' });
  await ui.screenshot('feature-set');

  await ui.showTab('Chart');
  await expect.poll(() => page.locator('.tab-panel').textContent()).toContain('There is nothing to draw');

  await ui.showTab('Schema & stats');
  const columns = page.getByTestId('schema-columns');
  await expect.poll(() => columns.locator('tbody tr').count()).toBe(3);
  await expect.poll(() => columns.locator('tbody tr').nth(1).textContent()).toContain('realized_volatility');
  await expect.poll(() => columns.locator('tbody tr').nth(1).textContent()).toContain('0.129');
  await ui.screenshot('schema');

  await ui.showTab('Metadata & lineage');
  const lineage = page.getByTestId('lineage');
  await expect.poll(() => attributeOfAll(lineage.locator('[data-lineage-path]'), 'data-lineage-path')).toEqual(['cleaned/v1/ES']);
  await expect.poll(() => page.getByTestId('sidecar-facts').textContent()).toContain('realized volatility of ES');
  await ui.screenshot('lineage-feature-set');

  // follow the link: the cleaned version opens, selected in the tree, with raw as its input and the feature set as its output
  await lineage.locator('[data-lineage-path="cleaned/v1/ES"]').click();
  await expect.poll(() => ui.datasetTitle().textContent()).toBe('cleaned/v1/ES');
  await tree.item('cleaned/v1/ES').waitFor();
  expect(await tree.selectedPath()).toBe('cleaned/v1/ES');
  await expect.poll(() => attributeOfAll(lineage.locator('[data-lineage-path]'), 'data-lineage-path')).toEqual(['raw/ES/2024-01-02/bars.parquet', 'features/v1/ES/price_volatility']);
  await ui.screenshot('lineage-cleaned');
  await lineage.locator('[data-lineage-path="raw/ES/2024-01-02/bars.parquet"]').click();
  await expect.poll(() => ui.datasetTitle().textContent()).toBe('raw/ES/2024-01-02/bars.parquet');
  await tree.item('raw/ES/2024-01-02/bars.parquet').waitFor();
  expect(await tree.selectedPath()).toBe('raw/ES/2024-01-02/bars.parquet');
  expect(ui.pageErrors).toEqual([]);
}

/** Promote raw MES (one clean date, one with the defects): the gate fails with "fail", passes by dropping rows, and v1 appears selected in the tree with its lineage. */
export async function promoteWithGate(ui: AppPage): Promise<void> {
  const { tree, promote, page } = ui;
  await tree.open('raw', 'raw/MES');
  await promote.open();
  await expect.poll(() => promote.dialog().getByTestId('promote-selection').textContent()).toBe('2 of 2 dates · 510 rows');
  await promote.setMessage('first cleaned MES');

  await promote.checkGate();
  await ui.screenshot('promote-gate-fails');
  // with "fail", an invalid report stops everything: the verdict says so and Promote stays off
  // (without a verdict, the error shown in the dialog is in the diff)
  const verdict = (await promote.dialog().getByTestId('gate-verdict').count()) > 0 ? await promote.verdictText() : '';
  expect(verdict, `no gate verdict; the dialog says: ${await errorOrEmpty(promote.dialog())}`).toMatch(/The gate fails/);
  expect(await promote.canPromote()).toBe(false);

  await promote.setOnInvalid('drop');
  expect(await promote.checkGate()).toBe('checked');
  await expect.poll(() => promote.verdictText()).toMatch(/Passes by dropping (about )?\d+ rows/);
  await expect.poll(() => promote.dialog().getByTestId('dropped').textContent()).toMatch(/OHLC inconsistent: 1 (to drop|dropped)/);
  expect(await promote.canPromote()).toBe(true);
  await ui.screenshot('promote-gate-drop');

  await promote.promote();
  await promote.dialog().waitFor({ state: 'detached', timeout: 60_000 });
  await tree.item('cleaned/v1/MES').waitFor();
  expect(await tree.selectedPath()).toBe('cleaned/v1/MES');
  await expect.poll(() => ui.datasetTitle().textContent()).toBe('cleaned/v1/MES');
  const inputs = await attributeOfAll(page.getByTestId('lineage').locator('[data-lineage-path]'), 'data-lineage-path');
  expect(inputs.some((p) => p?.startsWith('raw/MES/2024-01-02'))).toBe(true);
  expect(inputs.some((p) => p?.startsWith('raw/MES/2024-01-03'))).toBe(true);
  await expect.poll(() => page.getByTestId('sidecar-facts').textContent()).toContain('first cleaned MES');
  await ui.screenshot('promote-v1-lineage');
}

/** The text of the first error shown in a dialog, or ''. */
async function errorOrEmpty(dialog: ReturnType<AppPage['promote']['dialog']>): Promise<string> {
  const panel = dialog.locator('.error-panel');
  return (await panel.count()) > 0 ? ((await panel.first().textContent()) ?? '').trim() : '';
}

/** A damaged file: the error is shown in words, with its code and the file named; the rest of the app goes on. */
export async function corruptedFile(ui: AppPage): Promise<void> {
  const { tree, page } = ui;
  await tree.open('raw', 'raw/NQ', 'raw/NQ/2024-01-02', 'raw/NQ/2024-01-02/bars.parquet');
  const panel = page.locator('.tab-panel .error-panel');
  await panel.waitFor();
  expect(await panel.getAttribute('data-code')).toBe('CORRUPTED_FILE');
  expect(await panel.textContent()).toContain('raw/NQ/2024-01-02/bars.parquet');
  await ui.screenshot('corrupted-file');
  // the app goes on: another dataset opens
  await tree.open('raw', 'raw/MES', 'raw/MES/2024-01-02');
  await ui.showTab('Table');
  expect(await ui.table.rowValues(0)).toMatchObject({ timestamp: '2024-01-01 23:00:00 UTC' });
}
