import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { makeData, makeVector, Table, TimestampNanosecond, type Vector } from 'apache-arrow';
import { takeRows } from '../arrow/takeRows.js';
import { BadRequestError, CancelledError, NotFoundError, ValidationGateError } from '../errors.js';
import { readParquet } from '../parquet/parquetFile.js';
import type { Compression } from '../parquet/writeParquet.js';
import { DataSchema, timestampColumnOf } from '../schema/dataSchema.js';
import { MetadataManager, type Dependency } from '../store/metadataManager.js';
import { rawDatePath, SIDECAR, type Store } from '../store/storeLayout.js';
import { checkAssetName } from '../store/storeNames.js';
import { writeCleanedData, type TablePart } from '../store/layerIO.js';
import { timestampColumn } from '../validation/columnData.js';
import { validateTable } from '../validation/validateTable.js';
import { collectingEveryRow, type EnforcementMode, type ValidationIssue, type ValidationReport } from '../validation/validationReport.js';

/**
 * Promotion raw → cleaned: the raw snapshots of an asset (all, or a date range) are read one
 * trading date at a time, validated against a schema (the gate), cleaned — sorted by time,
 * duplicate timestamps resolved by keeping the last, and with `onInvalid: 'drop'` the rows
 * breaking error rules removed — and written as one new cleaned version, partitioned by
 * trading date (`date=YYYY-MM-DD/`), in one commit. Memory holds one date at a time.
 */

/** Rules cleaning resolves itself, so they do not stop promotion. */
const RESOLVED_BY_CLEANING = new Set(['sorted_timestamp', 'unique_timestamp']);
/** Bumped when cleaning changes, so the same inputs give a new version. */
const RECIPE_VERSION = '1';

export interface PromoteOptions {
  asset: string;
  from?: string;
  to?: string;
  schema: DataSchema;
  mode?: EnforcementMode;
  onInvalid?: 'fail' | 'drop';
  compression?: Compression;
  message?: string;
  /** Check the gate and count what cleaning would drop; write nothing. */
  dryRun?: boolean;
  signal?: AbortSignal;
  progress?: (update: { fraction: number; stage: string; rows: number }) => void;
}

export interface PromoteResult {
  /** `vN`, or null for a dry run */
  version: string | null;
  path: string | null;
  rows: number;
  inputs: { path: string; sha256: string }[];
  /** the gate: validation of the raw rows as read (row numbers in their concatenated order) */
  report: ValidationReport;
  /** rows removed (or, in a dry run, that would be), per rule (duplicates: `unique_timestamp`) */
  dropped: Record<string, number>;
  status: 'created' | 'unchanged' | 'dry-run';
}

interface RawDate {
  date: string;
  files: { absolute: string; path: string; sha256: string; rows: number }[];
}

async function rawDates(store: Store, asset: string, from?: string, to?: string): Promise<RawDate[]> {
  const assetDir = path.join(store.root, 'raw', asset);
  let names: string[];
  try {
    names = (await fs.readdir(assetDir)).filter((n) => /^\d{4}-\d{2}-\d{2}$/.test(n)).sort();
  } catch {
    throw new NotFoundError(`no raw data for ${asset} in ${store.root}`, { asset });
  }
  const selected = names.filter((d) => (!from || d >= from) && (!to || d <= to));
  const dates: RawDate[] = [];
  for (const date of selected) {
    const folder = rawDatePath(asset, date);
    const sidecarFile = path.join(store.root, folder, SIDECAR);
    let sidecar;
    try {
      sidecar = await MetadataManager.readMetadataFile(sidecarFile, { validate: false });
    } catch {
      continue; // a date folder without its sidecar is not committed yet
    }
    const files = [...sidecar.files]
      .sort((a, b) => (a.path < b.path ? -1 : 1))
      .map((f) => ({ absolute: path.join(store.root, folder, f.path), path: `${folder}/${f.path}`, sha256: f.sha256, rows: f.rows }));
    if (files.length > 0) dates.push({ date, files });
  }
  if (dates.length === 0) {
    throw new NotFoundError(`no raw snapshots of ${asset}${from || to ? ` between ${from ?? 'the start'} and ${to ?? 'the end'}` : ''}`, { asset, from, to });
  }
  return dates;
}

