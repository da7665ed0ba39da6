import { ParseError, UnsupportedFileError } from '../errors.js';
import { isKnownColumnName } from './columnMapping.js';
import { CsvSplitter } from './csvSplitter.js';
import type { CsvDialect } from './ingestTypes.js';
import { isNullToken } from './numberParser.js';
import { DateTimeReader } from './timestampParser.js';

/**
 * Works out how a CSV/TSV file is written from its first bytes: byte order mark, line
 * endings, delimiter, header, decimal and thousands separators. The answer is a plain
 * `CsvDialect` the reader then follows for the whole file.
 *
 * - Delimiter: of `,` `;` tab `|`, the one that splits the sample into the same number
 *   (≥ 2) of fields on the most lines, ties going to the one whose fields read as values
 *   (numbers, dates), then to the order `,` tab `;` `|` (tab first for a `.tsv` name).
 * - Header: the first record is a header when it holds a known column name (timestamp,
 *   close, volume, …) or a text where the rows below hold values.
 * - Numbers: a decimal comma only when the sample shows it unambiguously (`1.234,50`,
 *   `4999,75`); `1,234` alone could be either and is read as a thousands separator only
 *   beside evidence of one. Otherwise a decimal point and no thousands separator.
 */

const DELIMITERS = [',', '\t', ';', '|'] as const;

/** Records the sniffer looks at. */
const SNIFF_RECORDS = 500;
/** Data rows kept for the column mapper. */
const SAMPLE_ROWS = 1000;
/** Bytes of the sample split at a time. */
const SPLIT_PIECE_BYTES = 64 * 1024;
const MAX_COLUMNS = 4096;

export interface SniffOverrides {
  delimiter?: string;
  header?: boolean;
  decimal?: '.' | ',';
  thousands?: CsvDialect['thousands'];
}

interface SniffResult {
  dialect: CsvDialect;
  /** Bytes to skip at the start (the BOM). */
  skipBytes: number;
  /** The first data rows as text, for the column mapper. */
  sampleRows: string[][];
  /** The line each sample row starts on. */
  sampleLines: number[];
}

const decoder = new TextDecoder('utf-8');

/**
 * Sniffs the dialect from `sample`, the first bytes of the file (`complete` when that is
 * the whole file). `fileName` only breaks ties (a `.tsv` name prefers tabs). Throws
 * UNSUPPORTED_FILE for UTF-16/32 or binary content, PARSE_ERROR for an empty file.
 */
export function sniffDialect(sample: Uint8Array, complete: boolean, fileName = '', overrides: SniffOverrides = {}): SniffResult {
  let skipBytes = 0;
  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) skipBytes = 3;
  else if ((sample[0] === 0xff && sample[1] === 0xfe) || (sample[0] === 0xfe && sample[1] === 0xff)) {
    throw new UnsupportedFileError(`${fileName || 'the file'} is UTF-16 text; save it as UTF-8 and ingest again`, { reason: 'utf-16', path: fileName });
  }
  let body = sample.subarray(skipBytes);
  if (body.subarray(0, 65_536).includes(0)) {
    throw new UnsupportedFileError(`${fileName || 'the file'} is not text (it holds NUL bytes); MES Data reads CSV/TSV, Parquet, Arrow IPC and JSON Lines`, {
      reason: 'binary',
      path: fileName,
    });
  }
  if (!complete) {
    const lastBreak = Math.max(body.lastIndexOf(10), body.lastIndexOf(13));
    if (lastBreak > 0) body = body.subarray(0, lastBreak + 1);
  }
  const lineEnding = sniffLineEnding(body);
  const candidates = overrides.delimiter !== undefined ? [overrides.delimiter] : orderedCandidates(fileName);
  let best: { delimiter: string; score: number; rows: string[][]; lines: number[]; width: number } | null = null;
  for (const delimiter of candidates) {
    const { rows, lines } = splitSample(body, delimiter, lineEnding, SNIFF_RECORDS);
    const width = modalCount(rows);
    const consistent = rows.filter((r) => r.length === width).length / Math.max(1, rows.length);
    const typed = typedRatio(rows.slice(1));
    const score = width >= 2 || overrides.delimiter !== undefined ? consistent * 2 + typed : 0;
    if (!best || score > best.score) best = { delimiter, score, rows, lines, width };
  }
  if (!best || best.rows.length === 0) {
    throw new ParseError(`${fileName || 'the file'} holds no records`, { path: fileName });
  }
  if (best.score === 0) {
    // one column (or nothing splits consistently): keep the first candidate
    best.width = Math.max(1, modalCount(best.rows));
  }
  const width = Math.min(best.width, MAX_COLUMNS);
  const header = overrides.header ?? looksLikeHeader(best.rows);
  const { rows: allRows, lines: allLines } = splitSample(body, best.delimiter, lineEnding, SAMPLE_ROWS + 1);
  const dataRows = header ? allRows.slice(1) : allRows;
  const dataLines = header ? allLines.slice(1) : allLines;
  const numbers = sniffNumberFormat(dataRows);
  const decimal = overrides.decimal ?? numbers.decimal;
  const thousands = overrides.thousands !== undefined ? overrides.thousands : decimal === numbers.decimal ? numbers.thousands : null;
  if (header && allRows.length > 1 && (allRows[0]?.length ?? 0) !== width) throw headerWidthError(fileName, allRows[0], allLines, width, dataRows);
  const columns = header ? columnNames(allRows[0] ?? [], width) : Array.from({ length: width }, (_, k) => `column${k + 1}`);
  return {
    dialect: {
      format: 'csv',
      encoding: 'utf-8',
      bom: skipBytes === 3,
      delimiter: best.delimiter,
      quote: '"',
      lineEnding,
      header,
      decimal,
      thousands,
      columns,
    },
    skipBytes,
    sampleRows: dataRows.slice(0, SAMPLE_ROWS),
    sampleLines: dataLines.slice(0, SAMPLE_ROWS),
  };
}

