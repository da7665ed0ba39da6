import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSmallFiles } from '../../../core/store/durableFs.js';
import { MesDataError } from '../../../core/errors.js';

describe('readSmallFiles', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mes-small-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('answers each file text in order across batches, null for a missing one', async () => {
    const files = Array.from({ length: 600 }, (_, k) => path.join(dir, `${String(k).padStart(4, '0')}.json`));
    files.forEach((file, k) => {
      if (k !== 300) fs.writeFileSync(file, `{"k":${k}}`);
    });
    const texts = await readSmallFiles(files);
    expect(texts).toHaveLength(600);
    expect(texts[0]).toBe('{"k":0}');
    expect(texts[299]).toBe('{"k":299}');
    expect(texts[300]).toBeNull();
    expect(texts[599]).toBe('{"k":599}');
  });

  it('refuses a file that is a symbolic link (SYMLINK) and one over the size limit (IO_ERROR)', async () => {
    const outside = path.join(dir, 'outside.json');
    fs.writeFileSync(outside, '{"secret":1}');
    const link = path.join(dir, 'link.json');
    fs.symlinkSync(outside, link);
    const error = await readSmallFiles([link]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MesDataError);
    expect((error as MesDataError).code).toBe('SYMLINK');
    const big = await readSmallFiles([outside], 5).catch((e: unknown) => e);
    expect((big as MesDataError).code).toBe('IO_ERROR');
    expect((big as MesDataError).message).toBe(`cannot read ${outside}: it holds 12 bytes, more than the 5 a sidecar may have`);
  });

  it('reports a folder given as a file as IO_ERROR naming it', async () => {
    const error = (await readSmallFiles([dir]).catch((e: unknown) => e)) as MesDataError;
    expect(error.code).toBe('IO_ERROR');
    expect(error.details.path).toBe(dir);
  });
});
