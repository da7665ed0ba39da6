import type { CatalogNode } from '../tree/treeModel.ts';

/** One version of a key as the picker lists it. */
export interface VersionChoice {
  number: number;
  /** the version folder, `cleaned/v3/MES` or `features/v2/MES/momentum` */
  path: string;
  /** when it was committed (ISO), if its sidecar says */
  createdAt: string | null;
}

/** The versions in a group node of the catalog (`cleaned/MES`), oldest first. */
export function versionChoices(group: CatalogNode): VersionChoice[] {
  return (group.children ?? [])
    .filter((c) => c.kind === 'version' && typeof c.version === 'number')
    .map((c) => ({ number: c.version as number, path: c.path, createdAt: c.createdAt ?? null }))
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
