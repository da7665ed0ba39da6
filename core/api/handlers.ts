import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BadRequestError, MesDataError, NotFoundError, serializeError, type SerializedError } from '../errors.js';
import type { Schema } from 'apache-arrow';
import { assertNoSymlinkBelow, assertSafeInOpenStores, storeRelativeOf } from '../store/storePaths.js';
import { DecoderPool, sharedDecoderPool } from '../parquet/decoderPool.js';
import { SchemaRegistry } from '../schema/schemaRegistry.js';
import { genericInstrument, instrumentCalendar, instrumentFor, InstrumentRegistry } from '../instruments/instrumentRegistry.js';
import { sessionsOverlapping } from '../instruments/sessionTemplates.js';
import { entryKind } from '../time/cmeCalendar.js';
import { forgetCatalogListings, listTree } from '../store/catalog.js';
import { resolveDatasetAsOf, resolveDatasetName } from '../store/datasetNames.js';
import { datasetLineage, datasetSidecar } from '../store/lineage.js';
import { initStore, openStore } from '../store/openStore.js';
import type { Store } from '../store/storeLayout.js';
import { VERSION } from '../version.js';
import { getParquetMetadata, getParquetSchema } from '../parquet/parquetMetadata.js';
import { chartSeries } from './chartSeries.js';
import { exportQuery, queryTable, querySql, type QuerySource } from '../engine/datasetQuery.js';
import { footerSchema } from '../engine/fileStats.js';
import { openParquetFile, readParquetRows } from '../parquet/parquetFile.js';
import { convertFile, fileRows } from './fileOperations.js';
import { diffTargetRows } from '../diff/diffTargets.js';
import { DatasetCache } from './datasetCache.js';
import { api, isApiName, type ApiName, type ApiParsedRequest, type ApiResponse, type JobKind, type JobParams } from './contract.js';
import { JobManager, type JobThreadSettings } from './jobManager.js';
import { tableRowsToJson } from './pageRows.js';
import { TreeSearchIndex } from './treeSearch.js';
import { RemoteStoreView } from '../objectStore/remoteStore.js';
import { openObjectStore } from '../objectStore/s3ObjectStore.js';
import { parseStoreUrl } from '../objectStore/storeUrl.js';
import { bucketSignature, isBucketUrl, pullBucket } from './bucketStore.js';

export type Handlers = { [K in ApiName]: (request: ApiParsedRequest<K>) => Promise<ApiResponse<K>> };

export type HostKind = 'electron' | 'browser' | 'cli' | 'test';

/** What a path in a request is: a dataset to read, or a file to read. */
type PathKind = 'dataset' | 'source';

/** Operations that write a file wherever the request says: the command line's, never a page's. */
// file.convert writes wherever the request says; remote.* reach any bucket with this machine's credentials
const COMMAND_LINE_ONLY: ReadonlySet<ApiName> = new Set(['file.convert', 'remote.tree', 'remote.rows', 'remote.schema']);

/** The read-only view of an s3:// store (a folder is read with tree, file.rows and file.schema). */
function remoteView(url: string): RemoteStoreView {
  const location = parseStoreUrl(url);
  if (location.kind !== 's3') throw new BadRequestError(`${url} is a folder, not an s3:// store; a folder is read with tree, file.rows and file.schema`, { store: url });
  return new RemoteStoreView(openObjectStore(location));
}
/** Job kinds that never write to the store: their end leaves the tree's search index as it is. */
const READ_ONLY_JOBS: ReadonlySet<JobKind> = new Set(['validate', 'diff', 'verify']);
/** How long opening a bucket's store waits for its working copy, which a command of this machine may hold. */
const BUCKET_OPEN_WAIT_MS = 30_000;
/** Rows one request of a window may read from a single file (rows.page's cap too). */
const WINDOW_PAGE_ROWS = 5000;

