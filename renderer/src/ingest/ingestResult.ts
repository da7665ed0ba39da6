/**
 * The ingest job's result as the dialog reads it. Its shape follows CLI.md's `ingest` JSON
 * (`{snapshots, rowsRead, rowsWritten, badRows, mapping, timezone}`), and a dry run adds
 * what the reader found per file (dialect, preview rows, the snapshots it would write);
 * those may come at the top level or per file (`files` / `reports`). Everything is read
 * defensively: what is missing is shown as missing, never as a crash.
 */

export interface IngestSnapshot {
  asset: string;
  date: string;
  path: string;
  rows: number | null;
  status: string;
  firstTimestamp?: string;
  lastTimestamp?: string;
}

export interface IngestFileView {
  source: string;
  format: string;
  dialect: Record<string, unknown> | null;
  mapping: Record<string, string>;
  columns: { name: string; type: string }[];
  timezone: string;
  asset: string;
  preview: Record<string, unknown>[];
  badRows: { line: number; reason: string }[];
  badRowCount: number;
  rowsRead: number | null;
  rowsWritten: number | null;
  dateSpan: { first: string; last: string } | null;
  dst: { gaps: number; repeats: number } | null;
}

export interface IngestView {
  files: IngestFileView[];
  snapshots: IngestSnapshot[];
  rowsRead: number | null;
  rowsWritten: number | null;
  badRows: { line: number; reason: string; source?: string }[];
  badRowCount: number;
  mapping: Record<string, string>;
  timezone: string;
  asset: string;
  dryRun: boolean;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const str = (value: unknown): string => (typeof value === 'string' ? value : '');

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isRecord(value)) for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

function badRowsOf(value: unknown, source?: string): { line: number; reason: string; source?: string }[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isRecord).map((row) => {
    const from = source ?? (str(row.file) || str(row.source));
    return { line: num(row.line) ?? 0, reason: str(row.reason), ...(from ? { source: from } : {}) };
  });
}

function snapshotOf(value: unknown): IngestSnapshot | null {
  if (!isRecord(value)) return null;
  return {
    asset: str(value.asset),
    date: str(value.date),
    path: str(value.path),
    rows: num(value.rows),
    // a dry run's snapshots are the ones it would write
    status: value.status === 'dry-run' ? 'would write' : str(value.status),
    firstTimestamp: typeof value.firstTimestamp === 'string' ? value.firstTimestamp : undefined,
    lastTimestamp: typeof value.lastTimestamp === 'string' ? value.lastTimestamp : undefined,
  };
}

function fileOf(value: Record<string, unknown>): IngestFileView {
  const source = isRecord(value.source) ? str(value.source.name) || str(value.source.path) : str(value.name) || str(value.source) || str(value.file) || baseName(str(value.path));
  const span = isRecord(value.dateSpan) ? { first: str(value.dateSpan.first), last: str(value.dateSpan.last) } : null;
  const dst = isRecord(value.dst) ? { gaps: num(value.dst.gaps) ?? 0, repeats: num(value.dst.repeats) ?? 0 } : null;
  const badRows = badRowsOf(value.badRows);
  return {
    source,
    format: str(value.format) || (isRecord(value.dialect) ? str(value.dialect.format) : ''),
    dialect: isRecord(value.dialect) ? value.dialect : null,
    mapping: stringRecord(value.mapping),
    columns: Array.isArray(value.columns) ? value.columns.filter(isRecord).map((c) => ({ name: str(c.name), type: str(c.type) })) : [],
    timezone: str(value.timezone),
    asset: str(value.asset),
    preview: Array.isArray(value.preview) ? value.preview.filter(isRecord) : [],
    badRows,
    badRowCount: num(value.badRowCount) ?? badRows.length,
    rowsRead: num(value.rowsRead),
    rowsWritten: num(value.rowsWritten),
    dateSpan: span,
    dst,
  };
}

function looksLikeFile(value: Record<string, unknown>): boolean {
  return 'dialect' in value || 'preview' in value || 'partitions' in value || 'format' in value;
}

export function parseIngestResult(value: unknown, dryRun: boolean): IngestView {
  const top = isRecord(value) ? value : {};
  const perFile = [top.files, top.reports, top.sources].find((list): list is unknown[] => Array.isArray(list) && list.some(isRecord));
  const files = perFile ? perFile.filter(isRecord).filter(looksLikeFile).map(fileOf) : looksLikeFile(top) ? [fileOf(top)] : [];
  const fileRecords = perFile ? perFile.filter(isRecord) : [top];
  let snapshots = (Array.isArray(top.snapshots) ? top.snapshots : []).map(snapshotOf).filter((s): s is IngestSnapshot => s !== null);
  if (snapshots.length === 0) {
    // a dry run names the snapshots it would write as partitions
    snapshots = fileRecords
      .flatMap((f): unknown[] => (Array.isArray(f.partitions) ? (f.partitions as unknown[]) : Array.isArray(f.snapshots) ? (f.snapshots as unknown[]) : []))
      .map(snapshotOf)
      .filter((s): s is IngestSnapshot => s !== null)
      .map((s) => ({ ...s, status: s.status || (dryRun ? 'would write' : '') }));
  }
  const badRows = Array.isArray(top.badRows) ? badRowsOf(top.badRows) : files.flatMap((f) => f.badRows.map((row) => ({ ...row, source: f.source })));
  const first = files[0];
  return {
    files,
    snapshots,
    rowsRead: num(top.rowsRead) ?? (files.length > 0 ? files.reduce((s, f) => s + (f.rowsRead ?? 0), 0) : null),
    rowsWritten: num(top.rowsWritten) ?? (files.length > 0 ? files.reduce((s, f) => s + (f.rowsWritten ?? 0), 0) : null),
    badRows,
    badRowCount: num(top.badRowCount) ?? (files.length > 0 ? files.reduce((s, f) => s + f.badRowCount, 0) : badRows.length),
    mapping: Object.keys(stringRecord(top.mapping)).length > 0 ? stringRecord(top.mapping) : (first?.mapping ?? {}),
    timezone: str(top.timezone) || first?.timezone || '',
    asset: str(top.asset) || first?.asset || snapshots[0]?.asset || '',
    dryRun: typeof top.dryRun === 'boolean' ? top.dryRun : dryRun,
  };
}

/** Source columns a mapping can choose from: the dialect's columns, else the mapping's sources. */
export function sourceColumns(view: IngestView): string[] {
  const fromDialect = view.files.flatMap((f) => (f.dialect && Array.isArray(f.dialect.columns) ? f.dialect.columns.filter((c): c is string => typeof c === 'string') : []));
  const names = fromDialect.length > 0 ? fromDialect : Object.values(view.mapping);
  return [...new Set(names)];
}

/** The target columns a mapping can set. */
export const MAPPING_TARGETS = ['timestamp', 'date', 'time', 'open', 'high', 'low', 'close', 'volume', 'adj_close', 'open_interest', 'bid', 'ask', 'bid_size', 'ask_size', 'price', 'size'] as const;

/** An uploaded file's name without the host's upload folder. */
export function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}
