import path from 'node:path';
import type { DatasetMetadata, FileInfo } from '../store/metadataManager.js';
import { partitionOfLink, type PartitionBy, type PreviousVersion } from '../store/versionCommit.js';

/**
 * How a feature set's table is partitioned, and what lets the next build go on from where a
 * version ended instead of computing the whole history again (docs/features.md, "Versions
 * that share data").
 *
 * A feature table follows its source's partitions, as cleaned tables do: a file a trading date
 * when the cleaned version has a file a trading date (intraday bars), a file a calendar year
 * when it has one a year (daily bars). `price_volatility`, one row a trading day, is always
 * kept by year: a file a date would be a file a row.
 *
 * Every feature row belongs to one source partition (its *segment*): a bar's row to its bar's
 * partition, a session's or a day's row to the partition of its first bar. The feature
 * partition of a segment is the source partition (by year for `price_volatility`), and the
 * row's `date` column is its bar's date in the cleaned version (a date partition's date, a
 * daily bar's own UTC date).
 */

/** The version of the layout and of what `extra.resume` holds (a build after another layout is full). */
export const FEATURE_LAYOUT = 1;

/** One partition of the source version, in read order, with its files (indexes into the read list). */
export interface SourcePartition {
  /** `YYYY-MM-DD` (a trading date) or `YYYY` (a calendar year) */
  value: string;
  firstFile: number;
  /** one past its last file */
  endFile: number;
  rows: number;
  /** a date partition's date as days since 1970-01-01 (NaN for a year) */
  day: number;
}

/**
 * The partitions of a source version from its files' names in read order (`2024-01-15.parquet`,
 * `2024-01-15.1.parquet`, `2024.parquet`), or null when a file is not named by a partition, a
 * partition's files are not next to each other, or dates and years are mixed (such a source
 * makes an unpartitioned feature table, one file).
 */
export function sourcePartitions(files: readonly { name: string; rows: number }[]): { by: PartitionBy; partitions: SourcePartition[] } | null {
  const partitions: SourcePartition[] = [];
  for (const [k, file] of files.entries()) {
    const value = partitionOfLink(path.posix.basename(file.name));
    if (value === null || file.name.includes('/')) return null;
    const last = partitions[partitions.length - 1];
    if (last?.value === value) {
      last.endFile = k + 1;
      last.rows += file.rows;
      continue;
    }
    if (last && value <= last.value) return null;
    partitions.push({ value, firstFile: k, endFile: k + 1, rows: file.rows, day: value.length === 4 ? Number.NaN : Math.round(Date.parse(`${value}T00:00:00Z`) / 86_400_000) });
  }
  if (partitions.length === 0) return null;
  const by: PartitionBy = partitions[0].value.length === 4 ? 'year' : 'date';
  if (partitions.some((p) => (p.value.length === 4) !== (by === 'year'))) return null;
  return { by, partitions };
}

/**
 * Where a bar's row goes: walks the source partitions bar by bar in read order (the counts
 * come from the source's sidecar; `finish` checks that the bars read were those counted).
 */
export class PartitionCursor {
  /** the partition of the bar last taken */
  index: number;
  private left: number;

  constructor(private readonly partitions: readonly SourcePartition[], start: number) {
    this.index = start - 1;
    this.left = 0;
  }

  /** Takes the next bar; answers true when it opens a partition (`index` is then the new one). */
  next(): boolean {
    if (this.left > 0) {
      this.left--;
      return false;
    }
    do this.index++;
    while (this.index < this.partitions.length && this.partitions[this.index].rows === 0);
    // more bars than the sidecar counts: they stay in the last partition, and finish() says so
    if (this.index >= this.partitions.length) {
      this.index = this.partitions.length - 1;
      this.left = Number.POSITIVE_INFINITY;
      return false;
    }
    this.left = this.partitions[this.index].rows - 1;
    return true;
  }

  /** Whether the bar last taken closes its partition. */
  get atEnd(): boolean {
    return this.left === 0;
  }

  /** True when every counted bar was read, and no more. */
  finish(): boolean {
    if (this.left !== 0) return false;
    for (let k = this.index + 1; k < this.partitions.length; k++) if (this.partitions[k].rows !== 0) return false;
    return true;
  }
}

/** The feature partition of a source partition: the same, or its year. */
export function featurePartition(sourceValue: string, by: PartitionBy): string {
  return by === 'year' ? sourceValue.slice(0, 4) : sourceValue;
}

/** A double as JSON keeps it exactly: NaN, ±Infinity and −0 as strings (JSON has no such numbers). */
export function encodeNumber(x: number): number | string {
  if (Number.isFinite(x) && !Object.is(x, -0)) return x;
  return Object.is(x, -0) ? '-0' : String(x);
}

