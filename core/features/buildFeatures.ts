import crypto from 'node:crypto';
import { Type, type DataType, type Vector } from 'apache-arrow';
import fsSync from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { BadRequestError, CancelledError, MesDataError, NotFoundError, ValidationGateError } from '../errors.js';
import { sqlFileList, sqlString, withConnection, type EngineConnection } from '../engine/duckdbEngine.js';
import { writePartitionedSorted } from '../engine/partitionedWrite.js';
import { Dataset } from '../parquet/parquetDataset.js';
import { openParquetFile } from '../parquet/parquetFile.js';
import type { DataSchema } from '../schema/dataSchema.js';
import { SchemaRegistry } from '../schema/schemaRegistry.js';
import { writeFeatures } from '../store/layerIO.js';
import { MetadataManager, type CompressionName, type Dependency, type QualityMetrics } from '../store/metadataManager.js';
import { absolute, featureKey, tablePath, versionPath, versionSidecarPath, type Store } from '../store/storeLayout.js';
import { loadTable } from '../iceberg/tableCommit.js';
import { defaultSpec } from '../iceberg/tableMetadata.js';
import { checkAssetName } from '../store/storeNames.js';
import { resolveStorePath, storePathParts } from '../store/storePaths.js';
import { commitVersion, newestVersion, type CommitVersionResult, type PartitionBy, type VersionSidecarInput } from '../store/versionCommit.js';
import { listVersions } from '../store/versionLedger.js';
import type { ValidationReport } from '../validation/issueRows.js';
import { floatColumn, timestampColumn } from '../validation/columnData.js';
import { validateTable } from '../validation/validateTable.js';
import { checkBarColumns, streamBars } from './barSource.js';
import { buildFeatureTable, FEATURE_SETS, priceVolatility, type FeatureSet, type VolatilityPeriods } from './buildFeatureTable.js';
import { FeatureGate, type GateColumn } from './featureGate.js';
import { MomentumState, type MomentumOutputs, type MomentumPeriods, type MomentumSaved } from './featureMath.js';
import {
  buildFactsOf,
  decodeNumbers,
  encodeNumber,
  FEATURE_LAYOUT,
  featurePartition,
  PartitionCursor,
  resumePoint,
  sourcePartitions,
  type FeatureBuildFacts,
  type ResumePoint,
  type SourcePartition,
} from './featurePartitions.js';
import { FeatureSink, type SinkColumn } from './featureSink.js';
import { DailyBarFolder, TradingDayClock, VolumeProfileFolder } from './sessionBars.js';
import { mostCommonStep } from '../validation/tradingRules.js';
import { FEATURE_PARAMETER_DEFAULTS, FEATURE_SET_PARAMETERS, type FeatureParameterName, type FeatureParameters, type JobResult } from '../api/contract.js';

const RECIPE_VERSION = '1';

interface BuildFeaturesOptions {
  set: string;
  asset: string;
  /** `vN` or `N`: the cleaned version to build from (default: the newest). */
  from?: string;
  /** the set's settings (docs/features.md); those left out take their defaults */
  parameters?: FeatureParameters;
  signal?: AbortSignal;
  progress?: (update: { fraction: number; stage: string; rows: number | null }) => void;
}

/** What a build returns (the features job's result): its shape is the contract's `FeaturesResultSchema`. */
type BuildFeaturesResult = JobResult<'features'>;

/** The cleaned versions of an asset, newest last. */
function cleanedVersions(store: Store, asset: string): Promise<number[]> {
  return listVersions(store, 'cleaned', asset);
}

/** Everything a build knows before it computes: where from, what to write, under which identity. */
interface BuildPlan {
  store: Store;
  set: FeatureSet;
  asset: string;
  sourcePath: string;
  /** the source version's files (absolute paths, names in the version folder, rows and SHA-256 from the sidecar), in the order a dataset reads them */
  files: SourceFile[];
  /** how the feature table is partitioned, and where an incremental build starts; null for an unpartitioned table (one file) */
  layout: Layout | null;
  /** what the sidecar records of the build (`extra.featureBuild`) but the bar interval */
  facts: Omit<FeatureBuildFacts, 'daily'>;
  /** the newest version of the set when the build was planned (an incremental build keeps its partitions) */
  newest: number | null;
  totalRows: number;
  schema: DataSchema;
  fingerprint: string;
  sidecar: (report: ValidationReport) => VersionSidecarInput;
  /** every parameter of the set, defaults filled in */
  parameters: Record<FeatureParameterName, number>;
  signal?: AbortSignal;
  progress: NonNullable<BuildFeaturesOptions['progress']>;
  what: string;
}

interface SourceFile {
  path: string;
  name: string;
  rows: number;
  sha256: string;
}

/** A partitioned feature table: its source's partitions, by date or by year, and the feature partitions. */
interface Layout {
  source: PartitionBy;
  feature: PartitionBy;
  partitions: SourcePartition[];
  /** where an incremental build starts (null: a full build) */
  resume: ResumePoint | null;
}

/**
 * Thrown inside an incremental build when what the previous version saved does not let it go
 * on exactly (a session or a day that goes on across the first changed partition, a state
 * not saved): the build starts over, in full.
 */
class NeedsFullBuild extends MesDataError {
  constructor(reason: string) {
    super('INTERNAL', `the build cannot go on from the previous version: ${reason}`);
  }
}

/**
 * Thrown inside a streaming build when the data needs the exact whole-table path (timestamps
 * off whole milliseconds, rows out of order, a schema the streaming gate does not cover).
 */
class NeedsWholeTable extends MesDataError {
  constructor(reason: string) {
    super('INTERNAL', `the streaming build cannot take these rows: ${reason}`);
  }
}

/** Thrown by the microsecond momentum build at the first timestamp off a whole millisecond (ticks). */
class NeedsNanoseconds extends MesDataError {
  constructor() {
    super('INTERNAL', 'the source has timestamps off whole milliseconds');
  }
}

const CHUNK = 2048;
/** Rows read at a time by the nanosecond momentum build (our reader decodes only the row groups that hold them). */
const EXACT_BATCH = 131_072;
const MOMENTUM_COLUMNS = ['rsi_14', 'macd_line', 'macd_signal', 'macd_histogram', 'momentum_10', 'roc_10'];

function momentumGate(plan: BuildPlan): FeatureGate {
  const gate = FeatureGate.open(plan.schema, [
    { name: 'timestamp', kind: 'timestamp' },
    { name: 'asset', kind: 'utf8' },
    ...MOMENTUM_COLUMNS.map((name): GateColumn => ({ name, kind: 'float64', nanIsNull: true })),
  ]);
  if (typeof gate === 'string') throw new NeedsWholeTable(gate);
  return gate;
}

function momentumOutputs(): { out: MomentumOutputs; columns: Float64Array[] } {
  const out: MomentumOutputs = {
    rsi14: new Float64Array(CHUNK),
    macdLine: new Float64Array(CHUNK),
    macdSignal: new Float64Array(CHUNK),
    macdHistogram: new Float64Array(CHUNK),
    momentum10: new Float64Array(CHUNK),
    roc10: new Float64Array(CHUNK),
  };
  return { out, columns: [out.rsi14, out.macdLine, out.macdSignal, out.macdHistogram, out.momentum10, out.roc10] };
}

