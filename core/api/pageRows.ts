import { Type, type Data, type Table, type Vector } from 'apache-arrow';
import { daysToDate, epochToIso, vectorValueToJson, type JsonValue } from '../arrow/arrowJson.js';

/**
 * The rows of a page as JSON values, column by column: the values `vectorValueToJson` gives,
 * with the two column types of every bar table done in a loop of their own. Timestamps and
 * dates were most of the host's work per page once the decoder had read it (a page of 100
 * one-minute bars: 0.4–1.8 ms for its timestamp column and 0.2–0.6 ms for its date column,
 * against about 0.1 ms for its five number columns together, on a loaded machine of two
 * cores). Here a timestamp's seconds and fraction come from plain numbers while the value is
 * below 2^53 (BigInt division otherwise, as `epochToIso` does) and the date part is formatted
 * once per day met, and a date column, which in a page is one trading date or a few, once
 * per distinct day. Every other type
 * goes through `vectorValueToJson` value by value.
 */

const UNIT_PER_SECOND = [1, 1_000, 1_000_000, 1_000_000_000];
const UNIT_DIGITS = [0, 3, 6, 9];
/** Seconds a JavaScript Date can represent (±100,000,000 days). */
const MAX_DATE_SECONDS = 8_640_000_000_000;

const TWO_DIGITS = Array.from({ length: 60 }, (_, k) => String(k).padStart(2, '0'));

/**
 * `epochToIso` for values of one unit that are safe integers as numbers; the date part is
 * formatted once per day met (a page of bars is one day or two).
 */
function safeEpochFormatter(unit: number): (value: number) => string {
  const perSecond = UNIT_PER_SECOND[unit];
  const digits = UNIT_DIGITS[unit];
  let lastDay = Number.NaN;
  let dayText = '';
  return (value) => {
    let seconds = Math.floor(value / perSecond);
    let fraction = value - seconds * perSecond;
    // the division rounds: the product and difference are exact, so correct by one either way
    if (fraction < 0) {
      seconds -= 1;
      fraction += perSecond;
    } else if (fraction >= perSecond) {
      seconds += 1;
      fraction -= perSecond;
    }
    if (seconds > MAX_DATE_SECONDS || seconds < -MAX_DATE_SECONDS) return String(value);
    const day = Math.floor(seconds / 86_400);
    if (day !== lastDay) {
      lastDay = day;
      // YYYY-MM-DDT, or the expanded year outside 0000–9999, as Date writes it
      dayText = new Date(day * 86_400_000).toISOString().slice(0, -13);
    }
    const inDay = seconds - day * 86_400;
    const hours = Math.floor(inDay / 3600);
    const minutes = Math.floor((inDay - hours * 3600) / 60);
    const time = `${dayText}${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[inDay - hours * 3600 - minutes * 60]}`;
    return digits === 0 ? `${time}Z` : `${time}.${String(fraction).padStart(digits, '0')}Z`;
  };
}

/** The values of one chunk into `out` from `at`; returns false for a type left to `vectorValueToJson`. */
function chunkToJson(data: Data, out: JsonValue[], at: number): boolean {
  const type = data.type as { typeId: Type; unit?: number };
  const valid = (i: number) => data.nullCount === 0 || data.getValid(i);
  if (type.typeId === Type.Timestamp && data.values instanceof BigInt64Array) {
    const unit = type.unit as number;
    const values = data.values;
    const format = safeEpochFormatter(unit);
    for (let i = 0; i < data.length; i++) {
      if (!valid(i)) {
        out[at + i] = null;
        continue;
      }
      const value = values[i];
      out[at + i] = value <= 9_007_199_254_740_991n && value >= -9_007_199_254_740_991n ? format(Number(value)) : epochToIso(value, unit);
    }
    return true;
  }
  if (type.typeId === Type.Date && type.unit === 0 && data.values instanceof Int32Array) {
    const values = data.values;
    let lastDay = Number.NaN;
    let lastText = '';
    for (let i = 0; i < data.length; i++) {
      if (!valid(i)) {
        out[at + i] = null;
        continue;
      }
      if (values[i] !== lastDay) {
        lastDay = values[i];
        lastText = daysToDate(lastDay);
      }
      out[at + i] = lastText;
    }
    return true;
  }
  return false;
}

/** One column's values, row by row. */
function columnToJson(vector: Vector, rows: number): JsonValue[] {
  const out = new Array<JsonValue>(rows);
  let at = 0;
  for (const chunk of vector.data as Data[]) {
    if (!chunkToJson(chunk, out, at)) for (let i = 0; i < chunk.length; i++) out[at + i] = vectorValueToJson(vector, at + i);
    at += chunk.length;
  }
  return out;
}

/** The table's rows, each an array of its columns' JSON values in the schema's order. */
export function tableRowsToJson(table: Table): JsonValue[][] {
  const rows = table.numRows;
  const columns = table.schema.fields.map((_, k) => {
    const vector = table.getChildAt(k);
    return vector ? columnToJson(vector, rows) : new Array<JsonValue>(rows).fill(null);
  });
  const out: JsonValue[][] = new Array<JsonValue[]>(rows);
  for (let i = 0; i < rows; i++) {
    const row = new Array<JsonValue>(columns.length);
    for (let k = 0; k < columns.length; k++) row[k] = columns[k][i];
    out[i] = row;
  }
  return out;
}
