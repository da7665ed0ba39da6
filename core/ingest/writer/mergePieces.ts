import fs from 'node:fs';
import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { notePanic, wasm } from '../../parquet/wasmRuntime.js';
import type { Piece, WriterSpec, WrittenFile } from '../parquetWriterProtocol.js';
import { castTo } from './arrowBatches.js';
import { Segment } from './segment.js';
import { spillFrames } from './spillFile.js';

/**
 * Writes one file from pieces in order (earlier segments' files and spilled batches),
 * casting every piece to the final fields; on a failure the new file is removed.
 */
export async function mergePieces(path: string, spec: WriterSpec, pieces: Piece[]): Promise<WrittenFile> {
  const segment = new Segment(path, spec);
  try {
    for (const piece of pieces) {
      if (piece.kind === 'spill') {
        for (const table of spillFrames(piece.path, piece.offset, piece.length)) await segment.append(tableToIPC(castTo(table, spec.fields), 'stream'));
        continue;
      }
      const file = await wasm.ParquetFile.fromFile(await fs.openAsBlob(piece.path));
      try {
        const groups = file.metadata().numRowGroups();
        for (let g = 0; g < groups; g++) {
          const part = await file.read({ rowGroups: [g] });
          await segment.append(tableToIPC(castTo(tableFromIPC(part.intoIPCStream()), spec.fields), 'stream'));
        }
      } finally {
        file.free();
      }
    }
  } catch (error) {
    notePanic(error);
    await segment.abort();
    throw error;
  }
  return segment.close();
}
