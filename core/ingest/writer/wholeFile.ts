import fsp from 'node:fs/promises';
import { dirname } from 'node:path';
import { MesDataError } from '../../errors.js';
import { checkCompression, notePanic, wasm } from '../../parquet/wasmRuntime.js';
import { summarizeParquetBytes } from '../parquetFooter.js';
import { payloadIpc } from '../outputSchema.js';
import type { ColumnPayload, WriterSpec, WrittenFile } from '../parquetWriterProtocol.js';
import { createError, messageOf } from './newFile.js';
import { stagedFileProperties } from './segment.js';

/**
 * Writes a whole small file in one go (a partition that never outgrew one batch), from its
 * columns as the parsing thread buffered them: no stream writer to set up, which is most of the cost of a file of a few thousand rows.
 * The folder and file are made asynchronously: creating thousands of files, the thread
 * would otherwise spend much of its time blocked in mkdir and open (journal waits) instead
 * of encoding the next date.
 */
export async function writeWholeFile(path: string, spec: WriterSpec, columns: ColumnPayload[], rows: number, mkdir: boolean): Promise<WrittenFile> {
  checkCompression(spec.compression);
  let bytes: Uint8Array;
  try {
    const ipc = payloadIpc(spec.fields, rows, columns);
    // the table before the properties, as always: parquet-wasm's hash maps take their seeds
    // in turn, so the order of the footer's key-value pairs, and the file's bytes, follow
    // the order of these calls. writeParquet takes ownership of the table (and frees it)
    const table = wasm.Table.fromIPCStream(ipc);
    bytes = wasm.writeParquet(table, stagedFileProperties(spec));
  } catch (error) {
    if (error instanceof MesDataError) throw error;
    notePanic(error);
    throw new MesDataError('WRITE_FAILED', `cannot encode ${path} as Parquet: ${messageOf(error)}`, { path, reason: messageOf(error) });
  }
  // the store's summary from the bytes at hand, instead of reading the file back at commit
  // (4.0M bars: 2,899 files, about 0.5 s of the job thread)
  const summary = summarizeParquetBytes(bytes, path);
  if (mkdir) await fsp.mkdir(dirname(path), { recursive: true });
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path, 'wx');
  } catch (error) {
    throw createError(path, error);
  }
  try {
    let done = 0;
    while (done < bytes.length) done += (await handle.write(bytes, done, bytes.length - done)).bytesWritten;
    if (spec.fsync) await handle.sync();
  } finally {
    await handle.close();
  }
  return { path, rows, bytes: bytes.length, sha256: summary.sha256, summary };
}
