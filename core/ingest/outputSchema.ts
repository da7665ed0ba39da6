import { Field, Float64, Int64, makeData, RecordBatch, Schema, Struct, Table, tableToIPC, TimestampMicrosecond, TimestampNanosecond, Utf8, vectorFromArray, type Data } from 'apache-arrow';
import type { ColumnPlan } from './columnMapping.js';
import type { OutputColumn } from './ingestTypes.js';
import type { ColumnPayload, FieldSpec } from './parquetWriterProtocol.js';
import { bitmapOf, nanosToMicros, wholeNumbersToInt64 } from './columnBuffers.js';

/**
 * The output columns of an ingest: `timestamp` (never null) in microseconds
 * (Timestamp<MICROSECOND, UTC>) while every timestamp of the file is a whole number of
 * microseconds, in nanoseconds otherwise; then the value columns in the plan's order:
 * Float64 for prices, Int64 for counts whose values are all integral (Float64 otherwise),
 * Utf8 for text. Microseconds are what DuckDB, pandas and Spark read exactly.
 */

export function outputFields(plan: ColumnPlan, integral: boolean[], subMicrosecond = false): FieldSpec[] {
  return [
    { name: 'timestamp', type: subMicrosecond ? 'timestamp' : 'timestamp_us' },
    ...plan.values.map((v, k): FieldSpec => ({
      name: v.name,
      type: v.kind === 'utf8' ? 'utf8' : v.kind === 'auto' && integral[k] ? 'int64' : 'float64',
    })),
  ];
}

const ARROW_NAMES: Record<FieldSpec['type'], string> = {
  timestamp: 'Timestamp<NANOSECOND, UTC>',
  timestamp_us: 'Timestamp<MICROSECOND, UTC>',
  float64: 'Float64',
  int64: 'Int64',
  utf8: 'Utf8',
};

/** The columns in Arrow's words, as the CLI's `schema` command prints them. */
export function describeFields(fields: FieldSpec[]): OutputColumn[] {
  return fields.map((f) => ({ name: f.name, type: ARROW_NAMES[f.type] }));
}

/**
 * An Arrow table of the given fields from column payloads: the timestamp as BigInt64Array,
 * numbers as Float64Array (int64 fields hold whole numbers, converted exactly), text as
 * UTF-8 bytes + offsets or as strings, validity as one byte per row. Arrays may be longer
 * than `rows` (buffers handed over uncopied); only their first `rows` entries count.
 */
export function payloadTable(fields: FieldSpec[], rows: number, columns: ColumnPayload[]): Table {
  const schema = new Schema(
    fields.map((f) =>
      f.type === 'timestamp'
        ? new Field(f.name, new TimestampNanosecond('UTC'), false)
        : f.type === 'timestamp_us'
          ? new Field(f.name, new TimestampMicrosecond('UTC'), false)
        : new Field(f.name, f.type === 'utf8' ? new Utf8() : f.type === 'int64' ? new Int64() : new Float64(), true),
    ),
  );
  const children: Data[] = fields.map((f, k) => {
    const { data, valid } = columns[k];
    const { nullBitmap, nullCount } = bitmapOf(valid, rows);
    if ('offsets' in data) {
      return makeData({ type: new Utf8(), length: rows, nullCount, nullBitmap, valueOffsets: data.offsets.subarray(0, rows + 1), data: data.bytes });
    }
    if (Array.isArray(data)) return vectorFromArray(data.length > rows ? data.slice(0, rows) : data, new Utf8()).data[0];
    const view = data.subarray(0, rows);
    const values = f.type === 'int64' && view instanceof Float64Array ? wholeNumbersToInt64(view) : f.type === 'timestamp_us' && view instanceof BigInt64Array ? nanosToMicros(view) : view;
    return makeData({ type: schema.fields[k].type as never, length: rows, nullCount, nullBitmap, data: values as never });
  });
  const struct = makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children });
  return new Table(schema, [new RecordBatch(schema, struct)]);
}

/** The same table as an Arrow IPC stream, the form the writer thread takes. */
export function payloadIpc(fields: FieldSpec[], rows: number, columns: ColumnPayload[]): Uint8Array {
  return tableToIPC(payloadTable(fields, rows, columns), 'stream');
}
