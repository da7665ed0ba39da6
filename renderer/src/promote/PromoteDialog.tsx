import { useMemo, useState } from 'react';
import type { JobState } from '../../../core/api/contract.js';
import { asErrorLike, failedJobError, type ErrorLike } from '../api/errorText';
import { cancelJob, closeDialog, openDataset, refreshTree, runJob, setNotice } from '../state/actions';
import { useAppState } from '../state/appState';
import { Dialog } from '../shell/Dialog';
import { ErrorPanel } from '../shell/ErrorPanel';
import { ProgressBar } from '../shell/ProgressBar';
import { countOf, findNode, formatCount } from '../tree/treeModel';
import { IssueList } from '../validate/ReportPanel';
import { useSchemas } from '../validate/useSchemas';
import { ruleTitle } from '../validate/validationReport';
import { datesLine, droppedTotal, gateOfError, gateOfResult, type Gate } from './promoteResult';

type Mode = 'strict' | 'coerce' | 'ignore';
type OnInvalid = 'fail' | 'drop';
type Compression = 'zstd' | 'snappy' | 'gzip' | 'brotli' | 'lz4' | 'none';
/** What the new version holds: the range (dates unchanged since the newest version are shared), only the dates it lacks, or the range promoted again */
type Scope = 'range' | 'append' | 'replace';

type Step =
  | { kind: 'form' }
  | { kind: 'checking'; job: JobState<'promote'> | null }
  | { kind: 'checked'; gate: Gate; gateError: ErrorLike | null }
  | { kind: 'running'; job: JobState<'promote'> | null }
  | { kind: 'failed'; error: ErrorLike; gate: Gate | null }
  | { kind: 'cancelled' };

/** A gate check that ended: the report from its result, or from a VALIDATION_GATE error's details. */
function gateOutcome(job: JobState<'promote'>): { gate: Gate; gateError: ErrorLike | null } | { error: ErrorLike } {
  if (job.state === 'succeeded' && job.result) return { gate: gateOfResult(job.result), gateError: null };
  const error = failedJobError(job.error, 'the gate check', job.state);
  const gate = gateOfError(error);
  return gate ? { gate, gateError: error } : { error };
}

