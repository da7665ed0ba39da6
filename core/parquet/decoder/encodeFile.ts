import path from 'node:path';
import { MesDataError } from '../../errors.js';
import { errnoOf, replaceFileDurable } from '../../store/durableFs.js';
import type { DecoderOperations } from '../decoderProtocol.js';
import { checkCompression, isPoisoned, notePanic, wasm, writerProperties } from '../wasmRuntime.js';
import { dropCached } from './fileCache.js';
import { messageOf } from './footer.js';

type WriteArgs = DecoderOperations['write']['args'];

/**
 * Encodes an Arrow IPC stream to Parquet and replaces `filePath` with it atomically and
 * durably (core/store/durableFs.ts). Throws BAD_REQUEST for an unknown codec, WRITE_FAILED
 * when encoding fails, NOT_FOUND when the folder is missing, IO_ERROR for other failures.
 */
export async function encodeFile(filePath: string, args: WriteArgs): Promise<{ path: string; bytes: number }> {
  if (isPoisoned()) throw new MesDataError('INTERNAL', 'decoder is being restarted');
  checkCompression(args.compression);
  let bytes: Uint8Array;
  try {
    // the table before the properties (see core/ingest/writer/wholeFile.ts: the calls' order decides the footer's bytes)
    const table = wasm.Table.fromIPCStream(args.ipc);
    bytes = wasm.writeParquet(table, writerProperties({ ...args, deltaColumns: args.deltaColumns ?? [] }));
  } catch (error) {
    if (error instanceof MesDataError) throw error;
    notePanic(error);
    throw new MesDataError('WRITE_FAILED', `cannot encode ${filePath} as Parquet: ${messageOf(error)}`, { path: filePath, reason: messageOf(error) });
  }
  const absolute = path.resolve(filePath);
  try {
    await replaceFileDurable(absolute, bytes);
  } catch (error) {
    const errno = errnoOf(error);
    throw new MesDataError(errno === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR', `cannot write ${filePath}: ${messageOf(error)}`, { path: filePath, errno });
  }
  dropCached(absolute);
  return { path: filePath, bytes: bytes.length };
}
