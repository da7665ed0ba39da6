import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { collapse, expand, openDataset, refreshTree, toggleExpand } from '../state/actions';
import { useAppState } from '../state/appState';
import { ErrorPanel } from '../shell/ErrorPanel';
import { isTypeAheadKey, treeKeyAction, typeAheadIndex } from './treeKeyboard';
import { countOf, flattenTree, formatBytes, formatCountShort, formatSpan, isOpenable, isVersionGroup, type CatalogNode, type FlatNode } from './treeModel';

const ROW_HEIGHT = 26;
const KIND_LABEL: Record<string, string> = {
  layer: 'layer',
  asset: 'asset',
  date: 'date',
  version: 'version',
  featureSet: 'feature set',
  file: 'file',
  partition: 'partition',
  store: 'store',
};

/** A DOM id for a tree row (aria-activedescendant needs one). */
function itemId(path: string): string {
  return `tree-${path.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`)}`;
}

function describe(node: CatalogNode): string {
  const parts = [`${KIND_LABEL[node.kind] ?? node.kind} ${node.path || node.name}`];
  if (typeof node.rows === 'number') parts.push(countOf(node.rows, 'row'));
  if (node.bytes !== undefined) parts.push(formatBytes(node.bytes));
  const span = formatSpan(node.from, node.to);
  if (span) parts.push(span);
  if (node.kind === 'version') parts.push(node.valid === true ? 'validated: valid' : node.valid === false ? 'validated: invalid' : 'not validated');
  if (node.compression) parts.push(node.compression);
  if (node.createdAt) parts.push(`created ${node.createdAt}`);
  if (node.error) parts.push(`error: ${node.error}`);
  return parts.join(' · ');
}

function Badge({ node }: { node: CatalogNode }) {
  if (node.kind !== 'version') return null;
  if (node.valid === true) return <span className="badge ok" title="Validated: valid">valid</span>;
  if (node.valid === false) return <span className="badge bad" title="Validated: errors found">invalid</span>;
  return <span className="badge muted" title="No validation recorded">unchecked</span>;
}

function TreeRow({ row, focused, selected, loading, onClick }: { row: FlatNode; focused: boolean; selected: boolean; loading: boolean; onClick: (event: React.MouseEvent) => void }) {
  const { node } = row;
  const versions = isVersionGroup(node) && node.children ? `${node.children.length} ${node.children.length === 1 ? 'version' : 'versions'}` : '';
  const meta = node.kind === 'layer' ? '' : typeof node.rows === 'number' ? formatCountShort(node.rows) : versions;
  const span = node.kind === 'asset' || node.kind === 'version' || node.kind === 'featureSet' ? formatSpan(node.from, node.to) : '';
  return (
    <div
      id={itemId(node.path)}
      role="treeitem"
      aria-level={row.depth + 1}
      aria-setsize={row.setSize}
      aria-posinset={row.posInSet}
      aria-expanded={row.expandable ? row.expanded : undefined}
      aria-selected={selected}
      aria-busy={loading || undefined}
      data-path={node.path}
      data-kind={node.kind}
      className={`tree-row${focused ? ' focused' : ''}${selected ? ' selected' : ''}${node.error ? ' has-error' : ''}`}
      style={{ paddingLeft: 6 + row.depth * 14 }}
      title={describe(node)}
      onClick={onClick}
      onDoubleClick={() => row.expandable && toggleExpand(node.path)}
    >
      <span
        className={`chevron${row.expandable ? '' : ' leaf'}${loading ? ' loading' : ''}`}
        aria-hidden="true"
        onClick={(event) => {
          if (!row.expandable) return;
          event.stopPropagation();
          toggleExpand(node.path);
        }}
      >
        {row.expandable ? (row.expanded ? '▾' : '▸') : ''}
      </span>
      <span className={`kind-icon kind-${node.kind}`} aria-hidden="true" />
      <span className="tree-name">{node.name}</span>
      {node.error ? <span className="badge bad" title={node.error}>error</span> : null}
      <Badge node={node} />
      {span ? <span className="tree-span">{span}</span> : null}
      <span className="tree-meta">{meta}</span>
    </div>
  );
}

/** The dataset tree: role=tree, lazy levels, filter box, full keyboard navigation. */
export function DatasetTree({ filterRef }: { filterRef: React.RefObject<HTMLInputElement | null> }) {
  const tree = useAppState((s) => s.tree);
  const expanded = useAppState((s) => s.expanded);
  const selected = useAppState((s) => s.selected);
  const treeError = useAppState((s) => s.treeError);
  const treeLoading = useAppState((s) => s.treeLoading);
  const loadingPaths = useAppState((s) => s.loadingPaths);
  const [filter, setFilter] = useState('');
  const [focusPath, setFocusPath] = useState<string | null>(null);
  const typeAhead = useRef({ text: '', at: 0 });
  const scrollRef = useRef<HTMLDivElement>(null);
  const listRef = useRef<HTMLDivElement>(null);

  const flat = useMemo(() => flattenTree(tree, expanded, filter), [tree, expanded, filter]);
  const focusIndex = Math.max(0, focusPath === null ? flat.findIndex((r) => r.node.path === selected) : flat.findIndex((r) => r.node.path === focusPath));

  const virtualizer = useVirtualizer({
    count: flat.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    getItemKey: (index) => flat[index]?.node.path ?? index,
  });

  // the selection made elsewhere (lineage links, a new version) becomes the focus and is scrolled to
  useEffect(() => {
    if (!selected) return;
    setFocusPath(selected);
  }, [selected]);
  useEffect(() => {
    const index = flat.findIndex((r) => r.node.path === focusPath);
    if (index >= 0) virtualizer.scrollToIndex(index, { align: 'auto' });
    // flat.length: the row may appear only once its parent has loaded
  }, [focusPath, flat.length, virtualizer, flat]);

  const activate = (row: FlatNode) => {
    setFocusPath(row.node.path);
    openDataset(row.node.path);
    // layers and version groups are summaries: opening them also opens them in the tree
    if (!isOpenable(row.node) && row.expandable && !row.expanded) expand(row.node.path);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key === 'F5' || (event.altKey && event.key.toLowerCase() === 'r')) return;
    const action = treeKeyAction(flat, focusIndex, event.key);
    if (action) {
      event.preventDefault();
      switch (action.type) {
        case 'focus':
          setFocusPath(flat[action.index].node.path);
          break;
        case 'expand':
          expand(action.path);
          break;
        case 'collapse':
          collapse(action.path);
          break;
        case 'activate':
          activate(flat[action.index]);
          break;
        case 'expandAll':
          action.paths.forEach(expand);
          break;
      }
      return;
    }
    if (isTypeAheadKey(event.key, { ctrl: event.ctrlKey, meta: event.metaKey, alt: event.altKey })) {
      const now = Date.now();
      typeAhead.current = { text: now - typeAhead.current.at < 700 ? typeAhead.current.text + event.key : event.key, at: now };
      const index = typeAheadIndex(flat, focusIndex, typeAhead.current.text);
      if (index !== null) {
        event.preventDefault();
        setFocusPath(flat[index].node.path);
      }
    }
  };

  const focusedRow = flat[focusIndex];
  return (
    <div className="tree-panel">
      <div className="panel-header">
        <span className="panel-title">Datasets</span>
        <button type="button" className="icon-button" title="Refresh the tree (Alt+R)" aria-label="Refresh the tree" onClick={() => void refreshTree()}>
          <span className={treeLoading ? 'spin' : ''}>↻</span>
        </button>
      </div>
      <div className="tree-filter">
        <input
          ref={filterRef}
          type="search"
          placeholder="Filter datasets (Ctrl+K)"
          aria-label="Filter datasets"
          value={filter}
          onChange={(event) => setFilter(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Escape') setFilter('');
            if (event.key === 'ArrowDown' || event.key === 'Enter') {
              event.preventDefault();
              listRef.current?.focus();
            }
          }}
        />
      </div>
      {treeError ? (
        <div className="pane-message">
          <ErrorPanel error={treeError} context="The store could not be listed" compact onRetry={() => void refreshTree()} />
        </div>
      ) : null}
      <div className="tree-scroll" ref={scrollRef}>
        <div
          ref={listRef}
          role="tree"
          aria-label="Datasets in the store"
          tabIndex={0}
          aria-activedescendant={focusedRow ? itemId(focusedRow.node.path) : undefined}
          className="tree"
          style={{ height: virtualizer.getTotalSize() }}
          onKeyDown={onKeyDown}
        >
          {virtualizer.getVirtualItems().map((item) => {
            const row = flat[item.index];
            if (!row) return null;
            return (
              <div key={item.key} className="tree-slot" style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}>
                <TreeRow
                  row={row}
                  focused={item.index === focusIndex}
                  selected={row.node.path === selected}
                  loading={loadingPaths.has(row.node.path) || (row.expanded && row.unloaded)}
                  onClick={() => {
                    listRef.current?.focus();
                    activate(row);
                  }}
                />
              </div>
            );
          })}
        </div>
        {tree && flat.length === 0 ? <p className="tree-empty">{filter ? `Nothing matches “${filter}”.` : 'The store is empty: drop market data files here to ingest them.'}</p> : null}
        {!tree && !treeError ? <p className="tree-empty">Loading the store…</p> : null}
      </div>
    </div>
  );
}
