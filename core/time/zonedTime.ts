/**
 * Wall-clock time in an IANA zone ↔ UTC, by the zone's own rules (Intl), never by fixed
 * offsets, so daylight-saving changes land where the zone says. Milliseconds since the epoch.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws RangeError for a zone Intl does not know. */
export function checkTimeZone(timeZone: string): void {
  formatter(timeZone);
}

interface ZonedParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 Sunday … 6 Saturday */
  weekday: number;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** The wall-clock reading in `timeZone` of the instant `utcMs` (whole seconds). */
export function zonedParts(utcMs: number, timeZone: string): ZonedParts {
  const parts: Record<string, string> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(utcMs))) parts[part.type] = part.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: WEEKDAYS[parts.weekday] ?? 0,
  };
}

/** Zone offsets never change inside a quarter hour of UTC: cache them per quarter hour. */
const QUARTER_HOUR_MS = 900_000;
const offsetCache = new Map<string, Map<number, number>>();
const OFFSET_CACHE_LIMIT = 200_000;

/** Offset of `timeZone` from UTC at the instant `utcMs`, in milliseconds (CST: −6 h). */
export function zoneOffsetMs(utcMs: number, timeZone: string): number {
  let cache = offsetCache.get(timeZone);
  if (!cache) {
    cache = new Map();
    offsetCache.set(timeZone, cache);
  }
  const bucket = Math.floor(utcMs / QUARTER_HOUR_MS);
  const hit = cache.get(bucket);
  if (hit !== undefined) return hit;
  const at = bucket * QUARTER_HOUR_MS;
  const p = zonedParts(at, timeZone);
  const offset = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - at;
  if (cache.size >= OFFSET_CACHE_LIMIT) cache.clear();
  cache.set(bucket, offset);
  return offset;
}

export type WallTimeKind = 'exact' | 'gap' | 'repeat';

/**
 * The instant a wall-clock time in `timeZone` names. Times in a spring-forward gap do not
 * exist: they are moved forward by the gap (02:30 → 03:30 in Chicago), as most tools do.
 * Times in a fall-back repeat happen twice: the first (daylight-time) one is taken.
 * `kind` says which case applied.
 */
export function zonedToUtcMs(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  millisecond: number,
  timeZone: string,
): { utcMs: number; kind: WallTimeKind } {
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, millisecond);
  // the two offsets that can apply around this wall time: 12 hours either side
  const before = zoneOffsetMs(wall - 43_200_000, timeZone);
  const after = zoneOffsetMs(wall + 43_200_000, timeZone);
  const candidates = [wall - before, wall - after].filter((utc, i, all) => all.indexOf(utc) === i);
  const valid = candidates.filter((utc) => zoneOffsetMs(utc, timeZone) === wall - utc);
  if (valid.length === 1) return { utcMs: valid[0], kind: 'exact' };
  if (valid.length > 1) return { utcMs: Math.min(...valid), kind: 'repeat' };
  // in a gap: the wall time read with the offset from before the change lands after it
  return { utcMs: wall - before, kind: 'gap' };
}
