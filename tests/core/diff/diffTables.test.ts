import { Float64, makeData, makeVector, Table } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { diffTables } from '../../../core/diff/diffTables.js';
import { barsFromCloses, barsTable } from '../../helpers/barsTable.js';

function withColumn(table: Table, name: string, values: number[]): Table {
  const columns: Record<string, ReturnType<typeof makeVector>> = {};
  for (const field of table.schema.fields) columns[field.name] = table.getChild(field.name) as ReturnType<typeof makeVector>;
  columns[name] = makeVector(makeData({ type: new Float64(), length: values.length, data: Float64Array.from(values) }));
  return new Table(columns);
}

describe('diffTables', () => {
  const a = barsTable(barsFromCloses('2024-01-03T15:00:00Z', 60, [5000, 5001, 5002, 5003, 5004]));

  it('an identical version has no differences', () => {
    expect(diffTables(a, a)).toMatchObject({ key: ['timestamp'], schema: { added: [], removed: [], changed: [] }, rows: { added: 0, removed: 0, changed: 0, unchanged: 5, a: 5, b: 5 }, samples: [] });
  });

  it('finds added, removed and changed rows by timestamp, and schema changes', () => {
    const bars = barsFromCloses('2024-01-03T15:00:00Z', 60, [5000, 5001, 5002, 5003, 5004, 5005]);
    bars[2][4] = 5002.5; // close changed at 15:02
    const b = withColumn(barsTable(bars.slice(1)), 'vwap', [1, 2, 3, 4, 5]); // 15:00 removed, 15:05 added
    const diff = diffTables(a, b);
    expect(diff.schema).toEqual({ added: [{ name: 'vwap', type: 'Float64' }], removed: [], changed: [] });
    expect(diff.rows).toEqual({ added: 1, removed: 1, changed: 1, unchanged: 3, a: 5, b: 5 });
    expect(diff.changedColumns).toEqual({ close: 1 });
    expect(diff.samples).toEqual([
      { kind: 'removed', key: { timestamp: '2024-01-03T15:00:00.000000000Z' }, row: { timestamp: '2024-01-03T15:00:00.000000000Z', open: 5000, high: 5000.25, low: 4999.75, close: 5000, volume: 10 } },
      { kind: 'changed', key: { timestamp: '2024-01-03T15:02:00.000000000Z' }, changes: { close: { a: 5002, b: 5002.5 } } },
      { kind: 'added', key: { timestamp: '2024-01-03T15:05:00.000000000Z' }, row: { timestamp: '2024-01-03T15:05:00.000000000Z', open: 5004, high: 5005.25, low: 5003.75, close: 5005, volume: 15, vwap: 5 } },
    ]);
  });

  it('matches rows by asset and timestamp when both sides have assets, in any order', () => {
    const times = barsFromCloses('2024-01-03T15:00:00Z', 60, [1, 2]);
    const left = barsTable([times[0], times[0], times[1]], ['MES', 'ES', 'MES']);
    const right = barsTable([times[1], times[0], times[0]], ['MES', 'MES', 'ES']);
    expect(diffTables(left, right)).toMatchObject({ key: ['asset', 'timestamp'], rows: { added: 0, removed: 0, changed: 0, unchanged: 3 } });
  });

  it('treats NaN as equal to NaN and tells -0 from 0', () => {
    const x = withColumn(a, 'extra', [Number.NaN, 0, 1, 2, 3]);
    const y = withColumn(a, 'extra', [Number.NaN, -0, 1, 2, 3]);
    expect(diffTables(x, y).rows).toMatchObject({ changed: 1, unchanged: 4 });
  });
});
