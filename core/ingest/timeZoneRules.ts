import { BadRequestError } from '../errors.js';
import { daysFromCivil } from '../time/civilDays.js';

/**
 * An IANA time zone's UTC offsets, learned from the platform's Intl (ICU) tables: never a
 * fixed offset, so every DST rule and historical change the tables know applies. Offsets
 * are computed once per UTC day (with the exact second of a transition found by bisection)
 * and cached, so converting millions of rows costs a few Intl calls per distinct day.
 *
 * All times are whole seconds: `utc` counts seconds since 1970-01-01T00:00:00Z and `local`
 * counts wall-clock seconds since 1970-01-01T00:00:00 in the zone, as if it were UTC.
 */

export const LOCAL_UNIQUE = 0;
/** The local time does not exist (clocks jumped over it). */
export const LOCAL_GAP = 1;
/** The local time happened twice (clocks went back over it). */
export const LOCAL_REPEAT = 2;

const DAY = 86_400;

/** Offsets in force over one UTC day: `before` until `transition` (a UTC second), `after` from it. */
interface DayRule {
  before: number;
  after: number;
  transition: number;
}

export class TimeZoneRules {
  /** The canonical zone name (as Intl resolves it). */
  readonly zone: string;
  /** Result of `resolveLocal`: the UTC second chosen (for a repeat: the earlier one; for a gap: shifted forward). */
  utc = 0;
  /** LOCAL_UNIQUE, LOCAL_GAP or LOCAL_REPEAT for the last `resolveLocal`. */
  kind = LOCAL_UNIQUE;
  /** For a repeat: the later of the two instants (`utc` holds the earlier). */
  later = 0;

  private readonly format: Intl.DateTimeFormat;
  private readonly utcRules = new Map<number, DayRule>();
  private readonly localOffsets = new Map<number, number>();
  private lastUtcDay = NaN;
  private lastUtcRule: DayRule = { before: 0, after: 0, transition: 0 };
  private lastLocalDay = NaN;
  private lastLocalOffset = NaN;

  /** Throws BAD_REQUEST for a name that is not an IANA zone the platform knows. */
  constructor(zone: string) {
    try {
      this.format = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        era: 'short',
      });
    } catch {
      throw new BadRequestError(`unknown time zone "${zone}"; use an IANA name such as America/Chicago, Europe/London or UTC`, { timezone: zone });
    }
    this.zone = this.format.resolvedOptions().timeZone;
  }

  /** Seconds east of UTC in force at the UTC second `utc`. */
  offsetAt(utc: number): number {
    const day = Math.floor(utc / DAY);
    let rule = this.lastUtcRule;
    if (day !== this.lastUtcDay) {
      rule = this.ruleForUtcDay(day);
      this.lastUtcDay = day;
      this.lastUtcRule = rule;
    }
    return utc < rule.transition ? rule.before : rule.after;
  }

  /**
   * The UTC second(s) of a local wall-clock second: sets `kind`, `utc` and (for a repeat)
   * `later`. A gap yields the local time read with the offset in force before the jump,
   * which lands as far after the jump as the time was after its start (02:30 on a
   * spring-forward night in Chicago becomes 03:30 CDT).
   */
  resolveLocal(local: number): void {
    const localDay = Math.floor(local / DAY);
    if (localDay !== this.lastLocalDay) {
      this.lastLocalDay = localDay;
      this.lastLocalOffset = this.constantOffsetOfLocalDay(localDay);
    }
    const constant = this.lastLocalOffset;
    if (constant === constant) {
      this.kind = LOCAL_UNIQUE;
      this.utc = local - constant;
      return;
    }
    const early = this.offsetAt(local - DAY);
    const late = this.offsetAt(local + DAY);
    const first = local - early;
    const second = local - late;
    const firstValid = this.offsetAt(first) === early;
    const secondValid = this.offsetAt(second) === late;
    if (firstValid && secondValid && first !== second) {
      this.kind = LOCAL_REPEAT;
      this.utc = Math.min(first, second);
      this.later = Math.max(first, second);
    } else if (firstValid || secondValid) {
      this.kind = LOCAL_UNIQUE;
      this.utc = firstValid ? first : second;
    } else {
      this.kind = LOCAL_GAP;
      this.utc = first;
    }
  }

  /** The one offset of every instant whose local time falls on `localDay`, or NaN near a transition. */
  private constantOffsetOfLocalDay(localDay: number): number {
    const cached = this.localOffsets.get(localDay);
    if (cached !== undefined) return cached;
    let offset = NaN;
    const first = this.ruleForUtcDay(localDay - 1);
    if (first.before === first.after) {
      offset = first.before;
      for (let d = localDay; d <= localDay + 1; d++) {
        const rule = this.ruleForUtcDay(d);
        if (rule.before !== offset || rule.after !== offset) {
          offset = NaN;
          break;
        }
      }
    }
    if (this.localOffsets.size > 100_000) this.localOffsets.clear();
    this.localOffsets.set(localDay, offset);
    return offset;
  }

  private ruleForUtcDay(day: number): DayRule {
    const cached = this.utcRules.get(day);
    if (cached) return cached;
    const start = day * DAY;
    const before = this.intlOffset(start);
    const after = this.intlOffset(start + DAY);
    let transition = start + DAY;
    if (before !== after) {
      // the first second at which the offset is `after`
      let lo = start;
      let hi = start + DAY;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (this.intlOffset(mid) === before) lo = mid;
        else hi = mid;
      }
      transition = hi;
    }
    const rule = { before, after, transition };
    if (this.utcRules.size > 100_000) this.utcRules.clear();
    this.utcRules.set(day, rule);
    return rule;
  }

  /** The offset at a UTC second, asked of Intl (slow: used to fill the caches only). */
  private intlOffset(utc: number): number {
    let year = 0;
    let month = 0;
    let day = 0;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let bc = false;
    for (const part of this.format.formatToParts(new Date(utc * 1000))) {
      switch (part.type) {
        case 'year':
          year = Number(part.value);
          break;
        case 'month':
          month = Number(part.value);
          break;
        case 'day':
          day = Number(part.value);
          break;
        case 'hour':
          hour = Number(part.value);
          break;
        case 'minute':
          minute = Number(part.value);
          break;
        case 'second':
          second = Number(part.value);
          break;
        case 'era':
          bc = part.value.startsWith('B');
          break;
        default:
          break;
      }
    }
    if (bc) year = 1 - year;
    const local = daysFromCivil(year, month, day) * DAY + hour * 3600 + minute * 60 + second;
    return local - utc;
  }
}
