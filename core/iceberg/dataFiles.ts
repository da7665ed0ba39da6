import fs from 'node:fs/promises';
import { parquetMetadataAsync, type FileMetaData, type SchemaElement } from 'hyparquet';
import { CorruptedFileError, MesDataError } from '../errors.js';
import { ioError } from '../store/durableFs.js';
import { daysFromCivil, isValidDate } from '../time/civilDays.js';
import { isNanosecondField, NANOSECONDS_DOC, typeLabel, typeNameOf, type IcebergField, type IcebergSchema } from './icebergSchema.js';
import { partitionSources, type DataFileRecord, type IntMapEntry } from './manifestFiles.js';
import { encodeSingleValue, type SingleValue } from './singleValue.js';
import type { PartitionSpec } from './tableMetadata.js';

/**
 * What a manifest says about one Parquet data file, from its footer alone: the row count,
 * the size, the partition tuple and, per column, sizes, value and null counts and lower and
 * upper bounds (numbers, dates and timestamps; strings are left without bounds, as Parquet
 * writers may truncate their statistics). Before a file joins a table its columns are
 * checked against the table schema by Iceberg field id, since that is how every Iceberg
 * reader finds them.
 */

/** Footer values as comparable JavaScript values: days for dates, microseconds (bigint) for timestamps. */
const PARSERS = {
  timestampFromMilliseconds: (millis: bigint) => millis * 1000n,
  timestampFromMicroseconds: (micros: bigint) => micros,
  timestampFromNanoseconds: (nanos: bigint) => nanos,
  dateFromDays: (days: number) => days,
};

async function readFooter(file: string): Promise<{ bytes: number; footer: FileMetaData }> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new MesDataError('NOT_FOUND', `data file ${file} does not exist`, { path: file });
    throw ioError('open', file, error);
  }
  try {
    const { size } = await handle.stat();
    const source = {
      byteLength: size,
      slice: async (start: number, end?: number): Promise<ArrayBuffer> => {
        const buffer = Buffer.alloc((end ?? size) - start);
        await handle.read(buffer, 0, buffer.length, start);
        return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
      },
    };
    try {
      return { bytes: size, footer: await parquetMetadataAsync(source, { parsers: PARSERS }) };
    } catch (error) {
      throw new CorruptedFileError(`${file} has no readable Parquet footer: ${(error as Error).message}`, { path: file });
    }
  } finally {
    await handle.close();
  }
}

/** Why a Parquet column cannot hold an Iceberg field, or null when it can. */
function typeProblem(field: IcebergField, element: SchemaElement): string | null {
  const { type, converted_type: converted, logical_type: logical } = element;
  const timestamp = logical?.type === 'TIMESTAMP' ? logical : null;
  const ok = (() => {
    switch (field.type) {
      case 'boolean':
        return type === 'BOOLEAN';
      case 'int':
        return type === 'INT32' && converted !== 'DATE' && converted !== 'TIME_MILLIS' && converted !== 'DECIMAL';
      case 'long':
        // our nanosecond longs: the store's files keep Timestamp<NANOSECOND, UTC>, whose INT64 is the same count
        if (isNanosecondField(field) && type === 'INT64' && timestamp !== null) return timestamp.unit === 'NANOS' && timestamp.isAdjustedToUTC;
        // an int file column reads as long after the int → long promotion
        return (type === 'INT64' || (type === 'INT32' && !isNanosecondField(field))) && !timestamp && converted !== 'DATE' && converted !== 'DECIMAL' && !converted?.startsWith('TIME');
      case 'float':
        return type === 'FLOAT';
      case 'double':
        return type === 'DOUBLE' || type === 'FLOAT';
      case 'date':
        return type === 'INT32' && converted === 'DATE';
      case 'timestamp':
      case 'timestamptz':
        return type === 'INT64' && timestamp !== null && timestamp.unit === 'MICROS' && timestamp.isAdjustedToUTC === (field.type === 'timestamptz');
      case 'string':
        return type === 'BYTE_ARRAY' && (converted === 'UTF8' || logical?.type === 'STRING');
      case 'binary':
        return type === 'BYTE_ARRAY' && converted === undefined && logical === undefined;
      default:
        return false;
    }
  })();
  if (ok) return null;
  const parquet = [type, timestamp ? `TIMESTAMP(${timestamp.unit}, adjustedToUTC=${timestamp.isAdjustedToUTC})` : (logical?.type ?? converted)].filter(Boolean).join(' ');
  return `its Parquet type is ${parquet}, the table's field is ${typeLabel(field)}`;
}

