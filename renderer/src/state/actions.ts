import { isJobOf, type JobKind, type JobParamsInput, type JobState } from '../../../core/api/contract.js';
import { ApiError, invoke } from '../api/transport.ts';
import { asErrorLike, failedJobError, type ErrorLike } from '../api/errorText.ts';
import { expandedPathsToReload, findNode, mergeSubtree, needsLoad, pathToNode, type CatalogNode } from '../tree/treeModel.ts';
import { appStore, type AppError, type Tab } from './appState.ts';

/**
 * What the app does, as plain functions over the shared state: open a store, load and
 * refresh the tree, open datasets, run jobs and follow them to their end. Components call
 * these; nothing here touches the DOM beyond localStorage and the clipboard.
 */

const LAST_STORE_KEY = 'mes-data-last-store';
/** Levels the first tree request loads: layers → assets/versions → dates. */
const TREE_DEPTH = 3;
const WRITER_KINDS = new Set(['ingest', 'promote', 'features']);
const ENDED = new Set(['succeeded', 'failed', 'cancelled']);

let nextErrorId = 1;
let noticeTimer: ReturnType<typeof setTimeout> | null = null;

export function isEnded(job: JobState): boolean {
  return ENDED.has(job.state);
}

/** Records an error for the status bar (the newest 50 are kept) and returns it. */
export function reportError(error: unknown, context: string): AppError {
  const entry: AppError = { ...asErrorLike(error), id: nextErrorId++, at: new Date().toISOString(), context };
  appStore.set((s) => ({ errors: [...s.errors, entry].slice(-50) }));
  return entry;
}

export function dismissErrors(): void {
  appStore.set({ errors: [] });
}

export function setNotice(text: string): void {
  appStore.set({ notice: text });
  if (noticeTimer) clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => appStore.set({ notice: null }), 4000);
}

function rememberStore(path: string): void {
  try {
    localStorage.setItem(LAST_STORE_KEY, path);
  } catch {
    // private mode or storage disabled: nothing to remember with
  }
}

function rememberedStore(): string | null {
  try {
    return localStorage.getItem(LAST_STORE_KEY);
  } catch {
    return null;
  }
}

/**
 * Asks the host what is running. Without an open store, reopens the store this browser
 * used last (a failure there is shown on the startup screen, with its code).
 */
export async function loadInfo(options: { reopen?: boolean } = {}): Promise<void> {
  try {
    const info = await invoke('app.info', {});
    appStore.set({ info, infoError: null });
    if (info.store) {
      rememberStore(info.store);
      await Promise.all([refreshTree(), loadJobs()]);
      return;
    }
    // the host's own store failed to open: say why on the startup screen
    if (info.storeError) {
      appStore.set({ storeError: info.storeError });
      return;
    }
    const last = options.reopen ? rememberedStore() : null;
    if (last) await openStore(last, false);
  } catch (error) {
    appStore.set({ infoError: asErrorLike(error) });
  }
}

/** Opens (or with `create`, creates) a store and shows it. Failures go to the startup screen. */
export async function openStore(path: string, create: boolean): Promise<boolean> {
  const trimmed = path.trim();
  if (!trimmed) {
    appStore.set({ storeError: { code: 'BAD_REQUEST', message: 'type the path of a store folder first', details: {}, path: '' } });
    return false;
  }
  try {
    const opened = create ? (await invoke('store.init', { path: trimmed })).store : (await invoke('store.open', { path: trimmed })).store;
    rememberStore(opened);
    appStore.set({ storeError: null, showStartup: false, tree: null, selected: null, selectedRow: null, validations: {}, expanded: new Set(['raw', 'cleaned', 'features']) });
    const info = await invoke('app.info', {});
    appStore.set({ info });
    await refreshTree();
    return true;
  } catch (error) {
    appStore.set({ storeError: { ...asErrorLike(error), path: trimmed } });
    return false;
  }
}

export function showStartup(show: boolean): void {
  appStore.set({ showStartup: show, storeError: null });
}

async function fetchSubtree(path: string): Promise<CatalogNode | null> {
  try {
    return await invoke('tree', { path, depth: 1 });
  } catch (error) {
    if (asErrorLike(error).code === 'NOT_FOUND') return null;
    throw error;
  }
}

let refreshing: Promise<void> | null = null;
let refreshAgain = false;

