/**
 * gc's plan for a bucket (core/objectStore/bucketGc.ts), without a server: what gc expired
 * goes whatever its age; an object nothing committed names goes only once older than the
 * grace period, and so does anything else the working copy lost (a sidecar the recovery
 * dropped, a piece of a sidecar list, a version with no snapshot); a dry run removes nothing.
 */
import { describe, expect, it } from 'vitest';
import { BucketGc, formatAge, graceMs } from '../../../core/objectStore/bucketGc.js';
import { MesDataError } from '../../../core/errors.js';

const NOW = Date.parse('2026-12-02T01:00:00Z');
const MIN = 60_000;

const YOUNG_ORPHAN = 'cleaned/MES/data/2024-01-04/00000-a.parquet';
const OLD_ORPHAN = 'cleaned/MES/data/2024-01-04/00000-b.parquet';
const EXPIRED_FILE = 'cleaned/MES/data/2024-01-02/00000-c.parquet';
const OLD_METADATA = 'cleaned/MES/metadata/v1.metadata.json';
const PIECE = 'catalog/cleaned/MES/.lists/aa.json';
const DROPPED_SIDECAR = 'catalog/cleaned/MES/v3.json';
const EXPIRED_SIDECAR = 'catalog/cleaned/MES/v1.json';
const EXPIRED_FOLDER_FILE = 'cleaned/v1/MES/2024-01-02.parquet';
const NO_SNAPSHOT_SIDECAR = 'catalog/features/MES/rsi/v2.json';

/** Every object two minutes old, but the old orphan (three hours). */
const modified = new Map<string, number>(
  [YOUNG_ORPHAN, EXPIRED_FILE, OLD_METADATA, PIECE, DROPPED_SIDECAR, EXPIRED_SIDECAR, EXPIRED_FOLDER_FILE, NO_SNAPSHOT_SIDECAR].map((key) => [key, NOW - 2 * MIN]),
);
modified.set(OLD_ORPHAN, NOW - 180 * MIN);

function report(dryRun: boolean) {
  return {
    dryRun,
    tables: 2,
    versions: [
      { path: 'cleaned/v1/MES', table: 'cleaned/MES', version: 1, committedAt: '2026-11-30T00:00:00.000Z' },
      { path: 'features/v2/MES/rsi', table: 'features/MES/rsi', version: 2, committedAt: null },
    ],
    files: [
      { path: EXPIRED_FILE, bytes: 100 },
      { path: OLD_METADATA, bytes: 10 },
      { path: OLD_ORPHAN, bytes: 20 },
      { path: PIECE, bytes: 5 },
      { path: YOUNG_ORPHAN, bytes: 30 },
    ],
    bytes: 165,
  };
}

function plan(dryRun = false, grace?: string): BucketGc {
  return new BucketGc({ grace, dryRun, nowMs: NOW, modified, orphans: [YOUNG_ORPHAN, OLD_ORPHAN], sizes: new Map([[DROPPED_SIDECAR, 700]]) });
}

const LOST = [EXPIRED_FILE, OLD_METADATA, OLD_ORPHAN, PIECE, YOUNG_ORPHAN, DROPPED_SIDECAR, EXPIRED_SIDECAR, EXPIRED_FOLDER_FILE, NO_SNAPSHOT_SIDECAR, 'raw/MES/2024-01-09/unknown-age.parquet'];

describe("gc's grace period on a bucket", () => {
  it('reads durations and refuses anything else', () => {
    expect([graceMs('0s'), graceMs('90s'), graceMs('30m'), graceMs('1h'), graceMs('2d'), graceMs('1w')]).toEqual([0, 90_000, 1_800_000, 3_600_000, 172_800_000, 604_800_000]);
    for (const bad of ['soon', '1', '1h30m', '-1h', '1.5h', '']) {
      expect(() => graceMs(bad)).toThrow(MesDataError);
      expect(() => graceMs(bad)).toThrow(`--grace takes a duration (90s, 30m, 1h, 2d, 1w: s, m, h, d, w), not "${bad}"`);
    }
    expect([formatAge(42_000), formatAge(17 * MIN), formatAge(210 * MIN), formatAge(12 * 86_400_000), formatAge(-5)]).toEqual(['42 s', '17 min', '3.5 h', '12 d', '0 s']);
  });

  it('removes what gc expired and old orphans; keeps young orphans, pieces, dropped sidecars and objects of unknown age', () => {
    const gc = plan();
    const shown = gc.onBucket(report(false));
    expect(shown.files).toEqual([
      { path: EXPIRED_FILE, bytes: 100 },
      { path: OLD_METADATA, bytes: 10 },
      { path: OLD_ORPHAN, bytes: 20 },
    ]);
    expect(shown.bytes).toBe(130);
    expect(shown.kept).toEqual([
      { path: PIECE, bytes: 5, ageSeconds: 120 },
      { path: YOUNG_ORPHAN, bytes: 30, ageSeconds: 120 },
    ]);
    expect(shown.grace).toBe('1h');
    const { remove, kept } = gc.removable(LOST);
    expect(remove).toEqual([EXPIRED_FILE, OLD_METADATA, OLD_ORPHAN, EXPIRED_SIDECAR, EXPIRED_FOLDER_FILE]);
    expect(kept).toEqual([
      { path: PIECE, bytes: 0, ageSeconds: 120 },
      { path: YOUNG_ORPHAN, bytes: 0, ageSeconds: 120 },
      { path: DROPPED_SIDECAR, bytes: 700, ageSeconds: 120 },
      { path: NO_SNAPSHOT_SIDECAR, bytes: 0, ageSeconds: 120 },
      { path: 'raw/MES/2024-01-09/unknown-age.parquet', bytes: 0, ageSeconds: 0 },
    ]);
  });

  it('with --grace 0s every object of known age goes; a dry run (given, or from the result) removes nothing', () => {
    const none = plan(false, '0s');
    expect(none.onBucket(report(false)).kept).toEqual([]);
    expect(none.removable(LOST).remove).toEqual(LOST.slice(0, -1));
    for (const dry of [plan(true), plan(false)]) {
      const shown = dry.onBucket(report(true));
      expect(shown.kept.map((k) => k.path)).toEqual([PIECE, YOUNG_ORPHAN]);
      const { remove, kept } = dry.removable(LOST);
      expect(remove).toEqual([]);
      expect(kept.map((k) => k.path)).toEqual([PIECE, YOUNG_ORPHAN, DROPPED_SIDECAR, NO_SNAPSHOT_SIDECAR, 'raw/MES/2024-01-09/unknown-age.parquet']);
    }
  });
});
