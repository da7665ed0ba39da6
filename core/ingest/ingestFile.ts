import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tableToJsonRows } from '../arrow/arrowJson.js';
import { BadRequestError, CancelledError, CorruptedFileError, NotFoundError, ParseError } from '../errors.js';
import { COMPRESSIONS } from '../parquet/compression.js';
import { CREATED_BY } from '../parquet/writeParquet.js';
import { openArrowSource, openParquetSource } from './arrowSource.js';
import { resolveAsset, stagedName } from './assetName.js';
import { planColumns, type ColumnPlan } from './columnMapping.js';
import { openCsvSource } from './csvSource.js';
import { duckdbStagingFolder, stageCsvWithDuckdb } from './duckdbCsvIngest.js';
import { detectFormat, hashFile, type IngestSource } from './ingestSource.js';
import type { CsvDialect, DstGapPolicy, DstRepeatPolicy, EpochUnit, IngestOptions, IngestProgress, IngestReport, SourceFormat } from './ingestTypes.js';
import { openJsonLinesSource } from './jsonLinesSource.js';
import { describeFields, outputFields, payloadTable } from './outputSchema.js';
import { DateTimeReader } from './timestampParser.js';
import { daysFromCivil } from '../time/civilDays.js';
import { daysToDate } from '../arrow/arrowJson.js';
import { PartitionStager } from './partitionStager.js';
import { ParquetStreamWriter, type ColumnPayload, type FieldSpec } from './parquetStreamWriter.js';
import { RowConverter, type ConvertedBatch } from './rowConverter.js';
import { genericInstrument, InstrumentRegistry } from '../instruments/instrumentRegistry.js';
import type { Instrument } from '../instruments/instrumentSchema.js';
import { SessionChecker, type SessionWarning } from './sessionWarnings.js';
import { copyInt64, sqlFileList, withConnection } from '../engine/duckdbEngine.js';
import { TimeZoneRules } from './timeZoneRules.js';
import { TradingCalendar } from './tradingDate.js';

const DEFAULT_PREVIEW_ROWS = 20;
const DEFAULT_MAX_BAD_ROWS_LISTED = 1000;
const PROGRESS_INTERVAL_MS = 100;

/** Internal tuning, for the benchmark and tests. */
interface IngestTuning {
  /** Parquet writer threads (default 2, 1 on a single core). */
  writerThreads?: number;
  /** Rows a trading date buffers before its writer gets them. */
  batchRows?: number;
  /** Rows all dates may buffer together before the biggest are spilled. */
  memoryRows?: number;
  maxOpenSegments?: number;
  /**
   * Who reads a CSV: `ours` (our reader), or `duckdb` (DuckDB when it reads the file exactly
   * as ours would, else ours). Default: `MES_DATA_INGEST_ENGINE`, else `ours` — see
   * `defaultCsvEngine`.
   */
  engine?: 'duckdb' | 'ours';
}

