import type { Locator, Page } from 'playwright-core';
import { stepSelector } from './steps.js';

/** The promote dialog: dates, schema, mode, policy, compression, message; gate check; the job. */
export class PromoteModel {
  constructor(private readonly page: Page) {}

  dialog(): Locator {
    return this.page.getByTestId('promote-dialog');
  }

  async open(): Promise<void> {
    await this.page.locator('.dataset-actions').getByRole('button', { name: /^Promote/ }).click();
    await this.dialog().waitFor();
  }

  async setOnInvalid(policy: 'fail' | 'drop'): Promise<void> {
    await this.dialog().getByRole('radio', { name: new RegExp(`^${policy}`) }).check();
  }

  /** What the new version holds: the dates in the range, an append of the missing dates, or the range replaced. */
  async setScope(scope: 'range' | 'append' | 'replace'): Promise<void> {
    await this.dialog().locator(`input[name="promote-scope"][value="${scope}"]`).check();
  }

  /** The gate check's line on dates shared, written and removed. */
  async datesText(): Promise<string> {
    return ((await this.dialog().getByTestId('promote-dates').textContent()) ?? '').trim();
  }

  async setMessage(text: string): Promise<void> {
    await this.dialog().getByLabel('Message').fill(text);
  }

  async setRange(from: string, to: string): Promise<void> {
    await this.dialog().getByLabel('From date').selectOption(from);
    await this.dialog().getByLabel('To date').selectOption(to);
  }

  /** Runs the gate check and waits for it to end; returns the gate's step (`checked` or `failed`). */
  async checkGate(): Promise<string> {
    await this.dialog().getByRole('button', { name: 'Check gate' }).click();
    const gate = this.dialog().getByTestId('gate');
    await this.dialog().locator(stepSelector('gate', ['checked', 'failed', 'cancelled'])).waitFor({ timeout: 60_000 });
    return (await gate.getAttribute('data-step')) ?? '';
  }

  async verdictText(): Promise<string> {
    return ((await this.dialog().getByTestId('gate-verdict').textContent()) ?? '').trim();
  }

  async gateError(): Promise<string> {
    return ((await this.dialog().locator('.error-panel').first().textContent()) ?? '').trim();
  }

  async canPromote(): Promise<boolean> {
    return this.dialog().getByRole('button', { name: 'Promote', exact: true }).isEnabled();
  }

  /** Starts the real promote; resolves when the dialog closed (success) or shows a result. */
  async promote(): Promise<void> {
    await this.dialog().getByRole('button', { name: 'Promote', exact: true }).click();
  }

  async cancelJob(): Promise<void> {
    await this.dialog().getByRole('button', { name: 'Cancel job' }).click();
  }
}
