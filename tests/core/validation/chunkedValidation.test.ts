import { Float64, makeData, makeVector, Table, vectorFromArray, Utf8, type Vector } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { DataSchema } from '../../../core/schema/dataSchema.js';
import { OHLCV_SCHEMA } from '../../../core/schema/predefinedSchemas.js';
import { TableValidator, validateTable } from '../../../core/validation/validateTable.js';
import type { ValidationReport } from '../../../core/validation/issueRows.js';
import { barsFromCloses, barsTable, type Bar } from '../../helpers/barsTable.js';

/**
 * The validation of a table given in many small chunks must be the report of the whole table:
 * the same issues in the same order, the same counts, rows, messages and metrics. The series
 * below breaks every rule somewhere, and the breaks sit across chunk boundaries for the
 * smaller chunk sizes.
 */

/** 2,000 MES minute bars with defects, then 400 MNQ bars (its own instrument) with two rows swapped. */
/** A quiet series of closes: quarter-point steps around `base`. */
const quiet = (base: number, count: number) => Array.from({ length: count }, (_, i) => base + Math.round(Math.sin(i / 7) * 8) / 4 + (i % 3) * 0.25);

function defectiveTable(): Table {
  const closes = quiet(5000, 2000);
  // 40 identical closes: a stale run (bars 300..339)
  for (let i = 300; i < 340; i++) closes[i] = 5003.25;
  // a spike: +30 %, back the next minute
  closes[900] = 6500;
  const mes = barsFromCloses('2024-01-03T15:00:00Z', 60, closes);
  const bars: Bar[] = mes.map((b) => [...b] as Bar);
  bars[120][2] = bars[120][4] - 1; // high under close
  bars[450][5] = -7; // negative volume
  bars[451][4] = Number.NaN; // NaN close
  bars[452][3] = -1; // low ≤ 0
  bars[700][0] = bars[699][0]; // repeats the bar before (a duplicate timestamp)
  bars[1500][5] = 99_999; // volume over the constraint
  bars[1501][5] = bars[1499][5]; // a repeated volume (unique constraint; MNQ's volumes repeat MES's too)
  // a hole of 10 minutes inside trading hours (a session gap)
  const kept = bars.filter((_, i) => i < 1200 || i >= 1210);
  const mnq: Bar[] = barsFromCloses('2024-01-03T15:00:00Z', 60, quiet(17000, 400));
  [mnq[200], mnq[201]] = [mnq[201], mnq[200]];
  mnq[350][0] = mnq[10][0]; // a repeat far from its first, in unsorted rows
  const all = [...kept, ...mnq];
  const assets = [...kept.map(() => 'MES'), ...mnq.map(() => 'MNQ')];
  const table = barsTable(all, assets);
  // two missing opens (null in a non-nullable column)
  const open = table.getChild('open') as Vector;
  const values = Float64Array.from({ length: table.numRows }, (_, i) => open.get(i) as number);
  const bitmap = new Uint8Array(Math.ceil(table.numRows / 8)).fill(0xff);
  for (const row of [5, 1999]) bitmap[row >> 3] &= ~(1 << (row & 7));
  const openWithNulls = makeVector(makeData({ type: new Float64(), length: table.numRows, data: values, nullBitmap: bitmap, nullCount: 2 }));
  const columns: Record<string, Vector> = {};
  for (const field of table.schema.fields) columns[field.name] = field.name === 'open' ? openWithNulls : (table.getChild(field.name) as Vector);
  // a column the schema does not know (a warning over every row)
  columns.note = vectorFromArray(all.map(() => 'x'), new Utf8());
  return new Table(columns);
}

const schema = DataSchema.parse({
  ...OHLCV_SCHEMA,
  columns: OHLCV_SCHEMA.columns.map((c) => (c.name === 'volume' ? { ...c, constraints: { max: 50_000, unique: true } } : c.name === 'asset' ? { ...c, constraints: { enum: ['MES'] } } : c)),
  rules: { ...OHLCV_SCHEMA.rules, constraints: {} },
});

