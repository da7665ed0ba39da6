/** Shared set-up of the store tests: temporary stores, an independent sidecar check, child processes. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Table, Utf8, vectorFromArray, type Vector } from 'apache-arrow';
import { expect } from 'vitest';
import { writeParquet } from '../../../core/parquet/writeParquet.js';
import { hashFile } from '../../../core/store/fileHash.js';
import { MetadataManager, type DatasetMetadata, type FileInfo } from '../../../core/store/metadataManager.js';
import { initStore } from '../../../core/store/openStore.js';
import { parquetFileFacts } from '../../../core/store/parquetFileFacts.js';
import { versionKeyValue } from '../../../core/store/parquetKeyValue.js';
import { linkFileName, tablePath, versionPath, versionSidecarPath, type Store, type VersionedLayer } from '../../../core/store/storeLayout.js';
import { ohlcvTable, tempDir } from '../../helpers/ohlcvTable.js';
import { MesDataError } from '../../../core/errors.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
export const SCHEMA_PATH = path.join(ROOT, 'schema/metadata_schema.json');
const CHILD = path.join(import.meta.dirname, 'fixtures/storeChild.ts');

/**
 * A temporary folder in memory (/dev/shm) where there is one, else in the temp folder. The
 * tests that write thousands of files or kill writers many times use it: a killed process
 * leaves the same state in memory as on disk (the page cache outlives it), and fsync on a
 * shared build disk would make those tests slow and slow down every other test.
 */
function memoryTempDir(prefix: string): { dir: string; cleanup: () => void } {
  let base = os.tmpdir();
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    base = '/dev/shm';
  } catch {
    // no tmpfs: the ordinary temp folder
  }
  const dir = fs.mkdtempSync(path.join(base, prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A fresh, initialized store in a temporary folder (in memory with `inMemory`). */
export async function newStore(prefix = 'mes-data-store-', options: { inMemory?: boolean } = {}): Promise<{ store: Store; dir: string; cleanup: () => void }> {
  const { dir, cleanup } = options.inMemory ? memoryTempDir(prefix) : tempDir(prefix);
  const { store } = await initStore(path.join(dir, 'store'));
  return { store, dir, cleanup };
}

/**
 * Every sidecar of the store at `root`, store-relative: the `.json` files of `catalog/`
 * (store format 2). A `metadata.json` anywhere else fails the test: the data folders hold
 * Parquet files only.
 */
function findSidecars(root: string): string[] {
  const found: string[] = [];
  const strays: string[] = [];
  const walk = (dir: string, inCatalog: boolean): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      const relative = path.relative(root, full).split(path.sep).join('/');
      if (entry.isDirectory()) walk(full, inCatalog || relative === 'catalog');
      else if (inCatalog && entry.name.endsWith('.json')) found.push(relative);
      else if (entry.name === 'metadata.json') strays.push(relative);
    }
  };
  walk(root, false);
  expect({ root, sidecarsOutsideCatalog: strays }).toEqual({ root, sidecarsOutsideCatalog: [] });
  return found.sort();
}

let independent: ReturnType<Ajv2020['compile']> | null = null;

/**
 * Checks every sidecar of the store at `root` against schema/metadata_schema.json with a separately
 * compiled ajv (draft 2020-12, default options), not the store's own validator. Returns how
 * many were checked.
 */
export function expectSidecarsValid(root: string): number {
  independent ??= new Ajv2020({ allErrors: true }).compile(JSON.parse(fs.readFileSync(SCHEMA_PATH, 'utf8')) as object);
  const sidecars = findSidecars(root);
  for (const sidecar of sidecars) {
    const value = JSON.parse(fs.readFileSync(path.join(root, sidecar), 'utf8')) as unknown;
    const valid = independent(value);
    expect({ sidecar, errors: valid ? null : independent.errors }).toEqual({ sidecar, errors: null });
  }
  return sidecars.length;
}

interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  lines: Record<string, unknown>[];
}

/** Runs the store child with `request`; resolves when it exits. */
export function runChild(request: object, env: Record<string, string> = {}): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(request)], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const lines = stdout
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      resolve({ code, signal, stdout, stderr, lines });
    });
  });
}

/** Starts the child and resolves once it printed its first line (it keeps running). */
export function startChild(request: object): Promise<{ pid: number; firstLine: Record<string, unknown>; kill: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(request)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<void>((done) => child.on('close', () => done()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const newline = stdout.indexOf('\n');
      if (newline >= 0 && child.pid !== undefined) {
        resolve({
          pid: child.pid,
          firstLine: JSON.parse(stdout.slice(0, newline)) as Record<string, unknown>,
          kill: async () => {
            child.kill('SIGKILL');
            await exited;
          },
        });
      }
    });
    child.on('error', reject);
    child.on('close', (code) => reject(new Error(`child exited early with code ${code}: ${stderr}`)));
  });
}

const MIGRATE_CHILD = path.join(import.meta.dirname, 'fixtures/migrateChild.ts');

/** `migrate` of the store at `root` in a process of its own (fixtures/migrateChild.ts), with extra environment variables. */
export function runMigrateChild(root: string, env: Record<string, string>): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', MIGRATE_CHILD, root], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.on('error', reject);
    proc.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

type StoreWriter = (env: Record<string, string>) => Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;

/** The labels of the durable steps a store write in a child process makes, from a run of `write` traced (MES_DATA_STORE_CRASH_TRACE=1), which must end on its own. */
export async function traceSteps(write: StoreWriter): Promise<string[]> {
  const traced = await write({ MES_DATA_STORE_CRASH_TRACE: '1' });
  expect({ code: traced.code, signal: traced.signal }).toEqual({ code: 0, signal: null });
  return traced.stderr
    .split('\n')
    .filter((line) => line.startsWith('crash point '))
    .map((line) => line.replace(/^crash point \d+: /, ''));
}

