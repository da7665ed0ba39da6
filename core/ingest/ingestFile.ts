import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tableToJsonRows } from '../arrow/arrowJson.js';
import { BadRequestError, CancelledError, CorruptedFileError, NotFoundError, ParseError } from '../errors.js';
import { CREATED_BY } from '../parquet/writeParquet.js';
import { openArrowSource, openParquetSource } from './arrowSource.js';
import { resolveAsset, stagedName } from './assetName.js';
import { planColumns, type ColumnPlan } from './columnMapping.js';
import { openCsvSource } from './csvSource.js';
import { detectFormat, hashFile, type IngestSource } from './ingestSource.js';
import type { DstGapPolicy, DstRepeatPolicy, EpochUnit, IngestOptions, IngestProgress, IngestReport, SourceFormat } from './ingestTypes.js';
import { openJsonLinesSource } from './jsonLinesSource.js';
import { describeFields, outputFields, payloadTable } from './outputSchema.js';
import { PartitionStager } from './partitionStager.js';
import { ParquetStreamWriter, type ColumnPayload, type FieldSpec } from './parquetStreamWriter.js';
import { RowConverter, type ConvertedBatch } from './rowConverter.js';
import { TimeZoneRules } from './timeZoneRules.js';
import { CME_SESSION_ZONE, TradingCalendar } from './tradingDate.js';

export const DEFAULT_TIMEZONE = CME_SESSION_ZONE;
const DEFAULT_PREVIEW_ROWS = 20;
const DEFAULT_MAX_BAD_ROWS_LISTED = 1000;
/** With `onBadRows: 'fail'`, reading stops once this many bad rows are found (the count is then "at least"). */
const FAIL_SCAN_LIMIT = 1000;
const PROGRESS_INTERVAL_MS = 100;
const COMPRESSIONS = ['zstd', 'snappy', 'gzip', 'lz4', 'none'];

/** Internal tuning, for the benchmark and tests. */
export interface IngestTuning {
  /** Parquet writer threads (default 2, 1 on a single core). */
  writerThreads?: number;
  /** Rows a trading date buffers before its writer gets them. */
  batchRows?: number;
  /** Rows all dates may buffer together before the biggest are spilled. */
  memoryRows?: number;
  maxOpenSegments?: number;
}

/**
 * Reads a market-data file (CSV/TSV of any common dialect, Parquet, Arrow IPC or JSON
 * Lines) and stages it as one Parquet file (zstd) per CME trading date at
 * `{stagingDir}/{ASSET}/{YYYY-MM-DD}/{name}.parquet`, ready for the store to commit.
 * Streams with bounded memory; nothing is committed anywhere.
 *
 * Timestamps become UTC nanoseconds: text with an offset (or `Z`) and epoch numbers are
 * absolute; naive local times are read in `options.timezone` (IANA, default
 * America/Chicago) with the DST policies `dstGap` / `dstRepeat`; dates without a time are
 * daily bars stored at 00:00 UTC of their own date. Each row goes to the CME trading date
 * of its instant (a session opens 17:00 Chicago time on the previous calendar day).
 *
 * With `dryRun`, reads the whole file and reports what would be staged (plus the first
 * rows as they would be stored), writing nothing.
 *
 * Throws BAD_REQUEST for bad options or an asset that cannot be told, INVALID_NAME for a
 * bad asset, NOT_FOUND for a missing file, PARSE_ERROR when rows are malformed and
 * `onBadRows` is `fail` (details: `badRows`, `badRowCount`, `complete`), MISSING_REQUIRED_COLUMN
 * without a timestamp column, UNSUPPORTED_FILE / CORRUPTED_FILE for unreadable files,
 * ALREADY_EXISTS when the staging folder already holds a file of the same name and date,
 * CANCELLED when `signal` aborts. On any failure everything staged so far is removed.
 */
