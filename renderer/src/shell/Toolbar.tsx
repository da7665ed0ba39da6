import { assetOfPath } from '../features/featureParams';
import { openDialog, refreshTree, setTimeMode } from '../state/actions';
import { useAppState } from '../state/appState';
import { rawAssetOf } from '../tree/treeModel';
import { versionGroupOf } from '../compare/compareModel';
import { openCompare } from '../compare/compareState';

/** The top bar: the app's name and the main actions, each with its shortcut. */
export function Toolbar({ onIngest }: { onIngest: () => void }) {
  const selected = useAppState((s) => s.selected);
  const timeMode = useAppState((s) => s.timeMode);
  const info = useAppState((s) => s.info);
  const asset = selected ? rawAssetOf(selected) : null;
  const comparable = selected !== null && versionGroupOf(selected) !== null;
  return (
    <header className="toolbar" role="banner">
      <span className="app-name">MES Data</span>
      <nav className="toolbar-actions" aria-label="Main actions">
        <button type="button" onClick={onIngest} title="Choose files to ingest (Ctrl+I), or drop them on the window">
          Ingest files…
        </button>
        <button type="button" disabled={!selected} onClick={() => selected && openDialog({ kind: 'validate', target: selected })} title="Validate the open dataset (Ctrl+Shift+V)">
          Validate…
        </button>
        <button type="button" disabled={!asset} onClick={() => asset && openDialog({ kind: 'promote', asset })} title={asset ? `Promote raw ${asset} (Ctrl+Shift+P)` : 'Open a raw asset, date or file to promote it'}>
          Promote…
        </button>
        <button type="button" onClick={() => openDialog({ kind: 'features', asset: assetOfPath(selected) })} title="Build a feature set from a cleaned version (Ctrl+Shift+F)">
          Build features…
        </button>
        <button type="button" onClick={() => openDialog({ kind: 'jobs' })} title="Running and finished jobs (Alt+J)">
          Jobs
        </button>
        <button type="button" disabled={!comparable} onClick={() => openCompare(selected)} title={comparable ? `Compare ${selected ?? ''} with another version (Ctrl+Shift+D)` : 'Open a cleaned or feature set version to compare it with another'}>
          Compare…
        </button>
        <button type="button" onClick={() => void refreshTree()} title="Reload the tree (Alt+R)">
          Refresh
        </button>
      </nav>
      <span className="spacer" />
      <div className="segmented" role="group" aria-label="Timestamps shown in">
        <button type="button" aria-pressed={timeMode === 'utc'} onClick={() => setTimeMode('utc')} title="Show timestamps in UTC (Alt+U)">
          UTC
        </button>
        <button type="button" aria-pressed={timeMode === 'exchange'} onClick={() => setTimeMode('exchange')} title="Show timestamps in exchange time: the zone of the dataset's instrument, America/Chicago for CME (Alt+U)">
          Exchange time
        </button>
      </div>
      <button type="button" className="icon-button" onClick={() => openDialog({ kind: 'shortcuts' })} title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts">
        ?
      </button>
      <span className="muted small host-label" title="Where the app runs">
        {info ? `${info.host} · v${info.version}` : ''}
      </span>
    </header>
  );
}
