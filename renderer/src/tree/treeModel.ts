import type { CatalogNodeDto } from '../../../core/api/contract.js';

/**
 * The dataset tree as the view needs it: the catalog from the host (loaded a few levels
 * deep, deeper parts fetched as nodes open), flattened into the rows on screen for the
 * expanded nodes (a search's rows are in treeSearch.ts). Pure functions only; the view
 * keeps the state.
 */

export type CatalogNode = CatalogNodeDto;

export interface FlatNode {
  node: CatalogNode;
  /** 0 for layers (the store node itself is not shown). */
  depth: number;
  parentPath: string | null;
  /** The node can have children (loaded or not). */
  expandable: boolean;
  expanded: boolean;
  /** Children not fetched yet. */
  unloaded: boolean;
  /** aria-setsize / aria-posinset among its siblings (1-based). */
  setSize: number;
  posInSet: number;
}

/** True for nodes that can hold children. */
function canHaveChildren(node: CatalogNode): boolean {
  return node.kind !== 'file';
}

/** Children have not been fetched yet. */
export function needsLoad(node: CatalogNode): boolean {
  return canHaveChildren(node) && node.children === undefined;
}

/** The versions of one key (`cleaned/MES`, `features/MES/momentum`): a grouping, not a folder. */
export function isVersionGroup(node: CatalogNode): boolean {
  return (node.kind === 'asset' && /^cleaned\/[^/]+$/.test(node.path)) || (node.kind === 'featureSet' && /^features\/[^/]+\/[^/]+$/.test(node.path));
}

/** The feature sets of one asset (`features/MES`), whose versions live in `features/vN/MES/…`. */
function isFeatureAsset(node: CatalogNode): boolean {
  return node.kind === 'asset' && /^features\/[^/]+$/.test(node.path);
}

/** Nodes whose rows the table, chart and schema views can open. */
export function isOpenable(node: CatalogNode): boolean {
  if (node.kind === 'store' || node.kind === 'layer') return false;
  return !isVersionGroup(node) && !isFeatureAsset(node);
}

/** The layer, number and key of a path in a version folder (`features/v2/MES/rsi/part-0.parquet` → features, 2, `MES/rsi`), or null. */
export function versionOfPath(path: string): { layer: 'cleaned' | 'features'; number: number; key: string; folder: string } | null {
  const match = /^(cleaned)\/v(\d+)\/([^/]+)(?:\/|$)/.exec(path) ?? /^(features)\/v(\d+)\/([^/]+\/[^/]+)(?:\/|$)/.exec(path);
  if (!match) return null;
  const layer = match[1] as 'cleaned' | 'features';
  return { layer, number: Number(match[2]), key: match[3], folder: `${layer}/v${match[2]}/${match[3]}` };
}

/** The store file of the sidecar describing a path (format 2: `catalog/cleaned/MES/v3.json`, `catalog/raw/MES/2024-01-15.json`), or null. */
export function sidecarFileOf(path: string): string | null {
  const version = versionOfPath(path);
  if (version) return `catalog/${version.layer}/${version.key}/v${version.number}.json`;
  const raw = /^raw\/([^/]+)\/(\d{4}-\d{2}-\d{2})(?:\/|$)/.exec(path);
  return raw ? `catalog/raw/${raw[1]}/${raw[2]}.json` : null;
}

/** The raw asset a path belongs to (`raw/MES/2024-01-15/x.parquet` → `MES`), or null. */
export function rawAssetOf(path: string): string | null {
  const match = /^raw\/([^/]+)/.exec(path);
  return match ? match[1] : null;
}

/**
 * True when `target` is this node or lies below it. Version groups (`cleaned/MES`) hold
 * versions whose paths do not start with theirs (`cleaned/v2/MES/…`).
 */
export function containsPath(node: CatalogNode, target: string): boolean {
  if (node.path === '' || node.path === target || target.startsWith(`${node.path}/`)) return true;
  if (isVersionGroup(node) || isFeatureAsset(node)) {
    const [layer, ...key] = node.path.split('/');
    return new RegExp(`^${layer}/v\\d+/${key.join('/').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(/|$)`).test(target);
  }
  return false;
}