/**
 * The folder a store of the app or the browser mode is opened in: a store URL of another
 * scheme than s3:// (which store.open takes through its working copy) or file:// is
 * BAD_REQUEST naming the schemes taken, never a folder named `gs:` made of it.
 */
function localStoreFolder(dir: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(dir) && !dir.toLowerCase().startsWith('file://')) {
    throw new BadRequestError(`${dir} is a store URL of a scheme the app does not open; give a store folder on this machine or s3://bucket/prefix (Google Cloud Storage through its S3-compatible endpoint)`, { path: dir });
  }
  return dir.toLowerCase().startsWith('file://') ? fileURLToPath(dir) : path.resolve(dir);
}

/**
 * One host's session: the open store, the decoder threads, the jobs. The Electron main
 * process, the browser-mode server and the CLI each make one and call `invoke`.
 */
export class ApiSession {
  readonly jobs: JobManager;
  readonly decoder: DecoderPool;
  private readonly ownDecoder: DecoderPool | null;
  /** datasets opened by earlier requests, reused while their files are unchanged */
  readonly datasets: DatasetCache;
  /** the catalog of the open store for tree.search, listed once and again when the store changes */
  readonly treeIndex = new TreeSearchIndex();
  private store: Store | null = null;
  /** the open store's bucket when it is one (s3://…): its URL and what it held at the last pull into the working copy */
  private bucket: { url: string; signature: string } | null = null;
  /** the pull under way (a tree refresh, a writer's end), shared by those that ask meanwhile */
  private pulling: Promise<boolean> | null = null;
  /** the store the host was started with, when it could not be opened */
  startupStoreError: (SerializedError & { path: string }) | null = null;
  private readonly recent: string[] = [];
  /** Files outside the store this session may read or ingest (uploads, files the user picked), absolute. */
  private readonly granted = new Set<string>();
  /** True when requests may name only store paths and granted files (the browser mode: anyone with the token). */
  readonly restrictPaths: boolean;
  readonly handlers: Handlers;

  constructor(
    readonly host: HostKind,
    options: { decoder?: DecoderPool; recentStores?: string[]; restrictPaths?: boolean } = {},
  ) {
    this.restrictPaths = options.restrictPaths ?? host === 'browser';
    // a host answering many page requests at once decodes on two threads (the second starts
    // only when requests queue); a command line reads one thing at a time
    this.ownDecoder = !options.decoder && (host === 'browser' || host === 'electron') ? new DecoderPool({ threads: 2 }) : null;
    this.decoder = options.decoder ?? this.ownDecoder ?? sharedDecoderPool();
    this.recent.push(...(options.recentStores ?? []));
    // the browser mode runs each job in a process of its own: neither its CPU nor its memory is
    // the host's. The app's jobs stay threads: its packaged binary cannot run as plain Node (the
    // runAsNode fuse, electron-builder.yml), which node's fork needs
    this.jobs = new JobManager(() => this.store?.root ?? null, undefined, jobThreadSettings(host), { runIn: host === 'browser' ? 'process' : 'thread', bucket: () => this.bucket?.url ?? null });
    this.datasets = new DatasetCache(this.decoder);
    // a job that ended may have written to the store
    this.jobs.onEvent(({ job }) => {
      if (job.state === 'succeeded' || job.state === 'failed' || job.state === 'cancelled') {
        this.datasets.recheckAll();
        forgetCatalogListings();
        this.treeIndex.forgetTrees();
        // a job that may have committed: the search index is listed again (a reader's end changes nothing)
        if (!READ_ONLY_JOBS.has(job.kind)) this.treeIndex.invalidate(this.store);
        // a writer on a bucket published (or left in the copy what the next pull takes away): the copy is pulled again
        if (this.bucket !== null && !READ_ONLY_JOBS.has(job.kind)) void this.refreshBucket({ invalidate: true }).catch(() => undefined);
      }
    });
    this.handlers = makeHandlers(this);
  }

  get storeRoot(): string | null {
    return this.store?.root ?? null;
  }

