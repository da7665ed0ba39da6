/**
 * Crash safety: a writer in a child process is killed with SIGKILL at every durable step
 * of a commit (core/store/crashPoints.ts counts the steps), then the store is opened the
 * way the next program would open it. Each time: verify finds no problem, what was there
 * before is intact, the new data is there completely or not at all, and no version number
 * is handed out twice. Then two writers race for version numbers.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dataset } from '../../../core/parquet/parquetDataset.js';
import { MetadataManager } from '../../../core/store/metadataManager.js';
import { openStore } from '../../../core/store/openStore.js';
import { commitRawSnapshots } from '../../../core/store/rawSnapshot.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { commitVersion } from '../../../core/store/versionCommit.js';
import { loadTable } from '../../../core/iceberg/tableCommit.js';
import { listSnapshots } from '../../../core/iceberg/tableRead.js';
import { listVersions, readLedger } from '../../../core/store/versionLedger.js';
import { verifyStore } from '../../../core/store/verifyStore.js';
import { ohlcvTable } from '../../helpers/ohlcvTable.js';
import { expectSidecarsValid, inParallel, newStore, runChild } from './storeTestKit.js';

/** Every file of a store (outside .staging and .lock) with its SHA-256. */
function snapshot(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.set(path.relative(root, full).split(path.sep).join('/'), createHash('sha256').update(fs.readFileSync(full)).digest('hex'));
    }
  };
  walk(root);
  return files;
}

/** The names of the durable steps of a request, in order, from a traced run that does not crash. */
async function crashPoints(request: object): Promise<string[]> {
  const run = await runChild(request, { MES_DATA_STORE_CRASH_TRACE: '1' });
  expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
  return run.stderr
    .split('\n')
    .filter((line) => line.startsWith('crash point '))
    .map((line) => line.replace(/^crash point \d+: /, ''));
}

