import fs from 'node:fs';
import path from 'node:path';
import type { Table } from 'apache-arrow';
import type { DecoderPool } from '../parquet/decoderPool.js';
import { Dataset, resolveDatasetPath } from '../parquet/parquetDataset.js';
import { resolveDatasetName } from '../store/datasetNames.js';
import { PagedDataset } from './pagedDataset.js';

/**
 * Open datasets kept between requests of one host session, so that a page of a version with
 * 3,000 files does not read 3,000 footers again (Dataset.open on 2,869 files: 2.7–6 s).
 *
 * An entry is keyed by the store and the dataset path and checked against what is on disk:
 * a single file by its size, modification time and inode at every use; a folder by the
 * same stamp of the folder itself at every use (a new raw date, a folder renamed into
 * place), and by a walk of everything below it (names, sizes, modification times) in the
 * background at most once per `recheckMs`, the entry serving meanwhile, so a file changed
 * deep inside a folder by another process is noticed within about ten seconds. Store data is
 * written once (raw snapshots, committed versions), so a change is rare; when a writer of
 * this session (a job) ends, the next use of each folder waits for a walk of it. The path checks (store escape, symbolic
 * links) run at every request, before the cache is consulted.
 */

export interface DatasetListing {
  /** absolute path of the file or folder */
  absolute: string;
  /** the Parquet files in dataset order (the order Dataset.open reads them), absolute */
  files: string[];
  /** store-relative (or absolute) display path of each file, as Dataset.open gives them */
  display: string[];
  /** what was on disk when the listing was made; equal strings mean nothing changed */
  signature: string;
}

interface Entry {
  listing: DatasetListing;
  /** a single file, checked in full at every use */
  isFile: boolean;
  /** modification time of the dataset's own file or folder, checked at every use */
  rootStamp: string;
  checkedAt: number;
  /** a walk under way, comparing the folder with the listing */
  rechecking: Promise<void> | null;
  /** set when this session may have written below it: the next use waits for a walk */
  mustRecheck: boolean;
  dataset: Promise<Dataset> | null;
  /** the same files for pages: row counts, footers opened as pages need them */
  paged: Promise<PagedDataset> | null;
  /** values derived from the dataset (chart levels…), dropped with it */
  derived: Map<string, Promise<unknown>>;
  /** computations under way, joined by identical requests, and the last few results kept */
  running: Map<string, Promise<unknown>>;
}

/** What a page needs of a dataset: Dataset and PagedDataset both are one. */
interface Pages {
  numRows: number;
  readRows(offset: number, limit: number, columns?: string[]): Promise<Table>;
}

/**
 * The store path of a table's name (`cleaned/MES` → its newest version folder, see
 * core/store/datasetNames.ts), resolved once per request so that the request reads one
 * version throughout and the cache keys the version it read.
 */
function versionNamed(storeRoot: string | null, datasetPath: string): string {
  return storeRoot && !path.isAbsolute(datasetPath) ? resolveDatasetName(storeRoot, datasetPath).path : datasetPath;
}

function hidden(name: string): boolean {
  return name.startsWith('.') || name.startsWith('_');
}

/** Results `shared` keeps per dataset when asked to (pages: 100 rows × a few columns each). */
const RECENT_RESULTS = 32;

/** At most this many folder reads and file stats in flight, leaving libuv's threads to others. */
const WALK_CONCURRENCY = 16;
let walking = 0;
const waiting: (() => void)[] = [];

async function limited<T>(work: () => Promise<T>): Promise<T> {
  if (walking >= WALK_CONCURRENCY) await new Promise<void>((resolve) => waiting.push(resolve));
  walking++;
  try {
    return await work();
  } finally {
    walking--;
    waiting.shift()?.();
  }
}

function stampOf(stats: fs.Stats): string {
  return `${stats.isDirectory() ? 'd' : 'f'}:${stats.size}:${stats.mtimeMs}:${stats.ino}`;
}

