import fs from 'node:fs';
import path from 'node:path';

/**
 * The Apache Parquet conformance corpus: `$MES_DATA_CORPUS`, else
 * `../shared/corpus/parquet-testing` beside the checkout. Tests read it in place.
 */
export const CORPUS_ROOT = path.resolve(
  process.env.MES_DATA_CORPUS ?? path.resolve(import.meta.dirname, '../../../shared/corpus/parquet-testing'),
);

/** A file of the corpus by its relative path; a missing corpus fails with where it was looked for. */
export function corpusFile(relative: string): string {
  if (!fs.existsSync(CORPUS_ROOT)) {
    throw new Error(`the Parquet test corpus is not at ${CORPUS_ROOT}; set MES_DATA_CORPUS to its folder (the one holding data/ and bad_data/)`);
  }
  return path.join(CORPUS_ROOT, relative);
}
