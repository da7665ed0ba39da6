import {
  Field,
  Float64,
  Int64,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimestampMicrosecond,
  TimestampNanosecond,
  Utf8,
  makeData,
  vectorFromArray,
  type Data,
} from 'apache-arrow';
import type { RecordBatch as WasmRecordBatch } from 'parquet-wasm/node';
import { MesDataError } from '../../errors.js';
import { wasm } from '../../parquet/wasmRuntime.js';
import { bitmapOf, wholeNumbersToInt64 } from '../columnBuffers.js';
import type { ColumnPayload, FieldSpec } from '../parquetWriterProtocol.js';

/** Arrow record batches in the writer thread: pieces read back for a merge, cast to the file's final fields. */

function schemaOf(fields: FieldSpec[]): Schema {
  return new Schema(
    fields.map((f) => {
      switch (f.type) {
        case 'timestamp':
          return new Field(f.name, new TimestampNanosecond('UTC'), false);
        case 'timestamp_us':
          return new Field(f.name, new TimestampMicrosecond('UTC'), false);
        case 'float64':
          return new Field(f.name, new Float64(), true);
        case 'int64':
          return new Field(f.name, new Int64(), true);
        default:
          return new Field(f.name, new Utf8(), true);
      }
    }),
  );
}

/** One Arrow table from column payloads in the unit of each field (timestamps as the field's unit). */
function arrowBatch(fields: FieldSpec[], rows: number, columns: ColumnPayload[]): Table {
  const schema = schemaOf(fields);
  const children: Data[] = fields.map((f, k) => {
    const { valid } = columns[k];
    const raw = columns[k].data;
    const field = schema.fields[k];
    if ('offsets' in raw) {
      const { nullBitmap, nullCount } = bitmapOf(valid, rows);
      return makeData({ type: new Utf8(), length: rows, nullCount, nullBitmap, valueOffsets: raw.offsets, data: raw.bytes });
    }
    // the parent may hand over arrays longer than the batch (its buffers, uncopied)
    const data = raw.length <= rows ? raw : Array.isArray(raw) ? raw.slice(0, rows) : raw.subarray(0, rows);
    if (f.type === 'utf8') return vectorFromArray(data as (string | null)[], new Utf8()).data[0];
    const { nullBitmap, nullCount } = bitmapOf(valid, rows);
    const values = f.type === 'int64' && data instanceof Float64Array ? wholeNumbersToInt64(data) : data;
    return makeData({ type: field.type as never, length: rows, nullCount, nullBitmap, data: values as never });
  });
  const struct = makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children });
  return new Table(schema, [new RecordBatch(schema, struct)]);
}

/** An Arrow IPC stream as parquet-wasm record batches. */
export function toWasmBatches(ipc: Uint8Array): WasmRecordBatch[] {
  const wasmTable = wasm.Table.fromIPCStream(ipc);
  try {
    return wasmTable.recordBatches();
  } finally {
    wasmTable.free();
  }
}

/**
 * Casts the columns of a table read back (a segment or a spill) to the final fields: int64
 * that became float64 (a non-integral value came later), microseconds that became
 * nanoseconds (a sub-microsecond value came later), and nothing else.
 */
export function castTo(table: Table, fields: FieldSpec[]): Table {
  const columns = fields.map((f): ColumnPayload => {
    const vector = table.getChild(f.name);
    if (!vector) throw new MesDataError('INTERNAL', `column "${f.name}" is missing from a staged piece`, { column: f.name });
    const rows = table.numRows;
    if (f.type === 'utf8') return { data: [...vector].map((v: unknown) => (v === undefined ? null : (v as string | null))), valid: null };
    if (f.type === 'timestamp' || f.type === 'timestamp_us') {
      const values = vector.toArray() as BigInt64Array;
      // a piece written in microseconds before a sub-microsecond value turned the file to nanoseconds
      const unit = (vector.type as unknown as { unit: number }).unit;
      if (f.type === 'timestamp' && unit === 2) return { data: values.map((v) => v * 1000n), valid: null };
      return { data: values, valid: null };
    }
    const valid = new Uint8Array(rows);
    const data = new Float64Array(rows);
    let i = 0;
    for (const chunk of vector.data) {
      const raw = chunk.values as ArrayLike<number | bigint>;
      for (let j = 0; j < chunk.length; j++, i++) {
        if (chunk.nullCount > 0 && !chunk.getValid(j)) continue;
        valid[i] = 1;
        data[i] = Number(raw[j]);
      }
    }
    return { data, valid };
  });
  return arrowBatch(fields, table.numRows, columns);
}
