import { daysFromCivil, isValidDate } from '../time/civilDays.js';
import type { EpochUnit } from './ingestTypes.js';

/**
 * Date-time text read straight from UTF-8 bytes into exact integers: days since
 * 1970-01-01, seconds of the day, nanoseconds, and the UTC offset when the text has one.
 * No `Date`, no floating point: fractions of up to nine digits are kept to the nanosecond.
 *
 * Accepted spellings (the date, then optionally a time after a space or `T`):
 * - `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYY.MM.DD` and `YYYYMMDD`;
 * - `MM/DD/YYYY` (month first, as US exports write it) and `DD.MM.YYYY` (day first, as
 *   European exports write it);
 * - times `HH:MM`, `HH:MM:SS`, `HH:MM:SS.fffffffff` (or a comma before the fraction),
 *   `HHMMSS`, optionally followed by `AM`/`PM`;
 * - then optionally `Z`, `UTC`, `GMT`, `±HH`, `±HHMM` or `±HH:MM`.
 * Epoch numbers (`1704153600`, `1704153600123`, `-86400.5`) are read by `EpochReader`.
 */

const D0 = 48;
const D9 = 57;
const SPACE = 32;
const TAB = 9;
const QUOTE = 34;
const COLON = 58;
const DOT = 46;
const COMMA = 44;
const DASH = 45;
const PLUS = 43;
const SLASH = 47;
const T_UPPER = 84;
const T_LOWER = 116;

const FRACTION_SCALE = [1e9, 1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 100, 10, 1];

function isDigit(c: number): boolean {
  return c >= D0 && c <= D9;
}

/** The value of the `count` digits at `at`, or -1 when one of them is not a digit. */
function digitsAt(buf: Uint8Array, at: number, count: number, end: number): number {
  if (at + count > end) return -1;
  let value = 0;
  for (let k = 0; k < count; k++) {
    const c = buf[at + k];
    if (c < D0 || c > D9) return -1;
    value = value * 10 + (c - D0);
  }
  return value;
}

/** Length of the run of digits starting at `at`. */
function runOfDigits(buf: Uint8Array, at: number, end: number): number {
  let k = at;
  while (k < end && isDigit(buf[k])) k++;
  return k - at;
}

export class DateTimeReader {
  /** Days since 1970-01-01 of the date as written. */
  days = 0;
  /** Seconds since midnight as written (0 for a date alone). */
  seconds = 0;
  nanos = 0;
  /** Seconds east of UTC when `hasOffset`. */
  offset = 0;
  hasOffset = false;
  /** The text was a date with no time. */
  dateOnly = false;

  /** Reads a date with an optional time and offset; false when the text is none of the accepted spellings. */
  parse(buf: Uint8Array, start: number, end: number): boolean {
    [start, end] = trim(buf, start, end);
    if (start >= end) return false;
    const at = this.readDate(buf, start, end);
    if (at < 0) return false;
    this.seconds = 0;
    this.nanos = 0;
    this.offset = 0;
    this.hasOffset = false;
    if (at === end) {
      this.dateOnly = true;
      return true;
    }
    this.dateOnly = false;
    let k = at;
    const sep = buf[k];
    if (sep === T_UPPER || sep === T_LOWER) k++;
    else if (sep === SPACE) {
      while (k < end && buf[k] === SPACE) k++;
    } else return false;
    const next = this.readTime(buf, k, end, true);
    if (next < 0) return false;
    return this.readZone(buf, next, end);
  }

  /** Reads a date alone (a split Date column); false otherwise. */
  parseDate(buf: Uint8Array, start: number, end: number): boolean {
    [start, end] = trim(buf, start, end);
    if (start >= end) return false;
    if (this.readDate(buf, start, end) !== end) return false;
    this.seconds = 0;
    this.nanos = 0;
    this.hasOffset = false;
    this.offset = 0;
    this.dateOnly = true;
    return true;
  }

  /** Reads a time of day alone (a split Time column): `HH:MM[:SS[.f]]`, `HHMMSS` or `HHMM`, optional AM/PM. */
  parseTime(buf: Uint8Array, start: number, end: number): boolean {
    [start, end] = trim(buf, start, end);
    if (start >= end) return false;
    const run = runOfDigits(buf, start, end);
    if (run === end - start && run >= 3 && run <= 6) {
      // digits only: HMM, HHMM, HMMSS or HHMMSS (spreadsheets drop the leading zero)
      const value = digitsAt(buf, start, run, end);
      const hms = run <= 4 ? value * 100 : value;
      const h = Math.floor(hms / 10_000);
      const m = Math.floor(hms / 100) % 100;
      const s = hms % 100;
      if (h > 23 || m > 59 || s > 59) return false;
      this.seconds = h * 3600 + m * 60 + s;
      this.nanos = 0;
      return true;
    }
    const next = this.readTime(buf, start, end, false);
    return next === end;
  }

