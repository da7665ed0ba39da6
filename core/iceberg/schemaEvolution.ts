import { BadRequestError, MesDataError } from '../errors.js';
import { fieldByName, typeLabel, typeNameOf, type IcebergField, type IcebergPrimitive, type IcebergSchema } from './icebergSchema.js';
import { commitMetadata, loadTable, type LoadedTable } from './tableCommit.js';
import { currentSchema } from './tableMetadata.js';

/**
 * Schema evolution by field id, within what Iceberg v2 allows: adding an optional column
 * (a new id; files written before it read as null), renaming (same id), and the type
 * promotions of spec v2: int → long, float → double, decimal(P, S) → decimal(P', S) with
 * P' > P. Everything else that changes a column is a breaking change and is refused with
 * SCHEMA_MISMATCH naming the column and both types: narrowing, changing the kind of a
 * value, dropping a required column, and int → float or int → double, which Iceberg does
 * not allow either (a reader of an int file column would not know it is to read floats).
 * A column that must become fractional is added as a new column instead.
 */

const DECIMAL = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;

/** Whether a column of type `from` may become `to` (spec v2 promotions, or no change). */
export function canPromote(from: string, to: string): boolean {
  if (from === to) return true;
  if (from === 'int' && to === 'long') return true;
  if (from === 'float' && to === 'double') return true;
  const [a, b] = [DECIMAL.exec(from), DECIMAL.exec(to)];
  return a !== null && b !== null && a[2] === b[2] && Number(b[1]) > Number(a[1]);
}

function mismatch(field: IcebergField, to: string, why: string): MesDataError {
  return new MesDataError('SCHEMA_MISMATCH', `column "${field.name}" cannot change from ${typeLabel(field)} to ${to}: ${why}`, { column: field.name, from: typeLabel(field), to });
}

function nextSchema(schema: IcebergSchema, fields: IcebergField[]): IcebergSchema {
  return { ...schema, 'schema-id': schema['schema-id'] + 1, fields };
}

/** The schema with an optional column `name` of `type` added as field `lastColumnId + 1`. BAD_REQUEST when the name is taken. */
export function addColumn(schema: IcebergSchema, lastColumnId: number, name: string, type: IcebergPrimitive, doc?: string): IcebergSchema {
  if (fieldByName(schema, name)) throw new BadRequestError(`the table already has a column "${name}"`, { column: name });
  return nextSchema(schema, [...schema.fields, { id: lastColumnId + 1, name, required: false, type, ...(doc === undefined ? {} : { doc }) }]);
}

/** The schema with column `from` renamed `to`, keeping its id. NOT_FOUND / BAD_REQUEST for a missing or taken name. */
export function renameColumn(schema: IcebergSchema, from: string, to: string): IcebergSchema {
  const field = fieldByName(schema, from);
  if (!field) throw new MesDataError('NOT_FOUND', `the table has no column "${from}"`, { column: from });
  if (fieldByName(schema, to)) throw new BadRequestError(`the table already has a column "${to}"`, { column: to });
  return nextSchema(
    schema,
    schema.fields.map((f) => (f.id === field.id ? { ...f, name: to } : f)),
  );
}

/** The schema with column `name` promoted to `to`. SCHEMA_MISMATCH for a change Iceberg v2 does not allow. */
export function widenColumn(schema: IcebergSchema, name: string, to: IcebergPrimitive): IcebergSchema {
  const field = fieldByName(schema, name);
  if (!field) throw new MesDataError('NOT_FOUND', `the table has no column "${name}"`, { column: name });
  const from = typeNameOf(field);
  if (!canPromote(from, to) || field.doc !== undefined) throw mismatch(field, to, 'Iceberg v2 promotes only int → long, float → double and decimal precision');
  return nextSchema(
    schema,
    schema.fields.map((f) => (f.id === field.id ? { ...f, type: to } : f)),
  );
}

/** The schema without column `name`. SCHEMA_MISMATCH for a required column or the partition column. */
export function dropColumn(schema: IcebergSchema, name: string, partitionSourceIds: readonly number[] = []): IcebergSchema {
  const field = fieldByName(schema, name);
  if (!field) throw new MesDataError('NOT_FOUND', `the table has no column "${name}"`, { column: name });
  if (field.required || partitionSourceIds.includes(field.id)) {
    throw new MesDataError('SCHEMA_MISMATCH', `column "${name}" (${typeLabel(field)}) is ${field.required ? 'required' : 'the partition column'}; it cannot be dropped`, { column: name, from: typeLabel(field), to: 'absent' });
  }
  return nextSchema(
    schema,
    schema.fields.filter((f) => f.id !== field.id),
  );
}

/** A column of incoming data, matched to the table by name. */
export interface IncomingColumn {
  name: string;
  type: IcebergPrimitive;
  doc?: string;
}

/**
 * The schema that holds both the table's columns and `incoming` (the columns of new data,
 * by name): new names are added as optional columns, allowed promotions are applied,
 * columns the data lacks stay (read as null) unless they are required. Returns the same
 * schema object when nothing changes. SCHEMA_MISMATCH naming the column and both types
 * for a narrowing or other change, and for a required column the data lacks.
 */
export function evolveFor(schema: IcebergSchema, lastColumnId: number, incoming: readonly IncomingColumn[]): IcebergSchema {
  let next = schema;
  let last = lastColumnId;
  for (const field of schema.fields) {
    if (field.required && !incoming.some((c) => c.name === field.name)) {
      throw new MesDataError('SCHEMA_MISMATCH', `the required column "${field.name}" (${typeLabel(field)}) is missing from the new data; dropping a required column breaks the table`, { column: field.name, from: typeLabel(field), to: 'absent' });
    }
  }
  for (const column of incoming) {
    const field = fieldByName(next, column.name);
    if (!field) {
      next = addColumn(next, last, column.name, column.type, column.doc);
      last++;
      continue;
    }
    const from = typeNameOf(field);
    if (from === column.type && field.doc === column.doc) continue;
    if (field.doc !== column.doc) throw mismatch(field, column.doc === undefined ? column.type : `${column.type} (nanoseconds)`, 'the values would mean something else');
    next = widenColumn(next, column.name, column.type);
  }
  return next;
}

/**
 * Commits `schema` as the current schema of the table in `dir` (a metadata commit, no new
 * snapshot; snapshots keep the schema they were written with). `schema-id` must be new, or
 * the id of an identical schema the table already has. `options.nowMs`: the commit time
 * (now when omitted). LOCKED when a concurrent commit won.
 */
export async function commitSchema(dir: string, schema: IcebergSchema, options: { nowMs?: number } = {}): Promise<LoadedTable> {
  const base = await loadTable(dir);
  const current = currentSchema(base.metadata, base.metadataFile);
  if (schema === current || JSON.stringify(schema.fields) === JSON.stringify(current.fields)) return base;
  const same = base.metadata.schemas.find((s) => JSON.stringify(s.fields) === JSON.stringify(schema.fields));
  const highestId = base.metadata.schemas.reduce((max, s) => Math.max(max, s['schema-id']), 0);
  const chosen = same ?? { ...schema, 'schema-id': highestId + 1 };
  const lastColumnId = Math.max(base.metadata['last-column-id'], ...chosen.fields.map((f) => f.id));
  return commitMetadata(base, {
    ...base.metadata,
    'last-updated-ms': Math.max(options.nowMs ?? Date.now(), base.metadata['last-updated-ms']),
    'last-column-id': lastColumnId,
    schemas: same ? base.metadata.schemas : [...base.metadata.schemas, chosen],
    'current-schema-id': chosen['schema-id'],
  });
}
