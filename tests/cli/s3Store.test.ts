/**
 * Writing an s3:// store in place, as the built command does it against a real moto_server:
 * each command runs on the store's working copy and publishes what it changed with
 * conditional writes (core/objectStore/workingCopy.ts). init, ingest, promote, promote
 * --append and features build print what they print on a folder, the bucket holding no
 * version folder, and ls, show (of cleaned/v1/MES and cleaned/v2/MES too) and verify answer
 * the same; a folder synced from the bucket has its version folders as links and verifies
 * clean; pyarrow reads the table's data folder from the bucket; two promotes from two
 * machines (two cache folders) get distinct versions, the later one pulled again and run
 * again, and the table's metadata names both, and two ingests of one date end as two on a
 * folder do; a publish killed midway leaves only objects nothing names, which verify lists
 * and gc removes, and one killed after its commit point leaves a version every reader takes;
 * a bucket written with version folders (an older mes-data) still reads and verifies, and gc
 * removes the folder objects of the versions it expires; a missing bucket and missing or
 * refused credentials are typed errors naming the bucket.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithoutMoto, startMoto, type MotoServer } from '../helpers/motoServer.js';
import { tempDir } from '../helpers/ohlcvTable.js';
import { requirePython, runPythonJson } from '../helpers/python.js';
import { CLI_BIN, runCliWith } from '../helpers/runCli.js';

const BUCKET = 'mes-cli-write';
let moto: MotoServer | null = null;
const { dir, cleanup } = tempDir('mes-data-cli-s3write-');

/** One session of 30 one-minute bars from 15:00 UTC: open base + i/4, high +1, low −0.5, close +0.25, volume 100 + i. */
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

/** The command on the bucket, with moto's endpoint and credentials and a cache folder of its own ("a machine"). */
function cli(cache: string, ...argv: string[]) {
  return runCliWith(awsEnv(cache), ...argv);
}

async function cliJson(cache: string, ...argv: string[]) {
  const run = await cli(cache, ...argv, '--json');
  return { ...run, json: JSON.parse(run.stdout) as Record<string, unknown> };
}

/** `text` as a regular expression matching it literally. */
const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** A tree without its nodes' `createdAt` (when each store's copy was written). */
function withoutTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTimes);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'createdAt').map(([key, inner]) => [key, withoutTimes(inner)]));
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

/** The `mes-data.version` of every snapshot the table's newest metadata file keeps, and how many earlier files its log names. */
async function tableVersions(prefix: string, table: string): Promise<{ versions: string[]; log: number }> {
  const keys = [...(await bucketObjects(prefix)).keys()].filter((key) => key.startsWith(`${table}/metadata/`) && /\/v\d+\.metadata\.json$/.test(key));
  const newest = keys.sort((a, b) => Number(/v(\d+)\.metadata/.exec(a)?.[1]) - Number(/v(\d+)\.metadata/.exec(b)?.[1])).pop() as string;
  const metadata = JSON.parse(await bucketText(`${prefix}/${newest}`)) as { snapshots: { summary: Record<string, string> }[]; 'metadata-log': unknown[] };
  return { versions: metadata.snapshots.map((s) => s.summary['mes-data.version']), log: metadata['metadata-log'].length };
}

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

