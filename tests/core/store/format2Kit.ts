/** Format-2 stores for the tests of names, gc and verify: Iceberg tables with version folders of hard links, built without promote. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadTable } from '../../../core/iceberg/tableCommit.js';
import { listSnapshots, snapshotDataFiles, snapshotForVersion } from '../../../core/iceberg/tableRead.js';
import { appendFiles, createTable, replacePartitions } from '../../../core/iceberg/tableWrite.js';
import { featureKey, linkFileName, tablePath, versionPath, versionSidecarPath, type VersionedLayer } from '../../../core/store/storeLayout.js';
import { BASE_SCHEMA, T0, V1_BARS, V2_BARS_0103, writeBars, type Bar } from '../iceberg/icebergTestKit.js';

export { T0 };

/** the bars of 2024-01-04, written into version 3 */
const BARS_0104: Bar[] = [
  ['2024-01-04 14:30:00', 4770, 70],
  ['2024-01-04 14:31:00', 4771.25, 30],
];

/** Links every live data file of version `version` into its version folder (`{DATE}.parquet`), and writes its sidecar. */
async function linkVersion(root: string, layer: VersionedLayer, key: string, version: number): Promise<string[]> {
  const table = await loadTable(path.join(root, tablePath(layer, key)));
  const files = await snapshotDataFiles(table, snapshotForVersion(table, version));
  const folder = path.join(root, versionPath(layer, version, key));
  fs.mkdirSync(folder, { recursive: true });
  const seen = new Map<string, number>();
  const names: string[] = [];
  for (const file of files) {
    const value = typeof file.partition.date === 'string' ? file.partition.date : null;
    const k = seen.get(String(value)) ?? 0;
    seen.set(String(value), k + 1);
    const name = linkFileName(value, k);
    fs.linkSync(file.path, path.join(folder, name));
    names.push(name);
  }
  const sidecar = path.join(root, versionSidecarPath(layer, key, version));
  fs.mkdirSync(path.dirname(sidecar), { recursive: true });
  fs.writeFileSync(sidecar, `${JSON.stringify({ version: `v${version}`, files: names.sort().map((name) => ({ path: name })) }, null, 2)}\n`);
  return names.sort();
}

export interface Format2Store {
  root: string;
  /** the data files of the table, store-relative, by what they hold */
  files: { v1_0102: string; v1_0103: string; v2_0103: string; v3_0104: string };
  cleanup: () => void;
}

/**
 * A store whose `cleaned/MES` has three versions committed at T0 + 1 s, + 2 s, + 3 s:
 * v1 = 2024-01-02 and 2024-01-03, v2 = 2024-01-03 replaced, v3 = 2024-01-04 added; each
 * with its version folder of links and its sidecar. With `features`, also
 * `features/MES/momentum_indicators` v1 and v2 (one date each) and, with `featuresOf`,
 * the same set's v2 for more assets (for the format-1 names that fit several).
 */
export async function buildFormat2Store(options: { features?: boolean; featuresOf?: string[] } = {}): Promise<Format2Store> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-data-f2-'));
  const root = path.join(base, 'store');
  fs.mkdirSync(root);
  fs.writeFileSync(path.join(root, 'mes-data-store.json'), `${JSON.stringify({ format: 'mes-data-store', formatVersion: 2, createdAt: new Date(T0).toISOString(), createdBy: 'test' })}\n`);
  const dir = path.join(root, tablePath('cleaned', 'MES'));
  await createTable(dir, BASE_SCHEMA, { nowMs: T0 });
  const v1_0102 = await writeBars(dir, BASE_SCHEMA, '2024-01-02', V1_BARS['2024-01-02']);
  const v1_0103 = await writeBars(dir, BASE_SCHEMA, '2024-01-03', V1_BARS['2024-01-03']);
  await appendFiles(dir, [{ path: v1_0102 }, { path: v1_0103 }], { version: 1, nowMs: T0 + 1000 });
  await linkVersion(root, 'cleaned', 'MES', 1);
  const v2_0103 = await writeBars(dir, BASE_SCHEMA, '2024-01-03', V2_BARS_0103);
  await replacePartitions(dir, [{ path: v2_0103 }], { version: 2, nowMs: T0 + 2000 });
  await linkVersion(root, 'cleaned', 'MES', 2);
  const v3_0104 = await writeBars(dir, BASE_SCHEMA, '2024-01-04', BARS_0104);
  await appendFiles(dir, [{ path: v3_0104 }], { version: 3, nowMs: T0 + 3000 });
  await linkVersion(root, 'cleaned', 'MES', 3);
  const assets = options.features ? ['MES', ...(options.featuresOf ?? [])] : [];
  for (const asset of assets) {
    const key = featureKey(asset, 'momentum_indicators');
    const featureDir = path.join(root, tablePath('features', key));
    await createTable(featureDir, BASE_SCHEMA, { nowMs: T0 });
    if (asset === 'MES') {
      await appendFiles(featureDir, [{ path: await writeBars(featureDir, BASE_SCHEMA, '2024-01-02', V1_BARS['2024-01-02']) }], { version: 1, nowMs: T0 + 5000 });
      await linkVersion(root, 'features', key, 1);
      await replacePartitions(featureDir, [{ path: await writeBars(featureDir, BASE_SCHEMA, '2024-01-02', V1_BARS['2024-01-03']) }], { version: 2, nowMs: T0 + 6000 });
    } else {
      await appendFiles(featureDir, [{ path: await writeBars(featureDir, BASE_SCHEMA, '2024-01-02', V1_BARS['2024-01-02']) }], { version: 2, nowMs: T0 + 7000 });
    }
    await linkVersion(root, 'features', key, 2);
  }
  const rel = (file: string) => path.relative(root, file).split(path.sep).join('/');
  return { root, files: { v1_0102: rel(v1_0102), v1_0103: rel(v1_0103), v2_0103: rel(v2_0103), v3_0104: rel(v3_0104) }, cleanup: () => fs.rmSync(base, { recursive: true, force: true }) };
}

/** The versions the table keeps, by its snapshots. */
export async function keptVersions(root: string, layer: VersionedLayer, key: string): Promise<number[]> {
  return listSnapshots(await loadTable(path.join(root, tablePath(layer, key)))).map((s) => s.version);
}

/** Every file below `dir`, relative to it with forward slashes, sorted. */
export function filesBelow(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}
