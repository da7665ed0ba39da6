import fs from 'node:fs';
import path from 'node:path';
import { DateDay, Field, makeData, makeVector, Schema, Table, tableToIPC, Type } from 'apache-arrow';
import type { RecordBatch as WasmBatch } from 'parquet-wasm/node';
import { MesDataError } from '../errors.js';
import { normalizeForParquet } from '../parquet/normalizeForParquet.js';
import { wasm, writerProperties } from '../parquet/wasmRuntime.js';
import { WasmStreamWriter } from '../parquet/wasmStreamWriter.js';
import { CREATED_BY, DEFAULT_ROW_GROUP_SIZE, type Compression } from '../parquet/writeParquet.js';
import { assertSafeInOpenStores } from '../store/storePaths.js';
import type { VersionWriteContext } from '../store/versionCommit.js';

/**
 * One cleaned Parquet file of a version written piece by piece, for our own writer (data with
 * sub-microsecond times, or columns the gate converted): a parquet-wasm stream writer in this
 * thread takes the rows a slice at a time, its bytes going straight to the file, so a date of
 * 20 million ticks is never whole in memory (`ctx.writeParquet` encodes a whole table at once:
 * the table, its Arrow IPC copy and the encoder's copy of both, 2.7 GB for that date).
 *
 * The file is what `ctx.writeParquet` writes: the same writer properties (codec, row groups
 * of 122,880 rows, delta-encoded timestamps, the version's key facts, `created_by`), the
 * table's Iceberg field id on every column, and a file below a `date=` folder without a
 * `date` column gets one (Date32, the folder's date) as its last column. The commit syncs,
 * hashes and reads the footer of it like every other file of the version.
 *
 * This thread is a job thread (or a test): parquet-wasm's memory never shrinks, and the
 * thread's end gives it back.
 */
export class StreamedParquetFile {
  private writer: WasmStreamWriter | null = null;
  private done: Promise<void> | null = null;
  private fieldIds: Record<string, number> | null = null;
  private readonly folderDays: number | null;
  private readonly target: string;
  rows = 0;

  constructor(
    private readonly ctx: VersionWriteContext,
    readonly relativePath: string,
    private readonly compression: Compression,
  ) {
    this.target = path.join(ctx.dir, ...relativePath.split('/'));
    const date = /^date=(\d{4}-\d{2}-\d{2})\//.exec(relativePath)?.[1];
    this.folderDays = date ? Math.round(Date.parse(`${date}T00:00:00Z`) / 86_400_000) : null;
  }

  /** The rows as the file holds them: the folder's date added when missing, the field ids in the field metadata. */
  private prepare(table: Table): Table {
    let rows = table;
    if (this.folderDays !== null && !rows.schema.fields.some((f) => f.name === 'date')) {
      const days = new Int32Array(rows.numRows).fill(this.folderDays);
      rows = rows.assign(new Table({ date: makeVector(makeData({ type: new DateDay(), length: rows.numRows, nullCount: 0, data: days })) }));
    }
    rows = normalizeForParquet(rows);
    this.fieldIds ??= this.ctx.fieldIds(rows.schema.fields.map((f) => f.name));
    const ids = this.fieldIds;
    const fields = rows.schema.fields.map((field) => new Field(field.name, field.type, field.nullable, new Map([...field.metadata, ['PARQUET:field_id', String(ids[field.name])]])));
    return new Table(new Schema(fields, rows.schema.metadata), rows.batches);
  }

  private open(first: Table): void {
    assertSafeInOpenStores(this.target);
    fs.mkdirSync(path.dirname(this.target), { recursive: true });
    let fd: number;
    try {
      fd = fs.openSync(this.target, 'wx');
    } catch (error) {
      throw new MesDataError('IO_ERROR', `cannot create ${this.target}: ${(error as Error).message}`, { path: this.target });
    }
    // as writeParquet: timestamps delta-encoded, without a dictionary
    const deltaColumns = first.schema.fields.filter((f) => f.typeId === Type.Timestamp).map((f) => f.name);
    const props = writerProperties({ compression: this.compression, rowGroupSize: DEFAULT_ROW_GROUP_SIZE, createdBy: CREATED_BY, keyValue: this.ctx.keyValue, deltaColumns });
    this.writer = new WasmStreamWriter(
      props,
      (chunk) => {
        let written = 0;
        while (written < chunk.length) written += fs.writeSync(fd, chunk, written, chunk.length - written);
      },
      this.target,
    );
    this.done = this.writer.done.finally(() => fs.closeSync(fd));
    // a failure is reported by close(); until then it must not go unhandled
    this.done.catch(() => {});
  }

  /** Appends rows (a slice of a cleaned date, in order); resolves once the encoder has taken them. */
  async append(table: Table): Promise<void> {
    if (table.numRows === 0) return;
    const rows = this.prepare(table);
    if (this.done === null) this.open(rows);
    const wasmTable = wasm.Table.fromIPCStream(tableToIPC(rows, 'stream'));
    let batches: WasmBatch[];
    try {
      batches = wasmTable.recordBatches();
    } finally {
      wasmTable.free();
    }
    this.rows += rows.numRows;
    await (this.writer as WasmStreamWriter).push(batches);
  }

  /** Finishes the file (no file when no row came). Throws WRITE_FAILED, the file removed, when encoding failed. */
  async close(): Promise<number> {
    if (this.writer === null || this.done === null) return 0;
    this.writer.end();
    try {
      await this.done;
    } catch (error) {
      fs.rmSync(this.target, { force: true });
      throw new MesDataError('WRITE_FAILED', `cannot encode ${this.target} as Parquet: ${error instanceof Error ? error.message : String(error)}`, { path: this.target });
    }
    return this.rows;
  }

  /** Stops writing and removes the file. */
  async abort(): Promise<void> {
    await this.writer?.abort();
    await this.done?.catch(() => undefined);
    fs.rmSync(this.target, { force: true });
  }
}
