/**
 * Crash safety of a raw revision, whose commit moves the superseded file out of its date
 * folder (`catalog/raw/{ASSET}/superseded/{DATE}/`) beside the sidecar's replacement and the
 * revision's own move. A writer in a child process is killed with SIGKILL after each durable
 * step in turn; the store opened afterwards (which finishes a committed journal) holds the
 * old state or the new one, with nothing lost and nothing for verify to report.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetadataManager } from '../../../core/store/metadataManager.js';
import { openStore } from '../../../core/store/openStore.js';
import { commitRawSnapshots, supersededFiles } from '../../../core/store/rawSnapshot.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { verifyStore } from '../../../core/store/verifyStore.js';
import { ohlcvTable } from '../../helpers/ohlcvTable.js';
import { crashAtSteps, expectSidecarsValid, newStore, runChild, traceSteps } from './storeTestKit.js';

const DATE = '2024-01-15';
const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('a raw revision killed at every durable step', () => {
  let base: Store;
  let dir: string;
  let cleanup: () => void;
  let original: string;
  beforeAll(async () => {
    ({ store: base, dir, cleanup } = await newStore('mes-data-revision-crash-', { inMemory: true }));
    await commitRawSnapshots(base, [
      { asset: 'MES', date: DATE, name: 'a', table: ohlcvTable(6) },
      { asset: 'MES', date: DATE, name: 'b', table: ohlcvTable(2) },
    ]);
    original = sha256(path.join(base.root, 'raw/MES', DATE, 'a.parquet'));
  });
  afterAll(() => cleanup());

  const request = (root: string) => ({ op: 'commitRaw', store: root, snapshots: [{ asset: 'MES', date: DATE, name: 'a', rows: 9 }], revise: true });
  const copyOfBase = (name: string) => {
    const root = path.join(dir, name);
    fs.cpSync(base.root, root, { recursive: true });
    return root;
  };

  it('leaves the old state before its journal and the new one from it on', { timeout: 300_000 }, async () => {
    const labels = await traceSteps((env) => runChild(request(copyOfBase('trace')), env));
    const journal = labels.indexOf('renamed journal.json into place');
    expect(journal).toBeGreaterThan(0);
    expect(labels.slice(journal)).toContain('superseded raw/MES/2024-01-15/a.parquet');
    const steps = labels.map((_, i) => i + 1);
    const outcomes = await crashAtSteps(
      steps,
      (n, env) => runChild(request(copyOfBase(`crash-${n}`)), env),
      async (n) => {
        const root = path.join(dir, `crash-${n}`);
        const store = await openStore(root);
        expect({ n, problems: (await verifyStore(store)).problems }).toEqual({ n, problems: [] });
        expect(fs.readdirSync(path.join(root, '.staging'))).toEqual([]);
        const folder = fs.readdirSync(path.join(root, 'raw/MES', DATE)).sort();
        const sidecar = await MetadataManager.readMetadataFile(path.join(root, 'catalog/raw/MES', `${DATE}.json`));
        const moved = supersededFiles(sidecar).map((f) => [f.path, f.sha256]);
        const revised = folder.includes('a.rev1.parquet');
        if (revised) {
          expect({ n, folder, files: sidecar.files.map((f) => f.path), moved }).toEqual({
            n,
            folder: ['a.rev1.parquet', 'b.parquet'],
            files: ['a.rev1.parquet', 'b.parquet'],
            moved: [[`catalog/raw/MES/superseded/${DATE}/a.parquet`, original]],
          });
          expect(sha256(path.join(root, 'catalog/raw/MES/superseded', DATE, 'a.parquet'))).toBe(original);
        } else {
          expect({ n, folder, files: sidecar.files.map((f) => f.path), moved, superseded: fs.existsSync(path.join(root, 'catalog/raw/MES/superseded')) }).toEqual({
            n,
            folder: ['a.parquet', 'b.parquet'],
            files: ['a.parquet', 'b.parquet'],
            moved: [],
            superseded: false,
          });
          expect(sha256(path.join(root, 'raw/MES', DATE, 'a.parquet'))).toBe(original);
        }
        expectSidecarsValid(root);
        fs.rmSync(root, { recursive: true, force: true });
        return revised;
      },
    );
    const from = outcomes.indexOf(true);
    expect(outcomes.slice(0, from).every((revised) => !revised)).toBe(true);
    expect(outcomes.slice(from).every(Boolean)).toBe(true);
    expect(steps[from]).toBe(journal + 1);
  });
});
