import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/ohlcvTable.js';

const SCRIPT = path.resolve(import.meta.dirname, '../../scripts/deadExports.mjs');

/** A small tree laid out like ours, with one export of each kind. */
const TREE: Record<string, string> = {
  'core/lib.ts': [
    'export function shipped(): number { return 1; }',
    'export function internal(): number { return 2; }',
    'export function testOnly(): number { return 3; }',
    'export function testedStep(): number { return 4; }',
    'export const unused = 5;',
    'export type Shape = { a: number };',
    'export function run(): number { return internal() + testedStep(); }',
    '',
  ].join('\n'),
  'core/late.ts': 'export const loadedLater = 1;\n',
  'core/app.ts': ["import { run, shipped, type Shape } from './lib.js';", 'const s: Shape = { a: shipped() + run() };', 'void import(\'./late.js\');', 'console.log(s);', ''].join('\n'),
  'scripts/tool.mjs': ["/** @typedef {import('../core/lib.js').Shape} Described */", '/** @type {Described} */', 'const d = { a: 1 };', 'console.log(d);', ''].join('\n'),
  'tests/helper.ts': ['export const usedHelper = 1;', 'export const unusedHelper = 2;', ''].join('\n'),
  'tests/lib.test.ts': ["import { testedStep, testOnly } from '../core/lib.js';", "import { usedHelper } from './helper.js';", 'console.log(testedStep() + testOnly() + usedHelper);', ''].join('\n'),
};

describe('the dead-export check', () => {
  const { dir, cleanup } = tempDir('mes-data-dead-exports-');
  afterAll(cleanup);
  for (const [file, text] of Object.entries(TREE)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  const run = (...args: string[]) => spawnSync(process.execPath, [SCRIPT, '--root', dir, ...args], { encoding: 'utf8' });

  it('names each export no other module imports, and each that only tests keep alive, with exit code 1', () => {
    const result = run();
    expect(result.stdout.trim().split('\n').sort()).toEqual([
      'core/lib.ts:2 internal — only its own module uses it: drop the export keyword',
      'core/lib.ts:3 testOnly — only tests import it (tests/lib.test.ts) and its own module does not use it',
      'core/lib.ts:5 unused — nothing uses it: remove it',
      'tests/helper.ts:2 unusedHelper — nothing uses it: remove it',
    ]);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 1, stderr: '4 dead exports: remove them, or the export keyword when only their own module uses them\n' });
  });

  it('--fix drops the export keyword where only the own module uses the name, and nothing else', () => {
    expect(run('--fix', 'core/lib.ts').status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'core/lib.ts'), 'utf8').split('\n').slice(0, 5)).toEqual([
      'export function shipped(): number { return 1; }',
      'function internal(): number { return 2; }',
      'export function testOnly(): number { return 3; }',
      'export function testedStep(): number { return 4; }',
      'export const unused = 5;',
    ]);
    expect(run().stdout.trim().split('\n')).toHaveLength(3);
  });
});
