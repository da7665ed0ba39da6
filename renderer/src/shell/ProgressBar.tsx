import type { JobProgress } from '../../../core/api/contract.js';
import { countOf, formatBytes } from '../tree/treeModel';

/** A job's progress: a bar (indeterminate when the fraction is unknown) and its stage in words. */
export function ProgressBar({ progress, label }: { progress: JobProgress; label?: string }) {
  const pct = progress.fraction === null ? null : Math.round(progress.fraction * 100);
  const extra = [progress.rows !== null ? countOf(progress.rows, 'row') : '', progress.bytes !== null ? formatBytes(progress.bytes) : ''].filter(Boolean).join(' · ');
  return (
    <div className="progress">
      <div
        className={pct === null ? 'progress-track indeterminate' : 'progress-track'}
        role="progressbar"
        aria-label={label ?? 'Progress'}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct ?? undefined}
      >
        <div className="progress-fill" style={{ width: pct === null ? undefined : `${pct}%` }} />
      </div>
      <span className="progress-text">
        {progress.stage}
        {pct !== null ? ` · ${pct}%` : ''}
        {extra ? ` · ${extra}` : ''}
      </span>
    </div>
  );
}
