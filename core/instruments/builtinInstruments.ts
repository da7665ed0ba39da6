import type { InstrumentInput } from './instrumentSchema.js';

/**
 * The CME Group futures MES Data knows without being told: exchange, session template,
 * tick size and point value (US dollars per 1.0 of price, per contract) from the contract
 * specifications. Sessions are all Globex 17:00–16:00 America/Chicago; the holiday
 * calendars differ by product group.
 */

type Spec = [symbol: string, name: string, exchange: string, tickSize: number, pointValue: number];

const EQUITY_INDEX: Spec[] = [
  ['ES', 'E-mini S&P 500', 'CME', 0.25, 50],
  ['MES', 'Micro E-mini S&P 500', 'CME', 0.25, 5],
  ['NQ', 'E-mini Nasdaq-100', 'CME', 0.25, 20],
  ['MNQ', 'Micro E-mini Nasdaq-100', 'CME', 0.25, 2],
  ['RTY', 'E-mini Russell 2000', 'CME', 0.1, 50],
  ['M2K', 'Micro E-mini Russell 2000', 'CME', 0.1, 5],
  ['YM', 'E-mini Dow ($5)', 'CBOT', 1, 5],
  ['MYM', 'Micro E-mini Dow', 'CBOT', 1, 0.5],
];

// Treasury prices are in points of par; ticks are fractions of 1/32
const RATES: Spec[] = [
  ['ZT', '2-Year T-Note', 'CBOT', 1 / 256, 2000],
  ['ZF', '5-Year T-Note', 'CBOT', 1 / 128, 1000],
  ['ZN', '10-Year T-Note', 'CBOT', 1 / 64, 1000],
  ['ZB', 'U.S. Treasury Bond', 'CBOT', 1 / 32, 1000],
];

const ENERGY: Spec[] = [
  ['CL', 'Crude Oil (WTI)', 'NYMEX', 0.01, 1000],
  ['MCL', 'Micro WTI Crude Oil', 'NYMEX', 0.01, 100],
  ['NG', 'Henry Hub Natural Gas', 'NYMEX', 0.001, 10_000],
];

const METALS: Spec[] = [
  ['GC', 'Gold', 'COMEX', 0.1, 100],
  ['MGC', 'Micro Gold', 'COMEX', 0.1, 10],
  ['SI', 'Silver', 'COMEX', 0.005, 5000],
  ['HG', 'Copper', 'COMEX', 0.0005, 25_000],
];

const FX: Spec[] = [
  ['6E', 'Euro FX', 'CME', 0.00005, 125_000],
  ['6J', 'Japanese Yen', 'CME', 0.0000005, 12_500_000],
  ['6B', 'British Pound', 'CME', 0.0001, 62_500],
  ['6A', 'Australian Dollar', 'CME', 0.00005, 100_000],
  ['6C', 'Canadian Dollar', 'CME', 0.00005, 100_000],
];

function group(specs: Spec[], assetClass: InstrumentInput['assetClass'], session: string): InstrumentInput[] {
  return specs.map(([symbol, name, exchange, tickSize, pointValue]) => ({ symbol, name, exchange, assetClass, session, tickSize, pointValue, currency: 'USD' }));
}

export const BUILTIN_INSTRUMENTS: readonly InstrumentInput[] = [
  ...group(EQUITY_INDEX, 'equity_index', 'cme_globex_equity'),
  ...group(RATES, 'rates', 'cme_globex_rates'),
  ...group(ENERGY, 'energy', 'cme_globex_energy'),
  ...group(METALS, 'metals', 'cme_globex_metals'),
  ...group(FX, 'fx', 'cme_globex_fx'),
];
