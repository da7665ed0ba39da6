import type { ApiResponse, JobResult } from '../../../core/api/contract.js';
import { formatCell, type TimeMode } from '../table/cellFormat.ts';
import { numberStyleFor } from '../table/numberFormat.ts';
import { findNode, type CatalogNode } from '../tree/treeModel.ts';

/**
 * The compare view's model: which versions can be compared with which, the strip of
 * trading dates (bars of rows added, removed and changed), and the cells of a changed row
 * (old → new). Pure functions only; CompareView keeps the state and calls the host.
 *
 * Versions are named by their store paths (`cleaned/v3/MES`, `features/v2/momentum_indicators`),
 * found in the tree under their group (`cleaned/MES`).
 */

export type DiffResult = JobResult<'diff'>;
export type DiffRowsPage = ApiResponse<'diff.rows'>;
export type DiffKind = DiffRowsPage['rows'][number]['kind'];
export const DIFF_KINDS: readonly DiffKind[] = ['added', 'removed', 'changed'];

interface VersionRef {
  path: string;
  /** `v3` */
  name: string;
  version: number;
  /** `cleaned/MES`, the group it belongs to */
  group: string;
  rows: number | null;
  createdAt: string | null;
}

/** `cleaned/v3/MES`, and a feature set of one asset, `features/v2/MES/momentum_indicators` */
const VERSION_PATH = /^(?:(cleaned)\/v([1-9]\d*)\/([^/]+)|(features)\/v([1-9]\d*)\/([^/]+\/[^/]+|[^/]+))$/;

/**
 * The group of a version path (`cleaned/v3/MES` → `cleaned/MES`,
 * `features/v2/MES/momentum_indicators` → `features/MES/momentum_indicators`: versions of
 * one asset's set only), or null when it is not one.
 */
export function versionGroupOf(path: string): string | null {
  const match = VERSION_PATH.exec(path);
  if (!match) return null;
  return match[1] ? `${match[1]}/${match[3]}` : `${match[4]}/${match[6]}`;
}

function versionNumberOf(path: string): number {
  const match = VERSION_PATH.exec(path);
  return Number(match?.[2] ?? match?.[5] ?? 0);
}

/** The versions of a path's group in the tree, oldest first; empty when the path is not a version or the group is not loaded. */
export function versionsOf(tree: CatalogNode | null, path: string): VersionRef[] {
  const group = versionGroupOf(path);
  if (!tree || !group) return [];
  const node = findNode(tree, group);
  return (node?.children ?? [])
    .filter((child) => child.kind === 'version' && versionGroupOf(child.path) === group)
    .map((child) => ({
      path: child.path,
      name: child.name,
      version: child.version ?? versionNumberOf(child.path),
      group,
      rows: typeof child.rows === 'number' ? child.rows : null,
      createdAt: child.createdAt ?? null,
    }))
    .sort((x, y) => x.version - y.version);
}

/** The version just before `path` in its group (the default other side), or null for the first. */
export function predecessorOf(tree: CatalogNode | null, path: string): VersionRef | null {
  const versions = versionsOf(tree, path);
  const at = versions.findIndex((v) => v.path === path);
  return at > 0 ? versions[at - 1] : null;
}

/**
 * The pair a "Compare…" on `path` opens: the version before it as A and it as B; for the
 * first version, it as A and the one after it as B; null when its group has one version.
 */
export function defaultPair(tree: CatalogNode | null, path: string): { a: string; b: string } | null {
  const before = predecessorOf(tree, path);
  if (before) return { a: before.path, b: path };
  const versions = versionsOf(tree, path);
  const at = versions.findIndex((v) => v.path === path);
  return at >= 0 && at + 1 < versions.length ? { a: path, b: versions[at + 1].path } : null;
}

/** One bar of the strip: a trading date and its three counts as heights (0–1 of the tallest date). */
interface StripBar {
  date: string | null;
  added: number;
  removed: number;
  changed: number;
  total: number;
  /** heights of the stacked parts, as fractions of the tallest bar */
  heights: { added: number; removed: number; changed: number };
  label: string;
}

