import fs from 'node:fs/promises';
import { CorruptedFileError } from '../errors.js';

/**
 * Marks a nanosecond timestamp column of a Parquet file written by DuckDB as UTC.
 *
 * DuckDB has no zone-aware nanosecond type: it writes TIMESTAMP_NS as TIMESTAMP(NANOS,
 * isAdjustedToUTC=false), and would truncate a zone-aware value to microseconds. Feature rows
 * of ticks carry their source's exact nanoseconds, so DuckDB writes them as TIMESTAMP_NS and
 * this flips the one flag in the footer: in Thrift's compact protocol a boolean field is its
 * header byte (type 2 = false, 1 = true), so the change is one byte in place and nothing
 * moves. Any reader then sees TIMESTAMP(NANOS, UTC), as our own writer makes it.
 */

const T_TRUE = 1;
const T_FALSE = 2;

class FooterReader {
  pos = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly file: string,
  ) {}

  private fail(what: string): never {
    throw new CorruptedFileError(`${this.file}: the Parquet footer cannot be read (${what} at byte ${this.pos})`, { file: this.file });
  }

  byte(): number {
    if (this.pos >= this.bytes.length) this.fail('it ends early');
    return this.bytes[this.pos++];
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    return this.fail('a varint runs too long');
  }

  binary(): Uint8Array {
    const length = this.varint();
    if (this.pos + length > this.bytes.length) this.fail('a string runs past its end');
    const value = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return value;
  }

  /** Skips a value of compact type `type` (booleans in a struct carry no payload). */
  skip(type: number, depth = 0): void {
    if (depth > 64) this.fail('nesting is too deep');
    switch (type) {
      case T_TRUE:
      case T_FALSE:
        return;
      case 3:
        this.byte();
        return;
      case 4:
      case 5:
      case 6:
        this.varint();
        return;
      case 7:
        this.pos += 8;
        return;
      case 8:
        this.binary();
        return;
      case 9:
      case 10: {
        const { size, elementType } = this.listHeader();
        // booleans inside a list are one byte each
        for (let i = 0; i < size; i++) {
          if (elementType === T_TRUE || elementType === T_FALSE) this.byte();
          else this.skip(elementType, depth + 1);
        }
        return;
      }
      case 11: {
        const size = this.varint();
        if (size === 0) return;
        const kinds = this.byte();
        for (let i = 0; i < size; i++) {
          this.skip(kinds >> 4, depth + 1);
          this.skip(kinds & 0x0f, depth + 1);
        }
        return;
      }
      case 12:
        this.struct(() => false, depth + 1);
        return;
      default:
        this.fail(`unknown type ${type}`);
    }
  }

  listHeader(): { size: number; elementType: number } {
    const header = this.byte();
    const elementType = header & 0x0f;
    const size = header >> 4 === 15 ? this.varint() : header >> 4;
    return { size, elementType };
  }

  /**
   * Walks a struct: `onField(id, type, headerAt)` reads the field itself and answers true,
   * or answers false to have it skipped.
   */
  struct(onField: (id: number, type: number, headerAt: number) => boolean, depth = 0): void {
    let last = 0;
    for (;;) {
      const headerAt = this.pos;
      const header = this.byte();
      if (header === 0) return;
      const type = header & 0x0f;
      const delta = header >> 4;
      let id = last + delta;
      if (delta === 0) {
        // long form: the id follows as a zigzag varint
        const zigzag = this.varint();
        id = zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
      }
      last = id;
      if (!onField(id, type, headerAt)) this.skip(type, depth);
    }
  }
}

/**
 * Sets isAdjustedToUTC on the TIMESTAMP logical type of the top-level column `column` of
 * `file` (absolute), in place. Throws CORRUPTED_FILE naming the file when the footer cannot
 * be read or the column has no TIMESTAMP logical type.
 */
export async function markTimestampColumnUtc(file: string, column: string): Promise<void> {
  const handle = await fs.open(file, 'r+');
  try {
    const { size } = await handle.stat();
    const tail = Buffer.alloc(8);
    await handle.read(tail, 0, 8, size - 8);
    if (size < 12 || tail.toString('latin1', 4) !== 'PAR1') throw new CorruptedFileError(`${file} is not a Parquet file (no PAR1 at its end)`, { file });
    const footerLength = tail.readUInt32LE(0);
    const footerStart = size - 8 - footerLength;
    if (footerStart < 4) throw new CorruptedFileError(`${file}: its footer length ${footerLength} does not fit in ${size} bytes`, { file });
    const footer = Buffer.alloc(footerLength);
    await handle.read(footer, 0, footerLength, footerStart);
    const reader = new FooterReader(footer, file);
    const wanted = Buffer.from(column, 'utf8');
    let flagAt = -1;
    reader.struct((id, type) => {
      if (id !== 2 || type !== 9) return false;
      const { size: count } = reader.listHeader();
      for (let k = 0; k < count; k++) {
        const element = { name: null as Uint8Array | null, flag: -1 };
        reader.struct((field, fieldType) => {
          if (field === 4 && fieldType === 8) {
            element.name = reader.binary();
            return true;
          }
          if (field !== 10 || fieldType !== 12) return false;
          // LogicalType is a union: 8 is TIMESTAMP, whose field 1 is isAdjustedToUTC
          reader.struct((kind, kindType) => {
            if (kind !== 8 || kindType !== 12) return false;
            reader.struct((timestampField, timestampType, headerAt) => {
              if (timestampField === 1 && (timestampType === T_TRUE || timestampType === T_FALSE)) element.flag = headerAt;
              return false;
            });
            return true;
          });
          return true;
        });
        if (element.name !== null && element.flag >= 0 && wanted.equals(element.name)) flagAt = element.flag;
      }
      return true;
    });
    if (flagAt < 0) throw new CorruptedFileError(`${file}: column "${column}" has no TIMESTAMP logical type to mark as UTC`, { file, column });
    const header = footer[flagAt];
    if ((header & 0x0f) === T_TRUE) return;
    await handle.write(Buffer.from([(header & 0xf0) | T_TRUE]), 0, 1, footerStart + flagAt);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
