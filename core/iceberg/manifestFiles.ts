import { CorruptedFileError } from '../errors.js';
import { decodeAvroContainer, encodeAvroContainer } from './avroContainer.js';
import { typeNameOf, type IcebergField, type IcebergSchema } from './icebergSchema.js';
import type { PartitionSpec } from './tableMetadata.js';

/**
 * Manifests and manifest lists (Iceberg format version 2) in Avro: the schemas of the
 * spec's `manifest_entry`, `data_file` and `manifest_file` structs with their field ids,
 * the `partition` struct typed from the partition spec, and the header keys the spec
 * requires. Reading accepts what other writers put there (older or fewer optional fields)
 * and fills in what v2 inherits: an entry without a snapshot id or sequence number takes
 * its manifest's.
 */

export const STATUS = { EXISTING: 0, ADDED: 1, DELETED: 2 } as const;

/** One key-value pair of the spec's `map<int, …>` fields (stored as an array of records in Avro). */
export interface IntMapEntry<T> {
  key: number;
  value: T;
}

export interface DataFileRecord {
  content: number;
  file_path: string;
  file_format: string;
  /** partition values by partition field name (dates as days since 1970-01-01, a year partition as years since 1970) */
  partition: Record<string, unknown>;
  record_count: bigint;
  file_size_in_bytes: bigint;
  column_sizes: IntMapEntry<bigint>[] | null;
  value_counts: IntMapEntry<bigint>[] | null;
  null_value_counts: IntMapEntry<bigint>[] | null;
  nan_value_counts: IntMapEntry<bigint>[] | null;
  lower_bounds: IntMapEntry<Buffer>[] | null;
  upper_bounds: IntMapEntry<Buffer>[] | null;
  key_metadata: Buffer | null;
  split_offsets: bigint[] | null;
  equality_ids: number[] | null;
  sort_order_id: number | null;
}

export interface ManifestEntryRecord {
  status: number;
  snapshot_id: bigint | null;
  sequence_number: bigint | null;
  file_sequence_number: bigint | null;
  data_file: DataFileRecord;
}

export interface FieldSummaryRecord {
  contains_null: boolean;
  contains_nan: boolean | null;
  lower_bound: Buffer | null;
  upper_bound: Buffer | null;
}

export interface ManifestFileRecord {
  manifest_path: string;
  manifest_length: bigint;
  partition_spec_id: number;
  content: number;
  sequence_number: bigint;
  min_sequence_number: bigint;
  added_snapshot_id: bigint;
  added_files_count: number;
  existing_files_count: number;
  deleted_files_count: number;
  added_rows_count: bigint;
  existing_rows_count: bigint;
  deleted_rows_count: bigint;
  partitions: FieldSummaryRecord[] | null;
  key_metadata: Buffer | null;
}

const optional = (name: string, id: number, type: unknown, doc?: string) => ({ name, type: ['null', type], default: null, 'field-id': id, ...(doc ? { doc } : {}) });
const required = (name: string, id: number, type: unknown, doc?: string) => ({ name, type, 'field-id': id, ...(doc ? { doc } : {}) });
const intMap = (name: string, id: number, keyId: number, valueId: number, value: string, doc: string) =>
  optional(name, id, { type: 'array', logicalType: 'map', items: { type: 'record', name: `k${keyId}_v${valueId}`, fields: [required('key', keyId, 'int'), required('value', valueId, value)] } }, doc);

/** The Avro type of a partition value of Iceberg type `type` (spec, Appendix A). */
export function avroTypeOf(type: string): unknown {
  switch (type) {
    case 'date':
      return { type: 'int', logicalType: 'date' };
    case 'timestamp':
    case 'timestamptz':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': type === 'timestamptz' };
    case 'boolean':
    case 'int':
    case 'long':
    case 'float':
    case 'double':
    case 'string':
      return type;
    case 'binary':
      return 'bytes';
    default:
      throw new CorruptedFileError(`a partition on a column of Iceberg type ${type} is not supported`, { type });
  }
}

