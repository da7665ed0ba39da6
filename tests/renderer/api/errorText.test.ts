import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../core/api/contract.js';
import { asErrorLike, errorWords, failedJobError } from '../../../renderer/src/api/errorText.ts';

describe('errorText', () => {
  it('puts a code into words and names the file', () => {
    const words = errorWords({ code: 'CORRUPTED_FILE', message: 'bad magic in raw/MES/2024-01-03/x.parquet', details: { path: 'raw/MES/2024-01-03/x.parquet' } });
    expect(words).toEqual({
      code: 'CORRUPTED_FILE',
      title: 'The file is damaged',
      message: 'bad magic in raw/MES/2024-01-03/x.parquet',
      hint: 'It could not be decoded; it may be truncated or not a Parquet file.',
      file: 'raw/MES/2024-01-03/x.parquet',
    });
  });

  it('words unknown codes from the code itself', () => {
    expect(errorWords({ code: 'SOMETHING_NEW', message: 'm', details: {} }).title).toBe('Something new');
  });

  it('turns anything thrown into code and message', () => {
    expect(asErrorLike(new TypeError('Failed to fetch'))).toEqual({ code: 'NETWORK', message: 'Failed to fetch', details: {} });
    expect(asErrorLike(new Error('boom'))).toEqual({ code: 'INTERNAL', message: 'boom', details: {} });
    expect(asErrorLike('text')).toEqual({ code: 'INTERNAL', message: 'text', details: {} });
  });

  it('takes its words from the one table of codes the hosts use', () => {
    expect(errorWords({ code: 'SYMLINK', message: 'raw/MES is a link', details: { path: 'raw/MES' } })).toMatchObject({ title: 'A link inside the store was refused', file: 'raw/MES' });
    expect(errorWords({ code: 'ENGINE_ERROR', message: 'x', details: {} }).title).toBe('The query engine failed');
  });


  it("a job's error without one from the host is a code of the table, never one made up from its state", () => {
    const sent = { code: 'VALIDATION_GATE', message: 'the gate refused', details: { path: 'raw/MES' } };
    expect(failedJobError(sent, 'the promote job', 'failed')).toBe(sent);
    expect(failedJobError(null, 'the promote job')).toEqual({ code: 'INTERNAL', message: 'the promote job ended failed without saying why', details: {} });
    expect(failedJobError(undefined, 'the validation job', 'cancelled')).toEqual({ code: 'CANCELLED', message: 'the validation job was cancelled', details: {} });
    for (const state of ['failed', 'cancelled', 'running']) expect(Object.keys(ERROR_CODES)).toContain(failedJobError(null, 'a job', state).code);
  });
});
