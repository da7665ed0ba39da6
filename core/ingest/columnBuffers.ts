/**
 * Column buffers for Arrow, shared by the ingest code and its Parquet writer thread.
 */
const TWO32 = 4_294_967_296;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Whole numbers held as float64 (|v| < 2^53) as int64, word by word: exact, and no BigInt
 * per value.
 */
export function wholeNumbersToInt64(values: Float64Array): BigInt64Array {
  const out = new BigInt64Array(values.length);
  const words = new Uint32Array(out.buffer);
  const lo = LITTLE_ENDIAN ? 0 : 1;
  const hi = LITTLE_ENDIAN ? 1 : 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v >= 0) {
      const low = v % TWO32;
      words[2 * i + lo] = low;
      words[2 * i + hi] = (v - low) / TWO32;
    } else if (v === v) {
      out[i] = BigInt(Math.trunc(v));
    }
  }
  return out;
}

/**
 * Nanoseconds that are whole microseconds as microseconds (the first `rows` values), word
 * by word: exact, and no BigInt per value but for times before 1970. A BigInt division per
 * row cost an allocation each (4M bars: most of the parsing thread's garbage collection).
 */
export function nanosToMicros(nanos: BigInt64Array, rows = nanos.length): BigInt64Array {
  const out = new BigInt64Array(rows);
  const source = new Uint32Array(nanos.buffer, nanos.byteOffset, rows * 2);
  const words = new Uint32Array(out.buffer);
  const lo = LITTLE_ENDIAN ? 0 : 1;
  const hi = LITTLE_ENDIAN ? 1 : 0;
  for (let i = 0; i < rows; i++) {
    const high = source[2 * i + hi];
    if (high >= 0x8000_0000) {
      out[i] = nanos[i] / 1000n;
      continue;
    }
    // (high·2^32 + low) / 1000 = ⌊high/1000⌋·2^32 + (rest·2^32 + low)/1000, rest < 1000: below 2^42, exact
    const upper = Math.floor(high / 1000);
    const rest = (high - upper * 1000) * TWO32 + source[2 * i + lo];
    words[2 * i + hi] = upper;
    words[2 * i + lo] = Math.floor(rest / 1000);
  }
  return out;
}

/**
 * A validity bitmap from one byte per row (1 = value present); undefined when every row has
 * a value.
 */
export function bitmapOf(valid: Uint8Array | null, rows: number): { nullBitmap: Uint8Array | undefined; nullCount: number } {
  if (!valid) return { nullBitmap: undefined, nullCount: 0 };
  const bitmap = new Uint8Array((rows + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < rows; i++) {
    if (valid[i]) bitmap[i >> 3] |= 1 << (i & 7);
    else nulls++;
  }
  return nulls === 0 ? { nullBitmap: undefined, nullCount: 0 } : { nullBitmap: bitmap, nullCount: nulls };
}
