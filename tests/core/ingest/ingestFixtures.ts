import fs from 'node:fs';
import path from 'node:path';
import { tableToJsonRows, type JsonValue } from '../../../core/arrow/arrowJson.js';
import type { DecoderPool } from '../../../core/parquet/decoderPool.js';
import { summarizeParquetFile } from '../../../core/ingest/parquetFooter.js';
import { readParquet } from '../../../core/parquet/parquetFile.js';

/** Writes a fixture file (text as UTF-8, bytes as they are) and returns its path. */
export function writeFixture(dir: string, name: string, content: string | Uint8Array): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

/** A staged Parquet file read back: column types in Arrow's words, rows as the CLI prints them, the footer's key-value metadata. */
export async function readStaged(file: string, decoder: DecoderPool): Promise<{ columns: string[]; rows: Record<string, JsonValue>[]; keyValue: Record<string, string> }> {
  const table = await readParquet(file, { decoder });
  const { keyValue } = await summarizeParquetFile(file);
  return {
    columns: table.schema.fields.map((f) => `${f.name}:${String(f.type)}`),
    rows: tableToJsonRows(table),
    keyValue,
  };
}

/** Every file under `dir`, relative, sorted (hidden work folders included). */
export function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (at: string) => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(path.relative(dir, full));
    }
  };
  walk(dir);
  return out.sort();
}

/** Every folder under `dir`, relative, sorted. */
export function listDirs(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (at: string) => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const full = path.join(at, entry.name);
      out.push(path.relative(dir, full));
      walk(full);
    }
  };
  walk(dir);
  return out.sort();
}

export const OHLCV_COLUMNS = [
  'timestamp:Timestamp<MICROSECOND, UTC>',
  'open:Float64',
  'high:Float64',
  'low:Float64',
  'close:Float64',
  'volume:Int64',
];
