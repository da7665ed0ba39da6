import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../../cli/render.js';
import { openStore } from '../../core/store/openStore.js';
import { commitRawSnapshots } from '../../core/store/rawSnapshot.js';
import { writeFormat2Version } from '../core/store/storeTestKit.js';
import { ohlcvTable, tempDir } from '../helpers/ohlcvTable.js';
import { runCli, runCliJson } from '../helpers/runCli.js';

describe('mes-data init, ls, verify', () => {
  const { dir, cleanup } = tempDir('mes-data-cli-store-');
  const storeDir = path.join(dir, 'store');
  const sizeOf = (relative: string) => fs.statSync(path.join(storeDir, ...relative.split('/'))).size;

  beforeAll(async () => {
    const init = await runCliJson('init', '--store', storeDir);
    expect({ code: init.code, json: init.json, stderr: init.stderr }).toEqual({ code: 0, json: { store: storeDir, created: true }, stderr: '' });
    const store = await openStore(storeDir);
    await commitRawSnapshots(store, [
      { asset: 'MES', date: '2024-01-15', name: 'ohlcv', table: ohlcvTable(1440) },
      { asset: 'MES', date: '2024-01-16', name: 'ohlcv', table: ohlcvTable(10) },
    ]);
    await writeFormat2Version(store, 'cleaned', 'MES', 1, [{ date: '2024-01-15', table: ohlcvTable(1440) }], { sidecar: { validation: { valid: true } } });
  });
  afterAll(cleanup);

  it('init leaves an existing store alone and refuses a folder that is not one', async () => {
    const again = await runCli('init', '--store', storeDir);
    expect({ code: again.code, stdout: again.stdout }).toEqual({ code: 0, stdout: `${storeDir} is already a store; left as it is\n` });
    const fresh = await runCli('init', '--store', path.join(dir, 'second'));
    expect(fresh.stdout).toBe(`created a store at ${path.join(dir, 'second')}\n`);
    const busy = path.join(dir, 'busy');
    fs.mkdirSync(busy);
    fs.writeFileSync(path.join(busy, 'taxes.xlsx'), 'x');
    const refused = await runCliJson('init', '--store', busy);
    expect(refused.code).toBe(6);
    expect((refused.json as { error: { code: string } }).error.code).toBe('ALREADY_EXISTS');
    expect(refused.stderr).toBe(`error ALREADY_EXISTS: ${busy} is not empty and is not a MES Data store (it holds "taxes.xlsx"); choose an empty or new folder\n`);
  });

  it('ls --json prints the tree node; a path picks a subtree; --depth limits it', async () => {
    const all = await runCliJson('ls', '--store', storeDir);
    expect(all.code).toBe(0);
    const tree = all.json as { kind: string; path: string; children: { name: string; children?: unknown[] }[] };
    expect({ kind: tree.kind, path: tree.path, layers: tree.children.map((c) => c.name) }).toEqual({ kind: 'store', path: '', layers: ['raw', 'cleaned', 'features'] });
    const date = await runCliJson('ls', 'raw/MES/2024-01-15', '--store', storeDir);
    expect(date.json).toEqual({
      kind: 'date',
      name: '2024-01-15',
      path: 'raw/MES/2024-01-15',
      rows: 1440,
      bytes: sizeOf('raw/MES/2024-01-15/ohlcv.parquet'),
      from: '2024-01-15',
      to: '2024-01-15',
      createdAt: (date.json as { createdAt: string }).createdAt,
      children: [
        {
          kind: 'file',
          name: 'ohlcv.parquet',
          path: 'raw/MES/2024-01-15/ohlcv.parquet',
          rows: 1440,
          bytes: sizeOf('raw/MES/2024-01-15/ohlcv.parquet'),
          sha256: (date.json as { children: { sha256: string }[] }).children[0].sha256,
          compression: 'snappy',
        },
      ],
    });
    const version = (await runCliJson('ls', 'cleaned/v1/MES', '--depth', '0', '--store', storeDir)).json as Record<string, unknown>;
    expect({ kind: version.kind, version: version.version, valid: version.valid, rows: version.rows, children: version.children }).toEqual({ kind: 'version', version: 1, valid: true, rows: 1440, children: undefined });
  });

  it('ls prints a tree for people, two levels deep unless --depth says otherwise', async () => {
    const a = sizeOf('raw/MES/2024-01-15/ohlcv.parquet');
    const b = sizeOf('raw/MES/2024-01-16/ohlcv.parquet');
    const cleanedBytes = formatBytes(sizeOf('cleaned/v1/MES/2024-01-15.parquet'));
    // the default stops at the assets, yet they keep their counts and spans; the last line says how to see more
    const top = await runCli('ls', '--store', storeDir);
    expect(top.stdout.split('\n').slice(1)).toEqual([
      '├── raw',
      `│   └── MES  2 dates · 2024-01-15 … 2024-01-16 · 1,450 rows · ${formatBytes(a + b)}`,
      '├── cleaned',
      '│   └── MES',
      '└── features',
      '(2 levels shown; --depth N or --depth all for more, or name a path: mes-data ls raw/…)',
      '',
    ]);
    const one = await runCli('ls', 'raw/MES', '--store', storeDir);
    expect(one.stdout).toBe(
      [
        `raw/MES  2 dates · 2024-01-15 … 2024-01-16 · 1,450 rows · ${formatBytes(a + b)}`,
        `├── 2024-01-15  1,440 rows · ${formatBytes(a)}`,
        `│   └── ohlcv.parquet  1,440 rows · ${formatBytes(a)}`,
        `└── 2024-01-16  10 rows · ${formatBytes(b)}`,
        `    └── ohlcv.parquet  10 rows · ${formatBytes(b)}`,
        '',
      ].join('\n'),
    );
    const run = await runCli('ls', 'raw', '--store', storeDir, '--depth', 'all');
    expect(run.stdout).toBe(
      [
        'raw',
        `└── MES  2 dates · 2024-01-15 … 2024-01-16 · 1,450 rows · ${formatBytes(a + b)}`,
        `    ├── 2024-01-15  1,440 rows · ${formatBytes(a)}`,
        `    │   └── ohlcv.parquet  1,440 rows · ${formatBytes(a)}`,
        `    └── 2024-01-16  10 rows · ${formatBytes(b)}`,
        `        └── ohlcv.parquet  10 rows · ${formatBytes(b)}`,
        '',
      ].join('\n'),
    );
    const versions = await runCli('ls', 'cleaned', '--store', storeDir, '--depth', '2');
    expect(versions.stdout).toBe(['cleaned', '└── MES', `    └── v1  valid · 2024-01-15 · 1,440 rows · ${cleanedBytes}`, ''].join('\n'));
    // --json keeps its documented default: the whole subtree
    const json = (await runCliJson('ls', 'raw', '--store', storeDir)).json as { children: { children: { children: { name: string }[] }[] }[] };
    expect(json.children[0].children[0].children.map((c) => c.name)).toEqual(['ohlcv.parquet']);
  });

  it('ls on a missing store or path is NOT_FOUND (exit 3)', async () => {
    const noStore = await runCliJson('ls', '--store', path.join(dir, 'nowhere'));
    expect({ code: noStore.code, error: (noStore.json as { error: { code: string } }).error.code }).toEqual({ code: 3, error: 'NOT_FOUND' });
    const noPath = await runCli('ls', 'raw/ES', '--store', storeDir);
    expect({ code: noPath.code, stderr: noPath.stderr }).toEqual({ code: 3, stderr: `error NOT_FOUND: nothing at raw/ES in the store ${storeDir}\n` });
    const badDepth = await runCli('ls', '--depth', 'deep', '--store', storeDir);
    expect(badDepth.code).toBe(2);
  });

  it('a store of format 1 is STORE_NEEDS_MIGRATION (exit 6) for ls and verify, naming the migrate command', async () => {
    const old = path.join(dir, 'format1');
    fs.mkdirSync(old);
    fs.writeFileSync(path.join(old, 'mes-data-store.json'), JSON.stringify({ format: 'mes-data-store', formatVersion: 1, createdAt: '2026-01-02T03:04:05.000Z', createdBy: 'mes-data 0.1.0' }));
    for (const command of ['ls', 'verify']) {
      const run = await runCli(command, '--store', old);
      expect({ command, code: run.code, stderr: run.stderr }).toEqual({
        command,
        code: 6,
        stderr: `error STORE_NEEDS_MIGRATION: the store ${old} has format 1; this mes-data (0.1.0) reads format 2: run \`mes-data migrate --store ${old}\` once to convert it in place\n`,
      });
    }
  });

  it('verify reports ok (exit 0), then tampering (exit 1) with path, code and message', async () => {
    const ok = await runCliJson('verify', '--store', storeDir);
    expect({ code: ok.code, ok: (ok.json as { ok: boolean }).ok, problems: (ok.json as { problems: unknown[] }).problems }).toEqual({ code: 0, ok: true, problems: [] });
    const text = await runCli('verify', '--store', storeDir);
    expect(text.stdout).toMatch(new RegExp(`^store ${storeDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is consistent: 3 dataset\\(s\\), 3 file\\(s\\), .* checked\\n$`));

    const target = path.join(storeDir, 'raw/MES/2024-01-16/ohlcv.parquet');
    const bytes = fs.readFileSync(target);
    bytes[50] ^= 1;
    fs.writeFileSync(target, bytes);
    const bad = await runCliJson('verify', '--store', storeDir);
    expect(bad.code).toBe(1);
    const problems = (bad.json as { ok: boolean; problems: { path: string; code: string; message: string }[] }).problems;
    expect({ ok: (bad.json as { ok: boolean }).ok, problems: problems.map((p) => [p.path, p.code]) }).toEqual({ ok: false, problems: [['raw/MES/2024-01-16/ohlcv.parquet', 'HASH_MISMATCH']] });
    const badText = await runCli('verify', '--store', storeDir);
    expect(badText.code).toBe(1);
    expect(badText.stdout.split('\n')[0]).toBe(`HASH_MISMATCH  raw/MES/2024-01-16/ohlcv.parquet: ${problems[0].message}`);
  });
});
