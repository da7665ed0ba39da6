import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MesDataError } from '../../../core/errors.js';
import { checkedKey, checkedListPrefix, parseStoreUrl } from '../../../core/objectStore/storeUrl.js';

function refusal(run: () => unknown): [string, unknown] {
  try {
    run();
  } catch (error) {
    if (error instanceof MesDataError) return [error.code, error.details.reason ?? error.details.scheme ?? null];
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('store URLs', () => {
  it('reads a folder (the default), a file:// URL and an s3:// URL with its prefix', () => {
    expect(parseStoreUrl('lake', {}, '/srv/data')).toEqual({ kind: 'local', root: path.resolve('/srv/data/lake') });
    expect(parseStoreUrl('file:///srv/my%20lake', {})).toEqual({ kind: 'local', root: path.resolve('/srv/my lake') });
    expect(parseStoreUrl('s3://team-lake/mes/prod/', {})).toEqual({ kind: 's3', bucket: 'team-lake', prefix: 'mes/prod/', endpoint: undefined, region: undefined, forcePathStyle: false });
    expect(parseStoreUrl('s3://team-lake', { AWS_REGION: 'eu-west-1' })).toEqual({ kind: 's3', bucket: 'team-lake', prefix: '', endpoint: undefined, region: 'eu-west-1', forcePathStyle: false });
  });

  it('takes MES_DATA_STORE when no store is given, and the endpoint (path-style) and region from the AWS variables', () => {
    const env = { MES_DATA_STORE: 's3://lake.v2/a', AWS_ENDPOINT_URL: 'http://127.0.0.1:9000', AWS_DEFAULT_REGION: 'auto' };
    expect(parseStoreUrl(undefined, env)).toEqual({ kind: 's3', bucket: 'lake.v2', prefix: 'a/', endpoint: 'http://127.0.0.1:9000', region: 'auto', forcePathStyle: true });
    // the S3-specific endpoint wins; a custom endpoint without a region gets us-east-1
    expect(parseStoreUrl('s3://lake/a', { AWS_ENDPOINT_URL: 'http://a:1', AWS_ENDPOINT_URL_S3: 'https://b:2' })).toMatchObject({ endpoint: 'https://b:2', region: 'us-east-1', forcePathStyle: true });
    expect(parseStoreUrl('given', { MES_DATA_STORE: 's3://lake/x' }, '/w')).toEqual({ kind: 'local', root: path.resolve('/w/given') });
  });

  it('refuses bad buckets, prefixes, schemes and endpoints', () => {
    expect(refusal(() => parseStoreUrl(undefined, {}))).toEqual(['BAD_REQUEST', null]);
    expect(refusal(() => parseStoreUrl('gs://lake/a', {}))).toEqual(['BAD_REQUEST', 'gs']);
    expect(refusal(() => parseStoreUrl('s3://ab/a', {}))[0]).toBe('INVALID_NAME');
    expect(refusal(() => parseStoreUrl('s3://Team/a', {}))[0]).toBe('INVALID_NAME');
    expect(refusal(() => parseStoreUrl('s3://a..b/a', {}))[0]).toBe('INVALID_NAME');
    expect(refusal(() => parseStoreUrl('s3://192.168.1.10/a', {}))[0]).toBe('INVALID_NAME');
    expect(refusal(() => parseStoreUrl('s3:///a', {}))[0]).toBe('INVALID_NAME');
    expect(refusal(() => parseStoreUrl('s3://lake/a/../b', {}))).toEqual(['INVALID_NAME', 'it has a ".." segment']);
    expect(refusal(() => parseStoreUrl('s3://lake/a//b', {}))).toEqual(['INVALID_NAME', 'it has an empty segment ("//" or a trailing "/")']);
    expect(refusal(() => parseStoreUrl('s3://lake/a?versionId=1', {}))).toEqual(['BAD_REQUEST', null]);
    expect(refusal(() => parseStoreUrl('s3://lake/a', { AWS_ENDPOINT_URL: 'localhost:9000' }))).toEqual(['BAD_REQUEST', null]);
  });
});

describe('keys inside a store', () => {
  it('keeps a key that stays inside the prefix and refuses one that could leave it', () => {
    expect(checkedKey('cleaned/MES/v1/data.parquet')).toBe('cleaned/MES/v1/data.parquet');
    expect(checkedKey('.hidden/x')).toBe('.hidden/x');
    const reasons = ['', '/abs', '../up', 'a/../b', 'a/./b', 'a//b', 'a/', 'a\\b', 'a\u0000b', 'x'.repeat(1025)].map((key) => refusal(() => checkedKey(key)));
    expect(reasons).toEqual([
      ['INVALID_NAME', 'it is empty'],
      ['INVALID_NAME', 'it starts with "/"'],
      ['INVALID_NAME', 'it has a ".." segment'],
      ['INVALID_NAME', 'it has a ".." segment'],
      ['INVALID_NAME', 'it has a "." segment'],
      ['INVALID_NAME', 'it has an empty segment ("//" or a trailing "/")'],
      ['INVALID_NAME', 'it has an empty segment ("//" or a trailing "/")'],
      ['INVALID_NAME', 'it holds a control character or a backslash'],
      ['INVALID_NAME', 'it holds a control character or a backslash'],
      ['INVALID_NAME', 'it is longer than 1024 bytes'],
    ]);
    expect([checkedListPrefix(''), checkedListPrefix('raw/'), checkedListPrefix('raw/ME')]).toEqual(['', 'raw/', 'raw/ME']);
    expect(refusal(() => checkedListPrefix('../'))).toEqual(['INVALID_NAME', 'it has a ".." segment']);
  });
});
