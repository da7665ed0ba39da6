import { describe, expect, it } from 'vitest';
import { LOCAL_GAP, LOCAL_REPEAT, LOCAL_UNIQUE, TimeZoneRules } from '../../../core/ingest/timeZoneRules.js';

/** A wall-clock time as local seconds (as if UTC). */
const local = (text: string) => Date.parse(`${text}Z`) / 1000;
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

function resolve(zone: TimeZoneRules, text: string): { kind: number; utc: string; later?: string } {
  zone.resolveLocal(local(text));
  return zone.kind === LOCAL_REPEAT ? { kind: zone.kind, utc: iso(zone.utc), later: iso(zone.later) } : { kind: zone.kind, utc: iso(zone.utc) };
}

describe('TimeZoneRules', () => {
  const chicago = new TimeZoneRules('America/Chicago');

  it('reads Chicago local times in CST and CDT', () => {
    expect(resolve(chicago, '2024-01-15T09:30:00')).toEqual({ kind: LOCAL_UNIQUE, utc: '2024-01-15T15:30:00.000Z' });
    expect(resolve(chicago, '2024-07-15T09:30:00')).toEqual({ kind: LOCAL_UNIQUE, utc: '2024-07-15T14:30:00.000Z' });
  });

  it('finds the spring-forward gap of 2024-03-10 and shifts a time in it forward by the gap', () => {
    expect(resolve(chicago, '2024-03-10T01:59:59')).toEqual({ kind: LOCAL_UNIQUE, utc: '2024-03-10T07:59:59.000Z' });
    expect(resolve(chicago, '2024-03-10T02:00:00')).toEqual({ kind: LOCAL_GAP, utc: '2024-03-10T08:00:00.000Z' });
    expect(resolve(chicago, '2024-03-10T02:30:00')).toEqual({ kind: LOCAL_GAP, utc: '2024-03-10T08:30:00.000Z' });
    expect(resolve(chicago, '2024-03-10T03:00:00')).toEqual({ kind: LOCAL_UNIQUE, utc: '2024-03-10T08:00:00.000Z' });
  });

  it('finds the fall-back repeat of 2024-11-03 and gives both instants', () => {
    expect(resolve(chicago, '2024-11-03T00:59:59')).toEqual({ kind: LOCAL_UNIQUE, utc: '2024-11-03T05:59:59.000Z' });
    expect(resolve(chicago, '2024-11-03T01:00:00')).toEqual({ kind: LOCAL_REPEAT, utc: '2024-11-03T06:00:00.000Z', later: '2024-11-03T07:00:00.000Z' });
    expect(resolve(chicago, '2024-11-03T01:59:59')).toEqual({ kind: LOCAL_REPEAT, utc: '2024-11-03T06:59:59.000Z', later: '2024-11-03T07:59:59.000Z' });
    expect(resolve(chicago, '2024-11-03T02:00:00')).toEqual({ kind: LOCAL_UNIQUE, utc: '2024-11-03T08:00:00.000Z' });
  });

  it('gives offsets at UTC instants, exact at the transition second', () => {
    expect(chicago.offsetAt(Date.parse('2024-03-10T07:59:59Z') / 1000)).toBe(-6 * 3600);
    expect(chicago.offsetAt(Date.parse('2024-03-10T08:00:00Z') / 1000)).toBe(-5 * 3600);
    expect(chicago.offsetAt(Date.parse('2024-11-03T06:59:59Z') / 1000)).toBe(-5 * 3600);
    expect(chicago.offsetAt(Date.parse('2024-11-03T07:00:00Z') / 1000)).toBe(-6 * 3600);
  });

  it('follows other zones and their own rules (half-hour offsets, southern DST, no DST)', () => {
    expect(resolve(new TimeZoneRules('Asia/Kolkata'), '2024-01-02T09:15:00')).toEqual({ kind: LOCAL_UNIQUE, utc: '2024-01-02T03:45:00.000Z' });
    const sydney = new TimeZoneRules('Australia/Sydney');
    expect(resolve(sydney, '2024-01-02T10:00:00')).toEqual({ kind: LOCAL_UNIQUE, utc: '2024-01-01T23:00:00.000Z' });
    expect(resolve(sydney, '2024-10-06T02:30:00').kind).toBe(LOCAL_GAP);
    expect(resolve(sydney, '2024-04-07T02:30:00').kind).toBe(LOCAL_REPEAT);
    expect(resolve(new TimeZoneRules('UTC'), '2024-03-10T02:30:00')).toEqual({ kind: LOCAL_UNIQUE, utc: '2024-03-10T02:30:00.000Z' });
    expect(resolve(new TimeZoneRules('Europe/London'), '2024-03-31T01:30:00').kind).toBe(LOCAL_GAP);
  });

  it('knows older rules from the tables (US DST began in April before 2007)', () => {
    expect(resolve(chicago, '2006-03-12T02:30:00')).toEqual({ kind: LOCAL_UNIQUE, utc: '2006-03-12T08:30:00.000Z' });
    expect(resolve(chicago, '2006-04-02T02:30:00').kind).toBe(LOCAL_GAP);
  });

  it('refuses a zone it does not know with BAD_REQUEST', () => {
    expect(() => new TimeZoneRules('Mars/Olympus_Mons')).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() => new TimeZoneRules('CST6CDT-not')).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });
});
