/**
 * How the table writes numbers so that none is ever cut: each column gets a style from its
 * name and type — prices to the instrument's tick, counts as whole numbers, everything
 * else (indicators, ratios, volatilities) to a fixed number of significant digits — and
 * every value is written with thousands separators. Rounding only ever drops digits after
 * the decimal point that the style says are noise; the integer part is never rounded, and
 * the exact value stays in the cell's tooltip and in what is copied.
 */

/** Significant digits shown for indicator-like columns (RSI 66.6667, MACD −3.39427). */
const INDICATOR_SIGNIFICANT_DIGITS = 6;

/**
 * The tick the price columns are written to when the instrument's is not known: the
 * quarter point of the CME equity-index futures (MES, ES, NQ, MNQ, RTY…).
 */
export const DEFAULT_PRICE_TICK = 0.25;

/** The most decimals a price is written with when its value needs more than its tick's. */
const MAX_PRICE_DECIMALS = 10;

export type NumberStyle = { kind: 'price'; tick: number } | { kind: 'count' } | { kind: 'indicator'; significantDigits: number };

/** Column names that hold prices (normalized: lower case, letters and digits only). */
const PRICE_NAMES = new Set([
  'open',
  'high',
  'low',
  'close',
  'price',
  'last',
  'bid',
  'ask',
  'mid',
  'settle',
  'settlement',
  'vwap',
  'adjclose',
  'pocprice',
  'pricelevel',
  'valueareahigh',
  'valuearealow',
]);

/** Column names that hold counts even when stored as floats (volumes, sizes, open interest). */
const COUNT_NAMES = new Set(['volume', 'buyvolume', 'sellvolume', 'size', 'bidsize', 'asksize', 'tradecount', 'openinterest', 'count', 'trades']);

function normalized(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function isIntegerType(type: string): boolean {
  return /^u?int\d*/i.test(type);
}

/**
 * The style of a numeric column from its name and Arrow type: integers and volume-like
 * names are counts, price-like names are prices written to `tick`, the rest indicators.
 */
export function numberStyleFor(name: string, type: string, tick: number = DEFAULT_PRICE_TICK): NumberStyle {
  const key = normalized(name);
  if (isIntegerType(type) || COUNT_NAMES.has(key)) return { kind: 'count' };
  if (PRICE_NAMES.has(key) || key.endsWith('price') || key.startsWith('price')) return { kind: 'price', tick: tick > 0 && Number.isFinite(tick) ? tick : DEFAULT_PRICE_TICK };
  return { kind: 'indicator', significantDigits: INDICATOR_SIGNIFICANT_DIGITS };
}

/** Decimals of a number as JavaScript writes it shortest (0.25 → 2, 1e-7 → 7, 5000 → 0). */
export function decimalsOf(value: number): number {
  if (!Number.isFinite(value) || Number.isInteger(value)) return 0;
  const text = String(Math.abs(value));
  const exp = /e([+-]\d+)$/.exec(text);
  const mantissa = exp ? text.slice(0, exp.index) : text;
  const fraction = mantissa.includes('.') ? mantissa.split('.')[1].length : 0;
  return Math.max(0, fraction - (exp ? Number(exp[1]) : 0));
}

const grouped = new Map<string, Intl.NumberFormat>();
function groupedFormat(minDecimals: number, maxDecimals: number): Intl.NumberFormat {
  const key = `${minDecimals}:${maxDecimals}`;
  let format = grouped.get(key);
  if (!format) {
    format = new Intl.NumberFormat('en-US', { minimumFractionDigits: minDecimals, maximumFractionDigits: maxDecimals, useGrouping: true });
    grouped.set(key, format);
  }
  return format;
}

/** Digits of an integer written as text (a 64-bit value beyond 2^53), with separators. */
function groupDigits(text: string): string {
  const match = /^(-?)(\d+)$/.exec(text);
  if (!match) return text;
  return `${match[1]}${match[2].replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`;
}

function formatIndicator(value: number, significantDigits: number): string {
  if (value === 0) return '0';
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  // far outside the range where a decimal layout reads well: scientific, still never cut
  if (magnitude >= 15 || magnitude < -6) return value.toExponential(significantDigits - 1).replace(/\.?0+e/, 'e');
  const decimals = Math.max(0, significantDigits - 1 - magnitude);
  return groupedFormat(0, Math.min(20, decimals)).format(value);
}

/**
 * One number for the table, in its column's style. Prices get the tick's decimals, or
 * more when the value has them (a 0.25 tick writes 5000 as `5,000.00` and 5000.125 as
 * `5,000.125`); counts are whole numbers (a fractional volume keeps its fraction);
 * indicators keep `significantDigits` significant digits but never lose integer digits.
 * 64-bit integers beyond ±2^53 arrive as text and only get separators. NaN and ±Infinity
 * are written as such.
 */
export function formatNumber(value: number | bigint | string, style: NumberStyle): string {
  if (typeof value === 'string') return groupDigits(value);
  if (typeof value === 'bigint') return groupDigits(value.toString());
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  switch (style.kind) {
    case 'count':
      return Number.isInteger(value) ? groupedFormat(0, 0).format(value) : groupedFormat(0, Math.min(20, decimalsOf(value))).format(value);
    case 'price': {
      const tickDecimals = decimalsOf(style.tick);
      const decimals = Math.min(MAX_PRICE_DECIMALS, Math.max(tickDecimals, decimalsOf(value)));
      return groupedFormat(tickDecimals, decimals).format(value);
    }
    case 'indicator':
      return formatIndicator(value, style.significantDigits);
  }
}
