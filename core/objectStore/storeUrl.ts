import path from 'node:path';
import { BadRequestError, InvalidNameError } from '../errors.js';

/**
 * Where a store lives: a local folder (the default) or `s3://bucket/prefix` on any
 * S3-compatible service. The endpoint, region and credentials of an S3 store come from the
 * standard AWS environment variables and config files; this module reads only the two it
 * must know itself (the endpoint, which switches to path-style addressing, and the region
 * a custom endpoint falls back to) and leaves the rest to the SDK's default provider chain.
 */
export type StoreLocation =
  | { kind: 'local'; root: string }
  | {
      kind: 's3';
      bucket: string;
      /** '' or segments ending in '/': every key of the store is `prefix + key`. */
      prefix: string;
      /** AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL; undefined means AWS itself. */
      endpoint: string | undefined;
      /** AWS_REGION or AWS_DEFAULT_REGION; undefined lets the SDK read the profile's config. */
      region: string | undefined;
      /** true when an endpoint is given (MinIO, moto, Ceph and most others need it). */
      forcePathStyle: boolean;
    };

/** The longest object key S3 accepts, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;

/**
 * Parses a store's location: `input`, else `MES_DATA_STORE` in `env`, else the error.
 * A relative folder is resolved against `cwd`.
 */
export function parseStoreUrl(input: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): StoreLocation {
  const raw = input ?? env.MES_DATA_STORE;
  if (raw === undefined || raw.trim() === '') throw new BadRequestError('no store given: pass a folder or s3://bucket/prefix, or set MES_DATA_STORE', { input: raw ?? null });
  const text = raw.trim();
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: 'local', root: path.resolve(cwd, text) };
  if (scheme === 'file') return { kind: 'local', root: path.resolve(decodeURIComponent(text.slice('file://'.length))) };
  if (scheme !== 's3') throw new BadRequestError(`store URL ${text}: scheme ${scheme}:// is not supported; use a folder or s3://bucket/prefix (Google Cloud Storage through its S3-compatible endpoint)`, { input: text, scheme });
  const rest = text.slice('s3://'.length);
  if (/[?#]/.test(rest)) throw new BadRequestError(`store URL ${text}: a query or fragment is not allowed`, { input: text });
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const prefixPart = slash < 0 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
  assertBucketName(bucket, text);
  const prefix = prefixPart === '' ? '' : `${checkedKey(prefixPart, `the prefix of ${text}`)}/`;
  const endpoint = nonEmpty(env.AWS_ENDPOINT_URL_S3) ?? nonEmpty(env.AWS_ENDPOINT_URL);
  if (endpoint !== undefined && !/^https?:\/\/[^/\s]+/.test(endpoint)) throw new BadRequestError(`endpoint ${endpoint} (AWS_ENDPOINT_URL) is not an http:// or https:// URL`, { endpoint });
  const region = nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? (endpoint !== undefined ? 'us-east-1' : undefined);
  return { kind: 's3', bucket, prefix, endpoint, region, forcePathStyle: endpoint !== undefined };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/**
 * S3's rules for a bucket name: 3 to 63 characters of lowercase letters, digits, '.' and
 * '-', starting and ending with a letter or digit, no '..', not shaped like an IP address.
 */
export function assertBucketName(bucket: string, where: string = bucket): void {
  const refuse = (why: string): never => {
    throw new InvalidNameError(`bucket name ${JSON.stringify(bucket)} in ${where} is not allowed: ${why}`, { bucket, reason: why });
  };
  if (bucket.length < 3 || bucket.length > 63) refuse('it must be 3 to 63 characters long');
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(bucket)) refuse('use lowercase letters, digits, "." and "-", starting and ending with a letter or digit');
  if (bucket.includes('..') || bucket.includes('.-') || bucket.includes('-.')) refuse('no ".." and no "-" beside a "."');
  if (/^\d+\.\d+\.\d+\.\d+$/.test(bucket)) refuse('it must not look like an IP address');
}

/**
 * A key inside a store, checked: '/'-separated segments, none empty, '.' or '..', no leading
 * '/', no backslash or control character, at most 1024 bytes. Returns it unchanged.
 */
export function checkedKey(key: string, where = 'the key'): string {
  const refuse = (why: string): never => {
    throw new InvalidNameError(`${where} ${JSON.stringify(key)} is not allowed: ${why}`, { key, reason: why });
  };
  if (typeof key !== 'string' || key === '') refuse('it is empty');
  if (key.startsWith('/')) refuse('it starts with "/"');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(key)) refuse('it holds a control character or a backslash');
  for (const segment of key.split('/')) {
    if (segment === '') refuse('it has an empty segment ("//" or a trailing "/")');
    if (segment === '.' || segment === '..') refuse(`it has a "${segment}" segment`);
  }
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) refuse(`it is longer than ${MAX_KEY_BYTES} bytes`);
  return key;
}

/** A listing prefix: '' (everything) or a checked key, optionally ending in '/'. */
export function checkedListPrefix(prefix: string): string {
  if (prefix === '') return '';
  const trailing = prefix.endsWith('/');
  checkedKey(trailing ? prefix.slice(0, -1) : prefix, 'the listing prefix');
  return prefix;
}