/**
 * Reads a market-data file (CSV/TSV of any common dialect, Parquet, Arrow IPC or JSON
 * Lines) and stages it as one Parquet file (zstd) per trading date at
 * `{stagingDir}/{ASSET}/{YYYY-MM-DD}/{name}.parquet`, ready for the store to commit.
 * Streams with bounded memory; nothing is committed anywhere.
 *
 * The asset's instrument (`instrumentFor(storeRoot, asset)`: a built-in, one registered in
 * the store, else the generic CME one) gives the defaults. Timestamps become UTC
 * nanoseconds: text with an offset (or `Z`) and epoch numbers are absolute; naive local
 * times are read in `options.timezone`, else the instrument's zone (ES: America/Chicago,
 * a stock registered on NYSE: America/New_York), with the DST policies `dstGap` /
 * `dstRepeat`; dates without a time are daily bars stored at 00:00 UTC of their own date.
 * Each row goes to the trading date of its instant by the instrument's session template
 * (CME: a session opens 17:00 Chicago time on the previous calendar day; NYSE: the
 * calendar date in New York). Rows on a weekend, a closed holiday or outside the session
 * are counted in `sessionWarnings` (not for daily bars).
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
  const registry = new InstrumentRegistry(options.storeRoot ?? null);
  const asset = resolveAsset(options.asset, absolute, registry.storedSymbols());
  const name = stagedName(absolute);
  const instrument = registry.find(asset) ?? genericInstrument(asset);
  const timezoneSource: IngestReport['timezoneSource'] = options.timezone !== undefined ? 'option' : instrument.source === 'fallback' ? 'fallback' : 'instrument';
  const zone = new TimeZoneRules(options.timezone ?? instrument.timeZone);
  const calendar = new TradingCalendar(instrument.session, zone.zone === instrument.session.timeZone ? zone : undefined);
  const zoneFacts = {
    timezone: zone.zone,
    timezoneSource,
    instrument: { symbol: instrument.symbol, exchange: instrument.exchange, session: instrument.session.id, timeZone: instrument.timeZone, source: instrument.source },
    tradingDateRule: tradingDateRuleWords(instrument),
  };

  // the source's hash goes into every staged file's footer: our reader needs it before it
  // writes; the DuckDB path patches footers after its COPY, so there it is taken meanwhile
  const knownSha256 = options.sourceSha256 ?? null;
  const hashing: { promise: Promise<string> | null } = { promise: null };
  // `verify`: the DuckDB path checks a hash it was given (our reader checks while it reads)
  const startHashing = (verify = false): Promise<string> => {
    if (knownSha256 !== null && !verify) return Promise.resolve(knownSha256);
    hashing.promise ??= (async () => {
      const reporter = new ProgressReporter(options.onProgress, 'hashing', fileSize(absolute));
      const sha = await hashFile(absolute, { signal: options.signal, onBytes: (bytes) => reporter.report(0, bytes) });
      reporter.report(0, reporter.totalBytes, true);
      return sha;
    })();
    return hashing.promise;
  };
  const before = fileIdentity(absolute);
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
    // daily bars (timestamps that are dates alone) are snapshotted per calendar year, not per date
    const dateOnlySample = isDateOnlySample(plan, source);
    const yearly = options.dailySnapshots !== 'date' && dateOnlySample;
    // sessions do not apply to daily bars
    const sessions = dateOnlySample ? null : new SessionChecker(instrument, zone);
    const commonKeys = (sha: string | null): Record<string, string> => ({
      'mes_data.layer': 'raw',
      'mes_data.asset': asset,
      'mes_data.source_file': path.basename(absolute),
      ...(sha ? { 'mes_data.source_sha256': sha } : {}),
      'mes_data.source_bytes': String(source.totalBytes),
      'mes_data.timezone': zone.zone,
      'mes_data.session': zoneFacts.tradingDateRule,
      'mes_data.mapping': JSON.stringify(plan.mapping),
      'mes_data.dialect': JSON.stringify(source.dialect),
      ...(yearly ? { 'mes_data.period': 'year' } : {}),
      ...(options.metadata ?? {}),
    });
    let engineNote: string | null = null;
    if (source.format === 'csv' && !options.dryRun && (tuning.engine ?? defaultCsvEngine()) === 'duckdb') {
      const stagingDir = path.resolve(options.stagingDir ?? '');
      const reading = new ProgressReporter(options.onProgress, 'reading', source.totalBytes);
      const sha = startHashing(true);
      const fast = await stageCsvWithDuckdb({
        file: absolute,
        dialect: source.dialect as CsvDialect,
        samples: source.columns.map((c) => c.values),
        plan,
        zone,
        tradingDateRule: instrument.session,
        stagingDir,
        asset,
        name,
        compression: settings.compression,
        rowGroupSize: settings.rowGroupSize,
        keyValue: sha.then(commonKeys),
        yearly,
        signal: options.signal,
        onProgress: (fraction) => reading.report(0, Math.round(fraction * source.totalBytes)),
      }).catch(async (error: unknown) => {
        await fs.promises.rm(duckdbStagingFolder(stagingDir, asset, name), { recursive: true, force: true });
        throw error;
      });
      if (!('fallback' in fast)) {
        try {
          const sha256 = await sha;
          checkUnchanged(absolute, before, sha256, knownSha256);
          reading.report(fast.rows, source.totalBytes, true);
          return {
            source: { path: absolute, name: path.basename(absolute), bytes: source.totalBytes, sha256 },
            format: 'csv',
            dialect: source.dialect,
            mapping: plan.mapping,
            timestamp: { kind: 'text', epochUnit: null, dateOnly: fast.dateOnly },
            columns: describeFields(fast.fields),
            asset,
            ...zoneFacts,
            sessionWarnings: fast.dateOnly || !sessions ? [] : await sessionWarningsOfStaged(fast.partitions, sessions, calendar, fast.naive, options.signal),
            rowsRead: fast.rows,
            rowsWritten: fast.rows,
            badRows: [],
            badRowCount: 0,
            dst: { gaps: 0, repeats: 0, gapPolicy: settings.dstGap, repeatPolicy: settings.dstRepeat },
            dateSpan: spanOf(fast.partitions),
            partitions: fast.partitions,
            period: yearly ? 'year' : 'day',
            engine: 'duckdb',
            dryRun: false,
          };
        } catch (error) {
          await removeStaged(fast.partitions.map((p) => p.path));
          throw error;
        }
      }
      engineNote = fast.fallback;
    }
    // the writer threads start (load their code and WebAssembly) on the other core while this one hashes
    if (!options.dryRun) {
      const threads = tuning.writerThreads ?? defaultWriterThreads(source.totalBytes);
      if (!Number.isSafeInteger(threads) || threads < 1 || threads > 16) throw new BadRequestError(`writer threads must be a whole number from 1 to 16, got ${threads}`, { threads });
      for (let k = 0; k < threads; k++) writers.push(new ParquetStreamWriter());
    }
    const sourceSha256 = options.dryRun ? knownSha256 : await startHashing();
    throwIfAborted(options.signal, filePath);
    let subMicrosecond = false;
    let fields = outputFields(plan, converter.integral, subMicrosecond);
    // the raw-snapshot keys the store expects (layer, asset, date, source file and hash), then ours
    const keyValue = commonKeys(sourceSha256);
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
    // a dry run fails where the ingest would: it predicts the ingest, exit code and errors included
    const failOnBadRows = settings.onBadRows === 'fail';
    const years = yearly ? new YearStarts() : null;

    for await (const batch of source.batches()) {
      throwIfAborted(options.signal, filePath);
      const converted = converter.convert(batch);
      if (converter.badRowCount > 0 && failOnBadRows && staging) {
        // nothing will be kept: stop writing, keep reading to count every bad row
        staging = false;
        await stager.abort();
      }
      if (staging) {
        if (!subMicrosecond) subMicrosecond = hasSubMicroseconds(converted.nanos, converted.rows);
        sessions?.add(converted.seconds, converted.nanos, converted.tradingDays, converted.rows);
        if (years) years.map(converted.tradingDays, converted.rows);
        const next = outputFields(plan, converter.integral, subMicrosecond);
        if (next.some((f, k) => f.type !== fields[k].type)) {
          fields = next;
          await stager.setFields(fields);
        }
        await stager.add(converted);
        preview.add(converted);
      }
      progress.report(converter.rowsRead, source.bytesRead);
    }
    progress.report(converter.rowsRead, source.totalBytes, true);
    throwIfAborted(options.signal, filePath);

    if (converter.badRowCount > 0 && failOnBadRows) throw badRowsError(absolute, converter.badRowCount, converter.badRows, converter.rowsRead);
    fields = outputFields(plan, converter.integral, subMicrosecond);
    await stager.setFields(fields);
    const partitions = await stager.finish();
    throwIfAborted(options.signal, filePath);
    let sha256: string;
    if (source.hashesWhileReading) {
      sha256 = await source.sha256();
      if (sourceSha256 !== null && sha256 !== sourceSha256) throw changedWhileRead(absolute, sourceSha256, sha256);
    } else sha256 = sourceSha256 ?? (await source.sha256());
    const staged = yearly ? partitions.map((p) => ({ ...p, dateSpan: { first: p.firstTimestamp.slice(0, 10), last: p.lastTimestamp.slice(0, 10) } })) : partitions;
    const report: IngestReport = {
      source: { path: absolute, name: path.basename(absolute), bytes: source.totalBytes, sha256 },
      format: source.format,
      dialect: source.dialect,
      mapping: plan.mapping,
      timestamp: timestampReading(plan, converter.dateOnly && converter.rowsConverted > 0),
      columns: describeFields(fields),
      asset,
      ...zoneFacts,
      sessionWarnings: sessions && !(converter.dateOnly && converter.rowsConverted > 0) ? sessions.warnings(converter.localTimes > 0) : [],
      rowsRead: converter.rowsRead,
      rowsWritten: stager.rowsStaged,
      badRows: converter.badRows,
      badRowCount: converter.badRowCount,
      dst: { gaps: converter.dstGaps, repeats: converter.dstRepeats, gapPolicy: settings.dstGap, repeatPolicy: settings.dstRepeat },
      dateSpan: spanOf(staged),
      partitions: staged,
      period: yearly ? 'year' : 'day',
      engine: 'ours',
      ...(engineNote !== null ? { engineNote } : {}),
      dryRun: options.dryRun ?? false,
    };
    if (options.dryRun) report.preview = preview.rows(fields);
    return report;
  } catch (error) {
    await stager?.abort();
    await hashing.promise?.catch(() => undefined);
    if (isAbort(error, options.signal)) throw cancelled(filePath);
    throw error;
  } finally {
    await Promise.all(writers.map((w) => w.terminate()));
    await source.close();
  }
}

/**
 * The session warnings of files DuckDB staged: their timestamps read back by DuckDB in one
 * query over every file (one column), each row's trading date from the same rule the COPY
 * applied.
 */
