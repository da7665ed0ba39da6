import { describe, expect, it } from 'vitest';
import { buildFeatures } from '../../core/features/buildFeatures.js';
import { sqlString, withConnection } from '../../core/engine/duckdbEngine.js';
import { initStore } from '../../core/store/openStore.js';
import { barsFromCloses, barsTable, type Bar } from '../helpers/barsTable.js';
import { writeCleanedData } from '../helpers/cleanedVersion.js';
import { AppPage } from './pages/appPage.js';
import type { ChartModel } from './pages/chartModel.js';
import { useAppInChromium } from './support/appSession.js';

/**
 * The chart for traders (issue 17) in Chromium: candles, volume and indicators of the asset's
 * feature sets picked into panes of their own or over the candles, the legend with the bar
 * under the crosshair and the indicators' exact values there, in both themes at 1280×800.
 */

/** 20 trading dates of 90 one-minute MES bars each (14:30–15:59 UTC), 1,800 rows: a chart of every row, not downsampled. */
const DAYS = 20;
const BARS_A_DAY = 90;

function dayBars(day: number): Bar[] {
  const date = new Date(Date.UTC(2024, 2, 4) + day * 86_400_000);
  const closes = Array.from({ length: BARS_A_DAY }, (_, i) => {
    const k = day * BARS_A_DAY + i;
    // a wander in quarter points, with days that trend up and days that trend down
    return Math.round((5100 + 30 * Math.sin(k / 37) + 12 * Math.sin(k / 5.3) + (day % 3) * 4) * 4) / 4;
  });
  return barsFromCloses(`${date.toISOString().slice(0, 10)}T14:30:00Z`, 60, closes);
}

const ALL_BARS: Bar[] = Array.from({ length: DAYS }, (_, d) => dayBars(d)).flat();
const built: { momentum: string; volatility: string; root: string } = { momentum: '', volatility: '', root: '' };

/** cleaned/v1/MES (one partition a date), and momentum_indicators and price_volatility built from it by the product's own builds. */
async function buildChartStore(root: string): Promise<void> {
  const { store } = await initStore(root);
  await writeCleanedData(store, {
    asset: 'MES',
    data: Array.from({ length: DAYS }, (_, d) => {
      const bars = dayBars(d);
      return { table: barsTable(bars), partition: { date: bars[0][0].slice(0, 10) } };
    }),
    sidecar: {
      schema: { name: 'ohlcv', version: '1.0.0' },
      recipe: { name: 'promote', version: '1', parameters: { onInvalid: 'fail' } },
      dependencies: [],
      validation: { valid: true },
      changelog: 'twenty MES days',
    },
  });
  built.root = root;
  built.momentum = (await buildFeatures(store, { set: 'momentum_indicators', asset: 'MES' })).path;
  built.volatility = (await buildFeatures(store, { set: 'price_volatility', asset: 'MES' })).path;
}

