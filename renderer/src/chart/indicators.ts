/**
 * The indicators a chart can draw from an asset's feature sets: what the picker offers (each
 * numeric column, and MACD as its line, signal and histogram together), where each goes (its
 * own pane under the volume, or an overlay on the candles' pane with a scale of its own), and
 * the feature columns `chart.series` is asked for.
 */

import type { CatalogNodeDto } from '../../../core/api/contract.js';

/** One series of an indicator: a feature column, drawn as a line or a histogram. */
interface IndicatorLine {
  path: string;
  column: string;
  style: 'line' | 'histogram';
}

/** What the picker offers: a name and its lines (one for a column, three for MACD). */
interface IndicatorChoice {
  /** unique among the choices: the dataset path and the column (or `macd`) */
  key: string;
  label: string;
  /** the feature set it comes from, for grouping the picker */
  set: string;
  lines: IndicatorLine[];
}

/** An indicator on the chart: a choice and where it is drawn. */
export interface ActiveIndicator extends IndicatorChoice {
  place: 'pane' | 'overlay';
}

/** A feature dataset of the asset, as `dataset.info` describes it. */
export interface FeatureDataset {
  path: string;
  /** the feature set's name (the tree's featureSet node) */
  set: string;
  columns: readonly { name: string; type: string }[];
}

const NUMERIC = /^(float|double|int|uint|decimal)/i;
/** Columns that are keys or facts of a row, not values to draw. */
const NOT_DRAWN = new Set(['timestamp', 'asset', 'date', 'session_date', 'trading_date']);
const MACD = ['macd_line', 'macd_signal', 'macd_histogram'] as const;

const NAMES: Record<string, string> = {
  rsi: 'RSI',
  atr: 'ATR',
  roc: 'ROC',
  macd: 'MACD',
  vol: 'vol',
  realized: 'Realized',
  momentum: 'Momentum',
  true: 'True',
  range: 'range',
  ratio: 'ratio',
  line: 'line',
  signal: 'signal',
  histogram: 'histogram',
};

/** `rsi_14` → "RSI 14", `realized_vol_30d` → "Realized vol 30d", another name as it is. */
export function indicatorLabel(column: string): string {
  const parts = column.split('_');
  if (!parts.every((p) => NAMES[p] !== undefined || /^\d+[a-z]?$/.test(p))) return column;
  return parts.map((p) => NAMES[p] ?? p).join(' ');
}

/**
 * The choices of the picker, set by set: MACD first when a set has its three columns, then
 * every other numeric column that is not a key (timestamp, asset, dates).
 */
export function indicatorChoices(datasets: readonly FeatureDataset[]): IndicatorChoice[] {
  const out: IndicatorChoice[] = [];
  for (const dataset of datasets) {
    const numeric = dataset.columns.filter((c) => NUMERIC.test(c.type) && !NOT_DRAWN.has(c.name)).map((c) => c.name);
    const hasMacd = MACD.every((name) => numeric.includes(name));
    if (hasMacd) {
      out.push({
        key: `${dataset.path} macd`,
        label: 'MACD (line, signal, histogram)',
        set: dataset.set,
        lines: MACD.map((column) => ({ path: dataset.path, column, style: column === 'macd_histogram' ? 'histogram' : 'line' })),
      });
    }
    for (const column of numeric) {
      if (hasMacd && (MACD as readonly string[]).includes(column)) continue;
      out.push({ key: `${dataset.path} ${column}`, label: indicatorLabel(column), set: dataset.set, lines: [{ path: dataset.path, column, style: /histogram/.test(column) ? 'histogram' : 'line' }] });
    }
  }
  return out;
}

/** The feature columns to ask `chart.series` for, each once, in the order the indicators were added. */
export function featureRequest(active: readonly ActiveIndicator[]): { path: string; column: string }[] {
  const seen = new Set<string>();
  const out: { path: string; column: string }[] = [];
  for (const line of active.flatMap((a) => a.lines)) {
    const key = `${line.path}\n${line.column}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path: line.path, column: line.column });
  }
  return out;
}

/** Where a line's values sit in the bars' `f` (the index of its column in featureRequest). */
export function featureIndex(request: readonly { path: string; column: string }[], line: IndicatorLine): number {
  return request.findIndex((f) => f.path === line.path && f.column === line.column);
}

/**
 * The newest version of each feature set built for `asset`, from the `features` layer's tree:
 * a version counts when a folder of its path is the asset (sets kept per asset) or, else,
 * when `assetOf` (its sidecar's asset) says so. Newest first within a set; sets in tree order.
 */
export async function assetFeatureVersions(tree: CatalogNodeDto, asset: string, assetOf: (path: string) => Promise<string | null>): Promise<{ path: string; set: string }[]> {
  // the versions under each feature-set node, wherever the layout puts them
  const bySet = new Map<string, { path: string; version: number }[]>();
  const walk = (node: CatalogNodeDto, set: string | null) => {
    const here = node.kind === 'featureSet' ? node.name : set;
    if (node.kind === 'version' && here !== null) {
      bySet.set(here, [...(bySet.get(here) ?? []), { path: node.path, version: node.version ?? 0 }]);
      return;
    }
    for (const child of node.children ?? []) walk(child, here);
  };
  walk(tree, null);
  const out: { path: string; set: string }[] = [];
  for (const [set, versions] of bySet) {
    const sorted = [...versions].sort((a, b) => b.version - a.version);
    const ownFolder = sorted.filter((v) => v.path.split('/').includes(asset));
    if (ownFolder.length > 0) {
      out.push({ path: ownFolder[0].path, set });
      continue;
    }
    for (const version of sorted) {
      if ((await assetOf(version.path)) !== asset) continue;
      out.push({ path: version.path, set });
      break;
    }
  }
  return out;
}

/** An indicator's value in the legend: two decimals from 1 up (RSI 63.27), three significant digits below (MACD 0.0123); none: "—". */
export function formatIndicator(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '—';
  if (value === 0) return '0.00';
  return Math.abs(value) >= 1 ? value.toFixed(2) : value.toPrecision(3);
}
