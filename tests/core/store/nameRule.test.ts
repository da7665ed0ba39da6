import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobParams } from '../../../core/api/contract.js';
import { promoteRaw } from '../../../core/promote/promoteRaw.js';
import { OHLCV_SCHEMA } from '../../../core/schema/predefinedSchemas.js';
import { ingestIntoStore } from '../../../core/store/ingestIntoStore.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { errorOf, newStore } from './storeTestKit.js';

/** One name rule in every command: the same spelling of an asset means the same in ingest and promote; reduced file names never collide. */
describe('the name rule across commands', () => {
  let store: Store;
  let dir: string;
  let cleanup: () => void;
  const csv = (name: string, close: number) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, `timestamp,open,high,low,close,volume\n2024-01-03T16:00:00Z,5000,5001,4999,${close},7\n2024-01-03T16:01:00Z,5000,5001,4999,${close},8\n`);
    return file;
  };

  beforeAll(async () => {
    ({ store, dir, cleanup } = await newStore());
  });
  afterAll(() => cleanup());

  it('two sources whose names reduce alike become two snapshots, not ALREADY_EXISTS', async () => {
    const first = await ingestIntoStore(store, [csv('a b.csv', 5000.5)], { asset: 'mes' });
    const second = await ingestIntoStore(store, [csv('a=b.csv', 5000.25)], { asset: 'MES' });
    expect([...first.snapshots, ...second.snapshots].map((s) => [s.path, s.status])).toEqual([
      ['raw/MES/2024-01-03/a_b-c8687a08.parquet', 'created'],
      ['raw/MES/2024-01-03/a_b-42144f39.parquet', 'created'],
    ]);
    // the same source again is the same name: a no-op
    const again = await ingestIntoStore(store, [csv('a b.csv', 5000.5)], { asset: 'MES' });
    expect(again.snapshots.map((s) => [s.path, s.status])).toEqual([['raw/MES/2024-01-03/a_b-c8687a08.parquet', 'unchanged']]);
  });

  it('an asset is upper-cased at the contract for ingest, promote and features alike, and refused by all when it has spaces or is a device name', async () => {
    const asset = (params: object) => (JobParams.parse(params) as { asset?: string }).asset;
    expect([asset({ kind: 'ingest', files: ['x.csv'], asset: 'mes' }), asset({ kind: 'promote', asset: 'mes' }), asset({ kind: 'features', set: 'price_volatility', asset: 'mes' })]).toEqual(['MES', 'MES', 'MES']);
    const promoted = await promoteRaw(store, { asset: asset({ kind: 'promote', asset: 'mes' }) ?? '', schema: OHLCV_SCHEMA });
    expect(promoted.path).toBe('cleaned/v1/MES');
    for (const typed of [' MES', 'MES ', 'CON', 'nul']) {
      const normal = asset({ kind: 'promote', asset: typed }) ?? '';
      const ingest = await errorOf(ingestIntoStore(store, [csv('MES_x.csv', 5000)], { asset: typed }));
      const promote = await errorOf(promoteRaw(store, { asset: normal, schema: OHLCV_SCHEMA }));
      expect([ingest.code, promote.code, ingest.message], typed).toEqual(['INVALID_NAME', 'INVALID_NAME', promote.message]);
    }
    // core takes only the stored form: a caller that skipped the contract is told, not guessed for
    expect((await errorOf(promoteRaw(store, { asset: 'mes', schema: OHLCV_SCHEMA }))).code).toBe('INVALID_NAME');
  });
});
