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

  /** Zooms in with the mouse wheel over the plot. */
  async zoomIn(steps: number): Promise<void> {
    const box = await this.box().boundingBox();
    if (!box) throw new Error('the chart is not on screen');
    await this.page.mouse.move(box.x + (box.width - 70) * 0.5, box.y + box.height * 0.4);
    for (let i = 0; i < steps; i++) await this.page.mouse.wheel(0, -1000);
  }
}
