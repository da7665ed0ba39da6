/**
 * The ingest reader: market-data files (CSV/TSV, Parquet, Arrow IPC, JSON Lines) to
 * Parquet files staged per CME trading date. See docs/ingest.md.
 */
export { ingestFile, DEFAULT_TIMEZONE, type IngestTuning } from './ingestFile.js';
export { sniffDialect, type SniffResult, type SniffOverrides } from './sniffDialect.js';
export { planColumns, normalizeName, type ColumnPlan, type SourceColumnInfo } from './columnMapping.js';
export { assetFromFileName, resolveAsset, stagedName, CME_ROOTS } from './assetName.js';
export { detectFormat, hashFile } from './ingestSource.js';
export { TimeZoneRules } from './timeZoneRules.js';
export { TradingCalendar, CME_SESSION_ZONE, CME_SESSION_OPEN_HOUR } from './tradingDate.js';
export type {
  BadRow,
  ColumnOverrides,
  CsvDialect,
  Dialect,
  DstGapPolicy,
  DstRepeatPolicy,
  EpochUnit,
  IngestOptions,
  IngestProgress,
  IngestReport,
  OutputColumn,
  SourceFormat,
  StagedPartition,
  StructuredDialect,
  TargetColumn,
  TimestampReading,
} from './ingestTypes.js';
