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

const DATES = ['2023-12-29', '2024-01-29', '2024-01-30', '2024-01-31', '2024-02-01', '2024-02-02', '2024-03-01'];

type Ref = { key: string; sha256: string; count: number; pieces?: number };

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

  const lists = (version: number) => onDisk(version).fileLists as { files: Ref[]; dependencies: Ref[] };
  const piece = (sha: string): unknown => JSON.parse(fs.readFileSync(path.join(catalog(), '.lists', `${sha}.json`), 'utf8'));

  it('writes one piece a month and one a year naming its months, for the files and the dependencies, and reads the lists back whole', async () => {
    const sidecar = onDisk(1);
    expect(sidecar.files).toEqual([]);
    expect(sidecar.dependencies).toEqual([]);
    // a year of one month is named directly; a year of three months through its year piece
    for (const name of ['files', 'dependencies'] as const) {
      const refs = lists(1)[name];
      expect(refs.map((ref) => [ref.key, ref.count, ref.pieces])).toEqual([['2023-12', 1, undefined], ['2024', 6, 3]]);
      expect((piece(refs[1].sha256) as Ref[]).map((ref) => [ref.key, ref.count, ref.pieces])).toEqual([['2024-01', 3, undefined], ['2024-02', 2, undefined], ['2024-03', 1, undefined]]);
    }
    expect((piece(lists(1).files[0].sha256) as { path: string }[]).map((f) => f.path)).toEqual(['2023-12-29.parquet']);
    // 4 month pieces and 1 year piece for each list
    expect(pieces()).toHaveLength(10);
    // the file as written is a valid sidecar document too
    expect(MetadataManager.validate(sidecar)).toEqual({ valid: true, errors: [] });
    const read = await MetadataManager.readMetadataFile(path.join(catalog(), 'v1.json'));
    expect(read.files.map((f) => f.path)).toEqual(DATES.map((d) => `${d}.parquet`));
    expect(read.dependencies?.map((d) => d.path)).toEqual(DATES.map((d) => `raw/MES/${d}/bars.parquet`));
    expect(read.recordCount).toBe(14);
    expect('fileLists' in read).toBe(false);
    expect((await verifyStore(store)).problems).toEqual([]);
  });

  it('a daily version writes only the pieces of its month and its year and names the others', async () => {
    await writeRawSnapshot(store, { asset: 'MES', date: '2024-03-04', name: 'bars', table: barsTable(barsFromCloses('2024-03-04T16:00:00Z', 60, [5100, 5100.25])) });
    const result = await promoteRaw(store, { asset: 'MES', schema: OHLCV_SCHEMA, append: true });
    expect(result.dates).toEqual({ shared: 7, written: 1, removed: 0 });
    const [v1, v2] = [lists(1).files, lists(2).files];
    expect(v2.map((ref) => [ref.key, ref.count, ref.pieces])).toEqual([['2023-12', 1, undefined], ['2024', 7, 3]]);
    expect(v2[0]).toEqual(v1[0]);
    expect(v2[1].sha256).not.toBe(v1[1].sha256);
    const [months1, months2] = [piece(v1[1].sha256), piece(v2[1].sha256)] as Ref[][];
    expect(months2.map((ref) => [ref.key, ref.count])).toEqual([['2024-01', 3], ['2024-02', 2], ['2024-03', 2]]);
    expect(months2.slice(0, 2)).toEqual(months1.slice(0, 2));
    expect(months2[2].sha256).not.toBe(months1[2].sha256);
    // the month of the new day and its year, for each list
    expect(pieces()).toHaveLength(14);
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
        ['v1', 14, '2023-12-29', '2024-03-01', undefined],
        ['v2', 16, '2023-12-29', '2024-03-04', undefined],
      ]);
      const files = await listTree(store, 'cleaned/MES', { depth: 2 });
      expect(files.children?.map((v) => v.error?.startsWith(`${path.join(catalog(), `${v.name}.json`)} names a list piece`))).toEqual([true, true]);
    } finally {
      fs.renameSync(aside, lists);
    }
    const files = await listTree(store, 'cleaned/MES', { depth: 2 });
    expect(files.children?.[1].children?.map((f) => f.name)).toEqual([...DATES, '2024-03-04'].map((d) => `${d}.parquet`));
  });

  it('a sidecar naming month pieces alone (written before year pieces) reads the same and verifies clean', async () => {
    const file = path.join(catalog(), 'v2.json');
    const written = fs.readFileSync(file, 'utf8');
    const whole = await MetadataManager.readMetadataFile(file);
    const old = onDisk(2);
    const years = [lists(2).files[1].sha256, lists(2).dependencies[1].sha256].map((sha) => `catalog/cleaned/MES/.lists/${sha}.json`).sort();
    const flat = (refs: Ref[]) => refs.flatMap((ref) => (ref.pieces === undefined ? [ref] : (piece(ref.sha256) as Ref[])));
    old.fileLists = { files: flat(lists(2).files), dependencies: flat(lists(2).dependencies) };
    expect((old.fileLists as { files: Ref[] }).files.map((ref) => ref.key)).toEqual(['2023-12', '2024-01', '2024-02', '2024-03']);
    expect(MetadataManager.validate(old)).toEqual({ valid: true, errors: [] });
    fs.writeFileSync(file, `${JSON.stringify(old, null, 2)}\n`);
    try {
      const read = await MetadataManager.readMetadataFile(file);
      expect(read.files).toEqual(whole.files);
      expect(read.dependencies).toEqual(whole.dependencies);
      expect((await verifyStore(store)).problems).toEqual([]);
      // gc keeps the month pieces it names directly; only v2's year pieces are named no more (a dry run: v1 and v2 kept)
      expect((await garbageCollect(store, { keep: 2, dryRun: true })).files.map((f) => f.path).filter((p) => p.includes('.lists')).sort()).toEqual(years);
    } finally {
      fs.writeFileSync(file, written);
    }
  });

  it('a year piece that disagrees with its sidecar, or is missing, is CORRUPTED_FILE for readers and CORRUPTED_SIDECAR for verify; gc then keeps every piece', async () => {
    const file = path.join(catalog(), 'v2.json');
    const year = lists(2).files[1];
    const yearFile = path.join(catalog(), '.lists', `${year.sha256}.json`);
    const written = fs.readFileSync(file, 'utf8');
    const sidecar = onDisk(2);
    (sidecar.fileLists as { files: Ref[] }).files[1] = { ...year, pieces: 2 };
    fs.writeFileSync(file, `${JSON.stringify(sidecar, null, 2)}\n`);
    try {
      const error = (await MetadataManager.readMetadataFile(file).catch((e: unknown) => e)) as MesDataError;
      expect(error.code).toBe('CORRUPTED_FILE');
      expect(error.message).toBe(`${yearFile} names 3 month pieces of 7 entries where ${file} says 2 of 7`);
    } finally {
      fs.writeFileSync(file, written);
    }
    const bytes = fs.readFileSync(yearFile);
    fs.rmSync(yearFile);
    try {
      const error = (await MetadataManager.readMetadataFile(file).catch((e: unknown) => e)) as MesDataError;
      expect(error.code).toBe('CORRUPTED_FILE');
      expect(error.message).toBe(`${file} names a list piece ${yearFile} that cannot be read: ENOENT`);
      const verified = await verifyStore(store);
      expect(verified.problems.map((p) => [p.path, p.code, p.message])).toEqual([['catalog/cleaned/MES/v2.json', 'CORRUPTED_SIDECAR', `catalog/cleaned/MES/v2.json: ${error.message}`]]);
      const dry = await garbageCollect(store, { keep: 1, dryRun: true });
      expect(dry.files.filter((f) => f.path.includes('.lists'))).toEqual([]);
    } finally {
      fs.writeFileSync(yearFile, bytes);
    }
    expect((await verifyStore(store)).problems).toEqual([]);
  });

  it('gc removes exactly the pieces no kept sidecar names, through its year pieces too; the dry run lists the same', async () => {
    const named = (version: number) =>
      Object.values(lists(version)).flat().flatMap((ref) => (ref.pieces === undefined ? [ref.sha256] : [ref.sha256, ...(piece(ref.sha256) as Ref[]).map((month) => month.sha256)]));
    const kept = new Set(named(2));
    const expected = named(1).filter((sha) => !kept.has(sha)).map((sha) => `catalog/cleaned/MES/.lists/${sha}.json`).sort();
    // v1's March and 2024 pieces, of each list
    expect(expected).toHaveLength(4);
    const dry = await garbageCollect(store, { keep: 1, dryRun: true });
    expect(dry.files.map((f) => f.path).filter((p) => p.includes('.lists')).sort()).toEqual(expected);
    expect(pieces()).toHaveLength(14);
    const real = await garbageCollect(store, { keep: 1 });
    expect(real.files.map((f) => f.path).filter((p) => p.includes('.lists')).sort()).toEqual(expected);
    expect(pieces()).toHaveLength(10);
    expect((await verifyStore(store)).problems).toEqual([]);
    const read = await MetadataManager.readMetadataFile(path.join(catalog(), 'v2.json'));
    expect(read.files.map((f) => f.path)).toEqual([...DATES, '2024-03-04'].map((d) => `${d}.parquet`));
  });

  it('a damaged piece is CORRUPTED_FILE naming it, for readers and for verify', async () => {
    const ref = (onDisk(2).fileLists as { files: { sha256: string }[] }).files[0];
    const piece = path.join(catalog(), '.lists', `${ref.sha256}.json`);
    const bytes = fs.readFileSync(piece, 'utf8');
    fs.writeFileSync(piece, bytes.replace('2023-12-29', '2023-12-28'));
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
