import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs/promises';
import { parquetMetadata } from 'hyparquet';
import { CorruptedFileError } from '../errors.js';

/**
 * The Parquet footer, read and edited in plain JavaScript: what the store records about a
 * file (rows, row groups, codec, key-value metadata, SHA-256 of its bytes and of its
 * content) from one read of the file, and the key-value metadata of a file replaced in its
 * footer without touching the column chunks.
 *
 * Why by hand: DuckDB's partitioned `COPY … (PARTITION_BY …)` writes one file per trading
 * date but the same `KV_METADATA` into all of them, while every raw file must say its own
 * date (`mes_data.date`). Rewriting a footer costs one small write per file; decoding and
 * re-encoding the file through a Parquet library costs about 10 ms per file (30 s for
 * 3,000 dates), which is what the store paid before.
 */

const MAGIC = 'PAR1';

/** What the store records about a Parquet file. */
export interface ParquetFileSummary {
  bytes: number;
  /** SHA-256 of the file's bytes, hex. */
  sha256: string;
  /**
   * SHA-256 of what the file holds: the bytes before the footer (the column chunks), then
   * the columns (name, Arrow type, nullability), the row-group sizes and the key-value
   * metadata sorted by key, leaving out the keys that describe where the rows came from
   * (`mes_data.source_*`, `mes_data.mapping`, `mes_data.dialect`, `mes_data.timezone`,
   * `mes_data.session`): one trading date of a corrected source file, unchanged itself,
   * keeps its digest though the source's hash changed.
   */
  contentSha256: string;
  rows: number;
  rowGroups: number;
  /** Codec of every column chunk, Parquet's words (`ZSTD`, `SNAPPY`, …). */
  codecs: string[];
  keyValue: Record<string, string>;
  /** `name:ArrowType:nullable` per top-level column. */
  columns: string[];
}

interface FooterParts {
  size: number;
  /** Offset of the footer (the Thrift FileMetaData). */
  footerStart: number;
  footer: Uint8Array;
}

async function readFooter(handle: fs.FileHandle, filePath: string): Promise<FooterParts> {
  const { size } = await handle.stat();
  if (size < 12) throw new CorruptedFileError(`${filePath} is too short to be a Parquet file (${size} bytes)`, { path: filePath, bytes: size });
  const tail = Buffer.alloc(8);
  await handle.read(tail, 0, 8, size - 8);
  const length = tail.readUInt32LE(0);
  const footerStart = size - 8 - length;
  if (tail.toString('latin1', 4) !== MAGIC || footerStart < 4) {
    throw new CorruptedFileError(`${filePath} has no valid Parquet footer (footer length ${length} in a file of ${size} bytes)`, { path: filePath, bytes: size });
  }
  const footer = Buffer.alloc(length);
  await handle.read(footer, 0, length, footerStart);
  return { size, footerStart, footer };
}

/** The Arrow type name our Parquet reader gives a column (as `String(field.type)`), or null when this module does not know it. */
function arrowTypeName(element: { type?: string; converted_type?: string; logical_type?: { type: string; unit?: string; isAdjustedToUTC?: boolean } }): string | null {
  const logical = element.logical_type;
  switch (element.type) {
    case 'DOUBLE':
      return 'Float64';
    case 'FLOAT':
      return 'Float32';
    case 'BOOLEAN':
      return 'Bool';
    case 'INT64':
      if (logical?.type === 'TIMESTAMP') {
        if (!logical.isAdjustedToUTC) return null;
        const unit = logical.unit === 'MILLIS' ? 'MILLISECOND' : logical.unit === 'MICROS' ? 'MICROSECOND' : 'NANOSECOND';
        return `Timestamp<${unit}, UTC>`;
      }
      if (element.converted_type === undefined || element.converted_type === 'INT_64') return logical === undefined || logical.type === 'INTEGER' ? 'Int64' : null;
      return null;
    case 'BYTE_ARRAY':
      return element.converted_type === 'UTF8' || logical?.type === 'STRING' ? 'Utf8' : null;
    default:
      return null;
  }
}

