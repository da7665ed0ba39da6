import fs from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'vitest';

/**
 * The Apache Parquet conformance corpus: `$MES_DATA_CORPUS`, else
 * `../shared/corpus/parquet-testing` beside the checkout. Tests read it in place.
 */
export const CORPUS_ROOT = path.resolve(
  process.env.MES_DATA_CORPUS ?? path.resolve(import.meta.dirname, '../../../shared/corpus/parquet-testing'),
);

/**
 * In CI (`CI` set to true or 1) the corpus is required: a missing corpus fails the tests
 * that read it. Elsewhere (a fresh clone without ../shared) those tests are skipped, with
 * the reason printed by `npm test`.
 */
export const CORPUS_REQUIRED = process.env.CI === 'true' || process.env.CI === '1';

/** Why the corpus cannot be read, or null when it is there. */
export function corpusMissingReason(): string | null {
  if (fs.existsSync(path.join(CORPUS_ROOT, 'data'))) return null;
  return `the Parquet test corpus is not at ${CORPUS_ROOT}; set MES_DATA_CORPUS to its folder (the one holding data/ and bad_data/)`;
}

/**
 * Skips the running test when the corpus is missing and not required, recording the
 * reason in the test's meta (`skipReason`, which scripts/test.mjs prints) and in the
 * reporter's note. In CI it does nothing, so the test fails on the missing files.
 */
export function skipWithoutCorpus(context: TestContext): void {
  const reason = corpusMissingReason();
  if (reason === null || CORPUS_REQUIRED) return;
  (context.task.meta as Record<string, unknown>).skipReason = reason;
  context.skip(reason);
}

/** A file of the corpus by its relative path; a missing corpus fails with where it was looked for. */
export function corpusFile(relative: string): string {
  if (!fs.existsSync(CORPUS_ROOT)) {
    throw new Error(`the Parquet test corpus is not at ${CORPUS_ROOT}; set MES_DATA_CORPUS to its folder (the one holding data/ and bad_data/)`);
  }
  return path.join(CORPUS_ROOT, relative);
}
