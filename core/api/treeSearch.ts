import fs from 'node:fs';
import path from 'node:path';
import { BadRequestError } from '../errors.js';
import { listTree, type CatalogNode } from '../store/catalog.js';
import { LAYERS, parseVersionFolder, type Store } from '../store/storeLayout.js';

/**
 * Search in the catalog (`tree.search`): the words of a query (`MES 2024-03`) each found in
 * a node's store path, case-insensitive. A node whose every word is in its path is a match;
 * what lies below a match matches too and is not listed again, so `MES` finds the assets and
 * `MES 2024-03` the March dates of every MES snapshot and version. The answer is the catalog
 * pruned to the matches (without their children) and the nodes on the way to them.
 *
 * A host keeps one `TreeSearchIndex`: the whole catalog, listed once and searched in memory,
 * so a search over 10,000 snapshots does not list the store again (a listing of that many
 * takes 0.3–0.9 s; a search of the index, milliseconds). See the class for when it is listed
 * again.
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

/**
 * A catalog laid out for searching: its nodes depth first (the store's first), each with its
 * path in lower case, the index of its parent and the index just past its subtree, so a
 * search is one pass over strings that skips what lies below a match and allocates only for
 * what it shows.
 */
interface FlatCatalog {
  nodes: CatalogNode[];
  lower: string[];
  parent: Int32Array;
  end: Int32Array;
}

function flatten(root: CatalogNode): FlatCatalog {
  const nodes: CatalogNode[] = [];
  const lower: string[] = [];
  const parents: number[] = [];
  const ends: number[] = [];
  const visit = (node: CatalogNode, parent: number) => {
    const at = nodes.length;
    nodes.push(node);
    lower.push(node.path.toLowerCase());
    parents.push(parent);
    ends.push(0);
    for (const child of node.children ?? []) visit(child, at);
    ends[at] = nodes.length;
  };
  visit(root, -1);
  return { nodes, lower, parent: Int32Array.from(parents), end: Int32Array.from(ends) };
}

/** The catalog pruned to the first `limit` matches of `words` (see the module's note). */
function searchFlat(flat: FlatCatalog, words: readonly string[], limit: number): TreeSearchResult {
  const { nodes, lower, parent, end } = flat;
  const shown: number[] = [];
  let matches = 0;
  for (let i = 1; i < nodes.length; ) {
    const text = lower[i];
    let all = true;
    for (const word of words) {
      if (!text.includes(word)) {
        all = false;
        break;
      }
    }
    if (!all) {
      i++;
      continue;
    }
    matches++;
    if (shown.length < limit) shown.push(i);
    // what lies below a match is not listed again
    i = end[i];
  }
  const tree: CatalogNode = { ...nodes[0], children: [] };
  const copies = new Map<number, CatalogNode>([[0, tree]]);
  /** The copy of node `i` in the answer (made with its parents' on first use), children to come. */
  const copyOf = (i: number): CatalogNode => {
    let copy = copies.get(i);
    if (!copy) {
      copy = { ...nodes[i], children: [] };
      copies.set(i, copy);
      copyOf(parent[i]).children?.push(copy);
    }
    return copy;
  };
  for (const i of shown) {
    const { children: _children, ...match } = nodes[i];
    copyOf(parent[i]).children?.push(match);
  }
  return { tree, paths: shown.map((i) => nodes[i].path), matches };
}

/** The catalog pruned to the first `limit` matches of `query` (see the module's note). */
export function searchCatalog(root: CatalogNode, query: string, limit: number): TreeSearchResult {
  return searchFlat(flatten(root), queryWords(query), limit);
}

/** `kind:mtime:inode` of a folder (a link or a file is its own kind), '' when nothing is there; and its mtime. */
function folderStamp(file: string): { stamp: string; mtimeMs: number } {
  const stats = fs.lstatSync(file, { throwIfNoEntry: false });
  if (!stats) return { stamp: '', mtimeMs: 0 };
  return { stamp: `${stats.isDirectory() ? 'd' : stats.isSymbolicLink() ? 'l' : 'f'}:${stats.mtimeMs}:${stats.ino}`, mtimeMs: stats.mtimeMs };
}

