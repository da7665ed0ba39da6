import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeParquet } from '../../core/parquet/writeParquet.js';
import { ohlcvTable, tempDir } from '../helpers/ohlcvTable.js';
import { CLI_BIN, runCli } from '../helpers/runCli.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('mes-data as a process', () => {
  const { dir, cleanup } = tempDir('mes-data-cli-main-');
  const file = path.join(dir, 'bars.parquet');
  beforeAll(async () => {
    await writeParquet(ohlcvTable(20_000), file);
  });
  afterAll(cleanup);

  it('stops quietly when the reader of its output goes away (mes-data show … | head -1)', () => {
    // 20,000 rows of text are far more than a pipe holds, so the writes after head exits fail with EPIPE
    const run = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI_BIN}" show "${file}" --rows 20000 | head -1; echo "status=\${PIPESTATUS[0]}" >&2`], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(run.stdout.split('\n')[0]).toMatch(/^#\s+timestamp\s+open\s+high\s+low\s+close\s+volume$/);
    expect(run.stderr).toBe('status=0\n');
  });

  it('help texts show no empty defaults and name the defaults that apply', async () => {
    const help = async (command: string) => {
      const run = await runCli(command, '--help');
      expect(run.code).toBe(0);
      return run.stdout.replace(/\s+/g, ' ');
    };
    const ingest = await help('ingest');
    expect(ingest).not.toContain('(default: {})');
    expect(ingest).toContain('--map <target=source> use this source column for a target column, e.g. --map close=Last (repeatable; default: detected from the header)');
    expect(await help('validate')).toContain('--schema <name> schema name (see mes-data schemas) (default: "ohlcv")');
    expect(await help('ls')).toContain('--depth <n> levels of children to show, or all (default: 2 for the text tree, all with --json)');
  });
});
