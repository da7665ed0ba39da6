import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import avro from 'avsc';
import { CorruptedFileError, UnsupportedFileError } from '../errors.js';

/**
 * Avro object container files, as Iceberg keeps its manifests and manifest lists: a header
 * (magic, key-value metadata holding the writer's schema, a sync marker), then blocks of
 * records. The schema is written into the header exactly as given, so the `field-id`
 * attributes Iceberg readers resolve columns by stay in it. Avro `long`s are JavaScript
 * bigints both ways (snapshot ids use all 64 bits); codecs: `null` and `deflate`.
 */

const MAGIC = Uint8Array.of(0x4f, 0x62, 0x6a, 0x01);

const BIGINT_LONG = avro.types.LongType.__with({
  fromBuffer: (buffer: Buffer) => buffer.readBigInt64LE(),
  toBuffer: (value: bigint) => {
    const buffer = Buffer.alloc(8);
    buffer.writeBigInt64LE(value);
    return buffer;
  },
  fromJSON: (value: unknown) => BigInt(value as number),
  toJSON: (value: bigint) => Number(value),
  isValid: (value: unknown) => typeof value === 'bigint' && BigInt.asIntN(64, value) === value,
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

/** An avsc type for a schema, with bigint longs and Iceberg's extra attributes left alone. */
export function avroType(schema: object): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, { registry: { long: BIGINT_LONG } as unknown as { [name: string]: avro.Type } });
}

const HEADER_META = avro.Type.forSchema({ type: 'map', values: 'bytes' });
const LONG = avro.Type.forSchema('long');

export interface AvroContainer {
  /** the writer's schema, parsed from the header */
  schema: Record<string, unknown>;
  /** the header's key-value metadata as text (`avro.schema`, `avro.codec` and the writer's keys) */
  metadata: Record<string, string>;
  records: unknown[];
}

/** The bytes of a container file holding `records` of `schema`, with `metadata` in its header. */
export function encodeAvroContainer(schema: object, records: readonly unknown[], metadata: Record<string, string>): Buffer {
  const type = avroType(schema);
  const meta: Record<string, Buffer> = { 'avro.schema': Buffer.from(JSON.stringify(schema)), 'avro.codec': Buffer.from('deflate') };
  for (const [key, value] of Object.entries(metadata)) meta[key] = Buffer.from(value);
  const sync = randomBytes(16);
  const parts: Buffer[] = [Buffer.from(MAGIC), HEADER_META.toBuffer(meta), sync];
  if (records.length > 0) {
    const body = zlib.deflateRawSync(Buffer.concat(records.map((record) => type.toBuffer(record))));
    parts.push(LONG.toBuffer(records.length), LONG.toBuffer(body.length), body, sync);
  }
  return Buffer.concat(parts);
}

/**
 * The schema, metadata and records of a container file, decoded with the writer's own
 * schema. CORRUPTED_FILE naming `file` for anything that is not a whole, valid container;
 * UNSUPPORTED_FILE for a codec other than null and deflate.
 */
export function decodeAvroContainer(bytes: Uint8Array, file: string): AvroContainer {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const corrupt = (why: string): CorruptedFileError => new CorruptedFileError(`${file} is not a valid Avro container file: ${why}`, { path: file });
  if (buffer.length < 4 || !buffer.subarray(0, 4).equals(MAGIC)) throw corrupt('it does not start with the Avro magic bytes');
  let at = 4;
  let meta: Record<string, Buffer>;
  try {
    const header = HEADER_META.decode(buffer, at);
    if (header.offset < 0) throw new Error('the header is cut short');
    meta = header.value as Record<string, Buffer>;
    at = header.offset;
  } catch (error) {
    throw corrupt((error as Error).message);
  }
  const metadata = Object.fromEntries(Object.entries(meta).map(([key, value]) => [key, value.toString('utf8')]));
  const codec = metadata['avro.codec'] ?? 'null';
  if (codec !== 'null' && codec !== 'deflate') throw new UnsupportedFileError(`${file} uses the Avro codec "${codec}"; MES Data reads null and deflate`, { path: file, codec, reason: 'avro-codec' });
  let schema: Record<string, unknown>;
  let type: avro.Type;
  try {
    schema = JSON.parse(metadata['avro.schema'] ?? '') as Record<string, unknown>;
    type = avroType(schema);
  } catch (error) {
    throw corrupt(`its schema cannot be read: ${(error as Error).message}`);
  }
  if (buffer.length < at + 16) throw corrupt('the sync marker is cut short');
  const sync = buffer.subarray(at, at + 16);
  at += 16;
  const records: unknown[] = [];
  try {
    while (at < buffer.length) {
      const count = LONG.decode(buffer, at);
      const size = LONG.decode(buffer, count.offset);
      if (count.offset < 0 || size.offset < 0) throw new Error('a block header is cut short');
      const [n, length] = [Number(count.value), Number(size.value)];
      const end = size.offset + length;
      if (n < 0 || length < 0 || end + 16 > buffer.length) throw new Error(`a block of ${length} bytes runs past the end`);
      if (!buffer.subarray(end, end + 16).equals(sync)) throw new Error('a block does not end with the sync marker');
      const raw = buffer.subarray(size.offset, end);
      const block = codec === 'deflate' ? zlib.inflateRawSync(raw) : raw;
      let offset = 0;
      for (let i = 0; i < n; i++) {
        const decoded = type.decode(block, offset);
        if (decoded.offset < 0) throw new Error(`record ${records.length} is cut short`);
        records.push(decoded.value);
        offset = decoded.offset;
      }
      at = end + 16;
    }
  } catch (error) {
    throw corrupt((error as Error).message);
  }
  return { schema, metadata, records };
}
