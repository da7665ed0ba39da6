import { describe, expect, it } from 'vitest';
import { useAppInChromium } from './support/appSession.js';
import { buildRawStore, mesCsv } from './support/storeFixtures.js';

/**
 * Drag-drop ingest in the real UI: a CSV dropped on the window is uploaded, read in a dry
 * run (dialect, mapping, zone, preview, snapshots to be written), then ingested; the new
 * snapshot appears in the tree.
 */
describe('drag-drop ingest', () => {
  const app = useAppInChromium('mes-data-e2e-ingest-', buildRawStore);

  it('shows the drop zone, and the overlay while files are dragged over the window', async () => {
    await expect.poll(() => app.ui.page.getByTestId('drop-zone').textContent()).toContain('Drop files to ingest');
    const dataTransfer = await app.ui.page.evaluateHandle(`(() => { const dt = new DataTransfer(); dt.items.add(new File(['x'], 'a.csv')); return dt; })()`);
    await app.ui.page.dispatchEvent('body', 'dragenter', { dataTransfer });
    await app.ui.page.getByTestId('drop-overlay').waitFor();
    await app.ui.screenshot('ingest-drag-over');
    await app.ui.page.dispatchEvent('body', 'dragleave', { dataTransfer });
    await app.ui.page.getByTestId('drop-overlay').waitFor({ state: 'detached' });
  });

  it('a dropped CSV: dry run with dialect, mapping, preview and snapshots; ingest; the snapshot appears in the tree', async () => {
    const { ingest, tree, table } = app.ui;
    await ingest.drop([{ name: 'MES_1min.csv', content: mesCsv() }]);
    const step = await ingest.waitForReview();
    await app.ui.screenshot('ingest-dry-run');
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
    await app.ui.screenshot('ingest-done');
    await ingest.close();

    await tree.item('raw/MES/2024-01-05').waitFor();
    await expect.poll(() => tree.item('raw/MES/2024-01-05').locator('.tree-meta').textContent()).toBe('30');
    await expect.poll(() => app.ui.datasetTitle().textContent()).toBe('raw/MES/2024-01-05');
    expect(await table.rowValues(0)).toMatchObject({ timestamp: '2024-01-04 23:00:00 UTC', volume: '10' });
    await app.ui.screenshot('ingest-in-tree');
  });

  it('reports bad rows with their lines, and with "skip" writes the rest', async () => {
    const { ingest } = app.ui;
    await ingest.choose([{ name: 'MES_bad.csv', content: mesCsv({ badLine: true }) }]);
    const first = await ingest.waitForReview();
    expect({ step: first, error: first === 'failed' ? await ingest.errorText() : '' }).toEqual({ step: 'review', error: '' });
    // the dry run lists the bad line, and says what "fail" would do with it
    await expect.poll(() => ingest.dialog().getByTestId('bad-rows').textContent()).toMatch(/1 bad row.*line 5: unparseable number "4851,x" in column "Open"/);
    await expect.poll(() => ingest.dialog().getByTestId('bad-rows-hint').textContent()).toContain('writes nothing');
    await app.ui.screenshot('ingest-bad-rows-dry-run');

    await ingest.dialog().getByLabel('Bad rows').selectOption('skip');
    await ingest.dialog().getByRole('button', { name: 'Update preview' }).click();
    expect(await ingest.waitForReview()).toBe('review');
    await ingest.confirm();
    expect(await ingest.waitForDone()).toBe('done');
    await expect.poll(() => ingest.dialog().getByTestId('ingest-done').textContent()).toContain('Ingested 29 of 30 rows');
    await expect.poll(() => ingest.dialog().getByTestId('bad-rows').textContent()).toMatch(/line 5/);
    await app.ui.screenshot('ingest-bad-rows');
    await ingest.close();
    await app.ui.tree.item('raw/MES/2024-01-05').waitFor();
    expect(app.ui.pageErrors.filter((e) => !/status of/.test(e))).toEqual([]);
  });
});
