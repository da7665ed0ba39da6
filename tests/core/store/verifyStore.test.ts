import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../core/store/openStore.js';
import { commitRawSnapshots } from '../../../core/store/rawSnapshot.js';
import { HOST_TAG } from '../../../core/store/storeLock.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { verifyStore, type VerifyProblem } from '../../../core/store/verifyStore.js';
import { ohlcvTable } from '../../helpers/ohlcvTable.js';
import { newStore, writeFormat2Version } from './storeTestKit.js';

describe('verifyStore', () => {
  let base: Store;
  let dir: string;
  let cleanup: () => void;
  let copies = 0;

  beforeAll(async () => {
    ({ store: base, dir, cleanup } = await newStore());
    await commitRawSnapshots(base, [
      { asset: 'MES', date: '2024-01-15', name: 'ohlcv', table: ohlcvTable(20) },
      { asset: 'MES', date: '2024-01-16', name: 'ohlcv', table: ohlcvTable(30) },
    ]);
    // cleaned/MES v1 of one date; v2 keeps it by reference and adds 2024-01-16
    const [first] = await writeFormat2Version(base, 'cleaned', 'MES', 1, [{ date: '2024-01-15', table: ohlcvTable(20) }]);
    await writeFormat2Version(base, 'cleaned', 'MES', 2, [{ date: '2024-01-16', table: ohlcvTable(30) }], { shared: [{ path: first, date: '2024-01-15' }] });
    await writeFormat2Version(base, 'features', 'MES/price_volatility', 1, [{ date: null, table: ohlcvTable(5) }]);
  });
  afterAll(() => cleanup());

  /** A copy of the base store to damage. */
  async function copy(damage: (root: string) => void): Promise<VerifyProblem[]> {
    const root = path.join(dir, `copy-${copies++}`);
    fs.cpSync(base.root, root, { recursive: true });
    damage(root);
    const result = await verifyStore(await openStore(root, { recover: false }));
    expect(result.ok).toBe(result.problems.length === 0);
    return result.problems;
  }
  const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  const editSidecar = (file: string, edit: (sidecar: { recordCount: number; files: { path: string; rows: number; bytes: number; sha256: string }[]; fileSizeBytes: number }) => void) => {
    const sidecar = JSON.parse(fs.readFileSync(file, 'utf8')) as Parameters<typeof edit>[0];
    edit(sidecar);
    fs.writeFileSync(file, JSON.stringify(sidecar));
  };

  it('a store as written is consistent', async () => {
    const result = await verifyStore(base);
    expect(result).toEqual({ ok: true, problems: [], checked: { datasets: 5, files: 6, bytes: result.checked.bytes } });
    expect(result.checked.bytes).toBeGreaterThan(4000);
  });

  it('finds a changed byte (same size) by its hash', async () => {
    const target = 'raw/MES/2024-01-15/ohlcv.parquet';
    const recorded = sha(path.join(base.root, target));
    let now = '';
    const problems = await copy((root) => {
      const file = path.join(root, target);
      const bytes = fs.readFileSync(file);
      bytes[100] ^= 0xff;
      fs.writeFileSync(file, bytes);
      now = sha(file);
    });
    expect(problems).toEqual([
      { path: target, code: 'HASH_MISMATCH', message: `${target} has SHA-256 ${now}; its sidecar recorded ${recorded} (the file was changed or damaged after it was committed)` },
    ]);
  });

  it('finds a grown file, a missing file and an unexpected file', async () => {
    const size = fs.statSync(path.join(base.root, 'cleaned/v1/MES/2024-01-15.parquet')).size;
    const problems = await copy((root) => {
      fs.appendFileSync(path.join(root, 'cleaned/v1/MES/2024-01-15.parquet'), 'x');
      fs.rmSync(path.join(root, 'raw/MES/2024-01-16/ohlcv.parquet'));
      fs.writeFileSync(path.join(root, 'raw/MES/2024-01-15/notes.txt'), 'mine');
      fs.mkdirSync(path.join(root, 'features/v1/MES/price_volatility/extra'));
    });
    expect(problems.map((p) => [p.path, p.code])).toEqual([
      ['cleaned/v1/MES/2024-01-15.parquet', 'CORRUPTED_FILE'],
      ['cleaned/v1/MES/2024-01-15.parquet', 'SIZE_MISMATCH'],
      ['features/v1/MES/price_volatility/extra', 'UNEXPECTED_FILE'],
      ['raw/MES/2024-01-15/notes.txt', 'UNEXPECTED_FILE'],
      ['raw/MES/2024-01-16/ohlcv.parquet', 'MISSING_FILE'],
    ]);
    expect(problems[1].message).toBe(`cleaned/v1/MES/2024-01-15.parquet has ${size + 1} bytes; its sidecar recorded ${size} (it changed after it was committed)`);
    expect(problems[3].message).toBe('raw/MES/2024-01-15/notes.txt is not listed in catalog/raw/MES/2024-01-15.json');
  });

  it('checks sidecars: JSON, schema, totals, row counts, and what their folder says', async () => {
    const problems = await copy((root) => {
      fs.writeFileSync(path.join(root, 'catalog/raw/MES/2024-01-16.json'), '{"files": [');
      editSidecar(path.join(root, 'catalog/raw/MES/2024-01-15.json'), (s) => {
        s.files[0].rows = 21;
        s.recordCount = 21;
      });
      editSidecar(path.join(root, 'catalog/cleaned/MES/v1.json'), (s) => {
        s.recordCount = 99;
      });
      // the version folder and its sidecar renamed to another feature set
      fs.renameSync(path.join(root, 'features/v1/MES/price_volatility'), path.join(root, 'features/v1/MES/momentum_indicators'));
      fs.renameSync(path.join(root, 'catalog/features/MES/price_volatility'), path.join(root, 'catalog/features/MES/momentum_indicators'));
    });
    expect(problems.map((p) => [p.path, p.code])).toEqual([
      ['catalog/cleaned/MES/v1.json', 'INVALID_SIDECAR'],
      ['catalog/features/MES/momentum_indicators/v1.json', 'INVALID_SIDECAR'],
      ['catalog/raw/MES/2024-01-16.json', 'CORRUPTED_SIDECAR'],
      ['features/v1/MES/momentum_indicators/part-0.parquet', 'METADATA_MISMATCH'],
      ['raw/MES/2024-01-15/ohlcv.parquet', 'ROW_COUNT_MISMATCH'],
    ]);
    const { fileSizeBytes } = JSON.parse(fs.readFileSync(path.join(base.root, 'catalog/cleaned/MES/v1.json'), 'utf8')) as { fileSizeBytes: number };
    expect(problems[0].message).toBe(`catalog/cleaned/MES/v1.json records 99 rows and ${fileSizeBytes} bytes in all, but its files add up to 20 rows and ${fileSizeBytes} bytes`);
    expect(problems[1].message).toBe('catalog/features/MES/momentum_indicators/v1.json: its sidecar says feature set "price_volatility" but the folder is features MES/momentum_indicators v1');
    expect(problems[3].message).toBe('features/v1/MES/momentum_indicators/part-0.parquet: its embedded key facts (mes_data.feature_set=price_volatility) do not match features MES/momentum_indicators v1');
    expect(problems[4].message).toBe('raw/MES/2024-01-15/ohlcv.parquet holds 20 rows; its sidecar recorded 21');
  });

  it('finds folders without sidecars, sidecars without folders, bad names, files out of place, leftovers and files moved between datasets', async () => {
    const problems = await copy((root) => {
      fs.mkdirSync(path.join(root, 'raw/MES/2024-01-17'));
      fs.writeFileSync(path.join(root, 'raw/MES/2024-01-17/half.parquet'), 'x');
      fs.copyFileSync(path.join(root, 'catalog/raw/MES/2024-01-16.json'), path.join(root, 'catalog/raw/MES/2024-01-18.json'));
      fs.mkdirSync(path.join(root, 'cleaned/v3/MES'), { recursive: true });
      fs.copyFileSync(path.join(root, 'catalog/cleaned/MES/v2.json'), path.join(root, 'catalog/cleaned/MES/v4.json'));
      fs.writeFileSync(path.join(root, 'catalog/raw/MES/notes.txt'), 'x');
      fs.mkdirSync(path.join(root, 'catalog/gold'));
      fs.writeFileSync(path.join(root, 'cleaned/MES/notes.txt'), 'x');
      fs.mkdirSync(path.join(root, 'raw/mes'));
      fs.mkdirSync(path.join(root, 'raw/MES/yesterday'));
      fs.mkdirSync(path.join(root, 'cleaned/mes'));
      fs.writeFileSync(path.join(root, 'cleaned/README.txt'), 'x');
      fs.writeFileSync(path.join(root, 'stray.csv'), 'x');
      fs.mkdirSync(path.join(root, `.staging/999999999-${HOST_TAG}-000000000000`), { recursive: true });
      // a cleaned file slipped into a raw date folder, with a sidecar entry that matches its bytes
      const moved = path.join(root, 'raw/MES/2024-01-15/extra.parquet');
      fs.copyFileSync(path.join(root, 'cleaned/v1/MES/2024-01-15.parquet'), moved);
      editSidecar(path.join(root, 'catalog/raw/MES/2024-01-15.json'), (s) => {
        s.files.push({ ...s.files[0], path: 'extra.parquet', rows: 20, bytes: fs.statSync(moved).size, sha256: sha(moved) });
        s.fileSizeBytes += fs.statSync(moved).size;
        s.recordCount += 20;
      });
    });
    expect(problems.map((p) => [p.path, p.code])).toEqual([
      [`.staging/999999999-${HOST_TAG}-000000000000`, 'LEFTOVER_STAGING'],
      ['catalog/cleaned/MES/v4.json', 'MISSING_FOLDER'],
      ['catalog/gold', 'UNEXPECTED_FILE'],
      ['catalog/raw/MES/2024-01-18.json', 'MISSING_FOLDER'],
      ['catalog/raw/MES/notes.txt', 'UNEXPECTED_FILE'],
      ['cleaned/MES/notes.txt', 'UNEXPECTED_FILE'],
      ['cleaned/README.txt', 'UNEXPECTED_FILE'],
      ['cleaned/mes', 'INVALID_NAME'],
      ['cleaned/v3/MES', 'MISSING_SIDECAR'],
      ['raw/MES/2024-01-15/extra.parquet', 'METADATA_MISMATCH'],
      ['raw/MES/2024-01-17', 'MISSING_SIDECAR'],
      ['raw/MES/yesterday', 'INVALID_NAME'],
      ['raw/mes', 'INVALID_NAME'],
      ['stray.csv', 'UNEXPECTED_FILE'],
    ]);
    const message = (at: string, code: string) => problems.find((p) => p.path === at && p.code === code)?.message;
    expect(message('catalog/raw/MES/2024-01-18.json', 'MISSING_FOLDER')).toBe('catalog/raw/MES/2024-01-18.json describes raw/MES/2024-01-18, which does not exist');
    expect(message('catalog/cleaned/MES/v4.json', 'MISSING_FOLDER')).toBe('catalog/cleaned/MES/v4.json describes cleaned/v4/MES, which does not exist');
    expect(message('cleaned/MES/notes.txt', 'UNEXPECTED_FILE')).toBe('cleaned/MES/notes.txt does not belong in the Iceberg table cleaned/MES (it holds data/ and metadata/)');
    expect(message('raw/MES/2024-01-15/extra.parquet', 'METADATA_MISMATCH')).toBe('raw/MES/2024-01-15/extra.parquet: its embedded key facts (mes_data.layer=cleaned) do not match raw MES 2024-01-15');
    expect(message('raw/MES/2024-01-17', 'MISSING_SIDECAR')).toBe('raw/MES/2024-01-17 has no sidecar catalog/raw/MES/2024-01-17.json, so it is not a committed snapshot (1 file(s) inside)');
    expect(message('cleaned/v3/MES', 'MISSING_SIDECAR')).toBe('cleaned/v3/MES has no sidecar catalog/cleaned/MES/v3.json, so it is not a committed version (0 file(s) inside)');
  });

  it('a data file two versions share is one file: damaged in the table, both version folders report it', async () => {
    const { store, cleanup: done } = await newStore('mes-data-verify-shared-');
    try {
      const [shared] = await writeFormat2Version(store, 'cleaned', 'MES', 1, [{ date: '2024-01-15', table: ohlcvTable(20) }]);
      await writeFormat2Version(store, 'cleaned', 'MES', 2, [{ date: '2024-01-16', table: ohlcvTable(30) }], { shared: [{ path: shared, date: '2024-01-15' }] });
      const table = path.join(store.root, ...shared.split('/'));
      expect(fs.statSync(table).nlink).toBe(3);
      const recorded = sha(table);
      const bytes = fs.readFileSync(table);
      bytes[100] ^= 0xff;
      // written in place, as a disk fault would: every name of the file changes
      const handle = fs.openSync(table, 'r+');
      fs.writeSync(handle, bytes, 0, bytes.length, 0);
      fs.closeSync(handle);
      const result = await verifyStore(store);
      expect(result.problems).toEqual(
        ['cleaned/v1/MES/2024-01-15.parquet', 'cleaned/v2/MES/2024-01-15.parquet'].map((at) => ({
          path: at,
          code: 'HASH_MISMATCH',
          message: `${at} has SHA-256 ${sha(table)}; its sidecar recorded ${recorded} (the file was changed or damaged after it was committed)`,
        })),
      );
      expect(result.checked).toEqual({ datasets: 2, files: 3, bytes: result.checked.bytes });
    } finally {
      done();
    }
  });

  it('a folder or sidecar that a committed journal still moves into place is the journal\'s leftover only', async () => {
    const writer = `999999999-${HOST_TAG}-00000000000a`;
    const problems = await copy((root) => {
      // a commit of 2024-01-19 killed after its folder moved in, before its sidecar did; and of 2024-01-20 the other way round
      fs.mkdirSync(path.join(root, 'raw/MES/2024-01-19'));
      fs.copyFileSync(path.join(root, 'raw/MES/2024-01-16/ohlcv.parquet'), path.join(root, 'raw/MES/2024-01-19/ohlcv.parquet'));
      fs.copyFileSync(path.join(root, 'catalog/raw/MES/2024-01-16.json'), path.join(root, 'catalog/raw/MES/2024-01-20.json'));
      const staging = path.join(root, '.staging', writer);
      fs.mkdirSync(path.join(staging, 'sidecars'), { recursive: true });
      fs.mkdirSync(path.join(staging, 'folders', '1'), { recursive: true });
      fs.copyFileSync(path.join(root, 'catalog/raw/MES/2024-01-16.json'), path.join(staging, 'sidecars', '0.json'));
      fs.writeFileSync(path.join(staging, 'folders', '1', 'ohlcv.parquet'), 'x');
      const moves = [
        { from: `.staging/${writer}/sidecars/0.json`, to: 'catalog/raw/MES/2024-01-19.json', kind: 'file' },
        { from: `.staging/${writer}/folders/1`, to: 'raw/MES/2024-01-20', kind: 'dir' },
      ];
      fs.writeFileSync(path.join(staging, 'journal.json'), JSON.stringify({ moves }));
    });
    expect(problems).toEqual([
      { path: `.staging/${writer}`, code: 'LEFTOVER_STAGING', message: `.staging/${writer} holds a commit that was interrupted after its commit point; the next writer (or opening the store) finishes it` },
    ]);
  });

  it('reports links (a listed file swapped for one is never read through), foreign staging entries, and takes registered schemas and uploads as part of a store', async () => {
    const target = 'raw/MES/2024-01-15/ohlcv.parquet';
    const problems = await copy((root) => {
      const outside = path.join(root, '..', `outside-${copies}.parquet`);
      fs.renameSync(path.join(root, target), outside);
      fs.symlinkSync(outside, path.join(root, target));
      fs.mkdirSync(path.join(root, '.staging', 'not-a-writer'), { recursive: true });
      fs.writeFileSync(path.join(root, '.staging', 'stray.txt'), 'x');
      fs.mkdirSync(path.join(root, 'schemas'));
      fs.writeFileSync(path.join(root, 'schemas', 'my_bars.json'), '{}');
      fs.mkdirSync(path.join(root, '.uploads', 'fresh'), { recursive: true });
      fs.writeFileSync(path.join(root, '.uploads', 'fresh', 'bars.csv'), 'a,b\n');
    });
    expect(problems.map((p) => [p.path, p.code])).toEqual([
      ['.staging/not-a-writer', 'UNEXPECTED_FILE'],
      ['.staging/stray.txt', 'UNEXPECTED_FILE'],
      [target, 'SYMLINK'],
    ]);
    expect(problems[0].message).toBe('.staging/not-a-writer was not made by a writer of this program; it is never applied or removed automatically (look at it, then remove it)');
  });
});
