import {
  CandlestickSeries,
  ColorType,
  CrosshairMode,
  HistogramSeries,
  createChart,
  createSeriesMarkers,
  type IChartApi,
  type ISeriesApi,
  type ISeriesMarkersPluginApi,
  type SeriesMarker,
  type Time,
  type UTCTimestamp,
} from 'lightweight-charts';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { ApiResponse } from '../../../core/api/contract.js';
import { invoke } from '../api/transport';
import { selectRow, setTab } from '../state/actions';
import { useAppState } from '../state/appState';
import { ErrorPanel } from '../shell/ErrorPanel';
import { EXCHANGE_ZONE, type TimeMode } from '../table/cellFormat';
import { decimalsOf } from '../table/numberFormat';
import { useInstrumentTick } from '../table/useInstrumentTick';
import { countOf, formatCount } from '../tree/treeModel';
import { barAtTime, barTimesForRows, bucketLabel, drawnBars, spliceDetail, type DrawnBar, type SeriesBar } from './chartBars';

type Series = ApiResponse<'chart.series'>;

const MAX_BARS = 2000;
/** Bars the view aims to show; when the buckets on screen are this many times coarser than that, a finer window is fetched. */
const VIEW_BARS = 1000;
const DETAIL_FACTOR = 1.5;
const MAX_MARKERS = 1000;
/** Of the chart's height: prices above, volume in its own pane below. */
const PRICE_PANE_SHARE = 0.78;
/** Bars of room left and right of the data when the whole range is shown, so the first and last time labels are not cut at the edges. */
const EDGE_BARS = 0.035;

/** The whole series in view, with room at both edges. */
function fitAll(chart: IChartApi, bars: number): void {
  if (bars <= 0) return;
  const pad = Math.max(2, Math.round(bars * EDGE_BARS));
  chart.timeScale().setVisibleLogicalRange({ from: -pad, to: bars - 1 + pad });
}

/** Where the finer window of a zoomed-in view stands: nothing to do, waiting for the zoom to settle, fetching. */
type DetailState = 'idle' | 'waiting' | 'loading';

function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

function themeOptions() {
  return {
    layout: {
      background: { type: ColorType.Solid, color: cssVar('--bg', '#ffffff') },
      textColor: cssVar('--text-muted', '#555'),
      fontFamily: cssVar('--font-ui', 'system-ui, sans-serif'),
      attributionLogo: false,
    },
    grid: { vertLines: { color: cssVar('--grid', '#eee') }, horzLines: { color: cssVar('--grid', '#eee') } },
    rightPriceScale: { borderColor: cssVar('--border', '#ccc') },
    timeScale: { borderColor: cssVar('--border', '#ccc') },
  };
}

