import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeEngine, sqlString, withConnection } from '../../../core/engine/duckdbEngine.js';
import { MesDataError } from '../../../core/errors.js';
import { loadTable } from '../../../core/iceberg/tableCommit.js';
import { listSnapshots, snapshotForVersion } from '../../../core/iceberg/tableRead.js';
import { readSnapshotRows } from '../../../core/iceberg/tableRows.js';
import { Dataset } from '../../../core/parquet/parquetDataset.js';
import { hashFile } from '../../../core/store/fileHash.js';
import { migrateStore } from '../../../core/store/migrateStore.js';
import { openStore } from '../../../core/store/openStore.js';
import { tempDir } from '../../helpers/ohlcvTable.js';
import { filesBelow } from './format2Kit.js';
import { runMigrateChild } from './storeTestKit.js';

const FIXTURE = path.resolve(import.meta.dirname, '../../fixtures/format1-store/store');
/** A copy of the fixture store, in memory where there is /dev/shm (the crash test makes over a hundred). */
function copyFixture(): { root: string; cleanup: () => void } {
  const base = fs.existsSync('/dev/shm') ? '/dev/shm' : undefined;
  const dir = fs.mkdtempSync(path.join(base ?? os.tmpdir(), 'mes-data-migrate-'));
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
  const root = path.join(dir, 'store');
  fs.cpSync(FIXTURE, root, { recursive: true });
  return { root, cleanup };
}

const json = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;

