import { describe, expect, it } from 'vitest';
import {
  CorruptedFileError,
  DataTypeValidationError,
  MesDataError,
  LockedError,
  MissingRequiredColumnError,
  NotFoundError,
  SchemaMismatchError,
  UnsupportedFileError,
  errorFromJson,
  serializeError,
} from '../../core/errors.js';

describe('errors', () => {
  it('each class carries its stable code and serializes as {code, message, details}', () => {
    const cases: [MesDataError, string][] = [
      [new CorruptedFileError('bad', { path: 'a.parquet' }), 'CORRUPTED_FILE'],
      [new UnsupportedFileError('enc', { reason: 'encrypted' }), 'UNSUPPORTED_FILE'],
      [new NotFoundError('nope'), 'NOT_FOUND'],
      [new SchemaMismatchError('types'), 'SCHEMA_MISMATCH'],
      [new MissingRequiredColumnError('volume'), 'MISSING_REQUIRED_COLUMN'],
      [new DataTypeValidationError('close'), 'DATA_TYPE_VALIDATION'],
    ];
    for (const [error, code] of cases) {
      expect(error.code).toBe(code);
      expect(error).toBeInstanceOf(MesDataError);
      expect(error).toBeInstanceOf(Error);
      expect(JSON.parse(JSON.stringify(error))).toEqual({ code, message: error.message, details: error.details });
    }
    expect(new CorruptedFileError('bad').name).toBe('CorruptedFileError');
  });

  it('errorFromJson rebuilds the typed class; an unknown code is INTERNAL with its code kept', () => {
    const rebuilt = errorFromJson({ code: 'CORRUPTED_FILE', message: 'x.parquet is truncated', details: { path: 'x.parquet' } });
    expect(rebuilt).toBeInstanceOf(CorruptedFileError);
    expect(rebuilt.message).toBe('x.parquet is truncated');
    expect(rebuilt.details).toEqual({ path: 'x.parquet' });
    const other = errorFromJson({ code: 'SOMETHING_NEW', message: 'later', details: {} });
    expect(other.constructor).toBe(MesDataError);
    expect([other.code, other.details]).toEqual(['INTERNAL', { originalCode: 'SOMETHING_NEW' }]);
    expect(errorFromJson({ code: 'LOCKED', message: 'busy', details: { pid: 12 } })).toBeInstanceOf(LockedError);
  });

  it('serializeError turns foreign errors into INTERNAL', () => {
    expect(serializeError(new TypeError('boom'))).toEqual({ code: 'INTERNAL', message: 'boom', details: {} });
    expect(serializeError('text')).toEqual({ code: 'INTERNAL', message: 'text', details: {} });
    expect(serializeError(new NotFoundError('gone', { path: 'p' }))).toEqual({ code: 'NOT_FOUND', message: 'gone', details: { path: 'p' } });
  });
});
