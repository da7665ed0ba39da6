/**
 * Exact Arrow columns for the interop tests: every value is laid into its typed buffer by
 * hand (no inference, no JavaScript `Date`, no rounding through `number`), so what the
 * Parquet writer receives is exactly what the test states.
 */
import {
  Binary,
  Bool,
  DateDay,
  Decimal,
  Field,
  Float32,
  Float64,
  Int32,
  Int64,
  List,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Uint64,
  Utf8,
  type Data,
  type Timestamp,
} from 'apache-arrow';

const utf8 = new TextEncoder();

/** Validity bitmap and null count for `values` (null marks a missing value). */
function validity(values: readonly unknown[]): { nullBitmap: Uint8Array | undefined; nullCount: number } {
  const bitmap = new Uint8Array(Math.max(1, (values.length + 7) >> 3));
  let nullCount = 0;
  values.forEach((value, i) => {
    if (value === null) nullCount++;
    else bitmap[i >> 3] |= 1 << (i & 7);
  });
  return { nullBitmap: nullCount > 0 ? bitmap : undefined, nullCount };
}

export function int64Data(values: readonly (bigint | null)[]): Data<Int64> {
  return makeData({ type: new Int64(), length: values.length, ...validity(values), data: BigInt64Array.from(values, (v) => v ?? 0n) });
}

export function uint64Data(values: readonly (bigint | null)[]): Data<Uint64> {
  return makeData({ type: new Uint64(), length: values.length, ...validity(values), data: BigUint64Array.from(values, (v) => v ?? 0n) });
}

function int32Data(values: readonly (number | null)[]): Data<Int32> {
  return makeData({ type: new Int32(), length: values.length, ...validity(values), data: Int32Array.from(values, (v) => v ?? 0) });
}

export function float64Data(values: readonly (number | null)[]): Data<Float64> {
  return makeData({ type: new Float64(), length: values.length, ...validity(values), data: Float64Array.from(values, (v) => v ?? 0) });
}

export function float32Data(values: readonly (number | null)[]): Data<Float32> {
  return makeData({ type: new Float32(), length: values.length, ...validity(values), data: Float32Array.from(values, (v) => v ?? 0) });
}

export function boolData(values: readonly (boolean | null)[]): Data<Bool> {
  const bits = new Uint8Array(Math.max(1, (values.length + 7) >> 3));
  values.forEach((v, i) => {
    if (v === true) bits[i >> 3] |= 1 << (i & 7);
  });
  return makeData({ type: new Bool(), length: values.length, ...validity(values), data: bits });
}

function variableWidth(values: readonly (Uint8Array | null)[]): { valueOffsets: Int32Array; data: Uint8Array } {
  const valueOffsets = new Int32Array(values.length + 1);
  let total = 0;
  values.forEach((v, i) => {
    total += v?.length ?? 0;
    valueOffsets[i + 1] = total;
  });
  const data = new Uint8Array(total);
  values.forEach((v, i) => {
    if (v) data.set(v, valueOffsets[i]);
  });
  return { valueOffsets, data };
}

export function utf8Data(values: readonly (string | null)[]): Data<Utf8> {
  const encoded = values.map((v) => (v === null ? null : utf8.encode(v)));
  return makeData({ type: new Utf8(), length: values.length, ...validity(values), ...variableWidth(encoded) });
}

export function binaryData(values: readonly (Uint8Array | null)[]): Data<Binary> {
  return makeData({ type: new Binary(), length: values.length, ...validity(values), ...variableWidth(values) });
}

/** A timestamp column of any unit and zone; values count the type's unit since the epoch. */
export function timestampData(type: Timestamp, values: readonly (bigint | null)[]): Data<Timestamp> {
  return makeData({ type, length: values.length, ...validity(values), data: BigInt64Array.from(values, (v) => v ?? 0n) });
}

/** Days since 1970-01-01. */
export function dateDayData(values: readonly (number | null)[]): Data<DateDay> {
  return makeData({ type: new DateDay(), length: values.length, ...validity(values), data: Int32Array.from(values, (v) => v ?? 0) });
}

/** A 128-bit decimal column; values are the unscaled integers (1234.5678 at scale 4 is 12345678n). */
export function decimalData(precision: number, scale: number, values: readonly (bigint | null)[]): Data<Decimal> {
  const words = new Uint32Array(values.length * 4);
  values.forEach((v, i) => {
    let x = BigInt.asUintN(128, v ?? 0n);
    for (let k = 0; k < 4; k++) {
      words[i * 4 + k] = Number(x & 0xffff_ffffn);
      x >>= 32n;
    }
  });
  return makeData({ type: new Decimal(scale, precision, 128), length: values.length, ...validity(values), data: words });
}

/** list<int32> with nullable items. */
export function int32ListData(values: readonly ((number | null)[] | null)[]): Data<List<Int32>> {
  const valueOffsets = new Int32Array(values.length + 1);
  const items: (number | null)[] = [];
  values.forEach((list, i) => {
    items.push(...(list ?? []));
    valueOffsets[i + 1] = items.length;
  });
  const type = new List(new Field('item', new Int32(), true));
  return makeData({ type, length: values.length, ...validity(values), valueOffsets, child: int32Data(items) });
}

/** A struct column from child columns of the same length; `present[i] === false` makes row i null. */
export function structData(fields: Field[], children: Data[], present: readonly boolean[]): Data<Struct> {
  const rows = present.map((p) => (p ? true : null));
  return makeData({ type: new Struct(fields), length: present.length, ...validity(rows), children });
}

/** A table from named columns, each with its own nullability (Parquet REQUIRED vs OPTIONAL). */
export function tableOf(columns: { name: string; data: Data; nullable: boolean }[]): Table {
  const fields = columns.map(({ name, data, nullable }) => new Field(name, data.type, nullable));
  const length = columns[0].data.length;
  const batch = new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length, nullCount: 0, children: columns.map((c) => c.data) }));
  return new Table([batch]);
}
