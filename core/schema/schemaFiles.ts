import { dataSchemaJsonSchema } from './dataSchema.js';
import { PREDEFINED_SCHEMAS } from './predefinedSchemas.js';

/**
 * The files `schema/` holds for the schemas: the JSON Schema of the schema file format and
 * one JSON file per predefined schema. `npm run schemas` writes them; a test checks that the
 * files on disk are exactly these.
 */
export function schemaFileContents(): Record<string, string> {
  const files: Record<string, string> = {
    'data_schema.schema.json': `${JSON.stringify(dataSchemaJsonSchema(), null, 2)}\n`,
  };
  for (const schema of PREDEFINED_SCHEMAS) {
    files[`${schema.name}.json`] = `${JSON.stringify({ $schema: './data_schema.schema.json', ...schema }, null, 2)}\n`;
  }
  return files;
}
