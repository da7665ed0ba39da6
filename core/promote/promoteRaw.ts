import crypto from 'node:crypto';
import type { Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Table, Vector } from 'apache-arrow';
import { takeRows } from '../arrow/takeRows.js';
import { sqlFileList, sqlIdent, sqlString, withConnection } from '../engine/duckdbEngine.js';
import { writePartitionedSorted } from '../engine/partitionedWrite.js';
import { BadRequestError, CancelledError, MesDataError, NotFoundError, ValidationGateError } from '../errors.js';
import type { Compression } from '../parquet/writeParquet.js';
import { type DataSchema, timestampColumnOf } from '../schema/dataSchema.js';
import { readSmallFiles } from '../store/durableFs.js';
import { MetadataManager, type Dependency } from '../store/metadataManager.js';
import { rawDatePath, rawSidecarPath, type Store } from '../store/storeLayout.js';
import { instrumentFor } from '../instruments/instrumentRegistry.js';
import type { Instrument } from '../instruments/instrumentSchema.js';
import { checkAssetName } from '../store/storeNames.js';
import { resolveStorePath } from '../store/storePaths.js';
import { commitVersion, newestVersion, type PreviousVersion, type VersionSidecarInput, type VersionWriteContext } from '../store/versionCommit.js';
import { TableValidator } from '../validation/validateTable.js';
import { timestampColumn } from '../validation/columnData.js';
import { PhaseProfile } from './phaseProfile.js';
import { enforceSchema } from '../validation/schemaEnforcement.js';
import { readFilesTable, validateFiles, type TargetTable } from '../validation/validateDataset.js';
import { MAX_ISSUE_ROWS, type EnforcementMode, type ValidationReport } from '../validation/issueRows.js';
import type { JobResult } from '../api/contract.js';

/**
 * Promotion raw → cleaned: the raw snapshots of an asset (all, or a date range) are read as
 * one table and validated against a schema — the gate, the same validation as
 * `mes-data validate raw/{ASSET}` — then cleaned: sorted by time, duplicate timestamps of a
 * trading date resolved by keeping the last, and with `onInvalid: 'drop'` the rows breaking
 * error rules removed. The result is one new cleaned version, partitioned by trading date
 * (`date=YYYY-MM-DD/part-0.parquet`), in one commit.
 *
 * DuckDB writes the version straight from the raw files (the gate's findings enter as a
 * list of rows to leave out), in one parallel pass. Two cases keep our own writer: data
 * with sub-microsecond timestamps (DuckDB writes microseconds) and data the gate had to
 * convert (coerce mode, widened types), whose converted columns are what gets written.
 */

/** Rules cleaning resolves itself, so they do not stop promotion. */
const RESOLVED_BY_CLEANING = new Set(['sorted_timestamp', 'unique_timestamp']);
/** Bumped when cleaning changes, so the same inputs give a new version. */
const RECIPE_VERSION = '2';

interface PromoteOptions {
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
  /** Add only the dates the newest version lacks; keep all of its dates. */
  append?: boolean;
  /** Promote again exactly the dates from `from` to `to` (both needed); keep the newest version's other dates. */
  replace?: boolean;
  signal?: AbortSignal;
  progress?: (update: { fraction: number; stage: string; rows: number }) => void;
}

/** What a promotion returns (the promote job's result): its shape is the contract's `PromoteResultSchema`. */
type PromoteResult = JobResult<'promote'>;

interface RawDate {
  date: string;
  /** a folder of daily bars holding a year (`extra.period: "year"`): each row's own date is its partition */
  perRowDate: boolean;
  /** the dates its rows cover (the folder's own date, or a year folder's span) */
  span: { from: string; to: string };
  /** `absolute` is checked for links (resolveStorePath) only for the folders promotion reads */
  files: { absolute: string; path: string; sha256: string; rows: number }[];
}

const REVISION = /^(.*)\.rev(\d+)\.parquet$/;

/**
 * The files of a raw folder promotion reads: of a snapshot and its revisions
 * (`{name}.rev{N}.parquet`, a vendor's correction stored beside the original), only the
 * highest revision, so a correction replaces the rows it corrects and drops the rows it
 * removed; the dependencies then name the revision used.
 */
