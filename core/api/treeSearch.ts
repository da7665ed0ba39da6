import { BadRequestError } from '../errors.js';
import type { CatalogNode } from '../store/catalog.js';

/**
 * Search in the catalog (`tree.search`): the words of a query (`MES 2024-03`) each found in
 * a node's store path, case-insensitive. A node whose every word is in its path is a match;
 * what lies below a match matches too and is not listed again, so `MES` finds the assets and
 * `MES 2024-03` the March dates of every MES snapshot and version. The answer is the catalog
 * pruned to the matches (without their children) and the nodes on the way to them.
 */

export interface TreeSearchResult {
  /** The store node, with only the nodes on the way to the matches shown; matches carry no children. */
  tree: CatalogNode;
  /** Paths of the matches in the answer, in the tree's order. */
  paths: string[];
  /** Matches in the whole store (more than `paths` when the limit cut them). */
  matches: number;
}

/** The words of a query, lower case; throws BAD_REQUEST when there is none. */
function queryWords(query: string): string[] {
  const words = query.trim().toLowerCase().split(/\s+/).filter((word) => word !== '');
  if (words.length === 0) throw new BadRequestError(`a tree search needs at least one word, not "${query}"`, { query });
  return words;
}

/** The catalog pruned to the first `limit` matches of `query` (see the module's note). */
export function searchCatalog(root: CatalogNode, query: string, limit: number): TreeSearchResult {
  const words = queryWords(query);
  const paths: string[] = [];
  let matches = 0;
  const isMatch = (node: CatalogNode): boolean => {
    const text = node.path.toLowerCase();
    return words.every((word) => text.includes(word));
  };
  /** The node as the answer shows it, or null when nothing at or below it matches (or fits). */
  const visit = (node: CatalogNode): CatalogNode | null => {
    if (node.path !== '' && isMatch(node)) {
      matches++;
      if (paths.length >= limit) return null;
      paths.push(node.path);
      const { children: _children, ...match } = node;
      return match;
    }
    const kept: CatalogNode[] = [];
    for (const child of node.children ?? []) {
      const shown = visit(child);
      if (shown) kept.push(shown);
    }
    if (kept.length === 0) return null;
    return { ...node, children: kept };
  };
  const tree = visit(root) ?? { ...root, children: [] };
  return { tree, paths, matches };
}
