import type { Locator, Page } from 'playwright-core';
import { attributeOfAll } from './domRead.js';

/** The compare view (two versions of a dataset): summary, schema, the strip of dates, the rows of one date. */
export class CompareModel {
  constructor(private readonly page: Page) {}

  view(): Locator {
    return this.page.getByTestId('compare-view');
  }

  /** "Compare…" from the tree's context menu on a version row. */
  async openFromTree(path: string): Promise<void> {
    await this.page.locator(`[role="treeitem"][data-path="${path}"]`).click({ button: 'right' });
    await this.page.getByRole('menu').getByRole('menuitem', { name: /^Compare…/ }).click();
    await this.view().waitFor();
  }

  /** The two versions picked, A and B. */
  async pair(): Promise<[string, string]> {
    return [await this.page.getByLabel('Version A').inputValue(), await this.page.getByLabel('Version B').inputValue()];
  }

  /** The summary line once the diff job has ended. */
  async summary(): Promise<string> {
    const line = this.page.getByTestId('compare-summary').locator('strong');
    const failed = this.view().getByRole('alert');
    await line.or(failed).first().waitFor({ timeout: 60_000 });
    if ((await failed.count()) > 0) throw new Error(`the compare view shows an error: ${(await failed.first().textContent()) ?? ''}`);
    return (await line.textContent()) ?? '';
  }

  async schemaText(): Promise<string> {
    return (await this.page.getByTestId('compare-schema').textContent()) ?? '';
  }

  /** The strip's bars as their labels ("2024-01-03: 0 added, 3 removed, 0 changed"), in order. */
  async dateBars(): Promise<string[]> {
    return (await attributeOfAll(this.page.locator('.compare-strip .strip-bar'), 'aria-label')).map((l) => l ?? '');
  }

  /** The date whose rows are shown (its bar is pressed). */
  async selectedDate(): Promise<string | null> {
    return this.page.locator('.compare-strip .strip-bar[aria-pressed="true"]').getAttribute('data-date');
  }

  async pickDate(date: string): Promise<void> {
    await this.page.locator(`.compare-strip .strip-bar[data-date="${date}"]`).click();
    await this.page.locator(`section[aria-label="Rows of ${date}"][aria-busy="false"]`).waitFor();
  }

  /** The rows of the date shown, once read: kind and each cell's text; changed cells as "old → new". */
  async rows(): Promise<{ kind: string; cells: Record<string, string>; changed: string[] }[]> {
    await this.page.locator('section.compare-rows[aria-busy="false"]').waitFor();
    const rows = this.page.locator('.compare-table tbody tr');
    const out = [];
    for (let i = 0; i < (await rows.count()); i++) {
      const row = rows.nth(i);
      const cells: Record<string, string> = {};
      const changed: string[] = [];
      const tds = row.locator('td[data-column]');
      for (let k = 0; k < (await tds.count()); k++) {
        const td = tds.nth(k);
        const column = (await td.getAttribute('data-column')) ?? '';
        cells[column] = ((await td.textContent()) ?? '').replace(/\s+/g, ' ').trim();
        if ((await td.getAttribute('class'))?.includes('cell-changed')) changed.push(column);
      }
      out.push({ kind: (await row.getAttribute('data-kind')) ?? '', cells, changed });
    }
    return out;
  }

  async dateCounts(): Promise<string> {
    return ((await this.page.getByTestId('date-counts').textContent()) ?? '').replace(/\s+/g, ' ').trim();
  }

  async rowsRange(): Promise<string> {
    return (await this.page.getByTestId('rows-range').textContent()) ?? '';
  }

  /** Shows or hides a kind of row (added, removed, changed). */
  async toggleKind(kind: 'added' | 'removed' | 'changed'): Promise<void> {
    await this.page.getByRole('group', { name: 'Kinds of rows shown' }).getByLabel(kind).click();
  }

  async close(): Promise<void> {
    await this.view().getByRole('button', { name: 'Close' }).click();
  }
}
