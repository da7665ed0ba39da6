import { initStore } from '../../../core/store/openStore.js';
import { commitRawSnapshots } from '../../../core/store/rawSnapshot.js';
import { promoteRaw } from '../../../core/promote/promoteRaw.js';
import { OHLCV_SCHEMA } from '../../../core/schema/predefinedSchemas.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { barsFromCloses, barsTable, type Bar } from '../../helpers/barsTable.js';

/** `count` one-minute bars of the CME session of `date` (from 17:00 CT the evening before), closes rising a tick a bar from `base`. */
function risingSession(date: string, count: number, base: number): Bar[] {
  const start = new Date(`${date}T00:00:00Z`);
  start.setUTCHours(start.getUTCHours() - 1); // 23:00Z the day before = 17:00 CST
  return barsFromCloses(start.toISOString(), 60, Array.from({ length: count }, (_, i) => base + i * 0.25));
}

/** The raw sessions of the time-travel store: date, bars, first close. */
const VERSION_DAYS = [
  { date: '2024-01-02', count: 90, base: 4700 },
  { date: '2024-01-03', count: 60, base: 4800 },
  { date: '2024-01-04', count: 30, base: 4900 },
] as const;

/**
 * A store with versions to travel between:
 *   raw/MES/2024-01-02, 2024-01-03, 2024-01-04   90, 60 and 30 clean bars
 *   cleaned/v1/MES   2024-01-03 alone            changelog "the 3rd alone"
 *   cleaned/v2/MES   2024-01-02 and 2024-01-03   changelog "the 2nd added" (the 3rd shared with v1)
 * so an append gives v3 with 2024-01-04 written and the two others shared.
 */
export async function buildVersionStore(root: string): Promise<{ root: string; store: Store }> {
  const { store } = await initStore(root);
  await commitRawSnapshots(
    store,
    VERSION_DAYS.map((d) => ({ asset: 'MES', date: d.date, name: 'bars', table: barsTable(risingSession(d.date, d.count, d.base)) })),
  );
  await promoteRaw(store, { asset: 'MES', schema: OHLCV_SCHEMA, from: '2024-01-03', to: '2024-01-03', message: 'the 3rd alone' });
  await promoteRaw(store, { asset: 'MES', schema: OHLCV_SCHEMA, from: '2024-01-02', to: '2024-01-03', message: 'the 2nd added' });
  return { root, store };
}