/**
 * A header with more or fewer names than the rows have fields: every name would sit over
 * the wrong column (a `09:01:00` read as the open price), so this is said first, once, with
 * both counts, instead of as thousands of unreadable rows.
 */
function headerWidthError(fileName: string, names: string[], lines: number[], width: number, dataRows: string[][]): ParseError {
  const file = fileName ? fileName.split(/[\\/]/).pop() : 'the file';
  const count = names.length;
  const matching = dataRows.filter((row) => row.length === width).length;
  const shown = names.map((n) => JSON.stringify(n.replace(/^\uFEFF/, '').trim())).join(', ');
  const fix = count < width ? 'add the missing name to the header' : 'remove the extra name from the header';
  return new ParseError(
    `${file}: the header (line ${lines[0] ?? 1}) has ${count} name${count === 1 ? '' : 's'} (${shown}) but the rows have ${width} fields (${matching} of the first ${dataRows.length} rows, from line ${lines[1] ?? 2}), so the names cannot be matched to the columns; ${fix}, or fix the rows, and ingest again`,
    { path: fileName, reason: 'header_width', headerNames: count, rowFields: width, names, line: lines[0] ?? 1 },
  );
}

function orderedCandidates(fileName: string): string[] {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.tsv') || lower.endsWith('.tab')) return ['\t', ',', ';', '|'];
  return [...DELIMITERS];
}

function sniffLineEnding(body: Uint8Array): CsvDialect['lineEnding'] {
  const lf = body.indexOf(10);
  if (lf > 0 && body[lf - 1] === 13) return 'crlf';
  if (lf >= 0) return 'lf';
  return body.includes(13) ? 'cr' : 'lf';
}

/** The first `limit` records of the sample as text, split with `delimiter`. */
function splitSample(body: Uint8Array, delimiter: string, lineEnding: CsvDialect['lineEnding'], limit: number): { rows: string[][]; lines: number[] } {
  const width = 256;
  const splitter = new CsvSplitter({ delimiter, lineEnding }, width);
  const rows: string[][] = [];
  const lines: number[] = [];
  const take = (batch: ReturnType<CsvSplitter['push']>) => {
    for (let r = 0; r < batch.rows && rows.length < limit; r++) {
      const fields: string[] = [];
      const count = batch.fieldCounts[r];
      for (let c = 0; c < Math.min(count, width); c++) {
        fields.push(decoder.decode(batch.buf.subarray(batch.starts[r * width + c], batch.ends[r * width + c])));
      }
      for (let c = width; c < count; c++) fields.push('');
      rows.push(fields);
      lines.push(batch.lines[r]);
    }
  };
  // the sample is a copy: splitting unescapes quoted fields in place. Pieces of it, until
  // enough records are in: the splitter's arrays hold 256 fields a row, and the whole MiB at
  // once (about 20,000 lines of bars) grew them to tens of MB for each candidate delimiter
  const copy = Uint8Array.prototype.slice.call(body);
  for (let at = 0; at < copy.length && rows.length < limit; at += SPLIT_PIECE_BYTES) take(splitter.push(copy.subarray(at, at + SPLIT_PIECE_BYTES)));
  if (rows.length < limit) take(splitter.end());
  return { rows, lines };
}

function modalCount(rows: string[][]): number {
  const counts = new Map<number, number>();
  for (const row of rows) counts.set(row.length, (counts.get(row.length) ?? 0) + 1);
  let best = 0;
  let bestCount = 0;
  for (const [width, count] of counts) {
    if (count > bestCount || (count === bestCount && width > best)) {
      best = width;
      bestCount = count;
    }
  }
  return best;
}

