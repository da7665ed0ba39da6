import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../../cli/render.js';
import { closeEngine } from '../../core/engine/duckdbEngine.js';
import { buildFormat2Store, filesBelow, type Format2Store } from '../core/store/format2Kit.js';
import { runCli, runCliJson } from '../helpers/runCli.js';

/** The rows `show` prints of a version, as JSON records (the same shape as for a file). */
async function shown(storeDir: string, ...argv: string[]) {
  const run = await runCliJson('show', ...argv, '--rows', '100', '--store', storeDir);
  expect(run.stderr).toBe('');
  return run.json as { path: string; numRows: number; rows: Record<string, unknown>[] };
}

describe('mes-data names, --as-of and gc on a format-2 store', () => {
  let fixture: Format2Store;
  let storeDir: string;
  beforeAll(async () => {
    fixture = await buildFormat2Store({ features: true });
    storeDir = fixture.root;
    await closeEngine();
  });
  afterAll(() => fixture.cleanup());

  it('show and schema read a version by its name, the newest by the table name, the one current at a moment with --as-of', async () => {
    const newest = await shown(storeDir, 'cleaned/MES');
    expect(newest.path).toBe('cleaned/v3/MES');
    expect(newest.numRows).toBe(7);
    const v1 = await shown(storeDir, 'cleaned/MES@v1');
    expect(v1.path).toBe('cleaned/v1/MES');
    expect(v1.rows.map((row) => row.close)).toEqual([4750.25, 4751.5, 4760, 4761.75]);
    const asOf = await shown(storeDir, 'cleaned/MES', '--as-of', '2026-11-01T12:00:02.500Z');
    expect(asOf.path).toBe('cleaned/v2/MES');
    expect(asOf.rows.map((row) => row.close)).toEqual([4750.25, 4751.5, 4760.5, 4761.75, 4762]);
    const text = await runCli('show', 'cleaned/MES@v2', '--rows', '1', '--columns', 'close', '--store', storeDir);
    expect(text.stdout.trimEnd().split('\n').at(-1)).toBe('rows 0–0 of 5 · cleaned/v2/MES');
    const schema = await runCliJson('schema', 'cleaned/MES', '--as-of', '2026-11-01T12:00:01Z', '--store', storeDir);
    expect((schema.json as { path: string; numRows: number; columns: { name: string }[] }).path).toBe('cleaned/v1/MES');
    expect((schema.json as { columns: { name: string }[] }).columns.map((c) => c.name)).toEqual(['date', 'timestamp', 'close', 'volume']);
  });

  it('query and diff take --as-of; unknown versions and moments before the first commit are NOT_FOUND with exit 3', async () => {
    const query = await runCliJson('query', 'cleaned/MES', '--as-of', '2026-11-01T12:00:01.000Z', '--sql', 'SELECT count(*) AS n FROM dataset', '--store', storeDir);
    expect((query.json as { rows: unknown[][] }).rows).toEqual([[4]]);
    const diff = await runCliJson('diff', 'cleaned/MES', 'cleaned/MES@v3', '--as-of', '2026-11-01T12:00:01Z', '--store', storeDir);
    expect((diff.json as { rows: Record<string, number> }).rows).toEqual({ added: 3, removed: 0, changed: 1, unchanged: 3, a: 4, b: 7 });
    const unknown = await runCli('show', 'cleaned/MES@v9', '--store', storeDir);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain('cleaned/MES has no version v9 (asked for by "cleaned/MES@v9"); its versions: v1, v2, v3');
    const before = await runCli('show', 'cleaned/MES', '--as-of', '2026-11-01T00:00:00Z', '--store', storeDir);
    expect(before.code).toBe(3);
    expect(before.stderr).toContain('cleaned/MES had no version at 2026-11-01T00:00:00.000Z; its first was committed at 2026-11-01T12:00:01.000Z');
  });

  it('gc --dry-run prints exactly what gc then removes; the kept versions read the same after', async () => {
    const before = filesBelow(storeDir);
    const v3Before = await shown(storeDir, 'cleaned/MES@v3');
    const dry = await runCliJson('gc', '--keep', '1', '--asset', 'mes', '--dry-run', '--store', storeDir);
    expect(dry.code).toBe(0);
    expect(filesBelow(storeDir)).toEqual(before);
    const planned = dry.json as { versions: { path: string }[]; files: { path: string; bytes: number }[]; bytes: number; tables: number };
    expect(planned.versions.map((v) => v.path)).toEqual(['cleaned/v1/MES', 'cleaned/v2/MES', 'features/v1/MES/momentum_indicators']);
    expect(planned.tables).toBe(2);
    const text = await runCli('gc', '--keep', '1', '--store', storeDir);
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'version  cleaned/v1/MES  (committed 2026-11-01T12:00:01.000Z)',
      'version  cleaned/v2/MES  (committed 2026-11-01T12:00:02.000Z)',
      'version  features/v1/MES/momentum_indicators  (committed 2026-11-01T12:00:05.000Z)',
    ]);
    expect(lines.slice(3, 3 + planned.files.length)).toEqual(planned.files.map((f) => `file     ${f.path}  ${formatBytes(f.bytes)}`));
    expect(lines.at(-1)).toBe(`removed 3 version(s) and ${planned.files.length} file(s), ${formatBytes(planned.bytes)}, in 2 table(s)`);
    expect(planned.files.map((f) => f.path)).toContain(fixture.files.v1_0103);
    for (const file of planned.files) expect(fs.existsSync(path.join(storeDir, file.path))).toBe(false);
    expect(filesBelow(storeDir)).toEqual(before.filter((file) => !planned.files.some((f) => f.path === file) && !/^(cleaned\/v[12]\/|features\/v1\/|catalog\/cleaned\/MES\/v[12]\.json|catalog\/features\/MES\/momentum_indicators\/v1\.json)/.test(file)).concat('cleaned/MES/metadata/v5.metadata.json', 'features/MES/momentum_indicators/metadata/v4.metadata.json').sort());
    expect(await shown(storeDir, 'cleaned/MES@v3')).toEqual(v3Before);
    const gone = await runCli('show', 'cleaned/MES@v1', '--store', storeDir);
    expect(gone.stderr).toContain('cleaned/MES has no version v1 (asked for by "cleaned/MES@v1"); its versions: v3');
    const none = await runCli('gc', '--store', storeDir);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('say which versions go: --keep N (the newest N stay) or --older-than 30d (a duration or a date)');
  });
});
