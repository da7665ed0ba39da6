import { DateDay, Float64, makeData, makeVector, Table, TimestampNanosecond, Utf8, vectorFromArray, type Vector } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { FeatureGate, type GateColumn } from '../../../core/features/featureGate.js';
import { DataSchema } from '../../../core/schema/dataSchema.js';
import { MOMENTUM_INDICATORS_SCHEMA, VOLUME_PROFILE_SCHEMA } from '../../../core/schema/predefinedSchemas.js';
import { validateTable } from '../../../core/validation/validateTable.js';

/** A float column where NaN is null (as the whole-table build makes warm-up values). */
function nullable(values: number[]): Vector {
  return vectorFromArray(values.map((v) => (Number.isNaN(v) ? null : v)), new Float64());
}

const n = 14;
const us = Float64Array.from({ length: n }, (_, i) => 1_704_186_000_000_000 + (i === 11 ? 10 : i) * 60_000_000);
const rsi = Float64Array.from({ length: n }, (_, i) => (i < 3 ? Number.NaN : i === 5 ? 101 : i === 9 ? -1 : 50 + i));
const line = Float64Array.from({ length: n }, (_, i) => (i === 3 ? Infinity : i === 7 ? -Infinity : i / 10));
const zeros = () => new Float64Array(n).fill(0.5);

function momentumTable(): Table {
  return new Table({
    timestamp: makeVector(makeData({ type: new TimestampNanosecond('UTC'), length: n, data: BigInt64Array.from(us, (v) => BigInt(v) * 1000n) })),
    asset: vectorFromArray(Array.from({ length: n }, () => 'MES'), new Utf8()),
    rsi_14: nullable(Array.from(rsi)),
    macd_line: nullable(Array.from(line)),
    macd_signal: nullable(Array.from(zeros())),
    macd_histogram: nullable(Array.from(zeros())),
    momentum_10: nullable(Array.from(zeros())),
    roc_10: nullable(Array.from(zeros())),
  });
}

const MOMENTUM_COLUMNS: GateColumn[] = [
  { name: 'timestamp', kind: 'timestamp' },
  { name: 'asset', kind: 'utf8' },
  ...['rsi_14', 'macd_line', 'macd_signal', 'macd_histogram', 'momentum_10', 'roc_10'].map((name): GateColumn => ({ name, kind: 'float64', nanIsNull: true })),
];

