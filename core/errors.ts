/**
 * Errors are data: every failure that crosses a boundary (worker, IPC, HTTP, CLI) is a
 * `MesDataError` with a stable machine-readable `code`, a message that carries the real
 * values (path, column, row, expected vs found) and `details` for programs.
 */

import { isErrorCode, type ErrorCode } from './errorCodes.js';

export type ErrorDetails = Record<string, unknown>;

export interface SerializedError {
  code: string;
  message: string;
  details: ErrorDetails;
}

export class MesDataError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  /** `code` comes from the one table of codes (core/errorCodes.ts): exit code, HTTP status, words. */
  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }

  toJSON(): SerializedError {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** Truncated, garbage, bad-magic or undecodable file. */
export class CorruptedFileError extends MesDataError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('CORRUPTED_FILE', message, details);
  }
}

/** A valid file that uses something MES Data cannot decode yet; `details.reason` says what. */
export class UnsupportedFileError extends MesDataError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('UNSUPPORTED_FILE', message, details);
  }
}

export class NotFoundError extends MesDataError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('NOT_FOUND', message, details);
  }
}

/** A request or argument that is malformed before any work starts. */
export class BadRequestError extends MesDataError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('BAD_REQUEST', message, details);
  }
}

/** Data does not match a schema (types, columns). */
export class SchemaMismatchError extends MesDataError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('SCHEMA_MISMATCH', message, details);
  }
}

export class MissingRequiredColumnError extends MesDataError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('MISSING_REQUIRED_COLUMN', message, details);
  }
}

export class DataTypeValidationError extends MesDataError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('DATA_TYPE_VALIDATION', message, details);
  }
}

/** Write-once data or a name that is taken: `details` carries both sides (e.g. both hashes). */
export class AlreadyExistsError extends MesDataError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ALREADY_EXISTS', message, details);
  }
}

/** Another live process holds the store's writer lock. */
export class LockedError extends MesDataError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('LOCKED', message, details);
  }
}

/** An asset, feature-set or file name that could escape its folder or is not printable. */
export class InvalidNameError extends MesDataError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('INVALID_NAME', message, details);
  }
}

/** Input text that cannot be parsed (CSV, timestamps, numbers); `details` names line and field. */
export class ParseError extends MesDataError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('PARSE_ERROR', message, details);
  }
}

/** Promotion refused: validation found errors; `details.report` is the validation report. */
export class ValidationGateError extends MesDataError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('VALIDATION_GATE', message, details);
  }
}

/** A job was cancelled before it finished; nothing it would have written was kept. */
export class CancelledError extends MesDataError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('CANCELLED', message, details);
  }
}

const CLASSES: Partial<Record<ErrorCode, new (message: string, details?: ErrorDetails) => MesDataError>> = {
  CORRUPTED_FILE: CorruptedFileError,
  UNSUPPORTED_FILE: UnsupportedFileError,
  NOT_FOUND: NotFoundError,
  BAD_REQUEST: BadRequestError,
  SCHEMA_MISMATCH: SchemaMismatchError,
  MISSING_REQUIRED_COLUMN: MissingRequiredColumnError,
  DATA_TYPE_VALIDATION: DataTypeValidationError,
  ALREADY_EXISTS: AlreadyExistsError,
  LOCKED: LockedError,
  INVALID_NAME: InvalidNameError,
  PARSE_ERROR: ParseError,
  VALIDATION_GATE: ValidationGateError,
  CANCELLED: CancelledError,
};

/** Rebuilds the typed error from its serialized form (the inverse of `toJSON`). */
export function errorFromJson(error: SerializedError): MesDataError {
  // a code this build does not know (a newer host) arrives as INTERNAL, its own code kept in details
  if (!isErrorCode(error.code)) return new MesDataError('INTERNAL', error.message, { ...error.details, originalCode: error.code });
  const Class = CLASSES[error.code];
  return Class ? new Class(error.message, error.details) : new MesDataError(error.code, error.message, error.details);
}

/** Any thrown value as `{code, message, details}`; unknown errors become `INTERNAL`. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof MesDataError) return error.toJSON();
  if (error instanceof Error) return { code: 'INTERNAL', message: error.message, details: {} };
  return { code: 'INTERNAL', message: String(error), details: {} };
}
