/**
 * Crash safety of a commit: a writer in a child process appends a date and is killed with
 * SIGKILL at every durable step of the commit (core/store/crashPoints.ts counts them).
 * Each time the table opens as the next program would open it, its current snapshot is the
 * old one or the new one with exact rows, every earlier snapshot is whole, icebird reads
 * what the version hint names, what the crash left is listed as unreferenced, and the next
 * commit succeeds. Then writers race: each commit lands as its own snapshot or is refused
 * with LOCKED, never lost.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { icebergRead } from 'icebird';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeEngine } from '../../../core/engine/duckdbEngine.js';
import { loadTable } from '../../../core/iceberg/tableCommit.js';
import { unreferencedFiles } from '../../../core/iceberg/tableExpiry.js';
import { fileLocation } from '../../../core/iceberg/tableLocation.js';
import { listSnapshots, snapshotDataFiles } from '../../../core/iceberg/tableRead.js';
import { readSnapshotRows } from '../../../core/iceberg/tableRows.js';
import { appendFiles, createTable } from '../../../core/iceberg/tableWrite.js';
import { serveFileUrls } from '../../helpers/fileFetch.js';
import { BASE_SCHEMA, T0, V1_BARS, writeBars } from './icebergTestKit.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const CHILD = path.join(import.meta.dirname, 'fixtures', 'icebergChild.ts');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  result: Record<string, unknown> | null;
}

function runChild(request: object, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(request)], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let [stdout, stderr] = ['', ''];
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr, result: stdout.trim() === '' ? null : (JSON.parse(stdout.trim().split('\n').pop() as string) as Record<string, unknown>) }));
  });
}

describe('a commit killed at every durable step', () => {
  let root: string;
  let restoreFetch: () => void;
  let oldRows: Record<string, unknown>[];

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-data-iceberg-crash-'));
    restoreFetch = serveFileUrls();
  });
  afterAll(async () => {
    restoreFetch();
    fs.rmSync(root, { recursive: true, force: true });
    await closeEngine();
  });

  /**
   * A table with one snapshot (two dates) and the data file of the commit under test,
   * written and synced before the commit starts. Built in place, not copied: a copy would
   * still name the original's files, which icebird would then read.
   */
  async function tableBeforeCommit(name: string): Promise<{ dir: string; newFile: string }> {
    const dir = path.join(root, name);
    await createTable(dir, BASE_SCHEMA, { nowMs: T0 });
    const files = [];
    for (const [date, bars] of Object.entries(V1_BARS)) files.push(await writeBars(dir, BASE_SCHEMA, date, bars));
    await appendFiles(dir, files.map((p) => ({ path: p })), { nowMs: T0 + 1000 });
    const table = await loadTable(dir);
    oldRows ??= await readSnapshotRows(table, listSnapshots(table)[0]);
    return { dir, newFile: await writeBars(dir, BASE_SCHEMA, '2024-01-04', [['2024-01-04 14:30:00', 4770, 70]]) };
  }

  it('leaves the old snapshot or the new one, whole, at every step', async () => {
    const first = await tableBeforeCommit('traced');
    const traced = await runChild({ op: 'append', dir: first.dir, files: [first.newFile] }, { MES_DATA_STORE_CRASH_TRACE: '1' });
    expect(traced.result).toMatchObject({ ok: true, version: 2, metadataVersion: 3 });
    const steps = traced.stderr
      .split('\n')
      .filter((line) => line.startsWith('crash point '))
      .map((line) => line.replace(/^crash point \d+: /, ''));
    // the new manifest and the manifest list (3 steps each), the metadata file (written, moved, synced), the version hint (3)
    expect(steps).toEqual([
      expect.stringMatching(/^wrote \.[0-9a-f-]+-m0\.avro\..*\.tmp \(temporary\)$|^wrote [0-9a-f-]+-m0\.avro \(temporary\)$/),
      expect.stringMatching(/^renamed [0-9a-f-]+-m0\.avro into place$/),
      expect.stringMatching(/^synced the folder of [0-9a-f-]+-m0\.avro$/),
      expect.stringMatching(/^wrote snap-\d+-1-[0-9a-f-]+\.avro \(temporary\)$/),
      expect.stringMatching(/^renamed snap-\d+-1-[0-9a-f-]+\.avro into place$/),
      expect.stringMatching(/^synced the folder of snap-\d+-1-[0-9a-f-]+\.avro$/),
      'wrote metadata version 3 (temporary)',
      expect.stringMatching(/^moved \.v3\.metadata\.json\..*\.tmp to v3\.metadata\.json$/),
      'synced after moving v3.metadata.json',
      'wrote version-hint.text (temporary)',
      'renamed version-hint.text into place',
      'synced the folder of version-hint.text',
    ]);
    const newRow = { date: '2024-01-04', timestamp: BigInt(Date.UTC(2024, 0, 4, 14, 30)) * 1000n, close: 4770, volume: 70n };
    const outcomes: string[] = [];
    for (let n = 1; n <= steps.length; n++) {
      const { dir, newFile } = await tableBeforeCommit(`crash-${n}`);
      const run = await runChild({ op: 'append', dir, files: [newFile] }, { MES_DATA_STORE_CRASH_AFTER: String(n) });
      expect({ n, signal: run.signal, result: run.result }).toEqual({ n, signal: 'SIGKILL', result: null });
      const table = await loadTable(dir);
      const snapshots = listSnapshots(table);
      const committed = snapshots.length === 2;
      outcomes.push(committed ? 'new' : 'old');
      expect(await readSnapshotRows(table, snapshots[0])).toEqual(oldRows);
      if (committed) {
        expect(table.version).toBe(3);
        expect(await readSnapshotRows(table, snapshots[1])).toEqual([newRow, ...oldRows]);
      } else {
        expect(table.version).toBe(2);
      }
      // icebird goes by the version hint: the old snapshot until the hint is replaced
      const hinted = Number(fs.readFileSync(path.join(dir, 'metadata', 'version-hint.text'), 'utf8'));
      expect({ n, hinted }).toEqual({ n, hinted: n >= steps.length - 1 ? 3 : 2 });
      expect((await icebergRead({ tableUrl: fileLocation(dir) })).length).toBe(hinted === 3 ? 5 : 4);
      // what the crash left behind is unreferenced; the data file only while no snapshot names it
      const free = (await unreferencedFiles(dir)).files;
      expect(free.includes(path.relative(dir, newFile).split(path.sep).join('/'))).toBe(!committed);
      expect(free.filter((f) => f.startsWith('metadata/v'))).toEqual([]);
      // and the table takes the next commit
      const again = await runChild({ op: 'append', dir, files: [newFile] });
      if (committed) expect(again.result).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
      else expect(again.result).toMatchObject({ ok: true, version: 2, metadataVersion: 3 });
      const after = await loadTable(dir);
      expect((await snapshotDataFiles(after, listSnapshots(after)[1])).map((f) => f.partition.date)).toEqual(['2024-01-04', '2024-01-02', '2024-01-03']);
    }
    // steps 1–7 are before the metadata file has its name; from step 8 the commit has happened
    expect(outcomes).toEqual([...Array<string>(7).fill('old'), ...Array<string>(5).fill('new')]);
  });
});

