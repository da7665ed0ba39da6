import type { Locator, Page } from 'playwright-core';

/** The Chart tab: lightweight-charts draws on canvases; the summary line says what is drawn and marked. */
export class ChartModel {
  constructor(private readonly page: Page) {}

  box(): Locator {
    return this.page.getByTestId('chart');
  }

  /** Waits for bars to be drawn; returns how many. */
  async waitForBars(): Promise<number> {
    await this.page.locator('[data-testid="chart-summary"][data-bars]:not([data-bars="0"])').waitFor();
    return Number(await this.page.getByTestId('chart-summary').getAttribute('data-bars'));
  }

  /** Heights in pixels of the chart's panes, top to bottom (prices, then volume). */
  async paneHeights(): Promise<number[]> {
    await this.page.locator('[data-testid="chart"][data-pane-heights]:not([data-pane-heights=""])').waitFor();
    return ((await this.box().getAttribute('data-pane-heights')) ?? '').split(',').map(Number);
  }

  async summary(): Promise<string> {
    return ((await this.page.getByTestId('chart-summary').textContent()) ?? '').trim();
  }

  /** Bars marked with validation issues. */
  async markedBars(): Promise<number> {
    return Number(await this.page.getByTestId('chart-summary').getAttribute('data-markers'));
  }

  /** Clicks the plot at a fraction of its width (and mid-height), returns the row the app selected. */
  async clickAt(fraction: number): Promise<number> {
    const box = await this.box().boundingBox();
    if (!box) throw new Error('the chart is not on screen');
    // the price scale takes about 70 px on the right
    const x = box.x + (box.width - 70) * fraction;
    await this.page.mouse.click(x, box.y + box.height * 0.4);
    await this.page.getByTestId('chart-clicked').waitFor();
    return Number(await this.page.getByTestId('chart-clicked').getAttribute('data-row'));
  }

  /** The bucket of the bars in the middle of the view, in seconds (the overview's until a finer window arrives). */
  async bucketSeconds(): Promise<number> {
    return Number(await this.page.getByTestId('chart-summary').getAttribute('data-bucket-seconds'));
  }

  /**
   * Waits until the chart shows bars finer than `bucketSeconds` and fetches nothing more
   * (the finer window of a zoom has arrived and the view has settled).
   */
  async waitForFinerThan(bucketSeconds: number, timeout = 60_000): Promise<number> {
    // read from Node: the page's CSP forbids evaluating strings (page.waitForFunction)
    const summary = this.page.getByTestId('chart-summary');
    const deadline = Date.now() + timeout;
    for (;;) {
      const [state, bucket] = [await summary.getAttribute('data-detail'), Number(await summary.getAttribute('data-bucket-seconds'))];
      if (state === 'idle' && bucket < bucketSeconds) return bucket;
      if (Date.now() > deadline) throw new Error(`the chart did not settle on bars finer than ${bucketSeconds} s within ${timeout} ms: bucket ${bucket} s, detail ${state ?? 'unknown'}`);
      await this.page.waitForTimeout(100);
    }
  }

  /**
   * Waits for the session breaks of the view to be drawn (the instrument's sessions
   * fetched, separators placed) and returns how many are on screen and the zone of the
   * sessions; `state` is `off` when the view draws none (daily bars, a wide view).
   */
  async sessionBreaks(timeout = 30_000): Promise<{ state: string; count: number; zone: string }> {
    const overlay = this.page.getByTestId('session-breaks');
    const start = Date.now();
    for (;;) {
      const state = (await overlay.getAttribute('data-state')) ?? '';
      // 'off' may be the moment before the view's range is known: it counts once it has held 2 s
      if (state === 'drawn' || (state === 'off' && Date.now() - start > 2000)) {
        return { state, count: Number(await overlay.getAttribute('data-count')), zone: (await overlay.getAttribute('data-zone')) ?? '' };
      }
      if (Date.now() - start > timeout) throw new Error(`the chart's session breaks did not settle within ${timeout} ms: state ${state || 'unknown'}`);
      await this.page.waitForTimeout(100);
    }
  }

  /** Where the session breaks drawn stand: x in the plot (CSS pixels), left to right, and their kind (`daily`, `closed`). */
  async sessionBreakLines(): Promise<{ x: number; kind: string }[]> {
    const out: { x: number; kind: string }[] = [];
    for (const line of await this.page.getByTestId('session-breaks').locator('.session-break').all()) {
      const kind = ((await line.getAttribute('class')) ?? '').split(' ').find((c) => c !== 'session-break') ?? '';
      out.push({ x: Number(await line.getAttribute('data-x')), kind });
    }
    return out;
  }

