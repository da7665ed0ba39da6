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
    const scroller = this.page.locator('.tree-scroll');
    await scroller.evaluate('(el) => { el.scrollTop = 0; }');
    for (let i = 0; i < 200 && (await this.item(path).count()) === 0; i++) {
      const moved = await scroller.evaluate('(el) => { const before = el.scrollTop; el.scrollTop += el.clientHeight / 2; return el.scrollTop !== before; }');
      await this.page.waitForTimeout(30);
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

  async filter(text: string): Promise<void> {
    await this.page.getByRole('searchbox', { name: 'Filter datasets' }).fill(text);
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
