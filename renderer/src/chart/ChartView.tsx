import {
  CandlestickSeries,
  ColorType,
  CrosshairMode,
  HistogramSeries,
  LineSeries,
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
import { type TimeMode } from '../table/cellFormat';
import { decimalsOf } from '../table/numberFormat';
import { useInstrument } from '../table/useInstrument';
import { countOf, formatCount } from '../tree/treeModel';
import { assetOfPath } from '../table/instrumentTick';
import { attachFeatures, barAtTime, barTimesForRows, bucketLabel, drawnBars, sessionBreaks, spliceDetail, type DrawnBar, type SeriesBar, type SessionSpan } from './chartBars';
import { IndicatorPicker, useFeatureDatasets } from './IndicatorPicker';
import { ChartLegend } from './ChartLegend';
import { featureIndex, featureRequest, type ActiveIndicator } from './indicators';

type Series = ApiResponse<'chart.series'>;

const MAX_BARS = 2000;
/** Bars the view aims to show; when the buckets on screen are this many times coarser than that, a finer window is fetched. */
const VIEW_BARS = 1000;
const DETAIL_FACTOR = 1.5;
const MAX_MARKERS = 1000;
/** Of the chart's height: prices above, volume in its own pane below. */
const PRICE_PANE_SHARE = 0.78;
/** With indicator panes: the prices' and the volume's shares; the panes share the rest. */
const PRICE_SHARE_WITH_PANES = 0.5;
const VOLUME_SHARE_WITH_PANES = 0.14;
/** Colours of the indicator lines, in the order the lines are added (readable on both themes). */
const LINE_COLORS = ['#2f7fd8', '#e8871e', '#9b59b6', '#17a589', '#c0392b', '#7f8c8d'];
/** Bars of room left and right of the data when the whole range is shown, so the first and last time labels are not cut at the edges. */
const EDGE_BARS = 0.035;
/** Session breaks are drawn in intraday views up to this span (wider, they would crowd the plot). */
const MAX_BREAK_SPAN_MS = 31 * 86_400_000;
/** The most the host gives sessions for in one request (`instruments.sessions`). */
const MAX_SESSION_WINDOW_MS = 400 * 86_400_000;

/** Where session breaks stand: not drawn (daily bars, a wide view, no instrument), sessions being fetched, drawn. */
type BreakState = 'off' | 'loading' | 'drawn';

/** The sessions of a window, for one asset. */
interface SessionWindow {
  asset: string;
  fromMs: number;
  toMs: number;
  sessions: SessionSpan[];
  timeZone: string;
}

/** A separator drawn between two bars: its x in the plot (CSS pixels) and what it separates. */
interface BreakLine {
  x: number;
  kind: 'daily' | 'closed';
  /** the time of the first bar after the break, seconds */
  time: number;
}

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
      // the lines between the panes (prices, volume, indicators): the theme's border, not the library's white
      panes: { separatorColor: cssVar('--border', '#ccc'), separatorHoverColor: cssVar('--grid', '#eee') },
    },
    grid: { vertLines: { color: cssVar('--grid', '#eee') }, horzLines: { color: cssVar('--grid', '#eee') } },
    rightPriceScale: { borderColor: cssVar('--border', '#ccc') },
    timeScale: { borderColor: cssVar('--border', '#ccc') },
  };
}

