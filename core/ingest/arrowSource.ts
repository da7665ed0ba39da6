import fs from 'node:fs';
import { RecordBatchReader, Type, type Data, type DataType, type RecordBatch, type Schema, type Table } from 'apache-arrow';
import { dataValueToJson, daysToDate, epochToIso } from '../arrow/arrowJson.js';
import { CorruptedFileError, NotFoundError } from '../errors.js';
import { DecoderPool } from '../parquet/decoderPool.js';
import { openParquetFile, type ParquetHandle } from '../parquet/parquetFile.js';
import type { SourceColumnInfo } from './columnMapping.js';
import { hashFile, type IngestSource } from './ingestSource.js';
import type { StructuredDialect } from './ingestTypes.js';
import type { SourceBatch, SourceColumnData } from './rowConverter.js';

/**
 * Parquet and Arrow IPC files as ingest sources. Both already carry types: timestamps
 * keep their unit (zone-less ones are local times, read in the ingest zone), dates are
 * daily bars, numbers stay numbers (64-bit integers exact), text and decimals go through
 * the same readers as CSV. Parquet is read one row group at a time through the decoder
 * threads; Arrow IPC (file or stream format) one record batch at a time.
 */

const SAMPLE_ROWS = 1000;

/** Source columns of one Arrow record batch; row numbers start at `firstRow` (1-based). */
function recordBatchToSource(batch: RecordBatch | Table, firstRow: number): SourceBatch {
  const rows = batch.numRows;
  const lines = new Float64Array(rows);
  for (let i = 0; i < rows; i++) lines[i] = firstRow + i;
  const columns: SourceColumnData[] = batch.schema.fields.map((_, k) => {
    const vector = batch.getChildAt(k);
    const chunks = (vector?.data ?? []) as Data[];
    return columnFromChunks(chunks, rows);
  });
  return { rows, lines, columns };
}

function validOf(chunks: Data[], rows: number): Uint8Array | null {
  if (!chunks.some((c) => c.nullCount > 0)) return null;
  const valid = new Uint8Array(rows);
  let i = 0;
  for (const chunk of chunks) for (let j = 0; j < chunk.length; j++, i++) valid[i] = chunk.getValid(j) ? 1 : 0;
  return valid;
}

function columnFromChunks(chunks: Data[], rows: number): SourceColumnData {
  const type = chunks[0]?.type as DataType | undefined;
  const valid = validOf(chunks, rows);
  if (!type) return { kind: 'strings', values: new Array<string | null>(rows).fill(null) };
  switch (type.typeId) {
    case Type.Float:
    case Type.Int: {
      const bitWidth = (type as unknown as { bitWidth?: number }).bitWidth ?? 0;
      if (type.typeId === Type.Int && bitWidth === 64) {
        const values = new BigInt64Array(rows);
        let i = 0;
        for (const chunk of chunks) {
          const raw = chunk.values as BigInt64Array | BigUint64Array;
          for (let j = 0; j < chunk.length; j++, i++) values[i] = BigInt.asIntN(64, raw[j]);
        }
        return { kind: 'bigint', values, valid };
      }
      const values = new Float64Array(rows);
      let i = 0;
      for (const chunk of chunks) {
        if ((type as unknown as { precision?: number }).precision === 0) {
          // half floats: Arrow's getter decodes them
          for (let j = 0; j < chunk.length; j++, i++) values[i] = Number(dataValueToJson(chunk, j) ?? NaN);
          continue;
        }
        const raw = chunk.values as ArrayLike<number>;
        for (let j = 0; j < chunk.length; j++, i++) values[i] = raw[j];
      }
      return { kind: 'float', values, valid };
    }
    case Type.Timestamp: {
      const { unit, timezone } = type as unknown as { unit: number; timezone: string | null };
      const values = new BigInt64Array(rows);
      let i = 0;
      for (const chunk of chunks) {
        const raw = chunk.values as BigInt64Array;
        for (let j = 0; j < chunk.length; j++, i++) values[i] = raw[j];
      }
      return { kind: 'timestamp', values, unit, utc: timezone !== null && timezone !== '', valid };
    }
    case Type.Date: {
      const unit = (type as unknown as { unit: number }).unit;
      const days = new Int32Array(rows);
      let i = 0;
      for (const chunk of chunks) {
        const raw = chunk.values as ArrayLike<number | bigint>;
        for (let j = 0; j < chunk.length; j++, i++) days[i] = unit === 0 ? Number(raw[j]) : Math.floor(Number(raw[j]) / 86_400_000);
      }
      return { kind: 'date', days, valid };
    }
    default: {
      // text, decimals, booleans, nested values: as the text the CLI would print
      const values = new Array<string | null>(rows);
      let i = 0;
      for (const chunk of chunks) {
        for (let j = 0; j < chunk.length; j++, i++) {
          const value = dataValueToJson(chunk, j);
          values[i] = value === null ? null : typeof value === 'string' ? value : JSON.stringify(value);
        }
      }
      return { kind: 'strings', values };
    }
  }
}

