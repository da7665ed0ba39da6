import { createHash } from 'node:crypto';
import path from 'node:path';
import { InvalidNameError } from '../errors.js';

/**
 * Names that become folder and file names inside the store. Every name is checked before
 * anything touches the disk, so that no name can escape its folder, hide itself, look like
 * a Hive partition to DuckDB or Spark, carry characters a terminal would interpret, or be
 * a name Windows reserves (`CON`, `NUL`, `COM1`…, with any extension) or cannot hold
 * (`<>:"|?*`, a trailing dot or space): a store is meant to move between systems.
 *
 * The one rule for every command: an asset is stored in upper case; what a person types is
 * upper-cased once, at the API contract (`mes` → `MES` in ingest, promote and features
 * alike), and everything else about a name is refused, never repaired (`" MES"` is
 * INVALID_NAME everywhere). Core functions take only the stored form.
 */

/** Longest asset, feature-set or file name accepted, in characters. */
const MAX_NAME_LENGTH = 100;

// C0 and C1 control characters and DEL
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const ASSET = /^[A-Z0-9._-]+$/;
/** Device names Windows reserves in every folder, whatever the extension (`nul.parquet` too). */
const WINDOWS_RESERVED = /^(CON|PRN|AUX|NUL|COM[0-9\u00b9\u00b2\u00b3]|LPT[0-9\u00b9\u00b2\u00b3]|CONIN\$|CONOUT\$)$/i;
const WINDOWS_FORBIDDEN = /[<>:"|?*]/;
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
  if (WINDOWS_FORBIDDEN.test(value)) fail(kind, value, 'it contains a character Windows does not allow in names (< > : " | ? *)');
  if (/[. ]$/.test(value)) fail(kind, value, 'it ends with "." or a space (Windows drops them)');
  if (isWindowsReserved(value)) fail(kind, value, `"${value.split('.')[0]}" is a device name reserved on Windows`);
  return value;
}

/** True when Windows reserves `name` as a device (`CON`, `nul.txt`, `COM1.parquet`…): the part before the first dot, any case. */
export function isWindowsReserved(name: string): boolean {
  return WINDOWS_RESERVED.test(name.split('.')[0].trimEnd());
}

/** An asset symbol in its stored form: upper-case A–Z, digits, `.`, `_`, `-` (for example `MES`, `ES.FUT`). Throws INVALID_NAME. */
export function checkAssetName(value: unknown): string {
  const name = checkCommon('asset', value);
  if (!ASSET.test(name)) fail('asset', name, 'use upper-case letters A–Z, digits, ".", "_" and "-" only');
  // `cleaned/V3` would be the folder `cleaned/v3` on a case-insensitive file system
  if (/^v\d+$/i.test(name)) fail('asset', name, 'it looks like a version folder');
  return name;
}

/**
 * An asset as a person typed it, in its stored form: ASCII letters upper-cased (`mes` →
 * `MES`), then `checkAssetName`. Nothing else is repaired: `" MES"` is INVALID_NAME. The
 * API contract applies the same upper-casing to every asset it takes (ingest, promote,
 * features), so every command reads a spelling alike.
 */
export function normalizeAssetName(value: unknown): string {
  // ASCII letters only: toUpperCase would turn "ß" into "SS" and "ı" into "I"
  return checkAssetName(typeof value === 'string' ? value.replace(/[a-z]+/g, (letters) => letters.toUpperCase()) : value);
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

/**
 * True when `value` passes `check` and is already in its normal form (for scans of folder
 * names on disk: `raw/mes` is not the folder of MES).
 */
export function isValidName(check: (value: unknown) => string, value: string): boolean {
  try {
    return check(value) === value;
  } catch {
    return false;
  }
}

/** Longest stem `storeFileStem` keeps before its suffix, in characters. */
const MAX_STEM = 90;

/**
 * The store file name (without extension) for a source file: its base name without
 * extension (and without `.gz`/`.zst`), reduced to `[A-Za-z0-9._-]`. Whenever that changed
 * the name (or left a Windows device name), a `-` and 8 hex digits of the SHA-256 of the
 * original stem are added, so two sources whose names reduce alike (`a b.csv`,
 * `a=b.csv`) keep distinct names, and the same source always gets the same name.
 * Always passes `checkFileName`; never throws.
 */
export function storeFileStem(fileName: string): string {
  const stem = path.basename(fileName.replace(/\\/g, '/')).replace(/\.(gz|zst)$/i, '').replace(/\.[^.]*$/, '');
  const clean = stem
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/\.{2,}/g, '.')
    .replace(/^[._-]+/, '')
    .slice(0, MAX_STEM)
    .replace(/[._]+$/, '');
  const base = clean || 'source';
  if (base === stem && !isWindowsReserved(base)) return base;
  return `${base}-${createHash('sha256').update(stem).digest('hex').slice(0, 8)}`;
}
