/**
 * The rows a validation finding lists (at most MAX_ISSUE_ROWS, unless cleaning asks for them
 * all), the enforcement modes, and the report types of the contract for the validation code.
 */

/** How many offending row numbers an issue lists (the count is always complete). */
export const MAX_ISSUE_ROWS = 100;

export type EnforcementMode = 'strict' | 'coerce' | 'ignore';

/**
 * The report's shapes are the contract's (core/api/contract.ts, zod): one finding
 * (`ValidationIssue`: which rule, how many rows, the first of them, 0-based in the target as
 * read), the quality metrics and the report the validate job returns.
 */
export type { QualityMetrics, ValidationIssue, ValidationReport } from '../api/contract.js';

let rowLimit = MAX_ISSUE_ROWS;

/**
 * Runs `fn` with collectors that keep every offending row, not only the first 100 (cleaning
 * needs all of them to drop them). Synchronous: the limit is back when `fn` returns.
 */
export function collectingEveryRow<T>(fn: () => T): T {
  const previous = rowLimit;
  rowLimit = Number.MAX_SAFE_INTEGER;
  try {
    return fn();
  } finally {
    rowLimit = previous;
  }
}

/** How many rows a collector made now keeps. */
export function currentRowLimit(): number {
  return rowLimit;
}

/** Collects offending rows of one rule: keeps the count and the first MAX_ISSUE_ROWS rows. */
export class RowCollector {
  count = 0;
  readonly rows: number[] = [];
  private readonly limit = rowLimit;

  add(row: number): void {
    this.count++;
    if (this.rows.length < this.limit) this.rows.push(row);
  }
}