  /** The indicators the picker offers, in its order (the asset's feature columns; waits for the feature sets to be looked up). */
  async indicatorChoices(): Promise<string[]> {
    await this.page.locator('[data-testid="indicator-picker"]:not([data-state="loading"])').waitFor();
    return this.page.getByTestId('indicator-picker').getByLabel('Indicator').locator('option').allTextContents();
  }

  /** Adds an indicator from the picker, in a pane of its own or over the candles, and waits until the legend carries its values. */
  async addIndicator(label: string, place: 'pane' | 'overlay'): Promise<void> {
    const picker = this.page.getByTestId('indicator-picker');
    await picker.getByLabel('Indicator').selectOption({ label });
    const chips = await picker.getByTestId('indicator-chip').count();
    await picker.getByRole('button', { name: place === 'pane' ? 'Add pane' : 'Overlay', exact: true }).click();
    await picker.getByTestId('indicator-chip').nth(chips).waitFor();
    await this.waitForIndicatorValues();
  }

  /** Removes an indicator by its chip's remove button. */
  async removeIndicator(label: string): Promise<void> {
    await this.page.getByTestId('indicator-picker').getByRole('button', { name: `Remove ${label}`, exact: true }).click();
  }

  /** The indicators on the chart, as their chips say: label and place. */
  async indicators(): Promise<{ text: string; place: string }[]> {
    const out: { text: string; place: string }[] = [];
    for (const chip of await this.page.getByTestId('indicator-chip').all()) out.push({ text: ((await chip.textContent()) ?? '').replace('×', '').trim(), place: (await chip.getAttribute('data-place')) ?? '' });
    return out;
  }

  /** Waits until no legend value waits for its answer ("…"). */
  async waitForIndicatorValues(timeout = 30_000): Promise<void> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const texts = await this.page.getByTestId('legend-value').allTextContents();
      if (texts.length > 0 && !texts.some((t) => t.endsWith('…'))) return;
      if (Date.now() > deadline) throw new Error(`the chart's legend did not get its indicator values within ${timeout} ms: ${texts.join(' | ')}`);
      await this.page.waitForTimeout(100);
    }
  }

  /**
   * Moves the mouse over the plot: `x` a fraction of the plot's width (between the price
   * axes), in pane `pane` (0 the candles, 1 the volume, 2… the indicators), at its middle;
   * waits for the legend to show the bar under the crosshair.
   */
  async hover(x: number, pane: number): Promise<void> {
    const box = await this.box().boundingBox();
    if (!box) throw new Error('the chart is not on screen');
    const heights = await this.paneHeights();
    if (pane >= heights.length) throw new Error(`the chart has ${heights.length} panes, not a pane ${pane}`);
    // the price axes: about 70 px on the right, as much on the left when an overlay has its axis there
    const left = Number(await this.box().getAttribute('data-left-axis'));
    const top = heights.slice(0, pane).reduce((sum, h) => sum + h + 1, 0) + heights[pane] / 2;
    await this.page.mouse.move(box.x + left + (box.width - left - 70) * x, box.y + top);
    await this.page.locator('[data-testid="chart-legend"][data-hover="yes"]').waitFor();
  }

  /** What the legend shows: the bar's time (seconds) and first row, its OHLCV as text, and each indicator line's text and exact value. */
  async legend(): Promise<{ time: number; row: number; timeText: string; ohlcv: Record<string, string>; values: Record<string, { text: string; value: number | null }> }> {
    const legend = this.page.getByTestId('chart-legend');
    const ohlcv: Record<string, string> = {};
    for (const item of await legend.getByTestId('legend-ohlcv').all()) ohlcv[(await item.getAttribute('data-name')) ?? ''] = ((await item.textContent()) ?? '').trim();
    const values: Record<string, { text: string; value: number | null }> = {};
    for (const item of await legend.getByTestId('legend-value').all()) {
      const raw = (await item.getAttribute('data-value')) ?? '';
      values[(await item.getAttribute('data-column')) ?? ''] = { text: ((await item.textContent()) ?? '').trim(), value: raw === '' ? null : Number(raw) };
    }
    return {
      time: Number(await legend.getAttribute('data-time')),
      row: Number(await legend.getAttribute('data-row')),
      timeText: ((await legend.locator('.legend-time').textContent()) ?? '').trim(),
      ohlcv,
      values,
    };
  }

  /** Zooms in with the mouse wheel over the plot. */
  async zoomIn(steps: number): Promise<void> {
    const box = await this.box().boundingBox();
    if (!box) throw new Error('the chart is not on screen');
    await this.page.mouse.move(box.x + (box.width - 70) * 0.5, box.y + box.height * 0.4);
    for (let i = 0; i < steps; i++) await this.page.mouse.wheel(0, -1000);
  }
}
