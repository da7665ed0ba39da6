import {
  columnResizingFeature,
  columnSizingFeature,
  columnVisibilityFeature,
  createColumnHelper,
  tableFeatures,
  useTable,
} from '@tanstack/react-table';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { errorWords } from '../api/errorText';
import { copyToClipboard, selectRow } from '../state/actions';
import { useAppState } from '../state/appState';
import { countOf, formatCount } from '../tree/treeModel';
import { ruleTitle, type RowIssues } from '../validate/validationReport';
import { copyText, formatCell, isNumericType, isTimestampType, rowsAsTsv, shortTypeName } from './cellFormat';
import { useInstrument } from './useInstrument';
import { numberStyleFor, type NumberStyle } from './numberFormat';
import {
  clampVirtualTop,
  physicalHeight,
  rowContentTop,
  rowRange,
  scrollScale,
  scrollTopFromVirtual,
  virtualTopFromScroll,
  virtualTopToShow,
  wheelPixels,
  type Geometry,
} from './rowWindow';
import { useRowPages } from './useRowPages';
import { SqlPanel } from './SqlPanel';
import { TimeRangePanel, TimeRangeStrip } from './TimeRangePanel';
import { EMPTY_QUERY, isPlain, nextSort, timeRangeLabel, type FilterInput, type TableQueryState } from './tableQuery';

const ROW_HEIGHT = 26;
const HEADER_HEIGHT = 44;
/** The filter row under the column names, when shown. */
const FILTER_HEIGHT = 32;
const NO_FILTER: FilterInput = { min: '', max: '', text: '' };
const NO_ISSUES: ReadonlyMap<number, RowIssues> = new Map();

const features = tableFeatures({ columnVisibilityFeature, columnSizingFeature, columnResizingFeature });

interface WindowRow {
  index: number;
  values: unknown[] | undefined;
}

const helper = createColumnHelper<typeof features, WindowRow>();

interface TableColumn {
  name: string;
  type: string;
  nullable?: boolean;
}

function defaultWidth(type: string): number {
  if (isTimestampType(type)) return 280;
  if (isNumericType(type)) return 116;
  return 150;
}

/**
 * Pixels a cell needs for `chars` characters of its 12 px monospace font (0.6 em a
 * character, with a little to spare), its padding and its border.
 */
function widthForChars(chars: number): number {
  return Math.ceil(chars * 7.4) + 16 + 1 + 6;
}

/**
 * The Table tab: a virtualized grid over any number of rows, fetched page by page as the
 * view moves. Columns carry their types; cells can be selected and copied; a row picked
 * elsewhere (a chart bar, a validation issue, go-to-row) is scrolled to and highlighted, and
 * rows with validation issues are marked.
 */
