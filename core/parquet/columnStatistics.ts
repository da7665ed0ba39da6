import { epochToIso } from '../arrow/arrowJson.js';
import type { ParquetFileInfo, ParquetSchemaElement } from './parquetFile.js';

const UNIT_BY_NAME: Record<string, number> = { MILLIS: 1, MICROS: 2, NANOS: 3 };

/** Leaf schema elements by dotted column path, from the flattened Thrift schema. */
function leavesByPath(schema: ParquetSchemaElement[]): Map<string, ParquetSchemaElement> {
  const leaves = new Map<string, ParquetSchemaElement>();
  let next = 1;
  const walk = (prefix: string[]): void => {
    const element = schema[next++];
    if (!element) return;
    const path = [...prefix, element.name];
    if (element.numChildren === 0) leaves.set(path.join('.'), element);
    for (let c = 0; c < element.numChildren; c++) walk(path);
  };
  while (next < schema.length) walk([]);
  return leaves;
}

/** The time unit of a timestamp leaf (Arrow TimeUnit: 1 ms, 2 us, 3 ns), or null. */
function timestampUnit(element: ParquetSchemaElement): number | null {
  const logical = element.logicalType as { type?: string; unit?: string } | null;
  if (logical?.type === 'TIMESTAMP' && logical.unit) return UNIT_BY_NAME[logical.unit] ?? null;
  if (element.convertedType === 'TIMESTAMP_MILLIS') return 1;
  if (element.convertedType === 'TIMESTAMP_MICROS') return 2;
  return null;
}

function isDate(element: ParquetSchemaElement): boolean {
  const logical = element.logicalType as { type?: string } | null;
  return logical?.type === 'DATE' || element.convertedType === 'DATE';
}

function asBigInt(value: unknown): bigint | null {
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  return null;
}

/**
 * Rewrites min/max statistics of timestamp and date columns in the words the rest of the
 * product uses (ISO 8601 UTC with the unit's digits; `YYYY-MM-DD`), in place.
 */
export function humanizeStatistics(info: ParquetFileInfo): void {
  const leaves = leavesByPath(info.parquetSchema);
  for (const group of info.rowGroups) {
    for (const column of group.columns) {
      const element = leaves.get(column.name);
      if (!element) continue;
      const unit = timestampUnit(element);
      const convert = (value: unknown): unknown => {
        const raw = asBigInt(value);
        if (raw === null) return value;
        if (unit !== null) return epochToIso(raw, unit);
        if (isDate(element)) return new Date(Number(raw) * 86_400_000).toISOString().slice(0, 10);
        return value;
      };
      column.min = convert(column.min);
      column.max = convert(column.max);
    }
  }
}
