import type { DataType } from 'apache-arrow';
import { z } from 'zod';
import { MesDataError } from '../errors.js';
import { describeArrowType, isUtcZone } from '../schema/arrowTypeNames.js';

/**
 * Iceberg schemas (format version 2) as they appear in table metadata, and how the columns
 * of our Parquet files map onto them. Field ids, not names, identify a column: a rename
 * keeps the id, and an added column gets the next id after `last-column-id`.
 *
 * Nanosecond timestamps: Iceberg v2 has no nanosecond timestamp (`timestamptz_ns` is new in
 * v3, which the readers we target do not all read yet). A `Timestamp<NANOSECOND, UTC>`
 * column is therefore stored as an Iceberg `long` of nanoseconds since 1970-01-01 00:00:00
 * UTC, marked by the field's `doc` (NANOSECONDS_DOC), so that no digit is dropped; every
 * microsecond timestamp is a `timestamptz`.
 */

/** Primitive type names of Iceberg v2 (decimal and fixed carry their parameters in the name). */
export type IcebergPrimitive =
  | 'boolean'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | 'date'
  | 'time'
  | 'timestamp'
  | 'timestamptz'
  | 'string'
  | 'uuid'
  | 'binary'
  | `decimal(${number}, ${number})`
  | `fixed[${number}]`;

/** The `doc` of a `long` field that holds nanoseconds since the epoch, UTC. */
export const NANOSECONDS_DOC = 'mes-data: nanoseconds since 1970-01-01T00:00:00Z (Timestamp<NANOSECOND, UTC>)';

const PRIMITIVE = /^(boolean|int|long|float|double|date|time|timestamp|timestamptz|timestamp_ns|timestamptz_ns|string|uuid|binary|unknown|variant|geometry(\(.*\))?|geography(\(.*\))?|decimal\(\s*\d+\s*,\s*\d+\s*\)|fixed\[\d+\])$/;

/** A nested type (struct, list, map) as read from other writers' tables; we write none. */
export type IcebergNested = { type: 'struct' | 'list' | 'map' } & Record<string, unknown>;

export const IcebergFieldSchema = z
  .object({
    id: z.number().int().nonnegative(),
    name: z.string().min(1),
    required: z.boolean(),
    type: z.union([z.string().regex(PRIMITIVE, 'an Iceberg type name'), z.looseObject({ type: z.enum(['struct', 'list', 'map']) })]),
    doc: z.string().optional(),
    'initial-default': z.unknown().optional(),
    'write-default': z.unknown().optional(),
  })
  .loose();

export interface IcebergField {
  id: number;
  name: string;
  required: boolean;
  /** an Iceberg type name (`long`, `decimal(9, 2)`, …) or a nested type */
  type: string | IcebergNested;
  doc?: string;
  'initial-default'?: unknown;
  'write-default'?: unknown;
}

export const IcebergSchemaSchema = z
  .object({
    type: z.literal('struct'),
    'schema-id': z.number().int().nonnegative(),
    'identifier-field-ids': z.array(z.number().int()).optional(),
    fields: z.array(IcebergFieldSchema),
  })
  .loose();

export interface IcebergSchema {
  type: 'struct';
  'schema-id': number;
  'identifier-field-ids'?: number[];
  fields: IcebergField[];
}

/** A column as our Parquet files describe it: name, Arrow type, nullability. */
export interface ArrowColumn {
  name: string;
  type: DataType;
  nullable: boolean;
}

/**
 * The Iceberg type of an Arrow column type, or a SCHEMA_MISMATCH naming the column when
 * Iceberg v2 has no lossless equivalent (unsigned 64-bit integers, timestamps in a zone
 * other than UTC, nested types).
 */
export function icebergTypeOfArrow(column: string, type: DataType): { type: IcebergPrimitive; doc?: string } {
  const described = describeArrowType(type);
  const refuse = (why: string): MesDataError =>
    new MesDataError('SCHEMA_MISMATCH', `column "${column}" has type ${described.label}, which an Iceberg v2 table cannot hold: ${why}`, { column, type: described.label });
  switch (described.name) {
    case 'bool':
      return { type: 'boolean' };
    case 'int8':
    case 'int16':
    case 'int32':
    case 'uint8':
    case 'uint16':
      return { type: 'int' };
    case 'int64':
    case 'uint32':
      return { type: 'long' };
    case 'uint64':
      throw refuse('Iceberg has no unsigned 64-bit integer');
    case 'float32':
      return { type: 'float' };
    case 'float64':
      return { type: 'double' };
    case 'utf8':
      return { type: 'string' };
    case 'date32':
      return { type: 'date' };
    case 'timestamp': {
      if (described.timezone !== null && described.timezone !== undefined && !isUtcZone(described.timezone)) throw refuse('timestamps are stored in UTC; convert the column to UTC first');
      const zoned = described.timezone !== null && described.timezone !== undefined;
      if (described.unit === 'ns') {
        if (!zoned) throw refuse('a nanosecond timestamp without a time zone has no Iceberg v2 type; give it the UTC zone');
        return { type: 'long', doc: NANOSECONDS_DOC };
      }
      return { type: zoned ? 'timestamptz' : 'timestamp' };
    }
    default:
      throw refuse('no Iceberg v2 type holds it without loss');
  }
}

/**
 * A new table schema (schema id 0) for Arrow columns: ids 1, 2, … in column order; a
 * column is required when it is not nullable. Throws SCHEMA_MISMATCH as `icebergTypeOfArrow`
 * and BAD_REQUEST for a name used twice.
 */
export function icebergSchemaOf(columns: readonly ArrowColumn[]): IcebergSchema {
  const seen = new Set<string>();
  const fields = columns.map((column, index): IcebergField => {
    if (seen.has(column.name)) throw new MesDataError('BAD_REQUEST', `column "${column.name}" appears twice`, { column: column.name });
    seen.add(column.name);
    const { type, doc } = icebergTypeOfArrow(column.name, column.type);
    return { id: index + 1, name: column.name, required: !column.nullable, type, ...(doc === undefined ? {} : { doc }) };
  });
  return { type: 'struct', 'schema-id': 0, fields };
}

/** Whether a field holds nanoseconds since the epoch (see the module comment). */
export function isNanosecondField(field: IcebergField): boolean {
  return field.type === 'long' && field.doc === NANOSECONDS_DOC;
}

/** The field of a schema by name, or undefined. */
export function fieldByName(schema: IcebergSchema, name: string): IcebergField | undefined {
  return schema.fields.find((field) => field.name === name);
}

/** The highest field id of a schema (top-level fields; we write no nested ones). */
export function highestFieldId(schema: IcebergSchema): number {
  return schema.fields.reduce((max, field) => Math.max(max, field.id), 0);
}

/** The name of a field's type: the primitive's name, or `struct` / `list` / `map`. */
export function typeNameOf(field: IcebergField): string {
  return typeof field.type === 'string' ? field.type : field.type.type;
}

/** How a type reads in messages: its Iceberg name, with "(nanoseconds)" for our ns longs. */
export function typeLabel(field: IcebergField): string {
  const name = typeNameOf(field);
  return isNanosecondField(field) ? `${name} (nanoseconds)` : name;
}