/** Footer facts from the Thrift bytes (hyparquet's parser, which wants the footer followed by its length and the magic). */
function parseFooter(footer: Uint8Array, filePath: string): Omit<ParquetFileSummary, 'bytes' | 'sha256' | 'contentSha256'> & { rowGroupSizes: number[] } {
  const framed = new Uint8Array(footer.length + 8);
  framed.set(footer, 0);
  new DataView(framed.buffer).setUint32(footer.length, footer.length, true);
  framed.set(Buffer.from(MAGIC, 'latin1'), footer.length + 4);
  let meta: ReturnType<typeof parquetMetadata>;
  try {
    meta = parquetMetadata(framed.buffer);
  } catch (error) {
    throw new CorruptedFileError(`${filePath} has a damaged Parquet footer: ${(error as Error).message}`, { path: filePath });
  }
  const keyValue: Record<string, string> = {};
  for (const kv of meta.key_value_metadata ?? []) keyValue[kv.key] = kv.value ?? '';
  const elements = meta.schema.slice(1);
  // a type this module does not name is kept by its Parquet words: the digest stays exact
  const columns = elements.map((e) => `${e.name}:${arrowTypeName(e as never) ?? `${e.type ?? 'group'}/${e.converted_type ?? e.logical_type?.type ?? ''}/${e.num_children ?? 0}`}:${e.repetition_type !== 'REQUIRED'}`);
  const rowGroupSizes = meta.row_groups.map((g) => Number(g.num_rows));
  return {
    rowGroupSizes,
    rows: rowGroupSizes.reduce((sum, n) => sum + n, 0),
    rowGroups: meta.row_groups.length,
    codecs: meta.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec ?? 'UNCOMPRESSED')),
    keyValue,
    columns,
  };
}

/** Footer keys that say where the rows came from, not what they are. */
function isSourceKey(key: string): boolean {
  return key.startsWith('mes_data.source_') || key === 'mes_data.mapping' || key === 'mes_data.dialect' || key === 'mes_data.timezone' || key === 'mes_data.session';
}

function contentTail(facts: { columns: string[]; keyValue: Record<string, string> }, rowGroupSizes: number[]): string {
  const keyValue = Object.entries(facts.keyValue)
    .filter(([key]) => !isSourceKey(key))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify({ columns: facts.columns, rowGroups: rowGroupSizes, keyValue });
}

async function hashRange(handle: fs.FileHandle, hash: Hash, end: number): Promise<void> {
  const chunk = Buffer.allocUnsafe(Math.min(4 << 20, Math.max(end, 1)));
  for (let position = 0; position < end; ) {
    const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, end - position), position);
    if (bytesRead === 0) throw new CorruptedFileError(`the file ended after ${position} bytes while it was hashed (expected ${end})`, { bytes: position });
    hash.update(chunk.subarray(0, bytesRead));
    position += bytesRead;
  }
}

function summaryOf(size: number, footer: Uint8Array, dataHash: Hash, tailBytes: Uint8Array, filePath: string): ParquetFileSummary {
  const facts = parseFooter(footer, filePath);
  const content = dataHash.copy().update(contentTail(facts, facts.rowGroupSizes)).digest('hex');
  const sha256 = dataHash.update(tailBytes).digest('hex');
  return { bytes: size, sha256, contentSha256: content, rows: facts.rows, rowGroups: facts.rowGroups, codecs: facts.codecs, keyValue: facts.keyValue, columns: facts.columns };
}

function framedTail(footer: Uint8Array): Uint8Array {
  const tail = Buffer.alloc(footer.length + 8);
  tail.set(footer, 0);
  tail.writeUInt32LE(footer.length, footer.length);
  tail.write(MAGIC, footer.length + 4, 'latin1');
  return tail;
}

/**
 * Reads a Parquet file once and returns its size, SHA-256, content digest (see
 * `ParquetFileSummary.contentSha256`), rows, row groups, codecs and key-value metadata.
 * Memory stays small whatever the size (the data is hashed in 4 MiB reads). Throws
 * CORRUPTED_FILE for a file without a valid footer, NOT_FOUND-like errno errors as they come.
 */
