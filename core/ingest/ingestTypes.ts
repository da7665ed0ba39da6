import type { JsonValue } from '../arrow/arrowJson.js';
import type { Compression } from '../parquet/compression.js';
import type { ParquetFileSummary } from './parquetFooter.js';
import type { SessionWarning } from './sessionWarnings.js';

/**
 * The shapes the ingest reader takes and returns. Everything here is plain, serializable
 * data (it crosses worker, IPC and CLI boundaries as JSON).
 */

export type SourceFormat = 'csv' | 'parquet' | 'arrow' | 'jsonl';

/** How a CSV/TSV file is written, as sniffed (or forced by the caller). */
export interface CsvDialect {
  format: 'csv';
  encoding: 'utf-8';
  /** The file starts with a UTF-8 byte order mark (skipped). */
  bom: boolean;
  /** `,` `;` `\t` or `|`. */
  delimiter: string;
  quote: '"';
  lineEnding: 'lf' | 'crlf' | 'cr';
  /** The first record names the columns. */
  header: boolean;
  /** Decimal separator of numbers. */
  decimal: '.' | ',';
  /** Thousands separator skipped inside numbers, or null when numbers have none. */
  thousands: ',' | '.' | ' ' | "'" | null;
  /** Column names: the header's, or `column1`, `column2`, … without one. */
  columns: string[];
}

/** Binary and line-delimited inputs carry their own structure. */
export interface StructuredDialect {
  format: 'parquet' | 'arrow' | 'jsonl';
  columns: string[];
}

export type Dialect = CsvDialect | StructuredDialect;

/** How the timestamp column was read. */
interface TimestampReading {
  /** `text` (ISO 8601 and the other date-time spellings), `epoch`, `split` (Date + Time columns), `typed` (a Parquet/Arrow timestamp or date). */
  kind: 'text' | 'epoch' | 'split' | 'typed';
  /** Unit of epoch numbers: detected from their magnitude unless the caller chose it. */
  epochUnit: EpochUnit | null;
  /** True when every value read so far was a date without a time (daily bars). */
  dateOnly: boolean;
}

export type EpochUnit = 's' | 'ms' | 'us' | 'ns';

/** Output column names the mapper knows; other source columns keep their own names. */
export const TARGET_COLUMNS = [
  'timestamp',
  'open',
  'high',
  'low',
  'close',
  'volume',
  'adj_close',
  'open_interest',
  'bid',
  'ask',
  'bid_size',
  'ask_size',
  'price',
  'size',
] as const;
export type TargetColumn = (typeof TARGET_COLUMNS)[number];

/**
 * Caller's column choices, by target: a source column name (matched case-insensitively) or
 * null to leave the target unmapped. `date` + `time` name split date and time columns.
 */
export type ColumnOverrides = Partial<Record<TargetColumn | 'date' | 'time', string | null>>;

/** What happens to a local time that does not exist (the hour skipped when clocks go forward). */
export type DstGapPolicy = 'shift' | 'reject';
/** What happens to a local time that occurs twice (the hour repeated when clocks go back). */
export type DstRepeatPolicy = 'infer' | 'earlier' | 'later' | 'reject';

export interface IngestProgress {
  /**
   * `hashing`: the source's SHA-256 is taken first (it goes into every staged file's
   * footer); `reading`: the rows are read and staged. Each phase runs its bytes from 0.
   */
  phase: 'hashing' | 'reading';
  /** Bytes of the source done so far in this phase, and its size. */
  bytesRead: number;
  totalBytes: number;
  /** Data rows read so far (good and bad). */
  rows: number;
}

export interface IngestOptions {
  /** Asset symbol (e.g. `MES`); without it, taken from the file name when that names a CME root. */
  asset?: string;
  /**
   * Zone of timestamps written without an offset (IANA name). Default: the asset's
   * instrument's zone (core/instruments: ES → America/Chicago, a registered NYSE stock →
   * America/New_York), America/Chicago for an asset no instrument names.
   */
  timezone?: string;
  /**
   * The store whose registered instruments (`<store>/instruments/`) say what the asset is;
   * without it, the built-in instruments only. The instrument gives the default zone, the
   * trading-date rule and the sessions rows are checked against.
   */
  storeRoot?: string | null;
  /** Folder to stage into (required unless `dryRun`): files land at `{stagingDir}/{ASSET}/{YYYY-MM-DD}/{name}.parquet`. */
  stagingDir?: string;
  /** Read and report, write nothing. */
  dryRun?: boolean;
  /** Rows shown by a dry run (default 20). */
  previewRows?: number;
  /** `fail` (default): any malformed row fails the ingest and nothing is staged. `skip`: stage the rest. */
  onBadRows?: 'fail' | 'skip';
  /** Column choices that override the synonyms. */
  columns?: ColumnOverrides;
  /** Keep source columns that map to no target (default true). */
  keepUnmapped?: boolean;
  /** Force the input format instead of detecting it from the name and the first bytes. */
  format?: SourceFormat;
  /** Force parts of the CSV dialect instead of sniffing them. */
  dialect?: Partial<Pick<CsvDialect, 'delimiter' | 'header' | 'decimal' | 'thousands'>>;
  /** Unit of epoch timestamps, instead of detecting it from their magnitude. */
  epochUnit?: EpochUnit;
  /** Nonexistent local times (default `shift`: read with the offset in force before the jump, i.e. moved forward by the gap). */
  dstGap?: DstGapPolicy;
  /** Repeated local times (default `infer`: the earlier instant unless that would step back in time from the previous row). */
  dstRepeat?: DstRepeatPolicy;
  /** Parquet compression of staged files (default zstd). */
  compression?: Compression;
  /** Maximum rows per row group of staged files (default 122,880). */
  rowGroupSize?: number;
  /**
   * How daily bars (dates without a time) are staged: `year` (default), one file per
   * calendar year dated January 1; `date`, one file per date, as stores written before
   * December 2026 hold them (the store keeps a source that is already there that way).
   */
  dailySnapshots?: 'year' | 'date';
  /** Extra key-value metadata written into every staged file's footer. */
  metadata?: Record<string, string>;
  /** fsync each staged file before reporting it (default false: the store syncs at commit). */
  fsync?: boolean;
  /** Most bad rows listed in the result and in a ParseError (default 1000; all are counted). */
  maxBadRowsListed?: number;
  /**
   * SHA-256 of the source when the caller already has it (hex). Otherwise it is computed
   * first, in a pass of its own, because it goes into the footer of every staged file.
   */
  sourceSha256?: string;
  /** Called as the source is hashed and read (about every 100 ms) and once at the end of each phase. */
  onProgress?: (progress: IngestProgress) => void;
  /** Cancels the ingest: everything staged so far is removed and CANCELLED is thrown. */
  signal?: AbortSignal;
}

