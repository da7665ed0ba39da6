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

  /** Zooms in with the mouse wheel over the plot. */
  async zoomIn(steps: number): Promise<void> {
    const box = await this.box().boundingBox();
    if (!box) throw new Error('the chart is not on screen');
    await this.page.mouse.move(box.x + (box.width - 70) * 0.5, box.y + box.height * 0.4);
    for (let i = 0; i < steps; i++) await this.page.mouse.wheel(0, -1000);
  }
}
