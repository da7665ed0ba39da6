import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MesDataError } from '../../../core/errors.js';
import { buildFeatures } from '../../../core/features/buildFeatures.js';
import { Dataset } from '../../../core/parquet/parquetDataset.js';
import { promoteRaw } from '../../../core/promote/promoteRaw.js';
import { OHLCV_SCHEMA } from '../../../core/schema/predefinedSchemas.js';
import { SchemaRegistry } from '../../../core/schema/schemaRegistry.js';
import { listTree } from '../../../core/store/catalog.js';
import { ingestIntoStore } from '../../../core/store/ingestIntoStore.js';
import { initStore, openStore } from '../../../core/store/openStore.js';
import { writeRawSnapshot } from '../../../core/store/rawSnapshot.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { verifyStore } from '../../../core/store/verifyStore.js';
import { validateTarget } from '../../../core/validation/validateDataset.js';
import { barsFromCloses, barsTable, type Bar } from '../../helpers/barsTable.js';
import { tempDir } from '../../helpers/ohlcvTable.js';

/**
 * The symlink matrix: every command against a store in which one place was replaced by a
 * symbolic link to a folder (or file) outside it. Each command either refuses with SYMLINK
 * or does its work without going through the link; nothing outside ever changes, and
 * verify names the link.
 */

/** Five one-minute bars from 10:00 CT (16:00Z) on a trading date. */
function day(date: string, base: number, count = 5): Bar[] {
  return barsFromCloses(`${date}T16:00:00Z`, 60, Array.from({ length: count }, (_, i) => base + i * 0.25));
}

/** Every file under `dir` with its SHA-256, links shown as links: what "unchanged" means. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (folder: string, prefix: string) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(folder, entry.name);
      const relative = `${prefix}${entry.name}`;
      if (entry.isSymbolicLink()) out[relative] = `-> ${fs.readlinkSync(full)}`;
      else if (entry.isDirectory()) {
        out[`${relative}/`] = 'dir';
        walk(full, `${relative}/`);
      } else out[relative] = createHash('sha256').update(fs.readFileSync(full)).digest('hex');
    }
  };
  walk(dir, '');
  return out;
}

/** 'ok', or the code of the typed error the command threw. */
type Outcome = string;

async function outcome(work: () => Promise<unknown>): Promise<Outcome> {
  try {
    await work();
    return 'ok';
  } catch (error) {
    if (error instanceof MesDataError) return error.code;
    throw error;
  }
}

interface Scenario {
  name: string;
  /** The store-relative place replaced by a link. */
  link: string;
  /** What the link points to, made by copying this store-relative place of the base store (or an empty folder). */
  copyOf: string | null;
  /** The dataset the read and validate commands use, and the asset of ingest and promote. */
  target: string;
  asset: string;
  expected: Record<string, Outcome>;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'a date folder',
    link: 'raw/MES/2024-01-04',
    copyOf: 'raw/MES/2024-01-04',
    target: 'raw/MES',
    asset: 'MES',
    expected: { ls: 'SYMLINK', read: 'SYMLINK', validate: 'SYMLINK', 'schemas register': 'ok', ingest: 'ok', promote: 'SYMLINK', features: 'ok' },
  },
  {
    name: 'an asset folder',
    link: 'raw/EVIL',
    copyOf: 'raw/MES',
    target: 'raw/EVIL',
    asset: 'EVIL',
    expected: { ls: 'SYMLINK', read: 'SYMLINK', validate: 'SYMLINK', 'schemas register': 'ok', ingest: 'SYMLINK', promote: 'SYMLINK', features: 'ok' },
  },
  {
    name: 'a layer folder',
    link: 'cleaned',
    copyOf: 'cleaned',
    target: 'cleaned/v1/MES',
    asset: 'MES',
    expected: { ls: 'SYMLINK', read: 'SYMLINK', validate: 'SYMLINK', 'schemas register': 'ok', ingest: 'SYMLINK', promote: 'SYMLINK', features: 'SYMLINK' },
  },
  {
    name: 'the staging folder',
    link: '.staging',
    copyOf: null,
    target: 'raw/MES',
    asset: 'MES',
    // promote has nothing new to write once ingest was refused: it answers "unchanged" without staging anything
    expected: { ls: 'ok', read: 'ok', validate: 'ok', 'schemas register': 'ok', ingest: 'SYMLINK', promote: 'ok', features: 'SYMLINK' },
  },
  {
    name: 'the schemas folder',
    link: 'schemas',
    copyOf: null,
    target: 'raw/MES',
    asset: 'MES',
    expected: { ls: 'ok', read: 'ok', validate: 'ok', 'schemas register': 'SYMLINK', ingest: 'ok', promote: 'ok', features: 'SYMLINK' },
  },
  {
    name: 'a partition file',
    link: 'raw/MES/2024-01-05/bars.parquet',
    copyOf: 'raw/MES/2024-01-05/bars.parquet',
    target: 'raw/MES',
    asset: 'MES',
    // promote keeps 2024-01-05 by reference (its raw files and their sha256 are unchanged) and never opens the linked file
    expected: { ls: 'ok', read: 'SYMLINK', validate: 'SYMLINK', 'schemas register': 'ok', ingest: 'ok', promote: 'ok', features: 'ok' },
  },
];