/** The table property holding Iceberg's name mapping: field ids for the columns of files written without them. */
export const NAME_MAPPING_PROPERTY = 'schema.name-mapping.default';

/**
 * The name mapping of a table's properties (a JSON list of `{"field-id", "names"}`, flat
 * columns only), as column name → field id; empty when the table has none. CORRUPTED_FILE
 * naming `source` when the property is not such a list.
 */
export function nameMappingOf(properties: Record<string, string>, source: string): Map<string, number> {
  const mapping = new Map<string, number>();
  const text = properties[NAME_MAPPING_PROPERTY];
  if (text === undefined) return mapping;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  if (!Array.isArray(parsed)) throw new CorruptedFileError(`${source}: the table property ${NAME_MAPPING_PROPERTY} is not a JSON list`, { path: source });
  for (const entry of parsed as { 'field-id'?: unknown; names?: unknown }[]) {
    if (typeof entry?.['field-id'] !== 'number' || !Array.isArray(entry.names)) throw new CorruptedFileError(`${source}: an entry of ${NAME_MAPPING_PROPERTY} has no field-id or names`, { path: source });
    for (const name of entry.names) if (typeof name === 'string') mapping.set(name, entry['field-id']);
  }
  return mapping;
}

/** A column's field id: the file's own, else the one the table's name mapping gives its name. */
export function fieldIdOf(element: SchemaElement, nameMapping?: ReadonlyMap<string, number>): number | undefined {
  return element.field_id ?? nameMapping?.get(element.name);
}

/** Top-level columns of a footer by field id (or by the name mapping); SCHEMA_MISMATCH for a column without one or one the schema lacks. */
function columnsById(footer: FileMetaData, schema: IcebergSchema, file: string, nameMapping?: ReadonlyMap<string, number>): Map<number, { element: SchemaElement; index: number }> {
  const byId = new Map<number, { element: SchemaElement; index: number }>();
  const elements = footer.schema;
  let at = 1;
  for (let child = 0; child < (elements[0]?.num_children ?? 0); child++) {
    const element = elements[at];
    if (element.num_children) throw new MesDataError('SCHEMA_MISMATCH', `${file}: column "${element.name}" is nested; MES Data tables hold flat columns`, { path: file, column: element.name });
    const fieldId = fieldIdOf(element, nameMapping);
    if (fieldId === undefined) {
      throw new MesDataError('SCHEMA_MISMATCH', `${file}: column "${element.name}" has no Iceberg field id; write the file with the table's field ids (DuckDB: COPY … (FIELD_IDS {…}))`, { path: file, column: element.name });
    }
    const field = schema.fields.find((f) => f.id === fieldId);
    if (!field) throw new MesDataError('SCHEMA_MISMATCH', `${file}: column "${element.name}" has field id ${fieldId}, which the table schema does not have`, { path: file, column: element.name, fieldId });
    const problem = typeProblem(field, element);
    if (problem) throw new MesDataError('SCHEMA_MISMATCH', `${file}: column "${element.name}" (field id ${field.id}) does not fit the table: ${problem}`, { path: file, column: element.name, fieldId: field.id, tableType: typeLabel(field) });
    byId.set(field.id, { element, index: child });
    at++;
  }
  for (const field of schema.fields) {
    if (field.required && !byId.has(field.id)) {
      throw new MesDataError('MISSING_REQUIRED_COLUMN', `${file} has no column for the required field "${field.name}" (field id ${field.id}, ${typeLabel(field)})`, { path: file, column: field.name, fieldId: field.id });
    }
  }
  return byId;
}

interface ColumnFacts {
  size: bigint;
  values: bigint;
  nulls: bigint | null;
  min: SingleValue | null;
  max: SingleValue | null;
}

function columnFacts(footer: FileMetaData, index: number): ColumnFacts {
  const facts: ColumnFacts = { size: 0n, values: 0n, nulls: 0n, min: null, max: null };
  let bounded = true;
  for (const group of footer.row_groups) {
    const meta = group.columns[index]?.meta_data;
    if (!meta) {
      bounded = false;
      facts.nulls = null;
      continue;
    }
    facts.size += BigInt(meta.total_compressed_size);
    facts.values += BigInt(meta.num_values);
    const stats = meta.statistics;
    if (facts.nulls !== null) facts.nulls = stats?.null_count === undefined ? null : facts.nulls + BigInt(stats.null_count);
    const [min, max] = [stats?.min_value, stats?.max_value] as unknown[];
    const usable = (v: unknown): v is SingleValue => typeof v === 'bigint' || (typeof v === 'number' && !Number.isNaN(v)) || typeof v === 'boolean';
    if (!usable(min) || !usable(max)) {
      // a group of nulls only has no bounds and changes none; any other gap makes them unknown
      if (!(stats?.null_count !== undefined && BigInt(stats.null_count) === BigInt(group.num_rows))) bounded = false;
      continue;
    }
    if (facts.min === null || min < facts.min) facts.min = min;
    if (facts.max === null || max > facts.max) facts.max = max;
  }
  if (!bounded) [facts.min, facts.max] = [null, null];
  return facts;
}