const zoneParts = new Map<string, Intl.DateTimeFormat>();
function wallClock(seconds: number, mode: TimeMode): { date: string; time: string; zone: string } {
  const zone = mode === 'utc' ? 'UTC' : EXCHANGE_ZONE;
  let f = zoneParts.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });
    zoneParts.set(zone, f);
  }
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(seconds * 1000)) p[part.type] = part.value;
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}`, zone: p.timeZoneName ?? zone };
}

function timeOptions(mode: TimeMode) {
  return {
    localization: {
      timeFormatter: (time: Time) => {
        const w = wallClock(time as number, mode);
        return `${w.date} ${w.time} ${w.zone}`;
      },
    },
    timeScale: {
      timeVisible: true,
      secondsVisible: false,
      tickMarkFormatter: (time: Time, type: number) => {
        const w = wallClock(time as number, mode);
        // 0 year, 1 month, 2 day: dates; 3, 4: times of day
        if (type === 0) return w.date.slice(0, 4);
        if (type === 1) return w.date.slice(0, 7);
        if (type === 2) return w.date.slice(5);
        return w.time;
      },
    },
  };
}

/**
 * The Chart tab: candlesticks and volume from `chart.series`, downsampled by the host for
 * long ranges; zooming into a downsampled range fetches that window in finer buckets.
 * Clicking a bar selects its first row; offending rows of a validation are marked.
 */
export function ChartView({ path, offendingRows }: { path: string; offendingRows: readonly number[] }) {
  const version = useAppState((s) => s.dataVersion);
  const timeMode = useAppState((s) => s.timeMode);
  const selectedRow = useAppState((s) => s.selectedRow);
  const containerRef = useRef<HTMLDivElement>(null);
  const chartRef = useRef<IChartApi | null>(null);
  const candlesRef = useRef<ISeriesApi<'Candlestick'> | null>(null);
  const volumeRef = useRef<ISeriesApi<'Histogram'> | null>(null);
  const markersRef = useRef<ISeriesMarkersPluginApi<Time> | null>(null);
  const [overview, setOverview] = useState<Series | null>(null);
  const [bars, setBars] = useState<SeriesBar[]>([]);
  const [detail, setDetail] = useState<{ fromMs: number; toMs: number; bucketSeconds: number; downsampled: boolean } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [clicked, setClicked] = useState<DrawnBar | null>(null);
  const drawn = useMemo(() => drawnBars(bars), [bars]);
  const drawnRef = useRef(drawn);
  drawnRef.current = drawn;
  const stateRef = useRef({ overview, detail, bars });
  stateRef.current = { overview, detail, bars };
  const restoreRange = useRef<{ from: number; to: number } | null>(null);
  const fetchSeq = useRef(0);
  const [detailState, setDetailState] = useState<DetailState>('idle');
  /** Heights of the chart's panes in pixels (prices, volume), for the page to read. */
  const [paneHeights, setPaneHeights] = useState('');

  // the chart itself, made once per mount
  useEffect(() => {
    const container = containerRef.current;
    if (!container) return;
    const chart = createChart(container, {
      autoSize: true,
      crosshair: { mode: CrosshairMode.Normal },
      ...themeOptions(),
      ...timeOptions('utc'),
    });
    const candles = chart.addSeries(CandlestickSeries, {
      upColor: cssVar('--up', '#26a269'),
      downColor: cssVar('--down', '#c01c28'),
      wickUpColor: cssVar('--up', '#26a269'),
      wickDownColor: cssVar('--down', '#c01c28'),
      borderVisible: false,
    });
    candles.priceScale().applyOptions({ scaleMargins: { top: 0.06, bottom: 0.06 } });
    // volume in a pane of its own, with its own scale: its labels never sit over the candles,
    // and its axis starts at 0 (on the price scale it ran below zero)
    const volume = chart.addSeries(HistogramSeries, { priceFormat: { type: 'volume' }, color: cssVar('--volume', 'rgba(110,110,140,0.45)'), priceLineVisible: false, lastValueVisible: false }, 1);
    volume.priceScale().applyOptions({ scaleMargins: { top: 0.12, bottom: 0 } });
    const panes = chart.panes();
    panes[0]?.setStretchFactor(PRICE_PANE_SHARE);
    panes[1]?.setStretchFactor(1 - PRICE_PANE_SHARE);
    const measurePanes = () => setPaneHeights(chart.panes().map((pane) => pane.getHeight()).join(','));
    const sizes = new ResizeObserver(() => requestAnimationFrame(measurePanes));
    sizes.observe(container);
    chartRef.current = chart;
    candlesRef.current = candles;
    volumeRef.current = volume;
    markersRef.current = createSeriesMarkers(candles, []);

    const onClick = (param: { time?: Time }) => {
      if (param.time === undefined) return;
      const bar = barAtTime(drawnRef.current, param.time as number);
      if (!bar) return;
      setClicked(bar);
      selectRow(path, bar.row);
    };
    chart.subscribeClick(onClick);

    const media = window.matchMedia('(prefers-color-scheme: dark)');
    const onTheme = () => chart.applyOptions(themeOptions());
    media.addEventListener('change', onTheme);
    return () => {
      sizes.disconnect();
      media.removeEventListener('change', onTheme);
      chart.unsubscribeClick(onClick);
      chart.remove();
      chartRef.current = null;
      candlesRef.current = null;
      volumeRef.current = null;
      markersRef.current = null;
    };
  }, [path]);

  useEffect(() => {
    chartRef.current?.applyOptions(timeOptions(timeMode));
  }, [timeMode]);

  // the price axis and crosshair at the instrument's tick (0.25: two decimals, moves of a quarter point)
  const tick = useInstrumentTick(path);
  useEffect(() => {
    candlesRef.current?.applyOptions({ priceFormat: { type: 'price', minMove: tick, precision: Math.min(10, decimalsOf(tick)) } });
  }, [tick, path]);

  // the whole range, downsampled by the host
  useEffect(() => {
    let live = true;
    setLoading(true);
    setError(null);
    setDetail(null);
    invoke('chart.series', { path, maxBars: MAX_BARS }).then(
      (series) => {
        if (!live) return;
        setOverview(series);
        setBars(series.bars);
        setLoading(false);
        restoreRange.current = null;
      },
      (reason: unknown) => {
        if (!live) return;
        setError(reason);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [path, version]);

  // data into the series, keeping the visible time range when a detail window is spliced in
  useEffect(() => {
    const candles = candlesRef.current;
    const volume = volumeRef.current;
    const chart = chartRef.current;
    if (!candles || !volume || !chart) return;
    candles.setData(drawn.map((b) => ({ time: b.time as UTCTimestamp, open: b.open, high: b.high, low: b.low, close: b.close })));
    const up = cssVar('--volume-up', 'rgba(38,162,105,0.4)');
    const down = cssVar('--volume-down', 'rgba(192,28,40,0.4)');
    volume.setData(drawn.map((b) => ({ time: b.time as UTCTimestamp, value: b.volume, color: b.close >= b.open ? up : down })));
    const keep = restoreRange.current;
    if (keep) chart.timeScale().setVisibleRange({ from: keep.from as UTCTimestamp, to: keep.to as UTCTimestamp });
    else fitAll(chart, drawn.length);
  }, [drawn]);

  // zoomed into a downsampled range: fetch the window in finer buckets
  useEffect(() => {
    const chart = chartRef.current;
    if (!chart) return;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const onRange = () => {
      if (timer) clearTimeout(timer);
      if (!stateRef.current.overview?.downsampled) return;
      setDetailState((s) => (s === 'loading' ? s : 'waiting'));
      timer = setTimeout(() => {
        const { overview: ov, detail: dt } = stateRef.current;
        const range = chart.timeScale().getVisibleRange();
        if (!ov || !ov.downsampled || !range) {
          setDetailState('idle');
          return;
        }
        const fromMs = (range.from as number) * 1000;
        const toMs = (range.to as number) * 1000;
        const span = Math.max(1000, toMs - fromMs);
        const haveBucket = dt && dt.fromMs <= fromMs && dt.toMs >= toMs ? dt.bucketSeconds : ov.bucketSeconds;
        const haveDownsampled = dt && dt.fromMs <= fromMs && dt.toMs >= toMs ? dt.downsampled : true;
        const wantBucket = span / 1000 / VIEW_BARS;
        if (!haveDownsampled || haveBucket <= wantBucket * DETAIL_FACTOR) {
          // a fetch still under way for an earlier range keeps the state 'loading'
          setDetailState((s) => (s === 'loading' ? s : 'idle'));
          return;
        }
        const seq = ++fetchSeq.current;
        const windowFrom = fromMs - span / 2;
        const windowTo = toMs + span / 2;
        setDetailState('loading');
        invoke('chart.series', { path, fromMs: windowFrom, toMs: windowTo, maxBars: MAX_BARS }).then(
          (series) => {
            // a newer fetch has started: it will settle the state
            if (seq !== fetchSeq.current) return;
            setDetailState('idle');
            if (series.bars.length === 0) return;
            restoreRange.current = { from: range.from as number, to: range.to as number };
            setDetail({ fromMs: windowFrom, toMs: windowTo, bucketSeconds: series.bucketSeconds, downsampled: series.downsampled });
            setBars(spliceDetail(ov.bars, series.bars, windowFrom, windowTo));
          },
          () => {
            if (seq === fetchSeq.current) setDetailState('idle');
          },
        );
      }, 250);
    };
    chart.timeScale().subscribeVisibleTimeRangeChange(onRange);
    return () => {
      if (timer) clearTimeout(timer);
      chart.timeScale().unsubscribeVisibleTimeRangeChange(onRange);
    };
  }, [path]);

  // offending rows and the selected row as markers
  const marked = useMemo(() => barTimesForRows(bars, offendingRows).slice(0, MAX_MARKERS), [bars, offendingRows]);
  const selectedTime = useMemo(() => {
    if (!selectedRow || selectedRow.path !== path) return null;
    return barTimesForRows(bars, [selectedRow.row])[0] ?? null;
  }, [bars, selectedRow, path]);
  useEffect(() => {
    const markers: SeriesMarker<Time>[] = marked.map((time) => ({ time: time as UTCTimestamp, position: 'aboveBar', shape: 'arrowDown', color: cssVar('--danger', '#c01c28') }));
    if (selectedTime !== null) markers.push({ time: selectedTime as UTCTimestamp, position: 'belowBar', shape: 'arrowUp', color: cssVar('--accent', '#1c71d8'), text: `row ${selectedRow?.row ?? ''}` });
    markers.sort((a, b) => (a.time as number) - (b.time as number));
    markersRef.current?.setMarkers(markers);
  }, [marked, selectedTime, selectedRow, drawn]);

  const resetZoom = () => {
    if (!overview) return;
    fetchSeq.current++;
    restoreRange.current = null;
    setDetailState('idle');
    setDetail(null);
    setBars(overview.bars);
    if (chartRef.current) fitAll(chartRef.current, drawnBars(overview.bars).length);
  };

  const bucket = detail ?? (overview ? { bucketSeconds: overview.bucketSeconds, downsampled: overview.downsampled } : null);
  return (
    <div className="chart-view">
      <div className="view-toolbar">
        <span
          className="muted ellipsis"
          data-testid="chart-summary"
          data-bars={drawn.length}
          data-markers={marked.length}
          data-bucket-seconds={bucket?.bucketSeconds ?? 0}
          data-detail={detailState}
        >
          {overview
            ? `${countOf(drawn.length, 'bar')}${bucket?.downsampled ? ` of ${bucketLabel(bucket.bucketSeconds)} (downsampled from ${countOf(overview.totalRows, 'row')})` : ` · ${countOf(overview.totalRows, 'row')}`}`
            : loading
              ? 'loading bars…'
              : ''}
        </span>
        {marked.length > 0 ? (
          <span className="badge bad" data-testid="chart-markers">
            {formatCount(marked.length)} {marked.length === 1 ? 'bar' : 'bars'} with issues
          </span>
        ) : null}
        <span className="spacer" />
        {clicked ? (
          <span className="muted ellipsis" data-testid="chart-clicked" data-row={clicked.row}>
            bar at {wallClock(clicked.time, timeMode).date} {wallClock(clicked.time, timeMode).time} → row {formatCount(clicked.row)}{' '}
            <button type="button" className="link" onClick={() => setTab('table')}>
              show in table
            </button>
          </span>
        ) : (
          <span className="muted ellipsis" title="Scroll to zoom, drag to pan, click a bar to select its row in the table">
            Click a bar to select its row
          </span>
        )}
        <button type="button" onClick={resetZoom} disabled={!overview}>
          Reset zoom
        </button>
      </div>
      {error ? (
        <div className="pane-message">
          <ErrorPanel error={error} context="The chart could not be drawn" />
        </div>
      ) : null}
      <div className="chart-box" ref={containerRef} data-testid="chart" data-pane-heights={paneHeights} style={{ visibility: error ? 'hidden' : 'visible' }} />
    </div>
  );
}
