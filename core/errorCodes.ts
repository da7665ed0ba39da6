/**
 * Every error code MES Data sends across a boundary, once: the `mes-data` exit code, the
 * browser-mode host's HTTP status, and the words the app shows (a title saying what kind of
 * trouble it is, a hint saying what a person can do). `MesDataError` takes only these
 * codes, so a code without its exit code, status and words does not compile.
 */
export const ERROR_CODES = {
  BAD_REQUEST: { exit: 2, http: 400, title: 'The request was refused', hint: '' },
  INVALID_NAME: { exit: 2, http: 400, title: 'That name is not allowed', hint: 'Use letters, digits, "." "_" and "-"; no separators or "..".' },
  UNAUTHORIZED: { exit: 2, http: 401, title: 'This page lost its session', hint: 'Open the address the server printed (with its token) again.' },
  FORBIDDEN: { exit: 2, http: 403, title: 'Refused by the server', hint: '' },
  PAYLOAD_TOO_LARGE: { exit: 2, http: 413, title: 'Too large', hint: '' },
  NOT_FOUND: { exit: 3, http: 404, title: 'Not found', hint: 'Check the path; the data may have been moved or removed.' },
  CORRUPTED_FILE: { exit: 4, http: 422, title: 'The file is damaged', hint: 'It could not be decoded; it may be truncated or not a Parquet file.' },
  UNSUPPORTED_FILE: { exit: 4, http: 422, title: 'The file uses something not supported yet', hint: '' },
  CORRUPTED_STORE: { exit: 4, http: 422, title: 'The store folder is damaged or was prepared by someone else', hint: 'Nothing in it was applied; see docs/security.md.' },
  SYMLINK: { exit: 4, http: 422, title: 'A link inside the store was refused', hint: 'Stores hold real files and folders only; see docs/security.md.' },
  SCHEMA_MISMATCH: { exit: 5, http: 422, title: 'The data does not match the schema', hint: '' },
  MISSING_REQUIRED_COLUMN: { exit: 5, http: 422, title: 'A required column is missing', hint: '' },
  DATA_TYPE_VALIDATION: { exit: 5, http: 422, title: 'A column has the wrong type', hint: 'Try the coerce mode to convert it.' },
  ALREADY_EXISTS: { exit: 6, http: 409, title: 'It already exists', hint: 'Raw snapshots are write-once: different content for an existing snapshot is refused.' },
  LOCKED: { exit: 6, http: 409, title: 'The store is busy', hint: 'Another window or command is writing to it; try again when it is done.' },
  STORE_NEEDS_MIGRATION: { exit: 6, http: 409, title: 'The store has an older format', hint: 'Run `mes-data migrate --store <folder>` once to convert it in place; nothing is lost.' },
  VALIDATION_GATE: { exit: 6, http: 409, title: 'The validation gate stopped it', hint: 'Fix the data, or choose "drop" to remove the offending rows.' },
  PARSE_ERROR: { exit: 7, http: 422, title: 'The input could not be read', hint: 'See the bad rows for line numbers and reasons.' },
  CANCELLED: { exit: 10, http: 500, title: 'Cancelled', hint: 'Nothing was written.' },
  TIMEOUT: { exit: 10, http: 500, title: 'It took too long', hint: '' },
  JOB_CRASHED: { exit: 10, http: 500, title: 'The job stopped unexpectedly', hint: 'Its thread crashed; the store is left as it was.' },
  IO_ERROR: { exit: 10, http: 500, title: 'A file could not be read or written', hint: '' },
  WRITE_FAILED: { exit: 10, http: 500, title: 'Writing failed', hint: 'Nothing was kept; check the free space and the permissions.' },
  ENGINE_ERROR: { exit: 10, http: 500, title: 'The query engine failed', hint: '' },
  QUERY_ERROR: { exit: 2, http: 422, title: 'The query could not run', hint: 'DuckDB says why, and where in the query.' },
  /** the app could not reach its host (made in the page, never sent by a host) */
  NETWORK: { exit: 10, http: 503, title: 'The app cannot reach its host', hint: 'Is `mes-data serve` still running?' },
  /** an object store (S3 and compatible services) did not answer, after retries with backoff */
  UNAVAILABLE: { exit: 10, http: 503, title: 'The storage service cannot be reached', hint: 'Requests were retried with backoff; check the network, the endpoint and the service status.' },
  INTERNAL: { exit: 10, http: 500, title: 'Something went wrong inside MES Data', hint: '' },
} as const satisfies Record<string, { exit: number; http: number; title: string; hint: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

/** What a code means at the boundaries; an unknown code is treated as INTERNAL. */
export function errorCodeInfo(code: string): (typeof ERROR_CODES)[ErrorCode] {
  return isErrorCode(code) ? ERROR_CODES[code] : ERROR_CODES.INTERNAL;
}
