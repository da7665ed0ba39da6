import type { Locator, Page } from 'playwright-core';
import { stepSelector } from './steps.js';

/** The Build features dialog: asset, source version, set, parameters; the job with progress and cancel. */
export class FeaturesModel {
  constructor(private readonly page: Page) {}

  dialog(): Locator {
    return this.page.getByTestId('features-dialog');
  }

  /** Opens it from the open dataset's actions (a cleaned version). */
  async openFromDataset(): Promise<void> {
    await this.page.locator('.dataset-actions').getByRole('button', { name: 'Build features…' }).click();
    await this.dialog().waitFor();
  }

  /** Opens it with its shortcut, Ctrl+Shift+F. */
  async openWithKeyboard(): Promise<void> {
    await this.page.keyboard.press('Control+Shift+F');
    await this.dialog().waitFor();
  }

  async asset(): Promise<string> {
    return this.dialog().getByLabel('Asset').inputValue();
  }

  async setAsset(asset: string): Promise<void> {
    await this.dialog().getByLabel('Asset').selectOption(asset);
  }

  async sourceVersion(): Promise<string> {
    return this.dialog().getByLabel('Source version').inputValue();
  }

  async sourceText(): Promise<string> {
    return ((await this.dialog().getByTestId('features-source').textContent()) ?? '').trim();
  }

  async chooseSet(set: 'momentum_indicators' | 'price_volatility' | 'volume_profile'): Promise<void> {
    await this.dialog().locator(`input[type="radio"][value="${set}"]`).check();
  }

  /** The parameter fields shown: label → value. */
  async parameters(): Promise<Record<string, string>> {
    const inputs = this.dialog().getByTestId('feature-parameters').locator('input');
    const out: Record<string, string> = {};
    for (let i = 0; i < (await inputs.count()); i++) out[(await inputs.nth(i).getAttribute('aria-label')) ?? ''] = await inputs.nth(i).inputValue();
    return out;
  }

  async setParameter(label: string, value: string): Promise<void> {
    await this.dialog().getByLabel(label, { exact: true }).fill(value);
  }

  async parameterNote(name: string): Promise<string> {
    return ((await this.dialog().getByTestId(`parameter-note-${name}`).textContent()) ?? '').trim();
  }

  async plan(): Promise<string> {
    return ((await this.dialog().getByTestId('features-plan').textContent()) ?? '').trim();
  }

  async canBuild(): Promise<boolean> {
    return this.dialog().getByRole('button', { name: 'Build', exact: true }).isEnabled();
  }

  async build(): Promise<void> {
    await this.dialog().getByRole('button', { name: 'Build', exact: true }).click();
  }

  /** Cancels the running job as soon as the dialog offers it (once the host has started the job). */
  async cancelJob(): Promise<void> {
    const cancel = this.dialog().getByRole('button', { name: 'Cancel job' });
    await this.dialog().locator('.dialog-footer button:has-text("Cancel job"):not([disabled])').waitFor();
    await cancel.click();
  }

  /** Waits for the job's end shown in the dialog (failed or cancelled; a success closes it) and returns the step. */
  async waitForEnd(): Promise<string> {
    await this.page.locator(`${stepSelector('features-job', ['failed', 'cancelled'])}, body:not(:has([data-testid="features-dialog"]))`).first().waitFor({ timeout: 90_000 });
    if ((await this.dialog().count()) === 0) return 'closed';
    return (await this.dialog().getByTestId('features-job').getAttribute('data-step')) ?? '';
  }

  /** The error the dialog shows: [code, text]. */
  async error(): Promise<[string, string]> {
    const panel = this.dialog().locator('.error-panel');
    return [(await panel.getAttribute('data-code')) ?? '', ((await panel.textContent()) ?? '').trim()];
  }

  async close(): Promise<void> {
    await this.dialog().locator('.dialog-footer').getByRole('button', { name: 'Close', exact: true }).click();
    await this.dialog().waitFor({ state: 'detached' });
  }
}
