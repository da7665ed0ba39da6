import { createHash } from 'node:crypto';
import fs from 'node:fs';

interface FileDigest {
  /** Lower-case hex SHA-256 of the file's bytes. */
  sha256: string;
  bytes: number;
}

/**
 * Files up to this size are hashed from one read into one buffer; larger ones as a stream.
 * A version of 2,899 one-day files (about 22 KB each) hashed in 222–309 ms of CPU read whole
 * against 340–578 ms through a read stream each (two runs of each, alternated, load 17).
 */
const WHOLE_READ_BYTES = 8 << 20;

/** SHA-256 and size of a file: a small one read whole, a larger one as a stream (memory stays small for any size). */
export async function hashFile(filePath: string): Promise<FileDigest> {
  const handle = await fs.promises.open(filePath, 'r');
  try {
    const size = (await handle.stat()).size;
    if (size <= WHOLE_READ_BYTES) {
      const buffer = Buffer.allocUnsafe(size);
      let read = 0;
      while (read < size) {
        const { bytesRead } = await handle.read(buffer, read, size - read, read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      // a file that shrank while read is hashed again as a stream
      if (read === size) return { sha256: createHash('sha256').update(buffer).digest('hex'), bytes: size };
    }
  } finally {
    await handle.close();
  }
  return hashStream(filePath);
}

function hashStream(filePath: string): Promise<FileDigest> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let bytes = 0;
    const stream = fs.createReadStream(filePath, { highWaterMark: 1 << 20 });
    stream.on('data', (chunk: string | Buffer) => {
      hash.update(chunk);
      bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    });
    stream.on('error', reject);
    stream.on('end', () => resolve({ sha256: hash.digest('hex'), bytes }));
  });
}
