import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { collapse, expand, openDataset, refreshTree, toggleExpand } from '../state/actions';
import { useAppState } from '../state/appState';
import { ErrorPanel } from '../shell/ErrorPanel';
import { useTreeContextMenu } from './TreeContextMenu';
import { isTypeAheadKey, treeKeyAction, typeAheadIndex } from './treeKeyboard';
import { countOf, flattenTree, formatBytes, formatCountShort, formatSpan, isOpenable, isVersionGroup, type CatalogNode, type FlatNode } from './treeModel';
import { flattenSearch, markedParts, searchSummary, searchWords } from './treeSearch';
import { useTreeSearch } from './useTreeSearch';

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

/** A name with the searched words marked. */
function MarkedName({ name, words }: { name: string; words: readonly string[] }) {
  return (
    <>
      {markedParts(name, words).map((part, i) => (part.marked ? <mark key={i}>{part.text}</mark> : part.text))}
    </>
  );
}

function TreeRow({
  row,
  focused,
  selected,
  loading,
  match,
  onClick,
  onToggle,
}: {
  row: FlatNode;
  focused: boolean;
  selected: boolean;
  loading: boolean;
  /** A search is shown: the words of a match are marked, the other rows are the way to one. */
  match?: { words: readonly string[]; isMatch: boolean };
  onClick: (event: React.MouseEvent) => void;
  onToggle: () => void;
}) {
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
      data-match={match ? match.isMatch : undefined}
      className={`tree-row${focused ? ' focused' : ''}${selected ? ' selected' : ''}${node.error ? ' has-error' : ''}${match && !match.isMatch ? ' on-the-way' : ''}`}
      style={{ paddingLeft: 6 + row.depth * 14 }}
      title={describe(node)}
      onClick={onClick}
      onDoubleClick={() => row.expandable && onToggle()}
    >
      <span
        className={`chevron${row.expandable ? '' : ' leaf'}${loading ? ' loading' : ''}`}
        aria-hidden="true"
        onClick={(event) => {
          if (!row.expandable) return;
          event.stopPropagation();
          onToggle();
        }}
      >
        {row.expandable ? (row.expanded ? '▾' : '▸') : ''}
      </span>
      <span className={`kind-icon kind-${node.kind}`} aria-hidden="true" />
      <span className="tree-name">{match?.isMatch ? <MarkedName name={node.name} words={match.words} /> : node.name}</span>
      {node.error ? <span className="badge bad" title={node.error}>error</span> : null}
      <Badge node={node} />
      {span ? <span className="tree-span">{span}</span> : null}
      <span className="tree-meta">{meta}</span>
    </div>
  );
}

/**
 * The dataset tree: role=tree, lazy levels, full keyboard navigation, and a search box: its
 * words are looked up by the host in the whole store (`tree.search`, dates not loaded yet
 * included), and while it holds some the tree shows the matches and the nodes on the way.
 */