/** Reloads the tree (and every node opened deeper than the first load), keeping what is open. */
export function refreshTree(): Promise<void> {
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      refreshAgain = false;
      appStore.set({ treeLoading: true });
      try {
        let root = await invoke('tree', { path: '', depth: TREE_DEPTH });
        const { expanded } = appStore.get();
        const previous = appStore.get().tree;
        for (const path of expandedPathsToReload(previous, expanded, TREE_DEPTH)) {
          const subtree = await fetchSubtree(path);
          if (subtree && findNode(root, path)) root = mergeSubtree(root, subtree);
        }
        appStore.set((s) => ({ tree: root, treeError: null, treeLoading: false, dataVersion: s.dataVersion + 1 }));
      } catch (error) {
        appStore.set({ treeError: asErrorLike(error), treeLoading: false });
      }
    } while (refreshAgain);
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/** Fetches the children of a node opened for the first time. */
async function loadChildren(path: string): Promise<void> {
  const { tree, loadingPaths } = appStore.get();
  if (!tree || loadingPaths.has(path)) return;
  appStore.set((s) => ({ loadingPaths: new Set([...s.loadingPaths, path]) }));
  try {
    const subtree = await invoke('tree', { path, depth: 1 });
    appStore.set((s) => ({ tree: s.tree ? mergeSubtree(s.tree, subtree) : s.tree }));
  } catch (error) {
    reportError(error, `Listing ${path}`);
  } finally {
    appStore.set((s) => {
      const next = new Set(s.loadingPaths);
      next.delete(path);
      return { loadingPaths: next };
    });
  }
}

export function expand(path: string): void {
  appStore.set((s) => ({ expanded: new Set([...s.expanded, path]) }));
  const node = appStore.get().tree && findNode(appStore.get().tree as CatalogNode, path);
  if (node && needsLoad(node)) void loadChildren(path);
}

export function collapse(path: string): void {
  appStore.set((s) => {
    const next = new Set(s.expanded);
    next.delete(path);
    return { expanded: next };
  });
}

export function toggleExpand(path: string): void {
  if (appStore.get().expanded.has(path)) collapse(path);
  else expand(path);
}

/** Opens every node on the way to `path`, fetching levels not loaded yet. */
export async function revealPath(path: string): Promise<void> {
  for (let round = 0; round < 8; round++) {
    const { tree } = appStore.get();
    if (!tree) return;
    const chain = pathToNode(tree, path);
    const toOpen = chain.filter((node) => node.path !== path).map((node) => node.path);
    appStore.set((s) => ({ expanded: new Set([...s.expanded, ...toOpen]) }));
    const last = chain[chain.length - 1];
    if (!last || last.path === path) return;
    if (!needsLoad(last)) return;
    await loadChildren(last.path);
  }
}

/** Shows a dataset in the centre (and, with `reveal`, opens the tree down to it). */
export function openDataset(path: string, options: { reveal?: boolean; tab?: Tab } = {}): void {
  appStore.set((s) => ({
    selected: path,
    selectedRow: s.selectedRow?.path === path ? s.selectedRow : null,
    tab: options.tab ?? s.tab,
    reportHidden: false,
  }));
  if (options.reveal) void revealPath(path);
}

let rowNonce = 1;

/** Selects a row of a dataset; with `showTable`, switches to the Table tab to show it. */
export function selectRow(path: string, row: number, options: { showTable?: boolean } = {}): void {
  appStore.set((s) => ({ selectedRow: { path, row, nonce: rowNonce++ }, tab: options.showTable ? 'table' : s.tab, selected: path }));
}

export function setTab(tab: Tab): void {
  appStore.set({ tab });
}

export function setTimeMode(mode: 'utc' | 'exchange'): void {
  appStore.set({ timeMode: mode });
}

// ---------------------------------------------------------------------------------------
// jobs
// ---------------------------------------------------------------------------------------

const refreshedFor = new Set<string>();

/** A job's state from anywhere (host event, wait, start): kept, and the tree refreshed once a writer succeeds. */
function noteJob(job: JobState): void {
  const known = appStore.get().jobs[job.id];
  // an older snapshot arriving late must not step a finished job back
  if (known && isEnded(known) && !isEnded(job)) return;
  appStore.set((s) => ({ jobs: { ...s.jobs, [job.id]: job } }));
  if (job.state === 'succeeded' && WRITER_KINDS.has(job.kind) && !refreshedFor.has(job.id)) {
    refreshedFor.add(job.id);
    void refreshTree();
  }
  const run = Object.values(appStore.get().validations).find((v) => v.jobId === job.id);
  if (run && isEnded(job) && run.state === 'running') finishValidation(run.target, job);
}

/** The job as the host sent it, of the kind it was started as (a host that answers otherwise is INTERNAL). */
function ofKind<K extends JobKind>(job: JobState, kind: K): JobState<K> {
  if (!isJobOf(job, kind)) throw new ApiError({ code: 'INTERNAL', message: `the host answered with a ${job.kind} job for a ${kind} job`, details: { id: job.id, kind: job.kind } });
  return job;
}

