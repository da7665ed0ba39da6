import { CorruptedFileError, MesDataError } from '../errors.js';

/**
 * Iceberg's binary single-value serialization (spec, Appendix D), used for the lower and
 * upper bounds of data files and for partition bounds in manifest lists: little-endian
 * fixed widths for numbers, days for dates, microseconds for timestamps, UTF-8 bytes for
 * strings. Values in JavaScript: `int`, `date`, `float`, `double` as numbers; `long`,
 * `timestamp`, `timestamptz`, `time` as bigints; strings; booleans.
 */

export type SingleValue = number | bigint | string | boolean;

const WIDTH: Record<string, number> = { int: 4, date: 4, float: 4, long: 8, timestamp: 8, timestamptz: 8, time: 8, double: 8 };

/** Whether a type has a single-value serialization here (decimals, uuids and nested types do not). */
export function hasSingleValue(type: string): boolean {
  return type in WIDTH || type === 'string' || type === 'boolean';
}

/** The bytes of `value` as a value of Iceberg type `type`; BAD_REQUEST for a value that does not fit. */
export function encodeSingleValue(type: string, value: SingleValue): Uint8Array {
  const wrong = (): MesDataError => new MesDataError('BAD_REQUEST', `${String(value)} (${typeof value}) is not a value of Iceberg type ${type}`, { type });
  if (type === 'string') {
    if (typeof value !== 'string') throw wrong();
    return new TextEncoder().encode(value);
  }
  if (type === 'boolean') {
    if (typeof value !== 'boolean') throw wrong();
    return Uint8Array.of(value ? 1 : 0);
  }
  const width = WIDTH[type];
  if (width === undefined) throw new MesDataError('BAD_REQUEST', `Iceberg type ${type} has no single-value serialization here`, { type });
  const bytes = new Uint8Array(width);
  const view = new DataView(bytes.buffer);
  if (type === 'int' || type === 'date') {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) throw wrong();
    view.setInt32(0, value, true);
  } else if (type === 'float') {
    if (typeof value !== 'number') throw wrong();
    view.setFloat32(0, value, true);
  } else if (type === 'double') {
    if (typeof value !== 'number') throw wrong();
    view.setFloat64(0, value, true);
  } else {
    if (typeof value !== 'bigint' || BigInt.asIntN(64, value) !== value) throw wrong();
    view.setBigInt64(0, value, true);
  }
  return bytes;
}

/**
 * The value of serialized bytes of type `type`. After a promotion (int → long, float →
 * double) older files keep their 4-byte bounds, so a `long` or `double` of 4 bytes is read
 * as the narrower type it was written as (spec, schema evolution). CORRUPTED_FILE naming
 * `where` for a length that fits neither.
 */
export function decodeSingleValue(type: string, bytes: Uint8Array, where: string): SingleValue {
  if (type === 'string') return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (type === 'boolean') return bytes.length > 0 && bytes[0] !== 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (): CorruptedFileError => new CorruptedFileError(`${where}: a ${type} bound of ${bytes.length} bytes`, { type, bytes: bytes.length });
  if (type === 'int' || type === 'date') {
    if (bytes.length !== 4) throw bad();
    return view.getInt32(0, true);
  }
  if (type === 'float') {
    if (bytes.length !== 4) throw bad();
    return view.getFloat32(0, true);
  }
  if (type === 'double') {
    if (bytes.length === 4) return view.getFloat32(0, true);
    if (bytes.length !== 8) throw bad();
    return view.getFloat64(0, true);
  }
  if (type in WIDTH) {
    if (type === 'long' && bytes.length === 4) return BigInt(view.getInt32(0, true));
    if (bytes.length !== 8) throw bad();
    return view.getBigInt64(0, true);
  }
  throw new CorruptedFileError(`${where}: Iceberg type ${type} has no single-value serialization here`, { type });
}