/** The double `encodeNumber` wrote; null for anything else. */
function decodeNumber(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (value === '-0') return -0;
  if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return Number(value);
  return null;
}

/** Numbers `encodeNumber` wrote, or null when one is not such a number. */
export function decodeNumbers(values: unknown): number[] | null {
  if (!Array.isArray(values)) return null;
  const out: number[] = [];
  for (const value of values) {
    const x = decodeNumber(value);
    if (x === null) return null;
    out.push(x);
  }
  return out;
}

/** What the version sidecar's `extra.featureBuild` records of a build (a later build goes on from it only when these match). */
export interface FeatureBuildFacts {
  layout: number;
  /** the source's partitioning */
  source: PartitionBy;
  /** whether bars were taken as daily (trading dates are UTC dates) or intraday (CME sessions) */
  daily: boolean | null;
  /** the recipe's parameters but the source version */
  parameters: Record<string, unknown>;
}

/** The facts of a version sidecar, or null when it has none (built before, or unpartitioned). */
export function buildFactsOf(metadata: DatasetMetadata): FeatureBuildFacts | null {
  const facts = metadata.extra?.featureBuild as Partial<FeatureBuildFacts> | undefined;
  if (!facts || facts.layout !== FEATURE_LAYOUT || (facts.source !== 'date' && facts.source !== 'year') || typeof facts.parameters !== 'object' || facts.parameters === null) return null;
  return { layout: facts.layout, source: facts.source, daily: typeof facts.daily === 'boolean' ? facts.daily : null, parameters: facts.parameters };
}

/** Whether two recipes' parameters are the same, whatever the order they were given in. */
function sameParameters(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const canonical = (x: Record<string, unknown>) => JSON.stringify(Object.entries(x).filter(([, v]) => v !== undefined).sort(([k], [l]) => (k < l ? -1 : k > l ? 1 : 0)));
  return canonical(a) === canonical(b);
}

/** Where an incremental build starts, and what it keeps. */
export interface ResumePoint {
  /** the first source partition to read (`partitions.length`: none) */
  start: number;
  /** the previous version's feature partitions kept by reference */
  keep: string[];
  /** the previous version's file entries by feature partition */
  entries: Map<string, FileInfo>;
  previous: PreviousVersion;
}

/**
 * Where a build can go on from the newest version instead of starting over: the first source
 * partition whose files (by SHA-256) differ from those the newest version was built from, or
 * that it did not have. Null (a full build) when there is no newest version, it was built
 * otherwise (another layout, recipe, parameters or source partitioning), or the first
 * partition changed. What the set needs from the partition before (`extra.resume` of its
 * entry) is checked by the set's build, which falls back to a full build when it is missing.
 */
export function resumePoint(
  previous: PreviousVersion | null,
  facts: Omit<FeatureBuildFacts, 'daily'>,
  source: { partitions: readonly SourcePartition[]; files: readonly { name: string; sha256: string }[] },
  featureBy: PartitionBy,
): ResumePoint | null {
  if (!previous || previous.partitions.length === 0) return null;
  const before = buildFactsOf(previous.metadata);
  if (!before || before.source !== facts.source || sameParameters(before.parameters, facts.parameters) === false) return null;
  // the source files the previous version read, by partition (their names in its source version folder)
  const previousFiles = new Map<string, string[]>();
  for (const dependency of previous.metadata.dependencies ?? []) {
    if (dependency.layer !== 'cleaned') return null;
    const value = partitionOfLink(path.posix.basename(dependency.path));
    if (value === null) return null;
    previousFiles.set(value, [...(previousFiles.get(value) ?? []), `${path.posix.basename(dependency.path)} ${dependency.sha256}`]);
  }
  let start = 0;
  for (const partition of source.partitions) {
    const now = source.files.slice(partition.firstFile, partition.endFile).map((f) => `${f.name} ${f.sha256}`);
    const then = previousFiles.get(partition.value);
    if (!then || then.sort().join('\n') !== now.sort().join('\n')) break;
    previousFiles.delete(partition.value);
    start++;
  }
  // a partition the previous version read before the first changed one, which the source no longer has
  const firstChanged = start < source.partitions.length ? source.partitions[start].value : null;
  for (const value of previousFiles.keys()) if (firstChanged === null || value < firstChanged) return null;
  if (start === 0) return null;
  const boundary = firstChanged === null ? null : featurePartition(firstChanged, featureBy);
  const keep = previous.partitions.filter((p) => boundary === null || p < boundary);
  const entries = new Map<string, FileInfo>();
  for (const file of previous.metadata.files) {
    const value = partitionOfLink(file.path);
    if (value !== null) entries.set(value, file);
  }
  return { start, keep, entries, previous };
}