export async function summarizeParquetFile(filePath: string): Promise<ParquetFileSummary> {
  const handle = await fs.open(filePath, 'r');
  try {
    const { size, footerStart, footer } = await readFooter(handle, filePath);
    const hash = createHash('sha256');
    await hashRange(handle, hash, footerStart);
    return summaryOf(size, footer, hash, framedTail(footer), filePath);
  } finally {
    await handle.close();
  }
}

/**
 * The same summary of a file's bytes still in memory (a whole file the writer just
 * encoded), so the store need not read the file back. Throws CORRUPTED_FILE when the bytes
 * end without a valid footer.
 */
export function summarizeParquetBytes(bytes: Uint8Array, filePath: string): ParquetFileSummary {
  const size = bytes.length;
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = size >= 12 ? view.readUInt32LE(size - 8) : 0;
  const footerStart = size - 8 - length;
  if (size < 12 || view.toString('latin1', size - 4) !== MAGIC || footerStart < 4) {
    throw new CorruptedFileError(`${filePath} has no valid Parquet footer (footer length ${length} in a file of ${size} bytes)`, { path: filePath, bytes: size });
  }
  const hash = createHash('sha256').update(view.subarray(0, footerStart));
  return summaryOf(size, view.subarray(footerStart, size - 8), hash, view.subarray(footerStart), filePath);
}

// ---------------------------------------------------------------- Thrift compact protocol

/** Byte position just after a varint starting at `at`. */
function skipVarint(bytes: Uint8Array, at: number): number {
  let p = at;
  while (p < bytes.length && (bytes[p] & 0x80) !== 0) p++;
  if (p >= bytes.length) throw new RangeError('varint runs past the footer');
  return p + 1;
}

function readVarint(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  let p = at;
  for (;;) {
    if (p >= bytes.length) throw new RangeError('varint runs past the footer');
    const b = bytes[p++];
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) break;
    shift += 7;
    if (shift > 63) throw new RangeError('varint too long');
  }
  return { value, next: p };
}

/** Byte position just after a value of compact type `type` starting at `at`. */
function skipValue(bytes: Uint8Array, at: number, type: number, depth: number): number {
  if (depth > 64) throw new RangeError('the footer nests too deeply');
  switch (type) {
    case 1:
    case 2:
      return at; // booleans live in the field header
    case 3:
      return at + 1;
    case 4:
    case 5:
    case 6:
      return skipVarint(bytes, at);
    case 7:
      return at + 8;
    case 8: {
      const { value, next } = readVarint(bytes, at);
      return next + value;
    }
    case 9:
    case 10: {
      const { size, elementType, next } = readListHeader(bytes, at);
      let p = next;
      for (let i = 0; i < size; i++) p = elementType === 1 || elementType === 2 ? p + 1 : skipValue(bytes, p, elementType, depth + 1);
      return p;
    }
    case 11: {
      const read = readVarint(bytes, at);
      let p = read.next;
      if (read.value === 0) return p;
      const types = bytes[p++];
      for (let i = 0; i < read.value; i++) {
        p = skipValue(bytes, p, types >> 4, depth + 1);
        p = skipValue(bytes, p, types & 0x0f, depth + 1);
      }
      return p;
    }
    case 12:
      return skipStruct(bytes, at, depth + 1).end;
    default:
      throw new RangeError(`unknown Thrift type ${type}`);
  }
}

