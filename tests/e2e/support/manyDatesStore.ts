import fs from 'node:fs';
import path from 'node:path';
import { initStore } from '../../../core/store/openStore.js';
import { commitRawSnapshots } from '../../../core/store/rawSnapshot.js';
import { barsFromCloses, barsTable } from '../../helpers/barsTable.js';
import { writeCleanedData } from '../../helpers/cleanedVersion.js';

/** Date folders of raw/MES in the large store, one a calendar day from FIRST_DATE. */
export const MANY_DATES = 10_000;
const FIRST_DATE = '1997-01-01';

/** The k-th date folder of raw/MES (0-based). */
export function manyDate(k: number): string {
  return new Date(Date.parse(`${FIRST_DATE}T00:00:00Z`) + k * 86_400_000).toISOString().slice(0, 10);
}

/** The closes of raw/MES/2024-01-02: 390 minute bars from 23:00Z the day before (17:00 in Chicago). */
const SESSION_CLOSES = Array.from({ length: 390 }, (_, i) => Math.round((4780 + Math.sin(i / 9) * 4 + i * 0.02) * 4) / 4);
const SESSION_START = '2024-01-01T23:00:00Z';

/**
 * A store with one asset of 10,000 snapshots:
 *   raw/MES/{1997-01-01 … 2024-05-18}   10,000 date folders; 2024-01-02 holds the 390 bars of
 *                                        SESSION_CLOSES, the others the same bytes under their
 *                                        own sidecar (written directly, not through ingest: the
 *                                        tree reads folders and sidecars only)
 *   raw/ES/2024-03-01, raw/ES/2024-03-04 three bars each
 *   cleaned/v1/MES                      2024-03-01.parquet and 2024-03-04.parquet
 */
export async function buildManyDatesStore(root: string): Promise<void> {
  const { store } = await initStore(root);
  const few = (day: string) => barsTable(barsFromCloses(`${day}T14:30:00Z`, 60, [5000, 5001, 5002]));
  const written = await commitRawSnapshots(store, [
    { asset: 'MES', date: '2024-01-02', name: 'bars', table: barsTable(barsFromCloses(SESSION_START, 60, SESSION_CLOSES)) },
    { asset: 'ES', date: '2024-03-01', name: 'bars', table: few('2024-03-01') },
    { asset: 'ES', date: '2024-03-04', name: 'bars', table: few('2024-03-04') },
  ]);
  const source = path.join(root, 'raw', 'MES', '2024-01-02');
  // format 2: a raw date's sidecar lives in catalog/raw/{ASSET}/{DATE}.json, its folder holds Parquet only
  const sidecars = path.join(root, 'catalog', 'raw', 'MES');
  const sidecar = JSON.parse(fs.readFileSync(path.join(sidecars, '2024-01-02.json'), 'utf8')) as { date: string; dateRange: { from: string; to: string } };
  for (let k = 0; k < MANY_DATES; k++) {
    const date = manyDate(k);
    if (date === '2024-01-02') continue;
    const dir = path.join(root, 'raw', 'MES', date);
    fs.mkdirSync(dir);
    fs.linkSync(path.join(source, 'bars.parquet'), path.join(dir, 'bars.parquet'));
    fs.writeFileSync(path.join(sidecars, `${date}.json`), JSON.stringify({ ...sidecar, date, dateRange: { from: date, to: date } }, null, 2));
  }
  await writeCleanedData(store, {
    asset: 'MES',
    data: ['2024-03-01', '2024-03-04'].map((day) => ({ table: few(day), partition: { date: day } })),
    sidecar: {
      schema: { name: 'ohlcv', version: '1.0.0' },
      recipe: { name: 'promote', version: '1', parameters: { onInvalid: 'fail' } },
      dependencies: [{ path: written[0].path, sha256: written[0].sha256, layer: 'raw', rows: written[0].rows }],
      validation: { valid: true },
      changelog: 'two March days',
    },
  });
}