/**
 * The partition transforms MES Data reads and writes: `identity`, and `year` of a date
 * column (spec: the years since 1970 of the date, an `int`; the table of a low-frequency
 * asset, docs/data_storage_structure.md).
 */
const TRANSFORMS = new Set(['identity', 'year']);

/** The source field of each partition field, in spec order; CORRUPTED_FILE for a source id the schema lacks or a transform not in TRANSFORMS. */
export function partitionSources(spec: PartitionSpec, schema: IcebergSchema): IcebergField[] {
  return spec.fields.map((field) => {
    const source = schema.fields.find((f) => f.id === field['source-id']);
    if (!source) throw new CorruptedFileError(`partition field "${field.name}" reads column id ${field['source-id']}, which the schema does not have`, { partitionField: field.name, sourceId: field['source-id'] });
    if (!TRANSFORMS.has(field.transform) || (field.transform === 'year' && typeNameOf(source) !== 'date')) {
      throw new CorruptedFileError(`partition field "${field.name}" uses the transform "${field.transform}" on a ${typeNameOf(source)} column; MES Data reads identity partitions and year partitions of a date`, { partitionField: field.name, transform: field.transform });
    }
    return source;
  });
}

/** The Iceberg type of each partition field's values, in spec order: the source's type for identity, `int` for year. Throws as `partitionSources`. */
export function partitionValueTypes(spec: PartitionSpec, schema: IcebergSchema): string[] {
  const sources = partitionSources(spec, schema);
  return spec.fields.map((field, i) => (field.transform === 'year' ? 'int' : typeNameOf(sources[i])));
}

/** The Avro schema of `manifest_entry` for manifests of one partition spec. */
export function manifestEntrySchema(spec: PartitionSpec, schema: IcebergSchema): object {
  const types = partitionValueTypes(spec, schema);
  const partition = { type: 'record', name: 'r102', fields: spec.fields.map((field, i) => optional(field.name, field['field-id'], avroTypeOf(types[i]))) };
  const dataFile = {
    type: 'record',
    name: 'r2',
    fields: [
      required('content', 134, 'int', 'Contents of the file: 0=data, 1=position deletes, 2=equality deletes'),
      required('file_path', 100, 'string', 'Location URI with FS scheme'),
      required('file_format', 101, 'string', 'File format name: avro, orc, or parquet'),
      required('partition', 102, partition, 'Partition data tuple, schema based on the partition spec'),
      required('record_count', 103, 'long', 'Number of records in the file'),
      required('file_size_in_bytes', 104, 'long', 'Total file size in bytes'),
      intMap('column_sizes', 108, 117, 118, 'long', 'Map of column id to total size on disk'),
      intMap('value_counts', 109, 119, 120, 'long', 'Map of column id to total count, including null and NaN'),
      intMap('null_value_counts', 110, 121, 122, 'long', 'Map of column id to null value count'),
      intMap('nan_value_counts', 137, 138, 139, 'long', 'Map of column id to number of NaN values in the column'),
      intMap('lower_bounds', 125, 126, 127, 'bytes', 'Map of column id to lower bound'),
      intMap('upper_bounds', 128, 129, 130, 'bytes', 'Map of column id to upper bound'),
      optional('key_metadata', 131, 'bytes', 'Encryption key metadata blob'),
      optional('split_offsets', 132, { type: 'array', items: 'long', 'element-id': 133 }, 'Splittable offsets'),
      optional('equality_ids', 135, { type: 'array', items: 'int', 'element-id': 136 }, 'Equality comparison field IDs'),
      optional('sort_order_id', 140, 'int', 'Sort order ID'),
    ],
  };
  return {
    type: 'record',
    name: 'manifest_entry',
    fields: [required('status', 0, 'int'), optional('snapshot_id', 1, 'long'), optional('sequence_number', 3, 'long'), optional('file_sequence_number', 4, 'long'), required('data_file', 2, dataFile)],
  };
}

