import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import metadataSchema from '../../schema/metadata_schema.json' with { type: 'json' };

/**
 * The sidecar's JSON Schema (`schema/metadata_schema.json`, draft 2020-12), compiled once
 * with ajv. Every sidecar the store writes is checked against it first, and `verifyStore`
 * checks every sidecar it finds.
 */

const METADATA_SCHEMA: object = metadataSchema;

let compiled: ValidateFunction | null = null;

function validator(): ValidateFunction {
  compiled ??= new Ajv2020({ strict: true, allErrors: true }).compile(METADATA_SCHEMA);
  return compiled;
}

function describe(error: ErrorObject): string {
  const where = error.instancePath === '' ? '(top level)' : error.instancePath;
  if (error.keyword === 'false schema') return `${where} must not be present in this layer`;
  const extra = error.keyword === 'additionalProperties' ? ` "${String((error.params as { additionalProperty?: unknown }).additionalProperty)}"` : '';
  return `${where} ${error.message ?? error.keyword}${extra}`;
}

/** Checks a parsed sidecar against the JSON Schema; `errors` are short sentences naming the JSON path. */
export function checkSidecar(value: unknown): { valid: boolean; errors: string[] } {
  const validate = validator();
  if (validate(value)) return { valid: true, errors: [] };
  const all = validate.errors ?? [];
  const errors = all
    // the if/then and anyOf wrappers repeat what their branches already said
    .filter((error) => error.keyword !== 'if' && error.keyword !== 'anyOf')
    // "must be null" from the null branch of a nullable field says nothing when the other branch explains more
    .filter((error) => !(error.keyword === 'type' && (error.params as { type?: unknown }).type === 'null' && all.some((other) => other !== error && other.instancePath.startsWith(error.instancePath) && other.keyword !== 'anyOf' && other.keyword !== 'type')))
    .map(describe);
  return { valid: false, errors: [...new Set(errors)] };
}
