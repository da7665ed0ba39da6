import crypto from 'node:crypto';
import type { Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { DateDay, makeData, makeVector, Table, type Vector } from 'apache-arrow';
import { takeRows } from '../arrow/takeRows.js';
import { sqlFileList, sqlIdent, sqlString, withConnection } from '../engine/duckdbEngine.js';
import { readDatasetChunks, type DatasetChunk } from '../engine/datasetTable.js';
import { writePartitionedSorted } from '../engine/partitionedWrite.js';
import { BadRequestError, CancelledError, MesDataError, NotFoundError, ValidationGateError } from '../errors.js';
import type { Compression } from '../parquet/writeParquet.js';
import { type DataSchema, timestampColumnOf } from '../schema/dataSchema.js';
import { openParquetFile } from '../parquet/parquetFile.js';
import { readSmallFiles } from '../store/durableFs.js';
import { MetadataManager, type Dependency } from '../store/metadataManager.js';
import { absolute, rawDatePath, rawSidecarPath, versionPath, type Store } from '../store/storeLayout.js';
import { instrumentFor } from '../instruments/instrumentRegistry.js';
import type { Instrument } from '../instruments/instrumentSchema.js';
import { checkAssetName } from '../store/storeNames.js';
import { resolveStorePath } from '../store/storePaths.js';
import { commitVersion, newestVersion, type PartitionBy, type PreviousVersion, type VersionSidecarInput, type VersionWriteContext } from '../store/versionCommit.js';
import { TableValidator } from '../validation/validateTable.js';
import { timestampColumn } from '../validation/columnData.js';
import { PhaseProfile } from './phaseProfile.js';
import { StreamedParquetFile } from './streamedParquet.js';
import { enforceSchema } from '../validation/schemaEnforcement.js';
import { readFilesTable, validateFiles, type TargetTable } from '../validation/validateDataset.js';
import { MAX_ISSUE_ROWS, type EnforcementMode, type ValidationReport } from '../validation/issueRows.js';
import type { JobResult } from '../api/contract.js';

/**
 * Promotion raw → cleaned: the raw snapshots of an asset (all, or a date range) are read as
 * one table and validated against a schema — the gate, the same validation as
 * `mes-data validate raw/{ASSET}` — then cleaned: sorted by time, duplicate timestamps of a
 * trading date resolved by keeping the last, and with `onInvalid: 'drop'` the rows breaking
 * error rules removed. The result is one new cleaned version in one commit, partitioned by
 * trading date (`date=YYYY-MM-DD/part-0.parquet`), or, for an asset whose raw folders are
 * years of daily bars, by calendar year (`date_year=YYYY/part-0.parquet`, every row keeping
 * its `date`): 25 years of daily bars are 25 files, not 6,300 of one row
 * (docs/versioning_semantics.md). A table keeps the partitioning it was created with.
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
 * (`{name}.rev{N}.parquet`, a vendor's correction; a folder written before December 2026 still holds the original beside it), only the
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

/**
 * The rows cleaning keeps, in the order it writes them: sorted by time (stable), the last of
 * rows sharing a timestamp, without the `drop` rows; null when that is every row as it is
 * (the usual raw date). Typed positions and comparisons of the timestamps' 32-bit words (no
 * BigInt a comparison), so the order of 20M ticks costs 80 MB, not a JavaScript array of them.
 */
function cleanOrder(table: Table, drop: Uint8Array | null, tsName: string): { keep: Uint32Array | null; duplicates: number } {
  const { ns: ts, words: w } = timestampColumn(table.getChild(tsName) as Vector);
  let ordered = drop === null || drop.every((d) => d === 0);
  for (let i = 1; ordered && i < ts.length; i++) if (!(ts[i - 1] < ts[i])) ordered = false;
  if (ordered) return { keep: null, duplicates: 0 };
  let survivors = 0;
  for (let i = 0; i < table.numRows; i++) if (!drop || drop[i] === 0) survivors++;
  const order = new Uint32Array(survivors);
  for (let i = 0, k = 0; i < table.numRows; i++) if (!drop || drop[i] === 0) order[k++] = i;
  const compare = (a: number, b: number) => w[2 * a + 1] - w[2 * b + 1] || (w[2 * a] >>> 0) - (w[2 * b] >>> 0);
  order.sort((a, b) => compare(a, b) || a - b);
  let kept = 0;
  let duplicates = 0;
  // in place: a kept position is never ahead of the one read
  for (let k = 0; k < order.length; k++) {
    if (k + 1 < order.length && compare(order[k + 1], order[k]) === 0) {
      duplicates++;
      continue;
    }
    order[kept++] = order[k];
  }
  return { keep: order.subarray(0, kept), duplicates };
}

/** Sorts by time (stable), keeps the last of rows sharing a timestamp, removes `drop` rows; counts what went. */
function clean(table: Table, drop: Uint8Array | null, tsName: string): { table: Table; duplicates: number } {
  const { keep, duplicates } = cleanOrder(table, drop, tsName);
  return { table: keep ? takeRows(table, keep) : table, duplicates };
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
  /** the cleaned table's partitioning: a file a trading date, or a file a calendar year */
  partitionBy: PartitionBy;
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
/** The partition field of a table by year, and the writer's folder name (`date_year=2024`). */
const YEAR_FIELD = 'date_year';

/** The calendar years (`YYYY`, ascending) a raw folder's rows cover. */
function yearsOf(raw: { span: { from: string; to: string } }): string[] {
  const years: string[] = [];
  for (let y = Number(raw.span.from.slice(0, 4)); y <= Number(raw.span.to.slice(0, 4)); y++) years.push(String(y));
  return years;
}

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
  const byYear = plan.partitionBy === 'year';
  const fileRows = dates.flatMap((raw) => raw.files.map((f) => ({ file: f.absolute, date: raw.date, perRowDate: raw.perRowDate, years: yearsOf(raw), rowStart: byFile.get(f.absolute)?.rowStart ?? 0, rows: byFile.get(f.absolute)?.rows ?? 0 })));
  const dropped: number[] = [];
  if (drop) for (let i = 0; i < drop.length; i++) if (drop[i]) dropped.push(i);
  // the raw folders holding a repeated timestamp: their batches resolve repeats with a window,
  // whose output DuckDB writes out of order (each such file is sorted again), so they go in
  // batches of their own and the others keep the plain read, written in order
  const repeating = new Set<string>();
  if (duplicatesSeen && plan.duplicateRows) {
    for (const p of plan.duplicateRows) {
      let lo = 0;
      let hi = fileRows.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (fileRows[mid].rowStart <= p) lo = mid;
        else hi = mid - 1;
      }
      if (fileRows[lo]) repeating.add(fileRows[lo].date);
    }
  }
  const batches: (typeof fileRows)[] = [];
  let batchRows = 0;
  let batchPartitions = 0;
  let batchLastYear = '';
  let batchRepeats = false;
  for (const [k, f] of fileRows.entries()) {
    const newDate = k === 0 || fileRows[k - 1].date !== f.date;
    // by date, a year folder of daily bars is one partition a row; by year, a year is one
    const partitions = !newDate ? 0 : byYear ? f.years.filter((y) => y > batchLastYear).length : f.perRowDate ? f.rows : 1;
    // a date never spans two batches: its duplicates must meet in one query; nor does a year
    // of a table by year, whose one file a second COPY would write over
    const mayStart = newDate && (!byYear || f.years[0] > batchLastYear);
    const repeats = repeating.has(f.date);
    if (batches.length === 0 || (mayStart && (batchRows + f.rows > ENGINE_BATCH_ROWS || batchPartitions + partitions > ENGINE_BATCH_PARTITIONS || repeats !== batchRepeats))) {
      batches.push([]);
      batchRows = 0;
      batchPartitions = 0;
      batchRepeats = repeats;
    }
    batches[batches.length - 1].push(f);
    batchRows += f.rows;
    batchPartitions += partitions;
    if (f.years[f.years.length - 1] > batchLastYear) batchLastYear = f.years[f.years.length - 1];
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
      plan.profile.mark('write describe');
      const fieldIds = ctx.fieldIds(columns);
      // by year: the folders are the dates' year (`date_year=2024`), a column the files do not hold
      if (byYear) select = `SELECT *, year(${date}) AS ${sqlIdent(YEAR_FIELD)} FROM (${select})`;
      const partitionBy = byYear ? [YEAR_FIELD] : ['date'];
      written.push(...(await writePartitionedSorted(connection, select, dir, { partitionBy, orderBy: tsName, compression: plan.compression, keyValue, maxOpenFiles: ENGINE_BATCH_PARTITIONS, writePartitionColumns: !byYear, fieldIds, onStep: (step) => plan.profile.mark(step) })).files);
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
async function eachCleanDate(plan: CleanPlan, onDate: (relative: string, table: Table) => Promise<unknown>, ranges = dateRanges(plan.dates, plan.files)): Promise<number> {
  if (plan.partitionBy === 'year') return eachCleanYear(plan, onDate);
  let duplicates = 0;
  for (const range of ranges) {
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

/** Rows our own writer hands the encoder at a time: a chunk of a long date read, or a slice of a cleaned one. */
const STREAM_ROWS = 1_000_000;

/** Positions in `sorted` (ascending) inside [from, to). */
function within(sorted: number[], from: number, to: number): number[] {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < from) lo = mid + 1;
    else hi = mid;
  }
  const out: number[] = [];
  for (let k = lo; k < sorted.length && sorted[k] < to; k++) out.push(sorted[k]);
  return out;
}

/**
 * The rows of a date (its raw rows [start, end)) cleaning leaves out when the date is one raw
 * file already in time order: the rows the gate drops, and of each run of rows sharing a
 * timestamp (neighbours, the file being sorted) all but the last one not dropped — what
 * `clean` leaves out, found from the gate's findings alone. Null when the date is not such
 * a file, or the gate did not look for repeats or order (then the date is read whole).
 */
function streamedSkips(plan: CleanPlan, raw: RawDate, range: { start: number; end: number; perRowDate: boolean }): { skip: Uint8Array | null; duplicates: number } | null {
  if (range.perRowDate || raw.files.length !== 1 || plan.mode === 'coerce' || plan.unsortedRows === null || plan.duplicateRows === null) return null;
  // a row earlier than the one before it inside the date: the file is not sorted
  if (within(plan.unsortedRows, range.start + 1, range.end).length > 0) return null;
  const repeats = within(plan.duplicateRows, range.start + 1, range.end);
  // rows out of order elsewhere: the gate's repeats are of any earlier row, not of the row before
  if (repeats.length > 0 && plan.unsortedRows.length > 0) return null;
  const drop = plan.drop ? plan.drop.subarray(range.start, range.end) : null;
  if (repeats.length === 0 && (drop === null || drop.every((d) => d === 0))) return { skip: null, duplicates: 0 };
  const skip = drop ? Uint8Array.from(drop) : new Uint8Array(range.end - range.start);
  let duplicates = 0;
  for (let k = 0; k < repeats.length; ) {
    // a run: the row before the first repeat, and the repeats that follow one another
    let last = k;
    while (last + 1 < repeats.length && repeats[last + 1] === repeats[last] + 1) last++;
    const first = repeats[k] - 1 - range.start;
    const end = repeats[last] - range.start;
    let keep = -1;
    for (let i = end; i >= first; i--) {
      if (skip[i] === 0) {
        keep = i;
        break;
      }
    }
    for (let i = first; i <= end; i++) {
      if (i !== keep && skip[i] === 0) {
        skip[i] = 1;
        duplicates++;
      }
    }
    k = last + 1;
  }
  return { skip, duplicates };
}

/** One raw file's rows pulled a chunk at a time (`readDatasetChunks` pushes them: each push waits for the next pull). */
class ChunkPuller {
  private ready: DatasetChunk | null | undefined = undefined;
  private waiting: ((chunk: DatasetChunk | null) => void) | null = null;
  private resume: (() => void) | null = null;
  private failure: Error | null = null;
  private cancelled = false;
  /** the engine's read does not map the file's types */
  unmapped = false;

  constructor(file: string, signal: AbortSignal | undefined) {
    readDatasetChunks([file], { signal, chunkRows: STREAM_ROWS }, (chunk) =>
      new Promise<void>((resolve) => {
        this.deliver(chunk);
        this.resume = resolve;
      }).then(() => {
        if (this.cancelled) throw new CancelledError(`reading ${file}: stopped`);
      }),
    ).then(
      (read) => {
        this.unmapped = read === null;
        this.deliver(null);
      },
      (error: unknown) => {
        this.failure = error instanceof Error ? error : new MesDataError('INTERNAL', String(error));
        this.deliver(null);
      },
    );
  }

  private deliver(chunk: DatasetChunk | null): void {
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting) waiting(chunk);
    else this.ready = chunk;
  }

  /** The next chunk, or null after the last one (throws what the read threw). */
  async next(): Promise<DatasetChunk | null> {
    const resume = this.resume;
    this.resume = null;
    resume?.();
    let chunk: DatasetChunk | null;
    if (this.ready !== undefined) {
      chunk = this.ready;
      this.ready = undefined;
    } else chunk = await new Promise<DatasetChunk | null>((resolve) => (this.waiting = resolve));
    if (this.failure) throw this.failure;
    return chunk;
  }

  /** Ends the read early. */
  cancel(): void {
    this.cancelled = true;
    const resume = this.resume;
    this.resume = null;
    resume?.();
  }
}

/** The rows of one raw file of a date the merge has not written yet: a chunk (and the row kept from the one before), its timestamps as words. */
interface MergeCursor {
  puller: ChunkPuller;
  /** the file's rank in the date's raw order */
  rank: number;
  /** the file's first row in the concatenated raw order */
  fileStart: number;
  table: Table;
  words: Int32Array;
  pos: number;
  /** the file has no rows after `table` */
  last: boolean;
}

/** The merge could not read a file with the engine: the date is read whole instead. */
class UnmappedRead extends Error {}

/**
 * A date of several raw files, each in time order (a day and a correction file beside it),
 * cleaned as `clean` does it — in time order, the last of rows sharing a timestamp in raw
 * order (a later file's row over an earlier file's), the gate's dropped rows left out — by
 * merging the files as they are read, a million rows at a time each, into `file`. Answers the
 * duplicates resolved. Throws UnmappedRead when the engine's read does not map a file's types.
 */
async function mergeSortedFiles(plan: CleanPlan, raw: RawDate, range: { start: number }, file: StreamedParquetFile): Promise<number> {
  const starts = new Map(plan.files.map((f) => [f.file, f.rowStart]));
  const ts = plan.tsName;
  const cursors: MergeCursor[] = [];
  let duplicates = 0;
  /** The next chunk of the cursor's file, without the rows the gate drops, after the row kept from the last one. */
  const load = async (cursor: MergeCursor, keep: Table | null): Promise<boolean> => {
    for (;;) {
      const chunk = await cursor.puller.next();
      if (!chunk) {
        if (cursor.puller.unmapped) throw new UnmappedRead();
        cursor.last = true;
        if (!keep) return false;
        cursor.table = keep;
        cursor.words = timestampColumn(keep.getChild(ts) as Vector).words;
        cursor.pos = 0;
        return true;
      }
      let table = enforceSchema(chunk.table, plan.schema, { mode: plan.mode }).table;
      const drop = plan.drop;
      if (drop) {
        const at = cursor.fileStart + chunk.rowStart;
        const kept: number[] = [];
        let any = false;
        for (let i = 0; i < table.numRows; i++) {
          if (drop[at + i] === 1) any = true;
          else kept.push(i);
        }
        if (any) table = takeRows(table, kept);
      }
      if (keep) table = keep.concat(table);
      if (table.numRows === 0) continue;
      cursor.table = table;
      cursor.words = timestampColumn(table.getChild(ts) as Vector).words;
      cursor.pos = 0;
      return true;
    }
  };
  try {
    for (const [rank, f] of raw.files.entries()) {
      const cursor: MergeCursor = { puller: new ChunkPuller(f.absolute, plan.signal), rank, fileStart: starts.get(f.absolute) ?? range.start, table: new Table(), words: new Int32Array(0), pos: 0, last: false };
      cursors.push(cursor);
      if (!(await load(cursor, null))) cursors.pop();
    }
    const hi = (c: MergeCursor, i: number) => c.words[2 * i + 1];
    const lo = (c: MergeCursor, i: number) => c.words[2 * i] >>> 0;
    /** <0, 0, >0 as row i of a is before, at, after row j of b in time */
    const compare = (a: MergeCursor, i: number, b: MergeCursor, j: number) => hi(a, i) - hi(b, j) || lo(a, i) - lo(b, j);
    while (cursors.length > 0) {
      // a cursor at the last row of its chunk first takes the next chunk after that row: the row's neighbour decides
      const ending = cursors.find((c) => c.pos === c.table.numRows - 1 && !c.last);
      if (ending) {
        if (!(await load(ending, ending.table.slice(ending.pos)))) cursors.splice(cursors.indexOf(ending), 1);
        continue;
      }
      let first = cursors[0];
      for (const c of cursors) {
        const order = compare(c, c.pos, first, first.pos);
        if (order < 0 || (order === 0 && c.rank > first.rank)) first = c;
      }
      let next: MergeCursor | null = null;
      let tied = false;
      for (const c of cursors) {
        if (c === first) continue;
        if (compare(c, c.pos, first, first.pos) === 0) {
          // the same time in an earlier file: the later file's row stays (the heads are compared again)
          c.pos++;
          duplicates++;
          tied = true;
        } else if (!next || compare(c, c.pos, next, next.pos) < 0) next = c;
      }
      const n = first.table.numRows;
      if (tied) {
        // the heads again, from the top
      } else if (first.pos + 1 < n && compare(first, first.pos + 1, first, first.pos) === 0) {
        // the same time on the next row of the file: that row stays
        first.pos++;
        duplicates++;
      } else {
        // the file's rows before the other files' next time, up to a repeat or the chunk's last row
        let end = first.pos + 1;
        const limit = first.last ? n : n - 1;
        if (next) {
          let a = end;
          let b = limit;
          while (a < b) {
            const mid = (a + b) >> 1;
            if (compare(first, mid, next, next.pos) < 0) a = mid + 1;
            else b = mid;
          }
          end = Math.max(end, a);
        } else end = Math.max(end, limit);
        for (let i = first.pos + 1; i < end; i++) {
          if (compare(first, i, first, i - 1) === 0) {
            end = i - 1;
            break;
          }
        }
        if (end > first.pos) {
          await file.append(first.pos === 0 && end === n ? first.table : first.table.slice(first.pos, end));
          first.pos = end;
        }
      }
      for (let k = cursors.length - 1; k >= 0; k--) {
        const c = cursors[k];
        if (c.pos < c.table.numRows) continue;
        if (c.last || !(await load(c, null))) cursors.splice(k, 1);
      }
    }
    return duplicates;
  } finally {
    for (const c of cursors) c.puller.cancel();
  }
}

/** A date read whole and cleaned (`cleanOrder`), its rows encoded a slice at a time: the cleaned copy is never whole. Answers the duplicates resolved. */
async function cleanWhole(plan: CleanPlan, raw: RawDate, range: { start: number; end: number }, file: StreamedParquetFile): Promise<number> {
  const table = enforceSchema((await readFilesTable(raw.files.map((f) => f.absolute), { signal: plan.signal })).table, plan.schema, { mode: plan.mode }).table;
  const { keep, duplicates } = cleanOrder(table, plan.drop ? plan.drop.subarray(range.start, range.end) : null, plan.tsName);
  const rows = keep ? keep.length : table.numRows;
  for (let i = 0; i < rows; i += STREAM_ROWS) {
    const end = Math.min(rows, i + STREAM_ROWS);
    await file.append(keep ? takeRows(table, keep.subarray(i, end)) : table.slice(i, end));
  }
  return duplicates;
}

/** Whether each raw file of the date is in time order (the gate's rows earlier than the one before them are all first rows of a file). */
function sortedFiles(plan: CleanPlan, raw: RawDate, range: { start: number; end: number; perRowDate: boolean }): boolean {
  if (range.perRowDate || plan.mode === 'coerce' || plan.unsortedRows === null) return false;
  const firstRows = new Set(plan.files.filter((f) => raw.files.some((r) => r.absolute === f.file)).map((f) => f.rowStart));
  return within(plan.unsortedRows, range.start, range.end).every((p) => firstRows.has(p));
}

/**
 * Our own writer's version (`eachCleanDate` into the version): each date's file streamed to
 * the encoder (`StreamedParquetFile`), so memory stays bounded however many rows a date
 * holds. A date that is one raw file in time order is read a million rows at a time, the rows
 * cleaning leaves out skipped (`streamedSkips`); another is read whole and cleaned as before,
 * and only its encoding is streamed. A table by year, and a year folder of daily bars, go as
 * `eachCleanDate` sends them (a year is some 250 rows). Answers the duplicates resolved.
 */
async function writeOwnStreamed(plan: CleanPlan, ctx: VersionWriteContext, compression: Compression): Promise<number> {
  if (plan.partitionBy === 'year') return eachCleanYear(plan, (relative, table) => ctx.writeParquet(relative, table, { compression }));
  let duplicates = 0;
  for (const range of dateRanges(plan.dates, plan.files)) {
    if (plan.signal?.aborted) throw new CancelledError('promotion: cancelled, nothing written');
    const raw = plan.dates.find((d) => d.date === range.date) as RawDate;
    if (range.perRowDate) {
      duplicates += await eachCleanDate(plan, (relative, table) => ctx.writeParquet(relative, table, { compression }), [range]);
      continue;
    }
    let file = new StreamedParquetFile(ctx, `date=${range.date}/part-0.parquet`, compression);
    try {
      const skips = streamedSkips(plan, raw, range);
      if (skips) {
        duplicates += skips.duplicates;
        const skip = skips.skip;
        // the runs of rows kept (rows [offset, offset + n) of the date), as slices of at most STREAM_ROWS
        const appendKept = async (table: Table, offset: number) => {
          for (let i = 0; i < table.numRows; ) {
            while (skip && i < table.numRows && skip[offset + i] === 1) i++;
            let end = i;
            while (end < table.numRows && end - i < STREAM_ROWS && !(skip && skip[offset + end] === 1)) end++;
            if (end > i) await file.append(i === 0 && end === table.numRows ? table : table.slice(i, end));
            i = end;
          }
        };
        const files = raw.files.map((f) => f.absolute);
        const read = await readDatasetChunks(files, { signal: plan.signal, chunkRows: STREAM_ROWS }, (chunk) => appendKept(enforceSchema(chunk.table, plan.schema, { mode: plan.mode }).table, chunk.rowStart));
        // types the engine's read does not map: the date whole, as the gate read it
        if (!read) await appendKept(enforceSchema((await readFilesTable(files, { signal: plan.signal })).table, plan.schema, { mode: plan.mode }).table, 0);
      } else if (sortedFiles(plan, raw, range)) {
        try {
          duplicates += await mergeSortedFiles(plan, raw, range, file);
        } catch (error) {
          if (!(error instanceof UnmappedRead)) throw error;
          // the engine's read does not map these types: the date read whole, as below
          await file.abort();
          file = new StreamedParquetFile(ctx, `date=${range.date}/part-0.parquet`, compression);
          duplicates += await cleanWhole(plan, raw, range, file);
        }
      } else {
        duplicates += await cleanWhole(plan, raw, range, file);
      }
      await file.close();
    } catch (error) {
      await file.abort();
      throw error;
    }
  }
  return duplicates;
}

/** The UTC date of each row's timestamp (a year folder of daily bars), or the folder's date for every row, as days since 1970-01-01. */
function rowDays(table: Table, tsName: string, folderDate: string | null): Int32Array {
  const days = new Int32Array(table.numRows);
  if (folderDate !== null) return days.fill(Math.round(Date.parse(`${folderDate}T00:00:00Z`) / 86_400_000));
  const ns = timestampColumn(table.getChild(tsName) as Vector).ns;
  for (let i = 0; i < days.length; i++) days[i] = Math.floor(Number(ns[i] / 1_000_000n) / 86_400_000);
  return days;
}

/**
 * `eachCleanDate` for a table by year: each raw folder's rows cleaned as there, with their
 * `date` column (Date32), gathered by calendar year: `onDate` gets one year's rows at a time
 * (`date_year=2024/part-0.parquet`), in time order.
 */
async function eachCleanYear(plan: CleanPlan, onDate: (relative: string, table: Table) => Promise<unknown>): Promise<number> {
  let duplicates = 0;
  // the rows of the year being gathered (folders come in date order, their rows in time order)
  let year: number | null = null;
  let pieces: Table[] = [];
  const flush = async () => {
    if (year !== null && pieces.length > 0) await onDate(`${YEAR_FIELD}=${year}/part-0.parquet`, pieces[0].concat(...pieces.slice(1)));
    pieces = [];
  };
  const yearOf = (days: number) => new Date(days * 86_400_000).getUTCFullYear();
  for (const range of dateRanges(plan.dates, plan.files)) {
    if (plan.signal?.aborted) throw new CancelledError('promotion: cancelled, nothing written');
    const raw = plan.dates.find((d) => d.date === range.date) as RawDate;
    const read = await readFilesTable(raw.files.map((f) => f.absolute), { signal: plan.signal });
    const table = enforceSchema(read.table, plan.schema, { mode: plan.mode }).table;
    const cleaned = clean(table, plan.drop ? plan.drop.subarray(range.start, range.end) : null, plan.tsName);
    duplicates += cleaned.duplicates;
    if (cleaned.table.numRows === 0) continue;
    const days = rowDays(cleaned.table, plan.tsName, range.perRowDate ? null : range.date);
    const dated = cleaned.table.assign(new Table({ date: makeVector(makeData({ type: new DateDay(), length: days.length, nullCount: 0, data: days })) }));
    // sorted by time, so a year's rows are one run
    for (let start = 0; start < dated.numRows; ) {
      let end = start + 1;
      while (end < dated.numRows && yearOf(days[end]) === yearOf(days[start])) end++;
      if (yearOf(days[start]) !== year) {
        await flush();
        year = yearOf(days[start]);
      }
      pieces.push(dated.slice(start, end));
      start = end;
    }
  }
  await flush();
  return duplicates;
}

/**
 * The enforcement findings `validateFiles` gives for the written files (the checks of their
 * columns: `type`, `required_column`, which come first in a report), from the first written
 * file's schema (its added `date` column, say), each counting `rows`; null when its columns
 * would be converted or fail, or hold an `asset` column (session gaps follow each row's
 * asset then): the rows written may then not be validated as the gate's were.
 */
async function writtenColumnFindings(plan: CleanPlan, files: string[], rows: number): Promise<ValidationReport['warnings'] | null> {
  const written = (await openParquetFile(files[0])).schema;
  if (written.fields.some((f) => f.name === 'asset')) return null;
  const enforced = enforceSchema(new Table(written), plan.schema, { mode: plan.mode });
  if (enforced.errors.length > 0 || Object.keys(enforced.coercions).length > 0) return null;
  return enforced.warnings.map((w) => ({ ...w, count: rows, rows: [] }));
}

/** Findings of the checks of a file's columns (enforcement), which a report lists first. */
const fromColumns = (issue: ValidationReport['warnings'][number]) => issue.rule === 'type' || issue.rule === 'required_column';

/**
 * The report `validateFiles` gives for the files written when cleaning changed no row: the
 * gate saw those very rows in that very order (nothing dropped, repeated, out of order or
 * converted), so every rule finds in the cleaned rows what it found in the raw ones; only
 * the checks of the files' columns are made again (`writtenColumnFindings`), and the target
 * is the version's. Reading 20M ticks back cost 32 s. Null when the rows written may differ
 * from the rows gated: another mode than strict, findings of errors or session gaps (whose
 * details name the target's asset), or written columns `writtenColumnFindings` refuses.
 */
async function reportOfUnchangedRows(gate: GateOutcome, plan: CleanPlan, files: string[], label: string): Promise<ValidationReport | null> {
  const report = gate.report;
  const unchanged =
    plan.mode === 'strict' &&
    files.length > 0 &&
    Object.keys(report.coercions).length === 0 &&
    (plan.drop === null || plan.drop.every((d) => d === 0)) &&
    report.metrics.duplicateTimestamps === 0 &&
    plan.unsortedRows !== null &&
    plan.unsortedRows.length === 0 &&
    report.errors.length === 0 &&
    !report.warnings.some((w) => w.rule === 'session_gap');
  if (!unchanged) return null;
  const columns = await writtenColumnFindings(plan, files, report.rowCount);
  if (!columns) return null;
  return { ...report, target: label, valid: true, errors: [], warnings: [...columns, ...report.warnings.filter((w) => !fromColumns(w))] };
}

/**
 * The rows of the gate's order (the raw files concatenated) that cleaning leaves out when it
 * only leaves rows out — the raw rows already in time order, so the rows written are the
 * others in the same order: the rows the gate drops, and of each run of rows sharing a
 * timestamp all but the last one not dropped (what both writers keep: the last in raw order
 * of a date's repeats). Null when cleaning does more: another mode than strict (conversions),
 * a table by year or a year folder of daily bars, rows out of order or order not checked,
 * repeats not checked, or a run of repeats across two trading dates (each date is cleaned
 * alone, so both would stay).
 */
function rowsLeftOut(plan: CleanPlan, rows: number): { skip: Uint8Array; duplicates: number } | null {
  if (plan.mode !== 'strict' || plan.partitionBy !== 'date' || plan.unsortedRows === null || plan.unsortedRows.length > 0 || plan.duplicateRows === null) return null;
  const ranges = dateRanges(plan.dates, plan.files);
  if (ranges.some((r) => r.perRowDate) || (plan.drop !== null && plan.drop.length !== rows)) return null;
  const skip = plan.drop ? Uint8Array.from(plan.drop) : new Uint8Array(rows);
  const repeats = [...plan.duplicateRows].sort((a, b) => a - b);
  const dateOf = (row: number) => {
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ranges[mid].start <= row) lo = mid;
      else hi = mid - 1;
    }
    return ranges[lo];
  };
  let duplicates = 0;
  for (let k = 0; k < repeats.length; ) {
    // a run: the row before the first repeat, and the repeats that follow one another
    let last = k;
    while (last + 1 < repeats.length && repeats[last + 1] === repeats[last] + 1) last++;
    const first = repeats[k] - 1;
    const end = repeats[last];
    const date = dateOf(first);
    if (first < date.start || end >= date.end) return null;
    let keep = -1;
    for (let i = end; i >= first; i--) {
      if (skip[i] === 0) {
        keep = i;
        break;
      }
    }
    for (let i = first; i <= end; i++) {
      if (i !== keep && skip[i] === 0) {
        skip[i] = 1;
        duplicates++;
      }
    }
    k = last + 1;
  }
  return { skip, duplicates };
}