/** The visible folders in `dir` (links too: the catalog refuses them, and a link appearing is a change), sorted. */
function foldersIn(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((entry) => (entry.isDirectory() || entry.isSymbolicLink()) && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort();
}

/**
 * What the catalog of a store is made from, as one string that changes whenever the catalog
 * may: the modification time and inode of each folder whose entries it lists (the layers,
 * each raw asset's folder of dates, each version folder, each asset folder of a feature
 * version) and of each folder of sidecars in `catalog/`. A snapshot, a version, a revision of
 * a date (its sidecar is replaced: written beside, then renamed), gc and recovery all add,
 * rename or remove an entry in one of them. No folder with thousands of entries (a raw asset's
 * dates, its sidecars) is read: each is only stat'ed, so the stamp of a store of 10,000
 * snapshots costs a few dozen system calls. `newestMs` is the latest of their modification times.
 */
export function catalogStamp(storeRoot: string): { stamp: string; newestMs: number } {
  const parts: string[] = [];
  let newestMs = 0;
  const add = (relative: string) => {
    const folder = folderStamp(path.join(storeRoot, ...relative.split('/')));
    parts.push(`${relative}=${folder.stamp}`);
    newestMs = Math.max(newestMs, folder.mtimeMs);
  };
  for (const layer of LAYERS) {
    add(layer);
    for (const entry of foldersIn(path.join(storeRoot, layer))) {
      add(`${layer}/${entry}`);
      // a feature version holds a folder per asset, each holding its sets
      if (layer === 'features' && parseVersionFolder(entry) !== null) for (const asset of foldersIn(path.join(storeRoot, layer, entry))) add(`${layer}/${entry}/${asset}`);
    }
    add(`catalog/${layer}`);
    for (const asset of foldersIn(path.join(storeRoot, 'catalog', layer))) {
      add(`catalog/${layer}/${asset}`);
      // catalog/features/{ASSET}/{set}/vN.json
      if (layer === 'features') for (const set of foldersIn(path.join(storeRoot, 'catalog', layer, asset))) add(`catalog/${layer}/${asset}/${set}`);
    }
  }
  return { stamp: parts.join('\n'), newestMs };
}

/**
 * A folder changed less than this before its stamp was taken is not trusted: file times are
 * coarse (a clock tick of a few ms), so a second change in the same tick would leave the stamp
 * as it was. An index listed from such a store answers its search and is listed again at the
 * next one.
 */
const SETTLE_MS = 2000;

/** Trees `TreeSearchIndex.tree` keeps (paths and depths a window asks for: the root, the folders opened). */
const TREES_KEPT = 32;

/** A tree `TreeSearchIndex.tree` answered, and the catalog's stamp and the session's generation it was listed under. */
interface KeptTree {
  storeRoot: string;
  stamp: string;
  generation: number;
  promise: Promise<CatalogNode>;
}

/** `node` and everything below it frozen: a kept tree is handed to every request, none may change it. */
function deepFreeze(node: CatalogNode): CatalogNode {
  for (const child of node.children ?? []) deepFreeze(child);
  if (node.children) Object.freeze(node.children);
  return Object.freeze(node);
}

/** The whole catalog of one store as it was listed, with each node's path in lower case. */
interface Listed {
  storeRoot: string;
  stamp: string;
  generation: number;
  /** false when a folder had changed just before the stamp was taken: the next search lists again */
  settled: boolean;
  flat: FlatCatalog;
}

/**
 * The catalog of the open store, listed once and searched in memory. It is listed again:
 * - when this host may have written to the store: `invalidate()`, called by the session when
 *   a job ends (ingest, promote, features, gc… commit through jobs) and when another store is
 *   opened; a store searched before is listed again at once, in the background, so the next
 *   search finds it ready;
 * - when anything else changed it (the command line, another app): each search first
 *   compares `catalogStamp` with the one taken before the listing, and lists afresh when they
 *   differ, or when a folder had changed just before the last stamp was taken (SETTLE_MS).
 * Searches that arrive while a listing is under way share it. A listing that fails is not
 * kept: the search throws its error (SYMLINK, …) and the next one lists again.
 */
export class TreeSearchIndex {
  private listed: Listed | null = null;
  private listing: { storeRoot: string; stamp: string; generation: number; promise: Promise<Listed> } | null = null;
  private generation = 0;
  /** How many times the catalog was listed (for tests and the bench). */
  listings = 0;
  /** Trees answered by `tree`, by path and depth, most recently used last. */
  private readonly trees = new Map<string, KeptTree>();
  /** How many trees `tree` listed instead of answering from what it kept (for tests). */
  treeListings = 0;

  private readonly list: (store: Store) => Promise<CatalogNode>;
  private readonly listAt: (store: Store, treePath: string, depth: number | undefined) => Promise<CatalogNode>;
  private readonly settleMs: number;

  constructor(options: { list?: (store: Store) => Promise<CatalogNode>; listAt?: (store: Store, treePath: string, depth: number | undefined) => Promise<CatalogNode>; settleMs?: number } = {}) {
    this.list = options.list ?? ((store) => listTree(store, ''));
    this.listAt = options.listAt ?? ((store, treePath, depth) => listTree(store, treePath, { depth }));
    this.settleMs = options.settleMs ?? SETTLE_MS;
  }

  /**
   * The catalog node at `treePath` with `depth` levels, as `listTree` gives it, answered from
   * the one listed before for the same path and depth while the catalog's stamp is the same
   * and the session has not invalidated it (a job that may have committed ended, another
   * store was opened); the same rules as the search index's. A window's host asks for the
   * tree at its start and after every job, and a ten-year store's tree of depth 3 (2,899
   * dates, 485 KB of JSON) cost its thread about 1 ms to list, 1.2 ms to write as JSON and
   * more to send: a kept tree is the same object, frozen, so a host can keep what it wrote
   * of it too (the browser mode's HTTP host does). A listing that fails is not kept.
   */
  tree(store: Store, treePath: string, depth: number | undefined): Promise<CatalogNode> {
    const { stamp, newestMs } = catalogStamp(store.root);
    const key = `${treePath}\0${depth ?? ''}`;
    const kept = this.trees.get(key);
    if (kept && kept.storeRoot === store.root && kept.stamp === stamp && kept.generation === this.generation) {
      this.trees.delete(key);
      this.trees.set(key, kept);
      return kept.promise;
    }
    this.treeListings++;
    const promise = this.listAt(store, treePath, depth).then(deepFreeze);
    // a folder changed just before its stamp was taken may change again unseen: such a listing is not kept
    if (Date.now() - newestMs < this.settleMs) return promise;
    const entry: KeptTree = { storeRoot: store.root, stamp, generation: this.generation, promise };
    this.trees.delete(key);
    this.trees.set(key, entry);
    if (this.trees.size > TREES_KEPT) this.trees.delete(this.trees.keys().next().value as string);
    promise.catch(() => {
      if (this.trees.get(key) === entry) this.trees.delete(key);
    });
    return promise;
  }

  /** The first `limit` matches of `query` in the catalog of `store` (see the module's note). */
  async search(store: Store, query: string, limit: number): Promise<TreeSearchResult> {
    const words = queryWords(query);
    const listed = await this.current(store);
    return searchFlat(listed.flat, words, limit);
  }

  /** Nodes in the index of `store` as it is now (listing it when needed). */
  async size(store: Store): Promise<number> {
    return (await this.current(store)).flat.nodes.length - 1;
  }

  /** Drops the kept trees (a job of the session ended, as the catalog's own kept listings are dropped then). */
  forgetTrees(): void {
    this.trees.clear();
  }

  /**
   * The store may have changed in a way its folders do not show yet, or another store was
   * opened: the index and the kept trees are dropped. With `relist`, the store given is listed again in the
   * background when it had an index (the user has searched it), errors left for the next search.
   */
  invalidate(relist?: Store | null): void {
    const had = this.listed?.storeRoot ?? null;
    this.generation++;
    this.listed = null;
    this.trees.clear();
    if (relist && had === relist.root) {
      // never throws here (a job's end event): a folder that cannot be read is the next search's error
      const store = relist;
      Promise.resolve()
        .then(() => this.current(store))
        .catch(() => undefined);
    }
  }

  private current(store: Store): Promise<Listed> {
    const { stamp, newestMs } = catalogStamp(store.root);
    const listed = this.listed;
    if (listed && listed.settled && listed.storeRoot === store.root && listed.stamp === stamp && listed.generation === this.generation) return Promise.resolve(listed);
    const under = this.listing;
    if (under && under.storeRoot === store.root && under.stamp === stamp && under.generation === this.generation) return under.promise;
    const generation = this.generation;
    const settled = Date.now() - newestMs >= this.settleMs;
    this.listings++;
    const promise = this.list(store).then((root) => {
      const made: Listed = { storeRoot: store.root, stamp, generation, settled, flat: flatten(root) };
      // a listing that began before the store changed answers its own search, and is not kept
      if (generation === this.generation) this.listed = made;
      return made;
    });
    const entry = { storeRoot: store.root, stamp, generation, promise };
    this.listing = entry;
    void promise.then(
      () => this.forget(entry),
      () => this.forget(entry),
    );
    return promise;
  }

  private forget(entry: TreeSearchIndex['listing']): void {
    if (this.listing === entry) this.listing = null;
  }
}