/**
 * Lists a dataset the way Dataset.open does (entries sorted by name in each folder, depth
 * first, hidden `.`/`_` entries skipped, `*.parquet` files) and records every file's size,
 * modification time and inode. Asynchronous, a few folders at a time, so a walk of 3,000
 * folders (50–200 ms of system calls) never holds the event loop. Returns null when it
 * meets anything Dataset.open refuses or treats specially (a symbolic link, a `*.parquet`
 * that is not a regular file, an unreadable folder): the caller then lets Dataset.open
 * raise its typed error.
 */
async function walk(absolute: string, display: (file: string) => string): Promise<DatasetListing | null> {
  let stats: fs.Stats;
  try {
    stats = await fs.promises.lstat(absolute);
  } catch {
    return null;
  }
  if (stats.isFile()) return { absolute, files: [absolute], display: [display(absolute)], signature: stampOf(stats) };
  if (!stats.isDirectory()) return null;
  // each folder's sorted entries, filled in as folders are read (in any order)
  const lines: string[] = [];
  const files: string[] = [];
  let failed = false;
  const visit = async (folder: string): Promise<{ files: string[]; lines: string[] }> => {
    const out = { files: [] as string[], lines: [`${path.relative(absolute, folder)}/`] };
    let entries: fs.Dirent[];
    try {
      entries = await limited(() => fs.promises.readdir(folder, { withFileTypes: true }));
    } catch {
      failed = true;
      return out;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const children: (Promise<{ files: string[]; lines: string[] }> | string)[] = [];
    for (const entry of entries) {
      if (hidden(entry.name)) continue;
      const full = path.join(folder, entry.name);
      if (entry.isSymbolicLink()) failed = true;
      else if (entry.isDirectory()) children.push(visit(full));
      else if (entry.name.endsWith('.parquet')) {
        if (!entry.isFile()) failed = true;
        else children.push(full);
      }
      if (failed) return out;
    }
    const fileStats = await Promise.all(children.map((child) => (typeof child === 'string' ? limited(() => fs.promises.lstat(child)).then((s) => `${child}:${s.size}:${s.mtimeMs}:${s.ino}`) : Promise.resolve(null))));
    for (let k = 0; k < children.length; k++) {
      const child = children[k];
      if (typeof child === 'string') {
        out.files.push(child);
        out.lines.push(fileStats[k] ?? child);
      } else {
        const sub = await child;
        out.lines.push(...sub.lines);
        for (const file of sub.files) out.files.push(file);
      }
    }
    return out;
  };
  try {
    const result = await visit(absolute);
    files.push(...result.files);
    lines.push(stampOf(stats), ...result.lines);
  } catch {
    return null;
  }
  if (failed) return null;
  return { absolute, files, display: files.map(display), signature: lines.join('\n') };
}

export class DatasetCache {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, { rootStamp: string; promise: Promise<Entry | null> }>();
  private readonly maxEntries: number;
  private readonly recheckMs: number;

  constructor(
    private readonly decoder: DecoderPool,
    options: { maxEntries?: number; recheckMs?: number } = {},
  ) {
    this.maxEntries = options.maxEntries ?? 8;
    // a walk of 3,000 folders costs the event loop about 150 ms of callbacks, spread out
    this.recheckMs = options.recheckMs ?? 10_000;
  }

  /**
   * The dataset at `datasetPath` (relative to `storeRoot`, or absolute), opened once and
   * reused while its files are unchanged. Throws what Dataset.open throws (BAD_REQUEST for a
   * path leaving the store, NOT_FOUND, SYMLINK, CORRUPTED_FILE…).
   */
  async dataset(storeRoot: string | null, named: string): Promise<Dataset> {
    const datasetPath = versionNamed(storeRoot, named);
    const entry = await this.entry(storeRoot, datasetPath);
    if (!entry) return Dataset.open(storeRoot, datasetPath, this.decoder);
    entry.dataset ??= Dataset.open(storeRoot, datasetPath, this.decoder);
    try {
      return await entry.dataset;
    } catch (error) {
      this.drop(storeRoot, datasetPath, entry);
      throw error;
    }
  }

  /**
   * Runs `compute` on the dataset, or joins the same computation (same `key`) already under
   * way for it: 200 requests for one page decode it once. With `keep`, the results of the
   * last RECENT_RESULTS computations are kept too (the caller keeps them small: a page).
   */
  async shared<T>(storeRoot: string | null, named: string, key: string, compute: (dataset: Dataset) => Promise<T>, options: { keep?: boolean } = {}): Promise<T> {
    const datasetPath = versionNamed(storeRoot, named);
    const dataset = await this.dataset(storeRoot, datasetPath);
    const entry = this.entries.get(this.key(storeRoot, datasetPath));
    if (!entry || !entry.dataset) return compute(dataset);
    return this.join(entry, key, () => compute(dataset), options);
  }

  /**
   * The dataset for pages (see PagedDataset: row counts of every file from one DuckDB call,
   * footers opened as pages need them), opened once and reused like `dataset`. Throws what
   * Dataset.open throws for a path it refuses.
   */
  async paged(storeRoot: string | null, named: string): Promise<Pages> {
    const datasetPath = versionNamed(storeRoot, named);
    const entry = await this.entry(storeRoot, datasetPath);
    // a path the walk cannot list: Dataset.open says what is wrong with it
    if (!entry || entry.listing.files.length === 0) return Dataset.open(storeRoot, datasetPath, this.decoder);
    if (!entry.paged) {
      // the first page waits for the row counts and then for the decoder: its thread starts meanwhile
      this.decoder.warm();
      entry.paged = PagedDataset.open(entry.listing, this.decoder);
    }
    try {
      return await entry.paged;
    } catch (error) {
      this.drop(storeRoot, datasetPath, entry);
      throw error;
    }
  }

  /** `shared` for pages: the computation gets the dataset `paged` opens. */
  async sharedPages<T>(storeRoot: string | null, named: string, key: string, compute: (pages: Pages) => Promise<T>, options: { keep?: boolean } = {}): Promise<T> {
    const datasetPath = versionNamed(storeRoot, named);
    const pages = await this.paged(storeRoot, datasetPath);
    const entry = this.entries.get(this.key(storeRoot, datasetPath));
    if (!entry || !entry.paged) return compute(pages);
    return this.join(entry, key, () => compute(pages), options);
  }

  /** Runs `compute`, or joins the same computation (same `key`) under way for the entry; with `keep`, recent results stay. */
  private join<T>(entry: Entry, key: string, compute: () => Promise<T>, options: { keep?: boolean }): Promise<T> {
    const running = entry.running.get(key) as Promise<T> | undefined;
    if (running) {
      // most recently used last
      entry.running.delete(key);
      entry.running.set(key, running);
      return running;
    }
    const started = compute();
    entry.running.set(key, started);
    const forget = () => {
      if (entry.running.get(key) === started) entry.running.delete(key);
    };
    started.then(() => {
      if (!options.keep) forget();
      while (entry.running.size > RECENT_RESULTS) {
        const oldest = entry.running.keys().next().value;
        if (oldest === undefined) break;
        entry.running.delete(oldest);
      }
    }, forget);
    return started;
  }

  /**
   * The files of a dataset in Dataset.open's order, without opening them, and a store for
   * values computed from them (`derive`), kept while the files are unchanged. A path that
   * Dataset.open would refuse makes it throw Dataset.open's error.
   */
  async listing(storeRoot: string | null, named: string): Promise<{ listing: DatasetListing; derive: <T>(key: string, compute: () => Promise<T>) => Promise<T> }> {
    const datasetPath = versionNamed(storeRoot, named);
    const entry = await this.entry(storeRoot, datasetPath);
    if (!entry || entry.listing.files.length === 0) {
      // let Dataset.open say what is wrong (no Parquet files under it: NOT_FOUND)
      await Dataset.open(storeRoot, datasetPath, this.decoder);
      throw new Error(`unreachable: ${datasetPath} opened but could not be listed`);
    }
    const derive = <T>(key: string, compute: () => Promise<T>): Promise<T> => {
      let value = entry.derived.get(key) as Promise<T> | undefined;
      if (!value) {
        value = compute();
        entry.derived.set(key, value);
        value.catch(() => entry.derived.delete(key));
      }
      return value;
    };
    return { listing: entry.listing, derive };
  }

  /** Forgets every dataset. */
  clear(): void {
    this.entries.clear();
    this.pending.clear();
  }

  /**
   * This session may have written to the store (a job ended): the next use of each folder
   * waits for a walk of it, and reopens it only when something changed, so a version with
   * 3,000 files is not read again because another version was committed beside it.
   */
  recheckAll(): void {
    for (const entry of this.entries.values()) entry.mustRecheck = true;
  }

  private key(storeRoot: string | null, datasetPath: string): string {
    return `${storeRoot ?? ''}\0${datasetPath}`;
  }

  private drop(storeRoot: string | null, datasetPath: string, entry: Entry): void {
    const key = this.key(storeRoot, datasetPath);
    if (this.entries.get(key) === entry) this.entries.delete(key);
  }

  /**
   * A current entry for the dataset, or null when it cannot be listed. A folder whose last
   * walk is older than `recheckMs` is walked again in the background while the entry keeps
   * serving; a difference drops it, so the next request reads the folder afresh.
   */
  private async entry(storeRoot: string | null, datasetPath: string): Promise<Entry | null> {
    // the path checks (store escape, links below the store root) run at every request
    const { absolute, display } = resolveDatasetPath(storeRoot, datasetPath);
    const key = this.key(storeRoot, datasetPath);
    let rootStamp: string;
    try {
      rootStamp = stampOf(fs.lstatSync(absolute));
    } catch {
      this.entries.delete(key);
      return null;
    }
    const cached = this.entries.get(key);
    if (cached && cached.rootStamp === rootStamp) {
      if (cached.mustRecheck && !cached.isFile) {
        await this.recheck(key, cached, absolute, display);
        if (this.entries.get(key) === cached) return this.touch(key, cached);
      } else {
        if (!cached.isFile && !cached.rechecking && Date.now() - cached.checkedAt >= this.recheckMs) void this.recheck(key, cached, absolute, display);
        return this.touch(key, cached);
      }
    }
    // requests arriving while the folder is walked share the walk
    let pending = this.pending.get(key);
    if (!pending || pending.rootStamp !== rootStamp) {
      const made = { rootStamp, promise: this.build(key, rootStamp, absolute, display) };
      pending = made;
      this.pending.set(key, made);
      void made.promise.finally(() => {
        if (this.pending.get(key) === made) this.pending.delete(key);
      });
    }
    return pending.promise;
  }

  private async build(key: string, rootStamp: string, absolute: string, display: (file: string) => string): Promise<Entry | null> {
    const listing = await walk(absolute, display);
    if (!listing) {
      this.entries.delete(key);
      return null;
    }
    const entry: Entry = { listing, isFile: rootStamp.startsWith('f:'), rootStamp, checkedAt: Date.now(), rechecking: null, mustRecheck: false, dataset: null, paged: null, derived: new Map(), running: new Map() };
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return entry;
  }

  /** Walks the folder again (one walk at a time per entry); a difference drops the entry. */
  private recheck(key: string, entry: Entry, absolute: string, display: (file: string) => string): Promise<void> {
    entry.rechecking ??= walk(absolute, display)
      .then((listing) => {
        if (listing && listing.signature === entry.listing.signature) {
          entry.checkedAt = Date.now();
          entry.mustRecheck = false;
        } else if (this.entries.get(key) === entry) this.entries.delete(key);
      })
      .finally(() => {
        entry.rechecking = null;
      });
    return entry.rechecking;
  }

  private touch(key: string, entry: Entry): Entry {
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }
}
