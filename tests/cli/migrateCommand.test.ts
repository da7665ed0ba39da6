import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../../cli/render.js';
import { initStore } from '../../core/store/openStore.js';
import { writeRawSnapshot } from '../../core/store/rawSnapshot.js';
import { ohlcvTable, tempDir } from '../helpers/ohlcvTable.js';
import { runCli, runCliJson } from '../helpers/runCli.js';

const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/format1-store/store');

describe('mes-data migrate', () => {
  const { dir, cleanup } = tempDir('mes-data-cli-migrate-');
  const storeDir = path.join(dir, 'store');
  beforeAll(() => fs.cpSync(FIXTURE, storeDir, { recursive: true }));
  afterAll(cleanup);

  it('a format-1 store is refused with exit 6 until migrate converts it; a dry run says what moves; a rerun has nothing to do', async () => {
    const refused = await runCli('ls', '--store', storeDir);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toContain(`run \`mes-data migrate --store ${storeDir}\` once to convert it in place`);
    const dry = await runCliJson('migrate', '--dry-run', '--store', storeDir);
    const planned = dry.json as { tables: { bytes: number }[] };
    const dryText = await runCli('migrate', '--dry-run', '--store', storeDir);
    expect(dryText.stdout).toBe(
      [
        `dry run: ${storeDir} would move 2 raw sidecar(s) to catalog/raw and become 2 table(s); nothing changed`,
        `cleaned/MES  v1, v3  3 file(s) to move, 1 shared, ${formatBytes(planned.tables[0].bytes)}`,
        `features/MES/momentum_indicators  v1  1 file(s) to move, 0 shared, ${formatBytes(planned.tables[1].bytes)}`,
        '',
      ].join('\n'),
    );
    const run = await runCli('migrate', '--store', storeDir);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toBe(
      [
        `migrated ${storeDir} to format 2: 2 raw sidecar(s) moved to catalog/raw, 2 table(s)`,
        `cleaned/MES  v1, v3  3 file(s) moved, 1 shared, ${formatBytes(planned.tables[0].bytes)}`,
        `features/MES/momentum_indicators  v1  1 file(s) moved, 0 shared, ${formatBytes(planned.tables[1].bytes)}`,
        '',
      ].join('\n'),
    );
    const again = await runCli('migrate', '--store', storeDir);
    expect(again.stdout).toBe(`${storeDir} already has format 2; nothing to do\n`);
    const shown = await runCliJson('show', 'cleaned/MES', '--rows', '1', '--store', storeDir);
    expect((shown.json as { path: string; numRows: number }).path).toBe('cleaned/v3/MES');
    expect((shown.json as { numRows: number }).numRows).toBe(50);
    const legacy = await runCliJson('show', 'features/v1/momentum_indicators', '--rows', '1', '--store', storeDir);
    expect((legacy.json as { path: string; numRows: number }).path).toBe('features/v1/MES/momentum_indicators');
    expect((legacy.json as { numRows: number }).numRows).toBe(50);
  });

  it('on a store of format 2 moves older raw revisions out of their date folders (a store written before revisions did it)', async () => {
    const root = path.join(dir, 'format2');
    const { store } = await initStore(root);
    for (const [name, rows] of [['a', 3], ['a.rev1', 4]] as const) await writeRawSnapshot(store, { asset: 'MES', date: '2024-01-16', name, table: ohlcvTable(rows) });
    const dry = await runCli('migrate', '--dry-run', '--store', root);
    expect(dry.stdout).toBe(`dry run: ${root} would move 1 older raw revision(s) out of their date folders to catalog/raw/{ASSET}/superseded/; nothing changed\n`);
    const run = await runCli('migrate', '--store', root);
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 0, stdout: `moved 1 older raw revision(s) of ${root} out of their date folders to catalog/raw/{ASSET}/superseded/\n` });
    expect(fs.readdirSync(path.join(root, 'raw/MES/2024-01-16'))).toEqual(['a.rev1.parquet']);
    const again = await runCliJson('migrate', '--store', root);
    expect(again.json).toEqual({ dryRun: false, status: 'current', store: root, rawSidecars: 0, rawRevisions: 0, tables: [] });
  });
});
