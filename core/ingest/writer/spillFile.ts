import fs from 'node:fs';
import { tableFromIPC, type Table } from 'apache-arrow';
import { MesDataError } from '../../errors.js';
import { writeAll } from './newFile.js';

/**
 * Spill files: batches that arrived out of order, kept on disk until their file is merged.
 * Each frame is a 4-byte little-endian length, then an Arrow IPC stream.
 */

/** Appends one Arrow IPC stream, length-prefixed, to a spill file; returns where it went. */
export function spill(path: string, ipc: Uint8Array): { offset: number; length: number } {
  const fd = fs.openSync(path, 'a');
  try {
    const offset = fs.fstatSync(fd).size;
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32LE(ipc.length, 0);
    writeAll(fd, prefix);
    writeAll(fd, ipc);
    return { offset, length: ipc.length + 4 };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The Arrow tables spilled to `path` in the byte range [offset, offset + length), frame by
 * frame. Throws INTERNAL when the file ends early.
 */
export function* spillFrames(path: string, offset: number, length: number): Generator<Table> {
  const fd = fs.openSync(path, 'r');
  try {
    const read = (at: number, size: number): Buffer => {
      const buffer = Buffer.allocUnsafe(size);
      let done = 0;
      while (done < size) {
        const n = fs.readSync(fd, buffer, done, size - done, at + done);
        if (n === 0) throw new MesDataError('INTERNAL', `spill file ${path} is shorter than expected`, { path, offset: at, needed: size, read: done });
        done += n;
      }
      return buffer;
    };
    for (let at = offset; at < offset + length; ) {
      const size = read(at, 4).readUInt32LE(0);
      yield tableFromIPC(read(at + 4, size));
      at += 4 + size;
    }
  } finally {
    fs.closeSync(fd);
  }
}
