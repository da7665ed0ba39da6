import { describe, expect, it } from 'vitest';
import { epochToIso } from '../../../core/arrow/arrowJson.js';
import type { ColumnPlan } from '../../../core/ingest/columnMapping.js';
import type { DstGapPolicy, DstRepeatPolicy } from '../../../core/ingest/ingestTypes.js';
import { RowConverter, type ConvertedBatch, type SourceBatch, type SourceColumnData } from '../../../core/ingest/rowConverter.js';
import { TimeZoneRules } from '../../../core/ingest/timeZoneRules.js';
import { TradingCalendar } from '../../../core/ingest/tradingDate.js';

const CHICAGO = new TimeZoneRules('America/Chicago');
const CALENDAR = new TradingCalendar();

/** A CSV-like batch: rows of fields (undefined = the field is missing), with their line numbers from 2. */
function textBatch(rows: (string | undefined)[][], expectedFields?: number): SourceBatch {
  const width = Math.max(...rows.map((r) => r.length));
  const parts: Buffer[] = [];
  const starts = new Int32Array(rows.length * width).fill(-1);
  const ends = new Int32Array(rows.length * width);
  let at = 0;
  rows.forEach((fields, r) =>
    fields.forEach((field, k) => {
      if (field === undefined) return;
      const bytes = Buffer.from(field);
      starts[r * width + k] = at;
      ends[r * width + k] = at + bytes.length;
      parts.push(bytes);
      at += bytes.length;
    }),
  );
  const buf = Buffer.concat(parts);
  const columns: SourceColumnData[] = Array.from({ length: width }, (_, offset) => ({ kind: 'text', buf, starts, ends, stride: width, offset }));
  return {
    rows: rows.length,
    lines: Float64Array.from(rows, (_, r) => r + 2),
    columns,
    ...(expectedFields === undefined ? {} : { fieldCounts: Int32Array.from(rows, (r) => r.length), expectedFields }),
  };
}

function converter(plan: ColumnPlan, names: string[], policies: { gap?: DstGapPolicy; repeat?: DstRepeatPolicy } = {}): RowConverter {
  return new RowConverter({
    plan,
    notation: { decimal: '.', thousands: null },
    zone: CHICAGO,
    calendar: CALENDAR,
    gapPolicy: policies.gap ?? 'reject',
    repeatPolicy: policies.repeat ?? 'reject',
    sourceNames: names,
    maxBadRowsListed: 10,
  });
}

/** The converted rows as plain values: ISO instant with nanoseconds, trading date, values (null where invalid). */
function rowsOf(out: ConvertedBatch) {
  return Array.from({ length: out.rows }, (_, i) => ({
    at: epochToIso(out.timestamps[i], 3),
    day: new Date(out.tradingDays[i] * 86_400_000).toISOString().slice(0, 10),
    values: out.values.map((column, k) => (out.valid[k] && !out.valid[k]?.[i] ? null : column[i])),
  }));
}

const BARS: ColumnPlan = {
  timestamp: { kind: 'text', source: 0 },
  values: [
    { name: 'close', source: 1, kind: 'float' },
    { name: 'volume', source: 2, kind: 'auto' },
    { name: 'venue', source: 3, kind: 'utf8' },
  ],
  mapping: { timestamp: 'time', close: 'close', volume: 'volume', venue: 'venue' },
};
const NAMES = ['time', 'close', 'volume', 'venue'];

