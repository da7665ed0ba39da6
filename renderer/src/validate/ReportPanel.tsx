import { useState } from 'react';
import { hideReport, openDialog, selectRow } from '../state/actions';
import { useAppState, type ValidationRun } from '../state/appState';
import { ErrorPanel } from '../shell/ErrorPanel';
import { ProgressBar } from '../shell/ProgressBar';
import { formatCount } from '../tree/treeModel';
import type { ValidationIssue, ValidationReport } from '../../../core/api/contract.js';
import { filledText, ruleTitle } from './validationReport';

function plural(n: number, word: string): string {
  return `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`;
}

function IssueItem({ issue, target }: { issue: ValidationIssue; target: string }) {
  const [open, setOpen] = useState(false);
  const first = issue.rows[0];
  return (
    <li className={`issue ${issue.severity}`} data-rule={issue.rule}>
      <button
        type="button"
        className="issue-head"
        title={first === undefined ? issue.message : `Jump to row ${first}`}
        onClick={() => {
          if (first !== undefined) selectRow(target, first, { showTable: true });
          setOpen(true);
        }}
      >
        <span className="issue-rule">{ruleTitle(issue.rule)}</span>
        <span className="issue-count">{formatCount(issue.count)}</span>
      </button>
      <p className="issue-message">
        {issue.message}
        {issue.column && !issue.message.includes(issue.column) ? (
          <>
            {' '}
            <code>{issue.column}</code>
          </>
        ) : null}{' '}
        <span className="muted small">
          {issue.rule} · {issue.code}
        </span>
      </p>
      {issue.rows.length > 0 ? (
        <div className="issue-rows">
          {(open ? issue.rows : issue.rows.slice(0, 8)).map((row) => (
            <button key={row} type="button" className="row-chip" data-row={row} title={`Show row ${row} in the table`} onClick={() => selectRow(target, row, { showTable: true })}>
              {row}
            </button>
          ))}
          {!open && issue.rows.length > 8 ? (
            <button type="button" className="link small" onClick={() => setOpen(true)}>
              +{issue.rows.length - 8} more
            </button>
          ) : null}
          {issue.count > issue.rows.length && open ? <span className="muted small">first {issue.rows.length} of {formatCount(issue.count)} listed</span> : null}
        </div>
      ) : null}
    </li>
  );
}

function Metrics({ report }: { report: ValidationReport }) {
  const m = report.metrics;
  const nulls = Object.entries(m.nullCounts).filter(([, n]) => n > 0);
  return (
    <dl className="metrics" data-testid="quality-metrics">
      <div>
        <dt>Rows</dt>
        <dd>{formatCount(report.rowCount)}</dd>
      </div>
      {/* what it measures is cells, not bars: beside "Missing bars 1", "Complete 100%" read as a contradiction */}
      <div title="Required cells that hold a value (not null). Bars missing from the series are counted under Missing bars.">
        <dt>Cells filled</dt>
        <dd>{filledText(m.completenessPercentage)}</dd>
      </div>
      <div>
        <dt>Duplicate times</dt>
        <dd>{formatCount(m.duplicateTimestamps)}</dd>
      </div>
      <div>
        <dt>Gaps</dt>
        <dd>{formatCount(m.gapCount)}</dd>
      </div>
      <div>
        <dt>Missing bars</dt>
        <dd>{formatCount(m.missingBars)}</dd>
      </div>
      {m.barIntervalSeconds ? (
        <div>
          <dt>Bar interval</dt>
          <dd>{m.barIntervalSeconds} s</dd>
        </div>
      ) : null}
      <div>
        <dt>Nulls</dt>
        <dd>{nulls.length === 0 ? 'none' : nulls.map(([c, n]) => `${c}: ${formatCount(n)}`).join(', ')}</dd>
      </div>
    </dl>
  );
}

/** Issues of a report (errors or warnings), for the report panel and the promote dialog. */
export function IssueList({ issues, target, empty }: { issues: ValidationIssue[]; target: string | null; empty: string }) {
  if (issues.length === 0) return <p className="muted small">{empty}</p>;
  if (target === null) {
    return (
      <ul className="issues plain">
        {issues.map((issue, i) => (
          <li key={`${issue.rule}:${issue.column ?? ''}:${i}`} className={`issue ${issue.severity}`} data-rule={issue.rule}>
            <div className="issue-head static">
              <span className="issue-rule">{ruleTitle(issue.rule)}</span>
              <span className="issue-count">{formatCount(issue.count)}</span>
            </div>
            <p className="issue-message">{issue.message}</p>
          </li>
        ))}
      </ul>
    );
  }
  return (
    <ul className="issues">
      {issues.map((issue, i) => (
        <IssueItem key={`${issue.rule}:${issue.column ?? ''}:${i}`} issue={issue} target={target} />
      ))}
    </ul>
  );
}

/** The validation report beside the table and chart: pass/fail, per-rule counts, metrics; issues jump to rows. */
export function ReportPanel({ run }: { run: ValidationRun }) {
  const job = useAppState((s) => (run.jobId ? s.jobs[run.jobId] : undefined));
  const report = run.report;
  return (
    <aside className="report-panel" aria-label="Validation report" data-testid="report-panel" data-state={run.state}>
      <div className="panel-header">
        <span className="panel-title">Validation</span>
        <button type="button" className="icon-button" aria-label="Close the report" title="Close the report" onClick={() => hideReport(true)}>
          ×
        </button>
      </div>
      <div className="report-body">
        <p className="muted small">
          <code>{run.target}</code> against <strong>{run.schema}</strong> ({run.mode})
        </p>
        {run.state === 'running' ? <ProgressBar progress={job?.progress ?? { fraction: null, rows: null, bytes: null, stage: 'starting' }} label="Validation progress" /> : null}
        {run.state === 'failed' && run.error ? <ErrorPanel error={run.error} context="Validation did not finish" compact /> : null}
        {report ? (
          <>
            <div className={`verdict ${report.valid ? 'pass' : 'fail'}`} data-testid="verdict" data-valid={report.valid}>
              {report.valid ? '✓ Valid' : '✗ Errors found'}
              <span className="small">
                {plural(report.errors.reduce((s, i) => s + i.count, 0), 'error')} · {plural(report.warnings.reduce((s, i) => s + i.count, 0), 'warning')}
              </span>
            </div>
            <Metrics report={report} />
            <h4>Errors</h4>
            <IssueList issues={report.errors} target={run.target} empty="No rule found an error." />
            <h4>Warnings</h4>
            <IssueList issues={report.warnings} target={run.target} empty="No warnings." />
          </>
        ) : null}
        {run.state !== 'running' ? (
          <button type="button" className="link" onClick={() => openDialog({ kind: 'validate', target: run.target })}>
            Validate again…
          </button>
        ) : null}
      </div>
    </aside>
  );
}