const dateTime = new DateTimeReader();
const NUMBER_LIKE = /^[+-]?(?:\d[\d.,' ]*\d|\d)(?:[eE][+-]?\d+)?$|^[+-]?[.,]\d+$/;

/** A text that reads as a value: a number in either notation, a date or time, or nothing. */
function looksLikeValue(text: string): boolean {
  const t = text.trim();
  if (t === '' || isNullToken(t)) return true;
  if (NUMBER_LIKE.test(t)) return true;
  if (/^[+-]?(nan|inf|infinity)$/i.test(t)) return true;
  const bytes = Buffer.from(t);
  return dateTime.parse(bytes, 0, bytes.length) || dateTime.parseTime(bytes, 0, bytes.length);
}

function typedRatio(rows: string[][]): number {
  let typed = 0;
  let total = 0;
  for (const row of rows) {
    for (const field of row) {
      total++;
      if (looksLikeValue(field)) typed++;
    }
  }
  return total === 0 ? 0 : typed / total;
}

function looksLikeHeader(rows: string[][]): boolean {
  const first = rows[0];
  if (!first) return false;
  if (first.some((name) => isKnownColumnName(name))) return true;
  const rest = rows.slice(1);
  for (let c = 0; c < first.length; c++) {
    if (looksLikeValue(first[c])) continue;
    if (rest.length === 0) return true;
    const values = rest.filter((row) => c < row.length && row[c].trim() !== '' && looksLikeValue(row[c])).length;
    if (values / rest.length >= 0.5) return true;
  }
  return false;
}

/** Votes for the number notation in the sample's numeric fields (dates and times aside). */
function sniffNumberFormat(rows: string[][]): { decimal: '.' | ','; thousands: CsvDialect['thousands'] } {
  let dotDecimal = 0;
  let commaDecimal = 0;
  let commaGroups = 0;
  let dotGroups = 0;
  let spaceGroups = 0;
  let apostropheGroups = 0;
  for (const row of rows.slice(0, SAMPLE_ROWS)) {
    for (const raw of row) {
      const t = raw.trim().replace(/^[+-]/, '');
      if (t === '' || !/^[\d.,' ]+$/.test(t) || !/\d/.test(t)) continue;
      if (/^\d{1,3}(,\d{3})+\.\d+$/.test(t)) {
        dotDecimal++;
        commaGroups++;
      } else if (/^\d{1,3}(\.\d{3})+,\d+$/.test(t)) {
        commaDecimal++;
        dotGroups++;
      } else if (/^\d+,\d+$/.test(t)) {
        if (t.length - t.indexOf(',') - 1 !== 3 || t.indexOf(',') > 3 || t.startsWith('0')) commaDecimal++;
      } else if (/^\d+\.\d+$/.test(t)) {
        if (t.length - t.indexOf('.') - 1 !== 3 || t.indexOf('.') > 3 || t.startsWith('0')) dotDecimal++;
      } else if (/^\d{1,3}(,\d{3}){2,}$/.test(t)) commaGroups++;
      else if (/^\d{1,3}(\.\d{3}){2,}$/.test(t)) dotGroups++;
      else if (/^\d{1,3}( \d{3})+([.,]\d+)?$/.test(t)) {
        spaceGroups++;
        if (/,\d+$/.test(t)) commaDecimal++;
      } else if (/^\d{1,3}('\d{3})+(\.\d+)?$/.test(t)) apostropheGroups++;
    }
  }
  // "1,234" / "1.234" alone are ambiguous; they count as groups beside a decimal of the other kind
  for (const row of rows.slice(0, SAMPLE_ROWS)) {
    for (const raw of row) {
      const t = raw.trim().replace(/^[+-]/, '');
      if (/^[1-9]\d{0,2},\d{3}$/.test(t)) commaGroups += 0.5;
      if (/^[1-9]\d{0,2}\.\d{3}$/.test(t)) dotGroups += 0.5;
    }
  }
  const decimal: '.' | ',' = commaDecimal > 0 && dotDecimal === 0 ? ',' : '.';
  let thousands: CsvDialect['thousands'] = null;
  if (decimal === '.' && commaGroups >= 1) thousands = ',';
  else if (decimal === ',' && dotGroups >= 1) thousands = '.';
  else if (spaceGroups > 0) thousands = ' ';
  else if (apostropheGroups > 0 && decimal === '.') thousands = "'";
  return { decimal, thousands };
}

/** Header names, trimmed, with blanks named `columnN` and repeats suffixed `_2`, `_3`. */
function columnNames(fields: string[], width: number): string[] {
  const names: string[] = [];
  const seen = new Map<string, number>();
  for (let k = 0; k < width; k++) {
    let name = (fields[k] ?? '').replace(/^\uFEFF/, '').trim();
    if (name === '') name = `column${k + 1}`;
    const key = name.toLowerCase();
    const count = (seen.get(key) ?? 0) + 1;
    seen.set(key, count);
    names.push(count === 1 ? name : `${name}_${count}`);
  }
  return names;
}