/** The Avro schema of `manifest_file`, the records of a manifest list. */
export const MANIFEST_FILE_SCHEMA = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    required('manifest_path', 500, 'string', 'Location URI with FS scheme'),
    required('manifest_length', 501, 'long', 'Total file size in bytes'),
    required('partition_spec_id', 502, 'int', 'Spec ID used to write'),
    required('content', 517, 'int', 'Contents of the manifest: 0=data, 1=deletes'),
    required('sequence_number', 515, 'long', 'Sequence number when the manifest was added'),
    required('min_sequence_number', 516, 'long', 'Lowest sequence number in the manifest'),
    required('added_snapshot_id', 503, 'long', 'Snapshot ID that added the manifest'),
    required('added_files_count', 504, 'int', 'Added entry count'),
    required('existing_files_count', 505, 'int', 'Existing entry count'),
    required('deleted_files_count', 506, 'int', 'Deleted entry count'),
    required('added_rows_count', 512, 'long', 'Added rows count'),
    required('existing_rows_count', 513, 'long', 'Existing rows count'),
    required('deleted_rows_count', 514, 'long', 'Deleted rows count'),
    optional(
      'partitions',
      507,
      {
        type: 'array',
        'element-id': 508,
        items: {
          type: 'record',
          name: 'r508',
          fields: [
            required('contains_null', 509, 'boolean', 'True if any file has a null partition value'),
            optional('contains_nan', 518, 'boolean', 'True if any file has a nan partition value'),
            optional('lower_bound', 510, 'bytes', 'Partition lower bound for all files'),
            optional('upper_bound', 511, 'bytes', 'Partition upper bound for all files'),
          ],
        },
      },
      'Summary for each partition',
    ),
    optional('key_metadata', 519, 'bytes', 'Encryption key metadata blob'),
  ],
};

/** The bytes of a data manifest of `entries`, with the header keys of spec v2. */
export function encodeManifest(entries: readonly ManifestEntryRecord[], spec: PartitionSpec, schema: IcebergSchema): Buffer {
  return encodeAvroContainer(manifestEntrySchema(spec, schema), entries, {
    schema: JSON.stringify(schema),
    'schema-id': String(schema['schema-id']),
    'partition-spec': JSON.stringify(spec.fields),
    'partition-spec-id': String(spec['spec-id']),
    'format-version': '2',
    content: 'data',
  });
}

/** The bytes of a manifest list for one snapshot. */
export function encodeManifestList(manifests: readonly ManifestFileRecord[], snapshot: { id: bigint; parentId: bigint | null; sequenceNumber: number }): Buffer {
  return encodeAvroContainer(MANIFEST_FILE_SCHEMA, manifests, {
    'snapshot-id': String(snapshot.id),
    'parent-snapshot-id': snapshot.parentId === null ? 'null' : String(snapshot.parentId),
    'sequence-number': String(snapshot.sequenceNumber),
    'format-version': '2',
  });
}

function asBigint(value: unknown, fallback: bigint | null): bigint | null {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  return fallback;
}

/** The partition field ids of a manifest's `partition` struct, by Avro field name, from the writer's schema. */
function partitionFieldIds(schema: Record<string, unknown>): Map<string, number> {
  const ids = new Map<string, number>();
  const fields = (schema.fields as { name: string; type: { fields?: { name: string; type: { fields?: { name: string; 'field-id'?: number }[] } }[] } }[] | undefined) ?? [];
  const dataFile = fields.find((f) => f.name === 'data_file')?.type;
  const partition = dataFile?.fields?.find((f) => f.name === 'partition')?.type;
  for (const field of partition?.fields ?? []) if (typeof field['field-id'] === 'number') ids.set(field.name, field['field-id']);
  return ids;
}

export interface DecodedManifest {
  /** the header's `partition-spec-id`, when present */
  specId: number | null;
  /** partition field id by the name used in the `partition` records */
  partitionFieldIds: Map<string, number>;
  entries: ManifestEntryRecord[];
}

/**
 * The entries of a manifest, their snapshot ids and sequence numbers inherited from the
 * manifest list's record where the entry leaves them null (v2 inheritance). CORRUPTED_FILE
 * naming `file` for a file that is not a manifest.
 */
