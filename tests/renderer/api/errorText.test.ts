import { describe, expect, it } from 'vitest';
import { asErrorLike, errorWords } from '../../../renderer/src/api/errorText.ts';

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

});
