import type { ApiRequest } from '../../../core/api/contract.js';
import { isNumericType, isTimestampType } from './cellFormat.ts';

/**
 * The table's sort and filters, as the user set them, and the `rows.query` request they make.
 * No React: DataTable keeps a `TableQueryState` and asks this module what a click or an
 * input does.
 */

interface SortKey {
  column: string;
  descending: boolean;
}

/** What is typed in a column's filter cells: a range (numbers, times) or a text match. */
export interface FilterInput {
  min: string;
  max: string;
  text: string;
  /**
   * Times: the zone the bounds are typed in, `UTC` or an IANA zone (the instrument's exchange
   * time, `America/Chicago`); UTC when absent. A bound that names its own zone keeps it.
   */
  zone?: string;
}

export interface TableQueryState {
  sort: SortKey[];
  filters: Record<string, FilterInput>;
}

export const EMPTY_QUERY: TableQueryState = { sort: [], filters: {} };

type Filter = NonNullable<ApiRequest<'rows.query'>['filters']>[number];

/** A header click: ascending, then descending, then no sort on that column (one sort column at a time). */
export function nextSort(sort: SortKey[], column: string): SortKey[] {
  const current = sort.find((s) => s.column === column);
  if (!current) return [{ column, descending: false }];
  if (!current.descending) return [{ column, descending: true }];
  return [];
}

/** A time bound as typed: a date, a time of day down to the nanosecond, and a zone of its own or none. */
const TYPED_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?\s*(Z|UTC|[+-]\d{2}:?\d{2})?$/i;

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset from UTC at an instant, in ms (Chicago in January: -6 h). */
function zoneOffsetMs(utcMs: number, zone: string): number {
  let formatter = offsetFormatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', hourCycle: 'h23' });
    offsetFormatters.set(zone, formatter);
  }
  const parts: Record<string, number> = {};
  for (const part of formatter.formatToParts(utcMs)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return wall - Math.floor(utcMs / 1000) * 1000;
}

/**
 * The instants at which a zone's clocks show a wall time (given as if it were UTC, in ms):
 * one, two in the hour repeated when clocks go back, none in the hour skipped when they go
 * forward.
 */
function instantsOfWallTime(wallMs: number, zone: string): number[] {
  const offsets = new Set([zoneOffsetMs(wallMs - 86_400_000, zone), zoneOffsetMs(wallMs, zone), zoneOffsetMs(wallMs + 86_400_000, zone)]);
  const found = [...offsets].map((offset) => wallMs - offset).filter((utc) => zoneOffsetMs(utc, zone) === wallMs - utc);
  return [...new Set(found)].sort((a, b) => a - b);
}

/** A typed time bound resolved: the instant the host compares with, or why it is not one. */
export type TimeBound = { instant: string } | { error: string };

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * A typed time bound as an instant (ISO 8601 in UTC, `2024-01-02T00:00:00Z`, the typed
 * fraction kept to the nanosecond). The wall time is read in `zone` (`UTC` or an IANA zone)
 * unless it names its own (`Z`, `UTC`, `+01:00`). A date alone is its first instant as
 * `from` and its last as `to`, so that from and to the same date is that whole day. In the
 * hour clocks repeat, `from` takes its first pass and `to` its second; a time in the hour
 * they skip is an error, as is anything that is not a date or time. Null when empty.
 */
export function timeBound(text: string, side: 'from' | 'to', zone = 'UTC'): TimeBound | null {
  const value = text.trim();
  if (value === '') return null;
  const match = TYPED_TIME.exec(value);
  const refuse = { error: `“${value}” is not a date or time: write 2024-01-02, 2024-01-02 09:30 or 2024-01-02 09:30:15.250` };
  if (!match) return refuse;
  const [, y, mo, d, h, mi, sec, fraction, own] = match;
  const dateOnly = h === undefined;
  const [hour, minute, second] = dateOnly ? (side === 'from' ? [0, 0, 0] : [23, 59, 59]) : [Number(h), Number(mi), Number(sec ?? 0)];
  const digits = dateOnly ? (side === 'from' ? '' : '.999999999') : (fraction ?? '');
  const wallMs = Date.UTC(Number(y), Number(mo) - 1, Number(d), hour, minute, second);
  const wall = new Date(wallMs);
  if (wall.getUTCFullYear() !== Number(y) || wall.getUTCMonth() !== Number(mo) - 1 || wall.getUTCDate() !== Number(d) || hour > 23 || minute > 59 || second > 59) return refuse;
  let utcMs: number;
  if (own !== undefined && own.toUpperCase() !== 'Z' && own.toUpperCase() !== 'UTC') {
    const sign = own.startsWith('-') ? -1 : 1;
    const [oh, om] = [Number(own.slice(1, 3)), Number(own.slice(-2))];
    utcMs = wallMs - sign * (oh * 60 + om) * 60_000;
  } else if (own !== undefined || zone === 'UTC') {
    utcMs = wallMs;
  } else {
    const instants = instantsOfWallTime(wallMs, zone);
    if (instants.length === 0) return { error: `${value} does not exist in ${zone}: the clocks skip that hour` };
    utcMs = side === 'from' ? instants[0] : instants[instants.length - 1];
  }
  const at = new Date(utcMs);
  const iso = `${pad(at.getUTCFullYear(), 4)}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}T${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}`;
  return { instant: `${iso}${digits}Z` };
}

/** A time column's filter cell: the range applied as typed, with the zone it was typed in. */
export function timeRangeLabel(input: FilterInput | undefined): string {
  if (!input || (input.min.trim() === '' && input.max.trim() === '')) return 'any time: pick a range…';
  return `${input.min.trim() || '…'} → ${input.max.trim() || '…'} ${input.zone ?? 'UTC'}`;
}

/** The filters of the inputs that hold something, for the columns there are (types decide range or text). */
export function requestFilters(columns: readonly { name: string; type: string }[], filters: Record<string, FilterInput>): Filter[] {
  const out: Filter[] = [];
  for (const column of columns) {
    const input = filters[column.name];
    if (!input) continue;
    const ranged = isNumericType(column.type) || isTimestampType(column.type);
    if (ranged) {
      const bound = (text: string, side: 'from' | 'to') => {
        if (text.trim() === '') return undefined;
        if (!isTimestampType(column.type)) return text.trim();
        // a bound that is not a time goes as typed: the host refuses it with its words
        const resolved = timeBound(text, side, input.zone);
        return resolved && 'instant' in resolved ? resolved.instant : text.trim();
      };
      const min = bound(input.min, 'from');
      const max = bound(input.max, 'to');
      if (min !== undefined || max !== undefined) out.push({ column: column.name, kind: 'range', ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) });
    } else if (input.text.trim() !== '') {
      out.push({ column: column.name, kind: 'text', match: 'contains', value: input.text.trim() });
    }
  }
  return out;
}

/** True when the table shows the dataset as it is (then it pages with rows.page). */
export function isPlain(columns: readonly { name: string; type: string }[], state: TableQueryState): boolean {
  return state.sort.length === 0 && requestFilters(columns, state.filters).length === 0;
}