function inChunks(table: Table, size: number, everyRow = false): ValidationReport {
  const validator = new TableValidator(schema, { target: 'raw/MES', everyRow });
  for (let start = 0; start < table.numRows; start += size) validator.push(table.slice(start, Math.min(table.numRows, start + size)));
  return validator.finish();
}

describe('validation in chunks', () => {
  const table = defectiveTable();
  const whole = validateTable(table, schema, { target: 'raw/MES' }).report;

  it('finds every defect of the whole table, with exact counts and rows', () => {
    const summary = (issues: ValidationReport['errors']) => issues.map((i) => [i.rule, i.code, i.column ?? null, i.count, i.rows.slice(0, 5)]);
    expect(whole.rowCount).toBe(2390);
    expect(summary(whole.errors)).toEqual([
      ['null_required', 'NULL_IN_REQUIRED', 'open', 2, [5, 1999]],
      ['finite_values', 'NON_FINITE', 'close', 1, [451]],
      ['positive_price', 'NON_POSITIVE_PRICE', 'low', 1, [452]],
      ['ohlc_consistency', 'OHLC_INCONSISTENT', null, 1, [120]],
      ['non_negative_volume', 'NEGATIVE_VOLUME', 'volume', 1, [450]],
      ['sorted_timestamp', 'UNSORTED_TIMESTAMP', 'timestamp', 2, [2191, 2340]],
      ['unique_timestamp', 'DUPLICATE_TIMESTAMP', 'timestamp', 2, [700, 2340]],
      ['constraints', 'OUT_OF_RANGE', 'volume', 1, [1490]],
      ['constraints', 'NOT_UNIQUE', 'volume', 401, [1491, 1990, 1991, 1992, 1993]],
      ['constraints', 'NOT_IN_ENUM', 'asset', 400, [1990, 1991, 1992, 1993, 1994]],
    ]);
    expect(summary(whole.warnings)).toEqual([
      ['type', 'EXTRA_COLUMN', 'note', 2390, []],
      // the repeated bar at 700 leaves the minute after it empty, and the 10-minute hole
      ['session_gap', 'SESSION_GAP', 'timestamp', 2, [701, 1200]],
      // the spike and its return, and the steps into and out of the flat run (its block's deviation is 0)
      ['price_spike', 'PRICE_SPIKE', 'close', 4, [300, 340, 900, 901]],
      ['stale_price', 'STALE_PRICE', 'close', 10, [330, 331, 332, 333, 334]],
    ]);
    expect(whole.metrics).toEqual({ nullCounts: { timestamp: 0, open: 2, high: 0, low: 0, close: 0, volume: 0, asset: 0 }, completenessPercentage: 99.9861, duplicateTimestamps: 2, gapCount: 2, missingBars: 11, barIntervalSeconds: 60 });
  });

  for (const size of [1, 2, 7, 100, 999, 1200, 5000]) {
    it(`gives the whole table's report in chunks of ${size} rows`, () => {
      expect(inChunks(table, size)).toEqual(whole);
    });
  }

  it('keeps every offending row when asked, the same in chunks as whole', () => {
    const wholeEvery = new TableValidator(schema, { target: 'raw/MES', everyRow: true });
    wholeEvery.push(table);
    const expected = wholeEvery.finish();
    expect(expected.warnings.find((w) => w.rule === 'stale_price')?.rows).toEqual([330, 331, 332, 333, 334, 335, 336, 337, 338, 339]);
    expect(inChunks(table, 13, true)).toEqual(expected);
  });

  it('answers the report of an empty table with no chunk, as for a table of no rows', () => {
    const none = new TableValidator(schema, { target: 'raw/MES' }).finish();
    expect(none.rowCount).toBe(0);
    expect(none.errors).toEqual([]);
    expect(none.metrics.completenessPercentage).toBe(100);
  });
});
