import type { ErrorObject, ValidateFunction } from 'ajv';
import { validate as generated } from './sidecarValidator.generated.mjs';

/**
 * The sidecar's JSON Schema (`schema/metadata_schema.json`, draft 2020-12), as the
 * validation code ajv makes from it (strict, every error): generated ahead of time by
 * scripts/sidecarValidator.mjs, so that no process compiles the schema at its first sidecar
 * (about 0.2 s). Every sidecar the store writes is checked against it first, and
 * `verifyStore` checks every sidecar it finds.
 */

const validateSidecar = generated as unknown as ValidateFunction;

function describe(error: ErrorObject): string {
  const where = error.instancePath === '' ? '(top level)' : error.instancePath;
  if (error.keyword === 'false schema') return `${where} must not be present in this layer`;
  const extra = error.keyword === 'additionalProperties' ? ` "${String((error.params as { additionalProperty?: unknown }).additionalProperty)}"` : '';
  return `${where} ${error.message ?? error.keyword}${extra}`;
}

/** Checks a parsed sidecar against the JSON Schema; `errors` are short sentences naming the JSON path. */
export function checkSidecar(value: unknown): { valid: boolean; errors: string[] } {
  if (validateSidecar(value)) return { valid: true, errors: [] };
  const all = validateSidecar.errors ?? [];
  const errors = all
    // the if/then and anyOf wrappers repeat what their branches already said
    .filter((error) => error.keyword !== 'if' && error.keyword !== 'anyOf')
    // "must be null" from the null branch of a nullable field says nothing when the other branch explains more
    .filter((error) => !(error.keyword === 'type' && (error.params as { type?: unknown }).type === 'null' && all.some((other) => other !== error && other.instancePath.startsWith(error.instancePath) && other.keyword !== 'anyOf' && other.keyword !== 'type')))
    .map(describe);
  return { valid: false, errors: [...new Set(errors)] };
}
