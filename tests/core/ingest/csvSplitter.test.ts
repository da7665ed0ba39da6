import { describe, expect, it } from 'vitest';
import { CsvSplitter, type SplitterDialect } from '../../../core/ingest/csvSplitter.js';

const decoder = new TextDecoder();

interface Record_ {
  line: number;
  fields: string[];
  count: number;
  unterminated: boolean;
}

/** Splits `text` pushed in chunks of `chunk` bytes; returns every record. */
function split(text: string, chunk: number, dialect: SplitterDialect = { delimiter: ',', lineEnding: 'lf' }, width = 3): Record_[] {
  const splitter = new CsvSplitter(dialect, width);
  const bytes = Buffer.from(text);
  const out: Record_[] = [];
  const take = (batch: ReturnType<CsvSplitter['push']>) => {
    for (let r = 0; r < batch.rows; r++) {
      const fields: string[] = [];
      for (let c = 0; c < Math.min(width, batch.fieldCounts[r]); c++) {
        fields.push(decoder.decode(batch.buf.subarray(batch.starts[r * width + c], batch.ends[r * width + c])));
      }
      out.push({ line: batch.lines[r], fields, count: batch.fieldCounts[r], unterminated: batch.unterminated[r] === 1 });
    }
  };
  for (let i = 0; i < bytes.length; i += chunk) take(splitter.push(Uint8Array.prototype.slice.call(bytes, i, i + chunk)));
  take(splitter.end());
  return out;
}

/** The same records whatever the chunk size (1 byte to all at once). */
function splitEveryWay(text: string, dialect?: SplitterDialect, width?: number): Record_[] {
  const whole = split(text, 1 << 20, dialect, width);
  for (const chunk of [1, 2, 3, 5, 8, 13]) expect(split(text, chunk, dialect, width)).toEqual(whole);
  return whole;
}

describe('CsvSplitter', () => {
  it('splits plain records and numbers their lines', () => {
    expect(splitEveryWay('a,b,c\n1,2,3\n4,5,6\n')).toEqual([
      { line: 1, fields: ['a', 'b', 'c'], count: 3, unterminated: false },
      { line: 2, fields: ['1', '2', '3'], count: 3, unterminated: false },
      { line: 3, fields: ['4', '5', '6'], count: 3, unterminated: false },
    ]);
  });

  it('reads quoted fields with delimiters, doubled quotes and line breaks, and keeps line numbers right', () => {
    const text = 'id,note,x\r\n1,"a, b ""c""\r\nd",2\r\n\r\n3,"",4\r\n';
    expect(splitEveryWay(text, { delimiter: ',', lineEnding: 'crlf' })).toEqual([
      { line: 1, fields: ['id', 'note', 'x'], count: 3, unterminated: false },
      { line: 2, fields: ['1', 'a, b "c"\r\nd', '2'], count: 3, unterminated: false },
      { line: 5, fields: ['3', '', '4'], count: 3, unterminated: false },
    ]);
  });

  it('strips CR before LF, skips blank lines and reads a last record without a line break', () => {
    expect(splitEveryWay('1,2,3\r\n\r\n\n4,5,6')).toEqual([
      { line: 1, fields: ['1', '2', '3'], count: 3, unterminated: false },
      { line: 4, fields: ['4', '5', '6'], count: 3, unterminated: false },
    ]);
  });

  it('counts fields beyond the width and short records', () => {
    expect(splitEveryWay('1,2,3,4\n5,6\n7,8,\n')).toEqual([
      { line: 1, fields: ['1', '2', '3'], count: 4, unterminated: false },
      { line: 2, fields: ['5', '6'], count: 2, unterminated: false },
      { line: 3, fields: ['7', '8', ''], count: 3, unterminated: false },
    ]);
  });

  it('marks a quote left open at the end of the input', () => {
    expect(splitEveryWay('1,2,3\n4,"open,5\n6\n')).toEqual([
      { line: 1, fields: ['1', '2', '3'], count: 3, unterminated: false },
      { line: 2, fields: ['4', 'open,5\n6\n'], count: 2, unterminated: true },
    ]);
  });

  it('keeps text after a closing quote (lenient) and splits tabs, semicolons, pipes and CR-only files', () => {
    expect(splitEveryWay('"a"b,c,d\n')[0].fields).toEqual(['ab', 'c', 'd']);
    expect(splitEveryWay('1\t2\t"3\t4"\n', { delimiter: '\t', lineEnding: 'lf' })[0].fields).toEqual(['1', '2', '3\t4']);
    expect(splitEveryWay('1;2,5;3\n', { delimiter: ';', lineEnding: 'lf' })[0].fields).toEqual(['1', '2,5', '3']);
    expect(splitEveryWay('1|2|3\n', { delimiter: '|', lineEnding: 'lf' })[0].fields).toEqual(['1', '2', '3']);
    expect(splitEveryWay('1,2,3\r4,5,6\r', { delimiter: ',', lineEnding: 'cr' })).toEqual([
      { line: 1, fields: ['1', '2', '3'], count: 3, unterminated: false },
      { line: 2, fields: ['4', '5', '6'], count: 3, unterminated: false },
    ]);
  });

  it('reads UTF-8 text byte for byte', () => {
    expect(splitEveryWay('Zürich,"Köln, ""Süd""",日本\n')[0].fields).toEqual(['Zürich', 'Köln, "Süd"', '日本']);
  });
});
