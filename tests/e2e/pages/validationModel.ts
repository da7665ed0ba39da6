import type { Locator, Page } from 'playwright-core';
import { attributeAndTextOfAll } from './domRead.js';

/** Click to validate: the dialog (schema, mode) and the report panel beside the dataset. */
export class ValidationModel {
  constructor(private readonly page: Page) {}

  panel(): Locator {
    return this.page.getByTestId('report-panel');
  }

  dialog(): Locator {
    return this.page.getByTestId('validate-dialog');
  }

  /** Opens the dialog from the dataset's Validate button and picks a schema and a mode. */
  async choose(schema = 'ohlcv', mode: 'strict' | 'coerce' | 'ignore' = 'strict'): Promise<void> {
    await this.page.locator('.dataset-actions').getByRole('button', { name: 'Validate…' }).click();
    await this.dialog().getByLabel('Schema').selectOption(schema);
    await this.dialog().getByRole('radio', { name: new RegExp(`^${mode}`) }).check();
  }

  async submit(): Promise<void> {
    await this.dialog().getByRole('button', { name: 'Validate', exact: true }).click();
  }

  async run(schema = 'ohlcv', mode: 'strict' | 'coerce' | 'ignore' = 'strict'): Promise<void> {
    await this.choose(schema, mode);
    await this.submit();
  }

  /** Waits for the report; true when valid. */
  async verdict(): Promise<boolean> {
    const verdict = this.page.getByTestId('verdict');
    await verdict.waitFor({ timeout: 60_000 });
    return (await verdict.getAttribute('data-valid')) === 'true';
  }

  issue(rule: string): Locator {
    return this.panel().locator(`.issue[data-rule="${rule}"]`);
  }

  /** Per-rule counts of the errors listed. */
  async errorCounts(): Promise<Record<string, number>> {
    const pairs = await attributeAndTextOfAll(this.panel().locator('.issues').first().locator('.issue'), 'data-rule', '.issue-count');
    const counts: Record<string, number> = {};
    for (const [rule, n] of pairs) counts[rule] = (counts[rule] ?? 0) + Number(n.replace(/,/g, ''));
    return counts;
  }

  /** Clicks an issue's heading: the table jumps to its first row. */
  async clickIssue(rule: string): Promise<void> {
    await this.issue(rule).first().locator('.issue-head').click();
  }

  async clickIssueRow(rule: string, row: number): Promise<void> {
    await this.issue(rule).first().locator(`.row-chip[data-row="${row}"]`).click();
  }

  async metricsText(): Promise<string> {
    return ((await this.page.getByTestId('quality-metrics').textContent()) ?? '').replace(/\s+/g, ' ');
  }
}