  /** The open store as the user named it: its folder, or its bucket's URL (the folder is then its working copy). */
  get storeName(): string | null {
    return this.bucket?.url ?? this.store?.root ?? null;
  }

  /** The open store's bucket URL, or null for a folder. */
  get bucketUrl(): string | null {
    return this.bucket?.url ?? null;
  }

  /**
   * A store in a bucket: brings its working copy up to date and, when the bucket held
   * something else than at the last pull, makes every cache look again (the datasets' files,
   * the catalog's listings, the search index). Resolves to whether something changed. A
   * refresh first lists the bucket alone and pulls only when the listing differs from the
   * last pull's (one request when nothing changed); one asked for while a pull runs shares
   * it. `invalidate` (after a writer job, whose copy may hold what it did not publish):
   * always a whole pull, after any under way, and the caches look again whatever the bucket
   * held. A pull that cannot take the copy's lock at once (a writer job of this host, or a
   * command of this machine, works on it) is skipped: that writer's end brings the next
   * one. The bucket's errors (UNAVAILABLE, FORBIDDEN…) are thrown.
   */
  async refreshBucket(options: { invalidate?: boolean } = {}): Promise<boolean> {
    if (this.bucket === null) return false;
    if (options.invalidate !== true && this.pulling !== null) return this.pulling;
    // one pull at a time: a writer's pull waits for the one under way, then pulls itself
    while (this.pulling !== null) await this.pulling.catch(() => undefined);
    this.pulling = (async () => {
      const bucket = this.bucket;
      if (bucket === null) return false;
      if (options.invalidate !== true && (await bucketSignature(bucket.url)) === bucket.signature) return false;
      let signature: string;
      try {
        ({ signature } = await pullBucket(bucket.url, { lockWaitMs: 0 }));
      } catch (error) {
        if (error instanceof MesDataError && error.code === 'LOCKED' && error.details.reason !== 'commit-conflict') {
          // a writer's pull that could not run: the next refresh pulls whole, whatever the listing says
          if (options.invalidate === true) bucket.signature = '';
          return false;
        }
        throw error;
      }
      // another store opened meanwhile
      if (this.bucket !== bucket || (signature === bucket.signature && options.invalidate !== true)) return false;
      const changed = signature !== bucket.signature;
      bucket.signature = signature;
      this.datasets.recheckAll();
      forgetCatalogListings();
      this.treeIndex.invalidate(this.store);
      return changed;
    })().finally(() => {
      this.pulling = null;
    });
    return this.pulling;
  }

  get recentStores(): string[] {
    return [...this.recent];
  }

  requireStore(): Store {
    if (!this.store) throw new BadRequestError('no store is open: open or create one first');
    return this.store;
  }

  /** Makes `store` the open one; `bucket` when it is the working copy of a bucket's store. */
  setStore(store: Store, bucket: { url: string; signature: string } | null = null): void {
    this.store = store;
    this.bucket = bucket;
    this.treeIndex.invalidate();
    this.startupStoreError = null;
    const name = bucket?.url ?? store.root;
    const at = this.recent.indexOf(name);
    if (at >= 0) this.recent.splice(at, 1);
    this.recent.unshift(name);
    this.recent.splice(10);
  }

