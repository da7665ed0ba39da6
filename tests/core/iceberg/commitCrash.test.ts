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
import { listSnapshots, snapshotDataFiles, type SnapshotInfo } from '../../../core/iceberg/tableRead.js';
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
  async function tableBeforeCommit(name: string, date: string): Promise<{ dir: string; newFile: string }> {
    const dir = path.join(root, name);
    await createTable(dir, BASE_SCHEMA, { nowMs: T0 });
    const files = [];
    for (const [day, bars] of Object.entries(V1_BARS)) files.push(await writeBars(dir, BASE_SCHEMA, day, bars));
    await appendFiles(dir, files.map((p) => ({ path: p })), { nowMs: T0 + 1000 });
    const table = await loadTable(dir);
    oldRows ??= await readSnapshotRows(table, listSnapshots(table)[0]);
    return { dir, newFile: await writeBars(dir, BASE_SCHEMA, date, [[`${date} 14:30:00`, 4770, 70]]) };
  }

  const newRow = (date: string) => ({ date, timestamp: BigInt(Date.parse(`${date}T14:30:00Z`)) * 1000n, close: 4770, volume: 70n });
  const CASES = [
    {
      op: 'append',
      date: '2024-01-04',
      rowsAfter: () => [newRow('2024-01-04'), ...oldRows],
      // the new manifest and the manifest list (3 steps each) come before the metadata file
      stepsBefore: 6,
      // a second run: the date is there already (refused), or the commit is made now
      again: (committed: boolean) => (committed ? { ok: false, code: 'BAD_REQUEST' } : { ok: true, version: 2, metadataVersion: 3 }),
      datesAfter: ['2024-01-04', '2024-01-02', '2024-01-03'],
    },
    {
      op: 'replace',
      date: '2024-01-03',
      rowsAfter: () => [newRow('2024-01-03'), ...oldRows.filter((r) => r.date === '2024-01-02')],
      // the new manifest, the rewritten one and the manifest list
      stepsBefore: 9,
      again: (committed: boolean) => ({ ok: true, version: committed ? 3 : 2, metadataVersion: committed ? 4 : 3 }),
      datesAfter: ['2024-01-03', '2024-01-02'],
    },
  ] as const;

  for (const c of CASES) {
    it(`leaves the old snapshot or the new one, whole, at every step of ${c.op === 'append' ? 'an append' : 'a replace'}`, async () => {
      const first = await tableBeforeCommit(`${c.op}-traced`, c.date);
      const traced = await runChild({ op: c.op, dir: first.dir, files: [first.newFile] }, { MES_DATA_STORE_CRASH_TRACE: '1' });
      expect(traced.result).toMatchObject({ ok: true, version: 2, metadataVersion: 3 });
      const steps = traced.stderr
        .split('\n')
        .filter((line) => line.startsWith('crash point '))
        .map((line) => line.replace(/^crash point \d+: /, ''));
      const avro = (kind: RegExp): unknown[] => [
        expect.stringMatching(new RegExp(`^wrote ${kind.source} \\(temporary\\)$`)),
        expect.stringMatching(new RegExp(`^renamed ${kind.source} into place$`)),
        expect.stringMatching(new RegExp(`^synced the folder of ${kind.source}$`)),
      ];
      expect(steps).toEqual([
        ...(c.op === 'replace' ? avro(/[0-9a-f-]+-m1\.avro/) : []),
        ...avro(/[0-9a-f-]+-m0\.avro/),
        ...avro(/snap-\d+-1-[0-9a-f-]+\.avro/),
        'wrote metadata version 3 (temporary)',
        expect.stringMatching(/^moved \.v3\.metadata\.json\..*\.tmp to v3\.metadata\.json$/),
        'synced after moving v3.metadata.json',
        'wrote version-hint.text (temporary)',
        'renamed version-hint.text into place',
        'synced the folder of version-hint.text',
      ]);
      const outcomes: string[] = [];
      for (let n = 1; n <= steps.length; n++) {
        const { dir, newFile } = await tableBeforeCommit(`${c.op}-crash-${n}`, c.date);
        const run = await runChild({ op: c.op, dir, files: [newFile] }, { MES_DATA_STORE_CRASH_AFTER: String(n) });
        expect({ n, signal: run.signal, result: run.result }).toEqual({ n, signal: 'SIGKILL', result: null });
        const table = await loadTable(dir);
        const snapshots = listSnapshots(table);
        const committed = snapshots.length === 2;
        outcomes.push(committed ? 'new' : 'old');
        expect(await readSnapshotRows(table, snapshots[0])).toEqual(oldRows);
        expect(table.version).toBe(committed ? 3 : 2);
        if (committed) expect(await readSnapshotRows(table, snapshots[1])).toEqual(c.rowsAfter());
        // icebird goes by the version hint: the old snapshot until the hint is replaced
        const hinted = Number(fs.readFileSync(path.join(dir, 'metadata', 'version-hint.text'), 'utf8'));
        expect({ n, hinted }).toEqual({ n, hinted: n >= steps.length - 1 ? 3 : 2 });
        expect((await icebergRead({ tableUrl: fileLocation(dir) })).length).toBe(hinted === 3 ? c.rowsAfter().length : oldRows.length);
        // what the crash left behind is unreferenced; the data file only while no snapshot names it
        const free = (await unreferencedFiles(dir)).files;
        expect(free.includes(path.relative(dir, newFile).split(path.sep).join('/'))).toBe(!committed);
        expect(free.filter((f) => f.startsWith('metadata/v'))).toEqual([]);
        // and the table takes the next commit
        const again = await runChild({ op: c.op, dir, files: [newFile] });
        expect(again.result).toMatchObject(c.again(committed));
        const after = await loadTable(dir);
        expect((await snapshotDataFiles(after, listSnapshots(after).at(-1) as SnapshotInfo)).map((f) => f.partition.date)).toEqual(c.datesAfter);
      }
      // before the metadata file has its name the commit has not happened; from then on it has
      expect(outcomes).toEqual([...Array<string>(c.stepsBefore + 1).fill('old'), ...Array<string>(steps.length - c.stepsBefore - 1).fill('new')]);
    });
  }
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
