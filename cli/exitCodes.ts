/** Exit codes of the `mes-data` command, by error code (see docs/cli.md). */
export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 10;

const BY_CODE: Record<string, number> = {
  BAD_REQUEST: EXIT_USAGE,
  INVALID_NAME: EXIT_USAGE,
  NOT_FOUND: 3,
  CORRUPTED_FILE: 4,
  UNSUPPORTED_FILE: 4,
  // the store itself is damaged or was prepared by someone else (docs/security.md)
  CORRUPTED_STORE: 4,
  SYMLINK: 4,
  FORBIDDEN: EXIT_USAGE,
  SCHEMA_MISMATCH: 5,
  MISSING_REQUIRED_COLUMN: 5,
  DATA_TYPE_VALIDATION: 5,
  ALREADY_EXISTS: 6,
  LOCKED: 6,
  VALIDATION_GATE: 6,
  PARSE_ERROR: 7,
};

export function exitCodeFor(code: string): number {
  return BY_CODE[code] ?? EXIT_INTERNAL;
}
