import { describe, expect, it } from 'vitest';
import { TradingCalendar } from '../../../core/ingest/tradingDate.js';

const calendar = new TradingCalendar();
const date = (utc: string) => calendar.tradingDate(Date.parse(utc) / 1000);

describe('TradingCalendar (CME: a session opens 17:00 Chicago on the previous calendar day)', () => {
  it('puts Sunday 17:00 CT in Monday and Monday 16:59 CT in Monday', () => {
    // January: CST, UTC-6
    expect(date('2024-01-07T22:59:59Z')).toBe('2024-01-07'); // Sunday 16:59:59 CT
    expect(date('2024-01-07T23:00:00Z')).toBe('2024-01-08'); // Sunday 17:00 CT
    expect(date('2024-01-08T05:59:00Z')).toBe('2024-01-08'); // Sunday 23:59 CT
    expect(date('2024-01-08T06:00:00Z')).toBe('2024-01-08'); // Monday 00:00 CT
    expect(date('2024-01-08T22:59:00Z')).toBe('2024-01-08'); // Monday 16:59 CT
    expect(date('2024-01-08T23:00:00Z')).toBe('2024-01-09'); // Monday 17:00 CT
  });

  it('follows Chicago DST: 17:00 CDT is 22:00 UTC', () => {
    expect(date('2024-07-07T21:59:59Z')).toBe('2024-07-07');
    expect(date('2024-07-07T22:00:00Z')).toBe('2024-07-08');
    // the DST weekends themselves
    expect(date('2024-03-10T21:59:00Z')).toBe('2024-03-10'); // Sunday 16:59 CDT
    expect(date('2024-03-10T22:00:00Z')).toBe('2024-03-11'); // Sunday 17:00 CDT
    expect(date('2024-11-03T22:59:00Z')).toBe('2024-11-03'); // Sunday 16:59 CST
    expect(date('2024-11-03T23:00:00Z')).toBe('2024-11-04'); // Sunday 17:00 CST
  });
});
