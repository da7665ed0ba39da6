import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MesDataError } from '../../../core/errors.js';
import { promoteRaw } from '../../../core/promote/promoteRaw.js';
import { OHLCV_SCHEMA } from '../../../core/schema/predefinedSchemas.js';
import { listTree } from '../../../core/store/catalog.js';
import { garbageCollect } from '../../../core/store/garbageCollect.js';
import { MetadataManager } from '../../../core/store/metadataManager.js';
import { initStore } from '../../../core/store/openStore.js';
import { writeRawSnapshot } from '../../../core/store/rawSnapshot.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { verifyStore } from '../../../core/store/verifyStore.js';
import { barsFromCloses, barsTable } from '../../helpers/barsTable.js';
import { tempDir } from '../../helpers/ohlcvTable.js';

// lists longer than 4 entries go into pieces (the default is 256: this keeps the store small)
process.env.MES_DATA_SIDECAR_INLINE_MAX = '4';

const DATES = ['2024-01-29', '2024-01-30', '2024-01-31', '2024-02-01', '2024-02-02', '2024-03-01'];

describe('version sidecars with their long lists in pieces', () => {
  const { dir, cleanup } = tempDir('mes-data-lists-');
  let store: Store;
  const catalog = () => path.join(store.root, 'catalog', 'cleaned', 'MES');
  const onDisk = (version: number) => JSON.parse(fs.readFileSync(path.join(catalog(), `v${version}.json`), 'utf8')) as Record<string, unknown>;
  const pieces = () => fs.readdirSync(path.join(catalog(), '.lists')).sort();

  beforeAll(async () => {
    store = (await initStore(path.join(dir, 'store'))).store;
    for (const [k, date] of DATES.entries()) {
      await writeRawSnapshot(store, { asset: 'MES', date, name: 'bars', table: barsTable(barsFromCloses(`${date}T16:00:00Z`, 60, [5000 + k, 5000.25 + k])) });
    }
    await promoteRaw(store, { asset: 'MES', schema: OHLCV_SCHEMA });
  }, 120_000);
  afterAll(() => cleanup());

  it('writes one piece a month for the files and the dependencies, and reads the lists back whole', async () => {
    const sidecar = onDisk(1);
    expect(sidecar.files).toEqual([]);
    expect(sidecar.dependencies).toEqual([]);
    const lists = sidecar.fileLists as { files: { key: string; count: number; sha256: string }[]; dependencies: { key: string; count: number }[] };
    expect(lists.files.map((ref) => [ref.key, ref.count])).toEqual([['2024-01', 3], ['2024-02', 2], ['2024-03', 1]]);
    expect(lists.dependencies.map((ref) => [ref.key, ref.count])).toEqual([['2024-01', 3], ['2024-02', 2], ['2024-03', 1]]);
    expect(pieces()).toHaveLength(6);
    // the file as written is a valid sidecar document too
    expect(MetadataManager.validate(sidecar)).toEqual({ valid: true, errors: [] });
    const read = await MetadataManager.readMetadataFile(path.join(catalog(), 'v1.json'));
    expect(read.files.map((f) => f.path)).toEqual(DATES.map((d) => `${d}.parquet`));
    expect(read.dependencies?.map((d) => d.path)).toEqual(DATES.map((d) => `raw/MES/${d}/bars.parquet`));
    expect(read.recordCount).toBe(12);
    expect('fileLists' in read).toBe(false);
    expect((await verifyStore(store)).problems).toEqual([]);
  });

  it('a daily version writes only the pieces of its month and names the others', async () => {
    await writeRawSnapshot(store, { asset: 'MES', date: '2024-03-04', name: 'bars', table: barsTable(barsFromCloses('2024-03-04T16:00:00Z', 60, [5100, 5100.25])) });
    const result = await promoteRaw(store, { asset: 'MES', schema: OHLCV_SCHEMA, append: true });
    expect(result.dates).toEqual({ shared: 6, written: 1, removed: 0 });
    const [v1, v2] = [onDisk(1), onDisk(2)].map((s) => (s.fileLists as { files: { key: string; sha256: string; count: number }[] }).files);
    expect(v2.map((ref) => [ref.key, ref.count])).toEqual([['2024-01', 3], ['2024-02', 2], ['2024-03', 2]]);
    expect(v2.slice(0, 2)).toEqual(v1.slice(0, 2));
    expect(v2[2].sha256).not.toBe(v1[2].sha256);
    expect(pieces()).toHaveLength(8);
    const read = await MetadataManager.readMetadataFile(path.join(catalog(), 'v2.json'));
    expect(read.files.map((f) => f.path)).toEqual([...DATES, '2024-03-04'].map((d) => `${d}.parquet`));
  });

  it('the tree shows versions from their sidecars alone, and reads the pieces only to show a version\'s files', async () => {
    const lists = path.join(catalog(), '.lists');
    const aside = `${lists}-aside`;
    fs.renameSync(lists, aside);
    try {
      const versions = await listTree(store, 'cleaned/MES', { depth: 1 });
      expect(versions.children?.map((v) => [v.name, v.rows, v.from, v.to, v.error])).toEqual([
        ['v1', 12, '2024-01-29', '2024-03-01', undefined],
        ['v2', 14, '2024-01-29', '2024-03-04', undefined],
      ]);
      const files = await listTree(store, 'cleaned/MES', { depth: 2 });
      expect(files.children?.map((v) => v.error?.startsWith(`${path.join(catalog(), `${v.name}.json`)} names a list piece`))).toEqual([true, true]);
    } finally {
      fs.renameSync(aside, lists);
    }
    const files = await listTree(store, 'cleaned/MES', { depth: 2 });
    expect(files.children?.[1].children?.map((f) => f.name)).toEqual([...DATES, '2024-03-04'].map((d) => `${d}.parquet`));
  });

  it('gc removes exactly the pieces no kept sidecar names; the dry run lists the same', async () => {
    const v1Only = (s: Record<string, unknown>) => Object.values(s.fileLists as Record<string, { sha256: string }[]>).flat().map((ref) => ref.sha256);
    const kept = new Set(v1Only(onDisk(2)));
    const expected = v1Only(onDisk(1)).filter((sha) => !kept.has(sha)).map((sha) => `catalog/cleaned/MES/.lists/${sha}.json`).sort();
    expect(expected).toHaveLength(2);
    const dry = await garbageCollect(store, { keep: 1, dryRun: true });
    expect(dry.files.map((f) => f.path).filter((p) => p.includes('.lists')).sort()).toEqual(expected);
    expect(pieces()).toHaveLength(8);
    const real = await garbageCollect(store, { keep: 1 });
    expect(real.files.map((f) => f.path).filter((p) => p.includes('.lists')).sort()).toEqual(expected);
    expect(pieces()).toHaveLength(6);
    expect((await verifyStore(store)).problems).toEqual([]);
  });

  it('a damaged piece is CORRUPTED_FILE naming it, for readers and for verify', async () => {
    const ref = (onDisk(2).fileLists as { files: { sha256: string }[] }).files[0];
    const piece = path.join(catalog(), '.lists', `${ref.sha256}.json`);
    const bytes = fs.readFileSync(piece, 'utf8');
    fs.writeFileSync(piece, bytes.replace('2024-01-29', '2024-01-28'));
    const error = (await MetadataManager.readMetadataFile(path.join(catalog(), 'v2.json')).catch((e: unknown) => e)) as MesDataError;
    expect(error).toBeInstanceOf(MesDataError);
    expect(error.code).toBe('CORRUPTED_FILE');
    expect(error.message).toBe(`${piece} is damaged: its bytes do not hash to its name (named by ${path.join(catalog(), 'v2.json')})`);
    const verified = await verifyStore(store);
    expect(verified.ok).toBe(false);
    expect(verified.problems.some((p) => p.message.includes(`${ref.sha256}.json is damaged`))).toBe(true);
    fs.writeFileSync(piece, bytes);
    expect((await verifyStore(store)).problems).toEqual([]);
  });
});
