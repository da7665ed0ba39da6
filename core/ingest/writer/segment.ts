import crypto from 'node:crypto';
import fs from 'node:fs';
import type { WriterProperties } from 'parquet-wasm/node';
import { MesDataError } from '../../errors.js';
import { writerProperties } from '../../parquet/wasmRuntime.js';
import { WasmStreamWriter } from '../../parquet/wasmStreamWriter.js';
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
  private readonly writer: WasmStreamWriter;
  private readonly done: Promise<void>;

  /** @param mkdir create the file's folder first */
  constructor(
    readonly path: string,
    private readonly spec: WriterSpec,
    mkdir = false,
  ) {
    const props = stagedFileProperties(spec);
    const fd = createFile(path, mkdir);
    this.writer = new WasmStreamWriter(
      props,
      (chunk) => {
        this.hash.update(chunk);
        writeAll(fd, chunk);
        this.bytes += chunk.length;
      },
      path,
    );
    this.done = this.writer.done
      .then(() => {
        if (this.spec.fsync) fs.fsyncSync(fd);
      })
      .finally(() => fs.closeSync(fd));
    // a failure is reported by close(); until then it must not go unhandled
    this.done.catch(() => {});
  }

  /** Queues a batch (an Arrow IPC stream); resolves once the writer has taken it (that is the back-pressure). */
  append(ipc: Uint8Array): Promise<unknown> {
    const batches = toWasmBatches(ipc);
    this.rows += batches.reduce((sum, b) => sum + b.numRows, 0);
    return this.writer.push(batches);
  }

  /** Finishes the file. Throws WRITE_FAILED (the file removed) when encoding failed. */
  async close(): Promise<WrittenFile> {
    this.writer.end();
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
    await this.writer.abort();
    await this.done.catch(() => undefined);
    fs.rmSync(this.path, { force: true });
  }
}