/** Walks a struct; returns its end and, for field `wanted`, where its value starts and ends. */
function skipStruct(bytes: Uint8Array, at: number, depth: number, wanted = -1): { end: number; field: { start: number; end: number } | null; lastIdBefore: number; insertAt: number } {
  let p = at;
  let lastId = 0;
  let field: { start: number; end: number } | null = null;
  let lastIdBefore = 0;
  let insertAt = -1;
  for (;;) {
    if (p >= bytes.length) throw new RangeError('struct runs past the footer');
    const head = bytes[p];
    if (head === 0) {
      if (insertAt < 0) {
        insertAt = p;
        lastIdBefore = lastId;
      }
      return { end: p + 1, field, lastIdBefore, insertAt };
    }
    const type = head & 0x0f;
    let id: number;
    let next = p + 1;
    if (head >> 4 !== 0) id = lastId + (head >> 4);
    else {
      const read = readVarint(bytes, next);
      id = (read.value >>> 1) ^ -(read.value & 1);
      next = read.next;
    }
    if (wanted >= 0 && insertAt < 0 && id > wanted) {
      insertAt = p;
      lastIdBefore = lastId;
    }
    const end = skipValue(bytes, next, type, depth);
    if (id === wanted) field = { start: p, end };
    lastId = id;
    p = end;
  }
}

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function fieldHeader(delta: number, id: number, type: number): number[] {
  if (delta > 0 && delta <= 15) return [(delta << 4) | type];
  return [type, ...varint(((id << 1) ^ (id >> 31)) >>> 0)];
}

const KEY_VALUE_FIELD = 5;
const LIST = 9;
const STRUCT = 12;
const BINARY = 8;

function encodeKeyValueList(keyValue: Record<string, string>): number[] {
  const entries = Object.entries(keyValue).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const out: number[] = entries.length < 15 ? [(entries.length << 4) | STRUCT] : [(15 << 4) | STRUCT, ...varint(entries.length)];
  for (const [key, value] of entries) {
    const k = Buffer.from(key, 'utf8');
    const v = Buffer.from(value, 'utf8');
    out.push((1 << 4) | BINARY, ...varint(k.length), ...k, (1 << 4) | BINARY, ...varint(v.length), ...v, 0);
  }
  return out;
}

/**
 * The footer with its key-value metadata (FileMetaData field 5) replaced by `keyValue`.
 * Fields after it keep their bytes: compact-protocol field ids are deltas from the previous
 * field, and field 5 stays where it was (or is inserted in id order when absent).
 */
export function replaceFooterKeyValue(footer: Uint8Array, keyValue: Record<string, string>, filePath = 'the file'): Uint8Array {
  let walk: ReturnType<typeof skipStruct>;
  try {
    walk = skipStruct(footer, 0, 0, KEY_VALUE_FIELD);
  } catch (error) {
    throw new CorruptedFileError(`${filePath} has a damaged Parquet footer: ${(error as Error).message}`, { path: filePath });
  }
  const list = encodeKeyValueList(keyValue);
  if (walk.field) {
    // keep the field header (its delta from the previous field is unchanged), replace the list
    const headerLength = footer[walk.field.start] >> 4 !== 0 ? 1 : skipVarint(footer, walk.field.start + 1) - walk.field.start;
    const head = footer.subarray(0, walk.field.start + headerLength);
    return Buffer.concat([head, Buffer.from(list), footer.subarray(walk.field.end)]);
  }
  // no key-value metadata yet: insert field 5 before the first field with a higher id; that
  // field's header is rewritten as a delta from 5 (long form when it was long form)
  const at = walk.insertAt;
  const header = fieldHeader(KEY_VALUE_FIELD - walk.lastIdBefore, KEY_VALUE_FIELD, LIST);
  const rest = footer.subarray(at);
  if (rest[0] === 0) return Buffer.concat([footer.subarray(0, at), Buffer.from(header), Buffer.from(list), rest]);
  const type = rest[0] & 0x0f;
  let id: number;
  let afterHeader: number;
  if (rest[0] >> 4 !== 0) {
    id = walk.lastIdBefore + (rest[0] >> 4);
    afterHeader = 1;
  } else {
    const read = readVarint(rest, 1);
    id = (read.value >>> 1) ^ -(read.value & 1);
    afterHeader = read.next;
  }
  const nextHeader = fieldHeader(id - KEY_VALUE_FIELD, id, type);
  return Buffer.concat([footer.subarray(0, at), Buffer.from(header), Buffer.from(list), Buffer.from(nextHeader), rest.subarray(afterHeader)]);
}

// ---------------------------------------------------------------- dropping a column from the footer

