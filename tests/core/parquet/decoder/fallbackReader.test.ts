import * as arrow from 'apache-arrow';
import type { SchemaElement } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { FallbackUnsupported, arrowTypeFor, floorDiv } from '../../../../core/parquet/decoder/fallbackReader.js';

const typeOf = (element: Omit<SchemaElement, 'name'>) => arrowTypeFor({ name: 'c', ...element }, arrow);

describe('fallbackReader', () => {
  it('maps flat Parquet types to Arrow types', () => {
    expect(typeOf({ type: 'INT32', logical_type: { type: 'DATE' } })).toEqual(new arrow.DateDay());
    expect(typeOf({ type: 'INT32', logical_type: { type: 'INTEGER', bitWidth: 16, isSigned: false } })).toEqual(new arrow.Uint16());
    expect(typeOf({ type: 'INT32', converted_type: 'INT_8' })).toEqual(new arrow.Int8());
    expect(typeOf({ type: 'INT64', logical_type: { type: 'TIMESTAMP', unit: 'NANOS', isAdjustedToUTC: true } })).toEqual(new arrow.TimestampNanosecond('UTC'));
    expect(typeOf({ type: 'INT64', logical_type: { type: 'TIMESTAMP', unit: 'MILLIS', isAdjustedToUTC: false } })).toEqual(new arrow.TimestampMillisecond());
    expect(typeOf({ type: 'INT64', converted_type: 'UINT_64' })).toEqual(new arrow.Uint64());
    expect(typeOf({ type: 'INT96' })).toEqual(new arrow.TimestampMicrosecond());
    expect(typeOf({ type: 'BYTE_ARRAY', converted_type: 'UTF8' })).toEqual(new arrow.Utf8());
    expect(typeOf({ type: 'BYTE_ARRAY' })).toEqual(new arrow.Binary());
    expect(typeOf({ type: 'DOUBLE' })).toEqual(new arrow.Float64());
  });

  it('leaves a type it does not map to the decoder failure (FallbackUnsupported naming the column)', () => {
    expect(() => typeOf({ type: 'INT32', converted_type: 'DECIMAL' })).toThrow(new FallbackUnsupported('column "c" of type INT32/DECIMAL'));
    expect(() => typeOf({ type: 'FIXED_LEN_BYTE_ARRAY' })).toThrow(FallbackUnsupported);
  });

  it('rounds INT96 nanoseconds down to microseconds, before 1970 too', () => {
    expect(floorDiv(1_500n, 1000n)).toBe(1n);
    expect(floorDiv(-1_500n, 1000n)).toBe(-2n);
    expect(floorDiv(-2_000n, 1000n)).toBe(-2n);
    expect(floorDiv(0n, 1000n)).toBe(0n);
  });
});
