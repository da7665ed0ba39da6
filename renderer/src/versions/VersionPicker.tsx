import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { invoke } from '../api/transport';
import { openDataset } from '../state/actions';
import { useAppState } from '../state/appState';
import { ErrorPanel } from '../shell/ErrorPanel';
import { formatTimestamp } from '../table/cellFormat';
import { useInstrument } from '../table/useInstrument';
import { versionOfPath } from '../tree/treeModel';
import { asOfMoment, changelogOf, committedAt, versionChoices, versionOptionLabel, versionPosition, type VersionChoice } from './versionList';
import './versions.css';

type ListState = { status: 'loading' } | { status: 'ready'; choices: VersionChoice[] } | { status: 'error'; error: unknown };

/** The versions of a key (`cleaned/MES`), from the catalog one level down; fetched again when the store changes. */
function useVersionChoices(groupPath: string, storeVersion: number): ListState {
  const [state, setState] = useState<ListState>({ status: 'loading' });
  useEffect(() => {
    let live = true;
    if (!groupPath) return;
    invoke('tree', { path: groupPath, depth: 1 }).then(
      (node) => live && setState({ status: 'ready', choices: versionChoices(node) }),
      (error: unknown) => live && setState({ status: 'error', error }),
    );
    return () => {
      live = false;
    };
  }, [groupPath, storeVersion]);
  return state;
}

/** What the last "Open as of" did: the moment asked for and the version it opened, or why none. */
type AsOfOutcome = { status: 'idle' } | { status: 'resolving' } | { status: 'opened'; instant: string; path: string; number: number | null } | { status: 'error'; error: unknown };

/**
 * Time travel by moment: a date and time typed in the exchange's clock or in UTC (as the
 * time-range picker takes them, echoed in both), and Open, which asks the host for the
 * version of the table that was newest then (`dataset.resolve` with `asOf`, by the table's
 * snapshot log) and opens it, read-only like any version.
 */
function AsOfPanel({ groupPath, zone, onClose, onOutcome }: { groupPath: string; zone: string; onClose: () => void; onOutcome: (outcome: AsOfOutcome) => void }) {
  const timeMode = useAppState((s) => s.timeMode);
  const [text, setText] = useState('');
  const [inUtc, setInUtc] = useState(timeMode === 'utc');
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  const typedZone = inUtc ? 'UTC' : zone;
  const moment = asOfMoment(text, typedZone);
  const open = () => {
    if (!moment || 'error' in moment || busy) return;
    setBusy(true);
    onOutcome({ status: 'resolving' });
    invoke('dataset.resolve', { path: groupPath, asOf: moment.instant }).then(
      (resolved) => {
        onOutcome({ status: 'opened', instant: moment.instant, path: resolved.path, number: resolved.version?.number ?? null });
        openDataset(resolved.path, { reveal: true });
      },
      (error: unknown) => onOutcome({ status: 'error', error }),
    ).finally(() => setBusy(false));
  };
  const onKey = (event: KeyboardEvent<HTMLElement>) => {
    event.stopPropagation();
    if (event.key === 'Enter' && event.target instanceof HTMLInputElement) open();
    if (event.key === 'Escape') onClose();
  };
  return (
    <div className="version-as-of" role="group" aria-label="Open the version current at a moment" data-testid="version-as-of" onKeyDown={onKey}>
      <label>
        As of
        <input ref={input} className="mono" aria-label="As of" placeholder="2026-11-30 15:00" value={text} onChange={(event) => setText(event.target.value)} />
      </label>
      <div className="segmented" role="group" aria-label="The clock the moment is typed in">
        <button type="button" aria-pressed={!inUtc} title={`Read the moment typed as ${zone} wall-clock time`} onClick={() => setInUtc(false)}>
          Exchange ({zone})
        </button>
        <button type="button" aria-pressed={inUtc} title="Read the moment typed as UTC" onClick={() => setInUtc(true)}>
          UTC
        </button>
      </div>
      <button type="button" className="primary" disabled={!moment || 'error' in moment || busy} onClick={open}>
        Open
      </button>
      <button type="button" className="icon-button" aria-label="Close as of" title="Close (Esc)" onClick={onClose}>
        ×
      </button>
      <span className="small" data-testid="version-as-of-echo" aria-live="polite">
        {!moment ? (
          <span className="muted">the version that was newest then; a date alone is its whole day</span>
        ) : 'error' in moment ? (
          <span className="time-range-error">{moment.error}</span>
        ) : (
          <span className="mono">
            {formatTimestamp(moment.instant, 'exchange', zone)} = {formatTimestamp(moment.instant, 'utc')}
          </span>
        )}
      </span>
    </div>
  );
}