/**
 * The report `validateFiles` gives for the files written when cleaning only left rows out
 * (`rowsLeftOut`): the gate's validator, which kept every finding's rows and the timestamp
 * and close columns, gives the report of its rows without those (`finishWithout`: the rules
 * that follow rows in time run again, so a dropped bar becomes the session gap it leaves),
 * under the version's target; the checks of the files' columns are made again
 * (`writtenColumnFindings`). Made right after the gate, so the validator's columns go before
 * the write; used once the write wrote as many rows. Reading 4M bars back and validating
 * them cost 4-7 s of CPU. Null when that report is not exact (see `finishWithout`), or
 * when nothing was left out and `reportOfUnchangedRows` gives it.
 */
function reportWithoutLeftOut(gate: GateOutcome, plan: CleanPlan, label: string): ValidationReport | null {
  const left = gate.validator ? rowsLeftOut(plan, gate.rows) : null;
  // nothing left out and nothing `reportOfUnchangedRows` refuses: that report it is, without running the rules again (20M ticks)
  const unchanged = left !== null && !left.skip.includes(1) && gate.report.errors.length === 0 && !gate.report.warnings.some((w) => w.rule === 'session_gap');
  const report = left && !unchanged && gate.validator ? gate.validator.finishWithout(left.skip, label) : null;
  gate.validator = null;
  return report;
}

