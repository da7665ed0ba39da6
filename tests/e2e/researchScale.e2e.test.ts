import { describe, expect, it } from 'vitest';
import { initStore } from '../../core/store/openStore.js';
import { useAppInChromium } from './support/appSession.js';

/**
 * A year of minute bars and ten years of daily bars (scaled down from what users keep)
 * through the real UI: dropped in, validated, promoted, a feature set built, charted — and
 * the host keeps answering while the heavy work runs.
 */

const DAYS = 250;
const BARS_A_DAY = 120;
/** the day and bar of the one bar whose high is below its low */
const DEFECT = { day: 100, bar: 17 };

/** Weekdays from 2023-01-03 on, as YYYY-MM-DD (holidays are not left out: this is a test file). */
function weekdays(count: number, start = Date.UTC(2023, 0, 3)): string[] {
  const days: string[] = [];
  for (let t = start; days.length < count; t += 86_400_000) {
    const weekday = new Date(t).getUTCDay();
    if (weekday !== 0 && weekday !== 6) days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

/** Minute bars from 10:00 CT as a trader's export writes them: naive Chicago times, one line a bar. */
function minuteCsv(): string {
  const lines = ['Date,Time,Open,High,Low,Close,Volume'];
  let price = 4000;
  for (const [d, date] of weekdays(DAYS).entries()) {
    for (let b = 0; b < BARS_A_DAY; b++) {
      price += ((d * 7 + b * 13) % 9) * 0.25 - 1;
      const open = price;
      const close = price + 0.5;
      let high = close + 0.75;
      const low = open - 0.75;
      if (d === DEFECT.day && b === DEFECT.bar) high = low - 1;
      const minutes = 10 * 60 + b;
      const time = `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}:00`;
      lines.push(`${date},${time},${open},${high},${low},${close},${100 + ((d + b) % 50)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Ten years of daily bars, Yahoo's columns (Adj Close included). */
function dailyCsv(): string {
  const lines = ['Date,Open,High,Low,Close,Adj Close,Volume'];
  for (const [d, date] of weekdays(2_520, Date.UTC(2014, 0, 2)).entries()) {
    const open = 20 + d * 0.05;
    lines.push(`${date},${open.toFixed(2)},${(open + 1).toFixed(2)},${(open - 1).toFixed(2)},${(open + 0.5).toFixed(2)},${(open + 0.4).toFixed(2)},${1_000_000 + d}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('research scale, scaled down, through the UI', () => {
  const app = useAppInChromium('mes-data-e2e-scale-', (dir) => initStore(dir));

  /** One API call over HTTP with the page's token, as the renderer makes it. */
  async function invoke(name: string, request: unknown): Promise<Record<string, unknown>> {
    const url = new URL(app.url);
    const response = await fetch(new URL(`/api/invoke/${name}`, url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${url.searchParams.get('token') ?? ''}` },
      body: JSON.stringify(request),
    });
    const body = (await response.json()) as { result?: Record<string, unknown>; error?: { code: string; message: string } };
    if (body.error) throw new Error(`${name}: ${body.error.code} ${body.error.message}`);
    return body.result ?? {};
  }

  it('a year of minute bars: dropped, validated (the defect found), promoted while the host answers, a feature set built and charted', { timeout: 600_000 }, async () => {
    const { ingest, tree, validation, promote, chart } = app.ui;
    await ingest.drop([{ name: 'MES_1min.csv', content: minuteCsv() }]);
    const step = await ingest.waitForReview();
    expect({ step, error: step === 'failed' ? await ingest.errorText() : '' }).toEqual({ step: 'review', error: '' });
    expect((await ingest.snapshotDates()).length).toBe(DAYS);
    await ingest.confirm();
    expect(await ingest.waitForDone()).toBe('done');
    await ingest.close();

    await tree.open('raw', 'raw/MES');
    await validation.run();
    expect(await validation.verdict()).toBe(false);
    expect(await validation.errorCounts()).toEqual({ ohlc_consistency: 1 });
    await app.ui.screenshot('scale-validate');

    await promote.open();
    await promote.setOnInvalid('drop');
    expect(await promote.checkGate()).toBe('checked');
    await promote.promote();
    // once the promotion has started, the host still answers the tree and pages at once
    // (a blocked event loop would hold them until the job ended; the bench times it)
    await expect.poll(async () => ((await invoke('jobs.list', {})).jobs as { kind: string }[]).some((j) => j.kind === 'promote'), { timeout: 30_000 }).toBe(true);
    const node = await invoke('tree', { path: 'raw/MES', depth: 1 });
    expect((node.children as unknown[]).length).toBe(DAYS);
    const page = await invoke('rows.page', { path: 'raw/MES', offset: DEFECT.day * BARS_A_DAY + DEFECT.bar, limit: 1 });
    expect(page.numRows).toBe(DAYS * BARS_A_DAY);
    await promote.dialog().waitFor({ state: 'detached', timeout: 300_000 });
    await tree.item('cleaned/v1/MES').waitFor();
    const version = await invoke('dataset.info', { path: 'cleaned/v1/MES' });
    expect(version.numRows).toBe(DAYS * BARS_A_DAY - 1);

    const started = await invoke('jobs.start', { kind: 'features', set: 'momentum_indicators', asset: 'MES' });
    const ended = await invoke('jobs.wait', { id: started.id, timeoutMs: 300_000 });
    expect({ state: ended.state, error: ended.error ?? null }).toEqual({ state: 'succeeded', error: null });
    const features = await invoke('dataset.info', { path: 'features/v1/MES/momentum_indicators' });
    expect(features.numRows).toBe(DAYS * BARS_A_DAY - 1);

    await tree.open('cleaned', 'cleaned/MES', 'cleaned/v1/MES');
    await app.ui.showTab('Chart');
    expect(await chart.waitForBars()).toBeGreaterThan(0);
    await app.ui.screenshot('scale-chart');
    expect(app.ui.pageErrors.filter((e) => !/status of/.test(e))).toEqual([]);
  });

  it('ten years of daily bars land as a handful of files and validate without holiday gaps', { timeout: 300_000 }, async () => {
    const { ingest } = app.ui;
    await ingest.drop([{ name: 'NVDA_daily.csv', content: dailyCsv() }]);
    // a stock's file name names no CME root: the dry run asks for the asset, the user types it
    expect(await ingest.waitForReview()).toBe('failed');
    expect(await ingest.errorText()).toContain('cannot tell the asset from the file name "NVDA_daily.csv"');
    await ingest.dialog().getByLabel('Asset').fill('NVDA');
    await ingest.dialog().getByRole('button', { name: 'Update preview' }).click();
    const step = await ingest.waitForReview();
    expect({ step, error: step === 'failed' ? await ingest.errorText() : '' }).toEqual({ step: 'review', error: '' });
    await ingest.confirm();
    expect(await ingest.waitForDone()).toBe('done');
    await ingest.close();
    const raw = await invoke('dataset.info', { path: 'raw/NVDA' });
    expect(raw.numRows).toBe(2_520);
    expect((raw.files as unknown[]).length).toBeLessThanOrEqual(12);
    // a stock on the NYSE calendar: every weekday has a bar, so no trading day is missing
    await invoke('instruments.register', { instrument: { symbol: 'NVDA', exchange: 'NASDAQ', assetClass: 'equity', session: 'us_equity', tickSize: 0.01, pointValue: 1 } });
    const started = await invoke('jobs.start', { kind: 'validate', target: 'raw/NVDA', schema: 'ohlcv' });
    const ended = await invoke('jobs.wait', { id: started.id, timeoutMs: 120_000 });
    const report = ended.result as { rowCount: number; errors: { rule: string }[]; warnings: { rule: string }[] };
    expect({ state: ended.state, rows: report.rowCount, errors: report.errors.map((e) => e.rule), gaps: report.warnings.filter((w) => w.rule === 'session_gap').length }).toEqual({ state: 'succeeded', rows: 2_520, errors: [], gaps: 0 });
  });
});
