import type { Locator, Page } from 'playwright-core';
import { attributeOfAll, clippedOfAll } from './domRead.js';

/** The dataset tree (role=tree): rows are treeitems carrying their store path in data-path. */
export class TreeModel {
  constructor(private readonly page: Page) {}

  root(): Locator {
    return this.page.getByRole('tree');
  }

  item(path: string): Locator {
    return this.page.locator(`[role="treeitem"][data-path="${path}"]`);
  }

  /** Paths of the rows on screen, top to bottom. */
  async visiblePaths(): Promise<string[]> {
    return (await attributeOfAll(this.page.locator('[role="treeitem"]'), 'data-path')).map((p) => p ?? '');
  }

  /**
   * The tree renders only the rows near its viewport (it is virtualized): scrolls it from
   * the top until the row of `path` is rendered.
   */
  async scrollTo(path: string): Promise<void> {
    if ((await this.item(path).count()) > 0) return;
    await this.page.evaluate(`document.querySelector('.tree-scroll').scrollTop = 0`);
    for (let i = 0; i < 2000 && (await this.item(path).count()) === 0; i++) {
      const moved = await this.page.evaluate<boolean>(`(() => {
        const el = document.querySelector('.tree-scroll');
        const before = el.scrollTop;
        el.scrollTop += el.clientHeight / 2;
        return el.scrollTop !== before;
      })()`);
      await this.rowsCoverViewport();
      if (!moved && (await this.item(path).count()) === 0) break;
    }
    await this.item(path).waitFor();
  }

  /** Date spans on screen that do not fit their row, as rendered. */
  async clippedSpans(): Promise<string[]> {
    return (await clippedOfAll(this.page.locator('[role="treeitem"] .tree-span'), 'class')).map(([, text]) => text);
  }

  async isExpanded(path: string): Promise<boolean> {
    return (await this.item(path).getAttribute('aria-expanded')) === 'true';
  }

  async expand(path: string): Promise<void> {
    await this.scrollTo(path);
    if (!(await this.isExpanded(path))) await this.item(path).locator('.chevron').click();
    await this.page.locator(`[role="treeitem"][data-path="${path}"][aria-expanded="true"]`).waitFor();
  }

  /** Opens each level down to `path` (e.g. ['raw', 'raw/ES', 'raw/ES/2024-02-01']) and clicks the last. */
  async open(...chain: string[]): Promise<void> {
    for (const step of chain.slice(0, -1)) await this.expand(step);
    const last = chain[chain.length - 1];
    await this.scrollTo(last);
    await this.item(last).click();
  }

  searchBox(): Locator {
    return this.page.getByRole('searchbox', { name: 'Search datasets' });
  }

  /** Types a query into the search box (the host's tree.search answers once typing pauses). */
  async search(text: string): Promise<void> {
    await this.searchBox().fill(text);
  }

  /** The line under the search box once the answer for the query typed is in ('' without a query). */
  async searchSummary(): Promise<string> {
    const line = this.page.getByTestId('tree-search-summary');
    if ((await line.count()) === 0) return '';
    return (await line.textContent()) ?? '';
  }

  /** Paths of the matches on screen (rows marked data-match="true"). */
  async matchedPaths(): Promise<string[]> {
    return (await attributeOfAll(this.page.locator('[role="treeitem"][data-match="true"]'), 'data-path')).map((p) => p ?? '');
  }

  /** Waits until the rows rendered cover the tree's viewport (the virtualizer follows a scroll a frame later). */
  private async rowsCoverViewport(): Promise<void> {
    // polled through page.evaluate: waitForFunction evaluates a string predicate with eval, which the page's CSP refuses
    const deadline = Date.now() + 10_000;
    while (!(await this.page.evaluate<boolean>(`(() => {
      const scroller = document.querySelector('.tree-scroll');
      const list = document.querySelector('[role="tree"]');
      const slots = [...document.querySelectorAll('.tree-slot')];
      if (!scroller || !list || slots.length === 0) return true;
      const view = scroller.getBoundingClientRect();
      const bottom = Math.min(view.bottom, list.getBoundingClientRect().bottom);
      const tops = slots.map((slot) => slot.getBoundingClientRect());
      return Math.min(...tops.map((r) => r.top)) <= view.top + 1 && Math.max(...tops.map((r) => r.bottom)) >= bottom - 1;
    })()`))) {
      if (Date.now() > deadline) throw new Error('the tree\'s rows did not cover its viewport within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 16));
    }
  }

  /** Paths of every row of the tree, top to bottom, scrolling through it (it renders only the rows near its viewport). */
  async allPaths(): Promise<string[]> {
    // a string is evaluated as an expression in the page (a function in a string would not be called)
    await this.page.evaluate(`document.querySelector('.tree-scroll').scrollTop = 0`);
    const seen: string[] = [];
    for (let i = 0; i < 2000; i++) {
      await this.rowsCoverViewport();
      for (const p of await this.visiblePaths()) if (!seen.includes(p)) seen.push(p);
      const moved = await this.page.evaluate<boolean>(`(() => {
        const el = document.querySelector('.tree-scroll');
        const before = el.scrollTop;
        el.scrollTop += el.clientHeight / 2;
        return el.scrollTop !== before;
      })()`);
      if (!moved) break;
    }
    await this.page.evaluate(`document.querySelector('.tree-scroll').scrollTop = 0`);
    return seen;
  }

  /**
   * Clicks the chevron of `path` and measures, in the page, the milliseconds from the click
   * event to the frame after the one in which the row of `child` was first in the document
   * (the rows painted).
   */
  async expandTimed(path: string, child: string): Promise<number> {
    await this.scrollTo(path);
    const selector = JSON.stringify(`[role="treeitem"][data-path="${child}"]`);
    // void: evaluate would wait for the promise, which only the click below resolves
    await this.page.evaluate(`void (window.__mesTreeTiming = new Promise((resolve) => {
      document.addEventListener('click', (event) => {
        const t0 = event.timeStamp;
        const check = () => (document.querySelector(${selector}) ? requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - t0), 0)) : requestAnimationFrame(check));
        check();
      }, { capture: true, once: true });
    }))`);
    await this.item(path).locator('.chevron').click();
    return this.page.evaluate<number>('window.__mesTreeTiming');
  }

  async focus(): Promise<void> {
    await this.root().focus();
  }

  async press(key: string): Promise<void> {
    await this.root().press(key);
  }

  /** The path of the row keyboard focus is on (aria-activedescendant). */
  async focusedPath(): Promise<string | null> {
    const id = await this.root().getAttribute('aria-activedescendant');
    if (!id) return null;
    return this.page.locator(`[id="${id}"]`).getAttribute('data-path');
  }

  async selectedPath(): Promise<string | null> {
    const selected = this.page.locator('[role="treeitem"][aria-selected="true"]');
    if ((await selected.count()) === 0) return null;
    return selected.first().getAttribute('data-path');
  }
}