export function decodeManifest(bytes: Uint8Array, file: string, listed: Pick<ManifestFileRecord, 'added_snapshot_id' | 'sequence_number'>): DecodedManifest {
  const { schema, metadata, records } = decodeAvroContainer(bytes, file);
  if (schema.name !== 'manifest_entry') throw new CorruptedFileError(`${file} is not an Iceberg manifest (its records are "${String(schema.name)}")`, { path: file });
  const entries = (records as Partial<ManifestEntryRecord>[]).map((record, index): ManifestEntryRecord => {
    const data = record.data_file;
    if (!data || typeof data.file_path !== 'string') throw new CorruptedFileError(`${file}: entry ${index} has no data file`, { path: file, entry: index });
    const added = record.status === STATUS.ADDED;
    return {
      status: record.status ?? STATUS.ADDED,
      snapshot_id: asBigint(record.snapshot_id, listed.added_snapshot_id),
      sequence_number: asBigint(record.sequence_number, added ? listed.sequence_number : null),
      file_sequence_number: asBigint(record.file_sequence_number, added ? listed.sequence_number : null),
      data_file: {
        ...data,
        content: data.content ?? 0,
        file_format: data.file_format ?? 'PARQUET',
        partition: data.partition ?? {},
        record_count: asBigint(data.record_count, 0n) ?? 0n,
        file_size_in_bytes: asBigint(data.file_size_in_bytes, 0n) ?? 0n,
        column_sizes: data.column_sizes ?? null,
        value_counts: data.value_counts ?? null,
        null_value_counts: data.null_value_counts ?? null,
        nan_value_counts: data.nan_value_counts ?? null,
        lower_bounds: data.lower_bounds ?? null,
        upper_bounds: data.upper_bounds ?? null,
        key_metadata: data.key_metadata ?? null,
        split_offsets: data.split_offsets ?? null,
        equality_ids: data.equality_ids ?? null,
        sort_order_id: data.sort_order_id ?? null,
      },
    };
  });
  const specId = metadata['partition-spec-id'] === undefined ? null : Number(metadata['partition-spec-id']);
  return { specId: Number.isInteger(specId) ? specId : null, partitionFieldIds: partitionFieldIds(schema), entries };
}

/**
 * The manifests of a manifest list. Java's older writers name the counts
 * `added_data_files_count` and so on; both spellings are read. CORRUPTED_FILE naming `file`.
 */
export function decodeManifestList(bytes: Uint8Array, file: string): ManifestFileRecord[] {
  const { schema, records } = decodeAvroContainer(bytes, file);
  if (schema.name !== 'manifest_file') throw new CorruptedFileError(`${file} is not an Iceberg manifest list (its records are "${String(schema.name)}")`, { path: file });
  return (records as Record<string, unknown>[]).map((record, index) => {
    if (typeof record.manifest_path !== 'string') throw new CorruptedFileError(`${file}: record ${index} has no manifest_path`, { path: file, record: index });
    const count = (name: string): number => Number(record[`${name}_files_count`] ?? record[`${name}_data_files_count`] ?? 0);
    return {
      manifest_path: record.manifest_path,
      manifest_length: asBigint(record.manifest_length, 0n) ?? 0n,
      partition_spec_id: Number(record.partition_spec_id ?? 0),
      content: Number(record.content ?? 0),
      sequence_number: asBigint(record.sequence_number, 0n) ?? 0n,
      min_sequence_number: asBigint(record.min_sequence_number, 0n) ?? 0n,
      added_snapshot_id: asBigint(record.added_snapshot_id, 0n) ?? 0n,
      added_files_count: count('added'),
      existing_files_count: count('existing'),
      deleted_files_count: count('deleted'),
      added_rows_count: asBigint(record.added_rows_count, 0n) ?? 0n,
      existing_rows_count: asBigint(record.existing_rows_count, 0n) ?? 0n,
      deleted_rows_count: asBigint(record.deleted_rows_count, 0n) ?? 0n,
      partitions: (record.partitions as FieldSummaryRecord[] | null | undefined) ?? null,
      key_metadata: (record.key_metadata as Buffer | null | undefined) ?? null,
    };
  });
}
