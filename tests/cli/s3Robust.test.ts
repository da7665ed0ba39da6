/**
 * Robustness of writing an s3:// store, with the built command against a real moto_server:
 * gc never removes a live writer's objects (a publish held between its data and its commit
 * point keeps them, then commits a readable version), and removes an old orphan once it is
 * older than the grace period; a command that loses the race twice ends with LOCKED
 * commit-conflict (exit 6) having written nothing; a vendor's re-issue of a date promoted
 * with `promote --replace` gives on a bucket what it gives on a folder.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../core/objectStore/objectStore.js';
import { S3ObjectStore } from '../../core/objectStore/s3ObjectStore.js';
import { parseStoreUrl } from '../../core/objectStore/storeUrl.js';
import { openWorkingCopy, publishWorkingCopy } from '../../core/objectStore/workingCopy.js';
import { MOTO_CREDENTIALS, skipWithoutMoto, startMoto, type MotoServer } from '../helpers/motoServer.js';
import { tempDir } from '../helpers/ohlcvTable.js';
import { CLI_BIN, runCliWith } from '../helpers/runCli.js';

const BUCKET = 'mes-cli-robust';
let moto: MotoServer | null = null;
const { dir, cleanup } = tempDir('mes-data-cli-s3robust-');

/** One session of 30 one-minute bars from 15:00 UTC a day: open base + i/4, high +1, low −0.5, close +0.25, volume 100 + i. */
function barsCsv(name: string, days: number[], base = 4700): string {
  const lines = ['timestamp,open,high,low,close,volume'];
  for (const day of days) {
    for (let i = 0; i < 30; i++) {
      const open = base + i * 0.25;
      lines.push(`2024-01-${String(day).padStart(2, '0')}T15:${String(i).padStart(2, '0')}:00Z,${open},${open + 1},${open - 0.5},${open + 0.25},${100 + i}`);
    }
  }
  const file = path.join(dir, name);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

let days12 = '';
let day4 = '';
let day5 = '';

function awsEnv(cache: string): Record<string, string> {
  if (!moto) throw new Error('moto_server is not running');
  return { AWS_ENDPOINT_URL: moto.endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1', MES_DATA_CACHE: path.join(dir, cache) };
}

/** The command with moto's endpoint and credentials and a cache folder of its own ("a machine"). */
function cli(cache: string, ...argv: string[]) {
  return runCliWith(awsEnv(cache), ...argv);
}

async function cliJson(cache: string, ...argv: string[]) {
  const run = await cli(cache, ...argv, '--json');
  try {
    return { ...run, json: JSON.parse(run.stdout) as Record<string, unknown> };
  } catch {
    throw new Error(`mes-data ${argv.join(' ')} --json printed no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

/** Every object under a prefix of the bucket: key (after the prefix) → etag. */
async function bucketObjects(prefix: string): Promise<Map<string, string>> {
  if (!moto) throw new Error('moto_server is not running');
  const out = new Map<string, string>();
  let token: string | undefined;
  do {
    const page = await moto.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/`, ContinuationToken: token }));
    for (const item of page.Contents ?? []) out.set((item.Key as string).slice(prefix.length + 1), item.ETag as string);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return out;
}

async function bucketText(key: string): Promise<string> {
  if (!moto) throw new Error('moto_server is not running');
  const answer = await moto.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return (await answer.Body?.transformToString()) ?? '';
}

/** The bucket's store as an ObjectStore, from this process. */
function bucketStore(prefix: string): S3ObjectStore {
  if (!moto) throw new Error('moto_server is not running');
  const location = parseStoreUrl(`s3://${BUCKET}/${prefix}`, { AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: 'us-east-1' });
  if (location.kind !== 's3') throw new Error('expected an s3 location');
  return new S3ObjectStore(location, { credentials: MOTO_CREDENTIALS, timeoutMs: 20_000, attempts: 3, backoffMs: 50 });
}

/** A tree without its nodes' `createdAt` (when each store's copy was written). */
function withoutTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTimes);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'createdAt').map(([key, inner]) => [key, withoutTimes(inner)]));
}

const OLD_MESSAGE_END = 'is named by no committed version (a writer stopped while publishing left it, or one is publishing it now)';

