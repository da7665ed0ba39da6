import { formatNumber, type NumberStyle } from './numberFormat.ts';

/**
 * How the table writes values. Values arrive as the CLI prints them (numbers as numbers,
 * 64-bit integers beyond ±2^53 as strings, timestamps as ISO 8601 UTC with the digits of
 * their unit). Numbers are written in their column's style (numberFormat.ts: prices to the
 * tick, indicators to significant digits, separators), timestamps with the fraction digits
 * the value needs (none, ms, µs or ns); the exact value is what is copied. Zoned
 * timestamps can be shown in UTC or in exchange time: the zone of the dataset's instrument
 * (useInstrument.ts), EXCHANGE_ZONE until the registry answers.
 */

export type TimeMode = 'utc' | 'exchange';

export const EXCHANGE_ZONE = 'America/Chicago';

/** Arrow type names the host sends: `Timestamp<NANOSECOND, UTC>`, `Float64`, `Int64`, `Utf8`, `Date32<DAY>`… */
export function isTimestampType(type: string): boolean {
  return /^Timestamp/i.test(type);
}

/** A timestamp type that names a zone, i.e. an instant (naive wall-clock times are shown as they are). */
export function isZonedTimestampType(type: string): boolean {
  return /^Timestamp<[^,>]+,\s*[^>]+>/i.test(type);
}

export function isNumericType(type: string): boolean {
  return /^(u?int\d*|float\d*|decimal|double|halffloat)/i.test(type);
}

/** A short name for a column header: `Timestamp<NANOSECOND, UTC>` → `timestamp[ns, UTC]`. */
export function shortTypeName(type: string): string {
  const ts = /^Timestamp<(\w+)(?:,\s*([^>]+))?>$/i.exec(type);
  if (ts) {
    const unit = ({ SECOND: 's', MILLISECOND: 'ms', MICROSECOND: 'us', NANOSECOND: 'ns' } as Record<string, string>)[ts[1].toUpperCase()] ?? ts[1].toLowerCase();
    return ts[2] ? `timestamp[${unit}, ${ts[2]}]` : `timestamp[${unit}]`;
  }
  return type.replace(/<.*>$/, '').toLowerCase();
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function zoneFormatter(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

const ISO = /^(\d{4,}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?Z$/;

/**
 * The fraction of a second as the value needs it, in steps of milli-, micro- and
 * nanoseconds: `.000000000` → ``, `.120000000` → `.120`, `.000001500` → `.000001500`,
 * `.5` → `.500`. Digits that are not zero are never dropped.
 */
export function trimFraction(fraction: string): string {
  const digits = fraction.replace(/^\./, '').replace(/0+$/, '');
  if (digits === '') return '';
  const width = Math.ceil(digits.length / 3) * 3;
  return `.${digits.padEnd(width, '0')}`;
}

/**
 * An ISO 8601 UTC timestamp for display: in UTC as `2024-01-02 00:00:00 UTC`, in exchange
 * time as `2024-01-01 18:00:00.000000123 CST`, with the fraction digits the value needs
 * (trimFraction). Text that is not such a timestamp comes back unchanged.
 */
export function formatTimestamp(iso: string, mode: TimeMode, zone = EXCHANGE_ZONE): string {
  const match = ISO.exec(iso);
  if (!match) return iso;
  const [, date, time, rawFraction = ''] = match;
  const fraction = trimFraction(rawFraction);
  if (mode === 'utc') return `${date} ${time}${fraction} UTC`;
  const ms = Date.parse(`${date}T${time}Z`);
  if (Number.isNaN(ms)) return iso;
  const parts: Record<string, string> = {};
  for (const part of zoneFormatter(zone).formatToParts(ms)) parts[part.type] = part.value;
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}${fraction} ${parts.timeZoneName ?? zone}`;
}

/**
 * One cell's text. With a number style (numeric columns), numbers and 64-bit integers sent
 * as text are written in that style; without one they are written exactly.
 */
export function formatCell(value: unknown, type: string, mode: TimeMode, zone = EXCHANGE_ZONE, style?: NumberStyle): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') {
    if (isZonedTimestampType(type)) return formatTimestamp(value, mode, zone);
    return style && isNumericType(type) ? formatNumber(value, style) : value;
  }
  if (style && (typeof value === 'number' || typeof value === 'bigint')) return formatNumber(value, style);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/** The value as copied to the clipboard: exact, as the host sent it (ISO timestamps stay ISO). */
export function copyText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/** Rows as tab-separated text with a header line. */
export function rowsAsTsv(columns: string[], rows: unknown[][]): string {
  const clean = (text: string) => text.replace(/[\t\r\n]+/g, ' ');
  return [columns.map(clean).join('\t'), ...rows.map((row) => row.map((v) => clean(copyText(v))).join('\t'))].join('\n');
}
