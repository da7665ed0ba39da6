import os from 'node:os';
import path from 'node:path';
import { Option } from 'commander';
import { BadRequestError } from '../core/errors.js';
import { Compression as Compressions } from '../core/api/contract.js';
import type { Compression } from '../core/parquet/writeParquet.js';
import { parseStoreUrl } from '../core/objectStore/storeUrl.js';

/** Option parsers shared by the commands: each throws BAD_REQUEST with the value it got. */

export function wholeNumber(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new BadRequestError(`${name} must be a whole number ≥ 0, got "${value}"`, { [name]: value });
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new BadRequestError(`${name} is too large: ${value}`, { [name]: value });
    return n;
  };
}

export function columnList(value: string): string[] {
  const columns = value.split(',').map((c) => c.trim()).filter((c) => c.length > 0);
  if (columns.length === 0) throw new BadRequestError(`--columns needs at least one column name, got "${value}"`, { columns: value });
  return columns;
}

export function keyValue(value: string, previous: Record<string, string>): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new BadRequestError(`--meta takes key=value, got "${value}"`, { meta: value });
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

/** `--compression`: one of the contract's codecs. */
export function compressionOption(value: string): Compression {
  const codec = Compressions.safeParse(value);
  if (!codec.success) throw new BadRequestError(`unknown compression "${value}"; use one of ${Compressions.options.join(', ')}`, { compression: value });
  return codec.data;
}

export function jsonOption(): Option {
  return new Option('--json', 'print one JSON document on stdout');
}

/** Where the command line's store is: a folder, or a bucket (its `s3://bucket/prefix` as given). */
type CliStore = { kind: 'local'; dir: string } | { kind: 's3'; url: string };

/**
 * The store: `--store`, else `$MES_DATA_STORE`, else `~/.mes-data/store`. A value with a
 * scheme is a store URL (core/objectStore/storeUrl.ts): `file://` a folder, `s3://` a bucket,
 * any other scheme BAD_REQUEST — never a folder named `s3:` made in the working folder.
 */
export function resolveStore(flag: string | undefined): CliStore {
  const value = flag ?? process.env.MES_DATA_STORE ?? path.join(os.homedir(), '.mes-data', 'store');
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(value.trim())) return { kind: 'local', dir: path.resolve(value) };
  const location = parseStoreUrl(value);
  return location.kind === 'local' ? { kind: 'local', dir: location.root } : { kind: 's3', url: value.trim() };
}

/** The store folder; an s3:// store is BAD_REQUEST saying that `command` does not work on one yet. */
export function resolveStoreDir(flag: string | undefined, command: string): string {
  const store = resolveStore(flag);
  if (store.kind === 'local') return store.dir;
  throw new BadRequestError(`${command} is not available on an s3:// store yet; use mes-data sync ${store.url} <folder> to work on a local copy`, { store: store.url, command });
}
