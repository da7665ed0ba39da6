import { ValidationGateDetailsSchema, type JobResult, type ValidationReport } from '../../../core/api/contract.js';
import type { ErrorLike } from '../api/errorText.ts';

/**
 * What the promote dialog shows of a gate: the validation report and the rows cleaning drops,
 * from a dry run's result (the contract's `JobResult<'promote'>`) or from the details of the
 * VALIDATION_GATE error a failing gate ends with.
 */
export interface Gate {
  report: ValidationReport;
  /** rows dropped (or counted by the gate) per rule */
  dropped: Record<string, number>;
}

export function gateOfResult(result: JobResult<'promote'>): Gate {
  return { report: result.report, dropped: result.dropped };
}

/** The gate a VALIDATION_GATE error carries in its details, or null for any other error. */
export function gateOfError(error: ErrorLike): Gate | null {
  if (error.code !== 'VALIDATION_GATE') return null;
  const details = ValidationGateDetailsSchema.safeParse(error.details);
  return details.success ? { report: details.data.report, dropped: details.data.dropped ?? {} } : null;
}

/** Rows the drop policy removes, in total. */
export function droppedTotal(dropped: Record<string, number>): number {
  return Object.values(dropped).reduce((sum, n) => sum + n, 0);
}
