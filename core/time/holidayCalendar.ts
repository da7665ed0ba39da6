import { cmeHolidayEntries, entryKind, type CmeProductGroup, type SessionCalendarEntry } from './cmeCalendar.js';
import { nyseHolidayEntries } from './nyseCalendar.js';

/**
 * Holiday calendars by name: the CME Globex schedule of each product group, the NYSE's, or
 * none. Years are computed by rule when first asked for (any year works; the one-off
 * events are encoded for 2001–2030), and entries given by the user replace the built-in
 * entry of the same date.
 */

export const CALENDAR_IDS = ['cme_equity', 'cme_rates', 'cme_energy', 'cme_metals', 'cme_fx', 'nyse', 'none'] as const;
type CalendarId = (typeof CALENDAR_IDS)[number];

export interface HolidayCalendar {
  readonly id: CalendarId;
  /** The entry of a trading date (`YYYY-MM-DD`), or undefined on an ordinary day. */
  entry(date: string): SessionCalendarEntry | undefined;
  /** Every entry of the years from `fromYear` to `toYear` (inclusive), in date order. */
  entries(fromYear: number, toYear: number): SessionCalendarEntry[];
}

function builtInEntries(id: CalendarId, year: number): SessionCalendarEntry[] {
  if (id === 'nyse') return nyseHolidayEntries(year);
  if (id === 'none') return [];
  return cmeHolidayEntries(id.slice(4) as CmeProductGroup, year);
}

class RuleCalendar implements HolidayCalendar {
  private readonly years = new Map<number, Map<string, SessionCalendarEntry>>();
  private readonly extra: Map<string, SessionCalendarEntry>;

  constructor(
    readonly id: CalendarId,
    extra: readonly SessionCalendarEntry[],
  ) {
    this.extra = new Map(extra.map((e) => [e.date, e]));
  }

  private year(year: number): Map<string, SessionCalendarEntry> {
    let map = this.years.get(year);
    if (!map) {
      map = new Map(builtInEntries(this.id, year).map((e) => [e.date, e]));
      const prefix = `${String(year).padStart(4, '0')}-`;
      for (const [date, e] of this.extra) if (date.startsWith(prefix)) map.set(date, e);
      this.years.set(year, map);
    }
    return map;
  }

  entry(date: string): SessionCalendarEntry | undefined {
    return this.year(Number(date.slice(0, 4))).get(date);
  }

  entries(fromYear: number, toYear: number): SessionCalendarEntry[] {
    const out: SessionCalendarEntry[] = [];
    for (let y = fromYear; y <= toYear; y++) out.push(...this.year(y).values());
    return out.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  }
}

const shared = new Map<CalendarId, HolidayCalendar>();

/**
 * The calendar of that name; with `extra` entries (holidays `{date}`, early closes
 * `{date, close}` in the exchange's zone) layered over the built-in ones. Calendars without
 * extras are shared (their years are computed once per process).
 */
export function holidayCalendar(id: CalendarId, extra: readonly SessionCalendarEntry[] = []): HolidayCalendar {
  if (extra.length > 0) return new RuleCalendar(id, extra);
  let calendar = shared.get(id);
  if (!calendar) {
    calendar = new RuleCalendar(id, []);
    shared.set(id, calendar);
  }
  return calendar;
}

/**
 * Whether `date` (`YYYY-MM-DD`) is a holiday in `calendar`: closed, or a holiday that trades
 * only a short session without a settlement (CME's 12:00 CT halts). An early close on a
 * normal trading date (Black Friday) is not a holiday. Weekends are not entries: ask the
 * session template whether a weekday trades.
 */
export function isHoliday(calendar: HolidayCalendar, date: string): boolean {
  const entry = calendar.entry(date);
  return entry !== undefined && entryKind(entry) !== 'early_close';
}