beforeAll(async () => {
  days12 = barsCsv('days12.csv', [2, 3]);
  day4 = barsCsv('day4.csv', [4], 4710);
  day5 = barsCsv('day5.csv', [5], 4720);
  moto = await startMoto();
  if (moto) await moto.createBucket(BUCKET);
}, 120_000);

afterAll(async () => {
  await moto?.stop();
  cleanup();
});

describe('writing an s3:// store robustly', () => {
  it('gc keeps what a publish held between its data and its commit point wrote; the publish then commits a readable version', async (context) => {
    skipWithoutMoto(context);
    const prefix = 'held';
    const lake = `s3://${BUCKET}/${prefix}`;
    await cli('a', 'init', '--store', lake);
    await cli('a', 'ingest', days12, '--asset', 'MES', '--store', lake);
    expect((await cli('a', 'promote', '--asset', 'MES', '--store', lake)).code).toBe(0);
    await cli('a', 'ingest', day4, '--asset', 'MES', '--store', lake);
    const before = await bucketObjects(prefix);

    // the writer, on a machine of its own: its working copy pulled, the promotion run on it, the publish held at its commit point
    const remote = bucketStore(prefix);
    const copy = await openWorkingCopy(remote, path.join(dir, 'writer'), { repair: true });
    const promoted = await runCliWith({}, 'promote', '--asset', 'MES', '--append', '--store', copy.storeDir);
    expect(promoted.stdout.split('\n')[0]).toBe('created cleaned/v2/MES (v2): 90 rows from 3 raw files');
    let reached: () => void = () => undefined;
    const atCommit = new Promise<void>((resolve) => (reached = resolve));
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const held: ObjectStore = {
      kind: remote.kind,
      location: remote.location,
      get: (key) => remote.get(key),
      getRange: (key, offset, length) => remote.getRange(key, offset, length),
      head: (key) => remote.head(key),
      tail: (key, length) => remote.tail(key, length),
      list: (at) => remote.list(at),
      delete: (key) => remote.delete(key),
      put: async (key, bytes, condition, options) => {
        if (/^cleaned\/MES\/metadata\/v\d+\.metadata\.json$/.test(key)) {
          reached();
          await gate;
        }
        return remote.put(key, bytes, condition, options);
      },
    };
    const publishing = publishWorkingCopy({ ...copy, remote: held }, { removals: 'replaced-metadata' });
    await atCommit;
    const during = await bucketObjects(prefix);
    const written = [...during.keys()].filter((key) => !before.has(key)).sort();
    // its data file, manifests and sidecar are in the bucket; nothing committed names them yet
    expect(written.some((key) => /^cleaned\/MES\/data\/2024-01-04\/.+\.parquet$/.test(key))).toBe(true);
    expect(written).toContain('catalog/cleaned/MES/v2.json');
    expect(written.every((key) => key.startsWith('cleaned/MES/') || key === 'catalog/cleaned/MES/v2.json')).toBe(true);

    // verify from another machine names them, with their age
    const verify = await cliJson('g', 'verify', '--store', lake);
    const problems = verify.json.problems as { path: string; code: string; message: string }[];
    const tableFiles = written.filter((key) => key.startsWith('cleaned/MES/'));
    expect(problems.filter((p) => p.code === 'UNREFERENCED_OBJECT').map((p) => p.path)).toEqual(tableFiles);
    for (const problem of problems.filter((p) => p.code === 'UNREFERENCED_OBJECT')) {
      expect(problem.message).toMatch(
        new RegExp(`^${lake.replace(/[/.]/g, '\\$&')}/${problem.path.replace(/[/.]/g, '\\$&')} ${OLD_MESSAGE_END.replace(/[()]/g, '\\$&')}, written \\d+ s ago; mes-data gc removes it once it is older than the grace period \\(gc --grace, 1h by default\\)$`),
      );
    }

    // gc from that machine (the default grace, an hour) keeps every one of them
    const gc = await cliJson('g', 'gc', '--keep', '100', '--store', lake);
    expect(gc.code).toBe(0);
    const kept = gc.json.kept as { path: string; bytes: number; ageSeconds: number }[];
    expect(kept.map((k) => k.path).sort()).toEqual(tableFiles);
    expect(kept.every((k) => k.bytes > 0 && k.ageSeconds >= 0 && k.ageSeconds < 600)).toBe(true);
    expect(gc.json.grace).toBe('1h');
    // what it removes is the table's older metadata files, committed state (as on a folder)
    const oldMetadata = [...before.keys()].filter((key) => /^cleaned\/MES\/metadata\/v\d+\.metadata\.json$/.test(key)).sort().slice(0, -1);
    expect((gc.json.files as { path: string }[]).map((f) => f.path).sort()).toEqual(oldMetadata);
    // the sidecar the local recovery dropped from gc's copy stays too, said on stderr
    expect(gc.stderr).toContain(`kept in ${lake}/: ${written.length} object(s) nothing committed names, younger than the grace period (1h; a writer may be publishing them; gc --grace):\n`);
    expect(gc.stderr).toMatch(/^ {2}catalog\/cleaned\/MES\/v2\.json {2}\(written \d+ s ago\)$/m);
    const afterGc = await bucketObjects(prefix);
    for (const key of written) expect({ key, etag: afterGc.get(key) }).toEqual({ key, etag: during.get(key) });

    // the held publish commits: a version every reader takes
    release();
    const result = await publishing;
    await copy.release();
    expect(result.commits.length).toBe(1);
    expect(result.commits[0]).toMatch(/^cleaned\/MES\/metadata\/v\d+\.metadata\.json$/);
    expect((await bucketObjects(prefix)).has(result.commits[0])).toBe(true);
    const shown = await cliJson('g', 'show', 'cleaned/MES', '--rows', '1', '--store', lake);
    expect({ code: shown.code, path: shown.json.path, numRows: shown.json.numRows }).toEqual({ code: 0, path: `${lake}/cleaned/v2/MES`, numRows: 90 });
    const sum = await cliJson('g', 'query', 'cleaned/MES', '--sql', 'SELECT count(*) AS n, sum(volume) AS v FROM dataset', '--store', lake);
    expect((sum.json as { rows: unknown[] }).rows).toEqual([[90, '10305']]);
    const verified = await cliJson('g', 'verify', '--store', lake);
    expect({ code: verified.code, problems: verified.json.problems }).toEqual({ code: 0, problems: [] });
  }, 600_000);

  it('an orphan older than the grace period goes: verify names it with its age, a dry run keeps it, gc --grace 0s removes it', async (context) => {
    skipWithoutMoto(context);
    const prefix = 'orphan';
    const lake = `s3://${BUCKET}/${prefix}`;
    await cli('a', 'init', '--store', lake);
    await cli('a', 'ingest', days12, '--asset', 'MES', '--store', lake);
    await cli('a', 'promote', '--asset', 'MES', '--store', lake);
    await cli('a', 'ingest', day4, '--asset', 'MES', '--store', lake);
    const before = await bucketObjects(prefix);
    // a writer killed once the ledger and two new files are written
    const killed = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      const child = spawn(process.execPath, [CLI_BIN, 'promote', '--asset', 'MES', '--append', '--store', lake], { env: { ...process.env, ...awsEnv('a'), MES_DATA_PUBLISH_CRASH_AFTER: '3' }, stdio: 'ignore' });
      child.on('exit', (code, signal) => resolve({ code, signal }));
    });
    expect(killed).toEqual({ code: null, signal: 'SIGKILL' });
    const added = [...(await bucketObjects(prefix)).keys()].filter((key) => !before.has(key)).sort();
    // the ledger and then new table files, which nothing committed names
    expect(added.length).toBeGreaterThanOrEqual(2);
    expect(added.every((key) => key.startsWith('cleaned/MES/data/') || key.startsWith('cleaned/MES/metadata/'))).toBe(true);

    const badGrace = await cliJson('b', 'gc', '--keep', '100', '--grace', 'soon', '--store', lake);
    expect([badGrace.code, (badGrace.json.error as { code: string; message: string }).code, (badGrace.json.error as { message: string }).message]).toEqual([
      2,
      'BAD_REQUEST',
      '--grace takes a duration (90s, 30m, 1h, 2d, 1w: s, m, h, d, w), not "soon"',
    ]);

    // a dry run with no grace says what it would remove, and removes nothing
    const dry = await cliJson('b', 'gc', '--keep', '100', '--grace', '0s', '--dry-run', '--store', lake);
    const oldMetadata = [...before.keys()].filter((key) => /^cleaned\/MES\/metadata\/v\d+\.metadata\.json$/.test(key)).sort().slice(0, -1);
    expect({ code: dry.code, files: (dry.json.files as { path: string }[]).map((f) => f.path).sort(), kept: dry.json.kept }).toEqual({ code: 0, files: [...added, ...oldMetadata].sort(), kept: [] });
    // the default grace: the same dry run keeps the young orphans
    const dryDefault = await cli('b', 'gc', '--keep', '100', '--dry-run', '--store', lake);
    expect(dryDefault.stdout).toMatch(new RegExp(`^kept {5}${added[0].replace(/[/.]/g, '\\$&')} {2}[\\d.]+ (B|KiB) {2}\\(written \\d+ s ago\\)$`, 'm'));
    expect(dryDefault.stdout).toMatch(new RegExp(`dry run: would remove 0 version\\(s\\) and \\d+ file\\(s\\), .+, in 1 table\\(s\\); would keep ${added.length} file\\(s\\) nothing names, younger than the grace period \\(1h\\)\n$`));
    expect([...(await bucketObjects(prefix)).keys()].sort()).toEqual([...before.keys(), ...added].sort());

    const gc = await cliJson('b', 'gc', '--keep', '100', '--grace', '0s', '--store', lake);
    expect({ code: gc.code, files: (gc.json.files as { path: string }[]).map((f) => f.path).sort(), kept: gc.json.kept, grace: gc.json.grace }).toEqual({
      code: 0,
      files: [...added, ...oldMetadata].sort(),
      kept: [],
      grace: '0s',
    });
    expect([...(await bucketObjects(prefix)).keys()].sort()).toEqual([...before.keys()].filter((key) => !oldMetadata.includes(key)).sort());
    expect((await cliJson('b', 'verify', '--store', lake)).json.ok).toBe(true);
  }, 600_000);

  it('a command that loses the race twice fails with LOCKED commit-conflict, exit 6, having written nothing', async (context) => {
    skipWithoutMoto(context);
    const prefix = 'twice';
    const lake = `s3://${BUCKET}/${prefix}`;
    await cli('a', 'init', '--store', lake);
    for (const file of [days12, day4, day5]) expect((await cli('a', 'ingest', file, '--asset', 'MES', '--store', lake)).code).toBe(0);
    const gate = path.join(dir, 'twice-gate');
    const waiting = `${gate}.waiting`;
    let stderr = '';
    let retried: () => void = () => undefined;
    const retrying = new Promise<void>((resolve) => (retried = resolve));
    const b = new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI_BIN, 'promote', '--asset', 'MES', '--from', '2024-01-04', '--store', lake, '--json'], { env: { ...process.env, ...awsEnv('b'), MES_DATA_PUBLISH_GATE: gate } });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        // the first publish lost: hold the second one at its gate again before it gets there (its pull and run take seconds)
        if (stderr.includes('pulling the new state and running the command again')) {
          fs.rmSync(gate, { force: true });
          retried();
        }
      });
      child.on('exit', (code) => resolve({ code, stdout }));
    });
    const waitFor = async (file: string) => {
      while (!fs.existsSync(file)) await new Promise((resolve) => setTimeout(resolve, 50));
    };
    // first race: A publishes v1 while B is held
    await waitFor(waiting);
    fs.rmSync(waiting);
    expect((await cli('a', 'promote', '--asset', 'MES', '--from', '2024-01-03', '--store', lake)).stdout.split('\n')[0]).toBe('created cleaned/v1/MES (v1): 90 rows from 3 raw files');
    fs.writeFileSync(gate, '');
    await retrying;
    // second race: B pulled v1 and ran again; A publishes v2 first
    await waitFor(waiting);
    expect((await cli('a', 'promote', '--asset', 'MES', '--from', '2024-01-02', '--store', lake)).stdout.split('\n')[0]).toBe('created cleaned/v2/MES (v2): 120 rows from 4 raw files');
    const beforeB = await bucketObjects(prefix);
    fs.writeFileSync(gate, '');
    const ended = await b;
    const error = (JSON.parse(ended.stdout) as { error: { code: string; message: string; details: Record<string, unknown> } }).error;
    expect({ exit: ended.code, code: error.code, reason: error.details.reason, key: error.details.key, message: error.message }).toEqual({
      exit: 6,
      code: 'LOCKED',
      reason: 'commit-conflict',
      key: 'version-ledger.json',
      message: `publishing to ${lake}/: another writer handed out version numbers (version-ledger.json) first; run the command again on the new state`,
    });
    expect(stderr.match(/another writer published first: pulling the new state and running the command again/g)?.length).toBe(1);
    expect(stderr).toMatch(/^error LOCKED: publishing to .+ another writer handed out version numbers \(version-ledger\.json\) first; run the command again on the new state$/m);
    // nothing of B's is in the bucket: every object as A left it
    expect(await bucketObjects(prefix)).toEqual(beforeB);
    expect(JSON.parse(await bucketText(`${prefix}/version-ledger.json`))).toEqual({ cleaned: { MES: 2 }, features: {} });
    expect((await cliJson('a', 'verify', '--store', lake)).json.ok).toBe(true);
  }, 600_000);

  it('promote --replace of a date the vendor re-issued gives on a bucket what it gives on a folder', async (context) => {
    skipWithoutMoto(context);
    const folder = path.join(dir, 'replace-folder');
    const lake = `s3://${BUCKET}/replace`;
    // the vendor re-issues 2024-01-03 with other prices
    const reissued = barsCsv('days12.csv.reissue', [3], 4800);
    const renamed = path.join(dir, 'reissue', 'days12.csv');
    fs.mkdirSync(path.dirname(renamed), { recursive: true });
    fs.renameSync(reissued, renamed);
    const steps: string[][] = [
      ['ingest', days12, '--asset', 'MES'],
      ['ingest', day4, '--asset', 'MES'],
      ['promote', '--asset', 'MES'],
      ['ingest', renamed, '--asset', 'MES', '--revise'],
      ['promote', '--asset', 'MES', '--replace', '--from', '2024-01-03', '--to', '2024-01-03'],
    ];
    expect((await cli('a', 'init', '--store', folder)).code).toBe(0);
    expect((await cli('a', 'init', '--store', lake)).code).toBe(0);
    for (const argv of steps) {
      const local = await cli('a', ...argv, '--store', folder);
      const remote = await cli('a', ...argv, '--store', lake);
      expect({ argv, code: remote.code, stdout: remote.stdout, error: remote.code === 0 ? '' : remote.stderr }).toEqual({ argv, code: local.code, stdout: local.stdout, error: '' });
      expect({ argv, code: local.code }).toEqual({ argv, code: 0 });
    }
    const query = ['query', 'cleaned/MES', '--sql', 'SELECT date, count(*) AS n, min(open) AS o, sum(volume) AS v FROM dataset GROUP BY date ORDER BY date'];
    const remoteRows = await cliJson('a', ...query, '--store', lake);
    expect((remoteRows.json as { rows: unknown[] }).rows).toEqual([
      ['2024-01-02', 30, 4700, '3435'],
      ['2024-01-03', 30, 4800, '3435'],
      ['2024-01-04', 30, 4710, '3435'],
    ]);
    expect(remoteRows.json).toEqual((await cliJson('a', ...query, '--store', folder)).json);
    // a reader of the bucket itself (range requests) and a second machine's pull see the same
    for (const name of ['cleaned/MES', 'cleaned/MES@v1', 'raw/MES']) {
      const remote = await cliJson('b', 'show', name, '--rows', '100', '--store', lake);
      const local = (await cliJson('a', 'show', name, '--rows', '100', '--store', folder)).json;
      expect({ name, code: remote.code, json: remote.json }).toEqual({ name, code: 0, json: { ...local, path: `${lake}/${String(local.path)}` } });
    }
    expect(withoutTimes((await cliJson('b', 'ls', '--depth', 'all', '--store', lake)).json)).toEqual(withoutTimes({ ...(await cliJson('a', 'ls', '--depth', 'all', '--store', folder)).json, name: 'replace' }));
    const verify = await cliJson('b', 'verify', '--store', lake);
    expect({ code: verify.code, problems: verify.json.problems }).toEqual({ code: 0, problems: [] });
  }, 600_000);
});
