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
}