describe('RowConverter', () => {
  it('reads offsets as UTC and naive times in the zone, with the CME trading date (17:00 Chicago opens the next one)', () => {
    const c = converter(BARS, NAMES);
    const out = c.convert(
      textBatch([
        ['2024-01-02T14:30:00.123456789Z', '5000.25', '12', 'XCME'],
        ['2024-01-02 08:31:00', '5000.5', '', ''],
        ['2024-01-02 17:00:00', '5001', '7', undefined],
        ['2024-01-02T16:59:59-06:00', '4999.75', '3', 'GLBX'],
      ]),
    );
    expect(rowsOf(out)).toEqual([
      { at: '2024-01-02T14:30:00.123456789Z', day: '2024-01-02', values: [5000.25, 12, 'XCME'] },
      { at: '2024-01-02T14:31:00.000000000Z', day: '2024-01-02', values: [5000.5, null, ''] },
      { at: '2024-01-02T23:00:00.000000000Z', day: '2024-01-03', values: [5001, 7, null] },
      { at: '2024-01-02T22:59:59.000000000Z', day: '2024-01-02', values: [4999.75, 3, 'GLBX'] },
    ]);
    expect({ seconds: [...out.seconds], nanos: [...out.nanos] }).toEqual({ seconds: [1_704_205_800, 1_704_205_860, 1_704_236_400, 1_704_236_399], nanos: [123_456_789, 0, 0, 0] });
    expect({ localTimes: c.localTimes, dateOnly: c.dateOnly, integral: c.integral, read: c.rowsRead, converted: c.rowsConverted }).toEqual({
      localTimes: 2,
      dateOnly: false,
      integral: [false, true, false],
      read: 4,
      converted: 4,
    });
    // an auto column turns non-integral on the first fraction
    c.convert(textBatch([['2024-01-03T00:00:00Z', '1', '2.5', 'X']]));
    expect(c.integral).toEqual([false, false, false]);
  });

  it('leaves bad rows out and says why, by line', () => {
    const c = converter(BARS, NAMES);
    const out = c.convert(
      textBatch(
        [
          ['2024-01-02T14:30:00Z', '1', '1', 'A'],
          ['2024-01-02T14:31:00Z', '1', '1'],
          ['2024-01-02T14:32:00Z', '5O00', '1', 'A'],
          ['2024-01-02T14:32:30Z', 'n/a', '1', 'A'],
          ['yesterday', '1', '1', 'A'],
          ['', '1', '1', 'A'],
          ['2300-01-01T00:00:00Z', '1', '1', 'A'],
          ['2024-01-02T14:33:00Z', '2', '2', 'B'],
        ],
        4,
      ),
    );
    expect(rowsOf(out).map((r) => [r.at, ...r.values])).toEqual([
      ['2024-01-02T14:30:00.000000000Z', 1, 1, 'A'],
      // "n/a" is a missing value, not a bad one
      ['2024-01-02T14:32:30.000000000Z', null, 1, 'A'],
      ['2024-01-02T14:33:00.000000000Z', 2, 2, 'B'],
    ]);
    expect({ count: c.badRowCount, rows: c.badRows }).toEqual({
      count: 5,
      rows: [
        { line: 3, reason: 'expected 4 fields, found 3' },
        { line: 4, reason: 'unparseable number "5O00" in column "close"' },
        { line: 6, reason: 'unparseable timestamp "yesterday" in column "time"' },
        { line: 7, reason: 'missing timestamp in column "time"' },
        { line: 8, reason: 'timestamp outside the range of int64 nanoseconds (1677-09-21 to 2262-04-11)' },
      ],
    });
  });

  it('applies the DST policies to local times that do not exist or happen twice', () => {
    const plan: ColumnPlan = { timestamp: { kind: 'text', source: 0 }, values: [], mapping: { timestamp: 'time' } };
    const gap = textBatch([['2024-03-10 02:30:00']]);
    const rejected = converter(plan, ['time']);
    expect(rejected.convert(gap).rows).toBe(0);
    expect({ gaps: rejected.dstGaps, rows: rejected.badRows }).toEqual({ gaps: 1, rows: [{ line: 2, reason: 'local time 2024-03-10 02:30:00 does not exist in America/Chicago (clocks jumped forward)' }] });
    // shifted forward by the hour the clocks skipped: 03:30 CDT
    expect(rowsOf(converter(plan, ['time'], { gap: 'shift' }).convert(gap)).map((r) => r.at)).toEqual(['2024-03-10T08:30:00.000000000Z']);

    const repeated = textBatch([['2024-11-03 00:59:00'], ['2024-11-03 01:30:00'], ['2024-11-03 01:59:00'], ['2024-11-03 01:10:00'], ['2024-11-03 02:00:00']]);
    const at = (repeat: DstRepeatPolicy) => rowsOf(converter(plan, ['time'], { repeat }).convert(repeated)).map((r) => r.at.slice(11, 16));
    // 01:00-01:59 happens in CDT (UTC-5), then again in CST (UTC-6)
    expect(at('earlier')).toEqual(['05:59', '06:30', '06:59', '06:10', '08:00']);
    expect(at('later')).toEqual(['05:59', '07:30', '07:59', '07:10', '08:00']);
    // infer: a time that would step back is the second pass
    expect(at('infer')).toEqual(['05:59', '06:30', '06:59', '07:10', '08:00']);
    const reject = converter(plan, ['time']);
    expect(reject.convert(repeated).rows).toBe(2);
    expect({ repeats: reject.dstRepeats, first: reject.badRows[0] }).toEqual({ repeats: 3, first: { line: 3, reason: 'local time 2024-11-03 01:30:00 happened twice in America/Chicago (clocks went back)' } });
  });

  it('reads typed columns: epoch integers in their unit, Arrow timestamps, and dates alone as daily bars', () => {
    const epoch = converter({ timestamp: { kind: 'epoch', source: 0, unit: 'ms', unitDetected: false }, values: [{ name: 'close', source: 1, kind: 'float' }], mapping: {} }, ['t', 'close']);
    const fromEpoch = epoch.convert({
      rows: 2,
      lines: Float64Array.from([1, 2]),
      columns: [
        { kind: 'bigint', values: BigInt64Array.from([1_704_205_800_123n, -1n]), valid: null },
        { kind: 'float', values: Float64Array.from([1.5, 2.5]), valid: Uint8Array.from([1, 0]) },
      ],
    });
    expect(rowsOf(fromEpoch)).toEqual([
      { at: '2024-01-02T14:30:00.123000000Z', day: '2024-01-02', values: [1.5] },
      { at: '1969-12-31T23:59:59.999000000Z', day: '1970-01-01', values: [null] },
    ]);

    const typed = converter({ timestamp: { kind: 'typed', source: 0 }, values: [], mapping: {} }, ['t']);
    const local = typed.convert({ rows: 1, lines: Float64Array.from([1]), columns: [{ kind: 'timestamp', values: BigInt64Array.from([1_704_187_800_000_000_001n]), unit: 3, utc: false, valid: null }] });
    // a zone-less timestamp is a local time: 2024-01-02 09:30:00 Chicago
    expect(rowsOf(local).map((r) => r.at)).toEqual(['2024-01-02T15:30:00.000000001Z']);

    const daily = converter({ timestamp: { kind: 'typed', source: 0 }, values: [], mapping: {} }, ['date']);
    const bars = daily.convert({ rows: 2, lines: Float64Array.from([1, 2]), columns: [{ kind: 'date', days: Int32Array.from([19_724, 19_725]), valid: Uint8Array.from([1, 0]) }] });
    expect({ rows: rowsOf(bars), dateOnly: daily.dateOnly, bad: daily.badRows }).toEqual({
      rows: [{ at: '2024-01-02T00:00:00.000000000Z', day: '2024-01-02', values: [] }],
      dateOnly: true,
      bad: [{ line: 2, reason: 'missing timestamp in column "date"' }],
    });
  });
});
