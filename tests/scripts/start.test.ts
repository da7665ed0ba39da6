import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/ohlcvTable.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Polls until `check` is true, or fails after `ms`. */
async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start (scripts/start.mjs)', () => {
  const { dir, cleanup } = tempDir('mes-data-start-');
  afterAll(cleanup);

  it('passes SIGTERM on to the app it started and exits as the app did', async () => {
    // a stand-in for Electron's binary (ELECTRON_OVERRIDE_DIST_PATH): says it started, and on SIGTERM writes so and exits 3
    const fake = path.join(dir, 'electron');
    const log = path.join(dir, 'app.log');
    fs.writeFileSync(
      fake,
      `#!${process.execPath}\nconst fs = require('node:fs');\nfs.appendFileSync(${JSON.stringify(log)}, 'started ' + process.pid + '\\n');\nprocess.on('SIGTERM', () => { fs.appendFileSync(${JSON.stringify(log)}, 'SIGTERM\\n'); process.exit(3); });\nsetInterval(() => {}, 1000);\n`,
      { mode: 0o755 },
    );
    const start = spawn(process.execPath, [path.join(ROOT, 'scripts/start.mjs')], {
      cwd: ROOT,
      stdio: 'ignore',
      env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: dir, MES_DATA_START_SKIP_BUILD: '1', MES_DATA_STORE: path.join(dir, 'store') },
    });
    const exited = new Promise<number | null>((resolve) => start.on('exit', (code) => resolve(code)));
    await until(() => fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('started'), 20_000, 'the app to start');
    const appPid = Number(/started (\d+)/.exec(fs.readFileSync(log, 'utf8'))?.[1]);
    start.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 10_000))]);
    if (alive(appPid)) process.kill(appPid, 'SIGKILL');
    expect({ code, log: fs.readFileSync(log, 'utf8').replace(/\d+/, 'PID') }).toEqual({ code: 3, log: 'started PID\nSIGTERM\n' });
  });
});
