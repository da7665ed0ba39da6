import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

/** The lowest Node.js major.minor an engines range lets in, for the ranges the lock file holds (">=22.12.0", "^20.19.0 || >=22.12.0"). */
function lowestNode(range: string): [number, number] {
  const versions = [...range.matchAll(/(\d+)\.(\d+)(?:\.\d+)?/g)].map((m) => [Number(m[1]), Number(m[2])] as [number, number]);
  const bare = [...range.matchAll(/(?:^|[\s|])(\d+)(?=$|[\s|])/g)].map((m) => [Number(m[1]), 0] as [number, number]);
  const all = [...versions, ...bare].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return all[0] ?? [0, 0];
}

describe('what needs which Node.js (README)', () => {
  const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { engines?: { node?: string }; dev?: boolean }> };
  const needs22 = Object.entries(lock.packages)
    .filter(([name, pkg]) => name !== '' && pkg.engines?.node !== undefined && lowestNode(pkg.engines.node)[0] >= 22)
    .map(([name]) => name.replace(/^.*node_modules\//, ''))
    .sort();

  it('names every package that will not take Node 20, and only Electron tooling needs it', () => {
    expect(needs22).toEqual(['@electron-internal/extract-zip', '@electron/get', '@electron/rebuild', 'electron', 'node-abi']);
    const readme = read('README.md').replace(/\s+/g, ' ');
    for (const name of needs22) expect(readme, `README names ${name}`).toContain(`\`${name}\``);
    expect(readme).toContain('Node.js 22.12 or newer is needed only for Electron');
    // none of them is needed at run time: they are development dependencies
    for (const name of needs22) expect(lock.packages[`node_modules/${name}`]?.dev, name).toBe(true);
  });

  it('keeps Node 20.19 as the floor for the rest', () => {
    expect((JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node).toBe('>=20.19.0');
    expect(read('README.md').replace(/\s+/g, ' ')).toContain('Requirements: Node.js 20.19 or newer');
    const over = Object.entries(lock.packages)
      .filter(([name, pkg]) => name !== '' && !pkg.dev && pkg.engines?.node !== undefined && lowestNode(pkg.engines.node)[0] > 20)
      .map(([name]) => name);
    expect(over).toEqual([]);
  });
});
