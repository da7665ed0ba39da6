import { describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../cli/exitCodes.js';
import { ERROR_CODES, errorCodeInfo, isErrorCode } from '../../core/errorCodes.js';
import { errorFromJson, MesDataError } from '../../core/errors.js';

describe('the one table of error codes', () => {
  it('gives the exit codes of the CLI contract', () => {
    expect(['BAD_REQUEST', 'NOT_FOUND', 'CORRUPTED_FILE', 'UNSUPPORTED_FILE', 'SCHEMA_MISMATCH', 'MISSING_REQUIRED_COLUMN', 'DATA_TYPE_VALIDATION', 'ALREADY_EXISTS', 'LOCKED', 'VALIDATION_GATE', 'PARSE_ERROR', 'INTERNAL'].map(exitCodeFor)).toEqual([2, 3, 4, 4, 5, 5, 5, 6, 6, 6, 7, 10]);
    expect(exitCodeFor('NO_SUCH_CODE')).toBe(10);
    expect({ exit: exitCodeFor('STORE_NEEDS_MIGRATION'), http: errorCodeInfo('STORE_NEEDS_MIGRATION').http }).toEqual({ exit: 6, http: 409 });
  });

  it('gives HTTP statuses, and INTERNAL for a code it does not know', () => {
    expect([errorCodeInfo('BAD_REQUEST').http, errorCodeInfo('UNAUTHORIZED').http, errorCodeInfo('NOT_FOUND').http, errorCodeInfo('LOCKED').http, errorCodeInfo('PAYLOAD_TOO_LARGE').http, errorCodeInfo('PARSE_ERROR').http, errorCodeInfo('??').http]).toEqual([400, 401, 404, 409, 413, 422, 500]);
  });

  it('has words for every code, and a serialized error with an unknown code comes back as INTERNAL', () => {
    for (const [code, info] of Object.entries(ERROR_CODES)) expect(info.title, code).not.toBe('');
    expect(isErrorCode('SYMLINK')).toBe(true);
    const back = errorFromJson({ code: 'FROM_THE_FUTURE', message: 'm', details: { a: 1 } });
    expect(back).toBeInstanceOf(MesDataError);
    expect([back.code, back.message, back.details]).toEqual(['INTERNAL', 'm', { a: 1, originalCode: 'FROM_THE_FUTURE' }]);
  });
});
