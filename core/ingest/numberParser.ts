/**
 * Decimal numbers read straight from UTF-8 bytes, in the dialect's notation (decimal point
 * or comma, an optional thousands separator in the integer part, checked in groups of
 * three; `_` between two digits is skipped, as Python and DuckDB do). Correctly rounded: the digits are gathered as an integer and scaled by one exact
 * power of ten (both below 2^53, so the single division or multiplication rounds once);
 * anything longer goes through `Number()` on the cleaned text.
 */

export const NUMBER_OK = 0;
export const NUMBER_NULL = 1;
export const NUMBER_INVALID = 2;

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
const MAX_MANTISSA = 2 ** 53;
const DIGIT_0 = 48;
const DIGIT_9 = 57;
const PLUS = 43;
const MINUS = 45;
const SPACE = 32;
const TAB = 9;
const UNDERSCORE = 95;

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= DIGIT_0 && c <= DIGIT_9;
}

const NULL_TOKENS = new Set(['', 'na', 'n/a', 'null', 'none', 'nil', '#n/a']);
/** The null tokens as files write them (lower, upper and title case): DuckDB's `nullstr` matches exactly, ours ignores case. */
export const NULL_TOKEN_SPELLINGS = [...new Set([...NULL_TOKENS].flatMap((t) => [t, t.toUpperCase(), t.charAt(0).toUpperCase() + t.slice(1)]))];
const SPECIAL: Record<string, number> = {
  nan: NaN,
  '+nan': NaN,
  '-nan': NaN,
  inf: Infinity,
  '+inf': Infinity,
  '-inf': -Infinity,
  infinity: Infinity,
  '+infinity': Infinity,
  '-infinity': -Infinity,
};

const decoder = new TextDecoder();

/** True for a text that means "no value" (empty, NA, N/A, null, None, …). */
export function isNullToken(text: string): boolean {
  return NULL_TOKENS.has(text.trim().toLowerCase());
}

export class NumberReader {
  /** NUMBER_OK, NUMBER_NULL or NUMBER_INVALID for the last `read`. */
  status = NUMBER_OK;
  /** The last value had no fractional part (or only zeros) and fits in ±2^53. */
  integral = true;
  private readonly decimal: number;
  private readonly thousands: number;

  constructor(decimal: '.' | ',' = '.', thousands: string | null = null) {
    this.decimal = decimal.charCodeAt(0);
    this.thousands = thousands === null ? -1 : thousands.charCodeAt(0);
  }

  /** The number in `buf[start, end)`; check `status` before using it. */
  read(buf: Uint8Array, start: number, end: number): number {
    while (start < end && (buf[start] === SPACE || buf[start] === TAB)) start++;
    while (end > start && (buf[end - 1] === SPACE || buf[end - 1] === TAB)) end--;
    if (start === end) {
      this.status = NUMBER_NULL;
      return NaN;
    }
    let i = start;
    let negative = false;
    const first = buf[i];
    if (first === MINUS || first === PLUS) {
      negative = first === MINUS;
      i++;
    }
    let mantissa = 0;
    let digits = 0;
    let fractionDigits = 0;
    let fractionNonZero = false;
    let inFraction = false;
    let groupDigits = 0;
    let grouped = false;
    let exact = true;
    const decimal = this.decimal;
    const thousands = this.thousands;
    for (; i < end; i++) {
      const c = buf[i];
      if (c >= DIGIT_0 && c <= DIGIT_9) {
        const d = c - DIGIT_0;
        if (mantissa < 900_719_925_474_099) mantissa = mantissa * 10 + d;
        else exact = false;
        digits++;
        if (inFraction) {
          fractionDigits++;
          if (d !== 0) fractionNonZero = true;
        } else groupDigits++;
      } else if (c === UNDERSCORE && i > start && isDigit(buf[i - 1]) && i + 1 < end && isDigit(buf[i + 1])) {
        // `1_000`: a digit separator between digits, as Python and DuckDB read numbers (DuckDB parses the bulk of the files)
        continue;
      } else if (c === decimal && !inFraction) {
        if (grouped && groupDigits !== 3) return this.invalid();
        inFraction = true;
      } else if (c === thousands && !inFraction) {
        if (groupDigits === 0 || (grouped && groupDigits !== 3) || (!grouped && groupDigits > 3)) return this.invalid();
        grouped = true;
        groupDigits = 0;
      } else break;
    }
    if (digits === 0) return this.special(buf, start, end);
    if (grouped && !inFraction && groupDigits !== 3) return this.invalid();
    let exponent = 0;
    if (i < end) {
      const c = buf[i];
      if (c !== 101 && c !== 69) return this.invalid();
      i++;
      let expNegative = false;
      if (buf[i] === MINUS || buf[i] === PLUS) {
        expNegative = buf[i] === MINUS;
        i++;
      }
      if (i >= end) return this.invalid();
      for (; i < end; i++) {
        const e = buf[i];
        if (e < DIGIT_0 || e > DIGIT_9) return this.invalid();
        if (exponent < 100_000) exponent = exponent * 10 + (e - DIGIT_0);
      }
      if (expNegative) exponent = -exponent;
    }
    this.status = NUMBER_OK;
    const scale = exponent - fractionDigits;
    let value: number;
    if (exact && mantissa <= MAX_MANTISSA && scale >= -22 && scale <= 22) {
      value = scale < 0 ? mantissa / POW10[-scale] : mantissa * POW10[scale];
    } else {
      value = this.slow(buf, start, end);
    }
    if (negative) value = -value;
    this.integral = (exponent === 0 ? !fractionNonZero : Number.isInteger(value)) && Math.abs(value) <= Number.MAX_SAFE_INTEGER;
    return value;
  }

  private invalid(): number {
    this.status = NUMBER_INVALID;
    return NaN;
  }

  /** Text with no digits: a null token, NaN or an infinity, else invalid. */
  private special(buf: Uint8Array, start: number, end: number): number {
    if (end - start > 12) return this.invalid();
    const text = decoder.decode(buf.subarray(start, end)).toLowerCase();
    if (NULL_TOKENS.has(text)) {
      this.status = NUMBER_NULL;
      return NaN;
    }
    if (text in SPECIAL) {
      this.status = NUMBER_OK;
      this.integral = false;
      return SPECIAL[text];
    }
    return this.invalid();
  }

  /** Long mantissas and large exponents: `Number()` of the text with the separators normalized. */
  private slow(buf: Uint8Array, start: number, end: number): number {
    let text = '';
    for (let i = start; i < end; i++) {
      const c = buf[i];
      if (c === this.thousands || c === UNDERSCORE) continue;
      text += c === this.decimal ? '.' : String.fromCharCode(c);
    }
    return Math.abs(Number(text));
  }
}
