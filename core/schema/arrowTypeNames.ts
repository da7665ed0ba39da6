import { Type, type DataType } from 'apache-arrow';
import type { ColumnTypeName, TimeUnitName } from './dataSchema.js';

/** An Arrow type in the words of a schema file: a type name and, for timestamps, unit and zone. */
export interface SchemaTypeOf {
  name: ColumnTypeName | null;
  unit?: TimeUnitName;
  timezone?: string | null;
  /** Arrow's own name for the type, for messages. */
  label: string;
  /** Dictionary-encoded values of this type. */
  dictionary?: boolean;
  /** Date64 (milliseconds), which schemas call date32 once converted. */
  date64?: boolean;
}

export const UNIT_NAMES: TimeUnitName[] = ['s', 'ms', 'us', 'ns'];

const UTC_ALIASES = new Set(['UTC', 'Etc/UTC', 'Z', '+00:00', 'GMT', 'Etc/GMT', 'utc']);

/** Whether a timestamp zone names UTC. */
export function isUtcZone(zone: string | null | undefined): boolean {
  return zone !== null && zone !== undefined && UTC_ALIASES.has(zone);
}

export function describeArrowType(type: DataType): SchemaTypeOf {
  const label = (type as unknown as { toString(): string }).toString();
  switch (type.typeId) {
    case Type.Int: {
      const { bitWidth, isSigned } = type as unknown as { bitWidth: number; isSigned: boolean };
      return { name: `${isSigned ? 'int' : 'uint'}${bitWidth}` as ColumnTypeName, label };
    }
    case Type.Float: {
      const precision = (type as unknown as { precision: number }).precision;
      return { name: precision === 2 ? 'float64' : precision === 1 ? 'float32' : null, label };
    }
    case Type.Bool:
      return { name: 'bool', label };
    case Type.Utf8:
    case Type.LargeUtf8:
      return { name: 'utf8', label };
    case Type.Date:
      return (type as unknown as { unit: number }).unit === 0 ? { name: 'date32', label } : { name: 'date32', label, date64: true };
    case Type.Timestamp: {
      const { unit, timezone } = type as unknown as { unit: number; timezone: string | null };
      return { name: 'timestamp', unit: UNIT_NAMES[unit], timezone: timezone ?? null, label };
    }
    case Type.Dictionary: {
      const inner = describeArrowType((type as unknown as { dictionary: DataType }).dictionary);
      return { ...inner, label, dictionary: true };
    }
    default:
      return { name: null, label };
  }
}

/** How a schema type reads in messages: `timestamp[ns, UTC]`, `int64 | float64`. */
export function schemaTypeLabel(types: ColumnTypeName[], unit?: TimeUnitName, timezone?: string | null): string {
  return types
    .map((t) => (t === 'timestamp' ? `timestamp[${unit ?? 'ns'}${timezone === null ? '' : `, ${timezone ?? 'UTC'}`}]` : t))
    .join(' | ');
}