  /** Returns the position after the date, or -1. Sets `days`. */
  private readDate(buf: Uint8Array, start: number, end: number): number {
    const run = runOfDigits(buf, start, end);
    let year: number;
    let month: number;
    let day: number;
    let at: number;
    if (run === 8) {
      year = digitsAt(buf, start, 4, end);
      month = digitsAt(buf, start + 4, 2, end);
      day = digitsAt(buf, start + 6, 2, end);
      at = start + 8;
    } else if (run === 4) {
      const sep = buf[start + 4];
      if (sep !== DASH && sep !== SLASH && sep !== DOT) return -1;
      year = digitsAt(buf, start, 4, end);
      let k = start + 5;
      const monthRun = runOfDigits(buf, k, end);
      if (monthRun < 1 || monthRun > 2 || buf[k + monthRun] !== sep) return -1;
      month = digitsAt(buf, k, monthRun, end);
      k += monthRun + 1;
      const dayRun = runOfDigits(buf, k, end);
      if (dayRun < 1 || dayRun > 2) return -1;
      day = digitsAt(buf, k, dayRun, end);
      at = k + dayRun;
    } else if (run === 1 || run === 2) {
      const sep = buf[start + run];
      if (sep !== SLASH && sep !== DOT) return -1;
      const firstPart = digitsAt(buf, start, run, end);
      let k = start + run + 1;
      const secondRun = runOfDigits(buf, k, end);
      if (secondRun < 1 || secondRun > 2 || buf[k + secondRun] !== sep) return -1;
      const secondPart = digitsAt(buf, k, secondRun, end);
      k += secondRun + 1;
      if (runOfDigits(buf, k, end) !== 4) return -1;
      year = digitsAt(buf, k, 4, end);
      // month first with slashes (US), day first with dots (European)
      month = sep === SLASH ? firstPart : secondPart;
      day = sep === SLASH ? secondPart : firstPart;
      at = k + 4;
    } else return -1;
    if (!isValidDate(year, month, day)) return -1;
    this.days = daysFromCivil(year, month, day);
    return at;
  }

  /** Reads `HH:MM[:SS[.f…]]` (or `HHMMSS` when `compact`) and an optional AM/PM; returns the position after it, or -1. */
  private readTime(buf: Uint8Array, start: number, end: number, compact: boolean): number {
    let k = start;
    const hourRun = runOfDigits(buf, k, end);
    let hour: number;
    let minute: number;
    let second = 0;
    if (compact && hourRun === 6) {
      hour = digitsAt(buf, k, 2, end);
      minute = digitsAt(buf, k + 2, 2, end);
      second = digitsAt(buf, k + 4, 2, end);
      k += 6;
    } else {
      if (hourRun < 1 || hourRun > 2 || buf[k + hourRun] !== COLON) return -1;
      hour = digitsAt(buf, k, hourRun, end);
      k += hourRun + 1;
      minute = digitsAt(buf, k, 2, end);
      if (minute < 0 || runOfDigits(buf, k, end) !== 2) return -1;
      k += 2;
      if (k < end && buf[k] === COLON) {
        second = digitsAt(buf, k + 1, 2, end);
        if (second < 0 || runOfDigits(buf, k + 1, end) !== 2) return -1;
        k += 3;
      }
    }
    let nanos = 0;
    if (k < end && (buf[k] === DOT || buf[k] === COMMA) && isDigit(buf[k + 1] ?? 0)) {
      const run = runOfDigits(buf, k + 1, end);
      if (run > 9) return -1;
      nanos = digitsAt(buf, k + 1, run, end) * FRACTION_SCALE[run];
      k += 1 + run;
    }
    // AM / PM, with or without a space before it
    let p = k;
    while (p < end && buf[p] === SPACE) p++;
    if (p + 1 < end && (buf[p + 1] === 77 || buf[p + 1] === 109)) {
      const c = buf[p] | 0x20;
      if ((c === 97 || c === 112) && (p + 2 === end || !isLetter(buf[p + 2]))) {
        if (hour < 1 || hour > 12) return -1;
        hour = (hour % 12) + (c === 112 ? 12 : 0);
        k = p + 2;
      }
    }
    if (hour > 23 || minute > 59 || second > 59) return -1;
    this.seconds = hour * 3600 + minute * 60 + second;
    this.nanos = nanos;
    return k;
  }