/** A feature column's value at a bar time (seconds), read from the set's file by DuckDB: what the legend must show. */
async function featureAt(datasetPath: string, column: string, seconds: number): Promise<number | null> {
  const rows = await withConnection((db) =>
    db.rows(
      `SELECT ${column}::DOUBLE AS v FROM read_parquet(${sqlString(`${built.root}/${datasetPath}/*.parquet`)}) WHERE epoch_ms("timestamp") = ${seconds * 1000}`,
      `reading ${column} of ${datasetPath}`,
    ),
  );
  expect(rows).toHaveLength(1);
  const value = rows[0].v;
  return value === null ? null : Number(value);
}

/** The legend's text for a value: two decimals from 1 up, three significant digits below. */
const shown = (value: number) => (Math.abs(value) >= 1 ? value.toFixed(2) : value.toPrecision(3));
const price = (value: number) => value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** Hovers over `x` of the plot in `pane`, and checks the legend against the bar at its time and the sets' files. */
async function legendMatchesFiles(chart: ChartModel, x: number, pane: number, lines: [path: string, column: string, label: string][]): Promise<number> {
  await chart.hover(x, pane);
  const legend = await chart.legend();
  const index = ALL_BARS.findIndex((b) => Date.parse(b[0]) === legend.time * 1000);
  expect(index).toBeGreaterThanOrEqual(0);
  const [, open, high, low, close, volume] = ALL_BARS[index];
  expect({ row: legend.row, ohlcv: legend.ohlcv }).toEqual({ row: index, ohlcv: { O: `O ${price(open)}`, H: `H ${price(high)}`, L: `L ${price(low)}`, C: `C ${price(close)}`, V: `V ${volume.toLocaleString('en-US')}` } });
  for (const [datasetPath, column, label] of lines) {
    const want = await featureAt(datasetPath, column, legend.time);
    expect({ column, ...legend.values[column] }).toEqual({ column, text: `${label} ${want === null ? '—' : shown(want)}`, value: want });
  }
  return legend.time;
}

describe('the chart for traders', () => {
  const app = useAppInChromium('mes-data-e2e-chart-', buildChartStore);

  it("offers the asset's feature columns; the RSI pane shows under the crosshair the exact value of the set's file", async () => {
    const { tree, chart } = app.ui;
    await tree.open('cleaned', 'cleaned/MES', 'cleaned/v1/MES');
    await app.ui.showTab('Chart');
    expect(await chart.waitForBars()).toBe(DAYS * BARS_A_DAY);
    expect(await chart.indicatorChoices()).toEqual(['MACD (line, signal, histogram)', 'RSI 14', 'Momentum 10', 'ROC 10', 'Realized vol 30d', 'Realized vol 60d', 'vol ratio', 'True range', 'ATR 14']);

    await chart.addIndicator('RSI 14', 'pane');
    const [prices, volume, rsiPane, ...more] = await chart.paneHeights();
    expect(more).toEqual([]);
    expect(rsiPane).toBeGreaterThan(100);
    expect(prices).toBeGreaterThan(rsiPane);
    expect(volume).toBeGreaterThan(40);
    // the crosshair in the RSI pane, at two places: the legend's bar and value follow it
    const first = await legendMatchesFiles(chart, 0.62, 2, [[built.momentum, 'rsi_14', 'RSI 14']]);
    const second = await legendMatchesFiles(chart, 0.3, 2, [[built.momentum, 'rsi_14', 'RSI 14']]);
    expect(second).toBeLessThan(first);
    const rsi = (await chart.legend()).values.rsi_14.value;
    expect(rsi).not.toBeNull();
    expect(rsi).toBeGreaterThan(0);
    expect(rsi).toBeLessThan(100);
    await app.ui.screenshot('chart-rsi-pane');

    // MACD in a pane of its own (line, signal, histogram), ATR over the candles on the left axis
    await chart.addIndicator('MACD (line, signal, histogram)', 'pane');
    await chart.addIndicator('ATR 14', 'overlay');
    expect(await chart.indicators()).toEqual([
      { text: 'RSI 14 · pane', place: 'pane' },
      { text: 'MACD (line, signal, histogram) · pane', place: 'pane' },
      { text: 'ATR 14 · overlay', place: 'overlay' },
    ]);
    expect(await chart.paneHeights()).toHaveLength(4);
    await legendMatchesFiles(chart, 0.85, 3, [
      [built.momentum, 'rsi_14', 'RSI 14'],
      [built.momentum, 'macd_line', 'MACD line'],
      [built.momentum, 'macd_signal', 'MACD signal'],
      [built.momentum, 'macd_histogram', 'MACD histogram'],
    ]);
    // ATR is a value per trading date (00:00 UTC): the day's bars show that date's value
    const legend = await chart.legend();
    const day = Math.floor(legend.time / 86_400) * 86_400;
    const atr = await featureAt(built.volatility, 'atr_14', day);
    expect(legend.values.atr_14).toEqual({ text: `ATR 14 ${atr === null ? '—' : shown(atr)}`, value: atr });
    expect(atr).not.toBeNull();
    await app.ui.screenshot('chart-indicators');

    await chart.removeIndicator('RSI 14');
    await expect.poll(() => chart.paneHeights().then((h) => h.length)).toBe(3);
    expect((await chart.indicators()).map((i) => i.text)).toEqual(['MACD (line, signal, histogram) · pane', 'ATR 14 · overlay']);
    expect(app.ui.pageErrors).toEqual([]);
  });

  it('in dark colours: the RSI pane and its legend value', async () => {
    const dark = await AppPage.open(app.browser, app.url, { colorScheme: 'dark' });
    try {
      await dark.waitForWorkbench();
      await dark.tree.open('cleaned', 'cleaned/MES', 'cleaned/v1/MES');
      await dark.showTab('Chart');
      expect(await dark.chart.waitForBars()).toBe(DAYS * BARS_A_DAY);
      await dark.chart.addIndicator('RSI 14', 'pane');
      await dark.chart.addIndicator('MACD (line, signal, histogram)', 'pane');
      await legendMatchesFiles(dark.chart, 0.5, 2, [[built.momentum, 'rsi_14', 'RSI 14']]);
      await dark.screenshot('dark-chart-indicators');
      expect(dark.pageErrors).toEqual([]);
    } finally {
      await dark.close();
    }
  });
});
