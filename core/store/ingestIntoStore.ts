import path from 'node:path';
import type { JsonValue } from '../arrow/arrowJson.js';
import { ingestFile } from '../ingest/ingestFile.js';
import type { BadRow, ColumnOverrides, IngestReport } from '../ingest/ingestTypes.js';
import { commitRawSnapshots, type RawSnapshotInput } from './rawSnapshot.js';
import { createStagingDir } from './stagingArea.js';
import type { Store } from './storeLayout.js';

/**
 * `mes-data ingest` and the app's drop-to-ingest: every file is read, mapped and split by
 * CME trading date into Parquet files in a staging folder of the store, then all of them are
 * committed as raw snapshots in one step. Everything or nothing: a bad file (with the
 * default `onBadRows: 'fail'`), a snapshot that exists with other content, a cancel or a
 * crash leaves the store as it was.
 */

export interface IngestIntoStoreOptions {
  asset?: string;
  timezone?: string;
  dryRun?: boolean;
  onBadRows?: 'fail' | 'skip';
  /** target column → source column, overriding the synonyms */
  mapping?: Record<string, string>;
  previewRows?: number;
  signal?: AbortSignal;
  progress?: (update: { fraction: number | null; stage: string; rows: number; bytes: number }) => void;
}

export interface IngestSnapshot {
  asset: string;
  date: string;
  path: string;
  rows: number;
  sha256: string | null;
  status: 'created' | 'unchanged' | 'dry-run';
  source: string;
}

export interface IngestResult {
  snapshots: IngestSnapshot[];
  rowsRead: number;
  rowsWritten: number;
  badRows: (BadRow & { file: string })[];
  badRowCount: number;
  mapping: Record<string, string>;
  timezone: string;
  dryRun: boolean;
  /** per source file: what was detected */
  files: {
    path: string;
    name: string;
    bytes: number;
    sha256: string;
    format: string;
    dialect: unknown;
    mapping: Record<string, string>;
    columns: { name: string; type: string }[];
    dateSpan: { first: string; last: string } | null;
    dst: IngestReport['dst'];
    preview?: Record<string, JsonValue>[];
  }[];
}

export async function ingestIntoStore(store: Store, files: string[], options: IngestIntoStoreOptions = {}): Promise<IngestResult> {
  const staging = options.dryRun ? null : await createStagingDir(store);
  try {
    const reports: IngestReport[] = [];
    for (const [k, file] of files.entries()) {
      const report = await ingestFile(file, {
        asset: options.asset,
        timezone: options.timezone,
        stagingDir: staging?.path,
        dryRun: options.dryRun,
        onBadRows: options.onBadRows,
        columns: options.mapping as ColumnOverrides | undefined,
        previewRows: options.previewRows,
        signal: options.signal,
        onProgress: (p) =>
          options.progress?.({
            fraction: p.totalBytes > 0 ? (k + (p.phase === 'hashing' ? 0.2 : 0.2 + 0.7 * (p.bytesRead / p.totalBytes))) / files.length : null,
            stage: `${p.phase} ${path.basename(file)}`,
            rows: p.rows,
            bytes: p.bytesRead,
          }),
      });
      reports.push(report);
    }
    let snapshots: IngestSnapshot[];
    if (options.dryRun || !staging) {
      snapshots = reports.flatMap((r) => r.partitions.map((p) => ({ asset: p.asset, date: p.date, path: `raw/${p.asset}/${p.date}/${path.basename(p.path)}`, rows: p.rows, sha256: null, status: 'dry-run' as const, source: r.source.name })));
    } else {
      options.progress?.({ fraction: 0.95, stage: 'committing', rows: reports.reduce((s, r) => s + r.rowsWritten, 0), bytes: 0 });
      const inputs: RawSnapshotInput[] = reports.flatMap((r) =>
        r.partitions.map((p) => ({
          asset: p.asset,
          date: p.date,
          name: path.basename(p.path),
          sourceParquetPath: p.path,
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
          },
        })),
      );
      const sources = reports.flatMap((r) => r.partitions.map(() => r.source.name));
      const results = await commitRawSnapshots(store, inputs, { signal: options.signal });
      snapshots = results.map((s, i) => ({ asset: s.asset, date: s.date, path: s.path, rows: s.rows, sha256: s.sha256, status: s.status, source: sources[i] }));
    }
    const first = reports[0];
    return {
      snapshots,
      rowsRead: reports.reduce((s, r) => s + r.rowsRead, 0),
      rowsWritten: reports.reduce((s, r) => s + r.rowsWritten, 0),
      badRows: reports.flatMap((r) => r.badRows.map((b) => ({ ...b, file: r.source.name }))),
      badRowCount: reports.reduce((s, r) => s + r.badRowCount, 0),
      mapping: first.mapping,
      timezone: first.timezone,
      dryRun: options.dryRun === true,
      files: reports.map((r) => ({
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
        ...(r.preview ? { preview: r.preview } : {}),
      })),
    };
  } finally {
    await staging?.dispose();
  }
}
