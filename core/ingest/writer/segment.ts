import crypto from 'node:crypto';
import fs from 'node:fs';
import type { RecordBatch as WasmBatch, WriterProperties } from 'parquet-wasm/node';
import { MesDataError } from '../../errors.js';
import { notePanic, wasm, writerProperties } from '../../parquet/wasmRuntime.js';
import type { WriterSpec, WrittenFile } from '../parquetWriterProtocol.js';
import { toWasmBatches } from './arrowBatches.js';
import { createFile, messageOf, writeAll } from './newFile.js';

/**
 * Parquet writer properties of a staged file. The timestamp column skips dictionary
 * encoding (its values are all different) and is delta-encoded: for regular bars that
 * halves the file and the encoding time.
 */
export function stagedFileProperties(spec: WriterSpec): WriterProperties {
  const deltaColumns = spec.fields.filter((f) => f.type === 'timestamp' || f.type === 'timestamp_us').map((f) => f.name);
  return writerProperties({ ...spec, deltaColumns });
}

/**
 * A file being written from a stream of record batches: a parquet-wasm stream writer fed
 * batch by batch, its bytes going straight to the file and through SHA-256, so a partition
 * never has to be whole in memory.
 */
export class Segment {
  rows = 0;
  bytes = 0;
  private readonly hash = crypto.createHash('sha256');
  private readonly queue: { batch: WasmBatch; ack: () => void }[] = [];
  private wake: (() => void) | null = null;
  private ended = false;
  private failure: unknown = null;
  private readonly fd: number;
  private readonly done: Promise<void>;

  /** @param mkdir create the file's folder first */
  constructor(
    readonly path: string,
    private readonly spec: WriterSpec,
    mkdir = false,
  ) {
    const props = stagedFileProperties(spec);
    this.fd = createFile(path, mkdir);
    const input = new ReadableStream<WasmBatch>(
      {
        pull: async (controller) => {
          while (this.queue.length === 0 && !this.ended && !this.failure) {
            await new Promise<void>((resolve) => {
              this.wake = resolve;
            });
          }
          if (this.failure) {
            controller.error(this.failure);
            return;
          }
          const next = this.queue.shift();
          if (next) {
            controller.enqueue(next.batch);
            next.ack();
          } else controller.close();
        },
      },
      { highWaterMark: 0 },
    );
    this.done = this.drain(wasm.transformParquetStream(input as never, props));
    // a failure is reported by close(); until then it must not go unhandled
    this.done.catch(() => {});
  }

  private async drain(output: Promise<ReadableStream>): Promise<void> {
    try {
      const stream = await output;
      for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
        this.hash.update(chunk);
        writeAll(this.fd, chunk);
        this.bytes += chunk.length;
      }
      if (this.spec.fsync) fs.fsyncSync(this.fd);
    } catch (error) {
      notePanic(error);
      throw error;
    } finally {
      fs.closeSync(this.fd);
    }
  }

  /** Queues a batch (an Arrow IPC stream); resolves once the writer has taken it (that is the back-pressure). */
  append(ipc: Uint8Array): Promise<unknown> {
    const batches = toWasmBatches(ipc);
    this.rows += batches.reduce((sum, b) => sum + b.numRows, 0);
    const taken = Promise.all(
      batches.map(
        (batch) =>
          new Promise<void>((resolve) => {
            this.queue.push({ batch, ack: resolve });
            this.poke();
          }),
      ),
    );
    // a writer that failed takes nothing more: report its failure instead of waiting
    const failed = this.done.then(() => {
      throw new MesDataError('INTERNAL', `the writer of ${this.path} ended before taking every batch`, { path: this.path });
    });
    failed.catch(() => {});
    return Promise.race([taken, failed]);
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = null;
    if (wake) wake();
  }

  /** Finishes the file. Throws WRITE_FAILED (the file removed) when encoding failed. */
  async close(): Promise<WrittenFile> {
    this.ended = true;
    this.poke();
    try {
      await this.done;
    } catch (error) {
      fs.rmSync(this.path, { force: true });
      throw new MesDataError('WRITE_FAILED', `cannot encode ${this.path} as Parquet: ${messageOf(error)}`, { path: this.path, reason: messageOf(error) });
    }
    return { path: this.path, rows: this.rows, bytes: this.bytes, sha256: this.hash.digest('hex') };
  }

  /** Stops writing and removes the file. */
  async abort(): Promise<void> {
    this.failure = new Error('aborted');
    for (const item of this.queue.splice(0)) {
      item.batch.free();
      item.ack();
    }
    this.poke();
    try {
      await this.done;
    } catch {
      // expected: the stream was failed on purpose
    }
    fs.rmSync(this.path, { force: true });
  }
}
