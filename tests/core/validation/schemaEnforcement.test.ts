import { Int32, makeData, makeVector, Table, TimestampMillisecond, TimestampNanosecond, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { tableToJsonRows } from '../../../core/arrow/arrowJson.js';
import { OHLCV_SCHEMA } from '../../../core/schema/predefinedSchemas.js';
import { validateTable } from '../../../core/validation/validateTable.js';
import { barsFromCloses, barsTable } from '../../helpers/barsTable.js';

const bars = barsTable(barsFromCloses('2024-01-03T15:00:00Z', 60, [5000, 5000.25, 5000.5]));

function withColumn(table: Table, name: string, vector: ReturnType<typeof makeVector>): Table {
  const columns: Record<string, ReturnType<typeof makeVector>> = {};
  for (const field of table.schema.fields) columns[field.name] = field.name === name ? vector : (table.getChild(field.name) as ReturnType<typeof makeVector>);
  if (!(name in columns)) columns[name] = vector;
  return new Table(columns);
}

function without(table: Table, name: string): Table {
  return table.select(table.schema.fields.map((f) => f.name).filter((n) => n !== name));
}

describe('strict mode', () => {
  it('fails a missing required column with MISSING_REQUIRED_COLUMN', () => {
    const { report } = validateTable(without(bars, 'volume'), OHLCV_SCHEMA);
    expect(report.valid).toBe(false);
    expect(report.errors[0]).toEqual({
      rule: 'required_column',
      code: 'MISSING_REQUIRED_COLUMN',
      column: 'volume',
      count: 3,
      rows: [],
      message: 'missing required column "volume"',
      severity: 'error',
    });
  });

  it('fails a wrong type with SCHEMA_MISMATCH naming expected and found', () => {
    const { report } = validateTable(withColumn(bars, 'close', vectorFromArray(['1', '2', '3'], new Utf8())), OHLCV_SCHEMA);
    expect(report.errors).toEqual([
      {
        rule: 'type',
        code: 'SCHEMA_MISMATCH',
        column: 'close',
        count: 3,
        rows: [],
        message: 'column "close" is Utf8, expected float64',
        severity: 'error',
        details: { expected: 'float64', found: 'Utf8' },
      },
    ]);
  });

  it('widens numbers and says so; a coarser timestamp unit of the same zone is kept as it is', () => {
    const ms = makeVector(makeData({ type: new TimestampMillisecond('UTC'), length: 3, data: new BigInt64Array([1_704_294_000_000n, 1_704_294_060_000n, 1_704_294_120_000n]) }));
    const volume = makeVector(makeData({ type: new Int32(), length: 3, data: new Int32Array([5, 6, 7]) }));
    const { report, table } = validateTable(withColumn(withColumn(bars, 'timestamp', ms), 'volume', volume), OHLCV_SCHEMA);
    expect(report.valid).toBe(true);
    expect(report.coercions).toEqual({ volume: { from: 'Int32', to: 'Int64', count: 3 } });
    expect(String(table.getChild('timestamp')?.type)).toBe('Timestamp<MILLISECOND, UTC>');
    expect(tableToJsonRows(table.select(['timestamp', 'volume']))[2]).toEqual({ timestamp: '2024-01-03T15:02:00.000Z', volume: 7 });
  });

  it('normalises a timestamp zone label that differs and says so', () => {
    const ny = makeVector(makeData({ type: new TimestampMillisecond('America/New_York'), length: 3, data: new BigInt64Array([1_704_294_000_000n, 1_704_294_060_000n, 1_704_294_120_000n]) }));
    const { report, table } = validateTable(withColumn(bars, 'timestamp', ny), OHLCV_SCHEMA);
    expect(report.valid).toBe(true);
    expect(report.coercions).toEqual({ timestamp: { from: 'Timestamp<MILLISECOND, America/New_York>', to: 'Timestamp<NANOSECOND, UTC>', count: 3 } });
    expect(tableToJsonRows(table.select(['timestamp']))[2]).toEqual({ timestamp: '2024-01-03T15:02:00.000000000Z' });
  });

  it('warns about extra columns', () => {
    const { report } = validateTable(withColumn(bars, 'note', vectorFromArray(['a', 'b', 'c'], new Utf8())), OHLCV_SCHEMA);
    expect(report.valid).toBe(true);
    expect(report.warnings).toEqual([
      { rule: 'type', code: 'EXTRA_COLUMN', column: 'note', count: 3, rows: [], message: 'column "note" is not in schema "ohlcv"', severity: 'warning' },
    ]);
  });
});

describe('coerce mode', () => {
  it('converts text to numbers and counts it; unconvertible values fail with their rows', () => {
    const ok = validateTable(withColumn(bars, 'close', vectorFromArray(['5000.25', '5001', '1e3'], new Utf8())), OHLCV_SCHEMA, { mode: 'coerce' });
    expect(ok.report.coercions.close).toEqual({ from: 'Utf8', to: 'Float64', count: 3 });
    expect(tableToJsonRows(ok.table.select(['close']))).toEqual([{ close: 5000.25 }, { close: 5001 }, { close: 1000 }]);

    const bad = validateTable(withColumn(bars, 'close', vectorFromArray(['5000.25', 'n/a', '5001', 'x'], new Utf8())).slice(0, 3), OHLCV_SCHEMA, { mode: 'coerce' });
    expect(bad.report.errors[0]).toMatchObject({ rule: 'type', code: 'DATA_TYPE_VALIDATION', column: 'close', count: 1, rows: [1] });
  });

  it('reads naive timestamps in the exchange zone (or the one given) and ISO text exactly', () => {
    // naive wall time 2024-01-03 09:00 is 15:00Z in Chicago (CST, UTC−6) and 14:00Z in New York (EST, UTC−5)
    const naive = makeVector(makeData({ type: new TimestampNanosecond(), length: 3, data: new BigInt64Array([1_704_272_400_000_000_000n, 1_704_272_460_000_000_001n, 1_704_272_520_000_000_000n]) }));
    const chicago = validateTable(withColumn(bars, 'timestamp', naive), OHLCV_SCHEMA, { mode: 'coerce' });
    expect(chicago.report.coercions.timestamp).toEqual({ from: 'Timestamp<NANOSECOND>', to: 'Timestamp<NANOSECOND, UTC>', count: 3 });
    expect(tableToJsonRows(chicago.table.select(['timestamp'])).map((r) => r.timestamp)).toEqual([
      '2024-01-03T15:00:00.000000000Z',
      '2024-01-03T15:01:00.000000001Z',
      '2024-01-03T15:02:00.000000000Z',
    ]);
    const newYork = validateTable(withColumn(bars, 'timestamp', naive), OHLCV_SCHEMA, { mode: 'coerce', timezone: 'America/New_York' });
    expect(tableToJsonRows(newYork.table.select(['timestamp']))[0]).toEqual({ timestamp: '2024-01-03T14:00:00.000000000Z' });

    const text = vectorFromArray(['2024-01-03T15:00:00Z', '2024-01-03 09:01:00.123456789', '2024-01-03T10:02:00-05:00'], new Utf8());
    const parsed = validateTable(withColumn(bars, 'timestamp', text), OHLCV_SCHEMA, { mode: 'coerce' });
    expect(tableToJsonRows(parsed.table.select(['timestamp'])).map((r) => r.timestamp)).toEqual([
      '2024-01-03T15:00:00.000000000Z',
      '2024-01-03T15:01:00.123456789Z',
      '2024-01-03T15:02:00.000000000Z',
    ]);
  });

  it('in strict mode the same naive timestamps are a mismatch', () => {
    const naive = makeVector(makeData({ type: new TimestampNanosecond(), length: 3, data: new BigInt64Array([1n, 2n, 3n]) }));
    expect(validateTable(withColumn(bars, 'timestamp', naive), OHLCV_SCHEMA).report.errors[0]).toMatchObject({ rule: 'type', code: 'SCHEMA_MISMATCH', column: 'timestamp' });
  });

  it('still fails a missing required column', () => {
    expect(validateTable(without(bars, 'open'), OHLCV_SCHEMA, { mode: 'coerce' }).report.errors[0]).toMatchObject({ code: 'MISSING_REQUIRED_COLUMN', column: 'open' });
  });
});

describe('ignore mode', () => {
  it('reports everything as warnings and converts nothing', () => {
    const table = withColumn(without(bars, 'volume'), 'close', vectorFromArray(['1', '2', '3'], new Utf8()));
    const { report } = validateTable(table, OHLCV_SCHEMA, { mode: 'ignore' });
    expect(report.valid).toBe(true);
    expect(report.errors).toEqual([]);
    expect(report.warnings.map((w) => [w.rule, w.code, w.column, w.severity])).toEqual([
      ['type', 'SCHEMA_MISMATCH', 'close', 'warning'],
      ['required_column', 'MISSING_REQUIRED_COLUMN', 'volume', 'warning'],
    ]);
    expect(report.coercions).toEqual({});
  });
});
