import { BadRequestError } from '../errors.js';
import type { ObjectStore } from './objectStore.js';

/**
 * `gc` on an s3:// store, as Iceberg's orphan-file removal does it: an object nothing
 * committed names is removed from the bucket only when it is older than a **grace period**
 * (`gc --grace`, 1 hour by default), since it may be a live writer's, written between its
 * data objects and its commit point (a writer on another machine, which no lock of ours
 * sees). What gc itself expires (the sidecars and folder objects of versions it dropped,
 * the table files only those versions' snapshots named, older metadata files) is named by
 * committed state until gc's own commit and goes at once. Everything else its working copy
 * lost (what the local recovery removed: a sidecar whose version has no snapshot yet, the
 * pieces of sidecar lists only such a sidecar named) is taken as possibly a live writer's
 * and waits for the grace period too.
 *
 * Ages are the bucket's `LastModified` (the service's clock) against this machine's clock,
 * both taken when the command pulled: a clock ahead of the service's by more than the grace
 * period would take a live writer's objects for old ones, so the grace is kept well above
 * any skew (an hour by default).
 */

/** The grace period when `--grace` is not given. */
export const DEFAULT_GRACE = '1h';

const DURATION = /^(\d{1,6})([smhdw])$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `--grace`'s duration in ms: `90s`, `30m`, `1h`, `2d`, `1w` (`0s`: no grace, for tests and a store no one writes to); BAD_REQUEST naming the value otherwise. */
export function graceMs(value: string): number {
  const match = DURATION.exec(value);
  if (match === null) throw new BadRequestError(`--grace takes a duration (90s, 30m, 1h, 2d, 1w: s, m, h, d, w), not "${value}"`, { grace: value });
  return Number(match[1]) * UNIT_MS[match[2]];
}

/** A short age for people: `42 s`, `17 min`, `3.5 h`, `12 d`. */
export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

/** When each object of the bucket was written (ms since the epoch, the service's clock), from one listing. */
export async function bucketAges(remote: ObjectStore): Promise<Map<string, number>> {
  const ages = new Map<string, number>();
  for (const entry of await remote.list('')) if (entry.modifiedMs !== undefined) ages.set(entry.key, entry.modifiedMs);
  return ages;
}

/** What gc's job reported (the part of its result this needs). */
interface GcReport {
  dryRun: boolean;
  versions: { path: string; table: string; version: number; committedAt: string | null }[];
  files: { path: string; bytes: number }[];
  bytes: number;
}

/** An object kept in the bucket for being younger than the grace period. */
export interface KeptObject {
  path: string;
  bytes: number;
  /** its age when the command pulled, in whole seconds */
  ageSeconds: number;
}

/** The plan of one gc run on a bucket: the grace, the ages and orphans seen at the pull, then what the job expired. */
export class BucketGc {
  readonly grace: string;
  readonly graceMs: number;
  private readonly nowMs: number;
  private readonly modified: ReadonlyMap<string, number>;
  private readonly orphans: ReadonlySet<string>;
  /** a dry run removes nothing: given, or taken from the job's result (`onBucket`) */
  private dryRun: boolean;
  /** objects gc expired (named by committed state until gc's commit): removed whatever their age */
  private readonly expired = new Set<string>();
  private readonly expiredFolders: string[] = [];
  private readonly sizes = new Map<string, number>();

  /**
   * `orphans`: the objects nothing committed named at the pull (`unreferencedObjects`);
   * `modified`: when each object was written (`bucketAges`), `nowMs` this machine's clock then.
   */
  constructor(options: { grace?: string; dryRun?: boolean; nowMs: number; modified: ReadonlyMap<string, number>; orphans: Iterable<string>; sizes?: ReadonlyMap<string, number> }) {
    this.grace = options.grace ?? DEFAULT_GRACE;
    this.graceMs = graceMs(this.grace);
    this.nowMs = options.nowMs;
    this.modified = options.modified;
    this.orphans = new Set(options.orphans);
    this.dryRun = options.dryRun === true;
    for (const [key, size] of options.sizes ?? []) this.sizes.set(key, size);
  }

  private ageMs(key: string): number | null {
    const at = this.modified.get(key);
    return at === undefined ? null : this.nowMs - at;
  }

  /** Whether an object not expired by gc is young enough to be a live writer's (an object of unknown age counts as young). */
  private young(key: string): boolean {
    const age = this.ageMs(key);
    return age === null || age < this.graceMs;
  }

  /**
   * The job's result as it holds for the bucket: the table files and pieces that stay for
   * being younger than the grace period leave `files` for `kept`. Records what gc expired
   * (the versions it dropped, the table files committed snapshots named at the pull), which
   * `removable` then removes at once.
   */
  onBucket<R extends GcReport>(result: R): R & { grace: string; kept: KeptObject[] } {
    if (result.dryRun) this.dryRun = true;
    for (const version of result.versions) {
      // a version the table had dropped before (no snapshot) is not known to be committed: its objects wait as orphans do
      if (version.committedAt === null) continue;
      const [layer, ...key] = version.table.split('/');
      this.expiredFolders.push(`${version.path}/`);
      this.expired.add(`catalog/${layer}/${key.join('/')}/v${version.version}.json`);
    }
    const files: { path: string; bytes: number }[] = [];
    const kept: KeptObject[] = [];
    for (const file of result.files) {
      // a piece of a sidecar list may be named only by a live writer's sidecar, which the recovery dropped: never taken as expired
      const expired = !this.orphans.has(file.path) && !file.path.includes('/.lists/');
      if (expired) this.expired.add(file.path);
      if (expired || !this.young(file.path)) files.push(file);
      else kept.push({ path: file.path, bytes: file.bytes, ageSeconds: Math.max(0, Math.floor((this.ageMs(file.path) ?? 0) / 1000)) });
    }
    return { ...result, files, bytes: files.reduce((sum, file) => sum + file.bytes, 0), grace: this.grace, kept };
  }

  private isExpired(key: string): boolean {
    return this.expired.has(key) || this.expiredFolders.some((folder) => key.startsWith(folder));
  }

  /**
   * Of the objects the working copy lost (`keys`), those to remove from the bucket now: none
   * in a dry run; what gc expired; anything else only when older than the grace period.
   * `kept` lists the rest with their ages.
   */
  removable(keys: readonly string[]): { remove: string[]; kept: KeptObject[] } {
    const remove: string[] = [];
    const kept: KeptObject[] = [];
    for (const key of keys) {
      if (!this.dryRun && (this.isExpired(key) || !this.young(key))) remove.push(key);
      else if (!this.isExpired(key) && this.young(key)) kept.push({ path: key, bytes: this.sizes.get(key) ?? 0, ageSeconds: Math.max(0, Math.floor((this.ageMs(key) ?? 0) / 1000)) });
    }
    return { remove, kept };
  }
}