export async function ingestFile(filePath: string, options: IngestOptions = {}, tuning: IngestTuning = {}): Promise<IngestReport> {
  const settings = checkOptions(options);
  throwIfAborted(options.signal, filePath);
  const absolute = path.resolve(filePath);
  const format = options.format ?? detectFormat(absolute);
  const asset = resolveAsset(options.asset, absolute);
  const name = stagedName(absolute);
  const zone = new TimeZoneRules(options.timezone ?? DEFAULT_TIMEZONE);
  const calendar = new TradingCalendar(zone.zone === CME_SESSION_ZONE ? zone : undefined);

  // the source's hash goes into every staged file's footer, so it comes first
  let sourceSha256 = options.sourceSha256 ?? null;
  if (!options.dryRun && sourceSha256 === null) {
    const hashing = new ProgressReporter(options.onProgress, 'hashing', fileSize(absolute));
    sourceSha256 = await hashFile(absolute, { signal: options.signal, onBytes: (bytes) => hashing.report(0, bytes) });
    hashing.report(0, hashing.totalBytes, true);
  }
  throwIfAborted(options.signal, filePath);
  const source = await openSource(absolute, format, options);
  let stager: PartitionStager | null = null;
  const writers: ParquetStreamWriter[] = [];
  try {
    const plan = planColumns(source.columns, {
      overrides: options.columns,
      keepUnmapped: options.keepUnmapped,
      epochUnit: options.epochUnit,
      notation: source.notation,
    });
    const converter = new RowConverter({
      plan,
      notation: source.notation,
      zone,
      calendar,
      gapPolicy: settings.dstGap,
      repeatPolicy: settings.dstRepeat,
      sourceNames: source.columns.map((c) => c.name),
      maxBadRowsListed: settings.maxBadRowsListed,
    });
    let fields = outputFields(plan, converter.integral);
    if (!options.dryRun) {
      const threads = tuning.writerThreads ?? defaultWriterThreads();
      if (!Number.isSafeInteger(threads) || threads < 1 || threads > 16) throw new BadRequestError(`writer threads must be a whole number from 1 to 16, got ${threads}`, { threads });
      for (let k = 0; k < threads; k++) writers.push(new ParquetStreamWriter());
    }
    // the raw-snapshot keys the store expects (layer, asset, date, source file and hash), then ours
    const keyValue: Record<string, string> = {
      'mes_data.layer': 'raw',
      'mes_data.asset': asset,
      'mes_data.source_file': path.basename(absolute),
      ...(sourceSha256 ? { 'mes_data.source_sha256': sourceSha256 } : {}),
      'mes_data.source_bytes': String(source.totalBytes),
      'mes_data.timezone': zone.zone,
      'mes_data.session': 'CME: a trading date opens at 17:00 America/Chicago on the previous calendar day',
      'mes_data.mapping': JSON.stringify(plan.mapping),
      'mes_data.dialect': JSON.stringify(source.dialect),
      ...(options.metadata ?? {}),
    };
    stager = new PartitionStager({
      // a dry run without a staging folder reports paths inside it: ASSET/DATE/name.parquet
      stagingDir: options.stagingDir ? path.resolve(options.stagingDir) : '',
      asset,
      name,
      writers,
      dryRun: options.dryRun === true,
      fields,
      compression: settings.compression,
      rowGroupSize: settings.rowGroupSize,
      keyValue,
      createdBy: CREATED_BY,
      fsync: options.fsync ?? false,
      batchRows: tuning.batchRows,
      memoryRows: tuning.memoryRows,
      maxOpenSegments: tuning.maxOpenSegments,
      signal: options.signal,
    });
    const preview = new PreviewCollector(options.dryRun ? settings.previewRows : 0);
    const progress = new ProgressReporter(options.onProgress, 'reading', source.totalBytes);
    let staging = true;
    let complete = true;
    // a dry run reports malformed rows whatever the policy; it never fails on them
    const failOnBadRows = settings.onBadRows === 'fail' && !options.dryRun;

    for await (const batch of source.batches()) {
      throwIfAborted(options.signal, filePath);
      const converted = converter.convert(batch);
      if (converter.badRowCount > 0 && failOnBadRows && staging) {
        // nothing will be kept: stop writing, keep reading to report the bad rows
        staging = false;
        await stager.abort();
      }
      if (staging) {
        const next = outputFields(plan, converter.integral);
        if (next.some((f, k) => f.type !== fields[k].type)) {
          fields = next;
          await stager.setFields(fields);
        }
        await stager.add(converted);
        preview.add(converted);
      }
      progress.report(converter.rowsRead, source.bytesRead);
      if (!staging && converter.badRowCount >= FAIL_SCAN_LIMIT) {
        complete = false;
        break;
      }
    }
    progress.report(converter.rowsRead, source.totalBytes, true);
    throwIfAborted(options.signal, filePath);

    if (converter.badRowCount > 0 && failOnBadRows) {
      const first = converter.badRows.slice(0, 5).map((b) => `line ${b.line}: ${b.reason}`);
      throw new ParseError(
        `${complete ? '' : 'at least '}${converter.badRowCount} malformed row${converter.badRowCount === 1 ? '' : 's'} in ${path.basename(absolute)}, nothing staged (use skip to stage the rest): ${first.join('; ')}${converter.badRowCount > first.length ? '; …' : ''}`,
        { path: absolute, badRows: converter.badRows, badRowCount: converter.badRowCount, complete },
      );
    }
    fields = outputFields(plan, converter.integral);
    await stager.setFields(fields);
    const partitions = await stager.finish();
    throwIfAborted(options.signal, filePath);
    let sha256: string;
    if (source.hashesWhileReading) {
      sha256 = await source.sha256();
      if (sourceSha256 !== null && sha256 !== sourceSha256) {
        throw new CorruptedFileError(`${path.basename(absolute)} changed while it was being read (SHA-256 ${sourceSha256} before, ${sha256} after); ingest it again once it is complete`, {
          path: absolute,
          reason: 'changed while reading',
          expectedSha256: sourceSha256,
          sha256,
        });
      }
    } else sha256 = sourceSha256 ?? (await source.sha256());
    const report: IngestReport = {
      source: { path: absolute, name: path.basename(absolute), bytes: source.totalBytes, sha256 },
      format: source.format,
      dialect: source.dialect,
      mapping: plan.mapping,
      timestamp: timestampReading(plan, converter.dateOnly && converter.rowsConverted > 0),
      columns: describeFields(fields),
      asset,
      timezone: zone.zone,
      rowsRead: converter.rowsRead,
      rowsWritten: stager.rowsStaged,
      badRows: converter.badRows,
      badRowCount: converter.badRowCount,
      dst: { gaps: converter.dstGaps, repeats: converter.dstRepeats, gapPolicy: settings.dstGap, repeatPolicy: settings.dstRepeat },
      dateSpan: partitions.length > 0 ? { first: partitions[0].date, last: partitions[partitions.length - 1].date } : null,
      partitions,
      dryRun: options.dryRun ?? false,
    };
    if (options.dryRun) report.preview = preview.rows(fields);
    return report;
  } catch (error) {
    await stager?.abort();
    if (isAbort(error, options.signal)) throw cancelled(filePath);
    throw error;
  } finally {
    await Promise.all(writers.map((w) => w.terminate()));
    await source.close();
  }
}