interface FieldRange {
  id: number;
  type: number;
  /** Where the field header starts, where its value starts, and where it ends. */
  start: number;
  value: number;
  end: number;
}

/** The fields of the struct starting at `at`, with their byte ranges; `end` is just after its stop byte. */
function structFields(bytes: Uint8Array, at: number): { fields: FieldRange[]; end: number } {
  const fields: FieldRange[] = [];
  let p = at;
  let lastId = 0;
  for (;;) {
    if (p >= bytes.length) throw new RangeError('struct runs past the footer');
    const head = bytes[p];
    if (head === 0) return { fields, end: p + 1 };
    const type = head & 0x0f;
    let id: number;
    let value = p + 1;
    if (head >> 4 !== 0) id = lastId + (head >> 4);
    else {
      const read = readVarint(bytes, value);
      id = (read.value >>> 1) ^ -(read.value & 1);
      value = read.next;
    }
    const end = skipValue(bytes, value, type, 1);
    fields.push({ id, type, start: p, value, end });
    lastId = id;
    p = end;
  }
}

/** A compact-protocol list or set header at `at`: its size, element type and where the elements start. */
function readListHeader(bytes: Uint8Array, at: number): { size: number; elementType: number; next: number } {
  const head = bytes[at];
  if (head >> 4 !== 15) return { size: head >> 4, elementType: head & 0x0f, next: at + 1 };
  const read = readVarint(bytes, at + 1);
  return { size: read.value, elementType: head & 0x0f, next: read.next };
}

/** The elements of the list whose value starts at `at`. */
function listElements(bytes: Uint8Array, at: number): { elementType: number; elements: { start: number; end: number }[] } {
  const { size, elementType, next } = readListHeader(bytes, at);
  let p = next;
  const elements: { start: number; end: number }[] = [];
  for (let i = 0; i < size; i++) {
    const end = elementType === 1 || elementType === 2 ? p + 1 : skipValue(bytes, p, elementType, 1);
    elements.push({ start: p, end });
    p = end;
  }
  return { elementType, elements };
}

function encodeList(bytes: Uint8Array, elementType: number, elements: { start: number; end: number }[]): Buffer {
  const head = elements.length < 15 ? [(elements.length << 4) | elementType] : [(15 << 4) | elementType, ...varint(elements.length)];
  return Buffer.concat([Buffer.from(head), ...elements.map((e) => bytes.subarray(e.start, e.end))]);
}

/** `bytes` with the value of `field` replaced by `value` (its header kept). */
function withValue(bytes: Uint8Array, field: FieldRange, value: Uint8Array): Buffer {
  return Buffer.concat([bytes.subarray(0, field.value), value, bytes.subarray(field.end)]);
}

/** The name of a SchemaElement (field 4). */
function elementName(bytes: Uint8Array, element: { start: number; end: number }): string {
  const name = structFields(bytes, element.start).fields.find((f) => f.id === 4);
  if (!name) return '';
  const { value, next } = readVarint(bytes, name.value);
  return Buffer.from(bytes.subarray(next, next + value)).toString('utf8');
}

/**
 * The footer without the top-level leaf column `name`: its schema element (and the root's
 * child count), its column chunk in every row group and its column order are taken out;
 * its pages stay in the file as bytes no reader is pointed to. Why: DuckDB numbers the rows
 * of a CSV (`WITH ORDINALITY`) so that a trading date written by two threads in two pieces
 * can be put back in file order; every other file loses the number here instead of being
 * rewritten. Throws CORRUPTED_FILE for a footer it cannot walk, BAD_REQUEST-like RangeError
 * text in the message when the column is not a top-level leaf.
 */
