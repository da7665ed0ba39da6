import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICE_TICK, decimalsOf, formatNumber, numberStyleFor } from '../../../renderer/src/table/numberFormat.ts';
import { assetOfPath, tickOrDefault } from '../../../renderer/src/table/instrumentTick.ts';

const price = numberStyleFor('close', 'Float64');
const indicator = numberStyleFor('rsi_14', 'Float64');
const count = numberStyleFor('volume', 'Int64');

describe('numberFormat', () => {
  it('gives each column a style from its name and type', () => {
    expect(price).toEqual({ kind: 'price', tick: 0.25 });
    expect(numberStyleFor('Adj Close', 'Float64', 0.01)).toEqual({ kind: 'price', tick: 0.01 });
    expect(numberStyleFor('poc_price', 'Float64')).toEqual({ kind: 'price', tick: DEFAULT_PRICE_TICK });
    expect(numberStyleFor('price_level', 'Float64')).toEqual({ kind: 'price', tick: DEFAULT_PRICE_TICK });
    expect(numberStyleFor('bid', 'Float64', 0)).toEqual({ kind: 'price', tick: DEFAULT_PRICE_TICK });
    expect(count).toEqual({ kind: 'count' });
    expect(numberStyleFor('volume', 'Float64')).toEqual({ kind: 'count' });
    expect(numberStyleFor('open_interest', 'Float64')).toEqual({ kind: 'count' });
    expect(numberStyleFor('rsi_14', 'Int32')).toEqual({ kind: 'count' });
    expect(indicator).toEqual({ kind: 'indicator', significantDigits: 6 });
    expect(numberStyleFor('macd_line', 'Float64')).toEqual(indicator);
  });

  it('counts decimals as JavaScript writes a number', () => {
    expect([0.25, 5000, 0.00005, 1e-7, 1.5e-10, 123.4567, -0.1].map(decimalsOf)).toEqual([2, 0, 5, 7, 11, 4, 1]);
  });

  it('writes prices to the tick, keeping any digits the value has beyond it', () => {
    expect(formatNumber(5000, price)).toBe('5,000.00');
    expect(formatNumber(5000.25, price)).toBe('5,000.25');
    expect(formatNumber(5000.5, price)).toBe('5,000.50');
    expect(formatNumber(255000.5, price)).toBe('255,000.50');
    expect(formatNumber(5000.125, price)).toBe('5,000.125');
    expect(formatNumber(123.4567, price)).toBe('123.4567');
    expect(formatNumber(1.08505, numberStyleFor('close', 'Float64', 0.00005))).toBe('1.08505');
    expect(formatNumber(1.085, numberStyleFor('close', 'Float64', 0.00005))).toBe('1.08500');
    // floating-point noise past 10 decimals is not a digit of the price
    expect(formatNumber(4795.749999999999, price)).toBe('4,795.75');
    expect(formatNumber(-2, price)).toBe('-2.00');
  });

  it('writes indicators to six significant digits without ever rounding the integer part', () => {
    expect(formatNumber(66.66666666666667, indicator)).toBe('66.6667');
    expect(formatNumber(69.3431689487458, indicator)).toBe('69.3432');
    expect(formatNumber(-3.394266717337814, indicator)).toBe('-3.39427');
    expect(formatNumber(0.1, indicator)).toBe('0.1');
    expect(formatNumber(0.000123456789, indicator)).toBe('0.000123457');
    expect(formatNumber(1234567.891, indicator)).toBe('1,234,568');
    expect(formatNumber(0, indicator)).toBe('0');
    expect(formatNumber(1.5e-9, indicator)).toBe('1.5e-9');
    expect(formatNumber(3.9426671733781e17, indicator)).toBe('3.94267e+17');
  });

  it('writes counts whole, with separators, and 64-bit text digits grouped', () => {
    expect(formatNumber(1000100, count)).toBe('1,000,100');
    expect(formatNumber(-5, count)).toBe('-5');
    expect(formatNumber(12.5, count)).toBe('12.5');
    expect(formatNumber('9007199254740993', count)).toBe('9,007,199,254,740,993');
    expect(formatNumber('-9223372036854775808', count)).toBe('-9,223,372,036,854,775,808');
    expect(formatNumber(12345678901234567890n, count)).toBe('12,345,678,901,234,567,890');
    expect(formatNumber('NaN', indicator)).toBe('NaN');
    expect(formatNumber(Number.NaN, price)).toBe('NaN');
    expect(formatNumber(-Infinity, indicator)).toBe('-Infinity');
  });

  it('finds the asset of a store path; a missing tick is the quarter point', () => {
    expect(assetOfPath('raw/MES/2024-01-15/bars.parquet')).toBe('MES');
    expect(assetOfPath('cleaned/v3/ES')).toBe('ES');
    expect(assetOfPath('features/v1/price_volatility')).toBe(null);
    expect(assetOfPath('/tmp/bars.parquet')).toBe(null);
    expect(tickOrDefault(0.00005)).toBe(0.00005);
    expect(tickOrDefault(1 / 64)).toBe(0.015625);
    expect([null, undefined, 0, -1, Number.NaN].map(tickOrDefault)).toEqual([0.25, 0.25, 0.25, 0.25, 0.25]);
  });
});
