import os from 'node:os';
import path from 'node:path';
import { Option } from 'commander';
import { BadRequestError } from '../core/errors.js';
import { Compression as Compressions } from '../core/api/contract.js';
import type { Compression } from '../core/parquet/writeParquet.js';

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

/** The store folder: `--store`, else `$MES_DATA_STORE`, else `~/.mes-data/store`. */
export function resolveStoreDir(flag: string | undefined): string {
  return path.resolve(flag ?? process.env.MES_DATA_STORE ?? path.join(os.homedir(), '.mes-data', 'store'));
}
