import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeEngine } from '../../../core/engine/duckdbEngine.js';
import { verifyTables } from '../../../core/store/verifyTables.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { buildFormat2Store, type Format2Store } from './format2Kit.js';

describe('verify: the Iceberg tables and their version folders', () => {
  let fixture: Format2Store;
  let store: Store;
  beforeEach(async () => {
    fixture = await buildFormat2Store({ features: true });
    store = { root: fixture.root, formatVersion: 2 };
  });
  afterEach(() => fixture.cleanup());
  afterAll(async () => {
    await closeEngine();
  });

  it('a consistent store has no problem: every data file of every snapshot checked once', async () => {
    // cleaned/MES holds 4 data files, the feature set 2
    expect(await verifyTables(store)).toEqual({ problems: [], tables: 2, files: 6 });
  });

  it('a data file gone, one changed in size, a stray file in a version folder and one missing from another', async () => {
    fs.rmSync(path.join(fixture.root, fixture.files.v1_0103));
    fs.appendFileSync(path.join(fixture.root, fixture.files.v3_0104), 'x');
    fs.writeFileSync(path.join(fixture.root, 'cleaned/v2/MES/stray.parquet'), 'not ours');
    fs.rmSync(path.join(fixture.root, 'cleaned/v3/MES/2024-01-02.parquet'));
    const { problems } = await verifyTables(store);
    // the link of 2024-01-04 is the same inode as the changed data file: one problem, its size
    const size = fs.statSync(path.join(fixture.root, fixture.files.v3_0104)).size;
    expect(problems).toEqual([
      { path: fixture.files.v1_0103, code: 'MISSING_FILE', message: `${fixture.files.v1_0103}, a data file of cleaned/MES v1, is gone` },
      { path: 'cleaned/v2/MES/stray.parquet', code: 'VERSION_FOLDER_MISMATCH', message: 'cleaned/v2/MES/stray.parquet is not one of the 2 data file(s) of cleaned/MES v2' },
      { path: fixture.files.v3_0104, code: 'SIZE_MISMATCH', message: `${fixture.files.v3_0104} has ${size} bytes; its manifest records ${size - 1}` },
      { path: 'cleaned/v3/MES', code: 'VERSION_FOLDER_MISMATCH', message: 'cleaned/v3/MES holds 2 file(s); its snapshot has 3' },
    ]);
  });

  it('unreadable table metadata is CORRUPTED_TABLE', async () => {
    const metadata = path.join(fixture.root, 'features/MES/momentum_indicators/metadata');
    for (const name of fs.readdirSync(metadata)) if (name.endsWith('.metadata.json')) fs.writeFileSync(path.join(metadata, name), '{');
    const { problems } = await verifyTables(store);
    expect(problems.map((p) => [p.path, p.code])).toEqual([['features/MES/momentum_indicators', 'CORRUPTED_TABLE']]);
  });
});
