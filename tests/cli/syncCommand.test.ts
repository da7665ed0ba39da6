/**
 * `mes-data sync` and the read-only commands on an s3:// store, as the built command runs
 * them, against a real moto_server: folder → bucket → second folder is the same store byte
 * for byte (the bucket holding no version folder, the second folder its version folders as
 * links again) and `verify` passes on it; a rerun copies nothing; `ls`, `show` and `schema` on
 * the bucket print what they print for the folder; `serve` and `migrate` on an s3:// store are
 * BAD_REQUEST naming them, and no folder named `s3:` is made.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initStore } from '../../core/store/openStore.js';
import { commitRawSnapshots } from '../../core/store/rawSnapshot.js';
import { formatBytes } from '../../cli/render.js';
import { writeCleanedData } from '../helpers/cleanedVersion.js';
import { skipWithoutMoto, startMoto, type MotoServer } from '../helpers/motoServer.js';
import { ohlcvTable, tempDir } from '../helpers/ohlcvTable.js';
import { CLI_BIN, runCliWith } from '../helpers/runCli.js';

const BUCKET = 'mes-cli-sync';
const LAKE = `s3://${BUCKET}/team/lake`;
let moto: MotoServer | null = null;
const { dir, cleanup } = tempDir('mes-data-cli-sync-');
const source = path.join(dir, 'source');

function filesOf(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (folder: string, prefix: string): void => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const key = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) walk(path.join(folder, entry.name), key);
      else out[key] = createHash('sha256').update(fs.readFileSync(path.join(folder, entry.name))).digest('hex');
    }
  };
  walk(root, '');
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The files of a folder store that sync copies: all but the version folders' (`cleaned/v1/MES/…`), which a bucket does not hold. */
const objectKeys = (root: string): string[] => Object.keys(filesOf(root)).filter((key) => !/^(cleaned|features)\/v\d+\//.test(key));

const sizeOfAll = (root: string): number => objectKeys(root).reduce((sum, key) => sum + fs.statSync(path.join(root, ...key.split('/'))).size, 0);

/** The command with moto's endpoint and credentials in its environment. */
function cli(...argv: string[]) {
  if (!moto) throw new Error('moto_server is not running');
  return runCliWith({ AWS_ENDPOINT_URL: moto.endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' }, ...argv);
}

async function cliJson(...argv: string[]) {
  const run = await cli(...argv, '--json');
  return { ...run, json: JSON.parse(run.stdout) as Record<string, unknown> };
}

const STAGES = [
  `listing ${source}`,
  `listing ${LAKE}/`,
  'reading the sidecars',
  'copying data files (1/5)',
  'copying catalog sidecars (2/5)',
  'copying Iceberg metadata (3/5)',
  'copying table pointers (4/5)',
  'copying store marker (5/5)',
  'done',
];

beforeAll(async () => {
  const { store } = await initStore(source);
  await commitRawSnapshots(store, [
    { asset: 'MES', date: '2024-01-02', name: 'ohlcv', table: ohlcvTable(1440) },
    { asset: 'MES', date: '2024-01-03', name: 'ohlcv', table: ohlcvTable(30) },
  ]);
  await writeCleanedData(store, { asset: 'MES', data: [{ table: ohlcvTable(1440), partition: { date: '2024-01-02' } }], sidecar: { validation: { valid: true } } });
  moto = await startMoto();
  if (moto) await moto.createBucket(BUCKET);
}, 120_000);

afterAll(async () => {
  await moto?.stop();
  cleanup();
});

describe('mes-data sync', () => {
  it('folder → bucket → folder: the same files and hashes, verify passes, a rerun copies nothing; progress lines on stderr', async (context) => {
    skipWithoutMoto(context);
    const objects = objectKeys(source).length;
    expect(Object.keys(filesOf(source)).length - objects).toBe(1);
    const bytes = sizeOfAll(source);
    const up = await cliJson('sync', source, LAKE);
    expect({ code: up.code, copied: up.json.copied, skipped: up.json.skipped, bytes: up.json.bytes, objects: up.json.objects, from: up.json.from, to: up.json.to }).toEqual({
      code: 0,
      copied: objects,
      skipped: 0,
      bytes,
      objects,
      from: source,
      to: `${LAKE}/`,
    });
    // one line a stage reached (the job thread sends at most ten updates a second, so a quick stage may go unsaid), in order, ending with done
    const lines = up.stderr.split('\n').filter((line) => line !== '');
    expect(lines.every((line) => STAGES.includes(line))).toBe(true);
    expect(lines.map((line) => STAGES.indexOf(line))).toEqual([...lines.map((line) => STAGES.indexOf(line))].sort((a, b) => a - b));
    expect(lines[lines.length - 1]).toBe('done');

    const copy = path.join(dir, 'copy');
    const down = await cliJson('sync', LAKE, copy);
    expect({ code: down.code, copied: down.json.copied }).toEqual({ code: 0, copied: objects });
    expect(filesOf(copy)).toEqual(filesOf(source));
    // the version folder is made again as a link to the table's data file
    expect(fs.statSync(path.join(copy, 'cleaned', 'v1', 'MES', '2024-01-02.parquet')).nlink).toBe(2);
    const verify = await cliJson('verify', '--store', copy);
    expect({ code: verify.code, ok: verify.json.ok, problems: verify.json.problems, checked: verify.json.checked }).toEqual({ code: 0, ok: true, problems: [], checked: { datasets: 3, files: 3, bytes: (verify.json.checked as { bytes: number }).bytes } });

    const again = await cli('sync', source, LAKE);
    expect({ code: again.code, stdout: again.stdout }).toEqual({ code: 0, stdout: `copied 0 objects (0 B) from ${source} to ${LAKE}/; ${objects} objects (${formatBytes(bytes)}) already there\n` });
  });

  it('a sync killed (SIGKILL) once it writes sidecars leaves no marker in the bucket; the rerun copies the rest and the store is whole', async (context) => {
    skipWithoutMoto(context);
    if (!moto) throw new Error('moto_server is not running');
    const big = path.join(dir, 'big');
    const { store } = await initStore(big);
    const dates = Array.from({ length: 60 }, (_, k) => new Date(Date.UTC(2024, 0, 2 + k)).toISOString().slice(0, 10));
    await commitRawSnapshots(store, dates.map((date) => ({ asset: 'MES', date, name: 'ohlcv', table: ohlcvTable(60) })));
    await writeCleanedData(store, { asset: 'MES', data: dates.map((date) => ({ table: ohlcvTable(60), partition: { date } })) });
    const objects = objectKeys(big).length;
    const target = `s3://${BUCKET}/killed`;
    const child = spawn(process.execPath, [CLI_BIN, 'sync', big, target], {
      env: { ...process.env, AWS_ENDPOINT_URL: moto.endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const ended = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('copying catalog sidecars (2/5)')) child.kill('SIGKILL');
    });
    expect(await ended).toEqual({ code: null, signal: 'SIGKILL' });
    const left = (await cliJson('ls', '--store', target)).json.error as { code: string };
    expect(left.code).toBe('NOT_FOUND');
    const rerun = await cliJson('sync', big, target);
    expect(rerun.code).toBe(0);
    expect((rerun.json.copied as number) + (rerun.json.skipped as number)).toBe(objects);
    // the killed run had written every data file (step 1) and none of the Iceberg metadata, pointers or marker (steps 3 to 5)
    const keys = objectKeys(big);
    const dataFiles = keys.filter((k) => !k.startsWith('catalog/') && !k.startsWith('cleaned/MES/metadata/') && k !== 'mes-data-store.json').length;
    const lastSteps = keys.filter((k) => k.startsWith('cleaned/MES/metadata/') || k === 'mes-data-store.json').length;
    expect(rerun.json.skipped as number).toBeGreaterThanOrEqual(dataFiles);
    expect(rerun.json.copied as number).toBeGreaterThanOrEqual(lastSteps);
    const copy = path.join(dir, 'big-copy');
    await cli('sync', target, copy);
    expect(filesOf(copy)).toEqual(filesOf(big));
    expect((await cliJson('verify', '--store', copy)).json.ok).toBe(true);
  });

  it('Ctrl-C (SIGINT) cancels a sync between objects: exit 10, CANCELLED saying how many were copied; what was copied stays', async (context) => {
    skipWithoutMoto(context);
    if (!moto) throw new Error('moto_server is not running');
    const big = path.join(dir, 'big');
    const target = `s3://${BUCKET}/interrupted`;
    const child = spawn(process.execPath, [CLI_BIN, 'sync', big, target], {
      env: { ...process.env, AWS_ENDPOINT_URL: moto.endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let sent = false;
    const ended = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!sent && stderr.includes('copying')) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    expect(await ended).toBe(10);
    expect(stderr).toContain('\ncancelling… (what was copied stays; run the sync again to finish)\n');
    const line = stderr.split('\n').find((l) => l.startsWith('error'));
    const copied = Number(/after (\d+) object\(s\) copied/.exec(line ?? '')?.[1]);
    expect(line).toBe(`error CANCELLED: sync from ${big} to ${target}/ cancelled after ${copied} object(s) copied; run it again to finish`);
    const left = await cliJson('sync', big, target, '--dry-run');
    expect(left.json.skipped).toBe(copied);
  });

  it('--dry-run lists what it would copy and writes nothing', async (context) => {
    skipWithoutMoto(context);
    const keys = objectKeys(source);
    const dry = await cli('sync', source, `s3://${BUCKET}/dry`, '--dry-run');
    const body = dry.stdout.split('\n\n');
    expect(dry.code).toBe(0);
    expect(body[0].split('\n').map((line) => line.split('  ')[1]).sort()).toEqual(keys);
    expect(body[0].split('\n').every((line) => line.startsWith('copy  ') && line.endsWith('  (missing)'))).toBe(true);
    expect(body[1]).toBe(`dry run: would copy ${keys.length} objects (${formatBytes(sizeOfAll(source))}) from ${source} to s3://${BUCKET}/dry/; 0 objects (0 B) already there\n`);
    const ls = await cli('ls', '--store', `s3://${BUCKET}/dry`);
    expect({ code: ls.code, stderr: ls.stderr.split('\n').filter((l) => l.startsWith('error')) }).toEqual({ code: 3, stderr: [`error NOT_FOUND: s3://${BUCKET}/dry/ is not a MES Data store: it has no mes-data-store.json`] });
  });

  it('refuses a missing bucket (NOT_FOUND naming it), missing credentials (FORBIDDEN) and a scheme it does not know', async (context) => {
    skipWithoutMoto(context);
    const missing = await cliJson('sync', source, 's3://no-such-bucket-at-all/lake');
    const error = missing.json.error as { code: string; details: Record<string, unknown> };
    expect({ code: missing.code, error: error.code, reason: error.details.reason, bucket: error.details.bucket }).toEqual({ code: 3, error: 'NOT_FOUND', reason: 'no-such-bucket', bucket: 'no-such-bucket-at-all' });
    // no credentials anywhere (no keys, no profile files, no instance role): FORBIDDEN naming the object, at once
    const none = { AWS_ENDPOINT_URL: moto?.endpoint ?? '', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: path.join(dir, 'none'), AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none') };
    const ls = await runCliWith(none, 'ls', '--store', LAKE, '--json');
    const lsError = (JSON.parse(ls.stdout) as { error: { code: string; message: string; details: Record<string, unknown> } }).error;
    expect({ code: ls.code, error: lsError.code, reason: lsError.details.reason, message: lsError.message.split(': Could not')[0] }).toEqual({
      code: 2,
      error: 'FORBIDDEN',
      reason: 'no-credentials',
      message: `cannot get ${LAKE}/mes-data-store.json: no credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)`,
    });
    const syncNone = await runCliWith(none, 'sync', source, LAKE);
    expect({ code: syncNone.code, line: syncNone.stderr.split('\n').find((l) => l.startsWith('error'))?.split(': Could not')[0] }).toEqual({
      code: 2,
      line: `error FORBIDDEN: cannot list ${LAKE}/: no credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)`,
    });
    const bad = await cli('sync', source, 'gs://bucket/lake');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('error BAD_REQUEST: store URL gs://bucket/lake: scheme gs:// is not supported; use a folder or s3://bucket/prefix (Google Cloud Storage through its S3-compatible endpoint)\n');
  });
});

describe('read-only commands on --store s3://…', () => {
  it('ls prints the same tree as for the folder (the store named after the prefix)', async (context) => {
    skipWithoutMoto(context);
    await cli('sync', source, LAKE);
    const local = await cliJson('ls', '--store', source);
    const remote = await cliJson('ls', '--store', LAKE);
    expect(remote.code).toBe(0);
    expect(remote.json).toEqual({ ...local.json, name: 'lake' });
    const text = await cli('ls', '--store', LAKE);
    const localText = await cli('ls', '--store', source);
    expect(text.stdout).toBe(localText.stdout.replace(`store  ${source}`, `store  ${LAKE}`));
    const date = await cliJson('ls', 'raw/MES/2024-01-03', '--store', LAKE);
    expect(date.json).toEqual((await cliJson('ls', 'raw/MES/2024-01-03', '--store', source)).json);
    // through MES_DATA_STORE as well
    const viaEnv = await runCliWith({ AWS_ENDPOINT_URL: moto?.endpoint ?? '', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', MES_DATA_STORE: LAKE }, 'ls', 'cleaned/v1/MES', '--json');
    expect(JSON.parse(viaEnv.stdout)).toEqual((await cliJson('ls', 'cleaned/v1/MES', '--store', source)).json);
    const none = await cli('ls', 'raw/ES', '--store', LAKE);
    expect(none.stderr.split('\n').filter((l) => l.startsWith('error'))).toEqual([`error NOT_FOUND: nothing at raw/ES in the store ${LAKE}`]);
  });

  it('show and schema read an object, a dataset folder or a version by name with range requests and print what they print for the folder', async (context) => {
    skipWithoutMoto(context);
    for (const key of ['raw/MES/2024-01-02/ohlcv.parquet', 'cleaned/v1/MES/2024-01-02.parquet']) {
      const file = path.join(source, ...key.split('/'));
      const remote = await cliJson('show', key, '--offset', '1438', '--rows', '5', '--store', LAKE);
      const local = await cliJson('show', file, '--offset', '1438', '--rows', '5');
      expect(remote.code).toBe(0);
      expect(remote.json).toEqual({ ...local.json, path: `${LAKE}/${key}` });
      const text = await cli('show', key, '--offset', '1438', '--rows', '5', '--columns', 'volume,timestamp', '--store', LAKE);
      expect(text.stdout).toBe((await cli('show', file, '--offset', '1438', '--rows', '5', '--columns', 'volume,timestamp')).stdout.replace(file, `${LAKE}/${key}`));
      const schema = await cliJson('schema', key, '--store', LAKE);
      expect(schema.json).toEqual({ ...(await cliJson('schema', file)).json, path: `${LAKE}/${key}` });
    }
    const rows = (await cliJson('show', 'raw/MES/2024-01-02/ohlcv.parquet', '--rows', '1', '--store', LAKE)).json.rows;
    expect(rows).toEqual([{ timestamp: '2024-01-02T00:00:00.000000000Z', open: 5000, high: 5001, low: 4999, close: 5000.5, volume: 100 }]);
    // a dataset folder, a version by name, a raw asset's whole history (1,440 + 30 rows: the page crosses from one file to the next)
    for (const [name, local] of [['cleaned/v1/MES', 'cleaned/v1/MES'], ['cleaned/MES@v1', 'cleaned/v1/MES'], ['cleaned/MES', 'cleaned/v1/MES'], ['raw/MES', 'raw/MES']]) {
      const remote = await cliJson('show', name, '--offset', '1438', '--rows', '5', '--store', LAKE);
      const here = await cliJson('show', name, '--offset', '1438', '--rows', '5', '--store', source);
      expect({ name, code: remote.code, json: remote.json }).toEqual({ name, code: 0, json: { ...here.json, path: `${LAKE}/${local}` } });
      const schema = await cliJson('schema', name, '--store', LAKE);
      expect(schema.json).toEqual({ ...(await cliJson('schema', name, '--store', source)).json, path: `${LAKE}/${local}` });
    }
    expect(((await cliJson('show', 'raw/MES', '--offset', '1439', '--rows', '2', '--columns', 'timestamp', '--store', LAKE)).json.rows as unknown[])).toEqual([
      { timestamp: '2024-01-02T23:59:00.000000000Z' },
      { timestamp: '2024-01-02T00:00:00.000000000Z' },
    ]);
    const missing = await cli('schema', 'cleaned/v9/MES/2024-01-02.parquet', '--store', LAKE);
    expect(missing.stderr.split('\n').find((l) => l.startsWith('error'))).toBe(
      `error NOT_FOUND: no object cleaned/v9/MES/2024-01-02.parquet in ${LAKE}/; on an s3:// store show and schema take an object's key (raw/MES/2024-01-02/ohlcv.parquet), a dataset folder (cleaned/v1/MES) or a version's name (cleaned/MES@v1)`,
    );
    const noVersion = await cli('show', 'cleaned/ES', '--store', LAKE);
    expect(noVersion.stderr.split('\n').find((l) => l.startsWith('error'))).toBe(`error NOT_FOUND: no version of cleaned/ES in ${LAKE}/`);
  });

  it('migrate and serve --demo on an s3:// store are BAD_REQUEST naming them; no folder named s3: appears', async (context) => {
    skipWithoutMoto(context);
    // the other commands work on the store's working copy (tests/cli/s3Store.test.ts; serve: tests/cli/serveBucket.test.ts)
    const run = await cliJson('migrate', '--store', LAKE);
    expect({ code: run.code, error: run.json.error }).toEqual({
      code: 2,
      error: { code: 'BAD_REQUEST', message: `migrate is not available on an s3:// store yet; use mes-data sync ${LAKE} <folder> to work on a local copy`, details: { store: LAKE, command: 'migrate' } },
    });
    // serve has no --json: its one error line
    const serve = await cli('serve', '--no-open', '--demo', '--store', LAKE);
    expect({ code: serve.code, line: serve.stderr.split('\n').find((l) => l.startsWith('error')) }).toEqual({
      code: 2,
      line: `error BAD_REQUEST: --demo makes the demo store in a folder, not in ${LAKE}: make it in a folder, then mes-data sync FOLDER ${LAKE}`,
    });
    expect(fs.existsSync(path.resolve('s3:'))).toBe(false);
  });
});
