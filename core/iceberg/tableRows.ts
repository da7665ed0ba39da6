import fs from 'node:fs/promises';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { CorruptedFileError } from '../errors.js';
import { errnoOf, ioError } from '../store/durableFs.js';
import { dateOfDays, fieldIdOf, nameMappingOf } from './dataFiles.js';
import type { IcebergSchema } from './icebergSchema.js';
import type { LoadedTable } from './tableCommit.js';
import { snapshotDataFiles, snapshotSchema, type LiveDataFile, type SnapshotInfo } from './tableRead.js';

/**
 * The rows of a snapshot, read the way the spec says a reader projects them: each column of
 * the schema is found in a data file by field id (so a renamed column still reads); a
 * column the file lacks takes the file's identity partition value when there is one (how
 * tables written with `write.data.partition-columns=false` store their partition column),
 * else the field's `initial-default`, else null. Values: dates as `YYYY-MM-DD`, timestamps
 * as bigint microseconds since the epoch, 64-bit integers as bigint. For small reads
 * (tests, a quick look); bulk reads go through DuckDB on `snapshotDataFiles`.
 */

const PARSERS = {
  timestampFromMilliseconds: (millis: bigint) => millis * 1000n,
  timestampFromMicroseconds: (micros: bigint) => micros,
  timestampFromNanoseconds: (nanos: bigint) => nanos,
  dateFromDays: (days: number) => dateOfDays(days),
};

/** hyparquet's codecs, loaded on first use: the module builds its Huffman tables as it loads, which every command paid at start (core/parquet/decoder/fallbackReader.ts likewise). */
const codecs = () => import('hyparquet-compressors').then((module) => module.compressors);

export type Row = Record<string, unknown>;

async function fileRows(table: LoadedTable, file: LiveDataFile, schema: IcebergSchema): Promise<Row[]> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file.path);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') throw new CorruptedFileError(`${table.metadataFile} names the data file ${file.location}, which is missing (${file.path})`, { path: file.path });
    throw ioError('read', file.path, error);
  }
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const compressors = await codecs();
  let names: Map<number, string>;
  let rows: Record<string, unknown>[];
  try {
    const footer = parquetMetadata(buffer, { parsers: PARSERS });
    // by field id, or for a file written without ids by the table's name mapping
    const mapping = nameMappingOf(table.metadata.properties, table.metadataFile);
    names = new Map(
      footer.schema.slice(1).flatMap((element) => {
        const id = fieldIdOf(element, mapping);
        return id === undefined ? [] : [[id, element.name] as [number, string]];
      }),
    );
    const wanted = schema.fields.flatMap((field) => (names.has(field.id) ? [names.get(field.id) as string] : []));
    rows = wanted.length === 0 ? Array.from({ length: file.recordCount }, () => ({})) : await parquetReadObjects({ file: buffer, metadata: footer, columns: wanted, parsers: PARSERS, compressors });
  } catch (error) {
    throw new CorruptedFileError(`${file.path} cannot be decoded: ${(error as Error).message}`, { path: file.path });
  }
  const spec = table.metadata['partition-specs'].find((s) => s['spec-id'] === file.specId);
  return rows.map((row) => {
    const out: Row = {};
    for (const field of schema.fields) {
      const name = names.get(field.id);
      if (name !== undefined) {
        const value = row[name] ?? null;
        // a file written before an int → long promotion holds 32-bit values
        out[field.name] = field.type === 'long' && typeof value === 'number' ? BigInt(value) : value;
        continue;
      }
      const partitionField = spec?.fields.find((f) => f['source-id'] === field.id && f.transform === 'identity');
      if (partitionField && file.partitionById.has(partitionField['field-id'])) {
        const value = file.partitionById.get(partitionField['field-id']);
        out[field.name] = field.type === 'date' && typeof value === 'number' ? dateOfDays(value) : (value ?? null);
      } else {
        out[field.name] = field['initial-default'] ?? null;
      }
    }
    return out;
  });
}

/**
 * Every row of `snapshot`, file by file in manifest order, with the schema the snapshot
 * was written with (or `schema`, to read old data with a newer schema). Throws as
 * `snapshotDataFiles`, and CORRUPTED_FILE for a data file that is missing or undecodable.
 */
export async function readSnapshotRows(table: LoadedTable, snapshot: SnapshotInfo, schema: IcebergSchema = snapshotSchema(table, snapshot)): Promise<Row[]> {
  const rows: Row[] = [];
  for (const file of await snapshotDataFiles(table, snapshot)) rows.push(...(await fileRows(table, file, schema)));
  return rows;
}
