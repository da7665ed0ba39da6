import fs from 'node:fs/promises';
import path from 'node:path';
import { tableToJsonRows, type JsonValue } from '../arrow/arrowJson.js';
import { resolveAsset, stagedName } from '../ingest/assetName.js';
import { ingestFile } from '../ingest/ingestFile.js';
import { InstrumentRegistry } from '../instruments/instrumentRegistry.js';
import type { ColumnOverrides, IngestReport } from '../ingest/ingestTypes.js';
import { readParquet } from '../parquet/parquetFile.js';
import { PhaseProfile } from '../promote/phaseProfile.js';
import { commitRawSnapshots, type RawSnapshotInput } from './rawSnapshot.js';
import { createStagingDir } from './stagingArea.js';
import type { Store } from './storeLayout.js';
import type { JobResult } from '../api/contract.js';

/**
 * `mes-data ingest` and the app's drop-to-ingest: every file is read, mapped and split by
 * trading date (the asset's instrument's rule, with the instruments registered in the
 * store) into Parquet files in a staging folder of the store, then all of them are
 * committed as raw snapshots in one step. Everything or nothing: a bad file (with the
 * default `onBadRows: 'fail'`), a snapshot that exists with other content, a cancel or a
 * crash leaves the store as it was.
 *
 * A dry run does all of it but the commit: the files are read, staged in the store's
 * staging area and compared with what the store holds, then thrown away. So it fails where
 * the ingest would fail, with the same error, and says which snapshots would be created
 * and which are unchanged.
 */

export interface IngestIntoStoreOptions {
  asset?: string;
  timezone?: string;
  dryRun?: boolean;
  onBadRows?: 'fail' | 'skip';
  /** target column → source column, overriding the synonyms */
  mapping?: Record<string, string>;
  previewRows?: number;
  /** Store a snapshot whose file exists with other rows as its next revision (`{name}.rev{N}.parquet`) instead of failing. */
  revise?: boolean;
  /** Who reads CSV files (see `IngestTuning.engine`; the benchmark and the tests pick). */
  engine?: 'duckdb' | 'ours';
  signal?: AbortSignal;
  progress?: (update: { fraction: number | null; stage: string; rows: number; bytes: number }) => void;
}

/** What an ingest returns (the ingest job's result): its shape is the contract's `IngestResultSchema`. */
export type IngestResult = JobResult<'ingest'>;
export type IngestSnapshot = IngestResult['snapshots'][number];

const DEFAULT_PREVIEW_ROWS = 20;

/**
 * Whether the store already holds this source's snapshots one per date on dates other than
 * January 1 (daily bars ingested before they were kept per year, or intraday data, which is
 * per date anyway): its daily bars then stay per date, so ingesting the same file again is
 * `unchanged` instead of a second copy of every bar in yearly folders. Reads folder names
 * and at most a few dozen file names.
 */
async function heldPerDate(store: Store, askedAsset: string | undefined, file: string): Promise<boolean> {
  let asset: string;
  try {
    asset = resolveAsset(askedAsset, path.resolve(file), new InstrumentRegistry(store.root).storedSymbols());
  } catch {
    return false; // ingestFile says what is wrong with the asset
  }
  const name = `${stagedName(path.resolve(file))}.parquet`;
  let dates: string[];
  try {
    dates = (await fs.readdir(path.join(store.root, 'raw', asset))).filter((d) => /^\d{4}-\d\d-\d\d$/.test(d) && !d.endsWith('-01-01'));
  } catch {
    return false;
  }
  // spread over the history: a source held per date is in most of its folders
  const step = Math.max(1, Math.floor(dates.length / 32));
  for (let k = 0; k < dates.length; k += step) {
    try {
      await fs.access(path.join(store.root, 'raw', asset, dates[k], name));
      return true;
    } catch {
      // not this one
    }
  }
  return false;
}

/** The first rows as stored: from the staged files, in date order. */
async function previewOf(report: IngestReport, limit: number): Promise<Record<string, JsonValue>[]> {
  const rows: Record<string, JsonValue>[] = [];
  for (const partition of report.partitions) {
    if (rows.length >= limit) break;
    const table = await readParquet(partition.path);
    rows.push(...tableToJsonRows(table.slice(0, limit - rows.length)));
  }
  return rows;
}

/**
 * Ingests `files` into the store as raw snapshots (see the module comment). Throws as
 * `ingestFile` (PARSE_ERROR, BAD_REQUEST, …) and `commitRawSnapshots` (ALREADY_EXISTS
 * naming the changed dates, LOCKED, CANCELLED); a dry run throws the same errors.
 */
