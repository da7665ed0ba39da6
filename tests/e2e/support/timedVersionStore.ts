import { vi } from 'vitest';
import { buildFeatures } from '../../../core/features/buildFeatures.js';
import { promoteRaw } from '../../../core/promote/promoteRaw.js';
import { OHLCV_SCHEMA } from '../../../core/schema/predefinedSchemas.js';
import { initStore } from '../../../core/store/openStore.js';
import { commitRawSnapshots } from '../../../core/store/rawSnapshot.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { barsFromCloses, barsTable, type Bar } from '../../helpers/barsTable.js';

/** When the two versions of cleaned/MES were committed: the host's clock is set to these during each promote. */
const COMMITTED = { v1: '2026-11-30T14:02:00.000Z', v2: '2026-11-30T16:45:00.000Z' } as const;

/** `count` one-minute bars of the CME session of `date` (from 17:00 CT the evening before), closes rising a tick a bar from `base`. */
function risingSession(date: string, count: number, base: number): Bar[] {
  const start = new Date(`${date}T00:00:00Z`);
  start.setUTCHours(start.getUTCHours() - 1);
  return barsFromCloses(start.toISOString(), 60, Array.from({ length: count }, (_, i) => base + i * 0.25));
}

/**
 * A store whose versions were committed at known moments, for time travel by moment:
 *   raw/MES/2024-01-02, 2024-01-03          90 and 60 clean bars
 *   cleaned/v1/MES   2024-01-03 alone         committed 2026-11-30 14:02 UTC, changelog "the 3rd alone"
 *   cleaned/v2/MES   2024-01-02 and -03       committed 2026-11-30 16:45 UTC, changelog "the 2nd added"
 *   features/v1/MES/momentum_indicators       built from cleaned/v1/MES (committed at the real time)
 * The clock is set with Vitest's `vi.setSystemTime` (Date only) around each promote, so the
 * sidecar's createdAt and the Iceberg snapshot's timestamp are those moments; it is real again
 * before the function returns.
 */
export async function buildTimedVersionStore(root: string): Promise<{ root: string; store: Store }> {
  const { store } = await initStore(root);
  await commitRawSnapshots(store, [
    { asset: 'MES', date: '2024-01-02', name: 'bars', table: barsTable(risingSession('2024-01-02', 90, 4700)) },
    { asset: 'MES', date: '2024-01-03', name: 'bars', table: barsTable(risingSession('2024-01-03', 60, 4800)) },
  ]);
  try {
    vi.setSystemTime(new Date(COMMITTED.v1));
    await promoteRaw(store, { asset: 'MES', schema: OHLCV_SCHEMA, from: '2024-01-03', to: '2024-01-03', message: 'the 3rd alone' });
    vi.setSystemTime(new Date(COMMITTED.v2));
    await promoteRaw(store, { asset: 'MES', schema: OHLCV_SCHEMA, from: '2024-01-02', to: '2024-01-03', message: 'the 2nd added' });
  } finally {
    vi.useRealTimers();
  }
  await buildFeatures(store, { set: 'momentum_indicators', asset: 'MES', from: 'v1' });
  return { root, store };
}
