import { ERROR_CODES, isErrorCode } from '../core/errorCodes.js';

/** Exit codes of the `mes-data` command, by error code (see docs/cli.md). */
export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;
const EXIT_INTERNAL = 10;

/** The exit code of an error code, from the one table (core/errorCodes.ts); unknown codes are internal. */
export function exitCodeFor(code: string): number {
  return isErrorCode(code) ? ERROR_CODES[code].exit : EXIT_INTERNAL;
}