/**
 * Time travel on a cleaned or feature dataset: which version this is among its key's
 * ("v3 of 7"), when it was committed, its changelog, a pick of another version (each option
 * "v2 of 7 · 2026-11-30 14:02 UTC · its changelog"), which opens that version's folder, and
 * "As of…", which opens the version that was newest at a moment (every version is read-only:
 * a new one comes from promote or a feature build). Alt+A opens "As of".
 */
export function VersionPicker({ path, metadata, storeVersion }: { path: string; metadata: unknown; storeVersion: number }) {
  const at = versionOfPath(path);
  const groupPath = at ? `${at.layer}/${at.key}` : '';
  const list = useVersionChoices(groupPath, storeVersion);
  const { zone } = useInstrument(path);
  const [asOfOpen, setAsOfOpen] = useState(false);
  const [outcome, setOutcome] = useState<AsOfOutcome>({ status: 'idle' });
  useEffect(() => {
    const onKey = (event: globalThis.KeyboardEvent) => {
      if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey || event.code !== 'KeyA') return;
      event.preventDefault();
      setAsOfOpen(true);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  if (!at) return null;
  const choices = list.status === 'ready' ? list.choices : [];
  const current = choices.find((c) => c.number === at.number) ?? null;
  const newest = choices.length > 0 && choices[choices.length - 1].number === at.number;
  const changelog = changelogOf(metadata);
  return (
    <div className="version-picker-block">
      <div className="version-picker" data-testid="version-picker" data-version={at.number}>
        <label className="version-select">
          <span className="muted small">Version</span>
          <select
            aria-label="Version"
            value={at.folder}
            disabled={list.status !== 'ready'}
            title={current ? versionOptionLabel(current, choices) : undefined}
            onChange={(event) => openDataset(event.target.value, { reveal: true })}
          >
            {choices.length === 0 ? <option value={at.folder}>v{at.number}</option> : null}
            {choices.map((c) => (
              <option key={c.path} value={c.path} title={c.changelog || undefined}>
                {versionOptionLabel(c, choices)}
              </option>
            ))}
          </select>
        </label>
        <button type="button" aria-expanded={asOfOpen} title="Open the version that was newest at a moment (Alt+A)" onClick={() => setAsOfOpen((open) => !open)}>
          As of…
        </button>
        <span className="version-position" data-testid="version-position">
          {list.status === 'ready' ? versionPosition(at.number, choices) : `v${at.number}`}
        </span>
        {current?.createdAt ? (
          <span className="muted small" data-testid="version-committed">
            committed {committedAt(current.createdAt)}
          </span>
        ) : null}
        <span className={`badge ${newest ? 'ok' : 'muted'}`} data-testid="version-state">
          {newest ? 'newest · read-only' : 'older version · read-only'}
        </span>
        {changelog ? (
          <span className="version-changelog small" data-testid="version-changelog" title={changelog}>
            “{changelog}”
          </span>
        ) : null}
        {outcome.status === 'opened' && outcome.path === at.folder ? (
          <span className="small" data-testid="version-as-of-result">
            {outcome.number !== null ? `v${outcome.number}` : outcome.path} was the newest at {formatTimestamp(outcome.instant, 'utc')}
          </span>
        ) : null}
        {list.status === 'error' ? <ErrorPanel error={list.error} context={`the versions of ${groupPath} could not be listed`} compact /> : null}
      </div>
      {asOfOpen ? <AsOfPanel
          groupPath={groupPath}
          zone={zone}
          onClose={() => {
            setAsOfOpen(false);
            setOutcome((last) => (last.status === 'error' ? { status: 'idle' } : last));
          }}
          onOutcome={setOutcome}
        /> : null}
      {outcome.status === 'error' ? <ErrorPanel error={outcome.error} context={`no version of ${groupPath} could be opened as of that moment`} compact /> : null}
    </div>
  );
}
