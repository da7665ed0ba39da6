import type { ApiResponse, JobState, ValidationReport } from '../../../core/api/contract.js';
import type { ErrorLike } from '../api/errorText.ts';
import type { TimeMode } from '../table/cellFormat.ts';
import type { CatalogNode } from '../tree/treeModel.ts';
import { createStore, useStore } from './store.ts';

/** The app's shared state: what is open, selected and running. */

export type Tab = 'table' | 'chart' | 'schema' | 'metadata';
export const TABS: { id: Tab; label: string }[] = [
  { id: 'table', label: 'Table' },
  { id: 'chart', label: 'Chart' },
  { id: 'schema', label: 'Schema & stats' },
  { id: 'metadata', label: 'Metadata & lineage' },
];

type AppInfo = ApiResponse<'app.info'>;

export interface AppError extends ErrorLike {
  id: number;
  at: string;
  /** What the app was doing ("Opening raw/MES/2024-01-03"). */
  context: string;
}

/** The validation of one dataset: running, done with a report, or failed. */
export interface ValidationRun {
  target: string;
  schema: string;
  mode: string;
  jobId: string | null;
  state: 'running' | 'done' | 'failed';
  report: ValidationReport | null;
  error: ErrorLike | null;
}

/** A row picked somewhere (a chart bar, a validation issue, go-to-row) for the table to show. */
interface RowSelection {
  path: string;
  row: number;
  /** Changes on every request, so picking the same row again scrolls to it again. */
  nonce: number;
}

type DialogState =
  | null
  | { kind: 'validate'; target: string }
  | { kind: 'promote'; asset: string }
  | { kind: 'ingest'; files: File[]; paths: string[] }
  | { kind: 'features'; asset: string | null; from?: string }
  | { kind: 'jobs' }
  | { kind: 'shortcuts' };

interface AppState {
  info: AppInfo | null;
  /** Set when app.info itself failed (the host is unreachable). */
  infoError: ErrorLike | null;
  /** The last store that could not be opened, for the startup screen. */
  storeError: (ErrorLike & { path: string }) | null;
  /** The user asked for the startup screen while a store is open (to switch). */
  showStartup: boolean;
  tree: CatalogNode | null;
  treeLoading: boolean;
  treeError: ErrorLike | null;
  expanded: ReadonlySet<string>;
  /** Paths whose children are being fetched. */
  loadingPaths: ReadonlySet<string>;
  /** The dataset open in the centre. */
  selected: string | null;
  /** Changes when the tree is refreshed, so views reload what they show. */
  dataVersion: number;
  tab: Tab;
  timeMode: TimeMode;
  selectedRow: RowSelection | null;
  validations: Readonly<Record<string, ValidationRun>>;
  /** Close the validation panel for a dataset without forgetting the report. */
  reportHidden: boolean;
  jobs: Readonly<Record<string, JobState>>;
  /** Why the host's jobs list could not be fetched (the jobs panel says so). */
  jobsError: ErrorLike | null;
  errors: readonly AppError[];
  dialog: DialogState;
  /** A short message in the status bar ("Copied 1 cell"). */
  notice: string | null;
  dragging: boolean;
}

export const appStore = createStore<AppState>({
  info: null,
  infoError: null,
  storeError: null,
  showStartup: false,
  tree: null,
  treeLoading: false,
  treeError: null,
  expanded: new Set(['raw', 'cleaned', 'features']),
  loadingPaths: new Set(),
  selected: null,
  dataVersion: 0,
  tab: 'table',
  timeMode: 'utc',
  selectedRow: null,
  validations: {},
  reportHidden: false,
  jobs: {},
  jobsError: null,
  errors: [],
  dialog: null,
  notice: null,
  dragging: false,
});

export function useAppState<T>(selector: (state: AppState) => T): T {
  return useStore(appStore, selector);
}