/** A partition value in a caller's words: a date as `YYYY-MM-DD`, a year partition's as `YYYY` (or years since 1970), other values as they are. */
export type PartitionInput = Record<string, string | number | bigint | boolean | null>;

function daysOf(text: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match || !isValidDate(Number(match[1]), Number(match[2]), Number(match[3]))) return null;
  return daysFromCivil(Number(match[1]), Number(match[2]), Number(match[3]));
}

/** The Iceberg year transform of a date: years since 1970 of days since 1970-01-01. */
function yearOfDays(days: number): number {
  return new Date(days * 86_400_000).getUTCFullYear() - 1970;
}

/** Years since 1970 of a year `YYYY`, or null for other text. */
function yearsOf(text: string): number | null {
  return /^\d{4}$/.test(text) ? Number(text) - 1970 : null;
}

/** `YYYY-MM-DD` of days since 1970-01-01. */
export function dateOfDays(days: number): string {
  return new Date(days * 86_400_000).toISOString().slice(0, 10);
}

export interface DescribeOptions {
  /** the partition tuple by partition field name; when omitted it comes from the file's statistics */
  partition?: PartitionInput;
  /** the path written into the manifest (a `file:` URI); the file is read at `file` */
  location: string;
  /** field ids by column name for a file written without them (the table's name mapping) */
  nameMapping?: ReadonlyMap<string, number>;
}

/**
 * The manifest record of one Parquet data file for a table with `schema` and `spec`.
 * Throws SCHEMA_MISMATCH (a column without a field id, an unknown id, a type that does not
 * fit), MISSING_REQUIRED_COLUMN, BAD_REQUEST when the partition value is not one value
 * (a file holding two dates) or not given and not in the statistics, NOT_FOUND and
 * CORRUPTED_FILE for a missing or unreadable file.
 */
export async function describeDataFile(file: string, schema: IcebergSchema, spec: PartitionSpec, options: DescribeOptions): Promise<DataFileRecord> {
  const { bytes, footer } = await readFooter(file);
  const columns = columnsById(footer, schema, file, options.nameMapping);
  const facts = new Map<number, ColumnFacts>();
  for (const [id, { index }] of columns) facts.set(id, columnFacts(footer, index));

  const partition: Record<string, unknown> = {};
  const sources = partitionSources(spec, schema);
  spec.fields.forEach((field, i) => {
    const source = sources[i];
    const given = options.partition?.[field.name];
    const stats = facts.get(source.id);
    const year = field.transform === 'year';
    // a year partition's value is the years since 1970 of its dates (the Iceberg year transform)
    const valueOf = (v: SingleValue): unknown => (year ? yearOfDays(Number(v)) : v);
    const show = (v: SingleValue): string => (source.type === 'date' ? dateOfDays(Number(v)) : String(v));
    let value: unknown = given === undefined ? undefined : year && typeof given === 'string' ? yearsOf(given) : source.type === 'date' && typeof given === 'string' ? daysOf(given) : given;
    if (given !== undefined && value === null && given !== null) {
      throw new MesDataError('BAD_REQUEST', `partition value "${String(given)}" of "${field.name}" is not ${year ? 'a year (YYYY)' : 'a calendar date (YYYY-MM-DD)'}`, { partitionField: field.name, value: String(given) });
    }
    if (stats && stats.min !== null && stats.max !== null) {
      if (valueOf(stats.min) !== valueOf(stats.max)) {
        throw new MesDataError('BAD_REQUEST', `${file} holds ${source.name} values from ${show(stats.min)} to ${show(stats.max)}; a data file holds one partition${year ? ' (one year)' : ''}`, { path: file, partitionField: field.name, min: show(stats.min), max: show(stats.max) });
      }
      if (value !== undefined && value !== valueOf(stats.min)) {
        throw new MesDataError('BAD_REQUEST', `${file} holds ${source.name} ${year ? `of ${1970 + Number(valueOf(stats.min))}` : show(stats.min)}, not the partition given (${String(given)})`, { path: file, partitionField: field.name });
      }
      value = valueOf(stats.min);
    }
    if (value === undefined) throw new MesDataError('BAD_REQUEST', `${file}: no partition value for "${field.name}" (the column has no statistics); give it`, { path: file, partitionField: field.name });
    partition[field.name] = value;
  });

  const map = <T>(pick: (f: ColumnFacts, field: IcebergField) => T | null): IntMapEntry<T>[] =>
    schema.fields.flatMap((field) => {
      const f = facts.get(field.id);
      const value = f ? pick(f, field) : null;
      return value === null ? [] : [{ key: field.id, value }];
    });
  const bound = (which: 'min' | 'max') => (f: ColumnFacts, field: IcebergField): Buffer | null => {
    const value = f[which];
    if (value === null || field.type === 'string') return null;
    const type = typeNameOf(field);
    // a 4-byte file column of a promoted field keeps its own width (spec: bounds are not rewritten)
    const written = typeof value === 'number' && type === 'long' ? 'int' : type;
    try {
      return Buffer.from(encodeSingleValue(written, value));
    } catch {
      return null;
    }
  };
  return {
    content: 0,
    file_path: options.location,
    file_format: 'PARQUET',
    partition,
    record_count: BigInt(footer.num_rows),
    file_size_in_bytes: BigInt(bytes),
    column_sizes: map((f) => f.size),
    value_counts: map((f) => f.values),
    null_value_counts: map((f) => f.nulls),
    nan_value_counts: null,
    lower_bounds: map(bound('min')),
    upper_bounds: map(bound('max')),
    key_metadata: null,
    split_offsets: null,
    equality_ids: null,
    sort_order_id: null,
  };
}