describe('symbolic links in a store', () => {
  const { dir, cleanup } = tempDir('mes-data-symlinks-');
  let base: Store;
  let csv: string;

  beforeAll(async () => {
    base = (await initStore(path.join(dir, 'base'))).store;
    for (const [date, value] of [
      ['2024-01-03', 5000],
      ['2024-01-04', 5010],
      ['2024-01-05', 5020],
    ] as const) {
      await writeRawSnapshot(base, { asset: 'MES', date, name: 'bars', table: barsTable(day(date, value)) });
    }
    await promoteRaw(base, { asset: 'MES', schema: OHLCV_SCHEMA });
    csv = path.join(dir, 'MES_2024-01-08.csv');
    fs.writeFileSync(csv, 'timestamp,open,high,low,close,volume\n2024-01-08T16:00:00Z,5000,5001,4999,5000.5,7\n2024-01-08T16:01:00Z,5000.5,5001,4999,5000.25,8\n');
  }, 120_000);
  afterAll(() => cleanup());

  for (const scenario of SCENARIOS) {
    it(`${scenario.name} (${scenario.link}) is never followed by any command`, async () => {
      const root = path.join(dir, `store-${SCENARIOS.indexOf(scenario)}`);
      fs.cpSync(base.root, root, { recursive: true });
      const outside = path.join(dir, `outside-${SCENARIOS.indexOf(scenario)}`, path.basename(scenario.link));
      fs.mkdirSync(path.dirname(outside), { recursive: true });
      if (scenario.copyOf) fs.cpSync(path.join(base.root, scenario.copyOf), outside, { recursive: true });
      else fs.mkdirSync(outside);
      const inside = path.join(root, scenario.link);
      fs.rmSync(inside, { recursive: true, force: true });
      fs.symlinkSync(outside, inside);
      const before = snapshot(path.dirname(outside));

      const store = await openStore(root);
      const commands: Record<string, () => Promise<unknown>> = {
        ls: () => listTree(store, ''),
        read: async () => (await Dataset.open(store.root, scenario.target)).readAll(),
        validate: () => validateTarget(store.root, scenario.target, OHLCV_SCHEMA),
        'schemas register': () => Promise.resolve(new SchemaRegistry(store.root).registerSchema({ ...OHLCV_SCHEMA, name: 'my_bars' })),
        ingest: () => ingestIntoStore(store, [csv], { asset: scenario.asset }),
        promote: () => promoteRaw(store, { asset: scenario.asset, schema: OHLCV_SCHEMA }),
        features: () => buildFeatures(store, { set: 'price_volatility', asset: 'MES' }),
      };
      const seen: Record<string, Outcome> = {};
      for (const [name, run] of Object.entries(commands)) seen[name] = await outcome(run);
      expect(seen).toEqual(scenario.expected);

      const verified = await verifyStore(store);
      expect(verified.ok).toBe(false);
      expect(verified.problems.filter((p) => p.code === 'SYMLINK')).toEqual([
        { path: scenario.link, code: 'SYMLINK', message: `${scenario.link} is a symbolic link to ${outside}; the store never follows links (readers and writers refuse it)` },
      ]);
      expect(snapshot(path.dirname(outside))).toEqual(before);
    }, 120_000);
  }
});