describe('mes-data on an s3:// store: a working copy, published with conditional writes', () => {
  it('init, ingest, promote, promote --append and features build print what they print on a folder; ls and show answer the same', async (context) => {
    skipWithoutMoto(context);
    const folder = path.join(dir, 'folder');
    const lake = `s3://${BUCKET}/same`;
    const steps: string[][] = [
      ['ingest', days12, '--asset', 'MES'],
      ['promote', '--asset', 'MES'],
      ['ingest', day4, '--asset', 'MES'],
      ['promote', '--asset', 'MES', '--append'],
      ['features', 'build', 'price_volatility', '--asset', 'MES'],
    ];
    const initLocal = await cli('a', 'init', '--store', folder);
    const initRemote = await cli('a', 'init', '--store', lake);
    expect([initRemote.code, initRemote.stdout]).toEqual([0, `created a store at ${lake}/\n`]);
    expect(initLocal.stdout).toBe(`created a store at ${folder}\n`);
    for (const argv of steps) {
      const local = await cli('a', ...argv, '--store', folder);
      const remote = await cli('a', ...argv, '--store', lake);
      expect({ argv, code: remote.code, stdout: remote.stdout }).toEqual({ argv, code: 0, stdout: local.stdout });
      expect(remote.stderr).toMatch(new RegExp(`^published to ${lake}/: \\d+ object\\(s\\) written, 0 removed$`, 'm'));
    }
    expect((await cli('a', 'promote', '--asset', 'MES', '--append', '--store', lake)).stdout.split('\n')[0]).toBe('unchanged: cleaned/v2/MES (v2): 90 rows from 3 raw files');
    // no version folder in the bucket: a version is its table's snapshot and its sidecar
    const held = [...(await bucketObjects('same')).keys()];
    expect(held.filter((key) => /^(cleaned|features)\/v\d+\//.test(key))).toEqual([]);
    expect(held.filter((key) => key.startsWith('catalog/cleaned/') || key.startsWith('catalog/features/')).sort()).toEqual(['catalog/cleaned/MES/v1.json', 'catalog/cleaned/MES/v2.json', 'catalog/features/MES/price_volatility/v1.json']);

    const tree = await cliJson('a', 'ls', '--depth', 'all', '--store', lake);
    expect(withoutTimes(tree.json)).toEqual(withoutTimes({ ...(await cliJson('a', 'ls', '--depth', 'all', '--store', folder)).json, name: 'same' }));
    const text = await cli('a', 'ls', '--depth', 'all', '--store', lake);
    expect(text.stdout).toBe((await cli('a', 'ls', '--depth', 'all', '--store', folder)).stdout.replace(`store  ${folder}`, `store  ${lake}`));
    for (const name of ['cleaned/MES', 'cleaned/MES@v1', 'cleaned/v1/MES', 'cleaned/v2/MES', 'cleaned/v2/MES/2024-01-03.parquet', 'features/MES/price_volatility', 'features/v1/MES/price_volatility']) {
      const remote = await cliJson('a', 'show', name, '--rows', '100', '--store', lake);
      const local = (await cliJson('a', 'show', name, '--rows', '100', '--store', folder)).json;
      // read from the bucket: `path` is the URL of what was read
      expect({ name, code: remote.code, json: remote.json }).toEqual({ name, code: 0, json: { ...local, path: `${lake}/${String(local.path)}` } });
    }
    // time travel and SQL read the working copy: as on the folder
    const asOf = await cliJson('a', 'show', 'cleaned/MES', '--as-of', '2100-01-01T00:00:00Z', '--rows', '3', '--store', lake);
    expect(asOf.json).toEqual((await cliJson('a', 'show', 'cleaned/MES', '--as-of', '2100-01-01T00:00:00Z', '--rows', '3', '--store', folder)).json);
    const sql = await cliJson('a', 'query', 'cleaned/MES', '--sql', 'SELECT count(*) AS n, sum(volume) AS v FROM dataset', '--store', lake);
    expect((sql.json as { rows: unknown[] }).rows).toEqual([[90, '10305']]);
    expect(sql.json).toEqual((await cliJson('a', 'query', 'cleaned/MES', '--sql', 'SELECT count(*) AS n, sum(volume) AS v FROM dataset', '--store', folder)).json);
    const verify = await cliJson('a', 'verify', '--store', lake);
    expect({ code: verify.code, ok: verify.json.ok, problems: verify.json.problems }).toEqual({ code: 0, ok: true, problems: [] });
    // a second machine's first pull gives the same answers
    expect((await cliJson('b', 'show', 'cleaned/MES', '--as-of', '2100-01-01T00:00:00Z', '--rows', '3', '--store', lake)).json).toEqual(asOf.json);
    // a folder synced from the bucket: its version folders are links to the table's data files, and it verifies clean
    const synced = path.join(dir, 'synced');
    expect((await cli('a', 'sync', lake, synced)).code).toBe(0);
    const v1 = fs.readdirSync(path.join(synced, 'cleaned', 'v1', 'MES')).sort();
    expect(v1).toEqual(['2024-01-02.parquet', '2024-01-03.parquet']);
    expect(fs.readdirSync(path.join(synced, 'cleaned', 'v2', 'MES')).sort()).toEqual(['2024-01-02.parquet', '2024-01-03.parquet', '2024-01-04.parquet']);
    // v2 keeps v1's dates: the same files, linked from both folders and the table (three names)
    for (const name of v1) {
      const one = fs.statSync(path.join(synced, 'cleaned', 'v1', 'MES', name));
      expect({ name, links: one.nlink, same: fs.statSync(path.join(synced, 'cleaned', 'v2', 'MES', name)).ino === one.ino }).toEqual({ name, links: 3, same: true });
    }
    const syncedVerify = await cliJson('a', 'verify', '--store', synced);
    expect({ code: syncedVerify.code, problems: syncedVerify.json.problems }).toEqual({ code: 0, problems: [] });
    expect((await cliJson('a', 'show', 'cleaned/v2/MES', '--rows', '100', '--store', synced)).json).toEqual((await cliJson('a', 'show', 'cleaned/v2/MES', '--rows', '100', '--store', folder)).json);

    // gc removes from the bucket what it removes from a folder: v1's sidecar and folder, the files only it needed
    const gcLocal = await cliJson('a', 'gc', '--keep', '1', '--store', folder);
    const gcRemote = await cliJson('b', 'gc', '--keep', '1', '--store', lake);
    const shape = (json: Record<string, unknown>) => ({ versions: (json.versions as { path: string }[]).map((v) => v.path), files: (json.files as unknown[]).length });
    expect(shape(gcRemote.json)).toEqual(shape(gcLocal.json));
    expect(shape(gcRemote.json).versions).toEqual(['cleaned/v1/MES']);
    const keys = [...(await bucketObjects('same')).keys()];
    expect(keys.filter((key) => key.startsWith('cleaned/v1/') || key === 'catalog/cleaned/MES/v1.json')).toEqual([]);
    expect(withoutTimes((await cliJson('a', 'ls', '--depth', 'all', '--store', lake)).json)).toEqual(withoutTimes({ ...(await cliJson('a', 'ls', '--depth', 'all', '--store', folder)).json, name: 'same' }));
  }, 600_000);

  it('pyarrow S3FileSystem reads the table’s data folder (cleaned/MES/data/) promoted and appended in the bucket with exact values', async (context) => {
    skipWithoutMoto(context);
    const python = requirePython(context);
    const lake = `s3://${BUCKET}/pyarrow`;
    await cli('a', 'init', '--store', lake);
    await cli('a', 'ingest', day4, '--asset', 'MES', '--store', lake);
    expect((await cli('a', 'promote', '--asset', 'MES', '--store', lake)).stdout.split('\n')[0]).toBe('created cleaned/v1/MES (v1): 30 rows from 1 raw file');
    await cli('a', 'ingest', day5, '--asset', 'MES', '--store', lake);
    expect((await cli('a', 'promote', '--asset', 'MES', '--append', '--store', lake)).stdout.split('\n')[0]).toBe('created cleaned/v2/MES (v2): 60 rows from 2 raw files');
    const script = `
import json, sys
import pyarrow.fs as pafs, pyarrow.parquet as pq
a = json.load(sys.stdin)
s3 = pafs.S3FileSystem(endpoint_override=a['endpoint'], scheme='http', access_key='testing', secret_key='testing', region='us-east-1')
t = pq.read_table(a['path'], filesystem=s3).sort_by('timestamp')
d = t.to_pydict()
print(json.dumps({'rows': t.num_rows, 'columns': t.column_names, 'first': [d['timestamp'][0].isoformat(), d['open'][0], d['high'][0], d['low'][0], d['close'][0], d['volume'][0], str(d['date'][0])],
  'last': [d['timestamp'][-1].isoformat(), d['open'][-1], d['volume'][-1], str(d['date'][-1])], 'volume': sum(d['volume']), 'dates': sorted(set(str(x) for x in d['date']))}))
`;
    // the table's data folder: each date's file once (v2 kept 2024-01-04 from v1 and added 2024-01-05)
    const read = runPythonJson<Record<string, unknown>>(python, script, { endpoint: moto?.endpoint.replace('http://', ''), path: `${BUCKET}/pyarrow/cleaned/MES/data/` });
    expect(read).toEqual({
      rows: 60,
      columns: ['timestamp', 'open', 'high', 'low', 'close', 'volume', 'date'],
      first: ['2024-01-04T15:00:00+00:00', 4710, 4711, 4709.5, 4710.25, 100, '2024-01-04'],
      last: ['2024-01-05T15:29:00+00:00', 4727.25, 129, '2024-01-05'],
      volume: 6870,
      dates: ['2024-01-04', '2024-01-05'],
    });
  }, 600_000);

  it('two promotes from two machines: the one that publishes second is pulled again and run again; the table keeps both snapshots', async (context) => {
    skipWithoutMoto(context);
    const prefix = 'race';
    const lake = `s3://${BUCKET}/${prefix}`;
    await cli('a', 'init', '--store', lake);
    for (const file of [days12, day4, day5]) expect((await cli('a', 'ingest', file, '--asset', 'MES', '--store', lake)).code).toBe(0);
    // B plans and writes v1 in its working copy, then waits at its publish while A publishes its own v1
    const gate = path.join(dir, 'race-gate');
    const b = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI_BIN, 'promote', '--asset', 'MES', '--from', '2024-01-04', '--store', lake], { env: { ...process.env, ...awsEnv('b'), MES_DATA_PUBLISH_GATE: gate } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
    while (!fs.existsSync(`${gate}.waiting`)) await new Promise((resolve) => setTimeout(resolve, 100));
    const a = await cli('a', 'promote', '--asset', 'MES', '--from', '2024-01-03', '--store', lake);
    expect([a.code, a.stdout.split('\n')[0]]).toEqual([0, 'created cleaned/v1/MES (v1): 90 rows from 3 raw files']);
    fs.writeFileSync(gate, '');
    const ended = await b;
    expect([ended.code, ended.stdout.split('\n')[0]]).toEqual([0, 'created cleaned/v2/MES (v2): 60 rows from 2 raw files']);
    expect(ended.stderr).toContain(`publishing to ${lake}/: another writer handed out version numbers (version-ledger.json) first; run the command again on the new state\nanother writer published first: pulling the new state and running the command again\n`);
    expect(await tableVersions(prefix, 'cleaned/MES')).toEqual({ versions: ['1', '2'], log: 2 });
    expect(JSON.parse(await bucketText(`${prefix}/version-ledger.json`))).toEqual({ cleaned: { MES: 2 }, features: {} });

    // and at the same moment, without a gate: distinct versions or LOCKED, never one lost
    const [one, two] = await Promise.all([
      cliJson('a', 'promote', '--asset', 'MES', '--from', '2024-01-02', '--to', '2024-01-04', '--store', lake),
      cliJson('b', 'promote', '--asset', 'MES', '--from', '2024-01-05', '--store', lake),
    ]);
    const made = [one, two].filter((run) => run.code === 0).map((run) => String(run.json.version));
    const refused = [one, two].filter((run) => run.code !== 0).map((run) => [run.code, (run.json.error as { code: string; details: { reason: string } }).code, (run.json.error as { details: { reason: string } }).details.reason]);
    expect(refused.every(([code, error, reason]) => code === 6 && error === 'LOCKED' && reason === 'commit-conflict')).toBe(true);
    expect(made.length + refused.length).toBe(2);
    expect(new Set(made).size).toBe(made.length);
    const { versions } = await tableVersions(prefix, 'cleaned/MES');
    expect(versions).toEqual(['1', '2', ...made.map((v) => v.replace('v', '')).sort()]);
  }, 600_000);

  it('two ingests of one date from two machines: the later is pulled again, run again and finds the date there, as on a folder', async (context) => {
    skipWithoutMoto(context);
    const lake = `s3://${BUCKET}/ingest-race`;
    await cli('a', 'init', '--store', lake);
    const gate = path.join(dir, 'ingest-gate');
    const b = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI_BIN, 'ingest', day5, '--asset', 'MES', '--store', lake], { env: { ...process.env, ...awsEnv('b'), MES_DATA_PUBLISH_GATE: gate } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
    while (!fs.existsSync(`${gate}.waiting`)) await new Promise((resolve) => setTimeout(resolve, 100));
    const a = await cli('a', 'ingest', day5, '--asset', 'MES', '--store', lake);
    fs.writeFileSync(gate, '');
    const ended = await b;
    // what the same ingest prints the second time on a folder
    const folder = path.join(dir, 'ingest-race-folder');
    await cli('a', 'init', '--store', folder);
    const first = await cli('a', 'ingest', day5, '--asset', 'MES', '--store', folder);
    const second = await cli('a', 'ingest', day5, '--asset', 'MES', '--store', folder);
    expect({ a: a.stdout, b: ended.stdout, code: ended.code }).toEqual({ a: first.stdout, b: second.stdout, code: 0 });
    expect(ended.stderr).toContain('another writer published first: pulling the new state and running the command again\n');
    expect([...(await bucketObjects('ingest-race')).keys()].filter((key) => key.startsWith('raw/') || key.startsWith('catalog/raw/')).sort()).toEqual(['catalog/raw/MES/2024-01-05.json', 'raw/MES/2024-01-05/day5.parquet']);
  }, 600_000);

  it('a publish killed midway leaves only objects nothing names: verify lists them, gc removes them, nothing else changed', async (context) => {
    skipWithoutMoto(context);
    const prefix = 'crash';
    const lake = `s3://${BUCKET}/${prefix}`;
    await cli('a', 'init', '--store', lake);
    await cli('a', 'ingest', days12, '--asset', 'MES', '--store', lake);
    await cli('a', 'promote', '--asset', 'MES', '--store', lake);
    await cli('a', 'ingest', day4, '--asset', 'MES', '--store', lake);
    const before = await bucketObjects(prefix);
    const treeBefore = (await cliJson('a', 'ls', '--depth', 'all', '--store', lake)).json;
    // the third object written (the ledger, then two of the new files) kills the command
    const killed = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      const child = spawn(process.execPath, [CLI_BIN, 'promote', '--asset', 'MES', '--append', '--store', lake], { env: { ...process.env, ...awsEnv('a'), MES_DATA_PUBLISH_CRASH_AFTER: '3' }, stdio: 'ignore' });
      child.on('exit', (code, signal) => resolve({ code, signal }));
    });
    expect(killed).toEqual({ code: null, signal: 'SIGKILL' });
    const after = await bucketObjects(prefix);
    const added = [...after.keys()].filter((key) => !before.has(key)).sort();
    const changed = [...before.keys()].filter((key) => after.has(key) && after.get(key) !== before.get(key));
    expect(changed).toEqual(['version-ledger.json']);
    expect(added.length).toBeGreaterThanOrEqual(2);
    expect(added.every((key) => key.startsWith('cleaned/MES/data/') || key.startsWith('cleaned/MES/metadata/'))).toBe(true);
    // nothing committed names them: the store reads as before
    expect((await cliJson('b', 'ls', '--depth', 'all', '--store', lake)).json).toEqual(treeBefore);

    const verify = await cliJson('b', 'verify', '--store', lake);
    expect({ code: verify.code, ok: verify.json.ok }).toEqual({ code: 1, ok: false });
    expect(verify.json.problems).toEqual(
      added.map((key) => ({
        path: key,
        code: 'UNREFERENCED_OBJECT',
        message: expect.stringMatching(
          new RegExp(
            `^${escaped(`${lake}/${key} is named by no committed version (a writer stopped while publishing left it, or one is publishing it now), written `)}\\d+ s ago${escaped('; mes-data gc removes it once it is older than the grace period (gc --grace, 1h by default)')}$`,
          ),
        ) as unknown,
      })),
    );

    // no grace period: the objects are young, and no writer is publishing (tests/cli/s3Robust.test.ts holds one)
    const gc = await cliJson('b', 'gc', '--keep', '100', '--grace', '0s', '--store', lake);
    expect(gc.code).toBe(0);
    const removed = (gc.json.files as { path: string }[]).map((file) => file.path).sort();
    // gc also removes the table's metadata files but the current one, as on a folder
    const oldMetadata = [...before.keys()].filter((key) => /^cleaned\/MES\/metadata\/v\d+\.metadata\.json$/.test(key)).sort().slice(0, -1);
    expect(removed).toEqual([...added, ...oldMetadata].sort());
    const final = await bucketObjects(prefix);
    expect([...final.keys()].sort()).toEqual([...before.keys()].filter((key) => !oldMetadata.includes(key)).sort());
    for (const [key, etag] of final) if (key !== 'version-ledger.json') expect({ key, etag }).toEqual({ key, etag: before.get(key) });
    expect((await cliJson('b', 'verify', '--store', lake)).json.ok).toBe(true);
    // the killed promote's number stays used: the next one is v3
    expect((await cli('b', 'promote', '--asset', 'MES', '--append', '--store', lake)).stdout.split('\n')[0]).toBe('created cleaned/v3/MES (v3): 90 rows from 3 raw files');
  }, 600_000);

  it('a publish killed after its commit point leaves a committed version every reader takes (its hint behind); an older bucket with version folders still reads, and gc removes the folders of the versions it expires', async (context) => {
    skipWithoutMoto(context);
    const prefix = 'rollforward';
    const lake = `s3://${BUCKET}/${prefix}`;
    await cli('a', 'init', '--store', lake);
    await cli('a', 'ingest', days12, '--asset', 'MES', '--store', lake);
    await cli('a', 'promote', '--asset', 'MES', '--store', lake);
    await cli('a', 'ingest', day4, '--asset', 'MES', '--store', lake);
    // killed after the commit point (the new metadata file), before the table's hint is rewritten
    const killed = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      const child = spawn(process.execPath, [CLI_BIN, 'promote', '--asset', 'MES', '--append', '--store', lake], { env: { ...process.env, ...awsEnv('a'), MES_DATA_PUBLISH_CRASH_BEFORE: 'cleaned/MES/metadata/version-hint.text' }, stdio: 'ignore' });
      child.on('exit', (code, signal) => resolve({ code, signal }));
    });
    expect(killed).toEqual({ code: null, signal: 'SIGKILL' });
    expect((await tableVersions(prefix, 'cleaned/MES')).versions).toEqual(['1', '2']);
    expect((await bucketText(`${prefix}/cleaned/MES/metadata/version-hint.text`)).trim()).toBe('2');
    // nothing to rebuild in the bucket: readers on another machine take v2 as it is
    const shown = await cliJson('b', 'show', 'cleaned/MES', '--rows', '1', '--store', lake);
    expect({ path: shown.json.path, numRows: shown.json.numRows }).toEqual({ path: `${lake}/cleaned/v2/MES`, numRows: 90 });
    const tree = (await cliJson('b', 'ls', 'cleaned/MES', '--store', lake)).json as { children: { name: string }[] };
    expect(tree.children.map((child) => child.name)).toEqual(['v1', 'v2']);
    const verified = await cliJson('b', 'verify', '--store', lake);
    expect({ code: verified.code, problems: verified.json.problems }).toEqual({ code: 0, problems: [] });
    expect(await bucketObjects(prefix).then((objects) => [...objects.keys()].filter((key) => key.startsWith('cleaned/v')))).toEqual([]);
    // the next writer commits v3 on top
    expect((await cli('b', 'ingest', day5, '--asset', 'MES', '--store', lake)).code).toBe(0);
    expect((await cli('b', 'promote', '--asset', 'MES', '--append', '--store', lake)).stdout.split('\n')[0]).toBe('created cleaned/v3/MES (v3): 120 rows from 4 raw files');

    // a bucket an older mes-data wrote: a folder of objects per version (copies of the data files)
    if (!moto) throw new Error('moto_server is not running');
    const synced = path.join(dir, 'rollforward-folder');
    expect((await cli('a', 'sync', lake, synced)).code).toBe(0);
    const folderKeys: string[] = [];
    for (const version of ['v1', 'v2', 'v3']) {
      for (const name of fs.readdirSync(path.join(synced, 'cleaned', version, 'MES'))) {
        const key = `cleaned/${version}/MES/${name}`;
        await moto.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${key}`, Body: fs.readFileSync(path.join(synced, ...key.split('/'))) }));
        folderKeys.push(key);
      }
    }
    expect(folderKeys.length).toBe(9);
    // a new machine reads and verifies it; its copy links its own folders
    const old = await cliJson('c', 'verify', '--store', lake);
    expect({ code: old.code, problems: old.json.problems }).toEqual({ code: 0, problems: [] });
    expect((await cliJson('c', 'show', 'cleaned/v1/MES', '--rows', '100', '--store', lake)).json).toEqual({ ...(await cliJson('a', 'show', 'cleaned/v1/MES', '--rows', '100', '--store', synced)).json, path: `${lake}/cleaned/v1/MES` });
    // gc expires v1 and v2: their folder objects go with their sidecars; v3's stay (an older reader's)
    const gc = await cliJson('c', 'gc', '--keep', '1', '--store', lake);
    expect((gc.json.versions as { path: string }[]).map((v) => v.path)).toEqual(['cleaned/v1/MES', 'cleaned/v2/MES']);
    const left = [...(await bucketObjects(prefix)).keys()];
    expect(left.filter((key) => key.startsWith('cleaned/v'))).toEqual(folderKeys.filter((key) => key.startsWith('cleaned/v3/')));
    expect(left.filter((key) => key.startsWith('catalog/cleaned/'))).toEqual(['catalog/cleaned/MES/v3.json']);
    expect((await cliJson('a', 'verify', '--store', lake)).json.ok).toBe(true);
  }, 600_000);

  it('a missing bucket, no credentials and refused credentials are typed errors naming the bucket', async (context) => {
    skipWithoutMoto(context);
    const missing = await cliJson('a', 'promote', '--asset', 'MES', '--store', 's3://no-such-bucket-here/lake');
    const error = missing.json.error as { code: string; message: string; details: Record<string, unknown> };
    expect({ code: missing.code, error: error.code, reason: error.details.reason, bucket: error.details.bucket, message: error.message }).toEqual({
      code: 3,
      error: 'NOT_FOUND',
      reason: 'no-such-bucket',
      bucket: 'no-such-bucket-here',
      message: 'cannot list s3://no-such-bucket-here/lake/: no bucket no-such-bucket-here',
    });
    const none = { ...awsEnv('a'), AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: path.join(dir, 'none'), AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none') };
    const noCredentials = await runCliWith(none, 'ingest', day4, '--asset', 'MES', '--store', `s3://${BUCKET}/same`, '--json');
    const noError = (JSON.parse(noCredentials.stdout) as { error: { code: string; message: string; details: Record<string, unknown> } }).error;
    expect({ code: noCredentials.code, error: noError.code, reason: noError.details.reason, bucket: noError.details.bucket, message: noError.message.split(': Could not')[0] }).toEqual({
      code: 2,
      error: 'FORBIDDEN',
      reason: 'no-credentials',
      bucket: BUCKET,
      message: `cannot list s3://${BUCKET}/same/: no credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)`,
    });
    const checking = await startMoto({ checkCredentials: true });
    if (!checking) return;
    try {
      await checking.createBucket('guarded').catch(() => undefined);
      const refused = await runCliWith({ ...awsEnv('a'), AWS_ENDPOINT_URL: checking.endpoint, AWS_ACCESS_KEY_ID: 'AKIAUNKNOWN0000000000' }, 'promote', '--asset', 'MES', '--store', 's3://guarded/lake', '--json');
      const refusedError = (JSON.parse(refused.stdout) as { error: { code: string; message: string; details: Record<string, unknown> } }).error;
      expect({ code: refused.code, error: refusedError.code, reason: refusedError.details.reason, bucket: refusedError.details.bucket, message: refusedError.message }).toEqual({
        code: 2,
        error: 'FORBIDDEN',
        reason: 'bad-credentials',
        bucket: 'guarded',
        message: 'cannot list s3://guarded/lake/: the credentials were refused (InvalidAccessKeyId)',
      });
    } finally {
      await checking.stop();
    }
  }, 600_000);
});
