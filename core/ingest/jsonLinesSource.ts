import fs from 'node:fs';
import { NotFoundError, ParseError } from '../errors.js';
import type { SourceColumnInfo } from './columnMapping.js';
import { HashingFileRead, type IngestSource } from './ingestSource.js';
import type { StructuredDialect } from './ingestTypes.js';
import type { SourceBatch, SourceColumnData } from './rowConverter.js';

/**
 * JSON Lines (one flat JSON object per line) as an ingest source. Lines are parsed here
 * rather than by `JSON.parse`, because `JSON.parse` turns numbers into doubles and a
 * nanosecond epoch such as 1704153600123456789 would lose its last digits: every value is
 * kept as its text (strings unescaped in place), and the number and timestamp readers take
 * it from there. Nested objects and arrays are kept as JSON text. The columns are the keys
 * of the first 1,000 lines, in order of appearance; keys that appear only later are ignored.
 */

const SAMPLE_BYTES = 1024 * 1024;
const SAMPLE_LINES = 1000;
const CHUNK_BYTES = 2 * 1024 * 1024;

const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
const QUOTE = 34;
const BACKSLASH = 92;

export function openJsonLinesSource(filePath: string): IngestSource {
  let size: number;
  let head: Buffer;
  try {
    size = fs.statSync(filePath).size;
    const fd = fs.openSync(filePath, 'r');
    try {
      head = Buffer.alloc(Math.min(SAMPLE_BYTES, size));
      fs.readSync(fd, head, 0, head.length, 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    throw new NotFoundError(`cannot read ${filePath}: ${(error as Error).message}`, { path: filePath });
  }
  let start = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  const keys: string[] = [];
  const samples = new Map<string, string[]>();
  let lines = 0;
  const limit = size <= SAMPLE_BYTES ? head.length : head.lastIndexOf(LF) + 1;
  while (start < limit && lines < SAMPLE_LINES) {
    let end = head.indexOf(LF, start);
    if (end < 0 || end > limit) end = limit;
    const fields = new Map<string, [number, number]>();
    const error = parseObjectLine(head, start, lineEnd(head, start, end), (key, s, e) => fields.set(key, [s, e]));
    if (error === null && fields.size > 0) {
      lines++;
      for (const key of fields.keys()) {
        if (!samples.has(key)) {
          keys.push(key);
          samples.set(key, new Array<string>(lines - 1).fill(''));
        }
      }
      for (const key of keys) {
        const range = fields.get(key);
        samples.get(key)?.push(range && range[0] >= 0 ? head.toString('utf8', range[0], range[1]) : '');
      }
    }
    start = end + 1;
  }
  if (keys.length === 0) throw new ParseError(`${filePath} holds no JSON objects in its first lines`, { path: filePath });
  const columns: SourceColumnInfo[] = keys.map((name) => ({ name, kind: 'text', values: samples.get(name) ?? [] }));
  return new JsonLinesSource(filePath, size, columns);
}

class JsonLinesSource implements IngestSource {
  readonly format = 'jsonl' as const;
  readonly dialect: StructuredDialect;
  readonly notation = { decimal: '.' as const, thousands: null };
  readonly hashesWhileReading = true;
  private readonly reading: HashingFileRead;

  constructor(
    filePath: string,
    readonly totalBytes: number,
    readonly columns: SourceColumnInfo[],
  ) {
    this.reading = new HashingFileRead(filePath, CHUNK_BYTES);
    this.dialect = { format: 'jsonl', columns: columns.map((c) => c.name) };
  }

  async *batches(): AsyncGenerator<SourceBatch> {
    const width = this.columns.length;
    const index = new Map(this.columns.map((c, k) => [c.name, k]));
    let carry: Buffer | null = null;
    let line = 1;
    let first = true;
    const split = (buf: Buffer, final: boolean): SourceBatch | null => {
      const starts: number[] = [];
      const ends: number[] = [];
      const lines: number[] = [];
      const errors: (string | null)[] = [];
      let at = 0;
      if (first && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) at = 3;
      first = false;
      for (;;) {
        let end = buf.indexOf(LF, at);
        if (end < 0) {
          if (!final || at >= buf.length) break;
          end = buf.length;
        }
        const stop = lineEnd(buf, at, end);
        if (!isBlank(buf, at, stop)) {
          const base = starts.length;
          for (let c = 0; c < width; c++) {
            starts.push(-1);
            ends.push(-1);
          }
          const error = parseObjectLine(buf, at, stop, (key, s, e) => {
            const k = index.get(key);
            if (k !== undefined) {
              starts[base + k] = s;
              ends[base + k] = e;
            }
          });
          lines.push(line);
          errors.push(error);
        }
        line++;
        at = end + 1;
      }
      carry = at < buf.length ? buf.subarray(at) : null;
      if (lines.length === 0) return null;
      const startArray = Int32Array.from(starts);
      const endArray = Int32Array.from(ends);
      const columns: SourceColumnData[] = this.columns.map((_, c) => ({ kind: 'text', buf, starts: startArray, ends: endArray, stride: width, offset: c }));
      return { rows: lines.length, lines: Float64Array.from(lines), columns, errors: errors.some((e) => e !== null) ? errors : undefined };
    };
    for await (const bytes of this.reading.chunks()) {
      const batch = split(carry ? Buffer.concat([carry, bytes]) : bytes, false);
      if (batch) yield batch;
    }
    if (carry) {
      const batch = split(carry, true);
      if (batch) yield batch;
    }
  }

  get bytesRead(): number {
    return this.reading.bytesRead;
  }

  sha256(): Promise<string> {
    return this.reading.sha256();
  }

  close(): Promise<void> {
    return this.reading.close();
  }
}

function lineEnd(buf: Uint8Array, start: number, end: number): number {
  return end > start && buf[end - 1] === CR ? end - 1 : end;
}

function isBlank(buf: Uint8Array, start: number, end: number): boolean {
  for (let k = start; k < end; k++) if (buf[k] !== SPACE && buf[k] !== TAB) return false;
  return true;
}

function skipSpace(buf: Uint8Array, at: number, end: number): number {
  while (at < end && (buf[at] === SPACE || buf[at] === TAB || buf[at] === CR || buf[at] === LF)) at++;
  return at;
}

/** The position after the string starting at `at` (a quote), and whether it has escapes; -1 when unclosed. */
function scanString(buf: Uint8Array, at: number, end: number): [number, boolean] {
  let escaped = false;
  for (let k = at + 1; k < end; k++) {
    const c = buf[k];
    if (c === BACKSLASH) {
      escaped = true;
      k++;
    } else if (c === QUOTE) return [k + 1, escaped];
  }
  return [-1, escaped];
}

/**
 * Reads one flat JSON object from `buf[start, end)`, calling `field` with each key and the
 * byte range of its value's text (strings unescaped in place; -1 for null). Returns null,
 * or the reason the line is not a JSON object.
 */
function parseObjectLine(buf: Buffer, start: number, end: number, field: (key: string, s: number, e: number) => void): string | null {
  let at = skipSpace(buf, start, end);
  if (buf[at] !== 0x7b) return 'not a JSON object';
  at = skipSpace(buf, at + 1, end);
  if (buf[at] === 0x7d) return skipSpace(buf, at + 1, end) === end ? null : 'text after the JSON object';
  for (;;) {
    if (buf[at] !== QUOTE) return 'malformed JSON: expected a key';
    const [keyEnd, keyEscaped] = scanString(buf, at, end);
    if (keyEnd < 0) return 'malformed JSON: unclosed string';
    const key = keyEscaped ? (JSON.parse(buf.toString('utf8', at, keyEnd)) as string) : buf.toString('utf8', at + 1, keyEnd - 1);
    at = skipSpace(buf, keyEnd, end);
    if (buf[at] !== 0x3a) return 'malformed JSON: expected ":"';
    at = skipSpace(buf, at + 1, end);
    const c = buf[at];
    if (c === QUOTE) {
      const [stop, escaped] = scanString(buf, at, end);
      if (stop < 0) return 'malformed JSON: unclosed string';
      if (escaped) {
        let text: string;
        try {
          text = JSON.parse(buf.toString('utf8', at, stop)) as string;
        } catch {
          return 'malformed JSON: bad escape in a string';
        }
        // the unescaped text is never longer than its escaped form: write it in place
        const written = buf.write(text, at + 1, 'utf8');
        field(key, at + 1, at + 1 + written);
      } else field(key, at + 1, stop - 1);
      at = stop;
    } else if (c === 0x7b || c === 0x5b) {
      const stop = skipNested(buf, at, end);
      if (stop < 0) return 'malformed JSON: unclosed object or array';
      field(key, at, stop);
      at = stop;
    } else {
      let stop = at;
      while (stop < end && buf[stop] !== 0x2c && buf[stop] !== 0x7d && buf[stop] !== SPACE && buf[stop] !== TAB) stop++;
      if (stop === at) return 'malformed JSON: expected a value';
      const token = buf.toString('latin1', at, stop);
      if (token === 'null') field(key, -1, -1);
      else if (token === 'true' || token === 'false' || /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(token)) field(key, at, stop);
      else return `malformed JSON: unexpected ${JSON.stringify(token.slice(0, 20))}`;
      at = stop;
    }
    at = skipSpace(buf, at, end);
    if (buf[at] === 0x2c) {
      at = skipSpace(buf, at + 1, end);
      continue;
    }
    if (buf[at] === 0x7d) return skipSpace(buf, at + 1, end) === end ? null : 'text after the JSON object';
    return 'malformed JSON: expected "," or "}"';
  }
}

/** The position after a nested object or array starting at `at`, or -1. */
function skipNested(buf: Uint8Array, at: number, end: number): number {
  let depth = 0;
  for (let k = at; k < end; k++) {
    const c = buf[k];
    if (c === QUOTE) {
      const [stop] = scanString(buf, k, end);
      if (stop < 0) return -1;
      k = stop - 1;
    } else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return k + 1;
    }
  }
  return -1;
}