export async function ingestIntoStore(store: Store, files: string[], options: IngestIntoStoreOptions = {}): Promise<IngestResult> {
  // MES_DATA_PROFILE=1: the time of staging and of the commit on stderr
  const profile = new PhaseProfile(`ingest ${files.map((f) => path.basename(f)).join(', ')}`);
  const staging = await createStagingDir(store);
  try {
    const reports: IngestReport[] = [];
    for (const [k, file] of files.entries()) {
      const report = await ingestFile(file, {
        asset: options.asset,
        dailySnapshots: (await heldPerDate(store, options.asset, file)) ? 'date' : 'year',
        timezone: options.timezone,
        storeRoot: store.root,
        stagingDir: staging.path,
        onBadRows: options.onBadRows,
        columns: options.mapping as ColumnOverrides | undefined,
        signal: options.signal,
        onProgress: (p) =>
          options.progress?.({
            fraction: p.totalBytes > 0 ? (k + (p.phase === 'hashing' ? 0.2 : 0.2 + 0.7 * (p.bytesRead / p.totalBytes))) / files.length : null,
            stage: `${p.phase} ${path.basename(file)}`,
            rows: p.rows,
            bytes: p.bytesRead,
          }),
      }, options.engine ? { engine: options.engine } : {});
      reports.push(report);
    }
    profile.mark('stage');
    options.progress?.({ fraction: 0.95, stage: options.dryRun ? 'comparing with the store' : 'committing', rows: reports.reduce((s, r) => s + r.rowsWritten, 0), bytes: 0 });
    const inputs: RawSnapshotInput[] = reports.flatMap((r) =>
      r.partitions.map((p) => ({
        asset: p.asset,
        date: p.date,
        name: path.basename(p.path),
        sourceParquetPath: p.path,
        ...(p.summary ? { summary: p.summary } : {}),
        sidecarExtras: {
          source: {
            fileName: r.source.name,
            bytes: r.source.bytes,
            sha256: r.source.sha256,
            dialect: r.dialect as unknown as Record<string, unknown>,
            mapping: r.mapping,
            timezone: r.timezone,
            rowsRead: r.rowsRead,
            skippedBadRows: r.badRowCount,
            badRows: r.badRows.slice(0, 100),
          },
          ...(p.dateSpan ? { extra: { period: 'year', dateSpan: p.dateSpan } } : {}),
        },
      })),
    );
    const sources = reports.flatMap((r) => r.partitions.map((p) => ({ name: r.source.name, period: r.period, dateSpan: p.dateSpan })));
    // the files move into the store with their staging folders (one rename per date)
    const results = await commitRawSnapshots(store, inputs, { signal: options.signal, staging, revise: options.revise, dryRun: options.dryRun });
    profile.mark(options.dryRun ? 'compare' : 'commit');
    const snapshots: IngestSnapshot[] = results.map((s, i) => ({
      asset: s.asset,
      date: s.date,
      path: s.path,
      rows: s.rows,
      sha256: options.dryRun ? null : s.sha256,
      status: options.dryRun ? 'dry-run' : s.status,
      ...(options.dryRun ? { wouldBe: s.status } : {}),
      ...(s.supersedes !== undefined ? { supersedes: s.supersedes } : {}),
      period: sources[i].period,
      ...(sources[i].dateSpan ? { dateSpan: sources[i].dateSpan } : {}),
      source: sources[i].name,
    }));
    const previews = options.dryRun ? await Promise.all(reports.map((r) => previewOf(r, options.previewRows ?? DEFAULT_PREVIEW_ROWS))) : null;
    const first = reports[0];
    profile.mark('report');
    profile.print();
    return {
      snapshots,
      rowsRead: reports.reduce((s, r) => s + r.rowsRead, 0),
      rowsWritten: reports.reduce((s, r) => s + r.rowsWritten, 0),
      badRows: reports.flatMap((r) => r.badRows.map((b) => ({ ...b, file: r.source.name }))),
      badRowCount: reports.reduce((s, r) => s + r.badRowCount, 0),
      mapping: first.mapping,
      timezone: first.timezone,
      dryRun: options.dryRun === true,
      files: reports.map((r, k) => ({
        path: r.source.path,
        name: r.source.name,
        bytes: r.source.bytes,
        sha256: r.source.sha256,
        format: r.format,
        dialect: r.dialect,
        mapping: r.mapping,
        columns: r.columns,
        dateSpan: r.dateSpan,
        dst: r.dst,
        timestamp: r.timestamp,
        timezone: r.timezone,
        timezoneSource: r.timezoneSource,
        instrument: r.instrument,
        tradingDateRule: r.tradingDateRule,
        sessionWarnings: r.sessionWarnings,
        period: r.period,
        engine: r.engine,
        ...(r.engineNote !== undefined ? { engineNote: r.engineNote } : {}),
        ...(previews ? { preview: previews[k] } : {}),
      })),
    };
  } finally {
    await staging.dispose();
  }
}
