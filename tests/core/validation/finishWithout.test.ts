import { Float64, makeData, makeVector, Table, type Vector } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { takeRows } from '../../../core/arrow/takeRows.js';
import { DataSchema } from '../../../core/schema/dataSchema.js';
import { OHLCV_SCHEMA } from '../../../core/schema/predefinedSchemas.js';
import { TableValidator, validateTable } from '../../../core/validation/validateTable.js';
import { barsFromCloses, barsTable, type Bar } from '../../helpers/barsTable.js';

/**
 * `finishWithout`: the report of the rows pushed without some of them must be the report of
 * validating those other rows (in their order) from scratch: the rules that follow rows in
 * time run over what is left (a bar left out is a session gap, a spike's neighbours change),
 * the row-local findings lose the rows left out and are renumbered.
 */

/** 1,500 MES minute bars from 15:00Z with defects, a spike and a stale run; ohlc_consistency is a warning so its rows stay. */
function bars(): Bar[] {
  const closes = Array.from({ length: 1500 }, (_, i) => 5000 + Math.round(Math.sin(i / 7) * 8) / 4 + (i % 3) * 0.25);
  for (let i = 300; i < 340; i++) closes[i] = 5003.25;
  closes[900] = 6500;
  const out = barsFromCloses('2024-01-03T15:00:00Z', 60, closes);
  out[120][2] = out[120][4] - 1; // high under close (a warning here)
  out[640][2] = out[640][4] - 1;
  out[450][5] = -7; // negative volume (an error)
  out[1100][0] = out[1099][0]; // a repeated time
  return out;
}

const schema = DataSchema.parse({ ...OHLCV_SCHEMA, rules: { ...OHLCV_SCHEMA.rules, ohlc_consistency: { severity: 'warning' } } });

function pushed(table: Table, size: number, everyRow = true): TableValidator {
  const validator = new TableValidator(schema, { target: 'raw/MES', everyRow });
  for (let start = 0; start < table.numRows; start += size) validator.push(table.slice(start, Math.min(table.numRows, start + size)));
  validator.finish();
  return validator;
}

describe('the report without some rows', () => {
  const table = barsTable(bars());

  it('is the report of validating the other rows, for every chunk size', () => {
    // the error row, one of the repeated pair, a warning row, a row beside the spike, and the stale run's middle
    const left = [450, 1099, 640, 899, ...Array.from({ length: 10 }, (_, k) => 315 + k)];
    const skip = new Uint8Array(table.numRows);
    for (const row of left) skip[row] = 1;
    const others = Array.from({ length: table.numRows }, (_, i) => i).filter((i) => skip[i] === 0);
    const expected = validateTable(takeRows(table, others), schema, { target: 'cleaned MES' }).report;
    expect(expected).toMatchObject({ rowCount: 1486, valid: true, errors: [], metrics: { duplicateTimestamps: 0, gapCount: 4, missingBars: 13 } });
    // gaps before the rows after 315-324, 640, 899 and 1099 (450 falls in the daily break); the stale run is 30 closes now, not over the limit
    expect(expected.warnings.map((w) => [w.rule, w.count, w.rows.slice(0, 6)])).toEqual([
      ['ohlc_consistency', 1, [120]],
      ['session_gap', 4, [315, 629, 887, 1087]],
      ['price_spike', 4, [300, 330, 887, 888]],
    ]);
    for (const size of [97, 1000, 1500]) expect(pushed(table, size).finishWithout(skip, 'cleaned MES')).toEqual(expected);
  });

  it('without no row is the report of every row under the new target', () => {
    const expected = validateTable(table, schema, { target: 'cleaned MES' }).report;
    expect(expected.errors.map((e) => [e.rule, e.count])).toEqual([
      ['non_negative_volume', 1],
      ['unique_timestamp', 1],
    ]);
    expect(pushed(table, 400).finishWithout(new Uint8Array(table.numRows), 'cleaned MES')).toEqual(expected);
  });

  it('is null where the kept state cannot tell: rows of a finding not kept, nulls, an asset column, a unique constraint, a skip of another length', () => {
    const skip = new Uint8Array(table.numRows);
    skip[450] = 1;
    // 200 rows of one finding: a validator without everyRow kept the first 100
    const many = bars();
    for (let i = 0; i < 200; i++) many[i][2] = many[i][4] - 1;
    expect(pushed(barsTable(many), 500, false).finishWithout(skip, 'cleaned MES')).toBeNull();
    expect(pushed(barsTable(many), 500, true).finishWithout(skip, 'cleaned MES')).not.toBeNull();
    // a null open
    const open = table.getChild('open') as Vector;
    const bitmap = new Uint8Array(Math.ceil(table.numRows / 8)).fill(0xff);
    bitmap[0] &= ~1;
    const columns: Record<string, Vector> = {};
    for (const field of table.schema.fields) columns[field.name] = table.getChild(field.name) as Vector;
    columns.open = makeVector(makeData({ type: new Float64(), length: table.numRows, data: Float64Array.from({ length: table.numRows }, (_, i) => open.get(i) as number), nullBitmap: bitmap, nullCount: 1 }));
    expect(pushed(new Table(columns), 500).finishWithout(skip, 'cleaned MES')).toBeNull();
    const withAsset = barsTable(bars(), bars().map(() => 'MES'));
    expect(new TableValidator(schema, { everyRow: true }).finishWithout(new Uint8Array(0), 'x')).not.toBeNull();
    const assetValidator = new TableValidator(schema, { everyRow: true });
    assetValidator.push(withAsset);
    expect(assetValidator.finishWithout(skip, 'cleaned MES')).toBeNull();
    const unique = DataSchema.parse({ ...schema, columns: schema.columns.map((c) => (c.name === 'volume' ? { ...c, constraints: { unique: true } } : c)) });
    const uniqueValidator = new TableValidator(unique, { everyRow: true });
    uniqueValidator.push(table);
    expect(uniqueValidator.finishWithout(skip, 'cleaned MES')).toBeNull();
    expect(pushed(table, 500).finishWithout(skip.subarray(1), 'cleaned MES')).toBeNull();
  });
});