function momentumPeriods(plan: BuildPlan): MomentumPeriods {
  const p = plan.parameters;
  return { rsi: p.rsiPeriod, macdFast: p.macdFast, macdSlow: p.macdSlow, macdSignal: p.macdSignal, momentum: p.momentumPeriod };
}

function volatilityPeriods(plan: BuildPlan): VolatilityPeriods {
  const p = plan.parameters;
  return { short: p.volShortWindow, long: p.volLongWindow, atr: p.atrPeriod };
}

/**
 * The parameters of a build with the defaults filled in, and those that differ from the
 * defaults (what the recipe records, so a build with the defaults keeps the fingerprint it
 * always had). A parameter of another set is BAD_REQUEST naming it and the set's own.
 */
function resolveParameters(set: FeatureSet, given: FeatureParameters = {}): { all: Record<FeatureParameterName, number>; changed: Partial<Record<FeatureParameterName, number>> } {
  const own = FEATURE_SET_PARAMETERS[set];
  const all: Record<FeatureParameterName, number> = { ...FEATURE_PARAMETER_DEFAULTS };
  const changed: Partial<Record<FeatureParameterName, number>> = {};
  for (const [name, value] of Object.entries(given) as [FeatureParameterName, number | undefined][]) {
    if (value === undefined) continue;
    if (!own.includes(name)) throw new BadRequestError(`${set} takes no parameter "${name}"; its parameters: ${own.join(', ')}`, { set, parameter: name, parameters: [...own] });
    all[name] = value;
    if (value !== FEATURE_PARAMETER_DEFAULTS[name]) changed[name] = value;
  }
  if (all.macdFast >= all.macdSlow) throw new BadRequestError(`macdFast (${all.macdFast}) must be shorter than macdSlow (${all.macdSlow})`, { macdFast: all.macdFast, macdSlow: all.macdSlow });
  return { all, changed };
}

function checkCancelled(plan: BuildPlan): void {
  if (plan.signal?.aborted) throw new CancelledError(`building ${plan.set} for ${plan.asset}: cancelled, nothing written`);
}

function gateFailure(plan: BuildPlan, report: ValidationReport): ValidationGateError {
  return new ValidationGateError(`the ${plan.set} built for ${plan.asset} breaks its schema: ${report.errors.map((e) => e.message).join('; ')}`, { report });
}

/**
 * The source files of a cleaned version from its sidecar, in a dataset's depth-first sorted
 * order, each checked inside the store: a path that could leave it is BAD_REQUEST, a symbolic
 * link on the way SYMLINK (the store never follows links; DuckDB would). The version folder
 * is resolved once and only what lies below it is looked at for each file: resolving 2,974
 * paths one by one from the store root took 0.17 s of the build's thread.
 */
function sourceFiles(root: string, sourcePath: string, files: { path: string; rows: number; sha256: string }[]): SourceFile[] {
  const key = (p: string) => p.split('/');
  const sorted = [...files].sort((a, b) => {
    const x = key(a.path);
    const y = key(b.path);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
    return x.length - y.length;
  });
  const base = resolveStorePath(root, sourcePath);
  const depth = storePathParts(sourcePath).length;
  const folders = new Set<string>();
  return sorted.map((file) => {
    const parts = storePathParts(`${sourcePath}/${file.path}`).slice(depth);
    let current = base;
    for (let k = 0; k < parts.length; k++) {
      current = path.join(current, parts[k]);
      const folder = k < parts.length - 1;
      if (folder && folders.has(current)) continue;
      let linked = false;
      try {
        linked = fsSync.lstatSync(current).isSymbolicLink();
      } catch {
        // a missing file is no link: DuckDB then reports it as NOT_FOUND with its path
      }
      // the store's own resolver says it in its words (SYMLINK, with the link's store path)
      if (linked) resolveStorePath(root, `${sourcePath}/${file.path}`);
      if (folder) folders.add(current);
    }
    return { path: current, name: file.path, rows: file.rows, sha256: file.sha256 };
  });
}

/**
 * The bar interval as validation infers it (the most common positive step of the first
 * 20,001 bars, in whole seconds; null under 2 bars), read through the engine. Days of a
 * daily series are UTC dates, shorter bars go by CME session.
 */
async function inferredInterval(connection: EngineConnection, plan: BuildPlan): Promise<number | null> {
  // only the first files that hold those bars by their sidecar counts: a LIMIT over all
  // 2,899 files of ten years of minute bars took 0.15 s of CPU and 0.7-1.6 s of wall time on a
  // loaded machine, the first 15 files 0.02 s and 0.1 s; fewer rows than asked (a count that
  // is wrong) reads them all, so the answer is the same either way
  const wanted = 20_001;
  let count = 0;
  let first = 0;
  while (first < plan.files.length && count < wanted) count += plan.files[first++].rows;
  const read = (files: BuildPlan['files']) =>
    connection.rows(`SELECT epoch_us("timestamp")::DOUBLE AS us FROM read_parquet(${sqlFileList(files.map((f) => f.path))}, hive_partitioning = false) LIMIT ${wanted}`, `${plan.what}: the bar interval`);
  let rows = await read(plan.files.slice(0, first));
  if (rows.length < wanted && first < plan.files.length) rows = await read(plan.files);
  return mostCommonStep(rows.length - 1, (j) => Math.round(((rows[j + 1].us as number) - (rows[j].us as number)) / 1e6));
}

/**
 * momentum_indicators streamed: closes chunk by chunk through the indicator states, each
 * chunk checked by the gate and spilled, then written by DuckDB into the commit's staging
 * folder (a file a source partition, or one file for an unpartitioned table). Timestamps are
 * written as microseconds, so only bars on whole milliseconds come this way (DuckDB reads
 * TIMESTAMP(NANOS) at microsecond precision): the first timestamp off a whole millisecond
 * hands the build to `streamMomentumNanoseconds`. An incremental build (`plan.layout.resume`)
 * reads only from its first changed partition on, the indicators taking up the state saved
 * at the end of the partition before it and the last closes before it from the source.
 */
