import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CorruptedFileError, UnsupportedFileError } from '../errors.js';
import { IcebergSchemaSchema, type IcebergSchema } from './icebergSchema.js';

/**
 * Iceberg table metadata (format version 2): the types, the zod schemas every metadata
 * file we read goes through, and the JSON text of one. Snapshot ids are 64-bit integers
 * (other writers use the whole range), so they are `bigint` here and are read and written
 * without passing through a JavaScript number; every other number in the file stays below
 * 2^53. Fields we do not know (statistics, other writers' keys) are kept as they were.
 */

export const FORMAT_VERSION = 2;

export const PartitionFieldSchema = z
  .object({
    'source-id': z.number().int().nonnegative(),
    'field-id': z.number().int().nonnegative(),
    name: z.string().min(1),
    transform: z.string().min(1),
  })
  .loose();
export type PartitionField = z.infer<typeof PartitionFieldSchema>;

export const PartitionSpecSchema = z.object({ 'spec-id': z.number().int().nonnegative(), fields: z.array(PartitionFieldSchema) }).loose();
export type PartitionSpec = z.infer<typeof PartitionSpecSchema>;

export const SortOrderSchema = z.object({ 'order-id': z.number().int().nonnegative(), fields: z.array(z.looseObject({})) }).loose();
export type SortOrder = z.infer<typeof SortOrderSchema>;

/** A snapshot id as the text parser hands it over (see parseTableMetadata): `id:<digits>`. */
const ID_PREFIX = 'id:';
const SnapshotId = z
  .string()
  .regex(/^id:-?\d{1,19}$/, 'a 64-bit snapshot id')
  .transform((text) => BigInt(text.slice(ID_PREFIX.length)));
const Millis = z.number().int().nonnegative();

export const SnapshotSchema = z
  .object({
    'snapshot-id': SnapshotId,
    'parent-snapshot-id': SnapshotId.optional(),
    'sequence-number': z.number().int().nonnegative(),
    'timestamp-ms': Millis,
    'manifest-list': z.string().min(1),
    summary: z.record(z.string(), z.string()).refine((summary) => typeof summary.operation === 'string', 'a summary with an "operation"'),
    'schema-id': z.number().int().nonnegative().optional(),
  })
  .loose();
export type Snapshot = z.infer<typeof SnapshotSchema>;

export const SnapshotRefSchema = z
  .object({
    'snapshot-id': SnapshotId,
    type: z.enum(['branch', 'tag']),
    'min-snapshots-to-keep': z.number().int().positive().optional(),
    'max-snapshot-age-ms': z.number().int().positive().optional(),
    'max-ref-age-ms': z.number().int().positive().optional(),
  })
  .loose();
export type SnapshotRef = z.infer<typeof SnapshotRefSchema>;

export const TableMetadataSchema = z
  .object({
    'format-version': z.literal(FORMAT_VERSION),
    'table-uuid': z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'a UUID'),
    location: z.string().min(1),
    'last-sequence-number': z.number().int().nonnegative(),
    'last-updated-ms': Millis,
    'last-column-id': z.number().int().nonnegative(),
    schemas: z.array(IcebergSchemaSchema).min(1),
    'current-schema-id': z.number().int().nonnegative(),
    'partition-specs': z.array(PartitionSpecSchema).min(1),
    'default-spec-id': z.number().int().nonnegative(),
    'last-partition-id': z.number().int().nonnegative(),
    properties: z.record(z.string(), z.string()).default({}),
    // Java writes -1 for "no snapshot yet" in v1 and v2 tables; it means the same as absent
    'current-snapshot-id': SnapshotId.nullable().optional(),
    snapshots: z.array(SnapshotSchema).default([]),
    'snapshot-log': z.array(z.object({ 'timestamp-ms': Millis, 'snapshot-id': SnapshotId }).loose()).default([]),
    'metadata-log': z.array(z.object({ 'timestamp-ms': Millis, 'metadata-file': z.string().min(1) }).loose()).default([]),
    'sort-orders': z.array(SortOrderSchema).min(1),
    'default-sort-order-id': z.number().int().nonnegative(),
    refs: z.record(z.string(), SnapshotRefSchema).default({}),
  })
  .loose();

