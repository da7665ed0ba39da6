/**
 * Errors in words. The host sends `{code, message, details}`; the message already names the
 * real values (file, column, row). Here each stable code gets a short title saying what
 * kind of trouble it is and what a person can do about it, and the file it concerns is
 * pulled out of the details so the view can name it on its own line.
 */

export interface ErrorLike {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

export interface ErrorWords {
  code: string;
  title: string;
  message: string;
  hint: string;
  /** The file or dataset concerned, when the error names one. */
  file: string | null;
}

const WORDS: Record<string, { title: string; hint: string }> = {
  NOT_FOUND: { title: 'Not found', hint: 'Check the path; the data may have been moved or removed.' },
  BAD_REQUEST: { title: 'The request was refused', hint: '' },
  CORRUPTED_FILE: { title: 'The file is damaged', hint: 'It could not be decoded; it may be truncated or not a Parquet file.' },
  UNSUPPORTED_FILE: { title: 'The file uses something not supported yet', hint: '' },
  SCHEMA_MISMATCH: { title: 'The data does not match the schema', hint: '' },
  MISSING_REQUIRED_COLUMN: { title: 'A required column is missing', hint: '' },
  DATA_TYPE_VALIDATION: { title: 'A column has the wrong type', hint: 'Try the coerce mode to convert it.' },
  ALREADY_EXISTS: { title: 'It already exists', hint: 'Raw snapshots are write-once: different content for an existing snapshot is refused.' },
  LOCKED: { title: 'The store is busy', hint: 'Another window or command is writing to it; try again when it is done.' },
  VALIDATION_GATE: { title: 'The validation gate stopped it', hint: 'Fix the data, or choose "drop" to remove the offending rows.' },
  PARSE_ERROR: { title: 'The input could not be read', hint: 'See the bad rows for line numbers and reasons.' },
  INVALID_NAME: { title: 'That name is not allowed', hint: 'Use letters, digits, "." "_" and "-"; no separators or "..".' },
  CANCELLED: { title: 'Cancelled', hint: 'Nothing was written.' },
  JOB_CRASHED: { title: 'The job stopped unexpectedly', hint: 'Its thread crashed; the store is left as it was.' },
  UNAUTHORIZED: { title: 'This page lost its session', hint: 'Open the address the server printed (with its token) again.' },
  FORBIDDEN: { title: 'Refused by the server', hint: '' },
  PAYLOAD_TOO_LARGE: { title: 'Too large', hint: '' },
  NETWORK: { title: 'The app cannot reach its host', hint: 'Is `mes-data serve` still running?' },
  INTERNAL: { title: 'Something went wrong inside MES Data', hint: '' },
};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Any thrown value as `{code, message, details}`. */
export function asErrorLike(error: unknown): ErrorLike {
  if (isRecord(error) && typeof error.code === 'string' && typeof error.message === 'string') {
    return { code: error.code, message: error.message, details: isRecord(error.details) ? error.details : {} };
  }
  if (error instanceof TypeError && /fetch|network/i.test(error.message)) return { code: 'NETWORK', message: error.message, details: {} };
  if (error instanceof Error) return { code: 'INTERNAL', message: error.message || error.name, details: {} };
  return { code: 'INTERNAL', message: String(error), details: {} };
}

/** The file a error concerns: `details.path`/`file`/`target`/`source`, when present. */
export function errorFile(error: ErrorLike): string | null {
  for (const key of ['path', 'file', 'target', 'source', 'first']) {
    const value = error.details[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return null;
}

export function errorWords(error: unknown): ErrorWords {
  const e = asErrorLike(error);
  const words = WORDS[e.code] ?? { title: e.code.replace(/_/g, ' ').toLowerCase().replace(/^\w/, (c) => c.toUpperCase()), hint: '' };
  return { code: e.code, title: words.title, message: e.message, hint: words.hint, file: errorFile(e) };
}

/** One line: `NOT_FOUND: no dataset at raw/ES`. */
export function errorLine(error: unknown): string {
  const e = asErrorLike(error);
  return `${e.code}: ${e.message}`;
}

/** The job kinds the host does not run yet answer BAD_REQUEST with this phrase. */
export function isNotAvailableYet(error: unknown): boolean {
  const e = asErrorLike(error);
  return e.code === 'BAD_REQUEST' && /not available in this build yet/i.test(e.message);
}
