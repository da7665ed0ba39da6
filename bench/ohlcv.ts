import {
  Float64,
  Int64,
  TimestampNanosecond,
  makeData,
  makeVector,
  Table,
} from 'apache-arrow';
import { mulberry32 } from './benchUtil.js';

const TICK = 0.25;
const NS_PER_MINUTE = 60_000_000_000n;
/** 2015-01-01T00:00:00Z in nanoseconds. */
const START_NS = 1_420_070_400_000_000_000n;

/**
 * `rows` one-minute OHLCV bars: timestamp (ns, UTC), open/high/low/close (float64, a random
 * walk in 0.25 ticks pulled back towards 5000) and volume (int64).
 */
export function generateOhlcv(rows: number, seed = 42): Table {
  const random = mulberry32(seed);
  const timestamp = new BigInt64Array(rows);
  const open = new Float64Array(rows);
  const high = new Float64Array(rows);
  const low = new Float64Array(rows);
  const close = new Float64Array(rows);
  const volume = new BigInt64Array(rows);
  let ticks = 5000 / TICK;
  let ts = START_NS;
  for (let i = 0; i < rows; i++) {
    const o = ticks;
    // a step of -4..+4 ticks with a weak pull back to 5000 keeps the walk in a plausible band
    const pull = (5000 / TICK - ticks) * 0.001;
    const c = o + Math.round((random() - 0.5) * 8 + pull);
    const h = Math.max(o, c) + Math.floor(random() * 3);
    const l = Math.min(o, c) - Math.floor(random() * 3);
    timestamp[i] = ts;
    open[i] = o * TICK;
    high[i] = h * TICK;
    low[i] = l * TICK;
    close[i] = c * TICK;
    volume[i] = BigInt(1 + Math.floor(random() * random() * 5000));
    ticks = c;
    ts += NS_PER_MINUTE;
  }
  const f64 = (data: Float64Array) => makeVector(makeData({ type: new Float64(), length: rows, nullCount: 0, data }));
  return new Table({
    timestamp: makeVector(makeData({ type: new TimestampNanosecond('UTC'), length: rows, nullCount: 0, data: timestamp })),
    open: f64(open),
    high: f64(high),
    low: f64(low),
    close: f64(close),
    volume: makeVector(makeData({ type: new Int64(), length: rows, nullCount: 0, data: volume })),
  });
}
