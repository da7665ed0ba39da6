/**
 * Exact int64 nanoseconds from (seconds, nanoseconds) held as JavaScript numbers, written
 * straight into a BigInt64Array's words: no floating-point rounding and no BigInt per row
 * (which would cost an allocation for each of millions of timestamps).
 */

const TWO16 = 65_536;
const TWO32 = 4_294_967_296;
const NS = 1_000_000_000;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const LO = LITTLE_ENDIAN ? 0 : 1;
const HI = LITTLE_ENDIAN ? 1 : 0;

/** Largest and smallest whole seconds whose nanoseconds fit in int64 (years 1677–2262). */
export const MAX_EPOCH_SECONDS = 9_223_372_035;
export const MIN_EPOCH_SECONDS = -9_223_372_036;

/**
 * Stores `seconds * 1e9 + nanos` at position `index` of the BigInt64Array whose buffer
 * `words` views. `seconds` is a whole number in [MIN_EPOCH_SECONDS, MAX_EPOCH_SECONDS],
 * `nanos` a whole number in [0, 1e9).
 */
export function writeEpochNanos(words: Uint32Array, index: number, seconds: number, nanos: number): void {
  if (seconds < 0) {
    const view = new BigInt64Array(words.buffer, words.byteOffset, words.length >> 1);
    view[index] = BigInt(seconds) * 1_000_000_000n + BigInt(nanos);
    return;
  }
  // v = b·1e9·2^16 + a·1e9 + n with a, b the low and high parts of seconds: every partial
  // product stays below 2^53, so each step is exact.
  const a = seconds % TWO16;
  const b = (seconds - a) / TWO16;
  const x = a * NS + nanos;
  const y = b * NS;
  const yl = y % TWO16;
  const yh = (y - yl) / TWO16;
  const low = x + yl * TWO16;
  const lo = low % TWO32;
  const hi = yh + (low - lo) / TWO32;
  words[2 * index + LO] = lo;
  words[2 * index + HI] = hi;
}

/** Nanoseconds as a BigInt (for the few places that need one value, not a column). */
export function epochNanosBigInt(seconds: number, nanos: number): bigint {
  return BigInt(seconds) * 1_000_000_000n + BigInt(nanos);
}
