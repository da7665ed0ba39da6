import { describe, expect, it } from 'vitest';
import { tableToJsonRows } from '../../../core/arrow/arrowJson.js';
import { buildFeatureTable } from '../../../core/features/buildFeatureTable.js';
import { MOMENTUM_INDICATORS_SCHEMA, PRICE_VOLATILITY_SCHEMA, VOLUME_PROFILE_SCHEMA } from '../../../core/schema/predefinedSchemas.js';
import { validateTable } from '../../../core/validation/validateTable.js';
import { barsFromCloses, barsTable, type Bar } from '../../helpers/barsTable.js';

describe('buildFeatureTable', () => {
  it('volume_profile groups bars by CME session, across midnight, with POC and value area', () => {
    // Tuesday 2024-01-02 session: 17:00 CT Monday (23:00Z) … ; bars at 23:00Z and 01:00Z (next UTC day) are the same session
    const bars: Bar[] = [
      ['2024-01-01T23:00:00Z', 5000, 5001, 4999, 5000, 10],
      ['2024-01-02T01:00:00Z', 5000, 5001, 4999, 5000.25, 30],
      ['2024-01-02T15:00:00Z', 5000, 5001, 4999, 5000, 5],
      // 17:00 CT Tuesday (23:00Z) opens Wednesday's session
      ['2024-01-02T23:00:00Z', 5000, 5001, 4999, 5010, 7],
    ];
    const table = buildFeatureTable('volume_profile', barsTable(bars), { asset: 'MES' });
    expect(tableToJsonRows(table)).toEqual([
      { session_date: '2024-01-02', asset: 'MES', price_level: 5000, volume: 15, poc_price: 5000.25, value_area_high: 5000.25, value_area_low: 5000 },
      { session_date: '2024-01-02', asset: 'MES', price_level: 5000.25, volume: 30, poc_price: 5000.25, value_area_high: 5000.25, value_area_low: 5000 },
      { session_date: '2024-01-03', asset: 'MES', price_level: 5010, volume: 7, poc_price: 5010, value_area_high: 5010, value_area_low: 5010 },
    ]);
    expect(validateTable(table, VOLUME_PROFILE_SCHEMA).report.valid).toBe(true);
  });

  it('momentum_indicators has a row per bar, null while warming up, and fits its schema', () => {
    const closes = Array.from({ length: 40 }, (_, i) => 5000 + Math.sin(i / 3) * 10);
    const table = buildFeatureTable('momentum_indicators', barsTable(barsFromCloses('2024-01-03T15:00:00Z', 60, closes)), { asset: 'MES' });
    expect(table.numRows).toBe(40);
    const rows = tableToJsonRows(table);
    expect(rows[13].rsi_14).toBeNull();
    expect(typeof rows[14].rsi_14).toBe('number');
    expect(rows[9].momentum_10).toBeNull();
    expect(rows[10].momentum_10).toBeCloseTo(closes[10] - closes[0], 10);
    expect(rows[24].macd_line).toBeNull();
    expect(typeof rows[25].macd_line).toBe('number');
    expect(rows[32].macd_signal).toBeNull();
    expect(typeof rows[33].macd_signal).toBe('number');
    expect(rows[0]).toMatchObject({ timestamp: '2024-01-03T15:00:00.000000000Z', asset: 'MES' });
    expect(validateTable(table, MOMENTUM_INDICATORS_SCHEMA).report).toMatchObject({ valid: true, errors: [] });
  });

  it('price_volatility has a row per trading date from daily closes', () => {
    // 70 daily bars at 00:00 UTC on consecutive days
    const closes = Array.from({ length: 70 }, (_, i) => 5000 * Math.exp(0.01 * Math.sin(i)));
    const table = buildFeatureTable('price_volatility', barsTable(barsFromCloses('2024-01-01T00:00:00Z', 86_400, closes)), { asset: 'ES' });
    expect(table.numRows).toBe(70);
    const rows = tableToJsonRows(table);
    expect(rows[0]).toMatchObject({ timestamp: '2024-01-01T00:00:00.000000000Z', asset: 'ES', realized_vol_30d: null, realized_vol_60d: null, vol_ratio: null });
    expect(rows[29].realized_vol_30d).toBeNull();
    expect(typeof rows[30].realized_vol_30d).toBe('number');
    expect(rows[59].realized_vol_60d).toBeNull();
    expect(rows[60].vol_ratio).toBeCloseTo((rows[60].realized_vol_30d as number) / (rows[60].realized_vol_60d as number), 12);
    expect(rows[13].atr_14).toBeCloseTo(rows.slice(0, 14).reduce((s, r) => s + (r.true_range as number), 0) / 14, 12);
    expect(validateTable(table, PRICE_VOLATILITY_SCHEMA).report).toMatchObject({ valid: true, errors: [] });
  });
});
