import type { Locator, Page } from 'playwright-core';

/** The startup screen: no store open, or it could not be opened. */
export class StartupModel {
  constructor(private readonly page: Page) {}

  screen(): Locator {
    return this.page.getByTestId('startup');
  }

  async openStore(path: string): Promise<void> {
    await this.page.getByLabel('Store folder').fill(path);
    await this.page.getByRole('button', { name: 'Open store' }).click();
  }

  async createStore(path: string): Promise<void> {
    await this.page.getByLabel('Store folder').fill(path);
    await this.page.getByRole('button', { name: 'Create store' }).click();
  }

  error(): Locator {
    return this.screen().locator('.error-panel');
  }
}