/** The Iceberg type of a flat Parquet column, or null when Iceberg v2 has none for it. */
function icebergTypeOfElement(element: SchemaElement): { type: IcebergField['type']; doc?: string } | null {
  const { type, converted_type: converted, logical_type: logical } = element;
  if (logical?.type === 'TIMESTAMP') {
    if (type !== 'INT64') return null;
    if (logical.unit === 'NANOS') return logical.isAdjustedToUTC ? { type: 'long', doc: NANOSECONDS_DOC } : null;
    if (logical.unit === 'MICROS') return { type: logical.isAdjustedToUTC ? 'timestamptz' : 'timestamp' };
    return null;
  }
  switch (type) {
    case 'BOOLEAN':
      return { type: 'boolean' };
    case 'INT32':
      if (converted === 'DATE') return { type: 'date' };
      return converted === undefined || converted.startsWith('INT_') || converted.startsWith('UINT_') ? { type: 'int' } : null;
    case 'INT64':
      return converted === undefined || converted === 'INT_64' || converted === 'UINT_32' ? { type: 'long' } : null;
    case 'FLOAT':
      return { type: 'float' };
    case 'DOUBLE':
      return { type: 'double' };
    case 'BYTE_ARRAY':
      return converted === 'UTF8' || logical?.type === 'STRING' ? { type: 'string' } : null;
    default:
      return null;
  }
}

/**
 * The Iceberg schema (id `schemaId`) of a data file written with field ids on every column:
 * the file's own ids, names and types, a column required when the file says so. Throws
 * SCHEMA_MISMATCH naming the column for a nested column, one without a field id, or a type
 * Iceberg v2 has none for; NOT_FOUND / CORRUPTED_FILE as `describeDataFile`.
 */
export async function schemaOfDataFile(file: string, schemaId = 0): Promise<IcebergSchema> {
  const { footer } = await readFooter(file);
  const elements = footer.schema;
  const fields: IcebergField[] = [];
  for (let child = 0, at = 1; child < (elements[0]?.num_children ?? 0); child++, at++) {
    const element = elements[at];
    if (element.num_children) throw new MesDataError('SCHEMA_MISMATCH', `${file}: column "${element.name}" is nested; MES Data tables hold flat columns`, { path: file, column: element.name });
    if (element.field_id === undefined) throw new MesDataError('SCHEMA_MISMATCH', `${file}: column "${element.name}" has no Iceberg field id`, { path: file, column: element.name });
    const typed = icebergTypeOfElement(element);
    if (!typed) throw new MesDataError('SCHEMA_MISMATCH', `${file}: column "${element.name}" has Parquet type ${[element.type, element.logical_type?.type ?? element.converted_type].filter(Boolean).join(' ')}, which an Iceberg v2 table cannot hold`, { path: file, column: element.name });
    fields.push({ id: element.field_id, name: element.name, required: element.repetition_type === 'REQUIRED', type: typed.type, ...(typed.doc === undefined ? {} : { doc: typed.doc }) });
  }
  return { type: 'struct', 'schema-id': schemaId, fields };
}