async function readDate(raw: RawDate): Promise<Table> {
  const parts = await Promise.all(raw.files.map((f) => readParquet(f.absolute)));
  return parts.slice(1).reduce((table, part) => table.concat(part), parts[0]);
}

function shift(issue: ValidationIssue, offset: number): ValidationIssue {
  return { ...issue, rows: issue.rows.map((r) => r + offset) };
}

/** Merges per-date reports into one report over the concatenated rows. */
function mergeReports(target: string, schema: DataSchema, mode: EnforcementMode, parts: { report: ValidationReport; offset: number }[]): ValidationReport {
  const byKey = new Map<string, ValidationIssue>();
  const order: string[] = [];
  const nullCounts: Record<string, number> = {};
  let rowCount = 0;
  let present = 0;
  let cells = 0;
  const coercions: ValidationReport['coercions'] = {};
  for (const { report, offset } of parts) {
    rowCount += report.rowCount;
    for (const issue of [...report.errors, ...report.warnings]) {
      const key = `${issue.severity}|${issue.rule}|${issue.code}|${issue.column ?? ''}`;
      const shifted = shift(issue, offset);
      const existing = byKey.get(key);
      if (!existing) {
        byKey.set(key, shifted);
        order.push(key);
      } else {
        existing.count += shifted.count;
        existing.rows = [...existing.rows, ...shifted.rows].slice(0, 100);
      }
    }
    for (const [column, n] of Object.entries(report.metrics.nullCounts)) nullCounts[column] = (nullCounts[column] ?? 0) + n;
    const required = schema.columns.filter((c) => c.required).length;
    cells += required * report.rowCount;
    present += (report.metrics.completenessPercentage / 100) * required * report.rowCount;
    for (const [column, c] of Object.entries(report.coercions)) {
      const prior = coercions[column];
      coercions[column] = prior ? { ...prior, count: prior.count + c.count } : { ...c };
    }
  }
  const issues = order.map((k) => byKey.get(k) as ValidationIssue);
  for (const issue of issues) {
    if (issue.rows.length > 0) issue.message = issue.message.replace(/first (?:at|before) row \d+/, (m) => m.replace(/\d+$/, String(issue.rows[0])));
  }
  const duplicates = issues.filter((i) => i.rule === 'unique_timestamp').reduce((s, i) => s + i.count, 0);
  return {
    target,
    schema: schema.name,
    schemaVersion: schema.version,
    mode,
    valid: !issues.some((i) => i.severity === 'error'),
    rowCount,
    errors: issues.filter((i) => i.severity === 'error'),
    warnings: issues.filter((i) => i.severity === 'warning'),
    metrics: {
      nullCounts,
      completenessPercentage: cells === 0 ? 100 : Math.round((present / cells) * 1e6) / 1e4,
      duplicateTimestamps: duplicates,
      gapCount: 0,
      missingBars: 0,
      barIntervalSeconds: null,
    },
    coercions,
  };
}

/** Session gaps across the whole selection (they cross date boundaries): timestamps only. */
function gapIssue(timestamps: BigInt64Array, schema: DataSchema): { issue: ValidationIssue | null; gaps: number; missing: number; interval: number | null } {
  const ts = makeVector(makeData({ type: new TimestampNanosecond('UTC'), length: timestamps.length, data: timestamps }));
  const onlyGaps = DataSchema.parse({ ...schema, columns: [{ name: 'timestamp', type: 'timestamp', nullable: true }], rules: { session_gap: schema.rules.session_gap ?? {} }, primaryKey: [], sortKey: [], timestampColumn: 'timestamp' });
  const { report } = validateTable(new Table({ timestamp: ts }), onlyGaps);
  const issue = [...report.errors, ...report.warnings].find((i) => i.rule === 'session_gap') ?? null;
  return { issue, gaps: report.metrics.gapCount, missing: report.metrics.missingBars, interval: report.metrics.barIntervalSeconds ?? null };
}

