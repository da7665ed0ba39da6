import { useMemo, useState } from 'react';
import type { FeatureSetName, JobState } from '../../../core/api/contract.js';
import { asErrorLike, failedJobError, type ErrorLike } from '../api/errorText';
import { cancelJob, closeDialog, openDataset, openDialog, refreshTree, runJob, setNotice } from '../state/actions';
import { useAppState } from '../state/appState';
import { Dialog } from '../shell/Dialog';
import { ErrorPanel } from '../shell/ErrorPanel';
import { ProgressBar } from '../shell/ProgressBar';
import { countOf, formatCount } from '../tree/treeModel';
import { changedParameters, cleanedAssets, defaultTexts, FEATURE_SETS, parameterFields, parseParameters, sourceVersions } from './featureParams';

type Step = { kind: 'form' } | { kind: 'running'; job: JobState<'features'> | null } | { kind: 'failed'; error: ErrorLike } | { kind: 'cancelled' };

/**
 * Build a feature set from a cleaned version of an asset: the set, the source version, the
 * set's parameters (defaults from docs/features.md), then the job with progress and cancel.
 * The new version opens in the tree with its lineage.
 */
export function FeaturesDialog({ asset: initialAsset, from: initialFrom }: { asset: string | null; from?: string }) {
  const tree = useAppState((s) => s.tree);
  const assets = useMemo(() => cleanedAssets(tree), [tree]);
  const [asset, setAsset] = useState(initialAsset && assets.includes(initialAsset) ? initialAsset : (assets[0] ?? ''));
  const versions = useMemo(() => sourceVersions(tree, asset), [tree, asset]);
  const [from, setFrom] = useState(initialFrom ?? '');
  const [set, setSet] = useState<FeatureSetName>('momentum_indicators');
  const [texts, setTexts] = useState<Record<string, string>>(() => defaultTexts('momentum_indicators'));
  const [step, setStep] = useState<Step>({ kind: 'form' });

  const source = versions.find((v) => v.version === from) ?? versions[0] ?? null;
  const fields = parameterFields(set);
  const { parameters, errors } = parseParameters(set, texts);
  const invalid = Object.keys(errors).length > 0;
  const busy = step.kind === 'running';
  const changed = changedParameters(parameters);
  const describe = FEATURE_SETS.find((s) => s.set === set);

  const chooseSet = (next: FeatureSetName) => {
    setSet(next);
    setTexts(defaultTexts(next));
    setStep({ kind: 'form' });
  };

  const build = async () => {
    if (!source || invalid) return;
    setStep({ kind: 'running', job: null });
    try {
      const job = await runJob({ kind: 'features', set, asset, from: source.version, parameters }, (update) => setStep((s) => (s.kind === 'running' ? { kind: 'running', job: update } : s)));
      if (job.state === 'succeeded' && job.result) {
        const result = job.result;
        await refreshTree();
        closeDialog();
        openDataset(result.path, { reveal: true, tab: 'metadata' });
        setNotice(`${result.status === 'unchanged' ? 'Already built' : 'Built'} ${set} for ${asset}: ${result.path}, ${countOf(result.rows, 'row')}`);
      } else if (job.state === 'cancelled') setStep({ kind: 'cancelled' });
      else setStep({ kind: 'failed', error: failedJobError(job.error, 'the features job', job.state) });
    } catch (error) {
      setStep({ kind: 'failed', error: asErrorLike(error) });
    }
  };

  const runningJob = step.kind === 'running' ? step.job : null;
  return (
    <Dialog
      title="Build features"
      onClose={closeDialog}
      busy={busy}
      wide
      testId="features-dialog"
      footer={
        <>
          {busy ? (
            <button type="button" disabled={!runningJob} onClick={() => runningJob && void cancelJob(runningJob.id)}>
              Cancel job
            </button>
          ) : (
            <button type="button" onClick={closeDialog}>
              Close
            </button>
          )}
          <button type="button" disabled={busy} onClick={() => openDialog({ kind: 'jobs' })} title="All jobs of this session (Alt+J)">
            Jobs…
          </button>
          <button type="button" className="primary" onClick={() => void build()} disabled={busy || !source || invalid} title={invalid ? 'Fix the parameters first' : source ? `Build ${set} from ${source.path}` : 'There is no cleaned version to build from'}>
            Build
          </button>
        </>
      }
    >
      <div className="promote-grid">
        <form
          className="form"
          onSubmit={(event) => {
            event.preventDefault();
            void build();
          }}
        >
          <div className="field-row">
            <label className="field">
              <span>Asset</span>
              <select
                value={asset}
                aria-label="Asset"
                disabled={busy}
                onChange={(e) => {
                  setAsset(e.target.value);
                  setFrom('');
                  setStep({ kind: 'form' });
                }}
              >
                {assets.map((a) => (
                  <option key={a} value={a}>
                    {a}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>Source version</span>
              <select value={source?.version ?? ''} aria-label="Source version" disabled={busy || versions.length === 0} onChange={(e) => setFrom(e.target.value)}>
                {versions.map((v, i) => (
                  <option key={v.path} value={v.version}>
                    {v.version}
                    {i === 0 ? ' (newest)' : ''}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <p className="muted small" data-testid="features-source">
            {assets.length === 0 ? 'There is no cleaned version in this store: promote raw data first.' : source ? `${source.path} · ${countOf(source.rows, 'row')}` : `${asset} has no cleaned version.`}
          </p>
          <fieldset className="field">
            <legend>Feature set</legend>
            {FEATURE_SETS.map((s) => (
              <label key={s.set} className="radio">
                <input type="radio" name="feature-set" value={s.set} checked={set === s.set} disabled={busy} onChange={() => chooseSet(s.set)} />
                <span>
                  {s.label} <code className="small">{s.set}</code>
                </span>
              </label>
            ))}
          </fieldset>
          {describe ? <p className="muted small">{describe.what}</p> : null}
          <fieldset className="field" data-testid="feature-parameters">
            <legend>Parameters</legend>
            <div className="parameter-grid">
              {fields.map((field) => (
                <label key={field.name} className="field">
                  <span>{field.label}</span>
                  <input
                    type="text"
                    inputMode={field.integer ? 'numeric' : 'decimal'}
                    aria-label={field.label}
                    aria-invalid={errors[field.name] ? true : undefined}
                    name={field.name}
                    value={texts[field.name] ?? ''}
                    placeholder={String(field.defaultValue)}
                    disabled={busy}
                    onChange={(e) => {
                      setTexts({ ...texts, [field.name]: e.target.value });
                      if (!busy) setStep({ kind: 'form' });
                    }}
                  />
                  <small className={errors[field.name] ? 'field-note bad' : 'field-note muted'} data-testid={`parameter-note-${field.name}`}>{errors[field.name] ?? `${field.unit} · default ${field.defaultValue}`}</small>
                </label>
              ))}
            </div>
            <div className="button-row">
              <button type="button" className="link" disabled={busy || changed === ''} onClick={() => setTexts(defaultTexts(set))}>
                Reset to defaults
              </button>
            </div>
          </fieldset>
        </form>

        <div className="gate" data-testid="features-job" data-step={step.kind}>
          <h4>Job</h4>
          {step.kind === 'form' ? (
            <p className="muted small" data-testid="features-plan">
              {source ? `Builds ${set} for ${asset} from ${source.path}${changed ? ` with ${changed}` : ' with the default parameters'} as a new version under features/ (the same inputs again answer “unchanged”).` : 'Pick a source version.'}
            </p>
          ) : null}
          {step.kind === 'running' ? (
            <>
              <p className="small">{runningJob?.state === 'queued' ? 'Waiting for the job before it…' : `Building ${set}…`}</p>
              <ProgressBar progress={runningJob?.progress ?? { fraction: null, rows: null, bytes: null, stage: 'starting' }} label="Feature build progress" />
              {runningJob?.progress.rows !== null && runningJob?.progress.rows !== undefined && source?.rows ? (
                <p className="muted small">
                  {formatCount(runningJob.progress.rows)} of {countOf(source.rows, 'source row')}
                </p>
              ) : null}
            </>
          ) : null}
          {step.kind === 'cancelled' ? (
            <p className="small" data-testid="features-cancelled">
              Cancelled: nothing was written.
            </p>
          ) : null}
          {step.kind === 'failed' ? <ErrorPanel error={step.error} context="The build failed" compact /> : null}
        </div>
      </div>
    </Dialog>
  );
}