export function DataTable({ path, columns, numRows, issues: datasetIssues }: { path: string; columns: TableColumn[]; numRows: number; issues: ReadonlyMap<number, RowIssues> }) {
  const version = useAppState((s) => s.dataVersion);
  const timeMode = useAppState((s) => s.timeMode);
  const selectedRow = useAppState((s) => s.selectedRow);
  // sort and filters run in the host over the whole dataset (rows.query); the draft is what is typed, applied with Enter
  const [query, setQuery] = useState<TableQueryState>(EMPTY_QUERY);
  const [draft, setDraft] = useState<Record<string, FilterInput>>({});
  const [filtersOpen, setFiltersOpen] = useState(false);
  const [sqlOpen, setSqlOpen] = useState(false);
  const [timeOpen, setTimeOpen] = useState(false);
  const headerHeight = HEADER_HEIGHT + (filtersOpen ? FILTER_HEIGHT : 0);
  const cache = useRowPages(path, numRows, version, columns, query);
  const rowCount = cache.numRows;
  const queried = !isPlain(columns, query);
  // validation issues name rows of the dataset: marked only while the table shows it in its own order
  const issues = queried ? NO_ISSUES : datasetIssues;
  const applyFilters = () => setQuery((q) => ({ ...q, filters: draft }));
  // the time-range picker applies its column's range at once, beside the filters already applied
  const timeColumns = useMemo(() => columns.filter((column) => isTimestampType(column.type)).map((column) => column.name), [columns]);
  const applyTime = (column: string, input: FilterInput | null) => {
    const put = (filters: Record<string, FilterInput>) => {
      const next = { ...filters };
      if (input) next[column] = input;
      else delete next[column];
      return next;
    };
    setDraft(put);
    setQuery((q) => ({ ...q, filters: put(q.filters) }));
  };
  const openTime = () => {
    setTimeOpen(true);
    window.dispatchEvent(new Event('mes-data:time-range'));
  };
  const appliedTime = timeColumns.find((name) => query.filters[name] && (query.filters[name].min.trim() !== '' || query.filters[name].max.trim() !== ''));
  const setFilter = (column: string, part: keyof FilterInput, value: string) => setDraft((d) => ({ ...d, [column]: { ...(d[column] ?? NO_FILTER), [part]: value } }));

  const scrollRef = useRef<HTMLDivElement>(null);
  const gotoRef = useRef<HTMLInputElement>(null);
  const [viewport, setViewport] = useState({ width: 800, height: 480 });
  const [scroll, setScroll] = useState({ top: 0, virtualTop: 0 });
  const expectedScrollTop = useRef<number | null>(null);
  const [selection, setSelection] = useState<{ row: number; col: number } | null>(null);
  const [flash, setFlash] = useState<number | null>(null);
  const [columnsOpen, setColumnsOpen] = useState(false);
  const [gotoText, setGotoText] = useState('');

  const geometry: Geometry = useMemo(
    () => ({ rowCount, rowHeight: ROW_HEIGHT, viewportHeight: Math.max(ROW_HEIGHT, viewport.height - headerHeight) }),
    [rowCount, viewport.height, headerHeight],
  );
  const headerHeightRef = useRef(headerHeight);
  headerHeightRef.current = headerHeight;
  const geometryRef = useRef(geometry);
  geometryRef.current = geometry;
  /** The geometry with the viewport as it is now (state may lag one render behind a resize). */
  const liveGeometry = useCallback((): Geometry => {
    const element = scrollRef.current;
    const g = geometryRef.current;
    return element ? { ...g, viewportHeight: Math.max(ROW_HEIGHT, element.clientHeight - headerHeightRef.current) } : g;
  }, []);
  const handledNonce = useRef<number | null>(null);
  const scrollState = useRef(scroll);
  scrollState.current = scroll;

  // numbers in their column's style: prices to the instrument's tick, counts, indicators to significant digits
  const { tick, zone } = useInstrument(path);
  const styles = useMemo(
    () => new Map(columns.map((column) => [column.name, isNumericType(column.type) ? numberStyleFor(column.name, column.type, tick) : undefined] as [string, NumberStyle | undefined])),
    [columns, tick],
  );
  const tableColumns = useMemo(
    () =>
      columns.map((column, k) =>
        helper.accessor((row: WindowRow) => row.values?.[k], {
          id: column.name,
          header: column.name,
          size: defaultWidth(column.type),
          minSize: 60,
          maxSize: 800,
          cell: (info) => formatCell(info.getValue(), column.type, timeMode, zone, styles.get(column.name)),
        }),
      ),
    [columns, timeMode, zone, styles],
  );
  const typeOf = useMemo(() => new Map(columns.map((c) => [c.name, c])), [columns]);

  const range = rowRange(scroll.virtualTop, geometry, 8);
  const data = useMemo(() => {
    const rows: WindowRow[] = [];
    for (let i = range.first; i <= range.last; i++) rows.push({ index: i, values: cache.row(i) });
    return rows;
    // cache.version: rows arrive after the range was set
  }, [range.first, range.last, cache, cache.version]);

  // A numeric column is never narrower than the longest value it has shown (of this dataset),
  // so no number is cut: the width only grows, and does not jump back while scrolling.
  const fitChars = useRef<{ path: string; chars: Map<string, number> }>({ path, chars: new Map() });
  const fitWidths = useMemo(() => {
    if (fitChars.current.path !== path) fitChars.current = { path, chars: new Map() };
    const chars = fitChars.current.chars;
    columns.forEach((column, k) => {
      const style = styles.get(column.name);
      if (!style) return;
      // the header's name too (a bolder, slightly wider font: one character more)
      let longest = chars.get(column.name) ?? column.name.length + 1;
      for (const row of data) if (row.values) longest = Math.max(longest, formatCell(row.values[k], column.type, timeMode, zone, style).length);
      chars.set(column.name, longest);
    });
    return new Map([...chars].map(([name, n]) => [name, widthForChars(n)]));
  }, [data, columns, styles, timeMode, zone, path]);
  const widthOf = useCallback((column: { id: string; getSize: () => number }) => Math.max(column.getSize(), fitWidths.get(column.id) ?? 0), [fitWidths]);

  const table = useTable({
    features,
    columns: tableColumns,
    data,
    getRowId: (row) => String(row.index),
    columnResizeMode: 'onChange',
    enableColumnResizing: true,
  });

  useEffect(() => {
    cache.want(range.first, range.last);
  }, [cache, range.first, range.last]);

  // the viewport's size
  useLayoutEffect(() => {
    const element = scrollRef.current;
    if (!element) return;
    const measure = () => setViewport({ width: element.clientWidth, height: element.clientHeight });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const scrollToVirtual = useCallback((virtualTop: number) => {
    const element = scrollRef.current;
    if (!element) return;
    const g = liveGeometry();
    const clamped = clampVirtualTop(virtualTop, g);
    const target = scrollTopFromVirtual(clamped, g);
    expectedScrollTop.current = target;
    element.scrollTop = target;
    setScroll({ top: element.scrollTop, virtualTop: clamped });
  }, [liveGeometry]);

  const onScroll = () => {
    const element = scrollRef.current;
    if (!element) return;
    const top = element.scrollTop;
    const expected = expectedScrollTop.current;
    if (expected !== null && Math.abs(top - expected) <= 1.5) {
      setScroll((s) => (s.top === top ? s : { top, virtualTop: s.virtualTop }));
      return;
    }
    expectedScrollTop.current = null;
    setScroll({ top, virtualTop: virtualTopFromScroll(top, geometryRef.current) });
  };

  // past the browser's height limit the wheel moves the virtual offset itself, row-precise
  useEffect(() => {
    const element = scrollRef.current;
    if (!element) return;
    const onWheel = (event: WheelEvent) => {
      const g = geometryRef.current;
      if (scrollScale(g) <= 1 || event.ctrlKey || Math.abs(event.deltaY) < Math.abs(event.deltaX)) return;
      event.preventDefault();
      scrollToVirtual(scrollState.current.virtualTop + wheelPixels(event.deltaY, event.deltaMode, g.rowHeight, g.viewportHeight));
    };
    element.addEventListener('wheel', onWheel, { passive: false });
    return () => element.removeEventListener('wheel', onWheel);
  }, [scrollToVirtual]);

  const visibleColumns = table.getVisibleLeafColumns();
  const gutterWidth = Math.max(56, String(Math.max(0, rowCount - 1)).length * 8 + 28);

  const revealColumn = useCallback(
    (col: number) => {
      const element = scrollRef.current;
      if (!element) return;
      let left = gutterWidth;
      for (let k = 0; k < col; k++) left += visibleColumns[k] ? widthOf(visibleColumns[k]) : 0;
      const width = visibleColumns[col] ? widthOf(visibleColumns[col]) : 0;
      if (left - gutterWidth < element.scrollLeft) element.scrollLeft = left - gutterWidth;
      else if (left + width > element.scrollLeft + element.clientWidth) element.scrollLeft = left + width - element.clientWidth;
    },
    [gutterWidth, visibleColumns, widthOf],
  );

  // a row picked elsewhere (once per pick): centre it, select it, flash it
  useEffect(() => {
    if (!selectedRow || selectedRow.path !== path || handledNonce.current === selectedRow.nonce) return;
    // a row picked elsewhere is a row of the dataset: show the dataset in its own order first
    if (queried) {
      setDraft({});
      setQuery(EMPTY_QUERY);
      return;
    }
    handledNonce.current = selectedRow.nonce;
    const g = liveGeometry();
    const row = Math.min(Math.max(0, selectedRow.row), Math.max(0, g.rowCount - 1));
    setSelection((s) => ({ row, col: s?.col ?? 0 }));
    setFlash(row);
    scrollToVirtual(virtualTopToShow(row, scrollState.current.virtualTop, g, 'center'));
  }, [selectedRow, path, scrollToVirtual, liveGeometry, queried]);
  useEffect(() => {
    if (flash === null) return;
    const timer = setTimeout(() => setFlash(null), 1600);
    return () => clearTimeout(timer);
  }, [flash]);

  const moveSelection = (row: number, col: number) => {
    const g = liveGeometry();
    const r = Math.min(Math.max(0, row), Math.max(0, g.rowCount - 1));
    const c = Math.min(Math.max(0, col), Math.max(0, visibleColumns.length - 1));
    setSelection({ row: r, col: c });
    scrollToVirtual(virtualTopToShow(r, scrollState.current.virtualTop, g, 'auto'));
    revealColumn(c);
  };

  const copySelection = (wholeRow: boolean) => {
    if (!selection) return;
    const values = cache.row(selection.row);
    if (!values) return;
    if (wholeRow) {
      const names = visibleColumns.map((c) => c.id);
      const indexes = names.map((name) => columns.findIndex((c) => c.name === name));
      void copyToClipboard(rowsAsTsv(names, [indexes.map((k) => values[k])]), `row ${formatCount(selection.row)}`);
    } else {
      const name = visibleColumns[selection.col]?.id;
      const k = columns.findIndex((c) => c.name === name);
      void copyToClipboard(copyText(values[k]), `${name} of row ${formatCount(selection.row)}`);
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const s = selection ?? { row: geometry.rowCount > 0 ? Math.floor(scroll.virtualTop / ROW_HEIGHT) : 0, col: 0 };
    const page = Math.max(1, Math.floor(geometry.viewportHeight / ROW_HEIGHT) - 1);
    const mod = event.ctrlKey || event.metaKey;
    let handled = true;
    if (mod && event.key.toLowerCase() === 'c') copySelection(event.shiftKey);
    else if (event.key === 'ArrowDown') moveSelection(s.row + 1, s.col);
    else if (event.key === 'ArrowUp') moveSelection(s.row - 1, s.col);
    else if (event.key === 'ArrowRight') moveSelection(s.row, s.col + 1);
    else if (event.key === 'ArrowLeft') moveSelection(s.row, s.col - 1);
    else if (event.key === 'PageDown') moveSelection(s.row + page, s.col);
    else if (event.key === 'PageUp') moveSelection(s.row - page, s.col);
    else if (event.key === 'Home') moveSelection(mod ? 0 : s.row, 0);
    else if (event.key === 'End') moveSelection(mod ? geometry.rowCount - 1 : s.row, mod ? s.col : visibleColumns.length - 1);
    else handled = false;
    if (handled) event.preventDefault();
  };

  const goTo = () => {
    const n = Number(gotoText.replace(/[,_\s]/g, ''));
    if (!Number.isInteger(n) || n < 0) return;
    // sorted or filtered, a row number is a place in the result, not a row of the dataset
    if (queried) moveSelection(n, selection?.col ?? 0);
    else selectRow(path, Math.min(n, Math.max(0, rowCount - 1)));
    scrollRef.current?.focus();
  };

  // Alt+Z from anywhere in the app opens the time-range picker
  useEffect(() => {
    if (timeColumns.length === 0) return;
    const onKey = (event: globalThis.KeyboardEvent) => {
      if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey || event.code !== 'KeyZ') return;
      event.preventDefault();
      setTimeOpen(true);
      window.dispatchEvent(new Event('mes-data:time-range'));
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [timeColumns.length]);

  // Ctrl+G from anywhere in the app focuses go-to-row
  useEffect(() => {
    const onGoto = () => gotoRef.current?.focus();
    window.addEventListener('mes-data:goto-row', onGoto);
    return () => window.removeEventListener('mes-data:goto-row', onGoto);
  }, []);

  const pageError = (() => {
    for (let i = range.firstVisible; i <= range.lastVisible; i += cache.pageSize) {
      const error = cache.error(i);
      if (error) return error;
    }
    return undefined;
  })();
  const loading = range.lastVisible >= range.firstVisible && cache.row(range.firstVisible) === undefined && !pageError;
  const totalWidth = gutterWidth + visibleColumns.reduce((sum, c) => sum + widthOf(c), 0);
  const contentHeight = headerHeight + physicalHeight(geometry);
  const headers = table.getHeaderGroups()[0]?.headers ?? [];

  return (
    <div className="table-view">
      <div className="view-toolbar">
        <span className="muted nowrap" data-testid="row-count">
          {queried ? `${formatCount(rowCount)} of ${countOf(numRows, 'row')}` : countOf(rowCount, 'row')}
        </span>
        <button type="button" aria-pressed={filtersOpen} title="A filter row under the column names: ranges for numbers, text match (Enter applies); times in the time-range picker" onClick={() => setFiltersOpen((open) => !open)}>
          Filter
        </button>
        {/* the picker's way in while nothing else shows one (the filter row's time cell, the picker, the strip of a range applied) */}
        {timeColumns.length > 0 && !filtersOpen && !timeOpen && !appliedTime ? (
          <button type="button" title="Filter by a time range typed in exchange time or UTC (Alt+Z)" onClick={openTime}>
            Time range
          </button>
        ) : null}
        {filtersOpen ? (
          <button type="button" onClick={applyFilters}>
            Apply
          </button>
        ) : null}
        {queried ? (
          <button
            type="button"
            onClick={() => {
              setDraft({});
              setQuery(EMPTY_QUERY);
            }}
          >
            Clear sort and filters
          </button>
        ) : null}
        <button type="button" aria-pressed={sqlOpen} title="Run a read-only SQL query over this dataset" onClick={() => setSqlOpen((open) => !open)}>
          SQL
        </button>
        <form
          className="goto"
          onSubmit={(event) => {
            event.preventDefault();
            goTo();
          }}
        >
          <label htmlFor="goto-row">Go to row</label>
          <input
            id="goto-row"
            ref={gotoRef}
            inputMode="numeric"
            style={{ width: `${Math.max(9, formatCount(Math.max(0, rowCount - 1)).length + 6)}ch` }}
            placeholder={`0 – ${formatCount(Math.max(0, rowCount - 1))}`}
            title="Row number, 0-based (Ctrl+G)"
            value={gotoText}
            onChange={(event) => setGotoText(event.target.value)}
          />
          <button type="submit">Go</button>
        </form>
        <div className="popover-anchor">
          <button type="button" aria-expanded={columnsOpen} aria-haspopup="true" onClick={() => setColumnsOpen((open) => !open)}>
            Columns ({visibleColumns.length}/{columns.length}) ▾
          </button>
          {columnsOpen ? (
            <div className="popover" role="group" aria-label="Show or hide columns" onKeyDown={(event) => event.key === 'Escape' && setColumnsOpen(false)}>
              {table.getAllLeafColumns().map((column) => (
                <label key={column.id} className="check">
                  <input type="checkbox" checked={column.getIsVisible()} onChange={column.getToggleVisibilityHandler()} />
                  <span>{column.id}</span>
                  <span className="muted">{shortTypeName(typeOf.get(column.id)?.type ?? '')}</span>
                </label>
              ))}
              <div className="popover-actions">
                <button type="button" onClick={() => table.getAllLeafColumns().forEach((c) => c.toggleVisibility(true))}>
                  Show all
                </button>
                <button type="button" onClick={() => setColumnsOpen(false)}>
                  Done
                </button>
              </div>
            </div>
          ) : null}
        </div>
        <div className="segmented" role="group" aria-label="Copy">
          <button type="button" disabled={!selection} title="Copy the selected cell (Ctrl+C)" onClick={() => copySelection(false)}>
            Copy cell
          </button>
          <button type="button" disabled={!selection} title="Copy the selected row as tab-separated text (Ctrl+Shift+C)" onClick={() => copySelection(true)}>
            row
          </button>
        </div>
        <span className="spacer" />
        {selection ? (
          <span className="muted ellipsis" data-testid="table-selection">
            row {formatCount(selection.row)}
            {issues.get(selection.row) ? ` · ${issues.get(selection.row)?.rules.map(ruleTitle).join(', ')}` : ''}
          </span>
        ) : null}
        {loading ? <span className="muted nowrap">loading rows…</span> : null}
      </div>
      {timeOpen ? (
        <TimeRangePanel
          key={path}
          columns={timeColumns}
          applied={query.filters}
          zone={zone}
          timeMode={timeMode}
          onApply={applyTime}
          onClose={() => {
            setTimeOpen(false);
            scrollRef.current?.focus();
          }}
        />
      ) : appliedTime ? (
        <TimeRangeStrip column={appliedTime} input={query.filters[appliedTime]} zone={zone} onOpen={openTime} />
      ) : null}
      {sqlOpen ? <SqlPanel path={path} /> : null}
      {pageError ? (
        <div className="inline-error" role="alert">
          {(() => {
            const words = errorWords(pageError);
            return `Rows could not be read: ${words.code}: ${words.message}`;
          })()}
          <button type="button" onClick={() => cache.retry()}>
            Retry
          </button>
        </div>
      ) : null}
      <div
        ref={scrollRef}
        className="grid-scroll"
        role="grid"
        tabIndex={0}
        aria-label={`Rows of ${path}`}
        aria-rowcount={rowCount + 1}
        aria-colcount={visibleColumns.length + 1}
        onScroll={onScroll}
        onKeyDown={onKeyDown}
      >
        <div className="grid-content" style={{ height: contentHeight, width: totalWidth }}>
          <div className="grid-header" role="row" aria-rowindex={1} style={{ width: totalWidth, height: headerHeight }}>
            <div className="gutter-head" role="columnheader" style={{ width: gutterWidth }} title="Row number (0-based)">
              #
            </div>
            {headers.map((header) => {
              const column = typeOf.get(header.column.id);
              const sorted = query.sort.find((s) => s.column === header.column.id);
              const ranged = column ? isNumericType(column.type) || isTimestampType(column.type) : false;
              const input = draft[header.column.id] ?? NO_FILTER;
              const onFilterKey = (event: KeyboardEvent<HTMLInputElement>) => {
                event.stopPropagation();
                if (event.key === 'Enter') applyFilters();
              };
              return (
                <div
                  key={header.id}
                  className={`col-head${column && isNumericType(column.type) ? ' num' : ''}${filtersOpen ? ' with-filter' : ''}`}
                  role="columnheader"
                  aria-sort={sorted ? (sorted.descending ? 'descending' : 'ascending') : 'none'}
                  style={{ width: widthOf(header.column), height: headerHeight }}
                  data-col={header.column.id}
                >
                  <button
                    type="button"
                    className="col-name sort-button"
                    title={`Sort by ${header.column.id} over the whole dataset (ascending, descending, off)`}
                    onClick={() => setQuery((q) => ({ ...q, sort: nextSort(q.sort, header.column.id) }))}
                  >
                    {header.column.id}
                    {sorted ? <span className="sort-mark" aria-hidden="true">{sorted.descending ? ' ▼' : ' ▲'}</span> : null}
                  </button>
                  <span className="col-type" title={`${column?.type ?? ''}${column?.nullable === false ? ', not null' : ', nullable'}`}>
                    {shortTypeName(column?.type ?? '')}
                    {column?.nullable === false ? ' · not null' : ''}
                  </span>
                  {filtersOpen ? (
                    <span className="col-filter" data-filter={header.column.id}>
                      {column && isTimestampType(column.type) ? (
                        <button type="button" className="time-filter-button mono" title="Pick a time range in exchange time or UTC (Alt+Z)" onClick={openTime}>
                          {timeRangeLabel(query.filters[header.column.id])}
                        </button>
                      ) : ranged ? (
                        <>
                          <input aria-label={`${header.column.id} from`} placeholder="min" value={input.min} onChange={(event) => setFilter(header.column.id, 'min', event.target.value)} onKeyDown={onFilterKey} />
                          <input aria-label={`${header.column.id} to`} placeholder="max" value={input.max} onChange={(event) => setFilter(header.column.id, 'max', event.target.value)} onKeyDown={onFilterKey} />
                        </>
                      ) : (
                        <input aria-label={`${header.column.id} contains`} placeholder="contains" value={input.text} onChange={(event) => setFilter(header.column.id, 'text', event.target.value)} onKeyDown={onFilterKey} />
                      )}
                    </span>
                  ) : null}
                  <span
                    className={`resizer${header.column.getIsResizing() ? ' active' : ''}`}
                    onMouseDown={header.getResizeHandler()}
                    onTouchStart={header.getResizeHandler()}
                    onDoubleClick={() => header.column.resetSize()}
                    aria-hidden="true"
                  />
                </div>
              );
            })}
          </div>
          {table.getRowModel().rows.map((row) => {
            const index = row.original.index;
            const found = issues.get(index);
            const rules = found?.rules;
            const selected = selection?.row === index;
            const top = rowContentTop(index, scroll.virtualTop, scroll.top, geometry, headerHeight);
            return (
              <div
                key={row.id}
                role="row"
                aria-rowindex={index + 2}
                aria-selected={selected}
                data-row={index}
                className={`grid-row${index % 2 ? ' odd' : ''}${found ? (found.error ? ' has-issue' : ' has-warning') : ''}${selected ? ' selected' : ''}${flash === index ? ' flash' : ''}`}
                style={{ transform: `translateY(${top}px)`, width: totalWidth, height: ROW_HEIGHT }}
              >
                <div className="gutter" role="rowheader" style={{ width: gutterWidth }} title={rules ? rules.map(ruleTitle).join(', ') : undefined}>
                  {rules ? <span className={found?.error ? 'issue-dot' : 'issue-dot warning'} aria-label={`issues: ${rules.join(', ')}`} /> : null}
                  {index}
                </div>
                {row.original.values === undefined
                  ? row.getVisibleCells().map((cell) => <div key={cell.id} className="cell placeholder" role="gridcell" style={{ width: widthOf(cell.column) }} />)
                  : row.getVisibleCells().map((cell, col) => {
                      const column = typeOf.get(cell.column.id);
                      const value = cell.getValue();
                      const isSelected = selected && selection?.col === col;
                      return (
                        <div
                          key={cell.id}
                          role="gridcell"
                          aria-selected={isSelected}
                          data-col={cell.column.id}
                          className={`cell${column && isNumericType(column.type) ? ' num' : ''}${value === null ? ' null' : ''}${isSelected ? ' selected' : ''}`}
                          style={{ width: widthOf(cell.column) }}
                          // the exact value, as copied: the cell may show it rounded to its column's precision
                          title={value === null || value === undefined ? undefined : copyText(value)}
                          onMouseDown={() => setSelection({ row: index, col })}
                        >
                          <table.FlexRender cell={cell} />
                        </div>
                      );
                    })}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
