import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Float64, Int64, makeData, makeVector, Table, TimestampNanosecond, type Vector } from 'apache-arrow';

/** 2024-01-02T00:00:00Z in nanoseconds. */
export const START_NS = 1_704_153_600_000_000_000n;
export const MINUTE_NS = 60_000_000_000n;

/**
 * A deterministic 1-minute OHLCV table: row i has timestamp START + i minutes,
 * open 5000 + i*0.25, high open+1, low open-1, close open+0.5, volume 100 + i.
 */
export function ohlcvTable(rows: number): Table {
  const timestamp = new BigInt64Array(rows);
  const open = new Float64Array(rows);
  const high = new Float64Array(rows);
  const low = new Float64Array(rows);
  const close = new Float64Array(rows);
  const volume = new BigInt64Array(rows);
  for (let i = 0; i < rows; i++) {
    timestamp[i] = START_NS + BigInt(i) * MINUTE_NS;
    open[i] = 5000 + i * 0.25;
    high[i] = open[i] + 1;
    low[i] = open[i] - 1;
    close[i] = open[i] + 0.5;
    volume[i] = BigInt(100 + i);
  }
  const vector = <T extends Float64 | Int64 | TimestampNanosecond>(type: T, data: T['TArray']): Vector<T> =>
    makeVector(makeData({ type, length: rows, data } as never)) as unknown as Vector<T>;
  return new Table({
    timestamp: vector(new TimestampNanosecond('UTC'), timestamp),
    open: vector(new Float64(), open),
    high: vector(new Float64(), high),
    low: vector(new Float64(), low),
    close: vector(new Float64(), close),
    volume: vector(new Int64(), volume),
  });
}

/** A fresh temporary folder, removed by the returned function. */
export function tempDir(prefix = 'mes-data-test-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
