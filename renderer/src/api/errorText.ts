import { ERROR_CODES, isErrorCode } from '../../../core/api/contract.js';

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

interface ErrorWords {
  code: string;
  title: string;
  message: string;
  hint: string;
  /** The file or dataset concerned, when the error names one. */
  file: string | null;
}


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

/**
 * The error of a job that ended without its result: the one the host sent, else CANCELLED for
 * a cancelled job and INTERNAL naming the job for any other (a host always sends one; this
 * keeps the views from inventing codes).
 */
export function failedJobError(error: ErrorLike | null | undefined, what: string, state: string = 'failed'): ErrorLike {
  if (error) return error;
  if (state === 'cancelled') return { code: 'CANCELLED', message: `${what} was cancelled`, details: {} };
  return { code: 'INTERNAL', message: `${what} ended ${state} without saying why`, details: {} };
}

/** The file a error concerns: `details.path`/`file`/`target`/`source`, when present. */
function errorFile(error: ErrorLike): string | null {
  for (const key of ['path', 'file', 'target', 'source', 'first']) {
    const value = error.details[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return null;
}

export function errorWords(error: unknown): ErrorWords {
  const e = asErrorLike(error);
  const words: { title: string; hint: string } = isErrorCode(e.code) ? ERROR_CODES[e.code] : { title: e.code.replace(/_/g, ' ').toLowerCase().replace(/^\w/, (c) => c.toUpperCase()), hint: '' };
  return { code: e.code, title: words.title, message: e.message, hint: words.hint, file: errorFile(e) };
}
