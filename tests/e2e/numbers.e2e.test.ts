import { describe, expect, it } from 'vitest';
import { useAppInChromium } from './support/appSession.js';
import { INDICATOR_ROWS, buildNumbersStore } from './support/storeFixtures.js';

/**
 * Numbers as a trader reads them: never cut, prices to the tick, indicators to six
 * significant digits, separators, timestamps at the precision the data has; the exact
 * value in the tooltip and in what is copied.
 */
describe('numbers in the table', () => {
  const app = useAppInChromium('mes-data-e2e-numbers-', (storeDir) => buildNumbersStore(storeDir));

  it('writes indicators to significant digits without cutting them; the tooltip and the copy hold the exact value', async () => {
    const { ui } = app;
    const { tree, table } = ui;
    await ui.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(app.url).origin });
    await tree.open('features', 'features/MES', 'features/MES/momentum_indicators', 'features/v1/MES/momentum_indicators');
    await expect.poll(() => ui.datasetTitle().textContent()).toBe('features/v1/MES/momentum_indicators');
    await ui.showTab('Table');
    expect(await table.rowValues(0)).toEqual({ timestamp: '2024-01-02 00:00:00 UTC', rsi_14: '66.6667', macd_line: '-3.39427', macd_signal: '0.000123457', momentum_10: '1,234,568' });
    expect(await table.rowValues(1)).toEqual({ timestamp: '2024-01-03 00:00:00 UTC', rsi_14: '69.3432', macd_line: '-0.5', macd_signal: '12', momentum_10: '-42.25' });
    expect(await table.clippedCells()).toEqual([]);
    expect(await table.cellTooltip(0, 'rsi_14')).toBe(String(INDICATOR_ROWS[0].rsi_14));
    expect(await table.cellTooltip(1, 'rsi_14')).toBe('69.3431689487458');
    expect(await table.copyCell(0, 'macd_line')).toBe('-3.394266717337814');
    expect(await table.copyCell(0, 'momentum_10')).toBe('1234567.891');
    await ui.screenshot('numbers-indicators');
    expect(ui.pageErrors).toEqual([]);
  });

  it('writes prices to the quarter-point tick, counts with separators, times to the millisecond, and "1 row"', async () => {
    const { ui } = app;
    const { tree, table } = ui;
    await tree.open('raw', 'raw/MES', 'raw/MES/2024-01-02');
    await expect.poll(() => ui.datasetTitle().textContent()).toBe('raw/MES/2024-01-02');
    await ui.showTab('Table');
    expect(await table.rowValues(0)).toEqual({ timestamp: '2024-01-02 14:30:00.125 UTC', open: '4,780.00', high: '4,781.25', low: '4,779.50', close: '4,780.75', volume: '1,234,567' });
    expect(await table.rowCountText()).toBe('1 row');
    expect(await table.cellTooltip(0, 'timestamp')).toBe('2024-01-02T14:30:00.125000000Z');
    await ui.setTimeMode('Exchange time');
    await expect.poll(() => table.cell(0, 'timestamp').textContent()).toBe('2024-01-02 08:30:00.125 CST');
    await ui.setTimeMode('UTC');
    expect(await table.clippedCells()).toEqual([]);
    expect(await tree.clippedSpans()).toEqual([]);
    expect(ui.pageErrors).toEqual([]);
  });

  it("writes prices to the instrument registry's tick: Euro FX (6E) to 0.00005", async () => {
    const { ui } = app;
    const { tree, table } = ui;
    await tree.open('raw', 'raw/6E', 'raw/6E/2024-01-02');
    await expect.poll(() => ui.datasetTitle().textContent()).toBe('raw/6E/2024-01-02');
    await ui.showTab('Table');
    await expect.poll(() => table.cell(0, 'open').textContent()).toBe('1.10000');
    expect(await table.rowValues(0)).toEqual({ timestamp: '2024-01-01 23:00:00 UTC', open: '1.10000', high: '1.10055', low: '1.09995', close: '1.10005', volume: '120' });
    expect(await table.rowValues(1)).toEqual({ timestamp: '2024-01-01 23:01:00 UTC', open: '1.10005', high: '1.10010', low: '1.10000', close: '1.10000', volume: '80' });
    expect(ui.pageErrors).toEqual([]);
  });

  it("shows exchange time in the instrument's zone: a stock registered on NYSE hours in New York time, to its cent tick", async () => {
    const { ui } = app;
    const { tree, table } = ui;
    await tree.open('raw', 'raw/NVDA', 'raw/NVDA/2024-01-02');
    await expect.poll(() => ui.datasetTitle().textContent()).toBe('raw/NVDA/2024-01-02');
    await ui.showTab('Table');
    await expect.poll(() => table.cell(0, 'open').textContent()).toBe('49.24');
    await ui.setTimeMode('Exchange time');
    await expect.poll(() => table.cell(0, 'timestamp').textContent()).toBe('2024-01-02 09:30:00 EST');
    await expect.poll(() => ui.page.getByRole('contentinfo').textContent()).toContain('Exchange time (America/New_York)');
    await ui.setTimeMode('UTC');
    expect(await table.cell(0, 'timestamp').textContent()).toBe('2024-01-02 14:30:00 UTC');
    expect(ui.pageErrors).toEqual([]);
  });
});