/** Table metadata as read and written; keys of other writers that this type does not name are kept as they were. */
export interface TableMetadata {
  'format-version': typeof FORMAT_VERSION;
  'table-uuid': string;
  location: string;
  'last-sequence-number': number;
  'last-updated-ms': number;
  'last-column-id': number;
  schemas: IcebergSchema[];
  'current-schema-id': number;
  'partition-specs': PartitionSpec[];
  'default-spec-id': number;
  'last-partition-id': number;
  properties: Record<string, string>;
  /** null (or absent) when the table has no snapshot; -1n is written for "none" as Java does */
  'current-snapshot-id'?: bigint | null;
  snapshots: Snapshot[];
  'snapshot-log': { 'timestamp-ms': number; 'snapshot-id': bigint }[];
  'metadata-log': { 'timestamp-ms': number; 'metadata-file': string }[];
  'sort-orders': SortOrder[];
  'default-sort-order-id': number;
  refs: Record<string, SnapshotRef>;
}

const ID_KEYS = /"(snapshot-id|parent-snapshot-id|current-snapshot-id)"(\s*:\s*)(-?\d+)/g;

/**
 * Parses the text of a metadata file. The three snapshot-id keys are taken from the text as
 * digits (a JSON number would lose the low digits of most ids other writers choose), then
 * the whole object is checked. Throws CORRUPTED_FILE naming `file` for text that is not
 * JSON or not v2 table metadata (the zod issues in `details.issues`), UNSUPPORTED_FILE for
 * another format version.
 */
export function parseTableMetadata(text: string, file: string): TableMetadata {
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(ID_KEYS, (_all, key: string, colon: string, digits: string) => `"${key}"${colon}"${ID_PREFIX}${digits}"`));
  } catch (error) {
    throw new CorruptedFileError(`${file} is not JSON: ${(error as Error).message}`, { path: file });
  }
  const version = (raw as { 'format-version'?: unknown } | null)?.['format-version'];
  if (typeof version === 'number' && version !== FORMAT_VERSION) {
    throw new UnsupportedFileError(`${file} is Iceberg format version ${version}; MES Data reads and writes format version ${FORMAT_VERSION}`, { path: file, formatVersion: version, reason: 'iceberg-format-version' });
  }
  const parsed = TableMetadataSchema.safeParse(raw);
  if (!parsed.success) {
    throw new CorruptedFileError(`${file} is not Iceberg table metadata: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`, {
      path: file,
      issues: parsed.error.issues,
    });
  }
  const metadata = parsed.data as unknown as TableMetadata;
  if (metadata['current-snapshot-id'] === -1n) metadata['current-snapshot-id'] = null;
  return metadata;
}

/** The JSON text of table metadata, snapshot ids written as exact integers. */
export function serializeTableMetadata(metadata: TableMetadata): string {
  // a marker no string in the metadata can hold: the bigints become strings, then digits again
  const marker = `bigint-${randomUUID()}:`;
  const text = JSON.stringify(metadata, (_key, value: unknown) => (typeof value === 'bigint' ? `${marker}${value}` : value), 2);
  return `${text.replaceAll(new RegExp(`"${marker}(-?\\d+)"`, 'g'), '$1')}\n`;
}

/** The current snapshot of a table, or null when it has none yet. */
export function currentSnapshot(metadata: TableMetadata): Snapshot | null {
  const id = metadata['current-snapshot-id'];
  if (id === null || id === undefined) return null;
  return metadata.snapshots.find((snapshot) => snapshot['snapshot-id'] === id) ?? null;
}

/** The current schema; CORRUPTED_FILE when `current-schema-id` names none. */
export function currentSchema(metadata: TableMetadata, file = 'the table metadata'): IcebergSchema {
  return schemaById(metadata, metadata['current-schema-id'], file);
}

export function schemaById(metadata: TableMetadata, id: number, file = 'the table metadata'): IcebergSchema {
  const schema = metadata.schemas.find((s) => s['schema-id'] === id);
  if (!schema) throw new CorruptedFileError(`${file} names schema ${id}, which it does not hold`, { path: file, schemaId: id });
  return schema;
}

export function defaultSpec(metadata: TableMetadata, file = 'the table metadata'): PartitionSpec {
  const spec = metadata['partition-specs'].find((s) => s['spec-id'] === metadata['default-spec-id']);
  if (!spec) throw new CorruptedFileError(`${file} names partition spec ${metadata['default-spec-id']}, which it does not hold`, { path: file, specId: metadata['default-spec-id'] });
  return spec;
}
