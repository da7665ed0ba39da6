import { ParseError } from '../errors.js';

/**
 * A CSV/TSV record splitter specialised for one sniffed dialect, working on raw UTF-8
 * bytes: it finds field boundaries and leaves the bytes where they are (no string per
 * field), so numbers and timestamps are parsed straight from the buffer. Quoted fields
 * (RFC 4180: delimiters, doubled quotes and line breaks inside quotes) are unescaped in
 * place, which only ever shortens them. A record cut by the end of a chunk is carried over
 * to the next push, so any chunking of the input gives the same records.
 */

const QUOTE = 34;
const LF = 10;
const CR = 13;

/** A record longer than this (an unclosed quote, most likely) stops the read. */
const MAX_RECORD_BYTES = 16 * 1024 * 1024;

/** The records of one chunk: field `c` of row `r` is `buf[starts[r*width+c], ends[r*width+c])`. */
export interface FieldBatch {
  rows: number;
  /** Fields stored per row (the dialect's column count); extra fields are counted, not stored. */
  width: number;
  buf: Uint8Array;
  starts: Int32Array;
  ends: Int32Array;
  /** Fields each row actually had. */
  fieldCounts: Int32Array;
  /** 1-based line on which each row starts. */
  lines: Float64Array;
  /** Rows whose last quoted field never closed (only at the end of the input): 1, else 0. */
  unterminated: Uint8Array;
}

export interface SplitterDialect {
  delimiter: string;
  lineEnding: 'lf' | 'crlf' | 'cr';
}

export class CsvSplitter {
  private readonly delimiter: number;
  private readonly newline: number;
  private readonly stripCr: boolean;
  private readonly width: number;
  private leftover: Uint8Array | null = null;
  /** Line number of the next record's first byte. */
  private line: number;
  private starts: Int32Array;
  private ends: Int32Array;
  private fieldCounts: Int32Array;
  private lines: Float64Array;
  private unterminated: Uint8Array;
  private capacity: number;
  /** Fields of the current record that need unescaping. */
  private readonly pending: Int32Array;

  constructor(dialect: SplitterDialect, width: number, firstLine = 1) {
    if (dialect.delimiter.length !== 1) throw new ParseError(`the delimiter must be one character, got ${JSON.stringify(dialect.delimiter)}`);
    this.delimiter = dialect.delimiter.charCodeAt(0);
    this.newline = dialect.lineEnding === 'cr' ? CR : LF;
    this.stripCr = dialect.lineEnding !== 'cr';
    this.width = Math.max(1, width);
    this.line = firstLine;
    this.capacity = 0;
    this.pending = new Int32Array(this.width);
    this.starts = new Int32Array(0);
    this.ends = new Int32Array(0);
    this.fieldCounts = new Int32Array(0);
    this.lines = new Float64Array(0);
    this.unterminated = new Uint8Array(0);
  }

  /** The line the next record starts on. */
  get nextLine(): number {
    return this.line;
  }

  /**
   * Splits the complete records of `chunk` (after any carried-over bytes). The batch's
   * arrays are reused by the next push: consume it first. Throws PARSE_ERROR for a record
   * over MAX_RECORD_BYTES.
   */
  push(chunk: Uint8Array): FieldBatch {
    let buf = chunk;
    if (this.leftover) {
      buf = new Uint8Array(this.leftover.length + chunk.length);
      buf.set(this.leftover, 0);
      buf.set(chunk, this.leftover.length);
      this.leftover = null;
    }
    return this.split(buf, false);
  }

  /** Splits what is left once the input has ended (a last record without a line break). */
  end(): FieldBatch {
    const buf = this.leftover ?? new Uint8Array(0);
    this.leftover = null;
    return this.split(buf, true);
  }

  private ensureCapacity(rows: number): void {
    if (rows <= this.capacity) return;
    const capacity = Math.max(rows, this.capacity * 2, 1024);
    const grow = <T extends Int32Array | Float64Array | Uint8Array>(old: T, make: (n: number) => T, per: number): T => {
      const next = make(capacity * per);
      next.set(old.subarray(0, this.capacity * per));
      return next;
    };
    this.starts = grow(this.starts, (n) => new Int32Array(n), this.width);
    this.ends = grow(this.ends, (n) => new Int32Array(n), this.width);
    this.fieldCounts = grow(this.fieldCounts, (n) => new Int32Array(n), 1);
    this.lines = grow(this.lines, (n) => new Float64Array(n), 1);
    this.unterminated = grow(this.unterminated, (n) => new Uint8Array(n), 1);
    this.capacity = capacity;
  }