async function streamMomentum(plan: BuildPlan): Promise<CommitVersionResult> {
  const gate = momentumGate(plan);
  const layout = plan.layout;
  const sink = await FeatureSink.open(plan.store, [{ name: 'ts', type: 'TIMESTAMPTZ' }, ...MOMENTUM_COLUMNS.map((name): SinkColumn => ({ name, type: 'DOUBLE' })), ...dateSinkColumn(layout)]);
  try {
    return await withConnection(async (connection) => {
      const { out, columns: outputs } = momentumOutputs();
      const periods = momentumPeriods(plan);
      const state = new MomentumState(periods);
      const start = layout?.resume?.start ?? 0;
      const firstFile = layout ? firstFileOf(layout, start, plan.files.length) : 0;
      if (layout?.resume) {
        const before = layout.partitions[start - 1];
        const saved = savedMomentum(layout.resume.entries.get(featurePartition(before.value, layout.feature))?.extra?.resume);
        const rowsBefore = layout.partitions.slice(0, start).reduce((sum, p) => sum + p.rows, 0);
        if (!saved || saved.seen !== rowsBefore) throw new NeedsFullBuild(`no saved state at the end of ${before.value}`);
        const closes = await lastCloses(connection, plan.files.slice(0, firstFile), Math.min(periods.momentum, saved.seen), plan.what);
        if (closes.length < Math.min(periods.momentum, saved.seen)) throw new NeedsFullBuild(`fewer closes before ${layout.partitions[start].value} than counted`);
        state.restore(saved, closes);
      }
      const files = plan.files.slice(firstFile);
      const cursor = layout ? new PartitionCursor(layout.partitions, start) : null;
      const days = new Int32Array(CHUNK);
      const saved = new Map<string, Record<string, unknown>>();
      const span = new DateSpan();
      let read = 0;
      if (files.length > 0) {
        if (!(await checkBarColumns(connection, files[0].path, ['close'], plan.what))) throw new NeedsWholeTable('the timestamp column is not a timestamp');
        await streamBars(connection, files, ['close'], plan.what, (chunk) => {
          const n = chunk.rows;
          const us = chunk.us;
          const close = chunk.columns.close;
          for (let i = 0; i < n; i++) {
            // NaN (a null timestamp) fails this too, and the nanosecond build sends it to the whole-table one
            if (us[i] % 1000 !== 0) throw new NeedsNanoseconds();
            state.push(close[i], i, out);
            if (cursor && layout) {
              cursor.next();
              const partition = layout.partitions[cursor.index];
              days[i] = layout.source === 'year' ? Math.floor(us[i] / DAY_US) : partition.day;
              if (cursor.atEnd) saved.set(featurePartition(partition.value, layout.feature), { state: encodeMomentum(state.save()) });
            }
          }
          if (!gate.check([us, null, ...outputs], n)) throw new NeedsWholeTable('timestamps out of order');
          if (layout) span.add(days, n);
          sink.append(layout ? [us, ...outputs, days] : [us, ...outputs], n);
          read += n;
          plan.progress({ fraction: 0.05 + 0.75 * Math.min(1, read / Math.max(1, plan.totalRows)), stage: `computing ${plan.set}`, rows: read });
        });
      }
      if (cursor && !cursor.finish()) throw countMismatch(plan, read);
      const report = gate.report(`${plan.set} for ${plan.asset}`);
      if (!report.valid) throw gateFailure(plan, report);
      checkCancelled(plan);
      plan.progress({ fraction: 0.8, stage: 'writing', rows: read });
      const columns = `${sink.column('ts')} AS "timestamp", ${sqlString(plan.asset)} AS asset, ${MOMENTUM_COLUMNS.map((name) => `${sink.column(name)} AS ${name}`).join(', ')}`;
      if (!layout) return commitStreamed(plan, report, (file, keyValue, fieldIds) => sink.copyTo(connection, `${columns}`, file, keyValue, plan.what, fieldIds));
      return commitPartitioned(plan, layout, report, { connection, sink, columns: `${columns}, ${sink.column('date')} AS date`, orderBy: 'timestamp', resumeOf: (value) => saved.get(value), span, daily: null });
    }, plan.signal);
  } finally {
    await sink.dispose();
  }
}

/**
 * momentum_indicators of a source with timestamps off whole milliseconds (ticks), still
 * streamed: DuckDB would read those timestamps at microsecond precision, so the timestamp and
 * close columns are read by our own reader, a batch of rows at a time, and the rows keep
 * every nanosecond through the scratch file into DuckDB's writer (TIMESTAMP_NS, marked UTC).
 * Sources of tick data hold few, large files, where our reader's per-file cost (about 2 ms)
 * does not matter.
 */
async function streamMomentumNanoseconds(plan: BuildPlan): Promise<CommitVersionResult> {
  const gate = momentumGate(plan);
  const sink = await FeatureSink.open(plan.store, [{ name: 'timestamp', type: 'TIMESTAMP_NS_UTC' }, ...MOMENTUM_COLUMNS.map((name): SinkColumn => ({ name, type: 'DOUBLE' }))]);
  try {
    const { out, columns: outputs } = momentumOutputs();
    const state = new MomentumState(momentumPeriods(plan));
    let read = 0;
    for (const { path: file } of plan.files) {
      const handle = await openParquetFile(file);
      for (const name of ['timestamp', 'close']) {
        if (!handle.schema.fields.some((f) => f.name === name)) throw new BadRequestError(`features need an OHLCV table; column "${name}" is missing in ${file}`, { missing: name, file });
      }
      for (let offset = 0; offset < handle.numRows; offset += EXACT_BATCH) {
        checkCancelled(plan);
        const batch = await handle.readRows(offset, EXACT_BATCH, ['timestamp', 'close']);
        const tsVector = batch.getChild('timestamp') as Vector;
        if ((tsVector.type as DataType).typeId !== Type.Timestamp || tsVector.nullCount > 0) throw new NeedsWholeTable('the timestamp column is not a timestamp without nulls');
        const ns = timestampColumn(tsVector).ns;
        const close = floatColumn(batch.getChild('close') as Vector).values;
        for (let start = 0; start < batch.numRows; start += CHUNK) {
          const n = Math.min(CHUNK, batch.numRows - start);
          for (let i = 0; i < n; i++) state.push(close[start + i], i, out);
          const tsPart = ns.subarray(start, start + n);
          if (!gate.check([tsPart, null, ...outputs], n)) throw new NeedsWholeTable('timestamps out of order');
          sink.append([tsPart, ...outputs], n);
        }
        read += batch.numRows;
        plan.progress({ fraction: 0.05 + 0.75 * Math.min(1, read / Math.max(1, plan.totalRows)), stage: `computing ${plan.set}`, rows: read });
      }
    }
    const report = gate.report(`${plan.set} for ${plan.asset}`);
    if (!report.valid) throw gateFailure(plan, report);
    checkCancelled(plan);
    plan.progress({ fraction: 0.8, stage: 'writing', rows: read });
    const select = `${sink.column('timestamp')} AS "timestamp", ${sqlString(plan.asset)} AS asset, ${MOMENTUM_COLUMNS.map((name) => `${sink.column(name)} AS ${name}`).join(', ')}`;
    return await withConnection((connection) => commitStreamed(plan, report, (file, keyValue, fieldIds) => sink.copyTo(connection, select, file, keyValue, plan.what, fieldIds)), plan.signal);
  } finally {
    await sink.dispose();
  }
}

