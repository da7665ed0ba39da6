import type { ParquetFileInfo } from '../parquetFile.js';
import type { CachedFile } from './fileCache.js';
import { rowCount } from './rowSelection.js';

/** The footer as plain data that crosses to the parent: row groups with per-column statistics. */

/** A footer value in a form structured clone and JSON keep exactly. */
export function jsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value ?? null;
}

export function summarize(filePath: string, entry: CachedFile): ParquetFileInfo {
  const md = entry.metadata;
  const keyValue: Record<string, string> = {};
  for (const kv of md.key_value_metadata ?? []) keyValue[kv.key] = kv.value ?? '';
  return {
    path: filePath,
    bytes: entry.size,
    // the row groups, not the footer's num_rows, which some writers leave at 0
    numRows: rowCount(entry),
    version: md.version,
    createdBy: md.created_by ?? null,
    keyValue,
    parquetSchema: md.schema.map((element) => ({
      name: element.name,
      type: element.type ?? null,
      repetition: element.repetition_type ?? null,
      convertedType: element.converted_type ?? null,
      logicalType: element.logical_type ? (JSON.parse(JSON.stringify(element.logical_type, (_k, v: unknown) => jsonSafe(v))) as unknown) : null,
      numChildren: element.num_children ?? 0,
      typeLength: element.type_length ?? null,
      precision: element.precision ?? null,
      scale: element.scale ?? null,
    })),
    rowGroups: md.row_groups.map((group, index) => ({
      index,
      rowStart: entry.rowStarts[index],
      numRows: Number(group.num_rows),
      totalByteSize: Number(group.total_byte_size),
      columns: group.columns.map((chunk) => {
        const meta = chunk.meta_data;
        const stats = meta?.statistics;
        return {
          name: (meta?.path_in_schema ?? []).join('.'),
          physicalType: meta?.type ?? null,
          compression: meta?.codec ?? 'UNCOMPRESSED',
          encodings: meta?.encodings ?? [],
          numValues: meta ? Number(meta.num_values) : 0,
          compressedBytes: meta ? Number(meta.total_compressed_size) : 0,
          uncompressedBytes: meta ? Number(meta.total_uncompressed_size) : 0,
          min: jsonSafe(stats?.min_value ?? stats?.min),
          max: jsonSafe(stats?.max_value ?? stats?.max),
          nullCount: stats?.null_count === undefined ? null : Number(stats.null_count),
        };
      }),
    })),
  };
}
