import type { Locator, Page } from 'playwright-core';

/** The version picker of a cleaned or feature dataset: its place among the versions, commit time, changelog, and the pick. */
export class VersionsModel {
  constructor(private readonly page: Page) {}

  picker(): Locator {
    return this.page.getByTestId('version-picker');
  }

  private async text(testId: string): Promise<string> {
    const at = this.picker().getByTestId(testId);
    return (await at.count()) > 0 ? ((await at.textContent()) ?? '').trim() : '';
  }

  /** `v1 of 2` */
  async position(): Promise<string> {
    return this.text('version-position');
  }

  async changelog(): Promise<string> {
    return this.text('version-changelog');
  }

  async state(): Promise<string> {
    return this.text('version-state');
  }

  async committed(): Promise<string> {
    return this.text('version-committed');
  }

  /** The versions offered, as their option labels (`v1 · 2024-01-15 14:03 UTC`). */
  async options(): Promise<string[]> {
    return (await this.picker().getByLabel('Version').locator('option').allTextContents()).map((t) => t.trim());
  }

  /** Opens version `n` of the key shown (its folder path is the option's value). */
  async choose(folder: string): Promise<void> {
    await this.picker().getByLabel('Version').selectOption(folder);
  }

  asOfPanel(): Locator {
    return this.page.getByTestId('version-as-of');
  }

  /** Opens "As of" with its button (Alt+A does the same) and types `moment` in the clock named. */
  async typeAsOf(moment: string, clock: 'exchange' | 'utc'): Promise<void> {
    if ((await this.asOfPanel().count()) === 0) await this.picker().getByRole('button', { name: 'As of…' }).click();
    const clocks = this.asOfPanel().getByRole('group', { name: 'The clock the moment is typed in' }).getByRole('button');
    await (clock === 'utc' ? clocks.filter({ hasText: /^UTC$/ }) : clocks.filter({ hasText: /^Exchange/ })).click();
    await this.asOfPanel().getByRole('textbox', { name: 'As of', exact: true }).fill(moment);
  }

  /** The moment typed, in both clocks (`2026-11-30 09:00:00 CST = 2026-11-30 15:00:00 UTC`), or why it is not one. */
  async asOfEcho(): Promise<string> {
    return ((await this.asOfPanel().getByTestId('version-as-of-echo').textContent()) ?? '').trim();
  }

  /** Opens the version that was newest at the moment typed. */
  async openAsOf(): Promise<void> {
    await this.asOfPanel().getByRole('button', { name: 'Open' }).click();
  }

  /** `v1 was the newest at 2026-11-30 15:00:00 UTC` once an "as of" opened the version shown. */
  async asOfResult(): Promise<string> {
    return this.text('version-as-of-result');
  }
}