describe('writers racing for the next metadata version', () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-data-iceberg-race-'));
  });
  afterAll(async () => {
    fs.rmSync(root, { recursive: true, force: true });
    await closeEngine();
  });

  async function raceTable(name: string, dates: string[]): Promise<{ dir: string; files: string[] }> {
    const dir = path.join(root, name);
    await createTable(dir, BASE_SCHEMA, { nowMs: T0 });
    const files: string[] = [];
    for (const date of dates) files.push(await writeBars(dir, BASE_SCHEMA, date, [[`${date} 14:30:00`, 1, 1]]));
    return { dir, files };
  }

  const DATES = ['2024-02-01', '2024-02-02', '2024-02-05', '2024-02-06'];

  it('never loses a commit: each lands as its own snapshot or is refused with LOCKED', async () => {
    const { dir, files } = await raceTable('no-retry', DATES);
    const runs = await Promise.all(files.map((file) => runChild({ op: 'append', dir, files: [file] })));
    const results = runs.map((r) => r.result as { ok: boolean; code?: string; reason?: string; version?: number });
    for (const r of results) expect(r.ok ? 'ok' : `${r.code}/${r.reason}`).toMatch(/^(ok|LOCKED\/commit-conflict)$/);
    const table = await loadTable(dir);
    const landed = DATES.filter((_, i) => results[i].ok);
    expect(landed.length).toBeGreaterThanOrEqual(1);
    const held = (await snapshotDataFiles(table, listSnapshots(table)[landed.length - 1])).map((f) => f.partition.date as string).sort();
    expect(held).toEqual(landed.sort());
    expect(listSnapshots(table).map((s) => s.version)).toEqual(landed.map((_, i) => i + 1));
    // a refused commit leaves no manifest behind: only the landed ones' files are there
    expect(fs.readdirSync(path.join(dir, 'metadata')).filter((n) => n.endsWith('.avro'))).toHaveLength(landed.length * 2);
  });

  it('with retries, every writer lands', async () => {
    const { dir, files } = await raceTable('retry', DATES);
    const runs = await Promise.all(files.map((file) => runChild({ op: 'append', dir, files: [file], retries: 10 })));
    expect(runs.map((r) => r.result?.ok)).toEqual([true, true, true, true]);
    const table = await loadTable(dir);
    expect(listSnapshots(table).map((s) => s.version)).toEqual([1, 2, 3, 4]);
    expect((await snapshotDataFiles(table, listSnapshots(table)[3])).map((f) => f.partition.date as string).sort()).toEqual(DATES);
    expect((await readSnapshotRows(table, listSnapshots(table)[3])).length).toBe(4);
  });
});