/** Every version's rows (by its folder), each data file's sha256, and the sidecars, of a store: what the migration must keep. */
async function contentOf(root: string, folders: Record<string, string>) {
  const out: Record<string, unknown> = {};
  for (const [name, folder] of Object.entries(folders)) {
    const dataset = await Dataset.open(root, folder);
    const rows = (await dataset.readAll()).toArray().map((row) => JSON.stringify(row, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
    out[name] = { numRows: dataset.numRows, rows, sha256: await Promise.all(dataset.files.map(async (f) => (await hashFile(f.file)).sha256)) };
  }
  return out;
}

const BEFORE = { v1: 'cleaned/v1/MES', v3: 'cleaned/v3/MES', features: 'features/v1/momentum_indicators' };
const AFTER = { v1: 'cleaned/v1/MES', v3: 'cleaned/v3/MES', features: 'features/v1/MES/momentum_indicators' };

describe('migrate a format-1 store', () => {
  afterAll(async () => {
    await closeEngine();
  });

  it('keeps every version (numbers, rows, bytes, sidecars), stores a file shared by two versions once, and switches the marker last', async () => {
    const { root, cleanup } = copyFixture();
    try {
      const before = await contentOf(root, BEFORE);
      const sidecarV1 = json(path.join(root, 'cleaned/v1/MES/metadata.json'));
      const sidecarV3 = json(path.join(root, 'cleaned/v3/MES/metadata.json'));
      const sidecarF = json(path.join(root, 'features/v1/momentum_indicators/metadata.json'));
      const rawSidecar = json(path.join(root, 'raw/MES/2024-01-08/metadata.json'));
      await expect(openStore(root)).rejects.toMatchObject({ code: 'STORE_NEEDS_MIGRATION' });

      const dry = await migrateStore(root, { dryRun: true });
      expect(dry).toEqual({
        dryRun: true,
        status: 'dry-run',
        store: root,
        rawSidecars: 2,
        rawRevisions: 0,
        tables: [
          { table: 'cleaned/MES', versions: [1, 3], filesMoved: 3, filesShared: 1, bytes: dry.tables[0].bytes },
          { table: 'features/MES/momentum_indicators', versions: [1], filesMoved: 1, filesShared: 0, bytes: dry.tables[1].bytes },
        ],
      });
      expect(json(path.join(root, 'mes-data-store.json')).formatVersion).toBe(1);

      const result = await migrateStore(root);
      expect(result).toEqual({ ...dry, dryRun: false, status: 'migrated' });
      expect(json(path.join(root, 'mes-data-store.json')).formatVersion).toBe(2);
      const store = await openStore(root);
      expect(store.formatVersion).toBe(2);
      expect(await contentOf(root, AFTER)).toEqual(before);
      expect(filesBelow(path.join(root, 'cleaned/v1/MES'))).toEqual(['2024-01-08.parquet', '2024-01-09.parquet']);
      expect(filesBelow(path.join(root, 'cleaned/v3/MES'))).toEqual(['2024-01-08.parquet', '2024-01-10.parquet']);
      expect(filesBelow(path.join(root, 'features/v1/MES/momentum_indicators'))).toEqual(['part-0.parquet']);
      expect(fs.existsSync(path.join(root, 'features/v1/momentum_indicators'))).toBe(false);
      // 2024-01-08 of v1 and v3: one data file, linked from both folders
      expect(fs.statSync(path.join(root, 'cleaned/v1/MES/2024-01-08.parquet')).ino).toBe(fs.statSync(path.join(root, 'cleaned/v3/MES/2024-01-08.parquet')).ino);
      expect(filesBelow(path.join(root, 'cleaned/MES/data')).map((f) => f.split('/')[0])).toEqual(['2024-01-08', '2024-01-09', '2024-01-10']);
      // the snapshots keep the version numbers, the gap too, and read the same rows by field id (name mapping)
      const table = await loadTable(path.join(root, 'cleaned/MES'));
      expect(listSnapshots(table).map((s) => s.version)).toEqual([1, 3]);
      const v3Rows = await readSnapshotRows(table, snapshotForVersion(table, 3));
      const perDate: Record<string, number> = {};
      for (const row of v3Rows) perDate[String(row.date)] = (perDate[String(row.date)] ?? 0) + 1;
      // the date comes from the partition: the format-1 files do not hold it
      expect(perDate).toEqual({ '2024-01-08': 30, '2024-01-10': 20 });
      expect(Object.keys(v3Rows[0]).sort()).toEqual(['close', 'date', 'high', 'low', 'open', 'timestamp', 'volume']);
      // sidecars: in catalog/, files[].path naming the new links, everything else as it was
      const newV1 = json(path.join(root, 'catalog/cleaned/MES/v1.json'));
      expect(newV1).toEqual({ ...sidecarV1, files: (sidecarV1.files as { path: string }[]).map((f) => ({ ...f, path: `${f.path.slice(5, 15)}.parquet` })) });
      expect(json(path.join(root, 'catalog/cleaned/MES/v3.json'))).toEqual({ ...sidecarV3, files: (sidecarV3.files as { path: string }[]).map((f) => ({ ...f, path: `${f.path.slice(5, 15)}.parquet` })) });
      const newF = json(path.join(root, 'catalog/features/MES/momentum_indicators/v1.json'));
      expect(newF).toEqual({
        ...sidecarF,
        dependencies: (sidecarF.dependencies as { path: string }[]).map((d) => ({ ...d, path: d.path.replace(/date=(\d{4}-\d{2}-\d{2})\/part-0\.parquet$/, '$1.parquet') })),
      });
      expect(json(path.join(root, 'catalog/raw/MES/2024-01-08.json'))).toEqual(rawSidecar);
      expect(fs.existsSync(path.join(root, 'raw/MES/2024-01-08/metadata.json'))).toBe(false);
      expect(json(path.join(root, 'version-ledger.json'))).toEqual({ cleaned: { MES: 3 }, features: { 'MES/momentum_indicators': 1 } });
      expect(fs.existsSync(path.join(root, '.migration'))).toBe(false);
      // a second run has nothing to do
      expect(await migrateStore(root)).toEqual({ dryRun: false, status: 'current', store: root, rawSidecars: 0, rawRevisions: 0, tables: [] });
    } finally {
      cleanup();
    }
  });

  it('a kill at its durable steps (every eighth and the last; all with MES_DATA_CRASH_EVERY_STEP=1), then a rerun, ends with the same store', async () => {
    const reference = copyFixture();
    const expected: { files: string[]; content: unknown } = { files: [], content: null };
    const outside = (f: string) => !f.includes('/data/') && !f.includes('/metadata/');
    try {
      await migrateStore(reference.root);
      expected.files = filesBelow(reference.root).filter(outside);
      expected.content = await contentOf(reference.root, AFTER);
    } finally {
      reference.cleanup();
    }
    // how many durable steps a migration of the fixture has: each one is a kill point below
    const traced = copyFixture();
    let steps: number;
    try {
      const run = await runMigrateChild(traced.root, { MES_DATA_STORE_CRASH_TRACE: '1' });
      expect(run.code).toBe(0);
      steps = run.stderr.split('\n').filter((line) => line.startsWith('crash point ')).length;
    } finally {
      traced.cleanup();
    }
    expect(steps).toBeGreaterThan(100);
    // the killed runs in parallel (each is a process of its own), then each store is finished and compared
    const killed: { step: number; root: string; cleanup: () => void; signal: NodeJS.Signals | null }[] = [];
    // every step with MES_DATA_CRASH_EVERY_STEP=1 (118 kills: about 17 minutes on a loaded machine), else every
    // 8th step and the last (each kind of step: journal, raw sidecars, data moves, Iceberg commits, folders, marker)
    const stride = process.env.MES_DATA_CRASH_EVERY_STEP === '1' ? 1 : 8;
    const queue = Array.from({ length: steps }, (_, k) => k + 1).filter((step) => step % stride === 1 || stride === 1 || step === steps);
    const worker = async () => {
      for (let step = queue.shift(); step !== undefined; step = queue.shift()) {
        const copy = copyFixture();
        const run = await runMigrateChild(copy.root, { MES_DATA_STORE_CRASH_AFTER: String(step) });
        killed.push({ step, ...copy, signal: run.signal });
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    try {
      for (const { step, root, signal } of killed.sort((a, b) => a.step - b.step)) {
        expect({ step, signal }).toEqual({ step, signal: 'SIGKILL' });
        const journal = fs.existsSync(path.join(root, '.migration/journal.json'));
        const rerun = await migrateStore(root);
        // killed before the journal was written: a fresh start; after it: the journal's plan finished
        expect({ step, status: rerun.status }).toEqual({ step, status: journal ? 'resumed' : 'migrated' });
        expect(filesBelow(root).filter(outside)).toEqual(expected.files);
        expect(await contentOf(root, AFTER)).toEqual(expected.content);
      }
    } finally {
      for (const { cleanup } of killed) cleanup();
    }
  }, 1_800_000);

  /** Rewrites the fixture's v3 file of 2024-01-10 through DuckDB with `select` over it (`f`), so v3 differs from v1 in its columns. */
  async function rewriteV3(root: string, select: string): Promise<void> {
    const file = path.join(root, 'cleaned/v3/MES/date=2024-01-10/part-0.parquet');
    const next = `${file}.new`;
    await withConnection((c) => c.run(`COPY (${select.replace('f', `read_parquet(${sqlString(file)})`)}) TO ${sqlString(next)} (FORMAT parquet)`, 'test file'));
    fs.renameSync(next, file);
  }

  it('a version that brings a column evolves the schema: the older version reads without it, the newer reads it and null where its files lack it', async () => {
    const { root, cleanup } = copyFixture();
    try {
      await rewriteV3(root, 'SELECT *, 7000 + row_number() OVER (ORDER BY timestamp) AS open_interest FROM f');
      await migrateStore(root);
      const table = await loadTable(path.join(root, 'cleaned/MES'));
      expect(table.metadata.schemas.map((schema) => schema.fields.map((f) => `${f.id}:${f.name}`))).toEqual([
        ['1:timestamp', '2:open', '3:high', '4:low', '5:close', '6:volume', '7:date'],
        ['1:timestamp', '2:open', '3:high', '4:low', '5:close', '6:volume', '7:date', '8:open_interest'],
      ]);
      const v1Rows = await readSnapshotRows(table, snapshotForVersion(table, 1));
      expect(Object.keys(v1Rows[0]).sort()).toEqual(['close', 'date', 'high', 'low', 'open', 'timestamp', 'volume']);
      const v3Rows = await readSnapshotRows(table, snapshotForVersion(table, 3));
      const interest = (date: string) => v3Rows.filter((row) => String(row.date) === date).map((row) => (row.open_interest === null ? null : Number(row.open_interest)));
      expect(interest('2024-01-08')).toEqual(new Array<null>(30).fill(null));
      expect(interest('2024-01-10')).toEqual(Array.from({ length: 20 }, (_, k) => 7001 + k));
    } finally {
      cleanup();
    }
  });

  it('a version that changes a column type other than by widening is SCHEMA_MISMATCH naming the file, the column and both types, before anything moves', async () => {
    const { root, cleanup } = copyFixture();
    try {
      await rewriteV3(root, 'SELECT * REPLACE (CAST(volume AS VARCHAR) AS volume) FROM f');
      const error = (await migrateStore(root).catch((e: unknown) => e)) as MesDataError;
      expect(error).toBeInstanceOf(MesDataError);
      expect(error.code).toBe('SCHEMA_MISMATCH');
      expect(error.message).toBe('cleaned/v3/MES/date=2024-01-10/part-0.parquet has column volume as string where the versions before it have long; the migration widens int to long and float to double only');
      expect(error.details).toEqual({ path: 'cleaned/v3/MES/date=2024-01-10/part-0.parquet', column: 'volume', from: 'long', to: 'string' });
      expect(json(path.join(root, 'mes-data-store.json')).formatVersion).toBe(1);
      expect(fs.existsSync(path.join(root, 'cleaned/MES'))).toBe(false);
    } finally {
      cleanup();
    }
  });

  it('refuses a store that is not one', async () => {
    const { dir, cleanup } = tempDir('mes-data-migrate-none-');
    try {
      const error = await migrateStore(dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MesDataError);
      expect((error as MesDataError).code).toBe('NOT_FOUND');
    } finally {
      cleanup();
    }
  });
});