/**
 * For each step `n` of `steps`, two at a time: `write(n, env)` killed at that durable step
 * (MES_DATA_STORE_CRASH_AFTER=n; it must end in SIGKILL), then `check(n)` on what it left.
 * The checks' results, in the order of `steps`.
 */
export function crashAtSteps<T>(steps: number[], write: (n: number, env: Record<string, string>) => Promise<{ signal: NodeJS.Signals | null }>, check: (n: number) => Promise<T>): Promise<T[]> {
  return inParallel(
    steps.map((n) => async () => {
      const run = await write(n, { MES_DATA_STORE_CRASH_AFTER: String(n) });
      expect({ n, signal: run.signal }).toEqual({ n, signal: 'SIGKILL' });
      return check(n);
    }),
    2,
  );
}

/** Runs `tasks` with at most `limit` at once, keeping their order in the results. */
export async function inParallel<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length) {
        const index = next++;
        results[index] = await tasks[index]();
      }
    }),
  );
  return results;
}

/**
 * Bars for partition tests: like ohlcvTable but starting `startMinute` minutes after
 * 2024-01-02T00:00Z, with a text column `venue` (null every 7th row) so that string
 * filters and nulls are covered.
 */
export function bars(rows: number, startMinute: number): Table {
  const base = ohlcvTable(rows + startMinute);
  const sliced = base.slice(startMinute, startMinute + rows);
  const venue = Array.from({ length: rows }, (_, i) => ((startMinute + i) % 7 === 0 ? null : (startMinute + i) % 2 === 0 ? 'GLBX' : 'XCME'));
  const columns = Object.fromEntries(sliced.schema.fields.map((field, k) => [field.name, sliced.getChildAt(k) as Vector]));
  return new Table({ ...columns, venue: vectorFromArray(venue, new Utf8()) });
}

/** The typed error a promise rejects with (any other outcome fails the test). */
export async function errorOf(promise: Promise<unknown>): Promise<MesDataError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MesDataError) return error;
    throw error;
  }
  throw new Error('expected an error');
}

/** One data file of a hand-made version: its rows and its partition (a date, or null for an unpartitioned table). */
interface VersionPart {
  date: string | null;
  table: Table;
}

/**
 * Version `version` of `key` as store format 2 lays it out, built without the version
 * commit (so the catalog and verify tests do not depend on it): each part a data file in
 * the table's `data/{DATE}/` (or `data/`), a `metadata/` folder, a version folder of hard
 * links named by `linkFileName`, and a schema-valid sidecar at `versionSidecarPath`.
 * `shared` links data files of an earlier version (store-relative, with their partition)
 * as a version that keeps them by reference does. Returns the data files it wrote,
 * store-relative.
 */
export async function writeFormat2Version(
  store: Store,
  layer: VersionedLayer,
  key: string,
  version: number,
  parts: VersionPart[],
  options: { shared?: { path: string; date: string | null }[]; sidecar?: Partial<DatasetMetadata> } = {},
): Promise<string[]> {
  const table = path.join(store.root, ...tablePath(layer, key).split('/'));
  fs.mkdirSync(path.join(table, 'metadata'), { recursive: true });
  const folder = path.join(store.root, ...versionPath(layer, version, key).split('/'));
  fs.mkdirSync(folder, { recursive: true });
  const [asset, featureSet] = key.split('/');
  const keyValue = versionKeyValue({ layer, key: layer === 'cleaned' ? key : featureSet, version, asset });
  const written: string[] = [];
  const linked: { path: string; date: string | null }[] = [...(options.shared ?? [])];
  for (const [k, part] of parts.entries()) {
    const relative = `${tablePath(layer, key)}/data/${part.date === null ? '' : `${part.date}/`}v${version}-${k}.parquet`;
    const file = path.join(store.root, ...relative.split('/'));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await writeParquet(part.table, file, { compression: 'zstd', metadata: keyValue });
    written.push(relative);
    linked.push({ path: relative, date: part.date });
  }
  const seen = new Map<string, number>();
  const files: FileInfo[] = [];
  for (const data of linked) {
    const k = seen.get(String(data.date)) ?? 0;
    seen.set(String(data.date), k + 1);
    const name = linkFileName(data.date, k);
    fs.linkSync(path.join(store.root, ...data.path.split('/')), path.join(folder, name));
    const digest = await hashFile(path.join(folder, name));
    const facts = await parquetFileFacts(path.join(folder, name));
    files.push({ path: name, bytes: digest.bytes, rows: facts.rows, sha256: digest.sha256, compression: facts.compression, rowGroups: facts.rowGroups });
  }
  const metadata = MetadataManager.createMetadata({ layer, asset, featureSet: layer === 'features' ? featureSet : undefined, version, createdAt: '2026-01-02T03:04:05.000Z' });
  MetadataManager.addFileInfo(metadata, files);
  const dates = linked.map((data) => data.date).filter((date): date is string => date !== null).sort();
  metadata.dateRange = dates.length > 0 ? { from: dates[0], to: dates[dates.length - 1] } : null;
  Object.assign(metadata, options.sidecar ?? {});
  const sidecar = path.join(store.root, ...versionSidecarPath(layer, key, version).split('/'));
  fs.mkdirSync(path.dirname(sidecar), { recursive: true });
  await MetadataManager.writeMetadataFile(metadata, sidecar);
  return written;
}