/** `reportWithoutLeftOut`'s report for the written files, with the checks of their columns; null when it is none, counts other rows than the `rows` written, or the files' columns are refused (`writtenColumnFindings`). */
async function reportOfLeftOut(report: ValidationReport | null, plan: CleanPlan, files: string[], rows: number): Promise<ValidationReport | null> {
  if (!report || report.rowCount !== rows) return null;
  const columns = await writtenColumnFindings(plan, files, rows);
  if (!columns) return null;
  const errors = report.errors.filter((e) => !fromColumns(e));
  return { ...report, valid: errors.length === 0, errors, warnings: [...columns, ...report.warnings.filter((w) => !fromColumns(w))] };
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
  /** the gate's validator, finished (`reportWithoutLeftOut`); null once asked */
  validator: TableValidator | null;
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
  return { report, drop, dropped, files: gate.files, rows: gate.rows, ownWriter, duplicateRows, unsortedRows, validator: gate.validator };
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
 * What both plans start from: whether the newest version was made with this recipe
 * (BAD_REQUEST when append or replace would keep what another recipe made) and its raw
 * inputs, by raw folder.
 */
function newestInputs(asset: string, newest: PreviousVersion, recipe: unknown, options: { append: boolean; replace: boolean }): { sameRecipe: boolean; previousInputs: Map<string, { path: string; sha256: string }[]> } {
  const sameRecipe = recipeIdentity(newest.metadata.recipe) === recipeIdentity(recipe);
  if ((options.append || options.replace) && !sameRecipe) {
    throw new BadRequestError(`promotion of ${asset}: --${options.append ? 'append' : 'replace'} keeps dates of v${newest.version}, which was promoted with another recipe; promote without it to promote every date again`, { asset, version: newest.version });
  }
  const previousInputs = new Map<string, { path: string; sha256: string }[]>();
  for (const dependency of newest.metadata.dependencies ?? []) {
    const folder = rawFolderOf(dependency.path, asset);
    if (folder) previousInputs.set(folder, [...(previousInputs.get(folder) ?? []), { path: dependency.path, sha256: dependency.sha256 }]);
  }
  return { sameRecipe, previousInputs };
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
  const { sameRecipe, previousInputs } = newestInputs(asset, newest, recipe, options);
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
 * `planIncremental` for a table by year, whose partitions are years: a year is written
 * again whole, from every selected raw folder holding its dates, when any of them is new
 * or changed (a new daily bar in the current year's folder rewrites that year's file, about
 * 250 rows, and shares the other years); the other years are kept as `planIncremental` keeps
 * dates (`append` keeps every year of the newest version it does not write, `replace` the
 * years outside [from, to]). BAD_REQUEST as there.
 */
function planIncrementalByYear(asset: string, selection: RawDate[], newest: PreviousVersion | null, recipe: unknown, options: { append: boolean; replace: boolean; from?: string; to?: string }): IncrementalPlan {
  const all = selection.flatMap((d) => d.files.map((f) => ({ path: f.path, sha256: f.sha256 })));
  if (!newest) return { read: selection, keep: [], removed: [], inputs: all };
  const { sameRecipe, previousInputs } = newestInputs(asset, newest, recipe, options);
  const held = new Set(newest.partitions);
  const folderOf = (d: RawDate) => rawDatePath(asset, d.date);
  const unchanged = (d: RawDate) => {
    const before = previousInputs.get(folderOf(d));
    return sameRecipe && before !== undefined && inputsKey(before) === inputsKey(d.files) && yearsOf(d).every((y) => held.has(y));
  };
  // the years to write, and every folder holding a date of one of them
  const write = new Set((options.replace ? selection : selection.filter((d) => !unchanged(d))).flatMap(yearsOf));
  let read: RawDate[] = [];
  for (let size = -1; size !== write.size; ) {
    size = write.size;
    read = selection.filter((d) => yearsOf(d).some((y) => write.has(y)));
    for (const d of read) for (const y of yearsOf(d)) write.add(y);
  }
  let kept: string[];
  if (options.append) kept = newest.partitions;
  else if (options.replace) kept = newest.partitions.filter((y) => y < (options.from as string).slice(0, 4) || y > (options.to as string).slice(0, 4));
  else kept = selection.filter(unchanged).flatMap(yearsOf);
  const keep = [...new Set(kept)].filter((y) => !write.has(y)).sort();
  const keptSet = new Set(keep);
  const removed = newest.partitions.filter((y) => !keptSet.has(y) && !write.has(y));
  const readFolders = new Set(read.map(folderOf));
  // the kept years' inputs: the newest version's, from the folders not read again whose year stays
  const keptInputs = [...previousInputs].filter(([folder]) => !readFolders.has(folder) && keptSet.has(folder.slice(-10, -6))).flatMap(([, files]) => files);
  const inputs = [...keptInputs, ...read.flatMap((d) => d.files.map((f) => ({ path: f.path, sha256: f.sha256 })))].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { read, keep, removed, inputs: options.append || options.replace ? inputs : all };
}

/**
 * The first and last date of a new version of a table by year: the lowest `date` of its
 * earliest year's file and the highest of its latest's, the year written now (`written`,
 * absolute paths) or kept from the newest version.
 */
async function yearTableDateRange(store: Store, asset: string, newest: PreviousVersion | null, written: string[], kept: string[], signal?: AbortSignal): Promise<{ from: string; to: string } | null> {
  const files = new Map<string, string[]>();
  for (const file of written) {
    const year = /date_year=(\d{4})[/\\]/.exec(file)?.[1];
    if (year) files.set(year, [...(files.get(year) ?? []), file]);
  }
  if (newest) {
    const folder = absolute(store, versionPath('cleaned', newest.version, asset));
    for (const link of newest.metadata.files) {
      const year = /^(\d{4})(?:\.\d+)?\.parquet$/.exec(link.path)?.[1];
      if (year && kept.includes(year) && !files.has(year)) files.set(year, [path.join(folder, link.path)]);
    }
  }
  const years = [...files.keys()].sort();
  if (years.length === 0) return null;
  const ends = [...new Set([...(files.get(years[0]) as string[]), ...(files.get(years[years.length - 1]) as string[])])];
  return withConnection(async (connection) => {
    const [row] = await connection.rows(`SELECT strftime(min(date), '%Y-%m-%d') AS lo, strftime(max(date), '%Y-%m-%d') AS hi FROM read_parquet(${sqlFileList(ends)}, hive_partitioning = false)`, 'reading the dates of the version');
    return typeof row?.lo === 'string' && typeof row.hi === 'string' ? { from: row.lo, to: row.hi } : null;
  }, signal);
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
  const newest = await newestVersion(store, 'cleaned', asset);
  profile.mark('newest version');
  // a table by year reads whole years: a year's one file is written from all its rows
  const yearly = newest?.partitionBy === 'year';
  const selection = await rawDates(store, asset, options.from && yearly ? `${options.from.slice(0, 4)}-01-01` : options.from, options.to && yearly ? `${options.to.slice(0, 4)}-12-31` : options.to);
  profile.mark('raw sidecars');
  // a new table is by year when every raw folder it starts from is a year of daily bars; a table keeps its partitioning
  const partitionBy: PartitionBy = newest?.partitionBy ?? (selection.every((d) => d.perRowDate) ? 'year' : 'date');
  const recipe = { name: 'promote', version: RECIPE_VERSION, parameters: { schema: schema.name, schemaVersion: schema.version, mode, onInvalid, compression, from: options.from ?? null, to: options.to ?? null } };
  const planOptions = { append: options.append === true, replace: options.replace === true, from: options.from, to: options.to };
  const incremental = partitionBy === 'year' ? planIncrementalByYear(asset, selection, newest, recipe, planOptions) : planIncremental(asset, selection, newest, recipe, planOptions);
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
      : { report: new TableValidator(schema, { mode, target: label, instrumentOf }).finish(), drop: null, dropped: {}, files: [], rows: 0, ownWriter: false, duplicateRows: [], unsortedRows: [], validator: null };
  const { report, dropped, drop } = gate;
  checkCancel();
  // the identity of a version: its inputs and how they were cleaned; from/to only chose the inputs
  const identity = { ...recipe, parameters: { ...recipe.parameters, from: undefined, to: undefined } };
  const fingerprint = crypto.createHash('sha256').update(JSON.stringify({ inputs, recipe: identity })).digest('hex');
  // a table by year counts years; one by date, trading dates
  const by = partitionBy === 'year' ? { by: 'year' as const } : {};
  const counts = (written: number) => ({ shared: incremental.keep.length, written, removed: incremental.removed.length, ...by });

  const plan: CleanPlan = { store, asset, dates, files: gate.files, schema, mode, drop, tsName, duplicateRows: gate.duplicateRows, unsortedRows: gate.unsortedRows, unconverted: Object.keys(report.coercions).length === 0, compression, partitionBy, signal: options.signal, profile };
  const ownWriter = gate.ownWriter;
  const writtenLabel = `cleaned ${asset}`;
  // the report of the rows cleaning keeps, from the gate's validator, before its columns go
  const leftOutReport = options.dryRun ? null : reportWithoutLeftOut(gate, plan, writtenLabel);
  if (options.dryRun) gate.validator = null;
  profile.mark('report without left out');
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
      const duplicates = dates.length === 0 ? 0 : ownWriter ? await writeOwnStreamed(plan, ctx, compression) : await writeWithEngine(plan, ctx, duplicatesSeen);
      const droppedRows = drop ? drop.reduce((sum, d) => sum + d, 0) : 0;
      if (duplicates > 0) dropped.unique_timestamp = (dropped.unique_timestamp ?? 0) + duplicates;
      profile.mark('write');
      const files = (await fs.readdir(ctx.dir, { recursive: true })).filter((f) => f.endsWith('.parquet')).map((f) => path.join(ctx.dir, f)).sort();
      // a date the writer wrote is not also kept (a year folder of daily bars may cover kept dates)
      const writtenPartitions = new Set(files.map((f) => /(?:date=(\d{4}-\d{2}-\d{2})|date_year=(\d{4}))[/\\]/.exec(f)?.slice(1).find((v) => v !== undefined)).filter((d): d is string => d !== undefined));
      const keep = incremental.keep.filter((p) => !writtenPartitions.has(p));
      ctx.keepPartitions(keep);
      writtenDates = writtenPartitions.size;
      keptDates = keep.length;
      removedDates = (newest?.partitions ?? []).filter((p) => !writtenPartitions.has(p) && !keep.includes(p)).length;
      if (files.length === 0 && keep.length === 0) throw new ValidationGateError(`promotion of ${asset}: every row was dropped; nothing was written`, { asset, report, dropped });
      // a year's link does not name its dates: the first and the last come from the files
      if (partitionBy === 'year') sidecar.dateRange = await yearTableDateRange(store, asset, newest, files, keep, options.signal);
      progress({ fraction: 0.8, stage: 'checking what was written', rows: gate.rows });
      // the sidecar records the validation of the rows written (the gate's report stays in extra.gate)
      const written =
        files.length === 0
          ? report
          : ((await reportOfUnchangedRows(gate, plan, files, writtenLabel)) ??
            (await reportOfLeftOut(leftOutReport, plan, files, gate.rows - droppedRows - duplicates)) ??
            (await validateFiles(files, schema, { mode, label: writtenLabel, instrumentOf, signal: options.signal })).report);
      sidecar.validation = { ...written };
      sidecar.qualityMetrics = { nullCounts: written.metrics.nullCounts, completenessPercentage: written.metrics.completenessPercentage, duplicateTimestamps: written.metrics.duplicateTimestamps, gapCount: written.metrics.gapCount, missingBars: written.metrics.missingBars, dropped };
      sidecar.extra = { ...sidecar.extra, incremental: { previous: newest?.version ?? null, shared: keep.length, written: writtenDates, removed: removedDates } };
      profile.mark('written report');
    },
  });
  profile.mark('commit');
  profile.print();
  progress({ fraction: 1, stage: 'committed', rows: commit.rows });
  const dateCounts = commit.status === 'unchanged' ? { shared: commit.metadata.files.length, written: 0, removed: 0, ...by } : { shared: keptDates, written: writtenDates, removed: removedDates, ...by };
  return { version: `v${commit.version}`, path: commit.path, rows: commit.rows, inputs, report, dropped, status: commit.status, dates: dateCounts };
}
