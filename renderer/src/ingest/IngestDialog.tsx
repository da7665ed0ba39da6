import { useEffect, useRef, useState } from 'react';
import type { JobParamsInput, JobState } from '../../../core/api/contract.js';
import { asErrorLike, failedJobError, type ErrorLike } from '../api/errorText';
import { droppedFilePaths } from '../api/transport';
import { cancelJob, closeDialog, openDataset, refreshTree, revealPath, runJob } from '../state/actions';
import { Dialog } from '../shell/Dialog';
import { ErrorPanel } from '../shell/ErrorPanel';
import { ProgressBar } from '../shell/ProgressBar';
import { useAppState } from '../state/appState';
import { formatCell, isNumericType, shortTypeName } from '../table/cellFormat';
import { countOf, formatBytes, formatCount } from '../tree/treeModel';
import { SessionWarnings, ZoneFact, timedZone } from './IngestZone';
import { MAPPING_TARGETS, badRowsOfError, baseName, ingestAsset, snapshotStatus, sourceColumns, type IngestResult, type ListedBadRows } from './ingestResult';

type Step =
  | { kind: 'uploading'; sent: number; total: number }
  | { kind: 'previewing'; job: JobState<'ingest'> | null }
  | { kind: 'review'; view: IngestResult }
  | { kind: 'running'; job: JobState<'ingest'> | null; preview: IngestResult | null }
  | { kind: 'done'; view: IngestResult }
  | { kind: 'failed'; error: ErrorLike; preview: IngestResult | null; during: 'upload' | 'preview' | 'ingest' }
  | { kind: 'cancelled'; preview: IngestResult | null };

const DIALECT_LABELS: [string, string][] = [
  ['format', 'Format'],
  ['delimiter', 'Delimiter'],
  ['header', 'Header row'],
  ['decimal', 'Decimal mark'],
  ['thousands', 'Thousands'],
  ['encoding', 'Encoding'],
  ['bom', 'Byte order mark'],
  ['lineEnding', 'Line endings'],
];

function showDialectValue(key: string, value: unknown): string {
  if (key === 'delimiter' && value === '\t') return 'tab';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (value === null) return 'none';
  return typeof value === 'string' ? (value === ' ' ? 'space' : value) : JSON.stringify(value);
}

