import { isMainThread } from 'node:worker_threads';
import { MesDataError } from '../../errors.js';
import { isPoisoned, notePanic } from '../../parquet/wasmRuntime.js';
import { serveOperations } from '../../threads/serveOperations.js';
import type { OperationHandlers } from '../../threads/threadProtocol.js';
import type { WriterOperations, WriterState } from '../parquetWriterProtocol.js';
import { mergePieces } from './mergePieces.js';
import { Segment } from './segment.js';
import { spill } from './spillFile.js';
import { writeWholeFile } from './wholeFile.js';

/**
 * The ingest's Parquet writer thread (its parent: core/ingest/parquetStreamWriter.ts). It
 * encodes partitions as they are read, in row groups (segments), writes small ones whole,
 * keeps out-of-order batches in spill files and merges pieces into one file. Encoding here,
 * off the parsing thread, puts the second core to work, and a WebAssembly panic ends this
 * thread, never the caller.
 */
if (isMainThread) throw new Error('writerThread must run as a worker thread');

const segments = new Map<number, Segment>();

function openSegment(segment: number): Segment {
  const open = segments.get(segment);
  if (!open) throw new MesDataError('INTERNAL', `segment ${segment} is not open`, { segment });
  return open;
}

/** Every operation refuses to start once a panic poisoned the thread. */
function unlessPoisoned<Ops extends WriterOperations>(handlers: OperationHandlers<Ops>): OperationHandlers<Ops> {
  const guarded = {} as Record<string, (args: unknown) => unknown>;
  for (const [op, handler] of Object.entries(handlers) as [string, (args: unknown) => unknown][]) {
    guarded[op] = (args) => {
      if (isPoisoned()) throw new MesDataError('INTERNAL', 'the Parquet writer is being restarted');
      return handler(args);
    };
  }
  return guarded as OperationHandlers<Ops>;
}

serveOperations<WriterOperations, WriterState>(
  unlessPoisoned<WriterOperations>({
    open: ({ segment, path, spec, mkdir }) => {
      if (segments.has(segment)) throw new MesDataError('INTERNAL', `segment ${segment} is already open`, { segment, path });
      segments.set(segment, new Segment(path, spec, mkdir));
      return {};
    },
    append: async ({ segment, ipc }) => {
      await openSegment(segment).append(ipc);
      return {};
    },
    close: ({ segment }) => {
      const open = openSegment(segment);
      segments.delete(segment);
      return open.close();
    },
    write: ({ path, spec, columns, rows, mkdir }) => writeWholeFile(path, spec, columns, rows, mkdir),
    spill: ({ path, ipc }) => spill(path, ipc),
    merge: ({ path, spec, pieces }) => mergePieces(path, spec, pieces),
    // test hook: proves a dying writer fails its requests with an error naming their files
    crash: () => process.exit(3),
  }),
  {
    name: 'the Parquet writer',
    state: () => ({ poisoned: isPoisoned() }),
    otherErrors: 'WRITE_FAILED',
    onError: notePanic,
  },
);
