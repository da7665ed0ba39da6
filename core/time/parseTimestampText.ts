import { zonedToUtcMs, type WallTimeKind } from './zonedTime.js';

/**
 * ISO 8601 text to nanoseconds since the epoch, exactly (digits, never floats):
 * `YYYY-MM-DD`, `YYYY-MM-DD[T ]HH:MM[:SS[.fraction up to 9 digits]]` and either `Z`,
 * `±HH:MM`/`±HHMM`, or nothing — then the wall time is read in `timeZone`.
 * Returns null for text that is not such a timestamp.
 */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}:?\d{2})?$/;

interface ParsedTimestamp {
  ns: bigint;
  kind: WallTimeKind | 'offset';
}

export function parseTimestampText(text: string, timeZone: string): ParsedTimestamp | null {
  const m = ISO.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCMonth() !== month - 1) return null;
  const subNs = BigInt(fraction.padEnd(9, '0') || '0');
  let utcMs: number;
  let kind: ParsedTimestamp['kind'];
  if (zone !== undefined) {
    let offsetMinutes = 0;
    if (zone !== 'Z' && zone !== 'z') {
      const sign = zone.startsWith('-') ? -1 : 1;
      const digits = zone.slice(1).replace(':', '');
      offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
    }
    utcMs = Date.UTC(year, month - 1, day, hour, minute, second) - offsetMinutes * 60_000;
    kind = 'offset';
  } else {
    const result = zonedToUtcMs(year, month, day, hour, minute, second, 0, timeZone);
    utcMs = result.utcMs;
    kind = result.kind;
  }
  return { ns: BigInt(utcMs) * 1_000_000n + subNs, kind };
}
