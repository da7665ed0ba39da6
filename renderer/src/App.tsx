import { useCallback, useEffect, useRef } from 'react';
import { subscribe, type HostEvent } from './api/transport';
import { DatasetView } from './dataset/DatasetView';
import { FeaturesDialog } from './features/FeaturesDialog';
import { assetOfPath } from './features/featureParams';
import { DropOverlay, DropZone } from './ingest/DropZone';
import { IngestDialog } from './ingest/IngestDialog';
import { JobsPanel } from './jobs/JobsPanel';
import { PromoteDialog } from './promote/PromoteDialog';
import { loadInfo, onJobEvent, openDialog, refreshTree, setNotice, setTab, setTimeMode, showStartup } from './state/actions';
import { appStore, TABS, useAppState } from './state/appState';
import { ErrorBoundary } from './shell/ErrorBoundary';
import { ErrorPanel } from './shell/ErrorPanel';
import { ShortcutsDialog, ShortcutsTable } from './shell/ShortcutsDialog';
import { StartupScreen } from './shell/StartupScreen';
import { StatusBar } from './shell/StatusBar';
import { Toolbar } from './shell/Toolbar';
import { DatasetTree } from './tree/DatasetTree';
import { rawAssetOf } from './tree/treeModel';
import { ReportPanel } from './validate/ReportPanel';
import { ValidateDialog } from './validate/ValidateDialog';
import { CompareView } from './compare/CompareView';
import { openCompare, useCompare } from './compare/compareState';

/** Files dropped or chosen: to the ingest dialog (a store must be open). */
function ingest(files: File[], paths: string[] = []): void {
  if (files.length === 0 && paths.length === 0) return;
  if (!appStore.get().info?.store) {
    setNotice('Open a store first, then drop the files again');
    return;
  }
  openDialog({ kind: 'ingest', files, paths });
}

function isTyping(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  if (!element) return false;
  const tag = element.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || element.isContentEditable;
}

function onMenu(event: Extract<HostEvent, { type: 'menu' }>): void {
  const { selected } = appStore.get();
  switch (event.command) {
    case 'store-opened':
      showStartup(false);
      void loadInfo();
      break;
    case 'open-bucket':
      // the startup screen's "Open bucket…" field takes s3://bucket/prefix
      showStartup(true);
      break;
    case 'ingest-files':
      ingest([], event.paths ?? (event.path ? [event.path] : []));
      break;
    case 'validate':
      if (selected) openDialog({ kind: 'validate', target: selected });
      break;
    case 'promote': {
      const asset = selected ? rawAssetOf(selected) : null;
      if (asset) openDialog({ kind: 'promote', asset });
      else setNotice('Open a raw asset, date or file to promote it');
      break;
    }
    case 'features':
      openDialog({ kind: 'features', asset: assetOfPath(selected) });
      break;
    case 'jobs':
      openDialog({ kind: 'jobs' });
      break;
  }
}

function Dialogs() {
  const dialog = useAppState((s) => s.dialog);
  if (!dialog) return null;
  switch (dialog.kind) {
    case 'validate':
      return <ValidateDialog target={dialog.target} />;
    case 'promote':
      return <PromoteDialog asset={dialog.asset} />;
    case 'ingest':
      return <IngestDialog files={dialog.files} paths={dialog.paths} />;
    case 'features':
      return <FeaturesDialog asset={dialog.asset} from={dialog.from} />;
    case 'jobs':
      return <JobsPanel />;
    case 'shortcuts':
      return <ShortcutsDialog />;
  }
}

function Welcome({ onChoose }: { onChoose: () => void }) {
  const tree = useAppState((s) => s.tree);
  const empty = tree !== null && (tree.children ?? []).every((layer) => (layer.children ?? []).length === 0);
  return (
    <div className="welcome">
      <h1>{empty ? 'An empty store' : 'Pick a dataset'}</h1>
      <p className="muted">
        {empty ? 'Drop market data files on the window to ingest them as raw snapshots.' : 'Choose a raw snapshot, a cleaned version or a feature set in the tree to see its rows, chart, schema and lineage.'}
      </p>
      {empty ? (
        <button type="button" className="primary" onClick={onChoose}>
          Choose files to ingest…
        </button>
      ) : null}
      <ShortcutsTable first={8} compact />
    </div>
  );
}

function Workbench({ onChoose, filterRef }: { onChoose: () => void; filterRef: React.RefObject<HTMLInputElement | null> }) {
  const selected = useAppState((s) => s.selected);
  const run = useAppState((s) => (s.selected ? s.validations[s.selected] : undefined));
  const reportHidden = useAppState((s) => s.reportHidden);
  const dragging = useAppState((s) => s.dragging);
  const comparing = useCompare((s) => s.pair !== null);
  const showPanel = run !== undefined && !reportHidden;
  return (
    <div className={`app${showPanel ? ' with-report' : ''}`}>
      <Toolbar onIngest={onChoose} />
      <div className="main">
        <aside className="left" aria-label="Store">
          <ErrorBoundary what="tree">
            <DatasetTree filterRef={filterRef} />
          </ErrorBoundary>
          <DropZone onChoose={onChoose} />
        </aside>
        <main className="centre">
          <ErrorBoundary what="dataset" resetKey={selected}>
            {comparing ? <CompareView /> : selected ? <DatasetView path={selected} /> : <Welcome onChoose={onChoose} />}
          </ErrorBoundary>
        </main>
        {showPanel && run ? (
          <ErrorBoundary what="report" resetKey={run}>
            <ReportPanel run={run} />
          </ErrorBoundary>
        ) : null}
      </div>
      <StatusBar />
      <Dialogs />
      {dragging ? <DropOverlay /> : null}
    </div>
  );
}