  /**
   * Runs one operation by name: the request is parsed with its zod schema first (a bad one
   * is BAD_REQUEST with the zod issues), then its handler runs. Errors are typed
   * MesDataErrors; hosts send them on as `{code, message, details}`.
   */
  async invoke(name: string, request: unknown): Promise<unknown> {
    if (!isApiName(name)) throw new NotFoundError(`no operation "${name}"`, { name, known: Object.keys(api) });
    if (COMMAND_LINE_ONLY.has(name) && this.host !== 'cli' && this.host !== 'test') {
      const why = name.startsWith('remote.') ? "reaches any bucket with this machine's credentials" : 'writes a file wherever the request says';
      throw new MesDataError('FORBIDDEN', `${name} ${why}: it is for the command line only, not the ${this.host} host`, { operation: name, host: this.host });
    }
    const parsed = parseRequest(name, request);
    if (name === 'file.rows' && this.host !== 'cli' && this.host !== 'test') {
      // the command line may print a whole file; a window asks for pages, as rows.page caps them
      const { rows } = parsed as ApiParsedRequest<'file.rows'>;
      if (rows > WINDOW_PAGE_ROWS) throw new BadRequestError(`file.rows asks for ${rows} rows; the ${this.host} host reads at most ${WINDOW_PAGE_ROWS} at a time`, { operation: name, rows, max: WINDOW_PAGE_ROWS });
    }
    if (this.restrictPaths) for (const requested of requestPaths(name, parsed)) this.checkPath(requested.path, requested.kind);
    if (name === 'jobs.start' && (parsed as JobParams).kind === 'migrate') {
      // the open bucket's, or one a failed start named (a format-1 store in a bucket): never made a folder
      const { store } = parsed as Extract<JobParams, { kind: 'migrate' }>;
      const url = store !== undefined && isBucketUrl(store) ? store.trim() : store === undefined ? this.bucket?.url : undefined;
      if (url !== undefined) throw new BadRequestError(`migrate is not available on an s3:// store yet: migrate a format-1 store in its folder before it goes to a bucket (${url})`, { store: url, kind: 'migrate' });
    }
    if (this.restrictPaths && name === 'jobs.start') this.checkMigrateFolder(parsed as JobParams);
    if (name === 'jobs.start' && (parsed as JobParams).kind === 'sync' && this.host !== 'cli' && this.host !== 'test') {
      // it reads and writes wherever the request says, with this machine's credentials
      throw new MesDataError('FORBIDDEN', `a sync job copies between places the request names: it is for the command line only, not the ${this.host} host`, { operation: name, kind: 'sync', host: this.host });
    }
    if (this.bucket !== null) {
      // the tree's refresh (its root) first brings the working copy up to date with the bucket
      if (name === 'tree' && (parsed as ApiParsedRequest<'tree'>).path === '') await this.refreshBucket();
    }
    const handler = this.handlers[name] as (request: unknown) => Promise<unknown>;
    return handler(parsed);
  }

  /** Lets this session read or ingest `file` (absolute; an upload, or a file the user picked). */
  grantFile(file: string): void {
    this.granted.add(path.resolve(file));
  }

  /**
   * With `restrictPaths`: a dataset path must be store-relative (the store's resolver keeps
   * it inside) or an absolute path inside the open store or granted to this session; an
   * ingest source (or a single file read) must be absolute and inside the store or granted.
   * Throws FORBIDDEN naming the path otherwise.
   */
  checkPath(requested: string, kind: PathKind): void {
    const absolute = path.isAbsolute(requested);
    if (!absolute && kind === 'dataset') return;
    const resolved = path.resolve(requested);
    if (absolute && this.store && storeRelativeOf(this.store.root, resolved) !== null) {
      // a source inside the store is read as it is: no link on the way may lead out (SYMLINK)
      assertNoSymlinkBelow(this.store.root, resolved);
      return;
    }
    if (this.granted.has(resolved)) return;
    throw new MesDataError('FORBIDDEN', `${requested} is neither in the open store nor a file uploaded or picked in this session`, { path: requested });
  }

  /**
   * With `restrictPaths`: a migrate job converts the open store or the one the host was
   * started with (which it could not open because of its format), never another folder of
   * the machine. FORBIDDEN naming the folder otherwise.
   */
  private checkMigrateFolder(params: JobParams): void {
    if (params.kind !== 'migrate' || params.store === undefined) return;
    const folder = path.resolve(params.store);
    const allowed = [this.store?.root, this.startupStoreError?.path].filter((root): root is string => root !== undefined).map((root) => path.resolve(root));
    if (!allowed.includes(folder)) throw new MesDataError('FORBIDDEN', `${params.store} is not the store this ${this.host} host opened; it migrates only that one`, { path: params.store });
  }