async function sessionWarningsOfStaged(partitions: { path: string }[], checker: SessionChecker, calendar: TradingCalendar, naive: boolean, signal?: AbortSignal): Promise<SessionWarning[]> {
  if (partitions.length === 0) return checker.warnings(naive);
  const micros = new BigInt64Array(2048);
  const seconds = new Float64Array(2048);
  const nanos = new Int32Array(2048);
  const days = new Int32Array(2048);
  await withConnection(async (connection) => {
    const files = partitions.map((p) => p.path);
    await connection.stream(`SELECT epoch_us("timestamp") FROM read_parquet(${sqlFileList(files)})`, `reading the timestamps of ${files.length} staged files`, (chunk) => {
      const n = chunk.rowCount;
      copyInt64(chunk, 0, micros, 0);
      for (let i = 0; i < n; i++) {
        const us = Number(micros[i]);
        const second = Math.floor(us / 1e6);
        seconds[i] = second;
        nanos[i] = (us - second * 1e6) * 1000;
        days[i] = calendar.tradingDay(second);
      }
      checker.add(seconds, nanos, days, n);
    });
  }, signal);
  return checker.warnings(naive);
}

/** The trading-date rule of an instrument in words (also the `mes_data.session` footer key). */
function tradingDateRuleWords(instrument: Instrument): string {
  const t = instrument.session;
  const who = instrument.source === 'fallback' ? 'CME' : instrument.exchange;
  return t.opensPreviousDay ? `${who}: a trading date opens at ${t.open} ${t.timeZone} on the previous calendar day` : `${who}: the calendar date in ${t.timeZone}`;
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

/**
 * The PARSE_ERROR of a file with malformed rows: the exact count (the whole file is read),
 * the first five with their lines, and the flag that keeps the good rows.
 */
function badRowsError(file: string, count: number, listed: IngestReport['badRows'], rowsRead: number): ParseError {
  const first = listed.slice(0, 5).map((b) => `line ${b.line}: ${b.reason}`);
  const all = count === rowsRead ? (count === 1 ? 'the only row is' : `all ${count} rows are`) : `${count} of ${rowsRead} rows ${count === 1 ? 'is' : 'are'}`;
  return new ParseError(
    `${all} malformed in ${path.basename(file)}, nothing staged (ingest with --on-bad-rows skip to keep the other rows): ${first.join('; ')}${count > first.length ? '; …' : ''}`,
    { path: file, badRows: listed, badRowCount: count, rowsRead, complete: true },
  );
}

function changedWhileRead(file: string, expected: string, sha256: string): CorruptedFileError {
  return new CorruptedFileError(`${path.basename(file)} changed while it was being read (SHA-256 ${expected} before, ${sha256} after); ingest it again once it is complete`, {
    path: file,
    reason: 'changed while reading',
    expectedSha256: expected,
    sha256,
  });
}

/** Size and modification time: what tells that the file changed while DuckDB read it. */
function fileIdentity(file: string): { size: number; mtimeMs: number } | null {
  try {
    const stat = fs.statSync(file);
    return { size: stat.size, mtimeMs: stat.mtimeMs };
  } catch {
    return null;
  }
}

function checkUnchanged(file: string, before: { size: number; mtimeMs: number } | null, sha256: string, known: string | null): void {
  if (known !== null && known !== sha256) throw changedWhileRead(file, known, sha256);
  const after = fileIdentity(file);
  if (before !== null && after !== null && after.size === before.size && after.mtimeMs === before.mtimeMs) return;
  throw new CorruptedFileError(
    `${path.basename(file)} changed while it was being read (${before?.size ?? '?'} bytes before, ${after ? `${after.size} bytes and a new modification time` : 'gone'} after); ingest it again once it is complete`,
    { path: file, reason: 'changed while reading', before, after },
  );
}

function spanOf(partitions: { date: string; dateSpan?: { first: string; last: string } }[]): { first: string; last: string } | null {
  if (partitions.length === 0) return null;
  const first = partitions[0];
  const last = partitions[partitions.length - 1];
  return { first: first.dateSpan?.first ?? first.date, last: last.dateSpan?.last ?? last.date };
}

/** Removes staged files and then their date and asset folders when nothing else is left in them. */
async function removeStaged(files: string[]): Promise<void> {
  for (const file of files) {
    await fs.promises.rm(file, { force: true });
    for (const dir of [path.dirname(file), path.dirname(path.dirname(file))]) {
      try {
        await fs.promises.rmdir(dir);
      } catch {
        break; // not empty: someone else's files
      }
    }
  }
}

function hasSubMicroseconds(nanos: Int32Array, rows: number): boolean {
  for (let i = 0; i < rows; i++) if (nanos[i] % 1000 !== 0) return true;
  return false;
}

/**
 * Whether the file holds daily (or slower) bars: every sampled timestamp is a date without a
 * time (text dates of any spelling, or a typed date column). Decided once per file, from the
 * first 1,000 rows, so every row of it goes to the same kind of snapshot.
 */
function isDateOnlySample(plan: ColumnPlan, source: IngestSource): boolean {
  const t = plan.timestamp;
  if (t.kind === 'typed') return source.columns[t.source]?.kind === 'date';
  if (t.kind !== 'text') return false;
  const values = source.columns[t.source]?.values ?? [];
  if (values.length === 0) return false;
  const reader = new DateTimeReader();
  return values.every((v) => {
    const bytes = Buffer.from(v.trim().replace(/^"|"$/g, ''));
    return reader.parse(bytes, 0, bytes.length) && reader.dateOnly;
  });
}

/** Maps trading days (days since 1970) to the first day of their calendar year, in place. */
class YearStarts {
  private from = 0;
  private to = -1;
  private start = 0;

  map(days: Int32Array, rows: number): void {
    for (let i = 0; i < rows; i++) {
      const d = days[i];
      if (d < this.from || d > this.to) {
        const year = Number(daysToDate(d).slice(0, 4));
        this.start = daysFromCivil(year, 1, 1);
        this.from = this.start;
        this.to = daysFromCivil(year + 1, 1, 1) - 1;
      }
      days[i] = this.start;
    }
  }
}

function timestampReading(plan: ColumnPlan, dateOnly: boolean): IngestReport['timestamp'] {
  const t = plan.timestamp;
  return { kind: t.kind, epochUnit: t.kind === 'epoch' ? t.unit : null, dateOnly };
}

/**
 * The CSV reader used unless the caller picks one: `MES_DATA_INGEST_ENGINE` (`duckdb` or
 * `ours`), else ours. Measured on the 2-core build machine (docs/benchmarks.md), 4.1M
 * one-minute bars staged in 6.2–7.1 s by our reader (a parsing thread and two writer
 * threads) against 8.4–8.7 s through DuckDB (its COPY with the checks that keep it exact,
 * then the per-date footers and the rewrite of the dates it wrote out of order); so ours
 * stays the default here, and the DuckDB path is one setting away where it measures faster.
 */
function defaultCsvEngine(): 'duckdb' | 'ours' {
  return process.env.MES_DATA_INGEST_ENGINE === 'duckdb' ? 'duckdb' : 'ours';
}

/** Below this size a file is staged by one writer thread (see `defaultWriterThreads`). */
const ONE_WRITER_BELOW_BYTES = 8 * 1024 * 1024;

/**
 * Writer threads by default: two (one on a single core). Encoding thousands of small
 * files costs about twice the parsing, so with one writer the parsing thread waits; with
 * two the work spreads over both cores (docs/benchmarks.md has the measurement). A small
 * file (corrections, a daily history) gets one: a second thread would cost its start and
 * its own WebAssembly instance for a handful of files.
 */
function defaultWriterThreads(sourceBytes: number): number {
  return os.availableParallelism() >= 2 && sourceBytes >= ONE_WRITER_BELOW_BYTES ? 2 : 1;
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