  /** Reads the optional zone suffix up to `end`; false when something else follows. */
  private readZone(buf: Uint8Array, start: number, end: number): boolean {
    let k = start;
    while (k < end && buf[k] === SPACE) k++;
    if (k === end) return true;
    const c = buf[k];
    if ((c === 90 || c === 122) && k + 1 === end) {
      this.hasOffset = true;
      this.offset = 0;
      return true;
    }
    if (end - k === 3) {
      const word = String.fromCharCode(buf[k] & ~0x20, buf[k + 1] & ~0x20, buf[k + 2] & ~0x20);
      if (word === 'UTC' || word === 'GMT') {
        this.hasOffset = true;
        this.offset = 0;
        return true;
      }
    }
    if (c !== PLUS && c !== DASH) return false;
    const sign = c === DASH ? -1 : 1;
    k++;
    const hours = digitsAt(buf, k, 2, end);
    if (hours < 0 || hours > 18) return false;
    k += 2;
    let minutes = 0;
    if (k < end) {
      if (buf[k] === COLON) k++;
      minutes = digitsAt(buf, k, 2, end);
      if (minutes < 0 || minutes > 59 || k + 2 !== end) return false;
    }
    this.hasOffset = true;
    this.offset = sign * (hours * 3600 + minutes * 60);
    return true;
  }
}

function isLetter(c: number): boolean {
  const lower = c | 0x20;
  return lower >= 97 && lower <= 122;
}

function trim(buf: Uint8Array, start: number, end: number): [number, number] {
  while (start < end && (buf[start] === SPACE || buf[start] === TAB || buf[start] === QUOTE)) start++;
  while (end > start && (buf[end - 1] === SPACE || buf[end - 1] === TAB || buf[end - 1] === QUOTE)) end--;
  return [start, end];
}

const UNIT_DIGITS: Record<EpochUnit, number> = { s: 0, ms: 3, us: 6, ns: 9 };

/**
 * Epoch numbers (`[-]digits[.digits]`) as exact seconds + nanoseconds in a given unit.
 * Integer parts of any length are split into a high part and the last nine digits, so a
 * 19-digit nanosecond count stays exact.
 */
export class EpochReader {
  seconds = 0;
  nanos = 0;
  /** Digits before the decimal point in the last text read (its magnitude). */
  integerDigits = 0;

  /** False when the text is not an epoch number or its value does not fit. */
  parse(buf: Uint8Array, start: number, end: number, unit: EpochUnit): boolean {
    [start, end] = trim(buf, start, end);
    let k = start;
    let negative = false;
    if (buf[k] === DASH || buf[k] === PLUS) {
      negative = buf[k] === DASH;
      k++;
    }
    while (k + 1 < end && buf[k] === D0 && isDigit(buf[k + 1])) k++;
    const run = runOfDigits(buf, k, end);
    if (run === 0) return false;
    this.integerDigits = run;
    if (run > 20) return false;
    const split = Math.max(k, k + run - 9);
    const high = split > k ? digitsAt(buf, k, split - k, end) : 0;
    const low = digitsAt(buf, split, k + run - split, end);
    k += run;
    let fraction = 0;
    let fractionDigits = 0;
    if (k < end && buf[k] === DOT) {
      fractionDigits = runOfDigits(buf, k + 1, end);
      if (fractionDigits === 0 || fractionDigits > 9) return false;
      fraction = digitsAt(buf, k + 1, fractionDigits, end);
      k += 1 + fractionDigits;
    }
    if (k !== end) return false;
    // the value is (high·1e9 + low + fraction/10^fractionDigits) units of 10^-unitDigits s
    const unitDigits = UNIT_DIGITS[unit];
    if (fractionDigits > 9 - unitDigits) {
      // finer than a nanosecond: only zeros may follow
      const keep = 9 - unitDigits;
      const dropped = fractionDigits - keep;
      if (fraction % 10 ** dropped !== 0) return false;
      fraction = Math.floor(fraction / 10 ** dropped);
      fractionDigits = keep;
    }
    const fractionNanos = fractionDigits === 0 ? 0 : fraction * 10 ** (9 - unitDigits - fractionDigits);
    const perSecond = 10 ** unitDigits;
    let seconds: number;
    let nanos: number;
    if (unitDigits === 9) {
      seconds = high;
      nanos = low;
    } else {
      // high·1e9 units = high·10^(9-unitDigits) seconds exactly
      const lowSeconds = Math.floor(low / perSecond);
      seconds = high * 10 ** (9 - unitDigits) + lowSeconds;
      nanos = (low - lowSeconds * perSecond) * 10 ** (9 - unitDigits);
    }
    nanos += fractionNanos;
    if (!Number.isSafeInteger(seconds)) return false;
    if (negative && (seconds !== 0 || nanos !== 0)) {
      seconds = -seconds;
      if (nanos > 0) {
        seconds -= 1;
        nanos = 1e9 - nanos;
      }
    }
    this.seconds = seconds;
    this.nanos = nanos;
    return true;
  }
}

/**
 * The epoch unit that makes a value of this many integer digits a plausible date (after
 * 1973 and before 5138): up to 11 digits seconds, 12–14 milliseconds, 15–17 microseconds,
 * more nanoseconds.
 */
export function epochUnitForDigits(integerDigits: number): EpochUnit {
  if (integerDigits <= 11) return 's';
  if (integerDigits <= 14) return 'ms';
  if (integerDigits <= 17) return 'us';
  return 'ns';
}