function Review({ view }: { view: IngestResult }) {
  const timeMode = useAppState((s) => s.timeMode);
  return (
    <>
      {view.files.map((file) => {
        const dialect: Record<string, unknown> = { ...file.dialect };
        const preview = file.preview ?? [];
        return (
          <section key={file.path} className="ingest-file" data-testid="ingest-file">
            <h4 className="file-heading mono">{file.name || 'file'}</h4>
            <dl className="fact-list compact" data-testid="dialect">
              {DIALECT_LABELS.filter(([key]) => key in dialect).map(([key, label]) => (
                <div key={key}>
                  <dt>{label}</dt>
                  <dd>{showDialectValue(key, dialect[key])}</dd>
                </div>
              ))}
              {file.dateSpan ? (
                <div>
                  <dt>Trading dates</dt>
                  <dd>
                    {file.dateSpan.first} → {file.dateSpan.last}
                  </dd>
                </div>
              ) : null}
              {file.dst.gaps > 0 || file.dst.repeats > 0 ? (
                <div>
                  <dt>DST</dt>
                  <dd>
                    {file.dst.gaps} in gaps, {file.dst.repeats} repeated
                  </dd>
                </div>
              ) : null}
              <ZoneFact file={file} />
            </dl>
            {preview.length > 0 ? (
              <div className="preview-box">
                <table className="data-table compact" data-testid="ingest-preview">
                  <thead>
                    <tr>
                      {Object.keys(preview[0]).map((k) => {
                        const type = file.columns.find((c) => c.name === k)?.type;
                        return (
                          <th key={k} className={type && isNumericType(type) ? 'num' : undefined}>
                            {k}
                            {type ? <span className="col-type"> {shortTypeName(type)}</span> : null}
                          </th>
                        );
                      })}
                    </tr>
                  </thead>
                  <tbody>
                    {preview.slice(0, 10).map((row, i) => (
                      <tr key={i}>
                        {Object.keys(preview[0]).map((k) => {
                          const type = file.columns.find((c) => c.name === k)?.type ?? '';
                          return (
                            <td key={k} className={isNumericType(type) ? 'mono num' : 'mono'}>
                              {formatCell(row[k], type, timeMode)}
                            </td>
                          );
                        })}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ) : null}
          </section>
        );
      })}
    </>
  );
}

function Snapshots({ view }: { view: IngestResult }) {
  if (view.snapshots.length === 0) return <p className="muted small">No snapshots{view.dryRun ? ' would be written' : ' were written'}.</p>;
  return (
    <table className="data-table compact" data-testid="ingest-snapshots">
      <thead>
        <tr>
          <th>Asset</th>
          <th>Trading date</th>
          <th className="num">Rows</th>
          <th>Status</th>
          <th>Path</th>
        </tr>
      </thead>
      <tbody>
        {view.snapshots.map((s) => (
          <tr key={`${s.asset}/${s.date}/${s.path}`} data-date={s.date}>
            <td>{s.asset}</td>
            <td>{s.date}</td>
            <td className="num">{formatCount(s.rows)}</td>
            <td>
              <span className={`badge ${s.status === 'created' ? 'ok' : s.status === 'unchanged' ? 'muted' : 'info'}`}>{snapshotStatus(s)}</span>
            </td>
            <td className="mono small">{view.dryRun ? baseName(s.path) : s.path}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function BadRows({ view }: { view: ListedBadRows }) {
  if (view.badRowCount === 0 && view.badRows.length === 0) return null;
  return (
    <div className="bad-rows" data-testid="bad-rows">
      <h4>
        {formatCount(view.badRowCount || view.badRows.length)} bad {view.badRowCount === 1 ? 'row' : 'rows'}
      </h4>
      <ul>
        {view.badRows.slice(0, 50).map((row, i) => (
          <li key={i}>
            {row.file ? <span className="mono">{row.file} </span> : null}line {row.line}: {row.reason}
          </li>
        ))}
      </ul>
      {view.badRows.length > 50 ? <p className="muted small">… and {view.badRows.length - 50} more listed</p> : null}
    </div>
  );
}

/**
 * Drag-drop ingest: upload (browser) or take the paths (desktop), dry run showing the
 * dialect, mapping, zone, asset, preview rows and snapshots to be written; edits re-run
 * the dry run; confirming runs the job with progress and cancel; results and bad rows.
 */
export function IngestDialog({ files, paths: givenPaths }: { files: File[]; paths: string[] }) {
  const [paths, setPaths] = useState<string[]>(givenPaths);
  const [step, setStep] = useState<Step>(givenPaths.length > 0 ? { kind: 'previewing', job: null } : { kind: 'uploading', sent: 0, total: files.reduce((s, f) => s + f.size, 0) });
  const [asset, setAsset] = useState('');
  const [timezone, setTimezone] = useState('');
  const [onBadRows, setOnBadRows] = useState<'fail' | 'skip'>('fail');
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const [mappingEdited, setMappingEdited] = useState(false);
  const started = useRef(false);

  const request = (dryRun: boolean, list = paths): JobParamsInput & { kind: 'ingest' } => ({
    kind: 'ingest',
    files: list,
    dryRun,
    // a dry run with "fail" fails where the ingest would: the review lists the bad rows instead, and says what "fail" does
    onBadRows: dryRun ? 'skip' : onBadRows,
    ...(asset.trim() ? { asset: asset.trim() } : {}),
    ...(timezone.trim() ? { timezone: timezone.trim() } : {}),
    ...(mappingEdited ? { mapping } : {}),
  });

  const preview = async (list = paths) => {
    setStep({ kind: 'previewing', job: null });
    try {
      const job = await runJob(request(true, list), (update) => setStep((s) => (s.kind === 'previewing' ? { kind: 'previewing', job: update } : s)));
      if (job.state === 'succeeded' && job.result) {
        const view = job.result;
        setStep({ kind: 'review', view });
        if (!asset && ingestAsset(view)) setAsset(ingestAsset(view));
        if (!mappingEdited) setMapping(view.mapping);
      } else if (job.state === 'cancelled') setStep({ kind: 'cancelled', preview: null });
      else setStep({ kind: 'failed', error: failedJobError(job.error, 'the dry run'), preview: null, during: 'preview' });
    } catch (error) {
      setStep({ kind: 'failed', error: asErrorLike(error), preview: null, during: 'preview' });
    }
  };

  // upload (in a browser) and the first dry run, once
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    void (async () => {
      let list = givenPaths;
      if (list.length === 0) {
        try {
          list = await droppedFilePaths(files, (sent, total) => setStep({ kind: 'uploading', sent, total }));
          setPaths(list);
        } catch (error) {
          setStep({ kind: 'failed', error: asErrorLike(error), preview: null, during: 'upload' });
          return;
        }
      }
      await preview(list);
    })();
    // the first run uses the initial inputs only
    // (later runs come from the buttons)
  });

  const confirm = async () => {
    const previewView = step.kind === 'review' ? step.view : null;
    setStep({ kind: 'running', job: null, preview: previewView });
    try {
      const job = await runJob(request(false), (update) => setStep((s) => (s.kind === 'running' ? { ...s, job: update } : s)));
      if (job.state === 'succeeded' && job.result) {
        const view = job.result;
        setStep({ kind: 'done', view });
        await refreshTree();
        const first = view.snapshots.find((s) => s.status === 'created') ?? view.snapshots[0];
        if (first) {
          const datePath = `raw/${first.asset}/${first.date}`;
          await revealPath(datePath);
          openDataset(datePath, { reveal: true });
        }
      } else if (job.state === 'cancelled') setStep({ kind: 'cancelled', preview: previewView });
      else setStep({ kind: 'failed', error: failedJobError(job.error, 'the ingest'), preview: previewView, during: 'ingest' });
    } catch (error) {
      setStep({ kind: 'failed', error: asErrorLike(error), preview: previewView, during: 'ingest' });
    }
  };

  const view = step.kind === 'review' || step.kind === 'done' ? step.view : step.kind === 'running' || step.kind === 'failed' || step.kind === 'cancelled' ? step.preview : null;
  const busy = step.kind === 'uploading' || step.kind === 'previewing' || step.kind === 'running';
  const job = step.kind === 'previewing' || step.kind === 'running' ? step.job : null;
  const sources = view ? sourceColumns(view) : [];
  const names = paths.length > 0 ? paths.map(baseName) : files.map((f) => f.name);
  const editable = step.kind === 'review' || step.kind === 'failed' || step.kind === 'cancelled';
  const errorRows = step.kind === 'failed' ? badRowsOfError(step.error) : null;

  return (
    <Dialog
      title={`Ingest ${names.length === 1 ? names[0] : `${names.length} files`}`}
      onClose={closeDialog}
      busy={busy}
      wide
      testId="ingest-dialog"
      footer={
        <>
          {job ? (
            <button type="button" onClick={() => void cancelJob(job.id)}>
              Cancel job
            </button>
          ) : (
            <button type="button" onClick={closeDialog}>
              {step.kind === 'done' ? 'Close' : 'Cancel'}
            </button>
          )}
          {step.kind !== 'done' ? (
            <>
              <button type="button" disabled={busy || paths.length === 0} onClick={() => void preview()}>
                Update preview
              </button>
              <button type="button" className="primary" disabled={step.kind !== 'review' || view === null} onClick={() => void confirm()}>
                Ingest {view ? `${view.snapshots.length} ${view.snapshots.length === 1 ? 'snapshot' : 'snapshots'}` : ''}
              </button>
            </>
          ) : null}
        </>
      }
    >
      <div className="ingest-body" data-testid="ingest-step" data-step={step.kind}>
        <p className="small">
          {names.map((name, i) => (
            <span key={`${name}${i}`} className="file-chip mono">
              {name}
              {files[i] ? <span className="muted"> {formatBytes(files[i].size)}</span> : null}
            </span>
          ))}
        </p>

        <form className="form ingest-options" onSubmit={(event) => event.preventDefault()} hidden={step.kind === 'done'}>
          <label className="field">
            <span>Asset</span>
            <input value={asset} onChange={(e) => setAsset(e.target.value.toUpperCase())} placeholder="from the file name" disabled={!editable} aria-label="Asset" />
          </label>
          <label className="field">
            <span>Time zone of naive times</span>
            <input value={timezone} onChange={(e) => setTimezone(e.target.value)} placeholder={(view && timedZone(view.files)) ?? "the asset's instrument's zone"} disabled={!editable} aria-label="Time zone" />
          </label>
          <label className="field">
            <span>Bad rows</span>
            <select value={onBadRows} onChange={(e) => setOnBadRows(e.target.value as 'fail' | 'skip')} disabled={!editable} aria-label="Bad rows">
              <option value="fail">fail: write nothing</option>
              <option value="skip">skip them, write the rest</option>
            </select>
          </label>
        </form>

        {step.kind === 'uploading' ? (
          <ProgressBar progress={{ fraction: step.total > 0 ? step.sent / step.total : null, rows: null, bytes: step.sent, stage: 'uploading' }} label="Upload progress" />
        ) : null}
        {step.kind === 'previewing' ? <ProgressBar progress={job?.progress ?? { fraction: null, rows: null, bytes: null, stage: 'reading' }} label="Dry run progress" /> : null}
        {step.kind === 'running' ? <ProgressBar progress={job?.progress ?? { fraction: null, rows: null, bytes: null, stage: 'starting' }} label="Ingest progress" /> : null}
        {step.kind === 'cancelled' ? <p className="small">Cancelled: nothing was written.</p> : null}
        {step.kind === 'failed' ? (
          <>
            <ErrorPanel
              error={step.error}
              context={step.during === 'upload' ? 'The upload failed' : step.during === 'preview' ? 'The file could not be read' : 'The ingest failed'}
              compact
            />
            {errorRows ? <BadRows view={errorRows} /> : null}
          </>
        ) : null}

        {step.kind === 'done' && view ? (
          <div className="verdict pass" data-testid="ingest-done">
            ✓ Ingested {formatCount(view.rowsWritten)} of {countOf(view.rowsRead, 'row')} into {view.snapshots.filter((s) => s.status === 'created').length} new {view.snapshots.filter((s) => s.status === 'created').length === 1 ? 'snapshot' : 'snapshots'}
            {view.snapshots.some((s) => s.status === 'unchanged') ? `, ${view.snapshots.filter((s) => s.status === 'unchanged').length} unchanged` : ''}
          </div>
        ) : null}

        {view ? <SessionWarnings files={view.files} /> : null}

        {view && step.kind !== 'done' && Object.keys(mapping).length + sources.length > 0 ? (
          <section>
            <h4>Column mapping</h4>
            <div className="mapping" data-testid="mapping">
              {MAPPING_TARGETS.filter((t) => t in mapping || ['timestamp', 'open', 'high', 'low', 'close', 'volume'].includes(t)).map((target) => (
                <label key={target} className="mapping-row">
                  <span className="mono">{target}</span>
                  <span aria-hidden="true">←</span>
                  <select
                    value={mapping[target] ?? ''}
                    disabled={!editable}
                    aria-label={`Source column for ${target}`}
                    onChange={(e) => {
                      const next = { ...mapping };
                      if (e.target.value) next[target] = e.target.value;
                      else delete next[target];
                      setMapping(next);
                      setMappingEdited(true);
                    }}
                  >
                    <option value="">—</option>
                    {[...new Set([...sources, ...(mapping[target] ? [mapping[target]] : [])])].map((s) => (
                      <option key={s} value={s}>
                        {s}
                      </option>
                    ))}
                  </select>
                </label>
              ))}
            </div>
            {mappingEdited && step.kind === 'review' ? <p className="muted small">Mapping changed: update the preview to see its effect.</p> : null}
          </section>
        ) : null}

        {view ? (
          <>
            <h4>{view.dryRun ? 'Snapshots to be written' : 'Snapshots'}</h4>
            <Snapshots view={view} />
            <p className="muted small" data-testid="ingest-summary">
              {countOf(view.rowsRead, 'row')} read{timedZone(view.files) ? ` · naive times read in ${timedZone(view.files)}` : ''}
            </p>
            <BadRows view={view} />
            {view.dryRun && view.badRowCount > 0 && onBadRows === 'fail' ? (
              <p className="small warn-text" data-testid="bad-rows-hint">
                With “fail”, the ingest stops at these bad rows and writes nothing: choose “skip them” to write the rest.
              </p>
            ) : null}
            {view.dryRun ? <Review view={view} /> : null}
          </>
        ) : null}
      </div>
    </Dialog>
  );
}