describe('FeatureGate', () => {
  it('reports what validateTable reports for the same momentum rows, fed in chunks', () => {
    const gate = FeatureGate.open(MOMENTUM_INDICATORS_SCHEMA, MOMENTUM_COLUMNS);
    if (typeof gate === 'string') throw new Error(gate);
    const columns = [us, null, rsi, line, zeros(), zeros(), zeros(), zeros()];
    for (let at = 0; at < n; at += 4) {
      const count = Math.min(4, n - at);
      expect(gate.check(columns.map((c) => c?.slice(at, at + count) ?? null), count)).toBe(true);
    }
    const expected = validateTable(momentumTable(), MOMENTUM_INDICATORS_SCHEMA, { target: 'momentum_indicators for MES' }).report;
    const report = gate.report('momentum_indicators for MES');
    expect(report).toEqual(expected);
    expect(report.errors.map((e) => [e.code, e.column, e.count, e.rows])).toEqual([
      ['NON_FINITE', 'macd_line', 2, [3, 7]],
      ['DUPLICATE_TIMESTAMP', 'timestamp', 1, [11]],
      ['OUT_OF_RANGE', 'rsi_14', 2, [5, 9]],
    ]);
    expect(report.metrics.nullCounts.rsi_14).toBe(3);
  });

  it('answers false when timestamps go back, so the build can take the whole-table path', () => {
    const gate = FeatureGate.open(MOMENTUM_INDICATORS_SCHEMA, MOMENTUM_COLUMNS);
    if (typeof gate === 'string') throw new Error(gate);
    const back = Float64Array.from([3, 2]);
    expect(gate.check([back, null, zeros(), zeros(), zeros(), zeros(), zeros(), zeros()], 2)).toBe(false);
  });

  it('volume profile: NaN in a non-nullable column is a non-finite value; fractional volumes are float64 and checked', () => {
    const m = 4;
    const volume = [10, -2, 3.5, 7];
    const poc = [5000, Number.NaN, 5000, 5000];
    const table = new Table({
      session_date: makeVector(makeData({ type: new DateDay(), length: m, data: Int32Array.from([19_724, 19_724, 19_725, 19_725]) })),
      asset: vectorFromArray(['MES', 'MES', 'MES', 'MES'], new Utf8()),
      price_level: makeVector(Float64Array.from([5000, 5000.25, 5000, 5010])),
      volume: makeVector(Float64Array.from(volume)),
      poc_price: makeVector(Float64Array.from(poc)),
      value_area_high: makeVector(Float64Array.from([5000, 5000, 5000, 5000])),
      value_area_low: makeVector(Float64Array.from([5000, 5000, 5000, 5000])),
    });
    const gate = FeatureGate.open(VOLUME_PROFILE_SCHEMA, [
      { name: 'session_date', kind: 'date32' },
      { name: 'asset', kind: 'utf8' },
      { name: 'price_level', kind: 'float64' },
      { name: 'volume', kind: 'volume' },
      { name: 'poc_price', kind: 'float64' },
      { name: 'value_area_high', kind: 'float64' },
      { name: 'value_area_low', kind: 'float64' },
    ]);
    if (typeof gate === 'string') throw new Error(gate);
    gate.check([null, null, Float64Array.from([5000, 5000.25, 5000, 5010]), Float64Array.from(volume), Float64Array.from(poc), new Float64Array(m).fill(5000), new Float64Array(m).fill(5000)], m);
    expect(gate.volumeIsIntegral).toBe(false);
    const report = gate.report('volume_profile for MES');
    expect(report).toEqual(validateTable(table, VOLUME_PROFILE_SCHEMA, { target: 'volume_profile for MES' }).report);
    expect(report.errors.map((e) => [e.code, e.column, e.rows])).toEqual([
      ['NON_FINITE', 'poc_price', [1]],
      ['OUT_OF_RANGE', 'volume', [1]],
    ]);
    // whole volumes would be int64: the finite check does not apply to them
    const whole = FeatureGate.open(VOLUME_PROFILE_SCHEMA, [{ name: 'session_date', kind: 'date32' }, { name: 'asset', kind: 'utf8' }, { name: 'price_level', kind: 'float64' }, { name: 'volume', kind: 'volume' }, { name: 'poc_price', kind: 'float64' }, { name: 'value_area_high', kind: 'float64' }, { name: 'value_area_low', kind: 'float64' }]);
    if (typeof whole === 'string') throw new Error(whole);
    whole.check([null, null, Float64Array.from([1]), Float64Array.from([4]), Float64Array.from([1]), Float64Array.from([1]), Float64Array.from([1])], 1);
    expect(whole.volumeIsIntegral).toBe(true);
  });

  it('names what it cannot check the way validateTable would: other rules, enum constraints, non-nullable warm-up columns, types', () => {
    const input = MOMENTUM_INDICATORS_SCHEMA;
    const variant = (change: (s: ReturnType<typeof structuredClone<DataSchema>>) => void) => {
      const copy = structuredClone(input);
      change(copy);
      return DataSchema.parse(copy);
    };
    expect(FeatureGate.open(variant((s) => (s.rules.session_gap = { enabled: true })), MOMENTUM_COLUMNS)).toBe('rule session_gap');
    expect(FeatureGate.open(variant((s) => (s.columns[2].constraints = { enum: [1, 2] })), MOMENTUM_COLUMNS)).toBe('constraints of rsi_14');
    expect(FeatureGate.open(variant((s) => (s.columns[3].nullable = false)), MOMENTUM_COLUMNS)).toBe('non-nullable macd_line');
    expect(FeatureGate.open(variant((s) => (s.columns[0].unit = 'ms')), MOMENTUM_COLUMNS)).toBe('type of timestamp');
    expect(FeatureGate.open(variant((s) => s.columns.push({ name: 'extra', type: 'float64', nullable: true, required: true, description: '' })), MOMENTUM_COLUMNS)).toBe('required column extra');
  });
});
