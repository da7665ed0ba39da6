import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { checkSidecar } from '../../../core/store/sidecarSchema.js';
import { validate } from '../../../core/store/sidecarValidator.generated.mjs';

const generated = validate as unknown as ((value: unknown) => boolean) & { errors: unknown };

const ROOT = path.resolve(import.meta.dirname, '../../..');

describe('the sidecar validator generated from schema/metadata_schema.json', () => {
  it('is what the schema gives now (scripts/sidecarValidator.mjs --check)', () => {
    const run = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'sidecarValidator.mjs'), '--check'], { encoding: 'utf8' });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  });

  it('finds the errors ajv finds compiling the schema itself, for good and bad sidecars', () => {
    const compiled = new Ajv2020({ strict: true, allErrors: true }).compile(JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'metadata_schema.json'), 'utf8')) as object);
    const good = { formatVersion: 1, layer: 'cleaned', asset: 'MES', version: 3, createdAt: '2026-12-01T00:00:00Z', recordCount: 5, fileSizeBytes: 10, files: [{ path: '2024-01-15.parquet', bytes: 10, rows: 5, sha256: 'a'.repeat(64), compression: 'zstd' }] };
    const cases: unknown[] = [
      good,
      { ...good, layer: 'raw' },
      { ...good, files: [{ path: '../x.parquet', bytes: -1, rows: 5, sha256: 'nothex', compression: 'zip' }] },
      { ...good, fileLists: { files: [{ key: '2024-1', sha256: 'b'.repeat(64), count: 0 }] } },
      { ...good, fingerprint: '', changelog: 3, extra: [] },
      'not a sidecar',
    ];
    for (const value of cases) {
      const valid = compiled(value);
      expect(generated(value)).toBe(valid);
      // the same errors, each with its path, keyword, parameters and message
      expect(generated.errors).toEqual(compiled.errors);
      expect(checkSidecar(value).valid).toBe(valid);
    }
    expect(checkSidecar(cases[2]).errors).toEqual([
      '/files/0/path must NOT be valid',
      '/files/0/bytes must be >= 0',
      '/files/0/sha256 must match pattern "^[0-9a-f]{64}$"',
      '/files/0/compression must be equal to one of the allowed values',
    ]);
  });
});
