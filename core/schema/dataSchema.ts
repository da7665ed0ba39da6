import { z } from 'zod';

/**
 * The schema file format: what a dataset must look like (columns, types, keys) and which
 * validation rules apply to it, with their severities and settings. Defined once with zod;
 * TypeScript types come from it and `schema/data_schema.schema.json` is generated from it.
 */

const COLUMN_TYPES = [
  'float64',
  'float32',
  'int64',
  'int32',
  'int16',
  'int8',
  'uint64',
  'uint32',
  'uint16',
  'uint8',
  'bool',
  'utf8',
  'date32',
  'timestamp',
] as const;

export const ColumnTypeName = z.enum(COLUMN_TYPES);
export type ColumnTypeName = z.infer<typeof ColumnTypeName>;

export const TimeUnitName = z.enum(['s', 'ms', 'us', 'ns']);
export type TimeUnitName = z.infer<typeof TimeUnitName>;

const ColumnConstraints = z
  .object({
    min: z.number().optional().describe('smallest allowed value (inclusive)'),
    max: z.number().optional().describe('largest allowed value (inclusive)'),
    enum: z.array(z.union([z.string(), z.number()])).min(1).optional().describe('the only allowed values'),
    unique: z.boolean().optional().describe('no value may repeat'),
  })
  .strict();
type ColumnConstraints = z.infer<typeof ColumnConstraints>;

export const ColumnSchema = z
  .object({
    name: z.string().min(1).max(200),
    type: z
      .union([ColumnTypeName, z.array(ColumnTypeName).min(1)])
      .describe('the Arrow type, or a list of accepted types (the first is the one coercion converts to)'),
    unit: TimeUnitName.optional().describe('timestamp unit the data is normalised to (default ns)'),
    timezone: z.string().nullable().optional().describe('timestamp zone: "UTC" for instants, null for naive wall-clock times'),
    nullable: z.boolean().default(true),
    required: z.boolean().default(true),
    description: z.string().default(''),
    constraints: ColumnConstraints.optional(),
  })
  .strict();
export type ColumnSchema = z.infer<typeof ColumnSchema>;

export const RULE_NAMES = [
  'required_column',
  'type',
  'null_required',
  'finite_values',
  'positive_price',
  'ohlc_consistency',
  'non_negative_volume',
  'unique_timestamp',
  'sorted_timestamp',
  'session_gap',
  'price_spike',
  'stale_price',
  'constraints',
] as const;
export const RuleName = z.enum(RULE_NAMES);
export type RuleName = z.infer<typeof RuleName>;

export const Severity = z.enum(['error', 'warning']);
export type Severity = z.infer<typeof Severity>;

const HolidayOrEarlyClose = z
  .object({
    date: z.iso.date().describe('the trading date (YYYY-MM-DD)'),
    close: z
      .string()
      .regex(/^\d{2}:\d{2}$/)
      .optional()
      .describe('early close, exchange time (HH:MM); absent means closed all day'),
  })
  .strict();

export const RuleSettings = z
  .object({
    severity: Severity.optional().describe('overrides the rule default'),
    enabled: z.boolean().default(true),
    // session_gap
    calendar: z.enum(['cme_globex', 'continuous']).optional().describe('session_gap: which trading hours count'),
    intervalSeconds: z.number().int().positive().optional().describe('session_gap: bar interval; inferred from the data when absent'),
    sessionCalendar: z.array(HolidayOrEarlyClose).optional().describe('session_gap: holidays (closed) and early closes'),
    instrument: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/)
      .optional()
      .describe("session_gap: the instrument whose sessions and holidays count (default: the rows' asset)"),
    // price_spike
    window: z.number().int().min(5).optional().describe('price_spike: returns per robust band'),
    threshold: z.number().positive().optional().describe('price_spike: band half-width in robust standard deviations'),
    // stale_price
    maxRun: z.number().int().min(2).optional().describe('stale_price: longest allowed run of identical closes'),
  })
  .strict();
export type RuleSettings = z.infer<typeof RuleSettings>;

export const DataSchema = z
  .object({
    $schema: z.string().optional().describe('where editors find the JSON Schema of this format'),
    name: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,63}$/, 'lower-case letters, digits and _, starting with a letter')
      .describe('registry name'),
    version: z.string().regex(/^\d+\.\d+\.\d+$/, 'semantic version such as 1.0.0'),
    description: z.string().default(''),
    columns: z.array(ColumnSchema).min(1),
    primaryKey: z.array(z.string()).default([]).describe('columns whose values identify a row'),
    sortKey: z.array(z.string()).default([]).describe('columns the rows are sorted by'),
    timestampColumn: z.string().optional().describe('the column rules treat as bar time (default "timestamp" when present)'),
    exchangeTimezone: z.string().default('America/Chicago').describe('IANA zone of the exchange session'),
    rules: z.partialRecord(RuleName, RuleSettings).default({}).describe('rules that apply, by stable name'),
  })
  .strict()
  .superRefine((schema, ctx) => {
    const names = new Set<string>();
    schema.columns.forEach((column, index) => {
      if (names.has(column.name)) ctx.addIssue({ code: 'custom', path: ['columns', index, 'name'], message: `duplicate column "${column.name}"` });
      names.add(column.name);
      const types = Array.isArray(column.type) ? column.type : [column.type];
      if ((column.unit !== undefined || column.timezone !== undefined) && !types.includes('timestamp')) {
        ctx.addIssue({ code: 'custom', path: ['columns', index], message: `unit and timezone apply to timestamp columns only ("${column.name}")` });
      }
    });
    for (const key of ['primaryKey', 'sortKey'] as const) {
      schema[key].forEach((name, index) => {
        if (!names.has(name)) ctx.addIssue({ code: 'custom', path: [key, index], message: `${key} names unknown column "${name}"` });
      });
    }
    if (schema.timestampColumn !== undefined && !names.has(schema.timestampColumn)) {
      ctx.addIssue({ code: 'custom', path: ['timestampColumn'], message: `unknown column "${schema.timestampColumn}"` });
    }
  });
export type DataSchema = z.infer<typeof DataSchema>;
export type DataSchemaInput = z.input<typeof DataSchema>;

/** Accepted types of a column, the first being the one coercion converts to. */
export function columnTypes(column: ColumnSchema): ColumnTypeName[] {
  return Array.isArray(column.type) ? column.type : [column.type];
}

/** The column rules use as bar time, or null when the schema has none. */
export function timestampColumnOf(schema: DataSchema): string | null {
  if (schema.timestampColumn) return schema.timestampColumn;
  return schema.columns.some((c) => c.name === 'timestamp') ? 'timestamp' : null;
}

/** The JSON Schema (2020-12) of the schema file format. */
export function dataSchemaJsonSchema(): Record<string, unknown> {
  const json = z.toJSONSchema(DataSchema, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://mes-data.dev/schema/data_schema.schema.json',
    title: 'MES Data dataset schema',
    description: 'Columns, keys and validation rules a dataset must satisfy; see docs/schemas.md.',
    ...Object.fromEntries(Object.entries(json).filter(([key]) => key !== '$schema')),
  };
}
