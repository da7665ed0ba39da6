import { z } from 'zod';
import { COMPRESSIONS } from '../parquet/compression.js';
import { DataSchema, RuleName, Severity } from '../schema/dataSchema.js';

/** The one table of error codes (exit code, HTTP status, words), for every host and the UI. */
export { ERROR_CODES, isErrorCode, type ErrorCode } from '../errorCodes.js';
import { InstrumentSchema } from '../instruments/instrumentSchema.js';

/**
 * The one API contract: every operation the UI or the CLI can ask for, by name, with a zod
 * schema for its request and its response. The Electron main process (IPC), the browser-mode
 * host (HTTP) and the in-process client all parse requests with these schemas before a
 * handler runs; types come from `z.infer`.
 */

const JsonValue: z.ZodType<unknown> = z.unknown();

const SerializedErrorSchema = z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()) });

const StorePath = z.string().min(1).max(4096).describe('a folder on this machine');
/** A store's location: a folder, file:///…, or s3://bucket/prefix (core/objectStore/storeUrl.ts). */
const StoreUrl = z.string().min(1).max(4096).describe('a folder or s3://bucket/prefix');
/** Store-relative dataset path (`raw/MES/2024-01-15`, `cleaned/v1/MES`) or an absolute Parquet file path. */
const DatasetPath = z.string().max(4096);
/** A filter of one column in rows.query: a range (numbers, or instants for times), a text match, or null / not null. */
const QueryFilter = z.discriminatedUnion('kind', [
  z.object({ column: z.string().min(1).max(1000), kind: z.literal('range'), min: z.union([z.number(), z.string().max(100)]).optional(), max: z.union([z.number(), z.string().max(100)]).optional() }),
  z.object({ column: z.string().min(1).max(1000), kind: z.literal('text'), match: z.enum(['contains', 'equals']).default('contains'), value: z.string().max(10_000), caseSensitive: z.boolean().default(false) }),
  z.object({ column: z.string().min(1).max(1000), kind: z.literal('null'), isNull: z.boolean() }),
]);
/** Instants (ISO 8601 with Z or an offset, or ms since the epoch), both inclusive, on the timestamp column. */
const QueryTime = z.object({ column: z.string().min(1).max(1000).optional(), from: z.union([z.number(), z.string().max(100)]).optional(), to: z.union([z.number(), z.string().max(100)]).optional() });

const CatalogNodeSchema = z.object({
  kind: z.enum(['store', 'layer', 'asset', 'date', 'version', 'featureSet', 'file', 'partition']),
  name: z.string(),
  path: z.string(),
  rows: z.number().nullable().optional(),
  bytes: z.number().optional(),
  from: z.string().nullable().optional(),
  to: z.string().nullable().optional(),
  version: z.number().optional(),
  valid: z.boolean().nullable().optional(),
  createdAt: z.string().optional(),
  changelog: z.string().optional(),
  sha256: z.string().optional(),
  compression: z.string().optional(),
  error: z.string().optional(),
  get children() {
    return z.array(CatalogNodeSchema).optional();
  },
});
export type CatalogNodeDto = z.infer<typeof CatalogNodeSchema>;

const ColumnDto = z.object({ name: z.string(), type: z.string(), nullable: z.boolean() });

const ColumnChunkDto = z.object({
  name: z.string(),
  physicalType: z.string().nullable(),
  compression: z.string(),
  encodings: z.array(z.string()),
  numValues: z.number(),
  compressedBytes: z.number(),
  uncompressedBytes: z.number(),
  min: JsonValue,
  max: JsonValue,
  nullCount: z.number().nullable(),
});

const DatasetFileDto = z.object({
  /** store-relative (or absolute, outside a store) */
  path: z.string(),
  rows: z.number(),
  bytes: z.number(),
  /** first row of this file in the dataset's concatenated order */
  rowStart: z.number(),
});

export const JobKind = z.enum(['validate', 'ingest', 'promote', 'features', 'diff', 'verify', 'gc', 'migrate', 'sync']);
export type JobKind = z.infer<typeof JobKind>;

const JobStateName = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);

export const JobProgress = z.object({
  /** 0–1, or null when unknown */
  fraction: z.number().min(0).max(1).nullable(),
  rows: z.number().nullable(),
  bytes: z.number().nullable(),
  stage: z.string(),
});
export type JobProgress = z.infer<typeof JobProgress>;

/**
 * The choices a request field offers. The CLI's flags take their choices from these
 * (`schema.options`), so a choice added here is a choice on the command line.
 */
export const Mode = z.enum(['strict', 'coerce', 'ignore']);
export const Compression = z.enum(COMPRESSIONS);
export const OnBadRows = z.enum(['fail', 'skip']);
export const OnInvalid = z.enum(['fail', 'drop']);
export const FeatureSetName = z.enum(['price_volatility', 'momentum_indicators', 'volume_profile']);
export type FeatureSetName = z.infer<typeof FeatureSetName>;
const IsoDate = z.iso.date();

/**
 * The settings of a feature build, with their defaults (docs/features.md): indicator periods
 * in bars (momentum_indicators), windows in trading days (price_volatility), the price bucket
 * and the value area's share (volume_profile). A build takes only its own set's; the column
 * names stay those of the set's schema (`rsi_14` holds the RSI of `rsiPeriod` bars).
 */
