import { describe, expect, it } from 'vitest';
import { NUMBER_INVALID, NUMBER_NULL, NUMBER_OK, NumberReader } from '../../../core/ingest/numberParser.js';

/** A deterministic PRNG (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function read(reader: NumberReader, text: string): { value: number; status: number; integral: boolean } {
  const bytes = Buffer.from(text);
  const value = reader.read(bytes, 0, bytes.length);
  return { value, status: reader.status, integral: reader.integral };
}

describe('NumberReader', () => {
  it('reads decimal-point numbers exactly as Number() does', () => {
    const reader = new NumberReader('.', null);
    for (const text of ['0', '5000.25', '-4999.75', '+1.5', '.5', '5.', '1e3', '2.5E-3', '0.1', '123456789012345678', '1.7976931348623157e308', '4.9e-324', '0.30000000000000004']) {
      expect(read(reader, text), text).toEqual({ value: Number(text), status: NUMBER_OK, integral: Number.isInteger(Number(text)) && Math.abs(Number(text)) <= 2 ** 53 });
    }
  });

  it('rounds like Number() on random decimals of every length', () => {
    const reader = new NumberReader('.', null);
    const random = seeded(7);
    for (let i = 0; i < 20_000; i++) {
      const digits = 1 + Math.floor(random() * 19);
      let text = '';
      for (let d = 0; d < digits; d++) text += Math.floor(random() * 10);
      const point = Math.floor(random() * (digits + 1));
      text = `${text.slice(0, point)}.${text.slice(point)}`;
      if (text === '.') continue;
      expect(read(reader, text).value).toBe(Number(text));
    }
  });

  it('reads decimal commas and thousands separators checked in groups of three', () => {
    const comma = new NumberReader(',', '.');
    expect(read(comma, '1.234,50')).toEqual({ value: 1234.5, status: NUMBER_OK, integral: false });
    expect(read(comma, '1.234.567')).toEqual({ value: 1234567, status: NUMBER_OK, integral: true });
    expect(read(comma, '-0,25').value).toBe(-0.25);
    expect(read(comma, '1.23,4').status).toBe(NUMBER_INVALID);
    expect(read(comma, '12.34').status).toBe(NUMBER_INVALID);
    const point = new NumberReader('.', ',');
    expect(read(point, '1,234.50').value).toBe(1234.5);
    expect(read(point, '12,34').status).toBe(NUMBER_INVALID);
    expect(read(point, '1234,567').status).toBe(NUMBER_INVALID);
    const space = new NumberReader(',', ' ');
    expect(read(space, '1 234,5').value).toBe(1234.5);
  });

  it('treats empty and NA-like texts as null, and reads NaN and infinities', () => {
    const reader = new NumberReader('.', null);
    for (const text of ['', '  ', 'NA', 'N/A', 'null', 'NULL', 'None', '#N/A']) expect(read(reader, text).status, text).toBe(NUMBER_NULL);
    expect(read(reader, 'NaN').value).toBeNaN();
    expect(read(reader, '-inf').value).toBe(-Infinity);
    expect(read(reader, 'Infinity').value).toBe(Infinity);
    for (const text of ['abc', '1.2.3', '1-2', '--1', '1e', '0x10', '5 000']) expect(read(reader, text).status, text).toBe(NUMBER_INVALID);
  });

  it('says whether a value is integral (for Int64 columns)', () => {
    const reader = new NumberReader('.', null);
    expect(read(reader, '100').integral).toBe(true);
    expect(read(reader, '100.000').integral).toBe(true);
    expect(read(reader, '100.5').integral).toBe(false);
    expect(read(reader, '9007199254740993').integral).toBe(false);
  });
});
