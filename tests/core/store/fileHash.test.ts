import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashFile } from '../../../core/store/fileHash.js';
import { tempDir } from '../../helpers/ohlcvTable.js';

describe('hashFile', () => {
  const { dir, cleanup } = tempDir();
  afterAll(cleanup);

  const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
  /** `n` bytes of a pattern that differs along the file. */
  const bytesOf = (n: number) => Buffer.from(Uint8Array.from({ length: n }, (_, i) => (i * 31 + (i >> 10)) & 0xff));

  it('gives the SHA-256 and size of a small file (read whole), an empty one, and one above 8 MiB (read as a stream)', async () => {
    for (const [name, n] of [['small.bin', 22_137], ['empty.bin', 0], ['large.bin', (8 << 20) + 12_345]] as const) {
      const file = path.join(dir, name);
      const bytes = bytesOf(n);
      fs.writeFileSync(file, bytes);
      expect(await hashFile(file)).toEqual({ sha256: sha(bytes), bytes: n });
    }
    expect((await hashFile(path.join(dir, 'empty.bin'))).sha256).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('rejects a missing file with ENOENT', async () => {
    await expect(hashFile(path.join(dir, 'missing.bin'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