/** The mapper's view of typed columns: their kind and first values as text. */
function describeColumns(schema: Schema, sample: SourceBatch | null): SourceColumnInfo[] {
  return schema.fields.map((field, k) => {
    const type = field.type as DataType;
    const kind: SourceColumnInfo['kind'] =
      type.typeId === Type.Timestamp
        ? 'timestamp'
        : type.typeId === Type.Date
          ? 'date'
          : type.typeId === Type.Float
            ? 'float'
            : type.typeId === Type.Int
              ? 'int'
              : type.typeId === Type.Utf8 || type.typeId === Type.LargeUtf8 || type.typeId === Type.Dictionary || type.typeId === Type.Decimal
                ? 'text'
                : 'other';
    const values: string[] = [];
    const column = sample?.columns[k];
    for (let r = 0; column && r < Math.min(sample.rows, SAMPLE_ROWS); r++) values.push(sampleText(column, r));
    return { name: field.name, kind, values };
  });
}

function sampleText(column: SourceColumnData, r: number): string {
  switch (column.kind) {
    case 'float':
    case 'bigint':
      return column.valid && !column.valid[r] ? '' : String(column.values[r]);
    case 'timestamp':
      return column.valid && !column.valid[r] ? '' : epochToIso(column.values[r], column.unit);
    case 'date':
      return column.valid && !column.valid[r] ? '' : daysToDate(column.days[r]);
    case 'strings':
      return column.values[r] ?? '';
    case 'text':
      return column.buf.toString('utf8', column.starts[r * column.stride + column.offset], column.ends[r * column.stride + column.offset]);
  }
}

export async function openParquetSource(filePath: string): Promise<IngestSource> {
  // a pool of its own, ended with the source: its WebAssembly memory goes with it
  const pool = new DecoderPool();
  try {
    const handle = await openParquetFile(filePath, { decoder: pool });
    const sampleRows = Math.min(SAMPLE_ROWS, handle.numRows);
    const sample = sampleRows > 0 ? recordBatchToSource(await handle.readRows(0, sampleRows), 1) : null;
    return new ParquetSource(filePath, handle, pool, describeColumns(handle.schema, sample));
  } catch (error) {
    await pool.close();
    throw error;
  }
}

class ParquetSource implements IngestSource {
  readonly format = 'parquet' as const;
  readonly dialect: StructuredDialect;
  readonly notation = { decimal: '.' as const, thousands: null };
  readonly totalBytes: number;
  bytesRead = 0;
  readonly hashesWhileReading = false;

  constructor(
    private readonly filePath: string,
    private readonly handle: ParquetHandle,
    private readonly pool: DecoderPool,
    readonly columns: SourceColumnInfo[],
  ) {
    this.dialect = { format: 'parquet', columns: columns.map((c) => c.name) };
    this.totalBytes = handle.info.bytes;
  }

  async *batches(): AsyncGenerator<SourceBatch> {
    for (const group of this.handle.info.rowGroups) {
      if (group.numRows === 0) continue;
      const table = await this.handle.readRows(group.rowStart, group.numRows);
      this.bytesRead += group.columns.reduce((sum, c) => sum + c.compressedBytes, 0);
      yield recordBatchToSource(table, group.rowStart + 1);
    }
    this.bytesRead = this.totalBytes;
  }

  sha256(): Promise<string> {
    return hashFile(this.filePath);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

export async function openArrowSource(filePath: string): Promise<IngestSource> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(filePath, 'r');
  } catch (error) {
    throw new NotFoundError(`cannot read ${filePath}: ${(error as Error).message}`, { path: filePath });
  }
  const size = (await handle.stat()).size;
  try {
    const reader = await RecordBatchReader.from(handle);
    await reader.open();
    // the sample comes from a second reader, so the main one starts at the first batch
    const sampleHandle = await fs.promises.open(filePath, 'r');
    let sample: SourceBatch | null = null;
    try {
      const sampleReader = await RecordBatchReader.from(sampleHandle);
      await sampleReader.open();
      for await (const batch of sampleReader) {
        if (batch.numRows === 0) continue;
        sample = recordBatchToSource(batch.slice(0, SAMPLE_ROWS), 1);
        break;
      }
    } finally {
      await sampleHandle.close();
    }
    return new ArrowSource(filePath, size, handle, reader, describeColumns(reader.schema, sample));
  } catch (error) {
    await handle.close();
    if (error instanceof NotFoundError) throw error;
    throw new CorruptedFileError(`${filePath} is not a readable Arrow IPC file: ${(error as Error).message}`, { path: filePath });
  }
}

class ArrowSource implements IngestSource {
  readonly format = 'arrow' as const;
  readonly dialect: StructuredDialect;
  readonly notation = { decimal: '.' as const, thousands: null };
  bytesRead = 0;
  readonly hashesWhileReading = false;

  constructor(
    private readonly filePath: string,
    readonly totalBytes: number,
    private readonly handle: fs.promises.FileHandle,
    private readonly reader: RecordBatchReader,
    readonly columns: SourceColumnInfo[],
  ) {
    this.dialect = { format: 'arrow', columns: columns.map((c) => c.name) };
  }

  async *batches(): AsyncGenerator<SourceBatch> {
    let row = 1;
    try {
      for await (const batch of this.reader as AsyncIterable<RecordBatch>) {
        if (batch.numRows === 0) continue;
        this.bytesRead = Math.min(this.totalBytes, this.bytesRead + batch.data.byteLength);
        yield recordBatchToSource(batch, row);
        row += batch.numRows;
      }
    } catch (error) {
      throw new CorruptedFileError(`${this.filePath} is not a readable Arrow IPC file: ${(error as Error).message}`, { path: this.filePath });
    }
    this.bytesRead = this.totalBytes;
  }

  sha256(): Promise<string> {
    return hashFile(this.filePath);
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => {});
  }
}
