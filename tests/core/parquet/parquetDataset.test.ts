import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableToJsonRows } from '../../../core/arrow/arrowJson.js';
import { Dataset, datasetFiles, parquetFilesUnder } from '../../../core/parquet/parquetDataset.js';
import { writeParquet } from '../../../core/parquet/writeParquet.js';
import { tempDir } from '../../helpers/ohlcvTable.js';
import { bars, errorOf } from '../store/storeTestKit.js';

describe('Dataset (the reader of every dataset the app, the CLI and the jobs open)', () => {
  const { dir, cleanup } = tempDir('mes-data-dataset-');
  const store = path.join(dir, 'store');
  const version = path.join(store, 'features', 'v1', 'set');
  const at = (relative: string) => path.join(version, ...relative.split('/'));

  beforeAll(async () => {
    // 3 files of 30 rows in row groups of 10; minutes 0-29, 30-59, 60-89
    const layout: [string, number][] = [
      ['asset=MES/date=2024-01-15/part-0.parquet', 0],
      ['asset=MES/date=2024-01-16/part-0.parquet', 30],
      ['asset=ES/date=2024-01-16/part-0.parquet', 60],
      // what a dataset never reads: hidden and underscore entries at any depth
      ['_staging/part-0.parquet', 200],
      ['.uploads/part-0.parquet', 300],
      ['asset=MES/.date=2024-01-17/part-0.parquet', 400],
      ['asset=MES/date=2024-01-15/_part-1.parquet', 500],
      ['asset=MES/date=2024-01-15/.part-2.parquet', 600],
    ];
    for (const [relative, start] of layout) {
      fs.mkdirSync(path.dirname(at(relative)), { recursive: true });
      await writeParquet(bars(relative.startsWith('asset=') && !relative.includes('/.') && !relative.includes('/_') ? 30 : 3, start), at(relative), { rowGroupSize: 10 });
    }
    fs.writeFileSync(at('metadata.json'), '{}');
    fs.writeFileSync(at('asset=ES/notes.txt'), 'not parquet');
  });
  afterAll(cleanup);

  it('lists the Parquet files in code-unit path order, skipping `.` and `_` entries and other files', () => {
    expect(parquetFilesUnder(version).map((file) => path.relative(version, file).split(path.sep).join('/'))).toEqual([
      'asset=ES/date=2024-01-16/part-0.parquet',
      'asset=MES/date=2024-01-15/part-0.parquet',
      'asset=MES/date=2024-01-16/part-0.parquet',
    ]);
    const { files, display } = datasetFiles(store, 'features/v1/set/asset=MES');
    expect(files.map(display)).toEqual(['features/v1/set/asset=MES/date=2024-01-15/part-0.parquet', 'features/v1/set/asset=MES/date=2024-01-16/part-0.parquet']);
  });

  it('reads the files one after the other: row offsets, windows across files, chosen columns', async () => {
    const dataset = await Dataset.open(store, 'features/v1/set');
    expect({ numRows: dataset.numRows, files: dataset.files.map((f) => [f.path, f.rowStart]) }).toEqual({
      numRows: 90,
      files: [
        ['features/v1/set/asset=ES/date=2024-01-16/part-0.parquet', 0],
        ['features/v1/set/asset=MES/date=2024-01-15/part-0.parquet', 30],
        ['features/v1/set/asset=MES/date=2024-01-16/part-0.parquet', 60],
      ],
    });
    // ES (minutes 60-89) sorts before MES; no partition column is added
    expect(tableToJsonRows(await dataset.readRows(0, 1))).toEqual([{ timestamp: '2024-01-02T01:00:00.000000000Z', open: 5015, high: 5016, low: 5014, close: 5015.5, volume: 160, venue: 'GLBX' }]);
    expect(tableToJsonRows(await dataset.readRows(28, 4, ['volume', 'venue']))).toEqual([
      { volume: 188, venue: 'GLBX' },
      { volume: 189, venue: 'XCME' },
      { volume: 100, venue: null },
      { volume: 101, venue: 'XCME' },
    ]);
    expect((await dataset.readRows(85, 50, ['volume'])).getChild('volume')?.toArray()).toEqual(new BigInt64Array([155n, 156n, 157n, 158n, 159n]));
    expect((await dataset.readRows(90, 10)).numRows).toBe(0);
    const all = await dataset.readAll(['volume']);
    expect(all.numRows).toBe(90);
    expect(all.getChild('volume')?.get(89)).toBe(159n);
  });

  it('opens a single file, or a list of files in the order given', async () => {
    const one = await Dataset.open(store, 'features/v1/set/asset=MES/date=2024-01-16/part-0.parquet');
    expect({ rows: one.numRows, paths: one.files.map((f) => f.path) }).toEqual({ rows: 30, paths: ['features/v1/set/asset=MES/date=2024-01-16/part-0.parquet'] });
    // a hidden file named directly is read: only folder walks skip them
    expect((await Dataset.open(store, 'features/v1/set/_staging/part-0.parquet')).numRows).toBe(3);
    const listed = await Dataset.openFiles([at('asset=MES/date=2024-01-16/part-0.parquet'), at('asset=ES/date=2024-01-16/part-0.parquet')]);
    expect(listed.files.map((f) => f.rowStart)).toEqual([0, 30]);
    expect((await listed.readRows(29, 2, ['volume'])).getChild('volume')?.toArray()).toEqual(new BigInt64Array([159n, 160n]));
  });

  it('says what is wrong: nothing there, no Parquet file, a path leaving the store, a store path without a store', async () => {
    const missing = await errorOf(Dataset.open(store, 'features/v9/set'));
    expect({ code: missing.code, message: missing.message, details: missing.details }).toEqual({ code: 'NOT_FOUND', message: 'no dataset at features/v9/set', details: { path: 'features/v9/set' } });
    fs.mkdirSync(at('empty/_only-hidden'), { recursive: true });
    await writeParquet(bars(1, 0), at('empty/_only-hidden/part-0.parquet'));
    const empty = await errorOf(Dataset.open(store, 'features/v1/set/empty'));
    expect({ code: empty.code, message: empty.message }).toEqual({ code: 'NOT_FOUND', message: 'no Parquet files under features/v1/set/empty' });
    const escape = await errorOf(Dataset.open(store, 'features/../../outside'));
    expect({ code: escape.code, message: escape.message }).toEqual({ code: 'BAD_REQUEST', message: '"features/../../outside" leaves the store' });
    const noStore = await errorOf(Dataset.open(null, 'features/v1/set'));
    expect({ code: noStore.code, message: noStore.message }).toEqual({ code: 'BAD_REQUEST', message: '"features/v1/set" is a store path, but no store is open' });
  });
});
