import type { CatalogNode, FlatNode } from './treeModel.ts';

/**
 * The tree's search as the view shows it: the host answers `tree.search` with the catalog
 * pruned to the matches (and the nodes on the way to them); this module flattens that answer
 * into rows and marks the words in the names. Pure functions only.
 */

/** The words of a query as the host matches them: lower case, split on white space. */
export function searchWords(query: string): string[] {
  return query.trim().toLowerCase().split(/\s+/).filter((word) => word !== '');
}

/**
 * The rows of a search answer, depth first: every node on the way to a match is open unless
 * the user closed it (`collapsed`); a match is a row of its own, without children here (it
 * opens as a dataset, and in the tree once the search is left).
 */
export function flattenSearch(root: CatalogNode | null, matches: ReadonlySet<string>, collapsed: ReadonlySet<string>): FlatNode[] {
  const out: FlatNode[] = [];
  if (!root) return out;
  const walk = (nodes: CatalogNode[], depth: number, parentPath: string | null) => {
    nodes.forEach((node, i) => {
      const isMatch = matches.has(node.path);
      const expandable = !isMatch && (node.children?.length ?? 0) > 0;
      const expanded = expandable && !collapsed.has(node.path);
      out.push({ node, depth, parentPath, expandable, expanded, unloaded: false, setSize: nodes.length, posInSet: i + 1 });
      if (expanded && node.children) walk(node.children, depth + 1, node.path);
    });
  };
  walk(root.children ?? [], 0, null);
  return out;
}

/** `text` cut into the parts that hold one of `words` (marked) and the rest, in order. */
export function markedParts(text: string, words: readonly string[]): { text: string; marked: boolean }[] {
  const lower = text.toLowerCase();
  const marked = new Array<boolean>(text.length).fill(false);
  for (const word of words) {
    if (!word) continue;
    for (let at = lower.indexOf(word); at >= 0; at = lower.indexOf(word, at + 1)) marked.fill(true, at, at + word.length);
  }
  const parts: { text: string; marked: boolean }[] = [];
  for (let i = 0; i < text.length; i++) {
    const last = parts[parts.length - 1];
    if (last && last.marked === marked[i]) last.text += text[i];
    else parts.push({ text: text[i], marked: marked[i] });
  }
  return parts;
}

/** The line under the search box: how many matched, and how many of them are shown. */
export function searchSummary(result: { paths: readonly string[]; matches: number } | null, searching: boolean): string {
  if (!result) return searching ? 'Searching…' : '';
  const count = `${result.matches.toLocaleString('en-US')} ${result.matches === 1 ? 'match' : 'matches'}`;
  if (result.matches === 0) return 'No matches: every word must be in the store path (asset, date, version)';
  if (result.paths.length < result.matches) return `${count}, the first ${result.paths.length.toLocaleString('en-US')} shown: type more to narrow`;
  return `${count} · ↓ to the results, Enter opens, Esc leaves`;
}
