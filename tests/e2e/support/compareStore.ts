import { writeCleanedData } from '../../helpers/cleanedVersion.js';
import { initStore } from '../../../core/store/openStore.js';
import { barsFromCloses, barsTable, type Bar } from '../../helpers/barsTable.js';

/** 60 one-minute bars of a CME trading date, from 17:00 Chicago (23:00 UTC) the evening before. */
function dateBars(date: string, base: number): Bar[] {
  const start = new Date(Date.parse(`${date}T00:00:00Z`) - 3_600_000).toISOString();
  return barsFromCloses(start, 60, Array.from({ length: 60 }, (_, i) => base + i * 0.25));
}

/** The differences the compare scenario finds between v1 and v2 of cleaned MES. */
export const COMPARE_EXPECTED = {
  summary: '20 added · 3 removed · 3 changed · 114 unchanged',
  dates: ['2024-01-02: 0 added, 0 removed, 3 changed', '2024-01-03: 0 added, 3 removed, 0 changed', '2024-01-04: 20 added, 0 removed, 0 changed'],
} as const;

/**
 * Two cleaned versions of MES, one file per trading date:
 *   v1: 2024-01-02 and 2024-01-03, 60 bars each (closes 4800 + 0.25 i and 4900 + 0.25 i, volume 10 + i)
 *   v2: 2024-01-02 with the closes of bars 5 and 6 and the volume of bar 7 changed,
 *       2024-01-03 without its last 3 bars, and a new date 2024-01-04 of 20 bars
 */
export async function buildCompareStore(root: string): Promise<void> {
  const { store } = await initStore(root);
  const d2 = dateBars('2024-01-02', 4800);
  const d3 = dateBars('2024-01-03', 4900);
  const sidecar = (changelog: string) => ({ schema: { name: 'ohlcv', version: '1.0.0' }, recipe: { name: 'promote', version: '1', parameters: {} }, dependencies: [], validation: { valid: true }, changelog });
  await writeCleanedData(store, {
    asset: 'MES',
    data: [
      { table: barsTable(d2), partition: { date: '2024-01-02' } },
      { table: barsTable(d3), partition: { date: '2024-01-03' } },
    ],
    sidecar: sidecar('first MES version'),
  });
  const changed = d2.map((bar, i): Bar => (i === 5 ? [bar[0], bar[1], bar[2], bar[3], 4801.5, bar[5]] : i === 6 ? [bar[0], bar[1], bar[2], bar[3], 4802, bar[5]] : i === 7 ? [bar[0], bar[1], bar[2], bar[3], bar[4], 99] : bar));
  await writeCleanedData(store, {
    asset: 'MES',
    data: [
      { table: barsTable(changed), partition: { date: '2024-01-02' } },
      { table: barsTable(d3.slice(0, 57)), partition: { date: '2024-01-03' } },
      { table: barsTable(dateBars('2024-01-04', 5000).slice(0, 20)), partition: { date: '2024-01-04' } },
    ],
    sidecar: sidecar('corrections: two closes and a volume, three bars dropped, a new date'),
  });
}
