import crypto from 'node:crypto';
import { Type, type DataType, type Vector } from 'apache-arrow';
import fsSync from 'node:fs';
import path from 'node:path';
import { BadRequestError, CancelledError, MesDataError, NotFoundError, ValidationGateError } from '../errors.js';
import { sqlFileList, sqlString, withConnection, type EngineConnection } from '../engine/duckdbEngine.js';
import { Dataset } from '../parquet/parquetDataset.js';
import { openParquetFile } from '../parquet/parquetFile.js';
import type { DataSchema } from '../schema/dataSchema.js';
import { SchemaRegistry } from '../schema/schemaRegistry.js';
import { writeFeatures } from '../store/layerIO.js';
import { MetadataManager, type CompressionName, type Dependency, type QualityMetrics } from '../store/metadataManager.js';
import { absolute, featureKey, versionPath, versionSidecarPath, type Store } from '../store/storeLayout.js';
import { checkAssetName } from '../store/storeNames.js';
import { resolveStorePath, storePathParts } from '../store/storePaths.js';
import { commitVersion, type CommitVersionResult, type VersionSidecarInput } from '../store/versionCommit.js';
import { listVersions } from '../store/versionLedger.js';
import type { ValidationReport } from '../validation/issueRows.js';
import { floatColumn, timestampColumn } from '../validation/columnData.js';
import { validateTable } from '../validation/validateTable.js';
import { checkBarColumns, streamBars } from './barSource.js';
import { buildFeatureTable, FEATURE_SETS, priceVolatility, type FeatureSet, type VolatilityPeriods } from './buildFeatureTable.js';
import { FeatureGate, type GateColumn } from './featureGate.js';
import { MomentumState, type MomentumOutputs, type MomentumPeriods } from './featureMath.js';
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
  /** the source version's files (absolute paths, rows from the sidecar), in the order a dataset reads them */
  files: { path: string; rows: number }[];
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
function sourceFiles(root: string, sourcePath: string, files: { path: string; rows: number }[]): { path: string; rows: number }[] {
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
    return { path: current, rows: file.rows };
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
 * chunk checked by the gate and spilled, then one Parquet file written by DuckDB into the
 * commit's staging folder. Timestamps are written as microseconds, so only bars on whole
 * milliseconds come this way (DuckDB reads TIMESTAMP(NANOS) at microsecond precision): the
 * first timestamp off a whole millisecond hands the build to `streamMomentumNanoseconds`.
 */
async function streamMomentum(plan: BuildPlan): Promise<CommitVersionResult> {
  const gate = momentumGate(plan);
  const sink = await FeatureSink.open(plan.store, [{ name: 'ts', type: 'TIMESTAMPTZ' }, ...MOMENTUM_COLUMNS.map((name): SinkColumn => ({ name, type: 'DOUBLE' }))]);
  try {
    return await withConnection(async (connection) => {
      const { out, columns: outputs } = momentumOutputs();
      const state = new MomentumState(momentumPeriods(plan));
      let read = 0;
      if (!(await checkBarColumns(connection, plan.files[0].path, ['close'], plan.what))) throw new NeedsWholeTable('the timestamp column is not a timestamp');
      await streamBars(connection, plan.files, ['close'], plan.what, (chunk) => {
        const n = chunk.rows;
        const us = chunk.us;
        const close = chunk.columns.close;
        for (let i = 0; i < n; i++) {
          // NaN (a null timestamp) fails this too, and the nanosecond build sends it to the whole-table one
          if (us[i] % 1000 !== 0) throw new NeedsNanoseconds();
          state.push(close[i], i, out);
        }
        if (!gate.check([us, null, ...outputs], n)) throw new NeedsWholeTable('timestamps out of order');
        sink.append([us, ...outputs], n);
        read += n;
        plan.progress({ fraction: 0.05 + 0.75 * Math.min(1, read / Math.max(1, plan.totalRows)), stage: `computing ${plan.set}`, rows: read });
      });
      const report = gate.report(`${plan.set} for ${plan.asset}`);
      if (!report.valid) throw gateFailure(plan, report);
      checkCancelled(plan);
      plan.progress({ fraction: 0.8, stage: 'writing', rows: read });
      const select = `${sink.column('ts')} AS "timestamp", ${sqlString(plan.asset)} AS asset, ${MOMENTUM_COLUMNS.map((name) => `${sink.column(name)} AS ${name}`).join(', ')}`;
      return commitStreamed(plan, report, (file, keyValue, fieldIds) => sink.copyTo(connection, select, file, keyValue, plan.what, fieldIds));
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

/** volume_profile streamed: sessions folded bar by bar, their levels spilled, one file written by DuckDB. */
async function streamVolumeProfile(plan: BuildPlan, tick: number): Promise<CommitVersionResult> {
  const levelColumns = ['price_level', 'volume', 'poc_price', 'value_area_high', 'value_area_low'];
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
  const sink = await FeatureSink.open(plan.store, [{ name: 'session_date', type: 'DATE' }, ...levelColumns.map((name): SinkColumn => ({ name, type: 'DOUBLE', nanIsNull: false }))]);
  try {
    return await withConnection(async (connection) => {
      const day = new Int32Array(CHUNK);
      const columns = levelColumns.map(() => new Float64Array(CHUNK));
      const [price, volume, poc, high, low] = columns;
      let buffered = 0;
      const flush = () => {
        if (buffered === 0) return;
        gate.check([null, null, ...columns], buffered);
        sink.append([day, ...columns], buffered);
        buffered = 0;
      };
      const folder = new VolumeProfileFolder(tick, (session) => {
        for (let i = 0; i < session.price.length; i++) {
          day[buffered] = session.day;
          price[buffered] = session.price[i];
          volume[buffered] = session.volume[i];
          poc[buffered] = session.poc;
          high[buffered] = session.high;
          low[buffered] = session.low;
          if (++buffered === CHUNK) flush();
        }
      }, plan.parameters.valueAreaShare);
      let read = 0;
      if (!(await checkBarColumns(connection, plan.files[0].path, ['close', 'volume'], plan.what))) throw new NeedsWholeTable('the timestamp column is not a timestamp');
      const interval = await inferredInterval(connection, plan);
      // no whole-second step (ticks) means intraday: only a step of a day or more keeps UTC dates
      const clock = new TradingDayClock(interval !== null && interval >= 86_400);
      await streamBars(connection, plan.files, ['close', 'volume'], plan.what, (chunk) => {
        const n = chunk.rows;
        const us = chunk.us;
        const { close, volume: barVolume } = chunk.columns;
        for (let i = 0; i < n; i++) {
          if (us[i] !== us[i]) throw new NeedsWholeTable('a null timestamp');
          folder.push(clock.day(Math.trunc(us[i] / 1000)), close[i], barVolume[i]);
        }
        read += n;
        plan.progress({ fraction: 0.05 + 0.75 * Math.min(1, read / Math.max(1, plan.totalRows)), stage: `computing ${plan.set}`, rows: read });
      });
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
      return commitStreamed(plan, report, (file, keyValue, fieldIds) => sink.copyTo(connection, select, file, keyValue, plan.what, fieldIds));
    }, plan.signal);
  } finally {
    await sink.dispose();
  }
}

/**
 * price_volatility: the bars are folded into daily bars while they stream (one row per
 * trading date: a few thousand rows for decades), then computed and validated like the
 * whole-table build and written by DuckDB (the dates at 00:00 UTC are whole microseconds).
 */
async function streamPriceVolatility(plan: BuildPlan): Promise<CommitVersionResult> {
  const folder = new DailyBarFolder();
  const names = ['realized_vol_30d', 'realized_vol_60d', 'vol_ratio', 'true_range', 'atr_14'];
  const sink = await FeatureSink.open(plan.store, [{ name: 'ts', type: 'TIMESTAMPTZ' }, ...names.map((name): SinkColumn => ({ name, type: 'DOUBLE' }))]);
  try {
    return await withConnection(async (connection) => {
      if (!(await checkBarColumns(connection, plan.files[0].path, ['open', 'high', 'low', 'close', 'volume'], plan.what))) throw new NeedsWholeTable('the timestamp column is not a timestamp');
      const interval = await inferredInterval(connection, plan);
      // no whole-second step (ticks) means intraday: only a step of a day or more keeps UTC dates
      const clock = new TradingDayClock(interval !== null && interval >= 86_400);
      let read = 0;
      // volume must exist (as in every build) but no price_volatility column uses it: it is not read
      await streamBars(connection, plan.files, ['open', 'high', 'low', 'close'], plan.what, (chunk) => {
        const n = chunk.rows;
        const us = chunk.us;
        const { open, high, low, close } = chunk.columns;
        for (let i = 0; i < n; i++) {
          if (us[i] !== us[i]) throw new NeedsWholeTable('a null timestamp');
          folder.push(clock.day(Math.trunc(us[i] / 1000)), open[i], high[i], low[i], close[i], 0);
        }
        read += n;
        plan.progress({ fraction: 0.05 + 0.75 * Math.min(1, read / Math.max(1, plan.totalRows)), stage: `computing ${plan.set}`, rows: read });
      });
      const { table, columns } = priceVolatility(folder.series, plan.asset, volatilityPeriods(plan));
      const { report } = validateTable(table, plan.schema, { target: `${plan.set} for ${plan.asset}` });
      if (!report.valid) throw gateFailure(plan, report);
      checkCancelled(plan);
      plan.progress({ fraction: 0.8, stage: 'writing', rows: table.numRows });
      const days = folder.series.day;
      sink.append([Float64Array.from(days, (d) => d * 86_400_000_000), columns.realized_vol_30d, columns.realized_vol_60d, columns.vol_ratio, columns.true_range, columns.atr_14], days.length);
      const select = `${sink.column('ts')} AS "timestamp", ${sqlString(plan.asset)} AS asset, ${names.map((name) => `${sink.column(name)} AS ${name}`).join(', ')}`;
      return commitStreamed(plan, report, (file, keyValue, fieldIds) => sink.copyTo(connection, select, file, keyValue, plan.what, fieldIds));
    }, plan.signal);
  } finally {
    await sink.dispose();
  }
}

/** Commits one file that `write` puts at the absolute path it is given (inside the commit's staging folder). */
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
  const plan: BuildPlan = {
    store,
    set,
    asset,
    sourcePath,
    files: sourceFiles(store.root, sourcePath, sidecar.files),
    totalRows: sidecar.recordCount,
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
  try {
    if (plan.files.length === 0) throw new NeedsWholeTable('no files');
    if (set === 'momentum_indicators') {
      try {
        commit = await streamMomentum(plan);
      } catch (error) {
        if (!(error instanceof NeedsNanoseconds)) throw error;
        commit = await streamMomentumNanoseconds(plan);
      }
    }
    else if (set === 'volume_profile') commit = await streamVolumeProfile(plan, plan.parameters.tickSize);
    else commit = await streamPriceVolatility(plan);
  } catch (error) {
    if (!(error instanceof NeedsWholeTable)) throw error;
    commit = await buildWholeTable(plan);
  }
  progress({ fraction: 1, stage: 'committed', rows: commit.rows });
  return { version: `v${commit.version}`, path: commit.path, rows: commit.rows, inputs, status: commit.status };
}
