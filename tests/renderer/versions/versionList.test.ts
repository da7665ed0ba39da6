import { describe, expect, it } from 'vitest';
import { asOfMoment, changelogOf, committedAt, versionChoices, versionOptionLabel, versionPosition } from '../../../renderer/src/versions/versionList.ts';

describe('version picker list', () => {
  const group = {
    kind: 'asset' as const,
    name: 'MES',
    path: 'cleaned/MES',
    children: [
      { kind: 'version' as const, name: 'v10', path: 'cleaned/v10/MES', version: 10, createdAt: '2024-03-01T09:30:15.250Z', changelog: 'March appended' },
      { kind: 'version' as const, name: 'v2', path: 'cleaned/v2/MES', version: 2, createdAt: '2024-01-15T14:03:59Z' },
      { kind: 'version' as const, name: 'v7', path: 'cleaned/v7/MES', version: 7 },
      { kind: 'file' as const, name: 'stray.parquet', path: 'cleaned/MES/stray.parquet' },
    ],
  };

  it('lists the versions of a group by number, with their commit times', () => {
    expect(versionChoices(group)).toEqual([
      { number: 2, path: 'cleaned/v2/MES', createdAt: '2024-01-15T14:03:59Z', changelog: '' },
      { number: 7, path: 'cleaned/v7/MES', createdAt: null, changelog: '' },
      { number: 10, path: 'cleaned/v10/MES', createdAt: '2024-03-01T09:30:15.250Z', changelog: 'March appended' },
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
    const whole = [1, 2, 3].map((n) => ({ number: n, path: `cleaned/v${n}/MES`, createdAt: null, changelog: '' }));
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

  it('labels each option "vN of newest · commit time · changelog", leaving out what the sidecar lacks', () => {
    const choices = versionChoices(group);
    expect(choices.map((c) => versionOptionLabel(c, choices))).toEqual(['v2 of 10 · 2024-01-15 14:03 UTC', 'v7 of 10', 'v10 of 10 · 2024-03-01 09:30 UTC · March appended']);
    const long = { number: 3, path: 'cleaned/v3/MES', createdAt: '2026-11-30T14:02:41Z', changelog: 'rolled the March contract\n  into June, and dropped the 14 bars of the 2026-03-19 outage after the vendor re-sent them' };
    // white space folds to one space, the message is cut at 60 characters with an ellipsis
    expect(versionOptionLabel(long, choices)).toBe('v3 of 10 · 2026-11-30 14:02 UTC · rolled the March contract into June, and dropped the 14 bar…');
    // a version newer than every listed one is its own newest
    expect(versionOptionLabel({ number: 12, path: 'cleaned/v12/MES', createdAt: null, changelog: 'x' }, choices)).toBe('v12 of 12 · x');
  });

  it('reads an "as of" moment in the exchange clock or UTC, a date alone as its whole day', () => {
    expect(asOfMoment('', 'UTC')).toBeNull();
    expect(asOfMoment('  ', 'America/Chicago')).toBeNull();
    expect(asOfMoment('2026-11-30 15:00', 'UTC')).toEqual({ instant: '2026-11-30T15:00:00.000Z' });
    // CST is UTC-6 in November
    expect(asOfMoment('2026-11-30 09:00', 'America/Chicago')).toEqual({ instant: '2026-11-30T15:00:00.000Z' });
    // CDT is UTC-5 in July; a moment naming its own zone keeps it
    expect(asOfMoment('2026-07-01 09:00:30.250', 'America/Chicago')).toEqual({ instant: '2026-07-01T14:00:30.250Z' });
    expect(asOfMoment('2026-07-01 09:00Z', 'America/Chicago')).toEqual({ instant: '2026-07-01T09:00:00.000Z' });
    // a date alone: its last millisecond, in the zone typed
    expect(asOfMoment('2026-11-30', 'UTC')).toEqual({ instant: '2026-11-30T23:59:59.999Z' });
    expect(asOfMoment('2026-11-30', 'America/Chicago')).toEqual({ instant: '2026-12-01T05:59:59.999Z' });
    // the hour clocks repeat on 2026-11-01 in Chicago: its second pass (CST)
    expect(asOfMoment('2026-11-01 01:30', 'America/Chicago')).toEqual({ instant: '2026-11-01T07:30:00.000Z' });
    expect(asOfMoment('2026-03-08 02:30', 'America/Chicago')).toEqual({ error: '2026-03-08 02:30 does not exist in America/Chicago: the clocks skip that hour' });
    expect(asOfMoment('yesterday', 'UTC')).toEqual({ error: '“yesterday” is not a date or time: write 2024-01-02, 2024-01-02 09:30 or 2024-01-02 09:30:15.250' });
  });
});
