import { describe, expect, it } from 'vitest';
import { changelogOf, committedAt, versionChoices, versionPosition } from '../../../renderer/src/versions/versionList.ts';

describe('version picker list', () => {
  const group = {
    kind: 'asset' as const,
    name: 'MES',
    path: 'cleaned/MES',
    children: [
      { kind: 'version' as const, name: 'v10', path: 'cleaned/v10/MES', version: 10, createdAt: '2024-03-01T09:30:15.250Z' },
      { kind: 'version' as const, name: 'v2', path: 'cleaned/v2/MES', version: 2, createdAt: '2024-01-15T14:03:59Z' },
      { kind: 'version' as const, name: 'v7', path: 'cleaned/v7/MES', version: 7 },
      { kind: 'file' as const, name: 'stray.parquet', path: 'cleaned/MES/stray.parquet' },
    ],
  };

  it('lists the versions of a group by number, with their commit times', () => {
    expect(versionChoices(group)).toEqual([
      { number: 2, path: 'cleaned/v2/MES', createdAt: '2024-01-15T14:03:59Z' },
      { number: 7, path: 'cleaned/v7/MES', createdAt: null },
      { number: 10, path: 'cleaned/v10/MES', createdAt: '2024-03-01T09:30:15.250Z' },
    ]);
    expect(versionChoices({ kind: 'asset', name: 'ES', path: 'cleaned/ES' })).toEqual([]);
  });

  it('places a version among them as "vN of newest"', () => {
    const choices = versionChoices(group);
    // three versions kept of ten numbers given
    expect(versionPosition(7, choices)).toBe('v7 of 10 · 3 kept');
    expect(versionPosition(10, choices)).toBe('v10 of 10 · 3 kept');
    // a version committed after the list was read is not shown as beyond the newest
    expect(versionPosition(11, choices)).toBe('v11 of 11 · 4 kept');
    expect(versionPosition(3, [])).toBe('v3 of 3 · 1 kept');
    const whole = [1, 2, 3].map((n) => ({ number: n, path: `cleaned/v${n}/MES`, createdAt: null }));
    expect(versionPosition(1, whole)).toBe('v1 of 3');
    expect(versionPosition(3, whole)).toBe('v3 of 3');
  });

  it('shows commit times to the minute in UTC, and changelogs from the sidecar', () => {
    expect(committedAt('2024-01-15T14:03:59Z')).toBe('2024-01-15 14:03 UTC');
    expect(committedAt('2024-01-15T08:03:00-06:00')).toBe('2024-01-15 14:03 UTC');
    expect(committedAt('not a time')).toBe('');
    expect(committedAt(null)).toBe('');
    expect(changelogOf({ changelog: 'first cleaned MES', createdAt: 'x' })).toBe('first cleaned MES');
    expect(changelogOf({ changelog: null })).toBe('');
    expect(changelogOf(['changelog'])).toBe('');
    expect(changelogOf(null)).toBe('');
  });
});
