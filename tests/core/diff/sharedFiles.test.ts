import fs from 'node:fs';
import path from 'node:path';
import type { Table } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { diffParquetFiles, sharedFiles } from '../../../core/diff/diffFiles.js';
import { diffTables } from '../../../core/diff/diffTables.js';
import { withConnection } from '../../../core/engine/duckdbEngine.js';
import { writeParquet } from '../../../core/parquet/writeParquet.js';
import { barsFromCloses, barsTable, type Bar } from '../../helpers/barsTable.js';
import { tempDir } from '../../helpers/ohlcvTable.js';

/**
 * Two versions that hold some of their files in common (hard links, as version folders do):
 * those files stay out of the join when no other file's time range meets theirs, and the
 * result is still what diffTables gives for the rows of the two sides.
 */
describe('diffParquetFiles leaves out the files both sides share', () => {
  const { dir, cleanup } = tempDir('mes-data-diff-shared-');
  afterAll(cleanup);
  let serial = 0;

  async function file(table: Table): Promise<string> {
    const out = path.join(dir, `data-${serial++}.parquet`);
    await writeParquet(table, out);
    return out;
  }

  /** A version folder of links to `files`, named in order (as a version's dates are). */
  function version(files: string[]): string[] {
    const folder = path.join(dir, `v${serial++}`);
    fs.mkdirSync(folder);
    return files.map((source, k) => {
      const link = path.join(folder, `${String(k).padStart(3, '0')}.parquet`);
      fs.linkSync(source, link);
      return link;
    });
  }

  const concat = (tables: Table[]) => tables.slice(1).reduce((all, t) => all.concat(t), tables[0]);
  const day = (date: string, closes: number[]) => barsTable(barsFromCloses(`${date}T15:00:00Z`, 60, closes));
  const shared = (filesA: string[], filesB: string[]) => withConnection((db) => sharedFiles(db, filesA, filesB));

  // three trading dates, then a revised third date and an added fourth
  const d1 = day('2024-01-03', [5000, 5001, 5002]);
  const d2 = day('2024-01-04', [5010, 5011, 5012, 5013]);
  const d3 = day('2024-01-05', [5020, 5021]);
  const d3revised = day('2024-01-05', [5020, 5029]);
  const d4 = day('2024-01-08', [5030, 5031, 5032, 5033, 5034]);

  it('compares only the files that differ, and counts the shared rows as unchanged', async () => {
    const [f1, f2, f3, f3r, f4] = [await file(d1), await file(d2), await file(d3), await file(d3revised), await file(d4)];
    const a = version([f1, f2, f3]);
    const b = version([f1, f2, f3r, f4]);
    expect(await shared(a, b)).toEqual({ keptA: [a[2]], keptB: [b[2], b[3]], rowsA: 2, rowsB: 7, sharedRows: 7, oneShared: b[0] });
    const fast = await diffParquetFiles(a, b);
    expect(fast).toEqual(diffTables(concat([d1, d2, d3]), concat([d1, d2, d3revised, d4])));
    expect(fast?.rows).toEqual({ added: 5, removed: 0, changed: 1, unchanged: 8, a: 9, b: 14 });
    expect(fast?.byDate.dates).toEqual([
      { date: '2024-01-05', added: 0, removed: 0, changed: 1 },
      { date: '2024-01-08', added: 5, removed: 0, changed: 0 },
    ]);
  });

  it('two versions of the same files: nothing is compared, every row unchanged', async () => {
    const [f1, f2] = [await file(d1), await file(d2)];
    const a = version([f1, f2]);
    const b = version([f1, f2]);
    expect(await shared(a, b)).toEqual({ keptA: [], keptB: [], rowsA: 0, rowsB: 0, sharedRows: 7, oneShared: b[0] });
    const fast = await diffParquetFiles(a, b);
    expect(fast).toEqual(diffTables(concat([d1, d2]), concat([d1, d2])));
    expect(fast?.rows).toEqual({ added: 0, removed: 0, changed: 0, unchanged: 7, a: 7, b: 7 });
  });

  it('a shared file whose times another file meets stays in the join (a key on both sides pairs in file order)', async () => {
    // d2's last minute is also in the changed file of each side: the rows of that key pair up across files
    const clash = (close: number) => barsTable([[ '2024-01-04T15:03:00.000Z', close, close + 1, close - 1, close, 7 ] as Bar, ...barsFromCloses('2024-01-05T15:00:00Z', 60, [5020])]);
    const [f1, f2, xa, xb] = [await file(d1), await file(d2), await file(clash(6000)), await file(clash(6001))];
    const a = version([f1, f2, xa]);
    const b = version([f1, f2, xb]);
    expect(await shared(a, b)).toEqual({ keptA: [a[1], a[2]], keptB: [b[1], b[2]], rowsA: 6, rowsB: 6, sharedRows: 3, oneShared: b[0] });
    expect(await diffParquetFiles(a, b)).toEqual(diffTables(concat([d1, d2, clash(6000)]), concat([d1, d2, clash(6001)])));
  });

  it('a file found twice on a side, or copied instead of linked, is compared as any other', async () => {
    const [f1, f2] = [await file(d1), await file(d2)];
    const copy = path.join(dir, `copy-${serial++}.parquet`);
    fs.copyFileSync(f2, copy);
    const twice = version([f1, f1]);
    const once = version([f1, copy]);
    expect(await shared(twice, once)).toMatchObject({ keptA: twice, keptB: once, sharedRows: 0, oneShared: null });
    expect(await diffParquetFiles(twice, once)).toEqual(diffTables(concat([d1, d1]), concat([d1, d2])));
  });

  it('nanosecond digits of the files compared still line up with their rows', async () => {
    const at = (times: string[]) => barsTable(times.map((t, i) => [t, 5000, 5000.5, 4999.5, 5000, 1 + i] as Bar));
    const before = at(['2024-01-05T15:00:00.000000001Z', '2024-01-05T15:00:00.000000002Z', '2024-01-05T15:00:00.000000004Z']);
    const after = at(['2024-01-05T15:00:00.000000001Z', '2024-01-05T15:00:00.000000003Z', '2024-01-05T15:00:00.000000004Z']);
    const [f1, fa, fb] = [await file(d1), await file(before), await file(after)];
    const a = version([f1, fa]);
    const b = version([f1, fb]);
    expect((await shared(a, b)).sharedRows).toBe(3);
    const fast = await diffParquetFiles(a, b);
    expect(fast).toEqual(diffTables(concat([d1, before]), concat([d1, after])));
    expect(fast?.samples.map((s) => [s.kind, s.key.timestamp])).toEqual([
      ['removed', '2024-01-05T15:00:00.000000002Z'],
      ['added', '2024-01-05T15:00:00.000000003Z'],
    ]);
  });
});
