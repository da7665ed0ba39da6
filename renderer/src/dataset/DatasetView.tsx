import { lazy, Suspense, useMemo } from 'react';
import { cleanedVersionOfPath, assetOfPath } from '../features/featureParams';
import { openDialog, setTab } from '../state/actions';
import { TABS, useAppState, type Tab } from '../state/appState';
import { ErrorBoundary } from '../shell/ErrorBoundary';
import { ErrorPanel } from '../shell/ErrorPanel';
import { DataTable } from '../table/DataTable';
import { countOf, findNode, formatBytes, formatSpan, isOpenable, rawAssetOf, versionOfPath } from '../tree/treeModel';
import { offendingRows, rulesByRow } from '../validate/validationReport';
import { GroupSummary } from './GroupSummary';
import { MetadataView } from './MetadataView';
import { SchemaView } from './SchemaView';
import { useDatasetInfo, type DatasetInfo } from './useDatasetInfo';
import { VersionPicker } from '../versions/VersionPicker';

// the chart library loads when the Chart tab is first shown
const ChartView = lazy(() => import('../chart/ChartView').then((m) => ({ default: m.ChartView })));

const OHLC = ['timestamp', 'open', 'high', 'low', 'close'];

function hasOhlc(info: DatasetInfo): boolean {
  const names = new Set(info.columns.map((c) => c.name));
  return OHLC.every((n) => names.has(n));
}

function Tabs({ tab, chartable }: { tab: Tab; chartable: boolean }) {
  return (
    <div
      className="tabs"
      role="tablist"
      aria-label="Views of the dataset"
      onKeyDown={(event) => {
        // ← → move between the tabs, as in any tab list
        const at = TABS.findIndex((t) => t.id === tab);
        const next = event.key === 'ArrowRight' ? (at + 1) % TABS.length : event.key === 'ArrowLeft' ? (at + TABS.length - 1) % TABS.length : -1;
        if (next < 0) return;
        event.preventDefault();
        setTab(TABS[next].id);
        document.getElementById(`tab-${TABS[next].id}`)?.focus();
      }}
    >
      {TABS.map((t, i) => (
        <button
          key={t.id}
          type="button"
          role="tab"
          id={`tab-${t.id}`}
          tabIndex={tab === t.id ? 0 : -1}
          aria-selected={tab === t.id}
          aria-controls={`panel-${t.id}`}
          className={tab === t.id ? 'tab active' : 'tab'}
          title={`${t.label} (Alt+${i + 1})${t.id === 'chart' && !chartable ? ': needs timestamp, open, high, low and close columns' : ''}`}
          onClick={() => setTab(t.id)}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}

/** The centre: the selected dataset's header, actions and tabs. */
export function DatasetView({ path }: { path: string }) {
  const tree = useAppState((s) => s.tree);
  const tab = useAppState((s) => s.tab);
  const version = useAppState((s) => s.dataVersion);
  const validation = useAppState((s) => s.validations[path]);
  const node = tree ? findNode(tree, path) : null;
  const openable = node ? isOpenable(node) : true;

  if (node && !openable) {
    return (
      <section className="dataset-view" aria-label={`The ${node.name} ${node.kind}`}>
        <header className="dataset-header">
          <div className="dataset-title">
            <h1 className="mono">{path}</h1>
            <span className="muted">{node.kind === 'layer' ? 'layer' : 'versions'}</span>
          </div>
        </header>
        <GroupSummary node={node} />
      </section>
    );
  }
  return <OpenDataset path={path} tab={tab} version={version} reportRows={validation?.report ?? null} />;
}

function OpenDataset({ path, tab, version, reportRows }: { path: string; tab: Tab; version: number; reportRows: Parameters<typeof rulesByRow>[0] }) {
  const state = useDatasetInfo(path, version);
  const tree = useAppState((s) => s.tree);
  const node = tree ? findNode(tree, path) : null;
  const issues = useMemo(() => rulesByRow(reportRows), [reportRows]);
  const offending = useMemo(() => offendingRows(reportRows), [reportRows]);
  const asset = rawAssetOf(path);
  const info = state.status === 'ready' ? state.info : null;
  const chartable = info ? hasOhlc(info) : true;
  const span = node ? formatSpan(node.from, node.to) : '';

  return (
    <section className="dataset-view" aria-label={`Dataset ${path}`}>
      <header className="dataset-header">
        <div className="dataset-title">
          <h1 className="mono" title={path}>
            {path}
          </h1>
          <span className="muted" data-testid="dataset-facts">
            {info ? `${countOf(info.numRows, 'row')} · ${countOf(info.columns.length, 'column')} · ${countOf(info.files.length, 'file')} · ${formatBytes(info.files.reduce((s, f) => s + f.bytes, 0))}` : state.status === 'loading' ? 'reading the footer…' : ''}
            {span ? ` · ${span}` : ''}
          </span>
          {node?.kind === 'version' ? (
            <span className={`badge ${node.valid === true ? 'ok' : node.valid === false ? 'bad' : 'muted'}`}>{node.valid === true ? 'valid' : node.valid === false ? 'invalid' : 'not validated'}</span>
          ) : null}
        </div>
        <div className="dataset-actions">
          <button type="button" className="primary" disabled={!info} title="Validate this dataset against a schema (Ctrl+Shift+V)" onClick={() => openDialog({ kind: 'validate', target: path })}>
            Validate…
          </button>
          {asset ? (
            <button type="button" title={`Promote raw ${asset} to a cleaned version (Ctrl+Shift+P)`} onClick={() => openDialog({ kind: 'promote', asset })}>
              Promote {asset}…
            </button>
          ) : null}
          {path.startsWith('cleaned/') ? (
            <button type="button" title="Build a feature set from this cleaned version (Ctrl+Shift+F)" onClick={() => openDialog({ kind: 'features', asset: assetOfPath(path), from: cleanedVersionOfPath(path) })}>
              Build features…
            </button>
          ) : null}
        </div>
      </header>
      {versionOfPath(path) ? <VersionPicker path={path} metadata={info?.metadata ?? null} storeVersion={version} /> : null}
      <Tabs tab={tab} chartable={chartable} />
      <div className="tab-panel" role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {state.status === 'error' ? (
          <div className="pane-message">
            <ErrorPanel error={state.error} context={`${path} could not be opened`} />
          </div>
        ) : state.status === 'loading' ? (
          <div className="pane-message muted">Reading {path}…</div>
        ) : (
          <ErrorBoundary what={tab} resetKey={`${path}:${tab}`}>
            {tab === 'table' ? <DataTable key={path} path={path} columns={state.info.columns} numRows={state.info.numRows} issues={issues} /> : null}
            {tab === 'chart' ? (
              chartable ? (
                <Suspense fallback={<div className="pane-message muted">Loading the chart…</div>}>
                  <ChartView key={path} path={path} offendingRows={offending} />
                </Suspense>
              ) : (
                <div className="pane-message muted">
                  There is nothing to draw: a chart needs <code>timestamp</code>, <code>open</code>, <code>high</code>, <code>low</code> and <code>close</code> columns, and {path} has{' '}
                  {state.info.columns.map((c) => c.name).join(', ')}.
                </div>
              )
            ) : null}
            {tab === 'schema' ? <SchemaView info={state.info} /> : null}
            {tab === 'metadata' ? <MetadataView info={state.info} /> : null}
          </ErrorBoundary>
        )}
      </div>
    </section>
  );
}
