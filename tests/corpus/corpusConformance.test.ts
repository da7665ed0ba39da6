/**
 * Conformance over the Apache parquet-testing corpus, read in place (tests/helpers/corpus.ts:
 * `$MES_DATA_CORPUS` or ../shared/corpus/parquet-testing beside the checkout). Every
 * `*.parquet` / `*.parquet.encrypted` file under data/ and every `*.parquet` under bad_data/
 * must have an entry in corpusGolden.json and every entry must have a file. A readable file is checked for its row count, its column
 * names and Arrow types, and a few exact values in the CLI's JSON form, read both from the
 * whole table and through `readRows` paging; an unreadable one for its exact error code and
 * a message that names the file. How the golden was made and cross-checked: README.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Table } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { tableToJsonRows, type JsonValue } from '../../core/arrow/arrowJson.js';
import { MesDataError } from '../../core/errors.js';
import { DecoderPool } from '../../core/parquet/decoderPool.js';
import { openParquetFile, type ParquetHandle } from '../../core/parquet/parquetFile.js';
import { CORPUS_REQUIRED, CORPUS_ROOT, corpusMissingReason, skipWithoutCorpus } from '../helpers/corpus.js';

interface ColumnGolden {
  name: string;
  type: string;
}

interface ReadGolden {
  rows: number;
  columns: ColumnGolden[];
  /** Row index → column → the value as the CLI prints it. */
  values: Record<string, Record<string, JsonValue>>;
}

interface ErrorGolden {
  error: 'CORRUPTED_FILE' | 'UNSUPPORTED_FILE';
  reason: string;
}

type Golden = ReadGolden | ErrorGolden;

/**
 * Where MES Data is known to disagree with the golden (which holds the value the corpus
 * documentation and DuckDB give). Each deviation is asserted to be still present, so a
 * fix in core fails this test until its entry here is removed. See README.md.
 */
interface KnownIssue {
  /** What is wrong, for the failure message. */
  issue: string;
  /** Row → column → the (wrong) value we print today. */
  values?: Record<string, Record<string, JsonValue>>;
  /** `ParquetHandle.numRows` today, when it differs from the real row count. */
  footerRows?: number;
  /** `readRows(offset, 1)` returns the whole file instead of one row. */
  readRowsReturnsWholeFile?: boolean;
}

const KNOWN_ISSUES: Record<string, KnownIssue> = {};

/** What the corpus gives today; a change here is a change in what MES Data can read. */
const EXPECTED_SUMMARY = {
  data: { read: 73, UNSUPPORTED_FILE: 14, CORRUPTED_FILE: 1 },
  bad_data: { read: 1, UNSUPPORTED_FILE: 0, CORRUPTED_FILE: 7 },
};

const GOLDEN = JSON.parse(fs.readFileSync(new URL('./corpusGolden.json', import.meta.url), 'utf8')) as Record<string, Golden>;

function walk(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? walk(path.join(dir, entry.name)) : [path.join(dir, entry.name)]));
}

/** Corpus files under test, relative to the corpus root with forward slashes, sorted. */
function corpusFiles(): string[] {
  if (!fs.existsSync(path.join(CORPUS_ROOT, 'data'))) {
    throw new Error(`the parquet-testing corpus is missing: expected it at ${CORPUS_ROOT} (set MES_DATA_CORPUS to move it)`);
  }
  const data = walk(path.join(CORPUS_ROOT, 'data')).filter((f) => f.endsWith('.parquet') || f.endsWith('.parquet.encrypted'));
  const bad = walk(path.join(CORPUS_ROOT, 'bad_data')).filter((f) => f.endsWith('.parquet'));
  return [...data, ...bad].map((f) => path.relative(CORPUS_ROOT, f).split(path.sep).join('/')).sort();
}

function isError(golden: Golden): golden is ErrorGolden {
  return 'error' in golden;
}

function columnsOf(table: { schema: { fields: { name: string; type: unknown }[] } }): ColumnGolden[] {
  return table.schema.fields.map((field) => ({ name: field.name, type: String(field.type) }));
}

/** One row as the CLI prints it (through JSON, so -0 prints as 0 like everywhere else). */
function jsonRow(table: Table): Record<string, JsonValue> {
  return JSON.parse(JSON.stringify(tableToJsonRows(table)[0])) as Record<string, JsonValue>;
}

// without the corpus (a fresh clone without ../shared) every test here is skipped with the
// reason; in CI corpusFiles() throws instead, and the file fails
const MISSING = CORPUS_REQUIRED ? null : corpusMissingReason();
const FILES = MISSING === null ? corpusFiles() : [];
const decoder = new DecoderPool();
/** file → 'read' or the error code it gave */
const outcomes = new Map<string, string>();

afterAll(async () => {
  await decoder.close();
});