export const FEATURE_PARAMETER_DEFAULTS = {
  rsiPeriod: 14,
  macdFast: 12,
  macdSlow: 26,
  macdSignal: 9,
  momentumPeriod: 10,
  volShortWindow: 30,
  volLongWindow: 60,
  atrPeriod: 14,
  tickSize: 0.25,
  valueAreaShare: 0.7,
} as const;
export type FeatureParameterName = keyof typeof FEATURE_PARAMETER_DEFAULTS;
/** Which parameters each set reads. */
export const FEATURE_SET_PARAMETERS: Record<FeatureSetName, readonly FeatureParameterName[]> = {
  momentum_indicators: ['rsiPeriod', 'macdFast', 'macdSlow', 'macdSignal', 'momentumPeriod'],
  price_volatility: ['volShortWindow', 'volLongWindow', 'atrPeriod'],
  volume_profile: ['tickSize', 'valueAreaShare'],
};
const Period = (min: number) => z.number().int().min(min).max(10_000);
const FeatureParameters = z
  .object({
    rsiPeriod: Period(1).optional(),
    macdFast: Period(1).optional(),
    macdSlow: Period(1).optional(),
    macdSignal: Period(1).optional(),
    momentumPeriod: Period(1).optional(),
    // a sample standard deviation needs two returns
    volShortWindow: Period(2).optional(),
    volLongWindow: Period(2).optional(),
    atrPeriod: Period(1).optional(),
    tickSize: z.number().positive().max(1_000_000).optional(),
    valueAreaShare: z.number().gt(0).max(1).optional(),
  })
  .strict()
  .refine((p) => (p.macdFast ?? FEATURE_PARAMETER_DEFAULTS.macdFast) < (p.macdSlow ?? FEATURE_PARAMETER_DEFAULTS.macdSlow), { message: 'macdFast must be shorter than macdSlow', path: ['macdFast'] });
export type FeatureParameters = z.infer<typeof FeatureParameters>;

/**
 * An asset as a person types it: ASCII letters upper-cased (`mes` → `MES`), the store's one
 * rule (core/store/storeNames.ts `normalizeAssetName`), applied here so that ingest,
 * promote and features read a spelling alike; anything else is checked, never repaired.
 */
const AssetInput = z.string().transform((value) => value.replace(/[a-z]+/g, (letters) => letters.toUpperCase()));

export const JobParams = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('validate'),
    target: DatasetPath,
    schema: z.string(),
    mode: Mode.default('strict'),
    timezone: z.string().optional(),
    /** the instrument whose sessions and holidays session_gap follows for every row (default: each row's or the path's asset) */
    instrument: z.string().min(1).max(100).optional(),
    /** what the report names as its target (default: the target; the CLI names a file as it was typed) */
    label: z.string().max(4096).optional(),
  }),
  z.object({
    kind: z.literal('ingest'),
    files: z.array(z.string().min(1)).min(1).max(1000),
    asset: AssetInput.optional(),
    timezone: z.string().optional(),
    dryRun: z.boolean().default(false),
    onBadRows: OnBadRows.default('fail'),
    mapping: z.record(z.string(), z.string()).optional(),
    /** Store a snapshot that exists with other rows as its next revision instead of failing (docs/versioning_semantics.md). */
    revise: z.boolean().default(false),
  }),
  z.object({
    kind: z.literal('promote'),
    asset: AssetInput,
    from: IsoDate.optional(),
    to: IsoDate.optional(),
    schema: z.string().default('ohlcv'),
    mode: Mode.default('strict'),
    onInvalid: OnInvalid.default('fail'),
    compression: Compression.default('zstd'),
    message: z.string().max(2000).default(''),
    /** only check the gate, write nothing */
    dryRun: z.boolean().default(false),
    /** add only the dates the newest version lacks, keep all of its dates (docs/versioning_semantics.md) */
    append: z.boolean().optional(),
    /** promote again exactly the dates from `from` to `to`, keep the newest version's others */
    replace: z.boolean().optional(),
  }),
  z.object({
    kind: z.literal('features'),
    set: FeatureSetName,
    asset: AssetInput,
    // a version number, never a path: `../../v1` is refused here, before any folder is looked at
    from: z.string().regex(/^v?[1-9]\d{0,8}$/, 'expected a cleaned version, vN or N (e.g. v2)').optional(),
    /** the set's settings; those left out take their defaults (FEATURE_PARAMETER_DEFAULTS) */
    parameters: FeatureParameters.optional(),
  }),
  z.object({ kind: z.literal('diff'), a: DatasetPath, b: DatasetPath }),
  z.object({ kind: z.literal('verify') }),
  z.object({
    kind: z.literal('gc'),
    /** keep the newest N versions of each table */
    keep: z.number().int().min(1).max(1_000_000_000).optional(),
    /** expire versions committed before this: a duration (30d, 12h, 2w) or a date or moment (core/store/garbageCollect.ts) */
    olderThan: z.string().min(1).max(100).optional(),
    /** only the tables of this asset */
    asset: AssetInput.optional(),
    dryRun: z.boolean().default(false),
  }),
  z.object({
    kind: z.literal('migrate'),
    /** the store folder to convert (it cannot be opened before: openStore refuses format 1); the open store when omitted */
    store: StorePath.optional(),
    dryRun: z.boolean().default(false),
  }),
  z.object({
    kind: z.literal('sync'),
    /** the store to copy: a folder or s3://bucket/prefix (core/sync/syncStores.ts) */
    from: StoreUrl,
    /** where to copy it: a folder or s3://bucket/prefix, empty, a copy of FROM or a sync of it left unfinished */
    to: StoreUrl,
    /** compare and say what would be copied, write nothing */
    dryRun: z.boolean().default(false),
  }),
]);
export type JobParams = z.infer<typeof JobParams>;
export type JobParamsInput = z.input<typeof JobParams>;