describe('crash safety and concurrent writers', () => {
  let base: Store;
  let dir: string;
  let cleanup: () => void;
  let before: Map<string, string>;

  beforeAll(async () => {
    ({ store: base, dir, cleanup } = await newStore('mes-data-crash-', { inMemory: true }));
    await commitRawSnapshots(base, [{ asset: 'MES', date: '2024-01-15', name: 'a', table: ohlcvTable(6) }]);
    await commitVersion(base, {
      layer: 'cleaned',
      key: 'MES',
      write: async (ctx) => {
        await ctx.writeParquet('date=2024-01-15/part-0.parquet', ohlcvTable(6));
      },
    });
    before = snapshot(base.root);
  });
  afterAll(() => cleanup());

  function copyOfBase(name: string): string {
    const root = path.join(dir, name);
    fs.cpSync(base.root, root, { recursive: true });
    return root;
  }

  /** What every crashed store must satisfy, whatever the step. */
  async function expectConsistentAfterCrash(root: string): Promise<Store> {
    const store = await openStore(root);
    const result = await verifyStore(store);
    expect({ root, problems: result.problems }).toEqual({ root, problems: [] });
    expect(fs.readdirSync(path.join(root, '.staging'))).toEqual([]);
    expect(fs.readdirSync(root).filter((name) => name.startsWith('.lock'))).toEqual([]);
    const after = snapshot(root);
    for (const [file, hash] of before) {
      // the ledger and the table's version hint are replaced by every commit; all else stays byte for byte
      if (file === 'version-ledger.json' || file === 'catalog/raw/MES/2024-01-15.json' || file === 'cleaned/MES/metadata/version-hint.text') continue;
      expect({ file, hash: after.get(file) }).toEqual({ file, hash });
    }
    expectSidecarsValid(root);
    return store;
  }

  it('a version commit killed at any step leaves the store consistent, with the version whole or absent and its number never reused', async () => {
    const request = (root: string) => ({ op: 'commitVersion', store: root, asset: 'MES', parts: 2, rows: 7 });
    const traceRoot = copyOfBase('trace-version');
    const points = (await crashPoints(request(traceRoot))).length;
    expect(points).toBeGreaterThanOrEqual(15);
    const outcomes = await inParallel(
      Array.from({ length: points }, (_, i) => async () => {
        const n = i + 1;
        const root = copyOfBase(`version-crash-${n}`);
        const run = await runChild(request(root), { MES_DATA_STORE_CRASH_AFTER: String(n) });
        expect({ n, signal: run.signal, stdout: run.stdout }).toEqual({ n, signal: 'SIGKILL', stdout: '' });
        const store = await expectConsistentAfterCrash(root);
        const versions = await listVersions(store, 'cleaned', 'MES');
        const allocated = (await readLedger(store)).cleaned.MES;
        // the table's snapshots are the versions: the commit point is the snapshot, the folder follows it
        const snapshots = listSnapshots(await loadTable(path.join(root, 'cleaned/MES'))).map((s) => s.version);
        expect({ n, snapshots }).toEqual({ n, snapshots: versions });
        if (versions.includes(2)) {
          const table = await (await Dataset.open(store.root, 'cleaned/v2/MES')).readAll();
          expect(table.numRows).toBe(14);
          const sidecar = await MetadataManager.readMetadataFile(path.join(root, 'catalog/cleaned/MES/v2.json'));
          expect(sidecar.files.map((f) => f.path)).toEqual(['2024-01-15.parquet', '2024-01-16.parquet']);
          expect(fs.readdirSync(path.join(root, 'cleaned/v2/MES')).sort()).toEqual(['2024-01-15.parquet', '2024-01-16.parquet']);
        } else {
          expect(fs.existsSync(path.join(root, 'cleaned', 'v2'))).toBe(false);
          expect(fs.existsSync(path.join(root, 'catalog/cleaned/MES/v2.json'))).toBe(false);
        }
        // the next writer goes on at once (the dead writer's lock is stale) with a fresh number
        const next = await commitVersion(store, { layer: 'cleaned', key: 'MES', lockWaitMs: 0, write: async (ctx) => void (await ctx.writeParquet('date=2024-01-20/part-0.parquet', ohlcvTable(1))) });
        expect(next.version).toBe(Math.max(allocated, ...versions) + 1);
        fs.rmSync(root, { recursive: true, force: true });
        return { n, versions, allocated };
      }),
      2,
    );
    // early crashes lose the version, late ones keep it, and nothing in between
    const committedFrom = outcomes.findIndex((o) => o.versions.includes(2));
    expect(committedFrom).toBeGreaterThan(0);
    expect(outcomes.slice(committedFrom).every((o) => o.versions.join() === '1,2')).toBe(true);
    expect(outcomes.slice(0, committedFrom).every((o) => o.versions.join() === '1')).toBe(true);
    expect(outcomes.some((o) => o.allocated === 2 && !o.versions.includes(2))).toBe(true);
    process.stdout.write(`version commit: ${points} crash points; the version survives from step ${committedFrom + 1}\n`);
    // a format-2 commit has about 40 durable steps (table files, sidecar, links, snapshot), each a child process
  }, 600_000);

  it('a raw batch killed at any step is all or nothing once the store is opened again', async () => {
    const request = (root: string) => ({
      op: 'commitRaw',
      store: root,
      snapshots: [
        { asset: 'MES', date: '2024-01-15', name: 'b', rows: 3 },
        { asset: 'MES', date: '2024-01-17', name: 'a', rows: 4 },
      ],
    });
    const traceRoot = copyOfBase('trace-raw');
    const labels = await crashPoints(request(traceRoot));
    expect(labels.length).toBeGreaterThanOrEqual(15);
    // every step from the staged sidecars on (the commit itself), every third step before (staging only)
    const commitPhase = labels.indexOf('staged the raw sidecars');
    expect(commitPhase).toBeGreaterThan(0);
    const steps = labels.map((_, i) => i + 1).filter((n) => n >= commitPhase || n % 3 === 1);
    const outcomes = await inParallel(
      steps.map((n) => async () => {
        const root = copyOfBase(`raw-crash-${n}`);
        const run = await runChild(request(root), { MES_DATA_STORE_CRASH_AFTER: String(n) });
        expect({ n, signal: run.signal }).toEqual({ n, signal: 'SIGKILL' });
        await expectConsistentAfterCrash(root);
        const added = fs.existsSync(path.join(root, 'raw/MES/2024-01-15/b.parquet'));
        const created = fs.existsSync(path.join(root, 'raw/MES/2024-01-17'));
        const createdSidecar = fs.existsSync(path.join(root, 'catalog/raw/MES/2024-01-17.json'));
        expect({ n, added, created, createdSidecar }).toEqual({ n, added, created: added, createdSidecar: added });
        const sidecar = await MetadataManager.readMetadataFile(path.join(root, 'catalog/raw/MES/2024-01-15.json'));
        expect(sidecar.files.map((f) => f.path)).toEqual(added ? ['a.parquet', 'b.parquet'] : ['a.parquet']);
        fs.rmSync(root, { recursive: true, force: true });
        return added;
      }),
      2,
    );
    const from = outcomes.indexOf(true);
    expect(from).toBeGreaterThan(0);
    expect(outcomes.slice(from).every(Boolean)).toBe(true);
    expect(outcomes.slice(0, from).some(Boolean)).toBe(false);
    // the journal's rename into place is the commit point: from there on the batch survives
    expect(labels[steps[from] - 1]).toBe('renamed journal.json into place');
    process.stdout.write(`raw batch: ${labels.length} crash points, ${steps.length} tried; the batch survives from step ${steps[from]} (${labels[steps[from] - 1]})\n`);
    // about 15 writers started and killed, two at a time, on a machine other tests share
  }, 300_000);

  it('two processes committing at once get distinct versions or LOCKED, never a corrupt store', async () => {
    const root = copyOfBase('race-no-wait');
    const request = { op: 'commitVersion', store: root, asset: 'ES', parts: 1, rows: 3, count: 4, lockWaitMs: 0 };
    const runs = await Promise.all([runChild(request), runChild(request)]);
    const lines = runs.flatMap((run) => {
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      return run.lines;
    });
    expect(lines.length).toBe(8);
    const versions = lines.filter((line) => line.ok).map((line) => line.version as number);
    const failures = lines.filter((line) => !line.ok);
    expect(failures.every((line) => line.code === 'LOCKED' && typeof (line.details as { pid?: unknown }).pid === 'number')).toBe(true);
    expect(new Set(versions).size).toBe(versions.length);
    const store = await openStore(root);
    expect(await listVersions(store, 'cleaned', 'ES')).toEqual([...versions].sort((a, b) => a - b));
    expect((await verifyStore(store)).problems).toEqual([]);
    process.stdout.write(`race without waiting: ${versions.length} commits, ${failures.length} LOCKED\n`);

    const waiting = copyOfBase('race-wait');
    const patient = { ...request, store: waiting, lockWaitMs: 30_000 };
    const patientRuns = await Promise.all([runChild(patient), runChild(patient)]);
    const all = patientRuns.flatMap((run) => run.lines);
    expect(all.every((line) => line.ok)).toBe(true);
    expect(all.map((line) => line.version as number).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const waitingStore = await openStore(waiting);
    expect(await listVersions(waitingStore, 'cleaned', 'ES')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect((await verifyStore(waitingStore)).problems).toEqual([]);
  });
});