function dropFooterColumn(footer: Uint8Array, name: string, filePath = 'the file'): Uint8Array {
  try {
    let bytes: Uint8Array = footer;
    const top = () => structFields(bytes, 0).fields;
    // 2: schema (root first, then the leaves of a flat schema)
    const schemaField = top().find((f) => f.id === 2);
    if (!schemaField) throw new RangeError('no schema');
    const schema = listElements(bytes, schemaField.value);
    const index = schema.elements.findIndex((e, k) => k > 0 && elementName(bytes, e) === name);
    if (index < 1) throw new RangeError(`no top-level column "${name}"`);
    const rootFields = structFields(bytes, schema.elements[0].start).fields;
    const children = rootFields.find((f) => f.id === 5);
    if (!children || children.type !== 5) throw new RangeError('the root element has no child count');
    const count = readVarint(bytes, children.value).value;
    const childCount = ((count >>> 1) ^ -(count & 1)) - 1;
    if (schema.elements.length - 1 !== childCount + 1) throw new RangeError('the schema is not flat');
    const root = withValue(bytes.subarray(schema.elements[0].start, schema.elements[0].end), { ...children, start: children.start - schema.elements[0].start, value: children.value - schema.elements[0].start, end: children.end - schema.elements[0].start }, Buffer.from(varint(((childCount << 1) ^ (childCount >> 31)) >>> 0)));
    const kept = schema.elements.filter((_, k) => k !== index && k !== 0);
    const newSchema = Buffer.concat([listHeader(schema.elementType, kept.length + 1), root, ...kept.map((e) => bytes.subarray(e.start, e.end))]);
    bytes = withValue(bytes, schemaField, newSchema);
    const leaf = index - 1;
    // 4: row groups, each with 1: its column chunks
    const groupsField = top().find((f) => f.id === 4);
    if (groupsField) {
      const groups = listElements(bytes, groupsField.value);
      const rebuilt = groups.elements.map((g) => {
        const group = bytes.subarray(g.start, g.end);
        const columnsField = structFields(group, 0).fields.find((f) => f.id === 1);
        if (!columnsField) throw new RangeError('a row group without columns');
        const columns = listElements(group, columnsField.value);
        return withValue(group, columnsField, encodeList(group, columns.elementType, columns.elements.filter((_, k) => k !== leaf)));
      });
      bytes = withValue(bytes, groupsField, Buffer.concat([listHeader(groups.elementType, rebuilt.length), ...rebuilt]));
    }
    // 7: column orders, one per leaf
    const ordersField = top().find((f) => f.id === 7);
    if (ordersField) {
      const orders = listElements(bytes, ordersField.value);
      bytes = withValue(bytes, ordersField, encodeList(bytes, orders.elementType, orders.elements.filter((_, k) => k !== leaf)));
    }
    return bytes;
  } catch (error) {
    throw new CorruptedFileError(`${filePath}: cannot drop column "${name}" from the Parquet footer: ${(error as Error).message}`, { path: filePath, column: name });
  }
}

function listHeader(elementType: number, size: number): Buffer {
  return Buffer.from(size < 15 ? [(size << 4) | elementType] : [(15 << 4) | elementType, ...varint(size)]);
}

/**
 * Replaces the key-value metadata in the footer of the Parquet file at `filePath`, in place
 * (the column chunks are not touched), and returns the summary of the file as it now is.
 * `keyValue` is the whole new list (the old pairs are dropped), written in key order. With
 * `dropColumn`, the top-level column of that name leaves the footer too (see
 * `dropFooterColumn`), in the same write. Throws CORRUPTED_FILE when the footer cannot be read.
 */
export async function rewriteFooter(filePath: string, keyValue: Record<string, string>, dropColumn?: string): Promise<ParquetFileSummary> {
  const handle = await fs.open(filePath, 'r+');
  try {
    const { footerStart, footer } = await readFooter(handle, filePath);
    const trimmed = dropColumn === undefined ? footer : dropFooterColumn(footer, dropColumn, filePath);
    const patched = replaceFooterKeyValue(trimmed, keyValue, filePath);
    const tail = framedTail(patched);
    await handle.write(tail, 0, tail.length, footerStart);
    await handle.truncate(footerStart + tail.length);
    const hash = createHash('sha256');
    await hashRange(handle, hash, footerStart);
    return summaryOf(footerStart + tail.length, patched, hash, tail, filePath);
  } finally {
    await handle.close();
  }
}
