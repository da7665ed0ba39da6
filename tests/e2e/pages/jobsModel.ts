import type { Locator, Page } from 'playwright-core';

/** One job as the jobs panel shows it. */
interface JobLine {
  id: string;
  state: string;
  kind: string;
  title: string;
  duration: string;
  rows: string;
  outcome: string;
  errorCode: string | null;
  error: string | null;
  links: string[];
}

/** The jobs panel (a dialog): the host's jobs of this session, newest first. */
export class JobsModel {
  constructor(private readonly page: Page) {}

  panel(): Locator {
    return this.page.getByTestId('jobs-panel');
  }

  /** Opens it from the toolbar. */
  async open(): Promise<void> {
    await this.page.getByRole('banner').getByRole('button', { name: 'Jobs', exact: true }).click();
    await this.panel().waitFor();
  }

  /** Opens it with its shortcut, Alt+J. */
  async openWithKeyboard(): Promise<void> {
    await this.page.keyboard.press('Alt+J');
    await this.panel().waitFor();
  }

  async summary(): Promise<string> {
    return ((await this.panel().getByTestId('jobs-summary').textContent()) ?? '').trim();
  }

  async lines(): Promise<JobLine[]> {
    const rows = this.panel().getByTestId('job-row');
    const lines: JobLine[] = [];
    for (let i = 0; i < (await rows.count()); i++) {
      const row = rows.nth(i);
      const text = async (locator: Locator) => ((await locator.count()) > 0 ? ((await locator.first().textContent()) ?? '').trim() : '');
      const error = row.getByTestId('job-error');
      const hasError = (await error.count()) > 0;
      lines.push({
        id: (await row.getAttribute('data-job-id')) ?? '',
        state: (await row.getAttribute('data-state')) ?? '',
        kind: (await row.getAttribute('data-kind')) ?? '',
        title: await text(row.locator('.job-name')),
        duration: await text(row.getByTestId('job-duration')),
        rows: await text(row.getByTestId('job-rows')),
        outcome: await text(row.getByTestId('job-outcome')),
        errorCode: hasError ? await error.getAttribute('data-code') : null,
        error: hasError ? await text(error.locator('.small')) : null,
        links: await row.getByTestId('job-link').evaluateAll((nodes) => nodes.map((n) => (n as unknown as { getAttribute(name: string): string | null }).getAttribute('data-path') ?? '')),
      });
    }
    return lines;
  }

  /** Clicks the link to what a job wrote (the panel closes and the dataset opens). */
  async openLink(path: string): Promise<void> {
    await this.panel().locator(`[data-testid="job-link"][data-path="${path}"]`).click();
    await this.panel().waitFor({ state: 'detached' });
  }

  async close(): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.panel().waitFor({ state: 'detached' });
  }
}