/**
 * Starts a job and follows it to its end: progress arrives as host events; a long-poll on
 * `jobs.wait` makes sure the end is seen even if an event is lost. Resolves with the final
 * state (failed and cancelled included), its `result` typed by the kind (the contract's
 * `JobResult<K>`); rejects only when the job could not start or the host answers with a job
 * of another kind.
 */
export async function runJob<K extends JobKind>(params: JobParamsInput & { kind: K }, onUpdate?: (job: JobState<K>) => void): Promise<JobState<K>> {
  let job = ofKind(await invoke('jobs.start', params), params.kind);
  noteJob(job);
  onUpdate?.(job);
  const unsubscribe = subscribeJob(job.id, (update) => {
    if (isJobOf(update, params.kind)) onUpdate?.(update);
  });
  try {
    while (!isEnded(job)) {
      job = ofKind(await invoke('jobs.wait', { id: job.id, timeoutMs: 10_000 }), params.kind);
      noteJob(job);
      onUpdate?.(job);
    }
    return job;
  } finally {
    unsubscribe();
  }
}

const jobListeners = new Map<string, Set<(job: JobState) => void>>();

function subscribeJob(id: string, listener: (job: JobState) => void): () => void {
  const set = jobListeners.get(id) ?? new Set();
  set.add(listener);
  jobListeners.set(id, set);
  return () => {
    set.delete(listener);
    if (set.size === 0) jobListeners.delete(id);
  };
}

/** A job event from the host. */
export function onJobEvent(job: JobState): void {
  noteJob(job);
  for (const listener of jobListeners.get(job.id) ?? []) listener(job);
}

/**
 * The jobs of the host's session (running, and the last that ended, with their results and
 * errors): what the jobs panel shows after a reload of the page. Jobs that ended before are
 * not taken as news (the tree is not refreshed for them).
 */
export async function loadJobs(): Promise<void> {
  try {
    const { jobs } = await invoke('jobs.list', {});
    for (const job of jobs) {
      if (isEnded(job)) refreshedFor.add(job.id);
      noteJob(job);
    }
    appStore.set({ jobsError: null });
  } catch (error) {
    appStore.set({ jobsError: asErrorLike(error) });
  }
}

export async function cancelJob(id: string): Promise<void> {
  try {
    noteJob(await invoke('jobs.cancel', { id }));
  } catch (error) {
    reportError(error, `Cancelling job ${id}`);
  }
}

// ---------------------------------------------------------------------------------------
// validation
// ---------------------------------------------------------------------------------------

function finishValidation(target: string, job: JobState): void {
  const report = job.state === 'succeeded' && isJobOf(job, 'validate') ? (job.result ?? null) : null;
  const error: ErrorLike | null =
    job.state === 'succeeded'
      ? report
        ? null
        : { code: 'INTERNAL', message: 'the validation job ended without a report', details: {} }
      : failedJobError(job.error, 'the validation job', job.state);
  appStore.set((s) => ({
    validations: { ...s.validations, [target]: { ...s.validations[target], state: error ? 'failed' : 'done', report, error } },
  }));
}

/** Validates a dataset against a schema; the report panel follows the job. */
export async function startValidation(target: string, schema: string, mode: 'strict' | 'coerce' | 'ignore'): Promise<void> {
  appStore.set((s) => ({
    reportHidden: false,
    validations: { ...s.validations, [target]: { target, schema, mode, jobId: null, state: 'running', report: null, error: null } },
  }));
  try {
    const started = await invoke('jobs.start', { kind: 'validate', target, schema, mode });
    appStore.set((s) => ({ validations: { ...s.validations, [target]: { ...s.validations[target], jobId: started.id } } }));
    noteJob(started);
    let job = started;
    while (!isEnded(job)) {
      job = await invoke('jobs.wait', { id: job.id, timeoutMs: 10_000 });
      noteJob(job);
    }
  } catch (error) {
    appStore.set((s) => ({ validations: { ...s.validations, [target]: { ...s.validations[target], state: 'failed', error: asErrorLike(error) } } }));
  }
}

export function hideReport(hidden: boolean): void {
  appStore.set({ reportHidden: hidden });
}

// ---------------------------------------------------------------------------------------
// clipboard
// ---------------------------------------------------------------------------------------

/** Copies text; falls back to a hidden textarea where the async clipboard is refused. */
export async function copyToClipboard(text: string, what: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
  setNotice(`Copied ${what}`);
}

/** Dialogs. */
export function openDialog(dialog: NonNullable<ReturnType<typeof appStore.get>['dialog']>): void {
  appStore.set({ dialog });
}

export function closeDialog(): void {
  appStore.set({ dialog: null });
}