/** volume_profile streamed: sessions folded bar by bar, their levels spilled, written by DuckDB (a file a source partition, or one). */
async function streamVolumeProfile(plan: BuildPlan, tick: number): Promise<CommitVersionResult> {
  const levelColumns = ['price_level', 'volume', 'poc_price', 'value_area_high', 'value_area_low'];
  const layout = plan.layout;
  const gate = FeatureGate.open(plan.schema, [
    { name: 'session_date', kind: 'date32' },
    { name: 'asset', kind: 'utf8' },
    { name: 'price_level', kind: 'float64' },
    { name: 'volume', kind: 'volume' },
    { name: 'poc_price', kind: 'float64' },
    { name: 'value_area_high', kind: 'float64' },
    { name: 'value_area_low', kind: 'float64' },
  ]);
  if (typeof gate === 'string') throw new NeedsWholeTable(gate);
  const sink = await FeatureSink.open(plan.store, [{ name: 'session_date', type: 'DATE' }, ...levelColumns.map((name): SinkColumn => ({ name, type: 'DOUBLE', nanIsNull: false })), ...dateSinkColumn(layout)]);
  try {
    return await withConnection(async (connection) => {
      const day = new Int32Array(CHUNK);
      const dates = new Int32Array(CHUNK);
      const columns = levelColumns.map(() => new Float64Array(CHUNK));
      const [price, volume, poc, high, low] = columns;
      const span = new DateSpan();
      let buffered = 0;
      const flush = () => {
        if (buffered === 0) return;
        gate.check([null, null, ...columns], buffered);
        if (layout) span.add(dates, buffered);
        sink.append(layout ? [day, ...columns, dates] : [day, ...columns], buffered);
        buffered = 0;
      };
      // the date of each session's first bar in the source, in the order the sessions end
      const sessionDates: number[] = [];
      let sessionsDone = 0;
      const folder = new VolumeProfileFolder(tick, (session) => {
        const date = sessionDates[sessionsDone++];
        for (let i = 0; i < session.price.length; i++) {
          day[buffered] = session.day;
          dates[buffered] = date;
          price[buffered] = session.price[i];
          volume[buffered] = session.volume[i];
          poc[buffered] = session.poc;
          high[buffered] = session.high;
          low[buffered] = session.low;
          if (++buffered === CHUNK) flush();
        }
      }, plan.parameters.valueAreaShare);
      const start = layout?.resume?.start ?? 0;
      const firstFile = layout ? firstFileOf(layout, start, plan.files.length) : 0;
      // an incremental build starts with a new session: the one open at the end of the partition before must have ended there
      let resumedFrom = Number.NaN;
      if (layout?.resume) {
        const before = layout.partitions[start - 1];
        const resume = layout.resume.entries.get(featurePartition(before.value, layout.feature))?.extra?.resume as { lastDay?: unknown; spills?: unknown } | undefined;
        if (typeof resume?.lastDay !== 'number' || resume.spills !== false) throw new NeedsFullBuild(`the session at the end of ${before.value} is not known to end there`);
        resumedFrom = resume.lastDay;
      }
      const files = plan.files.slice(firstFile);
      const cursor = layout ? new PartitionCursor(layout.partitions, start) : null;
      // per partition read: the trading day of its last bar, and whether that day goes on into the next partition
      const lastDay = new Map<number, number>();
      const spills = new Map<number, boolean>();
      let lastBarDay = Number.NaN;
      let lastPartition = -1;
      let read = 0;
      let daily: boolean | null = null;
      if (files.length > 0) {
        if (!(await checkBarColumns(connection, files[0].path, ['close', 'volume'], plan.what))) throw new NeedsWholeTable('the timestamp column is not a timestamp');
        const interval = await inferredInterval(connection, plan);
        // no whole-second step (ticks) means intraday: only a step of a day or more keeps UTC dates
        daily = interval !== null && interval >= 86_400;
        if (layout?.resume && buildFactsOf(layout.resume.previous.metadata)?.daily !== daily) throw new NeedsFullBuild('the bars were taken otherwise (daily or intraday)');
        const clock = new TradingDayClock(daily);
        await streamBars(connection, files, ['close', 'volume'], plan.what, (chunk) => {
          const n = chunk.rows;
          const us = chunk.us;
          const { close, volume: barVolume } = chunk.columns;
          for (let i = 0; i < n; i++) {
            if (us[i] !== us[i]) throw new NeedsWholeTable('a null timestamp');
            const barDay = clock.day(Math.trunc(us[i] / 1000));
            if (cursor && layout) {
              if (cursor.next()) {
                if (lastPartition >= 0) spills.set(lastPartition, barDay === lastBarDay);
                else if (barDay === resumedFrom) throw new NeedsFullBuild(`the session of ${layout.partitions[cursor.index].value} began in the partition before`);
                lastPartition = cursor.index;
              }
              if (barDay !== lastBarDay) sessionDates.push(layout.source === 'year' ? Math.floor(us[i] / DAY_US) : layout.partitions[cursor.index].day);
              if (cursor.atEnd) lastDay.set(cursor.index, barDay);
            }
            lastBarDay = barDay;
            folder.push(barDay, close[i], barVolume[i]);
          }
          read += n;
          plan.progress({ fraction: 0.05 + 0.75 * Math.min(1, read / Math.max(1, plan.totalRows)), stage: `computing ${plan.set}`, rows: read });
        });
      }
      if (cursor && !cursor.finish()) throw countMismatch(plan, read);
      if (lastPartition >= 0) spills.set(lastPartition, false);
      folder.finish();
      flush();
      const report = gate.report(`${plan.set} for ${plan.asset}`);
      if (!report.valid) throw gateFailure(plan, report);
      checkCancelled(plan);
      plan.progress({ fraction: 0.8, stage: 'writing', rows: sink.rows });
      // the volume column is int64 when every level's volume is whole, as the whole-table build writes it
      const volumeSql = gate.volumeIsIntegral ? `${sink.column('volume')}::BIGINT AS volume` : `${sink.column('volume')} AS volume`;
      const others = (name: string) => `${sink.column(name)} AS ${name}`;
      const select = `${sink.column('session_date')} AS session_date, ${sqlString(plan.asset)} AS asset, ${others('price_level')}, ${volumeSql}, ${others('poc_price')}, ${others('value_area_high')}, ${others('value_area_low')}`;
      if (!layout) return commitStreamed(plan, report, (file, keyValue, fieldIds) => sink.copyTo(connection, select, file, keyValue, plan.what, fieldIds));
      // a feature partition is its source partition here
      const indexOf = new Map(layout.partitions.map((p, k) => [p.value, k]));
      const resumeOf = (value: string) => {
        const k = indexOf.get(value);
        return k === undefined ? undefined : { lastDay: lastDay.get(k), spills: spills.get(k) };
      };
      return commitPartitioned(plan, layout, report, { connection, sink, columns: `${select}, ${sink.column('date')} AS date`, orderBy: ['session_date', 'price_level'], resumeOf, span, daily });
    }, plan.signal);
  } finally {
    await sink.dispose();
  }
}

/** The daily bars an incremental price_volatility build starts from, as the entries of the previous version keep them. */
interface SavedDays {
  day: number[];
  open: number[];
  high: number[];
  low: number[];
  close: number[];
  /** the source partition of each day's first bar and of its last */
  src: string[];
  lastSrc: string[];
  /** each day's `date` (its first bar's date in the source) */
  date: number[];
}

function emptyDays(): SavedDays {
  return { day: [], open: [], high: [], low: [], close: [], src: [], lastSrc: [], date: [] };
}

