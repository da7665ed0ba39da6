import { DataSchema, type DataSchemaInput } from './dataSchema.js';

/**
 * The schemas every store knows. Each is also written to `schema/{name}.json` (a test keeps
 * the files equal to these definitions) and documented column by column in docs/schemas.md.
 */

const timestampColumn = {
  name: 'timestamp',
  type: 'timestamp',
  unit: 'ns',
  timezone: 'UTC',
  nullable: false,
  required: true,
  description: 'bar open time, UTC, nanoseconds',
} as const;

const assetColumn = (required: boolean) =>
  ({
    name: 'asset',
    type: 'utf8',
    nullable: false,
    required,
    description: 'contract root, e.g. MES',
  }) as const;

/**
 * The trading date a feature row is stored under: a feature set's table is partitioned by it
 * (by date, or by its year) as cleaned data is; files of one unpartitioned `part-0` lack it.
 */
const featureDateColumn = {
  name: 'date',
  type: 'date32',
  nullable: false,
  required: false,
  description: "trading date of the row's partition: the date of its bar in the cleaned version (of a session's or a day's first bar)",
} as const;

const ohlcvInput: DataSchemaInput = {
  name: 'ohlcv',
  version: '1.0.0',
  description: 'Open, high, low, close and volume bars of one futures contract (any bar interval).',
  columns: [
    timestampColumn,
    { name: 'open', type: 'float64', nullable: false, description: 'first trade price of the bar' },
    { name: 'high', type: 'float64', nullable: false, description: 'highest trade price of the bar' },
    { name: 'low', type: 'float64', nullable: false, description: 'lowest trade price of the bar' },
    { name: 'close', type: 'float64', nullable: false, description: 'last trade price of the bar' },
    { name: 'volume', type: ['int64', 'float64'], nullable: false, description: 'contracts traded in the bar' },
    assetColumn(false),
    { name: 'trade_count', type: ['int64', 'int32'], required: false, description: 'number of trades in the bar' },
    { name: 'vwap', type: 'float64', required: false, description: 'volume-weighted average price of the bar' },
    // ingest maps these two as standard columns (Yahoo's "Adj Close", vendors' "OI"): they are part of the schema so validation does not warn about them
    { name: 'open_interest', type: ['int64', 'float64'], required: false, description: 'contracts open at the end of the bar (as the vendor reports it, often once a day)' },
    { name: 'adj_close', type: 'float64', required: false, description: 'close adjusted for splits and dividends (stock and ETF data from vendors such as Yahoo)' },
  ],
  primaryKey: ['timestamp'],
  sortKey: ['timestamp'],
  rules: {
    required_column: {},
    type: {},
    null_required: {},
    finite_values: {},
    positive_price: {},
    ohlc_consistency: {},
    non_negative_volume: {},
    unique_timestamp: {},
    sorted_timestamp: {},
    session_gap: { calendar: 'cme_globex' },
    price_spike: { window: 100, threshold: 10 },
    stale_price: { maxRun: 30 },
  },
};

const featureRules = {
  required_column: {},
  type: {},
  null_required: {},
  finite_values: {},
  unique_timestamp: {},
  sorted_timestamp: {},
  constraints: {},
} as const;

const priceVolatilityInput: DataSchemaInput = {
  name: 'price_volatility',
  version: '1.1.0',
  description: 'Realized volatility of daily closes (annualized, 252 trading days) and true range.',
  columns: [
    timestampColumn,
    assetColumn(true),
    { name: 'realized_vol_30d', type: 'float64', description: 'stdev of the last 30 daily log returns × √252; null until 30 returns exist', constraints: { min: 0 } },
    { name: 'realized_vol_60d', type: 'float64', description: 'stdev of the last 60 daily log returns × √252; null until 60 returns exist', constraints: { min: 0 } },
    { name: 'vol_ratio', type: 'float64', description: 'realized_vol_30d / realized_vol_60d', constraints: { min: 0 } },
    { name: 'true_range', type: 'float64', required: false, description: 'max(high, previous close) − min(low, previous close)', constraints: { min: 0 } },
    { name: 'atr_14', type: 'float64', required: false, description: "Wilder's average true range over 14 days", constraints: { min: 0 } },
    featureDateColumn,
  ],
  primaryKey: ['asset', 'timestamp'],
  sortKey: ['asset', 'timestamp'],
  rules: featureRules,
};

const momentumInput: DataSchemaInput = {
  name: 'momentum_indicators',
  version: '1.1.0',
  description: 'RSI(14), MACD(12, 26, 9) and momentum / rate of change on closes.',
  columns: [
    timestampColumn,
    assetColumn(true),
    { name: 'rsi_14', type: 'float64', description: "Wilder's RSI over 14 bars, 0–100", constraints: { min: 0, max: 100 } },
    { name: 'macd_line', type: 'float64', description: 'EMA(12) − EMA(26) of closes' },
    { name: 'macd_signal', type: 'float64', description: 'EMA(9) of the MACD line' },
    { name: 'macd_histogram', type: 'float64', description: 'MACD line − signal' },
    { name: 'momentum_10', type: 'float64', description: 'close − close 10 bars earlier' },
    { name: 'roc_10', type: 'float64', description: 'rate of change over 10 bars, percent' },
    featureDateColumn,
  ],
  primaryKey: ['asset', 'timestamp'],
  sortKey: ['asset', 'timestamp'],
  rules: featureRules,
};

const volumeProfileInput: DataSchemaInput = {
  name: 'volume_profile',
  version: '1.1.0',
  description: 'Volume traded at each price level per session, with point of control and value area (70%).',
  columns: [
    { name: 'session_date', type: 'date32', nullable: false, description: 'CME trading date of the session' },
    assetColumn(true),
    { name: 'price_level', type: 'float64', nullable: false, description: 'price bucket (a tick or a multiple of it)', constraints: { min: 0 } },
    { name: 'volume', type: ['int64', 'float64'], nullable: false, description: 'contracts traded at this level in the session', constraints: { min: 0 } },
    { name: 'buy_volume', type: ['int64', 'float64'], required: false, description: 'volume traded at the ask', constraints: { min: 0 } },
    { name: 'sell_volume', type: ['int64', 'float64'], required: false, description: 'volume traded at the bid', constraints: { min: 0 } },
    { name: 'poc_price', type: 'float64', nullable: false, description: "the session's point of control: the level with the most volume" },
    { name: 'value_area_high', type: 'float64', nullable: false, description: 'top of the smallest range around the POC holding 70% of the volume' },
    { name: 'value_area_low', type: 'float64', nullable: false, description: 'bottom of that range' },
    featureDateColumn,
  ],
  primaryKey: ['asset', 'session_date', 'price_level'],
  sortKey: ['asset', 'session_date', 'price_level'],
  rules: {
    required_column: {},
    type: {},
    null_required: {},
    finite_values: {},
    constraints: {},
  },
};

export const OHLCV_SCHEMA: DataSchema = DataSchema.parse(ohlcvInput);
export const PRICE_VOLATILITY_SCHEMA: DataSchema = DataSchema.parse(priceVolatilityInput);
export const MOMENTUM_INDICATORS_SCHEMA: DataSchema = DataSchema.parse(momentumInput);
export const VOLUME_PROFILE_SCHEMA: DataSchema = DataSchema.parse(volumeProfileInput);

export const PREDEFINED_SCHEMAS: readonly DataSchema[] = [OHLCV_SCHEMA, PRICE_VOLATILITY_SCHEMA, MOMENTUM_INDICATORS_SCHEMA, VOLUME_PROFILE_SCHEMA];