/** One end of the date range: a pick among the asset's raw dates. */
function DateSelect({ label, value, dates, onChange, disabled }: { label: 'From' | 'To'; value: string; dates: readonly { date: string }[]; onChange: (date: string) => void; disabled: boolean }) {
  return (
    <label className="field">
      <span>{label}</span>
      <select value={value} onChange={(e) => onChange(e.target.value)} disabled={disabled} aria-label={`${label} date`}>
        {dates.map((d) => (
          <option key={d.date} value={d.date}>
            {d.date}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Promote a raw asset to a new cleaned version: gate check first (dry run), then the real job with progress and cancel. */
export function PromoteDialog({ asset }: { asset: string }) {
  const tree = useAppState((s) => s.tree);
  const { schemas } = useSchemas();
  const dates = useMemo(() => {
    const node = tree ? findNode(tree, `raw/${asset}`) : null;
    return (node?.children ?? []).filter((c) => c.kind === 'date').map((c) => ({ date: c.name, rows: c.rows ?? null }));
  }, [tree, asset]);
  const [from, setFrom] = useState(dates[0]?.date ?? '');
  const [to, setTo] = useState(dates[dates.length - 1]?.date ?? '');
  const [schema, setSchema] = useState('ohlcv');
  const [mode, setMode] = useState<Mode>('strict');
  const [onInvalid, setOnInvalid] = useState<OnInvalid>('fail');
  const [compression, setCompression] = useState<Compression>('zstd');
  const [message, setMessage] = useState('');
  const [scope, setScope] = useState<Scope>('range');
  const [step, setStep] = useState<Step>({ kind: 'form' });

  // an append looks at every raw date (it adds those the newest version lacks); the others at the range
  const chosen = scope === 'append' ? dates : dates.filter((d) => (!from || d.date >= from) && (!to || d.date <= to));
  const chosenRows = chosen.reduce((s, d) => s + (d.rows ?? 0), 0);
  const range = scope === 'append' ? {} : { from: from || undefined, to: to || undefined };
  const params = { kind: 'promote' as const, asset, ...range, schema, mode, onInvalid, compression, message, ...(scope === 'append' ? { append: true } : scope === 'replace' ? { replace: true } : {}) };
  const busy = step.kind === 'checking' || step.kind === 'running';
  const edit = <T,>(set: (v: T) => void) => (value: T) => {
    set(value);
    if (!busy) setStep({ kind: 'form' });
  };

  const check = async () => {
    setStep({ kind: 'checking', job: null });
    try {
      const job = await runJob({ ...params, dryRun: true }, (update) => setStep((s) => (s.kind === 'checking' ? { kind: 'checking', job: update } : s)));
      const outcome = gateOutcome(job);
      if ('error' in outcome) setStep(job.state === 'cancelled' ? { kind: 'cancelled' } : { kind: 'failed', error: outcome.error, gate: null });
      else setStep({ kind: 'checked', ...outcome });
    } catch (error) {
      setStep({ kind: 'failed', error: asErrorLike(error), gate: null });
    }
  };

  const promote = async () => {
    setStep({ kind: 'running', job: null });
    try {
      const job = await runJob(params, (update) => setStep((s) => (s.kind === 'running' ? { kind: 'running', job: update } : s)));
      if (job.state === 'succeeded' && job.result) {
        const result = job.result;
        await refreshTree();
        closeDialog();
        // a store path (cleaned/vN/ASSET): null only for a dry run
        if (result.path) openDataset(result.path, { reveal: true, tab: 'metadata' });
        const dropped = droppedTotal(result.dropped);
        setNotice(`${result.status === 'unchanged' ? 'Already promoted' : 'Promoted'} ${asset} to ${result.path ?? result.version ?? 'a new version'}: ${countOf(result.rows, 'row')}${dropped ? `, ${formatCount(dropped)} dropped` : ''} · ${datesLine(result.dates)}`);
      } else if (job.state === 'cancelled') setStep({ kind: 'cancelled' });
      else {
        const error = failedJobError(job.error, 'the promote job');
        setStep({ kind: 'failed', error, gate: gateOfError(error) });
      }
    } catch (error) {
      setStep({ kind: 'failed', error: asErrorLike(error), gate: null });
    }
  };

  const runningJob = step.kind === 'running' || step.kind === 'checking' ? step.job : null;
  const checked = step.kind === 'checked' ? step : null;
  const report = checked?.gate.report ?? (step.kind === 'failed' ? (step.gate?.report ?? null) : null);
  const gatePasses = checked !== null && (checked.gate.report.valid || onInvalid === 'drop') && checked.gateError === null;
  // a gate check counts no drops itself (only the real run does): until then, the report's error counts say what "drop" removes
  const dropCounts: Record<string, number> = (() => {
    if (!checked) return {};
    if (droppedTotal(checked.gate.dropped) > 0) return checked.gate.dropped;
    if (onInvalid !== 'drop') return {};
    const counts: Record<string, number> = {};
    for (const issue of checked.gate.report.errors) counts[issue.rule] = (counts[issue.rule] ?? 0) + issue.count;
    return counts;
  })();
  const estimated = checked !== null && droppedTotal(checked.gate.dropped) === 0;
  const dropped = Object.values(dropCounts).reduce((sum, n) => sum + n, 0);

  return (
    <Dialog
      title={`Promote ${asset}: raw → cleaned`}
      onClose={closeDialog}
      busy={busy}
      wide
      testId="promote-dialog"
      footer={
        <>
          {runningJob ? (
            <button type="button" onClick={() => void cancelJob(runningJob.id)}>
              Cancel job
            </button>
          ) : (
            <button type="button" onClick={closeDialog}>
              Close
            </button>
          )}
          <button type="button" onClick={() => void check()} disabled={busy || dates.length === 0}>
            Check gate
          </button>
          <button type="button" className="primary" onClick={() => void promote()} disabled={busy || !gatePasses} title={gatePasses ? 'Write the new version' : 'Check the gate first; it must pass (or drop offending rows)'}>
            Promote
          </button>
        </>
      }
    >
      <div className="promote-grid">
        <form className="form" onSubmit={(event) => event.preventDefault()}>
          <fieldset className="field">
            <legend>The new version</legend>
            <label className="radio">
              <input type="radio" name="promote-scope" value="range" checked={scope === 'range'} onChange={() => edit(setScope)('range')} disabled={busy} />
              the dates in the range <span className="muted small">— dates unchanged since the newest version are shared, not rewritten</span>
            </label>
            <label className="radio">
              <input type="radio" name="promote-scope" value="append" checked={scope === 'append'} onChange={() => edit(setScope)('append')} disabled={busy} />
              append <span className="muted small">— only the dates the newest version lacks; all of its dates kept</span>
            </label>
            <label className="radio">
              <input type="radio" name="promote-scope" value="replace" checked={scope === 'replace'} onChange={() => edit(setScope)('replace')} disabled={busy} />
              replace the range <span className="muted small">— promote these dates again, keep the others</span>
            </label>
          </fieldset>
          <div className="field-row">
            <DateSelect label="From" value={from} dates={dates} onChange={edit(setFrom)} disabled={busy || scope === 'append'} />
            <DateSelect label="To" value={to} dates={dates} onChange={edit(setTo)} disabled={busy || scope === 'append'} />
          </div>
          <p className="muted small" data-testid="promote-selection">
            {dates.length === 0 ? `There are no raw snapshots of ${asset}.` : scope === 'append' ? `all ${countOf(dates.length, 'raw date')} looked at · ${countOf(chosenRows, 'row')}` : `${formatCount(chosen.length)} of ${countOf(dates.length, 'date')} · ${countOf(chosenRows, 'row')}`}
          </p>
          <div className="field-row">
            <label className="field">
              <span>Schema</span>
              <select value={schema} onChange={(e) => edit(setSchema)(e.target.value)} disabled={busy} aria-label="Schema">
                {schemas.length === 0 ? <option value="ohlcv">ohlcv</option> : null}
                {schemas.map((s) => (
                  <option key={s.name} value={s.name}>
                    {s.name}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>Mode</span>
              <select value={mode} onChange={(e) => edit(setMode)(e.target.value as Mode)} disabled={busy} aria-label="Mode">
                <option value="strict">strict</option>
                <option value="coerce">coerce</option>
                <option value="ignore">ignore</option>
              </select>
            </label>
            <label className="field">
              <span>Compression</span>
              <select value={compression} onChange={(e) => edit(setCompression)(e.target.value as Compression)} disabled={busy} aria-label="Compression">
                {(['zstd', 'snappy', 'gzip', 'brotli', 'lz4', 'none'] as Compression[]).map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <fieldset className="field">
            <legend>When rows break an error rule</legend>
            <label className="radio">
              <input type="radio" name="on-invalid" value="fail" checked={onInvalid === 'fail'} onChange={() => edit(setOnInvalid)('fail')} disabled={busy} />
              fail <span className="muted small">— write nothing</span>
            </label>
            <label className="radio">
              <input type="radio" name="on-invalid" value="drop" checked={onInvalid === 'drop'} onChange={() => edit(setOnInvalid)('drop')} disabled={busy} />
              drop <span className="muted small">— remove those rows, counted per rule</span>
            </label>
          </fieldset>
          <label className="field">
            <span>Message</span>
            <textarea rows={2} value={message} maxLength={2000} onChange={(e) => setMessage(e.target.value)} disabled={busy} placeholder="Why this version (kept in its sidecar)" aria-label="Message" />
          </label>
        </form>

        <div className="gate" data-testid="gate" data-step={step.kind}>
          <h4>Validation gate</h4>
          {step.kind === 'form' ? <p className="muted small">Check the gate to see what the validation says before anything is written.</p> : null}
          {runningJob || step.kind === 'checking' || step.kind === 'running' ? (
            <>
              <p className="small">{step.kind === 'checking' ? 'Checking the gate…' : 'Promoting…'}</p>
              <ProgressBar progress={runningJob?.progress ?? { fraction: null, rows: null, bytes: null, stage: 'starting' }} label={step.kind === 'checking' ? 'Gate check progress' : 'Promote progress'} />
            </>
          ) : null}
          {step.kind === 'cancelled' ? <p className="small" data-testid="promote-cancelled">Cancelled: nothing was written.</p> : null}
          {step.kind === 'failed' && !report ? (
            <>
              <ErrorPanel error={step.error} context="Promote did not run" compact />
            </>
          ) : null}
          {report ? (
            <>
              <div className={`verdict ${report.valid ? 'pass' : gatePasses ? 'warn' : 'fail'}`} data-testid="gate-verdict" data-valid={report.valid}>
                {report.valid ? '✓ The gate passes' : onInvalid === 'drop' && checked ? `✓ Passes by dropping ${estimated ? 'about ' : ''}${formatCount(dropped)} ${dropped === 1 ? 'row' : 'rows'}` : '✗ The gate fails'}
                <span className="small">
                  {countOf(report.rowCount, 'row')} · {countOf(report.errors.reduce((s, i) => s + i.count, 0), 'error')}
                </span>
              </div>
              {checked ? (
                <p className="small" data-testid="promote-dates">
                  {datesLine(checked.gate.dates)} <span className="muted">(the gate covers the dates written)</span>
                </p>
              ) : null}
              {!report.valid && onInvalid === 'fail' ? <p className="small">Nothing would be written. Choose “drop” to remove the offending rows, or fix the raw data.</p> : null}
              {dropped > 0 ? (
                <ul className="dropped small" data-testid="dropped">
                  {Object.entries(dropCounts).map(([rule, n]) => (
                    <li key={rule}>
                      {ruleTitle(rule)}: {formatCount(n)} {estimated ? 'to drop' : 'dropped'}
                    </li>
                  ))}
                </ul>
              ) : null}
              <IssueList issues={report.errors} target={null} empty="No errors." />
              {step.kind === 'failed' ? <ErrorPanel error={step.error} compact /> : null}
            </>
          ) : null}
        </div>
      </div>
    </Dialog>
  );
}