/**
 * The days of a year's entry as `extra.resume.days` keeps them: `count` and `doubles`, the
 * columns one after the other (day, open, high, low, close, date, and the source partitions
 * as numbers: a date as days since 1970-01-01, a year as itself) as 64-bit doubles, deflated
 * (raw DEFLATE) and in base64, so every bit is kept. Ten years of days (2,900) are 23 kB
 * deflated, 186 kB not; as JSON arrays, one number a line, they made a sidecar of 550 kB.
 */
function encodeDays(days: SavedDays): { count: number; doubles: string } {
  const n = days.day.length;
  const partitionNumber = (value: string) => (value.length === 4 ? Number(value) : Date.parse(`${value}T00:00:00Z`) / 86_400_000);
  const all = new Float64Array(8 * n);
  [days.day, days.open, days.high, days.low, days.close, days.date, days.src.map(partitionNumber), days.lastSrc.map(partitionNumber)].forEach((column, k) => all.set(column, k * n));
  return { count: n, doubles: zlib.deflateRawSync(Buffer.from(all.buffer)).toString('base64') };
}

/** The days `encodeDays` kept, or null when the entry holds none or something else. */
function savedDays(resume: unknown, source: PartitionBy): SavedDays | null {
  const days = (resume as { days?: { count?: unknown; doubles?: unknown } } | undefined)?.days;
  if (!days || typeof days.count !== 'number' || typeof days.doubles !== 'string') return null;
  const n = days.count;
  let bytes: Buffer;
  try {
    bytes = zlib.inflateRawSync(Buffer.from(days.doubles, 'base64'));
  } catch {
    return null;
  }
  if (bytes.length !== 64 * n) return null;
  const all = new Float64Array(new Uint8Array(bytes).buffer);
  const column = (k: number) => Array.from(all.subarray(k * n, (k + 1) * n));
  const partitionValue = (x: number) => (source === 'year' ? String(x) : new Date(x * 86_400_000).toISOString().slice(0, 10));
  return { day: column(0), open: column(1), high: column(2), low: column(3), close: column(4), date: column(5), src: column(6).map(partitionValue), lastSrc: column(7).map(partitionValue) };
}

/**
 * price_volatility: the bars are folded into daily bars while they stream (one row per
 * trading date: a few thousand rows for decades), then computed and validated like the
 * whole-table build and written by DuckDB (the dates at 00:00 UTC are whole microseconds).
 * An incremental build reads the bars from its first changed partition on and takes the
 * daily bars before it from the previous version's entries, so the series computed on is
 * the whole one, as in a full build; it writes the years from the changed one on.
 */
async function streamPriceVolatility(plan: BuildPlan): Promise<CommitVersionResult> {
  const folder = new DailyBarFolder();
  const layout = plan.layout;
  const names = ['realized_vol_30d', 'realized_vol_60d', 'vol_ratio', 'true_range', 'atr_14'];
  const sink = await FeatureSink.open(plan.store, [{ name: 'ts', type: 'TIMESTAMPTZ' }, ...names.map((name): SinkColumn => ({ name, type: 'DOUBLE' })), ...dateSinkColumn(layout)]);
  try {
    return await withConnection(async (connection) => {
      const start = layout?.resume?.start ?? 0;
      const firstFile = layout ? firstFileOf(layout, start, plan.files.length) : 0;
      // per day: the source partition of its first and last bar and its date (partitioned tables)
      const days = emptyDays();
      if (layout?.resume) {
        const boundary = layout.partitions[start]?.value ?? null;
        const before = [...layout.resume.entries.entries()].filter(([value]) => value <= featurePartition(layout.partitions[start - 1].value, layout.feature)).sort(([a], [b]) => (a < b ? -1 : 1));
        for (const [value, entry] of before) {
          const saved = savedDays(entry.extra?.resume, layout.source);
          if (!saved) throw new NeedsFullBuild(`no daily bars saved with ${value}`);
          for (let k = 0; k < saved.day.length; k++) {
            if (boundary !== null && saved.src[k] >= boundary) continue;
            if (boundary !== null && saved.lastSrc[k] >= boundary) throw new NeedsFullBuild(`the day ${saved.day[k]} goes on into ${boundary}`);
            for (const key of Object.keys(days) as (keyof SavedDays)[]) (days[key] as unknown[]).push(saved[key][k]);
            folder.series.day.push(saved.day[k]);
            folder.series.open.push(saved.open[k]);
            folder.series.high.push(saved.high[k]);
            folder.series.low.push(saved.low[k]);
            folder.series.close.push(saved.close[k]);
            folder.series.volume.push(0);
          }
        }
      }
      const files = plan.files.slice(firstFile);
      const cursor = layout ? new PartitionCursor(layout.partitions, start) : null;
      let read = 0;
      let daily: boolean | null = null;
      if (files.length > 0) {
        if (!(await checkBarColumns(connection, files[0].path, ['open', 'high', 'low', 'close', 'volume'], plan.what))) throw new NeedsWholeTable('the timestamp column is not a timestamp');
        const interval = await inferredInterval(connection, plan);
        // no whole-second step (ticks) means intraday: only a step of a day or more keeps UTC dates
        daily = interval !== null && interval >= 86_400;
        if (layout?.resume && buildFactsOf(layout.resume.previous.metadata)?.daily !== daily) throw new NeedsFullBuild('the bars were taken otherwise (daily or intraday)');
        const clock = new TradingDayClock(daily);
        const savedLast = folder.series.day.length > 0 ? folder.series.day[folder.series.day.length - 1] : Number.NaN;
        let lastBarDay = Number.NaN;
        // volume must exist (as in every build) but no price_volatility column uses it: it is not read
        await streamBars(connection, files, ['open', 'high', 'low', 'close'], plan.what, (chunk) => {
          const n = chunk.rows;
          const us = chunk.us;
          const { open, high, low, close } = chunk.columns;
          for (let i = 0; i < n; i++) {
            if (us[i] !== us[i]) throw new NeedsWholeTable('a null timestamp');
            const barDay = clock.day(Math.trunc(us[i] / 1000));
            if (cursor && layout) {
              cursor.next();
              const partition = layout.partitions[cursor.index];
              if (barDay !== lastBarDay) {
                if (lastBarDay !== lastBarDay && barDay === savedLast) throw new NeedsFullBuild(`the day of ${partition.value} began in the partition before`);
                days.src.push(partition.value);
                days.lastSrc.push(partition.value);
                days.date.push(layout.source === 'year' ? Math.floor(us[i] / DAY_US) : partition.day);
              } else days.lastSrc[days.lastSrc.length - 1] = partition.value;
            }
            lastBarDay = barDay;
            folder.push(barDay, open[i], high[i], low[i], close[i], 0);
          }
          read += n;
          plan.progress({ fraction: 0.05 + 0.75 * Math.min(1, read / Math.max(1, plan.totalRows)), stage: `computing ${plan.set}`, rows: read });
        });
      } else if (layout?.resume) daily = buildFactsOf(layout.resume.previous.metadata)?.daily ?? null;
      if (cursor && !cursor.finish()) throw countMismatch(plan, read);
      const { table, columns } = priceVolatility(folder.series, plan.asset, volatilityPeriods(plan));
      const { report } = validateTable(table, plan.schema, { target: `${plan.set} for ${plan.asset}` });
      if (!report.valid) throw gateFailure(plan, report);
      checkCancelled(plan);
      plan.progress({ fraction: 0.8, stage: 'writing', rows: table.numRows });
      const series = folder.series.day;
      const ts = Float64Array.from(series, (d) => d * 86_400_000_000);
      const values = [columns.realized_vol_30d, columns.realized_vol_60d, columns.vol_ratio, columns.true_range, columns.atr_14];
      const select = `${sink.column('ts')} AS "timestamp", ${sqlString(plan.asset)} AS asset, ${names.map((name) => `${sink.column(name)} AS ${name}`).join(', ')}`;
      if (!layout) {
        sink.append([ts, ...values], series.length);
        return commitStreamed(plan, report, (file, keyValue, fieldIds) => sink.copyTo(connection, select, file, keyValue, plan.what, fieldIds));
      }
      // the rows of the years from the first changed partition's on (all of them in a full build)
      const boundary = start < layout.partitions.length ? featurePartition(layout.partitions[start].value, layout.feature) : null;
      const yearOf = (k: number) => new Date(days.date[k] * 86_400_000).toISOString().slice(0, 4);
      let first = series.length;
      if (boundary !== null) {
        first = 0;
        while (first < series.length && yearOf(first) < boundary) first++;
      }
      const dates = Int32Array.from(days.date);
      sink.append([ts.subarray(first), ...values.map((v) => v.subarray(first)), dates.subarray(first)], series.length - first);
      const span = new DateSpan();
      span.add(dates.subarray(first), series.length - first);
      // each year's entry keeps its daily bars, for the next build
      const resumeOf = (year: string) => {
        const saved = emptyDays();
        for (let k = first; k < series.length; k++) {
          if (yearOf(k) !== year) continue;
          saved.day.push(series[k]);
          saved.open.push(folder.series.open[k]);
          saved.high.push(folder.series.high[k]);
          saved.low.push(folder.series.low[k]);
          saved.close.push(folder.series.close[k]);
          saved.src.push(days.src[k]);
          saved.lastSrc.push(days.lastSrc[k]);
          saved.date.push(days.date[k]);
        }
        return { days: encodeDays(saved) };
      };
      return commitPartitioned(plan, layout, report, { connection, sink, columns: `${select}, ${sink.column('date')} AS date`, orderBy: 'timestamp', resumeOf, span, daily });
    }, plan.signal);
  } finally {
    await sink.dispose();
  }
}