/** The app: the startup screen until a store is open, then the workbench. */
export function App() {
  const info = useAppState((s) => s.info);
  const infoError = useAppState((s) => s.infoError);
  const storeError = useAppState((s) => s.storeError);
  const wantStartup = useAppState((s) => s.showStartup);
  const fileInput = useRef<HTMLInputElement>(null);
  const filterRef = useRef<HTMLInputElement>(null);
  const chooseFiles = useCallback(() => fileInput.current?.click(), []);

  useEffect(() => {
    void loadInfo({ reopen: true });
    return subscribe((event) => {
      if (event.type === 'job') onJobEvent(event.job);
      else onMenu(event);
    });
  }, []);

  // files dragged anywhere over the window
  useEffect(() => {
    let depth = 0;
    const hasFiles = (event: DragEvent) => Array.from(event.dataTransfer?.types ?? []).includes('Files');
    const onEnter = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      depth++;
      if (appStore.get().info?.store && !appStore.get().dialog) appStore.set({ dragging: true });
    };
    const onOver = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
    };
    const onLeave = () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) appStore.set({ dragging: false });
    };
    const onDrop = (event: DragEvent) => {
      const files = Array.from(event.dataTransfer?.files ?? []);
      if (files.length === 0 && !hasFiles(event)) return;
      event.preventDefault();
      depth = 0;
      appStore.set({ dragging: false });
      if (appStore.get().dialog) {
        setNotice('Finish the open dialog first, then drop the files again');
        return;
      }
      ingest(files);
    };
    window.addEventListener('dragenter', onEnter);
    window.addEventListener('dragover', onOver);
    window.addEventListener('dragleave', onLeave);
    window.addEventListener('drop', onDrop);
    return () => {
      window.removeEventListener('dragenter', onEnter);
      window.removeEventListener('dragover', onOver);
      window.removeEventListener('dragleave', onLeave);
      window.removeEventListener('drop', onDrop);
    };
  }, []);

  // keyboard shortcuts for the main actions
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const state = appStore.get();
      if (!state.info?.store || state.showStartup) return;
      const mod = event.ctrlKey || event.metaKey;
      const key = event.key.toLowerCase();
      const dialogOpen = state.dialog !== null;
      let handled = true;
      if (mod && !event.shiftKey && key === 'i' && !dialogOpen) chooseFiles();
      else if (mod && event.shiftKey && key === 'v' && !dialogOpen) {
        if (state.selected) openDialog({ kind: 'validate', target: state.selected });
      } else if (mod && event.shiftKey && key === 'p' && !dialogOpen) {
        const asset = state.selected ? rawAssetOf(state.selected) : null;
        if (asset) openDialog({ kind: 'promote', asset });
        else setNotice('Open a raw asset, date or file to promote it');
      } else if (mod && event.shiftKey && key === 'f' && !dialogOpen) openDialog({ kind: 'features', asset: assetOfPath(state.selected) });
      else if (event.altKey && !mod && key === 'j' && !dialogOpen) openDialog({ kind: 'jobs' });
      else if (mod && !event.shiftKey && key === 'k') filterRef.current?.focus();
      else if (mod && !event.shiftKey && key === 'g' && state.selected) {
        setTab('table');
        setTimeout(() => window.dispatchEvent(new Event('mes-data:goto-row')), 0);
      } else if (event.altKey && !mod && /^[1-4]$/.test(event.key)) setTab(TABS[Number(event.key) - 1].id);
      else if (event.altKey && !mod && key === 'u') setTimeMode(state.timeMode === 'utc' ? 'exchange' : 'utc');
      else if (event.altKey && !mod && key === 'r') void refreshTree();
      else if (event.altKey && !mod && key === 't') document.querySelector<HTMLElement>('[role="tree"]')?.focus();
      else if (mod && event.shiftKey && key === 'd' && !dialogOpen) openCompare(state.selected);
      else if (event.key === '?' && !isTyping(event.target) && !dialogOpen) openDialog({ kind: 'shortcuts' });
      else handled = false;
      if (handled) event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [chooseFiles]);

  const picker = (
    <input
      ref={fileInput}
      type="file"
      multiple
      hidden
      data-testid="file-input"
      accept=".csv,.tsv,.txt,.parquet,.arrow,.ipc,.feather,.jsonl,.ndjson"
      onChange={(event) => {
        const files = Array.from(event.target.files ?? []);
        event.target.value = '';
        ingest(files);
      }}
    />
  );

  if (infoError) {
    return (
      <main className="startup">
        <div className="startup-card">
          <h1>MES Data</h1>
          <ErrorPanel error={infoError} context="The app cannot talk to its host" onRetry={() => void loadInfo({ reopen: true })} />
        </div>
      </main>
    );
  }
  if (!info) {
    return (
      <main className="startup">
        <p className="muted">Connecting…</p>
      </main>
    );
  }
  if (!info.store || wantStartup || (storeError && !info.store)) {
    return <StartupScreen />;
  }
  return (
    <>
      <Workbench onChoose={chooseFiles} filterRef={filterRef} />
      {picker}
    </>
  );
}
