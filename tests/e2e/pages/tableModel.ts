import type { Locator, Page } from 'playwright-core';
import { attributeAndTextOfAll, attributeOfAll, clippedOfAll } from './domRead.js';

/** The Table tab: a role=grid whose rows carry their 0-based dataset row in data-row and cells their column in data-col. */
export class TableModel {
  constructor(private readonly page: Page) {}

  grid(): Locator {
    return this.page.getByRole('grid');
  }

  row(row: number): Locator {
    return this.page.locator(`[role="grid"] [role="row"][data-row="${row}"]`);
  }

  cell(row: number, column: string): Locator {
    return this.row(row).locator(`[role="gridcell"][data-col="${column}"]`);
  }

  /** Waits until the row's page has arrived and returns its cells by column. */
  async rowValues(row: number): Promise<Record<string, string>> {
    await this.row(row).locator('[role="gridcell"][data-col]').first().waitFor();
    return Object.fromEntries(await attributeAndTextOfAll(this.row(row).locator('[role="gridcell"][data-col]'), 'data-col', null));
  }

  /** Column headers: name → type as shown. */
  async headers(): Promise<Record<string, string>> {
    return Object.fromEntries(await attributeAndTextOfAll(this.page.locator('[role="grid"] [role="columnheader"][data-col]'), 'data-col', '.col-type'));
  }

  async goToRow(row: number): Promise<void> {
    await this.page.getByLabel('Go to row').fill(String(row));
    await this.page.getByLabel('Go to row').press('Enter');
  }

  /** The row selected (highlighted) in the grid, or null. */
  async selectedRow(): Promise<number | null> {
    const selected = this.page.locator('[role="grid"] [role="row"][aria-selected="true"]');
    if ((await selected.count()) === 0) return null;
    return Number(await selected.first().getAttribute('data-row'));
  }

  async waitForSelectedRow(row: number): Promise<void> {
    await this.page.locator(`[role="grid"] [role="row"][aria-selected="true"][data-row="${row}"]`).waitFor();
  }

  /** Rows marked with validation errors (or, with `warnings`, only warnings) among those rendered. */
  async issueRows(kind: 'errors' | 'warnings' = 'errors'): Promise<number[]> {
    const selector = `[role="grid"] [role="row"].${kind === 'errors' ? 'has-issue' : 'has-warning'}`;
    return (await attributeOfAll(this.page.locator(selector), 'data-row')).map(Number).sort((a, b) => a - b);
  }

  async setColumnVisible(column: string, visible: boolean): Promise<void> {
    await this.page.getByRole('button', { name: /^Columns/ }).click();
    const box = this.page.getByRole('group', { name: 'Show or hide columns' }).getByRole('checkbox', { name: column, exact: false });
    if ((await box.isChecked()) !== visible) await box.click();
    await this.page.getByRole('button', { name: 'Done' }).click();
  }

  /** Cells of the rendered rows whose text does not fit their column: [column, text as rendered]. */
  async clippedCells(): Promise<[string, string][]> {
    return clippedOfAll(this.page.locator('[role="grid"] [role="row"][data-row] [role="gridcell"][data-col]'), 'data-col');
  }

  /** The full value a cell shows in its tooltip. */
  async cellTooltip(row: number, column: string): Promise<string | null> {
    return this.cell(row, column).getAttribute('title');
  }

  /** Selects a cell, copies it with Ctrl+C and returns what the clipboard holds (needs the clipboard permissions). */
  async copyCell(row: number, column: string): Promise<string> {
    await this.cell(row, column).click();
    await this.grid().press('Control+c');
    await this.page.getByRole('status').filter({ hasText: `Copied ${column} of row ${row.toLocaleString('en-US')}` }).waitFor();
    return String(await this.page.evaluate('navigator.clipboard.readText()'));
  }

  async rowCountText(): Promise<string> {
    return (await this.page.getByTestId('row-count').textContent()) ?? '';
  }

  /** Clicks a column's name: sorted ascending, then descending, then not (over the whole dataset, by the host). */
  async clickHeader(column: string): Promise<void> {
    await this.page.locator(`[role="grid"] [role="columnheader"][data-col="${column}"] .sort-button`).click();
  }