export interface BadRow {
  /** 1-based line in the source file where the row starts (for Parquet and Arrow: 1-based row number). */
  line: number;
  reason: string;
}

export interface OutputColumn {
  name: string;
  /** Arrow's words: `Timestamp<NANOSECOND, UTC>`, `Float64`, `Int64`, `Utf8`. */
  type: string;
}

/** One trading date's rows, staged (or, in a dry run, that would be staged). */
export interface StagedPartition {
  asset: string;
  /** Trading date (the instrument's rule), `YYYY-MM-DD`. */
  date: string;
  /** `{stagingDir}/{ASSET}/{date}/{name}.parquet`, absolute (in a dry run without a staging folder: `{ASSET}/{date}/{name}.parquet`). */
  path: string;
  rows: number;
  /** Earliest and latest timestamp in the partition, ISO 8601 UTC with nanoseconds. */
  firstTimestamp: string;
  lastTimestamp: string;
  /** Size and SHA-256 of the staged Parquet file (null in a dry run). */
  bytes: number | null;
  sha256: string | null;
  /** A snapshot of daily bars holds a calendar year (`date` is its January 1): the first and last trading date in it. */
  dateSpan?: { first: string; last: string };
  /** What the store records about the staged file, when the writer knows it (the store then does not read the file again). */
  summary?: ParquetFileSummary;
}

export interface IngestReport {
  source: { path: string; name: string; bytes: number; sha256: string };
  format: SourceFormat;
  dialect: Dialect;
  /** Output column ← source column (`date` and `time` when the timestamp came from two columns). */
  mapping: Record<string, string>;
  timestamp: TimestampReading;
  columns: OutputColumn[];
  asset: string;
  /** The zone naive timestamps were read in (also with no naive timestamp in the file). */
  timezone: string;
  /** Why that zone: `option` (the caller's, `--tz`), `instrument` (the asset's instrument's zone), `fallback` (no instrument names the asset: America/Chicago). */
  timezoneSource: 'option' | 'instrument' | 'fallback';
  /** The instrument the asset resolved to: its zone and session template decided the zone and the trading dates. */
  instrument: { symbol: string; exchange: string; session: string; timeZone: string; source: 'built-in' | 'store' | 'fallback' };
  /** The trading-date rule applied, in words. */
  tradingDateRule: string;
  /**
   * Rows on a weekend, a closed holiday or outside the instrument's session, counted with
   * the first timestamps (empty for daily bars, where sessions do not apply).
   */
  sessionWarnings: SessionWarning[];
  rowsRead: number;
  rowsWritten: number;
  /** Malformed rows, in file order: the first `maxBadRowsListed`. */
  badRows: BadRow[];
  /** All malformed rows, including those beyond the list. */
  badRowCount: number;
  /** Rows whose local time fell in a DST gap (nonexistent) or repeat (ambiguous), and the policies applied. */
  dst: { gaps: number; repeats: number; gapPolicy: DstGapPolicy; repeatPolicy: DstRepeatPolicy };
  /** First and last trading date, or null when no row was read. */
  dateSpan: { first: string; last: string } | null;
  partitions: StagedPartition[];
  /**
   * `day`: one snapshot per trading date (intraday data); `year`: daily bars (dates
   * without a time), one snapshot per calendar year, dated January 1.
   */
  period: 'day' | 'year';
  /** What read the file: `duckdb` (CSV in the shapes it reads exactly as we do) or `ours`. */
  engine: 'duckdb' | 'ours';
  /** Why our reader read a CSV file instead of DuckDB (a DST hour, a bad row, a spelling DuckDB would read otherwise, …). */
  engineNote?: string;
  dryRun: boolean;
  /** The first rows as they are (or would be) stored, values as the CLI prints them. Dry runs only. */
  preview?: Record<string, JsonValue>[];
}
