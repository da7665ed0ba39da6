import { Float64, Int64, makeData, makeVector, Table, TimestampNanosecond, vectorFromArray, Utf8 } from 'apache-arrow';

/** One bar: ISO time (UTC unless it carries an offset), open, high, low, close, volume. */
export type Bar = [time: string, open: number, high: number, low: number, close: number, volume: number];

function ns(time: string): bigint {
  const match = /\.(\d+)Z$/.exec(time);
  const wholeMs = Date.parse(time);
  if (Number.isNaN(wholeMs)) throw new Error(`bad time ${time}`);
  const sub = match ? BigInt(match[1].padEnd(9, '0').slice(3)) : 0n;
  return BigInt(Math.floor(wholeMs)) * 1_000_000n + sub;
}

/** A table in the ohlcv schema's shape from literal bars (and an optional asset per bar). */
export function barsTable(bars: Bar[], assets?: string[]): Table {
  const n = bars.length;
  const column = (k: number) => Float64Array.from(bars, (b) => b[k] as number);
  const columns: Record<string, ReturnType<typeof makeVector>> = {
    timestamp: makeVector(makeData({ type: new TimestampNanosecond('UTC'), length: n, data: BigInt64Array.from(bars, (b) => ns(b[0])) })),
    open: makeVector(makeData({ type: new Float64(), length: n, data: column(1) })),
    high: makeVector(makeData({ type: new Float64(), length: n, data: column(2) })),
    low: makeVector(makeData({ type: new Float64(), length: n, data: column(3) })),
    close: makeVector(makeData({ type: new Float64(), length: n, data: column(4) })),
    volume: makeVector(makeData({ type: new Int64(), length: n, data: BigInt64Array.from(bars, (b) => BigInt(b[5])) })),
  };
  if (assets) columns.asset = vectorFromArray(assets, new Utf8());
  return new Table(columns);
}

/** Consistent bars at `stepSeconds` from `start` with the given closes (open = previous close). */
export function barsFromCloses(start: string, stepSeconds: number, closes: number[]): Bar[] {
  const t0 = Date.parse(start);
  return closes.map((close, i) => {
    const open = i === 0 ? close : closes[i - 1];
    return [new Date(t0 + i * stepSeconds * 1000).toISOString(), open, Math.max(open, close) + 0.25, Math.min(open, close) - 0.25, close, 10 + i];
  });
}

/** Bars at the given times (ISO, UTC), all consistent and flat at 5000. */
export function barsAt(times: string[]): Bar[] {
  return times.map((t, i) => [t, 5000, 5000.5, 4999.5, 5000, 1 + i]);
}