  /** The column's aria-sort: ascending, descending or none. */
  async sortOf(column: string): Promise<string | null> {
    return this.page.locator(`[role="grid"] [role="columnheader"][data-col="${column}"]`).getAttribute('aria-sort');
  }

  /** Shows the filter row, types a range (min, max) or a text into a column's filter cells and applies it with Enter. */
  async filter(column: string, value: { min?: string; max?: string; text?: string }): Promise<void> {
    if ((await this.page.getByRole('button', { name: 'Filter', exact: true }).getAttribute('aria-pressed')) !== 'true') await this.page.getByRole('button', { name: 'Filter', exact: true }).click();
    const cells = this.page.locator(`[role="grid"] [data-filter="${column}"]`);
    if (value.min !== undefined) await cells.getByLabel(`${column} from`).fill(value.min);
    if (value.max !== undefined) await cells.getByLabel(`${column} to`).fill(value.max);
    if (value.text !== undefined) await cells.getByLabel(`${column} contains`).fill(value.text);
    await cells.locator('input').first().press('Enter');
  }

  /** The time-range picker (a group under the toolbar), when open. */
  timeRangePanel(): Locator {
    return this.page.getByRole('group', { name: 'Time range' });
  }

  /**
   * With the keyboard only: Alt+Z opens the time-range picker on From, the bounds are typed,
   * Tab goes to the clock they are typed in (Space picks it) and Enter in To applies them.
   */
  async timeRange(from: string, to: string, clock: 'Exchange time' | 'UTC'): Promise<void> {
    await this.page.keyboard.press('Alt+z');
    await this.page.waitForFunction('document.activeElement?.getAttribute("aria-label") === "Time from"');
    await this.page.keyboard.press('Control+a');
    await this.page.keyboard.type(from);
    await this.page.keyboard.press('Tab');
    await this.page.keyboard.press('Control+a');
    await this.page.keyboard.type(to);
    await this.page.keyboard.press('Tab');
    if (clock === 'UTC') await this.page.keyboard.press('Tab');
    await this.page.keyboard.press('Space');
    await this.page.keyboard.press('Shift+Tab');
    if (clock === 'UTC') await this.page.keyboard.press('Shift+Tab');
    await this.page.keyboard.press('Enter');
  }

  /** What the picker (or, once closed, the strip under the toolbar) says of the bounds, in both clocks. */
  async timeRangeEcho(): Promise<string> {
    const echo = this.page.locator('[data-testid="time-range-echo"], [data-testid="time-range-strip"]');
    return ((await echo.first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
  }

  async clearQuery(): Promise<void> {
    await this.page.getByRole('button', { name: 'Clear sort and filters' }).click();
  }

  /** Opens the SQL box, runs `sql` and waits for its result or its error. */
  async runSql(sql: string): Promise<void> {
    if ((await this.page.getByRole('button', { name: 'SQL', exact: true }).getAttribute('aria-pressed')) !== 'true') await this.page.getByRole('button', { name: 'SQL', exact: true }).click();
    await this.page.getByLabel('SQL', { exact: true }).fill(sql);
    await this.page.getByRole('button', { name: 'Run', exact: true }).click();
    await this.page.locator('[data-testid="sql-result"], [data-testid="sql-error"]').first().waitFor();
  }

  /** The SQL result: its column names and its rows as the cells' exact values (their tooltips). */
  async sqlResult(): Promise<{ columns: string[]; rows: (string | null)[][]; count: string }> {
    const table = this.page.getByTestId('sql-result');
    const columns = await table.locator('thead th').allTextContents();
    const rows: (string | null)[][] = [];
    for (const row of await table.locator('tbody tr').all()) {
      const cells: (string | null)[] = [];
      for (const cell of await row.locator('td').all()) cells.push(await cell.getAttribute('title'));
      rows.push(cells);
    }
    return { columns, rows, count: (await this.page.getByTestId('sql-count').textContent()) ?? '' };
  }

  async sqlError(): Promise<string> {
    return (await this.page.getByTestId('sql-error').textContent()) ?? '';
  }

  /** Exports the SQL result and answers what the panel says it wrote. */
  async exportSql(format: 'CSV' | 'Parquet'): Promise<string> {
    await this.page.getByRole('button', { name: `Export ${format}`, exact: true }).click();
    await this.page.getByTestId('sql-export').waitFor();
    return (await this.page.getByTestId('sql-export').textContent()) ?? '';
  }
}
