import fs from 'node:fs';
import path from 'node:path';
import { initStore } from '../../../core/store/openStore.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { barsFromCloses, barsTable } from '../../helpers/barsTable.js';
import { writeCleanedData } from '../../helpers/cleanedVersion.js';

/** Rows of cleaned/v1/MES, and of each of its two trading dates. */
const MES_ROWS = { '2024-01-02': 240, '2024-01-03': 150 } as const;
export const MES_TOTAL = MES_ROWS['2024-01-02'] + MES_ROWS['2024-01-03'];

/** One-minute bars of a CME session from 23:00Z the evening before, closes on the quarter tick. */
function session(date: string, count: number, base: number) {
  const start = new Date(`${date}T00:00:00Z`);
  start.setUTCHours(start.getUTCHours() - 1);
  const closes = Array.from({ length: count }, (_, i) => Math.round((base + Math.sin(i / 11) * 5 + i * 0.03) * 4) / 4);
  return barsTable(barsFromCloses(start.toISOString(), 60, closes));
}

/**
 * The store of the feature-build and jobs scenarios:
 *   cleaned/v1/MES   240 + 150 one-minute bars, partitioned by date (2024-01-02, 2024-01-03)
 *   cleaned/v1/NQ    one date whose Parquet file is overwritten with bytes that are not Parquet
 * No feature set yet.
 */
export async function buildFeaturesStore(root: string): Promise<{ root: string; store: Store; damaged: string }> {
  const { store } = await initStore(root);
  await writeCleanedData(store, {
    asset: 'MES',
    data: [
      { table: session('2024-01-02', MES_ROWS['2024-01-02'], 4780), partition: { date: '2024-01-02' } },
      { table: session('2024-01-03', MES_ROWS['2024-01-03'], 4795), partition: { date: '2024-01-03' } },
    ],
  });
  const nq = await writeCleanedData(store, { asset: 'NQ', data: [{ table: session('2024-01-02', 30, 16800), partition: { date: '2024-01-02' } }] });
  const folder = path.join(root, nq.path);
  const file = fs.readdirSync(folder, { recursive: true, encoding: 'utf8' }).find((f) => f.endsWith('.parquet'));
  if (!file) throw new Error(`no Parquet file in ${nq.path}`);
  fs.writeFileSync(path.join(folder, file), 'these bytes are not a Parquet file\n');
  return { root, store, damaged: `${nq.path}/${file.split(path.sep).join('/')}` };
}
