import { timeBound, type TimeBound } from '../table/tableQuery.ts';
import type { CatalogNode } from '../tree/treeModel.ts';

/** One version of a key as the picker lists it. */
export interface VersionChoice {
  number: number;
  /** the version folder, `cleaned/v3/MES` or `features/v2/MES/momentum` */
  path: string;
  /** when it was committed (ISO), if its sidecar says */
  createdAt: string | null;
  /** the message given at promote or features build, '' when none */
  changelog: string;
}

/** The versions in a group node of the catalog (`cleaned/MES`), oldest first. */
export function versionChoices(group: CatalogNode): VersionChoice[] {
  return (group.children ?? [])
    .filter((c) => c.kind === 'version' && typeof c.version === 'number')
    .map((c) => ({ number: c.version as number, path: c.path, createdAt: c.createdAt ?? null, changelog: c.changelog ?? '' }))
    .sort((a, b) => a.number - b.number);
}

/**
 * `v3 of 7`: the place of a version among its key's versions (the newest has the highest
 * number), and `· 5 kept` when fewer versions exist than numbers were given (gc expired some,
 * or a commit that took a number never finished).
 */
export function versionPosition(number: number, choices: readonly VersionChoice[]): string {
  const newest = Math.max(choices.length > 0 ? choices[choices.length - 1].number : number, number);
  const kept = choices.some((c) => c.number === number) ? choices.length : choices.length + 1;
  return `v${number} of ${newest}${kept < newest ? ` · ${kept} kept` : ''}`;
}

/** Characters of a changelog an option shows (the whole message is the option's title). */
const OPTION_MESSAGE_CHARS = 60;

/**
 * One version as the picker's option reads: `v3 of 7 · 2026-11-30 14:02 UTC · first cleaned
 * MES`, its commit time and changelog left out when its sidecar has none, a long changelog
 * cut to OPTION_MESSAGE_CHARS with an ellipsis.
 */
export function versionOptionLabel(choice: VersionChoice, choices: readonly VersionChoice[]): string {
  const newest = Math.max(choice.number, ...choices.map((c) => c.number));
  const message = choice.changelog.replace(/\s+/g, ' ').trim();
  const parts = [`v${choice.number} of ${newest}`, committedAt(choice.createdAt), message.length > OPTION_MESSAGE_CHARS ? `${message.slice(0, OPTION_MESSAGE_CHARS - 1).trimEnd()}…` : message];
  return parts.filter((part) => part !== '').join(' · ');
}

/** A commit time to the minute in UTC (`2024-01-15 14:03 UTC`), or '' when unknown or not a date. */
export function committedAt(iso: string | null): string {
  if (!iso) return '';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '';
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The changelog a sidecar carries (`changelog`), or '' when it has none. */
export function changelogOf(metadata: unknown): string {
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) return '';
  const value = (metadata as Record<string, unknown>).changelog;
  return typeof value === 'string' ? value : '';
}

/**
 * The moment typed in the picker's "As of" box as the instant `dataset.resolve` takes (ISO
 * 8601 in UTC, to the millisecond, as the table's snapshot log keeps time): read in `zone`
 * (`UTC` or the exchange's) unless it names its own, a date alone being its whole day (its
 * last millisecond), in the hour clocks repeat its second pass, as the time-range picker's
 * "to" reads them. Null when empty; an error saying why for anything that is not a moment.
 */
export function asOfMoment(text: string, zone: string): TimeBound | null {
  const bound = timeBound(text, 'to', zone);
  if (!bound || 'error' in bound) return bound;
  return { instant: new Date(Date.parse(bound.instant)).toISOString() };
}