  /** Opens the store a host was started with; a failure is kept for `app.info` instead of thrown. */
  async openAtStartup(dir: string): Promise<void> {
    try {
      await this.invoke('store.open', { path: dir });
    } catch (error) {
      this.startupStoreError = { ...serializeError(error), path: dir };
    }
  }

  async close(): Promise<void> {
    await this.jobs.close();
    await this.ownDecoder?.close();
  }
}

/**
 * A request parsed with the zod schema of its operation (`invoke` does this first); a bad
 * one is BAD_REQUEST naming the operation, with the zod issues in `details.issues`.
 */
export function parseRequest<K extends ApiName>(name: K, request: unknown): ApiParsedRequest<K> {
  const parsed = api[name].request.safeParse(request ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
    throw new BadRequestError(`bad request for ${name}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`, { operation: name, issues });
  }
  return parsed.data as ApiParsedRequest<K>;
}

/** The paths a request names, by kind (the fields `ApiSession.checkPath` looks at). */
function requestPaths(name: ApiName, data: unknown): { path: string; kind: PathKind }[] {
  const request = data as Record<string, unknown>;
  if (name === 'chart.series') return [String(request.path), ...((request.features as { path: string }[] | undefined) ?? []).map((f) => f.path)].map((p) => ({ path: p, kind: 'dataset' as const }));
  if (name === 'dataset.info' || name === 'dataset.resolve' || name === 'rows.page' || name === 'rows.query' || name === 'rows.export') return [{ path: String(request.path), kind: 'dataset' }];
  if (name === 'file.rows' || name === 'file.schema' || name === 'file.meta') return [{ path: String(request.path), kind: 'source' }];
  if (name === 'diff.rows') return [{ path: String(request.a), kind: 'dataset' }, { path: String(request.b), kind: 'dataset' }];
  if (name !== 'jobs.start') return [];
  const params = request as JobParams;
  if (params.kind === 'validate') return [{ path: params.target, kind: 'dataset' }];
  if (params.kind === 'diff') return [{ path: params.a, kind: 'dataset' }, { path: params.b, kind: 'dataset' }];
  if (params.kind === 'ingest') return params.files.map((file) => ({ path: file, kind: 'source' as const }));
  return [];
}

