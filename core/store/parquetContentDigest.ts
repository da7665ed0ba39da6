import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { CorruptedFileError } from '../errors.js';
import { openParquetFile } from '../parquet/parquetFile.js';

/**
 * A SHA-256 of what a Parquet file holds rather than of its exact bytes: every byte before
 * the footer (the column chunks), plus the columns with their types, the row-group sizes
 * and the key-value metadata sorted by key. The writer we use stores key-value pairs in a
 * different order on every write, and `created_by` names the program version, so the same
 * table written twice can differ in its footer only; this digest is equal for both.
 */
export async function parquetContentDigest(filePath: string): Promise<string> {
  const handle = await openParquetFile(filePath);
  const file = await fs.open(filePath, 'r');
  try {
    const { size } = await file.stat();
    if (size < 12) throw new CorruptedFileError(`${filePath} is too short to be a Parquet file (${size} bytes)`, { path: filePath });
    const tail = Buffer.alloc(8);
    await file.read(tail, 0, 8, size - 8);
    const footerStart = size - 8 - tail.readUInt32LE(0);
    if (footerStart < 4 || tail.toString('latin1', 4) !== 'PAR1') throw new CorruptedFileError(`${filePath} has no valid Parquet footer`, { path: filePath });
    const hash = createHash('sha256');
    const chunk = Buffer.alloc(1 << 20);
    for (let position = 0; position < footerStart; ) {
      const { bytesRead } = await file.read(chunk, 0, Math.min(chunk.length, footerStart - position), position);
      if (bytesRead === 0) break;
      hash.update(chunk.subarray(0, bytesRead));
      position += bytesRead;
    }
    const keyValue = Object.entries(handle.info.keyValue).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    hash.update(
      JSON.stringify({
        columns: handle.schema.fields.map((field) => `${field.name}:${String(field.type)}:${field.nullable}`),
        rowGroups: handle.info.rowGroups.map((group) => group.numRows),
        keyValue,
      }),
    );
    return hash.digest('hex');
  } finally {
    await file.close();
  }
}