/** Commits one file that `write` puts at the absolute path it is given (inside the commit's staging folder): an unpartitioned table. */
function commitStreamed(
  plan: BuildPlan,
  report: ValidationReport,
  write: (file: string, keyValue: Record<string, string>, fieldIds: (columns: string[]) => Record<string, number>) => Promise<{ rows: number; rowGroups: number; compression: CompressionName }>,
): Promise<CommitVersionResult> {
  return commitVersion(plan.store, {
    layer: 'features',
    key: featureKey(plan.asset, plan.set),
    fingerprint: plan.fingerprint,
    signal: plan.signal,
    sidecar: plan.sidecar(report),
    write: async (ctx) => {
      const facts = await write(path.join(ctx.dir, 'part-0.parquet'), ctx.keyValue, (columns) => ctx.fieldIds(columns));
      ctx.registerFile('part-0.parquet', facts);
    },
  });
}

/** What `commitPartitioned` writes: the sink's rows through `columns` (one of them `date`), sorted by `orderBy` in each file. */
interface PartitionedRows {
  connection: EngineConnection;
  sink: FeatureSink;
  columns: string;
  orderBy: string | string[];
  /** what a feature partition's sidecar entry keeps for the next build (`extra.resume`) */
  resumeOf: (value: string) => Record<string, unknown> | undefined;
  /** the dates of the rows written */
  span: DateSpan;
  daily: boolean | null;
}

/**
 * Commits the version of a partitioned feature table: the sink's rows written by DuckDB as a
 * file a partition (`date=YYYY-MM-DD/part-0.parquet`, or `date_year=YYYY/…`), each file's
 * entry keeping what the next build goes on from, and the partitions before the first changed
 * one kept by reference. LOCKED (`commit-conflict`) when another version was committed after
 * the build read the newest one.
 */
async function commitPartitioned(plan: BuildPlan, layout: Layout, report: ValidationReport, rows: PartitionedRows): Promise<CommitVersionResult> {
  const keep = layout.resume?.keep ?? [];
  const base = plan.sidecar(report);
  const sidecar: VersionSidecarInput = { ...base, extra: { ...base.extra, featureBuild: { ...plan.facts, daily: rows.daily } satisfies FeatureBuildFacts } };
  const byYear = layout.feature === 'year';
  if (byYear) {
    const previousRange = keep.length > 0 ? (layout.resume?.previous.metadata.dateRange ?? null) : null;
    const from = previousRange?.from ?? rows.span.from();
    const to = rows.span.to() ?? previousRange?.to ?? null;
    sidecar.dateRange = from !== null && to !== null ? { from, to } : null;
  }
  return commitVersion(plan.store, {
    layer: 'features',
    key: featureKey(plan.asset, plan.set),
    fingerprint: plan.fingerprint,
    signal: plan.signal,
    sidecar,
    write: async (ctx) => {
      // the plan was made from the newest version read before the lock: another build may have committed since
      if (layout.resume && (ctx.previous?.version ?? null) !== plan.newest) {
        throw new MesDataError('LOCKED', `${plan.what}: v${ctx.previous?.version} was committed while this build read its inputs; run it again`, { set: plan.set, asset: plan.asset, reason: 'commit-conflict', version: ctx.previous?.version ?? null });
      }
      let written = 0;
      if (rows.sink.rows > 0) {
        let select = `SELECT ${rows.columns} FROM ${rows.sink.finish()}`;
        const columns = (await rows.connection.rows(`DESCRIBE ${select}`, plan.what)).map((row) => String(row.column_name));
        const fieldIds = ctx.fieldIds(columns);
        // by year: the folders are the dates' year (`date_year=2024`), a column the files do not hold
        if (byYear) select = `SELECT *, year("date") AS date_year FROM (${select})`;
        const partitions = byYear ? new Set(layout.partitions.map((p) => p.value.slice(0, 4))).size : layout.partitions.length;
        // on one thread: DuckDB's partitioned write of 2,899 files of 4.0M rows took about 9 s of CPU on
        // two threads and 4.7 s on one (load 14-17, the same rows from Python), the files as many
        const [setting] = await rows.connection.rows(`SELECT current_setting('threads')::INTEGER AS threads`, plan.what);
        await rows.connection.run('SET threads = 1', plan.what);
        let files: string[];
        try {
          ({ files } = await writePartitionedSorted(rows.connection, select, ctx.dir, {
            partitionBy: [byYear ? 'date_year' : 'date'],
            writePartitionColumns: !byYear,
            fieldIds,
            orderBy: rows.orderBy,
            compression: 'zstd',
            keyValue: ctx.keyValue,
            maxOpenFiles: partitions,
            v2Encodings: true,
          }));
        } finally {
          await rows.connection.run(`SET threads = ${Number(setting.threads)}`, plan.what);
        }
        const footers = files.length === 0 ? [] : await rows.connection.rows(`SELECT file_name, num_rows, num_row_groups FROM parquet_file_metadata(${sqlFileList(files)})`, `${plan.what}: the footers written`);
        for (const footer of footers) {
          const relative = path.relative(ctx.dir, String(footer.file_name)).split(path.sep).join('/');
          const value = /^(?:date|date_year)=([^/]+)\//.exec(relative)?.[1] ?? '';
          const resume = rows.resumeOf(value);
          ctx.registerFile(relative, { rows: Number(footer.num_rows), rowGroups: Number(footer.num_row_groups), compression: 'zstd', ...(resume ? { extra: { resume } } : {}) });
        }
        written = footers.length;
      }
      ctx.keepPartitions(keep);
      sidecar.extra = { ...sidecar.extra, incremental: { previous: layout.resume?.previous.version ?? null, shared: keep.length, written } };
    },
  });
}