function makeHandlers(session: ApiSession): Handlers {
  return {
    'app.info': () => Promise.resolve({ version: VERSION, host: session.host, store: session.storeName, recentStores: session.recentStores, storeError: session.storeRoot ? null : session.startupStoreError }),

    'store.open': async ({ path: dir, recover }) => {
      if (isBucketUrl(dir)) {
        // a bucket's store: its working copy, pulled now, is the folder opened
        const pulled = await pullBucket(dir, { lockWaitMs: BUCKET_OPEN_WAIT_MS });
        const store = await openStore(pulled.storeDir, { recover });
        session.setStore(store, { url: pulled.url, signature: pulled.signature });
        return { store: pulled.url, formatVersion: store.formatVersion };
      }
      const store = await openStore(localStoreFolder(dir), { recover });
      session.setStore(store);
      return { store: store.root, formatVersion: store.formatVersion };
    },

    'store.init': async ({ path: dir }) => {
      if (isBucketUrl(dir)) {
        // a prefix holding no store gets one, made in the working copy and published
        const pulled = await pullBucket(dir, { lockWaitMs: BUCKET_OPEN_WAIT_MS, create: true });
        const store = await openStore(pulled.storeDir);
        session.setStore(store, { url: pulled.url, signature: pulled.signature });
        return { store: pulled.url, created: pulled.created };
      }
      const { store, created } = await initStore(localStoreFolder(dir));
      session.setStore(store);
      return { store: store.root, created };
    },

    // a window's host asks for the same tree again and again: kept while the catalog's stamp holds (a command asks once)
    tree: async ({ path: treePath, depth }) => (session.host === 'cli' ? await listTree(session.requireStore(), treePath, { depth }) : await session.treeIndex.tree(session.requireStore(), treePath, depth)),

    'tree.search': ({ query, limit }) => session.treeIndex.search(session.requireStore(), query, limit),

    'dataset.info': async ({ path: datasetPath }) => {
      const dataset = await session.datasets.dataset(session.storeRoot, datasetPath);
      const first = dataset.files[0].handle;
      const keyValue = Object.fromEntries(Object.entries(first.info.keyValue).filter(([key]) => key !== 'ARROW:schema'));
      // the sidecar and lineage of the version a name stands for (cleaned/MES → its newest)
      const named = session.storeRoot && !path.isAbsolute(datasetPath) ? resolveDatasetName(session.storeRoot, datasetPath).path : datasetPath;
      const metadata = await datasetSidecar(session.storeRoot, named);
      return {
        path: datasetPath,
        numRows: dataset.numRows,
        files: dataset.files.map((f) => ({ path: f.path, rows: f.handle.numRows, bytes: f.handle.info.bytes, rowStart: f.rowStart })),
        columns: first.schema.fields.map((field) => ({ name: field.name, type: String(field.type), nullable: field.nullable })),
        rowGroups: dataset.files.flatMap((f) =>
          f.handle.info.rowGroups.map((group) => ({ file: f.path, numRows: group.numRows, rowStart: f.rowStart + group.rowStart, columns: group.columns })),
        ),
        keyValue,
        metadata,
        lineage: await datasetLineage(session.storeRoot, named, metadata),
      };
    },

    'dataset.resolve': async ({ path: datasetPath, asOf }) => {
      const storeRoot = session.requireStore().root;
      if (asOf !== undefined) return resolveDatasetAsOf(storeRoot, datasetPath, Date.parse(asOf));
      return path.isAbsolute(datasetPath) ? { path: datasetPath, version: null } : resolveDatasetName(storeRoot, datasetPath);
    },

    // identical requests arriving together (a table's first screen, many clients) share one
    // read, and the last pages are kept (pages of up to 1,000 rows)
    'rows.page': ({ path: datasetPath, offset, limit, columns }) =>
      session.datasets.sharedPages(session.storeRoot, datasetPath, JSON.stringify(['rows.page', offset, limit, columns ?? null]), async (dataset) => {
        const table = await dataset.readRows(offset, limit, columns);
        return { path: datasetPath, numRows: dataset.numRows, offset, columns: table.schema.fields.map((f) => ({ name: f.name, type: String(f.type) })), rows: tableRowsToJson(table) };
      }, { keep: limit <= 1000 }),

    'rows.query': async ({ path: datasetPath, sort, filters, time, sql, offset, limit, timeoutMs }) => {
      const source = await querySource(session, datasetPath);
      const signal = AbortSignal.timeout(timeoutMs);
      if (sql !== undefined) {
        const page = await withQueryTimeout(querySql(source, datasetPath, sql, { offset, limit }, signal), timeoutMs);
        return { path: datasetPath, columns: page.columns, rows: page.rows, totalRows: page.totalRows, offset, views: page.views, microsecond: page.microsecondColumns };
      }
      // a window scrolls on after a first page: its host makes the rest of the sorted order meanwhile (a command prints one page and ends)
      const page = await withQueryTimeout(queryTable(source, { sort, filters, time, offset, limit }, signal, { ahead: session.host !== 'cli' }), timeoutMs);
      return { path: datasetPath, columns: page.columns, rows: page.rows, totalRows: page.totalRows, offset, views: [], microsecond: page.microsecondCompare };
    },

    'rows.export': async ({ path: datasetPath, sort, filters, time, sql, format, name, replace, timeoutMs }) => {
      const store = session.requireStore();
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || name.includes('..')) throw new MesDataError('INVALID_NAME', `"${name}" is not an export name: use letters, digits, ".", "_" and "-"`, { name });
      const folder = path.join(store.root, 'exports');
      fs.mkdirSync(folder, { recursive: true });
      assertNoSymlinkBelow(store.root, folder);
      const target = path.join(folder, `${name}.${format}`);
      if (!replace && fs.existsSync(target)) throw new MesDataError('ALREADY_EXISTS', `exports/${name}.${format} already exists`, { path: `exports/${name}.${format}` });
      const source = await querySource(session, datasetPath);
      const signal = AbortSignal.timeout(timeoutMs);
      const written = await withQueryTimeout(exportQuery(source, datasetPath, sql !== undefined ? { sql } : { query: { sort, filters, time } }, target, format, signal), timeoutMs);
      return { path: `exports/${name}.${format}`, rows: written.rows, capped: written.capped, bytes: fs.statSync(target).size, microsecond: written.microsecond };
    },

    'chart.series': async ({ path: datasetPath, fromMs, toMs, maxBars, features }) => {
      const { listing, derive } = await session.datasets.listing(session.storeRoot, datasetPath);
      const sources = await Promise.all(
        features.map(async (feature) => {
          const of = await session.datasets.listing(session.storeRoot, feature.path);
          return { source: { path: feature.path, listing: of.listing, derive: of.derive }, column: feature.column };
        }),
      );
      const series = await chartSeries({ path: datasetPath, listing, derive }, { fromMs, toMs, maxBars, features: sources });
      return { ...series, features: series.features ?? [] };
    },

    'file.rows': ({ path: file, offset, rows, columns }) => fileRows(file, { offset, rows, columns }),
    'file.schema': async ({ path: file }) => {
      const { path: shown, numRows, columns } = await getParquetSchema(file);
      return { path: shown, numRows, columns };
    },
    'file.meta': ({ path: file }) => getParquetMetadata(file),
    'remote.tree': ({ store, path: treePath, depth }) => remoteView(store).tree(treePath, depth),
    'remote.rows': ({ store, path: key, offset, rows, columns }) => remoteView(store).rows(key, offset, rows, columns),
    'remote.schema': ({ store, path: key }) => remoteView(store).schema(key),
    'file.convert': ({ input, output, compression, rowGroupSize, metadata }) => convertFile(input, output, { compression, rowGroupSize, metadata }),

    'schemas.list': () => Promise.resolve({ schemas: new SchemaRegistry(session.storeRoot).listSchemas() }),
    'schemas.get': ({ name }) => Promise.resolve(new SchemaRegistry(session.storeRoot).getSchema(name)),
    'schemas.register': ({ schema, source }) => Promise.resolve(new SchemaRegistry(session.requireStore().root).registerSchema(schema, source)),
    'instruments.list': () => Promise.resolve({ instruments: new InstrumentRegistry(session.storeRoot).list() }),
    'instruments.get': ({ symbol, fallback }) => {
      const registry = new InstrumentRegistry(session.storeRoot);
      return Promise.resolve(fallback ? (registry.find(symbol) ?? genericInstrument(symbol)) : registry.get(symbol));
    },
    'instruments.register': ({ instrument, replace, source }) =>
      Promise.resolve({ instruments: new InstrumentRegistry(session.requireStore().root).register(instrument, { replace, source }).map((r) => ({ ...r.instrument, status: r.status })) }),
    'instruments.calendar': ({ symbol, year }) => {
      const instrument = new InstrumentRegistry(session.storeRoot).get(symbol);
      const calendarEntries = instrumentCalendar(instrument)
        .entries(year, year)
        .map((e) => ({ date: e.date, close: e.close ?? null, kind: entryKind(e), name: e.name ?? null }));
      return Promise.resolve({ symbol: instrument.symbol, year, calendarEntries });
    },
    'instruments.sessions': ({ symbol, fromMs, toMs }) => {
      const instrument = instrumentFor(session.storeRoot, symbol);
      const calendar = instrumentCalendar(instrument);
      const sessions = sessionsOverlapping(instrument.session, calendar, fromMs, toMs).map((s) => {
        // a session exists, so its entry (if any) is an early close or a holiday session, never closed
        const entry = calendar.entry(s.date);
        const kind: 'regular' | 'early_close' | 'holiday_session' = entry && entryKind(entry) !== 'closed' ? (entryKind(entry) as 'early_close' | 'holiday_session') : 'regular';
        return { ...s, kind, name: entry?.name ?? null };
      });
      return Promise.resolve({ symbol: instrument.symbol, timeZone: instrument.session.timeZone, sessions });
    },

    // one date's rows: the instants of that date bound the join, so it stays light enough for the host's thread
    'diff.rows': ({ a, b, date, kinds, offset, limit }) =>
      diffTargetRows(session.storeRoot, a, b, { date, kinds, offset, limit }, { open: async (target) => (await session.datasets.dataset(session.storeRoot, target)).files.map((f) => ({ file: f.file, handle: f.handle })) }),

    'jobs.start': (params) => Promise.resolve(session.jobs.start(params)),
    'jobs.get': ({ id }) => Promise.resolve(session.jobs.get(id)),
    'jobs.list': () => Promise.resolve({ jobs: session.jobs.list() }),
    'jobs.cancel': ({ id }) => Promise.resolve(session.jobs.cancel(id)),
    'jobs.wait': ({ id, timeoutMs }) => session.jobs.wait(id, timeoutMs),
  };
}

