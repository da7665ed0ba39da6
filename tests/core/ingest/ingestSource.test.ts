import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCsvSource } from '../../../core/ingest/csvSource.js';
import { HashingFileRead } from '../../../core/ingest/ingestSource.js';
import { tempDir } from '../../helpers/ohlcvTable.js';

/** The one pass a text source makes over its file: chunks hashed and counted on the way. */
describe('HashingFileRead', () => {
  const { dir, cleanup } = tempDir('mes-data-hashing-read-');
  afterAll(cleanup);
  const bytes = Buffer.from(Array.from({ length: 10_000 }, (_, i) => `2024-01-02 00:${String(i % 60).padStart(2, '0')}:00,${5000 + i}\n`).join(''));
  const file = path.join(dir, 'lines.csv');
  fs.writeFileSync(file, bytes);
  const sha = crypto.createHash('sha256').update(bytes).digest('hex');

  it('a pass to the end gives the chunks after the prefix, the bytes read and the SHA-256 of the whole file', async () => {
    const reading = new HashingFileRead(file, 4096);
    const chunks: Buffer[] = [];
    for await (const chunk of reading.chunks(bytes.subarray(0, 3))) chunks.push(chunk);
    expect(Buffer.concat(chunks).equals(bytes.subarray(3))).toBe(true);
    expect(chunks.length).toBe(Math.ceil((bytes.length - 3) / 4096));
    expect(reading.bytesRead).toBe(bytes.length);
    expect(await reading.sha256()).toBe(sha);
  });

  it('a pass stopped early hashes the file itself', async () => {
    const reading = new HashingFileRead(file, 4096);
    for await (const chunk of reading.chunks()) {
      expect(chunk.length).toBe(4096);
      break;
    }
    expect(reading.bytesRead).toBe(4096);
    expect(await reading.sha256()).toBe(sha);
  });

  it('a CSV source read to the end hashes as it reads', async () => {
    const csv = path.join(dir, 'bars.csv');
    const text = 'timestamp,close\n2024-01-02 00:00:00,5000\n2024-01-02 00:01:00,5000.25\n';
    fs.writeFileSync(csv, `\uFEFF${text}`);
    const source = openCsvSource(csv);
    let rows = 0;
    for await (const batch of source.batches()) rows += batch.rows;
    expect(rows).toBe(2);
    expect(source.bytesRead).toBe(Buffer.byteLength(`\uFEFF${text}`));
    expect(await source.sha256()).toBe(crypto.createHash('sha256').update(`\uFEFF${text}`).digest('hex'));
    await source.close();
  });
});
