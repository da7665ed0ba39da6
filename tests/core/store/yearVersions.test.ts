/**
 * Versions of a table partitioned by year (`commitVersion` with `date_year=YYYY/` files):
 * the table's spec, the links `{YYYY}.parquet`, a year kept by reference, recovery of a
 * version folder, and what is refused (rows without their date, two partitionings at once,
 * year files onto a table by date, a file of two years).
 */
import fs from 'node:fs';
import path from 'node:path';
import { DateDay, makeData, makeVector, Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTable } from '../../../core/iceberg/tableCommit.js';
import { defaultSpec } from '../../../core/iceberg/tableMetadata.js';
import type { Store } from '../../../core/store/storeLayout.js';
import { commitVersion, newestVersion, recoverVersions, type VersionWriteContext } from '../../../core/store/versionCommit.js';
import { ohlcvTable } from '../../helpers/ohlcvTable.js';
import { errorOf, newStore } from './storeTestKit.js';

/** `rows` bars, each with a `date` column: the given dates in turn. */
function dated(dates: string[]): Table {
  const days = Int32Array.from(dates, (d) => Date.parse(`${d}T00:00:00Z`) / 86_400_000);
  return ohlcvTable(dates.length).assign(new Table({ date: makeVector(makeData({ type: new DateDay(), length: days.length, nullCount: 0, data: days })) }));
}

describe('commitVersion by year', () => {
  let store: Store;
  let cleanup: () => void;
  const at = (relative: string) => path.join(store.root, ...relative.split('/'));
  beforeAll(async () => {
    ({ store, cleanup } = await newStore());
  });
  afterAll(() => cleanup());

  it('creates a table partitioned by year(date) whose version folder links one file a year', async () => {
    const result = await commitVersion(store, {
      layer: 'cleaned',
      key: 'NVDA',
      sidecar: { dateRange: { from: '2023-03-01', to: '2024-06-03' } },
      write: async (ctx) => {
        await ctx.writeParquet('date_year=2023/part-0.parquet', dated(['2023-03-01', '2023-12-29']));
        await ctx.writeParquet('date_year=2024/part-0.parquet', dated(['2024-01-02', '2024-06-03']));
      },
    });
    expect(result).toMatchObject({ status: 'created', version: 1, rows: 4, shared: 0, written: 2 });
    expect(fs.readdirSync(at('cleaned/v1/NVDA')).sort()).toEqual(['2023.parquet', '2024.parquet']);
    const table = await loadTable(at('cleaned/NVDA'));
    expect(defaultSpec(table.metadata).fields.map((f) => [f.name, f.transform])).toEqual([['date_year', 'year']]);
    expect(result.metadata).toMatchObject({ partitioning: ['date_year'], dateRange: { from: '2023-03-01', to: '2024-06-03' } });
    expect(await newestVersion(store, 'cleaned', 'NVDA')).toMatchObject({ version: 1, partitions: ['2023', '2024'], partitionBy: 'year' });
  });

  it('keeps a year by reference and writes another; without a range the writer gives, dateRange is unknown', async () => {
    const result = await commitVersion(store, {
      layer: 'cleaned',
      key: 'NVDA',
      write: async (ctx) => {
        ctx.keepPartitions(['2023']);
        await ctx.writeParquet('date_year=2024/part-0.parquet', dated(['2024-01-02', '2024-06-03', '2024-12-31']));
      },
    });
    expect(result).toMatchObject({ version: 2, rows: 5, shared: 1, written: 1 });
    expect(fs.statSync(at('cleaned/v2/NVDA/2023.parquet')).ino).toBe(fs.statSync(at('cleaned/v1/NVDA/2023.parquet')).ino);
    expect(fs.statSync(at('cleaned/v2/NVDA/2024.parquet')).ino).not.toBe(fs.statSync(at('cleaned/v1/NVDA/2024.parquet')).ino);
    expect(result.metadata.dateRange).toBeNull();
  });

  it('recovery rebuilds a lost version folder with its year links', async () => {
    fs.rmSync(at('cleaned/v2/NVDA'), { recursive: true });
    expect(await recoverVersions(store, { layer: 'cleaned', key: 'NVDA' })).toEqual({ rebuilt: ['cleaned/v2/NVDA'], removed: [] });
    expect(fs.readdirSync(at('cleaned/v2/NVDA')).sort()).toEqual(['2023.parquet', '2024.parquet']);
  });

  it('refuses rows without their date, two partitionings in one version, year files onto a table by date and a file of two years', async () => {
    const commit = (key: string, write: (ctx: VersionWriteContext) => Promise<void>) => errorOf(commitVersion(store, { layer: 'cleaned', key, write }));
    expect(await commit('NVDA', async (ctx) => void (await ctx.writeParquet('date_year=2025/part-0.parquet', ohlcvTable(2))))).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'date_year=2025/part-0.parquet: a file of a year partition carries each row\'s date column; the rows have none',
    });
    const mixed = await commit('NVDA', async (ctx) => {
      await ctx.writeParquet('date=2025-01-02/part-0.parquet', ohlcvTable(1));
      await ctx.writeParquet('date_year=2025/part-0.parquet', dated(['2025-01-03']));
    });
    expect(mixed).toMatchObject({ code: 'BAD_REQUEST', message: 'the commit of a new cleaned version of NVDA mixes partitions by date (date=YYYY-MM-DD) and by year (date_year=YYYY)' });
    await commitVersion(store, { layer: 'cleaned', key: 'DAY', write: async (ctx) => void (await ctx.writeParquet('date=2024-01-02/part-0.parquet', ohlcvTable(1))) });
    expect(await commit('DAY', async (ctx) => void (await ctx.writeParquet('date_year=2024/part-0.parquet', dated(['2024-01-03']))))).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'the commit of a new cleaned version of DAY: the table cleaned/DAY is partitioned by date, the new files are partitioned by year',
    });
    const across = await commit('NVDA', async (ctx) => void (await ctx.writeParquet('date_year=2025/part-0.parquet', dated(['2025-12-31', '2026-01-02']))));
    expect(across.code).toBe('BAD_REQUEST');
    expect(across.message).toMatch(/holds date values from 2025-12-31 to 2026-01-02; a data file holds one partition \(one year\)$/);
    // nothing of the refused commits is a version
    expect((await newestVersion(store, 'cleaned', 'NVDA'))?.version).toBe(2);
  });
});