/**
 * A window's host (the app, the browser mode) answers its pages and its tree while a job runs:
 * the job (in the browser mode its process, with DuckDB's threads; in the app its thread, its
 * decoders and writers) runs at a lower priority and DuckDB in it leaves a core free, so a
 * promotion beside the host no longer holds both cores of a two-core machine. The command
 * line's jobs run as fast as they can.
 */
const JOB_NICE = 10;

const windowHost = (host: HostKind) => host === 'browser' || host === 'electron';

function jobThreadSettings(host: HostKind): JobThreadSettings | null {
  if (!windowHost(host)) return null;
  return { nice: JOB_NICE, engineThreads: Math.max(1, os.availableParallelism() - 1) };
}

/** A query cancelled by its timeout is TIMEOUT naming how long it may run, not CANCELLED. */
/** A file's columns from its footer (fileStats.ts), or null: the decoder then reads them and says what is wrong with a file it cannot. */
function ownSchema(file: string | undefined): Schema | null {
  if (file === undefined) return null;
  try {
    assertSafeInOpenStores(file);
    return footerSchema(file);
  } catch {
    return null;
  }
}

/**
 * A dataset as rows.query and rows.export read it: its files as listed (no footer read but
 * the first one's, for the columns), kept with the listing while the files are unchanged.
 */
async function querySource(session: ApiSession, datasetPath: string): Promise<QuerySource> {
  const { listing, derive } = await session.datasets.listing(session.storeRoot, datasetPath);
  // the columns from the first footer, read here (the decoder's threads need not start for them), else by the decoder
  const schema = () => derive('rows.query:schema', async () => ownSchema(listing.files[0]) ?? (await openParquetFile(listing.files[0], { decoder: session.decoder })).schema);
  const identity = await derive('rows.query:identity', () => Promise.resolve(createHash('sha256').update(listing.files.join('\n')).update('\0').update(listing.signature).digest('hex')));
  return { files: listing.files, schema, identity, readRows: (file, from, count, columns) => readParquetRows(listing.files[file], from, count, { columns, decoder: session.decoder }) };
}

async function withQueryTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof MesDataError && error.code === 'CANCELLED') throw new MesDataError('TIMEOUT', `the query ran longer than ${timeoutMs} ms and was stopped`, { timeoutMs });
    throw error;
  }
}