/** Sorts by time (stable), keeps the last of rows sharing a timestamp, removes `drop` rows; counts what went. */
function clean(table: Table, drop: Uint8Array | null, tsName: string): { table: Table; duplicates: number } {
  const ts = timestampColumn(table.getChild(tsName) as Vector).ns;
  const order = Array.from({ length: table.numRows }, (_, i) => i).filter((i) => !drop || drop[i] === 0);
  order.sort((a, b) => (ts[a] < ts[b] ? -1 : ts[a] > ts[b] ? 1 : a - b));
  const keep: number[] = [];
  let duplicates = 0;
  for (let k = 0; k < order.length; k++) {
    if (k + 1 < order.length && ts[order[k + 1]] === ts[order[k]]) {
      duplicates++;
      continue;
    }
    keep.push(order[k]);
  }
  return { table: takeRows(table, keep), duplicates };
}

/**
 * Promotes raw snapshots of an asset to a new cleaned version. Throws NOT_FOUND when there is
 * nothing to promote, VALIDATION_GATE (details: the report) when `onInvalid` is `fail` and the
 * gate found errors cleaning cannot resolve — or, with `drop`, errors no row removal fixes
 * (missing columns, wrong types) — and CANCELLED; in every such case nothing is written.
 */
export async function promoteRaw(store: Store, options: PromoteOptions): Promise<PromoteResult> {
  const asset = checkAssetName(options.asset);
  const mode = options.mode ?? 'strict';
  const onInvalid = options.onInvalid ?? 'fail';
  const compression = options.compression ?? 'zstd';
  const schema = options.schema;
  const tsName = timestampColumnOf(schema);
  if (!tsName) throw new BadRequestError(`schema "${schema.name}" names no timestamp column to order bars by`, { schema: schema.name });
  const progress = options.progress ?? (() => undefined);
  const checkCancel = () => {
    if (options.signal?.aborted) throw new CancelledError(`promotion of ${asset}: cancelled, nothing written`);
  };
  const dates = await rawDates(store, asset, options.from, options.to);
  const inputs = dates.flatMap((d) => d.files.map((f) => ({ path: f.path, sha256: f.sha256 })));
  const gateSchema = DataSchema.parse({ ...schema, rules: Object.fromEntries(Object.entries(schema.rules).filter(([rule]) => rule !== 'session_gap')) });

  // pass 1: the gate, one date at a time
  const parts: { report: ValidationReport; offset: number }[] = [];
  const timestamps: bigint[] = [];
  let offset = 0;
  for (const [k, raw] of dates.entries()) {
    checkCancel();
    const table = await readDate(raw);
    const { report, table: enforced } = validateTable(table, gateSchema, { mode, target: `raw/${asset}/${raw.date}` });
    parts.push({ report, offset });
    const tsVector = enforced.getChild(tsName);
    if (tsVector && report.errors.every((e) => e.rule !== 'type' || e.column !== tsName)) {
      const ns = timestampColumn(tsVector).ns;
      const sorted = Array.from(ns).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      timestamps.push(...sorted);
    }
    offset += table.numRows;
    progress({ fraction: (0.5 * (k + 1)) / dates.length, stage: `checking ${raw.date}`, rows: offset });
  }
  const report = mergeReports(`raw/${asset}${options.from || options.to ? ` ${options.from ?? ''}..${options.to ?? ''}` : ''}`, schema, mode, parts);
  if (schema.rules.session_gap && schema.rules.session_gap.enabled !== false && timestamps.length > 1) {
    const all = BigInt64Array.from(timestamps.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    const gaps = gapIssue(all, schema);
    report.metrics.gapCount = gaps.gaps;
    report.metrics.missingBars = gaps.missing;
    report.metrics.barIntervalSeconds = gaps.interval;
    // rows of the gap issue are positions in time order; the sorted raw order is what promotion writes
    if (gaps.issue) (gaps.issue.severity === 'error' ? report.errors : report.warnings).push(gaps.issue);
    report.valid = report.errors.length === 0;
  }

  const blocking = report.errors.filter((e) => !RESOLVED_BY_CLEANING.has(e.rule));
  const unfixable = blocking.filter((e) => e.rule === 'required_column' || e.rule === 'type' || e.rule === 'session_gap');
  if ((onInvalid === 'fail' && blocking.length > 0) || unfixable.length > 0) {
    const rules = [...new Set((onInvalid === 'fail' ? blocking : unfixable).map((e) => e.rule))];
    throw new ValidationGateError(
      `promotion of ${asset} stopped at the validation gate: ${rules.map((r) => `${r} (${report.errors.filter((e) => e.rule === r).reduce((s, e) => s + e.count, 0)})`).join(', ')}${onInvalid === 'fail' && unfixable.length === 0 ? '; use --on-invalid drop to remove the offending rows' : ''}; nothing was written`,
      { asset, report },
    );
  }
  const dropped: Record<string, number> = {};
  const recipe = { name: 'promote', version: RECIPE_VERSION, parameters: { schema: schema.name, schemaVersion: schema.version, mode, onInvalid, compression, from: options.from ?? null, to: options.to ?? null } };
  const fingerprint = crypto.createHash('sha256').update(JSON.stringify({ inputs, recipe })).digest('hex');

  // pass 2: clean, one date at a time (a dry run stops before writing, with exact counts)
  let written = 0;
  const partsToWrite: TablePart[] = [];
  const writtenReports: { report: ValidationReport; offset: number }[] = [];
  for (const [k, raw] of dates.entries()) {
    checkCancel();
    const table = await readDate(raw);
    const result = collectingEveryRow(() => validateTable(table, gateSchema, { mode }));
    let drop: Uint8Array | null = null;
    if (onInvalid === 'drop') {
      for (const issue of result.report.errors) {
        if (RESOLVED_BY_CLEANING.has(issue.rule) || issue.rows.length === 0) continue;
        drop ??= new Uint8Array(table.numRows);
        dropped[issue.rule] = (dropped[issue.rule] ?? 0) + issue.count;
        for (const row of issue.rows) drop[row] = 1;
      }
    }
    const cleaned = clean(result.table, drop, tsName);
    if (cleaned.duplicates > 0) dropped.unique_timestamp = (dropped.unique_timestamp ?? 0) + cleaned.duplicates;
    writtenReports.push({ report: validateTable(cleaned.table, gateSchema, { mode }).report, offset: written });
    written += cleaned.table.numRows;
    if (cleaned.table.numRows > 0 && !options.dryRun) partsToWrite.push({ table: cleaned.table, partition: { date: raw.date } });
    progress({ fraction: 0.5 + (0.4 * (k + 1)) / dates.length, stage: `cleaning ${raw.date}`, rows: written });
  }
  if (options.dryRun) return { version: null, path: null, rows: written, inputs, report, dropped, status: 'dry-run' };
  if (partsToWrite.length === 0) throw new ValidationGateError(`promotion of ${asset}: every row was dropped; nothing was written`, { asset, report, dropped });
  // the sidecar records the validation of the rows written (the gate's report stays in extra.gate)
  const writtenReport = mergeReports(`cleaned ${asset}`, schema, mode, writtenReports);
  writtenReport.metrics = { ...writtenReport.metrics, gapCount: report.metrics.gapCount, missingBars: report.metrics.missingBars, barIntervalSeconds: report.metrics.barIntervalSeconds };
  writtenReport.warnings.push(...report.warnings.filter((w) => w.rule === 'session_gap'));
  checkCancel();
  const dependencies: Dependency[] = inputs.map((i) => ({ path: i.path, sha256: i.sha256, layer: 'raw' }));
  const commit = await writeCleanedData(store, {
    asset,
    data: partsToWrite,
    compression,
    fingerprint,
    signal: options.signal,
    sidecar: {
      schema: { name: schema.name, version: schema.version },
      recipe,
      dependencies,
      validation: { ...writtenReport },
      qualityMetrics: { nullCounts: writtenReport.metrics.nullCounts, completenessPercentage: writtenReport.metrics.completenessPercentage, duplicateTimestamps: writtenReport.metrics.duplicateTimestamps, gapCount: writtenReport.metrics.gapCount, missingBars: writtenReport.metrics.missingBars, dropped },
      changelog: options.message ?? null,
      extra: { gate: report },
    },
  });
  progress({ fraction: 1, stage: 'committed', rows: written });
  return { version: `v${commit.version}`, path: commit.path, rows: commit.rows, inputs, report, dropped, status: commit.status };
}
