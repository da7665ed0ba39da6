import type { IcebergSchema } from './icebergSchema.js';
import { partitionValueTypes, type FieldSummaryRecord, type ManifestEntryRecord, type ManifestFileRecord } from './manifestFiles.js';
import { decodeSingleValue, encodeSingleValue, hasSingleValue } from './singleValue.js';
import type { PartitionSpec } from './tableMetadata.js';

/**
 * The partition summaries of a manifest list: per partition field, whether any file of the
 * manifest has a null value and the lowest and highest value. Readers use them to skip
 * manifests; so does a commit, which opens only the manifests that may hold a partition it
 * replaces or adds (a daily append onto ten years opens none).
 */

type Comparable = number | bigint | string | boolean;

function comparable(value: unknown): value is Comparable {
  return typeof value === 'number' || typeof value === 'bigint' || typeof value === 'string' || typeof value === 'boolean';
}

/** The summaries of manifest `entries` written with `spec` (all entries, deleted ones too: a wider range is always safe). */
export function summarizePartitions(entries: readonly ManifestEntryRecord[], spec: PartitionSpec, schema: IcebergSchema): FieldSummaryRecord[] {
  const types = partitionValueTypes(spec, schema);
  return spec.fields.map((field, i) => {
    const type = types[i];
    let low: Comparable | null = null;
    let high: Comparable | null = null;
    let containsNull = false;
    let containsNan = false;
    for (const entry of entries) {
      const value = entry.data_file.partition[field.name];
      if (value === null || value === undefined) {
        containsNull = true;
        continue;
      }
      if (typeof value === 'number' && Number.isNaN(value)) {
        containsNan = true;
        continue;
      }
      if (!comparable(value)) continue;
      if (low === null || value < low) low = value;
      if (high === null || value > high) high = value;
    }
    const encode = (value: Comparable | null): Buffer | null => (value === null || !hasSingleValue(type) ? null : Buffer.from(encodeSingleValue(type, value)));
    return { contains_null: containsNull, contains_nan: type === 'float' || type === 'double' ? containsNan : null, lower_bound: encode(low), upper_bound: encode(high) };
  });
}

/**
 * Whether a manifest may hold a file of any of `partitions` (tuples by partition field
 * name). True when the manifest has no summaries, was written with another spec, or a
 * summary cannot be read: only a summary that rules a partition out skips the manifest.
 */
export function mayHoldAny(manifest: ManifestFileRecord, partitions: readonly Record<string, unknown>[], spec: PartitionSpec, schema: IcebergSchema): boolean {
  if (partitions.length === 0) return false;
  const summaries = manifest.partitions;
  if (manifest.partition_spec_id !== spec['spec-id'] || !summaries || summaries.length !== spec.fields.length) return true;
  const types = partitionValueTypes(spec, schema);
  const ranges = summaries.map((summary, i) => {
    const type = types[i];
    if (!hasSingleValue(type)) return null;
    try {
      return {
        containsNull: summary.contains_null,
        low: summary.lower_bound === null ? null : decodeSingleValue(type, summary.lower_bound, manifest.manifest_path),
        high: summary.upper_bound === null ? null : decodeSingleValue(type, summary.upper_bound, manifest.manifest_path),
      };
    } catch {
      return null;
    }
  });
  return partitions.some((tuple) =>
    spec.fields.every((field, i) => {
      const range = ranges[i];
      const value = tuple[field.name];
      if (range === null || !(value === null || value === undefined || comparable(value))) return true;
      if (value === null || value === undefined) return range.containsNull;
      // no bounds: the manifest holds only nulls (or NaN) for this field
      if (range.low === null || range.high === null) return false;
      return value >= range.low && value <= range.high;
    }),
  );
}