/** The first and last date (days since 1970-01-01) of rows as they are written. */
class DateSpan {
  private low = Number.POSITIVE_INFINITY;
  private high = Number.NEGATIVE_INFINITY;

  add(days: Int32Array, count: number): void {
    for (let i = 0; i < count; i++) {
      if (days[i] < this.low) this.low = days[i];
      if (days[i] > this.high) this.high = days[i];
    }
  }

  from(): string | null {
    return Number.isFinite(this.low) ? new Date(this.low * 86_400_000).toISOString().slice(0, 10) : null;
  }

  to(): string | null {
    return Number.isFinite(this.high) ? new Date(this.high * 86_400_000).toISOString().slice(0, 10) : null;
  }
}

const DAY_US = 86_400_000_000;

/** The `date` column of a partitioned table's sink (none for an unpartitioned one). */
function dateSinkColumn(layout: Layout | null): SinkColumn[] {
  return layout ? [{ name: 'date', type: 'DATE' }] : [];
}

/** The index of the first file of source partition `start` (all files read: `count`). */
function firstFileOf(layout: Layout, start: number, count: number): number {
  return start < layout.partitions.length ? layout.partitions[start].firstFile : count;
}

/** A momentum state as an entry's `extra.resume.state` holds it, or null. */
function savedMomentum(resume: unknown): MomentumSaved | null {
  const state = (resume as { state?: Record<string, unknown> } | undefined)?.state;
  if (!state || typeof state.seen !== 'number') return null;
  const parts = (['rsi', 'fast', 'slow', 'signal'] as const).map((name) => decodeNumbers(state[name]));
  if (parts.some((p) => p === null || p.length !== 4)) return null;
  const [rsi, fast, slow, signal] = parts as number[][];
  return { seen: state.seen, rsi, fast, slow, signal };
}

function encodeMomentum(saved: MomentumSaved): Record<string, unknown> {
  return { seen: saved.seen, rsi: saved.rsi.map(encodeNumber), fast: saved.fast.map(encodeNumber), slow: saved.slow.map(encodeNumber), signal: saved.signal.map(encodeNumber) };
}

/** The last `count` closes of `files` (read in order), as the bar stream reads them (nulls as NaN). */
async function lastCloses(connection: EngineConnection, files: BuildPlan['files'], count: number, what: string): Promise<Float64Array> {
  if (count === 0) return new Float64Array(0);
  let first = files.length;
  let rows = 0;
  while (first > 0 && rows < count) rows += files[--first].rows;
  const got = await connection.rows(`SELECT coalesce(close::DOUBLE, 'NaN'::DOUBLE) AS c FROM read_parquet(${sqlFileList(files.slice(first).map((f) => f.path))}, hive_partitioning = false)`, `${what}: the closes before the first changed date`);
  return Float64Array.from(got.slice(-count), (row) => row.c as number);
}

/**
 * The source's sidecar counts other rows than its files hold: the rows cannot be put in their
 * partitions (each file's count says where one ends), so nothing is written.
 */
function countMismatch(plan: BuildPlan, read: number): MesDataError {
  const counted = plan.files.slice(plan.layout ? firstFileOf(plan.layout, plan.layout.resume?.start ?? 0, plan.files.length) : 0).reduce((sum, f) => sum + f.rows, 0);
  const sidecar = versionSidecarPath('cleaned', plan.asset, Number(plan.sourcePath.split('/')[1].slice(1)));
  return new MesDataError('CORRUPTED_FILE', `${plan.what}: ${sidecar} counts ${counted} rows in the files read, which hold ${read}; nothing was written`, { path: sidecar, counted, read });
}

/**
 * The whole-table build: every row read at once by our own reader, computed on arrays,
 * validated by `validateTable`, written by our own writer. Exact to the nanosecond, and
 * what the streaming builds fall back to (tick data, unsorted rows, custom schemas); its
 * memory grows with the history (about 2.7 GB for 4M bars).
 */
async function buildWholeTable(plan: BuildPlan): Promise<CommitVersionResult> {
  plan.progress({ fraction: 0.1, stage: `reading ${plan.sourcePath}`, rows: null });
  const dataset = await Dataset.open(plan.store.root, plan.sourcePath);
  const cleaned = await dataset.readAll();
  checkCancelled(plan);
  plan.progress({ fraction: 0.5, stage: `computing ${plan.set}`, rows: cleaned.numRows });
  const table = buildFeatureTable(plan.set, cleaned, {
    asset: plan.asset,
    tickSize: plan.parameters.tickSize,
    valueAreaShare: plan.parameters.valueAreaShare,
    momentum: momentumPeriods(plan),
    volatility: volatilityPeriods(plan),
  });
  const { report } = validateTable(table, plan.schema, { target: `${plan.set} for ${plan.asset}` });
  if (!report.valid) throw gateFailure(plan, report);
  plan.progress({ fraction: 0.7, stage: 'writing', rows: table.numRows });
  return writeFeatures(plan.store, { asset: plan.asset, featureSet: plan.set, data: table, fingerprint: plan.fingerprint, signal: plan.signal, sidecar: plan.sidecar(report) });
}

/** Whether the key's Iceberg table exists and is unpartitioned (made before feature tables were partitioned: it stays one file a version). */
async function unpartitionedTable(store: Store, key: string): Promise<boolean> {
  const table = await loadTable(absolute(store, tablePath('features', key))).catch((error: unknown) => {
    if (error instanceof MesDataError && error.code === 'NOT_FOUND') return null;
    throw error;
  });
  return table !== null && defaultSpec(table.metadata, table.metadataFile).fields.length === 0;
}

/** The newest committed version of `set` of `asset` whose sidecar carries `fingerprint`. */
async function builtBefore(store: Store, asset: string, set: FeatureSet, fingerprint: string): Promise<{ version: number; path: string; rows: number } | null> {
  const key = featureKey(asset, set);
  for (const version of (await listVersions(store, 'features', key)).reverse()) {
    const metadata = await MetadataManager.readMetadataFile(absolute(store, versionSidecarPath('features', key, version)), { validate: false }).catch(() => null);
    if (metadata?.fingerprint === fingerprint) return { version, path: versionPath('features', version, key), rows: metadata.recordCount };
  }
  return null;
}