  private split(buf: Uint8Array, final: boolean): FieldBatch {
    const n = buf.length;
    const delimiter = this.delimiter;
    const newline = this.newline;
    const stripCr = this.stripCr;
    const width = this.width;
    const pending = this.pending;
    // a rough guess of the rows in this chunk; grown on demand
    // (each field takes at least one byte with its delimiter, which bounds wide files)
    this.ensureCapacity(Math.min(Math.ceil(n / Math.max(24, 2 * width)) + 16, 1 << 20));
    let starts = this.starts;
    let ends = this.ends;
    let row = 0;
    let i = 0;
    let line = this.line;

    records: while (i < n) {
      const recordStart = i;
      const recordLine = line;
      if (row >= this.capacity) {
        this.ensureCapacity(row + 1);
        starts = this.starts;
        ends = this.ends;
      }
      const base = row * width;
      let field = 0;
      let open = false;
      let pendingCount = 0;
      for (;;) {
        let fieldStart = i;
        let fieldEnd: number;
        if (i < n && buf[i] === QUOTE) {
          // find the closing quote first, writing nothing: a record cut by the end of the
          // chunk is parsed again from its raw bytes once the rest arrives
          let j = i + 1;
          let escaped = false;
          for (;;) {
            if (j >= n) {
              open = final;
              break;
            }
            const c = buf[j];
            if (c === QUOTE) {
              if (j + 1 < n && buf[j + 1] === QUOTE) {
                escaped = true;
                j += 2;
                continue;
              }
              if (j + 1 >= n && !final) {
                j = n;
                break;
              }
              break;
            }
            if (c === newline) line++;
            j++;
          }
          if (j >= n && !final) {
            this.carry(buf, recordStart, recordLine);
            line = recordLine;
            break records;
          }
          const closing = j;
          i = open ? n : j + 1;
          // text after the closing quote, up to the delimiter, belongs to the field (lenient)
          while (i < n && buf[i] !== delimiter && buf[i] !== newline) i++;
          fieldStart += 1;
          const plain = !escaped && !open && (i === closing + 1 || (stripCr && i === closing + 2 && buf[closing + 1] === CR && (i >= n || buf[i] === newline)));
          if (plain) {
            fieldEnd = closing;
          } else {
            // unescaped once the whole record is known (below)
            fieldEnd = i;
            if (field < width) pending[pendingCount++] = field;
          }
        } else {
          while (i < n) {
            const c = buf[i];
            if (c === delimiter || c === newline) break;
            i++;
          }
          fieldEnd = i;
          if (stripCr && fieldEnd > fieldStart && buf[fieldEnd - 1] === CR && (i < n ? buf[i] === newline : final)) fieldEnd--;
        }
        if (i >= n && !final) {
          this.carry(buf, recordStart, recordLine);
          line = recordLine;
          break records;
        }
        if (field < width) {
          starts[base + field] = fieldStart;
          ends[base + field] = fieldEnd;
        }
        field++;
        if (i < n && buf[i] === delimiter) {
          i++;
          if (i >= n && final) {
            // a trailing delimiter at the very end: one more, empty field
            if (field < width) {
              starts[base + field] = n;
              ends[base + field] = n;
            }
            field++;
            break;
          }
          continue;
        }
        // end of record: a line break, or the end of the final input
        if (i < n) i++;
        line++;
        break;
      }
      for (let k = 0; k < pendingCount; k++) {
        const f = pending[k];
        ends[base + f] = unescapeQuoted(buf, starts[base + f], ends[base + f], stripCr);
      }
      if (field === 1 && starts[base] === ends[base] && !open) continue; // a blank line
      this.fieldCounts[row] = field;
      this.lines[row] = recordLine;
      this.unterminated[row] = open ? 1 : 0;
      row++;
    }
    this.line = line;
    return {
      rows: row,
      width,
      buf,
      starts: this.starts,
      ends: this.ends,
      fieldCounts: this.fieldCounts,
      lines: this.lines,
      unterminated: this.unterminated,
    };
  }

  private carry(buf: Uint8Array, from: number, line: number): void {
    if (buf.length - from > MAX_RECORD_BYTES) {
      throw new ParseError(`a record starting on line ${line} is longer than ${MAX_RECORD_BYTES / 1024 / 1024} MiB; is a quote left open?`, {
        line,
        maxRecordBytes: MAX_RECORD_BYTES,
      });
    }
    // a copy (Buffer#slice would be a view): the caller's chunk may be reused once we return
    this.leftover = Uint8Array.prototype.slice.call(buf, from);
  }
}

/**
 * Rewrites a quoted field in place, from just after its opening quote up to its terminator:
 * doubled quotes become one, the closing quote goes, text after it stays, and a CR before
 * the line break goes. Returns the new end.
 */
function unescapeQuoted(buf: Uint8Array, start: number, end: number, stripCr: boolean): number {
  let write = start;
  let quoted = true;
  for (let k = start; k < end; k++) {
    const c = buf[k];
    if (quoted) {
      if (c === QUOTE) {
        if (k + 1 < end && buf[k + 1] === QUOTE) {
          buf[write++] = QUOTE;
          k++;
        } else quoted = false;
        continue;
      }
      buf[write++] = c;
    } else if (!(stripCr && c === CR && k === end - 1)) {
      buf[write++] = c;
    }
  }
  return write;
}
