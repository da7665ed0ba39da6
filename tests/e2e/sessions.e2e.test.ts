import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { initStore } from '../../core/store/openStore.js';
import { ingestIntoStore } from '../../core/store/ingestIntoStore.js';
import { cmeHalfHourBars } from '../helpers/sessionFixtures.js';
import { useAppInChromium } from './support/appSession.js';

/**
 * Time zones and sessions per instrument in the real UI: the ingest dialog says which zone
 * a timed file is read in and why (nothing for daily bars), and warns of an ES file in
 * another exchange's local time (Saturday trading dates); the chart draws the ES sessions'
 * breaks (the daily CME maintenance break, the weekend) between the bars.
 */

/** Two weeks of ES 30-minute bars from a vendor in Berlin time, ingested with their zone: raw/ES, 10 trading dates. */
async function buildSessionStore(root: string): Promise<void> {
  const { store } = await initStore(root);
  const file = path.join(path.dirname(root), 'ES_berlin.csv');
  fs.writeFileSync(file, cmeHalfHourBars('Europe/Berlin'));
  await ingestIntoStore(store, [file], { timezone: 'Europe/Berlin' });
}

const YAHOO_DAILY = ['Date,Open,High,Low,Close,Adj Close,Volume', '2024-01-05,4741.25,4767,4712.5,4742.5,4742.5,1843217', '2024-01-08,4745,4788.25,4732,4786.75,4786.75,1522004', ''].join('\n');

describe('time zones and sessions per instrument', () => {
  const app = useAppInChromium('mes-data-e2e-sessions-', buildSessionStore);

  it('an ES file in Berlin time: the dialog names the zone and why, warns of 24 weekend bars; with the zone entered, no warning', async () => {
    const { ingest } = app.ui;
    await ingest.drop([{ name: 'ES_export.csv', content: cmeHalfHourBars('Europe/Berlin') }]);
    const step = await ingest.waitForReview();
    expect({ step, error: step === 'failed' ? await ingest.errorText() : '' }).toEqual({ step: 'review', error: '' });
    expect(await ingest.zoneFacts()).toEqual(['America/Chicago, the zone of instrument ES (CME)']);
    const warnings = await ingest.sessionWarnings();
    expect(warnings.map((w) => [w.kind, w.count])).toEqual([
      ['weekend', 24],
      ['outside_session', 10],
    ]);
    expect(warnings[0].text).toBe(
      "24 bars on a weekend (2 trading dates Saturday 2024-02-10, Saturday 2024-02-17): ES (CME) trades Sunday 17:00 to Friday 16:00, break 16:00–17:00 America/Chicago; first at 2024-02-09 17:00:00, 2024-02-09 17:30:00, 2024-02-09 18:00:00, … (America/Chicago); if the file is in another zone's local time, ingest it with that zone (--tz ZONE)",
    );
    await expect.poll(() => ingest.dialog().getByTestId('session-warnings-hint').textContent()).toContain('Time zone of naive times');
    expect(await ingest.snapshotDates()).toContain('2024-02-10');
    expect(await ingest.summaryText()).toBe('460 rows read · naive times read in America/Chicago');
    await app.ui.screenshot('ingest-weekend-warning');

    await ingest.dialog().getByLabel('Time zone').fill('Europe/Berlin');
    await ingest.dialog().getByRole('button', { name: 'Update preview' }).click();
    expect(await ingest.waitForReview()).toBe('review');
    await expect.poll(() => ingest.zoneFacts()).toEqual(['Europe/Berlin, as entered']);
    expect(await ingest.sessionWarnings()).toEqual([]);
    expect(await ingest.snapshotDates()).not.toContain('2024-02-10');
  });

  it('a daily file (Yahoo, Adj Close): no time zone is shown', async () => {
    const { ingest } = app.ui;
    await ingest.drop([{ name: 'ES_daily.csv', content: YAHOO_DAILY }]);
    expect(await ingest.waitForReview()).toBe('review');
    expect(await ingest.snapshotDates()).toEqual(['2024-01-01']);
    expect(await ingest.zoneFacts()).toEqual([]);
    expect(await ingest.sessionWarnings()).toEqual([]);
    expect(await ingest.summaryText()).toBe('2 rows read');
  });

  it('the chart of two ES weeks draws the 9 session breaks between its bars: 8 daily maintenance breaks and the weekend', async () => {
    const { tree, chart } = app.ui;
    await tree.open('raw', 'raw/ES');
    await app.ui.showTab('Chart');
    expect(await chart.waitForBars()).toBe(460);
    expect(await chart.sessionBreaks()).toEqual({ state: 'drawn', count: 9, zone: 'America/Chicago' });
    const lines = await chart.sessionBreakLines();
    expect(lines.map((l) => l.kind)).toEqual(['daily', 'daily', 'daily', 'daily', 'closed', 'daily', 'daily', 'daily', 'daily']);
    // each session has 46 bars: the separators stand at even steps across the plot, between its bars
    const steps = lines.slice(1).map((l, i) => l.x - lines[i].x);
    expect(Math.min(...steps)).toBeGreaterThan(40);
    expect(Math.max(...steps) - Math.min(...steps)).toBeLessThanOrEqual(2);
    await app.ui.screenshot('chart-session-breaks');
    expect(app.ui.pageErrors.filter((e) => !/status of/.test(e))).toEqual([]);
  });
});
