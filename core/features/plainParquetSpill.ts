import fs from 'node:fs';
import { MesDataError } from '../errors.js';

/**
 * A scratch Parquet file written as fast as the disk takes it: flat REQUIRED columns of
 * DOUBLE, INT64 or INT32, PLAIN encoding, no compression, one data page per column per row
 * group, no statistics, no logical types. It carries computed feature columns from the JS
 * thread to DuckDB, which reads it in parallel and writes the real file (zstd, typed) with
 * `COPY`. Measured on 4.1M rows × 7 columns: appending the same values to a DuckDB table
 * through the appender took 1.3 s of the JS thread; writing this file takes about 0.2 s.
 * Not for files anyone keeps: NaN stays NaN (the `COPY` turns warm-up NaN into null).
 */

type SpillType = 'DOUBLE' | 'INT64' | 'INT32';

const PHYSICAL: Record<SpillType, number> = { INT32: 1, INT64: 2, DOUBLE: 5 };
const WIDTH: Record<SpillType, number> = { INT32: 4, INT64: 8, DOUBLE: 8 };

/** Thrift compact protocol, only what a Parquet footer and page header need. */
class CompactWriter {
  private bytes: number[] = [];
  private last: number[] = [0];

  private varint(value: number): void {
    let v = value;
    while (v >= 0x80) {
      this.bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.bytes.push(v);
  }

  private zigzag(value: number): void {
    // exact for |value| < 2^52, which covers every size and offset written here
    this.varint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  private header(id: number, type: number): void {
    const top = this.last.length - 1;
    const delta = id - this.last[top];
    if (delta > 0 && delta <= 15) this.bytes.push((delta << 4) | type);
    else {
      this.bytes.push(type);
      this.zigzag(id);
    }
    this.last[top] = id;
  }

  i32(id: number, value: number): this {
    this.header(id, 5);
    this.zigzag(value);
    return this;
  }

  i64(id: number, value: number): this {
    this.header(id, 6);
    this.zigzag(value);
    return this;
  }

  string(id: number, value: string): this {
    this.header(id, 8);
    const utf8 = Buffer.from(value, 'utf8');
    this.varint(utf8.length);
    for (const b of utf8) this.bytes.push(b);
    return this;
  }

  struct(id: number, body: (w: this) => void): this {
    this.header(id, 12);
    this.last.push(0);
    body(this);
    this.bytes.push(0);
    this.last.pop();
    return this;
  }

  /** A list of structs (element type 12) or of i32 (5) / strings (8) via `item`. */
  list<T>(id: number, elementType: number, items: readonly T[], item: (w: this, value: T) => void): this {
    this.header(id, 9);
    if (items.length < 15) this.bytes.push((items.length << 4) | elementType);
    else {
      this.bytes.push(0xf0 | elementType);
      this.varint(items.length);
    }
    for (const value of items) {
      if (elementType === 12) {
        this.last.push(0);
        item(this, value);
        this.bytes.push(0);
        this.last.pop();
      } else item(this, value);
    }
    return this;
  }

  /** A bare list element: an i32 or a string inside `list`. */
  elementI32(value: number): void {
    this.zigzag(value);
  }

  elementString(value: string): void {
    const utf8 = Buffer.from(value, 'utf8');
    this.varint(utf8.length);
    for (const b of utf8) this.bytes.push(b);
  }

  end(): Uint8Array {
    this.bytes.push(0);
    return Uint8Array.from(this.bytes);
  }
}

interface ChunkMeta {
  offset: number;
  size: number;
}

export class PlainParquetSpill {
  private readonly fd: number;
  private open = true;
  private position = 0;
  private readonly buffers: (Float64Array | BigInt64Array | Int32Array)[];
  private buffered = 0;
  private total = 0;
  private readonly groups: { rows: number; chunks: ChunkMeta[] }[] = [];

  /** Opens `file` for writing (it must not exist). Throws IO_ERROR naming the file. */
  constructor(
    readonly file: string,
    private readonly columns: readonly { name: string; type: SpillType }[],
    private readonly rowGroupRows = 131_072,
  ) {
    try {
      this.fd = fs.openSync(file, 'wx');
    } catch (error) {
      throw new MesDataError('IO_ERROR', `cannot create the scratch file ${file}: ${(error as Error).message}`, { path: file });
    }
    this.buffers = columns.map((c) => (c.type === 'DOUBLE' ? new Float64Array(rowGroupRows) : c.type === 'INT64' ? new BigInt64Array(rowGroupRows) : new Int32Array(rowGroupRows)));
    this.write(Buffer.from('PAR1'));
  }

  /** Rows appended so far (written or still buffered). */
  get rows(): number {
    return this.total + (this.open ? this.buffered : 0);
  }

  private write(bytes: Uint8Array): void {
    let done = 0;
    try {
      while (done < bytes.length) done += fs.writeSync(this.fd, bytes, done, bytes.length - done, this.position + done);
    } catch (error) {
      throw new MesDataError('IO_ERROR', `cannot write the scratch file ${this.file}: ${(error as Error).message}`, { path: this.file });
    }
    this.position += bytes.length;
  }

  /** Appends rows `[0, count)` of each column, in the constructor's order. */
  append(values: readonly (Float64Array | BigInt64Array | Int32Array)[], count: number): void {
    let from = 0;
    while (from < count) {
      const n = Math.min(count - from, this.rowGroupRows - this.buffered);
      this.columns.forEach((_, k) => {
        (this.buffers[k] as Float64Array).set((values[k] as Float64Array).subarray(from, from + n), this.buffered);
      });
      this.buffered += n;
      from += n;
      if (this.buffered === this.rowGroupRows) this.flushGroup();
    }
  }

  private flushGroup(): void {
    const rows = this.buffered;
    if (rows === 0) return;
    const chunks = this.columns.map((column, k) => {
      const size = rows * WIDTH[column.type];
      const header = new CompactWriter()
        .i32(1, 0) // DATA_PAGE
        .i32(2, size)
        .i32(3, size)
        .struct(5, (w) => w.i32(1, rows).i32(2, 0).i32(3, 3).i32(4, 3)) // PLAIN values, RLE levels (none: REQUIRED)
        .end();
      const offset = this.position;
      this.write(header);
      const buffer = this.buffers[k];
      this.write(new Uint8Array(buffer.buffer, buffer.byteOffset, size));
      return { offset, size: header.length + size };
    });
    this.groups.push({ rows, chunks });
    this.total += rows;
    this.buffered = 0;
  }

  /** Writes the last row group and the footer, and closes the file. */
  close(): void {
    if (!this.open) return;
    try {
      this.flushGroup();
      const footer = new CompactWriter()
        .i32(1, 1)
        .list(2, 12, [null, ...this.columns], (w, column) => {
          if (column === null) w.string(4, 'schema').i32(5, this.columns.length);
          else w.i32(1, PHYSICAL[column.type]).i32(3, 0).string(4, column.name); // REQUIRED
        })
        .i64(3, this.total)
        .list(4, 12, this.groups, (w, group) => {
          w.list(1, 12, group.chunks, (c, chunk) => {
            const column = this.columns[group.chunks.indexOf(chunk)];
            c.i64(2, chunk.offset).struct(3, (m) =>
              m
                .i32(1, PHYSICAL[column.type])
                .list(2, 5, [0, 3], (x, encoding) => x.elementI32(encoding))
                .list(3, 8, [column.name], (x, name) => x.elementString(name))
                .i32(4, 0) // UNCOMPRESSED
                .i64(5, group.rows)
                .i64(6, chunk.size)
                .i64(7, chunk.size)
                .i64(9, chunk.offset),
            );
          })
            .i64(2, group.chunks.reduce((sum, c) => sum + c.size, 0))
            .i64(3, group.rows);
        })
        .string(6, 'mes-data feature spill')
        .end();
      this.write(footer);
      const tail = Buffer.alloc(8);
      tail.writeUInt32LE(footer.length, 0);
      tail.write('PAR1', 4, 'latin1');
      this.write(tail);
    } finally {
      this.closeFile();
    }
  }

  /** Closes the file without a footer (after a failure, or again after `close`); the caller removes it. */
  abandon(): void {
    this.closeFile();
  }

  private closeFile(): void {
    // once only: a second close of the same number could close a file someone else opened since
    if (!this.open) return;
    this.open = false;
    fs.closeSync(this.fd);
  }
}
