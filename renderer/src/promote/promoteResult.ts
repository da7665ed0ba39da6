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
  /** trading dates the version would share with the newest one, write, and leave out (null: the error does not say) */
  dates: PromoteDates | null;
}

type PromoteDates = JobResult<'promote'>['dates'];

export function gateOfResult(result: JobResult<'promote'>): Gate {
  return { report: result.report, dropped: result.dropped, dates: result.dates };
}

/** `2 dates shared · 1 written · 0 removed` (`24 years shared · …` for a table by year): what an incremental promote keeps by reference, writes and leaves out. */
export function datesLine(dates: PromoteDates | null): string {
  if (!dates) return '';
  const n = (count: number) => count.toLocaleString('en-US');
  const unit = dates.by === 'year' ? 'year' : 'date';
  return `${n(dates.shared)} ${dates.shared === 1 ? unit : `${unit}s`} shared · ${n(dates.written)} written · ${n(dates.removed)} removed`;
}

/** The gate a VALIDATION_GATE error carries in its details, or null for any other error. */
export function gateOfError(error: ErrorLike): Gate | null {
  if (error.code !== 'VALIDATION_GATE') return null;
  const details = ValidationGateDetailsSchema.safeParse(error.details);
  return details.success ? { report: details.data.report, dropped: details.data.dropped ?? {}, dates: null } : null;
}

/** Rows the drop policy removes, in total. */
export function droppedTotal(dropped: Record<string, number>): number {
  return Object.values(dropped).reduce((sum, n) => sum + n, 0);
}