/*
 * What each job kind ends with: `result` of a succeeded job, as the worker posts it (it is
 * checked against these schemas first: core/api/runJob.ts `checkJobResult`) and as every host
 * sends it (IPC, HTTP, SSE, the CLI's --json). The core functions behind the jobs return these
 * types (`z.infer`), so a field added in one place is a compile error in the other.
 */

const Count = z.number().int().min(0);
const DateSpan = z.object({ first: z.string(), last: z.string() });
const StoreInput = z.object({ path: z.string(), sha256: z.string() });

/** One finding of a validation: which rule, how many rows, the first of them (0-based, in the target as read). */
const ValidationIssueSchema = z.object({
  rule: RuleName,
  code: z.string(),
  column: z.string().optional(),
  count: Count,
  /** at most MAX_ISSUE_ROWS (core/validation/issueRows.ts); `count` is complete */
  rows: z.array(Count),
  message: z.string(),
  severity: Severity,
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ValidationIssue = z.infer<typeof ValidationIssueSchema>;

const QualityMetricsSchema = z.object({
  nullCounts: z.record(z.string(), Count),
  completenessPercentage: z.number().min(0).max(100),
  duplicateTimestamps: Count,
  gapCount: Count,
  missingBars: Count,
  /** bar interval the gap rule used, in seconds (inferred or from the schema) */
  barIntervalSeconds: z.number().nullable().optional(),
});
export type QualityMetrics = z.infer<typeof QualityMetricsSchema>;

/** The validation report (CLI.md): the `validate` job's result, the gate of `promote`, the details of VALIDATION_GATE. */
export const ValidationReportSchema = z.object({
  target: z.string(),
  schema: z.string(),
  schemaVersion: z.string(),
  mode: Mode,
  valid: z.boolean(),
  rowCount: Count,
  errors: z.array(ValidationIssueSchema),
  warnings: z.array(ValidationIssueSchema),
  metrics: QualityMetricsSchema,
  /** conversions made (coerce mode) or normalisations (strict): column → {from, to, count} */
  coercions: z.record(z.string(), z.object({ from: z.string(), to: z.string(), count: Count })),
});
export type ValidationReport = z.infer<typeof ValidationReportSchema>;

const CsvDialectSchema = z.object({
  format: z.literal('csv'),
  encoding: z.literal('utf-8'),
  bom: z.boolean(),
  delimiter: z.string(),
  quote: z.literal('"'),
  lineEnding: z.enum(['lf', 'crlf', 'cr']),
  header: z.boolean(),
  decimal: z.enum(['.', ',']),
  thousands: z.enum([',', '.', ' ', "'"]).nullable(),
  columns: z.array(z.string()),
});
/** How a source file is written, as detected (core/ingest/ingestTypes.ts `Dialect`). */
const DialectSchema = z.discriminatedUnion('format', [CsvDialectSchema, z.object({ format: z.enum(['parquet', 'arrow', 'jsonl']), columns: z.array(z.string()) })]);

/** A malformed source row: 1-based line (Parquet, Arrow: row) and why. */
const BadRowSchema = z.object({ line: Count, reason: z.string() });

const IngestSnapshotSchema = z.object({
  asset: z.string(),
  date: z.string(),
  path: z.string(),
  rows: Count,
  sha256: z.string().nullable(),
  status: z.enum(['created', 'unchanged', 'dry-run']),
  /** in a dry run: what the ingest would do with this snapshot */
  wouldBe: z.enum(['created', 'unchanged']).optional(),
  /** a revision (`revise`): the file it supersedes in the same folder */
  supersedes: z.string().optional(),
  /** `year`: daily bars of one calendar year, `dateSpan` their first and last date */
  period: z.enum(['day', 'year']),
  dateSpan: DateSpan.optional(),
  source: z.string(),
});

const IngestResultSchema = z.object({
  snapshots: z.array(IngestSnapshotSchema),
  rowsRead: Count,
  rowsWritten: Count,
  badRows: z.array(BadRowSchema.extend({ file: z.string() })),
  badRowCount: Count,
  mapping: z.record(z.string(), z.string()),
  timezone: z.string(),
  dryRun: z.boolean(),
  /** per source file: what was detected */
  files: z.array(
    z.object({
      path: z.string(),
      name: z.string(),
      bytes: Count,
      sha256: z.string(),
      format: z.enum(['csv', 'parquet', 'arrow', 'jsonl']),
      dialect: DialectSchema,
      mapping: z.record(z.string(), z.string()),
      columns: z.array(z.object({ name: z.string(), type: z.string() })),
      dateSpan: DateSpan.nullable(),
      dst: z.object({ gaps: Count, repeats: Count, gapPolicy: z.enum(['shift', 'reject']), repeatPolicy: z.enum(['infer', 'earlier', 'later', 'reject']) }),
      /** how the timestamps were read; `dateOnly`: daily bars, where zone and sessions do not apply */
      timestamp: z.object({ kind: z.enum(['text', 'epoch', 'split', 'typed']), epochUnit: z.enum(['s', 'ms', 'us', 'ns']).nullable(), dateOnly: z.boolean() }),
      /** the zone naive times were read in, and why (`option`: asked for; `instrument`: the asset's instrument's zone; `fallback`: no instrument names the asset) */
      timezone: z.string(),
      timezoneSource: z.enum(['option', 'instrument', 'fallback']),
      instrument: z.object({ symbol: z.string(), exchange: z.string(), session: z.string(), timeZone: z.string(), source: z.enum(['built-in', 'store', 'fallback']) }),
      tradingDateRule: z.string(),
      /** rows on a weekend, a closed holiday or outside the session (empty for daily bars) */
      sessionWarnings: z.array(
        z.object({
          kind: z.enum(['weekend', 'holiday', 'outside_session']),
          count: Count,
          /** distinct trading dates they fall on */
          dates: Count,
          examples: z.array(z.object({ timestamp: z.string(), local: z.string(), tradingDate: z.string() })),
          message: z.string(),
        }),
      ),
      period: z.enum(['day', 'year']),
      engine: z.enum(['duckdb', 'ours']),
      engineNote: z.string().optional(),
      /** dry runs: the first rows as they would be stored, values as the CLI prints them */
      preview: z.array(z.record(z.string(), z.json())).optional(),
    }),
  ),
});

const PromoteResultSchema = z.object({
  /** `vN`, or null for a dry run */
  version: z.string().nullable(),
  path: z.string().nullable(),
  rows: Count,
  inputs: z.array(StoreInput),
  /** the gate: validation of the raw rows as read (row numbers in their concatenated order) */
  report: ValidationReportSchema,
  /** rows removed (or, in a dry run, that would be), per rule (duplicates: `unique_timestamp`) */
  dropped: z.record(z.string(), Count),
  status: z.enum(['created', 'unchanged', 'dry-run']),
  /**
   * partitions of the version kept by reference from the newest one, written (read and
   * gated), and left out: trading dates, or calendar years when `by` is `year` (a table of
   * daily bars partitioned by year, docs/versioning_semantics.md)
   */
  dates: z.object({ shared: Count, written: Count, removed: Count, by: z.literal('year').optional() }),
});

const FeaturesResultSchema = z.object({
  version: z.string(),
  path: z.string(),
  rows: Count,
  inputs: z.array(StoreInput),
  status: z.enum(['created', 'unchanged']),
});

const ColumnType = z.object({ name: z.string(), type: z.string() });
const DiffRowKind = z.enum(['added', 'removed', 'changed']);
const DiffSampleSchema = z.object({
  kind: DiffRowKind,
  key: z.record(z.string(), z.json()),
  /** for changed rows: the columns that differ, with both values */
  changes: z.record(z.string(), z.object({ a: z.json(), b: z.json() })).optional(),
  row: z.record(z.string(), z.json()).optional(),
});
/** The counts of a diff per trading date (core/diff/diffTables.ts `DateRule`). */
const DiffDatesSchema = z.object({
  /** a row's trading date: its `date` column (both sides have one), or its timestamp under the session template `session` (in `timeZone`) */
  source: z.enum(['column', 'session']),
  session: z.string().nullable(),
  timeZone: z.string().nullable(),
  /** the dates with a row added, removed or changed, in order (null: rows without a timestamp or date, last) */
  dates: z.array(z.object({ date: z.string().nullable(), added: Count, removed: Count, changed: Count })),
});
const DiffResultSchema = z.object({
  key: z.array(z.string()),
  schema: z.object({ added: z.array(ColumnType), removed: z.array(ColumnType), changed: z.array(z.object({ name: z.string(), from: z.string(), to: z.string() })) }),
  rows: z.object({ added: Count, removed: Count, changed: Count, unchanged: Count, a: Count, b: Count }),
  /** columns with at least one changed value, and how many rows changed in each */
  changedColumns: z.record(z.string(), Count),
  byDate: DiffDatesSchema,
  samples: z.array(DiffSampleSchema),
});

const VerifyResultSchema = z.object({
  ok: z.boolean(),
  /** path: store-relative; code: see core/store/verifyStore.ts */
  problems: z.array(z.object({ path: z.string(), code: z.string(), message: z.string() })),
  checked: z.object({ datasets: Count, files: Count, bytes: Count }),
});

const GcResultSchema = z.object({
  dryRun: z.boolean(),
  /** tables looked at */
  tables: Count,
  /** versions removed (their folder and sidecar), or that a dry run would remove */
  versions: z.array(z.object({ path: z.string(), table: z.string(), version: z.number().int(), committedAt: z.string().nullable() })),
  /** table files removed: data files, manifests, metadata; store-relative */
  files: z.array(z.object({ path: z.string(), bytes: Count })),
  bytes: Count,
});

const MigrateResultSchema = z.object({
  dryRun: z.boolean(),
  status: z.enum(['migrated', 'resumed', 'current', 'dry-run']),
  store: z.string(),
  /** raw sidecars moved into catalog/raw */
  rawSidecars: Count,
  /** older revisions of raw snapshots moved out of their date folders to catalog/raw/{ASSET}/superseded/ */
  rawRevisions: Count,
  tables: z.array(z.object({ table: z.string(), versions: z.array(z.number().int()), filesMoved: Count, filesShared: Count, bytes: Count })),
});

const SyncResultSchema = z.object({
  /** where from and where to, as the stores name themselves (a folder, s3://bucket/prefix/) */
  from: z.string(),
  to: z.string(),
  dryRun: z.boolean(),
  /** objects of FROM (hidden entries such as .staging/ and .lock/ are never copied) */
  objects: Count,
  /** objects copied (a dry run: that would be), and the ones TO already held alike (same size and SHA-256) */
  copied: Count,
  skipped: Count,
  /** bytes copied (or that would be), and bytes TO already held */
  bytes: Count,
  skippedBytes: Count,
  /** objects of TO that FROM does not have: left as they are */
  extra: Count,
  /** what was copied, in the order written; why: TO lacked it, or its size or its SHA-256 differed */
  files: z.array(z.object({ key: z.string(), bytes: Count, reason: z.enum(['missing', 'size', 'hash']) })),
});

/** The result schema of each job kind. */
export const JobResultSchemas = {
  validate: ValidationReportSchema,
  ingest: IngestResultSchema,
  promote: PromoteResultSchema,
  features: FeaturesResultSchema,
  diff: DiffResultSchema,
  verify: VerifyResultSchema,
  gc: GcResultSchema,
  migrate: MigrateResultSchema,
  sync: SyncResultSchema,
} as const satisfies Record<JobKind, z.ZodType>;
export type JobResult<K extends JobKind = JobKind> = z.infer<(typeof JobResultSchemas)[K]>;

/** The details of a VALIDATION_GATE error (promote, features build): the report, and what drop removed when every row went. */
export const ValidationGateDetailsSchema = z.object({ report: ValidationReportSchema, dropped: z.record(z.string(), Count).optional() });
/** The details of a PARSE_ERROR for malformed rows (an ingest with onBadRows fail). */
export const BadRowsDetailsSchema = z.object({ badRows: z.array(BadRowSchema), badRowCount: Count });

function jobStateOf<K extends JobKind>(kind: K) {
  return z.object({
    id: z.string(),
    kind: z.literal(kind),
    state: JobStateName,
    title: z.string(),
    createdAt: z.string(),
    /** when its thread started, and when it ended (ISO 8601): its duration */
    startedAt: z.string().optional(),
    endedAt: z.string().optional(),
    progress: JobProgress,
    /** what the job was started with (target, asset, files…) */
    params: z.record(z.string(), z.unknown()),
    /** when it succeeded */
    // z.optional(…), not ….optional(): a method call would type the result as any kind's
    result: z.optional(JobResultSchemas[kind]),
    error: SerializedErrorSchema.optional(),
  });
}

/** A job now: its kind types its result. */
export const JobStateSchema = z.discriminatedUnion('kind', [
  jobStateOf('validate'),
  jobStateOf('ingest'),
  jobStateOf('promote'),
  jobStateOf('features'),
  jobStateOf('diff'),
  jobStateOf('verify'),
  jobStateOf('gc'),
  jobStateOf('migrate'),
  jobStateOf('sync'),
]);
/** A job of kind K (any kind by default); `result` is `JobResult<K>`. */
export type JobState<K extends JobKind = JobKind> = Extract<z.infer<typeof JobStateSchema>, { kind: K }>;

/** Whether a job is of kind K: its `result`, once it has succeeded, is then a `JobResult<K>`. */
export function isJobOf<K extends JobKind>(job: JobState, kind: K): job is JobState<K> {
  return job.kind === kind;
}

function op<Req extends z.ZodType, Res extends z.ZodType>(request: Req, response: Res, description: string) {
  return { request, response, description };
}

/** One candle of `chart.series`: a bucket of bars or ticks. */
const ChartBarSchema = z.object({
  /** bucket start, ms since the epoch (UTC) */
  t: z.number(),
  o: z.number(),
  h: z.number(),
  l: z.number(),
  c: z.number(),
  v: z.number(),
  /** dataset row of the bucket's first bar or tick, for selecting it in the table */
  row: z.number(),
});
export type ChartBar = z.infer<typeof ChartBarSchema>;

/** The rows a query selects (rows.query, rows.export): the table mode or one SQL statement. */
const QuerySelection = z.object({
  path: DatasetPath,
  /** the table mode: sort over the whole dataset, filters per column, a time range */
  sort: z.array(z.object({ column: z.string().min(1).max(1000), descending: z.boolean().default(false) })).max(16).default([]),
  filters: z.array(QueryFilter).max(200).default([]),
  time: QueryTime.optional(),
  /** the SQL mode instead: one SELECT over the dataset bound as views (its name and `dataset`) */
  sql: z.string().max(100_000).optional(),
});

export const api = {
  'app.info': op(
    z.object({}),
    z.object({
      version: z.string(),
      host: z.enum(['electron', 'browser', 'cli', 'test']),
      store: z.string().nullable(),
      recentStores: z.array(z.string()),
      /** why the store the host was started with could not be opened, when it could not */
      storeError: SerializedErrorSchema.extend({ path: z.string() }).nullable(),
    }),
    'what is running and which store is open',
  ),
  'store.open': op(
    // recover: false leaves what crashed writers left behind for verify to report
    z.object({ path: StorePath, recover: z.boolean().default(true) }),
    z.object({ store: z.string(), formatVersion: z.number() }),
    'open an existing store (finishing or removing what crashed writers left, unless recover is false)',
  ),
  'store.init': op(z.object({ path: StorePath }), z.object({ store: z.string(), created: z.boolean() }), 'create a store (an existing one is left alone) and open it'),
  tree: op(z.object({ path: z.string().max(4096).default(''), depth: z.number().int().min(0).max(50).optional() }), CatalogNodeSchema, 'the catalog below a path'),
  'tree.search': op(
    z.object({ query: z.string().min(1).max(500), limit: z.number().int().min(1).max(5000).default(1000) }),
    z.object({
      /** the store node with only the nodes on the way to the matches; a match carries no children */
      tree: CatalogNodeSchema,
      /** the matches shown, in the tree's order */
      paths: z.array(z.string()),
      /** matches in the whole store (more than paths when the limit cut them) */
      matches: z.number(),
    }),
    'the catalog nodes whose path holds every word of a query (what lies below a match is not listed again)',
  ),
  'dataset.info': op(
    z.object({ path: DatasetPath }),
    z.object({
      path: z.string(),
      numRows: z.number(),
      files: z.array(DatasetFileDto),
      columns: z.array(ColumnDto),
      rowGroups: z.array(z.object({ file: z.string(), numRows: z.number(), rowStart: z.number(), columns: z.array(ColumnChunkDto) })),
      keyValue: z.record(z.string(), z.string()),
      metadata: JsonValue.nullable(),
      lineage: z.object({
        inputs: z.array(z.object({ path: z.string(), sha256: z.string().nullable() })),
        outputs: z.array(z.object({ path: z.string(), kind: z.string() })),
      }),
    }),
    'schema, footer statistics, sidecar and lineage of a file or dataset',
  ),
  'dataset.resolve': op(
    z.object({ path: DatasetPath, asOf: z.iso.datetime({ offset: true }).optional() }),
    z.object({ path: z.string(), version: z.object({ layer: z.enum(['cleaned', 'features']), key: z.string(), number: z.number().int() }).nullable() }),
    'the store path a dataset name stands for (cleaned/MES@v3, cleaned/MES for the newest version) or, with asOf, the version of a table current at that moment',
  ),
  'rows.page': op(
    z.object({ path: DatasetPath, offset: z.number().int().min(0), limit: z.number().int().min(0).max(5000), columns: z.array(z.string()).max(1000).optional() }),
    z.object({ path: z.string(), numRows: z.number(), offset: z.number(), columns: z.array(z.object({ name: z.string(), type: z.string() })), rows: z.array(z.array(JsonValue)) }),
    'rows [offset, offset + limit) of a file or dataset, values as in the CLI JSON',
  ),
  'rows.query': op(
    QuerySelection.extend({
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(0).max(5000).default(100),
      timeoutMs: z.number().int().min(100).max(600_000).default(60_000),
    }),
    z.object({
      path: z.string(),
      columns: z.array(z.object({ name: z.string(), type: z.string() })),
      rows: z.array(z.array(JsonValue)),
      /** rows the query matches in the whole dataset */
      totalRows: z.number(),
      offset: z.number(),
      /** the SQL mode: the view names the statement could use */
      views: z.array(z.string()),
      /** nanosecond columns sorted or filtered at microsecond precision (their values are exact), or SQL result columns DuckDB gave as microseconds */
      microsecond: z.array(z.string()),
    }),
    'a page of a dataset sorted and filtered in DuckDB, or of one read-only SQL statement over it, with the count of matching rows',
  ),
  'rows.export': op(
    QuerySelection.extend({
      format: z.enum(['csv', 'parquet']),
      /** the file's name in the store's exports folder, without its extension */
      name: z.string().min(1).max(100),
      replace: z.boolean().default(false),
      timeoutMs: z.number().int().min(100).max(3_600_000).default(600_000),
    }),
    z.object({
      path: z.string(),
      rows: z.number(),
      capped: z.boolean(),
      bytes: z.number(),
      /** the dataset's nanosecond columns, written at DuckDB's microsecond precision */
      microsecond: z.array(z.string()),
    }),
    "the rows of a table query or SQL statement written as CSV or Parquet to the store's exports folder",
  ),
  'chart.series': op(
    z.object({
      path: DatasetPath,
      /** window in ms since the epoch; the whole dataset when absent */
      fromMs: z.number().optional(),
      toMs: z.number().optional(),
      maxBars: z.number().int().min(10).max(10_000).default(2000),
      /** feature columns (of the same asset) to draw with the bars, each aligned to the bars' times */
      features: z
        .array(z.object({ path: DatasetPath, column: z.string().min(1).max(1000) }))
        .max(8)
        .default([]),
    }),
    z.object({
      totalRows: z.number(),
      bucketSeconds: z.number(),
      downsampled: z.boolean(),
      bars: z.array(ChartBarSchema),
      /** one per feature asked for, in its order: values[i] is the column's value as of bars[i] (its last in the bar's bucket, carried from the bar before when the bucket has none; for bars that are rows, its last row at or before the bar's time); null for none */
      features: z.array(z.object({ path: z.string(), column: z.string(), values: z.array(z.number().nullable()) })).default([]),
    }),
    'OHLCV bars for a chart, aggregated into at most maxBars buckets, with feature columns aligned to them',
  ),
  'file.rows': op(
    z.object({ path: z.string().min(1).max(4096), offset: z.number().int().min(0), rows: z.number().int().min(0), columns: z.array(z.string()).min(1).optional() }),
    z.object({ path: z.string(), numRows: z.number(), offset: z.number(), columns: z.array(z.object({ name: z.string(), type: z.string() })), rows: z.array(z.record(z.string(), JsonValue)) }),
    'rows [offset, offset + rows) of one Parquet file, decoding only the row groups that hold them (mes-data show)',
  ),
  'file.schema': op(z.object({ path: z.string().min(1).max(4096) }), z.object({ path: z.string(), numRows: z.number(), columns: z.array(ColumnDto) }), 'the columns of one Parquet file with their Arrow types (footer only)'),
  'remote.tree': op(
    z.object({ store: StoreUrl, path: z.string().max(4096).default(''), depth: z.number().int().min(0).max(50).optional() }),
    CatalogNodeSchema,
    'the catalog of an s3:// store below a path, read from its listing and sidecars (mes-data ls --store s3://…; command line only)',
  ),
  'remote.rows': op(
    z.object({ store: StoreUrl, path: z.string().min(1).max(1024), offset: z.number().int().min(0), rows: z.number().int().min(0), columns: z.array(z.string()).min(1).optional() }),
    z.object({ path: z.string(), numRows: z.number(), offset: z.number(), columns: z.array(z.object({ name: z.string(), type: z.string() })), rows: z.array(z.record(z.string(), JsonValue)) }),
    'rows [offset, offset + rows) of one Parquet object of an s3:// store, by range requests (mes-data show --store s3://…; command line only)',
  ),
  'remote.schema': op(
    z.object({ store: StoreUrl, path: z.string().min(1).max(1024) }),
    z.object({ path: z.string(), numRows: z.number(), columns: z.array(ColumnDto) }),
    'the columns of one Parquet object of an s3:// store, from its footer (mes-data schema --store s3://…; command line only)',
  ),
  'file.meta': op(
    z.object({ path: z.string().min(1).max(4096) }),
    z.object({
      path: z.string(),
      bytes: z.number(),
      numRows: z.number(),
      numRowGroups: z.number(),
      version: z.number(),
      createdBy: z.string().nullable(),
      keyValue: z.record(z.string(), z.string()),
      rowGroups: z.array(z.object({ numRows: z.number(), rowStart: z.number(), totalByteSize: z.number(), columns: z.array(ColumnChunkDto) })),
    }),
    'the footer of one Parquet file: row groups, codecs, sizes, statistics, key-value metadata',
  ),
  'file.convert': op(
    z.object({
      input: z.string().min(1).max(4096),
      output: z.string().min(1).max(4096),
      compression: Compression.default('snappy'),
      rowGroupSize: z.number().int().min(0).optional(),
      metadata: z.record(z.string(), z.string()).default({}),
    }),
    z.object({ path: z.string(), numRows: z.number(), compression: Compression, bytes: z.number() }),
    'Parquet, Arrow IPC, CSV/TSV or JSON Lines in, one Parquet file out, written atomically (the command line only: it writes wherever output says)',
  ),
  'schemas.list': op(z.object({}), z.object({ schemas: z.array(DataSchema) }), 'built-in and registered schemas'),
  'schemas.get': op(z.object({ name: z.string() }), DataSchema, 'one schema'),
  'schemas.register': op(
    // source: what error messages name (the CLI: the file); schema may be its JSON text
    z.object({ schema: z.unknown(), source: z.string().max(4096).optional() }),
    DataSchema,
    'validate a schema and keep it in the store',
  ),
  'instruments.list': op(z.object({}), z.object({ instruments: z.array(InstrumentSchema) }), 'built-in and registered instruments (exchange, session template, zone, tick size, point value)'),
  'instruments.get': op(
    z.object({ symbol: z.string().min(1).max(100), fallback: z.boolean().default(false) }),
    InstrumentSchema,
    'one instrument by symbol or contract (ESZ4 → ES); with fallback, the generic instrument instead of NOT_FOUND',
  ),
  'instruments.register': op(
    z.object({ instrument: z.unknown(), replace: z.boolean().default(false), source: z.string().max(4096).optional() }),
    z.object({ instruments: z.array(InstrumentSchema.extend({ status: z.enum(['created', 'replaced', 'unchanged']) })) }),
    'validate an instrument file (one instrument or {instruments:[…]}) and keep it in the store',
  ),
  'instruments.calendar': op(
    z.object({ symbol: z.string().min(1).max(100), year: z.number().int().min(0).max(9999) }),
    z.object({
      symbol: z.string(),
      year: z.number(),
      /** holidays and early closes of the year in the session's zone; close is null on a closed day */
      calendarEntries: z.array(z.object({ date: z.string(), close: z.string().nullable(), kind: z.enum(['closed', 'early_close', 'holiday_session']), name: z.string().nullable() })),
    }),
    "an instrument's holidays and early closes in one year",
  ),
  'instruments.sessions': op(
    z
      .object({ symbol: z.string().min(1).max(100), fromMs: z.number().finite(), toMs: z.number().finite() })
      .refine((r) => r.toMs >= r.fromMs && r.toMs - r.fromMs <= 400 * 86_400_000, { message: 'toMs must be after fromMs, at most 400 days later' }),
    z.object({
      symbol: z.string(),
      timeZone: z.string(),
      /** sessions overlapping [fromMs, toMs], UTC ms; gaps between them are breaks, weekends and holidays */
      sessions: z.array(z.object({ date: z.string(), openMs: z.number(), closeMs: z.number(), kind: z.enum(['regular', 'early_close', 'holiday_session']), name: z.string().nullable() })),
    }),
    "an instrument's trading sessions in a window (unknown symbols: the generic CME Globex hours), for session breaks on a chart",
  ),
  'diff.rows': op(
    z.object({
      a: DatasetPath,
      b: DatasetPath,
      /** the trading date (as the diff job's `byDate` names it) */
      date: IsoDate,
      kinds: z.array(DiffRowKind).min(1).max(3).default(['added', 'removed', 'changed']),
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(0).max(1000).default(100),
    }),
    z.object({
      date: z.string(),
      key: z.array(z.string()),
      source: DiffDatesSchema.shape.source,
      /** the rows of the date that differ, by kind (all kinds, whatever `kinds` asks for) */
      counts: z.object({ added: Count, removed: Count, changed: Count }),
      /** rows of the kinds asked for */
      total: Count,
      offset: Count,
      /** B's columns, then those only A has */
      columns: z.array(ColumnType),
      /** in key order: A's row (null when added), B's row (null when removed), the columns whose values differ */
      rows: z.array(z.object({ kind: DiffRowKind, key: z.record(z.string(), z.json()), a: z.record(z.string(), z.json()).nullable(), b: z.record(z.string(), z.json()).nullable(), changed: z.array(z.string()) })),
    }),
    'the rows of one trading date that differ between two versions (a page, both sides of each row), by the same join as the diff job',
  ),
  'jobs.start': op(JobParams, JobStateSchema, 'start a job (validate, ingest, promote, features, diff, verify, gc, migrate, sync)'),
  'jobs.get': op(z.object({ id: z.string() }), JobStateSchema, 'a job now'),
  'jobs.list': op(z.object({}), z.object({ jobs: z.array(JobStateSchema) }), 'recent jobs, newest first'),
  'jobs.cancel': op(z.object({ id: z.string() }), JobStateSchema, 'ask a job to stop; what it wrote is removed'),
  'jobs.wait': op(z.object({ id: z.string(), timeoutMs: z.number().int().min(0).max(600_000).default(60_000) }), JobStateSchema, 'a job once it has ended (or when the timeout passes)'),
} as const;

type Api = typeof api;
export type ApiName = keyof Api;
export type ApiRequest<K extends ApiName> = z.input<Api[K]['request']>;
export type ApiParsedRequest<K extends ApiName> = z.output<Api[K]['request']>;
export type ApiResponse<K extends ApiName> = z.output<Api[K]['response']>;

export function isApiName(name: string): name is ApiName {
  return Object.prototype.hasOwnProperty.call(api, name);
}

/** A job's progress or end, pushed to subscribers (IPC channel `jobs:event`, SSE `/api/events`). */
export type JobEvent = { type: 'job'; job: JobState };

/** Commands the desktop app's native menu sends the page (`store-opened` once File › Open Store… has opened one). */
export type MenuCommand = 'store-opened' | 'open-bucket' | 'ingest-files' | 'validate' | 'promote' | 'features' | 'jobs';

/** What a host pushes to the page: job events, and in the desktop app menu commands. */
export type HostEvent = JobEvent | { type: 'menu'; command: MenuCommand; path?: string; paths?: string[] };

/** An error as it crosses a host boundary. */
export interface ApiErrorShape {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

/** The reply to one call over the desktop bridge: errors travel as data (IPC loses an Error's fields). */
export type InvokeReply<K extends ApiName = ApiName> = { ok: true; result: ApiResponse<K> } | { ok: false; error: ApiErrorShape };

/**
 * The desktop app's bridge, `window.mesData`: declared here once, implemented by the preload
 * (electron/preload.ts, which imports these types only, so zod stays out of it) and called by
 * the renderer's desktop transport.
 */
export interface HostBridge {
  invoke<K extends ApiName>(name: K, request: ApiRequest<K>): Promise<InvokeReply<K>>;
  onEvent(listener: (event: HostEvent) => void): () => void;
  pathForFile(file: File): string;
}