describe('parquet-testing corpus', () => {
  it('has a golden entry for every corpus file and a corpus file for every golden entry', (context) => {
    skipWithoutCorpus(context);
    const golden = Object.keys(GOLDEN).sort();
    expect({
      filesWithoutGolden: FILES.filter((f) => !golden.includes(f)),
      goldenWithoutFile: golden.filter((f) => !FILES.includes(f)),
      knownIssuesWithoutGolden: Object.keys(KNOWN_ISSUES).filter((f) => !golden.includes(f)),
    }).toEqual({ filesWithoutGolden: [], goldenWithoutFile: [], knownIssuesWithoutGolden: [] });
  });

  for (const file of FILES.filter((f) => f in GOLDEN)) {
    const golden = GOLDEN[file];
    const absolute = path.join(CORPUS_ROOT, file);

    if (isError(golden)) {
      it(`${file} fails with ${golden.error}`, async () => {
        let failure: unknown = null;
        try {
          const handle = await openParquetFile(absolute, { decoder });
          await handle.readAll();
        } catch (error) {
          failure = error;
        }
        if (!(failure instanceof MesDataError)) {
          outcomes.set(file, failure === null ? 'read' : 'INTERNAL');
          expect.fail(`expected ${golden.error} (${golden.reason}), got ${failure === null ? 'a table' : failure instanceof Error ? failure.message : 'a non-Error throw'}`);
        }
        outcomes.set(file, failure.code);
        expect(failure.code, failure.message).toBe(golden.error);
        expect(failure.message).toContain(absolute);
      });
      continue;
    }

    it(`${file} reads ${golden.rows} row${golden.rows === 1 ? '' : 's'}`, async () => {
      const known = KNOWN_ISSUES[file];
      let handle: ParquetHandle;
      let table: Table;
      try {
        handle = await openParquetFile(absolute, { decoder });
        table = await handle.readAll();
      } catch (error) {
        outcomes.set(file, error instanceof MesDataError ? error.code : 'INTERNAL');
        throw error;
      }
      outcomes.set(file, 'read');

      expect(table.numRows).toBe(golden.rows);
      expect(handle.numRows, known?.issue).toBe(known?.footerRows ?? golden.rows);
      expect(columnsOf(handle)).toEqual(golden.columns);
      expect(columnsOf(table)).toEqual(golden.columns);

      for (const [key, expected] of Object.entries(golden.values)) {
        const index = Number(key);
        const row = jsonRow(table.slice(index, index + 1));
        expect(Object.keys(row)).toEqual(golden.columns.map((c) => c.name));
        for (const [column, value] of Object.entries(expected)) {
          const wrong = known?.values?.[key]?.[column];
          if (wrong === undefined) {
            expect(row[column], `row ${key}, column ${column}`).toEqual(value);
          } else {
            // still wrong in the way recorded in KNOWN_ISSUES (remove the entry once fixed)
            expect(row[column], `row ${key}, column ${column}: ${known?.issue}`).toEqual(wrong);
            expect(row[column]).not.toEqual(value);
          }
        }

        const page = await handle.readRows(index, 1);
        if (known?.readRowsReturnsWholeFile) {
          expect(page.numRows, known.issue).toBe(golden.rows);
        } else {
          expect(page.numRows, `readRows(${index}, 1)`).toBe(1);
          expect(columnsOf(page)).toEqual(golden.columns);
          expect(jsonRow(page), `readRows(${index}, 1)`).toEqual(row);
        }
      }
    });
  }

  it('summary: files read, unsupported and corrupted', (context) => {
    skipWithoutCorpus(context);
    const count = (prefix: string) => {
      const files = [...outcomes].filter(([file]) => file.startsWith(prefix));
      const of = (code: string) => files.filter(([, outcome]) => outcome === code).length;
      return { read: of('read'), UNSUPPORTED_FILE: of('UNSUPPORTED_FILE'), CORRUPTED_FILE: of('CORRUPTED_FILE') };
    };
    const fromGolden = (prefix: string) => {
      const entries = Object.entries(GOLDEN).filter(([file]) => file.startsWith(prefix));
      const of = (code: string) => entries.filter(([, g]) => (isError(g) ? g.error : 'read') === code).length;
      return { read: of('read'), UNSUPPORTED_FILE: of('UNSUPPORTED_FILE'), CORRUPTED_FILE: of('CORRUPTED_FILE') };
    };
    expect(outcomes.size, 'every corpus file was tried').toBe(FILES.length);
    expect({ data: count('data/'), bad_data: count('bad_data/') }).toEqual(EXPECTED_SUMMARY);
    expect({ data: fromGolden('data/'), bad_data: fromGolden('bad_data/') }).toEqual(EXPECTED_SUMMARY);
  });
});
