import type { DataType, Table } from 'apache-arrow';
import { describeArrowType } from './arrowTypeNames.js';
import { DataSchema, type ColumnSchemaInput } from './dataSchema.js';

/**
 * A schema describing a table as it is: each column's type (unsupported types become
 * utf8 with a note), nullable where nulls occur, every column required. No rules apply
 * except required columns and types; edit the result and register it to add more.
 */
export function inferSchema(table: Table, name = 'inferred', version = '1.0.0'): DataSchema {
  const columns: ColumnSchemaInput[] = table.schema.fields.map((field) => {
    const vector = table.getChild(field.name);
    const described = describeArrowType(field.type as DataType);
    const base = { name: field.name, nullable: (vector?.nullCount ?? 0) > 0 || field.nullable, required: true };
    if (described.name === null) return { ...base, type: 'utf8' as const, description: `was ${described.label}, which schemas cannot name yet` };
    if (described.name === 'timestamp') return { ...base, type: 'timestamp' as const, unit: described.unit, timezone: described.timezone ?? null, description: '' };
    return { ...base, type: described.name, description: '' };
  });
  const hasTimestamp = table.schema.fields.some((f) => f.name === 'timestamp');
  return DataSchema.parse({
    name,
    version,
    description: 'inferred from data',
    columns,
    sortKey: hasTimestamp ? ['timestamp'] : [],
    rules: { required_column: {}, type: {} },
  });
}
