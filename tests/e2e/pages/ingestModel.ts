import type { Locator, Page } from 'playwright-core';
import { attributeOfAll } from './domRead.js';
import { stepSelector } from './steps.js';

interface DroppedFile {
  name: string;
  content: string;
  type?: string;
}

/** Drag-drop ingest: files dropped on the window (a DataTransfer dispatched as the browser would) or chosen; the dialog. */
export class IngestModel {
  constructor(private readonly page: Page) {}

  dialog(): Locator {
    return this.page.getByTestId('ingest-dialog');
  }

  /** Drags files over the window and drops them, as a person dragging from the file manager. */
  async drop(files: DroppedFile[]): Promise<void> {
    // built in the page: a DataTransfer holding real File objects
    const dataTransfer = await this.page.evaluateHandle(
      `(() => { const dt = new DataTransfer(); for (const f of ${JSON.stringify(files)}) dt.items.add(new File([f.content], f.name, { type: f.type || 'text/csv' })); return dt; })()`,
    );
    await this.page.dispatchEvent('body', 'dragenter', { dataTransfer });
    await this.page.dispatchEvent('body', 'dragover', { dataTransfer });
    await this.page.dispatchEvent('body', 'drop', { dataTransfer });
    await dataTransfer.dispose();
  }

  /** Chooses files through the file picker (the drop zone's click). */
  async choose(files: DroppedFile[]): Promise<void> {
    const [chooser] = await Promise.all([this.page.waitForEvent('filechooser'), this.page.getByTestId('drop-zone').click()]);
    await chooser.setFiles(files.map((f) => ({ name: f.name, mimeType: f.type ?? 'text/csv', buffer: Buffer.from(f.content) })));
  }

  /** Waits for the dialog to leave the upload and dry-run steps; returns the step it reached. */
  async waitForReview(): Promise<string> {
    await this.dialog().waitFor();
    await this.dialog().locator(stepSelector('ingest-step', ['review', 'failed', 'cancelled'])).waitFor({ timeout: 60_000 });
    return (await this.dialog().getByTestId('ingest-step').getAttribute('data-step')) ?? '';
  }

  async errorText(): Promise<string> {
    return ((await this.dialog().locator('.error-panel').first().textContent()) ?? '').trim();
  }

  /** Dates of the snapshots listed (to be written, or written). */
  async snapshotDates(): Promise<string[]> {
    return (await attributeOfAll(this.dialog().getByTestId('ingest-snapshots').locator('tbody tr'), 'data-date')).map((d) => d ?? '');
  }

  async dialectText(): Promise<string> {
    return ((await this.dialog().getByTestId('dialect').first().textContent()) ?? '').replace(/\s+/g, ' ');
  }

  /** The session warnings listed (bars on a weekend, a holiday, outside the session), as their kind, bar count and words. */
  async sessionWarnings(): Promise<{ kind: string; count: number; text: string }[]> {
    const items = this.dialog().getByTestId('session-warnings').locator('li');
    const out: { kind: string; count: number; text: string }[] = [];
    for (const item of await items.all()) {
      out.push({ kind: (await item.getAttribute('data-kind')) ?? '', count: Number(await item.getAttribute('data-count')), text: ((await item.textContent()) ?? '').trim() });
    }
    return out;
  }

  /** The "Time zone" facts of the files (zone and why), one per file with times of day; none for daily bars. */
  async zoneFacts(): Promise<string[]> {
    const out: string[] = [];
    for (const fact of await this.dialog().getByTestId('ingest-zone').all()) out.push(((await fact.locator('dd').textContent()) ?? '').trim());
    return out;
  }

  /** The line under the snapshots: rows read, and the zone when one applies. */
  async summaryText(): Promise<string> {
    return ((await this.dialog().getByTestId('ingest-summary').textContent()) ?? '').trim();
  }

  async confirm(): Promise<void> {
    await this.dialog().getByRole('button', { name: /^Ingest/ }).click();
  }

  async waitForDone(): Promise<string> {
    await this.dialog().locator(stepSelector('ingest-step', ['done', 'failed', 'cancelled'])).waitFor({ timeout: 120_000 });
    return (await this.dialog().getByTestId('ingest-step').getAttribute('data-step')) ?? '';
  }

  async close(): Promise<void> {
    await this.dialog().getByRole('button', { name: /^(Close|Cancel)$/ }).last().click();
  }
}
