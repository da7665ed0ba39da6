import { useState } from 'react';
import type { JobResult, JobState } from '../../../core/api/contract.js';
import { asErrorLike, failedJobError, type ErrorLike } from '../api/errorText';
import { openStore, runJob } from '../state/actions';
import { countOf } from '../tree/treeModel';
import { ErrorPanel } from './ErrorPanel';
import { ProgressBar } from './ProgressBar';

type Step = { kind: 'offer' } | { kind: 'running'; job: JobState<'migrate'> | null } | { kind: 'opening'; result: JobResult<'migrate'> } | { kind: 'failed'; error: ErrorLike } | { kind: 'cancelled' };

/** What a migration did, in one line: tables and versions made, files moved and shared. */
function migratedLine(result: JobResult<'migrate'>): string {
  const versions = result.tables.reduce((sum, t) => sum + t.versions.length, 0);
  const moved = result.tables.reduce((sum, t) => sum + t.filesMoved, 0);
  const shared = result.tables.reduce((sum, t) => sum + t.filesShared, 0);
  return `${countOf(result.tables.length, 'table')} · ${countOf(versions, 'version')} · ${countOf(moved, 'file')} moved, ${countOf(shared, 'file')} shared · ${countOf(result.rawSidecars, 'raw sidecar')}${result.rawRevisions > 0 ? ` · ${countOf(result.rawRevisions, 'older raw revision')} moved out of date folders` : ''}`;
}

/**
 * The store folder is of format 1 (STORE_NEEDS_MIGRATION): offer to convert it in place with
 * the migrate job (crash-safe and resumable, as `mes-data migrate`), with its progress, and
 * then open it.
 */
export function MigratePanel({ store }: { store: string }) {
  const [step, setStep] = useState<Step>({ kind: 'offer' });
  const migrate = async () => {
    setStep({ kind: 'running', job: null });
    try {
      const job = await runJob({ kind: 'migrate', store }, (update) => setStep((s) => (s.kind === 'running' ? { kind: 'running', job: update } : s)));
      if (job.state === 'succeeded' && job.result) {
        setStep({ kind: 'opening', result: job.result });
        await openStore(store, false);
      } else if (job.state === 'cancelled') setStep({ kind: 'cancelled' });
      else setStep({ kind: 'failed', error: failedJobError(job.error, 'the migrate job') });
    } catch (error) {
      setStep({ kind: 'failed', error: asErrorLike(error) });
    }
  };
  const busy = step.kind === 'running' || step.kind === 'opening';
  return (
    <section className="migrate-panel" data-testid="migrate-panel" data-step={step.kind}>
      <p className="small">
        This store was written in format 1. Migrating converts it in place to format 2 (each version a table sharing its files, sidecars in <code>catalog/</code>); an interrupted migration goes on where it stopped.
      </p>
      <div className="button-row">
        <button type="button" className="primary" disabled={busy} onClick={() => void migrate()}>
          Migrate this store
        </button>
      </div>
      {step.kind === 'running' ? <ProgressBar progress={step.job?.progress ?? { fraction: null, rows: null, bytes: null, stage: 'starting' }} label="Migration progress" /> : null}
      {step.kind === 'opening' ? (
        <p className="small" data-testid="migrate-result">
          Migrated: {migratedLine(step.result)}. Opening the store…
        </p>
      ) : null}
      {step.kind === 'cancelled' ? <p className="small">Cancelled: the store stays as it was; migrating again goes on where it stopped.</p> : null}
      {step.kind === 'failed' ? <ErrorPanel error={step.error} context="The store could not be migrated" compact /> : null}
    </section>
  );
}
