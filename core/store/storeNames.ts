import { InvalidNameError } from '../errors.js';

/**
 * Names that become folder and file names inside the store. Every name is checked before
 * anything touches the disk, so that no name can escape its folder, hide itself, look like
 * a Hive partition to DuckDB or Spark, or carry characters a terminal would interpret.
 */

/** Longest asset, feature-set or file name accepted, in characters. */
export const MAX_NAME_LENGTH = 100;

// C0 and C1 control characters and DEL
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const ASSET = /^[A-Z0-9._-]+$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

type NameKind = 'asset' | 'feature set' | 'file name';

function fail(kind: NameKind, value: string, why: string): never {
  throw new InvalidNameError(`invalid ${kind} ${JSON.stringify(value)}: ${why}`, { kind, value, reason: why });
}

/** The checks every kind of name shares: not empty, not too long, no `..`, separators or control characters. */
function checkCommon(kind: NameKind, value: unknown): string {
  if (typeof value !== 'string') throw new InvalidNameError(`invalid ${kind}: expected a string, got ${typeof value}`, { kind, value: String(value), reason: 'not a string' });
  if (value.length === 0) fail(kind, value, 'it is empty');
  if (value.length > MAX_NAME_LENGTH) fail(kind, value, `it is ${value.length} characters long; the limit is ${MAX_NAME_LENGTH}`);
  if (value.includes('..')) fail(kind, value, 'it contains ".."');
  if (value.includes('/') || value.includes('\\')) fail(kind, value, 'it contains a path separator');
  if (CONTROL.test(value)) fail(kind, value, 'it contains a control character');
  if (value.startsWith('.')) fail(kind, value, 'it starts with "." (a hidden name)');
  return value;
}

/** An asset symbol: upper-case A–Z, digits, `.`, `_`, `-` (for example `MES`, `ES.FUT`). Throws INVALID_NAME. */
export function checkAssetName(value: unknown): string {
  const name = checkCommon('asset', value);
  if (!ASSET.test(name)) fail('asset', name, 'use upper-case letters A–Z, digits, ".", "_" and "-" only');
  return name;
}

/** A feature-set name such as `price_volatility`. Throws INVALID_NAME. */
export function checkFeatureSetName(value: unknown): string {
  const name = checkCommon('feature set', value);
  // a folder called key=value is read as a Hive partition by DuckDB, Spark and pyarrow
  if (name.includes('=')) fail('feature set', name, 'it contains "=" (it would read as a Hive partition)');
  if (/^v\d+$/.test(name)) fail('feature set', name, 'it looks like a version folder');
  return name;
}

/** A snapshot's file name, with or without `.parquet`. Throws INVALID_NAME. */
export function checkFileName(value: unknown): string {
  const name = checkCommon('file name', value);
  if (name === 'metadata.json') fail('file name', name, 'it is the name of the sidecar');
  return name;
}

/** The Parquet file name of a raw snapshot called `name` (`ohlcv` and `ohlcv.parquet` both give `ohlcv.parquet`). */
export function parquetFileName(name: string): string {
  checkFileName(name);
  // always a lower-case extension: DuckDB's and Spark's *.parquet globs are case-sensitive
  return name.toLowerCase().endsWith('.parquet') ? `${name.slice(0, -'.parquet'.length)}.parquet` : `${name}.parquet`;
}

/** True when `value` is a real calendar date written `YYYY-MM-DD`. */
export function isIsoDate(value: string): boolean {
  const match = DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= daysInMonth;
}

/** A trading date `YYYY-MM-DD` used as a raw folder name. Throws INVALID_NAME. */
export function checkDate(value: unknown): string {
  if (typeof value !== 'string' || !isIsoDate(value)) {
    throw new InvalidNameError(`invalid date ${JSON.stringify(value)}: expected a calendar date written YYYY-MM-DD`, {
      kind: 'date',
      value: String(value),
      reason: 'not a YYYY-MM-DD date',
    });
  }
  return value;
}

/** True when `value` passes `check` (for scans that skip foreign folders instead of failing). */
export function isValidName(check: (value: unknown) => string, value: string): boolean {
  try {
    check(value);
    return true;
  } catch {
    return false;
  }
}
