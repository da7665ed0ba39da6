/**
 * Crash safety of a big raw batch (70 dates: the path that moves each date's sidecar into
 * catalog/raw/ and its whole date folder into raw/, and syncs the file system once instead
 * of per file). A writer in a child process is killed
 * with SIGKILL at sampled durable steps, then the store is opened as the next program would
 * open it: verify finds nothing wrong, the earlier date is untouched, and the batch is there
 * completely or not at all.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetadataManager } from '../../../core/store/metadataManager.js';
import { openStore } from '../../../core/store/openStore.js';
import { commitRawSnapshots } from '../../../core/store/rawSnapshot.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { verifyStore } from '../../../core/store/verifyStore.js';
import { ohlcvTable } from '../../helpers/ohlcvTable.js';
import { crashAtSteps, expectSidecarsValid, newStore, runChild, traceSteps } from './storeTestKit.js';

const DATES = Array.from({ length: 70 }, (_, k) => new Date(Date.UTC(2024, 1, 1 + k)).toISOString().slice(0, 10));

describe('a raw batch of 70 dates killed mid-way', () => {
  let base: Store;
  let dir: string;
  let cleanup: () => void;
  beforeAll(async () => {
    ({ store: base, dir, cleanup } = await newStore('mes-data-batch-crash-', { inMemory: true }));
    await commitRawSnapshots(base, [{ asset: 'MES', date: '2024-01-15', name: 'a', table: ohlcvTable(6) }]);
  });
  afterAll(() => cleanup());

  const request = (root: string) => ({ op: 'commitRaw', store: root, snapshots: DATES.map((date) => ({ asset: 'MES', date, name: 'b', rows: 3 })) });
  const copyOfBase = (name: string) => {
    const root = path.join(dir, name);
    fs.cpSync(base.root, root, { recursive: true });
    return root;
  };

  // about 30 writers started and killed, two at a time, on a machine other tests share
  it('is all or nothing at every sampled step, and survives from its journal on', { timeout: 300_000 }, async () => {
    const labels = await traceSteps((env) => runChild(request(copyOfBase('trace')), env));
    const journal = labels.indexOf('renamed journal.json into place');
    const sidecars = labels.indexOf('staged the raw sidecars');
    expect(sidecars).toBeGreaterThan(140);
    expect(journal).toBeGreaterThan(sidecars);
    // one step in twenty while staging, every step around the commit point, then every
    // fifteenth move (an odd stride: after a date's sidecar move and after its folder move alike)
    const steps = labels.map((_, i) => i + 1).filter((n) => n % 20 === 0 || (n >= sidecars - 1 && n <= journal + 3) || (n > journal && (n - journal) % 15 === 0) || n === labels.length);
    const moved = labels.filter((label) => label.startsWith('moved ')).length;
    expect(moved).toBe(2 * DATES.length);
    const outcomes = await crashAtSteps(
      steps,
      (n, env) => runChild(request(copyOfBase(`crash-${n}`)), env),
      async (n) => {
        const root = path.join(dir, `crash-${n}`);
        const store = await openStore(root);
        expect({ n, problems: (await verifyStore(store)).problems }).toEqual({ n, problems: [] });
        expect(fs.readdirSync(path.join(root, '.staging'))).toEqual([]);
        const present = DATES.filter((date) => fs.existsSync(path.join(root, 'catalog/raw/MES', `${date}.json`)));
        const folders = DATES.filter((date) => fs.existsSync(path.join(root, 'raw/MES', date)));
        expect({ n, folders: folders.length }).toEqual({ n, folders: present.length });
        expect({ n, present: present.length }).toEqual({ n, present: present.length === 0 ? 0 : DATES.length });
        const earlier = await MetadataManager.readMetadataFile(path.join(root, 'catalog/raw/MES/2024-01-15.json'));
        expect(earlier.files.map((f) => f.path)).toEqual(['a.parquet']);
        expectSidecarsValid(root);
        fs.rmSync(root, { recursive: true, force: true });
        return present.length > 0;
      },
    );
    const from = outcomes.indexOf(true);
    expect(from).toBeGreaterThan(0);
    expect(outcomes.slice(from).every(Boolean)).toBe(true);
    expect(steps[from]).toBe(journal + 1);
  });
});
