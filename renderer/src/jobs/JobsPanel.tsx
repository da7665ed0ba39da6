import { useEffect, useMemo, useState } from 'react';
import type { JobState } from '../../../core/api/contract.js';
import { errorWords } from '../api/errorText';
import { cancelJob, closeDialog, isEnded, loadJobs, openDataset } from '../state/actions';
import { useAppState } from '../state/appState';
import { Dialog } from '../shell/Dialog';
import { ErrorPanel } from '../shell/ErrorPanel';
import { ProgressBar } from '../shell/ProgressBar';
import { formatCount } from '../tree/treeModel';
import { formatDuration, jobDurationMs, jobLinks, jobOutcome, jobRows, sortJobs } from './jobsModel';

const BADGE: Record<JobState['state'], string> = { queued: 'muted', running: 'info', succeeded: 'ok', failed: 'bad', cancelled: 'muted' };
/** Links shown per job (an ingest can write hundreds of snapshots). */
const MAX_LINKS = 3;

/** The time of day a job was created, in the page's zone, to the second. */
function timeOf(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

function JobRow({ job, now }: { job: JobState; now: number }) {
  const links = jobLinks(job);
  const rows = jobRows(job);
  const ended = isEnded(job);
  return (
    <tr data-testid="job-row" data-job-id={job.id} data-state={job.state} data-kind={job.kind}>
      <td>
        <span className={`badge ${BADGE[job.state]}`}>{job.state}</span>
      </td>
      <td className="wrap">
        <div className="job-name">{job.title}</div>
        <div className="muted small">
          {job.kind} · started {timeOf(job.startedAt ?? job.createdAt)}
        </div>
      </td>
      <td className="num" data-testid="job-duration">
        {formatDuration(jobDurationMs(job, now))}
      </td>
      <td className="num" data-testid="job-rows">
        {rows === null ? '—' : formatCount(rows)}
      </td>
      <td className="wrap job-outcome">
        {ended ? null : <ProgressBar progress={job.progress} label={`${job.title} progress`} />}
        {job.state === 'failed' && job.error ? (
          <div className="job-error" data-testid="job-error" data-code={job.error.code}>
            <strong>{errorWords(job.error).title}</strong> <code>{job.error.code}</code>
            <div className="small">{job.error.message}</div>
          </div>
        ) : ended ? (
          <span data-testid="job-outcome">{jobOutcome(job)}</span>
        ) : null}
      </td>
      <td className="wrap">
        {links.slice(0, MAX_LINKS).map((link) => (
          <div key={link.path}>
            <button
              type="button"
              className="link mono small"
              data-testid="job-link"
              data-path={link.path}
              title={`${link.role === 'wrote' ? 'Open what this job wrote' : 'Open what this job read'}: ${link.path}`}
              onClick={() => {
                closeDialog();
                openDataset(link.path, { reveal: true, tab: link.role === 'wrote' ? 'metadata' : undefined });
              }}
            >
              {link.path}
            </button>
          </div>
        ))}
        {links.length > MAX_LINKS ? <span className="muted small">+{formatCount(links.length - MAX_LINKS)} more</span> : null}
        {!ended ? (
          <button type="button" className="small" onClick={() => void cancelJob(job.id)} aria-label={`Cancel ${job.title}`}>
            Cancel
          </button>
        ) : null}
      </td>
    </tr>
  );
}

/**
 * The jobs of the host's session, newest first: running ones with progress and cancel, and
 * those that ended with their duration, rows, result or error and links to what they wrote.
 * The list comes from the host (`jobs.list`), so it survives a reload of the page.
 */
export function JobsPanel() {
  const jobs = useAppState((s) => s.jobs);
  const jobsError = useAppState((s) => s.jobsError);
  const all = useMemo(() => sortJobs(Object.values(jobs)), [jobs]);
  const running = all.some((j) => !isEnded(j));
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    void loadJobs();
  }, []);
  // running jobs' durations tick
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [running]);

  const failed = all.filter((j) => j.state === 'failed').length;
  return (
    <Dialog title="Jobs" onClose={closeDialog} wide testId="jobs-panel">
      <p className="muted small" data-testid="jobs-summary">
        {all.length === 0 ? 'No jobs in this session yet.' : `${formatCount(all.length)} ${all.length === 1 ? 'job' : 'jobs'} in this session · ${formatCount(all.filter((j) => !isEnded(j)).length)} running · ${formatCount(failed)} failed`}
      </p>
      {jobsError ? <ErrorPanel error={jobsError} context="The host's list of jobs could not be read" compact /> : null}
      {all.length > 0 ? (
        <table className="data-table jobs-table">
          <thead>
            <tr>
              <th>State</th>
              <th>Job</th>
              <th className="num">Duration</th>
              <th className="num">Rows</th>
              <th>Result</th>
              <th>Wrote / read</th>
            </tr>
          </thead>
          <tbody>
            {all.map((job) => (
              <JobRow key={job.id} job={job} now={now} />
            ))}
          </tbody>
        </table>
      ) : null}
    </Dialog>
  );
}
