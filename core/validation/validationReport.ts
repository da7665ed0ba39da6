import type { RuleName, Severity } from '../schema/dataSchema.js';

/** How many offending row numbers an issue lists (the count is always complete). */
export const MAX_ISSUE_ROWS = 100;

export const MODES = ['strict', 'coerce', 'ignore'] as const;
export type EnforcementMode = (typeof MODES)[number];

/** One finding: which rule, how many rows, the first of them (0-based, in the target as read). */
export interface ValidationIssue {
  rule: RuleName;
  code: string;
  column?: string;
  count: number;
  rows: number[];
  message: string;
  severity: Severity;
  details?: Record<string, unknown>;
}

export interface QualityMetrics {
  nullCounts: Record<string, number>;
  completenessPercentage: number;
  duplicateTimestamps: number;
  gapCount: number;
  missingBars: number;
  /** Bar interval the gap rule used, in seconds (inferred or from the schema). */
  barIntervalSeconds?: number | null;
}

export interface ValidationReport {
  target: string;
  schema: string;
  schemaVersion: string;
  mode: EnforcementMode;
  valid: boolean;
  rowCount: number;
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
  metrics: QualityMetrics;
  /** Conversions made (coerce mode) or normalisations (strict): column → {from, to, count}. */
  coercions: Record<string, { from: string; to: string; count: number }>;
}

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