export function DatasetTree({ filterRef }: { filterRef: React.RefObject<HTMLInputElement | null> }) {
  const tree = useAppState((s) => s.tree);
  const expanded = useAppState((s) => s.expanded);
  const selected = useAppState((s) => s.selected);
  const treeError = useAppState((s) => s.treeError);
  const treeLoading = useAppState((s) => s.treeLoading);
  const loadingPaths = useAppState((s) => s.loadingPaths);
  const dataVersion = useAppState((s) => s.dataVersion);
  const [query, setQuery] = useState('');
  const [searchCollapsed, setSearchCollapsed] = useState<ReadonlySet<string>>(new Set());
  const [focusPath, setFocusPath] = useState<string | null>(null);
  const typeAhead = useRef({ text: '', at: 0 });
  const scrollRef = useRef<HTMLDivElement>(null);
  const listRef = useRef<HTMLDivElement>(null);

  const search = useTreeSearch(query, dataVersion);
  const searching = query.trim() !== '';
  const words = useMemo(() => searchWords(query), [query]);
  const matchSet = useMemo(() => new Set(search.result?.paths ?? []), [search.result]);
  const flat = useMemo(
    () => (searching ? flattenSearch(search.result?.tree ?? null, matchSet, searchCollapsed) : flattenTree(tree, expanded)),
    [searching, search.result, matchSet, searchCollapsed, tree, expanded],
  );
  const firstMatch = searching ? flat.findIndex((r) => matchSet.has(r.node.path)) : -1;
  const focusFound = flat.findIndex((r) => r.node.path === (focusPath ?? selected));
  const focusIndex = Math.max(0, focusFound >= 0 ? focusFound : firstMatch);

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

  const setSearch = (text: string) => {
    setQuery(text);
    setSearchCollapsed(new Set());
  };
  /** Back to the whole tree, on the row opened last (revealed there), the keyboard in the tree. */
  const leaveSearch = () => {
    setSearch('');
    if (selected) setFocusPath(selected);
    listRef.current?.focus();
  };

  const activate = (row: FlatNode) => {
    setFocusPath(row.node.path);
    // a search's match is opened in the tree behind it too, so leaving the search lands on it
    openDataset(row.node.path, { reveal: searching });
    // layers and version groups are summaries: opening them also opens them in the tree
    if (!searching && !isOpenable(row.node) && row.expandable && !row.expanded) expand(row.node.path);
  };
  const toggle = (row: FlatNode) => {
    if (!searching) return toggleExpand(row.node.path);
    setSearchCollapsed((closed) => {
      const next = new Set(closed);
      if (!next.delete(row.node.path)) next.add(row.node.path);
      return next;
    });
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (contextMenu.onKey(event)) return;
    if (event.key === 'F5' || (event.altKey && event.key.toLowerCase() === 'r')) return;
    if (event.key === 'Escape' && searching) {
      event.preventDefault();
      leaveSearch();
      return;
    }
    const action = treeKeyAction(flat, focusIndex, event.key);
    if (action) {
      event.preventDefault();
      switch (action.type) {
        case 'focus':
          setFocusPath(flat[action.index].node.path);
          break;
        case 'expand':
          if (searching) toggle(flat[action.index]);
          else expand(action.path);
          break;
        case 'collapse':
          if (searching) toggle(flat[action.index]);
          else collapse(action.path);
          break;
        case 'activate':
          activate(flat[action.index]);
          break;
        case 'expandAll':
          if (!searching) action.paths.forEach(expand);
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
  const contextMenu = useTreeContextMenu(flat, focusedRow);
  const summary = searching ? (search.error ? `The search failed: ${search.error.code}: ${search.error.message}` : searchSummary(search.searching ? null : search.result, search.searching)) : '';
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
          placeholder="Search: MES 2024-03 (Ctrl+K)"
          aria-label="Search datasets"
          title="Every word is looked for in the store paths: assets, dates, versions, feature sets. ↓ to the results, Enter opens the first, Esc clears."
          value={query}
          onChange={(event) => setSearch(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Escape') setSearch('');
            else if (event.key === 'ArrowDown') {
              event.preventDefault();
              if (firstMatch >= 0) setFocusPath(flat[firstMatch].node.path);
              listRef.current?.focus();
            } else if (event.key === 'Enter') {
              event.preventDefault();
              if (searching && firstMatch >= 0) activate(flat[firstMatch]);
              if (!searching || firstMatch >= 0) listRef.current?.focus();
            }
          }}
        />
        {summary ? (
          <p className={`tree-search-summary${search.error ? ' bad' : ''}`} aria-live="polite" data-testid="tree-search-summary">
            {summary}
          </p>
        ) : null}
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
          aria-label={searching ? `Datasets matching “${query.trim()}”` : 'Datasets in the store'}
          tabIndex={0}
          aria-activedescendant={focusedRow ? itemId(focusedRow.node.path) : undefined}
          className="tree"
          style={{ height: virtualizer.getTotalSize() }}
          onKeyDown={onKeyDown}
          onContextMenu={contextMenu.onContextMenu}
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
                  loading={!searching && (loadingPaths.has(row.node.path) || (row.expanded && row.unloaded))}
                  match={searching ? { words, isMatch: matchSet.has(row.node.path) } : undefined}
                  onClick={() => {
                    listRef.current?.focus();
                    activate(row);
                  }}
                  onToggle={() => toggle(row)}
                />
              </div>
            );
          })}
        </div>
        {tree && !searching && flat.length === 0 ? <p className="tree-empty">The store is empty: drop market data files here to ingest them.</p> : null}
        {!tree && !treeError ? <p className="tree-empty">Loading the store…</p> : null}
      </div>
      {contextMenu.element}
    </div>
  );
}
