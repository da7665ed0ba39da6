import { isJobOf, type JobState } from '../../../core/api/contract.js';
import { countOf } from '../tree/treeModel.ts';

/**
 * The jobs panel's model: each job's duration, rows, result in words and the datasets it
 * wrote (or read), from the job states the host keeps for its session. Pure functions.
 */

const ENDED = new Set(['succeeded', 'failed', 'cancelled']);

/** The jobs, newest first (by when they were created; the id breaks ties). */
export function sortJobs(jobs: readonly JobState[]): JobState[] {
  return [...jobs].sort((a, b) => (a.createdAt !== b.createdAt ? (a.createdAt < b.createdAt ? 1 : -1) : a.id < b.id ? 1 : -1));
}

/**
 * How long a job ran, in ms: from its start (or, still queued, its creation) to its end, or
 * to `now` while it runs; null for a job that ended before it started (cancelled in the queue).
 */
export function jobDurationMs(job: JobState, now: number): number | null {
  const ended = ENDED.has(job.state);
  if (!job.startedAt) return ended ? null : Math.max(0, now - Date.parse(job.createdAt));
  const end = ended ? Date.parse(job.endedAt ?? job.startedAt) : now;
  return Math.max(0, end - Date.parse(job.startedAt));
}

/** `0.42 s`, `12.3 s`, `4 min 05 s`, `2 h 03 min`. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** The rows a job ended with (written, or read for a check), or the rows its progress counts while it runs. */
export function jobRows(job: JobState): number | null {
  if (job.state === 'succeeded') {
    if (isJobOf(job, 'features') || isJobOf(job, 'promote')) return job.result?.rows ?? null;
    if (isJobOf(job, 'ingest')) return job.result?.rowsWritten ?? null;
    if (isJobOf(job, 'validate')) return job.result?.rowCount ?? null;
    if (isJobOf(job, 'diff')) return job.result?.rows.b ?? null;
    return null;
  }
  return job.progress.rows;
}

interface JobLink {
  path: string;
  /** `wrote`: a dataset the job made; `read`: the dataset it checked */
  role: 'wrote' | 'read';
}

/** The store paths a job wrote (features, promote, ingest) or checked (validate, diff), for links. */
export function jobLinks(job: JobState): JobLink[] {
  if (isJobOf(job, 'validate')) return typeof job.params.target === 'string' && !job.params.target.startsWith('/') ? [{ path: job.params.target, role: 'read' }] : [];
  if (isJobOf(job, 'diff')) return ['a', 'b'].map((k) => job.params[k]).filter((p): p is string => typeof p === 'string' && !p.startsWith('/')).map((path) => ({ path, role: 'read' }));
  if (job.state !== 'succeeded') return [];
  if (isJobOf(job, 'features')) return job.result ? [{ path: job.result.path, role: 'wrote' }] : [];
  if (isJobOf(job, 'promote')) return job.result?.path ? [{ path: job.result.path, role: 'wrote' }] : [];
  if (isJobOf(job, 'ingest')) return (job.result?.snapshots ?? []).filter((s) => s.status === 'created').map((s) => ({ path: s.path, role: 'wrote' }));
  return [];
}

/** What a job ended with, in a line: the version it made, the verdict, or its error's code and message. */
export function jobOutcome(job: JobState): string {
  if (job.state === 'queued') return 'waiting for the job before it (writers run one at a time)';
  if (job.state === 'running') return job.progress.stage;
  if (job.state === 'cancelled') return `cancelled${job.error ? `: ${job.error.message}` : ''}`;
  if (job.state === 'failed') return job.error ? `${job.error.code}: ${job.error.message}` : 'failed without an error';
  if (isJobOf(job, 'features') && job.result) return `${job.result.status === 'created' ? 'created' : 'unchanged:'} ${job.result.path} (${job.result.version}) from ${countOf(job.result.inputs.length, 'cleaned file')}`;
  if (isJobOf(job, 'promote') && job.result) {
    const r = job.result;
    return r.status === 'dry-run' ? `gate ${r.report.valid ? 'passes' : 'fails'}: ${countOf(r.report.errors.length, 'error rule')}` : `${r.status === 'created' ? 'created' : 'unchanged:'} ${r.path ?? ''} (${r.version ?? ''})`;
  }
  if (isJobOf(job, 'ingest') && job.result) {
    const created = job.result.snapshots.filter((s) => s.status === 'created').length;
    return `${job.result.dryRun ? 'dry run: ' : ''}${countOf(created, 'snapshot')} created, ${countOf(job.result.snapshots.length - created, 'other')}`;
  }
  if (isJobOf(job, 'validate') && job.result) return `${job.result.valid ? 'valid' : 'invalid'}: ${countOf(job.result.errors.reduce((s, i) => s + i.count, 0), 'error')}, ${countOf(job.result.warnings.reduce((s, i) => s + i.count, 0), 'warning')}`;
  if (isJobOf(job, 'diff') && job.result) {
    const r = job.result.rows;
    return `${countOf(r.added, 'row')} added, ${r.removed.toLocaleString('en-US')} removed, ${r.changed.toLocaleString('en-US')} changed`;
  }
  if (isJobOf(job, 'verify') && job.result) return job.result.ok ? `ok: ${countOf(job.result.checked.files, 'file')} checked` : `${countOf(job.result.problems.length, 'problem')}`;
  return 'done';
}
