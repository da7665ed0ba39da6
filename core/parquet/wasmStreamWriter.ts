import type { RecordBatch as WasmBatch, WriterProperties } from 'parquet-wasm/node';
import { MesDataError } from '../errors.js';
import { notePanic, wasm } from './wasmRuntime.js';

/**
 * A parquet-wasm stream writer fed record batch by record batch: the encoder pulls one batch
 * at a time from a queue (a `push` resolves once its batches are taken, which is the
 * back-pressure), and every encoded chunk goes to `sink` as it comes, so a file never has to
 * be whole in memory. Used by ingest's staged files and by promotion's own writer.
 */
export class WasmStreamWriter {
  private readonly queue: { batch: WasmBatch; ack: () => void }[] = [];
  private wake: (() => void) | null = null;
  private ended = false;
  private failure: unknown = null;
  /** Settles when the encoder has ended: every chunk given to `sink`, or the encoder's error. */
  readonly done: Promise<void>;

  /** @param target the file written, for messages */
  constructor(
    props: WriterProperties,
    sink: (chunk: Uint8Array) => void,
    private readonly target: string,
  ) {
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
    this.done = drain(wasm.transformParquetStream(input as never, props), sink);
    // a failure is reported by whoever awaits `done`; until then it must not go unhandled
    this.done.catch(() => {});
  }

  /** Queues batches; resolves once the encoder has taken all of them, rejects (INTERNAL) when it ended first. */
  push(batches: WasmBatch[]): Promise<unknown> {
    const taken = Promise.all(
      batches.map(
        (batch) =>
          new Promise<void>((resolve) => {
            this.queue.push({ batch, ack: resolve });
            this.poke();
          }),
      ),
    );
    // an encoder that failed takes nothing more: its failure instead of a wait
    const failed = this.done.then(() => {
      throw new MesDataError('INTERNAL', `the writer of ${this.target} ended before taking every batch`, { path: this.target });
    });
    failed.catch(() => {});
    return Promise.race([taken, failed]);
  }

  /** No more batches: the encoder writes the footer once the queue is taken. */
  end(): void {
    this.ended = true;
    this.poke();
  }

  /** Fails the stream on purpose, freeing what is queued; resolves once the encoder has stopped. */
  async abort(): Promise<void> {
    this.failure = new Error('aborted');
    for (const item of this.queue.splice(0)) {
      item.batch.free();
      item.ack();
    }
    this.poke();
    await this.done.catch(() => undefined);
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = null;
    if (wake) wake();
  }
}

async function drain(output: Promise<ReadableStream>, sink: (chunk: Uint8Array) => void): Promise<void> {
  try {
    const stream = await output;
    for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) sink(chunk);
  } catch (error) {
    notePanic(error);
    throw error;
  }
}