function currentFiles<F extends { path: string }>(files: F[]): F[] {
  const best = new Map<string, { file: F; revision: number }>();
  for (const file of files) {
    const match = REVISION.exec(file.path);
    const base = match ? `${match[1]}.parquet` : file.path;
    const revision = match ? Number(match[2]) : 0;
    const seen = best.get(base);
    if (!seen || revision > seen.revision) best.set(base, { file, revision });
  }
  return [...best.values()].map((b) => b.file).sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** The dates a raw folder covers: its own date, or the span its files record (a folder of daily bars holds a year). */
function spanOf(files: { extra?: Record<string, unknown> }[], date: string): { from: string; to: string; perRowDate: boolean } {
  let from = date;
  let to = date;
  let perRowDate = false;
  for (const file of files) {
    const extra = file.extra as { period?: unknown; dateSpan?: { first?: unknown; last?: unknown } } | undefined;
    if (extra?.period === 'year') perRowDate = true;
    if (typeof extra?.dateSpan?.first === 'string' && extra.dateSpan.first < from) from = extra.dateSpan.first;
    if (typeof extra?.dateSpan?.last === 'string' && extra.dateSpan.last > to) to = extra.dateSpan.last;
  }
  return { from, to, perRowDate };
}

async function rawDates(store: Store, asset: string, from?: string, to?: string): Promise<RawDate[]> {
  // through the resolver: a linked asset folder is SYMLINK, never followed
  const assetDir = resolveStorePath(store.root, `raw/${asset}`);
  let entries: Dirent[];
  try {
    entries = (await fs.readdir(assetDir, { withFileTypes: true })).filter((e) => /^\d{4}-\d{2}-\d{2}$/.test(e.name));
  } catch {
    throw new NotFoundError(`no raw data for ${asset} in ${store.root}`, { asset });
  }
  // a date folder that is a link is refused even when its date is kept by reference (SYMLINK)
  for (const entry of entries) if (entry.isSymbolicLink()) resolveStorePath(store.root, `raw/${asset}/${entry.name}`);
  const names = entries.map((e) => e.name).sort();
  // a year folder of daily bars is named for January 1: it may hold dates after `from`
  const selected = names.filter((d) => (!from || d >= `${from.slice(0, 4)}-01-01`) && (!to || d <= to));
  // ten years are thousands of sidecars: read in batches (readSmallFiles), the folder checked once
  const sidecarDir = resolveStorePath(store.root, path.posix.dirname(rawSidecarPath(asset, '2000-01-01')));
  const sidecarFiles = selected.map((date) => path.join(sidecarDir, path.posix.basename(rawSidecarPath(asset, date))));
  const texts = await readSmallFiles(sidecarFiles);
  const found: (RawDate | null)[] = selected.map((date, k) => {
    const text = texts[k];
    // a date folder without its sidecar is not committed yet
    if (text === null) return null;
    const sidecar = MetadataManager.parseMetadata(text, sidecarFiles[k], { validate: false });
    const folder = rawDatePath(asset, date);
    // a sidecar names files of its own folder only (parseMetadata refuses a path that leaves it)
    const current = currentFiles(sidecar.files);
    const span = spanOf(current, date);
    // the folder is selected when any date it covers is in the range (a year of daily bars goes whole)
    if ((from && span.to < from) || (to && span.from > to)) return null;
    const files = current.map((f) => ({ absolute: path.join(assetDir, date, ...f.path.split('/')), path: `${folder}/${f.path}`, sha256: f.sha256, rows: f.rows }));
    return files.length > 0 ? { date, perRowDate: span.perRowDate, span: { from: span.from, to: span.to }, files } : null;
  });
  const dates = found.filter((d): d is RawDate => d !== null);
  if (dates.length === 0) {
    throw new NotFoundError(`no raw snapshots of ${asset}${from || to ? ` between ${from ?? 'the start'} and ${to ?? 'the end'}` : ''}`, { asset, from, to });
  }
  return dates;
}

/** Sorts by time (stable), keeps the last of rows sharing a timestamp, removes `drop` rows; counts what went. */
function clean(table: Table, drop: Uint8Array | null, tsName: string): { table: Table; duplicates: number } {
  const ts = timestampColumn(table.getChild(tsName) as Vector).ns;
  // rows already in order, none repeated or dropped (the usual raw date): the table as it is
  let ordered = drop === null || drop.every((d) => d === 0);
  for (let i = 1; ordered && i < ts.length; i++) if (!(ts[i - 1] < ts[i])) ordered = false;
  if (ordered) return { table, duplicates: 0 };
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

/** The report with at most MAX_ISSUE_ROWS rows per issue (the gate collects every row). */
function firstRows(report: ValidationReport): ValidationReport {
  const trim = (issues: ValidationReport['errors']) => issues.map((issue) => ({ ...issue, rows: issue.rows.slice(0, MAX_ISSUE_ROWS) }));
  return { ...report, errors: trim(report.errors), warnings: trim(report.warnings) };
}

/** The rows of each trading date in the concatenated raw order: [start, end) per date. */
function dateRanges(dates: RawDate[], files: TargetTable['files']): { date: string; perRowDate: boolean; start: number; end: number }[] {
  const byFile = new Map(files.map((f) => [f.file, f]));
  return dates.map((raw) => {
    const first = byFile.get(raw.files[0].absolute);
    const last = byFile.get(raw.files[raw.files.length - 1].absolute);
    if (!first || !last) throw new BadRequestError(`the raw files of ${raw.date} were not read`, { date: raw.date });
    return { date: raw.date, perRowDate: raw.perRowDate, start: first.rowStart, end: last.rowStart + last.rows };
  });
}

interface CleanPlan {
  store: Store;
  asset: string;
  dates: RawDate[];
  files: TargetTable['files'];
  /** the schema and mode the gate enforced: our own writer converts each date's rows as it did */
  schema: DataSchema;
  mode: EnforcementMode;
  /** 1 for each row to leave out, in the concatenated raw order; null: none */
  drop: Uint8Array | null;
  tsName: string;
  /** the rows that repeat an earlier timestamp (positions as `drop`), or null when not known */
  duplicateRows: number[] | null;
  /** the rows earlier than the row before them (positions as `drop`), or null when not known */
  unsortedRows: number[] | null;
  /** the gate converted no column: a raw file cleaning leaves as it is may be copied as it is */
  unconverted: boolean;
  compression: Compression;
  signal?: AbortSignal;
  profile: PhaseProfile;
}

/** Rows DuckDB writes in one partitioned COPY: bounds its memory however long the history. */
const ENGINE_BATCH_ROWS = 1_000_000;
/**
 * Partitions one COPY writes at most: each open partition holds buffers of its own, and 25
 * years of daily bars (6,300 one-row partitions in one COPY) ran DuckDB out of its memory.
 */
const ENGINE_BATCH_PARTITIONS = 250;
/** Dropped rows of a batch written as a filter of the read itself; more go through a table of positions. */
const INLINE_DROPS = 2_000;

/**
 * DuckDB writes the cleaned version from the raw files: rows the gate drops are left out by
 * position, duplicates of a (date, timestamp) keep the last row in raw order, each file is
 * sorted by time. Dates go in batches of about a million rows, so DuckDB's memory stays
 * bounded. Answers how many duplicates it resolved.
 */
async function writeWithEngine(plan: CleanPlan, ctx: VersionWriteContext, duplicatesSeen: boolean): Promise<number> {
  const { dir, keyValue } = ctx;
  const { files, dates, tsName, drop } = plan;
  const byFile = new Map(files.map((f) => [f.file, f]));
  const fileRows = dates.flatMap((raw) => raw.files.map((f) => ({ file: f.absolute, date: raw.date, perRowDate: raw.perRowDate, rowStart: byFile.get(f.absolute)?.rowStart ?? 0, rows: byFile.get(f.absolute)?.rows ?? 0 })));
  const dropped: number[] = [];
  if (drop) for (let i = 0; i < drop.length; i++) if (drop[i]) dropped.push(i);
  const batches: (typeof fileRows)[] = [];
  let batchRows = 0;
  let batchPartitions = 0;
  for (const [k, f] of fileRows.entries()) {
    const newDate = k === 0 || fileRows[k - 1].date !== f.date;
    // a year folder of daily bars is one partition a row
    const partitions = newDate ? (f.perRowDate ? f.rows : 1) : 0;
    // a date never spans two batches: its duplicates must meet in one query
    if (batches.length === 0 || (newDate && (batchRows + f.rows > ENGINE_BATCH_ROWS || batchPartitions + partitions > ENGINE_BATCH_PARTITIONS))) {
      batches.push([]);
      batchRows = 0;
      batchPartitions = 0;
    }
    batches[batches.length - 1].push(f);
    batchRows += f.rows;
    batchPartitions += partitions;
  }
  const ts = sqlIdent(tsName);
  const date = sqlIdent('date');
  return withConnection(async (connection) => {
    await connection.run('CREATE TEMP TABLE promote_files (fname VARCHAR, pdate VARCHAR, per_row BOOLEAN, row_start BIGINT)', 'preparing the promotion');
    for (let k = 0; k < fileRows.length; k += 500) {
      const values = fileRows.slice(k, k + 500).map((f) => `(${sqlString(f.file)}, ${sqlString(f.date)}, ${f.perRowDate}, ${f.rowStart})`);
      await connection.run(`INSERT INTO promote_files VALUES ${values.join(', ')}`, 'preparing the promotion');
    }
    await connection.run('CREATE TEMP TABLE promote_dropped (pos BIGINT PRIMARY KEY)', 'preparing the promotion');
    for (let k = 0; k < dropped.length; k += 5000) {
      await connection.run(`INSERT INTO promote_dropped VALUES ${dropped.slice(k, k + 5000).map((p) => `(${p})`).join(', ')}`, 'preparing the promotion');
    }
    // every row not dropped goes in, but for the duplicates a date's dedupe resolves
    const kept = fileRows.reduce((sum, f) => sum + f.rows, 0) - dropped.length;
    const written: string[] = [];
    plan.profile.mark('write prepare');
    for (const batch of batches) {
      const first = batch[0].rowStart;
      const last = batch[batch.length - 1].rowStart + batch[batch.length - 1].rows;
      const inBatch = (positions: number[]) => positions.filter((p) => p >= first && p < last);
      const batchDrops = inBatch(dropped);
      const dedupe = duplicatesSeen && (plan.duplicateRows === null || inBatch(plan.duplicateRows).length > 0);
      let select: string;
      if (!dedupe && batchDrops.length <= INLINE_DROPS) {
        // the rows as they are in the raw files, in their order: no join or window to shuffle them,
        // so DuckDB writes each date's file in order (the check below rewrites the few it does not)
        const perRow = batch.filter((f) => f.perRowDate).map((f) => sqlString(f.file));
        const folderDate = `regexp_extract(filename, '([0-9]{4}-[0-9]{2}-[0-9]{2})[/\\\\][^/\\\\]*$', 1)`;
        const dateOf = perRow.length > 0 ? `CASE WHEN filename IN (${perRow.join(', ')}) THEN strftime(timezone('UTC', ${ts}), '%Y-%m-%d') ELSE ${folderDate} END` : folderDate;
        const byFileDrops = new Map<string, number[]>();
        for (const p of batchDrops) {
          const f = batch.find((b) => p >= b.rowStart && p < b.rowStart + b.rows);
          if (f) byFileDrops.set(f.file, [...(byFileDrops.get(f.file) ?? []), p - f.rowStart]);
        }
        const keep = [...byFileDrops].map(([file, rows]) => `NOT (filename = ${sqlString(file)} AND file_row_number IN (${rows.join(', ')}))`);
        select = `SELECT * EXCLUDE (filename), ${dateOf} AS ${date} FROM read_parquet(${sqlFileList(batch.map((f) => f.file))}, filename = true, hive_partitioning = false)${keep.length > 0 ? ` WHERE ${keep.join(' AND ')}` : ''}`;
      } else {
        // a trading date's folder is its partition; a year of daily bars goes to each row's own (UTC) date
        const rows = `SELECT r.*, CASE WHEN f.per_row THEN strftime(timezone('UTC', r.${ts}), '%Y-%m-%d') ELSE f.pdate END AS ${date}, f.row_start + r.file_row_number AS promote_pos FROM read_parquet(${sqlFileList(batch.map((f) => f.file))}, hive_partitioning = false) r JOIN promote_files f ON r.filename = f.fname`;
        const survivors = `SELECT * FROM (${rows}) WHERE promote_pos NOT IN (SELECT pos FROM promote_dropped)`;
        select = dedupe
          ? `SELECT * EXCLUDE (promote_pos) FROM (${survivors}) QUALIFY row_number() OVER (PARTITION BY ${date}, ${ts} ORDER BY promote_pos DESC) = 1`
          : `SELECT * EXCLUDE (promote_pos) FROM (${survivors})`;
      }
      // the date stays in each file (an Iceberg data file keeps its partition column), typed as a date
      select = `SELECT * EXCLUDE (${date}), CAST(${date} AS DATE) AS ${date} FROM (${select})`;
      const columns = (await connection.rows(`DESCRIBE ${select}`, 'reading the columns to write')).map((row) => String(row.column_name));
      const fieldIds = ctx.fieldIds(columns);
      written.push(...(await writePartitionedSorted(connection, select, dir, { partitionBy: ['date'], orderBy: tsName, compression: plan.compression, keyValue, maxOpenFiles: ENGINE_BATCH_PARTITIONS, writePartitionColumns: true, fieldIds })).files);
      plan.profile.mark('write copy');
    }
    if (written.length === 0) return 0;
    // the commit takes the footers' facts from here instead of opening every file again
    let rows = 0;
    const footers = await connection.rows(`SELECT file_name, num_rows, num_row_groups FROM parquet_file_metadata(${sqlFileList(written)})`, 'reading the footers written');
    for (const footer of footers) {
      rows += Number(footer.num_rows);
      ctx.registerFile(path.relative(dir, String(footer.file_name)).split(path.sep).join('/'), { rows: Number(footer.num_rows), rowGroups: Number(footer.num_row_groups), compression: plan.compression });
    }
    plan.profile.mark('write footers');
    return duplicatesSeen ? kept - rows : 0;
  }, plan.signal);
}

/**
 * Each raw date's rows as the gate saw them (read again, a date at a time, and converted as
 * the gate converted them), cleaned: `onDate` gets the cleaned rows of one partition at a
 * time. Answers the duplicates resolved.
 */
async function eachCleanDate(plan: CleanPlan, onDate: (relative: string, table: Table) => Promise<unknown>): Promise<number> {
  let duplicates = 0;
  for (const range of dateRanges(plan.dates, plan.files)) {
    if (plan.signal?.aborted) throw new CancelledError('promotion: cancelled, nothing written');
    const raw = plan.dates.find((d) => d.date === range.date) as RawDate;
    const read = await readFilesTable(raw.files.map((f) => f.absolute), { signal: plan.signal });
    const table = enforceSchema(read.table, plan.schema, { mode: plan.mode }).table;
    const drop = plan.drop ? plan.drop.subarray(range.start, range.end) : null;
    const cleaned = clean(table, drop, plan.tsName);
    duplicates += cleaned.duplicates;
    if (cleaned.table.numRows === 0) continue;
    if (!range.perRowDate) {
      await onDate(`date=${range.date}/part-0.parquet`, cleaned.table);
      continue;
    }
    // a year of daily bars, sorted: each run of rows of one UTC date is a partition
    const ns = timestampColumn(cleaned.table.getChild(plan.tsName) as Vector).ns;
    const dayOf = (i: number) => new Date(Number(ns[i] / 1_000_000n)).toISOString().slice(0, 10);
    for (let start = 0; start < cleaned.table.numRows; ) {
      const day = dayOf(start);
      let end = start + 1;
      while (end < cleaned.table.numRows && dayOf(end) === day) end++;
      await onDate(`date=${day}/part-0.parquet`, cleaned.table.slice(start, end));
      start = end;
    }
  }
  return duplicates;
}

interface GateOutcome {
  /** the gate's report, at most MAX_ISSUE_ROWS rows an issue */
  report: ValidationReport;
  /** rows to leave out (1 a row, concatenated raw order), or null */
  drop: Uint8Array | null;
  dropped: Record<string, number>;
  files: TargetTable['files'];
  rows: number;
  /** write with our own writer: DuckDB would change values (sub-microsecond times, converted columns) */
  ownWriter: boolean;
  /** every row that repeats an earlier timestamp, or null when unique_timestamp is not checked */
  duplicateRows: number[] | null;
  /** every row earlier than the one before it, or null when sorted_timestamp is not checked */
  unsortedRows: number[] | null;
}

/**
 * The gate: every selected raw row, as `mes-data validate raw/{ASSET}` sees them (the same
 * chunked validation, so memory stays bounded). Throws VALIDATION_GATE when promotion must
 * stop.
 */
async function passGate(
  dates: RawDate[],
  schema: DataSchema,
  options: { mode: EnforcementMode; label: string; onInvalid: 'fail' | 'drop'; asset: string; signal?: AbortSignal; instrumentOf: (asset: string | null) => Instrument; profile: PhaseProfile },
): Promise<GateOutcome> {
  const { asset, onInvalid } = options;
  const gate = await validateFiles(
    dates.flatMap((d) => d.files.map((f) => f.absolute)),
    schema,
    { mode: options.mode, label: options.label, everyRow: true, instrumentOf: options.instrumentOf, signal: options.signal },
  );
  options.profile.mark('gate');
  if (options.signal?.aborted) throw new CancelledError(`promotion of ${asset}: cancelled, nothing written`);
  const report = firstRows(gate.report);
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
  let drop: Uint8Array | null = null;
  if (onInvalid === 'drop') {
    for (const issue of gate.report.errors) {
      if (RESOLVED_BY_CLEANING.has(issue.rule) || issue.rows.length === 0) continue;
      drop ??= new Uint8Array(gate.rows);
      for (const row of issue.rows) drop[row] = 1;
      dropped[issue.rule] = (dropped[issue.rule] ?? 0) + issue.count;
    }
  }
  const ownWriter = gate.subMicrosecond || Object.keys(report.coercions).length > 0;
  const repeats = [...gate.report.errors, ...gate.report.warnings].find((issue) => issue.rule === 'unique_timestamp');
  const duplicateRows = repeats ? repeats.rows : gate.report.metrics.duplicateTimestamps === 0 && schema.rules.unique_timestamp ? [] : null;
  const unsorted = [...gate.report.errors, ...gate.report.warnings].find((issue) => issue.rule === 'sorted_timestamp');
  const unsortedRows = unsorted ? unsorted.rows : schema.rules.sorted_timestamp && schema.rules.sorted_timestamp.enabled !== false ? [] : null;
  return { report, drop, dropped, files: gate.files, rows: gate.rows, ownWriter, duplicateRows, unsortedRows };
}

/** The recipe without the date range: what makes two promotions of the same inputs the same. */
function recipeIdentity(recipe: unknown): string {
  const r = (recipe ?? {}) as { name?: unknown; version?: unknown; parameters?: Record<string, unknown> };
  return JSON.stringify({ name: r.name, version: r.version, parameters: { ...(r.parameters ?? {}), from: undefined, to: undefined } });
}

/** A raw folder's inputs as comparable text: its files' paths and sha256, sorted. */
function inputsKey(files: { path: string; sha256: string }[]): string {
  return files.map((f) => `${f.path}:${f.sha256}`).sort().join('\n');
}

/** The raw folder (`raw/MES/2024-01-15`) of a dependency path, or null for another kind of input. */
function rawFolderOf(dependency: string, asset: string): string | null {
  const match = new RegExp(`^raw/${asset.replace(/[.]/g, '\\.')}/(\\d{4}-\\d{2}-\\d{2})/[^/]+$`).exec(dependency);
  return match ? rawDatePath(asset, match[1]) : null;
}

interface IncrementalPlan {
  /** the raw folders to read, gate and write */
  read: RawDate[];
  /** the newest version's dates kept by reference (before taking out the dates the writer writes) */
  keep: string[];
  /** the newest version's dates the new one drops */
  removed: string[];
  /** the dependencies of the new version: the read folders' files and the kept ones' */
  inputs: { path: string; sha256: string }[];
}

/**
 * Which raw folders a promotion reads and which dates of the newest version it keeps:
 * a folder whose files (paths and sha256) and recipe are those the newest version was made
 * from is kept by reference; `append` reads only the folders the newest version never read
 * and keeps all its dates; `replace` reads every selected folder and keeps the dates outside
 * [from, to]. BAD_REQUEST when append or replace would keep dates made with another recipe.
 */
function planIncremental(asset: string, selection: RawDate[], newest: PreviousVersion | null, recipe: unknown, options: { append: boolean; replace: boolean; from?: string; to?: string }): IncrementalPlan {
  const all = selection.flatMap((d) => d.files.map((f) => ({ path: f.path, sha256: f.sha256 })));
  if (!newest) return { read: selection, keep: [], removed: [], inputs: all };
  const sameRecipe = recipeIdentity(newest.metadata.recipe) === recipeIdentity(recipe);
  if ((options.append || options.replace) && !sameRecipe) {
    throw new BadRequestError(`promotion of ${asset}: --${options.append ? 'append' : 'replace'} keeps dates of v${newest.version}, which was promoted with another recipe; promote without it to promote every date again`, { asset, version: newest.version });
  }
  const previousInputs = new Map<string, { path: string; sha256: string }[]>();
  for (const dependency of newest.metadata.dependencies ?? []) {
    const folder = rawFolderOf(dependency.path, asset);
    if (folder) previousInputs.set(folder, [...(previousInputs.get(folder) ?? []), { path: dependency.path, sha256: dependency.sha256 }]);
  }
  const held = new Set(newest.partitions);
  const covers = (d: RawDate) => (d.perRowDate ? newest.partitions.filter((p) => p >= d.span.from && p <= d.span.to) : [d.date]);
  const folderOf = (d: RawDate) => rawDatePath(asset, d.date);
  const unchanged = (d: RawDate) => {
    const before = previousInputs.get(folderOf(d));
    return sameRecipe && before !== undefined && inputsKey(before) === inputsKey(d.files) && covers(d).length > 0 && covers(d).every((p) => held.has(p));
  };
  let read: RawDate[];
  let keep: string[];
  if (options.append) {
    read = selection.filter((d) => !previousInputs.has(folderOf(d)) && !(covers(d).length > 0 && covers(d).every((p) => held.has(p))));
    keep = newest.partitions;
  } else if (options.replace) {
    const from = options.from as string;
    const to = options.to as string;
    read = selection;
    keep = newest.partitions.filter((p) => p < from || p > to);
  } else {
    read = selection.filter((d) => !unchanged(d));
    keep = selection.filter(unchanged).flatMap(covers);
  }
  const keptSet = new Set(keep);
  const readFolders = new Set(read.map(folderOf));
  // a date read again is written again, not left out (a year folder's dates are known once written: the commit counts them)
  const rewritten = new Set(read.filter((d) => !d.perRowDate).map((d) => d.date));
  const removed = newest.partitions.filter((p) => !keptSet.has(p) && !rewritten.has(p));
  // the kept dates' inputs: the newest version's, from the folders not read again
  const keptInputs = [...previousInputs].filter(([folder]) => !readFolders.has(folder) && (options.append || options.replace ? !removed.includes(folder.slice(-10)) : selection.some((d) => folderOf(d) === folder))).flatMap(([, files]) => files);
  const inputs = [...keptInputs, ...read.flatMap((d) => d.files.map((f) => ({ path: f.path, sha256: f.sha256 })))].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { read, keep, removed, inputs: options.append || options.replace ? inputs : all };
}

/**
 * Promotes raw snapshots of an asset to a new cleaned version, incrementally: the dates
 * whose raw inputs and recipe are those of the newest version are kept by reference (not
 * read, not written), only new or changed dates are read, gated and written, and the
 * newest version's dates the selection no longer has are left out (`planIncremental`;
 * `append` and `replace` as there). The gate and the written report cover the rows read.
 * Throws NOT_FOUND when there is nothing to promote, VALIDATION_GATE (details: the report)
 * when `onInvalid` is `fail` and the gate found errors cleaning cannot resolve — or, with
 * `drop`, errors no row removal fixes (missing columns, wrong types) — BAD_REQUEST for
 * `append` with `replace`, `replace` without both dates, or a kept date of another recipe,
 * LOCKED when another promotion committed between the plan and the commit, and CANCELLED;
 * in every such case nothing is written. The same inputs with the same recipe give
 * `unchanged` (the date range only selects inputs).
 */
export async function promoteRaw(store: Store, options: PromoteOptions): Promise<PromoteResult> {
  const asset = checkAssetName(options.asset);
  const mode = options.mode ?? 'strict';
  const onInvalid = options.onInvalid ?? 'fail';
  const compression = options.compression ?? 'zstd';
  const schema = options.schema;
  const tsName = timestampColumnOf(schema);
  if (!tsName) throw new BadRequestError(`schema "${schema.name}" names no timestamp column to order bars by`, { schema: schema.name });
  if (options.append && options.replace) throw new BadRequestError('promote takes --append or --replace, not both', { asset });
  if (options.replace && (!options.from || !options.to)) throw new BadRequestError('promote --replace needs --from and --to: the dates to promote again', { asset, from: options.from ?? null, to: options.to ?? null });
  const progress = options.progress ?? (() => undefined);
  const profile = new PhaseProfile(`promote ${asset}`);
  const checkCancel = () => {
    if (options.signal?.aborted) throw new CancelledError(`promotion of ${asset}: cancelled, nothing written`);
  };
  const selection = await rawDates(store, asset, options.from, options.to);
  profile.mark('raw sidecars');
  const recipe = { name: 'promote', version: RECIPE_VERSION, parameters: { schema: schema.name, schemaVersion: schema.version, mode, onInvalid, compression, from: options.from ?? null, to: options.to ?? null } };
  const newest = await newestVersion(store, 'cleaned', asset);
  profile.mark('newest version');
  const incremental = planIncremental(asset, selection, newest, recipe, { append: options.append === true, replace: options.replace === true, from: options.from, to: options.to });
  // the files to read, checked: resolveStorePath refuses a link on the way (SYMLINK)
  const dates = incremental.read.map((d) => ({ ...d, files: d.files.map((f) => ({ ...f, absolute: resolveStorePath(store.root, f.path) })) }));
  const inputs = incremental.inputs;
  profile.mark('plan');
  checkCancel();

  const label = `raw/${asset}${options.from || options.to ? ` ${options.from ?? ''}..${options.to ?? ''}` : ''}`;
  progress({ fraction: 0.05, stage: `reading ${dates.reduce((n, d) => n + d.files.length, 0)} raw file(s)`, rows: 0 });
  // session gaps follow the store's instrument of the asset (holidays, early closes, breaks)
  const instrumentOf = (name: string | null) => instrumentFor(store.root, name ?? asset);
  const gate: GateOutcome =
    dates.length > 0
      ? await passGate(dates, schema, { mode, label, onInvalid, asset, signal: options.signal, instrumentOf, profile })
      : { report: new TableValidator(schema, { mode, target: label, instrumentOf }).finish(), drop: null, dropped: {}, files: [], rows: 0, ownWriter: false, duplicateRows: [], unsortedRows: [] };
  const { report, dropped, drop } = gate;
  checkCancel();
  // the identity of a version: its inputs and how they were cleaned; from/to only chose the inputs
  const identity = { ...recipe, parameters: { ...recipe.parameters, from: undefined, to: undefined } };
  const fingerprint = crypto.createHash('sha256').update(JSON.stringify({ inputs, recipe: identity })).digest('hex');
  const counts = (written: number) => ({ shared: incremental.keep.length, written, removed: incremental.removed.length });

  const plan: CleanPlan = { store, asset, dates, files: gate.files, schema, mode, drop, tsName, duplicateRows: gate.duplicateRows, unsortedRows: gate.unsortedRows, unconverted: Object.keys(report.coercions).length === 0, compression, signal: options.signal, profile };
  const ownWriter = gate.ownWriter;
  const duplicatesSeen = [...report.errors, ...report.warnings].some((issue) => issue.rule === 'unique_timestamp');
  if (options.dryRun) {
    let kept = 0;
    const written = new Set<string>();
    const duplicates = await eachCleanDate(plan, (relative, table) => {
      kept += table.numRows;
      written.add(relative);
      return Promise.resolve();
    });
    if (duplicates > 0) dropped.unique_timestamp = (dropped.unique_timestamp ?? 0) + duplicates;
    return { version: null, path: null, rows: kept, inputs, report, dropped, status: 'dry-run', dates: counts(written.size) };
  }
  const dependencies: Dependency[] = inputs.map((i) => ({ path: i.path, sha256: i.sha256, layer: 'raw' }));
  const sidecar: VersionSidecarInput = {
    schema: { name: schema.name, version: schema.version },
    recipe,
    dependencies,
    changelog: options.message ?? null,
    extra: { gate: report },
  };
  checkCancel();
  progress({ fraction: 0.5, stage: 'writing the cleaned version', rows: gate.rows });
  let writtenDates = 0;
  let keptDates = incremental.keep.length;
  let removedDates = incremental.removed.length;
  const commit = await commitVersion(store, {
    layer: 'cleaned',
    key: asset,
    fingerprint,
    signal: options.signal,
    sidecar,
    onStep: (step) => profile.mark(step),
    write: async (ctx) => {
      // the plan was made from the newest version read before the lock: another promotion may have committed since
      if ((ctx.previous?.version ?? null) !== (newest?.version ?? null)) {
        throw new MesDataError('LOCKED', `promotion of ${asset}: v${ctx.previous?.version} was committed while this promotion read its inputs; run it again`, { asset, reason: 'commit-conflict', version: ctx.previous?.version ?? null });
      }
      const duplicates = dates.length === 0 ? 0 : ownWriter ? await eachCleanDate(plan, (relative, table) => ctx.writeParquet(relative, table, { compression })) : await writeWithEngine(plan, ctx, duplicatesSeen);
      if (duplicates > 0) dropped.unique_timestamp = (dropped.unique_timestamp ?? 0) + duplicates;
      profile.mark('write');
      const files = (await fs.readdir(ctx.dir, { recursive: true })).filter((f) => f.endsWith('.parquet')).map((f) => path.join(ctx.dir, f)).sort();
      // a date the writer wrote is not also kept (a year folder of daily bars may cover kept dates)
      const writtenPartitions = new Set(files.map((f) => /date=(\d{4}-\d{2}-\d{2})/.exec(f)?.[1]).filter((d): d is string => d !== undefined));
      const keep = incremental.keep.filter((p) => !writtenPartitions.has(p));
      ctx.keepPartitions(keep);
      writtenDates = writtenPartitions.size;
      keptDates = keep.length;
      removedDates = (newest?.partitions ?? []).filter((p) => !writtenPartitions.has(p) && !keep.includes(p)).length;
      if (files.length === 0 && keep.length === 0) throw new ValidationGateError(`promotion of ${asset}: every row was dropped; nothing was written`, { asset, report, dropped });
      progress({ fraction: 0.8, stage: 'checking what was written', rows: gate.rows });
      // the sidecar records the validation of the rows written (the gate's report stays in extra.gate)
      const written = files.length > 0 ? (await validateFiles(files, schema, { mode, label: `cleaned ${asset}`, instrumentOf, signal: options.signal })).report : report;
      sidecar.validation = { ...written };
      sidecar.qualityMetrics = { nullCounts: written.metrics.nullCounts, completenessPercentage: written.metrics.completenessPercentage, duplicateTimestamps: written.metrics.duplicateTimestamps, gapCount: written.metrics.gapCount, missingBars: written.metrics.missingBars, dropped };
      sidecar.extra = { ...sidecar.extra, incremental: { previous: newest?.version ?? null, shared: keep.length, written: writtenDates, removed: removedDates } };
      profile.mark('written report');
    },
  });
  profile.mark('commit');
  profile.print();
  progress({ fraction: 1, stage: 'committed', rows: commit.rows });
  const dateCounts = commit.status === 'unchanged' ? { shared: commit.metadata.files.length, written: 0, removed: 0 } : { shared: keptDates, written: writtenDates, removed: removedDates };
  return { version: `v${commit.version}`, path: commit.path, rows: commit.rows, inputs, report, dropped, status: commit.status, dates: dateCounts };
}
