import { BadRowsDetailsSchema, type JobResult } from '../../../core/api/contract.js';
import type { ErrorLike } from '../api/errorText.ts';

/**
 * What the ingest dialog reads out of the ingest job's result (the contract's
 * `JobResult<'ingest'>`: CLI.md's `ingest` JSON, with what was detected per file) and out of
 * the PARSE_ERROR an ingest with malformed rows fails with.
 */
export type IngestResult = JobResult<'ingest'>;
type IngestSnapshot = IngestResult['snapshots'][number];

/** Malformed rows as the dialog lists them: those listed (with their file, when named) and how many there are. */
export interface ListedBadRows {
  badRows: { line: number; reason: string; file?: string }[];
  badRowCount: number;
}

/** The bad rows a PARSE_ERROR lists in its details, or null when it lists none. */
export function badRowsOfError(error: ErrorLike): ListedBadRows | null {
  if (error.code !== 'PARSE_ERROR') return null;
  const details = BadRowsDetailsSchema.safeParse(error.details);
  return details.success ? details.data : null;
}

/** A snapshot's status in words: a dry run's snapshots are the ones it would write. */
export function snapshotStatus(snapshot: IngestSnapshot): string {
  return snapshot.status === 'dry-run' ? 'would write' : snapshot.status;
}

/** The asset the snapshots are filed under ('' when there are none). */
export function ingestAsset(result: IngestResult): string {
  return result.snapshots[0]?.asset ?? '';
}

/** Source columns a mapping can choose from: the detected columns of every file, else the mapping's sources. */
export function sourceColumns(result: IngestResult): string[] {
  const detected = result.files.flatMap((f) => f.dialect.columns);
  return [...new Set(detected.length > 0 ? detected : Object.values(result.mapping))];
}

/** The target columns a mapping can set. */
export const MAPPING_TARGETS = ['timestamp', 'date', 'time', 'open', 'high', 'low', 'close', 'volume', 'adj_close', 'open_interest', 'bid', 'ask', 'bid_size', 'ask_size', 'price', 'size'] as const;

/** An uploaded file's name without the host's upload folder. */
export function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}
