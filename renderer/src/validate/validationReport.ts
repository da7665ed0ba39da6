/**
 * The validation report as the UI reads it from a job's result (the contract types a job's
 * result as unknown: it is checked here, field by field, so a host that sends something
 * else gives a clear message instead of a broken panel). Shape: CLI.md's validation report.
 */

export interface ReportIssue {
  rule: string;
  code: string;
  column?: string;
  count: number;
  /** The first ≤ 100 offending rows, 0-based in the target as read. */
  rows: number[];
  message: string;
  severity: 'error' | 'warning';
}

export interface ReportMetrics {
  nullCounts: Record<string, number>;
  completenessPercentage: number | null;
  duplicateTimestamps: number | null;
  gapCount: number | null;
  missingBars: number | null;
  barIntervalSeconds: number | null;
}

export interface Report {
  target: string;
  schema: string;
  mode: string;
  valid: boolean;
  rowCount: number;
  errors: ReportIssue[];
  warnings: ReportIssue[];
  metrics: ReportMetrics;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const str = (value: unknown, fallback = ''): string => (typeof value === 'string' ? value : fallback);

function issue(value: unknown, severity: 'error' | 'warning'): ReportIssue | null {
  if (!isRecord(value)) return null;
  const rows = Array.isArray(value.rows) ? value.rows.filter((r): r is number => typeof r === 'number') : [];
  return {
    rule: str(value.rule, 'unknown'),
    code: str(value.code),
    column: typeof value.column === 'string' ? value.column : undefined,
    count: num(value.count) ?? rows.length,
    rows,
    message: str(value.message),
    severity: value.severity === 'warning' || value.severity === 'error' ? value.severity : severity,
  };
}

/** The report in a job result (or in a VALIDATION_GATE error's details), or null when there is none. */
export function parseReport(value: unknown): Report | null {
  if (!isRecord(value)) return null;
  if (typeof value.valid !== 'boolean' || (!Array.isArray(value.errors) && !Array.isArray(value.warnings))) {
    // a promote result or an error's details carry the report one level down
    return isRecord(value.report) ? parseReport(value.report) : null;
  }
  const metrics = isRecord(value.metrics) ? value.metrics : {};
  const nullCounts: Record<string, number> = {};
  if (isRecord(metrics.nullCounts)) for (const [k, v] of Object.entries(metrics.nullCounts)) if (typeof v === 'number') nullCounts[k] = v;
  return {
    target: str(value.target),
    schema: str(value.schema),
    mode: str(value.mode),
    valid: value.valid,
    rowCount: num(value.rowCount) ?? 0,
    errors: (Array.isArray(value.errors) ? value.errors : []).map((v) => issue(v, 'error')).filter((v): v is ReportIssue => v !== null),
    warnings: (Array.isArray(value.warnings) ? value.warnings : []).map((v) => issue(v, 'warning')).filter((v): v is ReportIssue => v !== null),
    metrics: {
      nullCounts,
      completenessPercentage: num(metrics.completenessPercentage),
      duplicateTimestamps: num(metrics.duplicateTimestamps),
      gapCount: num(metrics.gapCount),
      missingBars: num(metrics.missingBars),
      barIntervalSeconds: num(metrics.barIntervalSeconds),
    },
  };
}

/** Every listed offending row of the report's errors and warnings, ascending. */
export function offendingRows(report: Report | null, which: 'errors' | 'all' = 'all'): number[] {
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
export function rulesByRow(report: Report | null): Map<number, RowIssues> {
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
export const RULE_TITLES: Record<string, string> = {
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
