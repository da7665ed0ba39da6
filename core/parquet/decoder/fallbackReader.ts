import fs from 'node:fs';
import type * as ArrowModule from 'apache-arrow';
import type { DataType, Vector } from 'apache-arrow';
import { parquetReadObjects, type FileMetaData, type SchemaElement } from 'hyparquet';
import type { CachedFile } from './fileCache.js';
import { fdByteSource, rawParsers } from './footer.js';
import { topLevelIndexes } from './rowSelection.js';

/**
 * The pure-JavaScript fallback for flat files the WebAssembly decoder rejects or crashes on
 * (and for INT96 times, which it wraps): hyparquet decodes the rows, Arrow arrays are built
 * here. Nested columns are out of its reach.
 */

type Arrow = typeof ArrowModule;

/** What the fallback cannot read (a nested column, a type it does not map): the caller reports the decoder's failure instead. */
export class FallbackUnsupported extends Error {}

interface FlatField {
  name: string;
  type: DataType;
  physicalType: string | undefined;
}

/** Rows [rowStart, rowEnd) of the chosen columns (all when omitted) as an Arrow IPC stream. */
export async function fallbackRead(entry: CachedFile, columns: string[] | undefined, rowStart: number, rowEnd: number): Promise<Uint8Array> {
  const arrow = await import('apache-arrow');
  // loaded here, not with the thread: its module builds Huffman tables when it loads (about
  // 17 ms of every decoder thread's start, on the way to the first page), for codecs only
  // this fallback decodes
  const { compressors } = await import('hyparquet-compressors');
  const fields = flatFields(entry.metadata, columns, arrow);
  const fd = fs.openSync(entry.key, 'r');
  try {
    const rows =
      rowEnd > rowStart
        ? await parquetReadObjects({
            file: fdByteSource(fd, entry.size),
            metadata: entry.metadata,
            columns: fields.map((f) => f.name),
            rowStart,
            rowEnd,
            compressors,
            parsers: rawParsers,
          })
        : [];
    const vectors: Record<string, Vector> = {};
    for (const field of fields) {
      const int96 = field.physicalType === 'INT96';
      // INT96 arrives as nanoseconds: floor to the microseconds of the Arrow type
      const values = rows.map((row) => {
        const value: unknown = row[field.name];
        return int96 && typeof value === 'bigint' ? floorDiv(value, 1000n) : value;
      });
      vectors[field.name] = buildVector(arrow, field.type, values);
    }
    return arrow.tableToIPC(new arrow.Table(vectors), 'stream');
  } finally {
    fs.closeSync(fd);
  }
}

function flatFields(metadata: FileMetaData, columns: string[] | undefined, arrow: Arrow): FlatField[] {
  const schema = metadata.schema;
  const fields: FlatField[] = [];
  for (const index of topLevelIndexes(metadata)) {
    const element = schema[index];
    if (columns && !columns.includes(element.name)) continue;
    if ((element.num_children ?? 0) > 0 || element.repetition_type === 'REPEATED') throw new FallbackUnsupported(`nested column "${element.name}"`);
    fields.push({ name: element.name, type: arrowTypeFor(element, arrow), physicalType: element.type });
  }
  if (columns) fields.sort((a, b) => columns.indexOf(a.name) - columns.indexOf(b.name));
  return fields;
}

/** The Arrow type of a flat Parquet column. Throws FallbackUnsupported for one it does not map. */
export function arrowTypeFor(element: SchemaElement, arrow: Arrow): DataType {
  const logical = element.logical_type;
  const converted = element.converted_type;
  const unsupported = () => new FallbackUnsupported(`column "${element.name}" of type ${element.type}/${converted ?? logical?.type ?? 'plain'}`);
  switch (element.type) {
    case 'BOOLEAN':
      return new arrow.Bool();
    case 'INT32': {
      if (logical?.type === 'DATE' || converted === 'DATE') return new arrow.DateDay();
      if (logical?.type === 'INTEGER') {
        const { bitWidth, isSigned } = logical;
        if (bitWidth === 8) return isSigned ? new arrow.Int8() : new arrow.Uint8();
        if (bitWidth === 16) return isSigned ? new arrow.Int16() : new arrow.Uint16();
        return isSigned ? new arrow.Int32() : new arrow.Uint32();
      }
      if (converted === 'INT_8') return new arrow.Int8();
      if (converted === 'INT_16') return new arrow.Int16();
      if (converted === 'UINT_8') return new arrow.Uint8();
      if (converted === 'UINT_16') return new arrow.Uint16();
      if (converted === 'UINT_32') return new arrow.Uint32();
      if (converted === undefined || converted === 'INT_32') return new arrow.Int32();
      throw unsupported();
    }
    case 'INT64': {
      if (logical?.type === 'TIMESTAMP') {
        const tz = logical.isAdjustedToUTC ? 'UTC' : undefined;
        if (logical.unit === 'MILLIS') return new arrow.TimestampMillisecond(tz);
        if (logical.unit === 'MICROS') return new arrow.TimestampMicrosecond(tz);
        return new arrow.TimestampNanosecond(tz);
      }
      if (converted === 'TIMESTAMP_MILLIS') return new arrow.TimestampMillisecond('UTC');
      if (converted === 'TIMESTAMP_MICROS') return new arrow.TimestampMicrosecond('UTC');
      if ((logical?.type === 'INTEGER' && !logical.isSigned) || converted === 'UINT_64') return new arrow.Uint64();
      if (converted === undefined || converted === 'INT_64' || logical?.type === 'INTEGER') return new arrow.Int64();
      throw unsupported();
    }
    case 'INT96':
      return new arrow.TimestampMicrosecond();
    case 'FLOAT':
      return new arrow.Float32();
    case 'DOUBLE':
      return new arrow.Float64();
    case 'BYTE_ARRAY':
      if (logical?.type === 'STRING' || converted === 'UTF8' || logical?.type === 'ENUM' || converted === 'ENUM' || logical?.type === 'JSON' || converted === 'JSON') {
        return new arrow.Utf8();
      }
      if (converted === undefined && logical === undefined) return new arrow.Binary();
      throw unsupported();
    default:
      throw unsupported();
  }
}

/** a / b rounded towards minus infinity. */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

type NumericArray = { [index: number]: number | bigint; length: number };

function buildVector(arrow: Arrow, type: DataType, values: unknown[]): Vector {
  const length = values.length;
  const nullBitmap = new Uint8Array((length + 7) >> 3);
  let nullCount = 0;
  for (let i = 0; i < length; i++) {
    if (values[i] === null || values[i] === undefined) nullCount++;
    else nullBitmap[i >> 3] |= 1 << (i & 7);
  }
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isBinary(type) || arrow.DataType.isBool(type)) {
    const cleaned = arrow.DataType.isUtf8(type) ? values.map((v) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v)) : values;
    return arrow.vectorFromArray(cleaned, type);
  }
  const ArrayType = (type as unknown as { ArrayType: new (length: number) => NumericArray }).ArrayType;
  const data = new ArrayType(length);
  const wide = data instanceof BigInt64Array || data instanceof BigUint64Array;
  for (let i = 0; i < length; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    data[i] = wide ? BigInt(v as bigint | number) : Number(v);
  }
  return arrow.makeVector(arrow.makeData({ type: type as never, length, nullCount, nullBitmap: nullCount > 0 ? nullBitmap : undefined, data: data as never }));
}
