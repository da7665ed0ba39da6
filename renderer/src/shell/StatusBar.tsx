import { useState } from 'react';
import { errorWords } from '../api/errorText';
import { cancelJob, dismissErrors, isEnded, openDialog, showStartup } from '../state/actions';
import { useAppState } from '../state/appState';
import { useInstrument } from '../table/useInstrument';
import { ProgressBar } from './ProgressBar';

/** The bottom line: the store, running jobs with progress and cancel, recent errors, short notices. */
export function StatusBar() {
  const info = useAppState((s) => s.info);
  const jobs = useAppState((s) => s.jobs);
  const errors = useAppState((s) => s.errors);
  const notice = useAppState((s) => s.notice);
  const timeMode = useAppState((s) => s.timeMode);
  const { zone } = useInstrument(useAppState((s) => s.selected));
  const [showErrors, setShowErrors] = useState(false);
  const all = Object.values(jobs).sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
  const running = all.filter((j) => !isEnded(j));
  const failed = all.filter((j) => j.state === 'failed').length;
  const last = errors[errors.length - 1];
  return (
    <footer className="status-bar" role="contentinfo">
      <button type="button" className="status-item store-path" title={`Store: ${info?.store ?? 'none'} — click to open another`} onClick={() => showStartup(true)} data-testid="store-path">
        <span className="status-label">Store</span> <span className="mono">{info?.store ?? 'none'}</span>
      </button>
      <div className="status-jobs" aria-live="polite">
        {running.slice(0, 2).map((job) => (
          <div key={job.id} className="status-job" data-testid="status-job">
            <span className="job-title">{job.title}</span>
            <ProgressBar progress={job.progress} label={job.title} />
            <button type="button" className="icon-button" title="Cancel this job" aria-label={`Cancel ${job.title}`} onClick={() => void cancelJob(job.id)}>
              ×
            </button>
          </div>
        ))}
        {running.length > 2 ? <span className="muted">+{running.length - 2} more</span> : null}
        {running.length === 0 && notice ? (
          <span className="notice" role="status">
            {notice}
          </span>
        ) : null}
      </div>
      <button type="button" className="status-item" onClick={() => openDialog({ kind: 'jobs' })} title="Running and finished jobs, with results and errors (Alt+J)" data-testid="status-jobs">
        Jobs {all.length > 0 ? `(${all.length}${failed > 0 ? `, ${failed} failed` : ''})` : ''}
      </button>
      <span className="status-item muted" title="Timestamps are shown in this zone (toggle in the toolbar)">
        {timeMode === 'utc' ? 'UTC' : `Exchange time (${zone})`}
      </span>
      <div className="popover-anchor up">
        {last ? (
          <button type="button" className="status-item status-error" aria-expanded={showErrors} onClick={() => setShowErrors(!showErrors)} title="Errors" data-testid="status-error">
            ⚠ {errors.length} {errors.length === 1 ? 'error' : 'errors'}: {last.code}
          </button>
        ) : null}
        {showErrors && errors.length > 0 ? (
          <div className="popover up-popover errors-popover" role="dialog" aria-label="Errors">
            <ul>
              {[...errors].reverse().map((error) => {
                const words = errorWords(error);
                return (
                  <li key={error.id}>
                    <strong>{error.context}</strong>: {words.title} <code>{error.code}</code>
                    <div className="small">{error.message}</div>
                  </li>
                );
              })}
            </ul>
            <div className="popover-actions">
              <button
                type="button"
                onClick={() => {
                  dismissErrors();
                  setShowErrors(false);
                }}
              >
                Clear
              </button>
            </div>
          </div>
        ) : null}
      </div>
    </footer>
  );
}