async function openSource(filePath: string, format: SourceFormat, options: IngestOptions): Promise<IngestSource> {
  switch (format) {
    case 'csv':
      return openCsvSource(filePath, options.dialect ?? {});
    case 'jsonl':
      return openJsonLinesSource(filePath);
    case 'parquet':
      return openParquetSource(filePath);
    case 'arrow':
      return openArrowSource(filePath);
  }
}

interface Settings {
  onBadRows: 'fail' | 'skip';
  dstGap: DstGapPolicy;
  dstRepeat: DstRepeatPolicy;
  compression: string;
  rowGroupSize: number;
  previewRows: number;
  maxBadRowsListed: number;
}

function checkOptions(options: IngestOptions): Settings {
  const oneOf = <T extends string>(name: string, value: T | undefined, allowed: readonly T[], fallback: T): T => {
    if (value === undefined) return fallback;
    if (!allowed.includes(value)) throw new BadRequestError(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`, { [name]: value });
    return value;
  };
  const whole = (name: string, value: number | undefined, min: number, max: number, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isSafeInteger(value) || value < min || value > max) throw new BadRequestError(`${name} must be a whole number from ${min} to ${max}, got ${value}`, { [name]: value });
    return value;
  };
  if (!options.dryRun && !options.stagingDir) throw new BadRequestError('a staging folder is required unless this is a dry run', {});
  oneOf<SourceFormat>('format', options.format, ['csv', 'parquet', 'arrow', 'jsonl'], 'csv');
  oneOf<EpochUnit>('epochUnit', options.epochUnit, ['s', 'ms', 'us', 'ns'], 's');
  if (options.sourceSha256 !== undefined && !/^[0-9a-f]{64}$/.test(options.sourceSha256)) {
    throw new BadRequestError(`sourceSha256 must be 64 lower-case hex digits, got ${JSON.stringify(options.sourceSha256)}`, { sourceSha256: options.sourceSha256 });
  }
  for (const [key, value] of Object.entries(options.metadata ?? {})) {
    if (typeof value !== 'string') throw new BadRequestError(`metadata value for "${key}" must be a string`, { key });
  }
  if (options.dialect?.delimiter !== undefined && ![',', ';', '\t', '|'].includes(options.dialect.delimiter)) {
    throw new BadRequestError(`the delimiter must be one of , ; tab |, got ${JSON.stringify(options.dialect.delimiter)}`, { delimiter: options.dialect.delimiter });
  }
  return {
    onBadRows: oneOf('onBadRows', options.onBadRows, ['fail', 'skip'], 'fail'),
    dstGap: oneOf<DstGapPolicy>('dstGap', options.dstGap, ['shift', 'reject'], 'shift'),
    dstRepeat: oneOf<DstRepeatPolicy>('dstRepeat', options.dstRepeat, ['infer', 'earlier', 'later', 'reject'], 'infer'),
    compression: oneOf<string>('compression', options.compression, COMPRESSIONS, 'zstd'),
    rowGroupSize: whole('rowGroupSize', options.rowGroupSize, 1, 1 << 26, 122_880),
    previewRows: whole('previewRows', options.previewRows, 0, 10_000, DEFAULT_PREVIEW_ROWS),
    maxBadRowsListed: whole('maxBadRowsListed', options.maxBadRowsListed, 0, 1_000_000, DEFAULT_MAX_BAD_ROWS_LISTED),
  };
}

function timestampReading(plan: ColumnPlan, dateOnly: boolean): IngestReport['timestamp'] {
  const t = plan.timestamp;
  return { kind: t.kind, epochUnit: t.kind === 'epoch' ? t.unit : null, dateOnly };
}

/**
 * Writer threads by default: two (one on a single core). Encoding thousands of small
 * files costs about twice the parsing, so with one writer the parsing thread waits; with
 * two the work spreads over both cores (docs/benchmarks.md has the measurement).
 */
function defaultWriterThreads(): number {
  return os.availableParallelism() >= 2 ? 2 : 1;
}

function fileSize(filePath: string): number {
  try {
    return fs.statSync(filePath).size;
  } catch (error) {
    throw new NotFoundError(`file not found: ${filePath}`, { path: filePath, reason: (error as Error).message });
  }
}

function throwIfAborted(signal: AbortSignal | undefined, filePath: string): void {
  if (signal?.aborted) throw cancelled(filePath);
}

function cancelled(filePath: string): CancelledError {
  return new CancelledError(`ingest of ${path.basename(filePath)} was cancelled; nothing was staged`, { path: filePath });
}

/** A cancel shows as CANCELLED, whatever the work it interrupted threw. */
function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return error instanceof CancelledError || signal?.aborted === true;
}

/** Keeps the first rows of the first batches, to show them as they would be stored. */
class PreviewCollector {
  private readonly kept: ConvertedBatch[] = [];
  private count = 0;

  constructor(private readonly limit: number) {}

  add(batch: ConvertedBatch): void {
    if (this.count >= this.limit || batch.rows === 0) return;
    const take = Math.min(batch.rows, this.limit - this.count);
    this.kept.push({
      rows: take,
      timestamps: batch.timestamps.slice(0, take),
      seconds: batch.seconds.slice(0, take),
      nanos: batch.nanos.slice(0, take),
      tradingDays: batch.tradingDays.slice(0, take),
      values: batch.values.map((v) => v.slice(0, take)),
      valid: batch.valid.map((v) => (v ? v.slice(0, take) : null)),
    });
    this.count += take;
  }

  /** The rows as JSON values, exactly as the CLI prints stored values. */
  rows(fields: FieldSpec[]): IngestReport['preview'] {
    const rows = this.count;
    const columns: ColumnPayload[] = fields.map((f, k) => {
      if (k === 0) {
        const out = new BigInt64Array(rows);
        let at = 0;
        for (const b of this.kept) {
          out.set(b.timestamps, at);
          at += b.rows;
        }
        return { data: out, valid: null };
      }
      if (f.type === 'utf8') return { data: this.kept.flatMap((b) => b.values[k - 1] as (string | null)[]), valid: null };
      const data = new Float64Array(rows);
      const valid = new Uint8Array(rows).fill(1);
      let at = 0;
      for (const b of this.kept) {
        data.set(b.values[k - 1] as Float64Array, at);
        const v = b.valid[k - 1];
        if (v) valid.set(v, at);
        at += b.rows;
      }
      return { data, valid };
    });
    return tableToJsonRows(payloadTable(fields, rows, columns));
  }
}

/** Calls the progress callback at most every 100 ms, and once at the end of its phase. */
class ProgressReporter {
  private last = 0;

  constructor(
    private readonly callback: IngestOptions['onProgress'],
    private readonly phase: IngestProgress['phase'],
    readonly totalBytes: number,
  ) {}

  report(rows: number, bytesRead: number, final = false): void {
    if (!this.callback) return;
    const now = performance.now();
    if (!final && now - this.last < PROGRESS_INTERVAL_MS) return;
    this.last = now;
    this.callback({ phase: this.phase, bytesRead, totalBytes: this.totalBytes, rows });
  }
}
