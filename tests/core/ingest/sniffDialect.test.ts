import { describe, expect, it } from 'vitest';
import { sniffDialect } from '../../../core/ingest/sniffDialect.js';

const sniff = (text: string | Uint8Array, name = 'bars.csv', overrides = {}) => sniffDialect(typeof text === 'string' ? Buffer.from(text) : text, true, name, overrides);

describe('sniffDialect', () => {
  it('reads a plain comma file with a header', () => {
    const result = sniff('timestamp,open,high,low,close,volume\n2024-01-02 17:00:00,5000.25,5001,4999.75,5000.5,10\n');
    expect(result.dialect).toEqual({
      format: 'csv',
      encoding: 'utf-8',
      bom: false,
      delimiter: ',',
      quote: '"',
      lineEnding: 'lf',
      header: true,
      decimal: '.',
      thousands: null,
      columns: ['timestamp', 'open', 'high', 'low', 'close', 'volume'],
    });
    expect(result.sampleRows).toEqual([['2024-01-02 17:00:00', '5000.25', '5001', '4999.75', '5000.5', '10']]);
    expect(result.sampleLines).toEqual([2]);
  });

  it('finds each delimiter: tab, semicolon, pipe', () => {
    expect(sniff('date\topen\tclose\n2024-01-02\t1\t2\n', 'x.tsv').dialect.delimiter).toBe('\t');
    expect(sniff('date;open;close\n2024-01-02;1;2\n').dialect.delimiter).toBe(';');
    expect(sniff('date|open|close\n2024-01-02|1|2\n').dialect.delimiter).toBe('|');
  });

  it('skips a UTF-8 BOM and sees CRLF line endings', () => {
    const result = sniff(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Date,Close\r\n2024-01-02,5000\r\n')]));
    expect(result.skipBytes).toBe(3);
    expect(result.dialect).toMatchObject({ bom: true, lineEnding: 'crlf', columns: ['Date', 'Close'] });
  });

  it('reads decimal commas and dotted thousands in a semicolon file', () => {
    const result = sniff('timestamp;open;close;volume\n1704153600000;4.812,25;4.813,50;1.200\n1704153660000;4.813,50;4.812,75;900\n');
    expect(result.dialect).toMatchObject({ delimiter: ';', decimal: ',', thousands: '.' });
  });

  it('reads quoted thousands separators in a comma file', () => {
    const result = sniff('date,close,volume\n2024-01-02,"5,001.25","1,200"\n2024-01-03,"5,002.50","12,000"\n');
    expect(result.dialect).toMatchObject({ delimiter: ',', decimal: '.', thousands: ',' });
    expect(result.sampleRows[0]).toEqual(['2024-01-02', '5,001.25', '1,200']);
  });

  it('keeps a decimal point when the notation is ambiguous', () => {
    expect(sniff('date;close\n2024-01-02;1.234\n').dialect).toMatchObject({ decimal: '.', thousands: null });
  });

  it('detects a file without a header and names its columns', () => {
    const result = sniff('1704153600,5000.25,5001,4999.75,5000.5,10\n1704153660,5000.5,5001.25,5000,5001,12\n');
    expect(result.dialect).toMatchObject({ header: false, columns: ['column1', 'column2', 'column3', 'column4', 'column5', 'column6'] });
    expect(result.sampleRows).toHaveLength(2);
  });

  it('takes a header it cannot name from text above values', () => {
    expect(sniff('Zeitpunkt;Kurs\n2024-01-02 09:00;4.812,25\n').dialect).toMatchObject({ header: true, decimal: ',' });
  });

  it('names blank and repeated header cells', () => {
    expect(sniff('date,close,,Close\n2024-01-02,1,2,3\n').dialect.columns).toEqual(['date', 'close', 'column3', 'Close_2']);
  });

  it('follows overrides', () => {
    expect(sniff('a;b\n1;2\n', 'x.csv', { delimiter: ';', header: false }).dialect).toMatchObject({ delimiter: ';', header: false, columns: ['column1', 'column2'] });
  });

  it('refuses UTF-16, binary and empty files', () => {
    expect(() => sniff(Buffer.from([0xff, 0xfe, 0x61, 0x00]))).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_FILE' }));
    expect(() => sniff(Buffer.from([1, 2, 0, 3]))).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_FILE' }));
    expect(() => sniff('')).toThrow(expect.objectContaining({ code: 'PARSE_ERROR' }));
  });
});