const zoneParts = new Map<string, Intl.DateTimeFormat>();
/** A bar's time on the wall clock of UTC or of the instrument's exchange (exchangeZone). */
function wallClock(seconds: number, mode: TimeMode, exchangeZone: string): { date: string; time: string; zone: string } {
  const zone = mode === 'utc' ? 'UTC' : exchangeZone;
  let f = zoneParts.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });
    zoneParts.set(zone, f);
  }
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(seconds * 1000)) p[part.type] = part.value;
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}`, zone: p.timeZoneName ?? zone };
}

function timeOptions(mode: TimeMode, exchangeZone: string) {
  return {
    localization: {
      timeFormatter: (time: Time) => {
        const w = wallClock(time as number, mode, exchangeZone);
        return `${w.date} ${w.time} ${w.zone}`;
      },
    },
    timeScale: {
      timeVisible: true,
      secondsVisible: false,
      tickMarkFormatter: (time: Time, type: number) => {
        const w = wallClock(time as number, mode, exchangeZone);
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
  /** Width of the left price axis (an overlay's), in pixels: the plot starts there. */
  const [leftAxis, setLeftAxis] = useState(0);
  // session breaks: the instrument's sessions around the view, and the separators on screen
  const asset = assetOfPath(path);
  const [sessionWindow, setSessionWindow] = useState<SessionWindow | null>(null);
  const [breakState, setBreakState] = useState<BreakState>('off');
  const [breakLines, setBreakLines] = useState<BreakLine[]>([]);
  const [plotInset, setPlotInset] = useState({ right: 0, bottom: 0 });
  const sessionFetch = useRef<{ asset: string; fromMs: number; toMs: number } | null>(null);
  // indicators from the asset's feature sets: picked, asked for with the bars, drawn in panes or over the candles
  const featureDatasets = useFeatureDatasets(asset, version);
  const [active, setActive] = useState<ActiveIndicator[]>([]);
  const request = useMemo(() => featureRequest(active), [active]);
  const requestKey = JSON.stringify(request);
  const requestRef = useRef(request);
  requestRef.current = request;
  /** The overview's bars with their features attached, and the request they answer. */
  const overviewBars = useRef<{ key: string; bars: SeriesBar[] }>({ key: '', bars: [] });
  /** The request (requestKey) whose features the bars carry: until the answer to a new one arrives, its indicators draw nothing. */
  const [barsFor, setBarsFor] = useState('[]');
  /** The data version the bars on screen were read at. */
  const loadedVersion = useRef<number | null>(null);
  const indicatorSeries = useRef<{ key: string; series: ISeriesApi<'Line' | 'Histogram'>[] }[]>([]);
  const drawnKey = useRef('');
  /** The time (seconds) under the crosshair, null when it is off the plot. */
  const [hoverTime, setHoverTime] = useState<number | null>(null);

  // the chart itself, made once per mount
  useEffect(() => {
    const container = containerRef.current;
    if (!container) return;
    const chart = createChart(container, {
      autoSize: true,
      crosshair: { mode: CrosshairMode.Normal },
      ...themeOptions(),
      ...timeOptions('utc', 'UTC'),
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
    // a frame asked for before the chart was removed must not touch it
    let removed = false;
    const measurePanes = () => {
      if (removed) return;
      setPaneHeights(chart.panes().map((pane) => pane.getHeight()).join(','));
      setLeftAxis(chart.priceScale('left').width());
    };
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
    const onCrosshair = (param: { time?: Time }) => setHoverTime(param.time === undefined ? null : (param.time as number));
    chart.subscribeCrosshairMove(onCrosshair);

    const media = window.matchMedia('(prefers-color-scheme: dark)');
    const onTheme = () => chart.applyOptions(themeOptions());
    media.addEventListener('change', onTheme);
    return () => {
      removed = true;
      sizes.disconnect();
      media.removeEventListener('change', onTheme);
      chart.unsubscribeClick(onClick);
      chart.unsubscribeCrosshairMove(onCrosshair);
      indicatorSeries.current = [];
      drawnKey.current = '';
      chart.remove();
      chartRef.current = null;
      candlesRef.current = null;
      volumeRef.current = null;
      markersRef.current = null;
    };
  }, [path]);

  // the price axis and crosshair at the instrument's tick (0.25: two decimals, moves of a quarter point),
  // times in its exchange's zone
  const { tick, zone: exchangeZone } = useInstrument(path);
  useEffect(() => {
    chartRef.current?.applyOptions(timeOptions(timeMode, exchangeZone));
  }, [timeMode, exchangeZone]);

  useEffect(() => {
    candlesRef.current?.applyOptions({ priceFormat: { type: 'price', minMove: tick, precision: Math.min(10, decimalsOf(tick)) } });
  }, [tick, path]);

  // the whole range, downsampled by the host, with the indicators' columns; a change of the
  // indicators keeps the view where it is (the finer window follows with them)
  useEffect(() => {
    let live = true;
    setLoading(true);
    setError(null);
    setDetail(null);
    const asked = requestRef.current;
    const chart = chartRef.current;
    // the same data with other indicators: the view stays; new data (a refresh) is shown whole
    const visible = chart && drawnRef.current.length > 0 && loadedVersion.current === version ? chart.timeScale().getVisibleRange() : null;
    // a finer window on its way has the old indicators: dropped (the new overview brings its own)
    fetchSeq.current++;
    setDetailState('idle');
    invoke('chart.series', { path, maxBars: MAX_BARS, features: asked }).then(
      (series) => {
        if (!live) return;
        const attached = attachFeatures(series.bars, series.features, asked);
        overviewBars.current = { key: JSON.stringify(asked), bars: attached };
        setOverview(series);
        setBars(attached);
        setBarsFor(overviewBars.current.key);
        setLoading(false);
        loadedVersion.current = version;
        restoreRange.current = visible ? { from: visible.from as number, to: visible.to as number } : null;
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
  }, [path, version, requestKey]);

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

  // the indicators' series: made again when the indicators change (a pane each, or over the
  // candles on a scale of their own), their data from the drawn bars' values
  useEffect(() => {
    const chart = chartRef.current;
    if (!chart) return;
    const key = JSON.stringify(active.map((a) => [a.key, a.place]));
    if (drawnKey.current !== key) {
      drawnKey.current = key;
      for (const old of indicatorSeries.current) for (const series of old.series) chart.removeSeries(series);
      indicatorSeries.current = [];
      let color = 0;
      let pane = 2;
      let overlays = 0;
      for (const indicator of active) {
        const paneIndex = indicator.place === 'pane' ? pane++ : 0;
        // the first overlay's scale is the left axis; further overlays get scales of their own, unlabelled
        const priceScaleId = indicator.place === 'pane' ? 'right' : overlays++ === 0 ? 'left' : `overlay ${indicator.key}`;
        const series = indicator.lines.map((line) => {
          const common = { priceScaleId, lastValueVisible: false, priceLineVisible: false, title: '', priceFormat: { type: 'price' as const, precision: 2, minMove: 0.01 } };
          return line.style === 'histogram'
            ? chart.addSeries(HistogramSeries, { ...common, color: cssVar('--volume', 'rgba(110,110,140,0.45)') }, paneIndex)
            : chart.addSeries(LineSeries, { ...common, color: LINE_COLORS[color++ % LINE_COLORS.length], lineWidth: 2, crosshairMarkerVisible: true }, paneIndex);
        });
        if (indicator.place === 'overlay') series[0].priceScale().applyOptions({ visible: priceScaleId === 'left', scaleMargins: { top: 0.55, bottom: 0.05 } });
        indicatorSeries.current.push({ key: indicator.key, series });
      }
      chart.applyOptions({ leftPriceScale: { visible: overlays > 0, borderColor: cssVar('--border', '#ccc') } });
      const panes = chart.panes();
      const own = pane - 2;
      panes[0]?.setStretchFactor(own > 0 ? PRICE_SHARE_WITH_PANES : PRICE_PANE_SHARE);
      panes[1]?.setStretchFactor(own > 0 ? VOLUME_SHARE_WITH_PANES : 1 - PRICE_PANE_SHARE);
      for (let k = 2; k < panes.length; k++) panes[k].setStretchFactor((1 - PRICE_SHARE_WITH_PANES - VOLUME_SHARE_WITH_PANES) / own);
    }
    const up = cssVar('--volume-up', 'rgba(38,162,105,0.4)');
    const down = cssVar('--volume-down', 'rgba(192,28,40,0.4)');
    const current = barsFor === JSON.stringify(request);
    for (const [k, indicator] of active.entries()) {
      const made = indicatorSeries.current[k];
      if (!made) continue;
      for (const [j, line] of indicator.lines.entries()) {
        const at = featureIndex(request, line);
        const points = (current ? drawn : []).map((b) => {
          const value = b.values[at] ?? null;
          if (value === null) return { time: b.time as UTCTimestamp };
          return line.style === 'histogram' ? { time: b.time as UTCTimestamp, value, color: value >= 0 ? up : down } : { time: b.time as UTCTimestamp, value };
        });
        made.series[j].setData(points);
      }
    }
    // the panes and the left axis (an overlay's) as laid out with the new series and data
    const measured = requestAnimationFrame(() => {
      setPaneHeights(chart.panes().map((p) => p.getHeight()).join(','));
      setLeftAxis(chart.priceScale('left').width());
    });
    return () => cancelAnimationFrame(measured);
  }, [active, drawn, request, barsFor]);

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
        // the indicators changed and their overview is on its way: the zoom is fetched once it is here
        if (overviewBars.current.key !== JSON.stringify(requestRef.current)) {
          setDetailState('idle');
          return;
        }
        const seq = ++fetchSeq.current;
        const windowFrom = fromMs - span / 2;
        const windowTo = toMs + span / 2;
        setDetailState('loading');
        const asked = requestRef.current;
        invoke('chart.series', { path, fromMs: windowFrom, toMs: windowTo, maxBars: MAX_BARS, features: asked }).then(
          (series) => {
            // a newer fetch has started: it will settle the state
            if (seq !== fetchSeq.current) return;
            setDetailState('idle');
            if (series.bars.length === 0) return;
            restoreRange.current = { from: range.from as number, to: range.to as number };
            setDetail({ fromMs: windowFrom, toMs: windowTo, bucketSeconds: series.bucketSeconds, downsampled: series.downsampled });
            setBars(spliceDetail(overviewBars.current.bars, attachFeatures(series.bars, series.features, asked), windowFrom, windowTo));
            setBarsFor(JSON.stringify(asked));
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

  // session breaks in intraday views: separators at the instrument's session boundaries
  // (CME: the daily 16:00–17:00 CT maintenance break, weekends, holidays)
  const bucketSecondsNow = (detail ?? overview)?.bucketSeconds ?? 0;
  const breaks = useMemo(() => (sessionWindow && sessionWindow.asset === asset ? sessionBreaks(drawn, sessionWindow.sessions) : []), [drawn, sessionWindow, asset]);
  const breakInputs = useRef({ asset, breaks, bucketSecondsNow, sessionWindow });
  breakInputs.current = { asset, breaks, bucketSecondsNow, sessionWindow };
  useEffect(() => {
    const chart = chartRef.current;
    if (!chart) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const layout = () => {
      const { asset: symbol, breaks: found, bucketSecondsNow: bucketSeconds, sessionWindow: loaded } = breakInputs.current;
      const range = chart.timeScale().getVisibleRange();
      const logical = chart.timeScale().getVisibleLogicalRange();
      const bars = drawnRef.current;
      if (!symbol || !range || !logical || bars.length < 2 || bucketSeconds <= 0 || bucketSeconds >= 86_400) {
        setBreakState('off');
        setBreakLines([]);
        return;
      }
      const fromMs = (range.from as number) * 1000;
      const toMs = (range.to as number) * 1000;
      if (toMs - fromMs > MAX_BREAK_SPAN_MS) {
        setBreakState('off');
        setBreakLines([]);
        return;
      }
      const covered = loaded && loaded.asset === symbol && loaded.fromMs <= fromMs && loaded.toMs >= toMs;
      if (!covered) {
        const asked = sessionFetch.current;
        if (asked && asked.asset === symbol && asked.fromMs <= fromMs && asked.toMs >= toMs) return;
        // a day of margin on each side, so a break just outside the view is known when it pans in
        const span = Math.min(MAX_SESSION_WINDOW_MS - 2 * 86_400_000, Math.max(toMs - fromMs, 86_400_000) * 3);
        const wantFrom = Math.floor(fromMs - (span - (toMs - fromMs)) / 2 - 86_400_000);
        const wantTo = Math.ceil(wantFrom + span + 2 * 86_400_000);
        sessionFetch.current = { asset: symbol, fromMs: wantFrom, toMs: wantTo };
        setBreakState('loading');
        invoke('instruments.sessions', { symbol, fromMs: wantFrom, toMs: wantTo }).then(
          (answer) => {
            if (!live || sessionFetch.current?.asset !== symbol || sessionFetch.current.fromMs !== wantFrom) return;
            setSessionWindow({ asset: symbol, fromMs: wantFrom, toMs: wantTo, sessions: answer.sessions, timeZone: answer.timeZone });
          },
          () => {
            // no sessions (an older host, an unknown symbol it refuses): the chart stays as it is
            if (live) setBreakState('off');
          },
        );
        return;
      }
      const width = chart.timeScale().width();
      // not laid out yet: the size change will come
      if (width <= 0) return;
      const lines: BreakLine[] = [];
      for (const b of found) {
        if (b.index <= logical.from || b.index - 1 >= logical.to) continue;
        // midway between the last bar before the break and the first after it
        const before = chart.timeScale().timeToCoordinate(bars[b.index - 1].time as UTCTimestamp);
        const after = chart.timeScale().timeToCoordinate(bars[b.index].time as UTCTimestamp);
        if (before === null || after === null) continue;
        const x = (before + after) / 2;
        if (x < 0 || x > width) continue;
        lines.push({ x: Math.round(x) + 0.5, kind: b.kind, time: bars[b.index].time });
      }
      setBreakLines(lines);
      setBreakState('drawn');
      setPlotInset({ right: chart.priceScale('right').width(), bottom: chart.timeScale().height() });
    };
    const onRange = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(layout, 60);
    };
    onRange();
    // coordinates change with the view and with the plot's size
    chart.timeScale().subscribeVisibleLogicalRangeChange(onRange);
    chart.timeScale().subscribeSizeChange(onRange);
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
      chart.timeScale().unsubscribeVisibleLogicalRangeChange(onRange);
      chart.timeScale().unsubscribeSizeChange(onRange);
    };
  }, [path, drawn, breaks, bucketSecondsNow, sessionWindow]);

  const resetZoom = () => {
    if (!overview) return;
    fetchSeq.current++;
    restoreRange.current = null;
    setDetailState('idle');
    setDetail(null);
    setBars(overviewBars.current.bars);
    setBarsFor(overviewBars.current.key);
    if (chartRef.current) fitAll(chartRef.current, drawnBars(overviewBars.current.bars).length);
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
            bar at {wallClock(clicked.time, timeMode, exchangeZone).date} {wallClock(clicked.time, timeMode, exchangeZone).time} → row {formatCount(clicked.row)}{' '}
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
      <div className="view-toolbar chart-indicators">
        <span className="muted">Indicators</span>
        <IndicatorPicker features={featureDatasets} active={active} onChange={setActive} />
      </div>
      {error ? (
        <div className="pane-message">
          <ErrorPanel error={error} context="The chart could not be drawn" />
        </div>
      ) : null}
      <div className="chart-area" style={{ flex: 1, minHeight: 0, position: 'relative', display: 'flex', flexDirection: 'column' }}>
        <div className="chart-box" ref={containerRef} data-testid="chart" data-pane-heights={paneHeights} data-left-axis={leftAxis} style={{ visibility: error ? 'hidden' : 'visible', isolation: 'isolate' }} />
        {error ? null : (
          <ChartLegend
            bars={drawn}
            hoverTime={hoverTime}
            active={active}
            request={request}
            current={barsFor === requestKey}
            priceDecimals={Math.min(10, decimalsOf(tick))}
            timeLabel={(seconds) => {
              const w = wallClock(seconds, timeMode, exchangeZone);
              return `${w.date} ${w.time} ${w.zone}`;
            }}
          />
        )}
        <div
          className="session-breaks"
          data-testid="session-breaks"
          data-state={breakState}
          data-count={breakState === 'drawn' ? breakLines.length : 0}
          data-zone={sessionWindow?.asset === asset ? sessionWindow.timeZone : ''}
          aria-hidden="true"
          // above the chart's canvases (the chart box is its own stacking context)
          style={{ position: 'absolute', left: 0, top: 0, right: plotInset.right, bottom: plotInset.bottom, zIndex: 1, pointerEvents: 'none', overflow: 'hidden', visibility: error ? 'hidden' : 'visible' }}
        >
          {breakState === 'drawn'
            ? breakLines.map((line) => (
                <div
                  key={line.time}
                  className={`session-break ${line.kind}`}
                  data-time={line.time}
                  data-x={line.x}
                  title={line.kind === 'daily' ? 'session break' : 'market closed'}
                  style={{
                    position: 'absolute',
                    top: 0,
                    bottom: 0,
                    left: line.x,
                    width: 0,
                    borderLeft: `1px ${line.kind === 'daily' ? 'dashed' : 'solid'} ${cssVar('--session-break', 'rgba(120,120,140,0.55)')}`,
                  }}
                />
              ))
            : null}
        </div>
      </div>
    </div>
  );
}
