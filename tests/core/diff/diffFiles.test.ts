import fs from 'node:fs';
import path from 'node:path';
import { Binary, Float64, makeData, makeVector, Table, TimestampNanosecond, vectorFromArray } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { diffParquetFiles } from '../../../core/diff/diffFiles.js';
import { diffTables } from '../../../core/diff/diffTables.js';
import { writeParquet } from '../../../core/parquet/writeParquet.js';
import { barsFromCloses, barsTable, type Bar } from '../../helpers/barsTable.js';
import { tempDir } from '../../helpers/ohlcvTable.js';

function withColumn(table: Table, name: string, vector: ReturnType<typeof makeVector>): Table {
  const columns: Record<string, ReturnType<typeof makeVector>> = {};
  for (const field of table.schema.fields) columns[field.name] = table.getChild(field.name) as ReturnType<typeof makeVector>;
  columns[name] = vector;
  return new Table(columns);
}

const floats = (values: number[]) => makeVector(makeData({ type: new Float64(), length: values.length, data: Float64Array.from(values) }));
const nanos = (values: bigint[]) => makeVector(makeData({ type: new TimestampNanosecond('UTC'), length: values.length, data: BigInt64Array.from(values) }));

describe('diffParquetFiles (DuckDB) gives what diffTables gives for the same rows', () => {
  const { dir, cleanup } = tempDir('mes-data-diff-');
  afterAll(cleanup);
  let serial = 0;

  /** Writes each table as one file of a side, in order; returns the paths. */
  async function files(...tables: Table[]): Promise<string[]> {
    const side = path.join(dir, `side-${serial++}`);
    fs.mkdirSync(side);
    const out: string[] = [];
    for (const [k, table] of tables.entries()) {
      const file = path.join(side, `part-${k}.parquet`);
      await writeParquet(table, file);
      out.push(file);
    }
    return out;
  }

  const concat = (tables: Table[]) => tables.slice(1).reduce((all, t) => all.concat(t), tables[0]);

  /** Both ways, and the two results must be equal (the DuckDB one in full). */
  async function both(sideA: Table[], sideB: Table[]) {
    const fast = await diffParquetFiles(await files(...sideA), await files(...sideB));
    expect(fast).not.toBeNull();
    expect(fast).toEqual(diffTables(concat(sideA), concat(sideB)));
    return fast;
  }

  const a = barsTable(barsFromCloses('2024-01-03T15:00:00Z', 60, [5000, 5001, 5002, 5003, 5004]));

  it('an identical version: no differences', async () => {
    expect(await both([a], [a])).toEqual({ key: ['timestamp'], schema: { added: [], removed: [], changed: [] }, rows: { added: 0, removed: 0, changed: 0, unchanged: 5, a: 5, b: 5 },
      changedColumns: {},
      byDate: { source: 'session', session: 'cme_globex_equity', timeZone: 'America/Chicago', dates: [] },
      samples: [],
    });
  });

  it('rows added, removed and changed, a column added, across files', async () => {
    const bars = barsFromCloses('2024-01-03T15:00:00Z', 60, [5000, 5001, 5002, 5003, 5004, 5005]);
    bars[2][4] = 5002.5; // close changed at 15:02
    bars[3][5] = 99; // volume changed at 15:03
    const b = withColumn(barsTable(bars.slice(1)), 'vwap', floats([1, 2, 3, 4, 5]));
    const diff = await both([a.slice(0, 2), a.slice(2)], [b.slice(0, 3), b.slice(3)]);
    expect(diff?.schema).toEqual({ added: [{ name: 'vwap', type: 'Float64' }], removed: [], changed: [] });
    expect(diff?.rows).toEqual({ added: 1, removed: 1, changed: 2, unchanged: 2, a: 5, b: 5 });
    expect(diff?.changedColumns).toEqual({ close: 1, volume: 1 });
    expect(diff?.byDate.dates).toEqual([{ date: '2024-01-03', added: 1, removed: 1, changed: 2 }]);
    expect(diff?.samples).toEqual([
      { kind: 'removed', key: { timestamp: '2024-01-03T15:00:00.000000000Z' }, row: { timestamp: '2024-01-03T15:00:00.000000000Z', open: 5000, high: 5000.25, low: 4999.75, close: 5000, volume: 10 } },
      { kind: 'changed', key: { timestamp: '2024-01-03T15:02:00.000000000Z' }, changes: { close: { a: 5002, b: 5002.5 } } },
      { kind: 'changed', key: { timestamp: '2024-01-03T15:03:00.000000000Z' }, changes: { volume: { a: 13, b: 99 } } },
      { kind: 'added', key: { timestamp: '2024-01-03T15:05:00.000000000Z' }, row: { timestamp: '2024-01-03T15:05:00.000000000Z', open: 5004, high: 5005.25, low: 5003.75, close: 5005, volume: 15, vwap: 5 } },
    ]);
  });

  it('changed columns in the order the first changed row meets them', async () => {
    const bars = barsFromCloses('2024-01-03T15:00:00Z', 60, [5000, 5001, 5002, 5003, 5004]);
    bars[1][5] = 1; // volume first, at 15:01
    bars[3][4] = 1; // close later, at 15:03
    bars[3][1] = 1; // and open at 15:03
    const diff = await both([a], [barsTable(bars)]);
    expect(Object.keys(diff?.changedColumns ?? {})).toEqual(['volume', 'open', 'close']);
    expect(diff?.changedColumns).toEqual({ volume: 1, open: 1, close: 1 });
  });

  it('matches by asset and timestamp in any order; duplicates pair up in file order', async () => {
    const times = barsFromCloses('2024-01-03T15:00:00Z', 60, [1, 2]);
    const left = barsTable([times[0], times[0], times[1], times[1]], ['MES', 'ES', 'MES', 'MES']);
    const changed: Bar = [...times[1]];
    changed[4] = 7;
    const right = barsTable([times[1], times[0], changed, times[0], times[0]], ['MES', 'MES', 'MES', 'ES', 'ES']);
    const diff = await both([left], [right]);
    expect(diff?.key).toEqual(['asset', 'timestamp']);
    expect(diff?.rows).toEqual({ added: 1, removed: 0, changed: 1, unchanged: 3, a: 4, b: 5 });
    expect(diff?.samples.map((s) => [s.kind, s.key])).toEqual([
      ['added', { asset: 'ES', timestamp: '2024-01-03T15:00:00.000000000Z' }],
      ['changed', { asset: 'MES', timestamp: '2024-01-03T15:01:00.000000000Z' }],
    ]);
  });

  it('a key repeated on one side only: each of its rows is removed (or added), in file order', async () => {
    const times = barsFromCloses('2024-01-03T15:00:00Z', 60, [1, 2, 3]);
    const second: Bar = [...times[0]];
    second[4] = 9;
    const diff = await both([barsTable([times[0], second, times[1]])], [barsTable([times[1], times[2], times[2]])]);
    expect(diff?.rows).toEqual({ added: 2, removed: 2, changed: 0, unchanged: 1, a: 3, b: 3 });
    expect(diff?.samples.map((s) => [s.kind, s.key.timestamp, s.row?.close])).toEqual([
      ['removed', '2024-01-03T15:00:00.000000000Z', 1],
      ['removed', '2024-01-03T15:00:00.000000000Z', 9],
      ['added', '2024-01-03T15:02:00.000000000Z', 3],
      ['added', '2024-01-03T15:02:00.000000000Z', 3],
    ]);
  });

  it('NaN equals NaN, -0 differs from 0, a null differs from a value', async () => {
    const x = withColumn(a, 'extra', vectorFromArray([Number.NaN, 0, 1, 2, null], new Float64()));
    const y = withColumn(a, 'extra', vectorFromArray([Number.NaN, -0, 1, null, null], new Float64()));
    const diff = await both([x], [y]);
    expect(diff?.rows).toMatchObject({ changed: 2, unchanged: 3 });
    expect(diff?.changedColumns).toEqual({ extra: 2 });
  });

  it('a key that differs only in its nanoseconds is a row removed and one added', async () => {
    const bars = barsAtNanos(['2024-01-03T15:00:00.000000001Z', '2024-01-03T15:00:00.000000002Z', '2024-01-03T15:00:00.000001000Z']);
    const moved = barsAtNanos(['2024-01-03T15:00:00.000000001Z', '2024-01-03T15:00:00.000000003Z', '2024-01-03T15:00:00.000001000Z']);
    const diff = await both([bars], [moved]);
    expect(diff?.rows).toEqual({ added: 1, removed: 1, changed: 0, unchanged: 2, a: 3, b: 3 });
    expect(diff?.samples.map((s) => [s.kind, s.key.timestamp])).toEqual([
      ['removed', '2024-01-03T15:00:00.000000002Z'],
      ['added', '2024-01-03T15:00:00.000000003Z'],
    ]);
  });

  it('digits written in many small files still line up with their rows', async () => {
    const bars = barsAtNanos(['2024-01-03T15:00:00.000000001Z', '2024-01-03T15:00:00.000000002Z', '2024-01-03T15:00:00.000000004Z', '2024-01-03T15:00:00.000000005Z', '2024-01-03T15:00:00.000000009Z']);
    const moved = barsAtNanos(['2024-01-03T15:00:00.000000001Z', '2024-01-03T15:00:00.000000002Z', '2024-01-03T15:00:00.000000004Z', '2024-01-03T15:00:00.000000006Z', '2024-01-03T15:00:00.000000009Z']);
    const fast = await diffParquetFiles(await files(bars.slice(0, 3), bars.slice(3)), await files(moved.slice(0, 2), moved.slice(2)), { digitsFileRows: 2 });
    expect(fast).toEqual(diffTables(bars, moved));
    expect(fast?.samples.map((s) => [s.kind, s.key.timestamp])).toEqual([
      ['removed', '2024-01-03T15:00:00.000000005Z'],
      ['added', '2024-01-03T15:00:00.000000006Z'],
    ]);
  });

  it('a nanosecond value column that differs only in its last digit is a change', async () => {
    const base = 1_704_294_000_000_000_000n;
    const x = withColumn(a, 'fill_time', nanos([base, base + 1n, base + 2n, base + 3n, base + 4n]));
    const y = withColumn(a, 'fill_time', nanos([base, base + 1n, base + 7n, base + 3n, base + 4n]));
    const diff = await both([x], [y]);
    expect(diff?.rows).toMatchObject({ changed: 1, unchanged: 4 });
    expect(diff?.samples).toEqual([{ kind: 'changed', key: { timestamp: '2024-01-03T15:02:00.000000000Z' }, changes: { fill_time: { a: '2024-01-03T15:00:00.000000002Z', b: '2024-01-03T15:00:00.000000007Z' } } }]);
  });

  it('nanosecond digits of times before 1970 and near the end of the range compare exactly too', async () => {
    const far = 9_000_000_000_000_000_123n;
    const x = withColumn(a, 'fill_time', nanos([-1n, -1_001n, -999n, far, 5n]));
    const y = withColumn(a, 'fill_time', nanos([-2n, -1_001n, -998n, far + 1n, 5n]));
    const diff = await both([x], [y]);
    expect(diff?.rows).toMatchObject({ changed: 3, unchanged: 2 });
    expect(diff?.samples.map((s) => s.changes?.fill_time)).toEqual([
      { a: '1969-12-31T23:59:59.999999999Z', b: '1969-12-31T23:59:59.999999998Z' },
      { a: '1969-12-31T23:59:59.999999001Z', b: '1969-12-31T23:59:59.999999002Z' },
      { a: '2255-03-14T16:00:00.000000123Z', b: '2255-03-14T16:00:00.000000124Z' },
    ]);
  });

  it('keeps ten samples of each kind, the first by key', async () => {
    const many = barsFromCloses('2024-01-03T15:00:00Z', 60, Array.from({ length: 30 }, (_, i) => 5000 + i));
    const diff = await both([barsTable(many.slice(0, 15))], [barsTable(many.slice(15))]);
    expect(diff?.rows).toMatchObject({ added: 15, removed: 15 });
    expect(diff?.samples.filter((s) => s.kind === 'removed')).toHaveLength(10);
    expect(diff?.samples.filter((s) => s.kind === 'added')).toHaveLength(10);
    expect(diff?.samples[0].key.timestamp).toBe('2024-01-03T15:00:00.000000000Z');
  });

  it('answers null for a type it does not compare (binary), and BAD_REQUEST without a timestamp', async () => {
    const x = withColumn(a, 'blob', vectorFromArray([1, 2, 3, 4, 5].map((k) => new Uint8Array([k])), new Binary()));
    const sideA = await files(x);
    expect(await diffParquetFiles(sideA, sideA)).toBeNull();
    const noTime = await files(new Table({ close: floats([1, 2]) }));
    await expect(diffParquetFiles(noTime, await files(a))).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'A has no timestamp column to match rows by' });
  });
});

/** Flat bars at exact nanosecond times. */
function barsAtNanos(times: string[]): Table {
  return barsTable(times.map((t, i) => [t, 5000, 5000.5, 4999.5, 5000, 1 + i] as Bar));
}