/**
 * Builds a feature set from one cleaned version of an asset and commits it as a new version
 * of `features/v{N}/{set}/` (one `part-0.parquet`), its sidecar naming the cleaned files it
 * came from. `parameters` set the periods and profile settings (defaults in docs/features.md;
 * those that differ from the defaults go into the recipe and so the fingerprint). The same
 * inputs and parameters again give `unchanged`. The rows stream through DuckDB chunk by
 * chunk, so memory stays bounded however long the history (see docs/features.md for when the
 * exact whole-table path is taken instead). Progress goes 0.05 → 0.8 while reading and
 * computing, then writing, then 1 when committed; an abort of `signal` stops the engine's
 * query and leaves nothing written. Throws BAD_REQUEST for an unknown set, a parameter of another
 * set, a MACD fast period not shorter than its slow one or a source without OHLCV columns
 * (naming the file), NOT_FOUND when the asset has no cleaned version (or not the
 * one asked for), VALIDATION_GATE when the result breaks its schema, CANCELLED, and
 * CORRUPTED_FILE / NOT_FOUND for a source file that cannot be read.
 */
export async function buildFeatures(store: Store, options: BuildFeaturesOptions): Promise<BuildFeaturesResult> {
  if (!(FEATURE_SETS as readonly string[]).includes(options.set)) {
    throw new BadRequestError(`unknown feature set "${options.set}"; sets: ${FEATURE_SETS.join(', ')}`, { set: options.set });
  }
  const set = options.set as FeatureSet;
  const asset = checkAssetName(options.asset);
  const parameters = resolveParameters(set, options.parameters);
  const onProgress = options.progress ?? (() => undefined);
  // a streaming build that hands over to another (ticks, unsorted rows) starts its rows again:
  // the fraction shown never goes back
  let shown = 0;
  const progress: NonNullable<BuildFeaturesOptions['progress']> = (update) => {
    shown = Math.max(shown, update.fraction);
    onProgress({ ...update, fraction: shown });
  };
  const versions = await cleanedVersions(store, asset);
  if (versions.length === 0) throw new NotFoundError(`${asset} has no cleaned version to build ${set} from; promote its raw data first`, { asset });
  let version = versions[versions.length - 1];
  if (options.from !== undefined) {
    const wanted = Number(options.from.replace(/^v/, ''));
    if (!versions.includes(wanted)) throw new NotFoundError(`cleaned/v${wanted}/${asset} does not exist; versions: ${versions.map((v) => `v${v}`).join(', ')}`, { asset, version: options.from });
    version = wanted;
  }
  const sourcePath = `cleaned/v${version}/${asset}`;
  const sidecar = await MetadataManager.readMetadataFile(absolute(store, versionSidecarPath('cleaned', asset, version)), { validate: false });
  const inputs = [...sidecar.files].sort((a, b) => (a.path < b.path ? -1 : 1)).map((f) => ({ path: `${sourcePath}/${f.path}`, sha256: f.sha256 }));
  const schema = new SchemaRegistry(store.root).getSchema(set);
  const recipe = { name: `features.${set}`, version: RECIPE_VERSION, parameters: { set, asset, from: sourcePath, ...parameters.changed } };
  const fingerprint = crypto.createHash('sha256').update(JSON.stringify({ inputs, recipe })).digest('hex');
  const dependencies: Dependency[] = inputs.map((i) => ({ ...i, layer: 'cleaned' as const, version }));
  const files = sourceFiles(store.root, sourcePath, sidecar.files);
  const key = featureKey(asset, set);
  // the table's partitions follow the source's, unless it was made before as one file a version (a table keeps its partitioning)
  const newest = await newestVersion(store, 'features', key);
  const source = sourcePartitions(files);
  const facts = { layout: FEATURE_LAYOUT, source: source?.by ?? 'date', parameters: { ...recipe.parameters, from: undefined } };
  let layout: Layout | null = null;
  if (source && !(newest ? newest.partitions.length === 0 : await unpartitionedTable(store, key))) {
    const feature: PartitionBy = set === 'price_volatility' ? 'year' : source.by;
    layout = { source: source.by, feature, partitions: source.partitions, resume: resumePoint(newest, facts, { partitions: source.partitions, files }, feature) };
  }
  const plan: BuildPlan = {
    store,
    set,
    asset,
    sourcePath,
    files,
    layout,
    facts,
    newest: newest?.version ?? null,
    totalRows: layout?.resume ? source?.partitions.slice(layout.resume.start).reduce((sum, p) => sum + p.rows, 0) ?? 0 : sidecar.recordCount,
    schema,
    fingerprint,
    parameters: parameters.all,
    signal: options.signal,
    progress,
    what: `building ${set} for ${asset} from ${sourcePath}`,
    sidecar: (report) => ({
      asset,
      schema: { name: schema.name, version: schema.version },
      recipe,
      dependencies,
      validation: { ...report },
      qualityMetrics: { nullCounts: report.metrics.nullCounts, completenessPercentage: report.metrics.completenessPercentage } satisfies QualityMetrics,
      changelog: `${set} for ${asset} from ${sourcePath}`,
    }),
  };
  checkCancelled(plan);
  // the same inputs and recipe again: answer at once instead of computing for the commit to find the version
  // (the commit checks again under the store lock)
  const existing = await builtBefore(store, asset, set, fingerprint);
  if (existing) {
    progress({ fraction: 1, stage: 'unchanged', rows: existing.rows });
    return { version: `v${existing.version}`, path: existing.path, rows: existing.rows, inputs, status: 'unchanged' };
  }
  progress({ fraction: 0.05, stage: `reading ${sourcePath}`, rows: 0 });
  let commit: CommitVersionResult;
  const streamed = async (): Promise<CommitVersionResult> => {
    if (set === 'momentum_indicators') {
      try {
        return await streamMomentum(plan);
      } catch (error) {
        if (!(error instanceof NeedsNanoseconds)) throw error;
        // one file, as the nanosecond build writes it
        plan.layout = null;
        return streamMomentumNanoseconds(plan);
      }
    }
    if (set === 'volume_profile') return streamVolumeProfile(plan, plan.parameters.tickSize);
    return streamPriceVolatility(plan);
  };
  try {
    if (plan.files.length === 0) throw new NeedsWholeTable('no files');
    try {
      commit = await streamed();
    } catch (error) {
      if (!(error instanceof NeedsFullBuild) || !plan.layout) throw error;
      plan.layout.resume = null;
      plan.totalRows = sidecar.recordCount;
      commit = await streamed();
    }
  } catch (error) {
    if (!(error instanceof NeedsWholeTable)) throw error;
    plan.layout = null;
    commit = await buildWholeTable(plan);
  }
  progress({ fraction: 1, stage: 'committed', rows: commit.rows });
  return { version: `v${commit.version}`, path: commit.path, rows: commit.rows, inputs, status: commit.status };
}
