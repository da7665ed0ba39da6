import type { ValidationReport } from '../../../core/api/contract.js';

/**
 * What the app reads out of a validation report (the contract's `ValidationReport`, the
 * validate job's result, typed by its schema): offending rows, rules per row, words.
 */

/** Every listed offending row of the report's errors and warnings, ascending. */
export function offendingRows(report: ValidationReport | null, which: 'errors' | 'all' = 'all'): number[] {
  if (!report) return [];
  const issues = which === 'errors' ? report.errors : [...report.errors, ...report.warnings];
  return [...new Set(issues.flatMap((i) => i.rows))].sort((a, b) => a - b);
}

/** What a row breaks: its rules, and whether any of them is an error (not only warnings). */
export interface RowIssues {
  rules: string[];
  error: boolean;
}

/** Row → the rules it breaks (for the table's highlight and tooltip). */
export function rulesByRow(report: ValidationReport | null): Map<number, RowIssues> {
  const map = new Map<number, RowIssues>();
  if (!report) return map;
  for (const issue of [...report.errors, ...report.warnings]) {
    for (const row of issue.rows) {
      const known = map.get(row) ?? { rules: [], error: false };
      map.set(row, { rules: known.rules.includes(issue.rule) ? known.rules : [...known.rules, issue.rule], error: known.error || issue.severity === 'error' });
    }
  }
  return map;
}

/** Human words for the stable rule names. */
const RULE_TITLES: Record<string, string> = {
  required_column: 'Required column',
  type: 'Column type',
  null_required: 'Nulls in a required column',
  finite_values: 'Non-finite values',
  positive_price: 'Non-positive price',
  ohlc_consistency: 'OHLC inconsistent',
  non_negative_volume: 'Negative volume',
  unique_timestamp: 'Duplicate timestamp',
  sorted_timestamp: 'Timestamps out of order',
  session_gap: 'Gap inside a session',
  price_spike: 'Price spike',
  stale_price: 'Stale price',
  constraints: 'Column constraint',
};

export function ruleTitle(rule: string): string {
  return RULE_TITLES[rule] ?? rule.replace(/_/g, ' ');
}

/** The share of filled cells: 100% only when every cell is filled (99.9996 is 99.99%, never a rounded-up 100.00%). */
export function filledText(percentage: number): string {
  if (percentage >= 100) return '100%';
  return `${(Math.floor(percentage * 100) / 100).toFixed(2)}%`;
}
