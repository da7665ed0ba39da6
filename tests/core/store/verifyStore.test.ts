import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../core/store/openStore.js';
import { commitRawSnapshots } from '../../../core/store/rawSnapshot.js';
import { HOST_TAG } from '../../../core/store/storeLock.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { commitVersion } from '../../../core/store/versionCommit.js';
import { verifyStore, type VerifyProblem } from '../../../core/store/verifyStore.js';
import { ohlcvTable } from '../../helpers/ohlcvTable.js';
import { newStore } from './storeTestKit.js';

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
    await commitVersion(base, { layer: 'cleaned', key: 'MES', write: async (ctx) => void (await ctx.writeParquet('date=2024-01-15/part-0.parquet', ohlcvTable(20))) });
    await commitVersion(base, { layer: 'features', key: 'price_volatility', write: async (ctx) => void (await ctx.writeParquet('part-0.parquet', ohlcvTable(5))) });
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
    expect(result).toEqual({ ok: true, problems: [], checked: { datasets: 4, files: 4, bytes: result.checked.bytes } });
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
    const size = fs.statSync(path.join(base.root, 'cleaned/v1/MES/date=2024-01-15/part-0.parquet')).size;
    const problems = await copy((root) => {
      fs.appendFileSync(path.join(root, 'cleaned/v1/MES/date=2024-01-15/part-0.parquet'), 'x');
      fs.rmSync(path.join(root, 'raw/MES/2024-01-16/ohlcv.parquet'));
      fs.writeFileSync(path.join(root, 'raw/MES/2024-01-15/notes.txt'), 'mine');
      fs.mkdirSync(path.join(root, 'features/v1/price_volatility/extra'));
    });
    expect(problems.map((p) => [p.path, p.code])).toEqual([
      ['cleaned/v1/MES/date=2024-01-15/part-0.parquet', 'CORRUPTED_FILE'],
      ['cleaned/v1/MES/date=2024-01-15/part-0.parquet', 'SIZE_MISMATCH'],
      ['features/v1/price_volatility/extra', 'UNEXPECTED_FILE'],
      ['raw/MES/2024-01-15/notes.txt', 'UNEXPECTED_FILE'],
      ['raw/MES/2024-01-16/ohlcv.parquet', 'MISSING_FILE'],
    ]);
    expect(problems[1].message).toBe(`cleaned/v1/MES/date=2024-01-15/part-0.parquet has ${size + 1} bytes; its sidecar recorded ${size} (it changed after it was committed)`);
  });

  it('checks sidecars: JSON, schema, totals, row counts, and what their folder says', async () => {
    const problems = await copy((root) => {
      fs.writeFileSync(path.join(root, 'raw/MES/2024-01-16/metadata.json'), '{"files": [');
      editSidecar(path.join(root, 'raw/MES/2024-01-15/metadata.json'), (s) => {
        s.files[0].rows = 21;
        s.recordCount = 21;
      });
      editSidecar(path.join(root, 'cleaned/v1/MES/metadata.json'), (s) => {
        s.recordCount = 99;
      });
      fs.renameSync(path.join(root, 'features/v1/price_volatility'), path.join(root, 'features/v1/momentum_indicators'));
    });
    expect(problems.map((p) => [p.path, p.code])).toEqual([
      ['cleaned/v1/MES/metadata.json', 'INVALID_SIDECAR'],
      ['features/v1/momentum_indicators/metadata.json', 'INVALID_SIDECAR'],
      ['features/v1/momentum_indicators/part-0.parquet', 'METADATA_MISMATCH'],
      ['raw/MES/2024-01-15/ohlcv.parquet', 'ROW_COUNT_MISMATCH'],
      ['raw/MES/2024-01-16/metadata.json', 'CORRUPTED_SIDECAR'],
    ]);
    const { fileSizeBytes } = JSON.parse(fs.readFileSync(path.join(base.root, 'cleaned/v1/MES/metadata.json'), 'utf8')) as { fileSizeBytes: number };
    expect(problems[0].message).toBe(`cleaned/v1/MES/metadata.json records 99 rows and ${fileSizeBytes} bytes in all, but its files add up to 20 rows and ${fileSizeBytes} bytes`);
    expect(problems[1].message).toBe('features/v1/momentum_indicators/metadata.json: its sidecar says feature set "price_volatility" but the folder is features momentum_indicators v1');
    expect(problems[2].message).toBe('features/v1/momentum_indicators/part-0.parquet: its embedded key facts (mes_data.feature_set=price_volatility) do not match features momentum_indicators v1');
    expect(problems[3].message).toBe('raw/MES/2024-01-15/ohlcv.parquet holds 20 rows; its sidecar recorded 21');
  });

  it('finds folders without sidecars, bad names, files out of place, leftovers and files moved between datasets', async () => {
    const problems = await copy((root) => {
      fs.mkdirSync(path.join(root, 'raw/MES/2024-01-17'));
      fs.writeFileSync(path.join(root, 'raw/MES/2024-01-17/half.parquet'), 'x');
      fs.mkdirSync(path.join(root, 'raw/mes'));
      fs.mkdirSync(path.join(root, 'raw/MES/yesterday'));
      fs.writeFileSync(path.join(root, 'cleaned/README.txt'), 'x');
      fs.writeFileSync(path.join(root, 'stray.csv'), 'x');
      fs.mkdirSync(path.join(root, `.staging/999999999-${HOST_TAG}-000000000000`), { recursive: true });
      // a cleaned file slipped into a raw date folder, with a sidecar entry that matches its bytes
      const moved = path.join(root, 'raw/MES/2024-01-15/extra.parquet');
      fs.copyFileSync(path.join(root, 'cleaned/v1/MES/date=2024-01-15/part-0.parquet'), moved);
      editSidecar(path.join(root, 'raw/MES/2024-01-15/metadata.json'), (s) => {
        s.files.push({ ...s.files[0], path: 'extra.parquet', rows: 20, bytes: fs.statSync(moved).size, sha256: sha(moved) });
        s.fileSizeBytes += fs.statSync(moved).size;
        s.recordCount += 20;
      });
    });
    expect(problems.map((p) => [p.path, p.code])).toEqual([
      [`.staging/999999999-${HOST_TAG}-000000000000`, 'LEFTOVER_STAGING'],
      ['cleaned/README.txt', 'UNEXPECTED_FILE'],
      ['raw/MES/2024-01-15/extra.parquet', 'METADATA_MISMATCH'],
      ['raw/MES/2024-01-17', 'MISSING_SIDECAR'],
      ['raw/MES/yesterday', 'INVALID_NAME'],
      ['raw/mes', 'INVALID_NAME'],
      ['stray.csv', 'UNEXPECTED_FILE'],
    ]);
    expect(problems[2].message).toBe('raw/MES/2024-01-15/extra.parquet: its embedded key facts (mes_data.layer=cleaned) do not match raw MES 2024-01-15');
    expect(problems[3].message).toBe('raw/MES/2024-01-17 has no metadata.json, so it is not a committed snapshot (1 file(s) inside)');
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