/**
 * The strip of dates: one bar per date with a difference, in date order, each part's height
 * a fraction of the tallest date's total. Heights are on a square-root scale (`sqrt`), so a
 * date with one changed row beside one with a thousand added stays visible.
 */
export function stripBars(dates: DiffResult['byDate']['dates'], options: { sqrt?: boolean } = {}): StripBar[] {
  const scale = options.sqrt === false ? (x: number) => x : Math.sqrt;
  const max = Math.max(0, ...dates.map((d) => d.added + d.removed + d.changed));
  return dates.map((d) => {
    const total = d.added + d.removed + d.changed;
    const height = max === 0 ? 0 : scale(total) / scale(max);
    const part = (n: number) => (total === 0 ? 0 : (height * n) / total);
    return {
      date: d.date,
      added: d.added,
      removed: d.removed,
      changed: d.changed,
      total,
      heights: { added: part(d.added), removed: part(d.removed), changed: part(d.changed) },
      label: `${d.date ?? 'no date'}: ${countText(d.added, 'added')}, ${countText(d.removed, 'removed')}, ${countText(d.changed, 'changed')}`,
    };
  });
}

const countText = (n: number, what: string) => `${n.toLocaleString('en-US')} ${what}`;

/** The date a view opens on: the first with a change, else the first. */
export function firstDate(dates: DiffResult['byDate']['dates']): string | null {
  return (dates.find((d) => d.changed > 0) ?? dates[0])?.date ?? null;
}

/** The lines of the schema's changes (`+ vwap Float64`, `− oi Int64`, `close Float32 → Float64`). */
export function schemaLines(schema: DiffResult['schema']): { kind: 'added' | 'removed' | 'changed'; text: string }[] {
  return [
    ...schema.added.map((c) => ({ kind: 'added' as const, text: `+ ${c.name} ${c.type}` })),
    ...schema.removed.map((c) => ({ kind: 'removed' as const, text: `− ${c.name} ${c.type}` })),
    ...schema.changed.map((c) => ({ kind: 'changed' as const, text: `${c.name} ${c.from} → ${c.to}` })),
  ];
}

/** One cell of the row view: the value of the side that has the row, or for a changed value both. */
interface DiffCell {
  column: string;
  text: string;
  /** for a changed value: the old and the new text */
  from?: string;
  to?: string;
  changed: boolean;
}

/** How the cells are written: the table's formats (the dataset's price tick, UTC or exchange time). */
interface CellLook {
  mode: TimeMode;
  zone: string;
  tick: number;
}

function textOf(value: unknown, column: { name: string; type: string }, look: CellLook): string {
  if (value === undefined) return '—';
  return formatCell(value, column.type, look.mode, look.zone, numberStyleFor(column.name, column.type, look.tick));
}

/** The cells of a row in the page's column order: a column the row's side lacks shows `—`. */
export function rowCells(row: DiffRowsPage['rows'][number], columns: DiffRowsPage['columns'], look: CellLook): DiffCell[] {
  const changed = new Set(row.changed);
  return columns.map((column) => {
    if (changed.has(column.name) && row.a && row.b) {
      const from = textOf(row.a[column.name], column, look);
      const to = textOf(row.b[column.name], column, look);
      return { column: column.name, text: `${from} → ${to}`, from, to, changed: true };
    }
    const side = row.b ?? row.a;
    return { column: column.name, text: textOf(side?.[column.name], column, look), changed: false };
  });
}

/** The summary line of a diff (`1,380 added · 0 removed · 552 changed · 3,999,446 unchanged`). */
export function summaryText(rows: DiffResult['rows']): string {
  return [countText(rows.added, 'added'), countText(rows.removed, 'removed'), countText(rows.changed, 'changed'), countText(rows.unchanged, 'unchanged')].join(' · ');
}

/** What the strip's dates are: the rule the diff took them by. */
export function dateRuleText(byDate: DiffResult['byDate']): string {
  return byDate.source === 'column' ? "Trading dates from each row's date column" : `Trading dates from the timestamps, ${byDate.timeZone ?? ''} sessions (${byDate.session ?? ''})`;
}
