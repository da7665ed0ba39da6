import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Dataset, resolveDatasetPath } from '../../../core/parquet/parquetDataset.js';
import { writeParquet } from '../../../core/parquet/writeParquet.js';
import { promoteRaw } from '../../../core/promote/promoteRaw.js';
import { OHLCV_SCHEMA } from '../../../core/schema/predefinedSchemas.js';
import { listTree } from '../../../core/store/catalog.js';
import { MetadataManager } from '../../../core/store/metadataManager.js';
import { writeRawSnapshot } from '../../../core/store/rawSnapshot.js';
import { absolute } from '../../../core/store/storeLayout.js';
import { assertNoSymlinkBelow, assertSafeInOpenStores, resolveStorePath, storePathParts, storeRelativeOf } from '../../../core/store/storePaths.js';
import { barsFromCloses, barsTable } from '../../helpers/barsTable.js';
import { ohlcvTable } from '../../helpers/ohlcvTable.js';
import { errorOf, newStore } from './storeTestKit.js';

function thrown(fn: () => unknown): { code: string; message: string } | null {
  try {
    fn();
    return null;
  } catch (error) {
    return { code: (error as { code: string }).code, message: (error as Error).message };
  }
}

describe('store paths', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));
  const made = async () => {
    const result = await newStore();
    cleanups.push(result.cleanup);
    return result;
  };

  it('splits store paths and refuses anything that could leave the store', () => {
    expect(storePathParts('')).toEqual([]);
    expect(storePathParts('cleaned/v1/MES/date=2024-01-15/part-0.parquet')).toEqual(['cleaned', 'v1', 'MES', 'date=2024-01-15', 'part-0.parquet']);
    const cases: [string, string][] = [
      ['../x', 'store path "../x" contains ".." and would leave the store'],
      ['raw/../../x', 'store path "raw/../../x" contains ".." and would leave the store'],
      ['/etc/passwd', 'store path "/etc/passwd" is absolute; store paths are relative to the store'],
      ['C:/Windows', 'store path "C:/Windows" is absolute; store paths are relative to the store'],
      ['raw\\MES', 'store path "raw\\\\MES" contains a backslash'],
      ['raw//MES', 'store path "raw//MES" has an empty or "." part'],
      ['raw/./MES', 'store path "raw/./MES" has an empty or "." part'],
      ['raw/MES\0', 'store path "raw/MES\\u0000" contains a NUL character'],
    ];
    for (const [value, message] of cases) expect(thrown(() => storePathParts(value))).toEqual({ code: 'BAD_REQUEST', message });
  });

  it('resolves inside the store, refuses links below the root but not above it', async () => {
    const { store, dir } = await made();
    expect(resolveStorePath(store.root, 'raw/MES/2024-01-15')).toBe(path.join(store.root, 'raw', 'MES', '2024-01-15'));
    expect(storeRelativeOf(store.root, path.join(store.root, 'raw', 'MES'))).toBe('raw/MES');
    expect(storeRelativeOf(store.root, path.join(dir, 'other'))).toBeNull();
    expect(storeRelativeOf(store.root, `${store.root}-sibling/raw`)).toBeNull();
    fs.mkdirSync(path.join(dir, 'elsewhere'));
    fs.symlinkSync(path.join(dir, 'elsewhere'), path.join(store.root, 'raw', 'MES'));
    expect(thrown(() => resolveStorePath(store.root, 'raw/MES/2024-01-15/x.parquet'))).toEqual({
      code: 'SYMLINK',
      message: `raw/MES in the store ${store.root} is a symbolic link to ${path.join(dir, 'elsewhere')}; the store never follows links (replace it with the real folder or file)`,
    });
    expect(thrown(() => absolute(store, 'raw/MES'))?.code).toBe('SYMLINK');
    expect(thrown(() => absolute(store, 'raw/../..'))?.code).toBe('BAD_REQUEST');
    expect(thrown(() => assertSafeInOpenStores(path.join(store.root, 'raw', 'MES', 'x')))?.code).toBe('SYMLINK');
    // the store seen through a link above its root is fine
    fs.symlinkSync(dir, path.join(path.dirname(dir), `${path.basename(dir)}-link`));
    cleanups.push(() => fs.rmSync(path.join(path.dirname(dir), `${path.basename(dir)}-link`)));
    const throughLink = path.join(path.dirname(dir), `${path.basename(dir)}-link`, 'store');
    expect(thrown(() => assertNoSymlinkBelow(throughLink, path.join(throughLink, 'cleaned')))).toBeNull();
    expect(thrown(() => assertNoSymlinkBelow(store.root, path.join(dir, 'x')))?.code).toBe('BAD_REQUEST');
  });

  it('dataset paths: traversal is BAD_REQUEST, a linked file inside the store SYMLINK, a walk never skips a link', async () => {
    const { store, dir } = await made();
    fs.mkdirSync(path.join(store.root, 'raw', 'MES', '2024-01-15'), { recursive: true });
    await writeParquet(ohlcvTable(3), path.join(store.root, 'raw', 'MES', '2024-01-15', 'a.parquet'));
    await writeParquet(ohlcvTable(4), path.join(dir, 'outside.parquet'));
    expect(thrown(() => resolveDatasetPath(store.root, 'raw/../../outside.parquet'))).toEqual({ code: 'BAD_REQUEST', message: '"raw/../../outside.parquet" leaves the store' });
    fs.symlinkSync(path.join(dir, 'outside.parquet'), path.join(store.root, 'raw', 'MES', '2024-01-15', 'b.parquet'));
    expect(thrown(() => resolveDatasetPath(store.root, path.join(store.root, 'raw/MES/2024-01-15/b.parquet')))?.code).toBe('SYMLINK');
    const walk = await errorOf(Dataset.open(store.root, 'raw/MES'));
    expect({ code: walk.code, path: walk.details.path }).toEqual({ code: 'SYMLINK', path: path.join(store.root, 'raw', 'MES', '2024-01-15', 'b.parquet') });
    // a FIFO named *.parquet would hang a read: refused, named
    fs.rmSync(path.join(store.root, 'raw', 'MES', '2024-01-15', 'b.parquet'));
    const fifo = path.join(store.root, 'raw', 'MES', '2024-01-15', 'c.parquet');
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [fifo]);
    const special = await errorOf(Dataset.open(store.root, 'raw/MES'));
    expect({ code: special.code, message: special.message }).toEqual({ code: 'UNSUPPORTED_FILE', message: `${fifo} is not a regular file` });
  });

  it('a sidecar listing a file outside its folder is refused by every reader that goes by it', async () => {
    const { store, dir } = await made();
    await writeRawSnapshot(store, { asset: 'MES', date: '2024-01-03', name: 'bars', table: barsTable(barsFromCloses('2024-01-03T16:00:00Z', 60, [5000, 5001])) });
    await writeParquet(barsTable(barsFromCloses('2024-01-03T16:00:00Z', 60, [1, 2, 3])), path.join(dir, 'stolen.parquet'));
    const sidecarFile = path.join(store.root, 'catalog', 'raw', 'MES', '2024-01-03.json');
    const sidecar = JSON.parse(fs.readFileSync(sidecarFile, 'utf8')) as { files: { path: string }[] };
    sidecar.files[0].path = '../../../../stolen.parquet';
    fs.writeFileSync(sidecarFile, JSON.stringify(sidecar));
    const message = `${sidecarFile} lists a file outside its folder: "../../../../stolen.parquet"`;
    expect(thrown(() => MetadataManager.parseMetadata(JSON.stringify(sidecar), sidecarFile, { validate: false }))).toEqual({ code: 'CORRUPTED_FILE', message });
    const promoted = await errorOf(promoteRaw(store, { asset: 'MES', schema: OHLCV_SCHEMA }));
    expect({ code: promoted.code, message: promoted.message }).toEqual({ code: 'CORRUPTED_FILE', message });
    expect(fs.existsSync(path.join(store.root, 'cleaned', 'v1'))).toBe(false);
    const node = await listTree(store, 'raw/MES/2024-01-03');
    expect(node.error).toBe(message);
  });
});