/** The chain of nodes from the root's child down to the node at `target` (as far as loaded). */
export function pathToNode(root: CatalogNode, target: string): CatalogNode[] {
  const chain: CatalogNode[] = [];
  let current: CatalogNode | undefined = root;
  while (current) {
    if (current !== root) chain.push(current);
    if (current.path === target) return chain;
    current = (current.children ?? []).find((child) => containsPath(child, target));
  }
  return chain;
}

export function findNode(root: CatalogNode, target: string): CatalogNode | null {
  const chain = pathToNode(root, target);
  const last = chain[chain.length - 1];
  return last && last.path === target ? last : null;
}

/** The tree with the node at `subtree.path` replaced (children included); unchanged nodes are shared. */
export function mergeSubtree(root: CatalogNode, subtree: CatalogNode): CatalogNode {
  if (root.path === subtree.path) return subtree;
  if (!root.children) return root;
  let changed = false;
  const children = root.children.map((child) => {
    if (!containsPath(child, subtree.path)) return child;
    const merged = mergeSubtree(child, subtree);
    if (merged !== child) changed = true;
    return merged;
  });
  return changed ? { ...root, children } : root;
}

/** The rows on screen: children of expanded nodes, depth first. */
export function flattenTree(root: CatalogNode | null, expanded: ReadonlySet<string>): FlatNode[] {
  const out: FlatNode[] = [];
  if (!root) return out;
  const walk = (nodes: CatalogNode[], depth: number, parentPath: string | null) => {
    nodes.forEach((node, i) => {
      const expandable = canHaveChildren(node) && (node.children === undefined || node.children.length > 0);
      const isExpanded = expandable && expanded.has(node.path);
      out.push({ node, depth, parentPath, expandable, expanded: isExpanded, unloaded: node.children === undefined && expandable, setSize: nodes.length, posInSet: i + 1 });
      if (isExpanded && node.children) walk(node.children, depth + 1, node.path);
    });
  };
  walk(root.children ?? [], 0, null);
  return out;
}

/** Paths of every expanded node whose children had to be fetched separately (for a refresh). */
export function expandedPathsToReload(root: CatalogNode | null, expanded: ReadonlySet<string>, loadedDepth: number): string[] {
  if (!root) return [];
  const found: string[] = [];
  const walk = (node: CatalogNode, depth: number) => {
    for (const child of node.children ?? []) {
      if (expanded.has(child.path) && depth + 1 >= loadedDepth) found.push(child.path);
      walk(child, depth + 1);
    }
  };
  walk(root, 0);
  return found;
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** 1536 → "1.5 KB". */
export function formatBytes(bytes: number | undefined | null): string {
  if (bytes === undefined || bytes === null || !Number.isFinite(bytes)) return '';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

/** 1200000 → "1,200,000". */
export function formatCount(n: number | undefined | null): string {
  if (n === undefined || n === null || !Number.isFinite(n)) return '';
  return n.toLocaleString('en-US');
}

/** A count with its noun: "1 row", "4,012 files", "0 bars". */
export function countOf(n: number | null | undefined, singular: string, plural = `${singular}s`): string {
  return `${formatCount(n)} ${n === 1 ? singular : plural}`;
}

/** 1200000 → "1.2M" (for tight places). */
export function formatCountShort(n: number | undefined | null): string {
  if (n === undefined || n === null || !Number.isFinite(n)) return '';
  if (n >= 1e9) return `${(n / 1e9).toFixed(n >= 1e10 ? 0 : 1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)}k`;
  return n.toLocaleString('en-US');
}

/** "2024-01-02 → 2024-03-28", one date alone, or ''. */
export function formatSpan(from: string | null | undefined, to: string | null | undefined): string {
  if (!from && !to) return '';
  if (from === to || !to) return from ?? '';
  if (!from) return to;
  return `${from} → ${to}`;
}
