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
