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
}
